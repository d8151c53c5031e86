"""Which attribute or method of which object: :class:`AttributeDescriptor` and :class:`MethodDescriptor`, the
``Cosem-Attribute-Descriptor`` / ``Cosem-Method-Descriptor`` of the xDLMS GET/SET/ACTION services (Green Book
9.3), built from an attribute or method enum member that fixes the class (:func:`attribute`, :func:`method`), and
:class:`CaptureObject`, one element of Profile generic ``capture_objects`` (Blue Book 4.3.6). Out-of-range ids
are ``ValueError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from meterhub.cosem.classes.registry import CLASS_OF_ENUM, INTERFACE_CLASSES, InterfaceClass, interface_class
from meterhub.cosem.obis import Obis

__all__ = ["AttributeDescriptor", "CaptureObject", "MethodDescriptor", "attribute", "method"]


def _check_descriptor(class_id: int, index: int, what: str) -> None:
    if isinstance(class_id, bool) or not isinstance(class_id, int) or not 0 <= class_id <= 0xFFFF:
        raise ValueError(f"class_id must be 0..65535 (long-unsigned), got {class_id!r}")
    if isinstance(index, bool) or not isinstance(index, int) or not -128 <= index <= 127:
        raise ValueError(f"{what} must be -128..127 (integer), got {index!r}")


@dataclass(frozen=True, order=True, slots=True)
class AttributeDescriptor:
    """Which attribute of which object: ``{class_id, instance_id (OBIS), attribute_id}``."""

    class_id: int
    obis: Obis
    attribute_id: int

    def __post_init__(self) -> None:
        _check_descriptor(self.class_id, self.attribute_id, "attribute_id")
        if not isinstance(self.obis, Obis):
            raise TypeError(f"obis must be an Obis, got {type(self.obis).__name__}")

    @classmethod
    def of(cls, obis: Obis | str, attribute_id: IntEnum) -> AttributeDescriptor:
        """Descriptor from an attribute enum member, which fixes the class.

        ``AttributeDescriptor.of(CLOCK, ClockAttribute.TIME)`` is ``8/0.0.1.0.0.255/2``.
        """
        class_id = CLASS_OF_ENUM.get(type(attribute_id))
        if class_id is None or type(attribute_id) is not INTERFACE_CLASSES[class_id].attributes:
            raise TypeError(f"{attribute_id!r} is not an attribute enum of a registered interface class")
        return cls(class_id, Obis.coerce(obis), int(attribute_id))

    @property
    def interface_class(self) -> InterfaceClass:
        """The registered interface class (``KeyError`` if unknown)."""
        return interface_class(self.class_id)

    @property
    def attribute_name(self) -> str:
        """Blue Book name of the attribute, or ``attribute_<n>`` when the class or index is unknown."""
        ic = INTERFACE_CLASSES.get(self.class_id)
        try:
            return ic.attribute_name(self.attribute_id) if ic else f"attribute_{self.attribute_id}"
        except KeyError:
            return f"attribute_{self.attribute_id}"

    def __str__(self) -> str:
        return f"{self.class_id}/{self.obis}/{self.attribute_id}"


@dataclass(frozen=True, order=True, slots=True)
class MethodDescriptor:
    """Which method of which object: ``{class_id, instance_id (OBIS), method_id}``."""

    class_id: int
    obis: Obis
    method_id: int

    def __post_init__(self) -> None:
        _check_descriptor(self.class_id, self.method_id, "method_id")
        if not isinstance(self.obis, Obis):
            raise TypeError(f"obis must be an Obis, got {type(self.obis).__name__}")

    @classmethod
    def of(cls, obis: Obis | str, method_id: IntEnum) -> MethodDescriptor:
        """Descriptor from a method enum member, which fixes the class.

        ``MethodDescriptor.of(DISCONNECT_CONTROL, DisconnectControlMethod.REMOTE_DISCONNECT)``.
        """
        class_id = CLASS_OF_ENUM.get(type(method_id))
        if class_id is None or type(method_id) is not INTERFACE_CLASSES[class_id].methods:
            raise TypeError(f"{method_id!r} is not a method enum of a registered interface class")
        return cls(class_id, Obis.coerce(obis), int(method_id))

    @property
    def interface_class(self) -> InterfaceClass:
        """The registered interface class (``KeyError`` if unknown)."""
        return interface_class(self.class_id)

    @property
    def method_name(self) -> str:
        """Blue Book name of the method, or ``method_<n>`` when the class or index is unknown."""
        ic = INTERFACE_CLASSES.get(self.class_id)
        try:
            return ic.method_name(self.method_id) if ic else f"method_{self.method_id}"
        except KeyError:
            return f"method_{self.method_id}"

    def __str__(self) -> str:
        return f"{self.class_id}/{self.obis}/m{self.method_id}"


def attribute(obis: Obis | str, attribute_id: IntEnum) -> AttributeDescriptor:
    """Shorthand for :meth:`AttributeDescriptor.of`."""
    return AttributeDescriptor.of(obis, attribute_id)


def method(obis: Obis | str, method_id: IntEnum) -> MethodDescriptor:
    """Shorthand for :meth:`MethodDescriptor.of`."""
    return MethodDescriptor.of(obis, method_id)


@dataclass(frozen=True, slots=True)
class CaptureObject:
    """One element of Profile generic ``capture_objects`` (Blue Book 4.3.6):
    ``{class_id, logical_name, attribute_index, data_index}``; data_index 0 captures the whole attribute.
    """

    class_id: int
    obis: Obis
    attribute_index: int
    data_index: int = 0

    def __post_init__(self) -> None:
        _check_descriptor(self.class_id, self.attribute_index, "attribute_index")
        if isinstance(self.data_index, bool) or not isinstance(self.data_index, int):
            raise ValueError(f"data_index must be an int, got {self.data_index!r}")
        if not 0 <= self.data_index <= 0xFFFF:
            raise ValueError(f"data_index must be 0..65535 (long-unsigned), got {self.data_index}")

    @classmethod
    def of(cls, obis: Obis | str, attribute_id: IntEnum, data_index: int = 0) -> CaptureObject:
        """Capture object from an attribute enum member, like :meth:`AttributeDescriptor.of`."""
        d = AttributeDescriptor.of(obis, attribute_id)
        return cls(d.class_id, d.obis, d.attribute_id, data_index)

    @property
    def descriptor(self) -> AttributeDescriptor:
        """The attribute this column captures."""
        return AttributeDescriptor(self.class_id, self.obis, self.attribute_index)

    def to_structure(self) -> tuple[int, bytes, int, int]:
        """``(class_id, logical_name octets, attribute_index, data_index)`` for the A-XDR encoder."""
        return (self.class_id, self.obis.to_bytes(), self.attribute_index, self.data_index)
