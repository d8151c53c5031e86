"""Quantile-matched estimation: the register's energy exactly, and a better split than the mean profile on spiky
household load; the degree-day model of a heating channel; the import's duplicate verdicts kept by validation."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from meterhub.mdm.estimation import estimate, kept_matrix, plain_profile_estimate
from meterhub.mdm.estimation_quantile import degree_day_model, quantile_shape
from meterhub.mdm.quality import Quality, SuspectRule, quality_byte
from meterhub.mdm.vee import Layout, RuleBook, VeeRules, validate
from meterhub.store.intervals import day_range

Q = 900
MEASURED = quality_byte(Quality.MEASURED)


def spiky_home(layout: Layout, seed: int = 3) -> np.ndarray:
    """A base load of 40–60 Wh per quarter hour and 2 kW appliances (500 Wh) that run at the usual meal times
    on some days only: a mean profile smears them, the history's quantiles do not."""
    rng = np.random.default_rng(seed)
    values = rng.integers(40, 60, layout.size).astype(np.int64)
    for d in range(len(layout.days)):
        sl = layout.day_slice(d)
        for wall in (28, 76):  # 07:00 and 19:00
            if rng.random() < 0.5:
                values[sl.start + wall + int(rng.integers(0, 3))] += 500
    return values


def test_quantile_shape_meets_the_energy_and_beats_the_mean_profile() -> None:
    layout = Layout.of(day_range(date(2026, 3, 2), date(2026, 3, 29)), Q)
    values = spiky_home(layout)
    err_q = err_p = 0.0
    for d in range(3, 25, 3):
        sl = layout.day_slice(d)
        fill = np.zeros(layout.size, dtype=bool)
        fill[sl] = True
        reads = [(sl.start, 10_000_000), (sl.stop, 10_000_000 + int(values[sl].sum()))]
        est = estimate(np.where(fill, 0, values), fill, layout, VeeRules(), reads)
        assert int(est.values[sl].sum()) == reads[1][1] - reads[0][1]
        base = plain_profile_estimate(np.where(fill, 0, values), fill, layout, reads=reads)
        err_q += float(np.abs(est.values[sl] - values[sl]).sum())
        err_p += float(np.abs(base[sl] - values[sl]).sum())
    assert err_q < 0.85 * err_p


def test_quantile_shape_sum_and_edges() -> None:
    layout = Layout.of(day_range(date(2026, 3, 2), date(2026, 3, 15)), Q)
    values = spiky_home(layout, seed=5)
    fill = np.zeros(layout.size, dtype=bool)
    fill[500:540] = True
    matrix = kept_matrix(values, ~fill, layout)
    out = quantile_shape(matrix, layout, np.arange(500, 540), 4_000.0, 28, extra=np.array([498, 499]))
    assert out is not None
    shape, edges = out
    assert abs(float(shape.sum()) - 4_000.0) < 1e-6 and edges.size == 2 and (shape >= 0).all()


def test_degree_day_model_of_a_heating_channel() -> None:
    days = day_range(date(2026, 1, 5), date(2026, 2, 1))
    temps = [2.0 + 6.0 * np.sin(k / 3.0) for k in range(len(days))]
    layout = Layout.of(days, 3600, temps)
    rng = np.random.default_rng(1)
    daily = 800.0 + 400.0 * np.maximum(0.0, 15.0 - np.asarray(temps))
    values = np.rint(np.repeat(daily / 24.0, 24) * rng.uniform(0.9, 1.1, layout.size)).astype(np.int64)
    model = degree_day_model(kept_matrix(values, np.ones(layout.size, dtype=bool), layout), layout)
    assert model is not None and 300 < model.slope < 500
    assert degree_day_model(kept_matrix(values, np.ones(layout.size, bool), Layout.of(days, 3600)), layout) is not None
    assert degree_day_model(kept_matrix(values, np.ones(layout.size, bool), layout), Layout.of(days, 3600)) is None


def test_plain_profile_takes_both_sides_of_an_early_day() -> None:
    layout = Layout.of(day_range(date(2026, 3, 2), date(2026, 3, 29)), Q)
    values = spiky_home(layout)
    fill = np.zeros(layout.size, dtype=bool)
    sl = layout.day_slice(0)  # the first day: no history before it
    fill[sl] = True
    base = plain_profile_estimate(np.where(fill, 0, values), fill, layout)
    assert len(set(base[sl].tolist())) > 2  # a profile, not a flat spread


def gas_series(seed: int) -> tuple[Layout, np.ndarray, np.ndarray, np.ndarray, int]:
    """Three weeks of an hourly gas channel at ≈ 300 L/h, the last three days the target, and a slot in them."""
    start = date(2026, 3, 2)
    layout = Layout.of(day_range(start, start + timedelta(days=20)), 3600)
    rng = np.random.default_rng(seed)
    values = np.rint(300 * rng.uniform(0.9, 1.1, layout.size)).astype(np.int64)
    quality = np.full(layout.size, MEASURED, dtype=np.uint8)
    return layout, values, quality, layout.day_index >= len(layout.days) - 3, layout.size - 30


def test_the_imports_duplicate_verdict_stays() -> None:
    layout, values, quality, target, i = gas_series(2)
    quality[i : i + 2] = quality_byte(Quality.SUSPECT, SuspectRule.DUPLICATE)
    val = validate(values, quality, layout, RuleBook().rules_for(None, "gas"), target)
    assert val.rule[i : i + 2].tolist() == [SuspectRule.DUPLICATE] * 2 and not val.substitute[i : i + 2].any()
    assert np.count_nonzero(val.rule) == 2


def test_a_short_stuck_gas_register_with_its_catch_up() -> None:
    layout, values, quality, target, i = gas_series(4)
    frozen = int(values[i : i + 2].sum())
    values[i : i + 2] = 0
    values[i + 2] += frozen
    rule = validate(values, quality, layout, RuleBook().rules_for(None, "gas"), target).rule
    assert rule[i : i + 3].tolist() == [SuspectRule.STUCK_REGISTER] * 3 and np.count_nonzero(rule) == 3


def test_a_clock_an_hour_off_between_an_hour_read_twice_and_an_hour_never_read() -> None:
    """Labels an hour early for two days: the import marks the hour read twice at the start, the hour nobody
    read at the end is a gap; the days between are flagged clock_shift, nothing outside those days is."""
    start = date(2026, 3, 2)
    layout = Layout.of(day_range(start, start + timedelta(days=27)), Q)
    rng = np.random.default_rng(6)
    wall = layout.wall.astype(np.float64)
    values = np.rint((60 + 300 * ((wall >= 72) & (wall < 84)) + 150 * ((wall >= 26) & (wall < 34)))
                     * rng.uniform(0.8, 1.2, layout.size)).astype(np.int64)  # fmt: skip
    quality = np.full(layout.size, MEASURED, dtype=np.uint8)
    t0 = int(layout.offsets[14]) + 40  # true boundary where the clock went an hour early
    t1 = t0 + 2 * 96
    values[t0 - 4 : t1 - 4] = values[t0:t1].copy()  # slot labelled L holds the energy of L + 1 h
    quality[t0 - 5 : t0] = quality_byte(Quality.SUSPECT, SuspectRule.DUPLICATE)  # the hour read twice
    quality[t1 - 5 : t1] = 0  # the hour never read
    target = np.ones(layout.size, dtype=bool)
    rule = validate(np.where(quality == 0, 0, values), quality, layout, VeeRules(), target).rule
    assert (rule[t0 : t1 - 5] == SuspectRule.CLOCK_SHIFT).all()
    assert (rule[t0 - 5 : t0] == SuspectRule.DUPLICATE).all() and (rule[t1 - 5 : t1] == SuspectRule.GAP).all()
    extra = np.flatnonzero(rule)
    extra = extra[(extra < t0 - 5) | (extra >= t1)]  # the profile rule takes whole days: the stretch's own only
    assert (rule[extra] == SuspectRule.CLOCK_SHIFT).all() and set(layout.day_index[extra].tolist()) <= {14, 16}
