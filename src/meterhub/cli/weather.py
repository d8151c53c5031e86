"""``meterhub import weather FILE.csv``: a weather station's daily means into the store, for the heating degree
days of the History page (the demo writes the simulator's weather itself). The file's format is
:mod:`meterhub.mdm.weather`'s; a bad line refuses the whole file, listed with its line number, nothing stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from meterhub.cli.common import open_store
from meterhub.cli.mdm import import_app

console = Console()
err_console = Console(stderr=True)


@import_app.command("weather")
def import_weather(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV: date,temperature_c[,irradiance_wm2] — one local day a line.")],
    area: Annotated[str, typer.Option(help="Weather area (station) code; LU is the whole country.")] = "LU",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Import daily mean air temperatures (°C, and optionally the mean global irradiance in W/m²). A day
    already stored is replaced; any bad line refuses the whole file (nothing stored), listed as FILE:LINE."""
    from meterhub.mdm.weather import WeatherCsvError
    from meterhub.mdm.weather import import_weather as run_import

    code = area.strip().upper()
    if not code or len(code) > 16 or not code.replace("-", "").replace("_", "").isalnum():
        raise typer.BadParameter("--area must be 1 to 16 letters, digits, - or _")
    if not file.is_file():
        raise typer.BadParameter(f"no such file: {file}")
    store = open_store(ctx, as_json=as_json, create=True)
    try:
        report = run_import(store, file, area=code)
    except WeatherCsvError as exc:
        if as_json:
            print(json.dumps({"ok": False, "problems": exc.total, "errors": [p.at(str(file)) for p in exc.problems]}))
        else:
            head = f"[red]{escape(str(file))}: {exc.total} problem(s), nothing imported[/red]"
            err_console.print(head, soft_wrap=True)
            for p in exc.problems:
                err_console.print(f"  {p.at(str(file))}", markup=False, highlight=False, soft_wrap=True)
            if exc.total > len(exc.problems):
                err_console.print(f"  … and {exc.total - len(exc.problems)} more")
        raise typer.Exit(1) from None
    finally:
        store.close()
    if as_json:
        print(json.dumps(report.as_dict()))
    else:
        console.print(
            f"weather of {report.area}: {report.days} days {report.first} … {report.last} stored "
            f"({report.replaced} replaced a stored day)"
        )


__all__ = ["import_weather"]
