"""``meterhub sim …``: run simulated meters — one meter on a port, or a whole fleet behind concentrators."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from meterhub.cli.common import hex_key

if TYPE_CHECKING:
    from meterhub.sim.consumption import FaultScenario

app = typer.Typer(help="Simulated meters served over real DLMS/TCP.", no_args_is_help=True)
console = Console(stderr=True)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _scenario(path: Path | None) -> FaultScenario | None:
    from meterhub.sim.consumption import FaultScenario

    if path is None:
        return None
    try:
        return FaultScenario.from_file(path)
    except (OSError, ValueError) as exc:
        raise typer.BadParameter(f"scenario {path}: {exc}") from exc


@app.command("meter")
def meter(
    port: Annotated[int, typer.Option(help="TCP port on 127.0.0.1.")],
    serial: Annotated[str, typer.Option(help="Meter serial number.")],
    ek: Annotated[str, typer.Option(help="Global unicast encryption key (32 hex digits).")],
    ak: Annotated[str, typer.Option(help="Authentication key (32 hex digits).")],
    seed: Annotated[int, typer.Option(help="Household seed (consumption is deterministic by seed).")] = 1,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    scenario: Annotated[Path | None, typer.Option(help="Fault scenario JSON file.")] = None,
) -> None:
    """Run one meter (wrapper, server logical device 1; clients: public SAP 16, management SAP 1)."""
    from meterhub.dlms.security import CipherKeys
    from meterhub.sim.meter import SimulatedMeter, system_title_of
    from meterhub.sim.server import MeterEndpoint

    keys = CipherKeys(hex_key(ek, "--ek", "the encryption key"), hex_key(ak, "--ak", "the authentication key"))
    sim = SimulatedMeter(serial, seed, keys, _now, system_title_of(serial), _scenario(scenario))

    async def run() -> None:
        endpoint = MeterEndpoint({1: sim})
        await endpoint.start(host, port)
        print(f"meter {serial} listening on {host}:{port} (system title {sim.system_title.hex().upper()})", flush=True)
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


@app.command("fleet")
def fleet(
    meters: Annotated[int, typer.Option(help="Number of electricity meters.")] = 1000,
    concentrators: Annotated[int, typer.Option(help="Number of data concentrators.")] = 10,
    seed: Annotated[int, typer.Option(help="Fleet seed.")] = 1,
    port_base: Annotated[
        int, typer.Option(help="First TCP port (concentrators, then direct meters); 0 = free ports chosen by the OS.")
    ] = 40000,
    direct_fraction: Annotated[float, typer.Option(help="Share of meters on direct TCP.")] = 0.05,
    plc: Annotated[str, typer.Option(help="PLC channel model: realistic, fast, off.")] = "realistic",
    manifest: Annotated[Path, typer.Option(help="Where to write the fleet manifest (JSON).")] = Path("fleet.json"),
    master_secret_file: Annotated[
        Path | None, typer.Option(help="File with the fleet key master secret (hex); created if missing.")
    ] = None,
    scenario: Annotated[Path | None, typer.Option(help="Fault scenario JSON file.")] = None,
    push: Annotated[
        str | None, typer.Option(help="HOST:PORT of the head-end's push listener: meters push their alarms there.")
    ] = None,
) -> None:
    """Run a whole fleet in one process and write its manifest; prints 'listening' when ready."""
    from meterhub.sim.consumption import model_truth
    from meterhub.sim.fleet import Fleet, plan_fleet, write_manifest
    from meterhub.sim.push import AlarmPusher

    secret_path = master_secret_file or manifest.with_suffix(".secret")
    if not secret_path.exists():
        secret_path.write_text(secrets.token_hex(32))
        secret_path.chmod(0o600)
    master = bytes.fromhex(secret_path.read_text().strip())
    plan = plan_fleet(meters, concentrators, seed, port_base=port_base or 1, direct_fraction=direct_fraction)
    ephemeral = port_base == 0
    sim_scenario = _scenario(scenario)
    sim = Fleet(plan, master, _now, plc, sim_scenario, ephemeral=ephemeral)

    push_to: tuple[str, int] | None = None
    if push:
        host, _, port_text = push.rpartition(":")
        if not host or not port_text.isdigit():
            raise typer.BadParameter("--push must be HOST:PORT")
        push_to = (host, int(port_text))

    scenario_model = sim_scenario
    if scenario_model is not None:
        truth_path = manifest.with_suffix(".truth.csv")
        records = scenario_model.write_ground_truth(
            truth_path, [m.serial for m in plan.meters], model_truth({m.serial: m.seed for m in plan.meters})
        )
        print(f"ground truth of the scenario: {records} records in {truth_path}", file=sys.stderr)

    async def run() -> None:
        await sim.start()
        write_manifest(plan, manifest)
        if push_to is not None:
            for meter in sim.meters.values():
                meter.push_destination = f"{push_to[0]}:{push_to[1]}"
            pusher = AlarmPusher(list(sim.meters.values()), push_to[0], push_to[1], _now)
            sim.background.append(asyncio.create_task(pusher.run()))
        print(
            json.dumps(
                {"listening": True, "meters": meters, "endpoints": len(sim.endpoints), "manifest": str(manifest)}
            ),
            flush=True,
        )
        while True:
            await asyncio.sleep(3600)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


@app.command("p1")
def p1(
    serial: Annotated[str, typer.Option(help="Meter serial number (its household model and system title).")],
    key: Annotated[str, typer.Option(help="The meter's P1 key (32 hex digits).", envvar="MH_P1_KEY")],
    seed: Annotated[int, typer.Option(help="Household seed (as for 'sim meter').")] = 1,
    count: Annotated[int | None, typer.Option(help="Frames to write or stream (default: forever when live).")] = None,
    out: Annotated[Path | None, typer.Option(help="Write COUNT consecutive frames to this file and exit.")] = None,
    start: Annotated[
        str | None, typer.Option(help="Simulated time of the first frame (ISO 8601, default now), on the 10-s grid.")
    ] = None,
    tcp_port: Annotated[
        int | None, typer.Option(help="Live: serve the frames to TCP clients on this port (0: any free port).")
    ] = None,
    host: Annotated[str, typer.Option(help="Live: address to listen on.")] = "127.0.0.1",
    pty: Annotated[bool, typer.Option("--pty", help="Live: stream the frames on a new pseudo-terminal.")] = False,
    interval: Annotated[float, typer.Option(help="Live: wall-clock seconds between frames (10 as the meter).")] = 10.0,
    message: Annotated[str, typer.Option(help="Text message 0-0:96.13.0 the meter shows.")] = "",
) -> None:
    """The meter's P1 customer port: COUNT frames into a file (--out), or live on TCP (--tcp-port) / a pty (--pty).

    One encrypted DSMR-5-style telegram per 10 s of simulated time, consistent with the household model of
    the same serial and seed as served over DLMS by 'sim meter' / 'sim fleet'.
    """
    from meterhub.sim.p1 import LiveP1, P1Simulator

    secret = hex_key(key, "--key", "the P1 key")
    if start is None:
        t0 = _now()
    else:
        try:
            t0 = dt.datetime.fromisoformat(start)
        except ValueError as exc:
            raise typer.BadParameter(f"--start: {exc}") from None
        if t0.tzinfo is None:
            raise typer.BadParameter("--start needs a timezone (e.g. 2026-11-24T10:00:00+01:00)")
    simulator = P1Simulator(serial, secret, seed=seed, text_message=message)
    if out is not None:
        if count is None:
            raise typer.BadParameter("--out needs --count")
        written = 0
        with out.open("wb") as f:
            for _, frame in simulator.frames(t0, count):
                f.write(frame)
                written += len(frame)
        print(json.dumps({"frames": count, "bytes": written, "out": str(out)}), flush=True)
        return
    if tcp_port is None and not pty:
        raise typer.BadParameter("choose --out FILE, or a live output: --tcp-port PORT and/or --pty")
    live = LiveP1(simulator, t0, interval=interval, count=count)

    async def run() -> None:
        info: dict[str, object] = {"live": True, "serial": serial}
        if tcp_port is not None:
            info["tcp"] = f"tcp://{host}:{await live.serve_tcp(host, tcp_port)}"
        if pty:
            info["pty"] = live.open_pty()
        print(json.dumps(info), flush=True)
        try:
            await live.run()
        finally:
            await live.close()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
