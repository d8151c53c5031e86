"""The meter's events: IDIS/DSMR event codes per log (standard, fraud, disconnector, M-Bus, communication, power
quality, power failure), the alarm register bits they raise, and :class:`EventModel`, which draws what happens to
a meter on a UTC day (power failures, sags and swells, tamper, clock adjustments, PLC link losses, manual
disconnections, M-Bus faults, DST switches) from one counter-based hash per kind, whatever the window asked.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

from meterhub.sim.consumption.base import LUX, MODEL_EPOCH
from meterhub.sim.consumption.rng import hash_lanes_scalar, stable_key
from meterhub.sim.consumption.submeters import sub_meter_models
from meterhub.sim.consumption.traits import HouseholdTraits

__all__ = ["ALARM_BITS", "EVENT_CODES", "EventLog", "EventModel", "SimEvent", "alarm_register_bits"]

EventLog = Literal["standard", "fraud", "disconnector", "mbus", "communication", "power_quality", "power_failure"]

#: Event codes (IDIS P2 / DSMR 4–5 event tables; codes ≥ 230 are the manufacturer-specific range).
#: Logs: standard 0.0.99.98.0, fraud 0.0.99.98.1, disconnector 0.0.99.98.2, M-Bus 0.0.99.98.3,
#: communication 0.0.99.98.4, power quality 0.0.99.98.5, power failure 0.0.99.97.0.
EVENT_CODES: Final[Mapping[int, str]] = {
    1: "power down",
    2: "power up",
    3: "daylight saving time enabled or disabled",
    4: "clock adjusted (old date/time)",
    5: "clock adjusted (new date/time)",
    40: "terminal cover removed",
    41: "terminal cover closed",
    44: "meter cover removed",
    45: "meter cover closed",
    59: "manual disconnection",
    60: "manual connection",
    76: "voltage sag L1",
    77: "voltage sag L2",
    78: "voltage sag L3",
    79: "voltage swell L1",
    80: "voltage swell L2",
    81: "voltage swell L3",
    100: "communication error M-Bus channel 1 (+10 per channel)",
    101: "communication OK M-Bus channel 1 (+10 per channel)",
    102: "replace battery M-Bus channel 1 (+10 per channel)",
    230: "PLC link to the concentrator lost (manufacturer-specific)",
    231: "PLC link to the concentrator restored (manufacturer-specific)",
}

#: Alarm register 0.0.97.98.0 bits raised by event codes (IDIS/DSMR alarm register 1 layout): 1 replace battery…,
#: 2 power up, 13 fraud attempt, 16–19 M-Bus communication error ch 1–4, 28–31 M-Bus battery low ch 1–4.
ALARM_BITS: Final[Mapping[int, int]] = {
    2: 2,
    40: 13,
    44: 13,
    **{100 + 10 * (ch - 1): 15 + ch for ch in range(1, 5)},
    **{102 + 10 * (ch - 1): 27 + ch for ch in range(1, 5)},
}


@dataclass(frozen=True, order=True)
class SimEvent:
    """One meter event: when, which log, IDIS/DSMR code, M-Bus channel (or None), duration for power failures."""

    time_utc: dt.datetime
    log: EventLog
    code: int
    channel: int | None = None
    duration_s: int = 0


def alarm_register_bits(events: Iterable[SimEvent]) -> int:
    """The alarm register value (0.0.97.98.0.255) the events would raise (and push), OR of their bits."""
    value = 0
    for e in events:
        bit = ALARM_BITS.get(e.code)
        if bit is not None:
            value |= 1 << bit
    return value


_DAY_S: Final = 86_400
#: (kind, expected occurrences per meter per year); each day draws its events from one hash per kind.
_RATES: Final = {
    "power_failure": 3.0,
    "sag": 18.0,
    "swell": 3.0,
    "tamper": 0.15,
    "clock": 12.0,
    "plc": 6.0,
    "manual_disconnect": 0.05,
    "mbus_comm": 3.0,
    "mbus_battery": 0.3,
}


class EventModel:
    """Deterministic meter events: what happens on a UTC day is a function of (meter key, day), window-independent."""

    def __init__(self, traits: HouseholdTraits) -> None:
        self.traits = traits
        self._channels = len(sub_meter_models(traits))
        self._keys = {kind: stable_key("event", kind, traits.key) for kind in _RATES}

    def events(self, start_utc: dt.datetime, end_utc: dt.datetime) -> list[SimEvent]:
        """All events with start_utc ≤ time < end_utc, sorted by time."""
        if start_utc.tzinfo is None or end_utc.tzinfo is None:
            raise ValueError("aware datetimes are required")
        first = math.floor((start_utc - MODEL_EPOCH).total_seconds() / _DAY_S) - 1  # a day's events end < 1 day later
        last = math.floor((end_utc - MODEL_EPOCH).total_seconds() / _DAY_S)
        out: list[SimEvent] = []
        for day in range(first, last + 1):
            out.extend(e for e in self._day(day) if start_utc <= e.time_utc < end_utc)
        return sorted(out)

    def alarm_register(self, start_utc: dt.datetime, end_utc: dt.datetime) -> int:
        """Alarm register bits raised by the events of a range."""
        return alarm_register_bits(self.events(start_utc, end_utc))

    def _draw(self, kind: str, day: int) -> tuple[bool, tuple[float, float, float, float]]:
        u = hash_lanes_scalar(self._keys[kind], day)
        return u[0] < _RATES[kind] / 365.2425, u

    def _day(self, day: int) -> list[SimEvent]:
        t0 = MODEL_EPOCH + dt.timedelta(days=day)
        out: list[SimEvent] = []

        def at(u: float) -> dt.datetime:
            return t0 + dt.timedelta(seconds=int(u * _DAY_S))

        hit, u = self._draw("power_failure", day)
        if hit:
            short = u[2] < 0.7  # EN 50160: short interruptions ≤ 3 min, long > 3 min
            duration = int(1 + 179 * u[3]) if short else int(181 + 14_000 * u[3] ** 2)
            down = at(u[1])
            up = down + dt.timedelta(seconds=duration)
            out += [SimEvent(down, "standard", 1), SimEvent(up, "standard", 2)]
            out.append(SimEvent(up, "power_failure", 1, None, duration))
        for kind, base_code in (("sag", 76), ("swell", 79)):
            hit, u = self._draw(kind, day)
            if hit:
                out.append(SimEvent(at(u[1]), "power_quality", base_code + int(u[2] * 3)))
        hit, u = self._draw("tamper", day)
        if hit:
            opened = at(u[1])
            out += [SimEvent(opened, "fraud", 40), SimEvent(opened + dt.timedelta(minutes=5 + 60 * u[2]), "fraud", 41)]
        hit, u = self._draw("clock", day)
        if hit:
            out += [SimEvent(at(u[1]), "standard", 4), SimEvent(at(u[1]), "standard", 5)]
        hit, u = self._draw("plc", day)
        if hit:
            lost = at(u[1])
            out += [
                SimEvent(lost, "communication", 230),
                SimEvent(lost + dt.timedelta(minutes=10 + 600 * u[2]), "communication", 231),
            ]
        hit, u = self._draw("manual_disconnect", day)
        if hit:
            off = at(u[1])
            out += [
                SimEvent(off, "disconnector", 59),
                SimEvent(off + dt.timedelta(hours=1 + 5 * u[2]), "disconnector", 60),
            ]
        out += self._mbus_events(day, at)
        out += self._dst_events(t0)
        return out

    def _mbus_events(self, day: int, at: Callable[[float], dt.datetime]) -> list[SimEvent]:
        out: list[SimEvent] = []
        for ch in range(1, self._channels + 1):
            for kind, code in (("mbus_comm", 100), ("mbus_battery", 102)):
                u = hash_lanes_scalar(self._keys[kind] ^ ch, day)
                if u[0] < _RATES[kind] / 365.2425:
                    when = at(u[1])
                    out.append(SimEvent(when, "mbus", code + 10 * (ch - 1), ch))
                    if kind == "mbus_comm":
                        back = when + dt.timedelta(hours=1 + 12 * u[2])
                        out.append(SimEvent(back, "mbus", code + 1 + 10 * (ch - 1), ch))
        return out

    @staticmethod
    def _dst_events(t0: dt.datetime) -> list[SimEvent]:
        t1 = t0 + dt.timedelta(days=1)
        if t0.astimezone(LUX).utcoffset() == t1.astimezone(LUX).utcoffset():
            return []
        switch = t0.replace(hour=1)  # EU rule: 01:00 UTC on the last Sundays of March and October
        return [SimEvent(switch, "standard", 3)] if t0 <= switch < t1 else []
