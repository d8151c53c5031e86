"""Inventory and parties (DESIGN §3): DSOs and other parties, concentrators, metering points, meters and their
installations — who owns a meter, where it is installed and how the head-end reaches it.

Each operation is a function taking a :class:`~meterhub.store.sql.Connection`, so that a caller can compose
several in one transaction (the demo provisions a fleet, an import creates meters with their readings), and a
method of :class:`InventoryOps` (part of :class:`~meterhub.store.db.Store`) running it in a transaction of
its own. The channels of the meters are in :mod:`meterhub.store.channels`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from meterhub.store import schema as t
from meterhub.store.engine import StoreEngine
from meterhub.store.sql import chunks, id_filters, insert_id, rows_as


@dataclass(frozen=True, slots=True)
class Party:
    id: int
    kind: str
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Concentrator:
    id: int
    dso_id: int
    code: str
    host: str
    port: int


@dataclass(frozen=True, slots=True)
class MeteringPoint:
    id: int
    ean: str
    dso_id: int
    grid_area: str | None
    address: str | None
    postcode: str | None
    life_support: bool = False  # depends on life-support equipment: no remote disconnection (migration 0015)


@dataclass(frozen=True, slots=True)
class Meter:
    id: int
    serial: str
    dso_id: int
    model: str
    firmware: str
    medium: str
    parent_meter_id: int | None
    mbus_channel: int | None
    concentrator_id: int | None
    host: str | None
    port: int | None
    wport: int | None
    system_title: str | None
    installed_at: datetime | None


# --------------------------------------------------------------------------------------------- parties


def add_party(conn: sa.Connection, kind: t.PartyKind, code: str, name: str) -> int:
    return insert_id(conn, t.party.insert().values(kind=kind, code=code, name=name))


def list_parties(conn: sa.Connection, kind: t.PartyKind | None = None) -> list[Party]:
    q = sa.select(t.party).order_by(t.party.c.id)
    if kind is not None:
        q = q.where(t.party.c.kind == kind)
    return rows_as(Party, conn.execute(q))


def get_party(conn: sa.Connection, party_id: int) -> Party | None:
    row = conn.execute(sa.select(t.party).where(t.party.c.id == party_id)).first()
    return None if row is None else Party(**row._mapping)


def party_by_code(conn: sa.Connection, kind: t.PartyKind, code: str) -> Party | None:
    row = conn.execute(sa.select(t.party).where(t.party.c.kind == kind, t.party.c.code == code)).first()
    return None if row is None else Party(**row._mapping)


# --------------------------------------------------------------------------------------------- concentrators


def add_concentrator(conn: sa.Connection, dso_id: int, code: str, host: str, port: int) -> int:
    return insert_id(conn, t.concentrator.insert().values(dso_id=dso_id, code=code, host=host, port=port))


def list_concentrators(conn: sa.Connection, dso_id: int | None = None) -> list[Concentrator]:
    q = sa.select(t.concentrator).order_by(t.concentrator.c.id)
    if dso_id is not None:
        q = q.where(t.concentrator.c.dso_id == dso_id)
    return rows_as(Concentrator, conn.execute(q))


def set_concentrator_address(conn: sa.Connection, concentrator_id: int, host: str, port: int) -> None:
    k = t.concentrator
    conn.execute(k.update().where(k.c.id == concentrator_id).values(host=host, port=port))


# --------------------------------------------------------------------------------------------- metering points


def add_metering_point(
    conn: sa.Connection,
    ean: str,
    dso_id: int,
    *,
    grid_area: str | None = None,
    address: str | None = None,
    postcode: str | None = None,
) -> int:
    stmt = t.metering_point.insert().values(
        ean=ean, dso_id=dso_id, grid_area=grid_area, address=address, postcode=postcode
    )
    return insert_id(conn, stmt)


def list_metering_points(conn: sa.Connection, dso_id: int | None = None) -> list[MeteringPoint]:
    q = sa.select(t.metering_point).order_by(t.metering_point.c.id)
    if dso_id is not None:
        q = q.where(t.metering_point.c.dso_id == dso_id)
    return rows_as(MeteringPoint, conn.execute(q))


def install(
    conn: sa.Connection, metering_point_id: int, meter_id: int, valid_from: datetime, valid_to: datetime | None = None
) -> int:
    """Record that the meter is installed at the metering point from ``valid_from`` (to ``valid_to``)."""
    stmt = t.installation.insert().values(
        metering_point_id=metering_point_id, meter_id=meter_id, valid_from=valid_from, valid_to=valid_to
    )
    return insert_id(conn, stmt)


def points_page(
    conn: sa.Connection,
    *,
    after: int = 0,
    limit: int = 100,
    ids: Sequence[int] | None = None,
    dso_id: int | None = None,
    ean: str | None = None,
) -> list[MeteringPoint]:
    """Up to ``limit`` metering points with an id above ``after`` (a cursor), by id; among ``ids`` if given,
    of one DSO, or with one EAN."""
    mp = t.metering_point
    q = sa.select(mp).where(mp.c.id > after).order_by(mp.c.id).limit(limit)
    if ids is not None:
        if not ids:
            return []
        q = q.where(*id_filters(conn, mp.c.id, ids))
    if dso_id is not None:
        q = q.where(mp.c.dso_id == dso_id)
    if ean is not None:
        q = q.where(mp.c.ean == ean)
    return rows_as(MeteringPoint, conn.execute(q))


def get_metering_point(conn: sa.Connection, point_id: int) -> MeteringPoint | None:
    row = conn.execute(sa.select(t.metering_point).where(t.metering_point.c.id == point_id)).first()
    return None if row is None else MeteringPoint(**row._mapping)


@dataclass(frozen=True, slots=True)
class PointMeter:
    """A meter that measured a metering point in [valid_from, valid_to): installed there, or an M-Bus sub-meter of
    a meter installed there (its parent's installation period)."""

    meter: Meter
    valid_from: datetime
    valid_to: datetime | None


def point_meters(conn: sa.Connection, point_id: int) -> list[PointMeter]:
    """The meters of ``point_id`` over time, by installation start then meter id."""
    i, m = t.installation, t.meter
    inst = list(conn.execute(sa.select(i).where(i.c.metering_point_id == point_id).order_by(i.c.valid_from, i.c.id)))
    if not inst:
        return []
    parents = sorted({int(r.meter_id) for r in inst})
    rows = conn.execute(
        sa.select(m).where(sa.or_(*id_filters(conn, m.c.id, parents), *id_filters(conn, m.c.parent_meter_id, parents)))
    )
    meters = {int(r.id): Meter(**r._mapping) for r in rows}
    out: list[PointMeter] = []
    for r in inst:
        for meter in sorted(meters.values(), key=lambda x: x.id):
            if meter.id == r.meter_id or meter.parent_meter_id == r.meter_id:
                out.append(PointMeter(meter, r.valid_from, r.valid_to))
    return out


def grid_areas_installed(conn: sa.Connection, start: datetime, end: datetime) -> dict[int, str | None]:
    """``{meter_id: grid area}`` of the installations valid at some time in ``[start, end)``; a meter with
    several gets the one that started last."""
    i, mp = t.installation, t.metering_point
    q = (
        sa.select(i.c.meter_id, mp.c.grid_area)
        .join(mp, mp.c.id == i.c.metering_point_id)
        .where(i.c.valid_from < end, sa.or_(i.c.valid_to.is_(None), i.c.valid_to > start))
        .order_by(i.c.valid_from)
    )
    return {int(r.meter_id): r.grid_area for r in conn.execute(q)}


def latest_grid_area(conn: sa.Connection, meter_id: int) -> tuple[str | None] | None:
    """``(grid area,)`` of the metering point of the meter's latest installation (the area may be None), or
    None when the meter has never been installed."""
    i, mp = t.installation, t.metering_point
    row = conn.execute(
        sa.select(mp.c.grid_area)
        .join(i, i.c.metering_point_id == mp.c.id)
        .where(i.c.meter_id == meter_id)
        .order_by(i.c.valid_from.desc())
        .limit(1)
    ).first()
    return None if row is None else (None if row[0] is None else str(row[0]),)


# --------------------------------------------------------------------------------------------- meters


def add_meter(
    conn: sa.Connection,
    serial: str,
    dso_id: int,
    *,
    model: str,
    firmware: str,
    medium: t.Medium = "electricity",
    parent_meter_id: int | None = None,
    mbus_channel: int | None = None,
    concentrator_id: int | None = None,
    host: str | None = None,
    port: int | None = None,
    wport: int | None = None,
    system_title: str | bytes | None = None,
    installed_at: datetime | None = None,
) -> int:
    """Add a meter; ``system_title`` as 8 bytes or 16 hex digits (stored as lower-case hex)."""
    if isinstance(system_title, bytes):
        system_title = system_title.hex()
    if system_title is not None and len(bytes.fromhex(system_title)) != 8:
        raise ValueError(f"system title must be 8 bytes, got {system_title!r}")
    stmt = t.meter.insert().values(
        serial=serial,
        dso_id=dso_id,
        model=model,
        firmware=firmware,
        medium=medium,
        parent_meter_id=parent_meter_id,
        mbus_channel=mbus_channel,
        concentrator_id=concentrator_id,
        host=host,
        port=port,
        wport=wport,
        system_title=None if system_title is None else system_title.lower(),
        installed_at=installed_at,
    )
    return insert_id(conn, stmt)


def set_meter_address(
    conn: sa.Connection, meter_id: int, host: str | None, port: int | None, wport: int | None
) -> None:
    """Where the head-end reaches the meter (TCP host and port, wrapper port)."""
    m = t.meter
    conn.execute(m.update().where(m.c.id == meter_id).values(host=host, port=port, wport=wport))


def get_meter(conn: sa.Connection, meter_id: int) -> Meter | None:
    row = conn.execute(sa.select(t.meter).where(t.meter.c.id == meter_id)).first()
    return None if row is None else Meter(**row._mapping)


def meter_by_serial(conn: sa.Connection, serial: str) -> Meter | None:
    row = conn.execute(sa.select(t.meter).where(t.meter.c.serial == serial)).first()
    return None if row is None else Meter(**row._mapping)


def meters_by_serial(conn: sa.Connection, serials: Sequence[str]) -> dict[str, Meter]:
    """``{serial: meter}`` of the serials that name a meter."""
    out: dict[str, Meter] = {}
    for chunk in chunks(sorted(set(serials))):
        for meter in rows_as(Meter, conn.execute(sa.select(t.meter).where(t.meter.c.serial.in_(chunk)))):
            out[meter.serial] = meter
    return out


def list_meters(
    conn: sa.Connection,
    *,
    dso_id: int | None = None,
    concentrator_id: int | None = None,
    parent_meter_id: int | None = None,
    medium: t.Medium | None = None,
) -> list[Meter]:
    m = t.meter
    q = sa.select(m).order_by(m.c.id)
    for col, value in (
        (m.c.dso_id, dso_id),
        (m.c.concentrator_id, concentrator_id),
        (m.c.parent_meter_id, parent_meter_id),
        (m.c.medium, medium),
    ):
        if value is not None:
            q = q.where(col == value)
    return rows_as(Meter, conn.execute(q))


# --------------------------------------------------------------------------------------------- the Store part


class InventoryOps(StoreEngine):
    """The inventory operations of :class:`~meterhub.store.db.Store`, each in a transaction of its own."""

    def add_party(self, kind: t.PartyKind, code: str, name: str) -> int:
        with self.write() as conn:
            return add_party(conn, kind, code, name)

    def add_dso(self, code: str, name: str) -> int:
        return self.add_party("dso", code, name)

    def list_parties(self, kind: t.PartyKind | None = None) -> list[Party]:
        with self.read() as conn:
            return list_parties(conn, kind)

    def get_party(self, party_id: int) -> Party | None:
        with self.read() as conn:
            return get_party(conn, party_id)

    def party_by_code(self, kind: t.PartyKind, code: str) -> Party | None:
        with self.read() as conn:
            return party_by_code(conn, kind, code)

    def add_concentrator(self, dso_id: int, code: str, host: str, port: int) -> int:
        with self.write() as conn:
            return add_concentrator(conn, dso_id, code, host, port)

    def list_concentrators(self, dso_id: int | None = None) -> list[Concentrator]:
        with self.read() as conn:
            return list_concentrators(conn, dso_id)

    def add_metering_point(
        self,
        ean: str,
        dso_id: int,
        *,
        grid_area: str | None = None,
        address: str | None = None,
        postcode: str | None = None,
    ) -> int:
        with self.write() as conn:
            return add_metering_point(conn, ean, dso_id, grid_area=grid_area, address=address, postcode=postcode)

    def points_page(
        self,
        *,
        after: int = 0,
        limit: int = 100,
        ids: Sequence[int] | None = None,
        dso_id: int | None = None,
        ean: str | None = None,
    ) -> list[MeteringPoint]:
        with self.read() as conn:
            return points_page(conn, after=after, limit=limit, ids=ids, dso_id=dso_id, ean=ean)

    def get_metering_point(self, point_id: int) -> MeteringPoint | None:
        with self.read() as conn:
            return get_metering_point(conn, point_id)

    def point_meters(self, point_id: int) -> list[PointMeter]:
        with self.read() as conn:
            return point_meters(conn, point_id)

    def list_metering_points(self, dso_id: int | None = None) -> list[MeteringPoint]:
        with self.read() as conn:
            return list_metering_points(conn, dso_id)

    def add_meter(
        self,
        serial: str,
        dso_id: int,
        *,
        model: str,
        firmware: str,
        medium: t.Medium = "electricity",
        parent_meter_id: int | None = None,
        mbus_channel: int | None = None,
        concentrator_id: int | None = None,
        host: str | None = None,
        port: int | None = None,
        wport: int | None = None,
        system_title: str | bytes | None = None,
        installed_at: datetime | None = None,
    ) -> int:
        """Add a meter; ``system_title`` as 8 bytes or 16 hex digits (stored as lower-case hex)."""
        with self.write() as conn:
            return add_meter(
                conn,
                serial,
                dso_id,
                model=model,
                firmware=firmware,
                medium=medium,
                parent_meter_id=parent_meter_id,
                mbus_channel=mbus_channel,
                concentrator_id=concentrator_id,
                host=host,
                port=port,
                wport=wport,
                system_title=system_title,
                installed_at=installed_at,
            )

    def get_meter(self, meter_id: int) -> Meter | None:
        with self.read() as conn:
            return get_meter(conn, meter_id)

    def meter_by_serial(self, serial: str) -> Meter | None:
        with self.read() as conn:
            return meter_by_serial(conn, serial)

    def list_meters(
        self,
        *,
        dso_id: int | None = None,
        concentrator_id: int | None = None,
        parent_meter_id: int | None = None,
        medium: t.Medium | None = None,
    ) -> list[Meter]:
        with self.read() as conn:
            return list_meters(
                conn, dso_id=dso_id, concentrator_id=concentrator_id, parent_meter_id=parent_meter_id, medium=medium
            )

    def install(
        self, metering_point_id: int, meter_id: int, valid_from: datetime, valid_to: datetime | None = None
    ) -> int:
        with self.write() as conn:
            return install(conn, metering_point_id, meter_id, valid_from, valid_to)


__all__ = [
    "Concentrator",
    "InventoryOps",
    "Meter",
    "MeteringPoint",
    "Party",
    "PointMeter",
    "add_concentrator",
    "add_meter",
    "add_metering_point",
    "add_party",
    "get_meter",
    "get_metering_point",
    "get_party",
    "grid_areas_installed",
    "install",
    "latest_grid_area",
    "list_concentrators",
    "list_metering_points",
    "list_meters",
    "list_parties",
    "meter_by_serial",
    "meters_by_serial",
    "party_by_code",
    "point_meters",
    "points_page",
    "set_concentrator_address",
    "set_meter_address",
]
