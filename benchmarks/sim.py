"""Simulator benchmark: what a meter's household models cost per call when the head-end reads it.

A simulated meter answers a register read (OBIS 1.0.1.8.0…1.0.4.8.0 at a capture instant) from
:meth:`ElectricityModel.register`, a closed sum of day-level totals plus one partial day, and a load-profile read
from :meth:`ElectricityModel.intervals`. One round: ``calls`` register reads at random quarter-hour instants
over the first 4 years of the model (the per-year memo and the per-day caches are exercised as a fleet's reads
do), then the day of quarter hours around each of the first few of those instants. Both for a plain household
and for one with PV, an EV and electric heating (the most expensive model). The models are deterministic, so the
figures measure only the machine. Goal: a register read < 1 000 µs (it was a unit test's wall-clock assertion
until the unit tests lost their clocks; see tests/sim/test_consumption.py for what stays asserted there).
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from meterhub.sim.consumption.base import MODEL_EPOCH, QUARTER
from meterhub.sim.consumption.electricity import ElectricityModel
from meterhub.sim.consumption.traits import HouseholdTraits, first_households

GOAL_US_PER_REGISTER = 1000.0


def households(seed: int = 7) -> dict[str, HouseholdTraits]:
    """A plain household (no PV, EV or electric heat) and a full one (PV, EV and electric heat or a heat pump)."""
    return first_households(
        seed,
        {
            "plain": lambda t: not (t.pv_kwp or t.ev_kw or t.heat_pump or t.electric_heating),
            "full": lambda t: bool(t.pv_kwp and t.ev_kw and (t.heat_pump or t.electric_heating)),
        },
    )


def _timed(traits: HouseholdTraits, work: Callable[[ElectricityModel], None], repeats: int) -> list[float]:
    """Seconds of ``work`` on a fresh model per batch (calendar tables built, epoch offset known: as a simulated
    meter is once it has answered its first read)."""
    batches = []
    for _ in range(repeats):
        model = ElectricityModel(traits)
        model.register(MODEL_EPOCH)
        start = time.perf_counter()
        work(model)
        batches.append(time.perf_counter() - start)
    return batches


def run(calls: int = 200, repeats: int = 5, seed: int = 1, **_options: Any) -> dict[str, Any]:
    """Time ``repeats`` batches of ``calls`` register reads (and a day of intervals at the first 10 instants) per
    household kind, each on a fresh model; report the best batch (least disturbed by the OS) and the median."""
    rng = np.random.default_rng(seed)
    offsets = [int(k) for k in rng.integers(0, 4 * 365 * 96, calls)]
    instants = [MODEL_EPOCH + k * QUARTER for k in offsets]
    days = [MODEL_EPOCH + (k // 96) * 96 * QUARTER for k in offsets[:10]]
    out: dict[str, Any] = {"benchmark": "sim", "register_calls": calls, "repeats": repeats}
    gc.collect()
    for kind, traits in households().items():
        a, b = ElectricityModel(traits), ElectricityModel(traits)
        b.register(instants[-1])
        assert np.array_equal(a.register(instants[0]), b.register(instants[0]))  # correctness before speed

        def registers(m: ElectricityModel) -> None:
            for t in instants:
                m.register(t)

        def intervals(m: ElectricityModel) -> None:
            for t in days:
                m.intervals(t, 96)

        reg = _timed(traits, registers, repeats)
        day = _timed(traits, intervals, repeats)
        out[f"{kind}_us_per_register"] = round(min(reg) / calls * 1e6, 1)
        out[f"{kind}_us_per_register_median"] = round(statistics.median(reg) / calls * 1e6, 1)
        out[f"{kind}_us_per_day_of_intervals"] = round(min(day) / len(days) * 1e6, 1)
    out["goal_us_per_register"] = GOAL_US_PER_REGISTER
    out["meets_goal"] = all(out[f"{k}_us_per_register"] < GOAL_US_PER_REGISTER for k in ("plain", "full"))
    return out
