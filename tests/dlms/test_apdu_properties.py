"""Property tests of the xDLMS and ACSE APDUs: decode(encode(x)) == x and re-encoding is byte-identical.

One strategy per class of the ``XdlmsApdu`` union (a test checks none is missing) and for AARQ, AARE, RLRQ,
RLRE, InitiateRequest and InitiateResponse. Fields stay in their wire ranges: invoke-id-and-priority one
octet, logical names 6 octets, attribute/method ids int8, class ids uint16, block numbers uint32, GBT numbers
uint16 and window 6 bits. Data inside APDUs comes from the A-XDR strategies, without NaN so that ``==`` holds;
the type trees are compared too.

Two documented asymmetries of the encodings shape the strategies: exception-response carries an invocation
counter only with service-error invocation-counter-error, and a data-notification's empty date-time is the
same octets as an absent one (generated: None or non-empty). Mechanism NONE is not sent in an AARQ/AARE (it
decodes as absent), and an AARE's diagnostic source is 1 (acse-service-user) or 2 (acse-service-provider).
"""

from __future__ import annotations

import typing
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meterhub.dlms import apdu as A
from meterhub.dlms.acse import (
    Aare,
    Aarq,
    ApplicationContext,
    AssociationResult,
    InitiateRequest,
    InitiateResponse,
    Mechanism,
    Rlre,
    Rlrq,
    decode_acse,
)
from meterhub.dlms.errors import DecodeError, EncodeError
from tests.dlms.axdr_compare import assert_same
from tests.dlms.axdr_strategies import data_values

# ------------------------------------------------------------------------------------------ fields
u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.one_of(st.sampled_from([0, 1, 0xFFFFFFFF]), st.integers(0, 0xFFFFFFFF))
invoke_ids = u8
int8 = st.integers(-128, 127)
logical_names = st.binary(min_size=6, max_size=6)
#: Octet strings of every length form: short, 0x81 and 0x82 lengths.
octets = st.one_of(st.binary(max_size=40), st.binary(min_size=120, max_size=300))
data = data_values(allow_nan=False, max_leaves=8)

attribute_refs = st.builds(A.AttributeRef, u16, logical_names, int8)
method_refs = st.builds(A.MethodRef, u16, logical_names, int8)
capture_objects = st.tuples(u16, logical_names, int8, u16)
range_descriptors = st.builds(
    A.RangeDescriptor,
    capture_objects,
    data,
    data,
    st.lists(capture_objects, max_size=4).map(tuple),
)
entry_descriptors = st.builds(A.EntryDescriptor, u32, u32, u16, u16)
access_selections = st.one_of(
    st.none(),
    st.builds(A.AccessSelection, u8, data),
    range_descriptors.map(lambda r: r.to_access_selection()),
    entry_descriptors.map(lambda e: e.to_access_selection()),
)
items_with_access = st.lists(st.tuples(attribute_refs, access_selections), max_size=4).map(tuple)
data_access_results = st.sampled_from(list(A.DataAccessResult))
action_results = st.sampled_from(list(A.ActionResult))
get_data_results = st.one_of(data, data_access_results)
return_data = st.one_of(st.just(A.NO_DATA), data, data_access_results)


@st.composite
def set_requests_with_list(draw: st.DrawFn) -> A.SetRequestWithList:
    items = draw(items_with_access)
    values = draw(st.lists(data, min_size=len(items), max_size=len(items)))
    return A.SetRequestWithList(draw(invoke_ids), items, tuple(values))


@st.composite
def action_requests_with_list(draw: st.DrawFn) -> A.ActionRequestWithList:
    methods = draw(st.lists(method_refs, max_size=4))
    params = draw(st.lists(data, min_size=len(methods), max_size=len(methods)))
    return A.ActionRequestWithList(draw(invoke_ids), tuple(methods), tuple(params))


@st.composite
def exception_responses(draw: st.DrawFn) -> A.ExceptionResponse:
    service = draw(st.sampled_from(list(A.ServiceError)))
    counter = draw(u32) if service == A.ServiceError.INVOCATION_COUNTER_ERROR else None
    return A.ExceptionResponse(draw(st.sampled_from(list(A.StateError))), service, counter)


CIPHERED_TAGS = sorted(int(t) for t in (*A.PLAIN_TAG_OF_GLO, *A.PLAIN_TAG_OF_DED))

#: One strategy per xDLMS APDU class.
XDLMS: dict[type, st.SearchStrategy[Any]] = {
    A.GetRequestNormal: st.builds(A.GetRequestNormal, invoke_ids, attribute_refs, access_selections),
    A.GetRequestNext: st.builds(A.GetRequestNext, invoke_ids, u32),
    A.GetRequestWithList: st.builds(A.GetRequestWithList, invoke_ids, items_with_access),
    A.GetResponseNormal: st.builds(A.GetResponseNormal, invoke_ids, get_data_results),
    A.GetResponseWithDatablock: st.builds(
        A.GetResponseWithDatablock, invoke_ids, st.booleans(), u32, st.one_of(octets, data_access_results)
    ),
    A.GetResponseWithList: st.builds(
        A.GetResponseWithList, invoke_ids, st.lists(get_data_results, max_size=5).map(tuple)
    ),
    A.SetRequestNormal: st.builds(A.SetRequestNormal, invoke_ids, attribute_refs, data, access_selections),
    A.SetRequestWithFirstDatablock: st.builds(
        A.SetRequestWithFirstDatablock, invoke_ids, attribute_refs, st.booleans(), u32, octets, access_selections
    ),
    A.SetRequestWithDatablock: st.builds(A.SetRequestWithDatablock, invoke_ids, st.booleans(), u32, octets),
    A.SetRequestWithList: set_requests_with_list(),
    A.SetResponseNormal: st.builds(A.SetResponseNormal, invoke_ids, data_access_results),
    A.SetResponseDatablock: st.builds(A.SetResponseDatablock, invoke_ids, u32),
    A.SetResponseLastDatablock: st.builds(A.SetResponseLastDatablock, invoke_ids, data_access_results, u32),
    A.SetResponseWithList: st.builds(
        A.SetResponseWithList, invoke_ids, st.lists(data_access_results, max_size=6).map(tuple)
    ),
    A.ActionRequestNormal: st.builds(A.ActionRequestNormal, invoke_ids, method_refs, st.just(A.NO_DATA) | data),
    A.ActionRequestNextPblock: st.builds(A.ActionRequestNextPblock, invoke_ids, u32),
    A.ActionRequestWithList: action_requests_with_list(),
    A.ActionRequestWithFirstPblock: st.builds(
        A.ActionRequestWithFirstPblock, invoke_ids, method_refs, st.booleans(), u32, octets
    ),
    A.ActionRequestWithPblock: st.builds(A.ActionRequestWithPblock, invoke_ids, st.booleans(), u32, octets),
    A.ActionResponseNormal: st.builds(A.ActionResponseNormal, invoke_ids, action_results, return_data),
    A.ActionResponseWithPblock: st.builds(A.ActionResponseWithPblock, invoke_ids, st.booleans(), u32, octets),
    A.ActionResponseWithList: st.builds(
        A.ActionResponseWithList,
        invoke_ids,
        st.lists(st.tuples(action_results, return_data), max_size=4).map(tuple),
    ),
    A.ActionResponseNextPblock: st.builds(A.ActionResponseNextPblock, invoke_ids, u32),
    A.EventNotificationRequest: st.builds(A.EventNotificationRequest, attribute_refs, data, st.none() | octets),
    A.DataNotification: st.builds(
        A.DataNotification, u32, data, st.none() | st.binary(min_size=1, max_size=12) | octets.filter(bool)
    ),
    A.GeneralBlockTransfer: st.builds(
        A.GeneralBlockTransfer, st.booleans(), u16, u16, octets, st.booleans(), st.integers(0, 63)
    ),
    A.ExceptionResponse: exception_responses(),
    A.ConfirmedServiceError: st.builds(A.ConfirmedServiceError, u8, u8, u8),
    A.ServiceSpecificCiphered: st.builds(A.ServiceSpecificCiphered, st.sampled_from(CIPHERED_TAGS), octets),
    A.GeneralGloCiphering: st.builds(A.GeneralGloCiphering, st.binary(max_size=10), octets),
    A.GeneralDedCiphering: st.builds(A.GeneralDedCiphering, st.binary(max_size=10), octets),
}
XDLMS_CLASSES = list(typing.get_args(A.XdlmsApdu))
xdlms_apdus = st.one_of(*XDLMS.values())

# ------------------------------------------------------------------------------------------ ACSE
mechanisms = st.none() | st.sampled_from([m for m in Mechanism if m != Mechanism.NONE])
initiate_requests = st.builds(
    InitiateRequest,
    st.integers(0, 2**24 - 1),
    u16,
    st.none() | st.binary(max_size=32),
    st.booleans(),
    st.none() | u8,
    u8,
)
initiate_responses = st.builds(InitiateResponse, st.integers(0, 2**24 - 1), u16, st.none() | u8, u8, u16)
user_information = st.one_of(
    st.none(),
    initiate_requests.map(lambda r: r.encode()),
    initiate_responses.map(lambda r: r.encode()),
    octets,
)
aarqs = st.builds(
    Aarq,
    st.sampled_from(list(ApplicationContext)),
    st.none() | st.binary(max_size=16),
    mechanisms,
    st.none() | octets,
    user_information,
)
aares = st.builds(
    Aare,
    st.sampled_from(list(ApplicationContext)),
    st.sampled_from(list(AssociationResult)),
    u8,
    st.sampled_from([1, 2]),
    st.none() | st.binary(max_size=16),
    mechanisms,
    st.none() | octets,
    user_information,
)
rlrqs = st.builds(Rlrq, st.none() | u8, user_information)
rlres = st.builds(Rlre, st.none() | u8, user_information)
ACSE: dict[type, st.SearchStrategy[Any]] = {Aarq: aarqs, Aare: aares, Rlrq: rlrqs, Rlre: rlres}


def _check_round_trip(value: Any, encoded: bytes, decoded: Any) -> None:
    assert type(decoded) is type(value)
    assert decoded == value
    assert_same(decoded, value)
    assert decoded.encode() == encoded


# ------------------------------------------------------------------------------------------ tests
def test_every_xdlms_apdu_class_has_a_strategy() -> None:
    assert set(XDLMS) == set(XDLMS_CLASSES)
    assert len(XDLMS_CLASSES) == 31


@pytest.mark.parametrize("cls", list(XDLMS), ids=lambda c: c.__name__)
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_xdlms_round_trip(cls: type, data: st.DataObject) -> None:
    value: Any = data.draw(XDLMS[cls])
    encoded = value.encode()
    assert type(value) is cls
    decoded = A.decode_xdlms(encoded)
    _check_round_trip(value, encoded, decoded)
    # any strict prefix is refused, and so is a trailing octet
    for cut in {0, 1, len(encoded) // 2, len(encoded) - 1}:
        with pytest.raises(DecodeError):
            A.decode_xdlms(encoded[:cut])
    with pytest.raises(DecodeError):
        A.decode_xdlms(encoded + b"\x00")


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(xdlms_apdus)
def test_any_xdlms_apdu_round_trip(value: Any) -> None:
    encoded = value.encode()
    _check_round_trip(value, encoded, A.decode_xdlms(encoded))
    # decode_xdlms accepts bytearray and memoryview as well
    assert A.decode_xdlms(typing.cast(bytes, bytearray(encoded))) == value
    assert A.decode_xdlms(typing.cast(bytes, memoryview(encoded))) == value


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(range_descriptors)
def test_range_descriptor_round_trip(value: A.RangeDescriptor) -> None:
    apdu = A.GetRequestNormal(0xC1, A.AttributeRef(7, bytes((1, 0, 99, 1, 0, 255)), 2), value.to_access_selection())
    decoded = A.decode_xdlms(apdu.encode())
    assert isinstance(decoded, A.GetRequestNormal) and decoded.access is not None
    assert A.RangeDescriptor.from_access_selection(decoded.access) == value


@given(entry_descriptors)
def test_entry_descriptor_round_trip(value: A.EntryDescriptor) -> None:
    apdu = A.GetRequestNormal(0xC1, A.AttributeRef(7, bytes((1, 0, 99, 1, 0, 255)), 2), value.to_access_selection())
    decoded = A.decode_xdlms(apdu.encode())
    assert isinstance(decoded, A.GetRequestNormal) and decoded.access is not None
    assert A.EntryDescriptor.from_access_selection(decoded.access) == value


@pytest.mark.parametrize("cls", list(ACSE), ids=lambda c: c.__name__)
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_acse_round_trip(cls: type, data: st.DataObject) -> None:
    value: Any = data.draw(ACSE[cls])
    encoded = value.encode()
    _check_round_trip(value, encoded, decode_acse(encoded))
    _check_round_trip(value, encoded, cls.decode(encoded))  # type: ignore[attr-defined]
    for cut in range(len(encoded)):
        with pytest.raises(DecodeError):
            decode_acse(encoded[:cut])
    with pytest.raises(DecodeError):
        decode_acse(encoded + b"\x00")


@settings(max_examples=300)
@given(initiate_requests)
def test_initiate_request_round_trip(value: InitiateRequest) -> None:
    encoded = value.encode()
    _check_round_trip(value, encoded, InitiateRequest.decode(encoded))
    for cut in range(len(encoded)):
        with pytest.raises(DecodeError):
            InitiateRequest.decode(encoded[:cut])


@settings(max_examples=300)
@given(initiate_responses)
def test_initiate_response_round_trip(value: InitiateResponse) -> None:
    encoded = value.encode()
    _check_round_trip(value, encoded, InitiateResponse.decode(encoded))
    for cut in range(len(encoded)):
        with pytest.raises(DecodeError):
            InitiateResponse.decode(encoded[:cut])


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(aarqs, initiate_requests)
def test_aarq_carries_an_initiate_request(aarq: Aarq, initiate: InitiateRequest) -> None:
    value = Aarq(aarq.application_context, aarq.calling_ap_title, aarq.mechanism, None, initiate.encode())
    decoded = decode_acse(value.encode())
    assert isinstance(decoded, Aarq) and decoded.user_information is not None
    assert InitiateRequest.decode(decoded.user_information) == initiate


# ------------------------------------------------------------------------------------------ documented edges
def test_exception_response_counter_only_with_invocation_counter_error() -> None:
    with_counter = A.ExceptionResponse(
        A.StateError.SERVICE_NOT_ALLOWED, A.ServiceError.INVOCATION_COUNTER_ERROR, 0x01020304
    )
    assert with_counter.encode() == bytes.fromhex("D8010601020304")
    assert A.decode_xdlms(with_counter.encode()) == with_counter
    # a counter given with another service error is not sent
    other = A.ExceptionResponse(A.StateError.SERVICE_NOT_ALLOWED, A.ServiceError.DECIPHERING_ERROR, 7)
    assert other.encode() == bytes.fromhex("D80105")
    assert A.decode_xdlms(other.encode()) == A.ExceptionResponse(
        A.StateError.SERVICE_NOT_ALLOWED, A.ServiceError.DECIPHERING_ERROR
    )


def test_data_notification_empty_date_time_is_absent() -> None:
    empty = A.DataNotification(1, None, b"")
    assert empty.encode() == A.DataNotification(1, None, None).encode()
    assert A.decode_xdlms(empty.encode()) == A.DataNotification(1, None, None)


def test_mechanism_none_is_not_sent() -> None:
    assert decode_acse(Aarq(mechanism=Mechanism.NONE).encode()) == Aarq(mechanism=None)
    assert decode_acse(
        Aare(ApplicationContext.LN, AssociationResult.ACCEPTED, mechanism=Mechanism.NONE).encode()
    ) == Aare(ApplicationContext.LN, AssociationResult.ACCEPTED)


@pytest.mark.parametrize(
    "value",
    [
        A.GeneralBlockTransfer(True, 0x10000, 0, b""),
        A.GeneralBlockTransfer(True, 0, 0, b"", window=64),
        A.AttributeRef(0x10000, bytes(6), 2),
        A.AttributeRef(1, bytes(5), 2),
        A.MethodRef(1, bytes(6), 128),
        InitiateRequest(1 << 24, 0),
        InitiateResponse(0, 0x10000),
    ],
    ids=["gbt-number", "gbt-window", "class-id", "logical-name", "method-id", "conformance", "pdu-size"],
)
def test_out_of_range_fields_raise_encode_error(value: Any) -> None:
    with pytest.raises(EncodeError):
        value.encode()


@pytest.mark.parametrize(
    "value",
    [
        A.GetRequestNext(256, 1),
        A.GetRequestNext(1, 2**32),
        A.SetRequestWithDatablock(1, True, 2**32, b""),
        A.GetResponseWithDatablock(1, True, 2**32, b""),
        A.DataNotification(2**32, None),
        A.ExceptionResponse(A.StateError.SERVICE_NOT_ALLOWED, A.ServiceError.INVOCATION_COUNTER_ERROR, 2**32),
        A.ConfirmedServiceError(256, 0, 0),
        A.ServiceSpecificCiphered(0x1C8, b""),
        Aare(ApplicationContext.LN, AssociationResult.ACCEPTED, 256),
        Rlrq(256),
    ],
    ids=[
        "invoke-id",
        "get-next-block",
        "set-block",
        "get-response-block",
        "long-invoke-id",
        "counter",
        "confirmed-service-error",
        "ciphered-tag",
        "aare-diagnostic",
        "rlrq-reason",
    ],
)
def test_out_of_range_fields_leak_from_encoders(value: Any) -> None:
    with pytest.raises(EncodeError):
        value.encode()


def test_initiate_request_quality_of_service_out_of_range() -> None:
    with pytest.raises(EncodeError):
        InitiateRequest(0, 0, proposed_quality_of_service=0x100).encode()
