"""The screen in front of validation at ingest: which freshly read channel days could fail a rule at all.

Validation (:func:`meterhub.mdm.vee.validate`) compares a day with the channel's history and costs a read of
28 stored blocks per channel. Most days fail nothing. :func:`screen` looks at a batch of channel days of one
local day — values, qualities and each channel's history digest (:mod:`meterhub.mdm.digest`), never the
stored blocks — and tests, for every rule, a *necessary condition* of that rule firing when the day is the
single target day of :meth:`meterhub.mdm.vee_service.VeeService.run`. A day the screen clears can fail no rule,
so its checkable values (measured, validated, suspect) all become ``validated`` and nothing else changes —
exactly what the full service would write; every other day is sent to the full service.

=================  =======================================================================================
rule               necessary condition tested
=================  =======================================================================================
``GAP``            a missing slot; also an estimated one (the service re-estimates it)
``NEGATIVE_DELTA`` a checkable value < 0 (its rebound only follows a flagged value)
``HIGH_LIMIT``     a checkable value above the connection capacity
``LOW_LIMIT``      a checkable value below ``low_limit``
``SPIKE``          a checkable value > ``spike_min`` and > ``spike_factor`` × the peak of the days before
                   (history medians are ≥ 0, so ``v − median > spike_min`` implies ``v > spike_min``; the
                   peak is exact from the digest's day maxima). A history holding a value above capacity,
                   which validation leaves out of the peak, sends the day on.
``STUCK_REGISTER`` a run of present zeros touching the day — continued across midnight into the days before
                   and after — of ≥ ``stuck_min_slots`` slots (``stuck_catch_up_slots`` if shorter), of
                   which a share ≥ ``stuck_expected_share``
                   has a history median > 0 (only the day's own slots can: the others have no expectation).
                   A median of non-negative values is > 0 exactly when at least half of them are > 0: the
                   digest's kept and non-zero bit counts, over the same day type when at least
                   ``min_history_days`` such days hold data, else over all days — as ``vee.history`` does.
``ZERO_RUN``       such a run of ≥ ``zero_run_slots`` slots (for both: the export evidence of an import channel,
                   :func:`meterhub.mdm.vee.explained_zeros`, only removes zeros and medians > 0, so a run
                   counted here with all its zeros stays a necessary condition)
``SUM_CHECK``      a stored register read inside the day that is not one of the batch's own readings
                   (the caller compares them, :class:`~meterhub.mdm.ingest.IngestService`)
``CLOCK_SHIFT``    never on a single target day (a run of two shifted target days at least is needed;
                   multi-day ``vee run`` passes and imports catch it)
``DUPLICATE``,     a slot stored ``suspect`` with one of these readings' rules (the import's verdict, kept
``TIMESTAMP``      by validation)
=================  =======================================================================================

DST slot counts, duplicate and off-grid readings are refused or laid out by the ingest before. A channel whose
digest does not reach back over its ``history_days`` is sent on without a rule. Nothing here reads a clock, a
database or a file; numpy over the whole batch at once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from meterhub.mdm.digest import Digests, Window
from meterhub.mdm.quality import Quality, SuspectRule, quality_byte
from meterhub.mdm.vee import VeeRules, day_type
from meterhub.store.intervals import Int64Array, UInt8Array, wall_slots

BoolArray = npt.NDArray[np.bool_]

_MISSING, _MEASURED, _VALIDATED, _ESTIMATED, _SUSPECT = (
    int(q) for q in (Quality.MISSING, Quality.MEASURED, Quality.VALIDATED, Quality.ESTIMATED, Quality.SUSPECT)
)
_DUPLICATE = quality_byte(Quality.SUSPECT, SuspectRule.DUPLICATE)
_TIMESTAMP = quality_byte(Quality.SUSPECT, SuspectRule.TIMESTAMP)
NO_HISTORY = 0xFF
"""``ScreenResult.rule`` of a day sent on because its channel's digest does not cover the history window."""


@dataclass(frozen=True)
class ScreenResult:
    """Per channel day: whether it must go to the full validation, and the first rule that may fire (the
    :class:`~meterhub.mdm.quality.SuspectRule`, :data:`NO_HISTORY`, or 0 when cleared)."""

    send: BoolArray
    rule: npt.NDArray[np.uint8]


def screen(
    day: date,
    values: Int64Array,
    quality: UInt8Array,
    digests: Digests,
    rows: npt.NDArray[np.intp],
    rules: VeeRules,
) -> ScreenResult:
    """Screen the channel days ``values``/``quality`` (``(M, slots)`` of local ``day``) of the channels at
    ``rows`` of ``digests`` (all of the digests' interval length) against ``rules`` (see the module docstring)."""
    m, n = values.shape
    interval_s = digests.interval_s
    rule = np.zeros(m, dtype=np.uint8)

    def mark(mask: BoolArray, r: int) -> None:
        rule[(rule == 0) & mask] = r

    code = quality & np.uint8(0x07)
    mark(np.any((code == _MISSING) | (code == _ESTIMATED), axis=1), SuspectRule.GAP)
    mark(np.any((quality == _DUPLICATE) | (quality == _TIMESTAMP), axis=1), SuspectRule.DUPLICATE)
    checkable = (code == _MEASURED) | (code == _VALIDATED) | (code == _SUSPECT)
    cap = rules.capacity(interval_s)
    mark(np.any(checkable & (values < 0), axis=1), SuspectRule.NEGATIVE_DELTA)
    mark(np.any(checkable & (values > cap), axis=1), SuspectRule.HIGH_LIMIT)
    if rules.low_limit is not None:
        mark(np.any(checkable & (values < rules.low_limit), axis=1), SuspectRule.LOW_LIMIT)

    # the history window of each channel: the history_days days before ``day``
    h = rules.history_days
    win = digests.window(rows, day, h)
    mark(~win.ok, NO_HISTORY)
    has_day = win.day_max >= 0  # kept values are never negative: a day maximum ≥ 0 means some were kept
    over_cap: BoolArray = np.any((win.day_max > cap) & has_day, axis=1)
    mark(over_cap, NO_HISTORY)  # the exact peak leaves such values out

    # spikes: above spike_min and above spike_factor × the window's peak
    has_history: BoolArray = np.any(has_day, axis=1)
    peak = win.day_max.max(axis=1).astype(np.float64)
    spike = checkable & (values > rules.spike_factor * peak[:, None]) & (values > rules.spike_min)
    mark(np.any(spike, axis=1) & has_history, SuspectRule.SPIKE)

    # runs of present zeros touching the day, continued across midnight
    zero = (code != _MISSING) & (values == 0)
    stuck_len = rules.stuck_min_slots
    if rules.stuck_catch_up_slots:
        stuck_len = min(stuck_len, rules.stuck_catch_up_slots) if stuck_len else rules.stuck_catch_up_slots
    if (stuck_len or rules.zero_run_slots) and zero.any():
        enough = max(stuck_len, rules.zero_run_slots)
        padded = np.zeros((m, n + 2), dtype=np.int8)
        padded[:, 1:-1] = zero
        edges = np.diff(padded, axis=1)
        r_start, c_start = np.nonzero(edges == 1)
        r_end, c_end = np.nonzero(edges == -1)  # same row-major order: pairs line up
        before = np.zeros(m, dtype=np.int64)
        after = np.zeros(m, dtype=np.int64)
        unknown = np.zeros(m, dtype=bool)
        for r in np.unique(r_start[c_start == 0]).tolist():
            run = digests.zeros_before(int(rows[r]), day, enough)
            unknown[r] = run < 0
            before[r] = max(run, 0)
        for r in np.unique(r_end[c_end == n]).tolist():
            after[r] = digests.zeros_after(int(rows[r]), day)
        mark(unknown, NO_HISTORY)
        length = (c_end - c_start) + np.where(c_start == 0, before[r_start], 0) + np.where(c_end == n, after[r_end], 0)
        if rules.zero_run_slots:
            long_run = length >= rules.zero_run_slots
            mark(np.bincount(r_start[long_run], minlength=m) > 0, SuspectRule.ZERO_RUN)
        long_enough = length >= stuck_len if stuck_len else np.zeros(length.size, bool)
        if long_enough.any():
            # only the runs long enough for the stuck register rule need the history medians
            cand = np.unique(r_start[long_enough])
            expected_pos = _median_positive(digests, rows[cand], win, cand, day, rules)
            local = np.full(m, -1, dtype=np.int64)
            local[cand] = np.arange(cand.size)
            runs = np.flatnonzero(long_enough)
            rr = local[r_start[runs]]
            csum = np.zeros((cand.size, n + 1), dtype=np.int64)
            np.cumsum(expected_pos, axis=1, out=csum[:, 1:])
            expected_count = csum[rr, c_end[runs]] - csum[rr, c_start[runs]]
            share = expected_count / length[runs]
            stuck = share >= rules.stuck_expected_share
            mark(np.bincount(r_start[runs][stuck], minlength=m) > 0, SuspectRule.STUCK_REGISTER)
    return ScreenResult(rule != 0, rule)


def _median_positive(
    digests: Digests,
    rows: npt.NDArray[np.intp],
    win: Window,
    sub: npt.NDArray[np.intp],
    day: date,
    rules: VeeRules,
) -> BoolArray:
    """Per slot of ``day`` ``(len(rows), slots)``: whether the history median of its wall slot is > 0 for the
    channels ``rows`` (rows ``sub`` of the window ``win``) — over the same day type when at least
    ``min_history_days`` such days hold data, else over all days, as ``vee.history`` chooses. A median of
    values ≥ 0 is > 0 exactly when at least half of them are > 0."""
    h = rules.history_days
    part = Window(win.ok[sub], win.day_max[sub], win.first[sub])
    kept, nonzero = digests.window_bits(rows, part, h)
    same = _day_types(day, h) == day_type(day)
    enough_same = ((part.day_max >= 0) & same[None, :]).sum(axis=1) >= rules.min_history_days
    chosen = np.where(enough_same[:, None], same[None, :], True)[:, :, None]
    n_kept = (kept & chosen).sum(axis=1)
    n_nonzero = (nonzero & chosen).sum(axis=1)
    positive = (n_kept >= 1) & (2 * n_nonzero >= n_kept)
    return np.asarray(positive[:, wall_slots(day, digests.interval_s)], dtype=bool)


@functools.lru_cache(maxsize=512)
def _day_types(day: date, days: int) -> npt.NDArray[np.int8]:
    """Day types of the ``days`` days before ``day``, oldest first (read-only, cached)."""
    out = np.array([day_type(day - timedelta(days=days - j)) for j in range(days)], dtype=np.int8)
    out.flags.writeable = False
    return out


def validated_quality(quality: UInt8Array) -> UInt8Array:
    """The qualities a cleared day gets: checkable values (measured, validated, suspect) become ``validated``
    (no detail), the rest (edited) stay as they are."""
    code = quality & np.uint8(0x07)
    checkable = (code == _MEASURED) | (code == _VALIDATED) | (code == _SUSPECT)
    return np.where(checkable, np.uint8(_VALIDATED), quality).astype(np.uint8)


__all__ = ["NO_HISTORY", "ScreenResult", "screen", "validated_quality"]
