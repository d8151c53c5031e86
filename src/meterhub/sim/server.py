"""The simulator's DLMS server over TCP (IEC 62056-47 wrapper), driving the sans-io associations with asyncio.

The connections (read loop, framing) are :mod:`meterhub.transport`'s; this module is what a meter or a
concentrator does with each frame.

One listening port is either a directly connected meter (server wPort 1) or a data concentrator that
forwards to the meters behind it by wPort (a transparent gateway, the way concentrators expose PLC meters to a
head-end). Each (client wPort, server wPort) pair on a connection is one association. A concentrator's
frames pass a :class:`PlcChannel` that models the shared power-line medium: bandwidth, latency, loss and
link-layer retries. Bad frames are counted and logged; they close the offending association, never the server.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable
from dataclasses import dataclass, field

from meterhub.dlms.association import (
    ActionReply,
    ActionRequested,
    Event,
    GetListRequested,
    GetReply,
    GetRequested,
    GetWithListReply,
    ServerAssociation,
    SetReply,
    SetRequested,
)
from meterhub.dlms.errors import DlmsError
from meterhub.dlms.sansio import NEED_DATA
from meterhub.dlms.wrapper import WrapperFrame
from meterhub.sim.meter import PUBLIC_SAP, SimulatedMeter
from meterhub.transport import WrapperConnection, serve_wrapper

log = logging.getLogger(__name__)


@dataclass
class PlcChannel:
    """A shared PLC medium behind one concentrator: one frame at a time, at ``bandwidth_bps``.

    Each attempt takes ``latency_s`` plus the frame's serialisation time; with probability ``loss`` an attempt
    is lost and the concentrator retries up to ``retries`` times before dropping the frame (the head-end then
    sees a timeout, as in the field). ``seed`` makes losses reproducible.
    """

    bandwidth_bps: float = 128_000.0
    latency_s: float = 0.02
    loss: float = 0.01
    retries: int = 2
    seed: int = 0
    frames: int = 0
    lost: int = 0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    async def transmit(self, nbytes: int) -> bool:
        """Carry one frame; False when every attempt was lost."""
        self.frames += 1
        async with self._lock:
            for _ in range(self.retries + 1):
                await asyncio.sleep(self.latency_s + nbytes * 8 / self.bandwidth_bps)
                if self._rng.random() >= self.loss:
                    return True
        self.lost += 1
        return False


def plc_profile(name: str, seed: int = 0) -> PlcChannel | None:
    """Named PLC models: ``realistic`` (G3-PLC-like), ``fast`` (sizing tests), ``off`` (no PLC delay)."""
    if name == "off":
        return None
    if name == "fast":
        return PlcChannel(bandwidth_bps=10_000_000, latency_s=0.0005, loss=0.0, retries=0, seed=seed)
    if name == "realistic":
        return PlcChannel(bandwidth_bps=128_000, latency_s=0.02, loss=0.01, retries=2, seed=seed)
    raise ValueError(f"unknown PLC profile {name!r} (realistic, fast, off)")


@dataclass
class ServerStats:
    """Counters of one endpoint, for tests and the fleet's status line."""

    connections: int = 0
    associations: int = 0
    requests: int = 0
    bad_frames: int = 0
    dropped: int = 0


class MeterEndpoint:
    """One TCP endpoint: a direct meter (wPort 1) or a concentrator with meters by wPort."""

    def __init__(self, meters: dict[int, SimulatedMeter], plc: PlcChannel | None = None) -> None:
        self.meters = meters
        self.plc = plc
        self.stats = ServerStats()
        self.server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> asyncio.Server:
        self.server = await serve_wrapper(self._serve, host, port, backlog=1024)
        return self.server

    async def _serve(self, connection: WrapperConnection) -> None:
        self.stats.connections += 1
        associations: dict[tuple[int, int], ServerAssociation] = {}

        def on_frame(frame: WrapperFrame) -> Awaitable[None]:
            return self._handle(frame, associations, connection)

        await connection.run(on_frame)
        if connection.error is not None:
            self.stats.bad_frames += 1
            log.warning("bad wrapper stream, closing connection: %s", connection.error)

    async def _handle(
        self,
        frame: WrapperFrame,
        associations: dict[tuple[int, int], ServerAssociation],
        connection: WrapperConnection,
    ) -> None:
        client, wport, apdu = frame.source, frame.destination, frame.apdu
        meter = self.meters.get(wport)
        if meter is None or meter.unreachable():
            self.stats.dropped += 1
            return
        if self.plc is not None and not await self.plc.transmit(len(apdu) + 8):
            self.stats.dropped += 1
            return
        key = (client, wport)
        association = associations.get(key)
        if apdu[:1] == b"\x60" or association is None:
            policy = meter.policy(client)
            if policy is None:
                self.stats.dropped += 1
                return
            association = associations[key] = ServerAssociation(policy)
            self.stats.associations += 1
        self.stats.requests += 1
        try:
            association.receive_data(apdu)
            events: list[Event] = []
            while (event := association.next_event()) is not NEED_DATA:
                events.append(event)
            replies = association.data_to_send()  # what the association answered on its own goes first
            public = client == PUBLIC_SAP
            send = association.send
            for ev in events:
                if isinstance(ev, GetRequested):
                    replies.append(send(GetReply(ev.invoke_id, meter.get(ev.attribute, ev.access, public))))
                elif isinstance(ev, GetListRequested):
                    results = tuple(meter.get(attr, access, public) for attr, access in ev.items)
                    replies.append(send(GetWithListReply(ev.invoke_id, results)))
                elif isinstance(ev, SetRequested):
                    replies.append(send(SetReply(ev.invoke_id, meter.set(ev.attribute, ev.value))))
                elif isinstance(ev, ActionRequested):
                    result, data = meter.action(ev.method, ev.parameters)
                    replies.append(send(ActionReply(ev.invoke_id, result, data)))
        except DlmsError as exc:
            self.stats.bad_frames += 1
            log.info("meter %s: bad APDU from client %d dropped the association: %s", meter.serial, client, exc)
            associations.pop(key, None)
            return
        for reply in replies:
            if self.plc is not None and not await self.plc.transmit(len(reply) + 8):
                self.stats.dropped += 1
                continue
            connection.send(wport, client, reply)
        await connection.drain()
