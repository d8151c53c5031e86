"""IEC 62056-47 wrapper connections over asyncio TCP: the thin adapter around the sans-io ``WrapperStream``.

A :class:`WrapperConnection` is one TCP connection carrying wrapper frames, whichever side opened it: the
head-end's connection to a meter or a data concentrator (:meth:`WrapperConnection.open`), a meter's
connection accepted by the simulator or a push accepted by the head-end (:func:`serve_wrapper`). It owns the
read loop (:meth:`WrapperConnection.run`, built on :func:`~meterhub.transport.drive.drive`), the framing both
ways, the connect timeout and the idle timeout; what a frame means is the handler's business (a head-end routes
it to the waiting association, a meter answers it, the push listener stores it).

Nothing the peer sends can make :meth:`~WrapperConnection.run` raise: a stream that does not decode (wrong
version, impossible length — the wrapper cannot resynchronise) is recorded in ``error`` and ends the
connection; the peer closing, a reset and the idle timeout end it too. The connection is closed when ``run``
returns, so no file descriptor outlives it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Final

from meterhub.dlms.errors import DlmsError
from meterhub.dlms.sansio import NEED_DATA
from meterhub.dlms.wrapper import MAX_WRAPPER_APDU, WrapperFrame, WrapperStream
from meterhub.transport.drive import drive

__all__ = ["READ_CHUNK", "FrameHandler", "TransportClosed", "WrapperConnection", "serve_wrapper"]

log = logging.getLogger(__name__)

#: Bytes asked of the socket per read: a whole wrapped APDU of the largest size in one read when it is there.
READ_CHUNK: Final = 65536

#: Takes one received frame; returns None, or an awaitable that is awaited before the next frame is handled.
FrameHandler = Callable[[WrapperFrame], Awaitable[None] | None]


class TransportClosed(ConnectionError):
    """A frame was to be sent on a connection that is already closed."""


class WrapperConnection:
    """One TCP connection carrying IEC 62056-47 wrapper frames, driven by asyncio.

    ``idle_timeout`` (seconds, None for none) ends :meth:`run` when nothing arrives for that long; ``max_apdu``
    bounds what the wrapper stream buffers (see :class:`~meterhub.dlms.wrapper.WrapperStream`).
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        idle_timeout: float | None = None,
        max_apdu: int = MAX_WRAPPER_APDU,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._stream = WrapperStream(max_apdu)
        self.idle_timeout = idle_timeout
        self.closed = False
        self.timed_out = False
        self.error: DlmsError | None = None  # why the stream was abandoned: a frame the stack could not decode

    @classmethod
    async def open(
        cls, host: str, port: int, *, timeout: float, idle_timeout: float | None = None
    ) -> WrapperConnection:
        """Connect within ``timeout`` seconds; raises :class:`OSError` or :class:`TimeoutError`."""
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer, idle_timeout=idle_timeout)

    def send(self, source: int, destination: int, apdu: bytes) -> None:
        """Queue one frame (wPorts ``source`` → ``destination``); :class:`TransportClosed` once closed."""
        if self.closed:
            raise TransportClosed("connection closed")
        self._writer.write(self._stream.send(WrapperFrame(source, destination, apdu)))

    async def drain(self) -> None:
        """Wait until the socket has taken what was sent (flow control)."""
        await self._writer.drain()

    async def run(self, on_frame: FrameHandler) -> None:
        """Hand every received frame to ``on_frame`` until the connection ends; then close it.

        Returns when the peer closes, the connection fails, the idle timeout passes (``timed_out``) or the
        stream does not decode (``error``). Exceptions of ``on_frame`` other than a lost connection propagate.
        """
        try:
            await drive(self._chunks(), self._stream, on_frame, NEED_DATA)
        except DlmsError as exc:
            if not self._stream.failed:
                raise  # the handler's own, not the stream's
            self.error = exc
        except TimeoutError:
            self.timed_out = True
        except OSError:  # reset, broken pipe: the peer is gone
            pass
        finally:
            self.closed = True
            self._writer.close()  # no file descriptor left behind, whoever holds this connection

    async def _chunks(self) -> AsyncIterator[bytes]:
        read, idle = self._reader.read, self.idle_timeout
        while True:
            if idle is None:
                data = await read(READ_CHUNK)
            else:
                async with asyncio.timeout(idle):
                    data = await read(READ_CHUNK)
            if not data:
                return
            yield data

    async def close(self) -> None:
        """Close the connection (idempotent); a :meth:`run` in progress ends."""
        self.closed = True
        self._writer.close()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()


async def serve_wrapper(
    on_connection: Callable[[WrapperConnection], Awaitable[None]],
    host: str,
    port: int,
    *,
    idle_timeout: float | None = None,
    backlog: int = 100,
) -> asyncio.Server:
    """Listen on ``host:port`` (0: a free port); each accepted connection goes to ``on_connection``."""

    async def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await on_connection(WrapperConnection(reader, writer, idle_timeout=idle_timeout))

    return await asyncio.start_server(accepted, host, port, backlog=backlog)
