"""The A-XDR ``Data`` types (IEC 62056-6-2 §4.1.5, Green Book §9.5 "Data ::= CHOICE"): tags and typed values.

The Data CHOICE tags, the nesting cap :data:`MAX_DEPTH`, the typed integers that keep their DLMS width across a
decode/encode round trip (:class:`Unsigned`, :class:`DoubleLongUnsigned` …), :class:`Float32`,
:class:`Utf8String`, :class:`BitString`, :class:`DontCare`, and the compact-array type descriptions
(:class:`ArrayType`, :class:`StructureType`, :class:`CompactArray`, Blue Book §4.1.5). Dates and times are in
:mod:`.date_time`.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from meterhub.dlms.errors import EncodeError

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
