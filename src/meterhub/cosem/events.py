"""The national profile's event codes: what a code in each event log means (name, log, severity).

The meters' event logs (interface class 7) hold ``(time, event code)`` rows: the standard event log
0-0:99.98.0.255, fraud detection 0-0:99.98.1.255, disconnector control 0-0:99.98.2.255, M-Bus 0-0:99.98.3.255,
communication 0-0:99.98.4.255, power quality 0-0:99.98.5.255, and the power failure log 0-0:99.97.0.255
(long power failures with their duration). The codes are those of the IDIS / DSMR event tables the national
profile follows (1–20 standard, 40–47 fraud, 59–68 disconnector, 76–81 power quality, 100–136 M-Bus channel
1–4 in steps of ten); codes from 230 up are the manufacturer-specific range (our meters report the PLC link to
the concentrator there). An alarm push (``alarm``) carries the bits of the alarm register 0-0:97.98.0.255
instead of a code: the catalogue names those bits too.

Severity is what an operator should make of an event: ``info`` (routine: clock adjusted, power up), ``low``
(power quality, M-Bus communication), ``medium`` (power failures, hardware errors, batteries) or ``high``
(tampering, fraud). :func:`event_info` never fails: an unknown code gets a generic name and the log's severity.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

LOGS: Final[Mapping[str, str]] = {
    "standard": "Standard event log (0-0:99.98.0.255)",
    "fraud": "Fraud detection log (0-0:99.98.1.255)",
    "disconnector": "Disconnector control log (0-0:99.98.2.255)",
    "mbus": "M-Bus event log (0-0:99.98.3.255)",
    "communication": "Communication event log (0-0:99.98.4.255)",
    "power_quality": "Power quality event log (0-0:99.98.5.255)",
    "power_failure": "Power failure event log (0-0:99.97.0.255)",
    "alarm": "Alarm register push (0-0:97.98.0.255 bits)",
}
"""The event logs by the short name the head-end stores, with their COSEM object."""

SEVERITIES: Final = ("info", "low", "medium", "high")

#: The severity of a code the catalogue does not know, by log.
LOG_SEVERITY: Final[Mapping[str, str]] = {
    "standard": "info",
    "fraud": "high",
    "disconnector": "medium",
    "mbus": "low",
    "communication": "low",
    "power_quality": "low",
    "power_failure": "medium",
    "alarm": "medium",
}


@dataclass(frozen=True, slots=True)
class EventInfo:
    """What an event code of a log means."""

    code: int
    log: str
    name: str
    severity: str

    @property
    def label(self) -> str:
        """``name (code)``, as listings show it."""
        return f"{self.name} ({self.code})"


def _entries() -> dict[tuple[str, int], EventInfo]:
    table: dict[tuple[str, int], EventInfo] = {}

    def add(log: str, code: int, name: str, severity: str) -> None:
        table[(log, code)] = EventInfo(code, log, name, severity)

    for code, name, severity in (
        (1, "Power down", "medium"),
        (2, "Power up", "info"),
        (3, "Daylight saving time enabled or disabled", "info"),
        (4, "Clock adjusted (old date/time)", "info"),
        (5, "Clock adjusted (new date/time)", "info"),
        (6, "Clock invalid", "medium"),
        (7, "Replace battery", "medium"),
        (8, "Battery voltage low", "medium"),
        (9, "Tariff (TOU) activated", "info"),
        (10, "Error register cleared", "info"),
        (11, "Alarm register cleared", "info"),
        (12, "Program memory error", "medium"),
        (13, "RAM error", "medium"),
        (14, "NV memory error", "medium"),
        (15, "Watchdog error", "medium"),
        (16, "Measurement system error", "high"),
        (17, "Firmware ready for activation", "info"),
        (18, "Firmware activated", "info"),
        (19, "Passive tariff updated", "info"),
        (20, "Successful self-check after firmware update", "info"),
    ):
        add("standard", code, name, severity)
    for code, name, severity in (
        (40, "Terminal cover removed", "high"),
        (41, "Terminal cover closed", "medium"),
        (42, "Strong DC magnetic field detected", "high"),
        (43, "No strong DC magnetic field any more", "medium"),
        (44, "Meter cover removed", "high"),
        (45, "Meter cover closed", "medium"),
        (46, "Failed login attempt", "high"),
        (47, "Configuration changed", "medium"),
    ):
        add("fraud", code, name, severity)
    for code, name, severity in (
        (59, "Manual disconnection", "medium"),
        (60, "Manual connection", "info"),
        (61, "Remote disconnection", "medium"),
        (62, "Remote connection", "info"),
        (63, "Local disconnection", "medium"),
        (64, "Limiter threshold exceeded", "medium"),
        (65, "Limiter threshold OK", "info"),
        (66, "Limiter threshold changed", "info"),
        (67, "Disconnect/reconnect failure", "high"),
        (68, "Local reconnection", "info"),
    ):
        add("disconnector", code, name, severity)
    for phase, offset in (("L1", 0), ("L2", 1), ("L3", 2)):
        add("power_quality", 76 + offset, f"Voltage sag {phase}", "low")
        add("power_quality", 79 + offset, f"Voltage swell {phase}", "low")
    for channel in range(1, 5):
        base = 100 + 10 * (channel - 1)
        for step, name, severity in (
            (0, "Communication error", "low"),
            (1, "Communication OK", "info"),
            (2, "Replace battery", "medium"),
            (3, "Fraud attempt", "high"),
            (4, "Clock adjusted", "info"),
            (5, "New device discovered", "info"),
            (6, "Permanent error from the device", "medium"),
        ):
            add("mbus", base + step, f"{name}, M-Bus channel {channel}", severity)
    add("power_failure", 1, "Long power failure", "medium")
    add("communication", 230, "PLC link to the concentrator lost", "low")
    add("communication", 231, "PLC link to the concentrator restored", "info")
    for bit, name, severity in (
        (0, "Clock invalid", "medium"),
        (1, "Replace battery", "medium"),
        (2, "Power up", "medium"),
        (8, "Program memory error", "medium"),
        (9, "RAM error", "medium"),
        (10, "NV memory error", "medium"),
        (11, "Measurement system error", "high"),
        (12, "Watchdog error", "medium"),
        (13, "Fraud attempt", "high"),
    ):
        add("alarm", bit, f"Alarm: {name}", severity)
    for channel in range(1, 5):
        add("alarm", 15 + channel, f"Alarm: M-Bus communication error, channel {channel}", "medium")
        add("alarm", 27 + channel, f"Alarm: M-Bus battery low, channel {channel}", "medium")
    return table


EVENTS: Final[Mapping[tuple[str, int], EventInfo]] = _entries()
"""The catalogue: ``(log, code) → EventInfo``."""


def event_info(log: str, code: int) -> EventInfo:
    """What ``code`` of ``log`` means; a code the catalogue does not know gets ``"Unknown event of the … log"`` (or
    ``"Manufacturer-specific event N"`` from 230 up) and the log's default severity."""
    known = EVENTS.get((log, code))
    if known is not None:
        return known
    if code >= 230:
        name = f"Manufacturer-specific event {code}"
    elif code == 255:
        name = "Event log cleared"
    else:
        name = f"Unknown event of the {log.replace('_', ' ')} log"
    return EventInfo(code, log, name, LOG_SEVERITY.get(log, "info"))


def log_title(log: str) -> str:
    """A stored log name as listings show it: ``power_quality`` → ``Power quality``, ``mbus`` → ``M-Bus``
    (an unknown name as it is)."""
    text = LOGS.get(log)
    if text is None:
        return log
    return text.split(" (")[0].removesuffix(" log").removesuffix(" event")


def event_label(log: str, code: int) -> str:
    """``name (code)`` of an event, e.g. ``Voltage sag L3 (78)``."""
    return event_info(log, code).label


__all__ = ["EVENTS", "LOGS", "LOG_SEVERITY", "SEVERITIES", "EventInfo", "event_info", "event_label", "log_title"]
