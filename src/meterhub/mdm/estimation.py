"""Estimation of missing and substituted interval values (VEE, issue 5 deliverable 4): pure numpy.

:func:`estimate` fills the slots of a channel series marked ``fill`` (gaps, and suspect values that validation
chose to substitute) in three steps:

1. **Shape** of every run of filled slots:

   * a short run (≤ ``short_gap_slots``, i.e. 1 h of quarter hours) between two kept values: linear
     interpolation between them (method ``INTERPOLATION``);
   * otherwise a *proxy-day blend*: for the run's day, the mean of the ``proxy_days`` kept days of the same
     day type whose daily mean temperature is nearest (nearest in time when temperatures are unknown), before
     *or* after the gap, blended (``proxy_weight``) with the trimmed mean of all same-type days within
     ``history_days`` on both sides, by wall-clock slot, smoothed twice over neighbouring slots; its level is
     set by the day's own kept slots around the run (method ``PROXY_DAY``); with no usable day of the same
     type, the channel's average profile (``PROFILE``).

2. **Plateau loads**: a channel whose history shows a recurring block load (an EV charging at 3.7 or 11 kW,
   a boiler: the 99.5th percentile ≥ ``plateau_min`` and ≥ ``plateau_ratio`` × the median) gets, in a gap
   whose known energy exceeds its median base load by ≥ ``plateau_excess`` plateau slots, that excess as one
   block at the plateau level — continuing from a neighbour at the plateau, or at the usual start.

3. **Delta constraint**: between two cumulative register reads, the filled slots share exactly the register
   delta minus the kept values, apportioned in proportion to their shape by rounding the running sum (so the
   integers add up exactly and none is negative); those values get method ``REGISTER_PRORATED`` (interpolated
   ones keep ``INTERPOLATION``). Without reads on both sides the shape is rounded as it is.

:func:`plain_profile_estimate` is the textbook method the benchmark compares with: the register delta across
each gap spread by the channel's own average profile for the slot and day type.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from meterhub.mdm.quality import EstimationMethod
from meterhub.mdm.vee import F64, BoolArray, Layout, VeeRules, _runs, nanmedian_rows
from meterhub.store.intervals import Int64Array, UInt8Array


@dataclass(frozen=True)
class Estimate:
    """Values with the filled slots estimated, the method per slot (0 where not filled), and the filled slots
    whose register segment could not take them (kept values already exceed the delta)."""

    values: Int64Array
    method: UInt8Array
    inconsistent: BoolArray
    filled: BoolArray  # fill slots that got a value (a run with no data to shape it and no reads stays unfilled)


def _nanmean(a: F64, axis: int) -> F64:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.asarray(np.nanmean(a, axis=axis), dtype=np.float64)


def _nanmedian(a: F64, axis: int) -> F64:
    return nanmedian_rows(a if axis == 0 else a.T)


def _smooth(profile: F64) -> F64:
    """[1, 2, 1] / 4 over neighbouring wall slots (NaN-aware, edges kept)."""
    pad = np.pad(profile, 1, mode="edge")
    stack = np.stack([pad[:-2], pad[1:-1], pad[1:-1], pad[2:]])
    return _nanmean(stack, axis=0)


def kept_matrix(values: Int64Array, kept: BoolArray, layout: Layout) -> F64:
    """(days, wall slots) of the kept values, NaN elsewhere."""
    matrix = np.full((len(layout.days), layout.walls_per_day), np.nan)
    idx = np.flatnonzero(kept)
    matrix[layout.day_index[idx], layout.wall[idx]] = values[idx]
    return matrix


def proxy_profile(matrix: F64, layout: Layout, day: int, rules: VeeRules) -> tuple[F64, int]:
    """The blended shape for ``day`` (by wall slot) and the method it stands for (``PROXY_DAY`` or ``PROFILE``).

    Why a blend and not just the nearest days: per-slot household noise is independent from slot to slot
    (about ±25 % in the simulator), so the shape estimate gains most from averaging many days (the trimmed
    mean over both sides of the gap, smoothed) and a little from the temperature-nearest days (heating).
    """
    n_days = len(layout.days)
    lo, hi = max(0, day - rules.history_days), min(n_days, day + rules.history_days + 1)
    cands = np.array([j for j in range(lo, hi) if j != day and layout.day_types[j] == layout.day_types[day]])
    full: BoolArray = np.asarray(~np.isnan(matrix).any(axis=1), dtype=bool)
    if cands.size:
        cands = cands[full[cands]]
    if cands.size == 0:
        window = matrix[lo:hi]
        return _smooth(_nanmean(window, axis=0)), EstimationMethod.PROFILE
    temps = layout.temperatures
    if np.isfinite(temps[day]) and np.isfinite(temps[cands]).all():
        distance = np.abs(temps[cands] - temps[day]) + 0.05 * np.abs(cands - day)
    else:
        distance = np.abs(cands - day).astype(np.float64)
    proxies = cands[np.argsort(distance, kind="stable")[: rules.proxy_days]]
    near = _nanmean(matrix[proxies], axis=0)
    same_type = _trimmed_mean(matrix[cands])
    blend = _smooth(_smooth(rules.proxy_weight * near + (1.0 - rules.proxy_weight) * same_type))
    return np.where(np.isfinite(blend), blend, _smooth(near)), EstimationMethod.PROXY_DAY


def _trimmed_mean(rows: F64) -> F64:
    """Mean per column without the highest and lowest fifth (an EV evening or a holiday does not bend it)."""
    m = rows.shape[0]
    cut = m // 5
    ordered = np.sort(rows, axis=0)  # NaN sorts last: trim from the finite part only where all are finite
    return _nanmean(ordered[cut : m - cut] if cut else ordered, axis=0)


@dataclass(frozen=True)
class Plateau:
    """A recurring block load of the channel (an EV charging, a boiler): its level and usual starting slot."""

    level: float
    starts: F64  # share of the plateau runs beginning at each wall slot
    base: F64  # the channel's median by wall slot: its load without the plateau


def plateau_load(matrix: F64, rules: VeeRules) -> Plateau | None:
    """The channel's plateau load, if its history has one: the 99.5th percentile of its values, at least
    ``plateau_min`` and ``plateau_ratio`` times the median, and the wall slot where such runs most often begin."""
    if rules.plateau_min <= 0:
        return None
    hist = matrix[np.isfinite(matrix)]
    if hist.size < 7 * matrix.shape[1]:
        return None
    level = float(np.percentile(hist, 99.5))
    if level < rules.plateau_min or level < rules.plateau_ratio * max(float(np.median(hist)), 1.0):
        return None
    on = np.nan_to_num(matrix, nan=0.0) >= 0.6 * level
    begins = np.zeros(matrix.shape[1])
    begins[1:] = (on[:, 1:] & ~on[:, :-1]).sum(axis=0)
    return Plateau(level, begins / max(float(begins.sum()), 1.0), _nanmedian(matrix, axis=0))


def _with_plateau(
    base: F64,
    energy: int,
    plateau: Plateau,
    values: Int64Array,
    kept: BoolArray,
    layout: Layout,
    a: int,
    b: int,
    min_excess: float,
) -> F64:
    """The run's shape with the energy the base load cannot explain (at least ``min_excess`` plateau slots)
    added as one block at the plateau level: continuing from a neighbour that is at the plateau, else starting
    at the median of the starts the history knows (one block, not a smear: the error is L1)."""
    excess = energy - float(base.sum())
    step = plateau.level - float(np.median(base))
    if step <= 0 or excess < min_excess * step:
        return base
    length = b - a
    slots = min(float(length), excess / step)
    full = int(slots)
    n = values.size
    before = a > 0 and kept[a - 1] and values[a - 1] >= 0.6 * plateau.level
    after = b < n and kept[b] and values[b] >= 0.6 * plateau.level
    span = min(length, full + 1)
    if before:
        pos = 0
    elif after:
        pos = length - span
    else:
        # where it starts is unknown: at the median start of the history's plateau runs within the gap
        walls = layout.wall[a:b]
        weights = plateau.starts[walls][: length - span + 1] if length >= span else np.zeros(0)
        if weights.sum() <= 0:
            return base
        cum = np.cumsum(weights) / weights.sum()
        pos = int(np.searchsorted(cum, 0.5))
    add = _block(length, pos, full, slots, step)
    return np.asarray(base + add, dtype=np.float64)


def _block(length: int, pos: int, full: int, slots: float, step: float) -> F64:
    add = np.zeros(length)
    add[pos : pos + min(full, length - pos)] = step
    if pos + full < length:
        add[pos + full] = step * (slots - full)
    return add


def _apportion(shape: F64, energy: int) -> Int64Array:
    """Non-negative integers in proportion to ``shape`` that sum to ``energy`` exactly (≥ 0)."""
    w = np.maximum(np.nan_to_num(shape, nan=0.0), 0.0)
    total = w.sum()
    if total <= 0:
        w = np.ones_like(w)
        total = float(w.size)
    cum = np.rint(np.cumsum(w) * (energy / total)).astype(np.int64)
    cum[-1] = energy
    cum = np.maximum.accumulate(np.clip(cum, 0, energy))
    return np.diff(cum, prepend=np.int64(0))


def estimate(
    values: Int64Array,
    fill: BoolArray,
    layout: Layout,
    rules: VeeRules,
    reads: Sequence[tuple[int, int]] = (),
) -> Estimate:
    """Estimate the ``fill`` slots (see the module docstring); every other slot is returned unchanged.

    ``values`` outside ``fill`` must be the kept values (missing slots are always in ``fill``); ``reads`` are
    ``(slot boundary index, cumulative value)`` in any order.
    """
    values = np.asarray(values, dtype=np.int64)
    n = values.size
    out = values.copy()
    method = np.zeros(n, dtype=np.uint8)
    inconsistent = np.zeros(n, dtype=bool)
    shapeless = np.zeros(n, dtype=bool)
    if not fill.any():
        return Estimate(out, method, inconsistent, np.zeros(n, dtype=bool))
    kept = ~fill
    matrix = kept_matrix(values, kept, layout)
    shape = np.zeros(n)
    profiles: dict[int, tuple[F64, int]] = {}
    starts, ends = _runs(fill)
    radius = rules.neighbour_slots
    plateau = plateau_load(matrix, rules)
    ceiling = np.inf if plateau is None else 0.6 * plateau.level  # neighbours at a plateau do not set the level

    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        days = layout.day_index[a:b]
        for d in np.unique(days).tolist():
            if d not in profiles:
                profiles[d] = proxy_profile(matrix, layout, d, rules)
        prof = np.array([profiles[d][0][w] for d, w in zip(days.tolist(), layout.wall[a:b].tolist(), strict=True)])
        run_method = min(profiles[d][1] for d in np.unique(days).tolist())
        if b - a <= rules.short_gap_slots and a > 0 and b < n and kept[a - 1] and kept[b]:
            x = np.arange(1, b - a + 1) / (b - a + 1)
            shape[a:b] = values[a - 1] + (values[b] - values[a - 1]) * x
            method[a:b] = EstimationMethod.INTERPOLATION
            continue
        if not np.isfinite(prof).all():
            fallback = float(_nanmean(prof if np.isfinite(prof).any() else matrix.ravel(), axis=0))
            if not np.isfinite(fallback):
                shapeless[a:b] = True
                fallback = 0.0
            prof = np.where(np.isfinite(prof), prof, fallback)
            run_method = EstimationMethod.PROFILE
        # level from the day's own kept neighbours: how this day runs against its proxies
        around = np.r_[max(0, a - radius) : a, b : min(n, b + radius)]
        around = around[kept[around]]
        around = around[values[around] < ceiling]
        if around.size >= 2:
            for d in np.unique(layout.day_index[around]).tolist():
                if d not in profiles:
                    profiles[d] = proxy_profile(matrix, layout, d, rules)
            ref = np.array([profiles[int(layout.day_index[i])][0][int(layout.wall[i])] for i in around.tolist()])
            ok = np.isfinite(ref)
            if ok.any() and ref[ok].sum() > 0:
                prof = prof * float(np.clip(values[around][ok].sum() / ref[ok].sum(), 0.2, 5.0))
        shape[a:b] = prof
        method[a:b] = run_method
    shape = np.maximum(shape, 0.0)
    constrained = np.zeros(n, dtype=bool)
    ordered = sorted(set(reads))
    for (ka, ra), (kb, rb) in itertools.pairwise(ordered):
        if kb <= ka or ka < 0 or kb > n:
            continue
        seg_fill = fill[ka:kb]
        if not seg_fill.any():
            continue
        idx = np.flatnonzero(seg_fill) + ka
        energy = rb - ra - int(values[ka:kb][~seg_fill].sum())
        if energy < 0:
            inconsistent[idx] = True
            energy = 0
        seg_starts, seg_ends = _runs(seg_fill)
        if plateau is not None and seg_starts.size == 1 and method[idx[0]] != EstimationMethod.INTERPOLATION:
            a, b = int(seg_starts[0]) + ka, int(seg_ends[0]) + ka
            robust = plateau.base[layout.wall[a:b]]
            if np.isfinite(robust).all():
                shape[a:b] = _with_plateau(robust, energy, plateau, values, kept, layout, a, b, rules.plateau_excess)
        out[idx] = _apportion(shape[idx], energy)
        constrained[idx] = True
        method[idx] = np.where(
            method[idx] == EstimationMethod.INTERPOLATION,
            EstimationMethod.INTERPOLATION,
            EstimationMethod.REGISTER_PRORATED,
        )
    free = fill & ~constrained
    out[free] = np.rint(shape[free]).astype(np.int64)
    filled = fill & ~(free & shapeless)
    out[fill & ~filled] = 0
    method[fill & ~filled] = 0
    return Estimate(out, method, inconsistent, filled)


def plain_profile_estimate(
    values: Int64Array, fill: BoolArray, layout: Layout, history_days: int = 28, reads: Sequence[tuple[int, int]] = ()
) -> Int64Array:
    """The baseline: each register segment's missing energy spread over its filled slots by the channel's mean
    profile for the wall slot and day type over the ``history_days`` days before the slot's day (a flat
    spread where that profile is unknown); filled slots outside any segment get the profile itself."""
    values = np.asarray(values, dtype=np.int64)
    n = values.size
    matrix = kept_matrix(values, ~fill, layout)
    shape = np.zeros(n)
    for d in np.unique(layout.day_index[fill]).tolist():
        lo = max(0, d - history_days)
        rows = matrix[lo:d][layout.day_types[lo:d] == layout.day_types[d]]
        prof = _nanmean(rows, axis=0) if rows.size else np.full(layout.walls_per_day, np.nan)
        sl = layout.day_slice(d)
        idx = np.flatnonzero(fill[sl]) + sl.start
        shape[idx] = np.nan_to_num(prof[layout.wall[idx]], nan=1.0)
    out = values.copy()
    done = np.zeros(n, dtype=bool)
    ordered = sorted(set(reads))
    for (ka, ra), (kb, rb) in itertools.pairwise(ordered):
        seg_fill = fill[ka:kb]
        if kb <= ka or not seg_fill.any():
            continue
        idx = np.flatnonzero(seg_fill) + ka
        energy = max(0, rb - ra - int(values[ka:kb][~seg_fill].sum()))
        out[idx] = _apportion(shape[idx], energy)
        done[idx] = True
    free = fill & ~done
    out[free] = np.rint(np.maximum(shape[free], 0.0)).astype(np.int64)
    return out


__all__ = ["Estimate", "estimate", "kept_matrix", "plain_profile_estimate", "proxy_profile"]
