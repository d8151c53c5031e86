"""``meterhub import intervals``, ``meterhub export csv`` and ``meterhub export espi``: interval data from and to
other systems (the ESPI export is the Green Button Download My Data feed, :mod:`meterhub.mdm.espi`)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from meterhub.cli.common import fail, open_store

if TYPE_CHECKING:
    from collections.abc import Iterator

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
    """Export one row per interval of the current versions (consumption, quality, rule, method, version)."""
    from meterhub.mdm.csvio import export_csv as run_export

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
        n = run_export(store, out, meter_serial=meter, day_from=day_from, day_to=day_to, as_of=at)
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
