"""Quantile-matched shapes for estimation (VEE): the L1-best split of a gap's known energy over its slots.

The register fixes a gap's energy ``E``; only its split over the gap's slots is estimated, and the error measure
that matters (Σ|estimate − truth|, the weighted MAPE) is an L1 one. For independent slots the L1-optimal
estimates under ``Σ e_i = E`` put every slot at the *same quantile level* τ of its own distribution (the
Lagrange condition of Σ E|e_i − x_i| with one linear constraint: ``2 F_i(e_i) − 1`` equal for all i), with τ
chosen so that the quantiles add up to ``E``. A mean profile instead smears an appliance's energy over every
slot where it sometimes runs; the quantiles keep a household's base load where it is low and put the energy
where the history says it usually goes. Where the gap holds more energy than usual, τ rises everywhere.

:func:`quantile_shape` draws each slot's distribution from the channel's kept values at the same wall slot and
its two neighbours (half weight) on the days within ``history_days`` on either side — same day type at full
weight, other types at :data:`OTHER_TYPE_WEIGHT` — and, for a heating-driven channel with known temperatures,
each sample day's values scaled by the ratio of the gap day's degree-day energy to the sample day's
(:func:`degree_day_model`: daily energy = base + slope · max(0, 15 °C − T), fitted on the channel's full days).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from meterhub.mdm.vee import F64, Layout
from meterhub.store.intervals import Int64Array

#: Weight of a sample from another day type than the gap day's (a Saturday for a workday gap).
OTHER_TYPE_WEIGHT = 0.25
#: Weight of a sample from the neighbouring wall slots (±1) against the slot's own.
NEIGHBOUR_WEIGHT = 0.5
#: Heating limit of the degree-day model (°C).
HEATING_LIMIT_C = 15.0
_BISECTIONS = 16  # the last step interpolates between the two levels: the sum is met exactly anyway


@dataclass(frozen=True)
class DegreeDays:
    """Daily energy ≈ ``base + slope · max(0, 15 °C − T)`` of a channel (``slope`` 0: not heating-driven)."""

    base: float
    slope: float

    def energy(self, temperature: F64) -> F64:
        return np.asarray(self.base + self.slope * np.maximum(0.0, HEATING_LIMIT_C - temperature), dtype=np.float64)


def degree_day_model(matrix: F64, layout: Layout) -> DegreeDays | None:
    """The channel's degree-day model from its full kept days and their temperatures; None when temperatures
    are unknown, fewer than 7 full days, or the fit explains less than half of the days' variance."""
    temps = layout.temperatures
    full = np.isfinite(matrix).all(axis=1) & np.isfinite(temps)
    if int(full.sum()) < 7:
        return None
    y = matrix[full].sum(axis=1)
    hdd = np.maximum(0.0, HEATING_LIMIT_C - temps[full])
    if float(hdd.std()) < 0.5:
        return None
    slope, base = np.polyfit(hdd, y, 1)
    resid = y - (base + slope * hdd)
    if slope <= 0 or float(resid.var()) > 0.5 * float(y.var()):
        return None
    return DegreeDays(float(max(base, 0.0)), float(slope))


def quantile_shape(
    matrix: F64,
    layout: Layout,
    slots: Int64Array,
    energy: float | None,
    history_days: int,
    heating: DegreeDays | None = None,
    extra: Int64Array | None = None,
) -> tuple[F64, F64] | None:
    """Estimates for ``slots`` at one common quantile level whose sum is ``energy`` (the weighted mean when
    ``energy`` is None), and the same level's quantiles at the ``extra`` slots (e.g. a gap's kept edges, to
    compare them with); None when a slot has no sample."""
    extra = np.zeros(0, dtype=np.int64) if extra is None else extra
    every = np.concatenate((slots, extra))
    days, walls = layout.day_index[every], layout.wall[every].astype(np.int64)
    n_days, width = matrix.shape
    sample_days = np.arange(n_days)
    near = np.abs(sample_days[None, :] - days[:, None]) <= history_days
    same = layout.day_types[None, :] == layout.day_types[days][:, None]
    day_w = np.where(near, np.where(same, 1.0, OTHER_TYPE_WEIGHT), 0.0)  # (k, n_days)
    scale = np.ones((every.size, n_days))
    if heating is not None:
        temps = layout.temperatures
        want = heating.energy(temps[days])[:, None]
        have = heating.energy(temps)[None, :]
        ok = np.isfinite(want) & np.isfinite(have) & (have > 0)
        scale = np.where(ok, np.clip(want / np.where(ok, have, 1.0), 0.3, 3.0), 1.0)
    values, weights = [], []
    for step, w in ((0, 1.0), (-1, NEIGHBOUR_WEIGHT), (1, NEIGHBOUR_WEIGHT)):
        cols = np.clip(walls + step, 0, width - 1)
        v = matrix[:, cols].T * scale  # (k, n_days)
        values.append(v)
        weights.append(np.where(np.isfinite(v), day_w * w, 0.0))
    v = np.concatenate(values, axis=1)
    wt = np.concatenate(weights, axis=1)
    total = wt.sum(axis=1)
    if not (total > 0).all():
        return None
    v = np.where(wt > 0, v, np.inf)  # unusable samples sort last and carry no weight
    if energy is None:
        mean = np.where(wt > 0, v, 0.0) * wt
        out = mean.sum(axis=1) / total
        return out[: slots.size], out[slots.size :]
    order = np.argsort(v, axis=1, kind="stable")
    v = np.take_along_axis(v, order, axis=1)
    cum = np.cumsum(np.take_along_axis(wt, order, axis=1), axis=1) / total[:, None]
    rows = np.arange(every.size)
    last = (wt > 0).sum(axis=1) - 1

    def at(tau: float) -> F64:
        j = np.minimum((cum < tau).sum(axis=1), last)
        return np.asarray(v[rows, j], dtype=np.float64)

    lo, hi = 0.0, 1.0
    k = slots.size
    if float(at(hi)[:k].sum()) <= energy:
        q = at(hi)
    elif float(at(lo)[:k].sum()) >= energy:
        q = at(lo)
    else:
        for _ in range(_BISECTIONS):
            mid = 0.5 * (lo + hi)
            if float(at(mid)[:k].sum()) < energy:
                lo = mid
            else:
                hi = mid
        below, above = at(lo), at(hi)
        gap = float(above[:k].sum() - below[:k].sum())
        share = (energy - float(below[:k].sum())) / gap if gap > 0 else 0.0
        q = below + share * (above - below)  # between the two levels: the sum is met exactly
    return q[:k], q[k:]


__all__ = ["DegreeDays", "degree_day_model", "quantile_shape"]
