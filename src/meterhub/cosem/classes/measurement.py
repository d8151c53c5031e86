"""Interface classes for parameters and measurement data (DLMS UA 1000-1 Blue Book 4.3): the attribute and method
indices of Data (4.3.1), Register (4.3.2), Extended register (4.3.3), Demand register (4.3.4) and Profile generic
(4.3.6), numbered as in the class descriptions, with Profile generic's sort methods and selective-access
selectors.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = [
    "DataAttribute",
    "DataMethod",
    "DemandRegisterAttribute",
    "DemandRegisterMethod",
    "ExtendedRegisterAttribute",
    "ExtendedRegisterMethod",
    "ProfileGenericAttribute",
    "ProfileGenericMethod",
    "ProfileSelector",
    "RegisterAttribute",
    "RegisterMethod",
    "SortMethod",
]


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
