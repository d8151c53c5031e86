"""Soak tests of the simulator, marked ``slow`` (``.venv/bin/pytest -m slow``; minutes, not seconds).

* A week of 2 000 households at the model level: for every household, the registers, TOU registers and sub-meter
  indices agree with the sums of the quarter-hour and hourly values over a week across the autumn DST change,
  and the week's events are the union of its days'.
* A 2 000-meter fleet served over DLMS/TCP (behind concentrators and direct) and read by the head-end every
  night for a simulated week, the meters' clock moved on each morning: every meter read every night, every
  channel of every day stored once and fully measured, and a sample of meters checked slot-sum against the
  models' registers.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random

import numpy as np
import pytest

from meterhub import demo as d
from meterhub.hes.headend import HeadEnd, MeterTarget, RunReport, load_targets
from meterhub.sim.consumption.base import HOUR, QUARTER, UTC
from meterhub.sim.consumption.electricity import ElectricityModel
from meterhub.sim.consumption.events import EventModel
from meterhub.sim.consumption.submeters import sub_meter_models
from meterhub.sim.consumption.traits import HouseholdTraits
from meterhub.sim.fleet import FleetPlan
from meterhub.store.db import Store
from meterhub.store.intervals import local_day_slots
from tests.hes.conftest import SECRET, assert_day_complete, day_window, inproc_fleet, run, store  # noqa: F401 (a fixture)

pytestmark = pytest.mark.slow

FLEET = 2000
WEEK = [dt.date(2026, 10, 21) + dt.timedelta(days=k) for k in range(7)]  # Wednesday to Tuesday; 25th: 100 slots


@pytest.mark.timeout(1800)
def test_a_week_of_2000_households_is_exact() -> None:
    start, end = d.local_midnight(WEEK[0]), d.local_midnight(WEEK[-1] + dt.timedelta(days=1))
    quarters, hours = int((end - start) / QUARTER), int((end - start) / HOUR)
    assert quarters == 7 * 96 + 4 and hours == 7 * 24 + 1  # the week has the autumn change's extra hour
    midnights = [d.local_midnight(day) for day in [*WEEK, WEEK[-1] + dt.timedelta(days=1)]]
    kinds = {"pv": 0, "ev": 0, "heat": 0, "sub-meters": 0}
    for i in range(FLEET):
        traits = HouseholdTraits.draw(7, f"LU{i:08d}")
        elec = ElectricityModel(traits)
        values = elec.intervals(start, quarters)
        assert (values >= 0).all(), traits.serial
        assert np.array_equal(elec.register(end) - elec.register(start), values.sum(axis=0)), traits.serial
        tou = elec.tou_registers(end)
        register = elec.register(end)
        assert tou[0] + tou[1] == register[0] and tou[2] + tou[3] == register[1], traits.serial
        for medium, model in sub_meter_models(traits):
            hourly = model.intervals(start, hours)
            assert (hourly >= 0).all() and model.register(end) - model.register(start) == hourly.sum(), medium
            kinds["sub-meters"] += 1
        events = EventModel(traits)
        by_day = [e for lo, hi in itertools.pairwise(midnights) for e in events.events(lo, hi)]
        assert events.events(start, end) == sorted(by_day), traits.serial
        kinds["pv"] += traits.pv_kwp > 0
        kinds["ev"] += traits.ev_kw > 0
        kinds["heat"] += traits.heat_pump or traits.electric_heating
    assert all(n > 50 for n in kinds.values()), kinds  # every kind of household was in the soak


class _Clock:
    """The meters' clock: the morning after the night's read day (moved on by the test)."""

    def __init__(self) -> None:
        self.t = dt.datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> dt.datetime:
        return self.t


@pytest.mark.timeout(3600)
def test_a_2000_meter_fleet_read_every_night_for_a_week(store: Store) -> None:  # noqa: F811 (the fixture)
    clock = _Clock()
    keys = d.DerivedKeyProvider(SECRET)

    async def week() -> tuple[list[RunReport], FleetPlan, list[MeterTarget]]:
        async with inproc_fleet(FLEET, 8, seed=7, now=clock, plc="fast", direct_fraction=0.05) as fleet:
            d.provision(store, fleet.plan, d.local_midnight(WEEK[0]) - dt.timedelta(days=30))
            targets = load_targets(store)
            reports = []
            for day in WEEK:
                clock.t = d.local_midnight(day + dt.timedelta(days=1)) + dt.timedelta(hours=5, minutes=7)
                headend = HeadEnd(store, keys)
                try:
                    reports.append(await headend.read_window(targets, *day_window(day)))
                finally:
                    await headend.close()
            return reports, fleet.plan, targets

    reports, plan, targets = run(week(), timeout=3000)
    mbus = [len(tg.mbus_channels) for tg in targets]
    assert len(targets) == FLEET and sum(mbus) > FLEET // 2
    for day, report in zip(WEEK, reports, strict=True):
        assert (report.meters, report.ok, report.failed, report.failures) == (FLEET, FLEET, 0, {}), (day, report)
        assert report.values == FLEET * 4 * local_day_slots(day, 900) + sum(mbus) * local_day_slots(day, 3600)
        assert report.versions_written == FLEET * 4 + sum(mbus), day
    channel_ids = [cid for tg in targets for cid in [*tg.channels.values(), *(c for _, c in tg.mbus_channels.values())]]
    for day in WEEK:
        assert len(store.current_blocks(channel_ids, day, day)) == len(channel_ids), day
    sample = random.Random(7).sample(targets, 100)
    for day in WEEK:
        assert_day_complete(store, plan, sample, day)
