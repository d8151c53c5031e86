"""COSEM interface classes of the national meter profile (DLMS UA 1000-1 Blue Book clause 4: 4.3 parameters
and measurement data, 4.4 access control and management, 4.5 time- and event-bound control, 4.8 M-Bus).

Each interface class is described by its ``class_id``, ``version``, an ``IntEnum`` of attribute indices
and one of method indices, exactly as numbered in the Blue Book class descriptions, one module per group of
classes: :mod:`.measurement` (4.3), :mod:`.management` (4.4), :mod:`.control` (4.5) and :mod:`.mbus` (4.8);
:mod:`.registry` maps class ids to those descriptions (:data:`INTERFACE_CLASSES`). :mod:`.descriptors` holds
:class:`AttributeDescriptor` and :class:`MethodDescriptor`, the ``Cosem-Attribute-Descriptor`` /
``Cosem-Method-Descriptor`` of the xDLMS GET/SET/ACTION services (Green Book 9.3), and :class:`CaptureObject`,
the ``capture_objects`` element of Profile generic (4.3.6). The value enumerations that the head-end and the
simulator both need live beside their classes: Disconnect control states, modes and transitions (4.5.8),
Profile generic sort methods (4.3.6), Clock base (4.5.1), Image transfer status (4.4.6), Security setup policy,
suites and key ids (4.4.7), M-Bus client key status (4.8.3). Clause numbers follow Edition 12 and move a little
between editions; the class name is the stable key. No I/O. This package re-exports every public name, so
callers import from ``meterhub.cosem.classes``.
"""

from meterhub.cosem.classes.control import (
    ActivityCalendarAttribute,
    ActivityCalendarMethod,
    ClockAttribute,
    ClockBase,
    ClockMethod,
    ControlMode,
    ControlState,
    DisconnectControlAttribute,
    DisconnectControlMethod,
    DisconnectTrigger,
    RegisterMonitorAttribute,
    RegisterMonitorMethod,
    ScriptTableAttribute,
    ScriptTableMethod,
    SingleActionScheduleAttribute,
    SingleActionScheduleMethod,
    SingleActionScheduleType,
    disconnect_transition,
)
from meterhub.cosem.classes.descriptors import (
    AttributeDescriptor,
    CaptureObject,
    MethodDescriptor,
    attribute,
    method,
)
from meterhub.cosem.classes.management import (
    AssociationLnAttribute,
    AssociationLnMethod,
    AssociationStatus,
    AttributeAccessMode,
    ImageTransferAttribute,
    ImageTransferMethod,
    ImageTransferStatus,
    KeyId,
    MethodAccessMode,
    PushSetupAttribute,
    PushSetupMethod,
    SecurityPolicy,
    SecuritySetupAttribute,
    SecuritySetupMethod,
    SecuritySuite,
)
from meterhub.cosem.classes.mbus import (
    MBusClientAttribute,
    MBusClientMethod,
    MBusDeviceType,
    MBusEncryptionKeyStatus,
)
from meterhub.cosem.classes.measurement import (
    DataAttribute,
    DataMethod,
    DemandRegisterAttribute,
    DemandRegisterMethod,
    ExtendedRegisterAttribute,
    ExtendedRegisterMethod,
    ProfileGenericAttribute,
    ProfileGenericMethod,
    ProfileSelector,
    RegisterAttribute,
    RegisterMethod,
    SortMethod,
)
from meterhub.cosem.classes.registry import (
    INTERFACE_CLASSES,
    ClassId,
    InterfaceClass,
    interface_class,
)

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
