"""Head-end DLMS sessions over TCP: the asyncio driver of the sans-io client association.

A :class:`WrapperConnection` is one TCP connection to a meter or a data concentrator; it demultiplexes the
wrapper frames by server wPort, so many meters behind one concentrator are read over one connection.
A :class:`MeterSession` is one association with one meter: ``associate()``, ``get()``, ``get_list()``,
``set()``, ``action()``, ``release()``. Every wait has a timeout; every failure — timeout, refused
association, a frame the stack cannot decode, a tag that does not verify — surfaces as :class:`HesError` with
a ``kind`` the scheduler counts and retries on. Nothing a meter sends can crash the head-end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from meterhub.dlms import apdu as A
from meterhub.dlms.association import (
    ActionCompleted,
    Associated,
    AssociationRejected,
    ClientAssociation,
    Event,
    ExceptionReceived,
    GetCompleted,
    GetListCompleted,
    Released,
    SetCompleted,
)
from meterhub.dlms.errors import DlmsError, SecurityError
from meterhub.dlms.wrapper import WrapperDecoder, encode_wrapper

log = logging.getLogger(__name__)


class HesError(Exception):
    """A meter read failed. ``kind``: timeout, connect, rejected, security, protocol, closed, access."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind


class WrapperConnection:
    """One TCP connection carrying wrapper frames for any number of associations (keyed by server wPort)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._queues: dict[tuple[int, int], asyncio.Queue[bytes | None]] = {}
        self._task = asyncio.create_task(self._read_loop())
        self.bad_frames = 0
        self.closed = False
        self.error: str | None = None  # why the stream was abandoned (a frame the stack could not decode)

    @classmethod
    async def open(cls, host: str, port: int, timeout: float = 5.0) -> WrapperConnection:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        except (OSError, TimeoutError) as exc:
            raise HesError("connect", f"{host}:{port}: {exc}") from exc
        return cls(reader, writer)

    def register(self, client_wport: int, server_wport: int) -> asyncio.Queue[bytes | None]:
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._queues[(server_wport, client_wport)] = queue
        return queue

    def unregister(self, client_wport: int, server_wport: int) -> None:
        self._queues.pop((server_wport, client_wport), None)

    def send(self, client_wport: int, server_wport: int, apdu: bytes) -> None:
        if self.closed:
            raise HesError("closed", "connection closed")
        self._writer.write(encode_wrapper(client_wport, server_wport, apdu))

    async def _read_loop(self) -> None:
        decoder = WrapperDecoder()
        try:
            while True:
                data = await self._reader.read(65536)
                if not data:
                    break
                try:
                    frames = decoder.feed(data)
                except DlmsError as exc:
                    self.bad_frames += 1
                    self.error = f"bad wrapper stream: {exc}"
                    log.warning("bad wrapper stream from meter, closing: %s", exc)
                    break
                for frame in frames:
                    queue = self._queues.get((frame.source, frame.destination))
                    if queue is None:
                        self.bad_frames += 1
                        log.info("frame for no association (wPort %d → %d) ignored", frame.source, frame.destination)
                    else:
                        queue.put_nowait(frame.apdu)
        except (ConnectionError, OSError):
            pass
        finally:
            self.closed = True
            self._writer.close()  # no file descriptor left behind, whoever holds this connection
            for queue in self._queues.values():
                queue.put_nowait(None)

    async def close(self) -> None:
        self.closed = True
        self._writer.close()
        self._task.cancel()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()


class MeterSession:
    """One association with one meter over a :class:`WrapperConnection`."""

    def __init__(
        self,
        connection: WrapperConnection,
        client: ClientAssociation,
        client_wport: int = 1,
        server_wport: int = 1,
        timeout: float = 10.0,
    ) -> None:
        self.connection = connection
        self.client = client
        self.client_wport = client_wport
        self.server_wport = server_wport
        self.timeout = timeout
        self._queue = connection.register(client_wport, server_wport)
        self.bad_frames = 0

    async def _exchange(self, apdu: bytes) -> list[Event]:
        """Send one APDU; feed answers (and the association's own follow-ups) until it yields events."""
        self.connection.send(self.client_wport, self.server_wport, apdu)
        while True:
            try:
                async with asyncio.timeout(self.timeout):  # no task per wait, unlike wait_for
                    answer = await self._queue.get()
            except TimeoutError as exc:
                raise HesError("timeout", f"no answer within {self.timeout} s") from exc
            if answer is None:
                if self.connection.error is not None:
                    self.bad_frames += 1
                    raise HesError("protocol", self.connection.error)
                raise HesError("closed", "connection closed by the meter")
            try:
                events = self.client.receive(answer)
            except SecurityError as exc:
                self.bad_frames += 1
                raise HesError("security", str(exc)) from exc
            except DlmsError as exc:
                self.bad_frames += 1
                raise HesError("protocol", str(exc)) from exc
            for follow_up in self.client.take_outgoing():
                self.connection.send(self.client_wport, self.server_wport, follow_up)
            if events:
                return events

    async def associate(self) -> Associated:
        events = await self._exchange(self.client.associate())
        ev = events[0]
        if isinstance(ev, Associated):
            return ev
        if isinstance(ev, AssociationRejected):
            raise HesError("rejected", f"association refused: {ev.reason} (diagnostic {ev.diagnostic})")
        raise HesError("protocol", f"unexpected answer to AARQ: {ev}")

    async def _one(self, apdu: bytes) -> Event:
        ev = (await self._exchange(apdu))[0]
        if isinstance(ev, ExceptionReceived):
            raise HesError("rejected", f"meter refused the request: {ev.apdu}")
        return ev

    async def get(self, attribute: A.AttributeRef, access: A.AccessSelection | None = None) -> Any:
        """Read one attribute; a DataAccessResult from the meter raises HesError(kind='access')."""
        ev = await self._one(self.client.get(attribute, access))
        if not isinstance(ev, GetCompleted):
            raise HesError("protocol", f"unexpected answer to get: {ev}")
        if isinstance(ev.result, A.DataAccessResult):
            raise HesError("access", f"{attribute}: {ev.result.name}")
        return ev.result

    async def get_list(self, items: Sequence[tuple[A.AttributeRef, A.AccessSelection | None]]) -> tuple[Any, ...]:
        """Read several attributes in one request; errors stay in the tuple as DataAccessResult."""
        ev = await self._one(self.client.get_with_list(list(items)))
        if not isinstance(ev, GetListCompleted):
            raise HesError("protocol", f"unexpected answer to get-with-list: {ev}")
        return ev.results

    async def set(self, attribute: A.AttributeRef, value: Any) -> A.DataAccessResult:
        ev = await self._one(self.client.set(attribute, value))
        if not isinstance(ev, SetCompleted) or isinstance(ev.result, tuple):
            raise HesError("protocol", f"unexpected answer to set: {ev}")
        return ev.result

    async def action(self, method: A.MethodRef, parameters: Any = A.NO_DATA) -> tuple[A.ActionResult, Any]:
        ev = await self._one(self.client.action(method, parameters))
        if not isinstance(ev, ActionCompleted):
            raise HesError("protocol", f"unexpected answer to action: {ev}")
        return ev.result, ev.return_data

    async def release(self) -> None:
        """Release the association (best effort: a meter that does not answer is simply left)."""
        try:
            ev = (await self._exchange(self.client.release()))[0]
            if not isinstance(ev, Released):
                log.info("unexpected answer to RLRQ: %s", ev)
        except HesError:
            pass
        finally:
            self.connection.unregister(self.client_wport, self.server_wport)
