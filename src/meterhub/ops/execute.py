"""Running sent commands on the meters over DLMS (a first part of issue 15 §5's execution).

:func:`perform` runs one command on an associated management session (HLS-GMAC, client SAP 1): the breaker, the
relays and the gas valves are actions of their disconnect control (class 70, method 1 ``remote_disconnect``,
method 2 ``remote_reconnect``; relays ``{"relay": 1|2}`` and valves ``{"channel": 1..4}`` in the command's
``params``), the alarm register is cleared by writing 0 to it. The other kinds (clock synchronisation, read on
demand, M-Bus couple and decouple, push setup) are not executed yet: :class:`Unsupported`. :func:`execute` opens
the session the way the ad-hoc read does (the public client reads the invocation counter first), and
:func:`run_once` is one turn of the queue: the service dispatches what is due and allowed by the guard, each is
performed, and the outcome is recorded — confirmed, or a failed attempt (retried with backoff while attempts
remain).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from meterhub.cosem import obis as o
from meterhub.dlms import apdu as A
from meterhub.dlms.acse import Mechanism
from meterhub.dlms.association import ClientAssociation, ClientSettings
from meterhub.dlms.axdr import DoubleLongUnsigned
from meterhub.dlms.security import CipherKeys
from meterhub.hes.adhoc import HES_SYSTEM_TITLE, read_counter
from meterhub.hes.session import HesError, MeterSession, WrapperConnection
from meterhub.ops.commands import Command
from meterhub.ops.service import CommandService

_CONTROL_METHOD = {
    "breaker_disconnect": 1, "breaker_reconnect": 2, "relay_open": 1, "relay_close": 2,
    "valve_close": 1, "valve_open": 2,
}  # fmt: skip


class Unsupported(ValueError):
    """A kind (or its parameters) this executor cannot run on a meter yet."""


class MeterRefused(RuntimeError):
    """The meter answered the operation with an error."""


def _params(cmd: Command) -> dict[str, Any]:
    value = json.loads(cmd.params or "{}")
    if not isinstance(value, dict):
        raise Unsupported(f"command {cmd.id}: params must be a JSON object")
    return value


def control_object(cmd: Command) -> o.Obis:
    """The disconnect control (class 70) a breaker, relay or valve command acts on."""
    if cmd.kind.startswith("breaker_"):
        return o.DISCONNECT_CONTROL
    params = _params(cmd)
    if cmd.kind.startswith("relay_"):
        relay = params.get("relay")
        if relay not in (1, 2):
            raise Unsupported(f'command {cmd.id}: a relay command needs params {{"relay": 1 or 2}}')
        return o.RELAY_1 if relay == 1 else o.RELAY_2
    channel = params.get("channel")
    if channel not in (1, 2, 3, 4):
        raise Unsupported(f'command {cmd.id}: a valve command needs params {{"channel": 1 to 4}}')
    return o.mbus_valve(int(channel))


async def perform(session: MeterSession, cmd: Command) -> str:
    """Run ``cmd`` on an associated management session; the result's text, or :class:`MeterRefused`."""
    if cmd.kind in _CONTROL_METHOD:
        method = A.MethodRef(70, control_object(cmd).to_bytes(), _CONTROL_METHOD[cmd.kind])
        result, _ = await session.action(method)
        if result != A.ActionResult.SUCCESS:
            raise MeterRefused(f"the meter answered {result.name}")
        return "done"
    if cmd.kind == "alarm_clear":
        answer = await session.set(A.AttributeRef(1, o.ALARM_REGISTER.to_bytes(), 2), DoubleLongUnsigned(0))
        if answer != A.DataAccessResult.SUCCESS:
            raise MeterRefused(f"the meter answered {answer.name}")
        return "cleared"
    raise Unsupported(f"{cmd.kind} is not executed on meters yet")


async def execute(host: str, port: int, keys: CipherKeys, cmd: Command, wport: int = 1, timeout: float = 10.0) -> str:
    """Open the management association to the meter at ``host:port`` (wPort ``wport``), :func:`perform` ``cmd``,
    release."""
    counter = await read_counter(host, port, wport, timeout) + 1
    connection = await WrapperConnection.open(host, port, timeout)
    try:
        settings = ClientSettings(
            authentication=Mechanism.HIGH_GMAC, keys=keys, system_title=HES_SYSTEM_TITLE, invocation_counter=counter
        )
        session = MeterSession(connection, ClientAssociation(settings), 1, wport, timeout)
        await session.associate()
        try:
            return await perform(session, cmd)
        finally:
            await session.release()
    finally:
        await connection.close()


async def run_once(
    service: CommandService, at: datetime, run: Callable[[Command], Awaitable[str]], limit: int = 100
) -> list[Command]:
    """Dispatch what is due at ``at``, run each with ``run`` (e.g. :func:`execute` on the meter's address), and
    record each outcome; the commands as they ended this turn."""
    out: list[Command] = []
    for cmd in service.dispatch(at, limit):
        try:
            result = await run(cmd)
        except (HesError, MeterRefused, Unsupported, OSError) as exc:
            out.append(service.fail(cmd.id, at, f"{type(exc).__name__}: {exc}"))
        else:
            out.append(service.confirm(cmd.id, at, result))
    return out


__all__ = ["MeterRefused", "Unsupported", "control_object", "execute", "perform", "run_once"]
