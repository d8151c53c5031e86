"""The simulated meter's customer port (P1): one encrypted DSMR-5-style telegram per 10 s of simulated time.

Driven by the household models of :mod:`meterhub.sim.consumption`, so a telegram agrees with what the same meter
serves over DLMS: at every quarter-hour boundary the four energy registers equal the model's registers exactly.
Inside a quarter hour, its integer A+/A− energy is spread over the 90 ten-second steps with per-step noise
(import steps first, then export steps when the quarter has both, so the instantaneous power is never import and
export at once), the registers are the floor of the running sum (so they only increase and land exactly on the
next quarter's value), and the instantaneous power is the mean power of the last 10 s — registers and power are
one integral apart. Voltages come from the model's quarter-hour voltages with 10-s noise, currents and per-phase
powers from the power split over the phases, power failures, long failures, their log and the per-phase
sag/swell counters from the meter's :class:`~meterhub.sim.consumption.events.EventModel` (counted since the model
epoch), and each M-Bus sub-meter's value is its register at the last full hour with that hour as capture time.

The frame counter is the number of 10-s steps since the model epoch, so it increases across restarts and is
never reused under a key. :class:`LiveP1` streams frames in real time to TCP clients (like a serial-to-network
bridge) or on a pseudo-terminal (like the meter's serial port).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

import holidays
import numpy as np
import numpy.typing as npt

from meterhub.country import HOLIDAYS_COUNTRY, LOCAL_TZ
from meterhub.p1.frame import encrypt_frame
from meterhub.p1.telegram import (
    MBUS_GAS,
    MBUS_HEAT,
    MBUS_WATER,
    MBusReading,
    PowerFailure,
    Telegram,
    encode_telegram,
)
from meterhub.sim.consumption.base import MODEL_EPOCH
from meterhub.sim.consumption.electricity import ElectricityModel
from meterhub.sim.consumption.events import EventModel, SimEvent
from meterhub.sim.consumption.submeters import HourlyModel, sub_meter_models
from meterhub.sim.consumption.traits import HouseholdTraits
from meterhub.sim.meter import system_title_of

__all__ = ["STEP", "LiveP1", "P1Simulator", "frame_counter_at"]

log = logging.getLogger("meterhub.sim.p1")

LUX: Final = LOCAL_TZ
STEP: Final = dt.timedelta(seconds=10)
QUARTER: Final = dt.timedelta(minutes=15)
STEPS: Final = 90  # ten-second steps per quarter hour
HEADER: Final = "MHS5\\2SIM-P1 meterhub smarty simulator"
DSMR_VERSION: Final = "50"
_MEDIUM_TYPE: Final = {"gas": MBUS_GAS, "water": MBUS_WATER, "heat": MBUS_HEAT}
_MEDIUM_UNIT: Final = {"gas": "l", "water": "l", "heat": "Wh"}
_LONG_FAILURE_S: Final = 180  # EN 50160: a long interruption lasts more than 3 min
_LOG_ENTRIES: Final = 10


def frame_counter_at(t: dt.datetime) -> int:
    """The frame counter of the telegram at ``t``: 10-s steps since the model epoch (fits 4 bytes for 1 300 y)."""
    return int((t - MODEL_EPOCH) // STEP)


def _floor(t: dt.datetime, step: dt.timedelta) -> dt.datetime:
    return t - (t - MODEL_EPOCH) % step


@functools.cache
def _public_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays(HOLIDAYS_COUNTRY, years=[year]))


def tariff_at(t: dt.datetime) -> int:
    """Tariff indicator: 2 (day) 06–22 local on working days, else 1 — the split of the model's TOU registers."""
    local = t.astimezone(LUX)
    day = local.date()
    workday = (
        day.weekday() < 5 and day not in _public_holidays(day.year) and (day.month, day.day) not in ((12, 24), (12, 31))
    )
    return 2 if workday and 6 <= local.hour < 22 else 1


@dataclass(frozen=True, slots=True)
class _Quarter:
    """One quarter hour at 10-s resolution: register increments before each step and the power of each step."""

    base: npt.NDArray[np.int64]  # (4,) registers at the quarter's start
    cum: npt.NDArray[np.int64]  # (STEPS + 1, 4) energy before step s (cum[0] = 0, cum[STEPS] = the quarter's)
    import_w: npt.NDArray[np.float64]  # (STEPS,) mean import power of each step
    export_w: npt.NDArray[np.float64]
    volts: npt.NDArray[np.float64]  # (STEPS, 3)


@dataclass(slots=True)
class _EventCounts:
    power_failures: int = 0
    long_failures: tuple[PowerFailure, ...] = ()  # the newest _LOG_ENTRIES
    long_count: int = 0
    sags: tuple[int, int, int] = (0, 0, 0)
    swells: tuple[int, int, int] = (0, 0, 0)

    def add(self, events: list[SimEvent]) -> _EventCounts:
        sags, swells = list(self.sags), list(self.swells)
        out = _EventCounts(self.power_failures, self.long_failures, self.long_count)
        for e in events:
            if e.log == "standard" and e.code == 1:
                out.power_failures += 1
            elif e.log == "power_failure" and e.duration_s > _LONG_FAILURE_S:
                out.long_count += 1
                out.long_failures = (*out.long_failures, PowerFailure(e.time_utc, e.duration_s))[-_LOG_ENTRIES:]
            elif e.log == "power_quality" and 76 <= e.code <= 78:
                sags[e.code - 76] += 1
            elif e.log == "power_quality" and 79 <= e.code <= 81:
                swells[e.code - 79] += 1
        out.sags = (sags[0], sags[1], sags[2])
        out.swells = (swells[0], swells[1], swells[2])
        return out


class P1Simulator:
    """The P1 port of simulated meter ``serial`` (household ``seed``), encrypting with its 16-byte P1 ``key``."""

    def __init__(
        self,
        serial: str,
        key: bytes,
        *,
        seed: int = 1,
        system_title: bytes | None = None,
        text_message: str = "",
    ) -> None:
        if len(key) != 16:
            raise ValueError("the P1 key must be 16 bytes")
        self.serial = serial
        self._key = key
        self.system_title = system_title or system_title_of(serial)
        self.text_message = text_message
        self.traits = HouseholdTraits.draw(seed, serial)
        self.electricity = ElectricityModel(self.traits)
        self.sub_meters: list[tuple[str, HourlyModel]] = sub_meter_models(self.traits)
        self.events = EventModel(self.traits)
        self._split = np.roll(np.array([0.5, 0.3, 0.2]), self.traits.key % 3)
        self._quarters: dict[dt.datetime, _Quarter] = {}
        self._day: dt.datetime | None = None
        self._before_day = _EventCounts()
        self._day_events: list[SimEvent] = []

    def __repr__(self) -> str:  # never show the key
        return f"P1Simulator(serial={self.serial!r})"

    # --- the 10-s resolution inside a quarter hour
    def _quarter(self, q0: dt.datetime) -> _Quarter:
        cached = self._quarters.get(q0)
        if cached is not None:
            return cached
        energy = self.electricity.intervals(q0, 1)[0]
        base = self.electricity.register(q0)
        q_index = int((q0 - MODEL_EPOCH) // QUARTER)
        rng = np.random.default_rng([self.traits.key & 0xFFFF_FFFF_FFFF_FFFF, q_index, 0x9101])
        w = 0.55 + 0.9 * rng.random(STEPS)
        a_plus, a_minus = int(energy[0]), int(energy[1])
        if a_plus and a_minus:
            k = min(max(round(STEPS * a_plus / (a_plus + a_minus)), 1), STEPS - 1)
        else:
            k = 0 if a_minus else STEPS
        steps = np.arange(STEPS)
        w_imp = np.where(steps < k, w, 0.0)
        w_exp = np.where(steps >= k, w, 0.0)
        cum = np.zeros((STEPS + 1, 4), dtype=np.int64)
        for col, total, weights in ((0, a_plus, w_imp), (1, a_minus, w_exp)):
            s = weights.sum()
            if total and s > 0:
                cum[1:, col] = np.floor(total * np.cumsum(weights) / s)
                cum[STEPS, col] = total
        for col in (2, 3):  # reactive energy: linear over the quarter
            cum[1:, col] = (int(energy[col]) * np.arange(1, STEPS + 1)) // STEPS
        per_s = 3600.0 / STEP.total_seconds()  # Wh per step → W
        import_w = a_plus * w_imp / max(w_imp.sum(), 1e-9) * per_s
        export_w = a_minus * w_exp / max(w_exp.sum(), 1e-9) * per_s
        volts = np.clip(self.electricity.voltages(q0)[None, :] + (rng.random((STEPS, 3)) - 0.5) * 0.8, 207.0, 253.0)
        q = _Quarter(np.asarray(base, dtype=np.int64), cum, import_w, export_w, volts)
        if len(self._quarters) > 8:
            self._quarters.pop(next(iter(self._quarters)))
        self._quarters[q0] = q
        return q

    def _events_until(self, t: dt.datetime) -> _EventCounts:
        day = _floor(t, dt.timedelta(days=1))
        if self._day != day:
            if self._day is None or day < self._day:
                self._before_day = _EventCounts().add(self.events.events(MODEL_EPOCH, day))
            else:
                self._before_day = self._before_day.add(self.events.events(self._day, day))
            self._day = day
            self._day_events = self.events.events(day, day + dt.timedelta(days=1))
        return self._before_day.add([e for e in self._day_events if e.time_utc < t])

    def _phases(self, watts: int) -> tuple[int, int, int]:
        parts = [round(float(watts * f)) for f in self._split[:2]]
        return parts[0], parts[1], watts - parts[0] - parts[1]

    # --- telegrams and frames
    def telegram_at(self, t: dt.datetime) -> Telegram:
        """The telegram the meter sends at ``t`` (aware, aligned to 10 s since the model epoch)."""
        if t.tzinfo is None or (t - MODEL_EPOCH) % STEP or t < MODEL_EPOCH + STEP:
            raise ValueError(f"{t!r}: an aware instant on the 10-s grid after the model epoch is required")
        q0 = _floor(t, QUARTER)
        quarter = self._quarter(q0)
        step = int((t - q0) // STEP)
        registers = quarter.base + quarter.cum[step]
        before = t - STEP  # the power shown is the mean of the last 10 s
        pq = self._quarter(_floor(before, QUARTER))
        ps = int((before - _floor(before, QUARTER)) // STEP)
        import_w, export_w = round(float(pq.import_w[ps])), round(float(pq.export_w[ps]))
        volts = tuple(round(float(v), 1) for v in pq.volts[ps])
        p_imp, p_exp = self._phases(import_w), self._phases(export_w)
        currents = tuple(float(round((a + b) / v)) for a, b, v in zip(p_imp, p_exp, volts, strict=True))
        counts = self._events_until(t)
        mbus = []
        hour = _floor(t, dt.timedelta(hours=1))
        for n, (medium, model) in enumerate(self.sub_meters, start=1):
            mbus.append(
                MBusReading(
                    channel=n,
                    device_type=_MEDIUM_TYPE[medium],
                    equipment_id=f"MB{n}{medium[0].upper()}{self.serial}",
                    captured_at=hour,
                    value=model.register(hour),
                    unit=_MEDIUM_UNIT[medium],
                )
            )
        return Telegram(
            header=HEADER,
            timestamp=t,
            version=DSMR_VERSION,
            equipment_id=self.serial,
            energy_import_wh=int(registers[0]),
            energy_export_wh=int(registers[1]),
            reactive_import_varh=int(registers[2]),
            reactive_export_varh=int(registers[3]),
            tariff=tariff_at(t),
            power_import_w=import_w,
            power_export_w=export_w,
            power_import_phase_w=p_imp,
            power_export_phase_w=p_exp,
            voltage_v=(volts[0], volts[1], volts[2]),
            current_a=(currents[0], currents[1], currents[2]),
            power_failures=counts.power_failures,
            long_power_failures=counts.long_count,
            power_failure_log=counts.long_failures,
            voltage_sags=counts.sags,
            voltage_swells=counts.swells,
            breaker_state=1,
            text_message=self.text_message,
            mbus=tuple(mbus),
        )

    def frame_at(self, t: dt.datetime) -> bytes:
        """The encrypted frame sent at ``t`` (frame counter :func:`frame_counter_at`)."""
        return encrypt_frame(self._key, self.system_title, frame_counter_at(t), encode_telegram(self.telegram_at(t)))

    def frames(self, start: dt.datetime, count: int) -> Iterator[tuple[dt.datetime, bytes]]:
        """``count`` consecutive frames from ``start`` (rounded down to the 10-s grid), one per 10 s."""
        t0 = _floor(start, STEP)
        for i in range(count):
            t = t0 + STEP * i
            yield t, self.frame_at(t)


class LiveP1:
    """Streams a :class:`P1Simulator`'s frames in real time, one every ``interval`` seconds of wall time.

    Simulated time starts at ``start`` and advances 10 s per frame (``interval`` < 10 plays it faster). Frames
    go to every connected TCP client (:meth:`serve_tcp`, like a serial-to-network bridge: a client that
    connects gets the frames from then on) and/or to a pseudo-terminal (:meth:`open_pty`, like the meter's
    serial port). ``count`` limits the frames (None: forever).
    """

    def __init__(
        self,
        sim: P1Simulator,
        start: dt.datetime,
        *,
        interval: float = 10.0,
        count: int | None = None,
        on_frame: Callable[[dt.datetime, bytes], None] | None = None,
    ) -> None:
        self.sim = sim
        self.start = _floor(start, STEP)
        self.interval = interval
        self.count = count
        self.on_frame = on_frame
        self._writers: set[asyncio.StreamWriter] = set()
        self._pty_fd: int | None = None
        self._pty_slave: int | None = None
        self._server: asyncio.Server | None = None
        self.sent = 0

    async def serve_tcp(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen for clients; returns the bound port."""

        async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self._writers.add(writer)
            with contextlib.suppress(ConnectionError, OSError):
                await reader.read()  # wait until the client goes (the bridge ignores what it sends)
            self._writers.discard(writer)
            writer.close()

        self._server = await asyncio.start_server(on_client, host, port)
        return int(self._server.sockets[0].getsockname()[1])

    def open_pty(self) -> str:
        """Open a pseudo-terminal; returns the path of its device (readers open that, as a serial port)."""
        import pty
        import tty

        master, slave = pty.openpty()
        tty.setraw(slave)
        self._pty_fd = master
        self._pty_slave = slave  # kept open so that the device stays there between readers
        return os.ttyname(slave)

    def _send(self, frame: bytes) -> None:
        for writer in list(self._writers):
            if writer.is_closing():
                self._writers.discard(writer)
                continue
            writer.write(frame)
        if self._pty_fd is not None:
            try:
                os.write(self._pty_fd, frame)
            except BlockingIOError:  # nobody reads: the line drops the frame, as a real port would
                log.warning("pseudo-terminal full: frame dropped")
            except OSError as exc:
                log.warning("pseudo-terminal write failed: %s", exc)

    async def run(self) -> None:
        """Send frames until ``count`` is reached (or forever)."""
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        i = 0
        while self.count is None or i < self.count:
            t = self.start + STEP * i
            frame = self.sim.frame_at(t)
            self._send(frame)
            self.sent += 1
            if self.on_frame is not None:
                self.on_frame(t, frame)
            for writer in list(self._writers):
                with contextlib.suppress(ConnectionError, OSError):
                    await writer.drain()
            i += 1
            await asyncio.sleep(max(0.0, t0 + i * self.interval - loop.time()))

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()
        if self._pty_fd is not None:
            os.close(self._pty_fd)
            self._pty_fd = None
        if self._pty_slave is not None:
            os.close(self._pty_slave)
            self._pty_slave = None
