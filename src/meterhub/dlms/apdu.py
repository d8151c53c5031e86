"""xDLMS APDUs (Green Book §9.3, IEC 62056-5-3 §8: the COSEM application layer's A-XDR PDUs).

Each APDU is a frozen dataclass with ``encode() -> bytes``; :func:`decode_apdu` turns bytes into the right
dataclass (ACSE APDUs come from :mod:`meterhub.dlms.acse`). Covered: get/set/action request and response
(normal, next/with-datablock, with-list), general-block-transfer, data-notification, event-notification,
exception-response, confirmed-service-error, and the ciphered carriers (service-specific glo/ded,
general-glo-ciphering, general-ded-ciphering). Selective access: range (selector 1) and entry (selector 2)
descriptors build and parse the standard Data structures.

A get/set/action result that is an error is a :class:`DataAccessResult` / :class:`ActionResult` member; a
value is plain decoded ``Data`` (:mod:`meterhub.dlms.axdr`), which never yields ``IntEnum`` members, so
``isinstance(result, DataAccessResult)`` tells them apart.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Final

from meterhub.dlms.axdr import (
    DoubleLongUnsigned,
    Integer,
    LongUnsigned,
    decode_data,
    decode_length,
    encode_data,
    encode_length,
)
from meterhub.dlms.errors import DecodeError, EncodeError, encode_errors_as_encode_error


# ------------------------------------------------------------------------------------------------ tags
class Tag(IntEnum):
    """First octet of every xDLMS APDU (Green Book §9.5, "xDLMS-APDU ::= CHOICE")."""

    INITIATE_REQUEST = 1
    INITIATE_RESPONSE = 8
    CONFIRMED_SERVICE_ERROR = 14
    DATA_NOTIFICATION = 15
    GLO_INITIATE_REQUEST = 33
    GLO_INITIATE_RESPONSE = 40
    GLO_CONFIRMED_SERVICE_ERROR = 46
    AARQ = 0x60
    AARE = 0x61
    RLRQ = 0x62
    RLRE = 0x63
    GET_REQUEST = 0xC0
    SET_REQUEST = 0xC1
    EVENT_NOTIFICATION_REQUEST = 0xC2
    ACTION_REQUEST = 0xC3
    GET_RESPONSE = 0xC4
    SET_RESPONSE = 0xC5
    ACTION_RESPONSE = 0xC7
    GLO_GET_REQUEST = 0xC8
    GLO_SET_REQUEST = 0xC9
    GLO_EVENT_NOTIFICATION_REQUEST = 0xCA
    GLO_ACTION_REQUEST = 0xCB
    GLO_GET_RESPONSE = 0xCC
    GLO_SET_RESPONSE = 0xCD
    GLO_ACTION_RESPONSE = 0xCF
    DED_GET_REQUEST = 0xD0
    DED_SET_REQUEST = 0xD1
    DED_EVENT_NOTIFICATION_REQUEST = 0xD2
    DED_ACTION_REQUEST = 0xD3
    DED_GET_RESPONSE = 0xD4
    DED_SET_RESPONSE = 0xD5
    DED_ACTION_RESPONSE = 0xD7
    EXCEPTION_RESPONSE = 0xD8
    GENERAL_GLO_CIPHERING = 0xDB
    GENERAL_DED_CIPHERING = 0xDC
    GENERAL_BLOCK_TRANSFER = 0xE0


#: plain APDU tag -> its service-specific global-key ciphered tag (and back).
GLO_TAG: Final[dict[int, int]] = {
    Tag.INITIATE_REQUEST: Tag.GLO_INITIATE_REQUEST,
    Tag.INITIATE_RESPONSE: Tag.GLO_INITIATE_RESPONSE,
    Tag.CONFIRMED_SERVICE_ERROR: Tag.GLO_CONFIRMED_SERVICE_ERROR,
    Tag.GET_REQUEST: Tag.GLO_GET_REQUEST,
    Tag.SET_REQUEST: Tag.GLO_SET_REQUEST,
    Tag.EVENT_NOTIFICATION_REQUEST: Tag.GLO_EVENT_NOTIFICATION_REQUEST,
    Tag.ACTION_REQUEST: Tag.GLO_ACTION_REQUEST,
    Tag.GET_RESPONSE: Tag.GLO_GET_RESPONSE,
    Tag.SET_RESPONSE: Tag.GLO_SET_RESPONSE,
    Tag.ACTION_RESPONSE: Tag.GLO_ACTION_RESPONSE,
}
#: plain APDU tag -> its service-specific dedicated-key ciphered tag.
DED_TAG: Final[dict[int, int]] = {
    Tag.GET_REQUEST: Tag.DED_GET_REQUEST,
    Tag.SET_REQUEST: Tag.DED_SET_REQUEST,
    Tag.EVENT_NOTIFICATION_REQUEST: Tag.DED_EVENT_NOTIFICATION_REQUEST,
    Tag.ACTION_REQUEST: Tag.DED_ACTION_REQUEST,
    Tag.GET_RESPONSE: Tag.DED_GET_RESPONSE,
    Tag.SET_RESPONSE: Tag.DED_SET_RESPONSE,
    Tag.ACTION_RESPONSE: Tag.DED_ACTION_RESPONSE,
}
PLAIN_TAG_OF_GLO: Final[dict[int, int]] = {v: k for k, v in GLO_TAG.items()}
PLAIN_TAG_OF_DED: Final[dict[int, int]] = {v: k for k, v in DED_TAG.items()}


class DataAccessResult(IntEnum):
    """Data-Access-Result (Green Book §9.5): outcome of one get/set of an attribute."""

    SUCCESS = 0
    HARDWARE_FAULT = 1
    TEMPORARY_FAILURE = 2
    READ_WRITE_DENIED = 3
    OBJECT_UNDEFINED = 4
    OBJECT_CLASS_INCONSISTENT = 9
    OBJECT_UNAVAILABLE = 11
    TYPE_UNMATCHED = 12
    SCOPE_OF_ACCESS_VIOLATED = 13
    DATA_BLOCK_UNAVAILABLE = 14
    LONG_GET_ABORTED = 15
    NO_LONG_GET_IN_PROGRESS = 16
    LONG_SET_ABORTED = 17
    NO_LONG_SET_IN_PROGRESS = 18
    DATA_BLOCK_NUMBER_INVALID = 19
    OTHER_REASON = 250


class ActionResult(IntEnum):
    """Action-Result (Green Book §9.5): outcome of one method invocation."""

    SUCCESS = 0
    HARDWARE_FAULT = 1
    TEMPORARY_FAILURE = 2
    READ_WRITE_DENIED = 3
    OBJECT_UNDEFINED = 4
    OBJECT_CLASS_INCONSISTENT = 9
    OBJECT_UNAVAILABLE = 11
    TYPE_UNMATCHED = 12
    SCOPE_OF_ACCESS_VIOLATED = 13
    DATA_BLOCK_UNAVAILABLE = 14
    LONG_ACTION_ABORTED = 15
    NO_LONG_ACTION_IN_PROGRESS = 16
    OTHER_REASON = 250


class StateError(IntEnum):
    """exception-response state-error."""

    SERVICE_NOT_ALLOWED = 1
    SERVICE_UNKNOWN = 2


class ServiceError(IntEnum):
    """exception-response service-error."""

    OPERATION_NOT_POSSIBLE = 1
    SERVICE_NOT_SUPPORTED = 2
    OTHER_REASON = 3
    PDU_TOO_LONG = 4
    DECIPHERING_ERROR = 5
    INVOCATION_COUNTER_ERROR = 6


def _data_access_result(code: int) -> DataAccessResult:
    try:
        return DataAccessResult(code)
    except ValueError as exc:
        raise DecodeError(f"unknown data-access-result {code}") from exc


def _action_result(code: int) -> ActionResult:
    try:
        return ActionResult(code)
    except ValueError as exc:
        raise DecodeError(f"unknown action-result {code}") from exc


# ---------------------------------------------------------------------------------------- descriptors
@dataclass(frozen=True, slots=True)
class AttributeRef:
    """Cosem-Attribute-Descriptor: class id, logical name (6 octets), attribute id."""

    class_id: int
    instance: bytes
    attribute: int

    def encode(self) -> bytes:
        if len(self.instance) != 6:
            raise EncodeError("logical name must be 6 octets")
        try:
            return struct.pack(">H6sb", self.class_id, self.instance, self.attribute)
        except struct.error as exc:
            raise EncodeError(f"attribute descriptor out of range: {self}") from exc


@dataclass(frozen=True, slots=True)
class MethodRef:
    """Cosem-Method-Descriptor: class id, logical name (6 octets), method id."""

    class_id: int
    instance: bytes
    method: int

    def encode(self) -> bytes:
        if len(self.instance) != 6:
            raise EncodeError("logical name must be 6 octets")
        try:
            return struct.pack(">H6sb", self.class_id, self.instance, self.method)
        except struct.error as exc:
            raise EncodeError(f"method descriptor out of range: {self}") from exc


_DESC: Final = struct.Struct(">H6sb")


def _decode_descriptor(buf: bytes, pos: int) -> tuple[tuple[int, bytes, int], int]:
    if pos + 9 > len(buf):
        raise DecodeError("truncated cosem descriptor")
    class_id, instance, index = _DESC.unpack_from(buf, pos)
    return (class_id, instance, index), pos + 9


@dataclass(frozen=True, slots=True)
class AccessSelection:
    """Selective-Access-Descriptor: selector (1 range, 2 entry) and its parameters as Data."""

    selector: int
    parameters: Any


@dataclass(frozen=True, slots=True)
class RangeDescriptor:
    """Profile generic selective access by range (Blue Book class 7, access selector 1).

    ``restricting_object`` is the capture object definition (class id, logical name, attribute, data
    index) of the column compared, normally the clock; ``from_value``/``to_value`` are Data (date-time
    octet-strings for a clock), both inclusive; ``selected_values`` empty means all columns.
    """

    restricting_object: tuple[int, bytes, int, int]
    from_value: Any
    to_value: Any
    selected_values: tuple[tuple[int, bytes, int, int], ...] = ()

    def to_access_selection(self) -> AccessSelection:
        def cod(o: tuple[int, bytes, int, int]) -> tuple[Any, ...]:
            return (LongUnsigned(o[0]), o[1], Integer(o[2]), LongUnsigned(o[3]))

        return AccessSelection(
            1,
            (
                cod(self.restricting_object),
                self.from_value,
                self.to_value,
                [cod(o) for o in self.selected_values],
            ),
        )

    @classmethod
    def from_access_selection(cls, access: AccessSelection) -> RangeDescriptor:
        try:
            restricting, from_value, to_value, selected = access.parameters
            return cls(
                _capture_object(restricting),
                from_value,
                to_value,
                tuple(_capture_object(o) for o in selected),
            )
        except (TypeError, ValueError, OverflowError) as exc:
            raise DecodeError("malformed range descriptor") from exc


@dataclass(frozen=True, slots=True)
class EntryDescriptor:
    """Profile generic selective access by entry (selector 2): rows and columns, 1-based, 0 = to the end."""

    from_entry: int
    to_entry: int
    from_selected_value: int = 1
    to_selected_value: int = 0

    def to_access_selection(self) -> AccessSelection:
        return AccessSelection(
            2,
            (
                DoubleLongUnsigned(self.from_entry),
                DoubleLongUnsigned(self.to_entry),
                LongUnsigned(self.from_selected_value),
                LongUnsigned(self.to_selected_value),
            ),
        )

    @classmethod
    def from_access_selection(cls, access: AccessSelection) -> EntryDescriptor:
        try:
            a, b, c, d = access.parameters
            return cls(int(a), int(b), int(c), int(d))
        except (TypeError, ValueError, OverflowError) as exc:
            raise DecodeError("malformed entry descriptor") from exc


def _capture_object(value: Any) -> tuple[int, bytes, int, int]:
    class_id, ln, attribute, data_index = value
    if not isinstance(ln, bytes) or len(ln) != 6:
        raise DecodeError("capture object logical name must be 6 octets")
    return int(class_id), ln, int(attribute), int(data_index)


def _encode_access(access: AccessSelection | None) -> bytes:
    if access is None:
        return b"\x00"
    if not 0 <= access.selector <= 255:
        raise EncodeError("access selector out of range")
    return bytes((1, access.selector)) + encode_data(access.parameters)


def _decode_access(buf: bytes, pos: int) -> tuple[AccessSelection | None, int]:
    flag, pos = _u8(buf, pos)
    if flag == 0:
        return None, pos
    if flag != 1:
        raise DecodeError(f"bad optional flag {flag}")
    selector, pos = _u8(buf, pos)
    params, pos = decode_data(buf, pos)
    return AccessSelection(selector, params), pos


def _u8(buf: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(buf):
        raise DecodeError("truncated APDU")
    return buf[pos], pos + 1


def _u16(buf: bytes, pos: int) -> tuple[int, int]:
    if pos + 2 > len(buf):
        raise DecodeError("truncated APDU")
    return (buf[pos] << 8) | buf[pos + 1], pos + 2


def _u32(buf: bytes, pos: int) -> tuple[int, int]:
    if pos + 4 > len(buf):
        raise DecodeError("truncated APDU")
    return int.from_bytes(buf[pos : pos + 4], "big"), pos + 4


def _octets(buf: bytes, pos: int) -> tuple[bytes, int]:
    n, pos = decode_length(buf, pos)
    if pos + n > len(buf):
        raise DecodeError("truncated octet-string")
    return buf[pos : pos + n], pos + n


def _bool(value: int) -> bool:
    return value != 0


def _encode_octets(raw: bytes) -> bytes:
    return encode_length(len(raw)) + raw


class _NoData:
    """Marker for an absent OPTIONAL Data (distinct from null-data, which is ``None``)."""

    _instance: _NoData | None = None

    def __new__(cls) -> _NoData:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_DATA"


NO_DATA: Final = _NoData()


def _encode_get_data_result(result: Any) -> bytes:
    if isinstance(result, DataAccessResult):
        return bytes((1, result))
    return b"\x00" + encode_data(result)


def _decode_get_data_result(buf: bytes, pos: int, plain: bool = False) -> tuple[Any, int]:
    choice, pos = _u8(buf, pos)
    if choice == 0:
        return decode_data(buf, pos, plain_integers=plain)
    if choice == 1:
        code, pos = _u8(buf, pos)
        return _data_access_result(code), pos
    raise DecodeError(f"bad Get-Data-Result choice {choice}")


def _count(buf: bytes, pos: int, min_item_size: int) -> tuple[int, int]:
    n, pos = decode_length(buf, pos)
    if n * min_item_size > len(buf) - pos:
        raise DecodeError(f"list of {n} items cannot fit in {len(buf) - pos} bytes")
    return n, pos


def _end(buf: bytes, pos: int, what: str) -> None:
    if pos != len(buf):
        raise DecodeError(f"{len(buf) - pos} trailing bytes after {what}")


# -------------------------------------------------------------------------------------------- GET
@dataclass(frozen=True, slots=True)
class GetRequestNormal:
    """get-request-normal (C0 01): one attribute, optional selective access."""

    invoke_id: int
    attribute: AttributeRef
    access: AccessSelection | None = None

    def encode(self) -> bytes:
        return bytes((Tag.GET_REQUEST, 1, self.invoke_id)) + self.attribute.encode() + _encode_access(self.access)


@dataclass(frozen=True, slots=True)
class GetRequestNext:
    """get-request-next (C0 02): ask for the next data block of a long get."""

    invoke_id: int
    block_number: int

    def encode(self) -> bytes:
        return bytes((Tag.GET_REQUEST, 2, self.invoke_id)) + struct.pack(">I", self.block_number)


@dataclass(frozen=True, slots=True)
class GetRequestWithList:
    """get-request-with-list (C0 03): several attributes in one request."""

    invoke_id: int
    items: tuple[tuple[AttributeRef, AccessSelection | None], ...]

    def encode(self) -> bytes:
        out = bytearray((Tag.GET_REQUEST, 3, self.invoke_id))
        out += encode_length(len(self.items))
        for attribute, access in self.items:
            out += attribute.encode() + _encode_access(access)
        return bytes(out)


@dataclass(frozen=True, slots=True)
class GetResponseNormal:
    """get-response-normal (C4 01): Data or a :class:`DataAccessResult`."""

    invoke_id: int
    result: Any

    def encode(self) -> bytes:
        return bytes((Tag.GET_RESPONSE, 1, self.invoke_id)) + _encode_get_data_result(self.result)


@dataclass(frozen=True, slots=True)
class GetResponseWithDatablock:
    """get-response-with-datablock (C4 02): a block of raw (encoded) data, or an error for the block."""

    invoke_id: int
    last_block: bool
    block_number: int
    result: bytes | DataAccessResult

    def encode(self) -> bytes:
        out = bytearray((Tag.GET_RESPONSE, 2, self.invoke_id, 0xFF if self.last_block else 0))
        out += struct.pack(">I", self.block_number)
        if isinstance(self.result, DataAccessResult):
            out += bytes((1, self.result))
        else:
            out += b"\x00" + _encode_octets(self.result)
        return bytes(out)


@dataclass(frozen=True, slots=True)
class GetResponseWithList:
    """get-response-with-list (C4 03): one Get-Data-Result per requested attribute."""

    invoke_id: int
    results: tuple[Any, ...]

    def encode(self) -> bytes:
        out = bytearray((Tag.GET_RESPONSE, 3, self.invoke_id))
        out += encode_length(len(self.results))
        for r in self.results:
            out += _encode_get_data_result(r)
        return bytes(out)


# -------------------------------------------------------------------------------------------- SET
@dataclass(frozen=True, slots=True)
class SetRequestNormal:
    """set-request-normal (C1 01)."""

    invoke_id: int
    attribute: AttributeRef
    value: Any
    access: AccessSelection | None = None

    def encode(self) -> bytes:
        return (
            bytes((Tag.SET_REQUEST, 1, self.invoke_id))
            + self.attribute.encode()
            + _encode_access(self.access)
            + encode_data(self.value)
        )


@dataclass(frozen=True, slots=True)
class SetRequestWithFirstDatablock:
    """set-request-with-first-datablock (C1 02): a long set's first block of encoded data."""

    invoke_id: int
    attribute: AttributeRef
    last_block: bool
    block_number: int
    raw_data: bytes
    access: AccessSelection | None = None

    def encode(self) -> bytes:
        return (
            bytes((Tag.SET_REQUEST, 2, self.invoke_id))
            + self.attribute.encode()
            + _encode_access(self.access)
            + _datablock_sa(self.last_block, self.block_number, self.raw_data)
        )


@dataclass(frozen=True, slots=True)
class SetRequestWithDatablock:
    """set-request-with-datablock (C1 03): a following block of a long set."""

    invoke_id: int
    last_block: bool
    block_number: int
    raw_data: bytes

    def encode(self) -> bytes:
        return bytes((Tag.SET_REQUEST, 3, self.invoke_id)) + _datablock_sa(
            self.last_block, self.block_number, self.raw_data
        )


@dataclass(frozen=True, slots=True)
class SetRequestWithList:
    """set-request-with-list (C1 04)."""

    invoke_id: int
    items: tuple[tuple[AttributeRef, AccessSelection | None], ...]
    values: tuple[Any, ...]

    def encode(self) -> bytes:
        if len(self.items) != len(self.values):
            raise EncodeError("set-request-with-list needs one value per attribute")
        out = bytearray((Tag.SET_REQUEST, 4, self.invoke_id))
        out += encode_length(len(self.items))
        for attribute, access in self.items:
            out += attribute.encode() + _encode_access(access)
        out += encode_length(len(self.values))
        for v in self.values:
            out += encode_data(v)
        return bytes(out)


@dataclass(frozen=True, slots=True)
class SetResponseNormal:
    """set-response-normal (C5 01)."""

    invoke_id: int
    result: DataAccessResult

    def encode(self) -> bytes:
        return bytes((Tag.SET_RESPONSE, 1, self.invoke_id, self.result))


@dataclass(frozen=True, slots=True)
class SetResponseDatablock:
    """set-response-datablock (C5 02): acknowledges a block of a long set."""

    invoke_id: int
    block_number: int

    def encode(self) -> bytes:
        return bytes((Tag.SET_RESPONSE, 2, self.invoke_id)) + struct.pack(">I", self.block_number)


@dataclass(frozen=True, slots=True)
class SetResponseLastDatablock:
    """set-response-last-datablock (C5 03)."""

    invoke_id: int
    result: DataAccessResult
    block_number: int

    def encode(self) -> bytes:
        return bytes((Tag.SET_RESPONSE, 3, self.invoke_id, self.result)) + struct.pack(">I", self.block_number)


@dataclass(frozen=True, slots=True)
class SetResponseWithList:
    """set-response-with-list (C5 05)."""

    invoke_id: int
    results: tuple[DataAccessResult, ...]

    def encode(self) -> bytes:
        return (
            bytes((Tag.SET_RESPONSE, 5, self.invoke_id))
            + encode_length(len(self.results))
            + bytes(int(r) for r in self.results)
        )


def _datablock_sa(last_block: bool, block_number: int, raw: bytes) -> bytes:
    return bytes((0xFF if last_block else 0,)) + struct.pack(">I", block_number) + _encode_octets(raw)


def _decode_datablock_sa(buf: bytes, pos: int) -> tuple[bool, int, bytes, int]:
    last, pos = _u8(buf, pos)
    number, pos = _u32(buf, pos)
    raw, pos = _octets(buf, pos)
    return _bool(last), number, raw, pos


# -------------------------------------------------------------------------------------------- ACTION
@dataclass(frozen=True, slots=True)
class ActionRequestNormal:
    """action-request-normal (C3 01): method with optional invocation parameters (:data:`NO_DATA` = none)."""

    invoke_id: int
    method: MethodRef
    parameters: Any = NO_DATA

    def encode(self) -> bytes:
        head = bytes((Tag.ACTION_REQUEST, 1, self.invoke_id)) + self.method.encode()
        if self.parameters is NO_DATA:
            return head + b"\x00"
        return head + b"\x01" + encode_data(self.parameters)


@dataclass(frozen=True, slots=True)
class ActionRequestNextPblock:
    """action-request-next-pblock (C3 02)."""

    invoke_id: int
    block_number: int

    def encode(self) -> bytes:
        return bytes((Tag.ACTION_REQUEST, 2, self.invoke_id)) + struct.pack(">I", self.block_number)


@dataclass(frozen=True, slots=True)
class ActionRequestWithList:
    """action-request-with-list (C3 03)."""

    invoke_id: int
    methods: tuple[MethodRef, ...]
    parameters: tuple[Any, ...]

    def encode(self) -> bytes:
        if len(self.methods) != len(self.parameters):
            raise EncodeError("action-request-with-list needs one parameter per method")
        out = bytearray((Tag.ACTION_REQUEST, 3, self.invoke_id))
        out += encode_length(len(self.methods))
        for m in self.methods:
            out += m.encode()
        out += encode_length(len(self.parameters))
        for p in self.parameters:
            out += encode_data(p)
        return bytes(out)


@dataclass(frozen=True, slots=True)
class ActionRequestWithFirstPblock:
    """action-request-with-first-pblock (C3 04): long invocation parameters, first block."""

    invoke_id: int
    method: MethodRef
    last_block: bool
    block_number: int
    raw_data: bytes

    def encode(self) -> bytes:
        return (
            bytes((Tag.ACTION_REQUEST, 4, self.invoke_id))
            + self.method.encode()
            + _datablock_sa(self.last_block, self.block_number, self.raw_data)
        )


@dataclass(frozen=True, slots=True)
class ActionRequestWithPblock:
    """action-request-with-pblock (C3 06): a following block of long invocation parameters."""

    invoke_id: int
    last_block: bool
    block_number: int
    raw_data: bytes

    def encode(self) -> bytes:
        return bytes((Tag.ACTION_REQUEST, 6, self.invoke_id)) + _datablock_sa(
            self.last_block, self.block_number, self.raw_data
        )


@dataclass(frozen=True, slots=True)
class ActionResponseNormal:
    """action-response-normal (C7 01): result plus optional return data (Data or DataAccessResult)."""

    invoke_id: int
    result: ActionResult
    return_data: Any = NO_DATA

    def encode(self) -> bytes:
        return bytes((Tag.ACTION_RESPONSE, 1, self.invoke_id)) + _encode_action_response(self.result, self.return_data)


def _encode_action_response(result: ActionResult, return_data: Any) -> bytes:
    if return_data is NO_DATA:
        return bytes((result, 0))
    return bytes((result, 1)) + _encode_get_data_result(return_data)


def _decode_action_result_body(buf: bytes, pos: int) -> tuple[ActionResult, Any, int]:
    code, pos = _u8(buf, pos)
    flag, pos = _u8(buf, pos)
    if flag == 0:
        return _action_result(code), NO_DATA, pos
    if flag != 1:
        raise DecodeError(f"bad optional flag {flag}")
    data, pos = _decode_get_data_result(buf, pos)
    return _action_result(code), data, pos


@dataclass(frozen=True, slots=True)
class ActionResponseWithPblock:
    """action-response-with-pblock (C7 02): long return data, one block."""

    invoke_id: int
    last_block: bool
    block_number: int
    raw_data: bytes

    def encode(self) -> bytes:
        return bytes((Tag.ACTION_RESPONSE, 2, self.invoke_id)) + _datablock_sa(
            self.last_block, self.block_number, self.raw_data
        )


@dataclass(frozen=True, slots=True)
class ActionResponseWithList:
    """action-response-with-list (C7 03)."""

    invoke_id: int
    results: tuple[tuple[ActionResult, Any], ...]

    def encode(self) -> bytes:
        out = bytearray((Tag.ACTION_RESPONSE, 3, self.invoke_id))
        out += encode_length(len(self.results))
        for result, data in self.results:
            out += _encode_action_response(result, data)
        return bytes(out)


@dataclass(frozen=True, slots=True)
class ActionResponseNextPblock:
    """action-response-next-pblock (C7 04)."""

    invoke_id: int
    block_number: int

    def encode(self) -> bytes:
        return bytes((Tag.ACTION_RESPONSE, 4, self.invoke_id)) + struct.pack(">I", self.block_number)


# -------------------------------------------------------------------------------- notifications etc.
@dataclass(frozen=True, slots=True)
class EventNotificationRequest:
    """event-notification-request (C2): an attribute value the server reports unsolicited."""

    attribute: AttributeRef
    value: Any
    time: bytes | None = None

    def encode(self) -> bytes:
        head = bytes((Tag.EVENT_NOTIFICATION_REQUEST,))
        head += b"\x00" if self.time is None else b"\x01" + _encode_octets(self.time)
        return head + self.attribute.encode() + encode_data(self.value)


@dataclass(frozen=True, slots=True)
class DataNotification:
    """data-notification (0F): push of a structure (alarm register, interval data) by the meter."""

    long_invoke_id: int
    body: Any
    date_time: bytes | None = None

    def encode(self) -> bytes:
        head = bytes((Tag.DATA_NOTIFICATION,)) + struct.pack(">I", self.long_invoke_id)
        head += b"\x00" if self.date_time is None else _encode_octets(self.date_time)
        return head + encode_data(self.body)


@dataclass(frozen=True, slots=True)
class GeneralBlockTransfer:
    """general-block-transfer (E0, Green Book §9.3.14): block control, numbers, one block of an APDU."""

    last_block: bool
    block_number: int
    block_number_ack: int
    block_data: bytes
    streaming: bool = False
    window: int = 1

    def encode(self) -> bytes:
        if not 0 <= self.window <= 63:
            raise EncodeError("GBT window is 6 bits")
        control = (0x80 if self.last_block else 0) | (0x40 if self.streaming else 0) | self.window
        try:
            head = struct.pack(">BBHH", Tag.GENERAL_BLOCK_TRANSFER, control, self.block_number, self.block_number_ack)
        except struct.error as exc:
            raise EncodeError("GBT block numbers are 16 bits") from exc
        return head + _encode_octets(self.block_data)


@dataclass(frozen=True, slots=True)
class ExceptionResponse:
    """exception-response (D8): state-error, service-error, and for invocation-counter-error the next
    counter the server will accept."""

    state_error: StateError
    service_error: ServiceError
    invocation_counter: int | None = None

    def encode(self) -> bytes:
        out = bytes((Tag.EXCEPTION_RESPONSE, self.state_error, self.service_error))
        if self.service_error == ServiceError.INVOCATION_COUNTER_ERROR:
            out += struct.pack(">I", self.invocation_counter or 0)
        return out


@dataclass(frozen=True, slots=True)
class ConfirmedServiceError:
    """confirmed-service-error (0E): which service failed (1 initiate, 5 read …) and the ServiceError
    choice (e.g. 6 initiate) with its enumerated value (e.g. 1 dlms-version-too-low)."""

    service: int
    error_type: int
    error_value: int

    def encode(self) -> bytes:
        return bytes((Tag.CONFIRMED_SERVICE_ERROR, self.service, self.error_type, self.error_value))


# ---------------------------------------------------------------------------------- ciphered carriers
@dataclass(frozen=True, slots=True)
class ServiceSpecificCiphered:
    """Service-specific glo- or ded- ciphered APDU: tag ‖ length ‖ SC ‖ IC ‖ ciphertext ‖ tag."""

    tag: int
    ciphered_content: bytes

    def encode(self) -> bytes:
        return bytes((self.tag,)) + _encode_octets(self.ciphered_content)

    @property
    def dedicated(self) -> bool:
        return self.tag in PLAIN_TAG_OF_DED


@dataclass(frozen=True, slots=True)
class GeneralGloCiphering:
    """general-glo-ciphering (DB): system title of the ciphering party ‖ ciphered content."""

    system_title: bytes
    ciphered_content: bytes

    def encode(self) -> bytes:
        return (
            bytes((Tag.GENERAL_GLO_CIPHERING,))
            + _encode_octets(self.system_title)
            + _encode_octets(self.ciphered_content)
        )


@dataclass(frozen=True, slots=True)
class GeneralDedCiphering:
    """general-ded-ciphering (DC): same layout as general-glo-ciphering, dedicated key."""

    system_title: bytes
    ciphered_content: bytes

    def encode(self) -> bytes:
        return (
            bytes((Tag.GENERAL_DED_CIPHERING,))
            + _encode_octets(self.system_title)
            + _encode_octets(self.ciphered_content)
        )


XdlmsApdu = (
    GetRequestNormal
    | GetRequestNext
    | GetRequestWithList
    | GetResponseNormal
    | GetResponseWithDatablock
    | GetResponseWithList
    | SetRequestNormal
    | SetRequestWithFirstDatablock
    | SetRequestWithDatablock
    | SetRequestWithList
    | SetResponseNormal
    | SetResponseDatablock
    | SetResponseLastDatablock
    | SetResponseWithList
    | ActionRequestNormal
    | ActionRequestNextPblock
    | ActionRequestWithList
    | ActionRequestWithFirstPblock
    | ActionRequestWithPblock
    | ActionResponseNormal
    | ActionResponseWithPblock
    | ActionResponseWithList
    | ActionResponseNextPblock
    | EventNotificationRequest
    | DataNotification
    | GeneralBlockTransfer
    | ExceptionResponse
    | ConfirmedServiceError
    | ServiceSpecificCiphered
    | GeneralGloCiphering
    | GeneralDedCiphering
)


for _cls in XdlmsApdu.__args__:
    encode_errors_as_encode_error(_cls)
for _cls in (AttributeRef, MethodRef):
    encode_errors_as_encode_error(_cls)


# -------------------------------------------------------------------------------------------- decode
def _items_with_access(buf: bytes, pos: int) -> tuple[tuple[tuple[AttributeRef, AccessSelection | None], ...], int]:
    n, pos = _count(buf, pos, 10)
    items = []
    for _ in range(n):
        d, pos = _decode_descriptor(buf, pos)
        access, pos = _decode_access(buf, pos)
        items.append((AttributeRef(*d), access))
    return tuple(items), pos


def _decode_get_request(buf: bytes) -> XdlmsApdu:
    choice, pos = _u8(buf, 1)
    iid, pos = _u8(buf, pos)
    if choice == 1:
        d, pos = _decode_descriptor(buf, pos)
        access, pos = _decode_access(buf, pos)
        _end(buf, pos, "get-request-normal")
        return GetRequestNormal(iid, AttributeRef(*d), access)
    if choice == 2:
        number, pos = _u32(buf, pos)
        _end(buf, pos, "get-request-next")
        return GetRequestNext(iid, number)
    if choice == 3:
        items, pos = _items_with_access(buf, pos)
        _end(buf, pos, "get-request-with-list")
        return GetRequestWithList(iid, items)
    raise DecodeError(f"unknown get-request choice {choice}")


def _decode_get_response(buf: bytes, plain: bool = False) -> XdlmsApdu:
    choice, pos = _u8(buf, 1)
    iid, pos = _u8(buf, pos)
    if choice == 1:
        result, pos = _decode_get_data_result(buf, pos, plain)
        _end(buf, pos, "get-response-normal")
        return GetResponseNormal(iid, result)
    if choice == 2:
        last, pos = _u8(buf, pos)
        number, pos = _u32(buf, pos)
        kind, pos = _u8(buf, pos)
        block: bytes | DataAccessResult
        if kind == 0:
            block, pos = _octets(buf, pos)
        elif kind == 1:
            code, pos = _u8(buf, pos)
            block = _data_access_result(code)
        else:
            raise DecodeError(f"bad DataBlock-G result choice {kind}")
        _end(buf, pos, "get-response-with-datablock")
        return GetResponseWithDatablock(iid, _bool(last), number, block)
    if choice == 3:
        n, pos = _count(buf, pos, 2)
        results = []
        for _ in range(n):
            r, pos = _decode_get_data_result(buf, pos, plain)
            results.append(r)
        _end(buf, pos, "get-response-with-list")
        return GetResponseWithList(iid, tuple(results))
    raise DecodeError(f"unknown get-response choice {choice}")


def _decode_set_request(buf: bytes) -> XdlmsApdu:
    choice, pos = _u8(buf, 1)
    iid, pos = _u8(buf, pos)
    if choice in (1, 2):
        d, pos = _decode_descriptor(buf, pos)
        access, pos = _decode_access(buf, pos)
        if choice == 1:
            value, pos = decode_data(buf, pos)
            _end(buf, pos, "set-request-normal")
            return SetRequestNormal(iid, AttributeRef(*d), value, access)
        last, number, raw, pos = _decode_datablock_sa(buf, pos)
        _end(buf, pos, "set-request-with-first-datablock")
        return SetRequestWithFirstDatablock(iid, AttributeRef(*d), last, number, raw, access)
    if choice == 3:
        last, number, raw, pos = _decode_datablock_sa(buf, pos)
        _end(buf, pos, "set-request-with-datablock")
        return SetRequestWithDatablock(iid, last, number, raw)
    if choice == 4:
        items, pos = _items_with_access(buf, pos)
        n, pos = _count(buf, pos, 1)
        values = []
        for _ in range(n):
            v, pos = decode_data(buf, pos)
            values.append(v)
        _end(buf, pos, "set-request-with-list")
        if len(values) != len(items):
            raise DecodeError("set-request-with-list: value count differs from attribute count")
        return SetRequestWithList(iid, items, tuple(values))
    raise DecodeError(f"unknown set-request choice {choice}")


def _decode_set_response(buf: bytes) -> XdlmsApdu:
    choice, pos = _u8(buf, 1)
    iid, pos = _u8(buf, pos)
    apdu: XdlmsApdu
    if choice == 1:
        code, pos = _u8(buf, pos)
        apdu = SetResponseNormal(iid, _data_access_result(code))
    elif choice == 2:
        number, pos = _u32(buf, pos)
        apdu = SetResponseDatablock(iid, number)
    elif choice == 3:
        code, pos = _u8(buf, pos)
        number, pos = _u32(buf, pos)
        apdu = SetResponseLastDatablock(iid, _data_access_result(code), number)
    elif choice == 5:
        n, pos = _count(buf, pos, 1)
        results = []
        for _ in range(n):
            code, pos = _u8(buf, pos)
            results.append(_data_access_result(code))
        apdu = SetResponseWithList(iid, tuple(results))
    else:
        raise DecodeError(f"unknown set-response choice {choice}")
    _end(buf, pos, "set-response")
    return apdu


def _decode_action_request(buf: bytes) -> XdlmsApdu:
    choice, pos = _u8(buf, 1)
    iid, pos = _u8(buf, pos)
    apdu: XdlmsApdu
    if choice == 1:
        d, pos = _decode_descriptor(buf, pos)
        flag, pos = _u8(buf, pos)
        params: Any = NO_DATA
        if flag == 1:
            params, pos = decode_data(buf, pos)
        elif flag != 0:
            raise DecodeError(f"bad optional flag {flag}")
        apdu = ActionRequestNormal(iid, MethodRef(*d), params)
    elif choice == 2:
        number, pos = _u32(buf, pos)
        apdu = ActionRequestNextPblock(iid, number)
    elif choice == 3:
        n, pos = _count(buf, pos, 9)
        methods = []
        for _ in range(n):
            d, pos = _decode_descriptor(buf, pos)
            methods.append(MethodRef(*d))
        n2, pos = _count(buf, pos, 1)
        values = []
        for _ in range(n2):
            v, pos = decode_data(buf, pos)
            values.append(v)
        if n2 != n:
            raise DecodeError("action-request-with-list: parameter count differs from method count")
        apdu = ActionRequestWithList(iid, tuple(methods), tuple(values))
    elif choice == 4:
        d, pos = _decode_descriptor(buf, pos)
        last, number, raw, pos = _decode_datablock_sa(buf, pos)
        apdu = ActionRequestWithFirstPblock(iid, MethodRef(*d), last, number, raw)
    elif choice == 6:
        last, number, raw, pos = _decode_datablock_sa(buf, pos)
        apdu = ActionRequestWithPblock(iid, last, number, raw)
    else:
        raise DecodeError(f"unknown action-request choice {choice}")
    _end(buf, pos, "action-request")
    return apdu


def _decode_action_response(buf: bytes) -> XdlmsApdu:
    choice, pos = _u8(buf, 1)
    iid, pos = _u8(buf, pos)
    apdu: XdlmsApdu
    if choice == 1:
        result, data, pos = _decode_action_result_body(buf, pos)
        apdu = ActionResponseNormal(iid, result, data)
    elif choice == 2:
        last, number, raw, pos = _decode_datablock_sa(buf, pos)
        apdu = ActionResponseWithPblock(iid, last, number, raw)
    elif choice == 3:
        n, pos = _count(buf, pos, 2)
        results = []
        for _ in range(n):
            result, data, pos = _decode_action_result_body(buf, pos)
            results.append((result, data))
        apdu = ActionResponseWithList(iid, tuple(results))
    elif choice == 4:
        number, pos = _u32(buf, pos)
        apdu = ActionResponseNextPblock(iid, number)
    else:
        raise DecodeError(f"unknown action-response choice {choice}")
    _end(buf, pos, "action-response")
    return apdu


def _decode_event_notification(buf: bytes) -> XdlmsApdu:
    flag, pos = _u8(buf, 1)
    time: bytes | None = None
    if flag == 1:
        time, pos = _octets(buf, pos)
    elif flag != 0:
        raise DecodeError(f"bad optional flag {flag}")
    d, pos = _decode_descriptor(buf, pos)
    value, pos = decode_data(buf, pos)
    _end(buf, pos, "event-notification-request")
    return EventNotificationRequest(AttributeRef(*d), value, time)


def _decode_data_notification(buf: bytes) -> XdlmsApdu:
    liid, pos = _u32(buf, 1)
    date_time, pos = _octets(buf, pos)
    body, pos = decode_data(buf, pos)
    _end(buf, pos, "data-notification")
    return DataNotification(liid, body, date_time or None)


def _decode_gbt(buf: bytes) -> XdlmsApdu:
    control, pos = _u8(buf, 1)
    number, pos = _u16(buf, pos)
    ack, pos = _u16(buf, pos)
    data, pos = _octets(buf, pos)
    _end(buf, pos, "general-block-transfer")
    return GeneralBlockTransfer(bool(control & 0x80), number, ack, data, bool(control & 0x40), control & 0x3F)


def _decode_exception(buf: bytes) -> XdlmsApdu:
    state, pos = _u8(buf, 1)
    service, pos = _u8(buf, pos)
    try:
        state_error, service_error = StateError(state), ServiceError(service)
    except ValueError as exc:
        raise DecodeError(f"unknown exception-response codes {state}/{service}") from exc
    counter = None
    if service_error == ServiceError.INVOCATION_COUNTER_ERROR:
        counter, pos = _u32(buf, pos)
    _end(buf, pos, "exception-response")
    return ExceptionResponse(state_error, service_error, counter)


def _decode_confirmed_service_error(buf: bytes) -> XdlmsApdu:
    service, pos = _u8(buf, 1)
    error_type, pos = _u8(buf, pos)
    value, pos = _u8(buf, pos)
    _end(buf, pos, "confirmed-service-error")
    return ConfirmedServiceError(service, error_type, value)


def _decode_general_ciphering(buf: bytes) -> XdlmsApdu:
    title, pos = _octets(buf, 1)
    content, pos = _octets(buf, pos)
    _end(buf, pos, "general ciphering")
    if buf[0] == Tag.GENERAL_GLO_CIPHERING:
        return GeneralGloCiphering(title, content)
    return GeneralDedCiphering(title, content)


def _decode_service_specific(buf: bytes) -> XdlmsApdu:
    content, pos = _octets(buf, 1)
    _end(buf, pos, "ciphered APDU")
    return ServiceSpecificCiphered(buf[0], content)


_XDLMS_DECODERS: Final = {
    Tag.GET_REQUEST: _decode_get_request,
    Tag.GET_RESPONSE: _decode_get_response,
    Tag.SET_REQUEST: _decode_set_request,
    Tag.SET_RESPONSE: _decode_set_response,
    Tag.ACTION_REQUEST: _decode_action_request,
    Tag.ACTION_RESPONSE: _decode_action_response,
    Tag.EVENT_NOTIFICATION_REQUEST: _decode_event_notification,
    Tag.DATA_NOTIFICATION: _decode_data_notification,
    Tag.GENERAL_BLOCK_TRANSFER: _decode_gbt,
    Tag.EXCEPTION_RESPONSE: _decode_exception,
    Tag.CONFIRMED_SERVICE_ERROR: _decode_confirmed_service_error,
    Tag.GENERAL_GLO_CIPHERING: _decode_general_ciphering,
    Tag.GENERAL_DED_CIPHERING: _decode_general_ciphering,
    **{t: _decode_service_specific for t in (*PLAIN_TAG_OF_GLO, *PLAIN_TAG_OF_DED)},
}


def decode_xdlms(buf: bytes, *, plain_integers: bool = False) -> XdlmsApdu:
    """Decode one xDLMS APDU (not ACSE: see :func:`meterhub.dlms.acse.decode_acse`).

    ``plain_integers``: the Data of get-responses comes back with plain ``int`` values (a reader's bulk path,
    see :func:`meterhub.dlms.axdr.decode_data`).
    """
    if not buf:
        raise DecodeError("empty APDU")
    if plain_integers and buf[0] == Tag.GET_RESPONSE:
        return _decode_get_response(bytes(buf), True)
    fn = _XDLMS_DECODERS.get(buf[0])
    if fn is None:
        raise DecodeError(f"unknown APDU tag 0x{buf[0]:02X}")
    try:
        return fn(bytes(buf))
    except EncodeError as exc:  # a decoded value out of its type's range
        raise DecodeError(str(exc)) from exc


def plain_tag(apdu: bytes) -> int:
    """The tag of a plain APDU, for choosing its ciphered form."""
    if not apdu:
        raise EncodeError("empty APDU")
    return apdu[0]
