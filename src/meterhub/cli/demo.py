"""The ``meterhub demo`` command's console side: progress bars, the summary tables, then the web server with
the longer history filling in a child process (:mod:`meterhub.demo_history`), its progress on the terminal
and, through ``demo_status``, on the web app's meters page.

The store is the deployment's (``--store``, the data dir's SQLite file by default), created if need be; the
data dir keeps the demo's own files (fleet manifest and secret, summary, operator password). The simulated
meters' keys are written to the key file and the demo reads with them from there.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import multiprocessing
import os
import secrets
import signal
import threading
import time
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from meterhub import demo as d
from meterhub import demo_history as dh
from meterhub.demo_households import household_homes
from meterhub.hes.keyfile import KeyFileProvider
from meterhub.sim.fleet import FleetPlan
from meterhub.store.db import Store


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    )


def run_demo(
    data_dir: Path,
    store: Store,
    store_text: str,
    key_file: Path,
    meters: int,
    concentrators: int,
    seed: int,
    serve: bool,
    port: int,
    fleet_port_base: int,
    plc: str,
    console: Console,
    showcase: int | None = None,
    months: int = dh.DEFAULT_MONTHS,
) -> None:
    """Fleet → provisioning → recent history → head-end reads → web app, the longer history filling in the
    background (with ``serve`` off: in the foreground, to its end)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    _, hes_start, end = d.demo_windows(now)
    w = dh.windows(hes_start, end, months)
    where = "" if store_text == str(data_dir) else f", store {store_text}"
    console.print(f"[bold]meterhub demo[/bold] — data in {data_dir.resolve()}{where}")
    keys = KeyFileProvider(key_file)  # loaded once the fleet's meter keys are in the file
    pushes = d.PushListenerThread(store, keys)
    push_port = pushes.start()
    with console.status(f"starting the simulated fleet: {meters} meters, {concentrators} concentrators…"):
        fleet = d.start_fleet(data_dir, meters, concentrators, seed, fleet_port_base, plc, push_port=push_port)
    try:
        in_file = d.write_meter_keys(key_file, d.master_secret(data_dir), [m.serial for m in fleet.plan.meters])
        keys.reload()
        console.print(f"meter keys: {in_file} meters in {key_file} (mode 0600; 'meterhub keys show SERIAL')")
        homes = dh.pick_showcase(fleet.plan, default_showcase(meters) if showcase is None else showcase)
        added = d.provision(store, fleet.plan, w.all_start, {h.serial: w.showcase_start for h in homes})
        targets = d.load_targets(store)
        targets = [tg for tg in targets if tg.serial in {m.serial for m in fleet.plan.meters}]
        subs = sum(len(m.sub_meters) for m in fleet.plan.meters)
        console.print(
            f"provisioned {added} new meters ({len(targets)} electricity meters, {subs} M-Bus sub-meters, "
            f"{len(fleet.plan.concentrators)} concentrators, 7 DSOs)"
        )
        _market(store, w.showcase_start, seed, console)
        _households(store, fleet.plan, now, console)
        gas = dh.set_demo_gas_factors(store, w)
        console.print(
            f"gas conversion factors: {gas} new national months from {_day(w.showcase_start)} "
            f"(calorific value {dh.demo_calorific(7)}–{dh.demo_calorific(1)} kWh/m³, volume correction "
            f"{dh.DEMO_CORRECTION}; 'meterhub billing gas-factors list')"
        )
        weather = dh.set_demo_weather(store, w)
        console.print(f"weather: {weather} days of the simulator's daily mean temperature (area LU, source sim)")
        read = _ReadTable(0.0, started, pushes)
        summary = {"meters": len(targets), "showcase": [h.serial for h in homes], "history_from": w.all_start,
                   "showcase_from": w.showcase_start, "hes_start": hes_start, "end": end, "months": months}  # fmt: skip
        if not serve:
            with _progress(console) as progress:
                console.print(
                    f"history {_day(w.foreground_start)} … {_day(hes_start)}: from the simulator's models through "
                    "the MDM ingest path (source sim-history)"
                )
                task = progress.add_task("history", total=len(targets))
                t0 = time.perf_counter()
                d.load_history(
                    store, fleet.plan, targets, w.foreground_start, hes_start, lambda n: progress.advance(task, n)
                )
                read.history_s = time.perf_counter() - t0
                console.print(f"{_day(hes_start)} … now: read by the head-end over DLMS/TCP (source hes)")
                task2 = progress.add_task("head-end", total=len(targets))
                report, reread = asyncio.run(
                    d.read_recent(store, keys, targets, hes_start, end, lambda n: progress.advance(task2, n))
                )
            read.print(console, {**report.__dict__, "meters_per_s": report.meters_per_s}, reread.ok)
            summary |= {"history_s": read.history_s, "hes": report.__dict__, "reread": reread.__dict__}
        _print_showcase(console, store, homes, w)
        d.write_summary(data_dir, summary)
        job = dh.FillJob(data_dir, _url(store), fleet.plan.meters, [h.serial for h in homes], hes_start, end, months)
        console.print(
            ("" if serve else "the rest of the history: ")
            + f"the showcase homes from {_day(w.showcase_start)}, every meter from {_day(w.all_start)}, then "
            f"the billing run of {w.last_month[0]}-{w.last_month[1]:02d}"
        )
        _print_logins(store, data_dir, now, console, household_homes(store, fleet.plan, homes, now))
        if not serve:
            _fill_here(job, console)
            return
        job = dataclasses.replace(job, key_file=key_file)
        console.print(
            f"in the background, once the web app is up: history {_day(w.foreground_start)} … {_day(hes_start)}, "
            f"the head-end's read of {_day(hes_start)} … now over DLMS/TCP (source hes), then the rest of the "
            "history — progress below and on the meters page"
        )
        _serve(store, data_dir, port, w, console, job, read)
    finally:
        fleet.stop()
        pushes.stop()


def _market(store: Store, history_start: dt.datetime, seed: int, console: Console) -> None:
    from meterhub.demo_market import populate

    m = populate(store, history_start, seed)
    console.print(
        f"market: {m.suppliers} suppliers, {m.esps} ESPs, {m.customers} customers ({m.switches} supplier switches, "
        f"{m.moves} moves, {m.consents} consents, {m.requests} consent requests waiting, {m.tariffs} tariff versions "
        "published)"
    )


def _households(store: Store, plan: FleetPlan, now: dt.datetime, console: Console) -> None:
    """Every home's profile from the simulator's traits, then the peer statistics over what the store holds."""
    from meterhub.demo_households import fill_profiles
    from meterhub.mdm.peers import run_peers

    added = fill_profiles(store, plan, now)
    report = run_peers(store, now)
    console.print(
        f"home profiles: {added} new (from the simulator's traits); peer statistics: {report.stored} groups of "
        "≥ 20 homes over what is stored (again once the history is filled; 'meterhub mdm peers')"
    )


def _print_logins(
    store: Store, data_dir: Path, now: dt.datetime, console: Console, households: list[tuple[str, str, int, str]]
) -> None:
    from meterhub.demo_market import LOGINS_FILE, demo_contacts, demo_logins

    logins = demo_logins(store, data_dir, now, households)
    table = Table(title=f"demo logins (also in {data_dir / LOGINS_FILE})")
    for col in ("role", "username", "password", "TOTP secret", "party"):
        table.add_column(col)
    for x in logins:
        if x.household is None:
            table.add_row(x.role, x.username, x.password, x.totp_secret or "-", str(x.party_id))
    console.print(table)
    shown = [x for x in logins if x.household is not None]
    if shown:
        homes = Table(title="showcase households (customer logins, long history; /compare and the other pages)")
        for col in ("username", "password", "household"):
            homes.add_column(col)
        for x in shown:
            homes.add_row(x.username, x.password, x.household)
        console.print(homes)
    demo_contacts(store, logins, now)


@dataclass
class _ReadTable:
    """The "demo country read" table, printed when the head-end's read is done (here or in the background)."""

    history_s: float
    started: float
    pushes: d.PushListenerThread
    printed: bool = False

    def print(self, console: Console, report: dict[str, object], rereads: object) -> None:
        r = report
        table = Table(title="demo country read")
        table.add_column("what")
        table.add_column("value", justify="right")
        table.add_row("history from simulator models (source sim-history)", f"{self.history_s:.1f} s")
        table.add_row("meters read over DLMS (source hes)", f"{r['ok']} / {r['meters']}")
        table.add_row("head-end read time", f"{r['wall_s']:.1f} s ({r['meters_per_s']:.0f} meters/s)")
        table.add_row("values read", str(r["values"]))
        table.add_row("events stored", str(r["events"]))
        table.add_row("failed meters (after retries)", str(r["failed"]))
        table.add_row("gap re-reads", f"{rereads} meters")
        table.add_row("alarm pushes received so far", str(self.pushes.listener.stats.notifications))
        table.add_row("total", f"{time.perf_counter() - self.started:.1f} s")
        console.print(table)
        self.printed = True


def default_showcase(meters: int) -> int:
    """Showcase homes of a demo of ``meters`` meters: 16, fewer in a small demo (one per ten meters)."""
    return min(dh.DEFAULT_SHOWCASE, meters // 10)


def _day(at: dt.datetime) -> str:
    return f"{at.astimezone(d.LUX):%Y-%m-%d}"


def _url(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def _print_showcase(console: Console, store: Store, homes: list[dh.ShowcaseHome], w: dh.Windows) -> None:
    if not homes:
        return
    ids = {m.serial: m.id for m in store.list_meters(medium="electricity")}
    table = Table(title=f"showcase homes: history from {_day(w.showcase_start)} (web app: /meters/SERIAL)")
    for col in ("serial", "id", "kind", "persons", "kWh/yr", "PV, EV, M-Bus sub-meters"):
        table.add_column(col, no_wrap=col in ("serial", "id"))
    for row in dh.iter_showcase_rows(homes, ids):
        table.add_row(*row)
    console.print(table)


class _FillBars:
    """The fill's progress as rich bars (weeks of every meter, months of the showcase homes) and a line."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.all = progress.add_task("history, every meter from the 1st of last month", total=None)
        self.showcase = progress.add_task("history, showcase homes (months)", total=None, visible=False)
        self.line = ""

    def update(self, state: dh.Progress) -> None:
        self.progress.update(
            self.all, total=state.all_total or 1, completed=state.count("all") if state.all_total else 1
        )
        if state.showcase_total:
            self.progress.update(
                self.showcase, total=state.showcase_total, completed=state.count("showcase"), visible=True
            )
        if state.billing and self.line != str(state.billing):
            self.line = str(state.billing)
            b = state.billing
            self.progress.console.print(
                f"billing run {b.get('month')}: {b.get('established')} reads established ({b.get('stored')} new), "
                f"{b.get('refused')} not established" + (f" — {b.get('reasons')}" if b.get("refused") else "")
            )


def _fill_here(job: dh.FillJob, console: Console) -> None:
    with _progress(console) as progress:
        bars = _FillBars(progress)
        state = dh.fill(job, report=bars.update)
    console.print(state.text())


def _watch_fill(job: dh.FillJob, console: Console, child: BaseProcess, stop: threading.Event, read: _ReadTable) -> None:
    """Show the background head-end read and fill on the terminal until they finish (or the demo stops)."""
    with _progress(console) as progress:
        hes = progress.add_task("head-end (DLMS/TCP)", total=None)
        bars = _FillBars(progress)
        while not stop.wait(1.0):
            state = dh.load_progress(job.data_dir, job.store_url)
            if state.hes:
                progress.update(hes, total=int(str(state.hes["total"])), completed=int(str(state.hes["done"])))
                report = state.hes.get("report")
                if isinstance(report, dict) and not read.printed:
                    read.history_s = float(str(state.hes.get("history_s", 0.0)))
                    read.print(progress.console, report, state.hes.get("reread"))
            bars.update(state)
            if state.finished or state.error or not child.is_alive():
                break
    console.print(dh.load_progress(job.data_dir, job.store_url).text())


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _serve(
    store: Store, data_dir: Path, port: int, w: dh.Windows, console: Console, job: dh.FillJob, read: _ReadTable
) -> None:
    from meterhub.api.egress import Egress
    from meterhub.api.notify import Outbox
    from meterhub.portal import hash_password, serve
    from meterhub.portal.site import create_site

    password_file = data_dir / "operator.password"
    if not password_file.exists():
        password_file.write_text(secrets.token_urlsafe(12))
        password_file.chmod(0o600)
    password = password_file.read_text().strip()
    note = (
        f"Days from {_day(w.hes_start)} on were read by the head-end over DLMS/TCP; the days before come from the "
        f"simulator's history through the same ingest path — every meter from {_day(w.all_start)}, the showcase "
        f"homes ({len(job.showcase)}) from {_day(w.showcase_start)}."
    )
    app = create_site(
        store,
        operator_password_hash=hash_password(password),
        demo_note=note,
        demo_status=lambda: dh.load_progress(job.data_dir, job.store_url).text(),
        mailer=Outbox(data_dir / "outbox"),
        egress=Egress("demo"),
    )
    from meterhub.country.h0 import H0
    from meterhub.portal.compare import set_reference_profile

    set_reference_profile(app, H0)
    child = multiprocessing.get_context("spawn").Process(
        target=dh.fill_in_child, args=(job, os.getpid()), name="history-fill"
    )
    child.start()
    stop = threading.Event()
    watcher = threading.Thread(
        target=_watch_fill, args=(job, console, child, stop, read), name="fill-progress", daemon=True
    )
    watcher.start()
    console.print(
        f"\n[bold green]web app:[/bold green] http://127.0.0.1:{port}/  — log in as [bold]operator[/bold] with the "
        f"password in {password_file} ([bold]{password}[/bold]); the API at http://127.0.0.1:{port}/api/v1/docs "
        f"(the demo logins above); notification e-mails go to {data_dir / 'outbox'}. Ctrl-C stops the demo."
    )
    signal.signal(signal.SIGTERM, _interrupt)  # uvicorn re-raises SIGTERM after its shutdown: stop cleanly
    try:
        serve(app, "127.0.0.1", port)
    except KeyboardInterrupt:
        raise typer.Exit() from None
    finally:
        stop.set()
        if child.is_alive():
            child.terminate()  # a chunk not recorded as done is filled again by the next run
        child.join(10)
        watcher.join(2)
