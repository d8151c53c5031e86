"""OBIS object identification codes (IEC 62056-6-1; DLMS UA 1000-1 "Blue Book" clause 7, OBIS).

An OBIS code names a COSEM object with six value groups A..F, each 0..255: A the medium (0 abstract,
1 electricity, 7 gas …), B the channel, C the physical quantity, D the processing, E the further
classification (tariff, phase, instance) and F the billing period (255 = not used). On the wire it is the
6-octet ``logical_name`` / ``instance-id`` (Blue Book 4.1.8.2); in text it has the dotted form
``1.0.1.8.0.255`` and the reduced form of IEC 62056-6-1 ``1-0:1.8.0`` (with ``*F`` only when F is not 255).
Malformed text or bytes given by a user or a configuration raise :class:`ObisError`, a ``ValueError``: they
are not DLMS peer errors. The constants below are the objects of the national meter profile
(DESIGN §4) with the Blue Book 7.4/7.5 object each one stands for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = [
    "ACTIVE_ENERGY_EXPORT",
    "ACTIVE_ENERGY_EXPORT_T1",
    "ACTIVE_ENERGY_EXPORT_T2",
    "ACTIVE_ENERGY_IMPORT",
    "ACTIVE_ENERGY_IMPORT_T1",
    "ACTIVE_ENERGY_IMPORT_T2",
    "ACTIVITY_CALENDAR",
    "ALARM_FILTER",
    "ALARM_REGISTER",
    "ASSOCIATION_LN",
    "CLOCK",
    "COMMUNICATION_EVENT_CODE",
    "COMMUNICATION_EVENT_LOG",
    "CURRENT_L1",
    "CURRENT_L2",
    "CURRENT_L3",
    "DISCONNECTOR_EVENT_CODE",
    "DISCONNECTOR_EVENT_LOG",
    "DISCONNECT_CONTROL",
    "FRAUD_DETECTION_EVENT_CODE",
    "FRAUD_DETECTION_LOG",
    "IMAGE_TRANSFER",
    "INVOCATION_COUNTER",
    "LOAD_PROFILE_15MIN",
    "LOGICAL_DEVICE_NAME",
    "MBUS_CHANNELS",
    "MBUS_EVENT_CODE",
    "MBUS_EVENT_LOG",
    "MBUS_HOURLY_PROFILE",
    "METER_SERIAL",
    "POWER_FAILURE_LOG",
    "POWER_QUALITY_EVENT_CODE",
    "POWER_QUALITY_EVENT_LOG",
    "PROFILE_STATUS",
    "PUSH_SETUP",
    "REACTIVE_ENERGY_EXPORT",
    "REACTIVE_ENERGY_IMPORT",
    "RELAY_1",
    "RELAY_2",
    "SECURITY_SETUP",
    "SPECIAL_DAYS_TABLE",
    "STANDARD_EVENT_CODE",
    "STANDARD_EVENT_LOG",
    "TARIFFICATION_SCRIPT_TABLE",
    "VOLTAGE_L1",
    "VOLTAGE_L2",
    "VOLTAGE_L3",
    "VOLTAGE_SAG_COUNT_L1",
    "VOLTAGE_SAG_COUNT_L2",
    "VOLTAGE_SAG_COUNT_L3",
    "VOLTAGE_SWELL_COUNT_L1",
    "VOLTAGE_SWELL_COUNT_L2",
    "VOLTAGE_SWELL_COUNT_L3",
    "Obis",
    "ObisError",
    "association_ln",
    "event_code",
    "event_log",
    "invocation_counter",
    "mbus_client",
    "mbus_profile",
    "mbus_profile_status",
    "mbus_value",
    "mbus_valve",
    "security_setup",
]


class ObisError(ValueError):
    """Text or bytes that are not an OBIS code (wrong shape, a value group outside 0..255)."""


# Value group C letters of IEC 62056-6-1 (reduced ID codes): C = 96 service, F = 97 error,
# L = 98 list, P = 99 data profile.
_C_LETTERS: Final[dict[str, int]] = {"C": 96, "F": 97, "L": 98, "P": 99}

_G = r"([0-9]{1,3})"
_DOTTED_RE: Final = re.compile(rf"{_G}\.{_G}\.{_G}\.{_G}\.{_G}\.{_G}")
_REDUCED_RE: Final = re.compile(rf"{_G}-{_G}:([0-9]{{1,3}}|[CFLP])\.{_G}\.{_G}(?:[.*&]{_G})?")
_HEX_RE: Final = re.compile(r"[0-9A-Fa-f]{12}")


@dataclass(frozen=True, order=True, slots=True)
class Obis:
    """One OBIS code: six value groups A..F (0..255), ordered and hashable; F defaults to 255 (unused)."""

    a: int
    b: int
    c: int
    d: int
    e: int
    f: int = 255

    def __post_init__(self) -> None:
        for name in ("a", "b", "c", "d", "e", "f"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ObisError(f"OBIS value group {name.upper()} must be an int, got {value!r}")
            if not 0 <= value <= 255:
                raise ObisError(f"OBIS value group {name.upper()} = {value} is outside 0..255")

    # ----------------------------------------------------------------- construction
    @classmethod
    def parse(cls, text: str) -> Obis:
        """Parse ``1.0.1.8.0.255``, ``1-0:1.8.0`` (F = 255), ``1-0:1.8.0.255``, ``1-0:1.8.0*255``
        (also ``&F``), the IEC 62056-6-1 letters C/F/L/P in group C (``0-0:C.1.0``), or 12 hex digits.
        """
        if not isinstance(text, str):
            raise ObisError(f"OBIS text must be a str, got {type(text).__name__}")
        s = text.strip()
        if m := _DOTTED_RE.fullmatch(s):
            return cls._from_groups(text, [int(g) for g in m.groups()])
        if m := _REDUCED_RE.fullmatch(s):
            a, b, c, d, e, f = m.groups()
            c_value = _C_LETTERS[c] if c in _C_LETTERS else int(c)
            return cls._from_groups(text, [int(a), int(b), c_value, int(d), int(e), 255 if f is None else int(f)])
        if _HEX_RE.fullmatch(s):
            return cls.from_bytes(bytes.fromhex(s))
        raise ObisError(f"not an OBIS code: {text!r} (expected 1.0.1.8.0.255, 1-0:1.8.0[*255] or 12 hex digits)")

    @classmethod
    def _from_groups(cls, text: str, groups: list[int]) -> Obis:
        for value in groups:
            if value > 255:
                raise ObisError(f"OBIS value group {value} is outside 0..255 in {text!r}")
        return cls(*groups)

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> Obis:
        """The 6-octet ``logical_name`` (octet-string of size 6) as carried in COSEM descriptors."""
        raw = bytes(data)
        if len(raw) != 6:
            raise ObisError(f"an OBIS code is 6 octets, got {len(raw)}: {raw.hex()}")
        return cls(*raw)

    @classmethod
    def coerce(cls, value: Obis | str | bytes | bytearray | memoryview) -> Obis:
        """Accept an :class:`Obis`, any text form :meth:`parse` knows, or 6 raw octets."""
        if isinstance(value, Obis):
            return value
        if isinstance(value, str):
            return cls.parse(value)
        if isinstance(value, bytes | bytearray | memoryview):
            return cls.from_bytes(value)
        raise ObisError(f"cannot make an OBIS code of {type(value).__name__}")

    # ---------------------------------------------------------------------- output
    def to_bytes(self) -> bytes:
        """The 6-octet wire form (``logical_name``)."""
        return bytes((self.a, self.b, self.c, self.d, self.e, self.f))

    def __bytes__(self) -> bytes:
        return self.to_bytes()

    def reduced(self) -> str:
        """IEC 62056-6-1 reduced form ``A-B:C.D.E``, with ``*F`` appended only when F is not 255."""
        base = f"{self.a}-{self.b}:{self.c}.{self.d}.{self.e}"
        return base if self.f == 255 else f"{base}*{self.f}"

    def groups(self) -> tuple[int, int, int, int, int, int]:
        """The six value groups A..F."""
        return (self.a, self.b, self.c, self.d, self.e, self.f)

    def __str__(self) -> str:
        return f"{self.a}.{self.b}.{self.c}.{self.d}.{self.e}.{self.f}"

    def __repr__(self) -> str:
        return f"Obis('{self}')"


# ------------------------------------------------------------------------------------------------------
# Parametrised objects.
# ------------------------------------------------------------------------------------------------------

MBUS_CHANNELS: Final = range(1, 5)
"""M-Bus channels (value group B) served by the national meter's M-Bus master: 1..4."""


def _channel(channel: int) -> int:
    if isinstance(channel, bool) or not isinstance(channel, int) or channel not in MBUS_CHANNELS:
        raise ObisError(f"M-Bus channel must be 1..4, got {channel!r}")
    return channel


def _instance(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 255:
        raise ObisError(f"{what} must be 0..255, got {value!r}")
    return value


def mbus_client(channel: int) -> Obis:
    """0-b:24.1.0.255, M-Bus client setup (class 72) of sub-meter channel b (identity, medium, key)."""
    return Obis(0, _channel(channel), 24, 1, 0, 255)


def mbus_value(channel: int) -> Obis:
    """0-b:24.2.1.255, M-Bus master value (class 4): the sub-meter's register with its capture time."""
    return Obis(0, _channel(channel), 24, 2, 1, 255)


def mbus_profile(channel: int) -> Obis:
    """0-b:24.3.0.255, M-Bus master load profile (class 7): hourly values of sub-meter channel b."""
    return Obis(0, _channel(channel), 24, 3, 0, 255)


def mbus_valve(channel: int) -> Obis:
    """0-b:24.4.0.255, M-Bus disconnect control (class 70): the valve of a gas sub-meter on channel b."""
    return Obis(0, _channel(channel), 24, 4, 0, 255)


def mbus_profile_status(channel: int) -> Obis:
    """0-b:96.10.3.255, profile status (class 1) captured in the M-Bus load profile of channel b."""
    return Obis(0, _channel(channel), 96, 10, 3, 255)


def association_ln(instance: int = 0) -> Obis:
    """0-0:40.0.e.255, Association LN (class 15); instance 0 is always the *current* association."""
    return Obis(0, 0, 40, 0, _instance(instance, "association instance"), 255)


def security_setup(instance: int) -> Obis:
    """0-0:43.0.e.255, Security setup (class 64) instance e (policy, suite, system titles, keys)."""
    return Obis(0, 0, 43, 0, _instance(instance, "security setup instance"), 255)


def invocation_counter(instance: int) -> Obis:
    """0-0:43.1.e.255, invocation counter (class 1) of the key set of security setup instance e."""
    return Obis(0, 0, 43, 1, _instance(instance, "security setup instance"), 255)


def event_log(log: int) -> Obis:
    """0-0:99.98.e.255, event log (class 7) e = 0 standard … 5 power quality (see the constants)."""
    if isinstance(log, bool) or not isinstance(log, int) or not 0 <= log <= 5:
        raise ObisError(f"event log number must be 0..5, got {log!r}")
    return Obis(0, 0, 99, 98, log, 255)


def event_code(log: int) -> Obis:
    """0-0:96.11.e.255, event code object (class 1) holding the last event of log e."""
    if isinstance(log, bool) or not isinstance(log, int) or not 0 <= log <= 5:
        raise ObisError(f"event log number must be 0..5, got {log!r}")
    return Obis(0, 0, 96, 11, log, 255)


# ------------------------------------------------------------------------------------------------------
# The national meter profile (DESIGN §4).
# ------------------------------------------------------------------------------------------------------

# Abstract objects, clock and identity.
CLOCK: Final = Obis(0, 0, 1, 0, 0, 255)
"""Clock (class 8): local time, time zone, clock status (DST), daylight-saving rules."""
LOGICAL_DEVICE_NAME: Final = Obis(0, 0, 42, 0, 0, 255)
"""COSEM logical device name (class 1): octet-string, manufacturer flag id + serial (Blue Book 4.1.8.2)."""
METER_SERIAL: Final = Obis(0, 0, 96, 1, 0, 255)
"""Device ID 1, the manufacturing number / equipment identifier of the meter (class 1)."""

# Security and associations.
SECURITY_SETUP: Final = security_setup(0)
"""Security setup (class 64) of the management client's key set, instance 0 (pairs with
:data:`INVOCATION_COUNTER`); further instances via :func:`security_setup`."""
INVOCATION_COUNTER: Final = invocation_counter(0)
"""Invocation (frame) counter of the management client's key set (class 1), readable by the public client."""
ASSOCIATION_LN: Final = association_ln(0)
"""Current association (class 15): object list, partners, context, HLS authentication."""

# Cumulative energy registers (class 3), A = 1 electricity, D = 8 time integral 1, E = 0 total, 1/2 tariff.
ACTIVE_ENERGY_IMPORT: Final = Obis(1, 0, 1, 8, 0, 255)
"""A+: active energy import (+A), total, Wh."""
ACTIVE_ENERGY_EXPORT: Final = Obis(1, 0, 2, 8, 0, 255)
"""A−: active energy export (−A), total, Wh."""
REACTIVE_ENERGY_IMPORT: Final = Obis(1, 0, 3, 8, 0, 255)
"""R+: reactive energy import (+R, QI+QII), total, varh."""
REACTIVE_ENERGY_EXPORT: Final = Obis(1, 0, 4, 8, 0, 255)
"""R−: reactive energy export (−R, QIII+QIV), total, varh."""
ACTIVE_ENERGY_IMPORT_T1: Final = Obis(1, 0, 1, 8, 1, 255)
"""A+ tariff 1 (TOU sub-register)."""
ACTIVE_ENERGY_IMPORT_T2: Final = Obis(1, 0, 1, 8, 2, 255)
"""A+ tariff 2 (TOU sub-register)."""
ACTIVE_ENERGY_EXPORT_T1: Final = Obis(1, 0, 2, 8, 1, 255)
"""A− tariff 1 (TOU sub-register)."""
ACTIVE_ENERGY_EXPORT_T2: Final = Obis(1, 0, 2, 8, 2, 255)
"""A− tariff 2 (TOU sub-register)."""

# Load profile.
LOAD_PROFILE_15MIN: Final = Obis(1, 0, 99, 1, 0, 255)
"""Load profile 1 (class 7), 15-minute capture of clock, status and the four cumulative registers."""
PROFILE_STATUS: Final = Obis(0, 0, 96, 10, 1, 255)
"""Status register 1 (class 1): the profile status byte captured with each load-profile entry."""

# M-Bus (channel 1 constants; use the functions above for channels 2..4).
MBUS_HOURLY_PROFILE: Final = mbus_profile(1)
"""Hourly M-Bus profile of channel 1 (class 7), 0-1:24.3.0.255."""

# Disconnector and relays.
DISCONNECT_CONTROL: Final = Obis(0, 0, 96, 3, 10, 255)
"""Disconnect control (class 70) of the breaker: output/control state, remote disconnect/reconnect."""
RELAY_1: Final = Obis(0, 0, 96, 3, 1, 255)
"""External relay 1 for home appliances (I/O control signal, class 70 in the national profile)."""
RELAY_2: Final = Obis(0, 0, 96, 3, 2, 255)
"""External relay 2 for home appliances (I/O control signal, class 70 in the national profile)."""

# Tariffs.
ACTIVITY_CALENDAR: Final = Obis(0, 0, 13, 0, 0, 255)
"""Activity calendar (class 20): TOU seasons, weeks, day profiles; passive calendar and its activation."""
SPECIAL_DAYS_TABLE: Final = Obis(0, 0, 11, 0, 0, 255)
"""Special days table (class 11): dates (public holidays) on which the activity calendar uses another day_id."""
TARIFFICATION_SCRIPT_TABLE: Final = Obis(0, 0, 10, 0, 100, 255)
"""Tariffication script table (class 9) whose scripts the activity calendar's day profiles run."""

# Event logs (class 7) and their event code objects (class 1).
STANDARD_EVENT_LOG: Final = event_log(0)
"""Standard event log, 0-0:99.98.0.255."""
FRAUD_DETECTION_LOG: Final = event_log(1)
"""Fraud detection event log, 0-0:99.98.1.255."""
DISCONNECTOR_EVENT_LOG: Final = event_log(2)
"""Disconnector control event log, 0-0:99.98.2.255."""
MBUS_EVENT_LOG: Final = event_log(3)
"""M-Bus event log, 0-0:99.98.3.255."""
COMMUNICATION_EVENT_LOG: Final = event_log(4)
"""Communication event log, 0-0:99.98.4.255."""
POWER_QUALITY_EVENT_LOG: Final = event_log(5)
"""Power quality event log, 0-0:99.98.5.255."""
STANDARD_EVENT_CODE: Final = event_code(0)
"""Event code of the standard event log, 0-0:96.11.0.255."""
FRAUD_DETECTION_EVENT_CODE: Final = event_code(1)
"""Event code of the fraud detection log, 0-0:96.11.1.255."""
DISCONNECTOR_EVENT_CODE: Final = event_code(2)
"""Event code of the disconnector control log, 0-0:96.11.2.255."""
MBUS_EVENT_CODE: Final = event_code(3)
"""Event code of the M-Bus event log, 0-0:96.11.3.255."""
COMMUNICATION_EVENT_CODE: Final = event_code(4)
"""Event code of the communication event log, 0-0:96.11.4.255."""
POWER_QUALITY_EVENT_CODE: Final = event_code(5)
"""Event code of the power quality event log, 0-0:96.11.5.255."""
POWER_FAILURE_LOG: Final = Obis(0, 0, 99, 97, 0, 255)
"""Power failure event log (class 7): end time and duration of each long power failure."""

# Power quality: instantaneous values (class 3), C = 32/52/72 voltage L1..L3, 31/51/71 current L1..L3,
# D = 7 instantaneous value; D = 32 / 36 number of voltage sags / swells (class 1).
VOLTAGE_L1: Final = Obis(1, 0, 32, 7, 0, 255)
"""Instantaneous voltage L1, V."""
VOLTAGE_L2: Final = Obis(1, 0, 52, 7, 0, 255)
"""Instantaneous voltage L2, V."""
VOLTAGE_L3: Final = Obis(1, 0, 72, 7, 0, 255)
"""Instantaneous voltage L3, V."""
CURRENT_L1: Final = Obis(1, 0, 31, 7, 0, 255)
"""Instantaneous current L1, A."""
CURRENT_L2: Final = Obis(1, 0, 51, 7, 0, 255)
"""Instantaneous current L2, A."""
CURRENT_L3: Final = Obis(1, 0, 71, 7, 0, 255)
"""Instantaneous current L3, A."""
VOLTAGE_SAG_COUNT_L1: Final = Obis(1, 0, 32, 32, 0, 255)
"""Number of voltage sags in phase L1."""
VOLTAGE_SAG_COUNT_L2: Final = Obis(1, 0, 52, 32, 0, 255)
"""Number of voltage sags in phase L2."""
VOLTAGE_SAG_COUNT_L3: Final = Obis(1, 0, 72, 32, 0, 255)
"""Number of voltage sags in phase L3."""
VOLTAGE_SWELL_COUNT_L1: Final = Obis(1, 0, 32, 36, 0, 255)
"""Number of voltage swells in phase L1."""
VOLTAGE_SWELL_COUNT_L2: Final = Obis(1, 0, 52, 36, 0, 255)
"""Number of voltage swells in phase L2."""
VOLTAGE_SWELL_COUNT_L3: Final = Obis(1, 0, 72, 36, 0, 255)
"""Number of voltage swells in phase L3."""

# Alarms, push, firmware.
ALARM_REGISTER: Final = Obis(0, 0, 97, 98, 0, 255)
"""Alarm register 1 (class 1): double-long-unsigned bit field of raised alarms."""
ALARM_FILTER: Final = Obis(0, 0, 97, 98, 10, 255)
"""Alarm filter 1 (class 1): mask of the alarm register bits that trigger a push."""
PUSH_SETUP: Final = Obis(0, 0, 25, 9, 0, 255)
"""Push setup (class 40): alarm and interval pushes to the head-end."""
IMAGE_TRANSFER: Final = Obis(0, 0, 44, 0, 0, 255)
"""Image transfer (class 18): firmware update."""
