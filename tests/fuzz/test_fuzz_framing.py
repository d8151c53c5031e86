"""Fuzz the framing layers: wrapper, HDLC frame decoder, HDLC parameters, and both HDLC link ends.

Random and mutated inputs (bit flips, truncation, insertion, deletion, splicing, length-field tampering,
frames re-checksummed after mutation so they reach the link logic) built from the reference vectors' frames.
The only exceptions allowed are :class:`DlmsError` subclasses. No input may hang: each runs under a CPU-time
alarm of :data:`HANG_GUARD_CPU_S` — a generous guard against an endless loop, not a speed claim (how fast
the framing is belongs to ``benchmarks/``), with pytest-timeout bounding each test. A fixed seed keeps runs
reproducible; hypothesis adds a modest number of shrinkable examples on top.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import random
import signal
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meterhub.dlms.errors import DlmsError
from meterhub.dlms.hdlc import (
    LLC_REQUEST,
    Connect,
    FrameKind,
    HdlcAddress,
    HdlcClientLink,
    HdlcFrame,
    HdlcFrameDecoder,
    HdlcParameters,
    HdlcServerLink,
    SendApdu,
    crc16_x25,
    decode_frame,
    encode_frame,
)
from meterhub.dlms.wrapper import WRAPPER_HEADER_LENGTH, WrapperStream, decode_wrapper
from tests.conftest import hx, load_vector
from tests.sansio import feed

SEED = 62056
#: CPU seconds one input may take before it counts as a hang (inputs take well under a millisecond).
HANG_GUARD_CPU_S = 5.0
#: Each fuzz test as a whole (pytest-timeout, wall clock): the outer hang guard.
TEST_TIMEOUT_S = 300
CLIENT = HdlcAddress.client(16)
SERVER = HdlcAddress.server(1, 17)


def _session() -> list[tuple[str, bytes]]:
    return [(who, hx(h)) for who, _, h in load_vector("hdlc_public_session")["expected"]["steps"]]


SESSION = _session()
SNRM_UA = load_vector("hdlc_snrm_ua")["expected"]
HDLC_SEEDS = [w for _, w in SESSION] + [hx(SNRM_UA["snrm_frame"]), hx(SNRM_UA["ua_frame_example"])]
CLIENT_FRAMES = [w for who, w in SESSION if who == "client"] + [hx(SNRM_UA["snrm_frame"])]
SERVER_FRAMES = [w for who, w in SESSION if who == "server"] + [hx(SNRM_UA["ua_frame_example"])]
PARAM_SEEDS = [decode_frame(w).info for w in HDLC_SEEDS if decode_frame(w).kind in (FrameKind.SNRM, FrameKind.UA)]
PARAM_SEEDS += [HdlcParameters(2030, 1, 7, 7).encode(), HdlcParameters(0x10000, 5).encode(omit_defaults=True)]
WRAPPER_SEEDS = [
    hx(value)
    for name in ("get_clock_public", "get_clock_glo_ciphered", "hls_gmac_association", "get_profile_by_range")
    for key, value in load_vector(name)["expected"].items()
    if "wrapper_frame" in key
]


# ----------------------------------------------------------------------------------------------- mutators


def _flip(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if out:
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def _truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def _insert(rng: random.Random, data: bytes) -> bytes:
    at = rng.randrange(len(data) + 1)
    junk = rng.choice([b"\x7e", b"\x7e\x7e", b"\x00", b"\xff", rng.randbytes(rng.randint(1, 16))])
    return data[:at] + junk + data[at:]


def _delete(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return data
    at = rng.randrange(len(data))
    return data[:at] + data[at + rng.randint(1, 8) :]


def _splice(rng: random.Random, data: bytes, pool: list[bytes]) -> bytes:
    other = rng.choice(pool)
    return data[: rng.randrange(len(data) + 1)] + other[rng.randrange(len(other) + 1) :]


def _set_byte(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return data
    out = bytearray(data)
    out[rng.randrange(min(len(out), 12))] = rng.choice([0x00, 0x7E, 0xA0, 0xA8, 0xAF, 0xFF, rng.randrange(256)])
    return bytes(out)


def mutate(rng: random.Random, data: bytes, pool: list[bytes]) -> bytes:
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(7)
        if op == 0:
            data = _flip(rng, data)
        elif op == 1:
            data = _truncate(rng, data)
        elif op == 2:
            data = _insert(rng, data)
        elif op == 3:
            data = _delete(rng, data)
        elif op == 4:
            data = _splice(rng, data, pool)
        elif op == 5:
            data = _set_byte(rng, data)
        else:
            data = rng.randbytes(rng.randint(0, 64))
    return data


def rechecksum(rng: random.Random, wire: bytes) -> bytes:
    """Mutate an HDLC frame's inside, then fix length, HCS and FCS so that it passes the frame checks."""
    body = bytearray(wire[1:-1])
    header_len = _header_len(body)
    if header_len is None:
        return wire
    info = bytes(body[header_len + 2 : -2]) if len(body) > header_len + 2 else b""
    head = bytearray(body[:header_len])
    choice = rng.randrange(5)
    if choice == 0:
        head[-1] = rng.randrange(256)  # control field
    elif choice == 1:
        info = mutate(rng, info, [*PARAM_SEEDS, LLC_REQUEST])
    elif choice == 2:
        head[0] ^= 0x08  # segmentation bit
    elif choice == 3:
        head[-1] = (head[-1] & 0x11) | (rng.randrange(8) << 5) | (rng.randrange(8) << 1)  # N(R), N(S)
    else:
        info = LLC_REQUEST + rng.randbytes(rng.randint(0, 200))
    length = len(head) + 2 + (len(info) + 2 if info else 0)
    if length > 0x7FF:
        return wire
    head[0] = (head[0] & 0xF8) | (length >> 8)
    head[1] = length & 0xFF
    out = bytearray(head)
    if info:
        out += crc16_x25(out).to_bytes(2, "little") + info
    out += crc16_x25(out).to_bytes(2, "little")
    return b"\x7e" + bytes(out) + b"\x7e"


def _header_len(body: bytearray) -> int | None:
    pos = 2
    for _ in range(2):
        for i in range(4):
            if pos + i >= len(body):
                return None
            if body[pos + i] & 1:
                pos += i + 1
                break
        else:
            return None
    return pos + 1 if pos < len(body) else None


def inputs(rng: random.Random, seeds: list[bytes], count: int, hdlc: bool = False) -> Iterator[bytes]:
    for n in range(count):
        seed = rng.choice(seeds)
        kind = n % 5
        if kind == 0:
            yield rng.randbytes(rng.randint(0, 300))
        elif kind == 1 and hdlc:
            yield rechecksum(rng, seed)
        elif kind == 2:
            # several seeds back to back, one of them mutated
            parts = [rng.choice(seeds) for _ in range(rng.randint(1, 4))]
            i = rng.randrange(len(parts))
            parts[i] = mutate(rng, parts[i], seeds)
            yield b"".join(parts)
        else:
            yield mutate(rng, seed, seeds)


class Hang(BaseException):
    """Raised by the CPU-time alarm in an input that does not return."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise Hang


@contextlib.contextmanager
def hang_guard(cpu_seconds: float = HANG_GUARD_CPU_S) -> Iterator[None]:
    """Turn an endless loop into a failure: a CPU-time alarm (ITIMER_VIRTUAL) around one input, with the garbage
    collector paused so that a gc callback cannot swallow the alarm."""
    previous = signal.signal(signal.SIGVTALRM, _on_alarm)
    enabled = gc.isenabled()
    gc.disable()
    signal.setitimer(signal.ITIMER_VIRTUAL, cpu_seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, previous)
        if enabled:
            gc.enable()


def run(target: Callable[[bytes], object], data: bytes) -> None:
    """Run one input under the hang guard; only DlmsError may escape."""
    try:
        with hang_guard(), contextlib.suppress(DlmsError):
            target(data)
    except Hang:
        pytest.fail(f"input {data[:60].hex()} did not finish within {HANG_GUARD_CPU_S} CPU seconds")


def chunked(rng: random.Random, data: bytes) -> list[bytes]:
    cuts = sorted(rng.sample(range(len(data) + 1), min(len(data) + 1, rng.randint(0, 4))))
    points = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(points)]


# ------------------------------------------------------------------------------------------------- targets


@pytest.mark.timeout(TEST_TIMEOUT_S)
def test_fuzz_wrapper_decoder() -> None:
    rng = random.Random(SEED)
    count = 0
    for data in inputs(rng, WRAPPER_SEEDS, 5000):
        stream = WrapperStream(max_apdu=rng.choice([0xFFFF, 200, 40]))

        def receive(data: bytes, stream: WrapperStream = stream) -> None:
            for part in chunked(rng, data):
                feed(stream, part)
                assert stream.buffered <= WRAPPER_HEADER_LENGTH + stream.max_apdu

        run(receive, data)
        run(decode_wrapper, data)
        count += 1
    assert count == 5000


@pytest.mark.timeout(TEST_TIMEOUT_S)
def test_fuzz_hdlc_frame_decoder() -> None:
    rng = random.Random(SEED + 1)
    decoded = 0
    for data in inputs(rng, HDLC_SEEDS, 8000, hdlc=True):
        decoder = HdlcFrameDecoder()
        frames: list[HdlcFrame] = []

        def receive(data: bytes, decoder: HdlcFrameDecoder = decoder, frames: list[HdlcFrame] = frames) -> None:
            for part in chunked(rng, data):
                frames.extend(feed(decoder, part))
                assert decoder.buffered <= HdlcFrameDecoder.MAX_BUFFERED

        run(receive, data)
        run(decode_frame, data)
        for frame in frames:  # every frame the decoder accepts re-encodes to itself
            assert decode_frame(encode_frame(frame)) == frame
        decoded += len(frames)
    assert decoded > 500  # the mutations do reach past the checksums


@pytest.mark.timeout(TEST_TIMEOUT_S)
def test_fuzz_hdlc_parameters() -> None:
    rng = random.Random(SEED + 2)
    for data in inputs(rng, PARAM_SEEDS, 4000):

        def decode(data: bytes) -> None:
            params = HdlcParameters.decode(data)
            assert HdlcParameters.decode(params.encode()) == params

        run(decode, data)


def _connected_server(rng: random.Random) -> HdlcServerLink:
    server = HdlcServerLink(SERVER, rng.choice([None, HdlcParameters(256, 1024)]))
    steps = rng.randint(0, 5)
    client_steps = [w for who, w in SESSION if who == "client"]
    for wire in client_steps[: min(steps, 3)]:  # SNRM, AARQ, GET: leaves the server in a realistic state
        _swallow(lambda data: feed(server, data), wire)
        server.data_to_send()
        if server.state.value == "connected" and decode_frame(wire).kind is FrameKind.I:
            server.send(SendApdu(rng.randbytes(rng.randint(1, 300))))
            server.data_to_send()
    return server


@pytest.mark.timeout(TEST_TIMEOUT_S)
def test_fuzz_server_link() -> None:
    rng = random.Random(SEED + 3)
    server = _connected_server(rng)
    for n, data in enumerate(inputs(rng, CLIENT_FRAMES, 8000, hdlc=True)):
        if n % 7 == 0 or server.state.value == "error":  # a failed link accepts nothing: fuzz a live one
            server = _connected_server(rng)

        def receive(data: bytes, server: HdlcServerLink = server) -> None:
            for part in chunked(rng, data):
                feed(server, part)
                server.data_to_send()
                if server.state.value == "connected" and not server.busy and rng.random() < 0.3:
                    server.send(SendApdu(rng.randbytes(rng.randint(1, 400))))

        run(receive, data)


@pytest.mark.timeout(TEST_TIMEOUT_S)
def test_fuzz_client_link() -> None:
    rng = random.Random(SEED + 4)
    for data in inputs(rng, SERVER_FRAMES, 4000, hdlc=True):
        client = HdlcClientLink(CLIENT, SERVER)
        client.send(Connect())
        if rng.random() < 0.7:
            feed(client, SERVER_FRAMES[0])  # the UA: now connected
            client.send(SendApdu(rng.randbytes(rng.randint(1, 300))))

        def receive(data: bytes, client: HdlcClientLink = client) -> None:
            for part in chunked(rng, data):
                feed(client, part)
                client.data_to_send()

        run(receive, data)


# ---------------------------------------------------------------------------------------------- hypothesis

FUZZ_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _swallow(target: Callable[[bytes], object], data: bytes) -> None:
    with contextlib.suppress(DlmsError):
        target(data)


@FUZZ_SETTINGS
@given(st.one_of(st.binary(max_size=200), st.sampled_from(WRAPPER_SEEDS).flatmap(lambda s: st.just(s[:-1]))))
def test_hypothesis_wrapper(data: bytes) -> None:
    _swallow(lambda d: feed(WrapperStream(), d), data)
    _swallow(decode_wrapper, data)


@FUZZ_SETTINGS
@given(st.sampled_from(HDLC_SEEDS), st.binary(max_size=40), st.integers(0, 200), st.integers(0, 7))
def test_hypothesis_hdlc(seed: bytes, junk: bytes, at: int, bit: int) -> None:
    data = bytearray(seed[:at] + junk + seed[at:])
    if data:
        data[at % len(data)] ^= 1 << bit
    _swallow(lambda d: feed(HdlcFrameDecoder(), d), bytes(data))
    _swallow(decode_frame, bytes(data))
    server = HdlcServerLink(SERVER)
    feed(server, CLIENT_FRAMES[0])
    _swallow(lambda d: feed(server, d), bytes(data))
    _swallow(HdlcParameters.decode, bytes(data))


@FUZZ_SETTINGS
@given(
    st.lists(
        st.builds(
            HdlcFrame,
            destination=st.sampled_from([SERVER, HdlcAddress.server(1, 18), HdlcAddress.server(1)]),
            source=st.sampled_from([CLIENT, HdlcAddress.client(1)]),
            kind=st.sampled_from(list(FrameKind)),
            poll_final=st.booleans(),
            segmented=st.booleans(),
        ),
        max_size=8,
    ),
    st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7), st.binary(max_size=150)), max_size=8),
)
def test_hypothesis_server_frame_sequences(frames: list[HdlcFrame], extras: list[tuple[int, int, bytes]]) -> None:
    """Sequences of well-formed frames in any order: the server state machine raises only DlmsError."""
    server = HdlcServerLink(SERVER)
    sequence = [HdlcFrame(SERVER, CLIENT, FrameKind.SNRM)]
    for frame, (ns, nr, info) in zip(frames, extras + [(0, 0, b"")] * len(frames), strict=False):
        kind = frame.kind
        sequence.append(
            HdlcFrame(
                frame.destination,
                frame.source,
                kind,
                send_seq=ns if kind is FrameKind.I else 0,
                recv_seq=nr if kind in (FrameKind.I, FrameKind.RR, FrameKind.RNR) else 0,
                poll_final=frame.poll_final,
                segmented=frame.segmented,
                info=b"" if kind in (FrameKind.RR, FrameKind.RNR, FrameKind.DISC) else LLC_REQUEST + info,
            )
        )
    for frame in sequence:
        _swallow(lambda d: feed(server, d), encode_frame(frame))
        server.data_to_send()
        if server.state.value == "connected" and not server.busy:
            _swallow(lambda apdu: server.send(SendApdu(apdu)), b"\xc4\x01")


@pytest.mark.parametrize("size", [0, 1, 2048, 70_000])
def test_big_garbage_is_consumed(size: int) -> None:
    """Large garbage with many false frame starts is consumed (and nothing of it held) without hanging."""
    rng = random.Random(size)
    data = rng.randbytes(size) + b"\x7e\xa7\xff" * (size // 3)
    decoder = HdlcFrameDecoder()
    server = HdlcServerLink(SERVER)
    with hang_guard():
        _swallow(lambda d: feed(decoder, d), data)
        _swallow(lambda d: feed(WrapperStream(), d), data)
        _swallow(lambda d: feed(server, d), data)
    assert decoder.buffered <= HdlcFrameDecoder.MAX_BUFFERED
