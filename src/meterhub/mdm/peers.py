"""Peer statistics: how much similar homes used, per medium, month and season — computed by the platform over
every home, stored as aggregates only, so that a household compares itself with other homes without any page
ever reading another home's data.

The job (:func:`run_peers`, ``meterhub mdm peers``) reads every metering point's consumption channels and
latest home profile in the store (a platform job, not a person's :class:`~meterhub.api.service.Access`) and,
per medium and **whole** local month (every day stored, no missing slot; estimated values count) and season
(winter December–February, spring, summer, autumn: three whole months), groups the homes by what they share —
the same widening as :func:`meterhub.mdm.comparison.peer_group`: medium + household size (5 = five or more) +
heating + dwelling type (level 4), then without the dwelling type (3), without heating (2), the medium alone
(1, which also counts homes without a profile). A group of fewer than :data:`~meterhub.mdm.comparison
.MIN_GROUP` homes is never stored. Stored per group: the number of homes, their mean, the mean of the best
(lowest) 20 % — "efficient similar homes", at least one home, as :func:`~meterhub.mdm.comparison.compare` — and
the percentiles p5, p10 … p95 (numpy's linear method); never a home's own figure. Units: kWh for electricity
(A+, import) and heat, m³ for gas and water.

A household's page (:func:`choose` and :func:`standing`) takes the narrowest stored group of its home and
places its own figure in it: the rank is estimated from the percentiles (1 = the lowest; exact when the
group's values are evenly spaced), the differences with the median (p50) and with efficient homes in per cent.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import numpy.typing as npt

from meterhub.country import LOCAL_TZ
from meterhub.mdm.comparison import EFFICIENT_SHARE, MIN_GROUP
from meterhub.mdm.quality import Quality, codes
from meterhub.store import Store
from meterhub.store.blocks import current_blocks
from meterhub.store.home_profiles import (
    HomeProfile,
    PeerStat,
    PointChannel,
    latest_home_profiles,
    point_channels,
    replace_peer_stats,
)
from meterhub.store.intervals import day_range, day_start_epoch

PERCENTILES = tuple(range(5, 100, 5))
"""The percentiles stored per group: p5 … p95."""
MEDIA = ("electricity", "gas", "heat", "water")
UNITS = {"Wh": ("kWh", 1e-3), "kWh": ("kWh", 1.0), "l": ("m³", 1e-3), "m3": ("m³", 1.0)}
"""A channel's unit → the unit of the statistics and the factor to it."""
SEASONS = {12: "winter", 3: "spring", 6: "summer", 9: "autumn"}
"""A season by the month it starts in (meteorological seasons, three months each)."""


def size_bucket(household_size: int) -> int:
    """Household sizes 1 … 4 as they are, five or more as 5."""
    return max(1, min(5, household_size))


def group_keys(profile: HomeProfile | None) -> list[tuple[int, str]]:
    """(level, key) of the groups a home belongs to, narrowest first (no profile: all homes of the medium)."""
    if profile is None:
        return [(1, "*")]
    size = f"size={size_bucket(profile.household_size)}"
    heating = f"{size};heating={profile.heating}"
    return [(4, f"{heating};dwelling={profile.dwelling}"), (3, heating), (2, size), (1, "*")]


def month_add(month: date, n: int) -> date:
    k = month.year * 12 + month.month - 1 + n
    return date(k // 12, k % 12 + 1, 1)


def season_start(month: date) -> date:
    """The first month of the season ``month`` is in (December for winter: of the year before January)."""
    back = (month.month - 12) % 3  # months since the season's first: Dec 0, Jan 1, Feb 2, Mar 0, …
    return month_add(month.replace(day=1), -back)


@dataclass(frozen=True, slots=True)
class GroupFigures:
    homes: int
    mean: float
    efficient: float
    percentiles: tuple[float, ...]


def figures(values: Sequence[float]) -> GroupFigures:
    """A group's aggregates (see the module docstring)."""
    v = np.sort(np.asarray(values, dtype=np.float64))
    best = v[: max(1, math.ceil(EFFICIENT_SHARE * v.size))]
    pct = np.percentile(v, PERCENTILES) if v.size else np.zeros(len(PERCENTILES))
    return GroupFigures(int(v.size), float(v.mean()), float(best.mean()), tuple(float(x) for x in pct))


def group_stats(
    homes: Iterable[tuple[HomeProfile | None, float]],
    medium: str,
    unit: str,
    period_kind: str,
    period_start: date,
    now: datetime,
    min_group: int = MIN_GROUP,
) -> list[PeerStat]:
    """The statistics of every group of at least ``min_group`` homes among ``homes`` (profile, consumption)."""
    groups: dict[tuple[int, str], list[float]] = defaultdict(list)
    for profile, value in homes:
        for level_key in group_keys(profile):
            groups[level_key].append(value)
    out = []
    for (level, key), values in sorted(groups.items(), key=lambda kv: (-kv[0][0], kv[0][1])):
        if len(values) < min_group:
            continue
        f = figures(values)
        out.append(PeerStat(medium, period_kind, period_start, key, level, unit, f.homes, f.mean, f.efficient,
                            f.percentiles, now))  # fmt: skip
    return out


def whole_month_total(blocks_of_month: Sequence[tuple[date, np.ndarray, np.ndarray]], month: date) -> float | None:
    """The month's total of one channel from its (day, values, quality) blocks, or None unless every local day
    of the month is stored without a missing slot."""
    last = month_add(month, 1)
    want = set(day_range(month, date.fromordinal(last.toordinal() - 1)))
    seen = {d for d, _, _ in blocks_of_month}
    if seen != want:
        return None
    total = 0.0
    for _, v, q in blocks_of_month:
        if np.any(codes(q) == Quality.MISSING):
            return None
        total += float(np.sum(v))
    return total


def monthly_totals(
    epochs: npt.NDArray[np.int64],
    values: npt.NDArray[np.float64],
    quality: npt.NDArray[np.int8],
    interval_s: int,
    months: Sequence[date],
) -> list[float | None]:
    """A home's total of each local month of ``months`` (first days) from its slots (epoch starts, values,
    quality) — None unless every slot of the month is there and not missing, as the job counts a month."""
    out: list[float | None] = []
    known = codes(quality.astype(np.uint8)) != Quality.MISSING
    for m in months:
        lo, hi = day_start_epoch(m), day_start_epoch(month_add(m, 1))
        inside = (epochs >= lo) & (epochs < hi) & known
        whole = int(np.count_nonzero(inside)) == (hi - lo) // interval_s
        out.append(float(values[inside].sum()) if whole else None)
    return out


@dataclass(frozen=True, slots=True)
class PeersReport:
    months: int
    seasons: int
    stored: int
    homes: dict[str, int]  # medium → homes with a whole last month


def _monthly(store: Store, chans: Sequence[PointChannel], month: date, chunk: int = 400) -> dict[int, float]:
    """point → the month's total (in the statistics' unit) of its channel of this medium, whole months only."""
    out: dict[int, float] = {}
    last = date.fromordinal(month_add(month, 1).toordinal() - 1)
    by_id = {c.channel_id: c for c in chans}
    ids = sorted(by_id)
    for i in range(0, len(ids), chunk):
        with store.read() as conn:
            blocks = current_blocks(conn, ids[i : i + chunk], month, last)
        per: dict[int, list[tuple[date, np.ndarray, np.ndarray]]] = defaultdict(list)
        for b in blocks:
            per[b.channel_id].append((b.local_day, b.values, b.quality))
        for cid, days in per.items():
            total = whole_month_total(days, month)
            c = by_id[cid]
            if total is not None and c.unit in UNITS and c.point_id not in out:
                out[c.point_id] = total * 10.0**c.scaler * UNITS[c.unit][1]
    return out


def complete_months(now: datetime, months: int) -> list[date]:
    """The ``months`` whole local months before the one ``now`` is in, oldest first."""
    this = now.astimezone(LOCAL_TZ).date().replace(day=1)
    return [month_add(this, -k) for k in range(months, 0, -1)]


def run_peers(store: Store, now: datetime, months: int = 13, min_group: int = MIN_GROUP) -> PeersReport:
    """Compute and store the statistics of the ``months`` whole months before ``now`` and of the seasons whose
    three months are among them (replacing what was stored for those periods)."""
    span = complete_months(now, months)
    with store.read() as conn:
        profiles = latest_home_profiles(conn)
        chans = point_channels(conn)
    stored = 0
    firsts = [m for m in span if m.month in SEASONS and month_add(m, 2) in span]
    homes: dict[str, int] = {}
    for medium in MEDIA:
        of_medium = [c for c in chans if c.medium == medium and c.unit in UNITS]
        if not of_medium:
            continue
        unit = UNITS[of_medium[0].unit][0]
        totals = {m: _monthly(store, of_medium, m) for m in span}
        homes[medium] = len(totals[span[-1]]) if span else 0
        stats: list[PeerStat] = []
        for m in span:
            stats += group_stats(((profiles.get(p), v) for p, v in totals[m].items()), medium, unit, "month", m,
                                 now, min_group)  # fmt: skip
        for first in firsts:
            three = [month_add(first, k) for k in range(3)]
            both = set(totals[three[0]]) & set(totals[three[1]]) & set(totals[three[2]])
            rows = ((profiles.get(p), sum(totals[x][p] for x in three)) for p in sorted(both))
            stats += group_stats(rows, medium, unit, "season", first, now, min_group)
        periods = [("month", m) for m in span] + [("season", m) for m in span if m.month in SEASONS]
        with store.write() as conn:
            stored += replace_peer_stats(conn, medium, stats, periods)
    return PeersReport(len(span), len(firsts), stored, homes)


# ------------------------------------------------------------------------------------------------ a home's view


@dataclass(frozen=True, slots=True)
class Standing:
    """A home's figure placed in its group."""

    value: float
    rank: int  # 1 = the lowest consumption of the group
    of: int
    median: float
    efficient: float
    versus_median_pct: float
    versus_efficient_pct: float


def choose(profile: HomeProfile | None, stats: Sequence[PeerStat]) -> PeerStat | None:
    """The narrowest of the home's groups among ``stats`` (one period's), None when none is stored."""
    by_key = {s.group_key: s for s in stats}
    return next((by_key[k] for _, k in group_keys(profile) if k in by_key), None)


def rank_position(stat: PeerStat, value: float) -> float:
    """The value's position among the group's sorted values, 0 … homes − 1, interpolated between the stored
    percentiles (linearly extrapolated beyond p5 and p95, clamped)."""
    n = stat.homes - 1
    ps = np.asarray(stat.percentiles, dtype=np.float64)
    qs = np.asarray(PERCENTILES, dtype=np.float64) / 100.0
    if value <= ps[0] or value >= ps[-1]:
        i, j = (0, 1) if value <= ps[0] else (-2, -1)
        slope = (qs[j] - qs[i]) / (ps[j] - ps[i]) if ps[j] > ps[i] else 0.0
        q = qs[i] + (value - ps[i]) * slope if value <= ps[0] else qs[j] + (value - ps[j]) * slope
    else:
        k = int(np.searchsorted(ps, value, side="right"))  # ps[k-1] <= value < ps[k]
        lo, hi = ps[k - 1], ps[k]
        q = qs[k - 1] + (qs[k] - qs[k - 1]) * ((value - lo) / (hi - lo) if hi > lo else 0.0)
    return float(min(max(q * n, 0.0), n))


def _pct(value: float, of: float) -> float:
    return (value - of) / of * 100.0 if of > 0 else math.inf


def standing(stat: PeerStat, value: float) -> Standing:
    """The home's rank and differences in its group (see the module docstring)."""
    rank = 1 + round(rank_position(stat, value))
    median = stat.percentiles[PERCENTILES.index(50)]
    return Standing(value, rank, stat.homes, median, stat.efficient, _pct(value, median), _pct(value, stat.efficient))


__all__ = [
    "MEDIA",
    "PERCENTILES",
    "SEASONS",
    "UNITS",
    "GroupFigures",
    "PeersReport",
    "Standing",
    "choose",
    "figures",
    "group_keys",
    "group_stats",
    "month_add",
    "monthly_totals",
    "rank_position",
    "run_peers",
    "season_start",
    "size_bucket",
    "standing",
    "whole_month_total",
]
