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

3. **Edges** (a register segment holding one run, no block load placed): household load is persistent — a
   quarter hour above its profile is followed by more above it (measured lag-1 autocorrelation ≈ 0.75 of the
   ratio to the household's own profile, see docs/architecture.md). The profile, scaled to the run's known
   energy, gets the relative deviations of the :data:`EDGE_SLOTS` kept slots on each side carried into it:
   the conditional mean of a deviation with correlation ``weight · decay^h`` (:class:`Persistence`, from the
   lag-1 and lag-2 correlations of the channel's own history, :func:`residual_persistence`) given the edges
   and given that the run's energy is the register's — simple kriging with one linear constraint
   (:func:`_conditioned`). Near an edge the estimate follows the edge; deep inside a long run it is the
   profile; the run's total is unchanged.

   A register segment holding one run (no interpolation) is shaped by *quantile matching* instead of steps 1–2
   (:mod:`meterhub.mdm.estimation_quantile`, rule ``quantile_shape``): every slot at one quantile level of its
   own history, the level set so that the slots add up to the segment's energy — the L1-best split — with
   degree-day scaled samples for a heating channel; its edges are then carried in as in step 3.

4. **Delta constraint**: between two cumulative register reads, the filled slots share exactly the register
   delta minus the kept values, apportioned in proportion to their shape by rounding the running sum (so the
   integers add up exactly and none is negative); those values get method ``REGISTER_PRORATED`` (interpolated
   ones keep ``INTERPOLATION``). Without reads on both sides the shape is rounded as it is.

:func:`plain_profile_estimate` is the textbook method the benchmark compares with: the register delta across
each gap spread by the channel's own average profile for the slot and day type.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from meterhub.mdm.estimation_quantile import DegreeDays, degree_day_model, quantile_shape
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
    """``np.nanmean`` (the same sums, so the same bits) without its warning machinery: NaN where no value."""
    finite = np.isfinite(a)
    total = np.asarray(np.where(finite, a, 0.0).sum(axis=axis), dtype=np.float64)
    count = np.asarray(finite.sum(axis=axis))
    out = np.full(total.shape, np.nan)
    np.divide(total, count, out=out, where=count > 0)
    return out


def _nanmedian(a: F64, axis: int) -> F64:
    return nanmedian_rows(a if axis == 0 else a.T)


def _smooth(profile: F64) -> F64:
    """[1, 2, 1] / 4 over neighbouring wall slots (NaN-aware, edges kept)."""
    pad = np.concatenate((profile[:1], profile, profile[-1:]))
    finite = np.isfinite(pad)
    clean = np.where(finite, pad, 0.0)
    left, mid, right = clean[:-2], clean[1:-1], clean[2:]
    total = ((left + mid) + mid) + right  # the order np.nanmean sums a stack [left, mid, mid, right] in
    count = finite[:-2].astype(np.int64) + 2 * finite[1:-1] + finite[2:]
    out = np.full(profile.shape, np.nan)
    np.divide(total, count, out=out, where=count > 0)
    return out


def kept_matrix(values: Int64Array, kept: BoolArray, layout: Layout) -> F64:
    """(days, wall slots) of the kept values, NaN elsewhere."""
    matrix = np.full((len(layout.days), layout.walls_per_day), np.nan)
    idx = np.flatnonzero(kept)
    matrix[layout.day_index[idx], layout.wall[idx]] = values[idx]
    return matrix


def proxy_profile(matrix: F64, layout: Layout, day: int, rules: VeeRules) -> tuple[F64, int]:
    """The blended shape for ``day`` (by wall slot) and the method it stands for (``PROXY_DAY`` or ``PROFILE``).

    Why a blend and not just the nearest days: a household's deviation from its shape changes from day to day
    (about ±25 % per quarter hour in the simulator), so the shape estimate gains most from averaging many days
    (the trimmed mean over both sides of the gap, smoothed) and a little from the temperature-nearest days
    (heating).
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


#: A plateau load's runs at its level last this many slots or more (median): an EV or a storage heater, not bursts.
PLATEAU_MIN_RUN = 3


def plateau_load(matrix: F64, rules: VeeRules) -> Plateau | None:
    """The channel's plateau load, if its history has one: the 99.5th percentile of its values, at least
    ``plateau_min`` and ``plateau_ratio`` times the median, reached in runs of typically at least
    :data:`PLATEAU_MIN_RUN` slots, and the wall slot where such runs most often begin."""
    if rules.plateau_min <= 0:
        return None
    hist = matrix[np.isfinite(matrix)]
    if hist.size < 7 * matrix.shape[1] or float(hist.max()) < rules.plateau_min:
        return None  # (the 99.5th percentile cannot reach plateau_min: no need to compute it)
    level = float(np.percentile(hist, 99.5))
    if level < rules.plateau_min or level < rules.plateau_ratio * max(float(np.median(hist)), 1.0):
        return None
    on = np.nan_to_num(matrix, nan=0.0) >= 0.6 * level
    run_starts, run_ends = _runs(on.ravel())
    if float(np.median(run_ends - run_starts)) < PLATEAU_MIN_RUN:
        return None  # high values in short bursts (a kettle, an oven, a cycling boiler): no block load
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


def _edge_slots(kept: BoolArray, values: Int64Array, a: int, b: int, ceiling: float) -> Int64Array:
    """Up to :data:`EDGE_SLOTS` kept slots right before ``a`` and right after ``b`` (contiguous, below the
    plateau ``ceiling``)."""
    n = kept.size
    out: list[int] = []
    for step, first in ((-1, a - 1), (1, b)):
        i = first
        while 0 <= i < n and abs(i - first) < EDGE_SLOTS and kept[i] and values[i] < ceiling:
            out.append(i)
            i += step
    return np.array(sorted(out), dtype=np.int64)


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


#: Kept slots on each side of a run whose deviation from the profile is carried into the run.
EDGE_SLOTS = 4


@dataclass(frozen=True)
class Persistence:
    """How a channel's deviation from its profile carries over between quarter hours, from its own history:
    correlation ``weight · decay^h`` at a lag of h ≥ 1 slots (1 at lag 0: the rest is slot-to-slot noise)."""

    weight: float
    decay: float


def residual_persistence(matrix: F64, layout: Layout) -> Persistence:
    """The channel's :class:`Persistence`, from the lag-1 and lag-2 correlations of its kept values' ratio to
    its mean profile for the slot and day type, less each day's mean ratio (pairs within a day). ``weight = 0``
    when there is too little history or no positive correlation."""
    none = Persistence(0.0, 0.0)
    finite = np.isfinite(matrix)
    if int(finite.sum()) < 7 * matrix.shape[1]:
        return none
    clean = np.where(finite, matrix, 0.0)
    onehot = (layout.day_types[None, :] == np.arange(3)[:, None]).astype(np.float64)  # (day type, day)
    total, count = onehot @ clean, onehot @ finite
    prof = (total / np.maximum(count, 1.0))[layout.day_types]  # mean by day type and wall slot, per day
    ok = finite & (prof > 0)
    # a quarter hour of a boiler or an EV must not decide the correlation: ratios capped at 5× the profile
    ratio = np.where(ok, np.clip(clean / np.where(ok, prof, 1.0), 0.0, 5.0) - 1.0, 0.0)
    # a day's own level is the register's business, not the edges': deviations from the day's mean ratio
    ratio -= np.where(ok, (ratio.sum(axis=1) / np.maximum(ok.sum(axis=1), 1))[:, None], 0.0)
    sq = ratio * ratio

    def corr(h: int) -> float:
        both = ok[:, :-h] & ok[:, h:]
        den = float(np.sqrt((sq[:, :-h] * both).sum() * (sq[:, h:] * both).sum()))
        return float((ratio[:, :-h] * ratio[:, h:]).sum()) / den if den > 0 else 0.0

    r1, r2 = corr(1), corr(2)
    if r1 <= 0.05 or r2 <= 0.0:
        return none
    decay = min(r2 / r1, 0.95)
    return Persistence(min(r1 / decay, 0.98), decay)


def _conditioned(level: F64, pos: Int64Array, dev: F64, p: Persistence) -> F64:
    """The run's profile ``level`` (already scaled to the run's energy) with the deviations ``dev`` observed at
    kept slots ``pos`` (relative to the run's first slot: < 0 before it, ≥ len(level) after it) carried into it:
    the conditional mean of a stationary relative deviation with :class:`Persistence` ``p`` given those slots
    and given that the run's energy is the register's (the deviations inside the run add up to zero weighted
    by ``level``) — simple kriging with one linear constraint; only the edges' neighbourhood changes."""
    m = level.size
    if p.weight <= 0 or pos.size == 0 or not np.any(dev):
        return level
    horizon = min(m, int(np.ceil(np.log(1e-4) / np.log(p.decay))) if p.decay > 0 else 1)
    lags = np.arange(-horizon, horizon + 1)
    kernel = np.where(lags == 0, 1.0, p.weight * p.decay ** np.abs(lags))
    c_level = np.convolve(level, kernel, mode="full")[horizon : horizon + m]  # C_GG · level, Toeplitz
    gap = np.arange(m)
    dist = np.abs(gap[:, None] - pos[None, :])
    c_ge = p.weight * p.decay**dist  # (m, k): run slots never coincide with an edge
    dist_e = np.abs(pos[:, None] - pos[None, :])
    c_ee = np.where(dist_e == 0, 1.0, p.weight * p.decay**dist_e)
    k = pos.size
    k_yy = np.empty((k + 1, k + 1))
    k_yy[:k, :k] = c_ee
    k_yy[:k, k] = k_yy[k, :k] = level @ c_ge
    k_yy[k, k] = float(level @ c_level)
    y = np.zeros(k + 1)
    y[:k] = dev
    try:
        coef = np.linalg.solve(k_yy + 1e-9 * np.eye(k + 1), y)
    except np.linalg.LinAlgError:
        return level
    deviation = c_ge @ coef[:k] + c_level * coef[k]
    return np.asarray(level * (1.0 + deviation), dtype=np.float64)


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
    edges: dict[int, tuple[Int64Array, F64, F64]] = {}
    persistence: Persistence | None = None
    heating: DegreeDays | None = None
    heating_known = False  # the degree-day model is fitted when first needed

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
        factor = 1.0
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
                factor = float(np.clip(values[around][ok].sum() / ref[ok].sum(), 0.2, 5.0))
                prof = prof * factor
        shape[a:b] = prof
        method[a:b] = run_method
        pos = _edge_slots(kept, values, a, b, ceiling)
        for d in np.unique(layout.day_index[pos]).tolist():
            if d not in profiles:
                profiles[d] = proxy_profile(matrix, layout, d, rules)
        ref = np.array([profiles[int(layout.day_index[i])][0][int(layout.wall[i])] for i in pos.tolist()])
        good = np.isfinite(ref) & (ref > 0)
        edges[a] = (pos[good], values[pos[good]].astype(np.float64), ref[good] * factor)
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
        single = seg_starts.size == 1 and method[idx[0]] != EstimationMethod.INTERPOLATION
        a, b = int(seg_starts[0]) + ka, int(seg_ends[0]) + ka
        edge = edges.get(a) if single else None
        quantiles = None
        if single and rules.quantile_shape and energy > 0:
            if not heating_known:
                heating, heating_known = degree_day_model(matrix, layout), True
            pos = edge[0] if edge is not None else np.zeros(0, dtype=np.int64)
            quantiles = quantile_shape(matrix, layout, np.arange(a, b), energy, rules.history_days, heating, pos)
        if quantiles is not None:
            shape[a:b] = quantiles[0]
            if edge is not None:
                ok = quantiles[1] > 0
                edge = (edge[0][ok], edge[1][ok], quantiles[1][ok])
        elif single and plateau is not None:
            robust = plateau.base[layout.wall[a:b]]
            if np.isfinite(robust).all():
                shape[a:b] = _with_plateau(robust, energy, plateau, values, kept, layout, a, b, rules.plateau_excess)
                if edge is not None:
                    ref = plateau.base[layout.wall[edge[0]]]
                    ok = np.isfinite(ref) & (ref > 0)
                    edge = (edge[0][ok], edge[1][ok], ref[ok])
                if not np.array_equal(shape[a:b], robust):
                    edge = None  # a block load placed: its edges are the block's, not the profile's
        if edge is not None and edge[0].size and energy > 0 and float(shape[a:b].sum()) > 0:
            if persistence is None:
                persistence = residual_persistence(matrix, layout)
            scale = energy / float(shape[a:b].sum())  # the profile at the run's known energy, edges alike
            dev = np.clip(edge[1] / (edge[2] * scale) - 1.0, -0.9, 3.0)
            shape[a:b] = np.maximum(_conditioned(shape[a:b] * scale, edge[0] - a, dev, persistence), 0.0)
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
    profile for the wall slot and day type over its kept values within ``history_days`` days on either side of
    the slot's day (a flat spread where that profile is unknown); filled slots outside any segment get the
    profile itself. (Both sides: an import of 28 days has no history before its first days.)"""
    values = np.asarray(values, dtype=np.int64)
    n = values.size
    matrix = kept_matrix(values, ~fill, layout)
    shape = np.zeros(n)
    for d in np.unique(layout.day_index[fill]).tolist():
        lo, hi = max(0, d - history_days), d + history_days + 1
        rows = matrix[lo:hi][layout.day_types[lo:hi] == layout.day_types[d]]
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


__all__ = [
    "EDGE_SLOTS",
    "Estimate",
    "Persistence",
    "estimate",
    "kept_matrix",
    "plain_profile_estimate",
    "proxy_profile",
    "residual_persistence",
]
