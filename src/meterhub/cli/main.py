"""The ``meterhub`` command line (typer + rich): ``meterhub [--data-dir DIR] COMMAND``.

Commands print tables with rich and take ``--json`` for machine output. Benchmarks live in the repository's
``benchmarks/`` folder (one module per capability, each with ``run(**options) -> dict``) and are run with
``meterhub bench NAME``.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from meterhub import __version__
from meterhub.cli import aggregates as aggregates_cli
from meterhub.cli import archive as archive_cli
from meterhub.cli import billing as billing_cli
from meterhub.cli import edits as edits_cli
from meterhub.cli import mdm as mdm_cli
from meterhub.cli import p1 as p1_cli
from meterhub.cli import sim as sim_cli

app = typer.Typer(
    name="meterhub",
    help="meterhub: national smart-meter platform (DLMS/COSEM head-end, meter data management, portals).",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
app.add_typer(sim_cli.app, name="sim")
app.add_typer(mdm_cli.import_app, name="import")
app.add_typer(mdm_cli.export_app, name="export")
app.add_typer(archive_cli.app, name="archive")
app.add_typer(billing_cli.app, name="billing")
app.add_typer(edits_cli.app, name="edit")
app.command("aggregate")(aggregates_cli.aggregate)
app.add_typer(p1_cli.app, name="p1")

#: The repository root when installed from a checkout (``pip install -e .``): benchmarks are found there.
REPO_ROOT = Path(__file__).resolve().parents[3]


def _version(value: bool) -> None:
    if value:
        console.print(f"meterhub {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Where the platform keeps its data.", envvar="MH_DATA_DIR")
    ] = Path("meterhub-data"),
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """meterhub: national smart-meter platform."""
    ctx.obj = {"data_dir": data_dir}


def _load_benchmark(name: str) -> Any:
    if not name.isidentifier():
        raise typer.BadParameter(f"not a benchmark name: {name!r}")
    if str(REPO_ROOT) not in sys.path and (REPO_ROOT / "benchmarks").is_dir():
        sys.path.insert(0, str(REPO_ROOT))
    try:
        return importlib.import_module(f"benchmarks.{name}")
    except ModuleNotFoundError as exc:
        available = sorted(p.stem for p in (REPO_ROOT / "benchmarks").glob("*.py") if not p.stem.startswith("_"))
        raise typer.BadParameter(
            f"no benchmark {name!r} (available: {', '.join(available) or 'none: run from a source checkout'})"
        ) from exc


@app.command()
def bench(
    name: Annotated[str, typer.Argument(help="Benchmark to run: dlms, …")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as one JSON object.")] = False,
    rounds: Annotated[int | None, typer.Option(help="Rounds per batch (benchmark default if omitted).")] = None,
    meters: Annotated[int | None, typer.Option(help="Meters, for fleet benchmarks.")] = None,
    backend: Annotated[
        str | None, typer.Option(help="Store backend, for store benchmarks: sqlite or postgres (MH_PG_DSN).")
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option("--option", "-o", help="Any other option of the benchmark's run(), as KEY=VALUE (repeatable)."),
    ] = None,
) -> None:
    """Run a benchmark from benchmarks/ and print its figures."""
    module = _load_benchmark(name)
    given = {"rounds": rounds, "meters": meters, "backend": backend}
    options: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    for item in option or []:
        key, sep, text = item.partition("=")
        if not sep or not key.isidentifier():
            raise typer.BadParameter(f"--option takes KEY=VALUE, not {item!r}")
        options[key] = _option_value(text)
    with console.status(f"running benchmark {name}…", spinner="dots") if not as_json else _nullcontext():
        figures: dict[str, Any] = module.run(**options)
    if as_json:
        print(json.dumps(figures))
        return
    table = Table(title=f"benchmark {name}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in figures.items():
        table.add_row(key, str(value))
    console.print(table)


def _option_value(text: str) -> Any:
    """A benchmark option's value: true/false, an integer, a number, or the text itself."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


@app.command()
def read(
    obis: Annotated[list[str], typer.Argument(help="Objects: OBIS (1.0.1.8.0.255 or 1-0:1.8.0) or CLASS/OBIS/ATTR.")],
    host: Annotated[str, typer.Option(help="Meter or concentrator address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 4059,
    serial: Annotated[str, typer.Option(help="Meter serial (for the report).")] = "",
    ek: Annotated[str, typer.Option(help="Encryption key GUEK (32 hex digits).", envvar="MH_READ_EK")] = "",
    ak: Annotated[str, typer.Option(help="Authentication key AK (32 hex digits).", envvar="MH_READ_AK")] = "",
    wport: Annotated[int, typer.Option(help="Server wPort (1 direct; node wPort behind a concentrator).")] = 1,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each answer.")] = 10.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Ad-hoc read of a meter over DLMS (management client, HLS-GMAC)."""
    import asyncio

    from meterhub.dlms.security import CipherKeys
    from meterhub.hes.adhoc import ObjectRef, read_objects
    from meterhub.hes.session import HesError

    try:
        keys = CipherKeys(bytes.fromhex(ek), bytes.fromhex(ak))
    except ValueError as exc:
        raise typer.BadParameter("--ek and --ak must be 16-byte hex keys") from exc
    try:
        objects = [ObjectRef.parse(text) for text in obis]
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    try:
        results = asyncio.run(read_objects(host, port, keys, objects, wport, timeout))
    except HesError as exc:
        console.print(f"[red]read failed[/red] {serial or host}:{port}: {exc}")
        raise typer.Exit(2) from exc
    if as_json:
        print(json.dumps({str(obj.obis): text for obj, text in results}))
        return
    table = Table(title=f"meter {serial or host + ':' + str(port)}")
    table.add_column("OBIS")
    table.add_column("class", justify="right")
    table.add_column("value")
    for obj, text in results:
        table.add_row(str(obj.obis), str(obj.class_id), text)
    console.print(table)


@app.command()
def demo(
    ctx: typer.Context,
    meters: Annotated[int, typer.Option(help="Electricity meters in the demo country.")] = 2000,
    concentrators: Annotated[int, typer.Option(help="Data concentrators.")] = 40,
    seed: Annotated[int, typer.Option(help="Fleet seed.")] = 1,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the web app after reading.")] = True,
    port: Annotated[int, typer.Option(help="Web app port.")] = 8000,
    fleet_port_base: Annotated[int, typer.Option(help="First TCP port of the simulated fleet (0: free ports).")] = 0,
    plc: Annotated[str, typer.Option(help="PLC channel model of the concentrators: realistic, fast, off.")] = "fast",
) -> None:
    """Build a demo country, read it over DLMS, serve the web app on http://127.0.0.1:8000."""
    from meterhub.cli.demo import run_demo

    run_demo(ctx.obj["data_dir"], meters, concentrators, seed, serve, port, fleet_port_base, plc, console)


hes_app = typer.Typer(help="The head-end: scheduled reads of the store's meters.", no_args_is_help=True)
app.add_typer(hes_app, name="hes")


@hes_app.command("run")
def hes_run(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="One pass (what is due now), then exit.")] = False,
    period: Annotated[float, typer.Option(help="Seconds between passes.")] = 900.0,
    lookback_days: Annotated[int, typer.Option(help="Days back the daily schedule fills gaps.")] = 7,
    vee: Annotated[bool, typer.Option("--vee/--no-vee", help="Validate and estimate each day read.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print each pass as JSON.")] = False,
) -> None:
    """Run the schedules (daily profile + events, hourly M-Bus, monthly billing, gap re-reads).

    Meters come from the store of the data dir; keys from the data dir's fleet master secret (the demo's
    key provisioning — the HSM-backed key store comes with the security work).
    """
    import asyncio

    from meterhub import demo as d
    from meterhub.hes.headend import HeadEnd
    from meterhub.hes.scheduler import Scheduler
    from meterhub.store.db import Store

    data_dir: Path = ctx.obj["data_dir"]
    if not (data_dir / "meterhub.sqlite").exists():
        raise typer.BadParameter(f"no store in {data_dir}: run 'meterhub demo' or provision meters first")
    store = Store.open(data_dir)
    keys = d.DerivedKeyProvider(d.master_secret(data_dir))

    async def run() -> None:
        headend = HeadEnd(store, keys)
        from meterhub.mdm.vee_service import VeeService

        scheduler = Scheduler(headend, lookback_days=lookback_days, vee=VeeService(store) if vee else None)
        try:
            while True:
                report = await scheduler.run_once()
                runs = {name: {"ok": r.ok, "failed": r.failed, "values": r.values} for name, r in report.runs.items()}
                if as_json:
                    print(json.dumps({"at": report.at.isoformat(), "runs": runs}), flush=True)
                else:
                    console.print(f"{report.at:%Y-%m-%d %H:%M:%S} UTC: {runs or 'nothing due'}")
                if once:
                    return
                await asyncio.sleep(period)
        finally:
            await headend.close()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        raise typer.Exit() from None


vee_app = typer.Typer(help="Validation and estimation (VEE) of stored interval data.", no_args_is_help=True)
app.add_typer(vee_app, name="vee")


@vee_app.command("run")
def vee_run(
    ctx: typer.Context,
    days: Annotated[int, typer.Option(help="Local days back from yesterday to validate.")] = 1,
    chunk: Annotated[int, typer.Option(help="Channels per write transaction.")] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Validate and estimate the last DAYS local days of every channel (new block versions; measured values
    are never changed)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from meterhub.mdm.vee_service import VeeService
    from meterhub.store.db import Store

    data_dir: Path = ctx.obj["data_dir"]
    if not (data_dir / "meterhub.sqlite").exists():
        raise typer.BadParameter(f"no store in {data_dir}")
    store = Store.open(data_dir)
    service = VeeService(store)
    now = dt.datetime.now(dt.UTC)
    yesterday = now.astimezone(ZoneInfo("Europe/Luxembourg")).date() - dt.timedelta(days=1)
    channels = [c.id for c in store.list_channels()]
    totals: dict[str, int] = {}
    with console.status(f"VEE of {len(channels)} channels…") if not as_json else _nullcontext():
        for i in range(0, len(channels), chunk):
            report = service.run(channels[i : i + chunk], yesterday - dt.timedelta(days=days - 1), yesterday, until=now)
            for key in ("channels", "days", "validated", "estimated", "suspect", "missing", "versions_written"):
                totals[key] = totals.get(key, 0) + int(getattr(report, key))
    if as_json:
        print(json.dumps(totals))
    else:
        table = Table(title="VEE")
        table.add_column("figure")
        table.add_column("value", justify="right")
        for key, value in totals.items():
            table.add_row(key, str(value))
        console.print(table)


class _nullcontext:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


if __name__ == "__main__":  # pragma: no cover
    app()
