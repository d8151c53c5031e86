"""A-XDR decoding of ``Data`` (IEC 62056-6-2 §4.1.5): :func:`decode_data`, :func:`decode_data_exact`.

Decoders take ``bytes`` plus an offset and return ``(value, new_offset)``; they raise only
:class:`~meterhub.dlms.errors.DecodeError`. Nesting is capped at :data:`~.types.MAX_DEPTH` and every element
count is checked against the bytes left before looping, so a hostile length cannot make the decoder spin or
recurse without bound. ``plain_integers`` gives plain ``int`` values (a bulk reader's path); uniform profile
rows take the compiled path of :mod:`.rows`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from meterhub.dlms.axdr.date_time import _DT_STRUCT, Date, DateTime, Time
from meterhub.dlms.axdr.lengths import _take, decode_length
from meterhub.dlms.axdr.rows import _FAST_ARRAY_MIN, _decode_uniform_rows
from meterhub.dlms.axdr.types import (
    _F32,
    _F64,
    _INT_CLASSES,
    _INT_STRUCTS,
    _SIMPLE_TAGS,
    ARRAY,
    BIT_STRING,
    BOOLEAN,
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
from meterhub.dlms.errors import DecodeError


def decode_data(buf: bytes, pos: int = 0, *, plain_integers: bool = False) -> tuple[Any, int]:
    """Decode one tagged ``Data`` value at ``pos``; returns ``(value, new_pos)``.

    ``plain_integers`` gives integers as plain ``int`` (not the typed subclasses): for a reader that only
    wants the numbers, e.g. the head-end's bulk profile path; the values can then not be re-encoded as is.
    """
    return _decode(buf, pos, 0, plain_integers)


def decode_data_exact(buf: bytes, *, plain_integers: bool = False) -> Any:
    """Decode ``buf`` that must hold exactly one ``Data`` value and nothing after it."""
    value, end = _decode(buf, 0, 0, plain_integers)
    if end != len(buf):
        raise DecodeError(f"{len(buf) - end} trailing bytes after Data")
    return value


def _decode(buf: bytes, pos: int, depth: int, plain: bool = False) -> tuple[Any, int]:
    if pos >= len(buf):
        raise DecodeError("truncated: Data tag expected")
    tag = buf[pos]
    if plain:
        if tag == ARRAY:
            return _dec_array(buf, pos + 1, depth, True)
        if tag == STRUCTURE:
            return _dec_structure(buf, pos + 1, depth, True)
        plain_int = _PLAIN_INT_DECODERS.get(tag)
        if plain_int is not None:
            return plain_int(buf, pos + 1, depth)
    fn = _DECODERS.get(tag)
    if fn is None:
        raise DecodeError(f"unknown Data tag {tag} at offset {pos}")
    return fn(buf, pos + 1, depth)


def _int_decoder(cls: type[_TypedInt], plain: bool = False) -> Callable[[bytes, int, int], tuple[Any, int]]:
    st = _INT_STRUCTS[cls.TAG]
    size = st.size
    unpack_from = st.unpack_from
    new = int.__new__

    def dec(buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
        end = pos + size
        if end > len(buf):
            raise DecodeError(f"truncated {cls.__name__}")
        value = unpack_from(buf, pos)[0]
        return (value if plain else new(cls, value)), end

    return dec


def _dec_null(buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
    return None, pos


def _dec_bool(buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
    if pos >= len(buf):
        raise DecodeError("truncated boolean")
    return buf[pos] != 0, pos + 1


def _dec_octets(buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
    n, pos = decode_length(buf, pos)
    return _take(buf, pos, n)


def _dec_visible(buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
    n, pos = decode_length(buf, pos)
    raw, pos = _take(buf, pos, n)
    # visible-string is ISO 646; meters do put Latin-1 bytes in it, so decode losslessly rather than fail.
    return raw.decode("latin-1"), pos


def _dec_utf8(buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
    n, pos = decode_length(buf, pos)
    raw, pos = _take(buf, pos, n)
    try:
        return Utf8String(raw.decode("utf-8")), pos
    except UnicodeDecodeError as exc:
        raise DecodeError("utf8-string is not valid UTF-8") from exc


def _dec_bits(buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
    nbits, pos = decode_length(buf, pos)
    raw, pos = _take(buf, pos, (nbits + 7) // 8)
    return BitString(raw, nbits), pos


def _dec_f32(buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
    raw, pos = _take(buf, pos, 4)
    return Float32(_F32.unpack(raw)[0]), pos


def _dec_f64(buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
    raw, pos = _take(buf, pos, 8)
    return _F64.unpack(raw)[0], pos


def _dec_datetime(buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
    raw, pos = _take(buf, pos, 12)
    return DateTime(*_DT_STRUCT.unpack(raw)), pos


def _dec_date(buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
    raw, pos = _take(buf, pos, 5)
    return Date.from_bytes(raw), pos


def _dec_time(buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
    raw, pos = _take(buf, pos, 4)
    return Time.from_bytes(raw), pos


def _dec_dont_care(buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
    return DontCare(), pos


def _dec_structure(buf: bytes, pos: int, depth: int, plain: bool = False) -> tuple[Any, int]:
    if depth >= MAX_DEPTH:
        raise DecodeError("Data nested too deeply")
    n, pos = decode_length(buf, pos)
    if n > len(buf) - pos:
        raise DecodeError(f"structure of {n} elements cannot fit in {len(buf) - pos} bytes")
    items = []
    for _ in range(n):
        item, pos = _decode(buf, pos, depth + 1, plain)
        items.append(item)
    return tuple(items), pos


def _dec_array(buf: bytes, pos: int, depth: int, plain: bool = False) -> tuple[Any, int]:
    if depth >= MAX_DEPTH:
        raise DecodeError("Data nested too deeply")
    n, pos = decode_length(buf, pos)
    if n > len(buf) - pos:
        raise DecodeError(f"array of {n} elements cannot fit in {len(buf) - pos} bytes")
    if n >= _FAST_ARRAY_MIN and pos < len(buf) and buf[pos] == STRUCTURE:
        fast = _decode_uniform_rows(buf, pos, n, plain)
        if fast is not None:
            return fast
    items = []
    for _ in range(n):
        item, pos = _decode(buf, pos, depth + 1, plain)
        items.append(item)
    return items, pos


def _dec_compact(buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
    desc, pos = _decode_type_description(buf, pos, 0)
    n, pos = decode_length(buf, pos)
    contents, pos = _take(buf, pos, n)
    values = []
    cpos = 0
    while cpos < len(contents):
        v, cpos = _decode_untagged(contents, cpos, desc, depth + 1)
        values.append(v)
    return CompactArray(desc, tuple(values)), pos


def _decode_type_description(buf: bytes, pos: int, depth: int) -> tuple[TypeDescription, int]:
    if depth >= MAX_DEPTH:
        raise DecodeError("type description nested too deeply")
    if pos >= len(buf):
        raise DecodeError("truncated type description")
    tag = buf[pos]
    pos += 1
    if tag == ARRAY:
        raw, pos = _take(buf, pos, 2)
        count = int.from_bytes(raw, "big")
        if count == 0:  # elements of no octets could not be counted in the contents
            raise DecodeError("compact-array description with an array of 0 elements")
        element, pos = _decode_type_description(buf, pos, depth + 1)
        return ArrayType(count, element), pos
    if tag == STRUCTURE:
        n, pos = decode_length(buf, pos)
        if n > len(buf) - pos:
            raise DecodeError("structure type description longer than the data")
        if n == 0:
            raise DecodeError("compact-array description with a structure of no fields")
        fields = []
        for _ in range(n):
            f, pos = _decode_type_description(buf, pos, depth + 1)
            fields.append(f)
        return StructureType(tuple(fields)), pos
    if tag in _SIMPLE_TAGS and tag != NULL_DATA:
        return tag, pos
    raise DecodeError(f"type {tag} not allowed in a compact-array description")


def _decode_untagged(buf: bytes, pos: int, desc: TypeDescription, depth: int) -> tuple[Any, int]:
    if depth >= MAX_DEPTH:
        raise DecodeError("Data nested too deeply")
    if isinstance(desc, ArrayType):
        if desc.count > len(buf) - pos:  # every element takes at least one octet
            raise DecodeError("compact-array element longer than the data")
        items = []
        for _ in range(desc.count):
            item, pos = _decode_untagged(buf, pos, desc.element, depth + 1)
            items.append(item)
        return items, pos
    if isinstance(desc, StructureType):
        fields = []
        for f in desc.fields:
            item, pos = _decode_untagged(buf, pos, f, depth + 1)
            fields.append(item)
        return tuple(fields), pos
    if desc == NULL_DATA:
        # A null element takes no bytes: an all-null description would never advance; refuse it.
        raise DecodeError("compact-array of null-data has no defined length")
    return _DECODERS[desc](buf, pos, depth)


_DECODERS: Final[dict[int, Callable[[bytes, int, int], tuple[Any, int]]]] = {
    NULL_DATA: _dec_null,
    ARRAY: _dec_array,
    STRUCTURE: _dec_structure,
    BOOLEAN: _dec_bool,
    BIT_STRING: _dec_bits,
    OCTET_STRING: _dec_octets,
    VISIBLE_STRING: _dec_visible,
    UTF8_STRING: _dec_utf8,
    COMPACT_ARRAY: _dec_compact,
    FLOAT32: _dec_f32,
    FLOAT64: _dec_f64,
    DATE_TIME: _dec_datetime,
    DATE: _dec_date,
    TIME: _dec_time,
    DONT_CARE: _dec_dont_care,
    **{tag: _int_decoder(cls) for tag, cls in _INT_CLASSES.items()},
}


_PLAIN_INT_DECODERS: Final[dict[int, Callable[[bytes, int, int], tuple[Any, int]]]] = {
    tag: _int_decoder(cls, plain=True) for tag, cls in _INT_CLASSES.items()
}
