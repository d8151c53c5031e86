"""Interval blocks (DESIGN §3): one row per (channel, Europe/Luxembourg local day, version) holding the day's
values and qualities packed (:mod:`meterhub.store.intervals`); versions are append-only, the highest is current.

Reading: :func:`current_blocks` — the current version of every block of some channels and days, or, with
``as_of``, the version that was current at that time; :func:`block_versions` — every version of one block.
Writing: :func:`insert_blocks` appends versions (never updates: a clash on (channel, day, version) raises
:class:`~meterhub.store.sql.IntegrityError`); :func:`insert_block_rows` appends rows packed already (restoring
an archive, a benchmark's bulk load). On SQLite a write is one ``executemany``; on PostgreSQL, where
``interval_block`` is partitioned by local month and declares no foreign key to ``channel``, the months'
partitions are made sure of, the batch's channels checked in one statement, and the rows written with one
binary ``COPY``.

The functions take a :class:`~meterhub.store.sql.Connection` so that a caller (the MDM ingest) can compose
several in one transaction; :class:`BlockOps` is the part of :class:`~meterhub.store.db.Store` that reads in
a transaction of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from meterhub.store import partitions as part
from meterhub.store import schema as t
from meterhub.store.engine import StoreEngine
from meterhub.store.intervals import (
    Int64Array,
    UInt8Array,
    from_epoch,
    pack_quality_many,
    pack_values_many,
    unpack_quality,
    unpack_quality_many,
    unpack_values,
    unpack_values_many,
)
from meterhub.store.sql import check_channels, copy_rows, id_filters, utc_now


@dataclass(frozen=True, slots=True, eq=False)
class IntervalBlock:
    """One version of one channel's local day: unpacked values (int64) and quality bytes (uint8)."""

    channel_id: int
    local_day: date
    version: int
    slots: int
    values: Int64Array
    quality: UInt8Array
    created_at: datetime
    source: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class NewBlock:
    """A block version to append (see :func:`insert_blocks`)."""

    channel_id: int
    local_day: date
    version: int
    values: Int64Array
    quality: UInt8Array
    source: str
    reason: str | None = None


BlockRow = tuple[int, date, int, int, bytes, bytes, int, str, str | None]
"""A packed block version as stored: ``(channel_id, local_day, version, slots, values, quality, created_at
epoch seconds, source, reason)`` (see :func:`insert_block_rows`)."""
BLOCK_COLUMNS = ("channel_id", "local_day", "version", "slots", "values", "quality", "created_at", "source", "reason")
"""The columns of ``interval_block`` in :data:`BlockRow` order."""
_BLOCK_TYPES = ("int4", "date", "int4", "int2", "bytea", "bytea", "int8", "varchar", "text")


def _block(row: sa.Row[Any]) -> IntervalBlock:
    m = row._mapping
    slots = int(m["slots"])
    return IntervalBlock(
        channel_id=m["channel_id"],
        local_day=m["local_day"],
        version=m["version"],
        slots=slots,
        values=unpack_values(m["values"], slots),
        quality=unpack_quality(m["quality"], slots),
        created_at=m["created_at"],
        source=m["source"],
        reason=m["reason"],
    )


def current_blocks(
    conn: sa.Connection,
    channel_ids: Sequence[int],
    day_from: date,
    day_to: date,
    *,
    as_of: datetime | None = None,
) -> list[IntervalBlock]:
    """The current (highest) version of every block of ``channel_ids`` from ``day_from`` to ``day_to``
    inclusive, ordered by (channel, day) — or, with ``as_of`` (aware), the highest version created at or
    before that time. Days without any (such) version are simply absent."""
    b = t.interval_block
    # the day as stored (ISO text on SQLite) and the creation epoch are converted here, once per distinct
    # value, rather than by the column types row by row (a 3-year query has ~1100 rows of one channel)
    day = sa.type_coerce(b.c.local_day, sa.String) if conn.dialect.name == "sqlite" else b.c.local_day
    created = sa.type_coerce(b.c.created_at, sa.BigInteger)
    cols = (b.c.channel_id, day, b.c.version, b.c.slots, b.c["values"], b.c.quality, created, b.c.source, b.c.reason)
    out: list[IntervalBlock] = []
    days: dict[Any, date] = {}
    instants: dict[int, datetime] = {}
    for among in id_filters(conn, b.c.channel_id, channel_ids):
        # All versions in key order, the last of each (channel, day) kept: on the primary key's order this
        # is one range scan, cheaper than a grouped sub-select joined back (versions are few per day).
        q = (
            sa.select(*cols)
            .where(among, b.c.local_day >= day_from, b.c.local_day <= day_to)
            .order_by(b.c.channel_id, b.c.local_day, b.c.version)
        )
        if as_of is not None:
            q = q.where(b.c.created_at <= as_of)
        rows = [tuple(r) for r in conn.execute(q)]
        keep = [r for r, nxt in zip(rows, [*rows[1:], None], strict=False) if nxt is None or nxt[:2] != r[:2]]
        slots = [int(r[3]) for r in keep]
        values = unpack_values_many([r[4] for r in keep], slots)
        quality = unpack_quality_many([r[5] for r in keep], slots)
        for r, n, v, qa in zip(keep, slots, values, quality, strict=True):
            d = days.get(r[1])
            if d is None:
                d = days[r[1]] = r[1] if isinstance(r[1], date) else date.fromisoformat(r[1])
            at = instants.get(r[6])
            if at is None:
                at = instants[r[6]] = from_epoch(r[6])
            out.append(IntervalBlock(r[0], d, r[2], n, v, qa, at, r[7], r[8]))
    return out


def block_versions(conn: sa.Connection, channel_id: int, day: date) -> list[IntervalBlock]:
    """Every version of one block, oldest first."""
    b = t.interval_block
    q = sa.select(b).where(b.c.channel_id == channel_id, b.c.local_day == day).order_by(b.c.version)
    return [_block(row) for row in conn.execute(q)]


def newest_block_days(conn: sa.Connection, channel_ids: Sequence[int]) -> dict[int, date]:
    """``{channel_id: local day of its newest block}`` for the channels that have blocks."""
    b = t.interval_block
    out: dict[int, date] = {}
    for among in id_filters(conn, b.c.channel_id, channel_ids):
        q = sa.select(b.c.channel_id, sa.func.max(b.c.local_day).label("day")).where(among).group_by(b.c.channel_id)
        for row in conn.execute(q):
            day = row.day
            out[int(row.channel_id)] = date.fromisoformat(day) if isinstance(day, str) else day
    return out


def newest_day_of_obis(conn: sa.Connection, obis: str) -> date | None:
    """The newest local day of any block of any channel with the OBIS code ``obis`` (one query)."""
    b, c = t.interval_block, t.channel
    q = sa.select(sa.func.max(b.c.local_day)).select_from(b.join(c, c.c.id == b.c.channel_id)).where(c.c.obis == obis)
    day = conn.execute(q).scalar()
    return day if isinstance(day, date) or day is None else date.fromisoformat(str(day))


def pack_blocks(blocks: Sequence[NewBlock]) -> tuple[list[bytes], list[bytes]]:
    """The packed ``values`` and ``quality`` columns of block versions (a writer may pack them before its write
    transaction and hand them to :func:`insert_blocks`)."""
    return pack_values_many([nb.values for nb in blocks]), pack_quality_many([nb.quality for nb in blocks])


def insert_blocks(
    conn: sa.Connection,
    blocks: Sequence[NewBlock],
    *,
    now: datetime | None = None,
    packed: tuple[list[bytes], list[bytes]] | None = None,
) -> None:
    """Append block versions created ``now`` (default: the current time); ``packed``: their columns packed
    already (:func:`pack_blocks`). See :func:`insert_block_rows`."""
    if not blocks:
        return
    epoch = int((now or utc_now()).timestamp())
    values_blobs, qualities = packed or pack_blocks(blocks)
    insert_block_rows(
        conn,
        [
            (nb.channel_id, nb.local_day, nb.version, int(nb.values.size), values, quality, epoch, nb.source,
             nb.reason)
            for nb, values, quality in zip(blocks, values_blobs, qualities, strict=True)
        ],
    )  # fmt: skip


def insert_block_rows(conn: sa.Connection, rows: Sequence[BlockRow]) -> None:
    """Append packed block versions (never updates: a clash on (channel, day, version) raises IntegrityError,
    as does a channel that does not exist).

    SQLite: one ``executemany`` of plain tuples (the column types' own conversions done here: DATE as ISO
    text), skipping SQLAlchemy's per-row parameter processing. PostgreSQL: the months' partitions are made
    sure of and the channels checked, then one binary COPY (see :func:`~meterhub.store.sql.copy_rows`)."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        check_channels(conn, (row[0] for row in rows))
        part.ensure(conn, t.interval_block.name, {part.month_of(row[1]) for row in rows})
        copy_rows(conn, t.interval_block.name, BLOCK_COLUMNS, _BLOCK_TYPES, rows)
        return
    columns = ", ".join(f'"{c}"' for c in BLOCK_COLUMNS)
    conn.exec_driver_sql(
        f"INSERT INTO {t.interval_block.name} ({columns}) VALUES ({', '.join('?' * len(BLOCK_COLUMNS))})",
        [(c, d.isoformat(), v, n, values, quality, at, source, reason)
         for c, d, v, n, values, quality, at, source, reason in rows],
    )  # fmt: skip


class BlockOps(StoreEngine):
    """The interval block reads of :class:`~meterhub.store.db.Store`, each in a read transaction of its own."""

    def current_blocks(
        self, channel_ids: Sequence[int], day_from: date, day_to: date, *, as_of: datetime | None = None
    ) -> list[IntervalBlock]:
        """See :func:`current_blocks`."""
        with self.read() as conn:
            return current_blocks(conn, channel_ids, day_from, day_to, as_of=as_of)

    def block_versions(self, channel_id: int, day: date) -> list[IntervalBlock]:
        with self.read() as conn:
            return block_versions(conn, channel_id, day)

    def newest_day_of_obis(self, obis: str) -> date | None:
        """See :func:`newest_day_of_obis`."""
        with self.read() as conn:
            return newest_day_of_obis(conn, obis)


__all__ = [
    "BLOCK_COLUMNS",
    "BlockOps",
    "BlockRow",
    "IntervalBlock",
    "NewBlock",
    "block_versions",
    "current_blocks",
    "insert_block_rows",
    "insert_blocks",
    "newest_block_days",
    "newest_day_of_obis",
    "pack_blocks",
]
