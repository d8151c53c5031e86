"""The M-Bus client interface class (DLMS UA 1000-1 Blue Book 4.8.3): the attribute and method indices of the
electricity meter's view of a wired M-Bus sub-meter (gas, water, heat), its encryption key status and the
EN 13757-3 device type byte.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["MBusClientAttribute", "MBusClientMethod", "MBusDeviceType", "MBusEncryptionKeyStatus"]


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
