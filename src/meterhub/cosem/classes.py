"""COSEM interface classes of the national meter profile (DLMS UA 1000-1 Blue Book clause 4: 4.3 parameters
and measurement data, 4.4 access control and management, 4.5 time- and event-bound control).

Each interface class is described by its ``class_id``, ``version``, an ``IntEnum`` of attribute indices
and one of method indices, exactly as numbered in the Blue Book class descriptions; :data:`INTERFACE_CLASSES`
maps class ids to those descriptions. :class:`AttributeDescriptor` and :class:`MethodDescriptor` are the
``Cosem-Attribute-Descriptor`` / ``Cosem-Method-Descriptor`` of the xDLMS GET/SET/ACTION services (Green
Book 9.3), :class:`CaptureObject` the ``capture_objects`` element of Profile generic (4.3.6). The value
enumerations that the head-end and the simulator both need live here too: Disconnect control states, modes
and transitions (4.5.8), Profile generic sort methods (4.3.6), Clock base (4.5.1), Image transfer status
(4.4.6), Security setup policy, suites and key ids (4.4.7), M-Bus client key status (4.8.3). Clause numbers
follow Edition 12 and move a little between editions; the class name is the stable key. No I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, IntFlag
from typing import Final

from meterhub.cosem.obis import Obis

__all__ = [
    "INTERFACE_CLASSES",
    "ActivityCalendarAttribute",
    "ActivityCalendarMethod",
    "AssociationLnAttribute",
    "AssociationLnMethod",
    "AssociationStatus",
    "AttributeAccessMode",
    "AttributeDescriptor",
    "CaptureObject",
    "ClassId",
    "ClockAttribute",
    "ClockBase",
    "ClockMethod",
    "ControlMode",
    "ControlState",
    "DataAttribute",
    "DataMethod",
    "DemandRegisterAttribute",
    "DemandRegisterMethod",
    "DisconnectControlAttribute",
    "DisconnectControlMethod",
    "DisconnectTrigger",
    "ExtendedRegisterAttribute",
    "ExtendedRegisterMethod",
    "ImageTransferAttribute",
    "ImageTransferMethod",
    "ImageTransferStatus",
    "InterfaceClass",
    "KeyId",
    "MBusClientAttribute",
    "MBusClientMethod",
    "MBusDeviceType",
    "MBusEncryptionKeyStatus",
    "MethodAccessMode",
    "MethodDescriptor",
    "ProfileGenericAttribute",
    "ProfileGenericMethod",
    "ProfileSelector",
    "PushSetupAttribute",
    "PushSetupMethod",
    "RegisterAttribute",
    "RegisterMethod",
    "RegisterMonitorAttribute",
    "RegisterMonitorMethod",
    "ScriptTableAttribute",
    "ScriptTableMethod",
    "SecurityPolicy",
    "SecuritySetupAttribute",
    "SecuritySetupMethod",
    "SecuritySuite",
    "SingleActionScheduleAttribute",
    "SingleActionScheduleMethod",
    "SingleActionScheduleType",
    "SortMethod",
    "attribute",
    "disconnect_transition",
    "interface_class",
    "method",
]


class ClassId(IntEnum):
    """class_id of the interface classes used in the national meter profile."""

    DATA = 1
    REGISTER = 3
    EXTENDED_REGISTER = 4
    DEMAND_REGISTER = 5
    PROFILE_GENERIC = 7
    CLOCK = 8
    SCRIPT_TABLE = 9
    ASSOCIATION_LN = 15
    IMAGE_TRANSFER = 18
    ACTIVITY_CALENDAR = 20
    REGISTER_MONITOR = 21
    SINGLE_ACTION_SCHEDULE = 22
    PUSH_SETUP = 40
    SECURITY_SETUP = 64
    DISCONNECT_CONTROL = 70
    MBUS_CLIENT = 72


# ------------------------------------------------------------------------------------------------------
# Attribute and method indices, per class (Blue Book class descriptions).
# ------------------------------------------------------------------------------------------------------


class DataAttribute(IntEnum):
    """Data (class_id 1, version 0), Blue Book 4.3.1."""

    LOGICAL_NAME = 1
    VALUE = 2


class DataMethod(IntEnum):
    """Data has no methods."""


class RegisterAttribute(IntEnum):
    """Register (class_id 3, version 0), Blue Book 4.3.2."""

    LOGICAL_NAME = 1
    VALUE = 2
    SCALER_UNIT = 3


class RegisterMethod(IntEnum):
    """Register methods."""

    RESET = 1


class ExtendedRegisterAttribute(IntEnum):
    """Extended register (class_id 4, version 0), Blue Book 4.3.3."""

    LOGICAL_NAME = 1
    VALUE = 2
    SCALER_UNIT = 3
    STATUS = 4
    CAPTURE_TIME = 5


class ExtendedRegisterMethod(IntEnum):
    """Extended register methods."""

    RESET = 1


class DemandRegisterAttribute(IntEnum):
    """Demand register (class_id 5, version 0), Blue Book 4.3.4."""

    LOGICAL_NAME = 1
    CURRENT_AVERAGE_VALUE = 2
    LAST_AVERAGE_VALUE = 3
    SCALER_UNIT = 4
    STATUS = 5
    CAPTURE_TIME = 6
    START_TIME_CURRENT = 7
    PERIOD = 8
    NUMBER_OF_PERIODS = 9


class DemandRegisterMethod(IntEnum):
    """Demand register methods."""

    RESET = 1
    NEXT_PERIOD = 2


class ProfileGenericAttribute(IntEnum):
    """Profile generic (class_id 7, version 1), Blue Book 4.3.6."""

    LOGICAL_NAME = 1
    BUFFER = 2
    CAPTURE_OBJECTS = 3
    CAPTURE_PERIOD = 4
    SORT_METHOD = 5
    SORT_OBJECT = 6
    ENTRIES_IN_USE = 7
    PROFILE_ENTRIES = 8


class ProfileGenericMethod(IntEnum):
    """Profile generic methods (version 1; get_buffer_by_range/index of version 0 are gone)."""

    RESET = 1
    CAPTURE = 2


class ClockAttribute(IntEnum):
    """Clock (class_id 8, version 0), Blue Book 4.5.1."""

    LOGICAL_NAME = 1
    TIME = 2
    TIME_ZONE = 3
    STATUS = 4
    DAYLIGHT_SAVINGS_BEGIN = 5
    DAYLIGHT_SAVINGS_END = 6
    DAYLIGHT_SAVINGS_DEVIATION = 7
    DAYLIGHT_SAVINGS_ENABLED = 8
    CLOCK_BASE = 9


class ClockMethod(IntEnum):
    """Clock methods."""

    ADJUST_TO_QUARTER = 1
    ADJUST_TO_MEASURING_PERIOD = 2
    ADJUST_TO_MINUTE = 3
    ADJUST_TO_PRESET_TIME = 4
    PRESET_ADJUSTING_TIME = 5
    SHIFT_TIME = 6


class ScriptTableAttribute(IntEnum):
    """Script table (class_id 9, version 0), Blue Book 4.5.2."""

    LOGICAL_NAME = 1
    SCRIPTS = 2


class ScriptTableMethod(IntEnum):
    """Script table methods."""

    EXECUTE = 1


class AssociationLnAttribute(IntEnum):
    """Association LN (class_id 15, version 2), Blue Book 4.4.3."""

    LOGICAL_NAME = 1
    OBJECT_LIST = 2
    ASSOCIATED_PARTNERS_ID = 3
    APPLICATION_CONTEXT_NAME = 4
    XDLMS_CONTEXT_INFO = 5
    AUTHENTICATION_MECHANISM_NAME = 6
    SECRET = 7
    ASSOCIATION_STATUS = 8
    SECURITY_SETUP_REFERENCE = 9
    USER_LIST = 10
    CURRENT_USER = 11


class AssociationLnMethod(IntEnum):
    """Association LN methods."""

    REPLY_TO_HLS_AUTHENTICATION = 1
    CHANGE_HLS_SECRET = 2
    ADD_OBJECT = 3
    REMOVE_OBJECT = 4
    ADD_USER = 5
    REMOVE_USER = 6


class ImageTransferAttribute(IntEnum):
    """Image transfer (class_id 18, version 0), Blue Book 4.4.6."""

    LOGICAL_NAME = 1
    IMAGE_BLOCK_SIZE = 2
    IMAGE_TRANSFERRED_BLOCKS_STATUS = 3
    IMAGE_FIRST_NOT_TRANSFERRED_BLOCK_NUMBER = 4
    IMAGE_TRANSFER_ENABLED = 5
    IMAGE_TRANSFER_STATUS = 6
    IMAGE_TO_ACTIVATE_INFO = 7


class ImageTransferMethod(IntEnum):
    """Image transfer methods."""

    IMAGE_TRANSFER_INITIATE = 1
    IMAGE_BLOCK_TRANSFER = 2
    IMAGE_VERIFY = 3
    IMAGE_ACTIVATE = 4


class ActivityCalendarAttribute(IntEnum):
    """Activity calendar (class_id 20, version 0), Blue Book 4.5.5."""

    LOGICAL_NAME = 1
    CALENDAR_NAME_ACTIVE = 2
    SEASON_PROFILE_ACTIVE = 3
    WEEK_PROFILE_TABLE_ACTIVE = 4
    DAY_PROFILE_TABLE_ACTIVE = 5
    CALENDAR_NAME_PASSIVE = 6
    SEASON_PROFILE_PASSIVE = 7
    WEEK_PROFILE_TABLE_PASSIVE = 8
    DAY_PROFILE_TABLE_PASSIVE = 9
    ACTIVATE_PASSIVE_CALENDAR_TIME = 10


class ActivityCalendarMethod(IntEnum):
    """Activity calendar methods."""

    ACTIVATE_PASSIVE_CALENDAR = 1


class RegisterMonitorAttribute(IntEnum):
    """Register monitor (class_id 21, version 0), Blue Book 4.5.6."""

    LOGICAL_NAME = 1
    THRESHOLDS = 2
    MONITORED_VALUE = 3
    ACTIONS = 4


class RegisterMonitorMethod(IntEnum):
    """Register monitor has no methods."""


class SingleActionScheduleAttribute(IntEnum):
    """Single action schedule (class_id 22, version 0), Blue Book 4.5.7."""

    LOGICAL_NAME = 1
    EXECUTED_SCRIPT = 2
    TYPE = 3
    EXECUTION_TIME = 4


class SingleActionScheduleMethod(IntEnum):
    """Single action schedule has no methods."""


class PushSetupAttribute(IntEnum):
    """Push setup (class_id 40, version 0), Blue Book 4.4.8."""

    LOGICAL_NAME = 1
    PUSH_OBJECT_LIST = 2
    SEND_DESTINATION_AND_METHOD = 3
    COMMUNICATION_WINDOW = 4
    RANDOMISATION_START_INTERVAL = 5
    NUMBER_OF_RETRIES = 6
    REPETITION_DELAY = 7


class PushSetupMethod(IntEnum):
    """Push setup methods."""

    PUSH = 1


class SecuritySetupAttribute(IntEnum):
    """Security setup (class_id 64, version 1), Blue Book 4.4.7."""

    LOGICAL_NAME = 1
    SECURITY_POLICY = 2
    SECURITY_SUITE = 3
    CLIENT_SYSTEM_TITLE = 4
    SERVER_SYSTEM_TITLE = 5
    CERTIFICATES = 6


class SecuritySetupMethod(IntEnum):
    """Security setup methods (version 1; in version 0 method 2 was global_key_transfer)."""

    SECURITY_ACTIVATE = 1
    KEY_TRANSFER = 2
    KEY_AGREEMENT = 3
    GENERATE_KEY_PAIR = 4
    GENERATE_CERTIFICATE_REQUEST = 5
    IMPORT_CERTIFICATE = 6
    EXPORT_CERTIFICATE = 7
    REMOVE_CERTIFICATE = 8


class DisconnectControlAttribute(IntEnum):
    """Disconnect control (class_id 70, version 0), Blue Book 4.5.8."""

    LOGICAL_NAME = 1
    OUTPUT_STATE = 2
    CONTROL_STATE = 3
    CONTROL_MODE = 4


class DisconnectControlMethod(IntEnum):
    """Disconnect control methods."""

    REMOTE_DISCONNECT = 1
    REMOTE_RECONNECT = 2


class MBusClientAttribute(IntEnum):
    """M-Bus client (class_id 72, version 1), Blue Book 4.8.3."""

    LOGICAL_NAME = 1
    MBUS_PORT_REFERENCE = 2
    CAPTURE_DEFINITION = 3
    CAPTURE_PERIOD = 4
    PRIMARY_ADDRESS = 5
    IDENTIFICATION_NUMBER = 6
    MANUFACTURER_ID = 7
    VERSION = 8
    DEVICE_TYPE = 9
    ACCESS_NUMBER = 10
    STATUS = 11
    ALARM = 12
    CONFIGURATION = 13
    ENCRYPTION_KEY_STATUS = 14


class MBusClientMethod(IntEnum):
    """M-Bus client methods."""

    SLAVE_INSTALL = 1
    SLAVE_DEINSTALL = 2
    CAPTURE = 3
    RESET_ALARM = 4
    SYNCHRONIZE_CLOCK = 5
    DATA_SEND = 6
    SET_ENCRYPTION_KEY = 7
    TRANSFER_KEY = 8


# ------------------------------------------------------------------------------------------------------
# The registry.
# ------------------------------------------------------------------------------------------------------


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

_CLASS_OF_ENUM: Final[dict[type[IntEnum], int]] = {
    **{ic.attributes: cid for cid, ic in INTERFACE_CLASSES.items()},
    **{ic.methods: cid for cid, ic in INTERFACE_CLASSES.items()},
}


def interface_class(class_id: int) -> InterfaceClass:
    """The registered interface class; ``KeyError`` for a class the profile does not use."""
    try:
        return INTERFACE_CLASSES[class_id]
    except KeyError:
        raise KeyError(f"interface class {class_id} is not in the national meter profile") from None


# ------------------------------------------------------------------------------------------------------
# Descriptors (Green Book 9.3: Cosem-Attribute-Descriptor, Cosem-Method-Descriptor).
# ------------------------------------------------------------------------------------------------------


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
        class_id = _CLASS_OF_ENUM.get(type(attribute_id))
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
        class_id = _CLASS_OF_ENUM.get(type(method_id))
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


# ------------------------------------------------------------------------------------------------------
# Value enumerations.
# ------------------------------------------------------------------------------------------------------


class ControlState(IntEnum):
    """Disconnect control ``control_state`` (Blue Book 4.5.8)."""

    DISCONNECTED = 0
    CONNECTED = 1
    READY_FOR_RECONNECTION = 2


class ControlMode(IntEnum):
    """Disconnect control ``control_mode`` (Blue Book 4.5.8): which transitions a–h are allowed.

    ====  =============================================  ==========================================
    mode  disconnection                                  reconnection
    ====  =============================================  ==========================================
    0     none: always connected                         none
    1     remote (b, c), manual (f), local (g)           remote (d), manual (e)
    2     remote (b, c), manual (f), local (g)           remote (a), manual (e)
    3     remote (b, c), local (g)                       remote (d), manual (e)
    4     remote (b, c), local (g)                       remote (a), manual (e)
    5     remote (b, c), manual (f), local (g)           remote (d), manual (e), local (h)
    6     remote (b, c), local (g)                       remote (d), manual (e), local (h)
    ====  =============================================  ==========================================
    """

    NONE = 0
    MODE_1 = 1
    MODE_2 = 2
    MODE_3 = 3
    MODE_4 = 4
    MODE_5 = 5
    MODE_6 = 6


class DisconnectTrigger(IntEnum):
    """What asks the disconnector to move: the two methods, the button (manual) or the meter (local)."""

    REMOTE_DISCONNECT = 1
    REMOTE_RECONNECT = 2
    MANUAL_DISCONNECT = 3
    MANUAL_RECONNECT = 4
    LOCAL_DISCONNECT = 5
    LOCAL_RECONNECT = 6


_DC = ControlState
_T = DisconnectTrigger
_ALL_MODES: Final = frozenset({1, 2, 3, 4, 5, 6})
# (trigger, from state) -> (to state, modes in which the transition exists); letters as in the Blue Book.
_DISCONNECT_TRANSITIONS: Final[
    dict[tuple[DisconnectTrigger, ControlState], list[tuple[ControlState, frozenset[int]]]]
] = {
    # b: remote_disconnect, connected -> disconnected; c: ready_for_reconnection -> disconnected
    (_T.REMOTE_DISCONNECT, _DC.CONNECTED): [(_DC.DISCONNECTED, _ALL_MODES)],
    (_T.REMOTE_DISCONNECT, _DC.READY_FOR_RECONNECTION): [(_DC.DISCONNECTED, _ALL_MODES)],
    # a: remote_reconnect, disconnected -> connected; d: disconnected -> ready_for_reconnection
    (_T.REMOTE_RECONNECT, _DC.DISCONNECTED): [
        (_DC.CONNECTED, frozenset({2, 4})),
        (_DC.READY_FOR_RECONNECTION, frozenset({1, 3, 5, 6})),
    ],
    # f: manual_disconnect, connected -> ready_for_reconnection
    (_T.MANUAL_DISCONNECT, _DC.CONNECTED): [(_DC.READY_FOR_RECONNECTION, frozenset({1, 2, 5}))],
    # e: manual_reconnect, ready_for_reconnection -> connected
    (_T.MANUAL_RECONNECT, _DC.READY_FOR_RECONNECTION): [(_DC.CONNECTED, _ALL_MODES)],
    # g: local_disconnect, connected -> ready_for_reconnection
    (_T.LOCAL_DISCONNECT, _DC.CONNECTED): [(_DC.READY_FOR_RECONNECTION, _ALL_MODES)],
    # h: local_reconnect, ready_for_reconnection -> connected
    (_T.LOCAL_RECONNECT, _DC.READY_FOR_RECONNECTION): [(_DC.CONNECTED, frozenset({5, 6}))],
}


def disconnect_transition(mode: ControlMode, state: ControlState, trigger: DisconnectTrigger) -> ControlState | None:
    """The state a disconnector in ``mode`` reaches from ``state`` on ``trigger``, or ``None`` when the
    Blue Book state diagram has no such transition in that mode (the request is refused or has no effect).
    ``output_state`` is ``True`` exactly in :attr:`ControlState.CONNECTED`.
    """
    for target, modes in _DISCONNECT_TRANSITIONS.get((trigger, state), []):
        if int(mode) in modes:
            return target
    return None


class SortMethod(IntEnum):
    """Profile generic ``sort_method`` (Blue Book 4.3.6)."""

    FIFO = 1
    LIFO = 2
    LARGEST = 3
    SMALLEST = 4
    NEAREST_TO_ZERO = 5
    FARTHEST_FROM_ZERO = 6


class ProfileSelector(IntEnum):
    """Selective access to the Profile generic buffer (Blue Book 4.3.6): range or entry descriptor."""

    RANGE_DESCRIPTOR = 1
    ENTRY_DESCRIPTOR = 2


class ClockBase(IntEnum):
    """Clock ``clock_base`` (Blue Book 4.5.1)."""

    NOT_DEFINED = 0
    INTERNAL_CRYSTAL = 1
    MAINS_FREQUENCY_50HZ = 2
    MAINS_FREQUENCY_60HZ = 3
    GPS = 4
    RADIO_CONTROLLED = 5


class ImageTransferStatus(IntEnum):
    """Image transfer ``image_transfer_status`` (Blue Book 4.4.6)."""

    NOT_INITIATED = 0
    INITIATED = 1
    VERIFICATION_INITIATED = 2
    VERIFICATION_SUCCESSFUL = 3
    VERIFICATION_FAILED = 4
    ACTIVATION_INITIATED = 5
    ACTIVATION_SUCCESSFUL = 6
    ACTIVATION_FAILED = 7


class SecurityPolicy(IntFlag):
    """Security setup version 1 ``security_policy`` bits (Blue Book 4.4.7); bits 0 and 1 are unused."""

    AUTHENTICATED_REQUEST = 0x04
    ENCRYPTED_REQUEST = 0x08
    DIGITALLY_SIGNED_REQUEST = 0x10
    AUTHENTICATED_RESPONSE = 0x20
    ENCRYPTED_RESPONSE = 0x40
    DIGITALLY_SIGNED_RESPONSE = 0x80


class SecuritySuite(IntEnum):
    """Security setup ``security_suite`` (Blue Book 4.4.7; Green Book security suites)."""

    AES_GCM_128 = 0
    ECDH_ECDSA_AES_GCM_128_SHA_256 = 1
    ECDH_ECDSA_AES_GCM_256_SHA_384 = 2


class KeyId(IntEnum):
    """``key_id`` in the key_transfer (global_key_transfer) method of Security setup."""

    GLOBAL_UNICAST_ENCRYPTION_KEY = 0
    GLOBAL_BROADCAST_ENCRYPTION_KEY = 1
    AUTHENTICATION_KEY = 2
    MASTER_KEY = 3


class MBusEncryptionKeyStatus(IntEnum):
    """M-Bus client ``encryption_key_status`` (Blue Book 4.8.3)."""

    NO_ENCRYPTION_KEY = 0
    ENCRYPTION_KEY_SET = 1
    ENCRYPTION_KEY_TRANSFERRED = 2
    ENCRYPTION_KEY_SET_AND_TRANSFERRED = 3
    ENCRYPTION_KEY_IN_USE = 4


class MBusDeviceType(IntEnum):
    """M-Bus client ``device_type``: the EN 13757-3 medium / device type byte of the sub-meter."""

    OTHER = 0x00
    OIL = 0x01
    ELECTRICITY = 0x02
    GAS = 0x03
    HEAT_OUTLET = 0x04
    STEAM = 0x05
    WARM_WATER = 0x06
    WATER = 0x07
    HEAT_COST_ALLOCATOR = 0x08
    COMPRESSED_AIR = 0x09
    COOLING_OUTLET = 0x0A
    COOLING_INLET = 0x0B
    HEAT_INLET = 0x0C
    HEAT_AND_COOLING = 0x0D
    BUS_SYSTEM = 0x0E
    UNKNOWN = 0x0F
    HOT_WATER = 0x15
    COLD_WATER = 0x16


class SingleActionScheduleType(IntEnum):
    """Single action schedule ``type`` (Blue Book 4.5.7)."""

    SINGLE_TIME_WILDCARDS_ALLOWED = 1
    SAME_TIMES_WILDCARDS_ALLOWED = 2
    DIFFERENT_TIMES_WILDCARDS_ALLOWED = 3
    SAME_TIMES_NO_WILDCARDS = 4
    DIFFERENT_TIMES_NO_WILDCARDS = 5


class AssociationStatus(IntEnum):
    """Association LN ``association_status`` (Blue Book 4.4.3)."""

    NON_ASSOCIATED = 0
    ASSOCIATION_PENDING = 1
    ASSOCIATED = 2


class AttributeAccessMode(IntEnum):
    """Attribute access in the ``object_list`` of Association LN (Blue Book 4.4.3)."""

    NO_ACCESS = 0
    READ_ONLY = 1
    WRITE_ONLY = 2
    READ_AND_WRITE = 3
    AUTHENTICATED_READ_ONLY = 4
    AUTHENTICATED_WRITE_ONLY = 5
    AUTHENTICATED_READ_AND_WRITE = 6


class MethodAccessMode(IntEnum):
    """Method access in the ``object_list`` of Association LN (Blue Book 4.4.3)."""

    NO_ACCESS = 0
    ACCESS = 1
    AUTHENTICATED_ACCESS = 2
