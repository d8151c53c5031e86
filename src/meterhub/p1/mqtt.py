"""The reader's MQTT publisher (asyncio edge, aiomqtt): every reading on the topics of
:func:`meterhub.p1.records.topics`, values retained so that a new subscriber sees the current state at once.

Publishing never holds the reader up: readings wait in a bounded queue (the oldest is dropped, and counted,
when the broker is away for long); a lost broker connection is retried with backoff and the reading that was
being published is sent again after the reconnect.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

import aiomqtt

from meterhub.p1.receiver import Reading, ReceiverStats
from meterhub.p1.records import meter_id, topics

__all__ = ["MqttPublisher", "MqttSettings"]

log = logging.getLogger("meterhub.p1.mqtt")

QUEUE_SIZE: Final = 1000  # readings (~2.8 h at one per 10 s)
_BACKOFF: Final = (0.5, 1.0, 2.0, 5.0, 10.0)


@dataclass(frozen=True)
class MqttSettings:
    """Broker and topic layout: ``mqtt://[user:password@]HOST[:PORT]``, topic ``prefix``, QoS and retain."""

    host: str
    port: int = 1883
    username: str | None = None
    password: str | None = None
    prefix: str = "meterhub/p1"
    qos: int = 0
    retain: bool = True

    @classmethod
    def from_url(cls, url: str, prefix: str = "meterhub/p1", qos: int = 0, retain: bool = True) -> MqttSettings:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "tcp") or not parts.hostname:
            raise ValueError(f"{url!r}: use mqtt://HOST[:PORT]")
        return cls(parts.hostname, parts.port or 1883, parts.username, parts.password, prefix, qos, retain)


class MqttPublisher:
    """``publish(reading)`` from the reader (never blocks); ``run()`` as a task sends them."""

    def __init__(self, settings: MqttSettings) -> None:
        self.settings = settings
        self._queue: asyncio.Queue[tuple[str, str] | Reading] = asyncio.Queue(QUEUE_SIZE)
        self.published = 0
        self.dropped = 0
        self.connected = asyncio.Event()
        self._last_meter: str | None = None
        self._busy = False

    def _put(self, item: tuple[str, str] | Reading) -> None:
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(item)

    def publish(self, reading: Reading) -> None:
        self._last_meter = meter_id(reading)
        self._put(reading)

    def publish_stats(self, stats: ReceiverStats) -> None:
        """The reader's counters on ``PREFIX/METER/stats`` (once the meter is known)."""
        if self._last_meter is not None:
            topic = f"{self.settings.prefix.rstrip('/')}/{self._last_meter}/stats"
            self._put((topic, json.dumps(stats.as_dict())))

    async def run(self) -> None:
        s = self.settings
        attempt = 0
        pending: tuple[str, str] | Reading | None = None
        while True:
            try:
                async with aiomqtt.Client(s.host, s.port, username=s.username, password=s.password) as client:
                    self.connected.set()
                    attempt = 0
                    log.info("connected to MQTT broker %s:%d", s.host, s.port)
                    while True:
                        self._busy = False
                        if pending is None:
                            pending = await self._queue.get()
                        self._busy = True
                        messages = pending if isinstance(pending, tuple) else None
                        if messages is not None:
                            await client.publish(messages[0], messages[1], qos=s.qos, retain=s.retain)
                        else:
                            assert isinstance(pending, Reading)
                            for topic, payload in topics(pending, s.prefix):
                                await client.publish(topic, payload, qos=s.qos, retain=s.retain)
                            self.published += 1
                        pending = None
            except aiomqtt.MqttError as exc:
                self._busy = False
                self.connected.clear()
                delay = _BACKOFF[min(attempt, len(_BACKOFF) - 1)]
                attempt += 1
                log.warning("MQTT broker %s:%d: %s; retrying in %.1f s", s.host, s.port, exc, delay)
                await asyncio.sleep(delay)

    async def drain(self, timeout_s: float = 5.0) -> bool:
        """Wait (at most ``timeout_s``) until every queued reading is published; False if some are left."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while (self._busy or not self._queue.empty()) and loop.time() < deadline:
            await asyncio.sleep(0.01)
        return not self._busy and self._queue.empty()
