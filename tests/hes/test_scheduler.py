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
