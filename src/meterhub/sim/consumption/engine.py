"""The day engine every household model runs on: a model states its integer energy per day block (vectorised over
days) and how a day's slots share it; :class:`DayModel` splits those totals over the slots exactly
(:func:`distribute`, floor of cumulative sums) and sums them into cumulative registers in closed form, with small
bounded caches (the last days' slot values, running prefix sums per day and per year), so that any window or
register instant costs a few days of work whatever its date.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import OrderedDict
from collections.abc import Sequence
from typing import Final

import numpy as np

from meterhub.sim.consumption.base import EPOCH_Q, F64, HORIZON, I64, MODEL_EPOCH, ORIGIN, QUARTER
from meterhub.sim.consumption.calendar import day_tables
from meterhub.sim.consumption.traits import HouseholdTraits

__all__ = ["DayModel", "check_time", "distribute"]


def check_time(t: dt.datetime, step: dt.timedelta) -> int:
    """Quarter index of an aligned aware instant within the horizon, else ValueError."""
    if t.tzinfo is None:
        raise ValueError(f"{t!r}: a timezone-aware datetime is required")
    delta = t - ORIGIN
    if delta % step:
        raise ValueError(f"{t.isoformat()} is not aligned to {int(step.total_seconds() // 60)} min UTC")
    q = int(delta // QUARTER)
    if q < EPOCH_Q:
        raise ValueError(f"{t.isoformat()} is before the model epoch {MODEL_EPOCH.isoformat()}")
    if q > int(day_tables().start_q[-1]):
        raise ValueError(f"{t.isoformat()} is beyond the model horizon {HORIZON.isoformat()}")
    return q


def distribute(totals: I64, weights: F64, bounds: Sequence[int]) -> I64:
    """Split integer block totals (C, B) over slots (n, C) in proportion to weights, exactly, by floor of cumsums.

    ``bounds`` are the B+1 slot boundaries of the contiguous blocks. Every block's values sum exactly to its total
    (the last slot of a block has relative cumulative weight x/x = 1.0 exactly); blocks with no weight are split
    evenly.
    """
    n = weights.shape[0]
    cum = np.zeros((n + 1, weights.shape[1]))
    np.cumsum(weights, axis=0, out=cum[1:])
    sizes = np.diff(np.asarray(bounds))
    block = np.repeat(np.arange(len(sizes)), sizes)
    s = np.asarray(bounds[:-1])[block]
    e = np.asarray(bounds[1:])[block]
    span = cum[e] - cum[s]
    rel = cum[1:] - cum[s]
    empty = span <= 0
    if empty.any():
        even = ((np.arange(1, n + 1) - s) / (e - s))[:, None]
        rel = np.where(empty, even, rel)
        span = np.where(empty, 1.0, span)
    part = np.floor(totals.T[block] * (rel / span)).astype(np.int64)
    running = np.concatenate([np.zeros((1, totals.shape[0]), np.int64), np.cumsum(totals.T, axis=0)[:-1]])
    cum_int = np.zeros((n + 1, totals.shape[0]), dtype=np.int64)
    cum_int[1:] = running[block] + part
    return np.diff(cum_int, axis=0)


class DayModel:
    """Common machinery: integer day-block totals (vectorised over days) and their exact split over slots."""

    step: dt.timedelta = QUARTER
    channels: int = 1
    _q_per_slot: int = 1
    _lru_size: Final = 8  # bounded per-instance cache of whole days of slot values (≤ 8 × 100 × 4 int64 = 25 kB)

    def __init__(self, traits: HouseholdTraits) -> None:
        self.traits = traits
        self._days: OrderedDict[int, I64] = OrderedDict()
        self._epoch_offset: I64 | None = None
        # Σ of block totals before each year's first local day (≤ 26 entries of (C, B + 1) floats: bounded).
        self._year_prefix: dict[int, F64] = {}
        self._day_prefix: OrderedDict[int, F64] = OrderedDict()

    # subclasses
    def _blocks(self, lo: int, hi: int) -> F64:
        """Integer-valued (floored) block totals of the local days lo…hi−1: (C, B, hi − lo) float64."""
        raise NotImplementedError

    def _split(self, day: int) -> tuple[F64, F64, Sequence[int]]:
        """(block totals (C, B), slot weights (slots, C), block bounds) of one local day."""
        raise NotImplementedError

    def _base(self) -> I64:
        """The installation reading at MODEL_EPOCH."""
        raise NotImplementedError

    # engine
    def _day(self, day: int) -> I64:
        cached = self._days.get(day)
        if cached is not None:
            self._days.move_to_end(day)
            return cached
        totals, weights, bounds = self._split(day)
        values = distribute(totals.astype(np.int64), weights, bounds)
        self._days[day] = values
        if len(self._days) > self._lru_size:
            self._days.popitem(last=False)
        return values

    def _locate(self, q: int) -> tuple[int, int]:
        """(local day, slot within the day) of a quarter index."""
        cal = day_tables()
        d = bisect.bisect_right(cal.starts, q) - 1
        return d, (q - cal.starts[d]) // self._q_per_slot

    def _window(self, start_utc: dt.datetime, n: int) -> I64:
        if n < 0:
            raise ValueError("n must be ≥ 0")
        q = check_time(start_utc, self.step)
        d, slot = self._locate(q)
        parts: list[I64] = []
        have = 0
        while have < n + slot:
            if d >= day_tables().n_days:
                raise ValueError(f"window beyond the model horizon {HORIZON.isoformat()}")
            values = self._day(d)
            parts.append(values)
            have += len(values)
            d += 1
        if not parts:
            return np.zeros((0, self.channels), dtype=np.int64)
        return np.concatenate(parts)[slot : slot + n] if len(parts) > 1 else parts[0][slot : slot + n]

    def _sums(self, lo: int, hi: int) -> F64:
        """(C, B + 1): Σ over days lo…hi−1 of each block total, and of block 1 on workdays (for TOU)."""
        blocks = self._blocks(lo, hi)
        out = np.zeros((blocks.shape[0], blocks.shape[1] + 1))
        if hi > lo:
            out[:, :-1] = blocks.sum(axis=2)
            out[:, -1] = (blocks[:, min(1, blocks.shape[1] - 1)] * day_tables().workday[lo:hi]).sum(axis=1)
        return out

    def _prefix(self, d: int) -> F64:
        """_sums(0, d): from a small per-day LRU (a daily read asks for the same few days again and again),
        else incrementally from a cached day up to a week before, else from the per-year memo."""
        cached = self._day_prefix.get(d)
        if cached is not None:
            self._day_prefix.move_to_end(d)
            return cached
        near = [k for k in self._day_prefix if d - self._lru_size <= k < d]
        if near:
            k = max(near)
            value = self._day_prefix[k] + self._sums(k, d)
        else:
            value = self._year_based_prefix(d)
        self._day_prefix[d] = value
        if len(self._day_prefix) > self._lru_size:
            self._day_prefix.popitem(last=False)
        return value

    def _year_based_prefix(self, d: int) -> F64:
        """_sums(0, d), from a per-year memo: only the days since the last 1 January are summed."""
        cal = day_tables()
        year = bisect.bisect_right(cal.year_starts, d) - 1
        y0 = cal.year_starts[year]
        memo = self._year_prefix.get(y0)
        if memo is None:
            memo = self._year_prefix[y0] = self._sums(0, y0)
        return memo + self._sums(y0, d)

    def _cumulative(self, q: int) -> I64:
        """Σ of all slot values from local day 0 up to quarter index q (exclusive)."""
        d, slot = self._locate(q)
        full = self._prefix(d)[:, :-1].sum(axis=1)
        return np.asarray(full.astype(np.int64) + self._day(d)[:slot].sum(axis=0), dtype=np.int64)

    def _register(self, t_utc: dt.datetime) -> I64:
        q = check_time(t_utc, self.step)
        if self._epoch_offset is None:
            self._epoch_offset = self._cumulative(EPOCH_Q)
        return np.asarray(self._base() + self._cumulative(q) - self._epoch_offset, dtype=np.int64)
