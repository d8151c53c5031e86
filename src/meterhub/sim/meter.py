"""A simulated meter of the national profile (DESIGN §4): the COSEM objects behind a DLMS server.

:class:`SimulatedMeter` answers get/set/action for the objects of :data:`meterhub.cosem.NATIONAL_PROFILE` from
the deterministic models of :mod:`meterhub.sim.consumption`: clock with DST, the four cumulative energy
registers and TOU sub-registers, the 1/4 h load profile with selective access by range or entry, M-Bus
channels 1–4 with hourly profiles, event logs, voltages/currents, alarm register, disconnect control, relays.
History is computed on demand, so a meter costs a few hundred bytes however long it has been running.
It knows nothing of sockets: :mod:`meterhub.sim.server` drives it over TCP, one
:class:`~meterhub.dlms.association.ServerAssociation` per client association.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from meterhub.cosem import obis as o
from meterhub.cosem.classes import ControlState
from meterhub.cosem.clock_status import ProfileStatus
from meterhub.country import LOCAL_TZ
from meterhub.dlms import apdu as A
from meterhub.dlms.acse import Conformance, Mechanism
from meterhub.dlms.association import ServerPolicy
from meterhub.dlms.axdr import (
    DateTime,
    DoubleLongUnsigned,
    Enum,
    Integer,
    Long,
    LongUnsigned,
    Unsigned,
    datetime_from_octets,
)
from meterhub.dlms.errors import DlmsError
from meterhub.dlms.security import CipherKeys, InvocationCounter, InvocationCounterGuard
from meterhub.sim.consumption.base import MODEL_EPOCH
from meterhub.sim.consumption.electricity import ElectricityModel
from meterhub.sim.consumption.events import EventModel
from meterhub.sim.consumption.scenarios import FaultScenario
from meterhub.sim.consumption.submeters import HourlyModel, sub_meter_models
from meterhub.sim.consumption.traits import HouseholdTraits

LUX: Final = LOCAL_TZ
#: Answers one attribute, given the selective access of the request (None for a plain get).
Handler = Callable[[A.AccessSelection | None], Any]
QUARTER: Final = dt.timedelta(minutes=15)
HOUR: Final = dt.timedelta(hours=1)
#: Rows a profile read may return at most (the buffer depth: 10 days of quarter hours, 40 days of hours).
LOAD_PROFILE_DEPTH: Final = 960
MBUS_PROFILE_DEPTH: Final = 960
PUBLIC_SAP: Final = 16
#: What the management association offers: block transfer with get/set, multiple references
#: (get-with-list), get, set, selective access, action.
MANAGEMENT_CONFORMANCE: Final = 0x00101D | Conformance.MULTIPLE_REFERENCES
MANAGEMENT_SAP: Final = 1

#: M-Bus device type (EN 13757-3) per medium.
_MBUS_DEVICE_TYPE: Final = {"gas": 0x03, "heat": 0x04, "water": 0x07}
#: scaler_unit of the M-Bus value: volumes in litres (m³ × 10⁻³, unit 13), heat in Wh (unit 30).
_MBUS_SCALER_UNIT: Final = {
    "gas": (Integer(-3), Enum(13)),
    "water": (Integer(-3), Enum(13)),
    "heat": (Integer(0), Enum(30)),
}
_EVENT_LOGS: Final = {
    o.STANDARD_EVENT_LOG: "standard",
    o.FRAUD_DETECTION_LOG: "fraud",
    o.DISCONNECTOR_EVENT_LOG: "disconnector",
    o.MBUS_EVENT_LOG: "mbus",
    o.COMMUNICATION_EVENT_LOG: "communication",
    o.POWER_QUALITY_EVENT_LOG: "power_quality",
}


def derive_keys(master_secret: bytes, serial: str) -> tuple[bytes, bytes]:
    """Per-meter GUEK and AK derived from a fleet master secret (HMAC-SHA256): the demo's key provisioning.

    Real deployments load keys from the manufacturer's key file into the key store; the simulator and the
    demo derive them so that a fleet of 20 000 meters needs no key file.
    """
    digest = hmac.new(master_secret, b"meterhub-sim-keys:" + serial.encode(), hashlib.sha256).digest()
    return digest[:16], digest[16:]


def system_title_of(serial: str) -> bytes:
    """The meter's system title: manufacturer "LUX" + 5 octets from the serial (Green Book §4.3.4)."""
    digits = "".join(ch for ch in serial if ch.isdigit())[-12:] or "0"
    return b"LUX" + (int(digits) % (1 << 40)).to_bytes(5, "big")


def local_octets(t_utc: dt.datetime) -> bytes:
    """A UTC instant as the meter shows it: local Luxembourg time, deviation and DST status."""
    return DateTime.from_datetime(t_utc.astimezone(LUX)).to_bytes()


_DT_OCTETS: Final = struct.Struct(">HBBBBBBBhB")
# Trusted constructors for values already in range (masked to 32 bits): no range check per row.
_dlu: Final[Callable[[int], DoubleLongUnsigned]] = partial(int.__new__, DoubleLongUnsigned)
_unsigned: Final[Callable[[int], Unsigned]] = partial(int.__new__, Unsigned)


def clock_octets(first_utc: dt.datetime, count: int, step: dt.timedelta) -> tuple[list[bytes], list[bool]]:
    """Local date-time octets (deviation, DST status) of ``count`` capture instants, and their DST flags.

    The hot path of every profile answer: the UTC offset is looked up once per window (per row only on the
    two DST change days), the fields come from ``time.gmtime``.
    """
    start = int(first_utc.timestamp())
    seconds = int(step.total_seconds())
    last = first_utc + step * max(count - 1, 0)
    offsets: list[int] | None = None
    first_offset = first_utc.astimezone(LUX).utcoffset()
    if first_offset != last.astimezone(LUX).utcoffset():
        offsets = [
            int((first_utc + step * k).astimezone(LUX).utcoffset().total_seconds())  # type: ignore[union-attr]
            for k in range(count)
        ]
    constant = int(first_offset.total_seconds()) if first_offset is not None else 0
    pack = _DT_OCTETS.pack
    gmtime = time.gmtime
    octets: list[bytes] = []
    dst: list[bool] = []
    for k in range(count):
        offset = constant if offsets is None else offsets[k]
        tm = gmtime(start + k * seconds + offset)
        summer = offset == 7200
        octets.append(
            pack(tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_wday + 1, tm.tm_hour, tm.tm_min, tm.tm_sec, 0,
                 -offset // 60, 0x80 if summer else 0)
        )  # fmt: skip
        dst.append(summer)
    return octets, dst


def _floor(t: dt.datetime, step: dt.timedelta) -> dt.datetime:
    seconds = int(step.total_seconds())
    ts = int(t.timestamp())
    return dt.datetime.fromtimestamp(ts - ts % seconds, dt.UTC)


def _ceil(t: dt.datetime, step: dt.timedelta) -> dt.datetime:
    f = _floor(t, step)
    return f if f == t else f + step


@dataclass
class SubMeter:
    """An M-Bus sub-meter on channel 1–4 of its electricity meter."""

    channel: int
    medium: str  # gas | water | heat
    serial: str
    model: HourlyModel


@dataclass
class SimulatedMeter:
    """One electricity meter with its M-Bus sub-meters, served over DLMS."""

    serial: str
    seed: int
    keys: CipherKeys
    now: Callable[[], dt.datetime]
    system_title: bytes = b""
    scenario: FaultScenario | None = None
    password: bytes = b""
    traits: HouseholdTraits = field(init=False)
    electricity: ElectricityModel = field(init=False)
    events: EventModel = field(init=False)
    sub_meters: dict[int, SubMeter] = field(init=False)
    guard: InvocationCounterGuard = field(default_factory=InvocationCounterGuard)
    counter: InvocationCounter = field(default_factory=InvocationCounter)  # management key set, shared
    breaker: ControlState = ControlState.CONNECTED
    relays: list[bool] = field(default_factory=lambda: [False, False])
    valves: dict[int, ControlState] = field(default_factory=dict)
    alarm_register: int = 0
    clock_offset: dt.timedelta = dt.timedelta(0)
    push_destination: str = ""  # "host:port" of the head-end's push listener, when pushes are on

    def __post_init__(self) -> None:
        if not self.system_title:
            self.system_title = system_title_of(self.serial)
        self.traits = HouseholdTraits.draw(self.seed, self.serial)
        self.electricity = ElectricityModel(self.traits)
        self.events = EventModel(self.traits)
        self.sub_meters = {}
        for channel, (medium, model) in enumerate(sub_meter_models(self.traits), start=1):
            self.sub_meters[channel] = SubMeter(channel, medium, f"{self.serial}-M{channel}", model)
            if medium == "gas":
                self.valves[channel] = ControlState.CONNECTED
        self._cache: dict[str, tuple[object, Any]] = {}
        self._handlers = self._build_handlers()

    # --------------------------------------------------------------------------------- policies
    def policy(self, client_sap: int) -> ServerPolicy | None:
        """The server policy for a client SAP: public (16) read-only, management (1) HLS-GMAC ciphered."""
        if client_sap == PUBLIC_SAP:
            return ServerPolicy(self.system_title, conformance=0x00101C, read_only=True, max_receive_pdu_size=1024)
        if client_sap == MANAGEMENT_SAP:
            return ServerPolicy(
                self.system_title,
                conformance=MANAGEMENT_CONFORMANCE,
                authentication=Mechanism.HIGH_GMAC,
                keys=self.keys,
                invocation_counter=self.counter,
                guard=self.guard,
                max_receive_pdu_size=1024,
            )
        return None

    def meter_time(self) -> dt.datetime:
        """The meter's own clock (the platform's clock plus any simulated drift or shift)."""
        t = self.now() + self.clock_offset
        if self.scenario is not None:
            t += dt.timedelta(seconds=self.scenario.clock_offset_s(self.serial, self.now()))
        return t

    def unreachable(self) -> bool:
        """True while a communication-loss fault keeps the meter silent."""
        return self.scenario is not None and self.scenario.is_unreachable(self.serial, self.now())

    # --------------------------------------------------------------------------------- services
    def get(self, attribute: A.AttributeRef, access: A.AccessSelection | None, public: bool) -> Any:
        """Answer a get: Data, or a DataAccessResult."""
        key = (attribute.class_id, attribute.instance, attribute.attribute)
        handler = self._handlers.get(key)
        if handler is None:
            known = any(k[:2] == key[:2] for k in self._handlers)
            return A.DataAccessResult.READ_WRITE_DENIED if known else A.DataAccessResult.OBJECT_UNDEFINED
        if public and attribute.instance not in _PUBLIC_OBJECTS:
            return A.DataAccessResult.READ_WRITE_DENIED
        try:
            return handler(access)
        except (DlmsError, ValueError, TypeError):
            return A.DataAccessResult.OTHER_REASON

    def set(self, attribute: A.AttributeRef, value: Any) -> A.DataAccessResult:
        """Answer a set (management client only: the association refuses it for the public client)."""
        if (attribute.class_id, attribute.instance, attribute.attribute) == (8, o.CLOCK.to_bytes(), 2):
            if not isinstance(value, bytes):
                return A.DataAccessResult.TYPE_UNMATCHED
            try:
                wanted = datetime_from_octets(value)
            except DlmsError:
                return A.DataAccessResult.TYPE_UNMATCHED
            self.clock_offset += wanted - self.meter_time()
            return A.DataAccessResult.SUCCESS
        if (attribute.class_id, attribute.instance, attribute.attribute) == (1, o.ALARM_REGISTER.to_bytes(), 2):
            self.alarm_register = 0  # writing the alarm register clears it
            return A.DataAccessResult.SUCCESS
        return A.DataAccessResult.READ_WRITE_DENIED

    def action(self, method: A.MethodRef, parameters: Any) -> tuple[A.ActionResult, Any]:
        """Answer an action: breaker, relays, valves (class 70 methods 1/2)."""
        if method.class_id == 70 and method.method in (1, 2):
            connect = method.method == 2
            state = ControlState.CONNECTED if connect else ControlState.DISCONNECTED
            if method.instance == o.DISCONNECT_CONTROL.to_bytes():
                self.breaker = state
            elif method.instance in (o.RELAY_1.to_bytes(), o.RELAY_2.to_bytes()):
                self.relays[method.instance[4] - 1] = connect
            else:
                channel = method.instance[1]
                if channel not in self.valves or method.instance != o.mbus_valve(channel).to_bytes():
                    return A.ActionResult.OBJECT_UNDEFINED, A.NO_DATA
                self.valves[channel] = state
            return A.ActionResult.SUCCESS, A.NO_DATA
        return A.ActionResult.OBJECT_UNDEFINED, A.NO_DATA

    # --------------------------------------------------------------------------------- objects
    def _build_handlers(self) -> dict[tuple[int, bytes, int], Handler]:
        h: dict[tuple[int, bytes, int], Handler] = {}

        def add(class_id: int, obis: o.Obis, attribute: int, fn: Handler) -> None:
            h[(class_id, obis.to_bytes(), attribute)] = fn
            h.setdefault((class_id, obis.to_bytes(), 1), partial(_constant, obis.to_bytes()))

        def const(value: Any) -> Handler:
            return partial(_constant, value)

        add(8, o.CLOCK, 2, lambda _a: local_octets(self.meter_time()))
        add(8, o.CLOCK, 3, const(Long(-60)))
        add(8, o.CLOCK, 4, self._clock_status)
        add(8, o.CLOCK, 8, const(True))
        add(1, o.LOGICAL_DEVICE_NAME, 2, const(("LUX" + self.serial).encode()[:16]))
        add(1, o.METER_SERIAL, 2, const(self.serial.encode()))
        add(1, o.INVOCATION_COUNTER, 2, self._invocation_counter)
        energy = (o.ACTIVE_ENERGY_IMPORT, o.ACTIVE_ENERGY_EXPORT, o.REACTIVE_ENERGY_IMPORT, o.REACTIVE_ENERGY_EXPORT)
        for index, ln in enumerate(energy):
            add(3, ln, 2, partial(self._register, index))
            add(3, ln, 3, const((Integer(0), Enum(30 if index < 2 else 32))))  # Wh / varh
        tou = (
            o.ACTIVE_ENERGY_IMPORT_T1,
            o.ACTIVE_ENERGY_IMPORT_T2,
            o.ACTIVE_ENERGY_EXPORT_T1,
            o.ACTIVE_ENERGY_EXPORT_T2,
        )
        for index, ln in enumerate(tou):
            add(3, ln, 2, partial(self._tou_register, index))
            add(3, ln, 3, const((Integer(0), Enum(30))))
        phases = ((o.VOLTAGE_L1, o.CURRENT_L1), (o.VOLTAGE_L2, o.CURRENT_L2), (o.VOLTAGE_L3, o.CURRENT_L3))
        for phase, (v_ln, i_ln) in enumerate(phases):
            add(3, v_ln, 2, partial(self._voltage, phase))
            add(3, v_ln, 3, const((Integer(-1), Enum(35))))  # 0.1 V
            add(3, i_ln, 2, partial(self._current, phase))
            add(3, i_ln, 3, const((Integer(-2), Enum(33))))  # 0.01 A
        add(1, o.ALARM_REGISTER, 2, lambda _a: DoubleLongUnsigned(self.alarm_register))
        add(70, o.DISCONNECT_CONTROL, 2, lambda _a: self.breaker == ControlState.CONNECTED)
        add(70, o.DISCONNECT_CONTROL, 3, lambda _a: Enum(self.breaker))
        add(70, o.DISCONNECT_CONTROL, 4, const(Enum(1)))
        for r, ln in enumerate((o.RELAY_1, o.RELAY_2)):
            add(70, ln, 2, partial(self._relay_output, r))
            add(70, ln, 3, partial(self._relay_state, r))
        # 1/4 h load profile 1.0.99.1.0.255
        lp = o.LOAD_PROFILE_15MIN
        add(7, lp, 2, self._load_profile)
        columns = [_capture(8, o.CLOCK, 2), _capture(1, o.PROFILE_STATUS, 2)] + [_capture(3, ln, 2) for ln in energy]
        add(7, lp, 3, const(columns))
        add(7, lp, 4, const(DoubleLongUnsigned(900)))
        add(7, lp, 7, const(DoubleLongUnsigned(LOAD_PROFILE_DEPTH)))
        add(7, lp, 8, const(DoubleLongUnsigned(LOAD_PROFILE_DEPTH)))
        # M-Bus channels 0.b.24.x
        for channel, sub in self.sub_meters.items():
            add(72, o.mbus_client(channel), 6, const(DoubleLongUnsigned(_mbus_id(sub.serial))))
            add(72, o.mbus_client(channel), 9, const(Unsigned(_MBUS_DEVICE_TYPE[sub.medium])))
            add(4, o.mbus_value(channel), 2, partial(self._mbus_value, sub))
            add(4, o.mbus_value(channel), 3, const(_MBUS_SCALER_UNIT[sub.medium]))
            add(4, o.mbus_value(channel), 5, lambda _a: local_octets(self._last_hour()))
            add(7, o.mbus_profile(channel), 2, partial(self._mbus_profile, sub))
            add(7, o.mbus_profile(channel), 4, const(DoubleLongUnsigned(3600)))
            if channel in self.valves:
                add(70, o.mbus_valve(channel), 2, partial(self._valve_output, channel))
                add(70, o.mbus_valve(channel), 3, partial(self._valve_state, channel))
        # TOU activity calendar 0.0.13.0.0.255 (active = passive: T1 22–06 h and weekends, T2 otherwise)
        calendar = o.ACTIVITY_CALENDAR
        for active, passive, value in (
            (2, 6, b"LU-TOU-1"),
            (3, 7, _SEASONS),
            (4, 8, _WEEKS),
            (5, 9, _DAYS),
        ):
            add(20, calendar, active, const(value))
            add(20, calendar, passive, const(value))
        add(20, calendar, 10, const(DateTime().to_bytes()))  # no passive calendar activation pending
        # push setup 0.0.25.9.0.255: what an alarm push carries and where it goes
        add(
            40,
            o.PUSH_SETUP,
            2,
            const([_capture(1, o.LOGICAL_DEVICE_NAME, 2), _capture(1, o.ALARM_REGISTER, 2)]),
        )
        add(40, o.PUSH_SETUP, 3, lambda _a: (Enum(0), self.push_destination.encode(), Enum(0)))  # TCP, A-XDR
        add(40, o.PUSH_SETUP, 4, const([]))  # communication window: always
        add(40, o.PUSH_SETUP, 5, const(LongUnsigned(0)))
        add(40, o.PUSH_SETUP, 6, const(Unsigned(3)))
        add(40, o.PUSH_SETUP, 7, const(LongUnsigned(60)))
        # voltage sag / swell counters 1.0.x2.32.0 / 1.0.x2.36.0 (class 1), from the power quality log
        for phase, (sag, swell) in enumerate(
            (
                (o.VOLTAGE_SAG_COUNT_L1, o.VOLTAGE_SWELL_COUNT_L1),
                (o.VOLTAGE_SAG_COUNT_L2, o.VOLTAGE_SWELL_COUNT_L2),
                (o.VOLTAGE_SAG_COUNT_L3, o.VOLTAGE_SWELL_COUNT_L3),
            )
        ):
            add(1, sag, 2, partial(self._quality_count, 76 + phase))
            add(1, swell, 2, partial(self._quality_count, 79 + phase))
        # event logs 0.0.99.98.x and the power failure log 0.0.99.97.0
        for ln, log in _EVENT_LOGS.items():
            add(7, ln, 2, partial(self._event_log, log))
        add(7, o.POWER_FAILURE_LOG, 2, partial(self._event_log, "power_failure"))
        return h

    def _clock_status(self, _access: A.AccessSelection | None) -> Any:
        return Unsigned(0x80 if self.meter_time().astimezone(LUX).dst() else 0)

    def _invocation_counter(self, _access: A.AccessSelection | None) -> Any:
        return DoubleLongUnsigned(max(self.guard.snapshot().values(), default=0))

    def _register(self, index: int, _access: A.AccessSelection | None) -> Any:
        return DoubleLongUnsigned(int(self._registers_now()[index]) % (1 << 32))

    def _tou_register(self, index: int, _access: A.AccessSelection | None) -> Any:
        return DoubleLongUnsigned(int(self._tou_now()[index]) % (1 << 32))

    def _voltage(self, phase: int, _access: A.AccessSelection | None) -> Any:
        return LongUnsigned(round(float(self._instant()[0][phase]) * 10))

    def _current(self, phase: int, _access: A.AccessSelection | None) -> Any:
        return LongUnsigned(round(float(self._instant()[1][phase]) * 100))

    def _relay_output(self, relay: int, _access: A.AccessSelection | None) -> Any:
        return self.relays[relay]

    def _relay_state(self, relay: int, _access: A.AccessSelection | None) -> Any:
        return Enum(1 if self.relays[relay] else 0)

    def _valve_output(self, channel: int, _access: A.AccessSelection | None) -> Any:
        return self.valves[channel] == ControlState.CONNECTED

    def _valve_state(self, channel: int, _access: A.AccessSelection | None) -> Any:
        return Enum(self.valves[channel])

    def _quality_count(self, code: int, _access: A.AccessSelection | None) -> Any:
        """Sags (76–78) or swells (79–81) of one phase over the power quality log's 90 days."""
        now = self.meter_time()
        frm = now - dt.timedelta(days=90)
        events = self._memo("quality-90d", (frm.date(), now.date()), lambda: self.events.events(frm, now))
        return LongUnsigned(sum(1 for e in events if e.log == "power_quality" and e.code == code))

    def _mbus_value(self, sub: SubMeter, _access: A.AccessSelection | None) -> Any:
        return DoubleLongUnsigned(int(sub.model.register(self._last_hour())) % (1 << 32))

    def _last_quarter(self) -> dt.datetime:
        return _floor(self.meter_time(), QUARTER)

    def _last_hour(self) -> dt.datetime:
        return _floor(self.meter_time(), HOUR)

    def _memo(self, name: str, key: object, compute: Callable[[], Any]) -> Any:
        """One cached value per name: a get-with-list of 8 registers computes the registers once."""
        hit = self._cache.get(name)
        if hit is not None and hit[0] == key:
            return hit[1]
        value = compute()
        self._cache[name] = (key, value)
        return value

    def _registers_now(self) -> npt.NDArray[np.int64]:
        t = self._last_quarter()
        return self._memo("registers", t, lambda: np.asarray(self.electricity.register(t), dtype=np.int64))  # type: ignore[no-any-return]

    def _tou_now(self) -> npt.NDArray[np.int64]:
        t = self._last_quarter()
        return self._memo("tou", t, lambda: np.asarray(self.electricity.tou_registers(t), dtype=np.int64))  # type: ignore[no-any-return]

    def _instant(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        t = self._last_quarter()
        return self.electricity.voltages(t), self.electricity.currents(t)

    def _window(
        self, access: A.AccessSelection | None, step: dt.timedelta, depth: int
    ) -> tuple[dt.datetime, int, tuple[int, int]]:
        """The capture instants a profile read selects: (first instant, count, column slice)."""
        last = _floor(self.meter_time(), step)
        oldest = last - step * (depth - 1)
        columns = (0, 0)
        if access is None:
            first, end = oldest, last
        elif access.selector == 1:
            rng = A.RangeDescriptor.from_access_selection(access)
            frm = datetime_from_octets(rng.from_value) if isinstance(rng.from_value, bytes) else oldest
            to = datetime_from_octets(rng.to_value) if isinstance(rng.to_value, bytes) else last
            first, end = max(_ceil(frm, step), oldest), min(_floor(to, step), last)
            if rng.selected_values:
                columns = (-1, len(rng.selected_values))
        elif access.selector == 2:
            entry = A.EntryDescriptor.from_access_selection(access)
            from_entry = max(entry.from_entry, 1)
            to_entry = depth if entry.to_entry == 0 else min(entry.to_entry, depth)
            first, end = oldest + step * (from_entry - 1), oldest + step * (to_entry - 1)
            columns = (entry.from_selected_value, entry.to_selected_value)
        else:
            raise ValueError(f"access selector {access.selector} not supported")
        epoch = MODEL_EPOCH
        first = max(first, epoch + step)
        count = max(0, int((end - first) / step) + 1)
        return first, count, columns

    def _load_profile(self, access: A.AccessSelection | None) -> Any:
        first, count, columns = self._window(access, QUARTER, LOAD_PROFILE_DEPTH)
        if count == 0:
            return []
        cum = _cumulative_rows(self.electricity.register(first), self.electricity.intervals(first, count - 1))
        missing: set[int] = set()
        if self.scenario is not None:
            cum, missing = self.scenario.apply_to_profile(self.serial, first, cum, self.electricity.register)
        clocks, dst = clock_octets(first, count, QUARTER)
        values = (cum % (1 << 32)).tolist()
        status_dst = _unsigned(int(ProfileStatus.DAYLIGHT_SAVING))
        status_std = _unsigned(0)
        rows = [
            (
                clocks[k],
                status_dst if dst[k] else status_std,
                _dlu(values[k][0]),
                _dlu(values[k][1]),
                _dlu(values[k][2]),
                _dlu(values[k][3]),
            )
            for k in range(count)
            if k not in missing
        ]
        return _select_columns(rows, columns)

    def _mbus_profile(self, sub: SubMeter, access: A.AccessSelection | None) -> Any:
        first, count, columns = self._window(access, HOUR, MBUS_PROFILE_DEPTH)
        if count == 0:
            return []
        cum = _cumulative_rows(np.asarray(sub.model.register(first)), sub.model.intervals(first, count - 1))
        clocks, _ = clock_octets(first, count, HOUR)
        status = _unsigned(0)
        values = (cum % (1 << 32)).tolist()
        rows = [(clocks[k], status, _dlu(values[k]), clocks[k]) for k in range(count)]
        return _select_columns(rows, columns)

    def _event_log(self, log: str, access: A.AccessSelection | None) -> Any:
        now = self.meter_time()
        frm, to = now - dt.timedelta(days=90), now
        if access is not None and access.selector == 1:
            rng = A.RangeDescriptor.from_access_selection(access)
            if isinstance(rng.from_value, bytes):
                frm = max(frm, datetime_from_octets(rng.from_value))
            if isinstance(rng.to_value, bytes):
                to = min(to, datetime_from_octets(rng.to_value))
        if to < frm:
            return []
        events = self._memo("events", (frm, to), lambda: self.events.events(frm, to))
        return [(local_octets(e.time_utc), Unsigned(e.code)) for e in events if e.log == log]


def _cumulative_rows(first: npt.NDArray[np.int64], increments: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Register values at each capture: the first one, then the running sum of the intervals after it.

    Starting from the register at the first capture (not the one before it) spares the model a day of
    quarter hours when a read starts at local midnight, as daily reads do.
    """
    first = np.asarray(first, dtype=np.int64)
    steps = np.cumsum(np.asarray(increments, dtype=np.int64), axis=0)
    return np.concatenate([first[None, ...], first[None, ...] + steps], axis=0)


def _constant(value: Any, _access: A.AccessSelection | None) -> Any:
    return value


def _select_columns(rows: list[tuple[Any, ...]], columns: tuple[int, int]) -> list[tuple[Any, ...]]:
    first, last = columns
    if columns == (0, 0) or first == -1:
        return rows  # all columns (a selected_values list of the range descriptor is answered in full)
    start = max(first, 1) - 1
    stop = None if last == 0 else last
    return [r[start:stop] for r in rows]


def _script(selector: int) -> tuple[Any, ...]:
    return (o.TARIFFICATION_SCRIPT_TABLE.to_bytes(), LongUnsigned(selector))


# Activity calendar contents (Blue Book class 20): one season from 1 January, one week (weekdays day 1,
# weekends day 2); day 1 switches to tariff 2 at 06:00 and back to tariff 1 at 22:00, day 2 stays in tariff 1.
_SEASONS: Final = [(b"ALLYEAR", DateTime(0xFFFF, 1, 1, 0xFF, 0, 0, 0, 0).to_bytes(), b"WEEK")]
_WEEKS: Final = [(b"WEEK", *(Unsigned(1),) * 5, Unsigned(2), Unsigned(2))]
_DAYS: Final = [
    (
        Unsigned(1),
        [
            (bytes((0, 0, 0, 0)), *_script(1)),
            (bytes((6, 0, 0, 0)), *_script(2)),
            (bytes((22, 0, 0, 0)), *_script(1)),
        ],
    ),
    (Unsigned(2), [(bytes((0, 0, 0, 0)), *_script(1))]),
]


def _capture(class_id: int, obis: o.Obis, attribute: int) -> tuple[Any, ...]:
    return (LongUnsigned(class_id), obis.to_bytes(), Integer(attribute), LongUnsigned(0))


def _mbus_id(serial: str) -> int:
    """The M-Bus identification number (8 BCD digits) of a sub-meter serial."""
    digits = "".join(ch for ch in serial if ch.isdigit())[-8:] or "0"
    return int(digits, 16)


_PUBLIC_OBJECTS: Final = frozenset(
    ln.to_bytes() for ln in (o.LOGICAL_DEVICE_NAME, o.CLOCK, o.INVOCATION_COUNTER, o.ASSOCIATION_LN)
)
