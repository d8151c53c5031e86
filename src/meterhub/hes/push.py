"""The head-end's push listener: meters call in with alarm notifications (data-notification over the wrapper).

Each TCP connection (read loop, framing and idle timeout: :mod:`meterhub.transport`) carries wrapper frames; each
frame a general-glo-ciphering APDU whose system title names the meter. The listener finds the meter's keys,
refuses a counter not above the last one accepted from that meter (the shared
:class:`~meterhub.dlms.security.InvocationCounterGuard`, started from the store, which keeps the counter across
restarts), verifies and deciphers, decodes the data-notification (body: logical device name, alarm register
0.0.97.98.0.255) and stores one ``alarm`` event per raised bit, at the meter's clock or, when it cannot be read,
at the arrival time from the injected ``now``. Anything it cannot accept — unknown system title, bad tag,
replay, malformed APDU — is counted and logged, the connection dropped; the listener goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from meterhub.cosem.events import event_info
from meterhub.dlms import apdu as A
from meterhub.dlms.axdr import datetime_from_octets
from meterhub.dlms.errors import DlmsError, ReplayError, SecurityError
from meterhub.dlms.security import CipherKeys, InvocationCounterGuard, decrypt
from meterhub.dlms.wrapper import WrapperFrame
from meterhub.store.db import MeterEvent, Store
from meterhub.transport import WrapperConnection, serve_wrapper

log = logging.getLogger(__name__)

#: Alarm register bits (IDIS layout, as the simulator uses) and what they mean to an operator.
ALARM_NAMES: Final = {
    2: "power up",
    13: "fraud attempt (terminal cover)",
    16: "M-Bus channel 1 communication error",
    17: "M-Bus channel 2 communication error",
    18: "M-Bus channel 3 communication error",
    19: "M-Bus channel 4 communication error",
    28: "M-Bus channel 1 fraud or battery",
    29: "M-Bus channel 2 fraud or battery",
    30: "M-Bus channel 3 fraud or battery",
    31: "M-Bus channel 4 fraud or battery",
}
KEY_KIND: Final = "guek"
#: A pushing meter sends one notification and closes; a connection silent this long is dropped.
IDLE_TIMEOUT_S: Final = 30.0


@dataclass(frozen=True)
class PushSource:
    """A meter that may push: its id and keys (by system title)."""

    meter_id: int
    serial: str
    keys: CipherKeys


@dataclass
class PushStats:
    """What the listener did."""

    connections: int = 0
    notifications: int = 0
    events: int = 0
    refused: dict[str, int] = field(default_factory=dict)

    def refuse(self, why: str) -> None:
        self.refused[why] = self.refused.get(why, 0) + 1


class PushListener:
    """Accepts alarm pushes and stores them as meter events."""

    def __init__(
        self,
        store: Store,
        sources: Callable[[bytes], PushSource | None],
        *,
        now: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.store = store
        self.sources = sources
        self.now = now or (lambda: dt.datetime.now(dt.UTC))
        self.stats = PushStats()
        self.guard = InvocationCounterGuard()  # per meter title, started from the store on first sight
        self.server: asyncio.Server | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen; returns the port (a free one if ``port`` is 0)."""
        self.server = await serve_wrapper(self._serve, host, port, idle_timeout=IDLE_TIMEOUT_S)
        return int(self.server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _serve(self, connection: WrapperConnection) -> None:
        self.stats.connections += 1
        await connection.run(self._on_frame)
        if connection.error is not None:
            self.stats.refuse("bad frame")
            log.info("push: bad wrapper stream dropped: %s", connection.error)

    async def _on_frame(self, frame: WrapperFrame) -> None:
        await asyncio.to_thread(self.handle, frame.apdu)

    def handle(self, apdu: bytes) -> int:
        """Accept one pushed APDU; returns the number of events stored (0 when refused)."""
        try:
            carrier = A.decode_xdlms(apdu)
        except DlmsError:
            self.stats.refuse("malformed")
            return 0
        if not isinstance(carrier, A.GeneralGloCiphering):
            self.stats.refuse("not ciphered")  # a meter's push is always ciphered
            return 0
        source = self.sources(carrier.system_title)
        if source is None:
            self.stats.refuse("unknown meter")
            return 0
        title = carrier.system_title
        content = carrier.ciphered_content
        if len(content) < 5:
            self.stats.refuse("malformed")
            return 0
        counter = int.from_bytes(content[1:5], "big")
        if self.guard.last(title) is None:  # first push from this meter since start: the persisted counter
            self.guard.accept(title, self.store.get_counter(title, KEY_KIND, "rx") or 0)
        try:
            self.guard.check(title, counter)
        except ReplayError as exc:
            self.stats.refuse("replay")
            log.warning("push from %s refused: %s", source.serial, exc)
            return 0
        try:
            plain = decrypt(source.keys, title, content)
            notification = A.decode_xdlms(plain.plaintext)
        except SecurityError:
            self.stats.refuse("authentication")
            return 0
        except DlmsError:
            self.stats.refuse("malformed")
            return 0
        if not isinstance(notification, A.DataNotification):
            self.stats.refuse("not a notification")
            return 0
        self.guard.accept(title, counter)
        self.store.raise_counters({title: counter}, KEY_KIND, "rx")
        self.stats.notifications += 1
        return self._store_alarms(source, notification)

    def _store_alarms(self, source: PushSource, notification: A.DataNotification) -> int:
        body = notification.body
        if not (isinstance(body, tuple) and len(body) >= 2 and isinstance(body[1], int)):
            self.stats.refuse("unexpected body")
            return 0
        when = self.now()
        if notification.date_time:
            with contextlib.suppress(DlmsError):  # a meter clock we cannot read: the arrival time stands
                when = datetime_from_octets(notification.date_time).astimezone(dt.UTC)
        alarm = int(body[1])
        events = [
            MeterEvent(source.meter_id, when, "alarm", bit, event_info("alarm", bit).severity)
            for bit in range(32)
            if alarm >> bit & 1
        ]
        stored = self.store.add_events(events)
        self.stats.events += stored
        return stored
