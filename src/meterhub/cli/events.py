"""``meterhub events``: the meters' stored events, newest first, each named from the national profile's
event-code catalogue (:mod:`meterhub.cosem.events`) as ``name (code)``, with its log and severity."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from meterhub.cli.common import console, local_text, meter_of, open_store

app = typer.Typer(help="Meter events (the meters' event logs and alarm pushes).", no_args_is_help=True)


@app.command("list")
def events_list(
    ctx: typer.Context,
    meter: Annotated[str | None, typer.Option("--meter", help="Only this meter serial.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="Events shown, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print the events as JSON lines.")] = False,
) -> None:
    """The newest events of one meter (or of every meter), named as 'Voltage sag L3 (78)'."""
    from meterhub.cosem.events import event_info, log_title

    store = open_store(ctx, as_json=as_json)
    try:
        if meter is not None:
            meters = {meter_of(store, meter, as_json=as_json).id: meter}
        else:
            meters = {m.id: m.serial for m in store.list_meters()}
        events = store.recent_events(list(meters), limit) if meters else []
    finally:
        store.close()
    if as_json:
        for e in events:
            info = event_info(e.log, e.code)
            record = {
                "meter": meters.get(e.meter_id, str(e.meter_id)),
                "occurred_at": e.occurred_at.isoformat(),
                "log": e.log,
                "code": e.code,
                "name": info.name,
                "severity": e.severity,
                "mbus_channel": e.channel,
                "acknowledged_by": e.acknowledged_by,
            }
            print(json.dumps(record, ensure_ascii=False))
        return
    table = Table(title=f"events of {meter}" if meter else "events", title_justify="left")
    table.add_column("occurred (local)", no_wrap=True)
    if meter is None:
        table.add_column("meter", no_wrap=True)
    table.add_column("event", min_width=18)
    for column in ("log", "severity", "M-Bus"):
        table.add_column(column)
    for e in events:
        where = [] if meter is not None else [meters.get(e.meter_id, str(e.meter_id))]
        table.add_row(
            local_text(e.occurred_at),
            *where,
            event_info(e.log, e.code).label,
            log_title(e.log),
            e.severity,
            str(e.channel or ""),
        )
    console.print(table if events else "no events stored")
