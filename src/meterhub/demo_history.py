"""The demo's longer history: every meter from the 1st of last month, showcase homes over years, gas factors
and last month's billing run — filled in the background once the web app is up.

``meterhub demo`` serves the web app as soon as the fleet is provisioned; the child process that runs
:func:`fill` then loads :data:`FOREGROUND_DAYS` day of history and reads the last two days over DLMS with the
head-end (with ``--no-serve`` the command does that itself), then fills the rest, in chunks:

1. **showcase homes** (:func:`~meterhub.demo_households.pick_showcase`: a handful chosen for variety — PV, EV,
   heat pump, gas heating, district heat, a flat, a large house …) from the 1st of the month ``months`` before
   this one (36 by default, the mission's 3-year retention; not before the first whole local month of the simulator's
   :data:`~meterhub.sim.consumption.MODEL_EPOCH`, 2024-01-01 UTC: February 2024) to the 1st of last month,
   a calendar month per chunk, oldest first (VEE finds each month's history before it, as in operation);
2. **every meter** from local midnight (Europe/Luxembourg) of the 1st of last month to the foreground day,
   :attr:`FillJob.meters_per_tx` meters per chunk — so that ``meterhub billing run --month <last month>``
   finds a register read at both ends of the month;
3. **last month's billing run** (:func:`~meterhub.mdm.billing_reads.run_monthly`, national TOU calendar, as
   ``meterhub billing run`` does) for every channel, gas included;
4. **the comparison's peer statistics** (:func:`~meterhub.mdm.peers.run_peers`, as ``meterhub mdm peers``)
   over the history now stored (the demo also runs them once at its start, over what exists then).

The readings come from the simulator's models (:func:`meterhub.demo.history_batches`, source ``sim-history``)
through the MDM ingest path (:class:`~meterhub.mdm.ingest.IngestService`); VEE then validates and estimates
each chunk (:class:`~meterhub.mdm.vee_service.VeeService`, as ``meterhub vee run`` does: the measured
version stays in each day's version history). Per group of meters a chunk is short transactions: the ingest
of the days its meters do not have yet (the chunk's and the week after it, VEE's later proxy days), then the
VEE versions, planned from a read snapshot — the head-end's reads and the web app's queries go on meanwhile.
A chunk is recorded as done in the data dir's :data:`PROGRESS_FILE` once committed, so a re-run of ``meterhub
demo`` (or a fill killed midway) carries on where it stopped; a chunk done but not recorded is done again
without a new version (a stored day is never ingested again; VEE a second time writes nothing). One fill
runs per data dir at a time (a lock file).

Gas: :func:`set_demo_gas_factors` stores a national entry per month of the whole history (months that have
one already keep it): gross calorific value 11.32–11.48 kWh/m³ (H-gas, higher in winter) and volume-correction
factor 0.938 — see :data:`DEMO_CORRECTION`.

Weather: :func:`set_demo_weather` stores the simulator's daily mean temperature of every day of the history (the
weather the simulated heating ran on), for the History page's heating degree days.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import math
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Final

from meterhub.country import LOCAL_TZ
from meterhub.demo_households import SHOWCASE_KINDS, ShowcaseHome, iter_showcase_rows, pick_showcase
from meterhub.hes.headend import MeterTarget
from meterhub.sim.consumption import MODEL_EPOCH
from meterhub.sim.fleet import FleetPlan, PlannedMeter
from meterhub.store import IntegrityError, Store
from meterhub.store.db import DB_FILE

FOREGROUND_DAYS: Final = 1
"""Days of simulator history loaded before the web app starts (before the head-end's two days: the day whose
last reading the head-end's first interval starts from)."""
DEFAULT_SHOWCASE: Final = 16
DEFAULT_MONTHS: Final = 36
PROGRESS_FILE: Final = "demo-history.json"
LOCK_FILE: Final = "demo-history.lock"
DEMO_CORRECTION: Final = Decimal("0.938")
"""Volume-correction factor (Zustandszahl) of a domestic low-pressure meter in Luxembourg: (ambient ≈ 980 mbar
at ~300 m + 22 mbar over-pressure) / 1013.25 mbar × 273.15 K / 288.15 K (gas at 15 °C) ≈ 0.938."""
DEMO_USER: Final = "demo"
VEE_SOURCE: Final = "sim-history"
"""The source of the VEE versions the fill writes: the data's own (the pages colour a day by where its data
came from; the version's reason says what VEE did). A filled day is version 1 as ingested, 2 once validated."""

# ------------------------------------------------------------------------------------------------ windows


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ).astimezone(dt.UTC)


def _month_add(day: dt.date, months: int) -> dt.date:
    k = day.year * 12 + day.month - 1 + months
    return dt.date(k // 12, k % 12 + 1, 1)


@dataclass(frozen=True, slots=True)
class Windows:
    """The demo's history windows (UTC instants of local midnights)."""

    showcase_start: dt.datetime  # the 1st of the month ``months`` before this one
    all_start: dt.datetime  # the 1st of last month: every meter's history starts here
    foreground_start: dt.datetime  # loaded before the web app starts
    hes_start: dt.datetime  # read by the head-end over DLMS from here on
    end: dt.datetime

    @property
    def last_month(self) -> tuple[int, int]:
        local = self.all_start.astimezone(LOCAL_TZ)
        return local.year, local.month


def windows(hes_start: dt.datetime, end: dt.datetime, months: int = DEFAULT_MONTHS) -> Windows:
    """The windows of a demo whose head-end reads from ``hes_start`` (a local midnight) to ``end``."""
    today = end.astimezone(LOCAL_TZ).date()
    first = today.replace(day=1)
    all_start = _local_midnight(_month_add(first, -1))
    hes_day = hes_start.astimezone(LOCAL_TZ).date()
    fg = max(all_start, _local_midnight(hes_day - dt.timedelta(days=FOREGROUND_DAYS)))
    showcase = _local_midnight(_month_add(first, -max(months, 1)))
    while showcase < MODEL_EPOCH:  # the simulator's models start at their epoch: the first whole month after
        showcase = _local_midnight(_month_add(showcase.astimezone(LOCAL_TZ).date(), 1))
    return Windows(min(showcase, all_start), all_start, fg, hes_start, end)


@dataclass(frozen=True, slots=True)
class Chunk:
    """One unit of the fill: a stage (``all``: group ``group`` of every meter, ``showcase``: the showcase
    homes), a span of local days."""

    stage: str
    start: dt.datetime
    end: dt.datetime
    group: int = 0

    @property
    def key(self) -> str:
        a, b = (x.astimezone(LOCAL_TZ).date().isoformat() for x in (self.start, self.end))
        return f"{self.stage}:{a}:{b}" + (f":{self.group}" if self.stage == "all" else "")


def chunks(w: Windows, groups: int) -> list[Chunk]:
    """Every chunk of the fill in the order it runs: the showcase homes' months, oldest first (so that VEE
    finds each month's history before it, as it would in operation), then every meter (in ``groups``
    groups) from the 1st of last month to the foreground history."""
    out = [Chunk("all", w.all_start, w.foreground_start, g) for g in range(groups) if w.foreground_start > w.all_start]
    months: list[Chunk] = []
    b = w.all_start
    while b > w.showcase_start:
        a = _local_midnight(_month_add(b.astimezone(LOCAL_TZ).date(), -1))
        months.append(Chunk("showcase", a, b))
        b = a
    return months[::-1] + out


# ------------------------------------------------------------------------------------------------ gas factors


def demo_calorific(month: int) -> Decimal:
    """The demo's gross calorific value in kWh/m³ for a calendar month: 11.40 ± 0.08, highest in January
    (plausible for the H-gas Luxembourg takes from its neighbours' networks; not published figures)."""
    return Decimal(str(round(11.40 + 0.08 * math.cos(2 * math.pi * (month - 1) / 12), 2)))


def set_demo_gas_factors(store: Store, w: Windows) -> int:
    """National gas factors for every month from the history's start to this month that has none; returns
    the months set (an entry the operator made is never replaced)."""
    from meterhub.mdm.billing import GasFactors
    from meterhub.mdm.gas_factors import list_gas_factors, set_gas_factors

    have = {(e.year, e.month) for e in list_gas_factors(store) if e.grid_area is None}
    day = w.showcase_start.astimezone(LOCAL_TZ).date()
    last = w.end.astimezone(LOCAL_TZ).date().replace(day=1)
    added = 0
    while day <= last:
        if (day.year, day.month) not in have:
            factors = GasFactors(demo_calorific(day.month), DEMO_CORRECTION)
            set_gas_factors(store, None, day.year, day.month, factors, by=DEMO_USER)
            added += 1
        day = _month_add(day, 1)
    return added


# ------------------------------------------------------------------------------------------------ weather


WEATHER_SOURCE: Final = "sim"


def set_demo_weather(store: Store, w: Windows) -> int:
    """The simulator's weather (:func:`meterhub.sim.consumption.weather.temperature_c`, the daily mean every
    simulated home's heating and PV ran on) for every local day from the history's start to the demo's end, in
    the store's ``weather_day`` (area ``LU``, source ``sim``): what the History page's heating degree days read.
    A day stored from another source (an operator's ``meterhub import weather``) is kept; returns the days written."""
    from meterhub.sim.consumption.weather import temperature_c
    from meterhub.store.weather import WeatherDay

    first = w.showcase_start.astimezone(LOCAL_TZ).date()
    last = w.end.astimezone(LOCAL_TZ).date()
    kept = {d.day for d in store.weather_days(first, last) if d.source != WEATHER_SOURCE}
    days = [
        WeatherDay(day, round(temperature_c(day), 2), None, WEATHER_SOURCE)
        for day in (first + dt.timedelta(days=i) for i in range((last - first).days + 1))
        if day not in kept
    ]
    return store.put_weather_days(days)


# ------------------------------------------------------------------------------------------------ progress


@dataclass
class Progress:
    """What the fill has done (the data dir's :data:`PROGRESS_FILE`; the chunks are those of one store)."""

    store: str = ""
    done: list[str] = field(default_factory=list)
    meters: int = 0
    since: str = ""  # every meter's history from this local day
    showcase: list[str] = field(default_factory=list)
    all_total: int = 0
    showcase_total: int = 0
    billing: dict[str, object] = field(default_factory=dict)
    peers: dict[str, object] = field(default_factory=dict)  # the peer statistics run at the end (mdm.peers)
    hes: dict[str, object] = field(default_factory=dict)  # the head-end's read of its window, when it runs here
    running: str = ""  # the chunk being filled
    finished: bool = False
    error: str = ""

    def count(self, stage: str) -> int:
        return sum(1 for k in self.done if k.startswith(stage + ":"))

    def text(self) -> str:
        """One line for the terminal and the web page."""
        parts = []
        if self.hes.get("state") == "history":
            parts.append(f"the day before yesterday for {self.hes.get('total', 0)} meters")
        elif self.hes and "report" not in self.hes:
            parts.append(f"head-end: {self.hes.get('done', 0)} of {self.hes.get('total', 0)} meters read over DLMS")
        if self.showcase_total:  # the showcase months, and last month (every meter's)
            months = self.count("showcase") + (self.all_total > 0 and self.count("all") == self.all_total)
            parts.append(f"{months} of {self.showcase_total + 1} months loaded for {len(self.showcase)} showcase homes")
        if self.all_total:
            meters = min(self.meters, self.count("all") * math.ceil(self.meters / self.all_total))
            parts.append(f"{meters} of {self.meters} meters from {self.since}")
        if self.billing:
            month = self.billing.get("month", "")
            parts.append(
                f"billing {month}: {self.billing.get('established', 0)} reads, "
                f"{self.billing.get('refused', 0)} not established"
            )
        if self.peers:
            parts.append(f"peer statistics: {self.peers.get('groups', 0)} groups")
        state = "complete" if self.finished else ("stopped: " + self.error if self.error else "loading")
        return f"history ({state}): " + " · ".join(parts) if parts else f"history: {state}"


def progress_path(data_dir: Path) -> Path:
    return data_dir / PROGRESS_FILE


def store_key(data_dir: Path, store_url: str) -> str:
    """What the progress is recorded for: ``data-dir`` for the data dir's own SQLite file (the record moves
    with the data dir), else the store's URL."""
    own = f"sqlite:///{(data_dir / DB_FILE).resolve()}"
    return "data-dir" if store_url == own else store_url


def load_progress(data_dir: Path, store_url: str) -> Progress:
    """The recorded progress for ``store_url`` (empty if none, unreadable or of another store)."""
    store_url = store_key(data_dir, store_url)
    try:
        raw = json.loads(progress_path(data_dir).read_text())
        progress = Progress(**raw)
    except (OSError, ValueError, TypeError):
        return Progress(store=store_url)
    return progress if progress.store == store_url else Progress(store=store_url)


def save_progress(data_dir: Path, progress: Progress) -> None:
    """Write the progress atomically (a reader never sees half a file)."""
    path = progress_path(data_dir)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(progress)))
    os.replace(tmp, path)


# ------------------------------------------------------------------------------------------------ the fill


@dataclass(frozen=True)
class FillJob:
    """Everything the fill needs (picklable: the fill runs in its own process)."""

    data_dir: Path
    store_url: str
    meters: list[PlannedMeter]
    showcase: list[str]
    hes_start: dt.datetime
    end: dt.datetime
    months: int = DEFAULT_MONTHS
    meters_per_tx: int = 25  # meters per chunk of every meter's month, and per write transaction
    key_file: Path | None = None  # given: first read the head-end's window over DLMS with the keys in it


class FillBusy(RuntimeError):
    """Another fill holds the data dir's lock."""


def _missing_runs(days: list[dt.date], present: set[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Runs ``(first, last)`` of consecutive ``days`` not in ``present``."""
    runs: list[tuple[dt.date, dt.date]] = []
    for day in days:
        if day in present:
            continue
        if runs and runs[-1][1] == day - dt.timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _fill_chunk(store: Store, job: FillJob, w: Windows, targets: list[MeterTarget], chunk: Chunk) -> int:
    """Fill one chunk, in groups of meters: the days none of the group's channels has yet — the chunk's, and
    the week after it (VEE's later proxy days, so that a chunk validates the same whatever was filled before)
    — are ingested in one short transaction, then VEE is planned from a read snapshot over the chunk's days
    and written in another; returns the block versions written. A day already stored is never ingested
    again (a measured reading merged over an estimate would make a new version)."""
    from meterhub import demo as d
    from meterhub.mdm import digest
    from meterhub.mdm.ingest import IngestService
    from meterhub.mdm.vee_service import VeeService
    from meterhub.sim import consumption as c
    from meterhub.store.coverage import current_versions

    plan = FleetPlan(0, "", meters=job.meters)
    ingest = IngestService(store)
    vee = VeeService(store, temperature=c.temperature_c)
    day_from = chunk.start.astimezone(LOCAL_TZ).date()
    day_to = chunk.end.astimezone(LOCAL_TZ).date() - dt.timedelta(days=1)
    tail_to = min(day_to + dt.timedelta(days=7), w.hes_start.astimezone(LOCAL_TZ).date() - dt.timedelta(days=1))
    days = [day_from + dt.timedelta(days=i) for i in range((tail_to - day_from).days + 1)]
    written = 0
    for i in range(0, len(targets), job.meters_per_tx):
        group = targets[i : i + job.meters_per_tx]
        of_meter = {t.serial: [*t.channels.values(), *(cid for _, cid in t.mbus_channels.values())] for t in group}
        channels = sorted(cid for cids in of_meter.values() for cid in cids)
        if not channels:
            continue
        with store.read() as conn:
            versions = current_versions(conn, channels, day_from, tail_to)
        present = {cid: set(by_day) for cid, by_day in versions.items()}
        by_runs: dict[tuple[tuple[dt.date, dt.date], ...], list[MeterTarget]] = {}
        for t in group:  # a meter's channels are written in one transaction: its days are stored or not
            seen = set().union(*(present.get(cid, set()) for cid in of_meter[t.serial]))
            by_runs.setdefault(tuple(_missing_runs(days, seen)), []).append(t)
        for runs, meters in by_runs.items():
            for a, b in runs:
                start, end = _local_midnight(a), _local_midnight(b + dt.timedelta(days=1))
                batches = [x for _, batch in d.history_batches(plan, meters, start, end) for x in batch]
                written += ingest.ingest_many(batches, "sim-history", until=job.end).versions_written
        chunk_days = [(cid, day) for cid in channels for day in days if day <= day_to]
        if all(versions.get(cid, {}).get(day, 0) >= 2 for cid, day in chunk_days):
            continue  # validated when it was filled (VEE again would re-estimate over its own estimates)
        with store.read() as conn:
            blocks, _ = vee.plan(conn, channels, day_from, day_to, until=job.end, source=VEE_SOURCE)
            intervals = {cid: s for cid, (s, _) in vee.channel_rules(conn, channels).items()}
        if not blocks:
            continue
        try:
            with store.write() as conn:
                digest.write_blocks(conn, blocks, intervals=intervals)
            written += len(blocks)
        except (IntegrityError, digest.DigestConflict):  # another writer came first: plan again under the lock
            written += vee.run(channels, day_from, day_to, until=job.end, source=VEE_SOURCE).versions_written
    return written


def _billing(store: Store, w: Windows) -> dict[str, object]:
    from meterhub.mdm.billing import month_bounds
    from meterhub.mdm.billing_reads import billable_channels, run_monthly

    year, month = w.last_month
    _, end = month_bounds(year, month)
    channels = billable_channels(store, before=end)
    outcome = run_monthly(store, channels, year, month, computed_by=DEMO_USER, tou="national", chunk=100)
    reasons = sorted({why for _, why in outcome.refused})[:3]
    return {
        "month": f"{year}-{month:02d}",
        "channels": len(channels),
        "established": len(outcome.saved),
        "stored": outcome.count("stored") + outcome.count("corrected"),
        "refused": len(outcome.refused),
        "reasons": reasons,
    }


def _peers(store: Store, now: dt.datetime) -> dict[str, object]:
    from meterhub.mdm.peers import run_peers

    report = run_peers(store, now)
    return {"groups": report.stored, "months": report.months, "homes": report.homes}


def fill(
    job: FillJob,
    report: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> Progress:
    """Run the fill (see the module docstring) to its end, or until ``should_stop()`` between chunks;
    ``report`` gets the progress after each step (also saved to the data dir). Raises :class:`FillBusy` when
    another fill of the data dir runs."""
    lock = (job.data_dir / LOCK_FILE).open("w")
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FillBusy(f"another meterhub demo is filling the history of {job.data_dir}") from None
        store = Store.open(job.store_url, migrate=False)
        try:
            return _fill_locked(store, job, report or (lambda _: None), should_stop)
        finally:
            store.close()
    finally:
        lock.close()


def _fill_locked(
    store: Store, job: FillJob, report: Callable[[Progress], None], should_stop: Callable[[], bool]
) -> Progress:
    from meterhub.hes.headend import load_targets

    w = windows(job.hes_start, job.end, job.months)
    progress = load_progress(job.data_dir, job.store_url)
    progress.store = store_key(job.data_dir, job.store_url)
    serials = {m.serial for m in job.meters}
    targets = sorted((t for t in load_targets(store) if t.serial in serials), key=lambda t: t.serial)
    showcase = [t for t in targets if t.serial in set(job.showcase)]
    per = job.meters_per_tx
    groups = [targets[i : i + per] for i in range(0, len(targets), per)]
    todo = chunks(w, len(groups))
    progress.meters, progress.showcase = len(targets), list(job.showcase)
    progress.since = w.all_start.astimezone(LOCAL_TZ).date().isoformat()
    progress.all_total = sum(1 for c in todo if c.stage == "all")
    progress.showcase_total = sum(1 for c in todo if c.stage == "showcase") if showcase else 0
    progress.finished, progress.error, progress.running = False, "", ""
    billing_key = f"billing:{w.last_month[0]}-{w.last_month[1]:02d}"

    def step() -> None:
        save_progress(job.data_dir, progress)
        report(progress)

    step()
    if job.key_file is not None:
        _read_window(store, job, targets, progress, step)
    for chunk in [*todo, None]:
        if should_stop():
            return progress
        if chunk is None:  # every meter's last month is in: bill it, then the comparison's peer statistics
            if billing_key not in progress.done or not progress.billing:
                progress.running = billing_key
                step()
                progress.billing = _billing(store, w)
                progress.done.append(billing_key)
            progress.running = "peers"
            step()
            progress.peers = _peers(store, job.end)
            continue
        if chunk.key in progress.done or (chunk.stage == "showcase" and not showcase):
            continue
        progress.running = chunk.key
        step()
        _fill_chunk(store, job, w, groups[chunk.group] if chunk.stage == "all" else showcase, chunk)
        progress.done.append(chunk.key)
        step()
    progress.running, progress.finished = "", True
    step()
    return progress


def _read_window(
    store: Store, job: FillJob, targets: list[MeterTarget], progress: Progress, step: Callable[[], None]
) -> None:
    """The foreground day's history, then the head-end's read of ``[hes_start, end]`` from every meter over
    DLMS and its gap re-reads (:func:`meterhub.demo.read_recent`), with the keys of the key file — what
    ``meterhub demo --no-serve`` does before it fills; the report goes to the progress."""
    import asyncio
    import time

    from meterhub import demo as d
    from meterhub.hes.keyfile import KeyFileProvider

    assert job.key_file is not None
    w = windows(job.hes_start, job.end, job.months)
    progress.hes = {"done": 0, "total": len(targets), "state": "history"}
    step()
    t0 = time.perf_counter()
    d.load_history(store, FleetPlan(0, "", meters=job.meters), targets, w.foreground_start, job.hes_start, workers=1)
    history_s = time.perf_counter() - t0
    progress.hes = {"done": 0, "total": len(targets), "history_s": history_s}
    step()
    shown = [time.monotonic()]

    def advance(n: int) -> None:
        progress.hes["done"] = int(str(progress.hes["done"])) + n
        if time.monotonic() - shown[0] >= 1.0:
            shown[0] = time.monotonic()
            step()

    report, reread = asyncio.run(
        d.read_recent(store, KeyFileProvider.open(job.key_file), targets, job.hes_start, job.end, advance)
    )
    figures = {**asdict(report), "meters_per_s": report.meters_per_s}
    progress.hes = {"done": len(targets), "total": len(targets), "report": figures, "reread": reread.ok,
                    "history_s": history_s}  # fmt: skip
    step()


def fill_in_child(job: FillJob, parent_pid: int) -> None:
    """The fill as a child process's main (``multiprocessing``, spawn): errors go to the progress file; it
    stops between chunks when its parent (the demo) is gone."""
    try:
        fill(job, should_stop=lambda: os.getppid() != parent_pid)
    except KeyboardInterrupt:
        pass
    except FillBusy as exc:
        progress = load_progress(job.data_dir, job.store_url)
        progress.error = str(exc)
        save_progress(job.data_dir, progress)
    except Exception as exc:  # the fill's failure must reach the operator, not kill the web app
        progress = load_progress(job.data_dir, job.store_url)
        progress.error = f"{type(exc).__name__}: {exc}"
        save_progress(job.data_dir, progress)
        raise


__all__ = [
    "DEFAULT_MONTHS",
    "DEFAULT_SHOWCASE",
    "DEMO_CORRECTION",
    "FOREGROUND_DAYS",
    "SHOWCASE_KINDS",
    "Chunk",
    "FillBusy",
    "FillJob",
    "Progress",
    "ShowcaseHome",
    "Windows",
    "chunks",
    "demo_calorific",
    "fill",
    "fill_in_child",
    "iter_showcase_rows",
    "load_progress",
    "pick_showcase",
    "save_progress",
    "set_demo_gas_factors",
    "set_demo_weather",
    "windows",
]
