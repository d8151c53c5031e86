"""The access log: every read of personal data, appended, never changed (issue 13 §8).

One row per metering point and window read: when, who (``user:NAME`` or ``client:ID``, role, party), which point,
scope and period, under which right (``own``, ``dso``, ``supplier_of_record``, ``consent:ID``, ``operator``,
``auditor``), through which route, and the request's correlation id. The table is append-only: this module offers
no update or delete, and triggers (migration 0006) refuse them on both backends. A customer lists who read the
data of their points (:func:`entries_for_points`), or — a page at a time, cut to their own occupancy and without
their own reads if they wish — :func:`entries_within`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from meterhub.store import schema as t
from meterhub.store.engine import StoreEngine
from meterhub.store.sql import id_filters, rows_as


@dataclass(frozen=True, slots=True)
class AccessEntry:
    at: datetime
    principal: str
    role: str
    party_id: int
    metering_point_id: int
    scope: str
    period_from: datetime
    period_to: datetime
    right: str
    route: str
    correlation_id: str | None


def append(conn: sa.Connection, entries: Sequence[AccessEntry]) -> None:
    if entries:
        conn.execute(t.access_log.insert(), [{k: getattr(e, k) for k in AccessEntry.__slots__} for e in entries])


def entries_for_points(conn: sa.Connection, point_ids: Iterable[int], limit: int = 1000) -> list[AccessEntry]:
    """The newest ``limit`` entries on ``point_ids``, newest first."""
    a = t.access_log
    cols = [a.c[k] for k in AccessEntry.__slots__]
    q = sa.select(*cols).where(*id_filters(conn, a.c.metering_point_id, point_ids)).order_by(a.c.id.desc()).limit(limit)
    return rows_as(AccessEntry, conn.execute(q)) if list(point_ids) else []


def _within(
    conn: sa.Connection, spans: Mapping[int, Sequence[tuple[datetime, datetime]]], exclude_party: int | None
) -> sa.ColumnElement[bool]:
    a = t.access_log
    periods = [
        sa.and_(a.c.metering_point_id == point, a.c.period_from < end, a.c.period_to > start)
        for point, found in spans.items()
        for start, end in found
    ]
    where = sa.or_(*periods) if periods else sa.false()
    return sa.and_(where, a.c.party_id != exclude_party) if exclude_party is not None else where


def entries_within(
    conn: sa.Connection,
    spans: Mapping[int, Sequence[tuple[datetime, datetime]]],
    *,
    exclude_party: int | None = None,
    offset: int = 0,
    limit: int = 1000,
) -> tuple[list[AccessEntry], int]:
    """The entries of reads that overlap ``spans`` (per point: [start, end) periods), newest first, ``limit``
    from ``offset`` on, leaving out the reads of ``exclude_party``; and how many there are in all."""
    a = t.access_log
    where = _within(conn, spans, exclude_party)
    total = int(conn.execute(sa.select(sa.func.count()).select_from(a).where(where)).scalar_one())
    q = sa.select(*[a.c[k] for k in AccessEntry.__slots__]).where(where).order_by(a.c.id.desc())
    return rows_as(AccessEntry, conn.execute(q.offset(max(0, offset)).limit(limit))), total


def entries_by_party(conn: sa.Connection, party_id: int, limit: int = 1000) -> list[AccessEntry]:
    """The newest ``limit`` reads made by ``party_id``'s people and clients, newest first."""
    a = t.access_log
    q = sa.select(*[a.c[k] for k in AccessEntry.__slots__]).where(a.c.party_id == party_id)
    return rows_as(AccessEntry, conn.execute(q.order_by(a.c.id.desc()).limit(limit)))


def all_entries(conn: sa.Connection, limit: int = 1000) -> list[AccessEntry]:
    a = t.access_log
    q = sa.select(*[a.c[k] for k in AccessEntry.__slots__]).order_by(a.c.id.desc()).limit(limit)
    return rows_as(AccessEntry, conn.execute(q))


class AccessLogOps(StoreEngine):
    """The access log (part of :class:`~meterhub.store.db.Store`)."""

    def access_entries_by_party(self, party_id: int, limit: int = 1000) -> list[AccessEntry]:
        with self.read() as conn:
            return entries_by_party(conn, party_id, limit)

    def access_entries_within(
        self,
        spans: Mapping[int, Sequence[tuple[datetime, datetime]]],
        *,
        exclude_party: int | None = None,
        offset: int = 0,
        limit: int = 1000,
    ) -> tuple[list[AccessEntry], int]:
        with self.read() as conn:
            return entries_within(conn, spans, exclude_party=exclude_party, offset=offset, limit=limit)

    def log_access(self, entries: Sequence[AccessEntry]) -> None:
        with self.write() as conn:
            append(conn, entries)

    def access_entries(self, point_ids: Iterable[int] | None = None, limit: int = 1000) -> list[AccessEntry]:
        with self.read() as conn:
            if point_ids is None:
                return all_entries(conn, limit)
            return entries_for_points(conn, list(point_ids), limit)


__all__ = [
    "AccessEntry",
    "AccessLogOps",
    "all_entries",
    "append",
    "entries_by_party",
    "entries_for_points",
    "entries_within",
]
