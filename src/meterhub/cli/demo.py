"""The ``meterhub demo`` command's console side: progress bars, the summary table, then the web server.

The store is the deployment's (``--store``, the data dir's SQLite file by default), created if need be; the
data dir keeps the demo's own files (fleet manifest and secret, summary, operator password). The simulated
meters' keys are written to the key file and the demo reads with them from there.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from meterhub import demo as d
from meterhub.hes.keyfile import KeyFileProvider
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
) -> None:
    """Fleet → provisioning → history → head-end reads → web app."""
    data_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    history_start, hes_start, end = d.demo_windows(now)
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
        added = d.provision(store, fleet.plan, history_start)
        targets = d.load_targets(store)
        targets = [tg for tg in targets if tg.serial in {m.serial for m in fleet.plan.meters}]
        subs = sum(len(m.sub_meters) for m in fleet.plan.meters)
        console.print(
            f"provisioned {added} new meters ({len(targets)} electricity meters, {subs} M-Bus sub-meters, "
            f"{len(fleet.plan.concentrators)} concentrators, 7 DSOs)"
        )
        _market(store, history_start, seed, console)
        with _progress(console) as progress:
            console.print(
                f"history {history_start.astimezone(d.LUX):%Y-%m-%d} … {hes_start.astimezone(d.LUX):%Y-%m-%d}: "
                "from the simulator's models through the MDM ingest path (source sim-history)"
            )
            task = progress.add_task("history", total=len(targets))
            t0 = time.perf_counter()
            d.load_history(store, fleet.plan, targets, history_start, hes_start, lambda n: progress.advance(task, n))
            history_s = time.perf_counter() - t0
            console.print(
                f"{hes_start.astimezone(d.LUX):%Y-%m-%d} … now: read by the head-end over DLMS/TCP (source hes)"
            )
            task2 = progress.add_task("head-end", total=len(targets))
            report, reread = asyncio.run(
                d.read_recent(store, keys, targets, hes_start, end, lambda n: progress.advance(task2, n))
            )
        table = Table(title="demo country read")
        table.add_column("what")
        table.add_column("value", justify="right")
        table.add_row("history from simulator models (source sim-history)", f"{history_s:.1f} s")
        table.add_row("meters read over DLMS (source hes)", f"{report.ok} / {report.meters}")
        table.add_row("head-end read time", f"{report.wall_s:.1f} s ({report.meters_per_s:.0f} meters/s)")
        table.add_row("values read", str(report.values))
        table.add_row("events stored", str(report.events))
        table.add_row("failed meters (after retries)", str(report.failed))
        table.add_row("gap re-reads", f"{reread.ok} meters")
        table.add_row("alarm pushes received so far", str(pushes.listener.stats.notifications))
        table.add_row("total", f"{time.perf_counter() - started:.1f} s")
        console.print(table)
        d.write_summary(
            data_dir,
            {"history_s": history_s, "hes": report.__dict__, "reread": reread.__dict__, "meters": len(targets)},
        )
        _print_logins(store, data_dir, now, console)
        if not serve:
            return
        _serve(store, data_dir, port, hes_start, history_start, console)
    finally:
        fleet.stop()
        pushes.stop()


def _market(store: Store, history_start: dt.datetime, seed: int, console: Console) -> None:
    from meterhub.demo_market import populate

    m = populate(store, history_start, seed)
    console.print(
        f"market: {m.suppliers} suppliers, {m.esps} ESPs, {m.customers} customers ({m.switches} supplier switches, "
        f"{m.moves} moves, {m.consents} consents, {m.requests} consent requests waiting)"
    )


def _print_logins(store: Store, data_dir: Path, now: dt.datetime, console: Console) -> None:
    from meterhub.demo_market import LOGINS_FILE, demo_logins

    table = Table(title=f"demo logins (also in {data_dir / LOGINS_FILE})")
    for col in ("role", "username", "password", "TOTP secret", "party"):
        table.add_column(col)
    for x in demo_logins(store, data_dir, now):
        table.add_row(x.role, x.username, x.password, x.totp_secret or "-", str(x.party_id))
    console.print(table)


def _serve(
    store: Store, data_dir: Path, port: int, hes_start: dt.datetime, history_start: dt.datetime, console: Console
) -> None:
    from meterhub.portal import hash_password, serve
    from meterhub.portal.site import create_site

    password_file = data_dir / "operator.password"
    if not password_file.exists():
        password_file.write_text(secrets.token_urlsafe(12))
        password_file.chmod(0o600)
    password = password_file.read_text().strip()
    note = (
        f"Days from {hes_start.astimezone(d.LUX):%Y-%m-%d} on were read by the head-end over DLMS/TCP; "
        f"{history_start.astimezone(d.LUX):%Y-%m-%d} to the day before come from the simulator's history "
        "through the same ingest path."
    )
    app = create_site(store, operator_password_hash=hash_password(password), demo_note=note)
    console.print(
        f"\n[bold green]web app:[/bold green] http://127.0.0.1:{port}/  — log in as [bold]operator[/bold] with the "
        f"password in {password_file} ([bold]{password}[/bold]); the API at http://127.0.0.1:{port}/api/v1/docs "
        "(the demo logins above). Ctrl-C stops the demo."
    )
    try:
        serve(app, "127.0.0.1", port)
    except KeyboardInterrupt:
        raise typer.Exit() from None
