"""The transition tables of the association and HDLC machines: every request a state does not allow is refused
with LocalProtocolError (state unchanged), the peer's faults raise RemoteProtocolError, and the error state is
terminal."""

from __future__ import annotations

import enum
from typing import Any

import pytest

from meterhub.dlms import apdu as A
from meterhub.dlms.acse import Aare, ApplicationContext, AssociationResult, Mechanism, Rlre
from meterhub.dlms.association import (
    Action,
    ActionReply,
    Associate,
    ClientAssociation,
    ClientSettings,
    Get,
    GetCompleted,
    GetReply,
    GetRequested,
    GetWithList,
    GetWithListReply,
    Notify,
    Release,
    ServerAssociation,
    ServerPolicy,
    Set,
    SetReply,
    State,
)
from meterhub.dlms.association.server import MAX_LONG_SET
from meterhub.dlms.association.state import CLIENT, SERVER, ClientInput, ServerInput
from meterhub.dlms.axdr import Unsigned
from meterhub.dlms.errors import DecodeError, LocalProtocolError, RemoteProtocolError, SecurityError
from meterhub.dlms.hdlc import (
    Connect,
    Disconnect,
    FrameKind,
    HdlcAddress,
    HdlcClientLink,
    HdlcFrame,
    HdlcServerLink,
    LinkState,
    Poll,
    SendApdu,
    encode_frame,
)
from meterhub.dlms.hdlc.state import CLIENT_LINK, SERVER_LINK, LinkInput
from meterhub.dlms.sansio import TransitionTable
from meterhub.dlms.security import CipherKeys
from tests.sansio import feed, receive

KEYS = CipherKeys(bytes(range(16)), bytes(range(16, 32)))
CLIENT_TITLE = b"MHB\x00\x00\x00\x00\x01"
METER_TITLE = b"LUX\x00\x00\xbcaN"
CLOCK = A.AttributeRef(8, bytes((0, 0, 1, 0, 0, 255)), 2)
METHOD = A.MethodRef(70, bytes((0, 0, 96, 3, 10, 255)), 1)
HDLC_CLIENT = HdlcAddress.client(16)
HDLC_SERVER = HdlcAddress.server(1, 17)


# --------------------------------------------------------------------------------- association machines
def _pair(hls: bool = False) -> tuple[ClientAssociation, ServerAssociation]:
    if hls:
        client = ClientAssociation(
            ClientSettings(authentication=Mechanism.HIGH_GMAC, keys=KEYS, system_title=CLIENT_TITLE),
            random=lambda n: bytes(n),
        )
        policy = ServerPolicy(system_title=METER_TITLE, authentication=Mechanism.HIGH_GMAC, keys=KEYS)
        return client, ServerAssociation(policy, random=lambda n: b"\x01" * n)
    return ClientAssociation(ClientSettings()), ServerAssociation(ServerPolicy(system_title=METER_TITLE))


def _open(client: ClientAssociation, server: ServerAssociation) -> None:
    pending, to_server = [client.send(Associate())], True
    while pending:
        side = server if to_server else client
        nxt: list[bytes] = []
        for apdu in pending:
            receive(side, apdu)
            nxt += side.data_to_send()
        pending, to_server = nxt, not to_server
    assert client.state is State.ASSOCIATED and server.state is State.ASSOCIATED


def client_in(state: State) -> ClientAssociation:
    """A client association brought into ``state`` by real exchanges."""
    client, server = _pair(hls=state is State.AWAITING_HLS)
    if state is State.IDLE:
        return client
    if state is State.AWAITING_HLS:
        receive(server, client.send(Associate()))
        (aare,) = server.data_to_send()
        assert receive(client, aare) == []
        client.data_to_send()  # the HLS reply, not delivered
        return client
    if state is State.AWAITING_AARE:
        client.send(Associate())
        return client
    _open(client, server)
    if state is State.ASSOCIATED:
        return client
    if state is State.ERROR:
        with pytest.raises(RemoteProtocolError):
            receive(client, Rlre(0).encode())  # an RLRE nobody asked for
        return client
    receive(server, client.send(Release()))
    if state is State.AWAITING_RLRE:
        return client
    (rlre,) = server.data_to_send()
    receive(client, rlre)
    assert state is State.RELEASED
    return client


def server_in(state: State) -> ServerAssociation:
    """A server association brought into ``state`` by real exchanges."""
    client, server = _pair(hls=state is State.AWAITING_HLS)
    if state is State.IDLE:
        return server
    if state is State.AWAITING_HLS:
        receive(server, client.send(Associate()))
        return server
    if state is State.ERROR:
        aare = Aare(ApplicationContext.LN, AssociationResult.ACCEPTED, 0)
        with pytest.raises(RemoteProtocolError):
            receive(server, aare.encode())  # a server never receives an AARE
        return server
    _open(client, server)
    if state is State.RELEASED:
        receive(server, client.send(Release()))
        server.data_to_send()  # the RLRE
    return server


CLIENT_REQUESTS: dict[ClientInput, list[Any]] = {
    ClientInput.ASSOCIATE: [Associate()],
    ClientInput.REQUEST: [Get(CLOCK), GetWithList(((CLOCK, None),)), Set(CLOCK, Unsigned(1)), Action(METHOD)],
    ClientInput.RELEASE: [Release()],
}
SERVER_REPLIES = [
    GetReply(0xC1, Unsigned(1)),
    GetWithListReply(0xC1, (Unsigned(1),)),
    SetReply(0xC1, A.DataAccessResult.SUCCESS),
    ActionReply(0xC1, A.ActionResult.SUCCESS),
    Notify(Unsigned(1), 1),
]
CLIENT_STATES = list(State)
SERVER_STATES = [State.IDLE, State.AWAITING_HLS, State.ASSOCIATED, State.RELEASED, State.ERROR]


def _cases_client() -> list[tuple[State, ClientInput, Any]]:
    return [(s, i, r) for s in CLIENT_STATES for i, reqs in CLIENT_REQUESTS.items() for r in reqs]


@pytest.mark.parametrize(("state", "what", "request_"), _cases_client(), ids=str)
def test_client_requests_follow_the_table(state: State, what: ClientInput, request_: Any) -> None:
    client = client_in(state)
    assert client.state is state
    after = CLIENT.get(state, what)
    if after is None:
        with pytest.raises(LocalProtocolError, match=state.value):
            client.send(request_)
        assert client.state is state  # refused before anything changed
    else:
        assert client.send(request_)
        assert client.state is after


@pytest.mark.parametrize("state", SERVER_STATES, ids=str)
@pytest.mark.parametrize("reply", SERVER_REPLIES, ids=lambda r: type(r).__name__)
def test_server_replies_follow_the_table(state: State, reply: Any) -> None:
    server = server_in(state)
    assert server.state is state
    if SERVER.allows(state, ServerInput.REPLY):
        assert server.send(reply)
    else:
        with pytest.raises(LocalProtocolError, match=state.value):
            server.send(reply)
    assert server.state is state


def test_release_before_associated_is_refused() -> None:
    for state in (State.IDLE, State.AWAITING_AARE, State.AWAITING_HLS, State.AWAITING_RLRE, State.RELEASED):
        client = client_in(state)
        with pytest.raises(LocalProtocolError, match="RLRQ"):
            client.send(Release())
        assert client.state is state


@pytest.mark.parametrize("state", [State.IDLE, State.AWAITING_AARE, State.ASSOCIATED, State.RELEASED], ids=str)
def test_rlre_when_not_releasing_is_the_servers_fault(state: State) -> None:
    client = client_in(state)
    with pytest.raises(RemoteProtocolError, match="RLRE"):
        receive(client, Rlre(0).encode())
    assert client.state is State.ERROR


PEER_FAULTS_TO_CLIENT: list[tuple[State, bytes, str]] = [
    (State.IDLE, A.GetResponseNormal(0xC1, Unsigned(1)).encode(), "response"),
    (State.IDLE, A.ExceptionResponse(A.StateError.SERVICE_NOT_ALLOWED, A.ServiceError.OTHER_REASON).encode(), "exc"),
    (State.IDLE, A.DataNotification(1, Unsigned(1)).encode(), "notification"),
    (State.ASSOCIATED, A.GetResponseNormal(0xC5, Unsigned(1)).encode(), "matches no request"),
    (State.ASSOCIATED, Aare(ApplicationContext.LN, AssociationResult.ACCEPTED, 0).encode(), "AARE"),
    (State.ASSOCIATED, A.GetRequestNormal(0xC1, CLOCK).encode(), "does not accept"),
    (State.RELEASED, A.GetResponseNormal(0xC1, Unsigned(1)).encode(), "response"),
]


@pytest.mark.parametrize(("state", "apdu", "match"), PEER_FAULTS_TO_CLIENT)
def test_peer_faults_raise_remote_protocol_error_on_the_client(state: State, apdu: bytes, match: str) -> None:
    client = client_in(state)
    with pytest.raises(RemoteProtocolError, match=match):
        receive(client, apdu)
    assert client.state is State.ERROR and client.error is not None


def test_peer_faults_raise_remote_protocol_error_on_the_server() -> None:
    for acse in (Aare(ApplicationContext.LN, AssociationResult.ACCEPTED, 0).encode(), Rlre(0).encode()):
        server = server_in(State.ASSOCIATED)
        with pytest.raises(RemoteProtocolError, match="does not accept"):
            receive(server, acse)
        assert server.state is State.ERROR
    # a long set beyond the reassembly cap
    server = server_in(State.ASSOCIATED)
    block = bytes(60_000)
    receive(server, A.SetRequestWithFirstDatablock(0xC1, CLOCK, False, 1, block).encode())
    assert server.data_to_send()  # set-response-datablock
    with pytest.raises(RemoteProtocolError, match="long set"):
        for number in range(2, MAX_LONG_SET // len(block) + 3):
            receive(server, A.SetRequestWithDatablock(0xC1, False, number, block).encode())
            server.data_to_send()
    assert server.state is State.ERROR


def test_a_server_refuses_requests_outside_an_association_with_exception_response() -> None:
    for state in (State.IDLE, State.RELEASED):
        server = server_in(state)
        assert receive(server, A.GetRequestNormal(0xC1, CLOCK).encode()) == []
        (refusal,) = server.data_to_send()
        assert A.decode_xdlms(refusal) == A.ExceptionResponse(
            A.StateError.SERVICE_NOT_ALLOWED, A.ServiceError.OPERATION_NOT_POSSIBLE
        )
        assert server.state is state


def test_the_association_error_state_is_terminal() -> None:
    client = client_in(State.ERROR)
    for reqs in CLIENT_REQUESTS.values():
        for request_ in reqs:
            with pytest.raises(LocalProtocolError, match="error"):
                client.send(request_)
    client.receive_data(A.GetResponseNormal(0xC1, Unsigned(1)).encode())
    with pytest.raises(RemoteProtocolError, match="failed earlier"):
        client.next_event()
    with pytest.raises(RemoteProtocolError, match="failed earlier"):
        client.next_event()  # nothing left to read, still refused
    assert client.state is State.ERROR
    server = server_in(State.ERROR)
    for reply in SERVER_REPLIES:
        with pytest.raises(LocalProtocolError):
            server.send(reply)
    server.receive_data(ClientAssociation(ClientSettings()).send(Associate()))  # not even a fresh AARQ
    with pytest.raises(RemoteProtocolError, match="failed earlier"):
        server.next_event()
    assert server.state is State.ERROR


def test_refused_apdus_leave_the_association_as_it_was() -> None:
    """Undecodable or unauthentic input is dropped, not a protocol error: a forgery must not end an association."""
    client, server = _pair(hls=True)
    _open(client, server)
    with pytest.raises(DecodeError):
        receive(client, b"\xc4\x01")  # truncated
    with pytest.raises(SecurityError):
        receive(client, A.GetResponseNormal(0xC1, Unsigned(1)).encode())  # clear inside a ciphered association
    assert client.state is State.ASSOCIATED
    (request,) = receive(server, client.send(Get(CLOCK)))  # and the association goes on
    assert isinstance(request, GetRequested)
    (done,) = receive(client, server.send(GetReply(request.invoke_id, Unsigned(3))))
    assert isinstance(done, GetCompleted) and done.result == 3


def test_received_apdus_are_queued_until_read_and_bounded() -> None:
    client = client_in(State.IDLE)
    for _ in range(64):
        client.receive_data(b"\x00")
    with pytest.raises(LocalProtocolError, match="next_event"):
        client.receive_data(b"\x00")


# ------------------------------------------------------------------------------------------- HDLC links
def link_in(state: LinkState, server_side: bool) -> HdlcClientLink | HdlcServerLink:
    client, server = HdlcClientLink(HDLC_CLIENT, HDLC_SERVER), HdlcServerLink(HDLC_SERVER)
    if server_side:
        if state is LinkState.CONNECTED:
            feed(server, client.send(Connect()))
        elif state is LinkState.ERROR:
            big = HdlcServerLink(HDLC_SERVER, max_message=300)
            feed(client, feed_and_answer(big, client.send(Connect())))
            wire = client.send(SendApdu(bytes(400)))
            with pytest.raises(RemoteProtocolError):
                for _ in range(4):
                    feed(client, feed_and_answer(big, wire))
                    wire = client.data_to_send()
            return big
        return server
    if state is LinkState.DISCONNECTED:
        return client
    ua = feed_and_answer(server, client.send(Connect()))
    if state is LinkState.CONNECTING:
        return client
    feed(client, ua)
    if state is LinkState.CONNECTED:
        return client
    if state is LinkState.ERROR:
        with pytest.raises(RemoteProtocolError, match="FRMR"):
            feed(client, encode_frame(HdlcFrame(HDLC_CLIENT, HDLC_SERVER, FrameKind.FRMR, info=b"\x00\x00\x00")))
        return client
    client.send(Disconnect())
    assert state is LinkState.DISCONNECTING
    return client


def feed_and_answer(link: HdlcServerLink, wire: bytes) -> bytes:
    feed(link, wire)
    return link.data_to_send()


LINK_REQUESTS: dict[LinkInput, Any] = {
    LinkInput.CONNECT: Connect(),
    LinkInput.DISCONNECT: Disconnect(),
    LinkInput.POLL: Poll(),
    LinkInput.SEND: SendApdu(b"\xc0\x01"),
}


@pytest.mark.parametrize("state", list(LinkState), ids=str)
@pytest.mark.parametrize("what", list(LINK_REQUESTS), ids=str)
def test_client_link_requests_follow_the_table(state: LinkState, what: LinkInput) -> None:
    link = link_in(state, server_side=False)
    assert link.state is state
    after = CLIENT_LINK.get(state, what)
    if after is None:
        with pytest.raises(LocalProtocolError, match=state.value):
            link.send(LINK_REQUESTS[what])
        assert link.state is state
    else:
        assert link.send(LINK_REQUESTS[what])
        assert link.state is after


@pytest.mark.parametrize("state", [LinkState.DISCONNECTED, LinkState.CONNECTED, LinkState.ERROR], ids=str)
@pytest.mark.parametrize("what", list(LINK_REQUESTS), ids=str)
def test_server_link_requests_follow_the_table(state: LinkState, what: LinkInput) -> None:
    link = link_in(state, server_side=True)
    assert link.state is state
    if what is LinkInput.SEND and SERVER_LINK.allows(state, what):
        assert link.send(LINK_REQUESTS[what])
    else:  # a server never connects, disconnects or polls; it sends only while connected
        with pytest.raises(LocalProtocolError):
            link.send(LINK_REQUESTS[what])
    assert link.state is state


def test_the_link_error_state_is_terminal() -> None:
    for server_side in (False, True):
        link = link_in(LinkState.ERROR, server_side)
        for request_ in LINK_REQUESTS.values():
            with pytest.raises(LocalProtocolError):
                link.send(request_)
        link.receive_data(encode_frame(HdlcFrame(HDLC_SERVER, HDLC_CLIENT, FrameKind.SNRM)))
        with pytest.raises(RemoteProtocolError, match="failed earlier"):
            link.next_event()
        assert link.state is LinkState.ERROR


def test_server_refuses_responses_without_changing_state() -> None:
    server = link_in(LinkState.CONNECTED, server_side=True)
    for kind in (FrameKind.UA, FrameKind.DM, FrameKind.FRMR):
        with pytest.raises(RemoteProtocolError, match="response"):
            feed(server, encode_frame(HdlcFrame(HDLC_SERVER, HDLC_CLIENT, kind)))
        assert server.state is LinkState.CONNECTED


# ---------------------------------------------------------------------------------------------- tables
TABLES: list[tuple[TransitionTable[Any, Any], type[enum.Enum]]] = [
    (CLIENT, State),
    (SERVER, State),
    (CLIENT_LINK, LinkState),
    (SERVER_LINK, LinkState),
]


@pytest.mark.parametrize(("table", "states"), TABLES, ids=lambda t: getattr(t, "machine", ""))
def test_tables_are_complete_and_the_error_row_is_empty(
    table: TransitionTable[Any, Any], states: type[enum.Enum]
) -> None:
    transitions = list(table)
    assert transitions
    sources = {s for s, _, _ in transitions}
    assert table.error not in sources  # nothing leaves the error state
    for state, what, after in transitions:
        assert isinstance(state, states) and isinstance(after, states)
        assert table.get(state, what) is after and table.allows(state, what)
    assert not any(table.allows(table.error, what) for _, what, _ in transitions)


def test_a_table_with_a_way_out_of_the_error_state_is_refused() -> None:
    class S(enum.Enum):
        OK = "ok"
        ERROR = "error"

    class In(enum.Enum):
        GO = "go"

    with pytest.raises(ValueError, match="error state"):
        TransitionTable[S, In]("broken", {S.OK: {In.GO: S.OK}, S.ERROR: {In.GO: S.OK}}, S.ERROR)
    table = TransitionTable[S, In]("fine", {S.OK: {In.GO: S.ERROR}}, S.ERROR)
    with pytest.raises(LocalProtocolError, match="fine: cannot go while error"):
        table.ours(S.ERROR, In.GO)
    with pytest.raises(RemoteProtocolError, match="fine: the peer sent go while error"):
        table.theirs(S.ERROR, In.GO)
    assert table.theirs(S.OK, In.GO) is S.ERROR
