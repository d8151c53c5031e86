"""IEC 62056-46 HDLC frames: the CRC-16/X.25 of the HCS and FCS, the addresses of one, two and four octets, the
frames of the reference vectors ``hdlc_snrm_ua`` and ``hdlc_public_session`` byte for byte (LLC header on the first
segment, reassembly of a segmented answer), any frame's round trip, and the frames the codec refuses to encode or
decode.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meterhub.dlms.errors import DecodeError, EncodeError
from meterhub.dlms.hdlc import (
    LLC_REQUEST,
    LLC_RESPONSE,
    MAX_FRAME_LENGTH,
    MAX_INFO_LENGTH,
    FrameKind,
    HdlcAddress,
    HdlcFrame,
    HdlcFrameDecoder,
    crc16_x25,
    decode_address,
    decode_frame,
    encode_address,
    encode_frame,
)
from tests.conftest import hx, load_vector
from tests.dlms.hdlc_cases import CLIENT, SERVER, addresses, frames, session_steps
from tests.sansio import feed

# ------------------------------------------------------------------------------------------------ CRC


def test_crc_check_value() -> None:
    # the catalogue check value of CRC-16/X.25 (CRC-16/IBM-SDLC)
    assert crc16_x25(b"123456789") == 0x906E
    assert crc16_x25(b"") == 0x0000


def test_crc_matches_bitwise_reference() -> None:
    def bitwise(data: bytes) -> int:
        crc = 0xFFFF
        for byte in data:
            crc ^= byte
            for _ in range(8):
                crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
        return crc ^ 0xFFFF

    for data in (b"\x00", b"\xff" * 7, bytes(range(256)), b"\xa0\x08\x02\x23\x21\x93"):
        assert crc16_x25(data) == bitwise(data)


def test_crc_residue_over_frame_with_fcs() -> None:
    # CRC over data + FCS (LSB first) gives the X.25 good-frame residue 0xF0B8 before the final xor
    body = hx("A00802232193BD64")
    assert crc16_x25(body) ^ 0xFFFF == 0xF0B8


# ------------------------------------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    ("address", "wire"),
    [
        (HdlcAddress.client(16), "21"),
        (HdlcAddress.client(1), "03"),
        (HdlcAddress.server(1, 17), "0223"),
        (HdlcAddress.server(1), "03"),
        (HdlcAddress.server(1, 17, 4), "00020023"),
        (HdlcAddress.server(0x3FFF, 0x1234), "fefe4869"),
        (HdlcAddress.server(0x80, 0x01), "02000003"),
    ],
)
def test_address_examples(address: HdlcAddress, wire: str) -> None:
    assert encode_address(address).hex() == wire
    assert decode_address(bytes.fromhex(wire)) == (address, len(wire) // 2)


def test_address_auto_size() -> None:
    assert HdlcAddress.server(1, 17).size == 2
    assert HdlcAddress.server(200, 17).size == 4
    assert HdlcAddress.server(1).size == 1
    assert HdlcAddress.server(1, 17).same_station(HdlcAddress.server(1, 17, 4))


@pytest.mark.parametrize(
    "args", [(128, None, 1), (1, 2, 1), (1, None, 2), (1, 200, 2), (0x4000, 1, 4), (1, 1, 3), (-1, None, 0)]
)
def test_address_out_of_range(args: tuple[int, int | None, int]) -> None:
    with pytest.raises(EncodeError):
        HdlcAddress(*args)


@pytest.mark.parametrize("wire", ["", "02", "020202", "0202020202", "020400"])
def test_bad_addresses(wire: str) -> None:
    with pytest.raises(DecodeError):
        decode_address(bytes.fromhex(wire))


@given(addresses, st.binary(max_size=4))
def test_address_round_trip(address: HdlcAddress, tail: bytes) -> None:
    wire = encode_address(address)
    assert len(wire) == address.size
    assert decode_address(b"\x00" + wire + tail, 1) == (address, address.size)


# ---------------------------------------------------------------------------------------------- frames


def test_snrm_ua_vector_frames() -> None:
    vector = load_vector("hdlc_snrm_ua")
    snrm_wire = hx(vector["expected"]["snrm_frame"])
    ua_wire = hx(vector["expected"]["ua_frame_example"])
    snrm = decode_frame(snrm_wire)
    assert snrm.destination == HdlcAddress.server(1, 17) and snrm.source == HdlcAddress.client(16)
    assert snrm.destination.encode() == hx(vector["inputs"]["server_address"])
    assert snrm.source.encode() == hx(vector["inputs"]["client_address"])
    assert snrm.kind is FrameKind.SNRM and snrm.control == 0x93 and snrm.poll_final
    assert encode_frame(snrm) == snrm_wire
    ua = decode_frame(ua_wire)
    assert ua.kind is FrameKind.UA and ua.control == 0x73
    assert ua.destination == CLIENT and ua.source == SERVER
    assert encode_frame(ua) == ua_wire
    # HCS right after the control field, FCS before the closing flag, both LSB first
    assert snrm_wire[7:9] == crc16_x25(snrm_wire[1:7]).to_bytes(2, "little")
    assert snrm_wire[-3:-1] == crc16_x25(snrm_wire[1:-3]).to_bytes(2, "little")
    assert int.from_bytes(snrm_wire[1:3], "big") & MAX_FRAME_LENGTH == len(snrm_wire) - 2


@pytest.mark.parametrize(("who", "what", "wire"), session_steps(), ids=[s[1] for s in session_steps()])
def test_public_session_frames_round_trip(who: str, what: str, wire: bytes) -> None:
    frame = decode_frame(wire)
    assert encode_frame(frame) == wire
    if who == "client":
        assert (frame.destination, frame.source) == (SERVER, CLIENT)
    else:
        assert (frame.destination, frame.source) == (CLIENT, SERVER)
    assert frame.poll_final
    if what.startswith("I "):
        assert frame.kind is FrameKind.I
        assert f"N(S)={frame.send_seq}" in what and f"N(R)={frame.recv_seq}" in what
        assert frame.segmented == ("segmented" in what)
        assert frame.control == (frame.recv_seq << 5) | 0x10 | (frame.send_seq << 1)
        assert (wire[1] & 0xF8) == (0xA8 if frame.segmented else 0xA0)
    elif what.startswith("RR"):
        assert frame.kind is FrameKind.RR and f"N(R)={frame.recv_seq}" in what
        assert frame.control == (frame.recv_seq << 5) | 0x11
    else:
        assert frame.kind.value == what and not frame.info


def test_public_session_llc_and_reassembly() -> None:
    vector = load_vector("hdlc_public_session")
    frames = [(who, decode_frame(wire)) for who, _, wire in session_steps()]
    i_frames = [(who, f) for who, f in frames if f.kind is FrameKind.I]
    # LLC on the first segment only, per direction
    first_segment = True
    for who, frame in i_frames:
        if first_segment:
            assert frame.info[:3] == (LLC_REQUEST if who == "client" else LLC_RESPONSE)
        first_segment = not frame.segmented
    long_segments = [f for _, f in i_frames[-3:]]
    assert [len(f.info) for f in long_segments[:2]] == [128, 128]
    apdu = b"".join(f.info for f in long_segments)[3:]
    long_value = hx(vector["inputs"]["long_value"])
    assert apdu == bytes.fromhex("C401C1000982") + len(long_value).to_bytes(2, "big") + long_value
    assert b"\x7e" in long_segments[1].info  # no byte stuffing: a flag inside the information field


@given(frames())
def test_frame_round_trip(frame: HdlcFrame) -> None:
    wire = encode_frame(frame)
    assert wire[0] == wire[-1] == 0x7E
    assert int.from_bytes(wire[1:3], "big") & MAX_FRAME_LENGTH == len(wire) - 2
    assert decode_frame(wire) == frame
    assert feed(HdlcFrameDecoder(), wire) == [frame]


@pytest.mark.parametrize(
    ("wire", "match"),
    [
        ("7EA00802232193BD657E", "FCS"),
        ("7EA00902232193BD647E", "length"),
        ("7EB00802232193BD647E", "type 3"),
        ("7EA00802232193BD64", "flag"),
        ("7EA008020223932D6F7E", "address"),
        ("7EA008022321190000" + "7E", "FCS"),
    ],
)
def test_decode_frame_errors(wire: str, match: str | None) -> None:
    with pytest.raises(DecodeError, match=match):
        decode_frame(bytes.fromhex(wire))


def _raw(body_without_fcs: bytes) -> bytes:
    return b"\x7e" + body_without_fcs + crc16_x25(body_without_fcs).to_bytes(2, "little") + b"\x7e"


def test_decode_rejects_undefined_control_and_info_on_rr() -> None:
    with pytest.raises(DecodeError, match="supervisory"):
        decode_frame(_raw(bytes.fromhex("A008022321") + b"\x19"))  # REJ is not used by IEC 62056-46
    with pytest.raises(DecodeError, match="unnumbered"):
        decode_frame(_raw(bytes.fromhex("A008022321") + b"\x2f"))
    header = bytes.fromhex("A00B02232131")
    with pytest.raises(DecodeError, match="RR frame with an information"):
        decode_frame(_raw(header + crc16_x25(header).to_bytes(2, "little") + b"\x00"))


@pytest.mark.parametrize(
    "frame",
    [
        HdlcFrame(SERVER, CLIENT, FrameKind.RR, info=b"x"),
        HdlcFrame(SERVER, CLIENT, FrameKind.UA, send_seq=1),
        HdlcFrame(SERVER, CLIENT, FrameKind.SNRM, recv_seq=1),
        HdlcFrame(SERVER, CLIENT, FrameKind.I, send_seq=8),
        HdlcFrame(SERVER, CLIENT, FrameKind.I, info=bytes(2040)),
    ],
)
def test_encode_frame_errors(frame: HdlcFrame) -> None:
    with pytest.raises(EncodeError):
        encode_frame(frame)


def test_largest_frame() -> None:
    big = HdlcFrame(HdlcAddress(1, 1, 4), HdlcAddress(1, 1, 4), FrameKind.I, info=bytes(MAX_INFO_LENGTH))
    assert len(encode_frame(big)) <= MAX_FRAME_LENGTH + 2
    assert decode_frame(encode_frame(big)) == big
