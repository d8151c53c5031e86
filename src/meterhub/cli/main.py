"""The ``meterhub`` command line (typer + rich): ``meterhub [--data-dir DIR] [--store URL] [--key-file FILE]
COMMAND``.

The global options name the deployment: the data dir (the demo's files, the archive), the store (a SQLite
file or a PostgreSQL database; the data dir's ``meterhub.sqlite`` by default) and the meter key file. Commands
print tables with rich and take ``--json`` for machine output. Benchmarks live in the repository's
``benchmarks/`` folder (one module per capability, each with ``run(**options) -> dict``) and are run with
``meterhub bench NAME``. Only typer and rich are imported to start: every command imports what it uses when
it runs, so ``--help`` is quick.
"""

from __future__ import annotations

import importlib
import json
import sys
from contextlib import nullcontext
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
from meterhub.cli import events as events_cli
from meterhub.cli import hes as hes_cli
from meterhub.cli import keys as keys_cli
from meterhub.cli import mdm as mdm_cli
from meterhub.cli import p1 as p1_cli
from meterhub.cli import peers as peers_cli
from meterhub.cli import serve as serve_cli
from meterhub.cli import sim as sim_cli
from meterhub.cli import store as store_cli
from meterhub.cli import users as users_cli
from meterhub.cli import vee as vee_cli
from meterhub.cli import weather as weather_cli  # noqa: F401  (registers `meterhub import weather`)
from meterhub.cli import webhooks as webhooks_cli
from meterhub.cli.common import Settings, fail, open_store, settings, store_location

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
app.add_typer(peers_cli.app, name="mdm")
app.command("read")(hes_cli.read)
app.command("serve")(serve_cli.serve)
app.add_typer(hes_cli.hes_app, name="hes")
app.add_typer(vee_cli.app, name="vee")
app.add_typer(events_cli.app, name="events")
app.add_typer(store_cli.app, name="store")
app.add_typer(keys_cli.app, name="keys")
app.add_typer(users_cli.app, name="users")
app.add_typer(webhooks_cli.app, name="webhooks")

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
        Path,
        typer.Option("--data-dir", help="Where the demo and the archive keep their files.", envvar="MH_DATA_DIR"),
    ] = Path("meterhub-data"),
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="The store: sqlite:///FILE, postgresql://USER@HOST/DB, or a data dir (default: DATA_DIR's SQLite).",
            envvar="MH_STORE_URL",
        ),
    ] = None,
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file",
            help="The meters' keys, a JSON or CSV key file (default: DATA_DIR/meter-keys.json).",
            envvar="MH_KEY_FILE",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """meterhub: national smart-meter platform."""
    ctx.obj = Settings(data_dir, store or None, key_file)


def _load_benchmark(name: str) -> Any:
    name = name.replace("-", "_")  # bench cli-startup → benchmarks/cli_startup.py
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
    name: Annotated[str, typer.Argument(help="Benchmark to run: dlms, hes, cli-startup, …")],
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
    with console.status(f"running benchmark {name}…", spinner="dots") if not as_json else nullcontext():
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
def demo(
    ctx: typer.Context,
    meters: Annotated[int, typer.Option(help="Electricity meters in the demo country.")] = 2000,
    concentrators: Annotated[int, typer.Option(help="Data concentrators.")] = 40,
    seed: Annotated[int, typer.Option(help="Fleet seed.")] = 1,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the web app after reading.")] = True,
    port: Annotated[int, typer.Option(help="Web app port.")] = 8000,
    fleet_port_base: Annotated[int, typer.Option(help="First TCP port of the simulated fleet (0: free ports).")] = 0,
    plc: Annotated[str, typer.Option(help="PLC channel model of the concentrators: realistic, fast, off.")] = "fast",
    showcase: Annotated[
        int | None, typer.Option(min=0, help="Showcase homes with the long history (default 16; 1 per 10 meters).")
    ] = None,
    history_months: Annotated[
        int, typer.Option(min=13, max=120, help="Months of history of the showcase homes (36: 3 years).")
    ] = 36,
) -> None:
    """Build a demo country, read it over DLMS, serve the web app on http://127.0.0.1:8000.

    Every meter gets history from the 1st of last month (and last month's billing run), the showcase homes
    --history-months; what the web app does not need to start fills in the background after it is up
    (with --no-serve: before the command ends). The store is --store (created if need be), else the data
    dir's; the meters' keys go to the key file."""
    from meterhub.cli.demo import run_demo
    from meterhub.hes.keyfile import KeyFileError

    s = settings(ctx)
    store = open_store(ctx, create=True)
    try:
        run_demo(s.data_dir, store, store_location(ctx).display(), s.key_file_path(), meters, concentrators, seed,
                 serve, port, fleet_port_base, plc, console, showcase, history_months)  # fmt: skip
    except KeyFileError as exc:
        fail(str(exc))
    finally:
        store.close()


if __name__ == "__main__":  # pragma: no cover
    app()
