"""Fixtures and helpers of the head-end end-to-end tests: simulated fleets on free loopback ports, a fresh
store, the reference day and the meters' clock, the head-end's keys, the simulator's models as the ground truth,
what the store recorded of a meter (communication log, events), and small utilities for subprocesses."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import os
import random
import select
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator
from pathlib import Path
from typing import Any, Final, TypeVar

import numpy as np
import pytest
import sqlalchemy as sa

from meterhub import demo as d
from meterhub.country import LOCAL_TZ
from meterhub.hes.headend import MeterTarget
from meterhub.hes.reader import ENERGY_KEYS, EVENT_LOGS
from meterhub.mdm.quality import Quality, codes
from meterhub.sim import consumption as c
from meterhub.sim.fleet import Fleet, FleetPlan, PlannedMeter, plan_fleet
from meterhub.store import schema as t
from meterhub.store.db import Store
from meterhub.store.intervals import local_day_slots

LUX: Final = LOCAL_TZ
UTC: Final = dt.UTC
QUARTER: Final = dt.timedelta(minutes=15)
HOUR: Final = dt.timedelta(hours=1)
SECRET: Final = bytes.fromhex("6d657465726875622d746573742d73656372657421212121212121212121212a")
#: The logs the head-end reads (the communication and disconnector logs are not part of the daily read).
READ_LOGS: Final = frozenset(EVENT_LOGS)
T = TypeVar("T")

DAY: Final = dt.date(2026, 1, 14)  # an ordinary winter Wednesday
NOW: Final = dt.datetime(2026, 1, 15, 6, 7, 30, tzinfo=UTC)  # the meters' clock: the next morning


# ------------------------------------------------------------------------------------------------ ports


def free_port_base(count: int, attempts: int = 200) -> int:
    """A base of ``count`` consecutive free TCP ports on 127.0.0.1, below the kernel's ephemeral range (so
    no outgoing connection of the tests can take one of them while a fleet starts)."""
    rng = random.Random(os.getpid() ^ time.monotonic_ns())
    for _ in range(attempts):
        base = rng.randrange(12000, 32000 - count)
        sockets: list[socket.socket] = []
        try:
            for port in range(base, base + count):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sockets.append(s)
                s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
        return base
    raise RuntimeError(f"no {count} consecutive free ports found")


def ports_of(concentrators: int, meters: int, direct_fraction: float) -> int:
    """How many consecutive ports :func:`plan_fleet` uses."""
    direct = meters if concentrators == 0 else round(meters * direct_fraction)
    return concentrators + direct


@contextlib.asynccontextmanager
async def inproc_fleet(
    meters: int,
    concentrators: int,
    *,
    seed: int,
    now: Callable[[], dt.datetime],
    plc: str = "fast",
    scenario: c.FaultScenario | None = None,
    direct_fraction: float = 0.25,
    secret: bytes = SECRET,
) -> AsyncIterator[Fleet]:
    """A fleet served in the running event loop on free ports (re-planned on a port clash)."""
    last: OSError | None = None
    for _ in range(5):
        base = free_port_base(ports_of(concentrators, meters, direct_fraction))
        plan = plan_fleet(meters, concentrators, seed, port_base=base, direct_fraction=direct_fraction)
        fleet = Fleet(plan, secret, now=now, plc=plc, scenario=scenario)
        try:
            await fleet.start()
        except OSError as exc:
            last = exc
            await fleet.stop()
            continue
        try:
            yield fleet
        finally:
            await fleet.stop()
        return
    raise RuntimeError(f"could not start the fleet: {last}")


def run(coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
    """Run a coroutine in a fresh event loop, bounded: a hang is a failure, never a stuck test run."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


# ------------------------------------------------------------------------------------------------ store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "store")
    try:
        yield s
    finally:
        s.close()


def day_window(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The read window of a local day: interval ends from 00:15 to the next midnight (UTC-aware)."""
    return d.local_midnight(day) + QUARTER, d.local_midnight(day + dt.timedelta(days=1))


def by_serial(plan: FleetPlan) -> dict[str, PlannedMeter]:
    return {m.serial: m for m in plan.meters}


def floor_to(t: dt.datetime, step: dt.timedelta) -> dt.datetime:
    """``t`` rounded down to a whole multiple of ``step`` since the epoch (UTC-aware)."""
    ts = int(t.timestamp())
    return dt.datetime.fromtimestamp(ts - ts % int(step.total_seconds()), UTC)


def key_provider() -> d.DerivedKeyProvider:
    """The head-end's key provider for meters keyed from :data:`SECRET` (as the simulated fleets are)."""
    return d.DerivedKeyProvider(SECRET)


def comm_log_of(store: Store, meter_id: int) -> list[tuple[str, str | None]]:
    """(outcome, detail) of every communication-log entry of a meter, oldest first."""
    cl = t.comm_log
    with store.read() as conn:
        rows = conn.execute(sa.select(cl.c.outcome, cl.c.detail).where(cl.c.meter_id == meter_id).order_by(cl.c.id))
        return [(r.outcome, r.detail) for r in rows]


def stored_events_of(store: Store, meter_id: int) -> set[tuple[dt.datetime, str, int]]:
    """The events stored of a meter, as (UTC time, log, code)."""
    return {(e.occurred_at.astimezone(UTC), e.log, e.code) for e in store.list_events(meter_id=meter_id, limit=10_000)}


# ------------------------------------------------------------------------------------------------ ground truth


class Truth:
    """The simulator's models of one planned meter (the same seed and serial as the meter it serves)."""

    def __init__(self, meter: PlannedMeter) -> None:
        self.meter = meter
        self.traits = c.HouseholdTraits.draw(meter.seed, meter.serial)
        self.electricity = c.ElectricityModel(self.traits)
        self.sub_models: dict[int, tuple[str, c.HourlyModel]] = dict(
            enumerate(c.sub_meter_models(self.traits), start=1)
        )
        self._registers: dict[dt.datetime, dict[str, int]] = {}

    def registers(self, t: dt.datetime) -> dict[str, int]:
        """OBIS → cumulative register of the four energy channels at quarter-aligned ``t``."""
        hit = self._registers.get(t)
        if hit is None:
            values = np.asarray(self.electricity.register(t), dtype=np.int64)
            hit = self._registers[t] = {key: int(values[i]) for i, key in enumerate(ENERGY_KEYS)}
        return hit

    def mbus_register(self, channel: int, t: dt.datetime) -> int:
        """Cumulative index of M-Bus ``channel`` at hour-aligned ``t``."""
        return int(self.sub_models[channel][1].register(t))

    def day_totals(self, day: dt.date) -> tuple[dict[str, int], dict[int, int]]:
        """(OBIS → energy of the local day, M-Bus channel → consumption of the local day): register differences."""
        lo, hi = d.local_midnight(day), d.local_midnight(day + dt.timedelta(days=1))
        a, b = self.registers(lo), self.registers(hi)
        elec = {key: b[key] - a[key] for key in ENERGY_KEYS}
        mbus = {ch: self.mbus_register(ch, hi) - self.mbus_register(ch, lo) for ch in self.sub_models}
        return elec, mbus

    def events(self, start: dt.datetime, end: dt.datetime) -> set[tuple[dt.datetime, str, int]]:
        """Events of the logs the head-end reads with start ≤ time < end, as (UTC time, log, code).

        Times to the second: the model's derived instants (a restore, a tamper close) carry microseconds,
        the meter's event log (COSEM date-time) and the store whole seconds.
        """
        return {
            (e.time_utc.replace(microsecond=0), e.log, e.code)
            for e in c.EventModel(self.traits).events(start, end)
            if e.log in READ_LOGS
        }


@functools.lru_cache(maxsize=1024)
def truth_of(meter: PlannedMeter) -> Truth:
    """:class:`Truth` of a planned meter, built once (the models memoise their day tables)."""
    return Truth(meter)


def assert_day_complete(store: Store, plan: FleetPlan, targets: Iterable[MeterTarget], day: dt.date) -> None:
    """Every channel of ``targets`` has one current block of ``day``, fully measured, with the model's total."""
    planned = by_serial(plan)
    for target in targets:
        truth = truth_of(planned[target.serial])
        elec, mbus = truth.day_totals(day)
        assert set(target.channels) == set(ENERGY_KEYS), target
        assert set(target.mbus_channels) == set(mbus), target
        expected = [(cid, 900, elec[obis], f"{target.serial} {obis}") for obis, cid in target.channels.items()]
        expected += [
            (cid, 3600, mbus[ch], f"{target.serial} M-Bus {ch}") for ch, (_, cid) in target.mbus_channels.items()
        ]
        for channel_id, interval_s, total, what in expected:
            blocks = store.current_blocks([channel_id], day, day)
            assert len(blocks) == 1, f"{what}: {len(blocks)} current blocks of {day}"
            block = blocks[0]
            slots = local_day_slots(day, interval_s)
            assert block.slots == slots, f"{what}: {block.slots} slots, expected {slots}"
            q = codes(block.quality)
            assert (q == Quality.MEASURED).all(), f"{what}: qualities {np.unique(q, return_counts=True)}"
            assert int(block.values.sum()) == total, f"{what}: day total {int(block.values.sum())} != model {total}"


# ------------------------------------------------------------------------------------------------ subprocesses


def wait_for_line(process: subprocess.Popen[str], needle: str, timeout: float) -> str:
    """Read the process's stdout line by line until one contains ``needle`` (bounded by ``timeout``)."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.1)
        if not ready:
            if process.poll() is not None:
                break
            continue
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if needle in line:
            return line
    raise AssertionError(f"no {needle!r} line within {timeout} s (exit {process.poll()}): {''.join(seen)[-2000:]}")


def stop_process(process: subprocess.Popen[Any]) -> None:
    """Terminate a child process we started (by its own handle), then kill it if it does not exit."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
