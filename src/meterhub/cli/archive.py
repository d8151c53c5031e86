"""``meterhub archive run``: retention — archive every month older than the window to Parquet, then remove it
from the store (see :mod:`meterhub.store.archive`)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from meterhub.cli.common import open_store, settings

app = typer.Typer(help="Retention: archive old months to Parquet.", no_args_is_help=True)
console = Console()


@app.command("run")
def run(
    ctx: typer.Context,
    keep_years: Annotated[int, typer.Option("--keep-years", help="Years of data kept in the store.")] = 3,
    out: Annotated[Path | None, typer.Option("--out", help="Archive directory (default: DATA_DIR/archive).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the archives written as JSON.")] = False,
) -> None:
    """Archive every month older than KEEP_YEARS years (local Europe/Luxembourg calendar) and drop it."""
    from meterhub.store.archive import apply_retention
    from meterhub.store.intervals import LOCAL_TZ

    if keep_years < 1:
        raise typer.BadParameter("--keep-years must be at least 1")
    out_dir = out if out is not None else settings(ctx).data_dir / "archive"
    store = open_store(ctx, as_json=as_json)
    try:
        paths = apply_retention(store, datetime.now(LOCAL_TZ).date(), keep_years, out_dir)
    finally:
        store.close()
    if as_json:
        print(json.dumps({"archived": [p.name for p in paths], "out": str(out_dir)}))
    elif paths:
        for p in paths:
            console.print(f"archived {p.name} → {p}")
    else:
        console.print(f"nothing older than {keep_years} year(s) to archive")
