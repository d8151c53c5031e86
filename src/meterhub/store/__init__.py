"""Storage (DESIGN §2, §3): the schema as SQLAlchemy Core tables (:mod:`.schema`), its Alembic migrations
(``migrations/``), the :class:`Store` (:mod:`.db`, the map of the package) whose operations live in one module
per concern — inventory, channels, blocks, reads, events, jobs, counters, digests, gas factors, billing reads —
and the packed interval-block format with Europe/Luxembourg local-day slot arithmetic (:mod:`.intervals`).

SQL lives here and only here: the layers above call these operations, inside a transaction of
:meth:`Store.read` / :meth:`Store.write` (a :data:`Connection`) when they compose several, and never import
SQLAlchemy. SQLite is the default backend, PostgreSQL the other. This layer imports no upper layer of meterhub
(import-linter contract "store imports no upper layer").
"""

from meterhub.store.blocks import IntervalBlock, NewBlock, block_versions, current_blocks, insert_blocks
from meterhub.store.channels import Channel, channel_intervals
from meterhub.store.db import Store
from meterhub.store.events import MeterEvent
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
from meterhub.store.inventory import Concentrator, Meter, MeteringPoint, Party
from meterhub.store.jobs import ReadJob
from meterhub.store.reads import RegisterRead, add_register_reads
from meterhub.store.schema import JobKind, JobState, Medium, PartyKind, ReadKind
from meterhub.store.sql import Connection, IntegrityError

__all__ = [
    "LOCAL_TZ",
    "Channel",
    "Concentrator",
    "Connection",
    "IntegrityError",
    "IntervalBlock",
    "JobKind",
    "JobState",
    "Medium",
    "Meter",
    "MeterEvent",
    "MeteringPoint",
    "NewBlock",
    "PackError",
    "Party",
    "PartyKind",
    "ReadJob",
    "ReadKind",
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
