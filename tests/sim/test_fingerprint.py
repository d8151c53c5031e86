"""Bit-identity of the simulator's models: one SHA-256 over what a handful of households produce in 30 days.

The models are deterministic by seed; refactors of :mod:`meterhub.sim.consumption` must keep every value. The hash
covers the drawn traits, 30 days of A+/A−/R+/R− quarter hours across the spring DST switch, the cumulative and TOU
registers, voltages and currents, the noiseless A+ shape, the sub-meters' hourly values and registers, the events,
the temperatures and a fault scenario's reported profile and ground truth. A change of the models' *behaviour*
changes :data:`EXPECTED`: update it only on purpose, and say why in the commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np

from meterhub.sim.consumption.electricity import ElectricityModel
from meterhub.sim.consumption.events import EventModel
from meterhub.sim.consumption.scenarios import FaultScenario, model_truth
from meterhub.sim.consumption.submeters import sub_meter_models
from meterhub.sim.consumption.traits import HouseholdTraits, first_households
from meterhub.sim.consumption.weather import temperature_c

UTC = dt.UTC
Q = dt.timedelta(minutes=15)
H = dt.timedelta(hours=1)
START = dt.datetime(2025, 3, 14, 23, tzinfo=UTC)  # local midnight of 15 March 2025; DST starts on the 30th
DAYS = 30
SEED = 11

#: The fingerprint of the models since the appliance events (issue 12 item 6: kettle, hob, oven, washing machine,
#: dishwasher, tumble dryer, sauna carved out of the base load; quarter-hour A+/R+/R− and currents change, the
#: registers do not); the float shape rounded to 1e-6 (same on every CPU: numpy's AVX-512, AVX2 and baseline
#: kernels differ by ulps). Before them: 51301b07… (rounded; e6fa3596… unrounded on AVX2).
EXPECTED = "16c8f41a9f42570c5e81e29bea626bb256ead03414b37660ba1c360042e1c48d"


def _households() -> list[HouseholdTraits]:
    """One household of each kind: plain, PV + EV + electric heat, heat pump, gas, water, district heat."""
    wanted = {
        "plain": lambda t: not (t.pv_kwp or t.ev_kw or t.heat_pump or t.electric_heating),
        "full": lambda t: bool(t.pv_kwp and t.ev_kw and (t.heat_pump or t.electric_heating)),
        "heat_pump": lambda t: t.heat_pump,
        "gas": lambda t: t.gas,
        "water": lambda t: t.water and not t.gas,
        "district": lambda t: t.district_heat,
    }
    return list(first_households(SEED, wanted, serial="FP{:06d}").values())


def _scenario(serials: list[str]) -> FaultScenario:
    t = START + dt.timedelta(days=3)

    def window(days: float, hours: float) -> dict[str, str]:
        a = t + dt.timedelta(days=days)
        return {"start": a.isoformat(), "end": (a + dt.timedelta(hours=hours)).isoformat()}

    return FaultScenario.from_dict(
        {
            "name": "fingerprint",
            "faults": [
                {"type": "spike", "meters": serials[:2], **window(0, 2), "params": {"value": 5000}},
                {"type": "negative", "meters": serials[1:3], **window(2, 1), "params": {"channels": [1, 3]}},
                {"type": "stuck_register", "meters": {"fraction": 0.5, "seed": 3}, **window(4, 6)},
                {"type": "missing_intervals", "meters": "all", **window(6, 3), "params": {"channels": [1, 101]}},
                {"type": "communication_loss", "meters": serials[3:], **window(8, 24)},
                {"type": "clock_shift", "meters": serials[:1], **window(9, 5), "params": {"offset_s": 120}},
                {"type": "spike", "meters": serials[3:4], **window(10, 4), "params": {"channels": [101]}},
            ],
        }
    )


def fingerprint() -> str:
    """SHA-256 (hex) of everything the models give for the households of :func:`_households` over 30 days."""
    h = hashlib.sha256()
    homes = _households()
    end = START + dt.timedelta(days=DAYS)
    n_q = int((end - START) / Q)
    for traits in homes:
        h.update(repr(traits).encode())
        elec = ElectricityModel(traits)
        h.update(elec.intervals(START, n_q).tobytes())
        # The noiseless shape is float (sin/exp of the sun's path): numpy's SIMD kernels differ by a few ulps
        # between CPUs (AVX2 vs AVX-512), so it is hashed to 1e-6 W; every integer output is hashed exactly.
        h.update(np.round(elec.noiseless_shape(START, n_q), 6).tobytes())
        for k in range(0, n_q + 1, 37):
            t = START + k * Q
            h.update(elec.register(t).tobytes())
            h.update(elec.tou_registers(t).tobytes())
            h.update(elec.voltages(t).tobytes())
            h.update(elec.currents(t).tobytes())
        h.update(elec.register(dt.datetime(2031, 7, 1, 10, 15, tzinfo=UTC)).tobytes())  # far: the per-year memo
        for medium, model in sub_meter_models(traits):
            h.update(medium.encode())
            h.update(model.intervals(START, DAYS * 24).tobytes())
            for k in range(0, DAYS * 24 + 1, 29):
                h.update(model.register(START + k * H).to_bytes(8, "big", signed=True))
        events = EventModel(traits)
        h.update(repr(events.events(START, end)).encode())
        h.update(events.alarm_register(START, end).to_bytes(8, "big"))
    for d in range(-400, DAYS):
        h.update(repr(temperature_c(START.date() + dt.timedelta(days=d))).encode())
    serials = [t.serial for t in homes]
    scenario = _scenario(serials)
    truth = model_truth(SEED)
    for traits in homes:
        elec = ElectricityModel(traits)
        first = START + dt.timedelta(days=2)
        cum = [elec.register(first + k * Q) for k in range(6 * 96)]
        reported, missing = scenario.apply_to_profile(traits.serial, first, np.stack(cum), elec.register)
        h.update(reported.tobytes())
        h.update(repr(sorted(missing)).encode())
        h.update(repr(scenario.is_unreachable(traits.serial, START + dt.timedelta(days=11, hours=3))).encode())
        h.update(repr(scenario.clock_offset_s(traits.serial, START + dt.timedelta(days=12, hours=1))).encode())
    h.update(repr(list(scenario.ground_truth(serials, truth))).encode())
    return h.hexdigest()


def test_the_models_give_bit_identical_output() -> None:
    assert fingerprint() == EXPECTED
