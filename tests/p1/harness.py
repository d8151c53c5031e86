"""Test harness: a TCP "serial-to-network bridge" the test controls, and a P1 reader with its services running
in a background thread (for the browser test and the benchmark-like SSE test)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Any

from meterhub.p1.reader import ReaderServices, serve
from meterhub.p1.receiver import Reading, ReceiverStats
from meterhub.p1.sources import TcpSource


class Bridge:
    """A TCP server that sends whatever the test gives it to every connected client (like ser2net)."""

    def __init__(self) -> None:
        self.writers: set[asyncio.StreamWriter] = set()
        self.connected = asyncio.Event()
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> int:
        async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.writers.add(writer)
            self.connected.set()
            with contextlib.suppress(ConnectionError, OSError):
                await reader.read()
            self.writers.discard(writer)

        self.server = await asyncio.start_server(on_client, "127.0.0.1", 0)
        self.port = int(self.server.sockets[0].getsockname()[1])
        return self.port

    async def send(self, data: bytes) -> None:
        for w in list(self.writers):
            w.write(data)
            await w.drain()

    async def close(self) -> None:
        for w in list(self.writers):
            w.close()
        if self.server is not None:
            self.server.close()


class ReaderThread:
    """Bridge + reader (+ services) on an event loop in a thread; ``send`` from the test's thread."""

    def __init__(self, key: bytes, services: ReaderServices) -> None:
        self.key = key
        self.services = services
        self.readings: list[Reading] = []
        self.loop = asyncio.new_event_loop()
        self.bridge = Bridge()
        self.stats: ReceiverStats | None = None
        self._ready = threading.Event()
        self._task: asyncio.Task[Any] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def publish(self, reading: Reading) -> None:
        self.readings.append(reading)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def main() -> None:
            port = await self.bridge.start()
            self.services.extra_sinks.append(self)

            serving = asyncio.create_task(serve(self.key, TcpSource("127.0.0.1", port), self.services))
            try:
                connected = asyncio.create_task(self.bridge.connected.wait())
                await asyncio.wait({serving, connected}, return_when=asyncio.FIRST_COMPLETED)
                if serving.done():
                    serving.result()
                self._ready.set()
                self.stats = await serving
            finally:
                if not serving.done():
                    serving.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        self.stats = await serving
                await self.bridge.close()

        self._task = self.loop.create_task(main())
        try:
            self.loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        except BaseException as exc:  # surfaced by start()/stop()
            self._error = exc
            self._ready.set()
        finally:
            self.loop.close()

    def start(self, timeout: float = 20.0) -> ReaderThread:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("the reader did not start")
        if self._error is not None:
            raise self._error
        return self

    def call(self, fn: Callable[[], Any], timeout: float = 10.0) -> Any:
        return asyncio.run_coroutine_threadsafe(fn(), self.loop).result(timeout)

    def send(self, data: bytes) -> None:
        self.call(lambda: self.bridge.send(data))

    def stop(self) -> None:
        if self._task is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(15)
