"""The SET service (Green Book §9.3, IEC 62056-5-3 §8): request and response APDUs, each decoder beside its encoder.

set-request normal / with-first-datablock / with-datablock / with-list and set-response normal / datablock /
last-datablock / with-list. Values too long for the peer's PDU go as a first datablock then datablocks, each
acknowledged by set-response-datablock ("block transfer with SET").
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from meterhub.dlms.apdu.descriptors import (
    AccessSelection,
    AttributeRef,
    _decode_access,
    _decode_descriptor,
    _encode_access,
    _items_with_access,
)
from meterhub.dlms.apdu.fields import (
    _count,
    _datablock_sa,
    _decode_datablock_sa,
    _end,
    _u8,
    _u32,
)
from meterhub.dlms.apdu.tags import (
    DataAccessResult,
    Tag,
    _data_access_result,
)
from meterhub.dlms.axdr import (
    decode_data,
    encode_data,
    encode_length,
)
from meterhub.dlms.errors import DecodeError, EncodeError


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


SetRequest = SetRequestNormal | SetRequestWithFirstDatablock | SetRequestWithDatablock | SetRequestWithList
SetResponse = SetResponseNormal | SetResponseDatablock | SetResponseLastDatablock | SetResponseWithList


def _decode_set_request(buf: bytes) -> SetRequest:
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


def _decode_set_response(buf: bytes) -> SetResponse:
    choice, pos = _u8(buf, 1)
    iid, pos = _u8(buf, pos)
    apdu: SetResponse
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
