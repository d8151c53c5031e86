"""VEE: validation rules on hand-made series, DST days, estimation and its delta constraint, the service."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meterhub.mdm import IngestService
from meterhub.mdm.estimation import (
    Persistence,
    _conditioned,
    estimate,
    kept_matrix,
    plain_profile_estimate,
    plateau_load,
    residual_persistence,
)
from meterhub.mdm.ingest import ReadingArrays
from meterhub.mdm.quality import EstimationMethod, Quality, SuspectRule, codes, quality_byte, quality_detail
from meterhub.mdm.vee import (
    SATURDAY,
    SUNDAY,
    WORKDAY,
    Layout,
    RuleBook,
    VeeRules,
    check_readings,
    check_slot_count,
    day_type,
    validate,
)
from meterhub.mdm.vee_service import VeeService
from meterhub.store import Store
from meterhub.store.intervals import day_range, day_start_epoch

Q = 900
SPRING = date(2026, 3, 29)
AUTUMN = date(2026, 10, 25)
MEASURED = quality_byte(Quality.MEASURED)
RULES = VeeRules()


def household(layout: Layout, seed: int = 1) -> np.ndarray:
    """A plausible household series: a smooth daily shape by wall-clock slot with ±20 % noise."""
    rng = np.random.default_rng(seed)
    wall = layout.wall.astype(np.float64) / layout.walls_per_day
    shape = 60 + 40 * np.sin(2 * np.pi * (wall - 0.3)) ** 2 + 80 * np.exp(-(((wall - 0.8) / 0.06) ** 2))
    return np.rint(shape * rng.uniform(0.8, 1.2, size=wall.size)).astype(np.int64)


def setup(days: int = 35, start: date = date(2026, 10, 1), seed: int = 1) -> tuple[Layout, np.ndarray, np.ndarray]:
    layout = Layout.of(day_range(start, start + timedelta(days=days - 1)), Q)
    values = household(layout, seed)
    target = layout.day_index >= days - 7
    return layout, values, target


def rules_of(layout: Layout, values: np.ndarray, target: np.ndarray, quality: np.ndarray | None = None) -> np.ndarray:
    q = np.full(values.size, MEASURED, dtype=np.uint8) if quality is None else quality
    return validate(values, q, layout, RULES, target).rule


# --------------------------------------------------------------------------------------------- layout


def test_layout_dst_days_line_up_by_wall_clock() -> None:
    layout = Layout.of([SPRING - timedelta(days=1), SPRING, AUTUMN], Q)
    assert layout.offsets.tolist() == [0, 96, 188, 288]
    spring = layout.wall[layout.day_slice(1)]
    assert 8 not in spring.tolist() and spring[8] == 12  # 02:00–02:45 do not exist
    autumn = layout.wall[layout.day_slice(2)]
    assert autumn.tolist().count(8) == 2 and autumn[-1] == 95  # 02:00–02:45 twice
    assert check_slot_count(SPRING, 92, Q) and check_slot_count(AUTUMN, 100, Q)
    assert not check_slot_count(AUTUMN, 96, Q) and check_slot_count(AUTUMN, 25, 3600)


def test_day_types() -> None:
    assert day_type(date(2026, 11, 2)) == WORKDAY
    assert day_type(date(2026, 10, 31)) == SATURDAY
    assert day_type(date(2026, 11, 1)) == SUNDAY
    assert day_type(date(2026, 12, 25)) == SUNDAY  # Christmas, a Friday
    assert day_type(date(2026, 6, 23)) == SUNDAY  # National Day


def test_rule_book_per_dso_and_medium() -> None:
    strict = VeeRules(capacity_per_hour=10_000)
    book = RuleBook(overrides={("SUDEN", "electricity"): strict})
    assert book.rules_for("SUDEN", "electricity") is strict
    assert book.rules_for("CREOS", "electricity").capacity_per_hour == 27_600
    assert book.rules_for("CREOS", "gas").medium == "gas"
    assert book.rules_for(None, "electricity", "1.0.2.8.0.255").zero_run_slots == 0


# --------------------------------------------------------------------------------------------- rules


def test_clean_series_passes() -> None:
    layout, values, target = setup()
    assert not rules_of(layout, values, target).any()


def test_gap_negative_and_rebound() -> None:
    layout, values, target = setup()
    q = np.full(values.size, MEASURED, dtype=np.uint8)
    i = int(np.flatnonzero(target)[0]) + 40
    q[i : i + 3] = 0
    values[i + 10] -= 2000  # the register stepped back 2 kWh …
    values[i + 14] += 2000  # … and forward again
    rule = rules_of(layout, values, target, q)
    assert rule[i : i + 3].tolist() == [SuspectRule.GAP] * 3
    assert rule[i + 10] == SuspectRule.NEGATIVE_DELTA and rule[i + 14] == SuspectRule.NEGATIVE_DELTA
    assert np.count_nonzero(rule) == 5


def test_spike_and_high_limit() -> None:
    layout, values, target = setup()
    i = int(np.flatnonzero(target)[0]) + 50
    values[i] += 5000
    values[i + 30] = 20_000  # 80 kW for a quarter hour: over the 27.6 kW connection
    rule = rules_of(layout, values, target)
    assert rule[i] == SuspectRule.SPIKE
    assert rule[i + 30] == SuspectRule.HIGH_LIMIT
    assert np.count_nonzero(rule) == 2


def test_recurring_high_load_is_not_a_spike() -> None:
    """An EV charging 2.75 kWh per quarter hour on some evenings is the household's own behaviour."""
    layout, values, _ = setup()
    for d in range(0, len(layout.days), 3):
        sl = layout.day_slice(d)
        values[sl.start + 72 : sl.start + 80] = 2750
    target = layout.day_index >= len(layout.days) - 7
    assert not rules_of(layout, values, target).any()


def test_stuck_register_and_catch_up() -> None:
    layout, values, target = setup()
    i = int(np.flatnonzero(target)[0]) + 20
    frozen = int(values[i : i + 16].sum())
    values[i : i + 16] = 0
    values[i + 16] += frozen
    rule = rules_of(layout, values, target)
    assert rule[i : i + 17].tolist() == [SuspectRule.STUCK_REGISTER] * 17
    assert np.count_nonzero(rule) == 17


def test_zero_run_and_low_limit() -> None:
    layout, values, target = setup()
    i = int(np.flatnonzero(target)[0])
    values[i : i + 60] = 0
    rules = VeeRules(stuck_min_slots=10_000, zero_run_slots=48)
    q = np.full(values.size, MEASURED, dtype=np.uint8)
    rule = validate(values, q, layout, rules, target).rule
    assert (rule[i : i + 60] == SuspectRule.ZERO_RUN).all()
    values[i : i + 60] = 50
    values[i + 200] = 5
    rules = VeeRules(low_limit=10)
    rule = validate(values, q, layout, rules, target).rule
    assert rule[i + 200] == SuspectRule.LOW_LIMIT


def test_sum_check_against_register_reads() -> None:
    layout, values, target = setup()
    d = len(layout.days) - 3
    sl = layout.day_slice(d)
    total = int(values[sl].sum())
    reads = [(sl.start, 1000), (sl.stop, 1000 + total)]
    q = np.full(values.size, MEASURED, dtype=np.uint8)
    assert not validate(values, q, layout, RULES, target, reads).rule.any()
    bad = [(sl.start, 1000), (sl.stop, 1000 + total + 7)]
    rule = validate(values, q, layout, RULES, target, bad).rule
    assert (rule[sl] == SuspectRule.SUM_CHECK).all() and np.count_nonzero(rule) == sl.stop - sl.start
    assert not validate(values, q, layout, RULES, target, bad).substitute.any()


def test_clock_shift_of_one_hour() -> None:
    layout, values, target = setup()
    values[np.isin(layout.wall, range(72, 80))] += 400  # cooking every evening: a sharp daily feature
    shifted = values.copy()
    idx = np.flatnonzero(target)
    shifted[idx] = np.roll(values, 4)[idx]  # the meter's clock is an hour behind for the last week
    rule = rules_of(layout, shifted, target)
    assert (rule[idx[8:]] == SuspectRule.CLOCK_SHIFT).mean() > 0.9


def test_dst_days_validate_cleanly() -> None:
    for start in (SPRING - timedelta(days=30), AUTUMN - timedelta(days=30)):
        layout, values, target = setup(start=start)
        assert not rules_of(layout, values, target).any()


def test_readings_checks() -> None:
    epochs = np.array([0, 900, 900, 1800, 1000, 2700, 2600 - 1700], dtype=np.int64)
    values = np.arange(epochs.size, dtype=np.int64)
    rule = check_readings(epochs, values, Q)
    assert rule.tolist() == [0, 0, SuspectRule.DUPLICATE, 0, SuspectRule.TIMESTAMP, 0, SuspectRule.DUPLICATE]


def test_hourly_gas_channel_with_dst_day() -> None:
    layout = Layout.of(day_range(AUTUMN - timedelta(days=27), AUTUMN), 3600)
    assert layout.day_slice(len(layout.days) - 1).stop - layout.day_slice(len(layout.days) - 1).start == 25
    rng = np.random.default_rng(5)
    values = np.rint((200 + 300 * np.isin(layout.wall, [6, 7, 18, 19, 20])) * rng.uniform(0.85, 1.15, layout.size))
    values = values.astype(np.int64)
    target = layout.day_index >= len(layout.days) - 3
    rules = RuleBook().rules_for("CREOS", "gas")
    q = np.full(values.size, MEASURED, dtype=np.uint8)
    assert not validate(values, q, layout, rules, target).rule.any()
    i = int(np.flatnonzero(target)[0]) + 2
    frozen = int(values[i : i + 8].sum())
    values[i : i + 8] = 0
    values[i + 8] += frozen
    rule = validate(values, q, layout, rules, target).rule
    assert rule[i : i + 9].tolist() == [SuspectRule.STUCK_REGISTER] * 9 and np.count_nonzero(rule) == 9


# --------------------------------------------------------------------------------------------- estimation


def test_interpolation_for_short_gaps() -> None:
    layout, values, _ = setup()
    fill = np.zeros(values.size, dtype=bool)
    i = layout.size - 200
    fill[i : i + 3] = True
    values[i - 1], values[i + 3] = 100, 200
    est = estimate(np.where(fill, 0, values), fill, layout, RULES)
    assert est.values[i : i + 3].tolist() == [125, 150, 175]
    assert (est.method[i : i + 3] == EstimationMethod.INTERPOLATION).all()
    assert np.array_equal(est.values[~fill], values[~fill])


def test_delta_constraint_is_exact() -> None:
    layout, values, _ = setup()
    d = len(layout.days) - 4
    sl = layout.day_slice(d)
    reads = [(sl.start, 5_000_000), (sl.stop, 5_000_000 + int(values[sl].sum()))]
    fill = np.zeros(values.size, dtype=bool)
    fill[sl.start + 30 : sl.start + 70] = True
    fill[sl.start + 80 : sl.start + 82] = True
    est = estimate(np.where(fill, 0, values), fill, layout, RULES, reads)
    assert int(est.values[sl].sum()) == reads[1][1] - reads[0][1]
    assert (est.values[fill] >= 0).all()
    assert (est.method[sl.start + 30 : sl.start + 70] == EstimationMethod.REGISTER_PRORATED).all()
    base = plain_profile_estimate(np.where(fill, 0, values), fill, layout, reads=reads)
    assert int(base[sl].sum()) == reads[1][1] - reads[0][1]


def test_plateau_load_continues_from_its_neighbour() -> None:
    """An EV charging 2 750 Wh per quarter hour on every other evening from 17:30 to 19:45: a gap from 17:00 to
    20:00 on a day it charges from 18:00 gets the charging as one block, continuing into the slot after."""
    layout, values, _ = setup(days=40)
    for d in range(0, len(layout.days), 2):
        sl = layout.day_slice(d)
        start = 72 if d == len(layout.days) - 2 else 70 + (d * 7) % 10
        at = sl.start + int(np.flatnonzero(layout.wall[sl] == start)[0])
        values[at : at + 12] += 2750
    d = len(layout.days) - 2
    sl = layout.day_slice(d)
    a = sl.start + int(np.flatnonzero(layout.wall[sl] == 68)[0])
    fill = np.zeros(values.size, dtype=bool)
    fill[a : a + 12] = True  # 17:00-20:00: base load, then 8 quarter hours of charging, continuing after
    reads = [(sl.start, 0), (sl.stop, int(values[sl].sum()))]
    est = estimate(np.where(fill, 0, values), fill, layout, RULES, reads)
    base = plain_profile_estimate(np.where(fill, 0, values), fill, layout, reads=reads)
    assert int(est.values[sl].sum()) == reads[1][1]
    err = np.abs(est.values[fill] - values[fill]).sum()
    err_base = np.abs(base[fill] - values[fill]).sum()
    assert err < 0.5 * err_base
    assert (est.values[a + 4 : a + 12] > 2500).all() and (est.values[a : a + 4] < 600).all()


def persistent_household(layout: Layout, seed: int = 3, decay: float = 0.8) -> np.ndarray:
    """The :func:`household` shape with persistent ±20 % noise: an AR(1) relative deviation (lag-1 correlation
    ``decay``), as measured household load has."""
    rng = np.random.default_rng(seed)
    wall = layout.wall.astype(np.float64) / layout.walls_per_day
    shape = 60 + 40 * np.sin(2 * np.pi * (wall - 0.3)) ** 2 + 80 * np.exp(-(((wall - 0.8) / 0.06) ** 2))
    white = rng.normal(size=wall.size)
    dev = np.empty(wall.size)
    dev[0] = white[0]
    for i in range(1, wall.size):
        dev[i] = decay * dev[i - 1] + np.sqrt(1 - decay**2) * white[i]
    return np.rint(shape * np.maximum(1 + 0.2 * dev, 0.1)).astype(np.int64)


def test_residual_persistence_from_the_channel_history() -> None:
    layout = Layout.of(day_range(date(2026, 9, 1), date(2026, 10, 5)), Q)
    kept = np.ones(layout.size, dtype=bool)
    p = residual_persistence(kept_matrix(persistent_household(layout), kept, layout), layout)
    assert 0.7 < p.decay < 0.9 and p.weight > 0.7
    white = residual_persistence(kept_matrix(household(layout), kept, layout), layout)
    assert white.weight == 0.0  # independent noise: nothing carries over
    short = Layout.of(day_range(date(2026, 9, 1), date(2026, 9, 3)), Q)
    assert residual_persistence(kept_matrix(household(short), np.ones(short.size, bool), short), short).weight == 0


def test_conditioning_on_the_edges_keeps_the_energy() -> None:
    level = np.full(12, 100.0)
    out = _conditioned(level, np.array([-2, -1, 12, 13]), np.array([0.4, 0.5, -0.2, -0.1]), Persistence(0.9, 0.8))
    assert abs(float(out.sum()) - 1200.0) < 1e-6  # the register's energy stays the run's
    assert out[0] > out[1] > 100.0 > out[-1]  # high before the run, low after it
    assert np.array_equal(_conditioned(level, np.array([-1]), np.array([0.5]), Persistence(0.0, 0.0)), level)


def test_edges_beat_the_plain_profile_on_persistent_load() -> None:
    """Persistent load, 3-hour gaps with register reads at both ends: the deviation at the gap's edges carried
    into it beats spreading the delta by the average profile."""
    layout = Layout.of(day_range(date(2026, 9, 1), date(2026, 10, 12)), Q)
    values = persistent_household(layout, seed=6)
    fill = np.zeros(values.size, dtype=bool)
    reads: list[tuple[int, int]] = []
    cum = np.concatenate(([0], np.cumsum(values)))
    for d in range(30, 42):
        a = layout.day_slice(d).start + 20 + 5 * (d % 8)
        fill[a : a + 12] = True
        reads += [(a, int(cum[a])), (a + 12, int(cum[a + 12]))]
    est = estimate(np.where(fill, 0, values), fill, layout, RULES, reads)
    base = plain_profile_estimate(np.where(fill, 0, values), fill, layout, reads=reads)
    for (ka, ra), (kb, rb) in zip(reads[::2], reads[1::2], strict=True):
        assert int(est.values[ka:kb].sum()) == rb - ra
    err = np.abs(est.values[fill] - values[fill]).sum()
    err_base = np.abs(base[fill] - values[fill]).sum()
    assert err < 0.85 * err_base


def test_short_bursts_are_not_a_plateau_load() -> None:
    """A kettle or an oven: 3 kW for one or two quarter hours, several times a day, is no block load (an EV's
    hours at one level are), so a gap is never given a block for it."""
    layout, values, _ = setup(days=40)
    ev, bursts = values.copy(), values.copy()
    rng = np.random.default_rng(4)
    for d in range(len(layout.days)):
        sl = layout.day_slice(d)
        for at in rng.choice(np.arange(sl.start + 28, sl.stop - 2), size=4, replace=False):
            bursts[at : at + int(rng.integers(1, 3))] += 750
        if d % 2 == 0:
            ev[sl.start + 72 : sl.start + 80] += 2750
    kept = np.ones(values.size, dtype=bool)
    assert plateau_load(kept_matrix(ev, kept, layout), RULES) is not None
    assert plateau_load(kept_matrix(bursts, kept, layout), RULES) is None


def test_proxy_day_without_reads() -> None:
    layout, values, _ = setup()
    d = len(layout.days) - 2
    sl = layout.day_slice(d)
    fill = np.zeros(values.size, dtype=bool)
    fill[sl] = True
    est = estimate(np.where(fill, 0, values), fill, layout, RULES)
    assert (est.method[sl] == EstimationMethod.PROXY_DAY).all()
    assert abs(int(est.values[sl].sum()) / int(values[sl].sum()) - 1) < 0.15


def test_nothing_to_shape_leaves_the_gap() -> None:
    layout = Layout.of([date(2026, 1, 5)], Q)
    fill = np.ones(layout.size, dtype=bool)
    est = estimate(np.zeros(layout.size, dtype=np.int64), fill, layout, RULES)
    assert not est.filled.any()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    gaps=st.lists(st.tuples(st.integers(0, 99), st.integers(1, 60)), min_size=1, max_size=4),
    day=st.sampled_from([SPRING, AUTUMN, date(2026, 7, 1)]),
    seed=st.integers(0, 2**16),
)
def test_property_estimates_plus_measured_equal_register_deltas(
    gaps: list[tuple[int, int]], day: date, seed: int
) -> None:
    layout = Layout.of(day_range(day - timedelta(days=14), day + timedelta(days=1)), Q)
    values = household(layout, seed)
    fill = np.zeros(values.size, dtype=bool)
    d = len(layout.days) - 2
    sl = layout.day_slice(d)
    for a, length in gaps:
        a = sl.start + a % (sl.stop - sl.start)
        fill[a : min(a + length, layout.size)] = True
    bounds = [0, sl.start, sl.stop, layout.size]
    cum = np.concatenate(([0], np.cumsum(values))) + 10_000
    reads = [(k, int(cum[k])) for k in bounds]
    est = estimate(np.where(fill, 0, values), fill, layout, RULES, reads)
    for ka, kb in itertools.pairwise(bounds):
        assert int(est.values[ka:kb].sum()) == int(cum[kb] - cum[ka])
    assert np.array_equal(est.values[~fill], values[~fill])
    assert (est.values >= 0).all()


# --------------------------------------------------------------------------------------------- the service


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path)
    yield s
    s.close()


def _channel(store: Store) -> int:
    dso = store.add_dso("CREOS", "Creos")
    meter = store.add_meter("M00000001", dso, model="E360", firmware="1")
    return store.add_channel(meter, "1.0.1.8.0.255", unit="Wh", interval_s=Q)


def test_service_writes_a_new_version_and_keeps_measured_numbers(store: Store) -> None:
    cid = _channel(store)
    days = day_range(date(2026, 10, 1), date(2026, 10, 31))
    layout = Layout.of(days, Q)
    values = household(layout)
    t0 = day_start_epoch(days[0])
    epochs = t0 + Q * np.arange(layout.size + 1, dtype=np.int64)
    cum = 1_000_000 + np.concatenate(([0], np.cumsum(values)))
    keep = np.ones(epochs.size, dtype=bool)
    gap_day = AUTUMN  # the 100-slot day
    g0 = (day_start_epoch(gap_day) - t0) // Q + 40
    keep[g0 + 1 : g0 + 9] = False  # readings lost: slots g0 … g0+8 missing
    spike_at = g0 + 30
    cum_rep = cum.copy()
    cum_rep[spike_at + 1] += 5000  # a jump for one reading: +5 kWh, then −5 kWh
    IngestService(store).ingest_profile(cid, ReadingArrays(epochs[keep], cum_rep[keep]))
    before = {b.local_day: b for b in store.current_blocks([cid], gap_day, gap_day)}[gap_day]
    assert (codes(before.quality) == Quality.MISSING).sum() == 9

    service = VeeService(store)
    until = datetime(2026, 11, 5, tzinfo=UTC)
    report = service.run([cid], gap_day, gap_day, until=until)
    assert report.versions_written == 1
    versions = store.block_versions(cid, gap_day)
    assert [v.version for v in versions] == [before.version, before.version + 1]
    new = versions[-1]
    assert new.source == "vee" and new.reason is not None and "spike" in new.reason
    q = codes(new.quality)
    assert (q[40:49] == Quality.ESTIMATED).all()
    assert q[70] == Quality.ESTIMATED and q[71] == Quality.ESTIMATED  # the jump and its fall-back
    assert quality_detail(int(new.quality[45])) == EstimationMethod.REGISTER_PRORATED
    kept = (q == Quality.VALIDATED) & (codes(before.quality) == Quality.MEASURED)
    assert np.array_equal(new.values[kept], before.values[kept])
    assert (q == Quality.VALIDATED).sum() == 100 - 11
    # the day's total equals the register delta across it
    s, e = day_start_epoch(gap_day), day_start_epoch(gap_day + timedelta(days=1))
    assert int(new.values.sum()) == int(cum[(e - t0) // Q] - cum[(s - t0) // Q])
    # idempotent: nothing new the second time
    assert service.run([cid], gap_day, gap_day, until=until).versions_written == 0
    # measured data arriving later replaces the estimates through ingest, as a new version
    IngestService(store).ingest_profile(cid, ReadingArrays(epochs[g0 : g0 + 10], cum_rep[g0 : g0 + 10]))
    latest = store.block_versions(cid, gap_day)[-1]
    assert latest.version == before.version + 2
    assert (codes(latest.quality[40:49]) == Quality.MEASURED).all()
    assert np.array_equal(latest.values[40:49], values[g0 : g0 + 9])


def test_service_leaves_open_slots_and_edits_alone(store: Store) -> None:
    cid = _channel(store)
    days = day_range(date(2026, 11, 1), date(2026, 11, 20))
    layout = Layout.of(days, Q)
    values = household(layout)
    t0 = day_start_epoch(days[0])
    epochs = t0 + Q * np.arange(layout.size - 40 + 1, dtype=np.int64)  # the last day read up to 14:00
    cum = np.concatenate(([0], np.cumsum(values)))[: epochs.size]
    IngestService(store).ingest_profile(cid, ReadingArrays(epochs, cum))
    until = datetime.fromtimestamp(int(epochs[-1]), UTC)
    VeeService(store).run([cid], days[-1], days[-1], until=until)
    last = store.current_blocks([cid], days[-1], days[-1])[0]
    assert (codes(last.quality[56:]) == Quality.MISSING).all()
    assert (codes(last.quality[:56]) == Quality.VALIDATED).all()


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(
    lost=st.lists(st.tuples(st.integers(0, 290), st.integers(1, 40)), min_size=1, max_size=3),
    jump=st.one_of(st.none(), st.tuples(st.integers(0, 290), st.integers(-3000, 6000))),
    seed=st.integers(0, 1000),
)
def test_property_service_keeps_day_totals_equal_to_register_deltas(
    tmp_path_factory: pytest.TempPathFactory, lost: list[tuple[int, int]], jump: tuple[int, int] | None, seed: int
) -> None:
    """Through ingest and VEE (gaps estimated, jumps substituted), every target day with its two midnight reads
    sums exactly to their difference, and the values VEE kept are the measured ones."""
    store = Store.open(tmp_path_factory.mktemp("vee"))
    try:
        cid = _channel(store)
        days = day_range(AUTUMN - timedelta(days=20), AUTUMN + timedelta(days=2))
        layout = Layout.of(days, Q)
        values = household(layout, seed)
        t0 = day_start_epoch(days[0])
        epochs = t0 + Q * np.arange(layout.size + 1, dtype=np.int64)
        cum = 10_000_000 + np.concatenate(([0], np.cumsum(values)))
        first = int(layout.offsets[len(days) - 3])  # the target days: AUTUMN - 1 … AUTUMN + 1
        keep = np.ones(epochs.size, dtype=bool)
        midnights = set(layout.offsets.tolist())
        for a, length in lost:
            for k in range(first + a + 1, min(first + a + length, epochs.size)):
                if k not in midnights:  # the daily reads survive (the sum check needs them)
                    keep[k] = False
        reported = cum.copy()
        if jump is not None and first + jump[0] + 1 not in midnights:
            reported[first + jump[0] + 1] += jump[1]
        IngestService(store).ingest_profile(cid, ReadingArrays(epochs[keep], reported[keep]))
        before = {b.local_day: b for b in store.current_blocks([cid], days[-3], days[-1])}
        VeeService(store).run([cid], days[-3], days[-1], until=datetime(2027, 1, 1, tzinfo=UTC))
        for i in range(len(days) - 3, len(days)):
            block = store.current_blocks([cid], days[i], days[i])[0]
            lo, hi = int(layout.offsets[i]), int(layout.offsets[i + 1])
            assert int(block.values.sum()) == int(reported[hi] - reported[lo])
            q = codes(block.quality)
            assert not (q == Quality.MISSING).any()
            prior = before[days[i]]
            validated = q == Quality.VALIDATED
            assert np.array_equal(block.values[validated], prior.values[validated])
    finally:
        store.close()
