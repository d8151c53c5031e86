"""Regression tests of the bugs the DLMS fuzzer found, all fixed: compact arrays of zero-size elements (once an
endless loop) refused, block number 2³² − 1 in get-request-next and set-response-datablock, selective-access
parameters holding infinite floats, general-ded-ciphering from a server when no dedicated key was agreed, and invalid
dates given to ``epoch_from_octets``; the calls that once hung run under the fuzzer's CPU-time alarm.
"""

from __future__ import annotations

from typing import Any

import pytest

from meterhub.dlms import apdu as A
from meterhub.dlms.acse import Aare, ApplicationContext, AssociationResult, InitiateResponse
from meterhub.dlms.association import ClientAssociation, ServerAssociation, Set, State
from meterhub.dlms.axdr import Integer, LongUnsigned, datetime_from_octets, decode_data, epoch_from_octets
from meterhub.dlms.errors import DecodeError, RemoteProtocolError, SecurityError
from meterhub.dlms.security import encrypt
from tests.fuzz.dlms_corpus import fuzz_inputs
from tests.fuzz.dlms_harness import guarded
from tests.fuzz.dlms_sessions import association_pair, fresh, open_association
from tests.fuzz.dlms_values import KEYS, PROFILE, SERVER_TITLE
from tests.sansio import receive

pytestmark = pytest.mark.usefixtures("dlms_cpu_alarm")


def _decode_under_alarm(data: bytes) -> Any:
    with guarded(0.1):
        return decode_data(data)


@pytest.mark.parametrize(
    "data",
    [
        "13 0200 01 00",  # structure of no fields, one content octet
        "13 01 0000 11 01 00",  # array of 0 unsigned, one content octet
        "13 01 0003 0200 03 000000",  # array of 3 empty structures
    ],
)
def test_compact_array_of_zero_size_elements_is_refused(data: str) -> None:
    with pytest.raises(DecodeError):
        _decode_under_alarm(bytes.fromhex(data.replace(" ", "")))


def test_compact_array_nested_zero_size_elements_is_refused() -> None:
    data = bytes.fromhex("13 01FFFF 01FFFF 0200 82FFFF".replace(" ", "")) + b"\x00" * 0xFFFF
    with pytest.raises(DecodeError):
        _decode_under_alarm(data)


def _public_associated(server_pdu: int = 1024) -> tuple[ClientAssociation, ServerAssociation]:
    c, s = association_pair(False, server_kw={"max_receive_pdu_size": server_pdu})
    open_association(c, s, [])
    return c, s


def test_server_get_request_next_last_block_number() -> None:
    """get-request-next for block 2³² − 1 with no long get in progress is answered, not raised: a last
    get-response-with-datablock carrying no-long-get-in-progress (the block number encodes as it came)."""
    _, server = _public_associated()
    assert receive(server, A.GetRequestNext(0xC1, 0xFFFFFFFF).encode()) == []
    (answer,) = server.data_to_send()
    assert A.decode_xdlms(answer) == A.GetResponseWithDatablock(
        0xC1, True, 0xFFFFFFFF, A.DataAccessResult.NO_LONG_GET_IN_PROGRESS
    )
    assert server.state is State.ASSOCIATED


def test_client_set_response_datablock_last_block_number() -> None:
    client, _ = _public_associated(server_pdu=128)
    client.send(Set(PROFILE, bytes(1000)))
    with pytest.raises(RemoteProtocolError, match="block number out of range"):
        receive(client, A.SetResponseDatablock(0xC1, 0xFFFFFFFF).encode())
    assert client.state is State.ERROR


@pytest.mark.parametrize("selector", [1, 2])
def test_access_selection_with_infinite_float(selector: int) -> None:
    inf = float("inf")
    params = ((inf, bytes(6), Integer(2), LongUnsigned(0)), None, None, []) if selector == 1 else (inf, inf, inf, inf)
    raw = A.GetRequestNormal(0xC1, PROFILE, A.AccessSelection(selector, params)).encode()
    request = A.decode_xdlms(raw)
    assert isinstance(request, A.GetRequestNormal) and request.access is not None
    parser = A.RangeDescriptor if selector == 1 else A.EntryDescriptor
    with pytest.raises(DecodeError):
        parser.from_access_selection(request.access)


@pytest.mark.parametrize("state", ["client-associated-hls", "client-awaiting-hls", "client-awaiting-aare-hls"])
def test_client_refuses_general_ded_ciphering(state: str) -> None:
    """A server's general-ded-ciphering APDU (no dedicated key was agreed) must be refused with SecurityError."""
    client = fresh(fuzz_inputs().sessions.clients[state])
    apdu = A.GeneralDedCiphering(SERVER_TITLE, encrypt(KEYS, SERVER_TITLE, 0x10000, b"\xc4\x01\xc1\x00\x11\x01"))
    with pytest.raises(SecurityError):
        receive(client, apdu.encode())


def test_client_refuses_general_ded_ciphered_initiate_response() -> None:
    client = fresh(fuzz_inputs().sessions.clients["client-awaiting-aare-hls"])
    initiate = InitiateResponse(0x00101D, 1024).encode()
    carrier = A.GeneralDedCiphering(SERVER_TITLE, encrypt(KEYS, SERVER_TITLE, 0x10000, initiate))
    aare = Aare(
        ApplicationContext.LN_CIPHERED, AssociationResult.ACCEPTED, 0, 1, SERVER_TITLE, None, None, carrier.encode()
    )
    with pytest.raises(SecurityError):
        receive(client, aare.encode())


@pytest.mark.parametrize(
    "octets",
    [
        "07EA021E FF 0A0000 00 FFC4 00",  # 2026-02-30
        "07EA041F FF 0A0000 00 FFC4 00",  # 2026-04-31
        "FFFF0101 FF 0A0000 00 FFC4 00",  # year not specified
        "07EA0101 FF 0A0000 96 FFC4 00",  # hundredths 150
    ],
    ids=["feb-30", "apr-31", "year-unspecified", "hundredths-150"],
)
def test_epoch_from_octets_refuses_invalid_dates(octets: str) -> None:
    raw = bytes.fromhex(octets.replace(" ", ""))
    with pytest.raises(DecodeError):
        datetime_from_octets(raw)
    with pytest.raises(DecodeError):
        epoch_from_octets(raw)
