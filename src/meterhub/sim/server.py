"""The simulator's DLMS server over TCP (IEC 62056-47 wrapper), driving the sans-io associations with asyncio.

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
from dataclasses import dataclass, field

from meterhub.dlms.association import (
    ActionRequested,
    GetListRequested,
    GetRequested,
    ServerAssociation,
    SetRequested,
)
from meterhub.dlms.errors import DlmsError
from meterhub.dlms.wrapper import WrapperDecoder, encode_wrapper
from meterhub.sim.meter import PUBLIC_SAP, SimulatedMeter

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
        self.server = await asyncio.start_server(self._serve, host, port, backlog=1024)
        return self.server

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats.connections += 1
        decoder = WrapperDecoder()
        associations: dict[tuple[int, int], ServerAssociation] = {}
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                try:
                    frames = decoder.feed(data)
                except DlmsError as exc:
                    self.stats.bad_frames += 1
                    log.warning("bad wrapper stream, closing connection: %s", exc)
                    break
                for frame in frames:
                    await self._handle(frame.source, frame.destination, frame.apdu, associations, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _handle(
        self,
        client: int,
        wport: int,
        apdu: bytes,
        associations: dict[tuple[int, int], ServerAssociation],
        writer: asyncio.StreamWriter,
    ) -> None:
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
        replies: list[bytes] = []
        try:
            events = association.receive(apdu)
            replies += association.take_outgoing()
            public = client == PUBLIC_SAP
            for ev in events:
                if isinstance(ev, GetRequested):
                    replies.append(association.reply_get(ev.invoke_id, meter.get(ev.attribute, ev.access, public)))
                elif isinstance(ev, GetListRequested):
                    results = [meter.get(attr, access, public) for attr, access in ev.items]
                    replies.append(association.reply_get_list(ev.invoke_id, results))
                elif isinstance(ev, SetRequested):
                    replies.append(association.reply_set(ev.invoke_id, meter.set(ev.attribute, ev.value)))
                elif isinstance(ev, ActionRequested):
                    result, data = meter.action(ev.method, ev.parameters)
                    replies.append(association.reply_action(ev.invoke_id, result, data))
        except DlmsError as exc:
            self.stats.bad_frames += 1
            log.info("meter %s: bad APDU from client %d dropped the association: %s", meter.serial, client, exc)
            associations.pop(key, None)
            return
        for reply in replies:
            if self.plc is not None and not await self.plc.transmit(len(reply) + 8):
                self.stats.dropped += 1
                continue
            writer.write(encode_wrapper(wport, client, reply))
        await writer.drain()
