"""``meterhub import intervals``, ``meterhub export csv`` and ``meterhub export espi``: interval data from and to
other systems (the ESPI export is the Green Button Download My Data feed, :mod:`meterhub.mdm.espi`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from meterhub.cli.common import fail, number, open_store

if TYPE_CHECKING:
    from meterhub.mdm.espi import UsagePointData
    from meterhub.store import Store

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


PROGRESS_BYTES = 2_000_000
"""Files from this size on show a progress bar (reading, checking, ingest with VEE)."""


@import_app.command("intervals")
def import_intervals(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV: meter_serial,obis,timestamp,value (cumulative registers).")],
    create_meters: Annotated[
        bool, typer.Option("--create-meters", help="Create unknown meters and channels on the fly.")
    ] = False,
    dso: Annotated[str | None, typer.Option(help="DSO code of meters created on the fly.")] = None,
    mbus_medium: Annotated[str, typer.Option(help="Medium of M-Bus channels created on the fly.")] = "gas",
    vee: Annotated[
        bool, typer.Option("--vee/--no-vee", help="Validate and estimate the complete days imported (default).")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Import cumulative register readings, validated and estimated as the head-end's reads are. A malformed
    row refuses the whole file (nothing written); a second, different reading for an instant is kept aside
    (rejected_reading) and flags the interval suspect (rule duplicate)."""
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
        with _import_progress(file, enabled=not as_json and file.stat().st_size >= PROGRESS_BYTES) as progress:
            report = run_import(
                store, file, create_meters=create_meters, dso_code=dso, mbus_medium=mbus_medium,  # type: ignore[arg-type]
                vee=vee, progress=progress,
            )  # fmt: skip
    except CsvImportError as exc:
        if as_json:
            print(json.dumps({"ok": False, "problems": exc.total, "errors": [p.at(str(file)) for p in exc.problems]}))
        else:
            head = f"[red]{escape(str(file))}: {exc.total} problem(s), nothing imported[/red]"
            err_console.print(head, soft_wrap=True)
            for p in exc.problems:  # one line each, never wrapped (editors and grep find file:line)
                err_console.print(f"  {p.at(str(file))}", markup=False, highlight=False, soft_wrap=True)
            if exc.total > len(exc.problems):
                err_console.print(f"  … and {exc.total - len(exc.problems)} more")
        raise typer.Exit(1) from None
    finally:
        store.close()
    if as_json:
        print(json.dumps(report.as_dict()))
    else:
        _print_report(file, report.as_dict())


@contextmanager
def _import_progress(file: Path, *, enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A rich progress display on stderr for the import's phases (none when not ``enabled``)."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    labels = {"read": f"reading {file.name}", "check": "checking meters and channels", "vee": "ingest and VEE (days)"}
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
               TimeElapsedColumn(), TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=err_console, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def update(phase: str, done: int, total: int) -> None:
            task = tasks.get(phase)
            if task is None:
                task = tasks[phase] = bar.add_task(labels.get(phase, phase), total=total or None)
            bar.update(task, completed=done, total=total or None)

        yield update


def _print_report(file: Path, r: dict[str, Any]) -> None:
    """The import report as rich tables: the file's figures, the conflicts listed, the VEE outcome."""
    from rich.table import Table

    table = Table(title=f"import of {file.name} ({r['import_run']})", show_header=False)
    table.add_column("figure")
    table.add_column("value", justify="right")
    rows = [
        ("rows read", r["rows"]),
        ("channels", r["channels"]),
        ("meters / channels created", f"{number(r['meters_created'])} / {number(r['channels_created'])}"),
        ("intervals stored", r["intervals"]),
        ("block versions written", r["versions_written"]),
        ("duplicates, identical (read once)", r["duplicates_identical"]),
        ("conflicting duplicates", r["conflicting_duplicates"]),
        ("  instants flagged suspect (duplicate)", r["conflicting_instants"]),
        ("  values kept in rejected_reading", r["rejected_recorded"]),
    ]
    for name, value in rows:
        table.add_row(name, value if isinstance(value, str) else number(value))
    console.print(table)
    if r["conflicts"]:
        listed = Table(title=f"conflicting duplicates (first {len(r['conflicts'])} of {r['conflicting_duplicates']})")
        for name in ("meter", "OBIS", "instant", "kept (line)", "other (line)"):
            listed.add_column(name, justify="right" if "(" in name else "left")
        for c in r["conflicts"]:
            listed.add_row(c["meter"], c["obis"], c["instant"], f"{number(c['kept'])} ({c['kept_line']})",
                           f"{number(c['other'])} ({c['line']})")  # fmt: skip
        console.print(listed)
    v = r["vee"]
    if not v["enabled"]:
        console.print("VEE off (--no-vee): the readings stay measured until 'meterhub vee run'")
        return
    outcome = Table(title="VEE at import", show_header=False)
    outcome.add_column("figure")
    outcome.add_column("value", justify="right")
    outcome.add_row("channel days cleared by the screen (validated)", number(v["days_validated"]))
    outcome.add_row("channel days validated and estimated in full", number(v["days_sent"]))
    outcome.add_row("intervals estimated", number(v["estimated_slots"]))
    outcome.add_row("intervals left suspect", number(v["suspect_slots"]))
    for rule, slots in sorted(v["rules"].items(), key=lambda kv: (-kv[1], kv[0])):
        outcome.add_row(f"  flagged: {rule}", number(slots))
    console.print(outcome)


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


def _points_of(store: Store, point: str) -> list[int]:
    """The metering point ``point`` names: its id, or its EAN (empty when unknown)."""
    if point.isdigit() and store.get_metering_point(int(point)) is not None:
        return [int(point)]
    return [p.id for p in store.points_page(ean=point, limit=1)]


@export_app.command("espi")
def export_espi(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="Green Button XML file to write.")],
    all_points: Annotated[bool, typer.Option("--all", help="Every metering point of the store.")] = False,
    point: Annotated[
        str | None, typer.Option("--metering-point", help="One metering point: its id or its EAN.")
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="First local day (YYYY-MM-DD); default: 1 year before --to.")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="Last local day, inclusive; default: the newest day with data.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Export interval data as a Green Button (NAESB ESPI) Atom feed: UsagePoint, LocalTimeParameters,
    MeterReading, ReadingType, IntervalBlock and UsageSummary per metering point and medium."""
    from meterhub.mdm.espi import iter_points_from_store, newest_day, write_feed

    if all_points == (point is not None):
        raise typer.BadParameter("give either --all or --metering-point ID")
    day_from, day_to = _date(date_from, "--from"), _date(date_to, "--to")
    if day_from and day_to and day_to < day_from:
        raise typer.BadParameter("--to is before --from")
    if not out.parent.is_dir():
        raise typer.BadParameter(f"no such folder for --out: {out.parent}")
    store = open_store(ctx, as_json=as_json)
    try:
        if point is not None:
            ids = _points_of(store, point)
            if not ids:
                fail(f"unknown metering point {point}", as_json=as_json)
        else:
            ids = [p.id for p in store.list_metering_points()]
        day_to = day_to or newest_day(store, ids)
        if day_to is None:
            fail(
                "no interval data for " + (f"metering point {point}" if point else "any metering point"),
                as_json=as_json,
            )
        day_from = day_from or day_to - timedelta(days=364)
        if day_to < day_from:
            raise typer.BadParameter(f"--from {day_from} is after the newest day with data ({day_to})")
        written: list[int] = []

        def counted() -> Iterator[UsagePointData]:
            for up in iter_points_from_store(store, ids, day_from, day_to):
                written.append(up.point_id)
                status.update(f"writing {out}: metering point {len(set(written))} of {len(ids)}")
                yield up

        with err_console.status(f"reading {len(ids)} metering point(s), {day_from} … {day_to}") as status:
            n = write_feed(counted(), out, now=datetime.now(UTC))
        usage_points = len(written)
    finally:
        store.close()
    figures = {
        "ok": True, "out": str(out), "usage_points": usage_points, "readings": n,
        "from": day_from.isoformat(), "to": day_to.isoformat(),
    }  # fmt: skip
    if as_json:
        print(json.dumps(figures))
    else:
        console.print(f"wrote {n} interval readings of {usage_points} usage point(s), {day_from} … {day_to}, to {out}")
