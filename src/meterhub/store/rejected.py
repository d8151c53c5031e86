"""Rejected readings as stored (``rejected_reading``, migration 0005): what a source delivered but the series
did not keep, so that nothing received is lost.

Today one reason: ``conflicting-duplicate`` — an import's second, different reading for an instant whose first
value went into the series (the two slots around it marked ``suspect`` with the duplicate rule by the MDM,
:mod:`meterhub.mdm.csvio`). A row holds the channel, the reading's instant (UTC), the value not kept and the
value kept, the reason, its source (e.g. ``file.csv:1234``), the import run and when it was recorded. A
(channel, instant, value, reason) is recorded once: :func:`add_rejected_readings` is insert-or-ignore, so
re-importing a file adds nothing. The functions take a :class:`~meterhub.store.sql.Connection`;
:class:`RejectedOps` is the part of :class:`~meterhub.store.db.Store` that reads in a transaction of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from meterhub.store import schema as t
from meterhub.store.engine import StoreEngine
from meterhub.store.intervals import from_epoch
from meterhub.store.sql import COUNT_ROWS, id_filters, insert_for

CONFLICTING_DUPLICATE = "conflicting-duplicate"
"""``reason`` of a second, different reading for an instant."""


@dataclass(frozen=True, slots=True)
class RejectedReading:
    """One rejected reading as stored."""

    channel_id: int
    read_at: datetime
    value: int
    kept_value: int | None
    reason: str
    source: str
    import_run: str
    recorded_at: datetime


RejectedRow = tuple[int, int, int, int | None, str, str, str, int]
"""A rejected reading as plain values: ``(channel_id, read_at epoch, value, kept_value, reason, source,
import_run, recorded_at epoch)``."""
_COLUMNS = ("channel_id", "read_at", "value", "kept_value", "reason", "source", "import_run", "recorded_at")


def add_rejected_readings(conn: sa.Connection, rows: Sequence[RejectedRow]) -> int:
    """Record rejected readings, ignoring any already recorded for (channel, read_at, value, reason); returns
    the rows inserted."""
    if not rows:
        return 0
    r = t.rejected_reading
    key = [r.c.channel_id, r.c.read_at, r.c.value, r.c.reason]
    stmt = insert_for(conn, r).on_conflict_do_nothing(index_elements=key)
    params = [
        {**dict(zip(_COLUMNS, row, strict=True)), "read_at": from_epoch(row[1]), "recorded_at": from_epoch(row[7])}
        for row in rows
    ]
    result = conn.execute(stmt.execution_options(**COUNT_ROWS), params)
    return max(int(result.rowcount), 0)


def rejected_readings(
    conn: sa.Connection, channel_ids: Sequence[int] | None = None, *, import_run: str | None = None
) -> list[RejectedReading]:
    """The rejected readings of the channels (all without ``channel_ids``; of one import run with
    ``import_run``), by channel, instant and value."""
    r = t.rejected_reading
    q = sa.select(*(r.c[name] for name in _COLUMNS)).order_by(r.c.channel_id, r.c.read_at, r.c.value)
    if import_run is not None:
        q = q.where(r.c.import_run == import_run)
    if channel_ids is None:
        return [RejectedReading(*row) for row in conn.execute(q)]
    out: list[RejectedReading] = []
    for among in id_filters(conn, r.c.channel_id, channel_ids):
        out += [RejectedReading(*row) for row in conn.execute(q.where(among))]
    return sorted(out, key=lambda x: (x.channel_id, x.read_at, x.value))


class RejectedOps(StoreEngine):
    """The rejected-reading operations of :class:`~meterhub.store.db.Store`, each in a transaction of its own."""

    def rejected_readings(
        self, channel_ids: Sequence[int] | None = None, *, import_run: str | None = None
    ) -> list[RejectedReading]:
        """See :func:`rejected_readings`."""
        with self.read() as conn:
            return rejected_readings(conn, channel_ids, import_run=import_run)


__all__ = [
    "CONFLICTING_DUPLICATE",
    "RejectedOps",
    "RejectedReading",
    "RejectedRow",
    "add_rejected_readings",
    "rejected_readings",
]
