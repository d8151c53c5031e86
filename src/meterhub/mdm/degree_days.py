"""Heating degree days and a household's heating signature: how much gas or heat a home uses per degree day, and
its base use (hot water, cooking) that does not depend on the weather.

**Heating degree days** (Eurostat's definition, the one the EU's energy statistics use): a day whose mean air
temperature ``T`` is at or below the heating limit of 15 °C counts ``18 − T`` degree days (18 °C: the room
temperature the heating keeps); a warmer day counts none. A day at 10 °C is 8 degree days, one at −2 °C 20, one
at 16 °C 0. (The simulator's own models use the German G20/15; the History page and the advice use this one.)

**Heating signature** (:func:`fit_heating`): over days or months, consumption ``y`` against degree days ``h``
and days ``n`` of each period, the least-squares fit of ``y = base × n + per_degree_day × h`` — a line through
the daily points whose slope is the heating's use per degree day and whose value at 0 degree days is the base
use per day. Its R² compares the line with a constant use per day (1: the weather explains every difference).
Months fit the same model with their day counts, so a 28-day February and a 31-day March weigh their base use
right. The fit needs at least :data:`MIN_POINTS` periods with weather and some with degree days.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

import numpy as np

ROOM_C: Final = 18.0
"""The room temperature of the definition (°C)."""
LIMIT_C: Final = 15.0
"""The heating limit (°C): a day warmer than this counts no degree days."""
MIN_POINTS: Final = 3


def heating_degree_days(t_mean: float, room: float = ROOM_C, limit: float = LIMIT_C) -> float:
    """The heating degree days of one day of mean temperature ``t_mean`` (°C): ``room − t`` at or below ``limit``."""
    return room - t_mean if t_mean <= limit else 0.0


@dataclass(frozen=True, slots=True)
class PeriodDegreeDays:
    """Degree days of a period (a day or a month): their sum over the days with weather, and the day counts."""

    start: date
    degree_days: float
    days: int  # the period's days
    days_with_weather: int

    @property
    def complete(self) -> bool:
        return self.days_with_weather == self.days


def monthly_degree_days(temperatures: Mapping[date, float], first: date, last: date) -> list[PeriodDegreeDays]:
    """Each calendar month touching [first, last] (days outside it not counted): its degree days from
    ``temperatures`` (day → mean °C; a day absent has no weather)."""
    out: dict[date, list[float]] = {}
    counts: dict[date, int] = {}
    day = first
    one = date.fromordinal(first.toordinal() + 1) - first
    while day <= last:
        month = day.replace(day=1)
        counts[month] = counts.get(month, 0) + 1
        t = temperatures.get(day)
        out.setdefault(month, [])
        if t is not None:
            out[month].append(heating_degree_days(t))
        day += one
    return [PeriodDegreeDays(m, float(sum(v)), counts[m], len(v)) for m, v in out.items()]


@dataclass(frozen=True, slots=True)
class HeatingFit:
    """A heating signature: use per degree day, base use per day, how well the line fits (R²), and what it is
    fitted on (periods, their days and degree days, and the consumption)."""

    per_degree_day: float
    base_per_day: float
    r2: float
    periods: int
    days: int
    degree_days: float
    consumption: float

    @property
    def base_share(self) -> float:
        """The base use's share of the consumption fitted on (0 … 1; the rest is heating)."""
        if self.consumption <= 0:
            return 0.0
        return min(1.0, max(0.0, self.base_per_day * self.days / self.consumption))

    def expected(self, degree_days: float, days: int = 1) -> float:
        return self.base_per_day * days + self.per_degree_day * degree_days


def fit_heating(
    consumption: Sequence[float], degree_days: Sequence[float], days: Sequence[int] | None = None
) -> HeatingFit | None:
    """The least-squares heating signature of periods (see the module docstring); None when it cannot be fitted
    (fewer than :data:`MIN_POINTS` periods, no degree days at all, or degree days proportional to the days)."""
    y = np.asarray(consumption, np.float64)
    h = np.asarray(degree_days, np.float64)
    n = np.ones_like(y) if days is None else np.asarray(days, np.float64)
    if not (y.shape == h.shape == n.shape) or y.size < MIN_POINTS or not np.any(h > 0):
        return None
    x = np.column_stack([n, h])
    if np.linalg.matrix_rank(x) < 2:
        return None
    (base, slope), *_ = np.linalg.lstsq(x, y, rcond=None)
    fitted = x @ np.array([base, slope])
    ss_res = float(np.sum((y - fitted) ** 2))
    ss_tot = float(np.sum((y - n * (np.sum(y) / np.sum(n))) ** 2))  # against a constant use per day
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0
    return HeatingFit(float(slope), float(base), r2, int(y.size), int(np.sum(n)), float(np.sum(h)), float(np.sum(y)))


def paired(
    values: Iterable[tuple[date, float | None]], degree_days: Mapping[date, PeriodDegreeDays]
) -> tuple[list[tuple[date, float, PeriodDegreeDays]], list[date]]:
    """The periods with both a consumption and complete weather, and those with a consumption but weather missing."""
    both: list[tuple[date, float, PeriodDegreeDays]] = []
    no_weather: list[date] = []
    for start, value in values:
        if value is None:
            continue
        dd = degree_days.get(start)
        if dd is None or not dd.complete:
            no_weather.append(start)
        else:
            both.append((start, value, dd))
    return both, no_weather


__all__ = [
    "LIMIT_C",
    "MIN_POINTS",
    "ROOM_C",
    "HeatingFit",
    "PeriodDegreeDays",
    "fit_heating",
    "heating_degree_days",
    "monthly_degree_days",
    "paired",
]
