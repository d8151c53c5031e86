"""Where the reader's bytes come from (asyncio edge): a serial device, a TCP bridge, or a file.

``--source`` is one of ``tcp://HOST:PORT`` (a serial-to-network bridge such as ser2net; reconnects with backoff
when the bridge goes away), a character device such as ``/dev/ttyUSB0`` or a pseudo-terminal (opened with
pyserial at the port's 115200 baud 8N1, P1 specification §5; reopened when unplugged), or a regular file of
recorded frames (read once to its end). Each source yields chunks of bytes as they arrive; framing is the
sans-io core's business.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

__all__ = ["FileSource", "SerialSource", "Source", "TcpSource", "parse_source"]

log = logging.getLogger("meterhub.p1.sources")

CHUNK: Final = 4096
BAUD: Final = 115200
_BACKOFF: Final = (0.5, 1.0, 2.0, 5.0, 10.0)


class Source:
    """A byte source: ``chunks()`` yields data as it arrives and ends only when the source has an end."""

    description = "source"

    def chunks(self) -> AsyncIterator[bytes]:
        raise NotImplementedError


@dataclass
class FileSource(Source):
    """A file of recorded frames, read once to its end."""

    path: Path

    @property
    def description(self) -> str:  # type: ignore[override]
        return f"file {self.path}"

    async def chunks(self) -> AsyncIterator[bytes]:
        with self.path.open("rb") as f:
            while data := await asyncio.to_thread(f.read, 1 << 16):
                yield data


@dataclass
class TcpSource(Source):
    """A serial-to-network bridge: connect, read, reconnect with backoff when the connection drops."""

    host: str
    port: int
    reconnect: bool = True

    @property
    def description(self) -> str:  # type: ignore[override]
        return f"tcp://{self.host}:{self.port}"

    async def chunks(self) -> AsyncIterator[bytes]:
        attempt = 0
        while True:
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port)
            except OSError as exc:
                if not self.reconnect:
                    raise
                delay = _BACKOFF[min(attempt, len(_BACKOFF) - 1)]
                log.warning("cannot connect to %s (%s); retrying in %.1f s", self.description, exc, delay)
                attempt += 1
                await asyncio.sleep(delay)
                continue
            attempt = 0
            log.info("connected to %s", self.description)
            try:
                while data := await reader.read(CHUNK):
                    yield data
            except OSError as exc:
                log.warning("connection to %s lost: %s", self.description, exc)
            finally:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
            if not self.reconnect:
                return
            log.warning("%s closed the connection; reconnecting", self.description)
            await asyncio.sleep(_BACKOFF[0])


@dataclass
class SerialSource(Source):
    """A serial device (the P1 cable) or a pseudo-terminal, 115200 baud 8N1, non-blocking reads on the loop."""

    device: str
    baudrate: int = BAUD

    @property
    def description(self) -> str:  # type: ignore[override]
        return f"serial {self.device}"

    async def chunks(self) -> AsyncIterator[bytes]:
        import serial

        loop = asyncio.get_running_loop()
        attempt = 0
        while True:
            try:
                port = serial.Serial(self.device, self.baudrate, bytesize=8, parity="N", stopbits=1, timeout=0)
            except (OSError, serial.SerialException) as exc:
                delay = _BACKOFF[min(attempt, len(_BACKOFF) - 1)]
                log.warning("cannot open %s (%s); retrying in %.1f s", self.device, exc, delay)
                attempt += 1
                await asyncio.sleep(delay)
                continue
            attempt = 0
            queue: asyncio.Queue[bytes | None] = asyncio.Queue()
            fd = port.fileno()

            def readable(fd: int = fd, queue: asyncio.Queue[bytes | None] = queue) -> None:
                try:
                    data = os.read(fd, CHUNK)
                except BlockingIOError:
                    return
                except OSError:
                    data = b""
                queue.put_nowait(data or None)

            loop.add_reader(fd, readable)
            try:
                while (data := await queue.get()) is not None:
                    yield data
            finally:
                loop.remove_reader(fd)
                port.close()
            log.warning("%s went away; reopening", self.device)
            await asyncio.sleep(_BACKOFF[0])


def parse_source(spec: str) -> Source:
    """``tcp://HOST:PORT``, a character device, or a file."""
    if spec.startswith("tcp://"):
        parts = urlsplit(spec)
        if not parts.hostname or parts.port is None:
            raise ValueError(f"{spec!r}: use tcp://HOST:PORT")
        return TcpSource(parts.hostname, parts.port)
    path = Path(spec)
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise ValueError(f"{spec!r}: {exc.strerror}") from None
    if stat.S_ISCHR(mode):
        return SerialSource(spec)
    if stat.S_ISREG(mode):
        return FileSource(path)
    raise ValueError(f"{spec!r} is neither a file, a character device nor tcp://HOST:PORT")
