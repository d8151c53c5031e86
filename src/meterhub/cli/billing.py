"""``meterhub billing``: monthly billing runs and on-demand billing reads stored in versions, the stored
reads, the sent marker, and the gas conversion factors (see :mod:`meterhub.mdm.billing_reads`).

Exit codes: 0 done; 1 an input that names nothing known or a read that cannot be established exactly
(nothing stored); 2 a malformed option (typer); 3 a monthly run that stored what it could but could not
establish some reads (listed with the reason).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from meterhub.cli.common import (
    console,
    default_user,
    dso_of,
    fail,
    local_text,
    meter_of,
    number,
    open_store,
    parse_as_of,
    parse_bound,
    parse_month,
    parse_obis,
    period_text,
    progress_bar,
)
from meterhub.cli.tables import Column, Row, print_records

if TYPE_CHECKING:
    from meterhub.mdm.billing_reads import StoredBillingRead
    from meterhub.mdm.gas_factors import GasFactorEntry
    from meterhub.store.db import Store

app = typer.Typer(
    help="Billing reads: monthly runs, on-demand reads, stored versions, gas factors.", no_args_is_help=True
)
gas_app = typer.Typer(help="Gas conversion factors per grid area and month.", no_args_is_help=True)
app.add_typer(gas_app, name="gas-factors")

PARTIAL = 3
"""Exit code of a monthly run that could not establish every read."""
_SHOWN = 50


class Calendar(StrEnum):
    national = "national"
    simulator = "simulator"


def _read_json(stored: StoredBillingRead, serial: str, obis: str, status: str | None = None) -> dict[str, Any]:
    r = stored.read
    out: dict[str, Any] = {
        "id": stored.id,
        "meter": serial,
        "obis": obis,
        "kind": r.kind,
        "period_start": r.start.isoformat(),
        "period_end": r.end.isoformat(),
        "version": stored.version,
        "start_value": r.start_value,
        "start_source": r.start_source,
        "end_value": r.end_value,
        "end_source": r.end_source,
        "consumption": r.consumption,
        "unit": r.unit,
        "tou_calendar": r.tou_calendar,
        "tou": {
            x.rate: {"billed": x.billed, "intervals": x.intervals, "missing_slots": x.missing_slots} for x in r.rates
        } or None,
        "grid_area": r.grid_area,
        "gas_energy_wh": r.gas_energy_wh,
        "gas_months": [
            {"month": f"{m.year}-{m.month:02d}", "volume": m.volume, "calorific_kwh_per_m3": str(m.calorific),
             "correction": str(m.correction), "factors_area": m.factors_area, "energy_wh": m.energy_wh}
            for m in r.gas_months
        ] or None,
        "as_of": None if r.as_of is None else r.as_of.isoformat(),
        "computed_at": stored.computed_at.isoformat(),
        "computed_by": stored.computed_by,
        "sent_at": None if stored.sent_at is None else stored.sent_at.isoformat(),
        "sent_to": stored.sent_to,
    }  # fmt: skip
    if status is not None:
        out["status"] = status
    return out


def _tou_text(stored: StoredBillingRead) -> str:
    return "\n".join(f"{x.rate} {number(x.billed)}" for x in stored.read.rates)


def _gas_text(stored: StoredBillingRead) -> str:
    r = stored.read
    if r.gas_energy_wh is None:
        return ""
    factors = "\n".join(f"{m.year}-{m.month:02d}: {m.calorific} kWh/m³ × {m.correction}" for m in r.gas_months)
    return f"{number(r.gas_energy_wh)} Wh\n{factors}"


def _names(store: Store, channel_ids: list[int]) -> dict[int, tuple[str, str]]:
    """``{channel id: (meter serial, obis)}``."""
    channels = {c.id: c for c in store.list_channels()} if channel_ids else {}
    serials = {m.id: m.serial for m in store.list_meters()} if channel_ids else {}
    return {cid: (serials[channels[cid].meter_id], channels[cid].obis) for cid in channel_ids if cid in channels}


@app.command("run")
def run(
    ctx: typer.Context,
    month: Annotated[str, typer.Option("--month", help="The local calendar month to bill, YYYY-MM.")],
    meter: Annotated[list[str] | None, typer.Option("--meter", help="Only these meter serials (repeatable).")] = None,
    dso: Annotated[str | None, typer.Option("--dso", help="Only the meters of this DSO code.")] = None,
    tou: Annotated[bool, typer.Option("--tou/--no-tou", help="TOU determinants for A+ and A− channels.")] = True,
    calendar: Annotated[Calendar, typer.Option(help="Tariff calendar of the TOU determinants.")] = Calendar.national,
    user: Annotated[str, typer.Option("--user", help="Who runs the billing (stored with each read).")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Establish and store the monthly billing read of every billable channel (or the selected meters')."""
    from meterhub.mdm.billing import month_bounds
    from meterhub.mdm.billing_reads import billable_channels, run_monthly

    year, mon = parse_month(month)
    start, end = month_bounds(year, mon)
    if end > datetime.now(UTC):
        raise typer.BadParameter(f"{month} is not over yet: it ends {local_text(end)} local time", param_hint="--month")
    store = open_store(ctx, as_json=as_json)
    try:
        meter_ids = None
        if meter:
            unknown = [s for s in meter if store.meter_by_serial(s) is None]
            if unknown:
                fail(f"unknown meter(s): {', '.join(unknown)}", as_json=as_json)
            meter_ids = [meter_of(store, s).id for s in meter]
        dso_id = None
        if dso is not None:
            dso_id = dso_of(store, dso, as_json=as_json).id
        channels = billable_channels(store, meter_ids=meter_ids, dso_id=dso_id, before=end)
        if not channels:
            fail(f"no billable channels for {month} in the selection", as_json=as_json)
        with progress_bar(len(channels), f"billing {month}", enabled=not as_json) as advance:
            outcome = run_monthly(
                store, channels, year, mon, computed_by=user or default_user(),
                tou=calendar.value if tou else None, progress=advance,
            )  # fmt: skip
        names = _names(store, [c.id for c in channels])
    finally:
        store.close()
    resend = [s for s in outcome.saved if s.supersedes_sent]
    if as_json:
        print(
            json.dumps(
                {
                    "ok": not outcome.refused,
                    "month": month,
                    "period_start": start.isoformat(),
                    "period_end": end.isoformat(),
                    "channels": len(channels),
                    "stored": outcome.count("stored"),
                    "corrected": outcome.count("corrected"),
                    "unchanged": outcome.count("unchanged"),
                    "refused": [
                        {"meter": names[cid][0], "obis": names[cid][1], "reason": why} for cid, why in outcome.refused
                    ],
                    "resend": [_read_json(s.stored, *names[s.stored.read.channel_id]) for s in resend],
                    "reads": [
                        _read_json(s.stored, *names[s.stored.read.channel_id], status=s.status) for s in outcome.saved
                    ],
                }
            )
        )
    else:
        summary = Table(title=f"billing {month} ({period_text(start, end)})")
        summary.add_column("billing reads")
        summary.add_column("count", justify="right")
        for label, value in (
            ("channels", len(channels)),
            ("stored (first version)", outcome.count("stored")),
            ("corrected (new version)", outcome.count("corrected")),
            ("unchanged (already stored)", outcome.count("unchanged")),
            ("corrections of reads already sent", len(resend)),
            ("not established", len(outcome.refused)),
        ):
            summary.add_row(label, str(value))
        console.print(summary)
        if resend:
            table = Table(title="corrected after sending: send again")
            for col in ("id", "meter", "obis", "version", "consumption", "unit"):
                table.add_column(col)
            for s in resend:
                serial, obis = names[s.stored.read.channel_id]
                table.add_row(str(s.stored.id), serial, obis, str(s.stored.version),
                              number(s.stored.read.consumption), s.stored.read.unit)  # fmt: skip
            console.print(table)
        if outcome.refused:
            table = Table(title="not established (nothing stored)")
            for col in ("meter", "obis", "reason"):
                table.add_column(col)
            for cid, why in outcome.refused[:_SHOWN]:
                table.add_row(*names[cid], why)
            console.print(table)
            if len(outcome.refused) > _SHOWN:
                console.print(f"… and {len(outcome.refused) - _SHOWN} more (--json lists them all)")
    if outcome.refused:
        raise typer.Exit(PARTIAL)


@app.command("read")
def read(
    ctx: typer.Context,
    meter: Annotated[str, typer.Option("--meter", help="Meter serial.")],
    date_from: Annotated[str, typer.Option("--from", help="Start: local day YYYY-MM-DD (its midnight) or ISO time.")],
    date_to: Annotated[str, typer.Option("--to", help="End: last local day, included, or ISO time (exclusive).")],
    obis: Annotated[list[str] | None, typer.Option("--obis", help="Only these channels (repeatable).")] = None,
    tou: Annotated[bool, typer.Option("--tou", help="TOU determinants (A+ and A− channels).")] = False,
    calendar: Annotated[Calendar, typer.Option(help="Tariff calendar of the TOU determinants.")] = Calendar.national,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Use the data as it was at this ISO time.")] = None,
    user: Annotated[str, typer.Option("--user", help="Who asks (stored with each read).")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the reads as JSON.")] = False,
) -> None:
    """On-demand billing read of one meter over any period on its slot grid, stored (source on-demand).
    All or nothing: if any channel's read cannot be established exactly, nothing is stored."""
    from meterhub.mdm.billing import BillingError
    from meterhub.mdm.billing_reads import Established, establish, save, tou_capable

    start, end = parse_bound(date_from, "--from", end=False), parse_bound(date_to, "--to", end=True)
    if end <= start:
        raise typer.BadParameter("the period must end after it starts (--to before --from)")
    if end > datetime.now(UTC):
        raise typer.BadParameter(f"the period ends in the future ({local_text(end)} local time)", param_hint="--to")
    at = parse_as_of(as_of)
    wanted = [parse_obis(o) for o in obis] if obis else None
    store = open_store(ctx, as_json=as_json)
    try:
        m = meter_of(store, meter, as_json=as_json)
        channels = store.list_channels([m.id])
        if wanted is not None:
            missing = [o for o in wanted if o not in {c.obis for c in channels}]
            if missing:
                have = ", ".join(c.obis for c in channels) or "none"
                fail(f"meter {meter} has no channel {', '.join(missing)} (its channels: {have})", as_json=as_json)
            channels = [c for c in channels if c.obis in wanted]
        if tou and not any(tou_capable(c) for c in channels):
            raise typer.BadParameter(
                f"TOU determinants are made for A+ (1.0.1.8.0.255) and A− (1.0.2.8.0.255): {meter} has none selected"
            )
        if not channels:
            fail(f"meter {meter} has no channels", as_json=as_json)
        reads: list[Established] = []
        problems: list[str] = []
        for c in channels:
            try:
                reads.append(establish(
                    store, c.id, start, end, kind="on_demand",
                    tou=calendar.value if tou and tou_capable(c) else None, as_of=at,
                ))  # fmt: skip
            except BillingError as exc:
                problems.append(f"{c.obis}: {exc}")
        if problems:
            fail(
                f"cannot establish the billing read of {meter} for {period_text(start, end)} exactly, nothing stored: "
                + "; ".join(problems),
                as_json=as_json,
            )
        saved = save(store, reads, computed_by=user or default_user())
        obis_of = {c.id: c.obis for c in channels}
    finally:
        store.close()
    if as_json:
        print(
            json.dumps(
                {
                    "ok": True,
                    "reads": [
                        _read_json(s.stored, meter, obis_of[s.stored.read.channel_id], status=s.status) for s in saved
                    ],
                }
            )
        )
        return
    columns = [Column("id", "right", heading=True), Column("obis", heading=True), Column("start"), Column("end"),
               Column("consumption", "right"), Column("unit"), Column("TOU"), Column("gas energy"),
               Column("version", "right"), Column("stored")]  # fmt: skip
    rows = []
    for s in saved:
        r = s.stored.read
        rows.append(Row([
            str(s.stored.id), obis_of[r.channel_id], f"{number(r.start_value)} ({r.start_source})",
            f"{number(r.end_value)} ({r.end_source})", number(r.consumption), r.unit, _tou_text(s.stored),
            _gas_text(s.stored), str(s.stored.version), s.status,
        ]))  # fmt: skip
    print_records(console, f"billing read {meter}, {period_text(start, end)}", columns, rows)


@app.command("list")
def list_(
    ctx: typer.Context,
    meter: Annotated[str, typer.Option("--meter", help="Meter serial.")],
    obis: Annotated[str | None, typer.Option("--obis", help="Only this channel.")] = None,
    current: Annotated[bool, typer.Option("--current", help="Only the current version of each read.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the reads as JSON.")] = False,
) -> None:
    """The stored billing reads of a meter, every version (who computed it, when, whether it was sent)."""
    from meterhub.mdm.billing_reads import list_reads

    wanted = parse_obis(obis) if obis is not None else None
    store = open_store(ctx, as_json=as_json)
    try:
        m = meter_of(store, meter, as_json=as_json)
        channels = [c for c in store.list_channels([m.id]) if wanted is None or c.obis == wanted]
        if wanted is not None and not channels:
            fail(f"meter {meter} has no channel {wanted}", as_json=as_json)
        reads = list_reads(store, [c.id for c in channels], current_only=current)
    finally:
        store.close()
    obis_of = {c.id: c.obis for c in channels}
    latest = {s.read.key: s.version for s in reads}
    if as_json:
        print(
            json.dumps(
                {
                    "ok": True,
                    "reads": [
                        {**_read_json(s, meter, obis_of[s.read.channel_id]), "current": latest[s.read.key] == s.version}
                        for s in reads
                    ],
                }
            )
        )
        return
    if not reads:
        console.print(f"no stored billing reads for {meter}")
        return
    columns = [Column("id", "right", heading=True), Column("obis", heading=True), Column("kind"), Column("period"),
               Column("ver", "right"), Column("consumption", "right"), Column("unit"), Column("TOU"),
               Column("gas energy"), Column("computed"), Column("sent")]  # fmt: skip
    rows = []
    for s in reads:
        r = s.read
        superseded = latest[r.key] != s.version
        sent = "" if s.sent_at is None else f"{s.sent_to} {local_text(s.sent_at)}"
        rows.append(Row([
            str(s.id), obis_of[r.channel_id], r.kind.replace("_", "-"), period_text(r.start, r.end),
            f"{s.version}{' (old)' if superseded else ''}", number(r.consumption), r.unit, _tou_text(s), _gas_text(s),
            f"{local_text(s.computed_at)} {s.computed_by}", sent,
        ], style="dim" if superseded else None))  # fmt: skip
    print_records(console, f"billing reads of {meter}", columns, rows)


@app.command("mark-sent")
def mark_sent(
    ctx: typer.Context,
    read_id: Annotated[int, typer.Argument(help="The id of the stored billing read version (billing list).")],
    to: Annotated[str, typer.Option("--to", help="The supplier it was sent to.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the read as JSON.")] = False,
) -> None:
    """Record that a billing read version was sent to a supplier (once; only the current version)."""
    from meterhub.mdm.billing import BillingError
    from meterhub.mdm.billing_reads import mark_sent as run_mark

    store = open_store(ctx, as_json=as_json)
    try:
        try:
            stored = run_mark(store, read_id, to)
        except BillingError as exc:
            fail(str(exc), as_json=as_json)
        names = _names(store, [stored.read.channel_id])
    finally:
        store.close()
    if as_json:
        print(json.dumps({"ok": True, "read": _read_json(stored, *names[stored.read.channel_id])}))
    else:
        serial, obis = names[stored.read.channel_id]
        console.print(f"billing read {read_id} ({serial} {obis}, version {stored.version}) marked sent to {to}")


@gas_app.command("set")
def gas_set(
    ctx: typer.Context,
    month: Annotated[str, typer.Option("--month", help="Local month, YYYY-MM.")],
    calorific: Annotated[str, typer.Option("--calorific", help="Gross calorific value in kWh/m³ (e.g. 11.2).")],
    correction: Annotated[str, typer.Option("--correction", help="Volume-correction factor (e.g. 0.9764).")],
    grid_area: Annotated[
        str | None, typer.Option("--grid-area", help="Grid area; leave out for the national value of the month.")
    ] = None,
    user: Annotated[str, typer.Option("--user", help="Who sets them.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the entry as JSON.")] = False,
) -> None:
    """Set the gas conversion factors of a grid area (or the national ones) for one month."""
    from meterhub.mdm.billing import GasFactors
    from meterhub.mdm.gas_factors import GasFactorError, check_factors, parse_decimal, set_gas_factors

    year, mon = parse_month(month)
    try:
        factors = GasFactors(parse_decimal(calorific, "--calorific"), parse_decimal(correction, "--correction"))
        check_factors(factors)
    except GasFactorError as exc:
        raise typer.BadParameter(str(exc)) from None
    store = open_store(ctx, as_json=as_json)
    try:
        try:
            entry = set_gas_factors(store, grid_area, year, mon, factors, by=user or default_user())
        except GasFactorError as exc:
            fail(str(exc), as_json=as_json)
    finally:
        store.close()
    area = entry.grid_area or "national"
    if as_json:
        print(json.dumps({"ok": True, **_gas_json(entry)}))
    else:
        console.print(
            f"gas factors {area} {month}: {entry.factors.calorific_kwh_per_m3} kWh/m³ × {entry.factors.correction}"
        )


def _gas_json(entry: GasFactorEntry) -> dict[str, Any]:
    return {
        "grid_area": entry.grid_area,
        "month": f"{entry.year}-{entry.month:02d}",
        "calorific_kwh_per_m3": str(entry.factors.calorific_kwh_per_m3),
        "correction": str(entry.factors.correction),
        "set_at": entry.set_at.isoformat(),
        "set_by": entry.set_by,
    }


@gas_app.command("list")
def gas_list(
    ctx: typer.Context,
    grid_area: Annotated[str | None, typer.Option("--grid-area", help="Only this grid area.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the entries as JSON.")] = False,
) -> None:
    """The stored gas conversion factors (national entries apply to areas without their own)."""
    from meterhub.mdm.gas_factors import GasFactorError, list_gas_factors

    store = open_store(ctx, as_json=as_json)
    try:
        try:
            entries = list_gas_factors(store, grid_area=grid_area)
        except GasFactorError as exc:
            fail(str(exc), as_json=as_json)
    finally:
        store.close()
    if as_json:
        print(json.dumps({"ok": True, "factors": [_gas_json(e) for e in entries]}))
        return
    if not entries:
        console.print("no gas conversion factors stored")
        return
    table = Table(title="gas conversion factors")
    for col in ("grid area", "month", "kWh/m³", "correction", "set"):
        table.add_column(col)
    for e in entries:
        table.add_row(e.grid_area or "national", f"{e.year}-{e.month:02d}", str(e.factors.calorific_kwh_per_m3),
                      str(e.factors.correction), f"{local_text(e.set_at)} {e.set_by}")  # fmt: skip
    console.print(table)
