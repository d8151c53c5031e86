"""``meterhub store``: the deployment's store — create its schema, migrate it, say where it is and at which
schema revision.

The store is ``--store URL`` (``sqlite:///FILE``, ``postgresql://USER@HOST/DB``; or ``$MH_STORE_URL``), else the
data dir's ``meterhub.sqlite``. Commands that read data refuse a store that is not there; ``store init``
creates one (on PostgreSQL the database must exist: ``createdb``; init creates the tables in it), and is safe
to run again.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from meterhub.cli.common import CREATE_HINT, console, fail, open_store, store_location

app = typer.Typer(help="The store: create its schema, migrate it, show where it is.", no_args_is_help=True)


def _print(figures: dict[str, object], as_json: bool, text: str) -> None:
    if as_json:
        print(json.dumps({"ok": True, **figures}))
    else:
        console.print(text, highlight=False)


def _migrate(ctx: typer.Context, as_json: bool, *, create: bool) -> None:
    from meterhub.store.locate import probe

    location = store_location(ctx, as_json=as_json)
    before = probe(location).revision
    open_store(ctx, as_json=as_json, create=create).close()  # migrates; without create, refuses a missing store
    after = probe(location).revision
    state = "created" if before is None else ("up to date" if before == after else f"migrated from {before}")
    _print(
        {"store": location.display(), "backend": location.backend, "revision": after, "previous": before,
         "created": before is None},
        as_json,
        f"store {location.display()} ({location.backend}): {state}, schema revision {after}",
    )  # fmt: skip


@app.command("init")
def init(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False
) -> None:
    """Create the store (the SQLite file, or the schema in a PostgreSQL database) and migrate it to the newest
    schema; a store already there is only migrated."""
    _migrate(ctx, as_json, create=True)


@app.command("upgrade")
def upgrade(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False
) -> None:
    """Migrate an existing store to the newest schema (refuses a store that is not there: see store init)."""
    _migrate(ctx, as_json, create=False)


@app.command("status")
def status(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False
) -> None:
    """Where the store is, whether it is there and its schema revision (exit 1 when there is none)."""
    from meterhub.store.locate import head_revision, probe

    location = store_location(ctx, as_json=as_json)
    found = probe(location)
    if found.problem is not None:
        fail(found.problem + (f": {CREATE_HINT}" if found.reachable else ""), as_json=as_json)
    head = head_revision()
    state = "up to date" if found.revision == head else f"behind (newest {head}: run 'meterhub store upgrade')"
    _print(
        {"store": location.display(), "backend": location.backend, "revision": found.revision, "head": head},
        as_json,
        f"store {location.display()} ({location.backend}): schema revision {found.revision}, {state}",
    )
