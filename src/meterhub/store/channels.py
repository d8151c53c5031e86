"""Channels (DESIGN §3): a meter's measured quantities — A+, A−, R+, R−, the M-Bus values — with OBIS code,
unit, scaler and interval length, and the look-ups that join them to their meter, DSO and installation.

As in :mod:`meterhub.store.inventory`: functions taking a :class:`~meterhub.store.sql.Connection` (composable
in a caller's transaction) and :class:`ChannelOps`, the part of :class:`~meterhub.store.db.Store` that runs
them in a transaction of their own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from meterhub.store import schema as t
from meterhub.store.engine import StoreEngine
from meterhub.store.inventory import latest_grid_area
from meterhub.store.sql import chunks, id_filters, insert_id, rows_as


@dataclass(frozen=True, slots=True)
class Channel:
    id: int
    meter_id: int
    obis: str
    medium: str
    unit: str
    scaler: int
    interval_s: int


@dataclass(frozen=True, slots=True)
class ChannelPlace:
    """A channel with where its meter belongs: its DSO's code, its concentrator's code (an M-Bus sub-meter's is
    its parent meter's) and its parent meter."""

    channel_id: int
    interval_s: int
    unit: str
    medium: str
    meter_id: int
    parent_meter_id: int | None
    dso: str
    concentrator: str | None


def add_channel(
    conn: sa.Connection,
    meter_id: int,
    obis: str,
    *,
    unit: str,
    interval_s: int,
    medium: t.Medium = "electricity",
    scaler: int = 0,
) -> int:
    if interval_s <= 0 or 3600 % interval_s:
        raise ValueError(f"interval_s must divide one hour, got {interval_s}")
    stmt = t.channel.insert().values(
        meter_id=meter_id, obis=obis, medium=medium, unit=unit, scaler=scaler, interval_s=interval_s
    )
    return insert_id(conn, stmt)


def add_channels(conn: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Bulk-add channels: mappings with meter_id, obis, medium, unit, scaler, interval_s."""
    if rows:
        conn.execute(t.channel.insert(), list(rows))


def get_channel(conn: sa.Connection, channel_id: int) -> Channel | None:
    row = conn.execute(sa.select(t.channel).where(t.channel.c.id == channel_id)).first()
    return None if row is None else Channel(**row._mapping)


def list_channels(conn: sa.Connection, meter_ids: Sequence[int] | None = None) -> list[Channel]:
    """The channels (of the meters, if given), by id."""
    c = t.channel
    if meter_ids is None:
        return rows_as(Channel, conn.execute(sa.select(c).order_by(c.c.id)))
    out: list[Channel] = []
    for chunk in chunks(sorted(set(meter_ids))):
        out += rows_as(Channel, conn.execute(sa.select(c).where(c.c.meter_id.in_(chunk)).order_by(c.c.id)))
    return out


def channel_intervals(conn: sa.Connection, channel_ids: Sequence[int]) -> dict[int, int]:
    """``{channel_id: interval_s}`` for the channels that exist."""
    c = t.channel
    out: dict[int, int] = {}
    for among in id_filters(conn, c.c.id, channel_ids):
        out.update((row.id, row.interval_s) for row in conn.execute(sa.select(c.c.id, c.c.interval_s).where(among)))
    return out


def channels_with_dso(conn: sa.Connection, channel_ids: Sequence[int]) -> dict[int, tuple[Channel, str | None]]:
    """``{channel_id: (channel, code of its meter's DSO)}`` for the channels that exist (one query per call)."""
    c, m, p = t.channel, t.meter, t.party
    q = sa.select(c, p.c.code.label("dso_code")).select_from(
        c.join(m, m.c.id == c.c.meter_id).outerjoin(p, p.c.id == m.c.dso_id)
    )
    out: dict[int, tuple[Channel, str | None]] = {}
    for among in id_filters(conn, c.c.id, channel_ids):
        for row in conn.execute(q.where(among)):
            fields = dict(row._mapping)
            code = fields.pop("dso_code")
            out[int(row.id)] = (Channel(**fields), code)
    return out


def meter_channels(conn: sa.Connection, meter_serial: str | None = None) -> list[tuple[str, Channel]]:
    """``(meter serial, channel)`` of every channel (of one meter if given), by serial and OBIS code."""
    m, c = t.meter, t.channel
    q = sa.select(m.c.serial, c).join(c, c.c.meter_id == m.c.id)
    if meter_serial is not None:
        q = q.where(m.c.serial == meter_serial)
    out: list[tuple[str, Channel]] = []
    for row in conn.execute(q.order_by(m.c.serial, c.c.obis)):
        fields = dict(row._mapping)
        serial = fields.pop("serial")
        out.append((str(serial), Channel(**fields)))
    return out


def installed_channels(
    conn: sa.Connection, *, meter_ids: Sequence[int] | None = None, dso_id: int | None = None, before: datetime
) -> list[Channel]:
    """The channels of the given meters (else of the DSO's, else of every meter) installed before ``before``
    (or without an installation time), by id."""
    m, c = t.meter, t.channel
    q = (
        sa.select(c)
        .join(m, m.c.id == c.c.meter_id)
        .where(sa.or_(m.c.installed_at.is_(None), m.c.installed_at < before))
        .order_by(c.c.id)
    )
    if dso_id is not None:
        q = q.where(m.c.dso_id == dso_id)
    if meter_ids is None:
        return rows_as(Channel, conn.execute(q))
    out: list[Channel] = []
    for chunk in chunks(sorted(set(meter_ids))):
        out += rows_as(Channel, conn.execute(q.where(m.c.id.in_(chunk))))
    return sorted(out, key=lambda ch: ch.id)


def channel_places(
    conn: sa.Connection,
    *,
    electricity_obis: str,
    other_obis_like: str,
    dso_id: int | None = None,
    medium: str | None = None,
) -> list[ChannelPlace]:
    """One channel per meter with where it belongs (:class:`ChannelPlace`), by channel id: the channel with
    ``electricity_obis`` of an electricity meter, those whose OBIS code is ``LIKE other_obis_like`` of the
    other media; of one DSO and/or medium if given."""
    m, c, p, k = t.meter, t.channel, t.party, t.concentrator
    parent = m.alias("parent")
    conc_id = sa.func.coalesce(m.c.concentrator_id, parent.c.concentrator_id)
    q = (
        sa.select(
            c.c.id.label("channel_id"),
            c.c.interval_s,
            c.c.unit,
            m.c.medium,
            m.c.id.label("meter_id"),
            m.c.parent_meter_id,
            p.c.code.label("dso"),
            k.c.code.label("concentrator"),
        )
        .select_from(c)
        .join(m, m.c.id == c.c.meter_id)
        .join(p, p.c.id == m.c.dso_id)
        .outerjoin(parent, parent.c.id == m.c.parent_meter_id)
        .outerjoin(k, k.c.id == conc_id)
        .where(
            sa.or_(
                sa.and_(m.c.medium == "electricity", c.c.obis == electricity_obis),
                sa.and_(m.c.medium != "electricity", c.c.obis.like(other_obis_like)),
            )
        )
    )
    if dso_id is not None:
        q = q.where(m.c.dso_id == dso_id)
    if medium is not None:
        q = q.where(m.c.medium == medium)
    return rows_as(ChannelPlace, conn.execute(q.order_by(c.c.id)))


def installed_grid_area(conn: sa.Connection, channel_id: int) -> str | None:
    """The grid area of the metering point the channel's meter (or, for an M-Bus sub-meter without its own
    installation, its parent meter) is installed at — the latest installation; None when neither is
    installed. :class:`LookupError` for an unknown channel."""
    c, m = t.channel, t.meter
    row = conn.execute(
        sa.select(m.c.id, m.c.parent_meter_id).join(c, c.c.meter_id == m.c.id).where(c.c.id == channel_id)
    ).first()
    if row is None:
        raise LookupError(f"unknown channel {channel_id}")
    for meter_id in (row.id, row.parent_meter_id):
        if meter_id is None:
            continue
        area = latest_grid_area(conn, meter_id)
        if area is not None:
            return area[0]
    return None


class ChannelOps(StoreEngine):
    """The channel operations of :class:`~meterhub.store.db.Store`, each in a transaction of its own."""

    def add_channel(
        self, meter_id: int, obis: str, *, unit: str, interval_s: int, medium: t.Medium = "electricity", scaler: int = 0
    ) -> int:
        with self.write() as conn:
            return add_channel(conn, meter_id, obis, unit=unit, interval_s=interval_s, medium=medium, scaler=scaler)

    def add_channels(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Bulk-add channels: mappings with meter_id, obis, medium, unit, scaler, interval_s."""
        if rows:
            with self.write() as conn:
                add_channels(conn, rows)

    def get_channel(self, channel_id: int) -> Channel | None:
        with self.read() as conn:
            return get_channel(conn, channel_id)

    def list_channels(self, meter_ids: Sequence[int] | None = None) -> list[Channel]:
        with self.read() as conn:
            return list_channels(conn, meter_ids)


__all__ = [
    "Channel",
    "ChannelOps",
    "ChannelPlace",
    "add_channel",
    "add_channels",
    "channel_intervals",
    "channel_places",
    "channels_with_dso",
    "get_channel",
    "installed_channels",
    "installed_grid_area",
    "list_channels",
    "meter_channels",
]
