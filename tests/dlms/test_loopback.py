"""Sans-io loopback: our client and server complete an HLS-GMAC association over the TCP wrapper, read a load
profile by range, and refuse a replayed, a tampered and a wrongly keyed APDU.

Bytes travel through :class:`~meterhub.dlms.wrapper.WrapperStream` in small chunks, as they would over TCP.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from meterhub.dlms import apdu as A
from meterhub.dlms.acse import Mechanism
from meterhub.dlms.association import (
    Associate,
    Associated,
    AssociationRejected,
    ClientAssociation,
    ClientSettings,
    Event,
    ExceptionReceived,
    Get,
    GetCompleted,
    GetReply,
    GetRequested,
    ServerAssociation,
    ServerPolicy,
)
from meterhub.dlms.axdr import DateTime, DoubleLongUnsigned, Unsigned
from meterhub.dlms.errors import SecurityError
from meterhub.dlms.security import CipherKeys, InvocationCounterGuard
from meterhub.dlms.wrapper import WrapperStream, encode_wrapper
from tests.sansio import feed, receive

EK = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
AK = bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
CLIENT_TITLE = bytes.fromhex("4D4D4D0000000001")
METER_TITLE = bytes.fromhex("4C55580000BC614E")
PROFILE = A.AttributeRef(7, bytes((1, 0, 99, 1, 0, 255)), 2)
CLOCK_LN = bytes((0, 0, 1, 0, 0, 255))
START = dt.datetime(2026, 11, 23, 23, 0, tzinfo=dt.UTC)  # local midnight, CET


def profile_rows(frm: dt.datetime, to: dt.datetime) -> list[tuple[Any, ...]]:
    """A meter's 1/4 h profile between two instants, both inclusive (Blue Book range semantics)."""
    rows = []
    t = START
    a_plus = 17_999_495
    while t <= to:
        a_plus += 30
        if t >= frm:
            local = t.astimezone(dt.timezone(dt.timedelta(hours=1)))
            rows.append(
                (
                    DateTime.from_datetime(local, clock_status=0).to_bytes(),
                    Unsigned(0),
                    DoubleLongUnsigned(a_plus),
                    DoubleLongUnsigned(200),
                    DoubleLongUnsigned(1000),
                    DoubleLongUnsigned(10),
                )
            )
        t += dt.timedelta(minutes=15)
    return rows


class Link:
    """Client ↔ server over the wrapper, chunked, with the meter application answering gets."""

    def __init__(self, client: ClientAssociation, server: ServerAssociation) -> None:
        self.client, self.server = client, server
        self.to_server = WrapperStream()
        self.to_client = WrapperStream()

    def _chunks(self, data: bytes) -> list[bytes]:
        return [data[i : i + 7] for i in range(0, len(data), 7)]

    def server_handle(self, apdu: bytes) -> list[bytes]:
        out = []
        for ev in receive(self.server, apdu):
            if isinstance(ev, GetRequested):
                assert ev.attribute == PROFILE and ev.access is not None
                rng = A.RangeDescriptor.from_access_selection(ev.access)
                frm = DateTime.from_bytes(rng.from_value).to_datetime()
                to = DateTime.from_bytes(rng.to_value).to_datetime()
                out.append(self.server.send(GetReply(ev.invoke_id, profile_rows(frm, to))))
        return self.server.data_to_send() + out

    def send(self, apdu: bytes) -> list[Event]:
        """Send one client APDU, run the exchange until the client has nothing more to send."""
        events: list[Event] = []
        pending = [apdu]
        while pending:
            frame = encode_wrapper(1, 1, pending.pop(0))
            answers = []
            for chunk in self._chunks(frame):
                for f in feed(self.to_server, chunk):
                    answers += self.server_handle(f.apdu)
            for answer in answers:
                for chunk in self._chunks(encode_wrapper(1, 1, answer)):
                    for f in feed(self.to_client, chunk):
                        events += receive(self.client, f.apdu)
                pending += self.client.data_to_send()
        return events


def make_pair(
    client_keys: CipherKeys | None = None, guard: InvocationCounterGuard | None = None
) -> tuple[ClientAssociation, ServerAssociation]:
    keys = CipherKeys(EK, AK)
    client = ClientAssociation(
        ClientSettings(
            authentication=Mechanism.HIGH_GMAC,
            keys=client_keys or keys,
            system_title=CLIENT_TITLE,
            max_receive_pdu_size=1024,
        )
    )
    server = ServerAssociation(
        ServerPolicy(
            system_title=METER_TITLE,
            authentication=Mechanism.HIGH_GMAC,
            keys=keys,
            guard=guard or InvocationCounterGuard(),
        )
    )
    return client, server


def range_request(client: ClientAssociation, frm: dt.datetime, to: dt.datetime) -> bytes:
    def utc(t: dt.datetime) -> bytes:
        return DateTime.from_datetime(t.astimezone(dt.UTC), clock_status=0).to_bytes()

    rng = A.RangeDescriptor((8, CLOCK_LN, 2, 0), utc(frm), utc(to))
    return client.send(Get(PROFILE, rng.to_access_selection()))


def test_hls_association_and_profile_by_range() -> None:
    client, server = make_pair()
    link = Link(client, server)
    (ev,) = link.send(client.send(Associate()))
    assert isinstance(ev, Associated) and ev.peer_system_title == METER_TITLE
    frm = START
    to = START + dt.timedelta(hours=24)
    (done,) = link.send(range_request(client, frm, to))
    assert isinstance(done, GetCompleted)
    rows = done.result
    assert len(rows) == 97  # both ends inclusive
    assert DateTime.from_bytes(rows[0][0]).to_datetime() == frm
    assert DateTime.from_bytes(rows[-1][0]).to_datetime() == to
    assert [r[2] - rows[0][2] for r in rows[:3]] == [0, 30, 60]


def test_replayed_apdu_is_refused() -> None:
    client, server = make_pair()
    link = Link(client, server)
    link.send(client.send(Associate()))
    request = range_request(client, START, START + dt.timedelta(hours=1))
    (done,) = link.send(request)
    assert isinstance(done, GetCompleted)
    # the same APDU again: the server answers with exception-response, never data
    client._pending[request[0] & 0x0F] = "get"
    events = link.send(request)
    assert len(events) == 1 and isinstance(events[0], ExceptionReceived)
    exc = events[0].apdu
    assert isinstance(exc, A.ExceptionResponse)
    assert exc.service_error == A.ServiceError.INVOCATION_COUNTER_ERROR
    assert exc.invocation_counter == client.invocation_counter
    assert server.rejected_apdus == 1


def test_replay_across_associations_with_persisted_guard() -> None:
    guard = InvocationCounterGuard()
    client, server = make_pair(guard=guard)
    link = Link(client, server)
    link.send(client.send(Associate()))
    request = range_request(client, START, START + dt.timedelta(hours=1))
    link.send(request)
    # a new association on the same meter (same guard): the old APDU is still a replay
    client2, server2 = make_pair(guard=guard)
    client2.settings.invocation_counter = client.invocation_counter
    client2._protection.counter = client.invocation_counter  # type: ignore[union-attr]
    link2 = Link(client2, server2)
    (ev,) = link2.send(client2.send(Associate()))
    assert isinstance(ev, Associated)
    assert receive(server2, request) == []
    (refusal,) = server2.data_to_send()
    assert refusal[:3] == bytes.fromhex("D80106")


@pytest.mark.parametrize("position", [0, 5, 9, -1, -13])
def test_tampered_apdu_is_refused(position: int) -> None:
    client, server = make_pair()
    link = Link(client, server)
    link.send(client.send(Associate()))
    request = bytearray(range_request(client, START, START + dt.timedelta(hours=1)))
    index = position if position >= 0 else len(request) + position
    index = max(index, 7)  # flip inside the ciphered content (after tag, length, SC and counter)
    request[index] ^= 0x01
    assert receive(server, bytes(request)) == []
    (refusal,) = server.data_to_send()
    assert refusal[0] == A.Tag.EXCEPTION_RESPONSE
    assert server.rejected_apdus == 1
    # and the genuine next request still works: the forged APDU did not advance the counter
    (done,) = link.send(range_request(client, START, START + dt.timedelta(minutes=30)))
    assert isinstance(done, GetCompleted) and len(done.result) == 3


def test_wrong_key_cannot_associate() -> None:
    wrong = CipherKeys(bytes(16), AK)
    client, server = make_pair(client_keys=wrong)
    link = Link(client, server)
    (ev,) = link.send(client.send(Associate()))
    assert isinstance(ev, AssociationRejected)
    assert server.rejected_apdus == 1


def test_wrong_key_apdu_inside_association_is_refused() -> None:
    client, server = make_pair()
    link = Link(client, server)
    link.send(client.send(Associate()))
    # an attacker who knows the titles but not the key ciphers a request with the next counter
    rogue = ClientAssociation(
        ClientSettings(
            authentication=Mechanism.HIGH_GMAC,
            keys=CipherKeys(bytes(16), AK),
            system_title=CLIENT_TITLE,
            invocation_counter=client.invocation_counter,
        )
    )
    rogue.state = client.state
    rogue.conformance = client.conformance
    forged = range_request(rogue, START, START + dt.timedelta(hours=1))
    assert receive(server, forged) == []
    (refusal,) = server.data_to_send()
    assert A.decode_xdlms(refusal) == A.ExceptionResponse(
        A.StateError.SERVICE_NOT_ALLOWED, A.ServiceError.DECIPHERING_ERROR
    )


def test_client_refuses_tampered_answer() -> None:
    client, server = make_pair()
    link = Link(client, server)
    link.send(client.send(Associate()))
    request = range_request(client, START, START + dt.timedelta(hours=1))
    answers = link.server_handle(request)
    tampered = bytearray(answers[-1])
    tampered[-1] ^= 0x80
    with pytest.raises(SecurityError):
        receive(client, bytes(tampered))
    with pytest.raises(SecurityError):  # a clear answer inside a ciphered association is refused too
        receive(client, A.GetResponseNormal(0xC1, Unsigned(1)).encode())
