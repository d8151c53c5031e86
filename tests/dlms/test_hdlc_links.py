"""The two ends of an IEC 62056-46 HDLC link, :class:`HdlcClientLink` and :class:`HdlcServerLink`, as sans-io state
machines: driven through the ``hdlc_snrm_ua`` and ``hdlc_public_session`` vectors byte for byte, exchanging APDUs of
any size (segmentation with RR), and refusing or ignoring what the protocol does not allow: frames for other
stations, wrong sequence numbers, oversized frames, polls out of turn, DM, and windows other than 1.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meterhub.dlms.errors import DecodeError, EncodeError, LocalProtocolError, RemoteProtocolError
from meterhub.dlms.hdlc import (
    LLC_REQUEST,
    LLC_RESPONSE,
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
    HdlcParameters,
    HdlcServerLink,
    LinkState,
    Poll,
    SendApdu,
    decode_frame,
    encode_frame,
)
from tests.conftest import hx, load_vector
from tests.dlms.hdlc_cases import CLIENT, SERVER, session_steps
from tests.sansio import feed


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
