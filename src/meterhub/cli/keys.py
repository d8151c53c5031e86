"""``meterhub keys``: the meter keys of the deployment's key file (``--key-file``, ``$MH_KEY_FILE``, default
``DATA_DIR/meter-keys.json``; format in docs/operator-guide.md) — check the file, show one meter's keys.

The keys are secrets: ``keys show`` prints them for a field engineer's own tool (a warning on stderr says
so); ``meterhub read --serial SERIAL`` needs none of this, it takes the keys from the file itself.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from meterhub.cli.common import console, err_console, fail, key_provider, settings, store_if_any

app = typer.Typer(help="Meter keys in the key file: check it, show a meter's keys.", no_args_is_help=True)
_LISTED = 10


@app.command("show")
def show(
    ctx: typer.Context,
    serial: Annotated[str, typer.Argument(help="The meter's serial.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the keys as JSON.")] = False,
) -> None:
    """Print a meter's keys from the key file (secrets: never paste them into a ticket, a chat or a log)."""
    from meterhub.hes.keyfile import FIELDS, MissingMeterKeys

    provider = key_provider(ctx, as_json=as_json)
    try:
        keys = provider.meter_keys(serial)
    except MissingMeterKeys as exc:
        fail(exc.detail, as_json=as_json)
    err_console.print(
        f"[yellow]warning:[/yellow] the secret keys of meter {serial} follow — keep them out of tickets, chats and "
        f"logs ('meterhub read --serial {serial}' needs none of this)",
        highlight=False,
    )
    hexes = keys.as_hex()
    if as_json:
        print(json.dumps({"ok": True, "serial": serial, "suite": 0, "keys": hexes}))
        return
    table = Table(title=f"keys of meter {serial} (suite 0)")
    table.add_column("key")
    table.add_column("value (hex)")
    for name, value in hexes.items():
        table.add_row(f"{FIELDS[name][0]} ({name})", value)
    console.print(table)


@app.command("check")
def check(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False
) -> None:
    """Check the key file (permissions, every key's length) and, when there is a store, which of its meters
    have no keys in it (exit 1 if any)."""
    from meterhub.hes.keyfile import FIELDS

    provider = key_provider(ctx, as_json=as_json)
    path = settings(ctx).key_file_path()
    optional = {name: 0 for name, (_, required) in FIELDS.items() if not required}
    for serial in provider.serials():
        for name in optional:
            optional[name] += name in provider.meter_keys(serial).as_hex()
    store = store_if_any(ctx)
    missing: list[str] | None = None
    if store is not None:
        try:
            missing = provider.missing(m.serial for m in store.list_meters(medium="electricity"))
        finally:
            store.close()
    if as_json:
        print(json.dumps({"ok": not missing, "key_file": str(path), "meters": len(provider), "with": optional,
                          "store_meters_without_keys": missing}))  # fmt: skip
    else:
        extra = ", ".join(f"{n} with {FIELDS[name][0]}" for name, n in optional.items() if n)
        detail = f" ({extra})" if extra else ""
        console.print(f"key file {path}: {len(provider)} meters, every key 16 octets{detail}")
        if missing:
            shown = ", ".join(missing[:_LISTED]) + (" …" if len(missing) > _LISTED else "")
            err_console.print(f"[red]error:[/red] {len(missing)} meter(s) of the store have no keys: {shown}")
        elif missing is not None:
            console.print("every electricity meter of the store has its keys in the file")
    if missing:
        raise typer.Exit(1)
