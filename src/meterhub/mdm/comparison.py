"""Comparison of a home's consumption: with a reference home (the BDEW H0 standard profile scaled to the home's
annual energy) and with similar homes (same medium, household size, heating and dwelling type).

:func:`reference_home` spreads an annual energy over the slots of local days by the BDEW/VDEW 1999 H0 method
(``shared/ref/bdew-h0-load-profile.md``): day types workday / Saturday (and 24, 31 December) / Sunday and
Luxembourg public holidays, seasons winter (1 Nov – 20 Mar), transition, summer (15 May – 14 Sep), the static
shape of each (season, day type) by wall-clock quarter-hour, times the dynamisation polynomial F(day of year),
each calendar year scaled to the annual energy. The H0 table is the caller's (``meterhub.sim.consumption.calendar
.H0``, axes season winter/transition/summer × day type × 96 quarter-hours): this layer does not hold it.

:func:`peer_group` finds similar homes with at least :data:`MIN_GROUP` members, dropping criteria from the
least telling (dwelling type, then heating, then household size) until the group is large enough, and says so;
:func:`compare` ranks the home among them, takes "efficient similar homes" as the best (lowest) 20 % and gives
one sentence ("You used 12 % more than efficient similar homes last month."). :func:`reference_months` gives the
reference home's kWh per month for a home of a given type (:data:`REFERENCE_KWH`: household size, flat or house).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from meterhub.mdm.tariffs import public_holidays
from meterhub.store.intervals import day_range, local_day_slots, wall_slots

WORKDAY, SATURDAY, SUNDAY = 0, 1, 2
WINTER, TRANSITION, SUMMER = 0, 1, 2
MIN_GROUP = 20
EFFICIENT_SHARE = 0.2


def bdew_day_type(day: date) -> int:
    """WORKDAY, SATURDAY (also 24 and 31 December unless Sundays) or SUNDAY (also public holidays)."""
    if day.weekday() == 6 or day in public_holidays(day.year):
        return SUNDAY
    if day.weekday() == 5 or (day.month == 12 and day.day in (24, 31)):
        return SATURDAY
    return WORKDAY


def bdew_season(day: date) -> int:
    md = (day.month, day.day)
    if md >= (11, 1) or md <= (3, 20):
        return WINTER
    if (5, 15) <= md <= (9, 14):
        return SUMMER
    return TRANSITION


def dynamisation(day_of_year: float) -> float:
    """The H0 dynamisation polynomial F(d) (≈ 1.24 on 1 January, minimum ≈ 0.785 around day 200)."""
    d = day_of_year
    return -3.92e-10 * d**4 + 3.2e-7 * d**3 - 7.02e-5 * d**2 + 2.1e-3 * d + 1.24


def _raw_days(days: Sequence[date], h0: npt.NDArray[np.float64], interval_s: int) -> list[npt.NDArray[np.float64]]:
    if interval_s != 900:
        raise ValueError("the H0 profile is per quarter-hour (900 s)")
    return [
        h0[bdew_season(d), bdew_day_type(d)][wall_slots(d, 900)] * dynamisation(d.timetuple().tm_yday) for d in days
    ]


def reference_home(
    annual_kwh: float, day_from: date, day_to: date, h0: npt.ArrayLike, interval_s: int = 900
) -> npt.NDArray[np.float64]:
    """kWh per slot of the local days of the H0 reference home using ``annual_kwh`` per calendar year."""
    shape = np.asarray(h0, dtype=np.float64)
    if shape.shape != (3, 3, 96):
        raise ValueError(f"the H0 table must be seasons × day types × 96 quarter-hours, got {shape.shape}")
    out: list[npt.NDArray[np.float64]] = []
    for year in range(day_from.year, day_to.year + 1):
        whole = _raw_days(day_range(date(year, 1, 1), date(year, 12, 31)), shape, interval_s)
        scale = annual_kwh / float(sum(x.sum() for x in whole))
        first = max(day_from, date(year, 1, 1))
        last = min(day_to, date(year, 12, 31))
        lo, hi = (first - date(year, 1, 1)).days, (last - date(year, 1, 1)).days
        out += [x * scale for x in whole[lo : hi + 1]]
    return np.concatenate(out) if out else np.empty(0)


REFERENCE_KWH: dict[tuple[bool, int], float] = {
    (True, 1): 1400.0, (True, 2): 2000.0, (True, 3): 2500.0, (True, 4): 2800.0, (True, 5): 3200.0,
    (False, 1): 2000.0, (False, 2): 2900.0, (False, 3): 3500.0, (False, 4): 3900.0, (False, 5): 4700.0,
}  # fmt: skip
"""The reference home's electricity per year (kWh) by (apartment?, household size 1 … 5+): typical household
use without electric heating, hot water by electricity or an EV — close to the medians of the German
Stromspiegel 2023 for flats and houses, rounded (Luxembourg publishes no such table)."""


def reference_annual_kwh(household_size: int, apartment: bool) -> float:
    """The reference home's kWh per year for a household of ``household_size`` in a flat or a house."""
    return REFERENCE_KWH[(apartment, max(1, min(5, household_size)))]


@lru_cache(maxsize=32)
def _month_shares(year: int, h0: bytes) -> tuple[float, ...]:
    """The share of each calendar month of ``year`` in the H0 reference home's year (12 shares summing to 1)."""
    table = np.frombuffer(h0, dtype=np.float64).reshape(3, 3, 96)
    slots = reference_home(1.0, date(year, 1, 1), date(year, 12, 31), table)
    days = day_range(date(year, 1, 1), date(year, 12, 31))
    per_day = np.array([local_day_slots(d, 900) for d in days])
    month_of_slot = np.repeat(np.array([d.month - 1 for d in days]), per_day)
    return tuple(np.bincount(month_of_slot, weights=slots, minlength=12).tolist())


def reference_months(annual_kwh: float, months: Sequence[date], h0: npt.ArrayLike) -> list[float]:
    """kWh of the H0 reference home using ``annual_kwh`` per year in each local month of ``months`` (first days);
    each year's monthly shares are computed once (cached)."""
    table = np.ascontiguousarray(h0, dtype=np.float64).tobytes()
    return [annual_kwh * _month_shares(m.year, table)[m.month - 1] for m in months]


@dataclass(frozen=True, slots=True)
class Home:
    """A home's facts and its consumption over the compared period (kWh, or m³ / litres for volumes)."""

    point_id: int
    medium: str
    household_size: int
    heating: str
    dwelling: str
    consumption: float


@dataclass(frozen=True, slots=True)
class PeerGroup:
    """The similar homes (the home itself excluded) and what they have in common."""

    members: tuple[Home, ...]
    criteria: tuple[str, ...]  # of medium, household_size, heating, dwelling
    broader: bool  # criteria were dropped to reach MIN_GROUP
    description: str


_CRITERIA = ("medium", "household_size", "heating", "dwelling")
_NAMES = {"medium": "medium", "household_size": "household size", "heating": "heating", "dwelling": "dwelling type"}


def peer_group(home: Home, homes: Sequence[Home], min_size: int = MIN_GROUP) -> PeerGroup | None:
    """The narrowest group of at least ``min_size`` other homes sharing the home's facts, dropping dwelling type,
    then heating, then household size; None when even the same medium has fewer."""
    others = [h for h in homes if h.point_id != home.point_id]
    for n in range(len(_CRITERIA), 0, -1):
        crit = _CRITERIA[:n]
        members = tuple(h for h in others if all(getattr(h, c) == getattr(home, c) for c in crit))
        if len(members) >= min_size:
            same = ", ".join(_NAMES[c] for c in crit)
            broader = n < len(_CRITERIA)
            text = f"{len(members)} homes with the same {same}"
            if broader:
                dropped = ", ".join(_NAMES[c] for c in _CRITERIA[n:])
                text += f" (a broader group: fewer than {min_size} homes also share the {dropped})"
            return PeerGroup(members, crit, broader, text)
    return None


@dataclass(frozen=True, slots=True)
class Comparison:
    """The home against its group."""

    consumption: float
    group_average: float
    efficient: float  # the average of the best 20 % of the group
    rank: int  # 1 = lowest consumption, among the group and the home
    of: int
    versus_efficient_pct: float  # (home − efficient) / efficient × 100
    sentence: str


def compare(home: Home, group: PeerGroup, period: str = "last month") -> Comparison:
    """Rank and one sentence against "efficient similar homes" (the best 20 % of the group, at least one)."""
    values = np.sort(np.array([h.consumption for h in group.members], dtype=np.float64))
    best = values[: max(1, math.ceil(EFFICIENT_SHARE * values.size))]
    efficient = float(best.mean())
    rank = 1 + int(np.count_nonzero(values < home.consumption))
    pct = (home.consumption - efficient) / efficient * 100.0 if efficient > 0 else math.inf
    shown = round(abs(pct))
    if not math.isfinite(pct):
        sentence = f"Efficient similar homes used nothing {period}; you used {home.consumption:g}."
    elif shown == 0:
        sentence = f"You used as much as efficient similar homes {period}."
    else:
        word = "more" if pct > 0 else "less"
        sentence = f"You used {shown} % {word} than efficient similar homes {period}."
    return Comparison(home.consumption, float(values.mean()), efficient, rank, values.size + 1, pct, sentence)


__all__ = [
    "EFFICIENT_SHARE",
    "MIN_GROUP",
    "REFERENCE_KWH",
    "Comparison",
    "Home",
    "PeerGroup",
    "bdew_day_type",
    "bdew_season",
    "compare",
    "dynamisation",
    "peer_group",
    "reference_annual_kwh",
    "reference_home",
    "reference_months",
]
