"""A-XDR encoding of the DLMS ``Data`` type (IEC 62056-6-2 §4.1.5, Green Book §9.5 "Data" CHOICE).

Decoded values keep their DLMS type so that decoding and re-encoding gives the same bytes: integers come back
as ``int`` subclasses (:class:`Unsigned`, :class:`DoubleLongUnsigned` …), strings as ``str`` (visible-string) or
:class:`Utf8String`, octet-strings as ``bytes``, arrays as ``list``, structures as ``tuple``, null as ``None``.
Encoding accepts the same values; a plain ``int`` has no DLMS width and is refused with :class:`EncodeError`.

Decoders take ``bytes`` plus an offset and return ``(value, new_offset)``; they raise only
:class:`~meterhub.dlms.errors.DecodeError`. Nesting is capped at :data:`MAX_DEPTH` and every element count is
checked against the bytes left before looping, so a hostile length cannot make the decoder spin or recurse
without bound.

Large arrays of identical fixed-size structures (load-profile buffers: date-time, status, 4 × uint32) are
decoded by a layout compiled from the first element into one :class:`struct.Struct`, then verified row by row
— the same values the generic decoder gives, an order of magnitude faster (see ``benchmarks/dlms.py``).
"""

from __future__ import annotations

import datetime as _dt
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from meterhub.dlms.errors import DecodeError, EncodeError

# Data CHOICE tags (Blue Book / Green Book "Data ::= CHOICE").
NULL_DATA: Final = 0
ARRAY: Final = 1
STRUCTURE: Final = 2
BOOLEAN: Final = 3
BIT_STRING: Final = 4
DOUBLE_LONG: Final = 5
DOUBLE_LONG_UNSIGNED: Final = 6
OCTET_STRING: Final = 9
VISIBLE_STRING: Final = 10
UTF8_STRING: Final = 12
BCD: Final = 13
INTEGER: Final = 15
LONG: Final = 16
UNSIGNED: Final = 17
LONG_UNSIGNED: Final = 18
COMPACT_ARRAY: Final = 19
LONG64: Final = 20
LONG64_UNSIGNED: Final = 21
ENUM: Final = 22
FLOAT32: Final = 23
FLOAT64: Final = 24
DATE_TIME: Final = 25
DATE: Final = 26
TIME: Final = 27
DONT_CARE: Final = 255

#: Deepest array/structure nesting accepted. Real COSEM attributes nest 3-4 levels (profile buffer: array of
#: structure of values; activity calendar: array of structure of array of structure). 32 leaves room for
#: vendor data and stays far from Python's recursion limit, so hostile input cannot exhaust the stack.
MAX_DEPTH: Final = 32


# ---------------------------------------------------------------------------------------------- typed scalars
class _TypedInt(int):
    """An ``int`` that remembers its DLMS integer type; subclasses fix tag and range."""

    TAG: ClassVar[int]
    FORMAT: ClassVar[str]
    MIN: ClassVar[int]
    MAX: ClassVar[int]

    def __new__(cls, value: int = 0) -> _TypedInt:
        v = int(value)
        if not cls.MIN <= v <= cls.MAX:
            raise EncodeError(f"{cls.__name__} out of range: {v} not in [{cls.MIN}, {cls.MAX}]")
        return super().__new__(cls, v)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({int(self)})"


class Integer(_TypedInt):
    """integer: int8 (tag 15)."""

    TAG, FORMAT, MIN, MAX = INTEGER, ">b", -(2**7), 2**7 - 1


class Long(_TypedInt):
    """long: int16 (tag 16)."""

    TAG, FORMAT, MIN, MAX = LONG, ">h", -(2**15), 2**15 - 1


class DoubleLong(_TypedInt):
    """double-long: int32 (tag 5)."""

    TAG, FORMAT, MIN, MAX = DOUBLE_LONG, ">i", -(2**31), 2**31 - 1


class Long64(_TypedInt):
    """long64: int64 (tag 20)."""

    TAG, FORMAT, MIN, MAX = LONG64, ">q", -(2**63), 2**63 - 1


class Unsigned(_TypedInt):
    """unsigned: uint8 (tag 17)."""

    TAG, FORMAT, MIN, MAX = UNSIGNED, ">B", 0, 2**8 - 1


class LongUnsigned(_TypedInt):
    """long-unsigned: uint16 (tag 18)."""

    TAG, FORMAT, MIN, MAX = LONG_UNSIGNED, ">H", 0, 2**16 - 1


class DoubleLongUnsigned(_TypedInt):
    """double-long-unsigned: uint32 (tag 6)."""

    TAG, FORMAT, MIN, MAX = DOUBLE_LONG_UNSIGNED, ">I", 0, 2**32 - 1


class Long64Unsigned(_TypedInt):
    """long64-unsigned: uint64 (tag 21)."""

    TAG, FORMAT, MIN, MAX = LONG64_UNSIGNED, ">Q", 0, 2**64 - 1


class Enum(_TypedInt):
    """enum: uint8 whose meaning is defined by the attribute (tag 22)."""

    TAG, FORMAT, MIN, MAX = ENUM, ">B", 0, 2**8 - 1


class Bcd(_TypedInt):
    """bcd: one octet, two binary-coded decimal digits (tag 13); the value is the raw octet."""

    TAG, FORMAT, MIN, MAX = BCD, ">B", 0, 2**8 - 1


class Float32(float):
    """float32: IEEE 754 single precision (tag 23). A plain ``float`` encodes as float64."""

    def __repr__(self) -> str:
        return f"Float32({float(self)!r})"


class Utf8String(str):
    """utf8-string (tag 12). A plain ``str`` encodes as visible-string (tag 10)."""


@dataclass(frozen=True, slots=True)
class BitString:
    """bit-string (tag 4): ``length`` bits, most significant bit of ``data[0]`` first."""

    data: bytes
    length: int

    def __post_init__(self) -> None:
        if self.length < 0 or (self.length + 7) // 8 != len(self.data):
            raise EncodeError(f"bit-string of {self.length} bits needs {(self.length + 7) // 8} bytes")

    @classmethod
    def from_bits(cls, bits: Sequence[bool]) -> BitString:
        """Build from a sequence of booleans, first element = most significant bit of the first octet."""
        out = bytearray((len(bits) + 7) // 8)
        for i, b in enumerate(bits):
            if b:
                out[i // 8] |= 0x80 >> (i % 8)
        return cls(bytes(out), len(bits))

    def bits(self) -> list[bool]:
        """The bits in transmission order."""
        return [bool(self.data[i // 8] & (0x80 >> (i % 8))) for i in range(self.length)]


@dataclass(frozen=True, slots=True)
class DontCare:
    """don't-care (tag 255): a placeholder that carries no value."""


_DT_STRUCT: Final = struct.Struct(">HBBBBBBBhB")
#: ``deviation`` value meaning "not specified" (Blue Book: 0x8000).
DEVIATION_NOT_SPECIFIED: Final = -0x8000
NOT_SPECIFIED: Final = 0xFF
YEAR_NOT_SPECIFIED: Final = 0xFFFF


@dataclass(frozen=True, slots=True)
class DateTime:
    """COSEM date-time (Blue Book §4.1.6.1): 12 octets, each field may be "not specified" (0xFF / 0xFFFF).

    ``deviation`` is in minutes with the Blue Book convention local time = UTC − deviation, so CET is −60
    and CEST −120 (with clock status bit 0x80, daylight saving active); ``-0x8000`` means not specified.
    It travels either as its own A-XDR type (tag 25) or, far more often, inside a 12-byte octet-string.
    """

    year: int = YEAR_NOT_SPECIFIED
    month: int = NOT_SPECIFIED
    day: int = NOT_SPECIFIED
    weekday: int = NOT_SPECIFIED
    hour: int = NOT_SPECIFIED
    minute: int = NOT_SPECIFIED
    second: int = NOT_SPECIFIED
    hundredths: int = NOT_SPECIFIED
    deviation: int = DEVIATION_NOT_SPECIFIED
    clock_status: int = NOT_SPECIFIED

    @classmethod
    def from_bytes(cls, octets: bytes) -> DateTime:
        """Parse the 12-octet form; raises :class:`DecodeError` on any other length."""
        if len(octets) != 12:
            raise DecodeError(f"date-time must be 12 octets, got {len(octets)}")
        return cls(*_DT_STRUCT.unpack(octets))

    def to_bytes(self) -> bytes:
        """The 12-octet form."""
        try:
            return _DT_STRUCT.pack(
                self.year,
                self.month,
                self.day,
                self.weekday,
                self.hour,
                self.minute,
                self.second,
                self.hundredths,
                self.deviation,
                self.clock_status,
            )
        except struct.error as exc:
            raise EncodeError(f"date-time field out of range: {self}") from exc

    @classmethod
    def from_datetime(cls, value: _dt.datetime, clock_status: int | None = None) -> DateTime:
        """From an aware datetime; deviation from its UTC offset; status 0x80 when its tz says DST is on."""
        if value.tzinfo is None or value.utcoffset() is None:
            raise EncodeError("date-time needs a timezone-aware datetime")
        offset = value.utcoffset()
        assert offset is not None
        if clock_status is None:
            dst = value.dst()
            clock_status = 0x80 if dst else 0x00
        return cls(
            value.year,
            value.month,
            value.day,
            value.isoweekday(),
            value.hour,
            value.minute,
            value.second,
            value.microsecond // 10_000,
            -int(offset.total_seconds() // 60),
            clock_status,
        )

    def to_datetime(self) -> _dt.datetime:
        """As an aware datetime (fixed-offset tz from the deviation; UTC when the deviation is unspecified).

        Raises :class:`DecodeError` when date or time fields are not specified or invalid.
        """
        try:
            tz = _timezone_of_deviation(self.deviation)
            hundredths = 0 if self.hundredths == NOT_SPECIFIED else self.hundredths
            return _dt.datetime(
                self.year,
                self.month,
                self.day,
                self.hour,
                self.minute,
                self.second,
                hundredths * 10_000,
                tzinfo=tz,
            )
        except (ValueError, OverflowError) as exc:
            raise DecodeError(f"date-time not representable as a datetime: {self}") from exc


_TIMEZONES: dict[int, _dt.tzinfo] = {DEVIATION_NOT_SPECIFIED: _dt.UTC}


def _timezone_of_deviation(deviation: int) -> _dt.tzinfo:
    """The fixed-offset tz for a deviation (local = UTC − deviation); UTC when not specified. Cached."""
    tz = _TIMEZONES.get(deviation)
    if tz is None:
        if not -840 <= deviation <= 720:
            raise ValueError(f"deviation {deviation} min out of range")
        tz = _TIMEZONES[deviation] = _dt.timezone(_dt.timedelta(minutes=-deviation))
    return tz


def datetime_from_octets(octets: bytes) -> _dt.datetime:
    """A 12-octet date-time straight to an aware ``datetime`` (the hot path for profile clock columns).

    Same result as ``DateTime.from_bytes(octets).to_datetime()`` without the intermediate object.
    """
    if len(octets) != 12:
        raise DecodeError(f"date-time must be 12 octets, got {len(octets)}")
    year, month, day, _, hour, minute, second, hundredths, deviation, _ = _DT_STRUCT.unpack(octets)
    try:
        return _dt.datetime(
            year,
            month,
            day,
            hour,
            minute,
            second,
            0 if hundredths == NOT_SPECIFIED else hundredths * 10_000,
            _timezone_of_deviation(deviation),
        )
    except (ValueError, OverflowError) as exc:
        raise DecodeError(f"date-time {octets.hex()} not representable as a datetime") from exc


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm, no datetime objects)."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def epoch_from_octets(octets: bytes) -> int:
    """A 12-octet date-time as UTC epoch seconds (hundredths dropped; unspecified deviation = UTC).

    The head-end's bulk path: a profile's clock column straight to the integers the store keeps.
    """
    if len(octets) != 12:
        raise DecodeError(f"date-time must be 12 octets, got {len(octets)}")
    year, month, day, _, hour, minute, second, hundredths, deviation, _ = _DT_STRUCT.unpack(octets)
    if not (
        1 <= year <= 9999  # also refuses 0xFFFF (not specified); the range of datetime_from_octets
        and 1 <= month <= 12
        and 1 <= day <= _days_in_month(year, month)
        and hour < 24
        and minute < 60
        and second < 60
        and (hundredths < 100 or hundredths == NOT_SPECIFIED)
    ):
        raise DecodeError(f"date-time {octets.hex()} has unspecified or invalid fields")
    if deviation == DEVIATION_NOT_SPECIFIED:
        deviation = 0
    elif not -840 <= deviation <= 720:
        raise DecodeError(f"date-time deviation {deviation} out of range")
    local = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    return int(local + deviation * 60)


@dataclass(frozen=True, slots=True)
class Date:
    """COSEM date (5 octets): year, month, day, day-of-week."""

    year: int = YEAR_NOT_SPECIFIED
    month: int = NOT_SPECIFIED
    day: int = NOT_SPECIFIED
    weekday: int = NOT_SPECIFIED

    def to_bytes(self) -> bytes:
        try:
            return struct.pack(">HBBB", self.year, self.month, self.day, self.weekday)
        except struct.error as exc:
            raise EncodeError(f"date field out of range: {self}") from exc

    @classmethod
    def from_bytes(cls, octets: bytes) -> Date:
        if len(octets) != 5:
            raise DecodeError(f"date must be 5 octets, got {len(octets)}")
        return cls(*struct.unpack(">HBBB", octets))


@dataclass(frozen=True, slots=True)
class Time:
    """COSEM time (4 octets): hour, minute, second, hundredths."""

    hour: int = NOT_SPECIFIED
    minute: int = NOT_SPECIFIED
    second: int = NOT_SPECIFIED
    hundredths: int = NOT_SPECIFIED

    def to_bytes(self) -> bytes:
        try:
            return struct.pack(">BBBB", self.hour, self.minute, self.second, self.hundredths)
        except struct.error as exc:
            raise EncodeError(f"time field out of range: {self}") from exc

    @classmethod
    def from_bytes(cls, octets: bytes) -> Time:
        if len(octets) != 4:
            raise DecodeError(f"time must be 4 octets, got {len(octets)}")
        return cls(*struct.unpack(">BBBB", octets))


# ------------------------------------------------------------------------------------------ compact array
@dataclass(frozen=True, slots=True)
class ArrayType:
    """Type description of an array inside a compact-array: ``count`` elements of ``element`` type."""

    count: int
    element: TypeDescription


@dataclass(frozen=True, slots=True)
class StructureType:
    """Type description of a structure inside a compact-array."""

    fields: tuple[TypeDescription, ...]


#: A compact-array type description: a simple type tag, or an array/structure description.
TypeDescription = int | ArrayType | StructureType


@dataclass(frozen=True, slots=True)
class CompactArray:
    """compact-array (tag 19, Blue Book §4.1.5): one type description, then the elements' values untagged."""

    description: TypeDescription
    values: tuple[Any, ...]


# -------------------------------------------------------------------------------------------- lengths
def encode_length(n: int) -> bytes:
    """A-XDR / BER definite length: one octet below 128, else 0x8k followed by k octets."""
    if n < 0x80:
        return bytes((n,))
    if n < 0x100:
        return bytes((0x81, n))
    if n < 0x10000:
        return bytes((0x82, n >> 8, n & 0xFF))
    if n < 0x100000000:
        return b"\x84" + n.to_bytes(4, "big")
    raise EncodeError(f"length {n} too large")


def decode_length(buf: bytes, pos: int) -> tuple[int, int]:
    """Decode a length at ``pos``; returns ``(length, new_pos)``."""
    if pos >= len(buf):
        raise DecodeError("truncated length")
    first = buf[pos]
    if first < 0x80:
        return first, pos + 1
    k = first & 0x7F
    if k == 0 or k > 4:
        raise DecodeError(f"unsupported length form 0x{first:02X}")
    end = pos + 1 + k
    if end > len(buf):
        raise DecodeError("truncated length")
    return int.from_bytes(buf[pos + 1 : end], "big"), end


def _take(buf: bytes, pos: int, n: int) -> tuple[bytes, int]:
    end = pos + n
    if end > len(buf):
        raise DecodeError(f"truncated: need {n} bytes at offset {pos}, have {len(buf) - pos}")
    return buf[pos:end], end


# -------------------------------------------------------------------------------------------- encoding
_INT_CLASSES: Final[dict[int, type[_TypedInt]]] = {
    c.TAG: c
    for c in (
        Integer,
        Long,
        DoubleLong,
        Long64,
        Unsigned,
        LongUnsigned,
        DoubleLongUnsigned,
        Long64Unsigned,
        Enum,
        Bcd,
    )
}
_INT_STRUCTS: Final[dict[int, struct.Struct]] = {t: struct.Struct(c.FORMAT) for t, c in _INT_CLASSES.items()}
_F32: Final = struct.Struct(">f")
_F64: Final = struct.Struct(">d")


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


# -------------------------------------------------------------------------------------------- decoding
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


_SIMPLE_TAGS: Final = frozenset(
    {
        NULL_DATA,
        BOOLEAN,
        BIT_STRING,
        DOUBLE_LONG,
        DOUBLE_LONG_UNSIGNED,
        OCTET_STRING,
        VISIBLE_STRING,
        UTF8_STRING,
        BCD,
        INTEGER,
        LONG,
        UNSIGNED,
        LONG_UNSIGNED,
        LONG64,
        LONG64_UNSIGNED,
        ENUM,
        FLOAT32,
        FLOAT64,
        DATE_TIME,
        DATE,
        TIME,
    }
)


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


# ------------------------------------------------------------------------- compiled fixed-layout rows
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
