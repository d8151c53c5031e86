"""Home profiles and peer statistics as stored (migration 0011): ``home_profile`` — a household's description of
its home per (metering point, customer) — and ``peer_stat`` — the comparison's group statistics, aggregates only.

Who may read or change a profile is the portal's policy (the customer of a point they see); the platform job
that computes the statistics (:mod:`meterhub.mdm.peers`) reads every profile and the points' consumption
channels here, and writes the groups of at least 20 homes — the table refuses smaller ones (a CHECK).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from meterhub.store import schema as t
from meterhub.store.engine import StoreEngine
from meterhub.store.schema import DWELLINGS, HEATINGS
from meterhub.store.sql import insert_for

MBUS_VALUE_LIKE = "0.%.24.2.1.255"
"""The M-Bus sub-meters' consumption channels (gas, water, heat): OBIS 0-b:24.2.1 (b = 1…4)."""
A_PLUS = "1.0.1.8.0.255"


@dataclass(frozen=True, slots=True)
class HomeProfile:
    """A household's home as it describes it."""

    point_id: int
    party_id: int
    household_size: int
    heating: str  # one of schema.HEATINGS
    dwelling: str  # one of schema.DWELLINGS
    floor_area_m2: int | None
    has_pv: bool
    has_ev: bool
    has_heat_pump: bool
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True, slots=True)
class PointChannel:
    """A consumption channel of a metering point's current meters: electricity A+, or an M-Bus sub-meter's value."""

    point_id: int
    channel_id: int
    medium: str
    unit: str
    scaler: int
    interval_s: int


@dataclass(frozen=True, slots=True)
class PeerStat:
    """One group's statistics of one period (see migration 0011)."""

    medium: str
    period_kind: str  # month, season
    period_start: date
    group_key: str
    level: int  # criteria shared: 1 medium only … 4 medium, size, heating, dwelling
    unit: str
    homes: int
    mean: float
    efficient: float
    percentiles: tuple[float, ...]  # p5, p10, … p95
    computed_at: datetime


def _profile(row: sa.Row[object]) -> HomeProfile:
    m = row._mapping
    return HomeProfile(
        int(m["point_id"]), int(m["party_id"]), int(m["household_size"]), str(m["heating"]), str(m["dwelling"]),
        None if m["floor_area_m2"] is None else int(m["floor_area_m2"]), bool(m["has_pv"]), bool(m["has_ev"]),
        bool(m["has_heat_pump"]), m["updated_at"], str(m["updated_by"]),
    )  # fmt: skip


def get_home_profile(conn: sa.Connection, point_id: int, party_id: int) -> HomeProfile | None:
    p = t.home_profile
    row = conn.execute(sa.select(p).where(p.c.point_id == point_id, p.c.party_id == party_id)).first()
    return _profile(row) if row is not None else None


def set_home_profile(conn: sa.Connection, profile: HomeProfile) -> None:
    """Insert or replace the profile of (point, party)."""
    values = {
        "point_id": profile.point_id, "party_id": profile.party_id, "household_size": profile.household_size,
        "heating": profile.heating, "dwelling": profile.dwelling, "floor_area_m2": profile.floor_area_m2,
        "has_pv": profile.has_pv, "has_ev": profile.has_ev, "has_heat_pump": profile.has_heat_pump,
        "updated_at": profile.updated_at, "updated_by": profile.updated_by,
    }  # fmt: skip
    stmt = insert_for(conn, t.home_profile).values(values)
    keep = {k: v for k, v in values.items() if k not in ("point_id", "party_id")}
    conn.execute(stmt.on_conflict_do_update(index_elements=["point_id", "party_id"], set_=keep))


def latest_home_profiles(conn: sa.Connection) -> dict[int, HomeProfile]:
    """Every point's most recently changed profile (whoever made it)."""
    p = t.home_profile
    out: dict[int, HomeProfile] = {}
    for row in conn.execute(sa.select(p).order_by(p.c.point_id, p.c.updated_at, p.c.party_id)):
        prof = _profile(row)
        out[prof.point_id] = prof
    return out


def point_channels(conn: sa.Connection) -> list[PointChannel]:
    """The consumption channels of every metering point's meters installed now (and their M-Bus sub-meters)."""
    i, m, c = t.installation, t.meter, t.channel
    installed = sa.select(i.c.metering_point_id, i.c.meter_id).where(i.c.valid_to.is_(None)).subquery()
    stmt = (
        sa.select(installed.c.metering_point_id, c.c.id, c.c.medium, c.c.unit, c.c.scaler, c.c.interval_s)
        .select_from(m.join(c, c.c.meter_id == m.c.id))
        .join(installed, sa.or_(installed.c.meter_id == m.c.id, installed.c.meter_id == m.c.parent_meter_id))
        .where(
            sa.or_(
                sa.and_(c.c.medium == "electricity", c.c.obis == A_PLUS),
                sa.and_(c.c.medium != "electricity", c.c.obis.like(MBUS_VALUE_LIKE)),
            )
        )
        .order_by(installed.c.metering_point_id, c.c.id)
    )
    return [PointChannel(int(r[0]), int(r[1]), str(r[2]), str(r[3]), int(r[4]), int(r[5])) for r in conn.execute(stmt)]


def replace_peer_stats(
    conn: sa.Connection, medium: str, stats: Sequence[PeerStat], periods: Sequence[tuple[str, date]]
) -> int:
    """Replace the statistics of ``medium`` for the ``(period_kind, period_start)`` periods by ``stats`` (a group
    no longer large enough disappears); returns the rows written."""
    s = t.peer_stat
    for kind, start in periods:
        conn.execute(sa.delete(s).where(s.c.medium == medium, s.c.period_kind == kind, s.c.period_start == start))
    rows = [
        {"medium": x.medium, "period_kind": x.period_kind, "period_start": x.period_start, "group_key": x.group_key,
         "level": x.level, "unit": x.unit, "homes": x.homes, "mean": x.mean, "efficient": x.efficient,
         "percentiles": json.dumps([round(v, 6) for v in x.percentiles]), "computed_at": x.computed_at}
        for x in stats
    ]  # fmt: skip
    if rows:
        conn.execute(sa.insert(s), rows)
    return len(rows)


def peer_stats(
    conn: sa.Connection, medium: str, period_kind: str, starts: Sequence[date], group_keys: Sequence[str]
) -> list[PeerStat]:
    """The stored statistics of ``medium`` for the periods starting on ``starts`` among ``group_keys``."""
    s = t.peer_stat
    if not starts or not group_keys:
        return []
    stmt = sa.select(s).where(
        s.c.medium == medium, s.c.period_kind == period_kind, s.c.period_start.in_(list(starts)),
        s.c.group_key.in_(list(group_keys)),
    )  # fmt: skip
    out = []
    for row in conn.execute(stmt):
        m = row._mapping
        start = m["period_start"] if isinstance(m["period_start"], date) else date.fromisoformat(m["period_start"])
        out.append(PeerStat(
            str(m["medium"]), str(m["period_kind"]), start, str(m["group_key"]), int(m["level"]), str(m["unit"]),
            int(m["homes"]), float(m["mean"]), float(m["efficient"]), tuple(json.loads(m["percentiles"])),
            m["computed_at"],
        ))  # fmt: skip
    return out


def count_peer_stats(conn: sa.Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(t.peer_stat)).scalar_one())


class HomeProfileOps(StoreEngine):
    """Home profiles and peer statistics (part of :class:`~meterhub.store.db.Store`)."""

    def get_home_profile(self, point_id: int, party_id: int) -> HomeProfile | None:
        with self.read() as conn:
            return get_home_profile(conn, point_id, party_id)

    def set_home_profile(self, profile: HomeProfile) -> None:
        with self.write() as conn:
            set_home_profile(conn, profile)

    def peer_stats(
        self, medium: str, period_kind: str, starts: Sequence[date], group_keys: Sequence[str]
    ) -> list[PeerStat]:
        with self.read() as conn:
            return peer_stats(conn, medium, period_kind, starts, group_keys)


__all__ = [
    "DWELLINGS",
    "HEATINGS",
    "HomeProfile",
    "HomeProfileOps",
    "PeerStat",
    "PointChannel",
    "count_peer_stats",
    "get_home_profile",
    "latest_home_profiles",
    "peer_stats",
    "point_channels",
    "replace_peer_stats",
    "set_home_profile",
]
