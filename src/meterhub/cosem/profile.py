"""The national meter profile as data (DESIGN §4): which COSEM objects a meter serves, their interface
class, their default ``scaler_unit`` and whether the public client may read them.

The simulator builds its object tree from :data:`NATIONAL_PROFILE` and the head-end plans its reads from the
same list, so both sides cannot drift apart. Profile generic objects (Blue Book 4.3.6) also get a
:class:`ProfileGenericDefinition` with their ``capture_objects``, ``capture_period`` and depth: the 1/4-hour
load profile captures clock, profile status, A+, A−, R+ and R− (attribute 2, data index 0, as DSMR/IDIS load
profile 1); each M-Bus channel b has an hourly profile 0-b:24.3.0.255 capturing clock, its profile status
0-b:96.10.3.255 and the M-Bus master value 0-b:24.2.1.255 with its capture time. Depths are simulator
defaults (ten days of intervals, DSMR-like event log sizes), not normative. The public client (SAP 16)
reads the logical device name, the clock, the invocation counter and — as every client must — the current
association 0-0:40.0.0.255; everything else needs the management client.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from meterhub.cosem import obis as o
from meterhub.cosem.classes import CaptureObject as C
from meterhub.cosem.classes import (
    ClassId,
    ClockAttribute,
    DataAttribute,
    ExtendedRegisterAttribute,
    InterfaceClass,
    RegisterAttribute,
    SortMethod,
    interface_class,
)
from meterhub.cosem.obis import Obis
from meterhub.cosem.units import ScalerUnit, Unit

__all__ = [
    "EVENT_LOG_DEPTHS",
    "LOAD_PROFILE_CAPTURE_OBJECTS",
    "LOAD_PROFILE_CAPTURE_PERIOD",
    "MBUS_PROFILE_CAPTURE_PERIOD",
    "NATIONAL_PROFILE",
    "PROFILE_BY_OBIS",
    "PROFILE_GENERICS",
    "ProfileGenericDefinition",
    "ProfileObject",
    "event_log_capture_objects",
    "mbus_profile_capture_objects",
    "profile_object",
    "public_objects",
]


@dataclass(frozen=True, slots=True)
class ProfileObject:
    """One COSEM object of the national profile."""

    obis: Obis
    class_id: int
    description: str
    public_readable: bool = False
    scaler_unit: ScalerUnit | None = None
    """Default ``scaler_unit`` of registers the meter reports; ``None`` when not a register or when it
    depends on the device (M-Bus values: read attribute 3 of the meter)."""

    @property
    def interface_class(self) -> InterfaceClass:
        """The interface class (id, version, attribute and method enums)."""
        return interface_class(self.class_id)


@dataclass(frozen=True, slots=True)
class ProfileGenericDefinition:
    """The static attributes of one Profile generic object of the national profile."""

    obis: Obis
    capture_objects: tuple[C, ...]
    capture_period: int
    """Seconds between automatic captures; 0 for event-driven logs."""
    profile_entries: int
    sort_method: SortMethod = SortMethod.FIFO


LOAD_PROFILE_CAPTURE_PERIOD: Final = 900
"""The load profile captures every 15 minutes (96 entries a day, 92/100 on DST days)."""
MBUS_PROFILE_CAPTURE_PERIOD: Final = 3600
"""The M-Bus profiles capture every hour."""

_ENERGY_WH: Final = ScalerUnit(0, Unit.WATT_HOUR)
_ENERGY_VARH: Final = ScalerUnit(0, Unit.VAR_HOUR)
_VOLTAGE: Final = ScalerUnit(-1, Unit.VOLT)
_CURRENT: Final = ScalerUnit(-2, Unit.AMPERE)

_CLOCK_TIME: Final = C.of(o.CLOCK, ClockAttribute.TIME)

LOAD_PROFILE_CAPTURE_OBJECTS: Final[tuple[C, ...]] = (
    _CLOCK_TIME,
    C.of(o.PROFILE_STATUS, DataAttribute.VALUE),
    C.of(o.ACTIVE_ENERGY_IMPORT, RegisterAttribute.VALUE),
    C.of(o.ACTIVE_ENERGY_EXPORT, RegisterAttribute.VALUE),
    C.of(o.REACTIVE_ENERGY_IMPORT, RegisterAttribute.VALUE),
    C.of(o.REACTIVE_ENERGY_EXPORT, RegisterAttribute.VALUE),
)
"""Columns of the 1/4-hour load profile 1-0:99.1.0.255: clock, status, A+, A−, R+, R−."""


def mbus_profile_capture_objects(channel: int) -> tuple[C, ...]:
    """Columns of the hourly profile of M-Bus channel b: clock, status, value, value capture time."""
    return (
        _CLOCK_TIME,
        C.of(o.mbus_profile_status(channel), DataAttribute.VALUE),
        C.of(o.mbus_value(channel), ExtendedRegisterAttribute.VALUE),
        C.of(o.mbus_value(channel), ExtendedRegisterAttribute.CAPTURE_TIME),
    )


def event_log_capture_objects(log: int) -> tuple[C, ...]:
    """Columns of event log 0-0:99.98.e.255: clock and the event code 0-0:96.11.e.255."""
    return (_CLOCK_TIME, C.of(o.event_code(log), DataAttribute.VALUE))


EVENT_LOG_DEPTHS: Final[Mapping[Obis, int]] = MappingProxyType(
    {
        o.STANDARD_EVENT_LOG: 100,
        o.FRAUD_DETECTION_LOG: 30,
        o.DISCONNECTOR_EVENT_LOG: 30,
        o.MBUS_EVENT_LOG: 30,
        o.COMMUNICATION_EVENT_LOG: 30,
        o.POWER_QUALITY_EVENT_LOG: 100,
    }
)
"""Entries kept in each event log (simulator default, DSMR-like)."""

_EVENT_LOG_NAMES: Final = (
    "standard event log",
    "fraud detection event log",
    "disconnector control event log",
    "M-Bus event log",
    "communication event log",
    "power quality event log",
)


def _build_profile_generics() -> dict[Obis, ProfileGenericDefinition]:
    defs = [
        ProfileGenericDefinition(
            o.LOAD_PROFILE_15MIN, LOAD_PROFILE_CAPTURE_OBJECTS, LOAD_PROFILE_CAPTURE_PERIOD, 10 * 96
        )
    ]
    defs += [
        ProfileGenericDefinition(
            o.mbus_profile(b), mbus_profile_capture_objects(b), MBUS_PROFILE_CAPTURE_PERIOD, 10 * 24
        )
        for b in o.MBUS_CHANNELS
    ]
    defs += [
        ProfileGenericDefinition(o.event_log(e), event_log_capture_objects(e), 0, EVENT_LOG_DEPTHS[o.event_log(e)])
        for e in range(6)
    ]
    return {d.obis: d for d in defs}


PROFILE_GENERICS: Final[Mapping[Obis, ProfileGenericDefinition]] = MappingProxyType(_build_profile_generics())
"""Capture definitions of the profile's load profiles and event logs, by OBIS (not the power failure log,
whose columns are vendor-specific)."""


def _build_profile() -> tuple[ProfileObject, ...]:
    P = ProfileObject
    D, R, X, PG = ClassId.DATA, ClassId.REGISTER, ClassId.EXTENDED_REGISTER, ClassId.PROFILE_GENERIC
    DC = ClassId.DISCONNECT_CONTROL
    objects: list[ProfileObject] = [
        # Identity, time, security.
        P(o.CLOCK, ClassId.CLOCK, "clock: time, time zone, status (DST), daylight-saving rules", True),
        P(o.LOGICAL_DEVICE_NAME, D, "COSEM logical device name", True),
        P(o.METER_SERIAL, D, "meter serial (equipment identifier)"),
        P(o.INVOCATION_COUNTER, D, "invocation (frame) counter of the management client's key set", True),
        P(o.SECURITY_SETUP, ClassId.SECURITY_SETUP, "security setup of the management client (key_transfer)"),
        P(o.ASSOCIATION_LN, ClassId.ASSOCIATION_LN, "current association (object list, HLS)", True),
        # Cumulative energy and TOU registers.
        P(o.ACTIVE_ENERGY_IMPORT, R, "A+ active energy import, total", scaler_unit=_ENERGY_WH),
        P(o.ACTIVE_ENERGY_EXPORT, R, "A− active energy export, total", scaler_unit=_ENERGY_WH),
        P(o.REACTIVE_ENERGY_IMPORT, R, "R+ reactive energy import, total", scaler_unit=_ENERGY_VARH),
        P(o.REACTIVE_ENERGY_EXPORT, R, "R− reactive energy export, total", scaler_unit=_ENERGY_VARH),
        P(o.ACTIVE_ENERGY_IMPORT_T1, R, "A+ active energy import, tariff 1", scaler_unit=_ENERGY_WH),
        P(o.ACTIVE_ENERGY_IMPORT_T2, R, "A+ active energy import, tariff 2", scaler_unit=_ENERGY_WH),
        P(o.ACTIVE_ENERGY_EXPORT_T1, R, "A− active energy export, tariff 1", scaler_unit=_ENERGY_WH),
        P(o.ACTIVE_ENERGY_EXPORT_T2, R, "A− active energy export, tariff 2", scaler_unit=_ENERGY_WH),
        # Load profile.
        P(o.LOAD_PROFILE_15MIN, PG, "1/4-hour load profile: clock, status, A+, A−, R+, R−"),
        P(o.PROFILE_STATUS, D, "profile status byte of the load profile"),
    ]
    # M-Bus sub-meters, channels 1..4.
    for b in o.MBUS_CHANNELS:
        objects += [
            P(o.mbus_client(b), ClassId.MBUS_CLIENT, f"M-Bus client setup, channel {b}"),
            P(o.mbus_value(b), X, f"M-Bus master value with capture time, channel {b}"),
            P(o.mbus_profile(b), PG, f"hourly M-Bus profile, channel {b}"),
            P(o.mbus_profile_status(b), D, f"profile status of the hourly M-Bus profile, channel {b}"),
            P(o.mbus_valve(b), DC, f"valve (disconnect control) of the gas meter on channel {b}"),
        ]
    objects += [
        # Breaker and relays.
        P(o.DISCONNECT_CONTROL, DC, "breaker: output/control state, remote disconnect/reconnect"),
        P(o.RELAY_1, DC, "external relay 1 for home appliances"),
        P(o.RELAY_2, DC, "external relay 2 for home appliances"),
        # Tariffs.
        P(o.ACTIVITY_CALENDAR, ClassId.ACTIVITY_CALENDAR, "TOU activity calendar, active and passive"),
        P(o.TARIFFICATION_SCRIPT_TABLE, ClassId.SCRIPT_TABLE, "tariffication scripts run by the calendar"),
    ]
    # Event logs and their event codes.
    for e, name in enumerate(_EVENT_LOG_NAMES):
        objects += [
            P(o.event_log(e), PG, name),
            P(o.event_code(e), D, f"event code of the {name}"),
        ]
    objects += [
        P(o.POWER_FAILURE_LOG, PG, "power failure event log (long power failures: end time, duration)"),
        # Power quality.
        P(o.VOLTAGE_L1, R, "instantaneous voltage L1", scaler_unit=_VOLTAGE),
        P(o.VOLTAGE_L2, R, "instantaneous voltage L2", scaler_unit=_VOLTAGE),
        P(o.VOLTAGE_L3, R, "instantaneous voltage L3", scaler_unit=_VOLTAGE),
        P(o.CURRENT_L1, R, "instantaneous current L1", scaler_unit=_CURRENT),
        P(o.CURRENT_L2, R, "instantaneous current L2", scaler_unit=_CURRENT),
        P(o.CURRENT_L3, R, "instantaneous current L3", scaler_unit=_CURRENT),
        P(o.VOLTAGE_SAG_COUNT_L1, D, "number of voltage sags L1"),
        P(o.VOLTAGE_SAG_COUNT_L2, D, "number of voltage sags L2"),
        P(o.VOLTAGE_SAG_COUNT_L3, D, "number of voltage sags L3"),
        P(o.VOLTAGE_SWELL_COUNT_L1, D, "number of voltage swells L1"),
        P(o.VOLTAGE_SWELL_COUNT_L2, D, "number of voltage swells L2"),
        P(o.VOLTAGE_SWELL_COUNT_L3, D, "number of voltage swells L3"),
        # Alarms, pushes, firmware.
        P(o.ALARM_REGISTER, D, "alarm register"),
        P(o.ALARM_FILTER, D, "alarm filter"),
        P(o.PUSH_SETUP, ClassId.PUSH_SETUP, "alarm and interval pushes to the head-end"),
        P(o.IMAGE_TRANSFER, ClassId.IMAGE_TRANSFER, "firmware image transfer"),
    ]
    return tuple(objects)


NATIONAL_PROFILE: Final[tuple[ProfileObject, ...]] = _build_profile()
"""Every COSEM object of the national electricity meter, in DESIGN §4 order."""

PROFILE_BY_OBIS: Final[Mapping[Obis, ProfileObject]] = MappingProxyType({p.obis: p for p in NATIONAL_PROFILE})
"""The national profile by OBIS code."""


def profile_object(obis: Obis | str) -> ProfileObject:
    """The profile object with this OBIS code; ``KeyError`` if the national profile has none."""
    key = Obis.coerce(obis)
    try:
        return PROFILE_BY_OBIS[key]
    except KeyError:
        raise KeyError(f"{key} is not in the national meter profile") from None


def public_objects() -> tuple[ProfileObject, ...]:
    """The objects the public client (SAP 16, no security) may read."""
    return tuple(p for p in NATIONAL_PROFILE if p.public_readable)
