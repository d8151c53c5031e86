"""``meterhub mdm peers``: the comparison's peer statistics — per medium, whole month and season, the groups of
similar homes (at least 20) with their count, mean, best-20 % mean and percentiles (see :mod:`meterhub.mdm
.peers`). A platform job over every home: the statistics are stored, never a list of homes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer

from meterhub.cli.common import console, open_store

app = typer.Typer(help="Meter data management jobs.", no_args_is_help=True)


@app.command("peers")
def peers(
    ctx: typer.Context,
    months: Annotated[int, typer.Option(min=1, max=120, help="Whole months before this one to compute.")] = 13,
    before: Annotated[
        str | None, typer.Option("--before", help="The months before this one, YYYY-MM (default: this month).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Compute and store the peer statistics of the last whole months and their seasons."""
    from meterhub.country import LOCAL_TZ
    from meterhub.mdm.peers import run_peers

    now = datetime.now(UTC)
    if before is not None:
        try:
            year, month = (int(x) for x in before.split("-"))
            now = datetime(year, month, 1, 12, tzinfo=LOCAL_TZ)
        except ValueError:
            raise typer.BadParameter(f"--before must be a month YYYY-MM, got {before!r}") from None
    store = open_store(ctx)
    try:
        report = run_peers(store, now, months)
    finally:
        store.close()
    figures = {"months": report.months, "seasons": report.seasons, "groups_stored": report.stored,
               "homes_last_month": report.homes}  # fmt: skip
    if as_json:
        print(json.dumps(figures))
        return
    homes = ", ".join(f"{n} {m}" for m, n in report.homes.items()) or "none"
    console.print(
        f"peer statistics: {report.stored} groups of ≥ 20 homes stored over {report.months} months and "
        f"{report.seasons} seasons (homes with a whole last month: {homes})"
    )
