"""A-XDR encoding of ``Data`` (IEC 62056-6-2 §4.1.5): :func:`encode_data`, tagged, nesting capped at MAX_DEPTH.

A plain ``int`` has no DLMS width and is refused; visible-strings must be Latin-1; compact-arrays are written
as their type description then the untagged contents. Uniform arrays of fixed-size rows take the compiled path
of :mod:`.rows`. Errors are :class:`~meterhub.dlms.errors.EncodeError` only.
"""

from __future__ import annotations

import struct
from typing import Any

from meterhub.dlms.axdr.date_time import Date, DateTime, Time
from meterhub.dlms.axdr.lengths import encode_length
from meterhub.dlms.axdr.rows import _FAST_ARRAY_MIN, _encode_uniform_rows
from meterhub.dlms.axdr.types import (
    _F32,
    _F64,
    _INT_CLASSES,
    _INT_STRUCTS,
    _SIMPLE_TAGS,
    ARRAY,
    BIT_STRING,
    COMPACT_ARRAY,
    DATE,
    DATE_TIME,
    DONT_CARE,
    FLOAT32,
    FLOAT64,
    MAX_DEPTH,
    NULL_DATA,
    OCTET_STRING,
    STRUCTURE,
    TIME,
    UTF8_STRING,
    VISIBLE_STRING,
    ArrayType,
    BitString,
    CompactArray,
    DontCare,
    Float32,
    StructureType,
    TypeDescription,
    Utf8String,
    _TypedInt,
)
from meterhub.dlms.errors import EncodeError


def encode_data(value: Any) -> bytes:
    """Encode one value as tagged A-XDR ``Data``."""
    out = bytearray()
    _encode_into(out, value, 0)
    return bytes(out)


def _encode_into(out: bytearray, value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise EncodeError("data nested too deeply")
    if value is None:
        out.append(NULL_DATA)
    elif isinstance(value, bool):
        out += b"\x03\xff" if value else b"\x03\x00"
    elif isinstance(value, _TypedInt):
        out.append(value.TAG)
        out += _INT_STRUCTS[value.TAG].pack(value)
    elif isinstance(value, int):
        raise EncodeError(f"plain int {value} has no DLMS type: wrap it, e.g. DoubleLongUnsigned({value})")
    elif isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        out.append(OCTET_STRING)
        out += encode_length(len(raw))
        out += raw
    elif isinstance(value, Utf8String):
        raw = value.encode("utf-8")
        out.append(UTF8_STRING)
        out += encode_length(len(raw))
        out += raw
    elif isinstance(value, str):
        try:
            # Latin-1, as the decoder reads it (meters do put Latin-1 octets in visible-strings)
            raw = value.encode("latin-1")
        except UnicodeEncodeError as exc:
            raise EncodeError("visible-string must be Latin-1 (ISO 646); use Utf8String") from exc
        out.append(VISIBLE_STRING)
        out += encode_length(len(raw))
        out += raw
    elif isinstance(value, list):
        if depth >= MAX_DEPTH:  # the decoder's limit, so that whatever is encoded can be decoded
            raise EncodeError("data nested too deeply")
        out.append(ARRAY)
        out += encode_length(len(value))
        if len(value) >= _FAST_ARRAY_MIN and _encode_uniform_rows(out, value):
            return
        for item in value:
            _encode_into(out, item, depth + 1)
    elif isinstance(value, tuple):
        if depth >= MAX_DEPTH:
            raise EncodeError("data nested too deeply")
        out.append(STRUCTURE)
        out += encode_length(len(value))
        for item in value:
            _encode_into(out, item, depth + 1)
    elif isinstance(value, Float32):
        try:
            packed = _F32.pack(value)
        except (OverflowError, struct.error) as exc:
            raise EncodeError(f"float32 out of range: {float(value)!r}") from exc
        out.append(FLOAT32)
        out += packed
    elif isinstance(value, float):
        out.append(FLOAT64)
        out += _F64.pack(value)
    elif isinstance(value, BitString):
        out.append(BIT_STRING)
        out += encode_length(value.length)
        out += value.data
    elif isinstance(value, DateTime):
        out.append(DATE_TIME)
        out += value.to_bytes()
    elif isinstance(value, Date):
        out.append(DATE)
        out += value.to_bytes()
    elif isinstance(value, Time):
        out.append(TIME)
        out += value.to_bytes()
    elif isinstance(value, CompactArray):
        out.append(COMPACT_ARRAY)
        _encode_type_description(out, value.description, 0)
        contents = bytearray()
        for item in value.values:
            _encode_untagged(contents, value.description, item, depth + 1)
        out += encode_length(len(contents))
        out += contents
    elif isinstance(value, DontCare):
        out.append(DONT_CARE)
    else:
        raise EncodeError(f"cannot encode {type(value).__name__} as DLMS Data")


def _encode_type_description(out: bytearray, desc: TypeDescription, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise EncodeError("type description nested too deeply")
    if isinstance(desc, ArrayType):
        if not 0 < desc.count <= 0xFFFF:
            raise EncodeError(f"compact-array element array count must be 1…65535, got {desc.count}")
        out.append(ARRAY)
        out += struct.pack(">H", desc.count)
        _encode_type_description(out, desc.element, depth + 1)
    elif isinstance(desc, StructureType):
        if not desc.fields:
            raise EncodeError("a structure in a compact-array description needs at least one field")
        out.append(STRUCTURE)
        out += encode_length(len(desc.fields))
        for f in desc.fields:
            _encode_type_description(out, f, depth + 1)
    elif desc in _SIMPLE_TAGS and desc != NULL_DATA:
        out.append(desc)
    else:
        raise EncodeError(f"type {desc} not allowed in a compact-array description")


def _coerce(tag: int, value: Any) -> Any:
    """Check/convert a value to the simple type ``tag`` for untagged (compact-array) encoding."""
    cls = _INT_CLASSES.get(tag)
    if cls is not None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise EncodeError(f"compact-array element {value!r} is not an integer")
        return cls(value)
    return value


def _encode_untagged(out: bytearray, desc: TypeDescription, value: Any, depth: int) -> None:
    if depth >= MAX_DEPTH:
        raise EncodeError("data nested too deeply")
    if isinstance(desc, ArrayType):
        if not isinstance(value, list) or len(value) != desc.count:
            raise EncodeError(f"compact-array element must be a list of {desc.count}")
        for item in value:
            _encode_untagged(out, desc.element, item, depth + 1)
    elif isinstance(desc, StructureType):
        if not isinstance(value, tuple) or len(value) != len(desc.fields):
            raise EncodeError(f"compact-array element must be a tuple of {len(desc.fields)}")
        for f, item in zip(desc.fields, value, strict=True):
            _encode_untagged(out, f, item, depth + 1)
    else:
        tmp = bytearray()
        _encode_into(tmp, _coerce(desc, value), depth)
        if tmp[0] != desc:
            raise EncodeError(f"compact-array element {value!r} does not match type {desc}")
        out += tmp[1:]
