"""Fault scenarios with ground truth: a JSON file of faults (communication loss, missing intervals, spikes,
negative jumps, stuck registers, clock shifts), each on a selection of meters and a window, parsed by
:class:`FaultScenario` with errors that name the JSON path; the scenario turns the true registers and intervals
into what the meters report, and lists what each fault did (:class:`GroundTruthRecord`, CSV) against a
:data:`TruthSource` such as the simulator's own models (:func:`model_truth`).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from meterhub.sim.consumption.base import HOUR, I64, ORIGIN, QUARTER, UTC
from meterhub.sim.consumption.electricity import ElectricityModel
from meterhub.sim.consumption.rng import stable_key
from meterhub.sim.consumption.submeters import HourlyModel, sub_meter_models
from meterhub.sim.consumption.traits import HouseholdTraits

__all__ = [
    "FAULT_TYPES",
    "MISSING",
    "Fault",
    "FaultScenario",
    "GroundTruthRecord",
    "ScenarioError",
    "TruthSource",
    "model_truth",
]


class ScenarioError(ValueError):
    """A malformed fault scenario; the message starts with the JSON path of the bad field."""


FAULT_TYPES: Final = ("communication_loss", "missing_intervals", "spike", "negative", "stuck_register", "clock_shift")
#: Channels of fault scenarios: 1–4 = electricity A+, A−, R+, R− (the OBIS C field, 1/4 h);
#: 101–104 = M-Bus channel 1–4 (hourly).
_ELECTRICITY_CHANNELS: Final = (1, 2, 3, 4)
#: Reported value of an interval that a fault scenario removed (int64 arrays cannot hold None).
MISSING: Final = int(np.iinfo(np.int64).min)


def _step_of(channel: int) -> dt.timedelta:
    return QUARTER if channel in _ELECTRICITY_CHANNELS else HOUR


@dataclass(frozen=True)
class Fault:
    """One fault: a type, a meter selection, a half-open window [start, end) and type-specific parameters."""

    type: str
    serials: frozenset[str] | None  # explicit selection, or None with fraction/seed
    fraction: float
    seed: int
    start: dt.datetime
    end: dt.datetime
    channels: tuple[int, ...]
    value: int  # spike/negative magnitude (Wh, varh, l)
    offset_s: float  # clock_shift
    persistent: bool  # spike/negative: the register keeps the offset after the window

    def applies(self, serial: str) -> bool:
        if self.serials is not None:
            return serial in self.serials
        return stable_key("fault", self.seed, serial) / 2**64 < self.fraction

    def offset(self, channel: int, t: dt.datetime) -> int:
        """Model-free offset this fault adds to the register reading of ``channel`` at capture instant t."""
        if self.type not in ("spike", "negative") or channel not in self.channels or t <= self.start:
            return 0
        if t > self.end and not self.persistent:
            return 0
        return self.value if self.type == "spike" else -self.value


@dataclass(frozen=True)
class GroundTruthRecord:
    """What a fault did to one interval (or, for window-level faults, to a whole window with channel None)."""

    serial: str
    channel: int | None
    interval_start: dt.datetime
    interval_end: dt.datetime
    fault: str
    true_value: int | None
    reported_value: int | None


#: The truth a scenario compares against: (serial, channel, start, n) → true interval values.
TruthSource = Callable[[str, int, dt.datetime, int], I64]


def _parse_time(value: object, path: str) -> dt.datetime:
    if not isinstance(value, str):
        raise ScenarioError(f"{path}: expected an ISO 8601 string with a UTC offset, got {value!r}")
    try:
        t = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ScenarioError(f"{path}: not an ISO 8601 date-time: {value!r}") from None
    if t.tzinfo is None:
        raise ScenarioError(f"{path}: {value!r} has no UTC offset (write e.g. 2026-01-05T00:00:00+01:00)")
    return t.astimezone(UTC)


#: The largest spike/negative magnitude a scenario may ask for: every integer up to it is exact in a float.
_MAX_VALUE: Final = 2**53 - 1


def _number(params: Mapping[str, Any], name: str, default: float, path: str) -> float:
    v = params.get(name, default)
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ScenarioError(f"{path}.{name}: expected a number, got {v!r}")
    try:
        number = float(v)
    except OverflowError:  # an integer beyond any float (JSON integers have no size limit)
        number = math.inf
    if not math.isfinite(number):  # json.loads reads NaN, Infinity and -Infinity
        raise ScenarioError(f"{path}.{name}: expected a finite number, got {v!r}")
    return number


def _parse_meters(value: object, path: str) -> tuple[frozenset[str] | None, float, int]:
    if isinstance(value, list):
        if not all(isinstance(s, str) and s for s in value):
            raise ScenarioError(f"{path}: expected a list of meter serials (strings)")
        return frozenset(value), 0.0, 0
    if isinstance(value, dict):
        unknown = set(value) - {"fraction", "seed"}
        if unknown:
            raise ScenarioError(f"{path}: unknown keys {sorted(unknown)} (expected fraction, seed)")
        fraction = _number(value, "fraction", -1.0, path)
        if not 0.0 <= fraction <= 1.0:
            raise ScenarioError(f"{path}.fraction: expected a number in [0, 1], got {value.get('fraction')!r}")
        seed = value.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ScenarioError(f"{path}.seed: expected an integer, got {seed!r}")
        return None, fraction, seed
    if value == "all":
        return None, 1.0, 0
    raise ScenarioError(f"{path}: expected a list of serials, {{'fraction': f, 'seed': n}} or 'all', got {value!r}")


def _parse_fault(raw: object, path: str) -> Fault:
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path}: expected an object")
    unknown = set(raw) - {"type", "meters", "start", "end", "params"}
    if unknown:
        raise ScenarioError(f"{path}: unknown keys {sorted(unknown)}")
    kind = raw.get("type")
    if kind not in FAULT_TYPES:
        raise ScenarioError(f"{path}.type: expected one of {', '.join(FAULT_TYPES)}, got {kind!r}")
    if "meters" not in raw:
        raise ScenarioError(f"{path}.meters: missing")
    serials, fraction, seed = _parse_meters(raw["meters"], f"{path}.meters")
    start = _parse_time(raw.get("start"), f"{path}.start")
    end = _parse_time(raw.get("end"), f"{path}.end")
    if end <= start:
        raise ScenarioError(f"{path}.end: must be after start ({start.isoformat()})")
    params = raw.get("params", {})
    if not isinstance(params, dict):
        raise ScenarioError(f"{path}.params: expected an object")
    ppath = f"{path}.params"
    channels = params.get("channels", [1] if kind in ("spike", "negative", "stuck_register") else [1, 2, 3, 4])
    valid = set(_ELECTRICITY_CHANNELS) | {101, 102, 103, 104}
    if not isinstance(channels, list) or not channels or not all(type(c) is int and c in valid for c in channels):
        raise ScenarioError(f"{ppath}.channels: expected a non-empty list of 1–4 (electricity) or 101–104 (M-Bus)")
    value = _number(params, "value", 100_000, ppath)
    if value <= 0 or value != int(value) or value > _MAX_VALUE:
        raise ScenarioError(f"{ppath}.value: expected a positive integer up to 2**53 − 1, got {params.get('value')!r}")
    persistent = params.get("persistent", False)
    if not isinstance(persistent, bool):
        raise ScenarioError(f"{ppath}.persistent: expected true or false, got {persistent!r}")
    offset_s = _number(params, "offset_s", 0.0, ppath)
    if kind == "clock_shift" and offset_s == 0:
        raise ScenarioError(f"{ppath}.offset_s: a clock_shift needs a non-zero offset in seconds")
    return Fault(kind, serials, fraction, seed, start, end, tuple(channels), int(value), offset_s, persistent)


@dataclass(frozen=True)
class FaultScenario:
    """A set of injected faults with ground truth (what each meter really measured vs what it reports).

    Register readings are what a profile holds, so faults are defined on them (model-free where possible) for the
    intervals inside [start, end), i.e. the readings captured at start < t ≤ end: spike/negative add ±value (the
    first interval of the window jumps and the one after it falls back, unless persistent); stuck_register
    freezes them at the reading at start (the catch-up lands in the first interval after the window);
    missing_intervals drops those profile entries; communication_loss makes the meter unreachable and
    clock_shift offsets its clock during [start, end).
    """

    faults: tuple[Fault, ...]
    name: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: object) -> FaultScenario:
        """Parse a scenario; :class:`ScenarioError` names the JSON path of the first bad field."""
        if not isinstance(data, dict):
            raise ScenarioError("$: expected an object with a 'faults' list")
        faults = data.get("faults")
        if not isinstance(faults, list):
            raise ScenarioError("$.faults: expected a list")
        name = data.get("name", "")
        if not isinstance(name, str):
            raise ScenarioError("$.name: expected a string")
        parsed = tuple(_parse_fault(raw, f"$.faults[{i}]") for i, raw in enumerate(faults))
        return cls(parsed, name, {k: v for k, v in data.items() if k not in ("faults", "name")})

    @classmethod
    def from_file(cls, path: str | Path) -> FaultScenario:
        """Load a scenario JSON file."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ScenarioError(f"$: {path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
        except ValueError as exc:  # valid JSON that Python refuses, e.g. an integer of more than 4 300 digits
            raise ScenarioError(f"$: {path}: {exc}") from None
        return cls.from_dict(data)

    def _active(self, serial: str, kinds: Iterable[str]) -> list[Fault]:
        wanted = set(kinds)
        return [f for f in self.faults if f.type in wanted and f.applies(serial)]

    def is_unreachable(self, serial: str, t: dt.datetime) -> bool:
        """True while a communication_loss fault silences the meter."""
        return any(f.start <= t < f.end for f in self._active(serial, ["communication_loss"]))

    def clock_offset_s(self, serial: str, t: dt.datetime) -> float:
        """Seconds the meter's clock is ahead (positive) of true time at t."""
        return sum(f.offset_s for f in self._active(serial, ["clock_shift"]) if f.start <= t < f.end)

    def reported_registers(
        self,
        serial: str,
        channel: int,
        times: Sequence[dt.datetime],
        true: I64,
        register_at: Callable[[dt.datetime], int] | None = None,
    ) -> I64:
        """Readings a meter reports for ``channel`` at capture instants ``times`` given the true readings."""
        out = np.array(true, dtype=np.int64, copy=True)
        for f in self._active(serial, ["spike", "negative", "stuck_register"]):
            if channel not in f.channels:
                continue
            if f.type == "stuck_register":
                frozen: int | None = None
                for k, t in enumerate(times):
                    if f.start < t <= f.end:
                        if frozen is None:
                            frozen = self._stuck_value(f, times, true, register_at)
                        out[k] = frozen
                continue
            out += np.array([f.offset(channel, t) for t in times], dtype=np.int64)
        return out

    @staticmethod
    def _stuck_value(
        f: Fault, times: Sequence[dt.datetime], true: I64, register_at: Callable[[dt.datetime], int] | None
    ) -> int:
        for k, t in enumerate(times):
            if t == f.start:
                return int(true[k])
        if register_at is None:
            raise ValueError("a stuck_register fault that starts before the window needs register_at")
        return int(register_at(f.start))

    def missing(self, serial: str, channel: int, times: Sequence[dt.datetime]) -> set[int]:
        """Indices of capture instants whose entries a missing_intervals fault removed."""
        faults = [f for f in self._active(serial, ["missing_intervals"]) if channel in f.channels]
        return {k for k, t in enumerate(times) if any(f.start < t <= f.end for f in faults)}

    def apply_to_profile(
        self,
        serial: str,
        first: dt.datetime,
        cum: I64,
        register_at: Callable[[dt.datetime], I64] | None = None,
    ) -> tuple[I64, set[int]]:
        """The 1/4 h profile (captures first + k·15 min, columns A+, A−, R+, R−) as reported: (values, missing rows)."""
        times = [first + QUARTER * k for k in range(len(cum))]
        out = np.array(cum, dtype=np.int64, copy=True)
        for c in range(out.shape[1]):
            at = None if register_at is None else (lambda t, i=c: int(register_at(t)[i]))
            out[:, c] = self.reported_registers(serial, c + 1, times, out[:, c], at)
        return out, self.missing(serial, 1, times)

    def apply_to_intervals(
        self,
        serial: str,
        channel: int,
        start: dt.datetime,
        values: npt.ArrayLike,
        register_at: Callable[[dt.datetime], int] | None = None,
    ) -> I64:
        """Interval values (energy per interval of ``channel`` from ``start``) as the meter reports them.

        Derived from the reported readings at both ends of each interval; removed intervals are :data:`MISSING`.
        ``register_at`` (true cumulative reading of the channel) is only needed for a stuck register that began
        before ``start``.
        """
        true = np.asarray(values, dtype=np.int64)
        step = _step_of(channel)
        times = [start + step * k for k in range(len(true) + 1)]
        cum = np.concatenate([[0], np.cumsum(true)])
        if register_at is not None:
            cum = cum + register_at(start)
        reported = np.diff(self.reported_registers(serial, channel, times, cum, register_at))
        gone = self.missing(serial, channel, times[1:])
        if gone:
            reported[sorted(gone)] = MISSING
        return reported

    def selected(self, serials: Iterable[str]) -> Iterator[tuple[Fault, str]]:
        """(fault, serial) for every meter of ``serials`` a fault applies to (and its explicit serials)."""
        pool = list(serials)
        for f in self.faults:
            names = sorted(f.serials) if f.serials is not None else [s for s in pool if f.applies(s)]
            for s in names:
                yield f, s

    def ground_truth(
        self, serials: Iterable[str] = (), truth: TruthSource | None = None
    ) -> Iterator[GroundTruthRecord]:
        """Records of every fault effect: one per affected interval (needs ``truth``), or per window.

        ``serials`` is the fleet (needed for fraction selections); without ``truth`` the value faults give one
        window record each, with true/reported values None.
        """
        for f, serial in self.selected(serials):
            if f.type in ("communication_loss", "clock_shift") or truth is None:
                yield GroundTruthRecord(serial, None, f.start, f.end, f.type, None, None)
                continue
            for channel in f.channels:
                yield from self._interval_truth(f, serial, channel, truth)

    def _interval_truth(self, f: Fault, serial: str, channel: int, truth: TruthSource) -> Iterator[GroundTruthRecord]:
        step = _step_of(channel)
        first = _floor(f.start, step)
        n = int(-(-(_floor(f.end, step) + step - first) // step)) + 1  # the window plus the interval after it
        true = truth(serial, channel, first, n)

        def register_at(t: dt.datetime) -> int:
            k = int((t - first) // step)
            return int(true[:k].sum())

        reported = self.apply_to_intervals(serial, channel, first, true, register_at)
        for k in range(n):
            if int(reported[k]) != int(true[k]):
                rep = None if int(reported[k]) == MISSING else int(reported[k])
                t = first + step * k
                yield GroundTruthRecord(serial, channel, t, t + step, f.type, int(true[k]), rep)

    def write_ground_truth(
        self, path: str | Path, serials: Iterable[str] = (), truth: TruthSource | None = None
    ) -> int:
        """Write :meth:`ground_truth` as CSV; returns the number of records."""
        count = 0
        with Path(path).open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["serial", "channel", "interval_start", "interval_end", "fault", "true_value", "reported_value"])
            for r in self.ground_truth(serials, truth):
                w.writerow(
                    [
                        r.serial,
                        "" if r.channel is None else r.channel,
                        r.interval_start.isoformat(),
                        r.interval_end.isoformat(),
                        r.fault,
                        "" if r.true_value is None else r.true_value,
                        "" if r.reported_value is None else r.reported_value,
                    ]
                )
                count += 1
        return count


def _floor(t: dt.datetime, step: dt.timedelta) -> dt.datetime:
    return t - (t - ORIGIN) % step


def model_truth(seed: int | Mapping[str, int]) -> TruthSource:
    """A :data:`TruthSource` from the simulator's own models (channels 1–4 and 101–104).

    ``seed`` is each meter's household seed: one for every serial, or a serial → seed mapping (a fleet plan
    gives every meter its own seed, see :func:`meterhub.sim.fleet.plan_fleet`).
    """

    @functools.lru_cache(maxsize=64)
    def models(serial: str) -> tuple[ElectricityModel, list[tuple[str, HourlyModel]]]:
        traits = HouseholdTraits.draw(seed if isinstance(seed, int) else seed[serial], serial)
        return ElectricityModel(traits), sub_meter_models(traits)

    def truth(serial: str, channel: int, start: dt.datetime, n: int) -> I64:
        elec, subs = models(serial)
        if channel in _ELECTRICITY_CHANNELS:
            return elec.intervals(start, n)[:, channel - 1]
        index = channel - 101
        if not 0 <= index < len(subs):
            return np.zeros(n, dtype=np.int64)
        return subs[index][1].intervals(start, n)

    return truth
