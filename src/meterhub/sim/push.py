"""Alarm pushes of the simulated fleet (push setup 0.0.25.9.0.255, class 40): meters call the head-end.

When an event that raises an alarm-register bit (power up, terminal cover opened, M-Bus errors …) happens,
the meter opens a TCP connection to its push destination and sends one data-notification over the wrapper:
body = structure {logical device name, alarm register 0.0.97.98.0.255}, ciphered with general-glo-ciphering
under the meter's own system title, key set and next invocation counter (Green Book §9.3.13, "push"). The
:class:`AlarmPusher` keeps a time-ordered queue of each meter's next alarm (computed a day ahead from the
event model), so a fleet of 20 000 meters costs one heap entry per meter, not a scan per second.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import heapq
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from meterhub.dlms import apdu as A
from meterhub.dlms.axdr import DoubleLongUnsigned
from meterhub.dlms.security import encrypt
from meterhub.sim.consumption import ALARM_BITS
from meterhub.sim.meter import SimulatedMeter, local_octets
from meterhub.transport import WrapperConnection

log = logging.getLogger(__name__)

#: wPort the head-end's push listener is addressed with (the meter is wPort 1, logical device 1).
PUSH_CLIENT_WPORT: Final = 102
_LOOKAHEAD: Final = dt.timedelta(days=1)


def notification_apdu(meter: SimulatedMeter, alarm_register: int, at: dt.datetime) -> bytes:
    """The ciphered data-notification a meter pushes (uses and advances its transmit counter)."""
    body = (("LUX" + meter.serial).encode()[:16], DoubleLongUnsigned(alarm_register))
    counter = meter.counter.take()
    plain = A.DataNotification(counter, body, local_octets(at)).encode()
    return A.GeneralGloCiphering(meter.system_title, encrypt(meter.keys, meter.system_title, counter, plain)).encode()


@dataclass
class AlarmPusher:
    """Pushes each meter's alarms to ``host:port`` at the time they happen (the platform's clock)."""

    meters: Sequence[SimulatedMeter]
    host: str
    port: int
    now: Callable[[], dt.datetime]
    sent: int = 0
    failed: int = 0
    _queue: list[tuple[dt.datetime, int, int]] = field(default_factory=list)  # (time, meter index, bits)
    _horizon: dict[int, dt.datetime] = field(default_factory=dict)

    def _plan(self, index: int, start: dt.datetime) -> None:
        """Queue the alarms of meter ``index`` in [start, start + 1 day) and remember to look again then."""
        end = start + _LOOKAHEAD
        for event in self.meters[index].events.events(start, end):
            bit = ALARM_BITS.get(event.code)
            if bit is not None and start <= event.time_utc < end:
                heapq.heappush(self._queue, (event.time_utc, index, 1 << bit))
        self._horizon[index] = end
        heapq.heappush(self._queue, (end, index, 0))  # a marker: plan the next day

    async def run(self, batch: int = 500) -> None:
        """Plan every meter (in slices, yielding to the server), then push alarms as they fall due."""
        start = self.now()
        for i in range(len(self.meters)):
            self._plan(i, start)
            if i % batch == batch - 1:
                await asyncio.sleep(0)
        while True:
            now = self.now()
            while self._queue and self._queue[0][0] <= now:
                when, index, bits = heapq.heappop(self._queue)
                if bits == 0:
                    self._plan(index, when)
                    continue
                meter = self.meters[index]
                meter.alarm_register |= bits
                await self._push(meter, when)
            delay = 1.0 if not self._queue else min(1.0, max(0.0, (self._queue[0][0] - now).total_seconds()))
            await asyncio.sleep(delay)

    async def _push(self, meter: SimulatedMeter, at: dt.datetime) -> None:
        if meter.unreachable():
            return
        apdu = notification_apdu(meter, meter.alarm_register, at)
        try:
            connection = await WrapperConnection.open(self.host, self.port, timeout=5)
            connection.send(1, PUSH_CLIENT_WPORT, apdu)
            await connection.drain()
            await connection.close()
            self.sent += 1
        except (OSError, TimeoutError) as exc:
            self.failed += 1
            log.info("meter %s: push to %s:%d failed: %s", meter.serial, self.host, self.port, exc)
