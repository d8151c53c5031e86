"""The one read loop: feed a sans-io core from an asynchronous byte source and hand over its events, in order.

Every protocol core of meterhub (the DLMS wrapper, HDLC links, the P1 receiver; :mod:`meterhub.dlms.sansio`)
takes bytes with ``receive_data`` and gives events from ``next_event`` until a NEED_DATA sentinel.
:func:`drive` is the loop around that shape, the one place where asyncio meets a core on the way in — as
aioquic's ``asyncio/protocol.py`` drives the sans-io ``quic/connection.py``: each chunk goes to the core, each
event to the handler (awaited when it returns an awaitable, so a handler may do slow work without a second
event overtaking the first), and at the end of the source the core hears ``receive_data(b"")`` and hands over
what that completes (a P1 frame cut by the end of a file is reported as truncated).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable
from typing import Any, Protocol

__all__ = ["EventHandler", "SansIoReceiver", "drive"]


class SansIoReceiver(Protocol):
    """What :func:`drive` needs of a core: bytes in, events out (``next_event`` returns a sentinel when dry)."""

    def receive_data(self, data: bytes, /) -> None: ...

    def next_event(self) -> Any: ...


#: Takes one event; returns None, or an awaitable that :func:`drive` awaits before the next event.
EventHandler = Callable[[Any], Awaitable[None] | None]


async def drive(chunks: AsyncIterable[bytes], core: SansIoReceiver, on_event: EventHandler, need_data: object) -> None:
    """Feed ``chunks`` to ``core`` until they end, handing every event to ``on_event``; then end the stream.

    ``need_data`` is the core's NEED_DATA sentinel (the DLMS stack's or the P1 core's). What the core, the
    source or the handler raises propagates: the caller decides what ends a connection.
    """
    async for chunk in chunks:
        core.receive_data(chunk)
        while (event := core.next_event()) is not need_data:
            pending = on_event(event)
            if pending is not None:
                await pending
    core.receive_data(b"")
    while (event := core.next_event()) is not need_data:
        pending = on_event(event)
        if pending is not None:
            await pending
