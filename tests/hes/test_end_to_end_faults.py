"""End-to-end under faults: simulated meters over real DLMS/TCP → head-end → MDM ingest → a fresh SQLite store, with
the simulator's models as the ground truth. A communication loss gives timeouts, one retry each, failures in the
report and the communication log and whole-day gaps, which ``reread_gaps`` fills exactly once the meters answer
again; profile entries the meter itself lost stay gaps after a re-read; and a head-end killed with -9 in the middle
of a 300-meter run, then run again, leaves one block per channel and day, fully measured and exact, no duplicate
register read or event, and transmit counters that only ever went up.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from meterhub import demo as d
from meterhub.hes.headend import KEY_KIND, HeadEnd, MeterTarget, RunReport, load_targets
from meterhub.hes.reader import ENERGY_KEYS
from meterhub.mdm.ingest import IngestService, day_totals
from meterhub.mdm.quality import Quality, codes
from meterhub.sim import consumption as c
from meterhub.sim.fleet import FleetPlan, plan_fleet
from meterhub.store import schema as t
from meterhub.store.db import Store

from .conftest import (
    DAY,
    HOUR,
    NOW,
    QUARTER,
    UTC,
    assert_day_complete,
    by_serial,
    comm_log_of,
    day_window,
    floor_to,
    free_port_base,
    inproc_fleet,
    key_provider,
    ports_of,
    run,
    stop_process,
    stored_events_of,
    truth_of,
)


class Clock:
    """The meters' clock, injected and movable by the test."""

    def __init__(self, t: dt.datetime) -> None:
        self.t = t

    def __call__(self) -> dt.datetime:
        return self.t


# ------------------------------------------------------------------------------------------------ failures


def test_communication_loss_retry_gap_and_reread(store: Store) -> None:
    """Meters silent during the first read: timeouts, one retry each, failures in the report and the comm log,
    whole-day gaps in the MDM; once they answer again ``reread_gaps`` fills the day exactly."""
    seed, meters = 13, 8
    serials = [m.serial for m in plan_fleet(meters, 1, seed, direct_fraction=0.25).meters]
    lost = [serials[0], serials[2], serials[5]]  # one direct meter, two behind the concentrator
    outage = (NOW - HOUR, NOW + HOUR)
    scenario_ = c.FaultScenario.from_dict(
        {
            "name": "outage",
            "faults": [
                {
                    "type": "communication_loss",
                    "meters": lost,
                    "start": outage[0].isoformat(),
                    "end": outage[1].isoformat(),
                }
            ],
        }
    )
    clock = Clock(NOW)
    lo, hi = d.local_midnight(DAY), d.local_midnight(DAY + dt.timedelta(days=1))

    async def scenario() -> tuple[FleetPlan, list[MeterTarget], RunReport, RunReport, dict[str, Any]]:
        async with inproc_fleet(meters, 1, seed=seed, now=clock, scenario=scenario_) as fleet:
            d.provision(store, fleet.plan, lo - dt.timedelta(days=30))
            targets = load_targets(store)
            headend = HeadEnd(store, key_provider(), attempts=2, timeout=0.5, backoff_s=0.05)
            try:
                first = await headend.read_window(targets, *day_window(DAY))
                ingest = IngestService(store)
                gaps = {
                    tg.serial: {
                        cid: ingest.gaps(cid, DAY, DAY)
                        for cid in [*tg.channels.values(), *(cid for _, cid in tg.mbus_channels.values())]
                    }
                    for tg in targets
                }
                clock.t = outage[1] + QUARTER  # the meters answer again
                second = await headend.reread_gaps(targets, DAY, DAY, until=hi)
            finally:
                await headend.close()
            return fleet.plan, targets, first, second, gaps

    plan, targets, first, second, gaps = run(scenario())
    assert first.meters == meters and first.ok == meters - 3
    assert first.failed == 3 and first.retries == 3
    assert first.failures == {"timeout": 3}
    for tg in targets:
        for cid, spans in gaps[tg.serial].items():
            assert spans == ([(lo, hi)] if tg.serial in lost else []), (tg.serial, cid, spans)

    assert (second.meters, second.ok, second.failed) == (3, 3, 0)
    ingest = IngestService(store)
    for tg in targets:
        for cid in [*tg.channels.values(), *(cid for _, cid in tg.mbus_channels.values())]:
            assert ingest.gaps(cid, DAY, DAY) == [], (tg.serial, cid)
        log = comm_log_of(store, tg.meter_id)
        if tg.serial in lost:
            assert [o for o, _ in log] == ["failed", "ok"]
            assert log[0][1] is not None and "timeout" in log[0][1]
        else:
            assert [o for o, _ in log] == ["ok"]
    assert_day_complete(store, plan, targets, DAY)


def test_missing_intervals_stay_gaps_after_reread(store: Store) -> None:
    """Profile entries the meter itself lost cannot be re-read: the gap stays where the fault is.

    The fault drops the meter's readings captured at start < t ≤ end (10:00–11:00 local: the four entries
    10:15 … 11:00). With cumulative readings that leaves five quarter-hours unmeasurable: the four inside the
    window and 11:00–11:15, whose start reading is one of the lost ones. The re-read asks the meter again,
    gets the same holes and writes nothing; the rest of the day is exact, and the measured slots plus the
    register difference over the hole give the model's day total.
    """
    seed, meters = 14, 6
    serials = [m.serial for m in plan_fleet(meters, 1, seed, direct_fraction=0.34).meters]
    faulty = serials[3]  # behind the concentrator
    lo, hi = d.local_midnight(DAY), d.local_midnight(DAY + dt.timedelta(days=1))
    start, end = lo + dt.timedelta(hours=10), lo + dt.timedelta(hours=11)
    scenario_ = c.FaultScenario.from_dict(
        {
            "faults": [
                {"type": "missing_intervals", "meters": [faulty], "start": start.isoformat(), "end": end.isoformat()}
            ]
        }
    )

    async def scenario() -> tuple[FleetPlan, list[MeterTarget], RunReport, RunReport]:
        async with inproc_fleet(meters, 1, seed=seed, now=lambda: NOW, scenario=scenario_, direct_fraction=0.34) as f:
            d.provision(store, f.plan, lo - dt.timedelta(days=30))
            targets = load_targets(store)
            headend = HeadEnd(store, key_provider(), attempts=2, timeout=0.5, backoff_s=0.05)
            try:
                first = await headend.read_window(targets, *day_window(DAY))
                second = await headend.reread_gaps(targets, DAY, DAY, until=hi)
            finally:
                await headend.close()
            return f.plan, targets, first, second

    plan, targets, first, second = run(scenario())
    assert (first.ok, first.failed) == (meters, 0)
    assert (second.meters, second.ok, second.failed) == (1, 1, 0)  # only the faulty meter is asked again
    assert second.versions_written == 0  # the same answer: nothing new to store
    ingest = IngestService(store)
    hole = (start, end + QUARTER)
    for tg in targets:
        bad = tg.serial == faulty
        for cid in tg.channels.values():
            assert ingest.gaps(cid, DAY, DAY) == ([hole] if bad else []), tg.serial
        for _, cid in tg.mbus_channels.values():
            assert ingest.gaps(cid, DAY, DAY) == [], tg.serial  # the M-Bus profile is unaffected
    good = [tg for tg in targets if tg.serial != faulty]
    assert_day_complete(store, plan, good, DAY)

    tg = next(tg for tg in targets if tg.serial == faulty)
    truth = truth_of(by_serial(plan)[faulty])
    elec, _ = truth.day_totals(DAY)
    across = {k: truth.registers(hole[1])[k] - truth.registers(hole[0])[k] for k in ENERGY_KEYS}
    first_missing = int((start - lo) / QUARTER)
    for obis, cid in tg.channels.items():
        block = store.current_blocks([cid], DAY, DAY)[0]
        q = codes(block.quality)
        missing = np.flatnonzero(q == Quality.MISSING).tolist()
        assert missing == list(range(first_missing, first_missing + 5)), obis
        assert (q[q != Quality.MISSING] == Quality.MEASURED).all()
        assert day_totals(store, cid, DAY, DAY)[DAY] == (elec[obis] - across[obis], 91)
        assert len(store.block_versions(cid, DAY)) == 1


# ------------------------------------------------------------------------------------------------ kill -9


_HEADEND_SCRIPT = textwrap.dedent(
    """
    import asyncio, datetime as dt, json, sys
    from dataclasses import asdict
    from pathlib import Path

    from meterhub import demo as d
    from meterhub.hes.headend import HeadEnd, load_targets
    from meterhub.store.db import Store

    data_dir, day = Path(sys.argv[1]), dt.date.fromisoformat(sys.argv[2])
    store = Store.open(data_dir)
    targets = load_targets(store)
    keys = d.DerivedKeyProvider(d.master_secret(data_dir))
    start = d.local_midnight(day) + dt.timedelta(minutes=15)
    end = d.local_midnight(day + dt.timedelta(days=1))

    async def main():
        headend = HeadEnd(store, keys, batch=20)
        try:
            return await headend.read_window(targets, start, end)
        finally:
            await headend.close()

    print(json.dumps(asdict(asyncio.run(main()))), flush=True)
    """
)


def _count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def test_headend_killed_mid_run_and_restarted(tmp_path: Path) -> None:
    """300 meters (fleet in its own process, PLC 'realistic'), the head-end in a subprocess killed with -9
    after some batches were written, then run again: one block per channel and day, fully measured, exact;
    no duplicate register read or event; transmit counters only ever go up; every meter reads fine after the
    crash (no counter reused: the meters' anti-replay guards would refuse it)."""
    meters, concentrators = 300, 60
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    script = tmp_path / "hes_run.py"
    script.write_text(_HEADEND_SCRIPT)
    db = data_dir / "meterhub.sqlite"
    day = dt.datetime.now(UTC).astimezone(d.LUX).date() - dt.timedelta(days=1)  # the fleet runs on real time
    lo, hi = d.local_midnight(day), d.local_midnight(day + dt.timedelta(days=1))
    base = free_port_base(ports_of(concentrators, meters, 0.05))
    fleet = d.start_fleet(data_dir, meters, concentrators, seed=21, port_base=base, plc="realistic", timeout_s=60)
    hes: subprocess.Popen[bytes] | None = None
    store = Store.open(data_dir)
    try:
        plan = fleet.plan
        d.provision(store, plan, lo - dt.timedelta(days=30))
        targets = load_targets(store)
        assert len(targets) == meters
        cmd = [sys.executable, str(script), str(data_dir), day.isoformat()]

        # ---- first run, killed once a few batches are durable
        hes_log = tmp_path / "hes-killed.log"
        with hes_log.open("wb") as log:
            hes = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        written = 0
        while written < 40:
            assert hes.poll() is None, f"the head-end ended before it was killed: {hes_log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, "no batch written within 60 s"
            time.sleep(0.02)
            if db.exists():
                written = _count(db, "SELECT count(*) FROM comm_log")
        os.kill(hes.pid, signal.SIGKILL)
        hes.wait(10)
        assert hes.returncode == -signal.SIGKILL
        hes = None
        after_kill = _count(db, "SELECT count(*) FROM comm_log")
        assert 40 <= after_kill < meters, f"the kill came too late to be mid-run ({after_kill} meters written)"
        assert _count(db, "SELECT count(*) FROM interval_block") > 0
        with store.read() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        tx_before = {tg.system_title: store.get_counter(tg.system_title, KEY_KIND) for tg in targets}
        rx_before = {tg.system_title: store.get_counter(tg.system_title, KEY_KIND, "rx") or 0 for tg in targets}
        assert all(v is not None and v > 0 for v in tx_before.values())  # reserved before any was used

        # ---- second run, to completion
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        report = json.loads(done.stdout.strip().splitlines()[-1])
        assert (report["ok"], report["failed"], report["bad_frames"]) == (meters, 0, 0), report

        for tg in targets:
            after = store.get_counter(tg.system_title, KEY_KIND)
            assert after is not None and after > (tx_before[tg.system_title] or 0), tg.serial
            assert (store.get_counter(tg.system_title, KEY_KIND, "rx") or 0) >= rx_before[tg.system_title]
            assert (store.get_counter(tg.system_title, KEY_KIND, "rx") or 0) > 0

        # exactly one block (one version: re-ingesting the same readings writes nothing) per channel and day
        channels = [*(cid for tg in targets for cid in tg.channels.values())]
        channels += [cid for tg in targets for _, cid in tg.mbus_channels.values()]
        ib = t.interval_block
        with store.read() as conn:
            rows = conn.execute(sa.select(ib.c.channel_id, ib.c.local_day, ib.c.version)).all()
        assert sorted((r.channel_id, r.local_day, r.version) for r in rows) == sorted((c_, day, 1) for c_ in channels)
        assert_day_complete(store, plan, targets, day)

        # register reads: two daily reads per channel, exact; billing reads one per completed read of the meter
        planned = by_serial(plan)
        rr = t.register_read
        with store.read() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(rr)).scalar_one()
            distinct = conn.execute(
                sa.select(sa.func.count()).select_from(
                    sa.select(rr.c.channel_id, rr.c.read_at, rr.c.kind).distinct().subquery()
                )
            ).scalar_one()
        assert total == distinct
        daily = 0
        for tg in targets:
            truth = truth_of(planned[tg.serial])
            regs = {lo: truth.registers(lo), hi: truth.registers(hi)}
            for obis, cid in tg.channels.items():
                reads = store.register_reads(cid, kind="daily")
                assert [(r.read_at, r.value) for r in reads] == [(lo, regs[lo][obis]), (hi, regs[hi][obis])]
                daily += len(reads)
                billing = store.register_reads(cid, kind="interval")
                assert 1 <= len(billing) <= 2, (tg.serial, billing)
                for r in billing:  # the meter's register at its last quarter-hour before the read
                    assert r.value == truth.registers(floor_to(r.read_at, QUARTER))[obis], (tg.serial, r)
            for ch, (_, cid) in tg.mbus_channels.items():
                reads = store.register_reads(cid, kind="daily")
                expected = [(lo, truth.mbus_register(ch, lo)), (hi, truth.mbus_register(ch, hi))]
                assert [(r.read_at, r.value) for r in reads] == expected, (tg.serial, ch)
                daily += len(reads)
        assert daily == 2 * len(channels)

        # events: no duplicates, none lost across the kill
        me = t.meter_event
        with store.read() as conn:
            n_events = conn.execute(sa.select(sa.func.count()).select_from(me)).scalar_one()
        stored = 0
        for tg in targets:
            truth = truth_of(planned[tg.serial])
            events = stored_events_of(store, tg.meter_id)
            stored += len(events)
            assert events <= truth.events(lo, hi)
            assert events >= truth.events(lo + QUARTER, hi)
        assert n_events == stored
        # the communication log: every meter read once by the second run, plus those written before the kill
        assert _count(db, "SELECT count(*) FROM comm_log WHERE outcome = 'ok'") == meters + after_kill
    finally:
        if hes is not None:
            stop_process(hes)
        store.close()
        fleet.stop()
