"""Storage (DESIGN §2, §3): the schema as SQLAlchemy Core tables (:mod:`.schema`), its Alembic migrations
(``migrations/``), the :class:`Store` with small typed data-access operations (:mod:`.db`) and the packed
interval-block format with Europe/Luxembourg local-day slot arithmetic (:mod:`.intervals`).

SQLite is the default backend; PostgreSQL comes later behind the same interface. This layer imports no upper
layer of meterhub (import-linter contract "store imports no upper layer").
"""

from meterhub.store.db import (
    Channel,
    Concentrator,
    IntervalBlock,
    Meter,
    MeterEvent,
    MeteringPoint,
    NewBlock,
    Party,
    ReadJob,
    RegisterRead,
    Store,
    add_register_reads,
    block_versions,
    channel_intervals,
    current_blocks,
    insert_blocks,
)
from meterhub.store.intervals import (
    LOCAL_TZ,
    PackError,
    local_day_slots,
    pack_quality,
    pack_values,
    slot_index,
    slot_start_utc,
    unpack_quality,
    unpack_values,
)

__all__ = [
    "LOCAL_TZ",
    "Channel",
    "Concentrator",
    "IntervalBlock",
    "Meter",
    "MeterEvent",
    "MeteringPoint",
    "NewBlock",
    "PackError",
    "Party",
    "ReadJob",
    "RegisterRead",
    "Store",
    "add_register_reads",
    "block_versions",
    "channel_intervals",
    "current_blocks",
    "insert_blocks",
    "local_day_slots",
    "pack_quality",
    "pack_values",
    "slot_index",
    "slot_start_utc",
    "unpack_quality",
    "unpack_values",
]
