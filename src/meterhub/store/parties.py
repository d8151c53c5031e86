"""Who a metering point's data belongs to over time: its supplier of record and its occupant (issue 13 §2).

A metering point has a supplier of record over time (``supplier_period``: a change of supplier on a date closes
the old period and opens the new one at the same instant) and an occupant over time (``occupancy``: a move-in
opens a period, a move-out closes it). Periods are half-open [from, to) with ``None`` for an open end.
:func:`point_histories` reads both histories and the DSO of a set of points in three indexed queries — what the
policy layer (:mod:`meterhub.api.service`) turns into its rights data; :func:`points_of_party` finds the points a
customer, supplier or ESP has ever had something to do with (the candidates of a listing). Functions take a
:data:`~meterhub.store.sql.Connection`; :class:`PartyOps` runs them in a transaction of their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from meterhub.store import schema as t
from meterhub.store.engine import StoreEngine
from meterhub.store.sql import id_filters, insert_id


@dataclass(frozen=True, slots=True)
class Period:
    """One party's period on a point: a supplier of record or an occupant in [start, end)."""

    party_id: int
    start: datetime
    end: datetime | None


@dataclass(frozen=True, slots=True)
class PointHistory:
    """A metering point's DSO and its supplier and occupancy histories (sorted by start)."""

    point_id: int
    ean: str
    dso_id: int
    suppliers: list[Period] = field(default_factory=list)
    occupants: list[Period] = field(default_factory=list)

    def current(self, periods: list[Period], now: datetime) -> int | None:
        """The party of ``periods`` in force at ``now`` (the latest started), or None."""
        live = [p for p in periods if p.start <= now and (p.end is None or now < p.end)]
        return live[-1].party_id if live else None


def _close_open(conn: sa.Connection, table: sa.Table, start: str, end: str, point_id: int, at: datetime) -> None:
    c = table.c
    conn.execute(
        table.update().where(c.metering_point_id == point_id, c[end].is_(None), c[start] < at).values({end: at})
    )


def set_supplier(conn: sa.Connection, point_id: int, supplier_id: int, at: datetime) -> int:
    """``supplier_id`` becomes the point's supplier of record from ``at`` on (the open period ends at ``at``)."""
    _close_open(conn, t.supplier_period, "valid_from", "valid_to", point_id, at)
    stmt = t.supplier_period.insert().values(metering_point_id=point_id, supplier_id=supplier_id, valid_from=at)
    return insert_id(conn, stmt)


def move_in(conn: sa.Connection, point_id: int, customer_id: int, at: datetime) -> int:
    """``customer_id`` occupies the point from ``at`` on; a former occupant still recorded moves out at ``at``."""
    _close_open(conn, t.occupancy, "move_in", "move_out", point_id, at)
    stmt = t.occupancy.insert().values(metering_point_id=point_id, customer_id=customer_id, move_in=at)
    return insert_id(conn, stmt)


def move_out(conn: sa.Connection, point_id: int, at: datetime) -> None:
    """The point's current occupant moves out at ``at``."""
    _close_open(conn, t.occupancy, "move_in", "move_out", point_id, at)


def point_histories(conn: sa.Connection, point_ids: Iterable[int] | None = None) -> dict[int, PointHistory]:
    """``{point id: PointHistory}`` of ``point_ids`` (None: every point); unknown ids are left out."""
    mp, sp, oc = t.metering_point, t.supplier_period, t.occupancy
    ids = None if point_ids is None else sorted(set(point_ids))
    if ids is not None and not ids:
        return {}

    def where(q: sa.Select[tuple[object, ...]], column: sa.ColumnElement[int]) -> sa.Select[tuple[object, ...]]:
        return q if ids is None else q.where(*id_filters(conn, column, ids))

    out = {
        int(r.id): PointHistory(int(r.id), str(r.ean), int(r.dso_id))
        for r in conn.execute(where(sa.select(mp.c.id, mp.c.ean, mp.c.dso_id), mp.c.id))
    }
    for r in conn.execute(where(sa.select(sp).order_by(sp.c.valid_from, sp.c.id), sp.c.metering_point_id)):
        if r.metering_point_id in out:
            out[r.metering_point_id].suppliers.append(Period(r.supplier_id, r.valid_from, r.valid_to))
    for r in conn.execute(where(sa.select(oc).order_by(oc.c.move_in, oc.c.id), oc.c.metering_point_id)):
        if r.metering_point_id in out:
            out[r.metering_point_id].occupants.append(Period(r.customer_id, r.move_in, r.move_out))
    return out


def points_of_party(conn: sa.Connection, kind: str, party_id: int) -> list[int]:
    """The points a party has some tie to: a DSO its area's, a customer those it occupied, a supplier those it
    supplied or holds a consent on, an ESP those it holds a consent on (the consent's status not looked at)."""
    mp, sp, oc, cp, c = t.metering_point, t.supplier_period, t.occupancy, t.consent_point, t.consent
    queries: list[sa.Select[Any]] = []
    if kind == "dso":
        queries.append(sa.select(mp.c.id).where(mp.c.dso_id == party_id))
    if kind == "customer":
        queries.append(sa.select(oc.c.metering_point_id).where(oc.c.customer_id == party_id))
    if kind == "supplier":
        queries.append(sa.select(sp.c.metering_point_id).where(sp.c.supplier_id == party_id))
    if kind in ("supplier", "esp"):
        queries.append(
            sa.select(cp.c.metering_point_id).join(c, c.c.id == cp.c.consent_id).where(c.c.grantee_id == party_id)
        )
    found: set[int] = set()
    for q in queries:
        found.update(int(x) for x in conn.execute(q).scalars())
    return sorted(found)


class PartyOps(StoreEngine):
    """Supplier-of-record and occupancy histories (part of :class:`~meterhub.store.db.Store`)."""

    def set_supplier(self, point_id: int, supplier_id: int, at: datetime) -> int:
        with self.write() as conn:
            return set_supplier(conn, point_id, supplier_id, at)

    def move_in(self, point_id: int, customer_id: int, at: datetime) -> int:
        with self.write() as conn:
            return move_in(conn, point_id, customer_id, at)

    def move_out(self, point_id: int, at: datetime) -> None:
        with self.write() as conn:
            move_out(conn, point_id, at)

    def point_histories(self, point_ids: Iterable[int] | None = None) -> dict[int, PointHistory]:
        with self.read() as conn:
            return point_histories(conn, point_ids)

    def points_of_party(self, kind: str, party_id: int) -> list[int]:
        with self.read() as conn:
            return points_of_party(conn, kind, party_id)


__all__ = [
    "PartyOps",
    "Period",
    "PointHistory",
    "move_in",
    "move_out",
    "point_histories",
    "points_of_party",
    "set_supplier",
]
