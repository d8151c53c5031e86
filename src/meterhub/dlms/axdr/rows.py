"""Compiled fixed-layout rows: the fast path of A-XDR arrays of identical fixed-size structures.

Load-profile buffers (date-time, status, 4 × uint32, the national profile's 1.0.99.1.0.255) are arrays of
structures whose fields all have a fixed size. The first element's tags compile into one :class:`struct.Struct`
(cached per layout) that packs or unpacks a whole row; every row's tags and lengths are then checked with one
extended-slice comparison per constant octet, and any row that differs sends the array back to the generic
coder. The values are the same as the generic coder's, an order of magnitude faster (``benchmarks/dlms.py``).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from meterhub.dlms.axdr.types import (
    _INT_CLASSES,
    BCD,
    DOUBLE_LONG,
    DOUBLE_LONG_UNSIGNED,
    ENUM,
    FLOAT32,
    FLOAT64,
    INTEGER,
    LONG,
    LONG64,
    LONG64_UNSIGNED,
    LONG_UNSIGNED,
    OCTET_STRING,
    STRUCTURE,
    UNSIGNED,
    Bcd,
    DoubleLong,
    DoubleLongUnsigned,
    Enum,
    Float32,
    Integer,
    Long,
    Long64,
    Long64Unsigned,
    LongUnsigned,
    Unsigned,
    _TypedInt,
)

#: Arrays shorter than this are coded generically: compiling a layout costs about as much as 4 rows.
_FAST_ARRAY_MIN: Final = 8


# Per simple tag: (struct code of the value, the class to give back). Booleans are left to the generic
# coder (DLMS TRUE is any non-zero octet, which a struct code cannot round-trip).
_FIXED_CODES: Final[dict[int, tuple[str, Callable[[Any], Any] | None]]] = {
    INTEGER: ("b", Integer),
    LONG: ("h", Long),
    DOUBLE_LONG: ("i", DoubleLong),
    LONG64: ("q", Long64),
    UNSIGNED: ("B", Unsigned),
    LONG_UNSIGNED: ("H", LongUnsigned),
    DOUBLE_LONG_UNSIGNED: ("I", DoubleLongUnsigned),
    LONG64_UNSIGNED: ("Q", Long64Unsigned),
    ENUM: ("B", Enum),
    BCD: ("B", Bcd),
    FLOAT32: ("f", Float32),
    FLOAT64: ("d", None),
}


@dataclass(frozen=True, slots=True)
class _RowLayout:
    """A compiled layout for a structure whose fields are all fixed-size simple values.

    ``codec`` packs/unpacks the values of one row with pad bytes (``x``) where the tags and lengths go;
    ``header`` lists those constant octets as (offset in the row, value) so that a whole array's tags are
    written or checked with one extended-slice operation per octet instead of one per row.
    """

    codec: struct.Struct
    header: tuple[tuple[int, int], ...]
    classes: tuple[Callable[[Any], Any] | None, ...]  # per field: the class to give back (None = as is)
    octet_lengths: tuple[tuple[int, int], ...]  # (field index, length) of each octet-string field


_LAYOUT_CACHE: dict[bytes, _RowLayout] = {}


_LAYOUT_CACHE_MAX: Final = 256


def _layout_from_tags(tags: Sequence[tuple[int, int]]) -> _RowLayout:
    """Build (or fetch) the layout for fields given as (tag, octet-string length or 0)."""
    key = bytes(x for t in tags for x in (t[0], t[1] & 0xFF, t[1] >> 8))
    cached = _LAYOUT_CACHE.get(key)
    if cached is not None:
        return cached
    fmt = [">xx"]
    header = [(0, STRUCTURE), (1, len(tags))]
    classes: list[Callable[[Any], Any] | None] = []
    octet_lengths = []
    offset = 2
    for i, (tag, n) in enumerate(tags):
        if tag == OCTET_STRING:
            fmt.append(f"xx{n}s")
            header += [(offset, OCTET_STRING), (offset + 1, n)]
            classes.append(None)
            octet_lengths.append((i, n))
            offset += 2 + n
        else:
            code, cls = _FIXED_CODES[tag]
            fmt.append("x" + code)
            header.append((offset, tag))
            classes.append(cls)
            offset += 1 + struct.calcsize(">" + code)
    layout = _RowLayout(struct.Struct("".join(fmt)), tuple(header), tuple(classes), tuple(octet_lengths))
    if len(_LAYOUT_CACHE) < _LAYOUT_CACHE_MAX:
        _LAYOUT_CACHE[key] = layout
    return layout


def _row_tags_in_buffer(buf: bytes, pos: int) -> list[tuple[int, int]] | None:
    """The (tag, length) list of the structure at ``pos`` if every field is fixed-size, else None."""
    if pos + 2 > len(buf) or not 0 < buf[pos + 1] < 0x80:
        return None
    nfields = buf[pos + 1]
    pos += 2
    tags = []
    for _ in range(nfields):
        if pos >= len(buf):
            return None
        tag = buf[pos]
        if tag == OCTET_STRING:
            if pos + 1 >= len(buf) or buf[pos + 1] >= 0x80:
                return None
            n = buf[pos + 1]
            tags.append((tag, n))
            pos += 2 + n
        elif tag in _FIXED_CODES:
            tags.append((tag, 0))
            pos += 1 + struct.calcsize(">" + _FIXED_CODES[tag][0])
        else:
            return None
    return tags


def _decode_uniform_rows(buf: bytes, pos: int, n: int, plain: bool = False) -> tuple[list[Any], int] | None:
    """Decode ``n`` structures at ``pos`` with one compiled layout; None if the rows are not uniform."""
    tags = _row_tags_in_buffer(buf, pos)
    if tags is None:
        return None
    layout = _layout_from_tags(tags)
    size = layout.codec.size
    end = pos + size * n
    if end > len(buf):
        return None
    # Every row must carry exactly the first row's tags and lengths, or the generic decoder takes over.
    for offset, octet in layout.header:
        if buf[pos + offset : end : size] != bytes((octet,)) * n:
            return None
    unpacked = list(layout.codec.iter_unpack(buf[pos:end]))
    new: Callable[[type, Any], Any] = int.__new__
    columns: list[list[Any]] = []
    for i, cls in enumerate(layout.classes):
        col = [r[i] for r in unpacked]
        if cls is None or (plain and cls is not Float32):
            columns.append(col)
        elif isinstance(cls, type) and issubclass(cls, _TypedInt):
            columns.append([new(cls, v) for v in col])
        else:
            convert: Callable[[Any], Any] = cls
            columns.append([convert(v) for v in col])
    return [tuple(row) for row in zip(*columns, strict=True)], end


_TAG_OF_TYPE: Final[dict[type, int]] = {cls: tag for tag, cls in _INT_CLASSES.items()} | {
    Float32: FLOAT32,
    float: FLOAT64,
    bytes: OCTET_STRING,
}


def _encode_uniform_rows(out: bytearray, rows: list[Any]) -> bool:
    """Encode a list of equally typed fixed-size tuples with one compiled layout; False if not uniform."""
    first = rows[0]
    if not isinstance(first, tuple) or not 0 < len(first) < 0x80:
        return False
    signature = tuple(map(type, first))
    tags = []
    for value, t in zip(first, signature, strict=True):
        tag = _TAG_OF_TYPE.get(t)
        if tag is None:
            return False
        tags.append((tag, len(value) if tag == OCTET_STRING else 0))
    if any(n >= 0x80 for _, n in tags):
        return False
    for row in rows:
        if type(row) is not tuple or tuple(map(type, row)) != signature:
            return False
    layout = _layout_from_tags(tags)
    for i, n in layout.octet_lengths:
        if any(len(row[i]) != n for row in rows):
            return False
    count = len(rows)
    size = layout.codec.size
    body = bytearray(size * count)
    pack_into = layout.codec.pack_into
    for k, row in enumerate(rows):
        pack_into(body, k * size, *row)
    for offset, octet in layout.header:
        body[offset::size] = bytes((octet,)) * count
    out += body
    return True
