"""The household's electricity: :class:`ElectricityModel` gives the quarter-hour A+ / A− / R+ / R− energies, the
exact cumulative and TOU registers, voltages and currents of one home — the BDEW H0 shape with dynamisation and
persistent per-quarter noise, appliance events carved out of it (:mod:`~.appliances`), electric heating and heat
pumps on heating degree days, EV charging sessions, and rooftop PV with net metering and passing clouds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from meterhub.sim.consumption.appliances import ApplianceModel, carve
from meterhub.sim.consumption.base import EPOCH_Q, F64, I64, QUARTER
from meterhub.sim.consumption.calendar import H0, HEAT_SHAPE, NIGHT_END_Q, NIGHT_START_Q, SC_GRID, day_tables
from meterhub.sim.consumption.engine import DayModel, check_time
from meterhub.sim.consumption.rng import SQRT6, counter_hash, hash_lanes, stable_key, uniforms
from meterhub.sim.consumption.traits import HouseholdTraits
from meterhub.sim.consumption.weather import clear_sky

__all__ = ["ElectricityModel", "slot_noise"]


@dataclass(frozen=True)
class _ElecParts:
    load: F64  # (3, len) Wh of load per block (base + heating + EV)
    base: F64  # (3, len) Wh base load per block
    heat: F64  # (len,) Wh electric heating + heat pump (split over blocks by the heating shape)
    ev_start: I64  # wall quarter the EV starts (−1: no charging)
    ev: F64  # (len,) Wh EV charging
    pv: F64  # (len,) PV energy (all in block 06–22)
    sc: F64  # (len,) self-consumed PV energy (closed-form approximation)
    r_plus: F64  # (len,) ratio R+/A+
    r_minus: F64  # (len,) ratio R−/load


_BLOCK_OF_WALL: Final = np.repeat(np.array([0, 1, 2]), [NIGHT_END_Q, NIGHT_START_Q - NIGHT_END_Q, 96 - NIGHT_START_Q])


def _noise_kernel() -> F64:
    """Causal moving-average kernel that turns white per-quarter noise into household-like persistent noise.

    Three parts, normalised to unit variance (Σ k² = 1): an instantaneous share (0.3 at lag 0: switching
    noise), an exponentially decaying part (0.75^i: appliance cycles and cooking, ~½–1 h) and a flat 8-hour
    window (0.125 each over 32 quarters: who is at home and awake, occupancy blocks of hours). Its
    autocorrelation is 0.73 / 0.60 / 0.43 / 0.27 / 0.18 at lags 1 / 2 / 4 / 8 / 16 quarter hours, fitted to
    the ratio of a measured household's 15-min load to its own 28-day same-day-type mean profile (UCI
    "Individual household electric power consumption", Sceaux 2006–2010: 0.76 / 0.57 / 0.42 / 0.29 / 0.16;
    see docs/architecture.md for the sources).
    """
    i = np.arange(_NOISE_TAPS, dtype=np.float64)
    k = 0.3 * (i == 0) + 0.75**i + 0.125
    return np.asarray(k / np.sqrt((k * k).sum()), dtype=np.float64)


_NOISE_TAPS: Final = 32
_NOISE_KERNEL: Final = _noise_kernel()


def slot_noise(key: int, q0: int, n: int) -> tuple[F64, F64]:
    """(persistent unit-variance noise (n,), uniforms (n, 4)) of the quarter indices q0…q0+n−1 of stream ``key``.

    The noise at quarter q is the kernel applied to the white triangular noise of lanes 0 and 1 at quarters
    q−31…q, so a day needs only the 31 quarters before it (random access by day; no state carried over).
    """
    u = uniforms(key, q0 - _NOISE_TAPS + 1, q0 + n)
    white = u[:, 0] + u[:, 1]
    white -= 1.0
    white *= SQRT6
    return np.convolve(white, _NOISE_KERNEL, mode="valid"), u[_NOISE_TAPS - 1 :]


class ElectricityModel(DayModel):
    """Quarter-hour A+ / A− / R+ / R− of one household (OBIS 1.0.1.8.0 / 1.0.2.8.0 / 1.0.3.8.0 / 1.0.4.8.0).

    Day-level totals per block (00–06, 06–22, 22–24 local) are closed forms of shared calendar tables and per-day
    hashes, so :meth:`register` sums them vectorised over days; the slots of a day then split those integer totals
    in proportion to the per-slot net-metering shape (load with persistent per-quarter noise around the H0 shape,
    see :func:`_noise_kernel`; EV, PV with passing clouds).
    Approximation: a day's self-consumed PV comes from a per-month/day-type table of the H0 and clear-sky shapes,
    so per-slot A+/A− are max(load − pv, 0)/max(pv − load, 0) rescaled by one factor per block and day.
    """

    step = QUARTER
    channels = 4

    def __init__(self, traits: HouseholdTraits) -> None:
        super().__init__(traits)
        self._k_day = stable_key("elec-day", traits.key)
        self._k_slot = stable_key("elec-slot", traits.key)
        cal = day_tables()
        self._heat_wh_per_hdd = (traits.heating_kwh + traits.heat_pump_kwh) * 1000.0 / cal.mean_hdd_year
        self._tou_epoch: I64 | None = None
        self._ev_p = min(0.95, traits.ev_kwh / (365.2425 * 12.0)) if traits.ev_kw else 0.0
        self._appliances: ApplianceModel | None = None  # drawn on the first day of intervals (registers skip it)

    # --- public API
    def intervals(self, start_utc: dt.datetime, n: int) -> I64:
        """Energy per quarter hour, shape (n, 4) int64: A+ Wh, A− Wh, R+ varh, R− varh, from ``start_utc``."""
        return self._window(start_utc, n)

    def register(self, t_utc: dt.datetime) -> I64:
        """Cumulative 1.0.1.8.0 / 1.0.2.8.0 / 1.0.3.8.0 / 1.0.4.8.0 at quarter-aligned ``t_utc``, shape (4,)."""
        return self._register(t_utc)

    def noiseless_shape(self, start_utc: dt.datetime, n: int) -> F64:
        """A+ slot weights of ``n`` quarter hours from ``start_utc`` with the per-quarter noise and the appliance
        events switched off (the day-level draws — EV session, heating, PV yield — kept). Within a day block the A+
        values are in proportion to their weights, so these are what an oracle knowing the model's shape would
        spread a gap's energy by: for benchmarks (the VEE benchmark's bound), never for estimation."""
        q = check_time(start_utc, QUARTER)
        d, slot = self._locate(q)
        parts: list[F64] = []
        have = 0
        while have < n + slot:
            weights = self._split(d, noisy=False)[1][:, 0]
            parts.append(weights)
            have += weights.size
            d += 1
        return np.concatenate(parts)[slot : slot + n] if parts else np.zeros(0)

    def tou_registers(self, t_utc: dt.datetime) -> I64:
        """1.0.1.8.1, 1.0.1.8.2, 1.0.2.8.1, 1.0.2.8.2 at ``t_utc`` (T1 = 22–06 local + weekends/holidays), exact."""
        q = check_time(t_utc, QUARTER)
        if self._epoch_offset is None:
            self._epoch_offset = self._cumulative(EPOCH_Q)
        if self._tou_epoch is None:
            self._tou_epoch = self._tou_cumulative(EPOCH_Q)
        now = self._tou_cumulative(q) - self._tou_epoch
        base = self._base()
        b1 = np.floor(base[:2] * np.array([0.42, 0.25])).astype(np.int64)  # installation readings split T1/T2
        return np.array([b1[0], base[0] - b1[0], b1[1], base[1] - b1[1]], dtype=np.int64) + now

    def voltages(self, t_utc: dt.datetime) -> F64:
        """L1–L3 voltages (V, 1.0.32/52/72.7.0) for the quarter hour: 230 V ± feeder position, load and noise.

        10-min-like values stay within EN 50160's Un ± 10 % (207–253 V); sags/swells are events (EventModel).
        """
        q = check_time(t_utc, QUARTER)
        cal = day_tables()
        d, slot = self._locate(q)
        wall = int(cal.wall[d, slot])
        u = hash_lanes(counter_hash(self._k_slot ^ 0x7017, np.array([q, q | (1 << 40)])))
        position = (hash_lanes(counter_hash(self.traits.key, np.array([0x7061])))[0, :3] - 0.5) * 12.0
        evening = -3.0 if 68 <= wall < 84 else 0.0
        midday_pv = 3.0 * float(clear_sky(np.array([q]))[0]) * (4 <= cal.month[d] <= 9)
        noise = (u[0, :3] + u[1, :3] - 1.0) * SQRT6 * 1.2
        volts = np.clip(231.0 + position + evening + midday_pv + noise, 207.0, 253.0)
        return np.asarray(np.round(volts, 1), dtype=np.float64)

    def currents(self, t_utc: dt.datetime) -> F64:
        """L1–L3 currents (A, 1.0.31/51/71.7.0) from the quarter hour's mean power split over the phases."""
        energy = self.intervals(t_utc, 1)[0]
        watts = float(energy[0] + energy[1]) * 4.0
        split = np.roll(np.array([0.5, 0.3, 0.2]), self.traits.key % 3)
        return np.round(watts * split / self.voltages(t_utc), 2)

    # --- day-level closed forms
    def _parts(self, lo: int, hi: int) -> _ElecParts:
        cal, t = day_tables(), self.traits
        n = hi - lo
        u = uniforms(self._k_day, lo, hi, 8 if (self._ev_p or t.pv_kwp) else 4)
        f = u[:, 0] + u[:, 1]
        f -= 1.0
        f *= 0.12 * SQRT6 * t.base_kwh
        f += t.base_kwh
        base = cal.base_blk[:, lo:hi] * f
        load = base
        heat = np.zeros(n)
        if self._heat_wh_per_hdd:
            heat = self._heat_wh_per_hdd * cal.hdd[lo:hi] * (1.0 + 0.1 * SQRT6 * (u[:, 2] + u[:, 3] - 1.0))
            load = load + heat * cal.heat_blk[:, lo:hi]
        ev_start = np.full(n, -1, dtype=np.int64)
        ev = np.zeros(n)
        pv = np.zeros(n)
        sc = np.zeros(n)
        if self._ev_p or t.pv_kwp:
            v = u[:, 4:]
            if self._ev_p:
                ev_start, ev, load = self._ev(v, load)
            if t.pv_kwp:
                pv = t.pv_kwp * cal.pv_day[lo:hi] * cal.cloud[lo:hi] * (1.0 + 0.08 * SQRT6 * (v[:, 3] + u[:, 0] - 1.0))
                sc = self._self_consumption(lo, hi, load[1], pv)
        r_plus = t.reactive_ratio * (0.9 + 0.2 * u[:, 3])
        r_minus = 0.015 + 0.01 * u[:, 2]
        return _ElecParts(load, base, heat, ev_start, ev, pv, sc, r_plus, r_minus)

    def _ev(self, v: F64, load: F64) -> tuple[I64, F64, F64]:
        """EV sessions: on a share of days, from 17:30–19:45 local at 3.7/11 kW, 6–18 kWh, ending by midnight."""
        charging = v[:, 0] < self._ev_p
        start = np.where(charging, 70 + (v[:, 1] * 10).astype(np.int64), -1)
        per_q = self.traits.ev_kw * 250.0  # Wh per full quarter
        energy = np.minimum(6000.0 + 12000.0 * v[:, 2], per_q * (96 - start)) * charging
        in_day = np.minimum(energy, per_q * np.maximum(NIGHT_START_Q - start, 0))
        load = load.copy()
        load[1] += in_day
        load[2] += energy - in_day
        return start, energy, load

    @staticmethod
    def _self_consumption(lo: int, hi: int, load: F64, pv: F64) -> F64:
        """Self-consumed PV in block 06–22: (load + pv) × table(month, day type)[pv / (load + pv)], interpolated."""
        cal = day_tables()
        both = load + pv
        x = pv / np.where(both > 0, both, 1.0)
        x *= SC_GRID - 1
        i = np.minimum(x.astype(np.int64), SC_GRID - 2)
        f = x - i
        i += cal.sc_row[lo:hi]
        flat = cal.sc_table.ravel()
        return np.asarray(both * (flat[i] * (1.0 - f) + flat[i + 1] * f), dtype=np.float64)

    def _combine(self, p: _ElecParts) -> F64:
        out = np.empty((4, 3, len(p.pv)))
        out[0] = p.load
        out[1] = 0.0
        if self.traits.pv_kwp:
            out[0, 1] -= p.sc
            out[1, 1] = p.pv - p.sc
        np.multiply(out[0], p.r_plus, out=out[2])
        np.multiply(p.load, p.r_minus, out=out[3])
        np.maximum(out, 0.0, out=out)
        return np.floor(out, out=out)

    def _blocks(self, lo: int, hi: int) -> F64:
        return self._combine(self._parts(lo, hi))

    def _split(self, day: int, noisy: bool = True) -> tuple[F64, F64, Sequence[int]]:
        cal, t = day_tables(), self.traits
        p = self._parts(day, day + 1)
        nq = int(cal.nq[day])
        wall = cal.wall[day, :nq]
        q0 = cal.starts[day]
        noise, u = slot_noise(self._k_slot, q0, nq) if noisy else (np.zeros(nq), np.full((nq, 4), 0.5))
        block = _BLOCK_OF_WALL[wall]
        shape = H0[cal.season[day], cal.daytype[day]][wall]
        shape = shape * np.maximum(1.0 + 0.28 * noise, 0.2)
        load = self._spread(p.base[:, 0], shape, block)
        if noisy:
            if self._appliances is None:
                self._appliances = ApplianceModel(t)
            kind = int(cal.daytype[day]), int(cal.season[day])
            events = self._appliances.day_energy(day, *kind, wall * 15)
            load = carve(load, self._appliances.expected_day(*kind)[wall], events, block, p.base[:, 0])
        if p.heat[0]:
            load += self._spread(p.heat[0] * cal.heat_blk[:, day], HEAT_SHAPE[wall] * (0.95 + 0.1 * u[:, 2]), block)
        if p.ev_start[0] >= 0:
            load += self._ev_slots(wall, int(p.ev_start[0]), float(p.ev[0]))
        weights = np.empty((nq, 4))
        if t.pv_kwp:
            cloud = float(cal.cloud[day])
            clear = clear_sky(np.arange(q0, q0 + nq)) * (block == 1) * (1.0 + (1.0 - cloud) * (1.8 * u[:, 3] - 0.9))
            total = clear.sum()
            pv = clear * (p.pv[0] / total) if total > 0 else np.zeros(nq)
            np.maximum(load - pv, 0.0, out=weights[:, 0])
            np.maximum(pv - load, 0.0, out=weights[:, 1])
        else:
            weights[:, 0] = load
            weights[:, 1] = 0.0
        weights[:, 2] = weights[:, 0] * (0.8 + 0.4 * u[:, 2])
        weights[:, 3] = load * (0.7 + 0.6 * u[:, 1])
        return self._combine(p)[:, :, 0], weights, cal.bounds[day]

    @staticmethod
    def _spread(blocks: F64, shape: F64, block: npt.NDArray[np.intp]) -> F64:
        sums = np.bincount(block, weights=shape, minlength=3)
        return np.asarray(shape * (blocks / np.where(sums > 0, sums, 1.0))[block], dtype=np.float64)

    def _ev_slots(self, wall: npt.NDArray[np.int16], start: int, energy: float) -> F64:
        per_q = self.traits.ev_kw * 250.0
        full = int(energy // per_q)
        rel = wall.astype(np.int64) - start
        out = np.where((rel >= 0) & (rel < full), per_q, 0.0)
        return np.asarray(out + np.where(rel == full, energy - full * per_q, 0.0), dtype=np.float64)

    def _base(self) -> I64:
        t = self.traits
        a_plus = t.annual_kwh * 1000.0 * t.install_years
        a_minus = t.pv_kwp * 600_000.0 * min(t.install_years, 5.0)
        return np.array([a_plus, a_minus, a_plus * t.reactive_ratio, a_plus * 0.02], dtype=np.float64).astype(np.int64)

    # --- TOU
    def _tou_cumulative(self, q: int) -> I64:
        cal = day_tables()
        d, slot = self._locate(q)
        prefix = self._prefix(d)[:2]  # A+ and A−
        t2 = prefix[:, -1].astype(np.int64)
        t1 = prefix[:, :-1].sum(axis=1).astype(np.int64) - t2
        values = self._day(d)[:slot, :2]
        day_rate = (_BLOCK_OF_WALL[cal.wall[d, :slot]] == 1) & bool(cal.workday[d])
        t2 = t2 + values[day_rate].sum(axis=0)
        t1 = t1 + values[~day_rate].sum(axis=0)
        return np.array([t1[0], t2[0], t1[1], t2[1]], dtype=np.int64)
