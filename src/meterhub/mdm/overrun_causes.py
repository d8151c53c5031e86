"""Which loads cause a home's network-tariff overruns, guessed from the shape and timing of the quarter-hours.

An **overrun event** is a run of consecutive quarter-hours whose energy is above the reference power's allowance
(:func:`~meterhub.mdm.network_tariff.split_overrun`: level × 0.25 h). Each event is put in one class by rules on
its length, flatness, local start time and season — in this order, the first that fits wins:

* ``ev_charging`` — a long, high, flat block in the evening or at night: starting between 17:00 and 05:00
  local, flat (at least two thirds of its quarter-hours within ±15 % of their median: a charger draws a constant
  power, the last quarter-hour of a session is partial and other appliances add spikes), and either at least
  :data:`EV_MIN_SLOTS` quarter-hours (1.5 h) long or, at :data:`EV_HIGH_KW` and more — a power no kitchen
  keeps up for half an hour — at least two;
* ``cooking`` — a short spike at mealtime: at most :data:`COOKING_MAX_SLOTS` quarter-hours (1 h), starting
  11:30–13:00 or 18:00–20:00 local (hobs and oven);
* ``heat_pump`` — a winter morning: starting 05:00–10:00 local on a cold day — the day's mean outdoor
  temperature below :data:`COLD_C` when the weather is known, else a heating-season month (October … April), said
  so by :attr:`OverrunEvent.weather_known`;
* ``other`` — anything else (a sauna, a welder, several appliances at once).

The rules read only the home's own import A+ (export does not count towards overruns). They are a guess from
the shape of the load, not a measurement of appliances: the portal words them as "probably". Pure functions over
slot starts (UTC epoch) and kWh per slot (NaN = missing, nothing drawn).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from meterhub.mdm.network_tariff import drawn_kwh, split_overrun
from meterhub.mdm.series import local_seconds

Cause = Literal["ev_charging", "heat_pump", "cooking", "other"]
CAUSES: Final[tuple[Cause, ...]] = ("ev_charging", "heat_pump", "cooking", "other")

EV_MIN_SLOTS: Final = 6
"""An EV charging block lasts at least 1.5 h."""
EV_FLATNESS: Final = 0.15
"""…with two thirds of its quarter-hours within ±15 % of the block's median."""
EV_HIGH_KW: Final = 7.0
"""A flat block at this median power or more is a charger even when short (an 11 kW session of 6 kWh lasts
35 minutes)."""
COOKING_MAX_SLOTS: Final = 4
"""A cooking spike lasts at most 1 h."""
COLD_C: Final = 5.0
"""A day colder than this (mean outdoor °C) is a cold day for the heat pump rule."""
HEATING_MONTHS: Final = frozenset({10, 11, 12, 1, 2, 3, 4})
"""Without weather, the heating season's months stand for cold days."""
MEALTIMES_MIN: Final = ((11 * 60 + 30, 13 * 60), (18 * 60, 20 * 60))
"""Local start minutes of the mealtime windows [from, to)."""


@dataclass(frozen=True, slots=True)
class OverrunEvent:
    """One run of consecutive overrun quarter-hours and its likely cause."""

    start: int  # UTC epoch of the first slot
    slots: int
    overrun_kwh: float
    peak_kw: float
    local_start_min: int  # local wall-clock minute of the day the event starts
    weekday: int  # local, Monday 0
    month: int  # local
    cause: Cause
    weather_known: bool  # the heat pump rule used the day's temperature (else the month)


@dataclass(frozen=True, slots=True)
class CauseSummary:
    """All events of one cause: how many, their overrun quarter-hours and kWh, and the hours they start."""

    cause: Cause
    events: int
    slots: int
    overrun_kwh: float
    start_hours: tuple[int, ...]  # local hours the events start, most frequent first (at most 3)


def _civil_month(local_day: int) -> int:
    """The month (1…12) of a local day number (days since 1970-01-01)."""
    return int(np.datetime64(local_day, "D").astype("datetime64[M]").astype(int) % 12 + 1)


def _cause(e: npt.NDArray[np.float64], start_min: int, month: int, day_mean_c: float | None, interval_s: int) -> Cause:
    n = e.size
    evening_or_night = start_min >= 17 * 60 or start_min < 5 * 60
    median = float(np.median(e))
    near = int(np.count_nonzero(np.abs(e - median) <= EV_FLATNESS * median))
    flat = median > 0 and near >= 2 and 3 * near >= 2 * n
    long_enough = n * interval_s >= EV_MIN_SLOTS * 900 or (median * 3600.0 / interval_s >= EV_HIGH_KW and n >= 2)
    if evening_or_night and flat and long_enough:
        return "ev_charging"
    if n * interval_s <= COOKING_MAX_SLOTS * 900 and any(a <= start_min < b for a, b in MEALTIMES_MIN):
        return "cooking"
    cold = day_mean_c < COLD_C if day_mean_c is not None else month in HEATING_MONTHS
    if 5 * 60 <= start_min < 10 * 60 and cold:
        return "heat_pump"
    return "other"


def classify_overruns(
    starts: npt.ArrayLike,
    kwh: npt.ArrayLike,
    level_kw: float,
    *,
    interval_s: int = 900,
    day_mean_c: Mapping[int, float] | None = None,
) -> list[OverrunEvent]:
    """The overrun events of the slots under ``level_kw``, each with its likely cause (see the module docstring).

    ``day_mean_c`` maps a local day number (days since 1970-01-01, local) to that day's mean outdoor temperature;
    without it (or for a day it lacks) the heat pump rule uses the month."""
    t = np.asarray(starts, dtype=np.int64)
    e = drawn_kwh(kwh)
    if t.shape != e.shape:
        raise ValueError("starts and kwh differ in length")
    order = np.argsort(t, kind="stable")
    t, e = t[order], e[order]
    _, over = split_overrun(e, level_kw, interval_s)
    hit = np.flatnonzero(over > 0)
    if hit.size == 0:
        return []
    # runs of consecutive slots: a new run where the index or the time jumps
    breaks = np.flatnonzero((np.diff(hit) != 1) | (np.diff(t[hit]) != interval_s)) + 1
    local = local_seconds(t[hit])
    out: list[OverrunEvent] = []
    for run in np.split(np.arange(hit.size), breaks):
        idx = hit[run]
        first_local = int(local[run[0]])
        day = first_local // 86_400
        start_min = first_local % 86_400 // 60
        month = _civil_month(day)
        temp = day_mean_c.get(day) if day_mean_c is not None else None
        ev = e[idx]
        out.append(
            OverrunEvent(
                start=int(t[idx[0]]),
                slots=int(idx.size),
                overrun_kwh=float(over[idx].sum()),
                peak_kw=float(ev.max()) * 3600.0 / interval_s,
                local_start_min=start_min,
                weekday=(day + 3) % 7,  # 1970-01-01 was a Thursday
                month=month,
                cause=_cause(ev, start_min, month, temp, interval_s),
                weather_known=temp is not None,
            )
        )
    return out


def summarise(events: list[OverrunEvent]) -> list[CauseSummary]:
    """One summary per cause present, the largest overrun energy first."""
    out: list[CauseSummary] = []
    for cause in CAUSES:
        mine = [ev for ev in events if ev.cause == cause]
        if not mine:
            continue
        hours: dict[int, int] = {}
        for ev in mine:
            hours[ev.local_start_min // 60] = hours.get(ev.local_start_min // 60, 0) + 1
        top = tuple(h for h, _ in sorted(hours.items(), key=lambda kv: (-kv[1], kv[0]))[:3])
        out.append(
            CauseSummary(cause, len(mine), sum(ev.slots for ev in mine), sum(ev.overrun_kwh for ev in mine), top)
        )
    return sorted(out, key=lambda s: -s.overrun_kwh)


__all__ = [
    "CAUSES",
    "COLD_C",
    "COOKING_MAX_SLOTS",
    "EV_HIGH_KW",
    "EV_MIN_SLOTS",
    "Cause",
    "CauseSummary",
    "OverrunEvent",
    "classify_overruns",
    "summarise",
]
