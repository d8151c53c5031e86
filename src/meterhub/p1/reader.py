"""The home reader (asyncio edge): a byte source → :class:`~meterhub.p1.receiver.P1Receiver` → sinks.

The read loop is :func:`meterhub.transport.drive`, the same that drives the DLMS cores: chunks from the source
into the receiver, each event to :meth:`P1Reader.handle`, and the end of the source reported to the receiver
(a frame cut by it counts as truncated).

Sinks are the MQTT publisher, the live page's hub, the opt-in forwarder and whatever the caller adds (the CLI
prints); each takes a reading without blocking, so one slow consumer never delays another or the reader.
Everything the receiver rejects is counted and logged with its reason — never the key — and the reader goes on;
:func:`serve` wires the optional services (MQTT, live page, forwarder) around one reader and runs them until
the source ends or the task is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Protocol

from meterhub.p1.receiver import NEED_DATA, Event, FrameRejected, GarbageSkipped, P1Receiver, Reading, ReceiverStats
from meterhub.p1.sources import Source
from meterhub.transport import drive

__all__ = ["CounterFile", "P1Reader", "ReaderServices", "Sink", "serve"]

log = logging.getLogger("meterhub.p1.reader")

STATS_EVERY: Final = 6  # readings between two stats updates to the sinks (one a minute at 10 s)


class Sink(Protocol):
    def publish(self, reading: Reading) -> None: ...


class P1Reader:
    """Reads ``source`` to its end (files) or forever (devices, TCP), handing readings to ``sinks``."""

    def __init__(
        self,
        key: bytes,
        source: Source,
        sinks: Sequence[Sink] = (),
        *,
        on_rejected: Callable[[FrameRejected], None] | None = None,
        on_stats: Sequence[Callable[[ReceiverStats], None]] = (),
        last_counters: dict[bytes, int] | None = None,
    ) -> None:
        self.receiver = P1Receiver(key, last_counters=last_counters)
        self.source = source
        self.sinks = list(sinks)
        self.on_rejected = on_rejected
        self.on_stats = list(on_stats)
        self._since_stats = 0

    @property
    def stats(self) -> ReceiverStats:
        return self.receiver.stats

    def _tell_stats(self) -> None:
        self._since_stats = 0
        for callback in self.on_stats:
            try:
                callback(self.receiver.stats)
            except Exception:
                log.exception("a stats consumer failed")

    def handle(self, event: Event) -> None:
        """One event of the receiver: a reading to the sinks, a rejection logged and counted."""
        if isinstance(event, Reading):
            self._since_stats += 1
            if self._since_stats >= STATS_EVERY:
                self._tell_stats()
            for sink in self.sinks:
                try:
                    sink.publish(event)
                except Exception:  # one broken consumer must not stop the reader
                    log.exception("sink %r failed on frame %d", type(sink).__name__, event.frame_counter)
        elif isinstance(event, FrameRejected):
            log.warning(
                "frame rejected (%s, %d bytes%s): %s",
                event.reason,
                event.frame_bytes,
                "" if event.frame_counter is None else f", counter {event.frame_counter}",
                event.detail,
            )
            if self.on_rejected is not None:
                self.on_rejected(event)
            self._tell_stats()
        elif isinstance(event, GarbageSkipped):
            log.info("skipped %d bytes that do not start a frame", event.nbytes)

    async def run(self) -> ReceiverStats:
        """Read until the source ends; the counters at the end."""
        await drive(self.source.chunks(), self.receiver, self.handle, NEED_DATA)
        self._tell_stats()
        return self.receiver.stats


class CounterFile:
    """The last accepted frame counter per meter, kept in a small JSON file so that a restarted reader still
    refuses a replayed frame (``{"system title hex": counter}``, replaced atomically after every reading)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.counters: dict[bytes, int] = {}
        if path.exists():
            try:
                raw = json.loads(path.read_text())
                self.counters = {bytes.fromhex(title): int(counter) for title, counter in raw.items()}
            except (ValueError, AttributeError, TypeError) as exc:
                raise ValueError(f"{path}: not a frame counter file ({exc})") from None

    def publish(self, reading: Reading) -> None:
        self.counters[reading.system_title] = reading.frame_counter
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps({title.hex(): counter for title, counter in self.counters.items()}))
        os.replace(tmp, self.path)


@dataclass
class ReaderServices:
    """What runs around a reader; ``http_port`` is the live page's bound port once started."""

    http_host: str = "127.0.0.1"
    http_port: int | None = None  # None: no live page; 0: a free port
    mqtt_url: str | None = None
    mqtt_prefix: str = "meterhub/p1"
    mqtt_drain_s: float = 5.0  # at the end of a source, how long queued readings may take to reach the broker
    forward_url: str | None = None
    consent: bool = False
    forward_every_s: float = 60.0
    forward_headers: dict[str, str] = field(default_factory=dict)  # e.g. session_headers(token)
    state_path: Path | None = None  # keep the frame counters across restarts (CounterFile)
    extra_sinks: list[Sink] = field(default_factory=list)
    bound_http_port: int | None = None
    reader: P1Reader | None = None  # the running reader (its counters survive a Ctrl-C)


async def serve(
    key: bytes,
    source: Source,
    services: ReaderServices,
    *,
    on_started: Callable[[ReaderServices], Awaitable[None] | None] | None = None,
    on_rejected: Callable[[FrameRejected], None] | None = None,
) -> ReceiverStats:
    """Run a reader with its services until the source ends (or cancellation); returns the counters."""
    sinks: list[Sink] = []
    stats_callbacks: list[Callable[[ReceiverStats], None]] = []
    tasks: list[asyncio.Task[None]] = []
    server = None
    server_task: asyncio.Task[None] | None = None
    hub = None
    forwarder = None
    publisher = None
    try:
        if services.mqtt_url:
            from meterhub.p1.mqtt import MqttPublisher, MqttSettings

            publisher = MqttPublisher(MqttSettings.from_url(services.mqtt_url, services.mqtt_prefix))
            sinks.append(publisher)
            stats_callbacks.append(publisher.publish_stats)
            tasks.append(asyncio.create_task(publisher.run(), name="p1-mqtt"))
        if services.forward_url:
            from meterhub.p1.forward import Forwarder

            forwarder = Forwarder(
                services.forward_url,
                consent=services.consent,
                every_s=services.forward_every_s,
                headers=services.forward_headers,
            )
            sinks.append(forwarder)
            tasks.append(asyncio.create_task(forwarder.run(), name="p1-forward"))
        if services.http_port is not None:
            import uvicorn

            from meterhub.p1.live import LiveHub, create_live_app

            hub = LiveHub()
            sinks.append(hub)
            stats_callbacks.append(hub.update_stats)
            config = uvicorn.Config(
                create_live_app(hub),
                host=services.http_host,
                port=services.http_port,
                log_level="warning",
                lifespan="off",
            )
            server = uvicorn.Server(config)
            server_task = asyncio.create_task(server.serve(), name="p1-http")
            while not server.started:
                if server_task.done():
                    await server_task
                    raise OSError(f"the live page could not listen on {services.http_host}:{services.http_port}")
                await asyncio.sleep(0.01)
            services.bound_http_port = int(server.servers[0].sockets[0].getsockname()[1])
            log.info("live page on http://%s:%d/", services.http_host, services.bound_http_port)
        sinks.extend(services.extra_sinks)
        if on_started is not None:
            started = on_started(services)
            if started is not None:
                await started
        counters = None if services.state_path is None else CounterFile(services.state_path)
        if counters is not None:
            sinks.insert(0, counters)  # the counter is saved before any consumer sees the reading
        reader = P1Reader(
            key,
            source,
            sinks,
            on_rejected=on_rejected,
            on_stats=stats_callbacks,
            last_counters=None if counters is None else dict(counters.counters),
        )
        services.reader = reader
        if hub is not None:
            hub.update_stats(reader.stats)  # live counters from the first event on
        reading = asyncio.create_task(reader.run(), name="p1-reader")
        watched: set[asyncio.Task[ReceiverStats] | asyncio.Task[None]] = {reading}
        if server_task is not None:
            watched.add(server_task)  # the web server stops on SIGINT/SIGTERM: the reader stops with it
        try:
            await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not reading.done():
                reading.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reading
        return reading.result() if not reading.cancelled() else reader.stats
    finally:
        if publisher is not None:  # a file source ends fast: let what it read reach the broker
            with contextlib.suppress(Exception):
                await publisher.drain(services.mqtt_drain_s)
        if hub is not None:
            hub.close()
        if server is not None:
            server.should_exit = True
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if forwarder is not None:
            with contextlib.suppress(Exception):
                await forwarder.close()
        if server_task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server_task, 5)
