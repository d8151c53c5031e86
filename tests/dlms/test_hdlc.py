"""IEC 62056-46 HDLC: CRC, addresses, frames, stream decoding, parameter negotiation and the two link ends.

The reference vectors hdlc_snrm_ua and hdlc_public_session are checked byte for byte, frame by frame, and by
driving HdlcClientLink and HdlcServerLink through the whole session.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meterhub.dlms.errors import DecodeError, EncodeError, LocalProtocolError, RemoteProtocolError
from meterhub.dlms.hdlc import (
    LLC_REQUEST,
    LLC_RESPONSE,
    MAX_FRAME_LENGTH,
    MAX_INFO_LENGTH,
    ApduReceived,
    Connect,
    Connected,
    Disconnect,
    Disconnected,
    FrameKind,
    HdlcAddress,
    HdlcClientLink,
    HdlcEvent,
    HdlcFrame,
    HdlcFrameDecoder,
    HdlcParameters,
    HdlcServerLink,
    LinkState,
    Poll,
    SendApdu,
    crc16_x25,
    decode_address,
    decode_frame,
    encode_address,
    encode_frame,
    negotiate,
)
from tests.conftest import hx, load_vector
from tests.sansio import feed

CLIENT = HdlcAddress.client(16)
SERVER = HdlcAddress.server(1, 17)


def session_steps() -> list[tuple[str, str, bytes]]:
    steps = load_vector("hdlc_public_session")["expected"]["steps"]
    return [(who, what, hx(h)) for who, what, h in steps]


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


addresses = st.one_of(
    st.builds(HdlcAddress.client, st.integers(0, 0x7F)),
    st.builds(lambda u, lo: HdlcAddress(u, lo, 2), st.integers(0, 0x7F), st.integers(0, 0x7F)),
    st.builds(lambda u, lo: HdlcAddress(u, lo, 4), st.integers(0, 0x3FFF), st.integers(0, 0x3FFF)),
)


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


def test_snrm_ua_vector_parameters() -> None:
    vector = load_vector("hdlc_snrm_ua")
    snrm = decode_frame(hx(vector["expected"]["snrm_frame"]))
    ua = decode_frame(hx(vector["expected"]["ua_frame_example"]))
    tx = int.from_bytes(hx(vector["inputs"]["client_max_info_tx"]), "big")
    rx = int.from_bytes(hx(vector["inputs"]["client_max_info_rx"]), "big")
    proposal = HdlcParameters.decode(snrm.info)
    assert proposal == HdlcParameters(max_info_tx=tx, max_info_rx=rx)
    assert proposal.encode(omit_defaults=True) == snrm.info
    server_view = HdlcParameters.decode(ua.info)
    assert server_view == HdlcParameters(max_info_tx=256, max_info_rx=512, window_tx=1, window_rx=1)
    assert server_view.encode() == ua.info
    client_view = negotiate(server_view, proposal)
    decoded = vector["decoded"]["negotiated_client_view"]
    assert client_view == HdlcParameters(
        decoded["max_info_tx"], decoded["max_info_rx"], decoded["window_tx"], decoded["window_rx"]
    )
    # the server side of the same negotiation: limits tx 256, rx >= 512
    assert negotiate(proposal, HdlcParameters(max_info_tx=256, max_info_rx=1024)) == server_view
    assert client_view == server_view.peer_view()


def test_snrm_ua_vector_through_links() -> None:
    vector = load_vector("hdlc_snrm_ua")
    proposal = HdlcParameters(max_info_tx=512, max_info_rx=512)
    client = HdlcClientLink(CLIENT, SERVER, proposal)
    server = HdlcServerLink(SERVER, HdlcParameters(max_info_tx=256, max_info_rx=1024))
    snrm = client.send(Connect())
    assert snrm == hx(vector["expected"]["snrm_frame"])
    assert feed(server, snrm) == [Connected(HdlcParameters(256, 512, 1, 1))]
    ua = server.data_to_send()
    assert ua == hx(vector["expected"]["ua_frame_example"])
    decoded = vector["decoded"]["negotiated_client_view"]
    [event] = feed(client, ua)
    assert isinstance(event, Connected)
    assert event.params.max_info_tx == decoded["max_info_tx"] == 512
    assert event.params.max_info_rx == decoded["max_info_rx"] == 256
    assert (event.params.window_tx, event.params.window_rx) == (decoded["window_tx"], decoded["window_rx"])
    assert client.state is LinkState.CONNECTED and client.params == event.params


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


# the vector leaves out the client's request that the long answer replies to (I N(S)=2 N(R)=2)
LONG_REQUEST = bytes.fromhex("C001C100030100010800FF0200")


def test_public_session_through_links() -> None:
    vector = load_vector("hdlc_public_session")
    steps = session_steps()
    wire = {what: w for _, what, w in steps}
    max_info = int.from_bytes(hx(vector["inputs"]["max_info"]), "big")
    client = HdlcClientLink(CLIENT, HdlcAddress.server(1, 17))
    server = HdlcServerLink(SERVER)
    assert client.params.max_info_tx == max_info

    # SNRM / UA without parameters
    assert client.send(Connect()) == steps[0][2]
    assert feed(server, steps[0][2]) == [Connected(HdlcParameters())]
    assert server.data_to_send() == steps[1][2]
    assert feed(client, steps[1][2]) == [Connected(HdlcParameters())]
    assert client.data_to_send() == b""

    # AARQ / AARE, get-request / get-response: one frame each way
    for request_step, response_step in ((2, 3), (4, 5)):
        request = decode_frame(steps[request_step][2]).info[3:]
        response = decode_frame(steps[response_step][2]).info[3:]
        assert client.send(SendApdu(request)) == steps[request_step][2]
        assert feed(server, steps[request_step][2]) == [ApduReceived(request)]
        assert server.data_to_send() == b""
        assert server.send(SendApdu(response)) == steps[response_step][2]
        assert feed(client, steps[response_step][2]) == [ApduReceived(response)]
        assert client.data_to_send() == b""

    # the request the vector leaves out
    request_wire = client.send(SendApdu(LONG_REQUEST))
    request_frame = decode_frame(request_wire)
    assert (request_frame.send_seq, request_frame.recv_seq, request_frame.control) == (2, 2, 0x54)
    assert feed(server, request_wire) == [ApduReceived(LONG_REQUEST)]

    # the long answer in three segments, RR in between
    long_value = hx(vector["inputs"]["long_value"])
    long_apdu = bytes.fromhex("C401C1000982012C") + long_value
    assert server.send(SendApdu(long_apdu)) == wire["I N(S)=2 N(R)=3 segmented"]
    assert server.busy
    assert feed(client, wire["I N(S)=2 N(R)=3 segmented"]) == []
    assert client.data_to_send() == wire["RR N(R)=3"]
    assert feed(server, wire["RR N(R)=3"]) == []
    assert server.data_to_send() == wire["I N(S)=3 N(R)=3 segmented"]
    assert feed(client, wire["I N(S)=3 N(R)=3 segmented"]) == []
    assert client.data_to_send() == wire["RR N(R)=4"]
    assert feed(server, wire["RR N(R)=4"]) == []
    assert server.data_to_send() == wire["I N(S)=4 N(R)=3 last"]
    assert feed(client, wire["I N(S)=4 N(R)=3 last"]) == [ApduReceived(long_apdu)]
    assert client.data_to_send() == b""

    # DISC / UA
    assert client.send(Disconnect()) == wire["DISC"]
    assert feed(server, wire["DISC"]) == [Disconnected("DISC")]
    assert server.data_to_send() == steps[-1][2]
    assert feed(client, steps[-1][2]) == [Disconnected("UA")]
    assert client.state is LinkState.DISCONNECTED and server.state is LinkState.DISCONNECTED
    assert client.frames_ignored == server.frames_ignored == 0
    assert client.discarded_bytes == server.discarded_bytes == 0


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


kinds_with_info = [FrameKind.I, FrameKind.UI, FrameKind.SNRM, FrameKind.UA, FrameKind.DM, FrameKind.FRMR]


@st.composite
def frames(draw: st.DrawFn, max_info: int = 300) -> HdlcFrame:
    kind = draw(st.sampled_from(list(FrameKind)))
    info = b"" if kind in (FrameKind.RR, FrameKind.RNR, FrameKind.DISC) else draw(st.binary(max_size=max_info))
    return HdlcFrame(
        destination=draw(addresses),
        source=draw(addresses),
        kind=kind,
        send_seq=draw(st.integers(0, 7)) if kind is FrameKind.I else 0,
        recv_seq=draw(st.integers(0, 7)) if kind in (FrameKind.I, FrameKind.RR, FrameKind.RNR) else 0,
        poll_final=draw(st.booleans()),
        segmented=draw(st.booleans()),
        info=info,
    )


@given(frames())
def test_frame_round_trip(frame: HdlcFrame) -> None:
    wire = encode_frame(frame)
    assert wire[0] == wire[-1] == 0x7E
    assert int.from_bytes(wire[1:3], "big") & MAX_FRAME_LENGTH == len(wire) - 2
    assert decode_frame(wire) == frame
    assert feed(HdlcFrameDecoder(), wire) == [frame]


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


# ------------------------------------------------------------------------------------------ parameters


def test_parameters_defaults_and_encoding() -> None:
    assert HdlcParameters.decode(b"") == HdlcParameters()
    assert HdlcParameters.decode(bytes.fromhex("818000")) == HdlcParameters()
    assert HdlcParameters().encode(omit_defaults=True) == b""
    assert HdlcParameters().encode() == bytes.fromhex("818012050180060180070400000001080400000001")
    assert HdlcParameters(max_info_tx=0x10000).encode(omit_defaults=True) == bytes.fromhex("818006050400010000")
    assert HdlcParameters(window_rx=7).encode(omit_defaults=True) == bytes.fromhex("818006080400000007")
    # values of any accepted width, unknown parameters (09) skipped
    wire = bytes.fromhex("81800A06020100090101070103")
    assert HdlcParameters.decode(wire) == HdlcParameters(max_info_rx=256, window_tx=3)


@pytest.mark.parametrize(
    "wire",
    [
        "81",
        "8180",
        "828000",
        "818100",
        "818001",
        "81800305",
        "8180020501",
        "818003050300",
        "818003050201",
        "818003050100",
        "818006070400000000",
        "818006080400000008",
        "818006050180050180",
    ],
)
def test_parameters_decode_errors(wire: str) -> None:
    with pytest.raises(DecodeError):
        HdlcParameters.decode(bytes.fromhex(wire))


parameters = st.builds(
    HdlcParameters,
    st.integers(1, 0xFFFFFFFF),
    st.integers(1, 0xFFFFFFFF),
    st.integers(1, 7),
    st.integers(1, 7),
)


@given(parameters, st.booleans())
def test_parameters_round_trip(params: HdlcParameters, omit: bool) -> None:
    assert HdlcParameters.decode(params.encode(omit_defaults=omit)) == params


@given(parameters, parameters)
def test_negotiation_properties(proposal: HdlcParameters, limits: HdlcParameters) -> None:
    agreed = negotiate(proposal, limits)
    assert agreed.max_info_tx <= min(proposal.max_info_rx, limits.max_info_tx, MAX_INFO_LENGTH)
    assert agreed.max_info_rx <= min(proposal.max_info_tx, limits.max_info_rx)
    assert agreed.window_tx <= proposal.window_rx and agreed.window_rx <= proposal.window_tx
    # the other side computes the mirror image from our answer
    back = negotiate(agreed, proposal)
    assert back.max_info_tx == agreed.max_info_rx and back.max_info_rx == agreed.max_info_tx
    assert back == agreed.peer_view()


def test_parameter_validation() -> None:
    with pytest.raises(EncodeError):
        HdlcParameters(window_tx=8)
    with pytest.raises(EncodeError):
        HdlcParameters(max_info_rx=0)


# ------------------------------------------------------------------------------------------------ links


def _shuttle(client: HdlcClientLink, server: HdlcServerLink, first: bytes) -> list[tuple[str, HdlcEvent]]:
    """Deliver bytes back and forth until both sides are quiet; return the events in order."""
    events: list[tuple[str, HdlcEvent]] = []
    to_server = first
    for _ in range(10_000):
        events += [("server", e) for e in feed(server, to_server)]
        to_client = server.data_to_send()
        events += [("client", e) for e in feed(client, to_client)]
        to_server = client.data_to_send()
        if not to_server and not to_client:
            return events
    raise AssertionError("no quiescence")


def connected_pair(
    proposal: HdlcParameters | None = None, limits: HdlcParameters | None = None
) -> tuple[HdlcClientLink, HdlcServerLink]:
    client = HdlcClientLink(CLIENT, SERVER, proposal)
    server = HdlcServerLink(SERVER, limits)
    events = _shuttle(client, server, client.send(Connect()))
    assert [type(e) for _, e in events] == [Connected, Connected]
    return client, server


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 300),
    st.integers(1, 300),
    st.lists(st.tuples(st.binary(min_size=1, max_size=1200), st.binary(min_size=1, max_size=1200)), max_size=4),
)
def test_links_exchange_any_sizes(client_rx: int, server_tx: int, exchanges: list[tuple[bytes, bytes]]) -> None:
    client, server = connected_pair(
        HdlcParameters(max_info_tx=300, max_info_rx=client_rx), HdlcParameters(max_info_tx=server_tx)
    )
    assert client.params.max_info_rx == server.params.max_info_tx == min(client_rx, server_tx)
    for request, response in exchanges:
        events = _shuttle(client, server, client.send(SendApdu(request)))
        assert events == [("server", ApduReceived(request))]
        events = [("client", e) for e in feed(client, server.send(SendApdu(response)))]
        events += _shuttle(client, server, client.data_to_send())
        assert events == [("client", ApduReceived(response))]
        assert not client.busy and not server.busy


def test_client_request_segmentation_with_rr() -> None:
    client, server = connected_pair()
    request = bytes(range(256)) * 2
    first = client.send(SendApdu(request))
    frame = decode_frame(first)
    assert frame.segmented and len(frame.info) == 128 and frame.info[:3] == LLC_REQUEST
    assert feed(server, first) == []
    rr_wire = server.data_to_send()
    rr = decode_frame(rr_wire)
    assert (rr.kind, rr.recv_seq, rr.poll_final) == (FrameKind.RR, 1, True)
    assert feed(client, rr_wire) == []
    second = client.data_to_send()
    assert decode_frame(second).send_seq == 1
    events = _shuttle(client, server, second)
    assert events == [("server", ApduReceived(request))]


def test_server_answers_dm_when_disconnected() -> None:
    server = HdlcServerLink(SERVER)
    disc = HdlcFrame(SERVER, CLIENT, FrameKind.DISC)
    assert feed(server, encode_frame(disc)) == []
    dm = decode_frame(server.data_to_send())
    assert dm.kind is FrameKind.DM and dm.destination == CLIENT and dm.source == SERVER
    i_frame = HdlcFrame(SERVER, CLIENT, FrameKind.I, info=LLC_REQUEST + b"\x60")
    assert feed(server, encode_frame(i_frame)) == []
    assert decode_frame(server.data_to_send()).kind is FrameKind.DM
    with pytest.raises(LocalProtocolError):
        server.send(SendApdu(b"\x61"))


def test_frames_for_others_are_ignored_and_counted() -> None:
    client, server = connected_pair()
    other_server = HdlcFrame(HdlcAddress.server(1, 18), CLIENT, FrameKind.SNRM)
    other_client = HdlcFrame(SERVER, HdlcAddress.client(1), FrameKind.I, info=LLC_REQUEST + b"\x60")
    assert feed(server, encode_frame(other_server) + encode_frame(other_client)) == []
    assert server.data_to_send() == b"" and server.frames_ignored == 2
    stray = HdlcFrame(HdlcAddress.client(1), SERVER, FrameKind.I, info=LLC_RESPONSE + b"\x61")
    assert feed(client, encode_frame(stray)) == []
    assert client.frames_ignored == 1
    # the link still works
    assert _shuttle(client, server, client.send(SendApdu(b"\xc0"))) == [("server", ApduReceived(b"\xc0"))]


def test_wrong_sequence_numbers_raise_protocol_error() -> None:
    client, server = connected_pair()
    wrong_ns = HdlcFrame(SERVER, CLIENT, FrameKind.I, send_seq=1, info=LLC_REQUEST + b"\xc0")
    with pytest.raises(RemoteProtocolError, match="N\\(S\\)"):
        feed(server, encode_frame(wrong_ns))
    wrong_nr = HdlcFrame(SERVER, CLIENT, FrameKind.I, recv_seq=3, info=LLC_REQUEST + b"\xc0")
    with pytest.raises(RemoteProtocolError, match="N\\(R\\)"):
        feed(server, encode_frame(wrong_nr))
    no_poll = HdlcFrame(SERVER, CLIENT, FrameKind.I, poll_final=False, info=LLC_REQUEST + b"\xc0")
    with pytest.raises(RemoteProtocolError, match="window 1"):
        feed(server, encode_frame(no_poll))
    # nothing changed: the correct frame is still accepted
    assert _shuttle(client, server, client.send(SendApdu(b"\xc0"))) == [("server", ApduReceived(b"\xc0"))]
    response = server.send(SendApdu(b"\xc4"))
    replay = feed(client, response)
    assert replay == [ApduReceived(b"\xc4")]
    with pytest.raises(RemoteProtocolError):
        feed(client, response)  # the same N(S) again


def test_protocol_limits() -> None:
    client, server = connected_pair()
    too_long = HdlcFrame(SERVER, CLIENT, FrameKind.I, info=LLC_REQUEST + bytes(200))
    with pytest.raises(RemoteProtocolError, match="negotiated"):
        feed(server, encode_frame(too_long))
    wrong_llc = HdlcFrame(SERVER, CLIENT, FrameKind.I, info=LLC_RESPONSE + b"\xc0")
    with pytest.raises(DecodeError, match="LLC"):
        feed(server, encode_frame(wrong_llc))
    for kind in (FrameKind.UA, FrameKind.DM, FrameKind.FRMR):
        with pytest.raises(RemoteProtocolError):
            feed(server, encode_frame(HdlcFrame(SERVER, CLIENT, kind)))
    with pytest.raises(RemoteProtocolError):
        feed(client, encode_frame(HdlcFrame(CLIENT, SERVER, FrameKind.FRMR, info=b"\x00\x00\x00")))
    with pytest.raises(LocalProtocolError):
        client.send(Connect())


def test_reassembly_cap() -> None:
    client = HdlcClientLink(CLIENT, SERVER)
    server = HdlcServerLink(SERVER, max_message=300)
    _shuttle(client, server, client.send(Connect()))
    wire = client.send(SendApdu(bytes(400)))
    with pytest.raises(RemoteProtocolError, match="exceeds 300"):
        for _ in range(4):
            feed(server, wire)
            feed(client, server.data_to_send())
            wire = client.data_to_send()


def test_server_answers_poll_with_rr_and_queued_answer_on_poll() -> None:
    # a server that acknowledges a request with RR (answer not ready): the client may poll for the answer
    client, server = connected_pair()
    assert feed(server, client.send(SendApdu(b"\xc0"))) == [ApduReceived(b"\xc0")]
    with pytest.raises(LocalProtocolError):
        client.send(Poll())  # not our turn yet
    rr = HdlcFrame(CLIENT, SERVER, FrameKind.RR, recv_seq=1)
    assert feed(client, encode_frame(rr)) == []
    assert decode_frame(client.send(Poll())) == HdlcFrame(SERVER, CLIENT, FrameKind.RR, recv_seq=0)
    # idle server: a poll with nothing to send is answered with RR
    server3 = HdlcServerLink(SERVER)
    client3 = HdlcClientLink(CLIENT, SERVER)
    _shuttle(client3, server3, client3.send(Connect()))
    assert feed(server3, client3.send(Poll())) == []
    answer = decode_frame(server3.data_to_send())
    assert (answer.kind, answer.recv_seq) == (FrameKind.RR, 0)
    assert feed(client3, encode_frame(answer)) == []
    # an answer queued while the client holds the turn goes out on its next poll
    assert server3.send(SendApdu(b"\xc4")) == b""
    assert feed(server3, client3.send(Poll())) == []
    assert feed(client3, server3.data_to_send()) == [ApduReceived(b"\xc4")]


def test_client_connect_refused_and_dm_while_connected() -> None:
    client = HdlcClientLink(CLIENT, SERVER)
    client.send(Connect())
    assert feed(client, encode_frame(HdlcFrame(CLIENT, SERVER, FrameKind.DM))) == [Disconnected("DM")]
    assert client.state is LinkState.DISCONNECTED
    client2, _ = connected_pair()
    assert feed(client2, encode_frame(HdlcFrame(CLIENT, SERVER, FrameKind.DM))) == [Disconnected("DM")]
    with pytest.raises(LocalProtocolError):
        client2.send(SendApdu(b"\xc0"))
    with pytest.raises(LocalProtocolError):
        client2.send(Disconnect())


def test_snrm_resets_a_connected_server() -> None:
    client, server = connected_pair()
    _shuttle(client, server, client.send(SendApdu(b"\xc0")))
    client2 = HdlcClientLink(CLIENT, SERVER)
    events = _shuttle(client2, server, client2.send(Connect()))
    assert [e for _, e in events] == [Connected(HdlcParameters()), Connected(HdlcParameters())]
    assert _shuttle(client2, server, client2.send(SendApdu(b"\xc0"))) == [("server", ApduReceived(b"\xc0"))]


def test_window_one_only() -> None:
    with pytest.raises(EncodeError):
        HdlcClientLink(CLIENT, SERVER, HdlcParameters(window_rx=2))
    with pytest.raises(EncodeError):
        HdlcServerLink(SERVER, HdlcParameters(window_tx=3))
    # a client proposing window 7 gets window 1 from our server
    server = HdlcServerLink(SERVER)
    snrm = HdlcFrame(SERVER, CLIENT, FrameKind.SNRM, info=HdlcParameters(window_tx=7, window_rx=7).encode())
    [event] = feed(server, encode_frame(snrm))
    assert isinstance(event, Connected) and event.params == HdlcParameters()
    assert decode_frame(server.data_to_send()).info == b""


def test_events_are_plain_values() -> None:
    events: list[Any] = [Connected(HdlcParameters()), ApduReceived(b"x"), Disconnected("UA")]
    assert len(set(events)) == 3
