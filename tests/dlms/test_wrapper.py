"""IEC 62056-47 wrapper: the reference vectors' wrapper frames, chunking, limits and errors."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meterhub.dlms.errors import DecodeError, EncodeError, LocalProtocolError
from meterhub.dlms.wrapper import (
    MAX_WRAPPER_APDU,
    WRAPPER_HEADER_LENGTH,
    WrapperFrame,
    WrapperStream,
    decode_wrapper,
    encode_wrapper,
)
from tests.conftest import hx, load_vector
from tests.sansio import drain, feed

VECTOR_NAMES = [
    "get_clock_public",
    "get_clock_glo_ciphered",
    "get_register_scaler_unit",
    "get_profile_by_range",
    "hls_gmac_association",
]


def _vector_frames() -> list[tuple[str, bytes]]:
    out = []
    for name in VECTOR_NAMES:
        for key, value in load_vector(name)["expected"].items():
            if key.endswith(("wrapper_frame", "wrapper_frame_example")):
                out.append((f"{name}:{key}", hx(value)))
    return out


VECTOR_FRAMES = _vector_frames()


def test_vectors_found() -> None:
    assert len(VECTOR_FRAMES) >= 15


@pytest.mark.parametrize(("name", "wire"), VECTOR_FRAMES, ids=[n for n, _ in VECTOR_FRAMES])
def test_vector_frames_round_trip(name: str, wire: bytes) -> None:
    frame = decode_wrapper(wire)
    assert frame.source in (1, 16) and frame.destination in (1, 16)
    assert len(frame.apdu) == int.from_bytes(wire[6:8], "big")
    assert encode_wrapper(frame.source, frame.destination, frame.apdu) == wire
    assert frame.encode() == wire
    decoder = WrapperStream()
    assert feed(decoder, wire) == [frame]
    assert decoder.buffered == 0


def test_public_client_ports() -> None:
    vector = load_vector("get_clock_public")
    aarq = decode_wrapper(hx(vector["expected"]["aarq_wrapper_frame"]))
    assert (aarq.source, aarq.destination) == (16, 1)
    aare = decode_wrapper(hx(vector["expected"]["aare_wrapper_frame_example"]))
    assert (aare.source, aare.destination) == (1, 16)


def test_encode_header_layout() -> None:
    assert encode_wrapper(0x0010, 0x0001, b"\x62\x00") == bytes.fromhex("0001001000010002" + "6200")


def test_whole_stream_byte_by_byte() -> None:
    stream = b"".join(wire for _, wire in VECTOR_FRAMES)
    decoder = WrapperStream()
    frames: list[WrapperFrame] = []
    for i in range(len(stream)):
        frames += feed(decoder, stream[i : i + 1])
    assert [f.encode() for f in frames] == [wire for _, wire in VECTOR_FRAMES]
    assert decoder.buffered == 0


@given(
    frames=st.lists(
        st.tuples(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.binary(min_size=1, max_size=300)).map(
            lambda t: WrapperFrame(*t)
        ),
        max_size=8,
    ),
    cuts=st.lists(st.integers(0, 4000), max_size=20),
)
def test_round_trip_any_chunking(frames: list[WrapperFrame], cuts: list[int]) -> None:
    stream = b"".join(f.encode() for f in frames)
    points = sorted({c for c in cuts if c < len(stream)} | {0, len(stream)})
    decoder = WrapperStream()
    got: list[WrapperFrame] = []
    for a, b in itertools.pairwise(points):
        got += feed(decoder, stream[a:b])
    assert got == frames
    assert decoder.buffered == 0


@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.binary(min_size=1, max_size=500))
def test_decode_wrapper_round_trip(source: int, destination: int, apdu: bytes) -> None:
    assert decode_wrapper(encode_wrapper(source, destination, apdu)) == WrapperFrame(source, destination, apdu)


def test_partial_header_and_body_wait() -> None:
    wire = encode_wrapper(16, 1, b"\xc0\x01\xc1")
    decoder = WrapperStream()
    assert feed(decoder, wire[:5]) == []
    assert decoder.buffered == 5
    assert feed(decoder, wire[5:9]) == []
    assert feed(decoder, wire[9:]) == [WrapperFrame(16, 1, b"\xc0\x01\xc1")]


def test_wrong_version_raises_and_poisons() -> None:
    decoder = WrapperStream()
    with pytest.raises(DecodeError, match="version"):
        feed(decoder, bytes.fromhex("0002001000010001c0"))
    assert decoder.failed
    with pytest.raises(DecodeError, match="already failed"):
        feed(decoder, encode_wrapper(16, 1, b"\x00"))


def test_version_checked_before_body_arrives() -> None:
    decoder = WrapperStream()
    with pytest.raises(DecodeError):
        feed(decoder, bytes.fromhex("0000001000010400"))


def test_max_apdu_rejected_before_buffering() -> None:
    decoder = WrapperStream(max_apdu=100)
    assert feed(decoder, encode_wrapper(16, 1, bytes(100))) == [WrapperFrame(16, 1, bytes(100))]
    with pytest.raises(DecodeError, match="exceeds"):
        feed(decoder, encode_wrapper(16, 1, bytes(101))[:WRAPPER_HEADER_LENGTH])
    assert decoder.buffered == 0


def test_buffer_never_exceeds_cap() -> None:
    decoder = WrapperStream()
    wire = encode_wrapper(1, 16, bytes(MAX_WRAPPER_APDU))
    assert feed(decoder, wire[:-1]) == []
    assert decoder.buffered <= WRAPPER_HEADER_LENGTH + MAX_WRAPPER_APDU
    assert feed(decoder, wire[-1:]) == [WrapperFrame(1, 16, bytes(MAX_WRAPPER_APDU))]


def test_zero_length_rejected() -> None:
    with pytest.raises(DecodeError):
        feed(WrapperStream(), bytes.fromhex("0001001000010000"))
    with pytest.raises(EncodeError):
        encode_wrapper(16, 1, b"")


@pytest.mark.parametrize(
    "wire",
    [b"", b"\x00\x01", bytes.fromhex("0001001000010002c0"), bytes.fromhex("0001001000010001c0c1")],
)
def test_decode_wrapper_exact_length(wire: bytes) -> None:
    with pytest.raises(DecodeError):
        decode_wrapper(wire)


@pytest.mark.parametrize(("source", "destination", "size"), [(-1, 1, 1), (1, 0x10000, 1), (1, 1, 0x10000)])
def test_encode_limits(source: int, destination: int, size: int) -> None:
    with pytest.raises(EncodeError):
        encode_wrapper(source, destination, bytes(size))


@pytest.mark.parametrize("max_apdu", [0, MAX_WRAPPER_APDU + 1])
def test_bad_max_apdu(max_apdu: int) -> None:
    with pytest.raises(EncodeError):
        WrapperStream(max_apdu)


def test_frames_before_a_bad_header_are_delivered() -> None:
    stream = WrapperStream()
    stream.receive_data(encode_wrapper(16, 1, b"\xc0") + bytes.fromhex("0002001000010001c0"))
    assert stream.next_event() == WrapperFrame(16, 1, b"\xc0")
    with pytest.raises(DecodeError, match="version"):
        stream.next_event()
    assert stream.failed and stream.buffered == 0
    stream.receive_data(encode_wrapper(16, 1, b"\xc0"))  # a failed stream reads nothing more
    assert stream.buffered == 0


def test_end_of_stream() -> None:
    stream = WrapperStream()
    wire = encode_wrapper(16, 1, b"\xc0\x01")
    assert feed(stream, wire + wire[:5]) == [WrapperFrame(16, 1, b"\xc0\x01")]
    stream.receive_data(b"")
    assert drain(stream) == []  # the cut frame is dropped
    assert stream.ended
    with pytest.raises(LocalProtocolError):
        stream.receive_data(wire)


def test_send_is_the_frame_on_the_wire() -> None:
    frame = WrapperFrame(1, 16, b"\xc4\x01")
    assert WrapperStream().send(frame) == encode_wrapper(1, 16, b"\xc4\x01") == frame.encode()
