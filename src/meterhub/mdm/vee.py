"""Validation of interval data (VEE, issue 5 deliverable 3): pure, vectorised numpy rules.

A channel's data is handled as one flat series of slots over consecutive Europe/Luxembourg days (92/96/100
quarter hours, 23/24/25 hours on DST days), described by a :class:`Layout`: for every slot its local day, its
*wall-clock* slot (so 02:15 on the fall-back day lines up with 02:15 on any other day, and a spring-forward day
simply has no 02:xx) and its day type (workday, Saturday, Sunday or Luxembourg public holiday).

:func:`validate` checks the *target* slots of the series against the rules of a :class:`VeeRules` and the
channel's own history (the slots before each target day), and returns a per-slot rule id
(:class:`~meterhub.mdm.quality.SuspectRule`, 0 = passed):

=================  =====================================================================================
rule               fires when
=================  =====================================================================================
``GAP``            no value (quality ``missing``)
``NEGATIVE_DELTA`` value < 0; also the rebound that gives the missing energy back after it
``HIGH_LIMIT``     value above the connection capacity (``capacity_per_hour`` over the interval)
``LOW_LIMIT``      value below ``low_limit`` (off by default)
``SPIKE``          robust z-score against the median/MAD of the same wall slot and day type over the last
                   ``history_days`` days above ``spike_z`` *and* above ``spike_factor`` × the channel's
                   largest recent value (so an EV charging at full power is not a spike); also the
                   fall-back after it
``STUCK_REGISTER`` a run of ≥ ``stuck_min_slots`` exact zeros (not explained by the export) where the history
                   says the channel always consumes (median > 0 on most of the run, ≥ ``stuck_min_expected``
                   in total), and the
                   catch-up slot right after it; a shorter run (≥ ``stuck_catch_up_slots``) when that
                   catch-up follows it
``ZERO_RUN``       a run of ≥ ``zero_run_slots`` zeros not explained by the export (0 disables; off for export
                   channels)
``SUM_CHECK``      between two register reads, all slots kept but their sum ≠ the register delta
``CLOCK_SHIFT``    a run of ≥ 2 consecutive target days whose hourly profile fits the channel's other days
                   clearly better shifted by one hour (a clock that missed a DST switch; see
                   :mod:`meterhub.mdm.vee_clock`)
``DST_SLOTS``      a day whose slot count is not the local day's (see :func:`check_slot_count`)
``DUPLICATE``,     readings, before they become slots (see :func:`check_readings`): two for one instant,
``TIMESTAMP``      or off the interval grid / out of order; a slot the import stored ``suspect`` with one of
                   these rules (the two slots around an instant read twice with different values) keeps it
=================  =====================================================================================

A prosumer's net import (A+, 1.0.1.8.0) is legitimately zero while its PV exports (A−, 1.0.2.8.0): given the
same meter's ``export`` on the same slots, the zeros it explains (:func:`explained_zeros`: inside a run of import
zeros, from its first to its last slot with export > 0) are no zeros for ``STUCK_REGISTER`` and ``ZERO_RUN``, and
a wall slot with such a zero within ``history_days`` counts as no "median > 0" for ``STUCK_REGISTER`` (a cloudy
days' median says nothing at an hour the home can cover itself). A register stuck at night — zeros while the
export is zero too — is still flagged; without ``export`` the rules are exactly as before. Rules are configured
per DSO and medium by a :class:`RuleBook` (defaults per medium in :data:`DEFAULT_RULES`). Nothing here reads a
clock, a database or a file.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import holidays
import numpy as np
import numpy.typing as npt

from meterhub.country import HOLIDAYS_COUNTRY
from meterhub.mdm.quality import Quality, SuspectRule, codes, quality_byte
from meterhub.store.intervals import Int64Array, UInt8Array, day_bounds_epoch, wall_slots

F64 = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

WORKDAY, SATURDAY, SUNDAY = 0, 1, 2
"""Day types: Sundays and Luxembourg public holidays are ``SUNDAY``."""


@dataclass(frozen=True, slots=True)
class VeeRules:
    """Thresholds of the validation rules and the estimation for one (DSO, medium) — see the module docstring.

    Energies are in the channel's base unit per interval (Wh, varh, litre). ``capacity_per_hour`` is the largest
    plausible flow through the connection in base units per hour: W (Wh per hour) for electricity and heat,
    litres per hour for gas and water.
    """

    medium: str = "electricity"
    capacity_per_hour: float = 27_600.0  # Wh/h = W: 3 × 40 A × 230 V, a common Luxembourg household connection
    low_limit: int | None = None
    spike_z: float = 12.0
    spike_factor: float = 1.5
    spike_min: int = 200
    history_days: int = 28
    min_history_days: int = 2
    stuck_min_slots: int = 4
    stuck_catch_up_slots: int = 0  # shorter runs (≥ this, 0 = none) are stuck when the catch-up follows them
    stuck_min_expected: float = 40.0
    stuck_expected_share: float = 0.9
    zero_run_slots: int = 48
    substitute_suspect: bool = True
    short_gap_slots: int = 4  # interpolation up to 1 h of 1/4 h slots
    proxy_days: int = 6
    proxy_weight: float = 0.3
    neighbour_slots: int = 8
    plateau_min: float = 600.0  # a block load of ≥ 2.4 kW per 1/4 h (EV, boiler); 0 disables
    plateau_ratio: float = 6.0
    plateau_excess: float = 2.5
    quantile_shape: bool = True  # a gap alone in its register segment: quantile-matched (estimation_quantile)

    def capacity(self, interval_s: int) -> float:
        """The largest plausible value of one interval (base units)."""
        return self.capacity_per_hour * interval_s / 3600.0


#: Defaults per medium (``capacity_per_hour`` in the medium's base unit per hour: gas and water in litres, i.e. dm³,
#: per hour; electricity and heat in Wh per hour).
DEFAULT_RULES: Mapping[str, VeeRules] = {
    "electricity": VeeRules(),
    "gas": VeeRules(
        medium="gas",
        short_gap_slots=1,  # hourly: interpolate a single missing hour only
        plateau_min=0.0,
        capacity_per_hour=40_000.0,  # L/h: 40 m³/h, a large G25 meter
        spike_min=500,
        stuck_min_slots=48,  # a boiler off for hours is normal in spring: shorter zero runs need their catch-up
        stuck_catch_up_slots=2,
        stuck_min_expected=100.0,
        zero_run_slots=0,
    ),
    "water": VeeRules(
        medium="water",
        short_gap_slots=1,  # hourly: interpolate a single missing hour only
        plateau_min=0.0,
        capacity_per_hour=2_500.0,  # L/h
        spike_min=300,
        stuck_min_slots=6,
        stuck_min_expected=200.0,
        zero_run_slots=0,
    ),
    "heat": VeeRules(
        medium="heat",
        short_gap_slots=1,  # hourly: interpolate a single missing hour only
        capacity_per_hour=30_000.0,  # Wh/h = W: a 30 kW heat connection
        spike_min=1000,
        stuck_min_slots=6,
        stuck_min_expected=500.0,
        zero_run_slots=0,
    ),
}

_DUPLICATE = quality_byte(Quality.SUSPECT, SuspectRule.DUPLICATE)
CATCH_UP_SHARE = 0.6
"""A short zero run's catch-up holds at least this share of the run's (and its own slot's) usual energy."""
CLOCK_JUMP_DAYS = 8
"""At most this many days between the two ends of a clock that was an hour off (see ``vee_clock``)."""
_TIMESTAMP = quality_byte(Quality.SUSPECT, SuspectRule.TIMESTAMP)

#: OBIS codes of channels that are legitimately zero for long stretches (export, reactive export).
_MOSTLY_ZERO_OBIS = ("1.0.2.8.0", "1.0.4.8.0")


@dataclass(frozen=True)
class RuleBook:
    """Rules per DSO and medium: ``overrides[(dso_code, medium)]`` beats ``defaults[medium]``."""

    defaults: Mapping[str, VeeRules] = field(default_factory=lambda: dict(DEFAULT_RULES))
    overrides: Mapping[tuple[str, str], VeeRules] = field(default_factory=dict)

    def rules_for(self, dso: str | None, medium: str, obis: str = "") -> VeeRules:
        rules = self.overrides.get((dso or "", medium)) or self.defaults.get(medium) or VeeRules(medium=medium)
        if obis.startswith(_MOSTLY_ZERO_OBIS):
            rules = replace(rules, zero_run_slots=0)
        return rules


# --------------------------------------------------------------------------------------------- layout


@functools.cache
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(HOLIDAYS_COUNTRY, years=[year]))


def day_type(day: date) -> int:
    """``WORKDAY``, ``SATURDAY`` or ``SUNDAY`` (Sundays and Luxembourg public holidays)."""
    if day.weekday() == 6 or day in _public_holidays(day.year):
        return SUNDAY
    return SATURDAY if day.weekday() == 5 else WORKDAY


@dataclass(frozen=True)
class Layout:
    """Slots of consecutive local days: per-day start offsets and per-slot wall slot, day type and day index."""

    days: tuple[date, ...]
    interval_s: int
    offsets: Int64Array  # (ndays + 1,) index of each day's first slot
    wall: npt.NDArray[np.int16]
    day_index: Int64Array
    day_types: npt.NDArray[np.int8]  # per day
    temperatures: F64  # per day (°C), NaN when unknown

    @classmethod
    def of(cls, days: Sequence[date], interval_s: int, temperatures: Sequence[float] | None = None) -> Layout:
        walls = [wall_slots(d, interval_s) for d in days]
        sizes = np.array([w.size for w in walls], dtype=np.int64)
        offsets = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
        temps = np.full(len(days), np.nan) if temperatures is None else np.asarray(temperatures, dtype=np.float64)
        return cls(
            tuple(days),
            interval_s,
            offsets,
            np.concatenate(walls) if walls else np.zeros(0, np.int16),
            np.repeat(np.arange(len(days), dtype=np.int64), sizes),
            np.array([day_type(d) for d in days], dtype=np.int8),
            temps,
        )

    @property
    def size(self) -> int:
        return int(self.offsets[-1])

    @property
    def walls_per_day(self) -> int:
        return 86_400 // self.interval_s

    def day_slice(self, i: int) -> slice:
        return slice(int(self.offsets[i]), int(self.offsets[i + 1]))


def check_slot_count(day: date, slots: int, interval_s: int) -> bool:
    """True if a block of ``slots`` slots fits the local ``day`` (DST days have 92/100 quarter hours)."""
    start, end = day_bounds_epoch(day)
    return slots * interval_s == end - start


def check_readings(epochs: Int64Array, values: Int64Array, interval_s: int) -> UInt8Array:
    """Rule per cumulative reading in arrival order: ``DUPLICATE`` (an earlier reading for the same instant),
    ``TIMESTAMP`` (off the interval grid, or earlier than a reading before it), else 0."""
    epochs = np.asarray(epochs, dtype=np.int64)
    out = np.zeros(epochs.size, dtype=np.uint8)
    if epochs.size == 0:
        return out
    out[(epochs % interval_s) != 0] = SuspectRule.TIMESTAMP
    _, first = np.unique(epochs, return_index=True)
    dup = np.ones(epochs.size, dtype=bool)
    dup[first] = False
    out[dup] = SuspectRule.DUPLICATE
    running_max = np.maximum.accumulate(epochs)
    back = np.zeros(epochs.size, dtype=bool)
    back[1:] = epochs[1:] < running_max[:-1]
    out[back & ~dup] = SuspectRule.TIMESTAMP
    return out


# --------------------------------------------------------------------------------------------- history profile


def nanmedian_rows(a: F64) -> F64:
    """Median of each column ignoring NaN (NaN for an all-NaN column): ``np.nanmedian(a, axis=0)`` without
    its masked-array detour, which costs ~0.3 ms per call on the small matrices VEE uses."""
    if a.shape[0] == 0:
        return np.full(a.shape[1:], np.nan)
    ordered = np.sort(a, axis=0)  # NaN sorts last
    count = np.isfinite(a).sum(axis=0)
    cols = np.arange(a.shape[1])
    lo = np.maximum((count - 1) // 2, 0)
    hi = np.maximum(count // 2, 0)
    hi = np.minimum(hi, a.shape[0] - 1)
    out = (ordered[lo, cols] + ordered[hi, cols]) / 2.0
    out[count == 0] = np.nan
    return np.asarray(out, dtype=np.float64)


@dataclass(frozen=True)
class History:
    """Per target day: the median and robust spread of the same day type's history by wall slot, and the
    channel's largest recent value."""

    median: F64  # (ndays, W)
    spread: F64  # (ndays, W)
    peak: F64  # (ndays,)
    matrix: F64  # (ndays, W) kept values by wall slot (NaN = not kept)


def history(values: Int64Array, kept: BoolArray, layout: Layout, rules: VeeRules, days: Sequence[int]) -> History:
    """Statistics of the ``history_days`` days before each day of ``days`` (indexes into ``layout.days``); for a
    day with fewer than ``min_history_days`` days of data before it, of the days after it instead."""
    n_days, width = len(layout.days), layout.walls_per_day
    matrix = np.full((n_days, width), np.nan)
    idx = np.flatnonzero(kept)
    matrix[layout.day_index[idx], layout.wall[idx]] = values[idx]
    median = np.full((n_days, width), np.nan)
    spread = np.full((n_days, width), np.nan)
    peak = np.full(n_days, np.nan)
    with_data = np.isfinite(matrix).any(axis=1)
    for d in days:
        lo, hi = max(0, d - rules.history_days), d
        after = int(with_data[lo:d].sum()) < rules.min_history_days  # the first days of a series (an import)
        if after:  # … are judged against the days after them, where the series has them (never at ingest)
            lo, hi = d + 1, min(n_days, d + 1 + rules.history_days)
        window = matrix[lo:hi]
        if window.size == 0 or np.isnan(window).all():
            continue
        same = window[layout.day_types[lo:hi] == layout.day_types[d]]
        rows = same if (~np.isnan(same).all(axis=1)).sum() >= rules.min_history_days else window
        med = nanmedian_rows(rows)
        mad = nanmedian_rows(np.abs(window - nanmedian_rows(window)))
        # the days after are not validated yet: a robust peak, so that a spike among them hides no other
        peak[d] = np.nanpercentile(window, 99.5) if after else np.nanmax(window)
        # pool the spread over ±2 wall slots: a robust scale from few days needs neighbours (edges repeated)
        m = np.nan_to_num(mad, nan=0.0)
        pad = np.concatenate((m[:1], m[:1], m, m[-1:], m[-1:]))
        pooled = np.maximum.reduce([pad[k : k + width] for k in range(5)])
        median[d] = med
        spread[d] = 1.4826 * pooled
    return History(median, spread, peak, matrix)


# --------------------------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class Validation:
    """Per slot: the failed rule (0 = none) and whether the value should be replaced by an estimate."""

    rule: UInt8Array
    substitute: BoolArray
    expected: F64  # the history median at each slot (NaN where unknown)


def _runs(mask: BoolArray) -> tuple[Int64Array, Int64Array]:
    """Start and end (exclusive) indexes of the True runs of ``mask``."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def explained_zeros(zeros: BoolArray, export: F64) -> BoolArray:
    """The zeros of an import channel that its meter's export explains: inside a run of ``zeros``, the slots
    from the first to the last one whose ``export`` is > 0 (the home was producing around them: a slot of
    balanced net flow between two exporting ones is explained too). The zeros of a run before its first and
    after its last exporting slot — a night, a register stuck after sunset — are not."""
    with np.errstate(invalid="ignore"):
        producing = zeros & (export > 0)  # NaN (export unknown) is no evidence
    out = np.zeros(zeros.size, dtype=bool)
    if not producing.any():
        return out
    starts, ends = _runs(zeros)
    count = np.concatenate(([0], np.cumsum(producing)))
    idx = np.flatnonzero(zeros)  # the runs' slots in order
    run_start, run_end = np.repeat(starts, ends - starts), np.repeat(ends, ends - starts)
    out[idx] = (count[idx + 1] > count[run_start]) & (count[run_end] > count[idx])
    return out


def _solar_slots(explained: BoolArray, layout: Layout, days: int) -> BoolArray:
    """Per slot: whether an explained zero (:func:`explained_zeros`) fell on its wall slot on a day within
    ``days`` days of it — a wall slot where the home's own production can cover its consumption, so that a
    median > 0 there (cloudy days) is no evidence that the import "always consumes"."""
    matrix = np.zeros((len(layout.days) + 1, layout.walls_per_day), dtype=np.int64)
    idx = np.flatnonzero(explained)
    np.add.at(matrix, (layout.day_index[idx] + 1, layout.wall[idx]), 1)
    total = np.cumsum(matrix, axis=0)  # total[k] = explained zeros on the days before day k, per wall slot
    d = np.arange(len(layout.days))
    lo, hi = np.maximum(d - days, 0), np.minimum(d + days + 1, len(layout.days))
    near = (total[hi] - total[lo]) > 0  # (ndays, W)
    return np.asarray(near[layout.day_index, layout.wall], dtype=bool)


def validate(
    values: Int64Array,
    quality: UInt8Array,
    layout: Layout,
    rules: VeeRules,
    target: BoolArray,
    reads: Sequence[tuple[int, int]] = (),
    export: F64 | None = None,
) -> Validation:
    """Check the ``target`` slots of a channel series (see the module docstring).

    ``reads`` are cumulative register reads as ``(slot boundary index, value)``: boundary ``k`` is the start of
    slot ``k`` (``layout.size`` = the end of the last slot). Non-target slots are history only. ``export`` is,
    for an import channel, the same meter's export channel on the same slots (NaN where unknown): the zeros it
    explains (see :func:`explained_zeros`) are exempt from ``STUCK_REGISTER`` and ``ZERO_RUN``.
    """
    values = np.asarray(values, dtype=np.int64)
    n = values.size
    code = codes(np.asarray(quality, dtype=np.uint8))
    rule = np.zeros(n, dtype=np.uint8)
    substitute = np.zeros(n, dtype=bool)
    present = code != Quality.MISSING
    checkable = target & ((code == Quality.MEASURED) | (code == Quality.VALIDATED) | (code == Quality.SUSPECT))

    def flag(mask: BoolArray, r: SuspectRule, subst: bool = True) -> None:
        new = mask & checkable & (rule == 0)
        rule[new] = r
        substitute[new] = subst and rules.substitute_suspect

    rule[target & ~present] = SuspectRule.GAP
    # the readings' rules, judged at import (two different readings for an instant, a reading off the grid),
    # cannot be judged again from the slots: their verdicts stay (suspect, the value kept) until an edit
    for r, byte in ((SuspectRule.DUPLICATE, _DUPLICATE), (SuspectRule.TIMESTAMP, _TIMESTAMP)):
        flag(np.asarray(quality == byte), r, subst=False)
    v = values.astype(np.float64)

    # limits and sign
    flag(values < 0, SuspectRule.NEGATIVE_DELTA)
    flag(v > rules.capacity(layout.interval_s), SuspectRule.HIGH_LIMIT)
    if rules.low_limit is not None:
        flag(values < rules.low_limit, SuspectRule.LOW_LIMIT)

    # history of each target day (kept = present and not suspect, outside or before the target)
    target_days = np.unique(layout.day_index[target]).tolist()
    kept_hist = present & ((code == Quality.MEASURED) | (code == Quality.VALIDATED) | (code == Quality.EDITED))
    kept_hist &= ~((values < 0) | (v > rules.capacity(layout.interval_s)))
    hist = history(values, kept_hist, layout, rules, target_days)
    expected = hist.median[layout.day_index, layout.wall]
    spread = hist.spread[layout.day_index, layout.wall]
    peak = hist.peak[layout.day_index]

    # zero runs: stuck register (zeros where the channel always consumes) and plain long zero runs
    zeros = present & (values == 0)
    solar = np.zeros(n, dtype=bool)  # wall slots where this meter's import was zero while it exported
    if export is not None:  # a prosumer's import is zero while it exports: not a fault
        explained = explained_zeros(zeros, np.asarray(export, dtype=np.float64))
        zeros &= ~explained
        solar = _solar_slots(explained, layout, rules.history_days)
    stuck_short = rules.stuck_catch_up_slots
    starts, ends = _runs(zeros)
    in_target = np.concatenate(([0], np.cumsum(target)))
    touching = in_target[ends] > in_target[starts]  # runs with a target slot
    for a, b in zip(starts[touching].tolist(), ends[touching].tolist(), strict=True):
        length = b - a
        exp = expected[a:b]
        known = np.isfinite(exp)
        # the catch-up: the register jumps by the frozen energy on the first slot after the run
        caught_up = b < n and present[b] and v[b] - np.nan_to_num(expected[b]) >= 0.5 * float(np.nansum(exp))
        short = 0 < stuck_short <= length < rules.stuck_min_slots and b < n and present[b]
        if short:  # a short run needs its catch-up: the run's energy at the level of its neighbours and history
            around = [v[i] for i in (a - 1, b + 1) if 0 <= i < n and present[i]] + [float(np.nanmean(exp))]
            level = float(np.nanmedian(around))
            caught_up = caught_up or (level > 0 and v[b] >= CATCH_UP_SHARE * (length + 1) * level)
        stuck = (
            (length >= rules.stuck_min_slots or (short and caught_up))
            and known.mean() >= rules.stuck_expected_share
            and ((np.nan_to_num(exp) > 0) & ~solar[a:b]).mean() >= rules.stuck_expected_share
            and float(np.nansum(exp)) >= rules.stuck_min_expected
        )
        if stuck:
            mask = np.zeros(n, dtype=bool)
            mask[a:b] = True
            mask[b : b + 1] = caught_up
            flag(mask, SuspectRule.STUCK_REGISTER)
        elif rules.zero_run_slots and length >= rules.zero_run_slots:
            mask = np.zeros(n, dtype=bool)
            mask[a:b] = True
            flag(mask, SuspectRule.ZERO_RUN)

    # the energy a negative or a spike took from or added to the register comes back later: flag that slot
    def rebound(causes: Sequence[SuspectRule]) -> None:
        for r in causes:
            for i in np.flatnonzero(rule == r).tolist():
                base = expected[i] if np.isfinite(expected[i]) else 0.0
                excess = v[i] - base
                if abs(excess) < rules.spike_min:
                    continue
                stop = min(n, i + 1 + layout.walls_per_day)
                later = v[i + 1 : stop] - np.nan_to_num(expected[i + 1 : stop], nan=0.0)
                hit = np.flatnonzero(later * -np.sign(excess) >= 0.5 * abs(excess))
                if hit.size:
                    at = np.zeros(n, dtype=bool)
                    at[i + 1 + int(hit[0])] = True
                    flag(at, r)

    rebound((SuspectRule.NEGATIVE_DELTA, SuspectRule.HIGH_LIMIT))
    # spikes: far above the slot's history and above anything the channel did recently
    with np.errstate(invalid="ignore"):
        z = (v - expected) / np.maximum(spread, max(rules.spike_min / 10.0, 1.0))
        spike = (z > rules.spike_z) & (v > rules.spike_factor * peak) & (v - expected > rules.spike_min)
    flag(np.nan_to_num(spike, nan=0.0).astype(bool), SuspectRule.SPIKE)

    rebound((SuspectRule.SPIKE,))

    # clock shift: runs of days whose profile sits an hour early or late against the channel's other days, and
    # the stretch between an hour the import read twice and an hour never read
    twice = np.asarray(quality == _DUPLICATE)
    if len(target_days) >= 2 or twice.any():
        from meterhub.mdm.vee_clock import jump_stretches, shifted_days  # (it uses this module's helpers)

        usable = (checkable | kept_hist) & (rule == 0)
        hourly = _hourly(np.where(usable, v, np.nan), layout)
        mask = np.zeros(n, dtype=bool)
        if len(target_days) >= 2:
            for d in shifted_days(hourly, layout.day_types, target_days):
                mask[layout.day_slice(d)] = True
        per_hour = 3600 // layout.interval_s
        for a, b in jump_stretches(twice, ~present, hourly, layout.day_index, layout.day_types, per_hour,
                                   CLOCK_JUMP_DAYS * 24 * per_hour):  # fmt: skip
            mask[a:b] = True
        flag(mask, SuspectRule.CLOCK_SHIFT, subst=False)

    # sum check between consecutive register reads over fully kept stretches
    for (ka, ra), (kb, rb) in itertools.pairwise(reads):
        if kb <= ka or in_target[kb] == in_target[ka]:  # no target slot between the reads
            continue
        seg = slice(ka, kb)
        if (rule[seg] != 0).any() or not present[seg].all():
            continue
        if int(values[seg].sum()) != rb - ra:
            mask = np.zeros(n, dtype=bool)
            mask[seg] = True
            flag(mask, SuspectRule.SUM_CHECK, subst=False)
    return Validation(rule, substitute, expected)


def _hourly(values: F64, layout: Layout) -> F64:
    """(days, 24) energy per wall-clock hour (NaN where a slot of the hour is not usable; the spring day has no
    02:00 hour)."""
    per_hour = 3600 // layout.interval_s
    matrix = np.full((len(layout.days), layout.walls_per_day), np.nan)
    matrix[layout.day_index, layout.wall] = values
    return np.asarray(matrix.reshape(len(layout.days), 24, per_hour).sum(axis=2), dtype=np.float64)


__all__ = [
    "DEFAULT_RULES",
    "SATURDAY",
    "SUNDAY",
    "WORKDAY",
    "History",
    "Layout",
    "RuleBook",
    "Validation",
    "VeeRules",
    "check_readings",
    "check_slot_count",
    "day_type",
    "explained_zeros",
    "history",
    "validate",
]
