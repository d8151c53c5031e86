"""The IEC 62056-46 HDLC stream decoder (:class:`HdlcFrameDecoder`): the reference session's frames come out of the
byte stream in one piece, byte by byte, with shared flags and in any chunking; it resynchronises after garbage and
damaged frames (counting the bytes it discards and the frames it rejects) and caps what it buffers.
"""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from meterhub.dlms.errors import DecodeError
from meterhub.dlms.hdlc import HdlcFrame, HdlcFrameDecoder, crc16_x25, decode_frame, encode_frame
from tests.dlms.hdlc_cases import frames, session_steps
from tests.sansio import feed


def test_public_session_stream_in_one_piece_and_bytewise() -> None:
    steps = session_steps()
    stream = b"".join(w for _, _, w in steps)
    expected = [decode_frame(w) for _, _, w in steps]
    assert feed(HdlcFrameDecoder(), stream) == expected
    decoder = HdlcFrameDecoder()
    got: list[HdlcFrame] = []
    for i in range(len(stream)):
        got += feed(decoder, stream[i : i + 1])
    assert got == expected
    assert decoder.discarded_bytes == 0 and decoder.rejected_frames == 0
    # shared flags: closing flag of one frame opens the next
    shared = b"\x7e" + b"\x7e".join(w[1:-1] for _, _, w in steps) + b"\x7e"
    assert feed(HdlcFrameDecoder(), shared) == expected


@settings(max_examples=60)
@given(st.lists(frames(), max_size=6), st.lists(st.integers(0, 3000), max_size=25))
def test_stream_any_chunking(frame_list: list[HdlcFrame], cuts: list[int]) -> None:
    stream = b"".join(encode_frame(f) for f in frame_list)
    points = sorted({c for c in cuts if c < len(stream)} | {0, len(stream)})
    decoder = HdlcFrameDecoder()
    got: list[HdlcFrame] = []
    for a, b in itertools.pairwise(points):
        got += feed(decoder, stream[a:b])
    assert got == frame_list
    assert decoder.discarded_bytes == 0 and decoder.rejected_frames == 0


@settings(max_examples=60)
@given(
    st.lists(st.tuples(st.binary(max_size=40), frames(max_info=60)), min_size=1, max_size=5),
    st.integers(1, 50),
)
def test_resync_after_garbage(parts: list[tuple[bytes, HdlcFrame]], chunk: int) -> None:
    # garbage without flags before every frame: each frame still comes out, every garbage byte is counted
    stream = b"".join(g.replace(b"\x7e", b"") + encode_frame(f) for g, f in parts)
    garbage = sum(len(g.replace(b"\x7e", b"")) for g, _ in parts)
    decoder = HdlcFrameDecoder()
    got: list[HdlcFrame] = []
    for i in range(0, len(stream), chunk):
        got += feed(decoder, stream[i : i + chunk])
    assert got == [f for _, f in parts]
    assert decoder.discarded_bytes == garbage


def test_resync_after_damaged_frames() -> None:
    steps = session_steps()
    good = [w for _, _, w in steps]
    bad_fcs = bytearray(good[2])
    bad_fcs[-2] ^= 0x01
    bad_hcs = bytearray(good[6])
    bad_hcs[8] ^= 0x40
    truncated = good[3][:20]  # its length field points past the next frame's start
    stream = (
        b"\x00\x7e\x7e\x7e"
        + good[0]
        + bytes(bad_fcs)
        + good[1]
        + b"\x7e\xa0"  # a false start: flag, format byte, then another frame
        + bytes(bad_hcs)
        + truncated
        + good[4]
        + b"garbage"
        + good[5]
    )
    decoder = HdlcFrameDecoder()
    got = feed(decoder, stream)
    assert got == [decode_frame(good[i]) for i in (0, 1, 4, 5)]
    assert decoder.rejected_frames >= 4
    assert decoder.discarded_bytes >= len(bad_fcs) + len(bad_hcs) + len(truncated) + len(b"garbage")
    assert isinstance(decoder.last_error, DecodeError)


def test_decoder_buffer_is_capped() -> None:
    decoder = HdlcFrameDecoder()
    # a header claiming the maximal length (with a valid HCS) then endless bytes without a closing flag
    header = bytes.fromhex("A7FF02232110")
    head = b"\x7e" + header + crc16_x25(header).to_bytes(2, "little")
    feed(decoder, head)
    for _ in range(20):
        feed(decoder, b"\x01" * 1000)
        assert decoder.buffered <= HdlcFrameDecoder.MAX_BUFFERED
    assert decoder.rejected_frames == 1
    assert feed(decoder, session_steps()[0][2]) == [decode_frame(session_steps()[0][2])]
