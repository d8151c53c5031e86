"""The asyncio adapter: :func:`drive` around any sans-io core, and wrapper connections over loopback TCP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from meterhub.dlms.errors import DecodeError
from meterhub.dlms.wrapper import WrapperFrame, encode_wrapper
from meterhub.p1.frame import NEED_DATA as P1_NEED_DATA
from meterhub.p1.receiver import FrameRejected, P1Receiver, Reading
from meterhub.transport import TransportClosed, WrapperConnection, drive, serve_wrapper
from tests.p1.conftest import KEY, frame


class Splitter:
    """A toy sans-io core: one event per received byte, and "end" when the stream ends."""

    NEED = object()

    def __init__(self) -> None:
        self.pending: list[str] = []
        self.calls: list[bytes] = []

    def receive_data(self, data: bytes) -> None:
        self.calls.append(data)
        self.pending += [chr(b) for b in data] if data else ["end"]

    def next_event(self) -> object:
        return self.pending.pop(0) if self.pending else self.NEED


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def test_drive_hands_over_every_event_in_order_and_ends_the_stream() -> None:
    core, seen = Splitter(), []

    async def slow(event: object) -> None:  # an awaitable handler is awaited before the next event
        await asyncio.sleep(0)
        seen.append(event)

    def quick(event: object) -> None:
        seen.append(event)

    asyncio.run(drive(_chunks(b"ab", b"c"), core, slow, Splitter.NEED))
    assert seen == ["a", "b", "c", "end"] and core.calls == [b"ab", b"c", b""]
    seen.clear()
    asyncio.run(drive(_chunks(b"xy"), Splitter(), quick, Splitter.NEED))
    assert seen == ["x", "y", "end"]


def test_drive_runs_the_p1_receiver_to_the_end_of_its_source() -> None:
    receiver, events = P1Receiver(KEY), []
    asyncio.run(drive(_chunks(frame(0), frame(1)[:40]), receiver, events.append, P1_NEED_DATA))
    assert isinstance(events[0], Reading)
    assert isinstance(events[-1], FrameRejected) and events[-1].reason == "truncated"  # cut by the end


def test_drive_lets_errors_through() -> None:
    class Broken(Splitter):
        def next_event(self) -> object:
            raise DecodeError("bad")

    with pytest.raises(DecodeError):
        asyncio.run(drive(_chunks(b"a"), Broken(), lambda _: None, Splitter.NEED))


async def _echo_server(
    received: list[WrapperFrame], idle_timeout: float | None = None
) -> tuple[asyncio.Server, int, list[WrapperConnection]]:
    connections: list[WrapperConnection] = []

    async def serve(connection: WrapperConnection) -> None:
        connections.append(connection)

        async def echo(frame: WrapperFrame) -> None:
            received.append(frame)
            connection.send(frame.destination, frame.source, frame.apdu[::-1])
            await connection.drain()

        await connection.run(echo)

    server = await serve_wrapper(serve, "127.0.0.1", 0, idle_timeout=idle_timeout)
    return server, int(server.sockets[0].getsockname()[1]), connections


def test_frames_go_both_ways_and_a_bad_stream_ends_the_connection() -> None:
    async def scenario() -> tuple[list[WrapperFrame], list[WrapperFrame], WrapperConnection]:
        received: list[WrapperFrame] = []
        server, port, connections = await _echo_server(received)
        client = await WrapperConnection.open("127.0.0.1", port, timeout=5)
        answers: list[WrapperFrame] = []
        reading = asyncio.create_task(client.run(answers.append))
        client.send(16, 1, b"\xc0\x01")
        client.send(1, 1, b"\xc0\x02\x03")
        while len(answers) < 2:
            await asyncio.sleep(0.01)
        client._writer.write(b"\x00\x02\x00\x10\x00\x01\x00\x01\xc0")  # wrong wrapper version
        for _ in range(200):
            if connections and connections[0].closed:
                break
            await asyncio.sleep(0.01)
        await asyncio.wait_for(reading, 5)  # the server closed: the client's loop ends too
        server.close()
        await server.wait_closed()
        return received, answers, connections[0]

    received, answers, accepted = asyncio.run(scenario())
    assert received == [WrapperFrame(16, 1, b"\xc0\x01"), WrapperFrame(1, 1, b"\xc0\x02\x03")]
    assert answers == [WrapperFrame(1, 16, b"\x01\xc0"), WrapperFrame(1, 1, b"\x03\x02\xc0")]
    assert isinstance(accepted.error, DecodeError) and accepted.closed and not accepted.timed_out


def test_idle_timeout_and_sending_on_a_closed_connection() -> None:
    async def scenario() -> WrapperConnection:
        server, port, connections = await _echo_server([], idle_timeout=0.05)
        client = await WrapperConnection.open("127.0.0.1", port, timeout=5)
        for _ in range(200):
            if connections and connections[0].closed:
                break
            await asyncio.sleep(0.01)
        await client.close()
        with pytest.raises(TransportClosed):
            client.send(1, 1, b"\xc0")
        server.close()
        await server.wait_closed()
        return connections[0]

    accepted = asyncio.run(scenario())
    assert accepted.timed_out and accepted.closed and accepted.error is None


def test_connect_refused_and_timeout_are_os_errors() -> None:
    async def scenario() -> None:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = int(server.sockets[0].getsockname()[1])
        server.close()
        await server.wait_closed()
        with pytest.raises(OSError):
            await WrapperConnection.open("127.0.0.1", port, timeout=5)

    asyncio.run(scenario())


def test_the_wrapper_frames_on_the_wire_are_the_encoders() -> None:
    async def scenario() -> bytes:
        got = bytearray()

        async def raw(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            got.extend(await reader.readexactly(len(encode_wrapper(1, 102, b"\x0f\x00"))))
            writer.close()

        server = await asyncio.start_server(raw, "127.0.0.1", 0)
        port = int(server.sockets[0].getsockname()[1])
        client = await WrapperConnection.open("127.0.0.1", port, timeout=5)
        client.send(1, 102, b"\x0f\x00")
        await client.drain()
        await client.run(lambda _: None)  # until the server closes
        server.close()
        await server.wait_closed()
        return bytes(got)

    assert asyncio.run(scenario()) == encode_wrapper(1, 102, b"\x0f\x00")
