"""``meterhub read`` (a field engineer's ad-hoc read of one meter) and ``meterhub hes run`` (the scheduled
reads of the store's meters), both with the meters' keys from the deployment's key file.

``read`` takes the keys from ``--ek``/``--ak`` when given, else from the key file by the meter's serial
(``--serial``, or the meter the store has at ``--host``/``--port``/``--wport``); with ``--serial`` the address
comes from the store when it is not given. A missing or malformed key is a one-line error saying which key
and what is expected; a read the meter refuses exits with 2 ("read failed …").
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from meterhub.cli.common import console, err_console, fail, hex_key, key_provider, open_store, settings, store_if_any

if TYPE_CHECKING:
    from meterhub.dlms.security import CipherKeys

hes_app = typer.Typer(help="The head-end: scheduled reads of the store's meters.", no_args_is_help=True)
DEFAULT_HOST, DEFAULT_PORT, DEFAULT_WPORT = "127.0.0.1", 4059, 1
_LISTED = 5


def _option_keys(ek: str, ak: str) -> CipherKeys | None:
    """The keys given as options (both or neither), checked; None when neither is given."""
    from meterhub.dlms.security import CipherKeys

    if not ek and not ak:
        return None
    if not ek or not ak:
        given, other = ("--ek", "--ak") if ek else ("--ak", "--ek")
        raise typer.BadParameter(
            f"{given} needs {other} too: give both keys, or neither and --serial to take them from the key file",
            param_hint=other,
        )
    return CipherKeys(hex_key(ek, "--ek", "the encryption key"), hex_key(ak, "--ak", "the authentication key"))


def _meter_at(
    ctx: typer.Context, serial: str, address: tuple[str | None, int | None, int | None], *, need_serial: bool
) -> tuple[str, tuple[str, int, int]]:
    """The meter to read: the store completes the address of ``serial`` (what is not given) or, when the
    serial is needed for its keys, says which meter is at the address; defaults where the store cannot."""
    host, port, wport = address
    if (serial and None in address) or (need_serial and not serial):
        store = store_if_any(ctx)
        if store is not None:
            try:
                if serial:
                    meter = store.meter_by_serial(serial)
                    if meter is not None and meter.host and meter.port:
                        host, port, wport = host or meter.host, port or meter.port, wport or meter.wport
                else:
                    at = (host or DEFAULT_HOST, port or DEFAULT_PORT, wport or DEFAULT_WPORT)
                    found = [
                        m.serial for m in store.list_meters(medium="electricity") if (m.host, m.port, m.wport) == at
                    ]
                    serial = found[0] if len(found) == 1 else ""
            finally:
                store.close()
    return serial, (host or DEFAULT_HOST, port or DEFAULT_PORT, wport or DEFAULT_WPORT)


def read(
    ctx: typer.Context,
    obis: Annotated[list[str], typer.Argument(help="Objects: OBIS (1.0.1.8.0.255 or 1-0:1.8.0) or CLASS/OBIS/ATTR.")],
    serial: Annotated[
        str, typer.Option(help="Meter serial: its keys from the key file, its address from the store if not given.")
    ] = "",
    host: Annotated[
        str | None, typer.Option(help=f"Meter or concentrator address (default: the store's, else {DEFAULT_HOST}).")
    ] = None,
    port: Annotated[int | None, typer.Option(help=f"TCP port (default: the store's, else {DEFAULT_PORT}).")] = None,
    wport: Annotated[
        int | None,
        typer.Option(help="Server wPort: 1 direct, the node's behind a concentrator (default: the store's, else 1)."),
    ] = None,
    ek: Annotated[
        str, typer.Option(help="Encryption key GUEK, 32 hex digits (default: the key file's).", envvar="MH_READ_EK")
    ] = "",
    ak: Annotated[
        str, typer.Option(help="Authentication key AK, 32 hex digits (default: the key file's).", envvar="MH_READ_AK")
    ] = "",
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each answer.")] = 10.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Ad-hoc read of a meter over DLMS (management client, HLS-GMAC); keys from the key file by serial."""
    import asyncio

    from meterhub.hes.adhoc import ObjectRef, read_objects
    from meterhub.hes.keyfile import MissingMeterKeys
    from meterhub.hes.session import HesError

    try:
        objects = [ObjectRef.parse(text) for text in obis]
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="OBIS") from None
    keys = _option_keys(ek, ak)
    serial, (host, port, wport) = _meter_at(ctx, serial, (host, port, wport), need_serial=keys is None)
    if keys is None:
        if not serial:
            raise typer.BadParameter(
                f"no keys for the meter at {host}:{port} (wPort {wport}): give --serial SERIAL to take its keys "
                "from the key file, or --ek and --ak (32 hex digits each)",
                param_hint="--serial",
            )
        try:
            keys = key_provider(ctx, as_json=as_json).keys_for(serial)
        except MissingMeterKeys as exc:
            fail(f"{exc.detail} (give --ek and --ak, or --key-file)", as_json=as_json)
    try:
        results = asyncio.run(read_objects(host, port, keys, objects, wport, timeout))
    except HesError as exc:
        fail(f"read failed {serial or host}:{port}: {exc}", as_json=as_json, code=2)
    if as_json:
        print(json.dumps({str(obj.obis): text for obj, text in results}))
        return
    table = Table(title=f"meter {serial or host + ':' + str(port)}")
    table.add_column("OBIS")
    table.add_column("class", justify="right")
    table.add_column("value")
    for obj, text in results:
        table.add_row(str(obj.obis), str(obj.class_id), text)
    console.print(table)


@hes_app.command("run")
def hes_run(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="One pass (what is due now), then exit.")] = False,
    period: Annotated[float, typer.Option(help="Seconds between passes.")] = 900.0,
    lookback_days: Annotated[int, typer.Option(help="Days back the daily schedule fills gaps.")] = 7,
    vee: Annotated[bool, typer.Option("--vee/--no-vee", help="Validate and estimate each day read.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print each pass as JSON.")] = False,
) -> None:
    """Run the schedules (daily profile + events, hourly M-Bus, monthly billing, gap re-reads).

    Meters come from the store (--store, or the data dir's); their keys from the key file (--key-file,
    default DATA_DIR/meter-keys.json), looked at again when it changes.
    """
    import asyncio

    from meterhub.hes.headend import HeadEnd, load_targets
    from meterhub.hes.scheduler import Scheduler
    from meterhub.mdm.vee_service import VeeService

    store = open_store(ctx, as_json=as_json)
    keys = key_provider(ctx, as_json=as_json)
    missing = keys.missing(t.serial for t in load_targets(store))
    if missing:
        shown = ", ".join(missing[:_LISTED]) + (" …" if len(missing) > _LISTED else "")
        err_console.print(
            f"[yellow]warning:[/yellow] {len(missing)} meter(s) have no keys in {settings(ctx).key_file_path()} "
            f"and cannot be read: {shown}",
            highlight=False,
        )

    async def run() -> None:
        headend = HeadEnd(store, keys)
        scheduler = Scheduler(headend, lookback_days=lookback_days, vee=VeeService(store) if vee else None)
        try:
            while True:
                report = await scheduler.run_once()
                runs = {name: {"ok": r.ok, "failed": r.failed, "values": r.values} for name, r in report.runs.items()}
                if as_json:
                    print(json.dumps({"at": report.at.isoformat(), "runs": runs}), flush=True)
                else:
                    console.print(f"{report.at:%Y-%m-%d %H:%M:%S} UTC: {runs or 'nothing due'}")
                if once:
                    return
                await asyncio.sleep(period)
        finally:
            await headend.close()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        raise typer.Exit() from None
    finally:
        store.close()
