"""The ACTION service (Green Book §9.3, IEC 62056-5-3 §8): method invocation APDUs, each decoder beside its encoder.

action-request normal / next-pblock / with-list / with-first-pblock / with-pblock and action-response normal
/ with-pblock / with-list / next-pblock. An Action-Response-with-Optional-Data carries the method's result and,
optionally, return data (:data:`~meterhub.dlms.apdu.NO_DATA` when absent).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from meterhub.dlms.apdu.descriptors import (
    MethodRef,
    _decode_descriptor,
)
from meterhub.dlms.apdu.fields import (
    NO_DATA,
    _count,
    _datablock_sa,
    _decode_datablock_sa,
    _decode_get_data_result,
    _encode_get_data_result,
    _end,
    _u8,
    _u32,
)
from meterhub.dlms.apdu.tags import (
    ActionResult,
    Tag,
    _action_result,
)
from meterhub.dlms.axdr import (
    decode_data,
    encode_data,
    encode_length,
)
from meterhub.dlms.errors import DecodeError, EncodeError


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


ActionRequest = (
    ActionRequestNormal
    | ActionRequestNextPblock
    | ActionRequestWithList
    | ActionRequestWithFirstPblock
    | ActionRequestWithPblock
)
ActionResponse = ActionResponseNormal | ActionResponseWithPblock | ActionResponseWithList | ActionResponseNextPblock


def _decode_action_request(buf: bytes) -> ActionRequest:
    choice, pos = _u8(buf, 1)
    iid, pos = _u8(buf, pos)
    apdu: ActionRequest
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


def _decode_action_response(buf: bytes) -> ActionResponse:
    choice, pos = _u8(buf, 1)
    iid, pos = _u8(buf, pos)
    apdu: ActionResponse
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
