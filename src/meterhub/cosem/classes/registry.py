"""The registry of the interface classes of the national meter profile: :class:`ClassId`, the class ids in use, and
:data:`INTERFACE_CLASSES`, each class's id, version, Blue Book name and its attribute and method index enums (from
:mod:`.measurement`, :mod:`.management`, :mod:`.control` and :mod:`.mbus`), with :func:`interface_class` to look
one up.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from meterhub.cosem.classes.control import (
    ActivityCalendarAttribute,
    ActivityCalendarMethod,
    ClockAttribute,
    ClockMethod,
    DisconnectControlAttribute,
    DisconnectControlMethod,
    RegisterMonitorAttribute,
    RegisterMonitorMethod,
    ScriptTableAttribute,
    ScriptTableMethod,
    SingleActionScheduleAttribute,
    SingleActionScheduleMethod,
    SpecialDaysTableAttribute,
    SpecialDaysTableMethod,
)
from meterhub.cosem.classes.management import (
    AssociationLnAttribute,
    AssociationLnMethod,
    ImageTransferAttribute,
    ImageTransferMethod,
    PushSetupAttribute,
    PushSetupMethod,
    SecuritySetupAttribute,
    SecuritySetupMethod,
)
from meterhub.cosem.classes.mbus import MBusClientAttribute, MBusClientMethod
from meterhub.cosem.classes.measurement import (
    DataAttribute,
    DataMethod,
    DemandRegisterAttribute,
    DemandRegisterMethod,
    ExtendedRegisterAttribute,
    ExtendedRegisterMethod,
    ProfileGenericAttribute,
    ProfileGenericMethod,
    RegisterAttribute,
    RegisterMethod,
)

__all__ = ["CLASS_OF_ENUM", "INTERFACE_CLASSES", "ClassId", "InterfaceClass", "interface_class"]


class ClassId(IntEnum):
    """class_id of the interface classes used in the national meter profile."""

    DATA = 1
    REGISTER = 3
    EXTENDED_REGISTER = 4
    DEMAND_REGISTER = 5
    PROFILE_GENERIC = 7
    CLOCK = 8
    SCRIPT_TABLE = 9
    SPECIAL_DAYS_TABLE = 11
    ASSOCIATION_LN = 15
    IMAGE_TRANSFER = 18
    ACTIVITY_CALENDAR = 20
    REGISTER_MONITOR = 21
    SINGLE_ACTION_SCHEDULE = 22
    PUSH_SETUP = 40
    SECURITY_SETUP = 64
    DISCONNECT_CONTROL = 70
    MBUS_CLIENT = 72


@dataclass(frozen=True, slots=True)
class InterfaceClass:
    """One interface class: id, version, Blue Book name and its attribute and method index enums."""

    class_id: int
    version: int
    name: str
    attributes: type[IntEnum]
    methods: type[IntEnum]

    def attribute(self, index: int) -> IntEnum:
        """The attribute with this index; ``KeyError`` when the class has none."""
        try:
            return self.attributes(index)
        except (ValueError, TypeError):  # TypeError: an enum without members (no methods)
            raise KeyError(f"{self.name} (class {self.class_id}) has no attribute {index}") from None

    def method(self, index: int) -> IntEnum:
        """The method with this index; ``KeyError`` when the class has none."""
        try:
            return self.methods(index)
        except (ValueError, TypeError):  # TypeError: an enum without members (no methods)
            raise KeyError(f"{self.name} (class {self.class_id}) has no method {index}") from None

    def attribute_name(self, index: int) -> str:
        """Blue Book spelling (lower case) of an attribute, e.g. ``scaler_unit``."""
        return self.attribute(index).name.lower()

    def method_name(self, index: int) -> str:
        """Blue Book spelling (lower case) of a method, e.g. ``remote_disconnect``."""
        return self.method(index).name.lower()


def _ic(
    class_id: ClassId, version: int, name: str, attributes: type[IntEnum], methods: type[IntEnum]
) -> tuple[int, InterfaceClass]:
    return int(class_id), InterfaceClass(int(class_id), version, name, attributes, methods)


INTERFACE_CLASSES: Final[dict[int, InterfaceClass]] = dict(
    [
        _ic(ClassId.DATA, 0, "Data", DataAttribute, DataMethod),
        _ic(ClassId.REGISTER, 0, "Register", RegisterAttribute, RegisterMethod),
        _ic(
            ClassId.EXTENDED_REGISTER,
            0,
            "Extended register",
            ExtendedRegisterAttribute,
            ExtendedRegisterMethod,
        ),
        _ic(ClassId.DEMAND_REGISTER, 0, "Demand register", DemandRegisterAttribute, DemandRegisterMethod),
        _ic(ClassId.PROFILE_GENERIC, 1, "Profile generic", ProfileGenericAttribute, ProfileGenericMethod),
        _ic(ClassId.CLOCK, 0, "Clock", ClockAttribute, ClockMethod),
        _ic(ClassId.SCRIPT_TABLE, 0, "Script table", ScriptTableAttribute, ScriptTableMethod),
        _ic(
            ClassId.SPECIAL_DAYS_TABLE,
            0,
            "Special days table",
            SpecialDaysTableAttribute,
            SpecialDaysTableMethod,
        ),
        _ic(ClassId.ASSOCIATION_LN, 2, "Association LN", AssociationLnAttribute, AssociationLnMethod),
        _ic(ClassId.IMAGE_TRANSFER, 0, "Image transfer", ImageTransferAttribute, ImageTransferMethod),
        _ic(
            ClassId.ACTIVITY_CALENDAR,
            0,
            "Activity calendar",
            ActivityCalendarAttribute,
            ActivityCalendarMethod,
        ),
        _ic(ClassId.REGISTER_MONITOR, 0, "Register monitor", RegisterMonitorAttribute, RegisterMonitorMethod),
        _ic(
            ClassId.SINGLE_ACTION_SCHEDULE,
            0,
            "Single action schedule",
            SingleActionScheduleAttribute,
            SingleActionScheduleMethod,
        ),
        _ic(ClassId.PUSH_SETUP, 0, "Push setup", PushSetupAttribute, PushSetupMethod),
        _ic(ClassId.SECURITY_SETUP, 1, "Security setup", SecuritySetupAttribute, SecuritySetupMethod),
        _ic(
            ClassId.DISCONNECT_CONTROL,
            0,
            "Disconnect control",
            DisconnectControlAttribute,
            DisconnectControlMethod,
        ),
        _ic(ClassId.MBUS_CLIENT, 1, "M-Bus client", MBusClientAttribute, MBusClientMethod),
    ]
)
"""The interface classes of the national meter profile, by class_id."""

#: The class_id of each attribute and method enum (what fixes a descriptor's class).
CLASS_OF_ENUM: Final[dict[type[IntEnum], int]] = {
    **{ic.attributes: cid for cid, ic in INTERFACE_CLASSES.items()},
    **{ic.methods: cid for cid, ic in INTERFACE_CLASSES.items()},
}


def interface_class(class_id: int) -> InterfaceClass:
    """The registered interface class; ``KeyError`` for a class the profile does not use."""
    try:
        return INTERFACE_CLASSES[class_id]
    except KeyError:
        raise KeyError(f"interface class {class_id} is not in the national meter profile") from None
