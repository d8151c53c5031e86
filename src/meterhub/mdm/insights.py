"""What a household's home page tells: this month so far against the same days last year, and the unusual things
in its own data — pure functions over raw slots (epoch starts, values in physical units, quality codes).

Days are Europe/Luxembourg local days. :func:`comparison_days` is the period "this month so far": the first of the
month to yesterday (today is still being read), or the whole previous month on the 1st; :func:`same_days_last_year`
the same day-of-month range a year earlier (29 February becomes the 28th). :func:`daily_totals` sums each day's
known slots (missing slots count for nothing; a day with none has no value) and counts its estimated and missing
slots; :func:`compare` pairs the two years day by day and states the change over the days both have data.

The unusual things are :class:`Insight` s — a kind, a severity and the numbers behind it; the page words them in
the reader's language:

- ``night_base_load_up`` (:func:`night_base_load`): the median average power of the 01:00–05:00 slots of the last
  14 days against that of the 8 weeks before, when it rose by at least 25 % and at least 30 W;
- ``continuous_flow`` (:func:`continuous_flow`): water (or gas) flowing in every hour for 24 hours or more — a
  leak, a running toilet, a dripping tap;
- ``days_missing`` and ``days_estimated`` (:func:`data_gaps`): days of the last 14 without data, incomplete, or
  with estimated values;
- ``midday_import_with_export`` (:func:`midday_import_with_export`): PV feed-in of at least 1 kWh a day while the
  home still buys at least 1 kWh a day between 11:00 and 15:00.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Final

import numpy as np
import numpy.typing as npt

from meterhub.mdm.quality import Quality, codes
from meterhub.store.intervals import LOCAL_TZ, day_bounds_epoch, day_range

RECENT_DAYS: Final = 14
"""The "last 14 days" of the insights."""
BEFORE_DAYS: Final = 56
"""The 8 weeks before them, the night base load's reference."""
NIGHT_HOURS: Final = (1, 5)
"""Local hours [from, to) of the night base load."""
MIDDAY_HOURS: Final = (11, 15)
"""Local hours [from, to) of "midday"."""
BASE_LOAD_RISE_PCT: Final = 25.0
BASE_LOAD_RISE_W: Final = 30.0
FLOW_HOURS: Final = 24
"""Hours of uninterrupted flow that make a leak."""
MIDDAY_KWH_PER_DAY: Final = 1.0
EXPORT_KWH_PER_DAY: Final = 1.0

Epochs = npt.NDArray[np.int64]
Values = npt.NDArray[np.float64]
Codes = npt.NDArray[np.integer]


@dataclass(frozen=True, slots=True)
class DayTotal:
    """One local day of one channel: the sum of its known slots (None: no slot known)."""

    day: date
    value: float | None
    known: int
    slots: int
    estimated: int

    @property
    def complete(self) -> bool:
        return self.known == self.slots


@dataclass(frozen=True, slots=True)
class Comparison:
    """This period against the same days last year (values in the channel's unit)."""

    this: list[DayTotal]
    last: list[DayTotal]
    this_total: float | None
    last_total: float | None
    days_compared: int
    this_compared: float
    last_compared: float
    change_pct: float | None

    @property
    def last_year_has_data(self) -> bool:
        return any(d.value is not None for d in self.last)


@dataclass(frozen=True, slots=True)
class Insight:
    """One unusual thing: what it is, how much it matters (``info`` < ``notice`` < ``warning``) and its numbers."""

    kind: str
    severity: str
    numbers: Mapping[str, float] = field(default_factory=dict)
    days: tuple[date, ...] = ()


def comparison_days(today: date) -> tuple[date, date]:
    """This month so far: its first day to yesterday; on the 1st the whole previous month."""
    if today.day == 1:
        last = today - timedelta(days=1)
        return last.replace(day=1), last
    return today.replace(day=1), today - timedelta(days=1)


def _year_before(d: date) -> date:
    return d.replace(year=d.year - 1, day=min(d.day, 28) if d.month == 2 and d.day == 29 else d.day)


def same_days_last_year(first: date, last: date) -> tuple[date, date]:
    """The same day-of-month range a year earlier."""
    return _year_before(first), _year_before(last)


def local_hours(epochs: Epochs) -> npt.NDArray[np.int64]:
    """The Europe/Luxembourg hour of the day (0–23) of each epoch (DST-correct)."""
    if epochs.size == 0:
        return np.zeros(0, np.int64)
    hours, inverse = np.unique(epochs - epochs % 3600, return_inverse=True)
    local = np.array([datetime.fromtimestamp(int(h), LOCAL_TZ).hour for h in hours.tolist()], np.int64)
    return local[inverse]


def _mask(epochs: Epochs, first: date, last: date) -> npt.NDArray[np.bool_]:
    lo, hi = day_bounds_epoch(first)[0], day_bounds_epoch(last)[1]
    return (epochs >= lo) & (epochs < hi)


def daily_totals(
    epochs: Epochs, values: Values, quality: Codes, interval_s: int, first: date, last: date
) -> list[DayTotal]:
    """Each local day of [first, last]: the sum of its known slots, their count, its slots, its estimated slots."""
    q = codes(np.asarray(quality, np.uint8))
    out = []
    for day in day_range(first, last):
        lo, hi = day_bounds_epoch(day)
        inside = (epochs >= lo) & (epochs < hi)
        known = inside & (q != Quality.MISSING)
        n = int(known.sum())
        total = float(values[known].sum()) if n else None
        estimated = int((inside & (q == Quality.ESTIMATED)).sum())
        out.append(DayTotal(day, total, n, (hi - lo) // interval_s, estimated))
    return out


def compare(this: Sequence[DayTotal], last: Sequence[DayTotal]) -> Comparison:
    """Both periods' totals, and the change over the days (paired by position) that both have data for."""
    this_total = sum(d.value for d in this if d.value is not None) if any(d.value is not None for d in this) else None
    last_total = sum(d.value for d in last if d.value is not None) if any(d.value is not None for d in last) else None
    pairs = [
        (a.value, b.value) for a, b in zip(this, last, strict=False) if a.value is not None and b.value is not None
    ]
    a_sum = float(sum(a for a, _ in pairs))
    b_sum = float(sum(b for _, b in pairs))
    change = (a_sum - b_sum) / b_sum * 100 if pairs and b_sum > 0 else None
    return Comparison(list(this), list(last), this_total, last_total, len(pairs), a_sum, b_sum, change)


def night_base_load(epochs: Epochs, values: Values, quality: Codes, interval_s: int, today: date) -> Insight | None:
    """Electricity import (Wh per slot): the median 01:00–05:00 power of the last 14 days against the 8 weeks
    before; an insight when it rose ≥ 25 % and ≥ 30 W. Each period needs half its night slots known."""
    recent = (today - timedelta(days=RECENT_DAYS), today - timedelta(days=1))
    before = (recent[0] - timedelta(days=BEFORE_DAYS), recent[0] - timedelta(days=1))
    hours = local_hours(epochs)
    night = (hours >= NIGHT_HOURS[0]) & (hours < NIGHT_HOURS[1]) & (codes(np.asarray(quality, np.uint8)) != 0)
    per_night = (NIGHT_HOURS[1] - NIGHT_HOURS[0]) * 3600 // interval_s
    watts = values * 3600.0 / interval_s
    medians = []
    for (a, b), days in ((before, BEFORE_DAYS), (recent, RECENT_DAYS)):
        sel = night & _mask(epochs, a, b)
        if sel.sum() < per_night * days / 2:
            return None
        medians.append(float(np.median(watts[sel])))
    was, now = medians
    rise = now - was
    if was <= 0 or rise < BASE_LOAD_RISE_W or rise / was * 100 < BASE_LOAD_RISE_PCT:
        return None
    numbers = {"before_w": round(was), "now_w": round(now), "rise_pct": round(rise / was * 100),
               "extra_kwh_year": round(rise * 24 * 365.25 / 1000)}  # fmt: skip
    return Insight("night_base_load_up", "notice", numbers)


def continuous_flow(epochs: Epochs, values: Values, quality: Codes) -> Insight | None:
    """Water or gas (litres per slot): the longest run of consecutive clock hours, each fully known with a flow
    above zero; an insight when it lasts :data:`FLOW_HOURS` or more (``ongoing``: it reaches the last known hour)."""
    if epochs.size == 0:
        return None
    hour = epochs - epochs % 3600
    starts, inverse = np.unique(hour, return_inverse=True)
    known = codes(np.asarray(quality, np.uint8)) != Quality.MISSING
    litres = np.bincount(inverse, weights=np.where(known, values, 0.0), minlength=starts.size)
    unknown = np.bincount(inverse, weights=(~known).astype(np.float64), minlength=starts.size) > 0
    flowing = (litres > 0) & ~unknown
    best = (0, 0)  # (length, end index exclusive)
    run = 0
    for i in range(starts.size):
        if not flowing[i]:
            run = 0
            continue
        run = run + 1 if run > 0 and starts[i] - starts[i - 1] == 3600 else 1
        if run > best[0]:
            best = (run, i + 1)
    length, end = best
    if length < FLOW_HOURS:
        return None
    seg = litres[end - length : end]
    last_known = int(np.flatnonzero(~unknown)[-1]) + 1 if (~unknown).any() else starts.size
    numbers = {"hours": length, "litres": round(float(seg.sum()), 1), "min_l_per_h": round(float(seg.min()), 1),
               "since": int(starts[end - length]), "ongoing": int(end == last_known)}  # fmt: skip
    return Insight("continuous_flow", "warning", numbers)


def data_gaps(days: Sequence[DayTotal]) -> list[Insight]:
    """Days without data or incomplete (``days_missing``), days with estimated values (``days_estimated``)."""
    out = []
    missing = tuple(d.day for d in days if not d.complete)
    if missing:
        out.append(Insight("days_missing", "notice", {"days": len(missing)}, missing))
    estimated = tuple(d.day for d in days if d.estimated and d.complete)
    if estimated:
        out.append(Insight("days_estimated", "info", {"days": len(estimated)}, estimated))
    return out


def midday_import_with_export(
    imp: tuple[Epochs, Values, Codes], exp: tuple[Epochs, Values, Codes], today: date
) -> Insight | None:
    """Over the last 14 days (Wh per slot): feed-in of ≥ 1 kWh a day while ≥ 1 kWh a day is still bought between
    11:00 and 15:00 — flexible loads could run on the home's own solar power."""
    first, last = today - timedelta(days=RECENT_DAYS), today - timedelta(days=1)
    sums = []
    for epochs, values, quality, midday_only in ((*imp, True), (*exp, False)):
        sel = _mask(epochs, first, last) & (codes(np.asarray(quality, np.uint8)) != Quality.MISSING)
        if midday_only:
            hours = local_hours(epochs)
            sel &= (hours >= MIDDAY_HOURS[0]) & (hours < MIDDAY_HOURS[1])
        sums.append(float(values[sel].sum()) / 1000 / RECENT_DAYS)
    midday, export = sums
    if export < EXPORT_KWH_PER_DAY or midday < MIDDAY_KWH_PER_DAY:
        return None
    numbers = {"export_kwh_per_day": round(export, 1), "midday_import_kwh_per_day": round(midday, 1)}
    return Insight("midday_import_with_export", "info", numbers)


__all__ = [
    "BEFORE_DAYS",
    "RECENT_DAYS",
    "Comparison",
    "DayTotal",
    "Insight",
    "compare",
    "comparison_days",
    "continuous_flow",
    "daily_totals",
    "data_gaps",
    "local_hours",
    "midday_import_with_export",
    "night_base_load",
    "same_days_last_year",
]
