"""The schedules derive what is due from the data: a first pass reads what is missing, a second finds nothing.

Daily reads fill the last days, hourly M-Bus reads fill today's hours, the monthly billing read stores one
billing register read per channel; a meter that missed a pass is read in the next one.
"""

from __future__ import annotations

import datetime as dt

from meterhub import demo as d
from meterhub.hes.headend import HeadEnd, load_targets
from meterhub.hes.scheduler import Scheduler
from meterhub.mdm.ingest import IngestService
from meterhub.store.db import Store
from tests.hes.conftest import SECRET, assert_day_complete, inproc_fleet, run


def test_scheduler_reads_what_is_due_and_only_that(store: Store) -> None:
    clock = [dt.datetime(2026, 11, 24, 11, 5, tzinfo=dt.UTC)]  # 12:05 local

    async def scenario() -> None:
        async with inproc_fleet(12, 2, seed=31, now=lambda: clock[0]) as fleet:
            d.provision(store, fleet.plan, clock[0] - dt.timedelta(days=30))
            headend = HeadEnd(store, d.DerivedKeyProvider(SECRET), timeout=5)
            scheduler = Scheduler(headend, now=lambda: clock[0], lookback_days=2)
            try:
                first = await scheduler.run_once()
                assert set(first.runs) >= {"daily 2026-11-22", "daily 2026-11-23", "hourly mbus", "monthly billing"}
                assert all(r.failed == 0 for r in first.runs.values())
                targets = load_targets(store)
                for day in (dt.date(2026, 11, 22), dt.date(2026, 11, 23)):
                    assert_day_complete(store, fleet.plan, targets, day)
                # today's M-Bus hours up to 12:00 local are in
                ingest = IngestService(store)
                for t in targets:
                    for _, cid in t.mbus_channels.values():
                        assert not ingest.gaps(cid, dt.date(2026, 11, 24), dt.date(2026, 11, 24), until=clock[0])
                    for cid in t.channels.values():
                        assert len(store.register_reads(cid, kind="billing")) == 1
                # nothing is due a minute later
                clock[0] += dt.timedelta(minutes=1)
                second = await scheduler.run_once()
                assert second.runs == {}
                # the next day: only the new day (and the new hours) are read, billing is not repeated
                clock[0] += dt.timedelta(days=1)
                third = await scheduler.run_once()
                assert set(third.runs) == {"daily 2026-11-24", "hourly mbus"}
                assert third.runs["daily 2026-11-24"].ok == len(targets)
            finally:
                await headend.close()

    run(scenario(), timeout=120)


def test_scheduler_validates_and_estimates_what_a_meter_lost(store: Store) -> None:
    """A meter loses an hour of quarter hours: the daily schedule reads, VEE estimates the hole to the register
    delta, later passes re-read it (the meter still lacks it) and write nothing new."""
    from meterhub.mdm.quality import Quality, codes
    from meterhub.mdm.vee_service import VeeService
    from meterhub.sim.consumption import FaultScenario

    clock = [dt.datetime(2026, 11, 24, 11, 5, tzinfo=dt.UTC)]
    scenario = FaultScenario.from_dict(
        {
            "faults": [
                {
                    "type": "missing_intervals",
                    "meters": ["3100000001"],
                    "start": "2026-11-23T10:00:00+01:00",
                    "end": "2026-11-23T11:00:00+01:00",
                }
            ]
        }
    )

    async def scenario_run() -> None:
        async with inproc_fleet(4, 1, seed=31, now=lambda: clock[0], scenario=scenario) as fleet:
            d.provision(store, fleet.plan, clock[0] - dt.timedelta(days=30))
            headend = HeadEnd(store, d.DerivedKeyProvider(SECRET), timeout=5)
            scheduler = Scheduler(headend, now=lambda: clock[0], lookback_days=1, vee=VeeService(store))
            try:
                await scheduler.run_once()
                target = next(t for t in load_targets(store) if t.serial == "3100000001")
                a_plus = target.channels["1.0.1.8.0.255"]
                (block,) = store.current_blocks([a_plus], dt.date(2026, 11, 23), dt.date(2026, 11, 23))
                q = codes(block.quality)
                assert (q == Quality.ESTIMATED).sum() == 5  # 4 lost readings leave 5 unmeasurable quarter hours
                assert not (q == Quality.MISSING).any()
                daily = [r.value for r in store.register_reads(a_plus, kind="daily")]
                assert int(block.values.sum()) == daily[1] - daily[0]  # estimates fill exactly the delta
                versions = len(store.block_versions(a_plus, dt.date(2026, 11, 23)))
                clock[0] += dt.timedelta(minutes=20)
                await scheduler.run_once()
                assert len(store.block_versions(a_plus, dt.date(2026, 11, 23))) == versions
            finally:
                await headend.close()

    run(scenario_run(), timeout=120)
