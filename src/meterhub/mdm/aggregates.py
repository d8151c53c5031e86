"""Aggregates of interval data per DSO, grid area, concentrator or medium and local day (issue 5, §7).

For each group and day: the meters contributing data, the energy (sum of the present values of the current
block versions), the peak (the highest slot total over the group — the group's maximum quarter-hour for
electricity, hour for M-Bus media) with its time, and the load-duration curve (the slot totals sorted from
highest to lowest). Media are never mixed: a group is (group value, medium), and each medium is aggregated
over one channel per meter — active import A+ (``1.0.1.8.0.255``) for electricity, the M-Bus value
``0.b.24.2.1.255`` for gas, water and heat.

Privacy rule: an aggregate over fewer than :data:`MIN_METERS` meters is never returned outside the operator
role — the caller gets a :class:`Suppressed` marker in its place (no figures, not even the meter count).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

import numpy as np

from meterhub.mdm.quality import Quality, codes
from meterhub.store import Connection, IntervalBlock, Store
from meterhub.store.blocks import current_blocks
from meterhub.store.channels import channel_places
from meterhub.store.intervals import day_bounds_epoch, from_epoch
from meterhub.store.inventory import grid_areas_installed

GroupBy = Literal["dso", "grid_area", "concentrator", "medium"]
GROUP_BYS: tuple[str, ...] = ("dso", "grid_area", "concentrator", "medium")
MIN_METERS = 5
OPERATOR_ROLE = "operator"
ELECTRICITY_OBIS = "1.0.1.8.0.255"


@dataclass(frozen=True, slots=True)
class Aggregate:
    by: str
    group: str | None  # DSO code, grid area, concentrator code or medium; None: meters without one
    medium: str
    unit: str
    day: date
    interval_s: int
    meters: int
    energy: int
    peak: int
    peak_at: datetime | None  # start of the peak slot (UTC)
    load_duration: tuple[int, ...]
    missing_slots: int  # slots of contributing meters without a value (counted as 0 in the totals)
    suppressed: Literal[False] = False


@dataclass(frozen=True, slots=True)
class Suppressed:
    """In place of an aggregate over fewer than :data:`MIN_METERS` meters (outside the operator role)."""

    by: str
    group: str | None
    medium: str
    day: date
    reason: str = f"fewer than {MIN_METERS} meters"
    suppressed: Literal[True] = True


@dataclass(frozen=True, slots=True)
class _Chan:
    channel_id: int
    interval_s: int
    unit: str
    medium: str
    group: str | None


#: The channels the media other than electricity are aggregated over: the M-Bus values 0.b.24.2.1.255 (b = 1…4),
#: as an SQL LIKE pattern.
MBUS_VALUE_OBIS_LIKE = "0.%.24.2.1.255"


def _channels(conn: Connection, by: GroupBy, day: date, dso_id: int | None, medium: str | None) -> list[_Chan]:
    places = channel_places(
        conn, electricity_obis=ELECTRICITY_OBIS, other_obis_like=MBUS_VALUE_OBIS_LIKE, dso_id=dso_id, medium=medium
    )
    areas: dict[int, str | None] = {}
    if by == "grid_area":
        lo, hi = (from_epoch(e) for e in day_bounds_epoch(day))
        areas = grid_areas_installed(conn, lo, hi)  # the latest installation of the day wins
    out: list[_Chan] = []
    for r in places:
        if by == "dso":
            group: str | None = r.dso
        elif by == "concentrator":
            group = r.concentrator
        elif by == "medium":
            group = r.medium
        else:
            group = areas.get(r.meter_id)
            if group is None and r.parent_meter_id is not None:
                group = areas.get(r.parent_meter_id)
        out.append(_Chan(r.channel_id, r.interval_s, r.unit, r.medium, group))
    return out


def aggregate(
    store: Store,
    day: date,
    by: GroupBy,
    *,
    role: str,
    dso_id: int | None = None,
    medium: str | None = None,
) -> list[Aggregate | Suppressed]:
    """The aggregates of one local ``day`` grouped ``by`` DSO, grid area, concentrator or medium (optionally
    only the meters of ``dso_id`` and/or one ``medium``), ordered by (medium, group). Outside the
    :data:`OPERATOR_ROLE`, groups of fewer than :data:`MIN_METERS` contributing meters come back as
    :class:`Suppressed`."""
    if by not in GROUP_BYS:
        raise ValueError(f"cannot aggregate by {by!r} (one of {', '.join(GROUP_BYS)})")
    with store.read() as conn:
        chans = _channels(conn, by, day, dso_id, medium)
        blocks = {b.channel_id: b for b in current_blocks(conn, [ch.channel_id for ch in chans], day, day)}
    groups: dict[tuple[str, str | None, int, str], list[IntervalBlock]] = {}
    for ch in chans:
        block = blocks.get(ch.channel_id)
        if block is None:
            continue  # no data that day: the meter does not contribute
        groups.setdefault((ch.medium, ch.group, ch.interval_s, ch.unit), []).append(block)
    start = day_bounds_epoch(day)[0]
    out: list[Aggregate | Suppressed] = []
    for (med, group, interval_s, unit), members in sorted(groups.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        if role != OPERATOR_ROLE and len(members) < MIN_METERS:
            out.append(Suppressed(by, group, med, day))
            continue
        values = np.stack([b.values for b in members])
        present = np.stack([codes(b.quality) != Quality.MISSING for b in members])
        totals = np.where(present, values, 0).sum(axis=0)
        peak_slot = int(np.argmax(totals)) if totals.size else 0
        out.append(
            Aggregate(
                by=by,
                group=group,
                medium=med,
                unit=unit,
                day=day,
                interval_s=interval_s,
                meters=len(members),
                energy=int(totals.sum()),
                peak=int(totals.max()) if totals.size else 0,
                peak_at=datetime.fromtimestamp(start + peak_slot * interval_s, UTC) if totals.size else None,
                load_duration=tuple(np.sort(totals)[::-1].tolist()),
                missing_slots=int((~present).sum()),
            )
        )
    return out


def aggregate_days(
    store: Store,
    day_from: date,
    day_to: date,
    by: GroupBy,
    *,
    role: str,
    dso_id: int | None = None,
    medium: str | None = None,
) -> list[Aggregate | Suppressed]:
    """:func:`aggregate` for each day of ``day_from..day_to`` (inclusive), in day order."""
    out: list[Aggregate | Suppressed] = []
    day = day_from
    while day <= day_to:
        out += aggregate(store, day, by, role=role, dso_id=dso_id, medium=medium)
        day += timedelta(days=1)
    return out


def visible(results: Sequence[Aggregate | Suppressed]) -> list[Aggregate]:
    """The aggregates that were not suppressed."""
    return [r for r in results if isinstance(r, Aggregate)]


__all__ = [
    "GROUP_BYS",
    "MIN_METERS",
    "OPERATOR_ROLE",
    "Aggregate",
    "GroupBy",
    "Suppressed",
    "aggregate",
    "aggregate_days",
    "visible",
]
