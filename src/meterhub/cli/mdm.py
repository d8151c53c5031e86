"""``meterhub import intervals`` and ``meterhub export csv``: interval data from and to other systems."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from meterhub.cli.common import fail, open_store

import_app = typer.Typer(help="Import data from other systems.", no_args_is_help=True)
export_app = typer.Typer(help="Export data for other systems.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


def _date(text: str | None, name: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{name} must be a date YYYY-MM-DD, got {text!r}") from None


@import_app.command("intervals")
def import_intervals(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV: meter_serial,obis,timestamp,value (cumulative registers).")],
    create_meters: Annotated[
        bool, typer.Option("--create-meters", help="Create unknown meters and channels on the fly.")
    ] = False,
    dso: Annotated[str | None, typer.Option(help="DSO code of meters created on the fly.")] = None,
    mbus_medium: Annotated[str, typer.Option(help="Medium of M-Bus channels created on the fly.")] = "gas",
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Import cumulative register readings; a file with any bad row is refused whole (nothing written)."""
    from meterhub.mdm.csvio import CsvImportError
    from meterhub.mdm.csvio import import_intervals as run_import

    if mbus_medium not in ("gas", "water", "heat"):
        raise typer.BadParameter("--mbus-medium must be gas, water or heat")
    if not file.is_file():
        raise typer.BadParameter(f"no such file: {file}")
    store = open_store(ctx, as_json=as_json, create=True)
    try:
        if dso is not None:  # an existing DSO in any letter case; another code makes a new DSO
            dso = next((p.code for p in store.list_parties("dso") if p.code.casefold() == dso.casefold()), dso)
        report = run_import(store, file, create_meters=create_meters, dso_code=dso, mbus_medium=mbus_medium)  # type: ignore[arg-type]
    except CsvImportError as exc:
        if as_json:
            print(json.dumps({"ok": False, "problems": exc.total, "errors": [str(p) for p in exc.problems]}))
        else:
            err_console.print(f"[red]{file}: {exc.total} problem(s), nothing imported[/red]")
            for p in exc.problems:
                err_console.print(f"  {p}", markup=False, highlight=False)
            if exc.total > len(exc.problems):
                err_console.print(f"  … and {exc.total - len(exc.problems)} more")
        raise typer.Exit(1) from None
    finally:
        store.close()
    figures = {
        "ok": True,
        "rows": report.rows,
        "channels": report.channels,
        "meters_created": len(report.meters_created),
        "channels_created": report.channels_created,
        "days_touched": report.ingest.days_touched,
        "versions_written": report.ingest.versions_written,
        "measured_slots": report.ingest.measured_slots,
        "suspect_slots": report.ingest.suspect_slots,
    }
    if as_json:
        print(json.dumps(figures))
    else:
        console.print(
            f"imported {report.rows} rows of {report.channels} channels: {report.ingest.versions_written} block "
            f"version(s) written, {report.ingest.measured_slots} measured slots, "
            f"{len(report.meters_created)} meter(s) created"
        )


@contextmanager
def _export_progress(*, enabled: bool) -> Iterator[Callable[[int, int, int], None] | None]:
    """A rich bar on stderr over the export's channels, with the rows written so far and the row rate."""
    if not enabled:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("export csv"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("channels · {task.fields[rows]} rows · {task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("export", total=None, rows="0", rate="")

        def update(done: int, total: int, rows: int) -> None:
            elapsed = bar.tasks[0].elapsed or 0.0
            rate = f"{rows / elapsed / 1e6:.2f} M rows/s" if elapsed > 0 else ""
            bar.update(task, completed=done, total=total, rows=f"{rows:,}".replace(",", " "), rate=rate)

        yield update


@export_app.command("csv")
def export_csv(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    meter: Annotated[str | None, typer.Option("--meter", help="Only this meter serial.")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="First local day (YYYY-MM-DD).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last local day, inclusive (YYYY-MM-DD).")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Export the versions current at this ISO time (with offset).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Export one row per interval of the current versions (consumption, quality, rule, method, version);
    a progress bar on stderr while it runs (not with --json)."""
    from meterhub.mdm.csv_export import export_csv as run_export

    day_from, day_to = _date(date_from, "--from"), _date(date_to, "--to")
    at: datetime | None = None
    if as_of is not None:
        try:
            at = datetime.fromisoformat(as_of)
        except ValueError:
            raise typer.BadParameter(f"--as-of must be an ISO 8601 time, got {as_of!r}") from None
        if at.tzinfo is None:
            raise typer.BadParameter("--as-of needs a UTC offset (e.g. 2026-06-10T12:00:00+02:00)")
    if day_from and day_to and day_to < day_from:
        raise typer.BadParameter("--to is before --from")
    store = open_store(ctx, as_json=as_json)
    try:
        if meter is not None and store.meter_by_serial(meter) is None:
            fail(f"unknown meter {meter}", as_json=as_json)
        with _export_progress(enabled=not as_json and err_console.is_terminal) as progress:
            n = run_export(
                store, out, meter_serial=meter, day_from=day_from, day_to=day_to, as_of=at, progress=progress
            )
    finally:
        store.close()
    if as_json:
        print(json.dumps({"ok": True, "rows": n, "out": str(out)}))
    else:
        console.print(f"wrote {n} interval rows to {out}")
