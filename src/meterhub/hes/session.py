"""Head-end DLMS sessions over TCP: the asyncio driver of the sans-io client association.

A :class:`WrapperConnection` is one TCP connection to a meter or a data concentrator (the read loop and framing
are :mod:`meterhub.transport`'s); it demultiplexes the wrapper frames by server wPort, so many meters behind one
concentrator are read over one connection.
A :class:`MeterSession` is one association with one meter: ``associate()``, ``get()``, ``get_list()``,
``set()``, ``action()``, ``release()``. Every wait has a timeout; every failure — timeout, refused
association, a frame the stack cannot decode, a tag that does not verify — surfaces as :class:`HesError` with
a ``kind`` the scheduler counts and retries on. Nothing a meter sends can crash the head-end.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from meterhub import transport
from meterhub.cosem import AttributeDescriptor
from meterhub.dlms import apdu as A
from meterhub.dlms.association import (
    Action,
    ActionCompleted,
    Associate,
    Associated,
    AssociationRejected,
    ClientAssociation,
    Event,
    ExceptionReceived,
    Get,
    GetCompleted,
    GetListCompleted,
    GetWithList,
    Release,
    Released,
    Set,
    SetCompleted,
    State,
)
from meterhub.dlms.errors import DlmsError, SecurityError
from meterhub.dlms.sansio import NEED_DATA
from meterhub.dlms.wrapper import WrapperFrame

log = logging.getLogger(__name__)


def attribute_ref(descriptor: AttributeDescriptor) -> A.AttributeRef:
    """The Cosem-Attribute-Descriptor of a get or set for a COSEM attribute (class, OBIS, attribute from cosem)."""
    return A.AttributeRef(descriptor.class_id, descriptor.obis.to_bytes(), descriptor.attribute_id)


class HesError(Exception):
    """A meter read failed. ``kind``: timeout, connect, rejected, security, protocol, closed, access."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind


class WrapperConnection:
    """One TCP connection carrying wrapper frames for any number of associations (keyed by server wPort).

    The read loop, the framing and the connect timeout are :class:`meterhub.transport.WrapperConnection`'s;
    this class routes each received frame to the queue of the association it belongs to, and wakes every
    waiting association with ``None`` when the connection ends.
    """

    def __init__(self, connection: transport.WrapperConnection) -> None:
        self._connection = connection
        self._queues: dict[tuple[int, int], asyncio.Queue[bytes | None]] = {}
        self.bad_frames = 0
        self._task = asyncio.create_task(self._run())

    @classmethod
    async def open(cls, host: str, port: int, timeout: float = 5.0) -> WrapperConnection:
        try:
            connection = await transport.WrapperConnection.open(host, port, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise HesError("connect", f"{host}:{port}: {exc}") from exc
        return cls(connection)

    @property
    def closed(self) -> bool:
        return self._connection.closed

    @property
    def error(self) -> str | None:
        """Why the stream was abandoned (a frame the stack could not decode), or None."""
        error = self._connection.error
        return None if error is None else f"bad wrapper stream: {error}"

    def register(self, client_wport: int, server_wport: int) -> asyncio.Queue[bytes | None]:
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._queues[(server_wport, client_wport)] = queue
        return queue

    def unregister(self, client_wport: int, server_wport: int) -> None:
        self._queues.pop((server_wport, client_wport), None)

    def send(self, client_wport: int, server_wport: int, apdu: bytes) -> None:
        try:
            self._connection.send(client_wport, server_wport, apdu)
        except transport.TransportClosed as exc:
            raise HesError("closed", "connection closed") from exc

    def _route(self, frame: WrapperFrame) -> None:
        queue = self._queues.get((frame.source, frame.destination))
        if queue is None:
            self.bad_frames += 1
            log.info("frame for no association (wPort %d → %d) ignored", frame.source, frame.destination)
        else:
            queue.put_nowait(frame.apdu)

    async def _run(self) -> None:
        try:
            await self._connection.run(self._route)
        finally:
            if self._connection.error is not None:
                self.bad_frames += 1
                log.warning("bad wrapper stream from meter, closing: %s", self._connection.error)
            for queue in self._queues.values():
                queue.put_nowait(None)

    async def close(self) -> None:
        self._task.cancel()
        await self._connection.close()


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
        client = self.client
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
            client.receive_data(answer)
            events: list[Event] = []
            try:
                while (event := client.next_event()) is not NEED_DATA:
                    events.append(event)
            except SecurityError as exc:
                self.bad_frames += 1
                raise HesError("security", str(exc)) from exc
            except DlmsError as exc:
                self.bad_frames += 1
                raise HesError("protocol", str(exc)) from exc
            for follow_up in client.data_to_send():
                self.connection.send(self.client_wport, self.server_wport, follow_up)
            if events:
                return events

    async def associate(self) -> Associated:
        events = await self._exchange(self.client.send(Associate()))
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
        ev = await self._one(self.client.send(Get(attribute, access)))
        if not isinstance(ev, GetCompleted):
            raise HesError("protocol", f"unexpected answer to get: {ev}")
        if isinstance(ev.result, A.DataAccessResult):
            raise HesError("access", f"{attribute}: {ev.result.name}")
        return ev.result

    async def get_list(self, items: Sequence[tuple[A.AttributeRef, A.AccessSelection | None]]) -> tuple[Any, ...]:
        """Read several attributes in one request; errors stay in the tuple as DataAccessResult."""
        ev = await self._one(self.client.send(GetWithList(tuple(items))))
        if not isinstance(ev, GetListCompleted):
            raise HesError("protocol", f"unexpected answer to get-with-list: {ev}")
        return ev.results

    async def set(self, attribute: A.AttributeRef, value: Any) -> A.DataAccessResult:
        ev = await self._one(self.client.send(Set(attribute, value)))
        if not isinstance(ev, SetCompleted) or isinstance(ev.result, tuple):
            raise HesError("protocol", f"unexpected answer to set: {ev}")
        return ev.result

    async def action(self, method: A.MethodRef, parameters: Any = A.NO_DATA) -> tuple[A.ActionResult, Any]:
        ev = await self._one(self.client.send(Action(method, parameters)))
        if not isinstance(ev, ActionCompleted):
            raise HesError("protocol", f"unexpected answer to action: {ev}")
        return ev.result, ev.return_data

    async def release(self) -> None:
        """Release the association (best effort: a meter that does not answer is simply left).

        Only an open association is released: after a refused association, or one the meter broke
        (:attr:`State.ERROR`), there is nothing to release and nothing is sent.
        """
        try:
            if self.client.state is not State.ASSOCIATED:
                return
            ev = (await self._exchange(self.client.send(Release())))[0]
            if not isinstance(ev, Released):
                log.info("unexpected answer to RLRQ: %s", ev)
        except HesError:
            pass
        finally:
            self.connection.unregister(self.client_wport, self.server_wport)
