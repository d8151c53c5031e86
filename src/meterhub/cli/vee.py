"""``meterhub vee run``: validate and estimate stored interval data again over the last days (the multi-day
rules, late reads) — new block versions, measured values never changed (see :mod:`meterhub.mdm.vee_service`)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from meterhub.cli.common import console, open_store, progress_bar

app = typer.Typer(help="Validation and estimation (VEE) of stored interval data.", no_args_is_help=True)


@app.command("run")
def vee_run(
    ctx: typer.Context,
    days: Annotated[int, typer.Option(help="Local days back from yesterday to validate.")] = 1,
    chunk: Annotated[int, typer.Option(help="Channels per write transaction.")] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Validate and estimate the last DAYS local days of every channel (new block versions; measured values
    are never changed); a progress bar on stderr while it runs (not with --json)."""
    import datetime as dt

    from meterhub.mdm.vee_service import VeeService
    from meterhub.store.intervals import LOCAL_TZ

    store = open_store(ctx, as_json=as_json)
    try:
        service = VeeService(store)
        now = dt.datetime.now(dt.UTC)
        yesterday = now.astimezone(LOCAL_TZ).date() - dt.timedelta(days=1)
        channels = [c.id for c in store.list_channels()]
        totals: dict[str, int] = {}
        with progress_bar(len(channels), "VEE (channels)", enabled=not as_json) as advance:
            for i in range(0, len(channels), chunk):
                report = service.run(
                    channels[i : i + chunk], yesterday - dt.timedelta(days=days - 1), yesterday, until=now
                )
                for key in ("channels", "days", "validated", "estimated", "suspect", "missing", "versions_written"):
                    totals[key] = totals.get(key, 0) + int(getattr(report, key))
                advance(len(channels[i : i + chunk]))
    finally:
        store.close()
    if as_json:
        print(json.dumps(totals))
    else:
        table = Table(title="VEE")
        table.add_column("figure")
        table.add_column("value", justify="right")
        for key, value in totals.items():
            table.add_row(key, str(value))
        console.print(table)
