"""The GET service (Green Book §9.3, IEC 62056-5-3 §8): request and response APDUs, each decoder beside its encoder.

get-request normal / next / with-list and get-response normal / with-datablock / with-list. Long answers
travel as get-response-with-datablock, the client asking for each next block with get-request-next (Green
Book §9.3.5, "block transfer with GET"); reassembly is the association's business.
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
    _bool,
    _count,
    _decode_get_data_result,
    _encode_get_data_result,
    _encode_octets,
    _end,
    _octets,
    _u8,
    _u32,
)
from meterhub.dlms.apdu.tags import (
    DataAccessResult,
    Tag,
    _data_access_result,
)
from meterhub.dlms.axdr import (
    encode_length,
)
from meterhub.dlms.errors import DecodeError


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


GetRequest = GetRequestNormal | GetRequestNext | GetRequestWithList
GetResponse = GetResponseNormal | GetResponseWithDatablock | GetResponseWithList


def _decode_get_request(buf: bytes) -> GetRequest:
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


def _decode_get_response(buf: bytes, plain: bool = False) -> GetResponse:
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
