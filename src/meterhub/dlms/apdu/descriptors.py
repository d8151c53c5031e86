"""COSEM attribute and method descriptors and selective access (Green Book §9.3; Blue Book class 7 §4.3.6).

:class:`AttributeRef` / :class:`MethodRef` are the Cosem-Attribute-Descriptor and Cosem-Method-Descriptor of
every get, set and action (class id, logical name, attribute or method id). :class:`AccessSelection` is the
Selective-Access-Descriptor; :class:`RangeDescriptor` (selector 1) and :class:`EntryDescriptor` (selector 2)
build and parse the standard profile-generic Data structures it carries.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, Final

from meterhub.dlms.apdu.fields import _count, _u8
from meterhub.dlms.axdr import (
    DoubleLongUnsigned,
    Integer,
    LongUnsigned,
    decode_data,
    encode_data,
)
from meterhub.dlms.errors import DecodeError, EncodeError


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


def _items_with_access(buf: bytes, pos: int) -> tuple[tuple[tuple[AttributeRef, AccessSelection | None], ...], int]:
    n, pos = _count(buf, pos, 10)
    items = []
    for _ in range(n):
        d, pos = _decode_descriptor(buf, pos)
        access, pos = _decode_access(buf, pos)
        items.append((AttributeRef(*d), access))
    return tuple(items), pos
