"""Every DLMS reference vector in ../shared/vectors/dlms, byte for byte, through our client and server.

Client requests in the vectors were produced by an independent client: our client must produce the same bytes
from the same inputs, and our server must accept them and produce the example answers, which that client
accepted. Framing vectors (HDLC) are covered in test_hdlc_frames.py, test_hdlc_parameters.py,
test_hdlc_stream.py and test_hdlc_links.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from meterhub.dlms import apdu as A
from meterhub.dlms.acse import Mechanism
from meterhub.dlms.association import (
    Associate,
    Associated,
    ClientAssociation,
    ClientSettings,
    Get,
    GetCompleted,
    GetReply,
    GetRequested,
    Release,
    Released,
    ServerAssociation,
    ServerPolicy,
    Set,
    SetReply,
)
from meterhub.dlms.axdr import DateTime, Enum, Integer, LongUnsigned, decode_data_exact
from meterhub.dlms.security import CipherKeys, decrypt, encrypt, hls_gmac_response
from meterhub.dlms.wrapper import decode_wrapper, encode_wrapper
from tests.conftest import hx, load_vector
from tests.sansio import receive

CLOCK = A.AttributeRef(8, bytes((0, 0, 1, 0, 0, 255)), 2)


def _apdu(frame_hex: str) -> bytes:
    return decode_wrapper(hx(frame_hex)).apdu


def _fixed(*chunks: bytes) -> Iterator[bytes]:
    yield from chunks


def _random_from(*chunks: bytes):  # type: ignore[no-untyped-def]
    it = _fixed(*chunks)
    return lambda n: next(it)


@pytest.mark.parametrize("name", ["aes_gcm_green_book_sc30", "aes_gcm_green_book_sc10", "aes_gcm_green_book_sc20"])
def test_green_book_gcm(name: str) -> None:
    v = load_vector(name)
    i, e = v["inputs"], v["expected"]
    keys = CipherKeys(hx(i["encryption_key"]), hx(i["authentication_key"]))
    ic = int(i["invocation_counter"], 16)
    content = encrypt(keys, hx(i["system_title"]), ic, hx(i["plaintext"]), int(i["security_control"], 16))
    assert content == hx(e["ciphered_content"])
    assert A.ServiceSpecificCiphered(0x21, content).encode() == hx(e["glo_initiate_request_apdu"])
    carrier = A.decode_xdlms(hx(e["glo_initiate_request_apdu"]))
    assert isinstance(carrier, A.ServiceSpecificCiphered)
    back = decrypt(keys, hx(i["system_title"]), carrier.ciphered_content)
    assert back.plaintext == hx(i["plaintext"])
    assert back.invocation_counter == ic


def _public_pair() -> tuple[ClientAssociation, ServerAssociation]:
    client = ClientAssociation(ClientSettings())
    server = ServerAssociation(ServerPolicy(system_title=b"LUX\x00\x00\xbcaN", conformance=0x00101C, read_only=True))
    return client, server


def _open_public(client: ClientAssociation, server: ServerAssociation) -> tuple[bytes, bytes]:
    aarq = client.send(Associate())
    events = receive(server, aarq)
    assert isinstance(events[0], Associated)
    (aare,) = server.data_to_send()
    assert isinstance(receive(client, aare)[0], Associated)
    return aarq, aare


def test_get_clock_public() -> None:
    v = load_vector("get_clock_public")
    e = v["expected"]
    client, server = _public_pair()
    aarq, aare = _open_public(client, server)
    assert encode_wrapper(16, 1, aarq) == hx(e["aarq_wrapper_frame"])
    assert encode_wrapper(1, 16, aare) == hx(e["aare_wrapper_frame_example"])
    request = client.send(Get(CLOCK))
    assert encode_wrapper(16, 1, request) == hx(e["get_request_wrapper_frame"])
    (ev,) = receive(server, request)
    assert isinstance(ev, GetRequested) and ev.attribute == CLOCK
    for key, value_key, decoded in [
        ("get_response_winter_wrapper_frame", "clock_value_winter", "clock_winter"),
        ("get_response_summer_wrapper_frame", "clock_value_summer", "clock_summer"),
    ]:
        answer = server.send(GetReply(ev.invoke_id, hx(v["inputs"][value_key])))
        assert encode_wrapper(1, 16, answer) == hx(e[key])
        client._pending[ev.invoke_id & 0x0F] = "get"  # the same request answered twice in this test
        (done,) = receive(client, answer)
        assert isinstance(done, GetCompleted)
        when = DateTime.from_bytes(done.result).to_datetime()
        assert when == dt.datetime.fromisoformat(v["decoded"][decoded])
        assert when.utcoffset() == dt.datetime.fromisoformat(v["decoded"][decoded]).utcoffset()


def test_public_client_may_not_set_clock() -> None:
    client, server = _public_pair()
    _open_public(client, server)
    assert receive(server, client.send(Set(CLOCK, hx("07EA0B18020A000000FFC400")))) == []
    (answer,) = server.data_to_send()
    (done,) = receive(client, answer)
    assert done.result == A.DataAccessResult.READ_WRITE_DENIED  # type: ignore[union-attr]


def test_get_register_scaler_unit() -> None:
    v = load_vector("get_register_scaler_unit")
    e = v["expected"]
    client, server = _public_pair()
    _open_public(client, server)
    register = bytes.fromhex(v["inputs"]["logical_name"])
    for attr, req_key, resp_key, value in [
        (3, "get_request_attr3_wrapper_frame", "get_response_attr3_wrapper_frame", (Integer(0), Enum(30))),
        (2, "get_request_attr2_wrapper_frame", "get_response_attr2_wrapper_frame", None),
    ]:
        client._invoke_id = 1
        request = client.send(Get(A.AttributeRef(3, register, attr)))
        assert encode_wrapper(16, 1, request) == hx(e[req_key])
        (ev,) = receive(server, request)
        assert isinstance(ev, GetRequested)
        if value is None:
            from meterhub.dlms.axdr import DoubleLongUnsigned

            value = DoubleLongUnsigned(int(v["inputs"]["value_wh"], 16))
        answer = server.send(GetReply(ev.invoke_id, value))
        assert encode_wrapper(1, 16, answer) == hx(e[resp_key])
        (done,) = receive(client, answer)
        assert isinstance(done, GetCompleted)
    assert v["decoded"] == {"scaler": 0, "unit": 30, "value": 17999495}


def test_get_profile_by_range() -> None:
    v = load_vector("get_profile_by_range")
    e = v["expected"]
    profile = A.AttributeRef(7, bytes((1, 0, 99, 1, 0, 255)), 2)
    # capture objects (attribute 3) decode to the six columns of the national profile
    cap = A.decode_xdlms(_apdu(e["get_capture_objects_response_wrapper_frame"]))
    assert isinstance(cap, A.GetResponseNormal)
    assert [(int(c), ln.hex(), int(a), int(d)) for c, ln, a, d in cap.result] == [
        (8, "0000010000ff", 2, 0),
        (1, "0000600a01ff", 2, 0),
        (3, "0100010800ff", 2, 0),
        (3, "0100020800ff", 2, 0),
        (3, "0100030800ff", 2, 0),
        (3, "0100040800ff", 2, 0),
    ]
    # the client builds the range request exactly as the independent client does
    client, server = _public_pair()
    _open_public(client, server)
    utc = dt.UTC
    frm = DateTime.from_datetime(dt.datetime(2026, 11, 23, 10, tzinfo=utc), clock_status=0)
    to = DateTime.from_datetime(dt.datetime(2026, 11, 24, 10, tzinfo=utc), clock_status=0)
    frm, to = (DateTime(d.year, d.month, d.day, 0xFF, d.hour, d.minute, d.second, 0, 0, 0) for d in (frm, to))
    rng = A.RangeDescriptor((8, CLOCK.instance, 2, 0), frm.to_bytes(), to.to_bytes())
    request = client.send(Get(profile, rng.to_access_selection()))
    assert encode_wrapper(16, 1, request) == hx(e["get_request_by_range_wrapper_frame"])
    (ev,) = receive(server, request)
    assert isinstance(ev, GetRequested) and ev.access is not None
    parsed = A.RangeDescriptor.from_access_selection(ev.access)
    assert DateTime.from_bytes(parsed.from_value).to_datetime() == dt.datetime(2026, 11, 23, 10, tzinfo=utc)
    # the two-row answer decodes into the expected rows
    answer = _apdu(e["get_response_two_rows_wrapper_frame"])
    (done,) = receive(client, answer)
    assert isinstance(done, GetCompleted)
    rows = [[DateTime.from_bytes(r[0]).to_datetime().isoformat(), *(int(x) for x in r[1:])] for r in done.result]
    assert rows == v["decoded"]["rows"]
    # and our server, given those rows, sends the same bytes
    assert server.send(GetReply(ev.invoke_id, done.result)) == answer


def _hls_pair(
    general: bool = False, client_pdu: int = 0xFFFF
) -> tuple[ClientAssociation, ServerAssociation, dict[str, str]]:
    v = load_vector("hls_gmac_association")
    i = v["inputs"]
    keys = CipherKeys(hx(i["encryption_key"]), hx(i["authentication_key"]))
    client = ClientAssociation(
        ClientSettings(
            authentication=Mechanism.HIGH_GMAC,
            keys=keys,
            system_title=hx(i["client_system_title"]),
            invocation_counter=1,
            invoke_id_increment=False,
            general_protection=general,
            max_receive_pdu_size=client_pdu,
        ),
        random=_random_from(hx(i["ctos_challenge"])),
    )
    server = ServerAssociation(
        ServerPolicy(
            system_title=hx(i["server_system_title"]),
            authentication=Mechanism.HIGH_GMAC,
            keys=keys,
            invocation_counter=0x101,
        ),
        random=_random_from(hx(i["stoc_challenge"])),
    )
    return client, server, v["expected"]


def test_hls_gmac_association_byte_exact() -> None:
    client, server, e = _hls_pair()
    aarq = client.send(Associate())
    assert aarq == hx(e["aarq_apdu"])
    assert encode_wrapper(1, 1, aarq) == hx(e["aarq_wrapper_frame"])
    assert receive(server, aarq) == []
    (aare,) = server.data_to_send()
    assert aare == hx(e["aare_apdu_example"])
    assert receive(client, aare) == []
    (reply,) = client.data_to_send()
    assert encode_wrapper(1, 1, reply) == hx(e["reply_to_hls_glo_action_request_wrapper_frame"])
    (ev,) = receive(server, reply)
    assert isinstance(ev, Associated) and ev.peer_system_title == hx("4D4D4D0000000001")
    (answer,) = server.data_to_send()
    assert encode_wrapper(1, 1, answer) == hx(e["glo_action_response_wrapper_frame_example"])
    (done,) = receive(client, answer)
    assert isinstance(done, Associated)
    assert done.conformance == 0x00101D and done.peer_max_pdu == 1024
    # f(StoC) and f(CtoS) as the vector computes them
    keys = client.settings.keys
    assert keys is not None
    assert hls_gmac_response(keys, hx("4D4D4D0000000001"), 2, hx("503677524A323146112233445566778A")) == hx(e["f_stoc"])
    rlrq = client.send(Release())
    assert encode_wrapper(1, 1, rlrq) == hx(e["rlrq_wrapper_frame"])
    assert isinstance(receive(server, rlrq)[0], Released)
    (rlre,) = server.data_to_send()
    assert encode_wrapper(1, 1, rlre) == hx(e["rlre_wrapper_frame"])
    assert isinstance(receive(client, rlre)[0], Released)


def _associated_hls(general: bool = False, client_pdu: int = 0xFFFF) -> tuple[ClientAssociation, ServerAssociation]:
    client, server, _ = _hls_pair(general, client_pdu)
    receive(server, client.send(Associate()))
    receive(client, server.data_to_send()[0])
    receive(server, client.data_to_send()[0])
    receive(client, server.data_to_send()[0])
    return client, server


def test_get_clock_glo_ciphered_byte_exact() -> None:
    v = load_vector("get_clock_glo_ciphered")
    e, i = v["expected"], v["inputs"]
    client, server = _associated_hls()
    request = client.send(Get(CLOCK))
    assert request == hx(e["glo_get_request_apdu"])
    assert encode_wrapper(1, 1, request) == hx(e["glo_get_request_wrapper_frame"])
    (ev,) = receive(server, request)
    assert isinstance(ev, GetRequested) and ev.attribute == CLOCK
    answer = server.send(GetReply(ev.invoke_id, hx("07EA0B18020A000000FFC400")))
    assert answer == hx(e["glo_get_response_apdu"])
    assert encode_wrapper(1, 1, answer) == hx(e["glo_get_response_wrapper_frame"])
    (done,) = receive(client, answer)
    assert isinstance(done, GetCompleted)
    assert DateTime.from_bytes(done.result).to_datetime() == dt.datetime.fromisoformat(v["decoded"]["clock"])
    # plaintexts as in the vector
    keys = CipherKeys(hx(i["encryption_key"]), hx(i["authentication_key"]))
    carrier = A.decode_xdlms(request)
    assert isinstance(carrier, A.ServiceSpecificCiphered)
    plain = decrypt(keys, hx(i["client_system_title"]), carrier.ciphered_content).plaintext
    assert plain == hx(i["get_request_plain"])
    # the replayed request is refused with D8 01 06 + next expected counter, never with data
    assert receive(server, request) == []
    (refusal,) = server.data_to_send()
    assert refusal == hx("D80106") + (5).to_bytes(4, "big")
    assert server.rejected_apdus == 1


def test_general_glo_ciphering_request_answered_in_kind() -> None:
    v = load_vector("get_clock_glo_ciphered")
    e = v["expected"]
    client, server = _associated_hls()
    (ev,) = receive(server, hx(e["general_glo_ciphering_request_apdu"]))
    assert isinstance(ev, GetRequested)
    answer = server.send(GetReply(ev.invoke_id, hx("07EA0B18020A000000FFC400")))
    assert answer == hx(e["general_glo_ciphering_response_apdu"])
    client._pending[1] = "get"
    (done,) = receive(client, answer)
    assert isinstance(done, GetCompleted)


def test_long_get_uses_data_blocks() -> None:
    client, server = _associated_hls(client_pdu=1024)
    from meterhub.dlms.axdr import DoubleLongUnsigned

    big = [(hx("07EA0B18020A000000FFC400"), DoubleLongUnsigned(n)) for n in range(400)]
    (ev,) = receive(server, client.send(Get(A.AttributeRef(7, bytes((1, 0, 99, 1, 0, 255)), 2))))
    assert isinstance(ev, GetRequested)
    apdu = server.send(GetReply(ev.invoke_id, big))
    blocks = 0
    while True:
        events = receive(client, apdu)
        blocks += 1
        if events:
            break
        (nxt,) = client.data_to_send()
        assert receive(server, nxt) == []
        (apdu,) = server.data_to_send()
        assert len(apdu) <= 1024
    assert blocks > 5
    assert isinstance(events[0], GetCompleted) and events[0].result == big


def test_long_set_uses_data_blocks() -> None:
    client, server = _associated_hls()
    value = [LongUnsigned(n) for n in range(1000)]
    apdu = client.send(Set(A.AttributeRef(1, bytes((0, 0, 96, 1, 0, 255)), 2), value))
    while True:
        events = receive(server, apdu)
        if events:
            break
        (ack,) = server.data_to_send()
        assert receive(client, ack) == []
        (apdu,) = client.data_to_send()
    assert events[0].value == value  # type: ignore[union-attr]
    (done,) = receive(client, server.send(SetReply(events[0].invoke_id, A.DataAccessResult.SUCCESS)))  # type: ignore[union-attr]
    assert done.result == A.DataAccessResult.SUCCESS  # type: ignore[union-attr]


def test_profile_rows_decode_exact() -> None:
    raw = _apdu(load_vector("get_profile_by_range")["expected"]["get_response_two_rows_wrapper_frame"])
    resp = A.decode_xdlms(raw)
    assert isinstance(resp, A.GetResponseNormal)
    assert resp.encode() == raw
    assert decode_data_exact(raw[4:]) == resp.result
