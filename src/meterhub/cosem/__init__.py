"""The COSEM object model (IEC 62056-6-1/6-2; DLMS UA 1000-1 Blue Book clauses 4 and 7): OBIS codes
(:mod:`.obis`), the unit table and ``scaler_unit`` (:mod:`.units`, Blue Book 4.3.2), the interface classes
with their attribute and method indices and descriptors (:mod:`.classes`, Blue Book 4.3–4.8), date-time clock
status and load-profile status bits (:mod:`.clock_status`, Blue Book 4.1.6.1) and the national meter profile
that the simulator serves and the head-end reads (:mod:`.profile`, DESIGN §4). Pure data and arithmetic, no
I/O; it may import only :mod:`meterhub.dlms`. Errors in user or configuration input are ``ValueError``
subclasses (:class:`ObisError`, :class:`UnitError`, :class:`PrecisionError`).
"""

from meterhub.cosem.classes import (
    INTERFACE_CLASSES,
    AttributeDescriptor,
    CaptureObject,
    ClassId,
    ClockBase,
    ControlMode,
    ControlState,
    DisconnectTrigger,
    InterfaceClass,
    MethodDescriptor,
    SortMethod,
    attribute,
    disconnect_transition,
    interface_class,
    method,
)
from meterhub.cosem.clock_status import ClockStatus, ProfileStatus, decode_clock_status, encode_clock_status
from meterhub.cosem.obis import Obis, ObisError
from meterhub.cosem.profile import (
    NATIONAL_PROFILE,
    PROFILE_BY_OBIS,
    PROFILE_GENERICS,
    ProfileGenericDefinition,
    ProfileObject,
    profile_object,
    public_objects,
)
from meterhub.cosem.units import PrecisionError, ScalerUnit, Unit, UnitError

__all__ = [
    "INTERFACE_CLASSES",
    "NATIONAL_PROFILE",
    "PROFILE_BY_OBIS",
    "PROFILE_GENERICS",
    "AttributeDescriptor",
    "CaptureObject",
    "ClassId",
    "ClockBase",
    "ClockStatus",
    "ControlMode",
    "ControlState",
    "DisconnectTrigger",
    "InterfaceClass",
    "MethodDescriptor",
    "Obis",
    "ObisError",
    "PrecisionError",
    "ProfileGenericDefinition",
    "ProfileObject",
    "ProfileStatus",
    "ScalerUnit",
    "SortMethod",
    "Unit",
    "UnitError",
    "attribute",
    "decode_clock_status",
    "disconnect_transition",
    "encode_clock_status",
    "interface_class",
    "method",
    "profile_object",
    "public_objects",
]
