"""Sent commands run on a simulated meter over real DLMS/TCP (HLS-GMAC): the breaker opened and closed again, a
relay, the alarm register cleared, and the kinds not executed yet failing cleanly after their attempts — all
through the service, so every outcome is in the command's history."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from meterhub.cosem.classes import ControlState
from meterhub.dlms.security import CipherKeys
from meterhub.ops import guard as gd
from meterhub.ops.commands import Command
from meterhub.ops.execute import execute, run_once
from meterhub.ops.service import CommandService, Target
from meterhub.sim.meter import SimulatedMeter, derive_keys, system_title_of
from meterhub.sim.server import MeterEndpoint
from meterhub.store import Store

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
SECRET = bytes(range(32))
ALICE, BOB = gd.Actor("alice", "operator", 1), gd.Actor("bob", "operator", 1)


def scenario(tmp_path: Path, body: Callable[[CommandService, SimulatedMeter, Any], Any]) -> Any:
    store = Store.open(tmp_path / "store")
    store.add_party("operator", "OP", "Operator")
    dso = store.add_dso("CREOS", "Creos")
    point = store.add_metering_point("LU0000000001", dso)
    serial = "LU0012345678"
    meter = store.add_meter(serial, dso, model="sim", firmware="1", host="127.0.0.1")
    store.install(point, meter, T0 - dt.timedelta(days=1))
    ek, ak = derive_keys(SECRET, serial)
    keys = CipherKeys(ek, ak)
    sim = SimulatedMeter(serial, 7, keys, lambda: T0, system_title_of(serial))
    svc = CommandService(store)

    async def main() -> Any:
        endpoint = MeterEndpoint({1: sim})
        server = await endpoint.start("127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]

        async def run(cmd: Command) -> str:
            return await execute("127.0.0.1", port, keys, cmd, timeout=5.0)

        try:
            return await body(svc, sim, (run, Target(meter, point)))
        finally:
            server.close()
            await server.wait_closed()

    try:
        return asyncio.run(asyncio.wait_for(main(), 60))
    finally:
        store.close()


def order(svc: CommandService, kind: str, target: Target, params: str = "{}", **kw: Any) -> int:
    (cmd,) = svc.request(ALICE, kind, [target], T0, params=params, **kw)
    svc.approve(BOB, cmd.id, T0)
    return cmd.id


def test_breaker_relay_and_alarm_register_on_a_simulated_meter(tmp_path: Path) -> None:
    async def body(svc: CommandService, sim: SimulatedMeter, ctx: Any) -> None:
        run, target = ctx
        sim.alarm_register = 0b101
        off = order(svc, "breaker_disconnect", target)
        relay = order(svc, "relay_close", target, '{"relay": 2}')
        clear = order(svc, "alarm_clear", target)
        done = await run_once(svc, T0, run)
        assert {(c.id, c.state, c.result) for c in done} == {
            (off, "confirmed", "done"), (relay, "confirmed", "done"), (clear, "confirmed", "cleared"),
        }  # fmt: skip
        assert (sim.breaker, sim.relays, sim.alarm_register) == (ControlState.DISCONNECTED, [False, True], 0)
        on = order(svc, "breaker_reconnect", target)
        ((cmd_id, state),) = [(c.id, c.state) for c in await run_once(svc, T0 + dt.timedelta(minutes=1), run)]
        assert (cmd_id, state, sim.breaker) == (on, "confirmed", ControlState.CONNECTED)
        assert [e.to_state for e in svc.history(off)] == ["requested", "approved", "queued", "sent", "confirmed"]

    scenario(tmp_path, body)


def test_what_cannot_run_fails_after_its_attempts_with_the_reason(tmp_path: Path) -> None:
    async def body(svc: CommandService, sim: SimulatedMeter, ctx: Any) -> None:
        run, target = ctx
        sync = order(svc, "clock_sync", target, max_attempts=2)
        bad = order(svc, "relay_open", target, '{"relay": 7}', max_attempts=1)
        first = {c.id: c.state for c in await run_once(svc, T0, run)}
        assert first == {sync: "queued", bad: "failed"}  # the clock sync is retried once after the backoff
        second = {c.id: (c.state, c.result) for c in await run_once(svc, T0 + dt.timedelta(minutes=1), run)}
        assert second == {sync: ("failed", "Unsupported: clock_sync is not executed on meters yet")}
        assert "relay" in (svc.get(bad).result or "")
        assert sim.relays == [False, False]

    scenario(tmp_path, body)
