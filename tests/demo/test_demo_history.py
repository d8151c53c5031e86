"""The demo's history (issue 12, item 7) on a small real demo — ``meterhub demo --meters 20 --showcase 3
--history-months 13 --no-serve`` in its own process (fleet over DLMS/TCP, the fill to its end): every
meter's history from local midnight of the 1st of last month, last month's billing run established for
electricity and gas, the showcase homes' 13 months validated by VEE, and a re-run, an interrupted fill and a
fill whose record was lost that neither duplicate nor lose anything."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from meterhub import demo_history as dh
from meterhub.country import LOCAL_TZ
from meterhub.mdm.quality import Quality, codes
from meterhub.sim.fleet import FleetPlan
from meterhub.store import Store
from tests.cli.conftest import cli

METERS, SHOWCASE, MONTHS = 20, 3, 13


@dataclass
class Demo:
    data_dir: Path
    port_base: int

    def args(self) -> list[str]:
        return ["--data-dir", str(self.data_dir)]

    def run(self) -> str:
        done = cli(*self.args(), "demo", "--meters", str(METERS), "--concentrators", "1", "--showcase",
                   str(SHOWCASE), "--history-months", str(MONTHS), "--no-serve", "--fleet-port-base",
                   str(self.port_base), timeout=280)  # fmt: skip
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done.stdout

    def summary(self) -> dict:
        return json.loads((self.data_dir / "demo-summary.json").read_text())

    def windows(self) -> dh.Windows:
        s = self.summary()
        return dh.windows(dt.datetime.fromisoformat(s["hes_start"]), dt.datetime.fromisoformat(s["end"]), MONTHS)

    def job(self) -> dh.FillJob:
        s = self.summary()
        plan = FleetPlan.from_json((self.data_dir / "fleet.json").read_text())
        url = f"sqlite:///{(self.data_dir / 'meterhub.sqlite').resolve()}"
        return dh.FillJob(self.data_dir, url, plan.meters, s["showcase"], dt.datetime.fromisoformat(s["hes_start"]),
                          dt.datetime.fromisoformat(s["end"]), MONTHS)  # fmt: skip


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    from tests.hes.conftest import free_port_base

    d = Demo(tmp_path_factory.mktemp("demo-history") / "data", free_port_base(4))
    out = d.run()
    assert "showcase homes" in out and "billing run" in out
    return d


@pytest.fixture
def copy(demo: Demo, tmp_path: Path) -> Iterator[Demo]:
    data = tmp_path / "data"
    shutil.copytree(demo.data_dir, data)
    yield Demo(data, demo.port_base)


def _local_day(at: dt.datetime) -> dt.date:
    return at.astimezone(LOCAL_TZ).date()


def _first_block_days(store: Store, since: dt.date, until: dt.date) -> dict[int, dt.date]:
    channels = [c.id for c in store.list_channels()]
    first: dict[int, dt.date] = {}
    for b in store.current_blocks(channels, since, until):
        first.setdefault(b.channel_id, b.local_day)
    return {c: first.get(c, until) for c in channels}


def test_every_meters_history_starts_by_the_first_of_last_month(demo: Demo) -> None:
    w = demo.windows()
    first_of_last = _local_day(w.all_start)
    assert first_of_last.day == 1 and w.all_start.astimezone(LOCAL_TZ).hour == 0
    today = _local_day(w.end)
    assert (today.year * 12 + today.month) - (first_of_last.year * 12 + first_of_last.month) == 1
    with Store.open(demo.data_dir) as store:
        first = _first_block_days(store, first_of_last - dt.timedelta(days=800), today)
        meters = store.list_meters()
        assert len([m for m in meters if m.parent_meter_id is None]) == METERS
        assert any(m.medium == "gas" for m in meters)
        late = {c: day for c, day in first.items() if day > first_of_last}
        assert not late, f"channels whose history starts after {first_of_last}: {late}"
        # the register value at the start of last month is a stored read: billing can start there
        for c in store.list_channels():
            assert store.register_reads(c.id, since=w.all_start, until=w.all_start + dt.timedelta(seconds=1)), c


def test_last_months_billing_run_is_established_for_electricity_and_gas(demo: Demo) -> None:
    year, month = demo.windows().last_month
    done = cli(*demo.args(), "billing", "run", "--month", f"{year}-{month:02d}", "--json")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    out = json.loads(done.stdout)
    assert out["ok"] and out["refused"] == []
    assert out["unchanged"] == out["channels"]  # the demo's own run stored them all; running it again changes nothing
    reads = out["reads"]
    elec = [r for r in reads if r["obis"] == "1.0.1.8.0.255"]
    gas = [r for r in reads if r["gas_energy_wh"] is not None]
    assert len(elec) == METERS and all(r["consumption"] > 0 and r["tou"] for r in elec)
    assert gas and all(r["consumption"] > 0 and r["gas_energy_wh"] > r["consumption"] * 10 for r in gas)
    for r in gas:  # litres × 0.938 × 11.3…11.5 kWh/m³ = Wh
        (m,) = r["gas_months"]
        assert m["correction"] == str(dh.DEMO_CORRECTION) and m["factors_area"] == "*"
        assert 11.3 <= float(m["calorific_kwh_per_m3"]) <= 11.5
    listed = cli(*demo.args(), "billing", "gas-factors", "list", "--json")
    assert listed.returncode == 0 and len(json.loads(listed.stdout)["factors"]) >= MONTHS + 1


def test_showcase_homes_carry_13_months_validated(demo: Demo) -> None:
    w = demo.windows()
    showcase = demo.summary()["showcase"]
    assert len(showcase) == SHOWCASE
    progress = dh.load_progress(demo.data_dir, demo.job().store_url)
    assert progress.finished and not progress.error and progress.showcase == showcase
    start, today = _local_day(w.showcase_start), _local_day(w.end)
    assert (today.year * 12 + today.month) - (start.year * 12 + start.month) == MONTHS
    with Store.open(demo.data_dir) as store:
        by_serial = {m.serial: m for m in store.list_meters()}
        homes = [by_serial[s].id for s in showcase]
        meter_ids = homes + [m.id for m in by_serial.values() if m.parent_meter_id in homes]
        channels = store.list_channels(meter_ids)
        blocks = store.current_blocks([c.id for c in channels], start, _local_day(w.hes_start) - dt.timedelta(days=1))
        days = (_local_day(w.hes_start) - start).days
        per_channel = {c.id: 0 for c in channels}
        for b in blocks:
            per_channel[b.channel_id] += 1
            q = codes(b.quality)
            assert np.isin(q, [Quality.VALIDATED, Quality.ESTIMATED]).all(), (b.channel_id, b.local_day)
        assert set(per_channel.values()) == {days}, per_channel
        others = [m.id for m in by_serial.values() if m.serial not in showcase and m.parent_meter_id is None]
        before = store.current_blocks([c.id for c in store.list_channels(others)], start, _local_day(w.all_start))
        assert {b.local_day for b in before} == {_local_day(w.all_start)}  # the others start on the 1st of last month


def _versions(data_dir: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{data_dir / 'meterhub.sqlite'}?mode=ro", uri=True, timeout=10)
    try:
        return {
            table: int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
            for table in ("interval_block", "register_read", "billing_read", "gas_factor")
        }
    finally:
        conn.close()


def _older_blocks(data_dir: Path, before: dt.date) -> list[tuple]:
    """Every block version of the days before ``before`` (what the fill wrote), as rows."""
    conn = sqlite3.connect(f"file:{data_dir / 'meterhub.sqlite'}?mode=ro", uri=True, timeout=10)
    try:
        q = 'SELECT channel_id, local_day, version, "values", quality FROM interval_block WHERE local_day < ?'
        return sorted(conn.execute(q + " ORDER BY 1, 2, 3", (before.isoformat(),)).fetchall())
    finally:
        conn.close()


def test_a_rerun_of_the_demo_duplicates_and_loses_nothing(demo: Demo, copy: Demo) -> None:
    cutoff = _local_day(demo.windows().foreground_start)
    before, counts = _older_blocks(copy.data_dir, cutoff), _versions(copy.data_dir)
    out = copy.run()
    assert "0 new national months" in out and "provisioned 0 new meters" in out
    assert _older_blocks(copy.data_dir, cutoff) == before  # the filled days: not one version more or less
    after = _versions(copy.data_dir)
    assert after["billing_read"] == counts["billing_read"] and after["gas_factor"] == counts["gas_factor"]


def test_an_interrupted_fill_and_a_lost_record_carry_on_without_duplicates(demo: Demo, copy: Demo) -> None:
    job = copy.job()
    cutoff = _local_day(demo.windows().foreground_start)
    full = _older_blocks(copy.data_dir, cutoff)
    # a fill whose record was lost for the last two showcase months, a group of every meter's month and last
    # month's billing (killed before it recorded them): they are filled again, and that writes nothing new
    progress = dh.load_progress(copy.data_dir, job.store_url)
    months = [k for k in progress.done if k.startswith("showcase:")]
    groups = [k for k in progress.done if k.startswith("all:")]
    assert len(months) == MONTHS - 1 and len(groups) == 1, progress.done
    progress.done = months[:-2]
    progress.finished = False
    dh.save_progress(copy.data_dir, progress)
    seen: list[str] = []
    stopped = dh.fill(job, report=lambda p: seen.append(p.running), should_stop=lambda: len(seen) > 4)
    assert not stopped.finished
    again = dh.fill(job)
    assert again.finished and again.billing["refused"] == 0 and again.billing["stored"] == 0
    assert f"billing:{again.billing['month']}" in [*seen, again.running] or again.billing["established"]
    assert _older_blocks(copy.data_dir, cutoff) == full


def test_one_fill_per_data_dir(copy: Demo) -> None:
    import fcntl

    with (copy.data_dir / dh.LOCK_FILE).open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(dh.FillBusy):
            dh.fill(copy.job())


def test_showcase_picks_variety_and_windows_split_by_month() -> None:
    from meterhub.sim.fleet import plan_fleet

    plan = plan_fleet(2000, 40, seed=1)
    homes = dh.pick_showcase(plan, dh.DEFAULT_SHOWCASE)
    kinds = [h.kind for h in homes]
    assert len(homes) == dh.DEFAULT_SHOWCASE == len(set(h.serial for h in homes))
    for kind in ("PV", "gas heating", "flat (1 person)", "heat pump", "EV 11 kW", "large house (5+)"):
        assert kind in kinds
    assert dh.pick_showcase(plan, 16) == homes  # deterministic
    end = dt.datetime(2026, 3, 30, 10, tzinfo=dt.UTC)  # the last Sunday of March: DST
    hes = dt.datetime(2026, 3, 29, tzinfo=LOCAL_TZ).astimezone(dt.UTC)
    w = dh.windows(hes, end, 36)
    assert w.all_start == dt.datetime(2026, 2, 1, tzinfo=LOCAL_TZ).astimezone(dt.UTC)
    assert w.showcase_start == dt.datetime(2024, 2, 1, tzinfo=LOCAL_TZ).astimezone(dt.UTC)  # the models' epoch
    later = dh.windows(hes.replace(year=2028), end.replace(year=2028), 36)
    assert later.showcase_start == dt.datetime(2025, 3, 1, tzinfo=LOCAL_TZ).astimezone(dt.UTC)
    parts = dh.chunks(later, 2)
    assert [c.stage for c in parts[-2:]] == ["all", "all"] and len(parts) == 35 + 2
    assert parts[-1].start == later.all_start and parts[-1].end == later.foreground_start
    months = parts[:-2]
    assert months[0].start == later.showcase_start and months[-1].end == later.all_start
    assert all(a.end == b.start for a, b in itertools.pairwise(months))
    new_year = dh.windows(dt.datetime(2026, 12, 31, tzinfo=LOCAL_TZ).astimezone(dt.UTC), end.replace(2027, 1, 1), 13)
    assert new_year.all_start == dt.datetime(2026, 12, 1, tzinfo=LOCAL_TZ).astimezone(dt.UTC)
    assert new_year.showcase_start == dt.datetime(2025, 12, 1, tzinfo=LOCAL_TZ).astimezone(dt.UTC)
