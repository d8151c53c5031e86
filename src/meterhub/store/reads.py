"""Register reads (DESIGN §3): cumulative register values of a channel at an instant — the billing reads of the
meters' monthly billing profile, the daily reads at local midnight that ingest keeps, interval reads — keyed
by (channel, read_at, kind); a read is stored once and never changed (insert-or-ignore).

On PostgreSQL ``register_read`` is partitioned by local month and declares no foreign key to ``channel``: the
write path makes sure of the months' partitions and checks a batch's channels in one statement, then copies
the rows into a session-private staging table with binary ``COPY`` and moves them over with one
insert-or-ignore (``COPY`` itself cannot skip duplicates). The functions take a
:class:`~meterhub.store.sql.Connection`; :class:`ReadOps` is the part of :class:`~meterhub.store.db.Store`
that reads in a transaction of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa

from meterhub.store import partitions as part
from meterhub.store import schema as t
from meterhub.store.engine import StoreEngine
from meterhub.store.intervals import Int64Array, from_epoch, to_epoch
from meterhub.store.sql import check_channels, copy_rows, id_filters, rows_as


@dataclass(frozen=True, slots=True)
class RegisterRead:
    channel_id: int
    read_at: datetime
    kind: str
    value: int
    source: str


ReadRow = tuple[int, int, str, int, str]
"""A register read as plain values: ``(channel_id, read_at epoch seconds, kind, value, source)``."""
_READ_COLUMNS = ("channel_id", "read_at", "kind", "value", "source")
_READ_TYPES = ("int4", "int8", "varchar", "int8", "varchar")
_READS_STAGING = "mh_register_read_staging"


def add_register_reads(conn: sa.Connection, reads: Sequence[RegisterRead]) -> int:
    """Insert register reads, ignoring ones already stored for (channel, read_at, kind); returns rows inserted."""
    rows = [(r.channel_id, to_epoch(r.read_at), r.kind, r.value, r.source) for r in reads]  # naive times refused
    return add_register_read_rows(conn, rows)


def add_register_read_rows(conn: sa.Connection, rows: Sequence[ReadRow]) -> int:
    """:func:`add_register_reads` of plain rows (:data:`ReadRow`; the ingest's bulk form: no objects per read);
    returns rows inserted."""
    if not rows:
        return 0
    if conn.dialect.name == "postgresql":
        epochs = [row[1] for row in rows]
        first, last = part.month_of_epoch(min(epochs)), part.month_of_epoch(max(epochs))
        check_channels(conn, (row[0] for row in rows))
        part.ensure(conn, t.register_read.name, part.months(first, last))
        # binary COPY into a session-private staging table, then one insert-or-ignore moving the rows over
        # (COPY itself cannot skip duplicates); the insert's row count is exact
        conn.exec_driver_sql(
            f"CREATE TEMP TABLE IF NOT EXISTS {_READS_STAGING} (LIKE {t.register_read.name}) ON COMMIT DELETE ROWS"
        )
        copy_rows(conn, _READS_STAGING, _READ_COLUMNS, _READ_TYPES, rows)
        result = conn.exec_driver_sql(
            f"WITH staged AS (DELETE FROM {_READS_STAGING} RETURNING *) INSERT INTO {t.register_read.name} "
            f"({', '.join(_READ_COLUMNS)}) SELECT {', '.join(_READ_COLUMNS)} FROM staged ON CONFLICT DO NOTHING"
        )
        return max(int(result.rowcount), 0)
    result = conn.exec_driver_sql(
        f"INSERT INTO {t.register_read.name} (channel_id, read_at, kind, value, source) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        list(rows),
    )
    return max(int(result.rowcount), 0)


def register_reads(
    conn: sa.Connection,
    channel_id: int,
    *,
    kind: t.ReadKind | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[RegisterRead]:
    """The channel's register reads (of one kind; ``since ≤ read_at < until``), by time and kind."""
    r = t.register_read
    q = sa.select(r).where(r.c.channel_id == channel_id).order_by(r.c.read_at, r.c.kind)
    if kind is not None:
        q = q.where(r.c.kind == kind)
    if since is not None:
        q = q.where(r.c.read_at >= since)
    if until is not None:
        q = q.where(r.c.read_at < until)
    return rows_as(RegisterRead, conn.execute(q))


def register_reads_near(
    conn: sa.Connection, channel_id: int, at: datetime, around: timedelta, limit: int = 3
) -> tuple[list[RegisterRead], list[RegisterRead], list[RegisterRead]]:
    """The channel's register reads exactly at ``at``, and up to ``limit`` before and after it within
    ``around`` (nearest first): what a register value at an instant is established from."""
    r = t.register_read
    base = sa.select(r).where(r.c.channel_id == channel_id)
    exact = base.where(r.c.read_at == at)
    before = base.where(r.c.read_at < at, r.c.read_at >= at - around).order_by(r.c.read_at.desc()).limit(limit)
    after = base.where(r.c.read_at > at, r.c.read_at <= at + around).order_by(r.c.read_at).limit(limit)
    found = [rows_as(RegisterRead, conn.execute(q)) for q in (exact, before, after)]
    return found[0], found[1], found[2]


def register_reads_many(
    conn: sa.Connection, channel_ids: Sequence[int], since: datetime, until: datetime
) -> dict[int, list[RegisterRead]]:
    """``{channel_id: register reads with since ≤ read_at < until}`` (ordered by time, kind) for many channels
    in one query per id chunk; channels without reads are absent."""
    r = t.register_read
    out: dict[int, list[RegisterRead]] = {}
    at = sa.type_coerce(r.c.read_at, sa.BigInteger)  # epoch seconds, converted below without per-row processing
    for among in id_filters(conn, r.c.channel_id, channel_ids):
        q = (
            sa.select(r.c.channel_id, at, r.c.kind, r.c.value, r.c.source)
            .where(among, r.c.read_at >= since, r.c.read_at < until)
            .order_by(r.c.channel_id, r.c.read_at, r.c.kind)
        )
        for cid, epoch, kind, value, source in conn.execute(q):
            out.setdefault(cid, []).append(RegisterRead(cid, from_epoch(epoch), kind, value, source))
    return out


def count_register_reads(conn: sa.Connection, channel_ids: Sequence[int], since: int, until: int) -> int:
    """How many register reads (any kind) the channels have with ``since ≤ read_at < until`` (epoch seconds)."""
    r = t.register_read
    at = sa.type_coerce(r.c.read_at, sa.BigInteger)
    total = 0
    for among in id_filters(conn, r.c.channel_id, channel_ids):
        total += int(conn.execute(sa.select(sa.func.count()).where(among, at >= since, at < until)).scalar() or 0)
    return total


def register_read_values(
    conn: sa.Connection, channel_ids: Sequence[int], since: int, until: int
) -> tuple[Int64Array, Int64Array, Int64Array]:
    """Channel ids, read_at epoch seconds and values of every register read (any kind) with
    ``since ≤ read_at < until`` (epoch seconds) of the channels, as three arrays: the raw form, for bulk checks."""
    r = t.register_read
    at = sa.type_coerce(r.c.read_at, sa.BigInteger)
    rows: list[tuple[int, int, int]] = []
    for among in id_filters(conn, r.c.channel_id, channel_ids):
        result = conn.execute(sa.select(r.c.channel_id, at, r.c.value).where(among, at >= since, at < until))
        rows += map(tuple, result)  # plain tuples: numpy probes a Row for array interfaces, key by key
    table = np.array(rows, dtype=np.int64).reshape(-1, 3)
    return table[:, 0].copy(), table[:, 1].copy(), table[:, 2].copy()


def channels_with_reads(conn: sa.Connection, channel_ids: Sequence[int], kind: str, since: datetime) -> set[int]:
    """The channels among ``channel_ids`` with a register read of ``kind`` at or after ``since``."""
    r = t.register_read
    out: set[int] = set()
    for among in id_filters(conn, r.c.channel_id, channel_ids):
        q = sa.select(r.c.channel_id).where(among, r.c.kind == kind, r.c.read_at >= since).distinct()
        out.update(int(row[0]) for row in conn.execute(q))
    return out


class ReadOps(StoreEngine):
    """The register read look-ups of :class:`~meterhub.store.db.Store`, each in a read transaction of its own."""

    def register_reads(
        self,
        channel_id: int,
        *,
        kind: t.ReadKind | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[RegisterRead]:
        with self.read() as conn:
            return register_reads(conn, channel_id, kind=kind, since=since, until=until)

    def channels_with_reads(self, channel_ids: Sequence[int], kind: str, since: datetime) -> set[int]:
        """The channels among ``channel_ids`` with a register read of ``kind`` at or after ``since``."""
        with self.read() as conn:
            return channels_with_reads(conn, channel_ids, kind, since)


__all__ = [
    "ReadOps",
    "ReadRow",
    "RegisterRead",
    "add_register_read_rows",
    "add_register_reads",
    "channels_with_reads",
    "count_register_reads",
    "register_read_values",
    "register_reads",
    "register_reads_many",
    "register_reads_near",
]
