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

app = typer.Typer(
    name="meterhub",
    help="meterhub: national smart-meter platform (DLMS/COSEM head-end, meter data management, portals).",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()

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
) -> None:
    """Run a benchmark from benchmarks/ and print its figures."""
    module = _load_benchmark(name)
    options = {k: v for k, v in {"rounds": rounds, "meters": meters}.items() if v is not None}
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


class _nullcontext:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


if __name__ == "__main__":  # pragma: no cover
    app()
