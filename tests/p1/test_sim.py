"""The P1 simulator agrees with the household it simulates: registers equal the model's at every quarter hour
and only increase, power is the derivative of the registers, gas comes hourly with its capture time."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from meterhub.p1.receiver import NEED_DATA, P1Receiver, Reading
from meterhub.sim.consumption import MODEL_EPOCH
from meterhub.sim.p1 import P1Simulator, frame_counter_at, tariff_at
from tests.p1.conftest import KEY
from tests.sansio import drain

START = dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC)  # a summer morning: PV households import and export


def _pv_household() -> P1Simulator:
    for n in range(1, 200):
        sim = P1Simulator(f"LU{n:04d}", KEY, seed=1)
        if sim.traits.pv_kwp and sim.traits.gas:
            return sim
    pytest.fail("no household with PV and gas in the first 200 serials")


@pytest.fixture(scope="module")
def run() -> tuple[P1Simulator, list[Reading]]:
    sim = _pv_household()
    r = P1Receiver(KEY)
    for _, wire in sim.frames(START, 400):  # 1 h 06 min 40 s
        r.receive_data(wire)
    readings = [e for e in drain(r, NEED_DATA) if isinstance(e, Reading)]
    assert r.stats.frames_ok == 400
    return sim, readings


def test_registers_equal_the_model_at_each_quarter_and_never_decrease(run: tuple[P1Simulator, list[Reading]]) -> None:
    sim, readings = run
    quarters = 0
    for prev, cur in itertools.pairwise(readings):
        a, b = prev.telegram, cur.telegram
        assert b.energy_import_wh >= a.energy_import_wh and b.energy_export_wh >= a.energy_export_wh  # type: ignore[operator]
        assert b.reactive_import_varh >= a.reactive_import_varh  # type: ignore[operator]
    for x in readings:
        t = x.telegram
        assert t.timestamp is not None
        if t.timestamp.minute % 15 == 0 and t.timestamp.second == 0:
            quarters += 1
            model = sim.electricity.register(t.timestamp)
            assert [t.energy_import_wh, t.energy_export_wh, t.reactive_import_varh, t.reactive_export_varh] == [
                int(v) for v in model
            ]
    assert quarters == 5


def test_power_is_the_derivative_of_the_registers(run: tuple[P1Simulator, list[Reading]]) -> None:
    _, readings = run
    by_quarter: dict[dt.datetime, list[Reading]] = {}
    for x in readings[1:]:
        assert x.telegram.timestamp is not None
        end = x.telegram.timestamp - dt.timedelta(seconds=10)
        by_quarter.setdefault(end - dt.timedelta(minutes=end.minute % 15, seconds=end.second), []).append(x)
    checked = 0
    for group in by_quarter.values():
        if len(group) != 90:
            continue
        _first, last = group[0].telegram, group[-1].telegram
        for name, power in (("energy_import_wh", "power_import_w"), ("energy_export_wh", "power_export_w")):
            energy_wh = sum(getattr(g.telegram, power) for g in group) * 10 / 3600
            i = readings.index(group[0]) - 1
            delta = getattr(last, name) - getattr(readings[i].telegram, name)
            assert abs(energy_wh - delta) <= 1 + 0.01 * delta, (name, energy_wh, delta)
        checked += 1
    assert checked >= 3
    for x in readings:
        t = x.telegram
        assert not (t.power_import_w and t.power_export_w)  # one direction at a time
        assert sum(p or 0 for p in t.power_import_phase_w) == t.power_import_w
        assert all(207.0 <= (v or 0) <= 253.0 for v in t.voltage_v)
    assert any(x.telegram.power_export_w for x in readings), "a PV household exports on a June morning"


def test_gas_is_hourly_with_its_capture_time_and_counters_increase(run: tuple[P1Simulator, list[Reading]]) -> None:
    sim, readings = run
    gas_model = dict(sim.sub_meters)["gas"]
    seen = set()
    for x in readings:
        gas = x.telegram.mbus[0]
        assert gas.device_type == 3 and gas.unit == "l" and gas.captured_at is not None
        assert x.telegram.timestamp is not None
        assert gas.captured_at == x.telegram.timestamp.replace(minute=0, second=0)
        assert gas.value == gas_model.register(gas.captured_at)
        seen.add(gas.captured_at)
    assert len(seen) == 2
    counters = [x.frame_counter for x in readings]
    assert counters == sorted(counters) and counters[0] == frame_counter_at(START)
    assert counters[-1] - counters[0] == 399


def test_event_counters_follow_the_event_model() -> None:
    sim = P1Simulator("LU0001", KEY, seed=1)
    t = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
    tg = sim.telegram_at(t)
    events = sim.events.events(MODEL_EPOCH, t)
    assert tg.power_failures == sum(1 for e in events if e.log == "standard" and e.code == 1)
    assert tg.voltage_sags == tuple(sum(1 for e in events if e.code == 76 + k) for k in range(3))
    long = [e for e in events if e.log == "power_failure" and e.duration_s > 180]
    assert tg.long_power_failures == len(long)
    assert [p.end for p in tg.power_failure_log] == [e.time_utc for e in long][-10:]
    # the same counters whether the simulator got there from an earlier day or directly
    fresh = P1Simulator("LU0001", KEY, seed=1)
    fresh.telegram_at(t - dt.timedelta(days=3))
    assert fresh.telegram_at(t) == tg


def test_tariff_and_time_grid() -> None:
    assert tariff_at(dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC)) == 2  # Tuesday 10:00 local
    assert tariff_at(dt.datetime(2026, 11, 24, 22, tzinfo=dt.UTC)) == 1  # 23:00
    assert tariff_at(dt.datetime(2026, 11, 22, 9, tzinfo=dt.UTC)) == 1  # Sunday
    assert tariff_at(dt.datetime(2026, 12, 25, 9, tzinfo=dt.UTC)) == 1  # Christmas
    sim = P1Simulator("LU0001", KEY)
    with pytest.raises(ValueError):
        sim.telegram_at(START + dt.timedelta(seconds=5))
    assert "0001" in repr(sim) and KEY.hex() not in repr(sim)
