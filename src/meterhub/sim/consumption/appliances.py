"""The household's appliance events: :class:`ApplianceModel` draws, per home and local day, the switching cycles a
meter sees as quarter-hour peaks — kettle, electric hob, oven, washing machine, dishwasher, tumble dryer and, in a
few homes, an electric sauna — each a template of one to three constant-power phases (heating element, then
thermostat hold or motor), at per-appliance time-of-day preferences that differ on workdays and weekends and
shift with each home's habits. Which appliances a home has, their power and how often it uses them are drawn once
from (fleet seed, serial); what runs on a day is one counter-based hash per (day, candidate use), so any day is
random access. Energies are exact overlaps of the phases with each quarter hour (a 3-minute kettle adds a fifth of
its power to its quarter). The electricity model carves this energy out of the home's smooth base load within the
same day block, so block totals, registers and annual energy are unchanged. EV charging, electric heating and heat
pumps are modelled by :mod:`~.electricity` itself and are not repeated here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from meterhub.sim.consumption.base import F64
from meterhub.sim.consumption.calendar import WORKDAY
from meterhub.sim.consumption.rng import stable_key, uniforms
from meterhub.sim.consumption.traits import HouseholdTraits

__all__ = ["APPLIANCES", "ApplianceModel", "ApplianceSpec"]


@dataclass(frozen=True)
class ApplianceSpec:
    """One appliance type: ownership, power range, cycle template, use rate and time-of-day preferences.

    The cycle template has up to three phases (offset, length in minutes, power as a fraction of the home's rated
    power): offset = ``o0 + o1 x`` and length = ``l0 + l1 x`` for a per-use draw x in (0, 1) (programme or
    cooking time). ``per_day`` = a + b × persons uses per day before the home's own rate factor; ``daytype`` and
    ``season`` multiply it (workday / Saturday / Sunday, winter / transition / summer). ``hours_workday`` and
    ``hours_weekend`` weight the start hour (local wall clock).
    """

    name: str
    owned: float  # share of homes that have one
    kw: tuple[float, float]  # rated power range over homes
    phases: tuple[tuple[float, float, float, float, float], ...]  # (o0, o1, l0, l1, power fraction)
    per_day: tuple[float, float]
    candidates: int  # most uses per day
    daytype: tuple[float, float, float]
    season: tuple[float, float, float]
    hours_workday: tuple[float, ...]
    hours_weekend: tuple[float, ...]


def _hours(*spans: tuple[int, int, float]) -> tuple[float, ...]:
    """24 hour weights from (first hour, end hour, weight) spans, a small floor elsewhere (people differ)."""
    w = [0.02] * 24
    for a, b, x in spans:
        for h in range(a, b):
            w[h] += x
    return tuple(w)


# Powers and cycles from public appliance data (docs/architecture.md, "Appliance events", lists the sources):
# kettles 2–3 kW for 2–4 min; electric hobs 0.8–1.7 kW mean over 15–45 min of cooking (zones cycle); ovens
# 2–3.2 kW, ~10 min preheat at ~85 % then ~40 % thermostat duty, 30–90 min; washing machines heat water at ~2 kW
# for 6–24 min (30–60 °C programmes) then ~0.25 kW motor and spin for an hour, ≈ 0.4–1.1 kWh a cycle;
# dishwashers two ~2 kW heating phases (wash, hot rinse), ≈ 1 kWh a cycle; tumble dryers 0.9 (heat pump) to
# 2.6 kW (vented, condenser) at ~80 % duty for 60–100 min; electric saunas 6–9 kW heating up ~50 min then ~40 %.
APPLIANCES: Final[tuple[ApplianceSpec, ...]] = (
    ApplianceSpec("kettle", 0.65, (2.0, 3.0), ((0, 0, 2, 2, 1.0),), (0.6, 0.45), 4, (1.0, 1.15, 1.15),
                  (1.2, 1.0, 0.75),
                  _hours((6, 9, 1.0), (12, 13, 0.4), (15, 17, 0.6), (19, 22, 0.7)),
                  _hours((8, 11, 1.0), (12, 13, 0.3), (15, 18, 0.7), (19, 22, 0.6))),
    ApplianceSpec("hob", 0.85, (0.8, 1.7), ((0, 0, 15, 30, 1.0),), (0.55, 0.12), 2, (1.0, 1.1, 1.2),
                  (1.1, 1.0, 0.75),
                  _hours((11, 13, 0.45), (17, 20, 1.0)),
                  _hours((11, 13, 0.8), (17, 20, 0.9))),
    ApplianceSpec("oven", 0.9, (2.0, 3.2), ((0, 0, 10, 0, 0.85), (10, 0, 20, 60, 0.4)), (0.12, 0.04), 1,
                  (1.0, 1.4, 2.0), (1.3, 1.0, 0.5),
                  _hours((11, 12, 0.25), (17, 20, 1.0)),
                  _hours((10, 12, 0.9), (17, 20, 0.8))),
    ApplianceSpec("washing_machine", 0.95, (1.8, 2.2), ((4, 0, 6, 18, 1.0), (10, 18, 60, 0, 0.12)), (0.12, 0.1), 2,
                  (1.0, 1.6, 0.6), (1.0, 1.0, 1.0),
                  _hours((8, 12, 1.0), (12, 17, 0.6), (17, 21, 0.8)),
                  _hours((8, 13, 1.0), (13, 18, 0.5))),
    ApplianceSpec("dishwasher", 0.75, (1.8, 2.2),
                  ((5, 0, 10, 8, 1.0), (15, 8, 30, 0, 0.05), (45, 8, 10, 5, 1.0)), (0.3, 0.12), 2,
                  (1.0, 1.1, 1.15), (1.0, 1.0, 1.0),
                  _hours((13, 15, 0.3), (19, 23, 1.0)),
                  _hours((13, 16, 0.5), (19, 23, 1.0))),
    ApplianceSpec("tumble_dryer", 0.45, (0.9, 2.6), ((0, 0, 60, 40, 0.8),), (0.0, 0.0), 2, (1.0, 1.0, 1.0),
                  (1.0, 0.7, 0.3), _hours(), _hours()),
    ApplianceSpec("sauna", 0.04, (6.0, 9.0), ((0, 0, 50, 0, 1.0), (50, 0, 10, 60, 0.4)), (0.1, 0.0), 1,
                  (0.8, 2.0, 2.0), (1.4, 1.0, 0.4),
                  _hours((18, 21, 1.0)),
                  _hours((15, 21, 1.0))),
)  # fmt: skip

_DRYER: Final = 5  # index of the tumble dryer: it follows a washing cycle, it is never started on its own
_WASHER: Final = 3
_SLOTS_PER_DAY: Final = 16  # candidate uses a day may draw (counter stride of the per-day hash stream)
_MAX_SHARE: Final = 0.35  # expected appliance energy at most this share of the home's base load
_CARVE_CAP: Final = 0.85  # appliances take at most this share of a day block's base energy
_FLOOR: Final = 0.3  # the expected appliance energy takes at most this much of the smooth shape away
_BIN: Final = 5  # minutes: the grid of the expected-appliance profile


def _phase_energy_kwh(spec: ApplianceSpec, kw: float) -> float:
    """Mean energy of one use (x = ½)."""
    return sum((l0 + 0.5 * l1) / 60.0 * kw * f for _, _, l0, l1, f in spec.phases)


def _inverse_cdf_table(hours: tuple[float, ...]) -> F64:
    cum = np.concatenate([[0.0], np.cumsum(hours)])
    return np.asarray(cum / cum[-1], dtype=np.float64)


@dataclass(frozen=True)
class _SpecTables:
    """The appliance specs as arrays, indexed by appliance: phases (A, 3, 5), day-type and season factors (A, 3),
    start-hour shares (2, A, 24)."""

    phases: F64
    daytype: F64
    season: F64
    width: F64


@functools.cache
def _spec_tables() -> _SpecTables:
    phases = np.zeros((len(APPLIANCES), 3, 5))
    for i, spec in enumerate(APPLIANCES):
        for k, ph in enumerate(spec.phases):
            phases[i, k] = ph
    return _SpecTables(
        phases,
        np.array([a.daytype for a in APPLIANCES]),
        np.array([a.season for a in APPLIANCES]),
        np.maximum(np.diff(_cdf_tables(), axis=2), 1e-12),
    )


@functools.cache
def _cdf_tables() -> F64:
    """(2, appliances, 25): cumulative start-hour distributions, workday and weekend (the dryer's are unused)."""
    return np.array([[_inverse_cdf_table(a.hours_workday) for a in APPLIANCES],
                     [_inverse_cdf_table(a.hours_weekend) for a in APPLIANCES]])  # fmt: skip


def _power_curve(spec: ApplianceSpec, grid: F64) -> F64:
    """Mean share of rated power per 5-min bin from a cycle's start, at the mean programme (x = ½)."""
    power = np.zeros(grid.size)
    for o0, o1, l0, l1, f in spec.phases:
        lo, hi = o0 + 0.5 * o1, o0 + 0.5 * o1 + l0 + 0.5 * l1
        power += f * np.clip(np.minimum(grid + _BIN, hi) - np.maximum(grid, lo), 0.0, None) / _BIN
    return power


@functools.cache
def _unit_profiles() -> F64:
    """(2, appliances, 288): expected Wh per 5-min bin of the local day of one use of each appliance at 1 kW,
    workday and weekend (start density by hour × mean power curve); the dryer starts a mean washing cycle and a
    pause after the washer (homes shift these by their habit)."""
    bins = 1440 // _BIN
    grid = np.arange(bins, dtype=np.float64) * _BIN
    cdf = _cdf_tables()
    out = np.zeros((2, len(APPLIANCES), bins))
    washer = APPLIANCES[_WASHER].phases[1]
    lag = washer[0] + 0.5 * washer[1] + 60.0 + 25.0
    for w in range(2):
        for i, spec in enumerate(APPLIANCES):
            j = _WASHER if i == _DRYER else i
            density = np.repeat(np.diff(cdf[w, j]) / (60 // _BIN), 60 // _BIN)
            if i == _DRYER:
                density = np.interp(grid - lag, grid, density, left=0.0, right=0.0)
            out[w, i] = np.convolve(density, _power_curve(spec, grid))[:bins] * (1000.0 * _BIN / 60.0)
    return out


class ApplianceModel:
    """The appliance events of one home: :meth:`day_energy` gives the Wh each slot of a local day sees."""

    def __init__(self, traits: HouseholdTraits) -> None:
        key = stable_key("appliances", traits.key)
        u: list[float] = np.random.Generator(np.random.Philox(key)).random(4 * len(APPLIANCES) + 2).tolist()
        self._k_day = stable_key("appliance-day", traits.key)
        typical = 1300.0 + 820.0 * traits.persons  # the traits' base load before its per-home factor
        rate = float(np.clip(traits.base_kwh / typical, 0.5, 1.6)) * (0.6 + 0.5 * u[0])
        self.habit_min = (u[1] - 0.5) * 90.0  # the home's meals and routines: up to ¾ h earlier or later
        owned: list[int] = []
        kws: list[float] = []
        rates: list[float] = []
        for i, spec in enumerate(APPLIANCES):
            v = u[2 + 4 * i : 6 + 4 * i]
            has = v[0] < spec.owned and (i != _DRYER or _WASHER in owned)
            if spec.name == "sauna":  # a sauna needs a house: homes of two or more
                has = has and traits.persons >= 2
            if spec.name == "hob" and traits.gas:  # half of gas-heated homes cook on gas
                has = has and v[3] < 0.5
            if not has:
                continue
            owned.append(i)
            kws.append(spec.kw[0] + (spec.kw[1] - spec.kw[0]) * v[1])
            per_day = spec.per_day[0] + spec.per_day[1] * traits.persons
            rates.append(per_day * rate * (0.6 + 0.8 * v[2]) if i != _DRYER else 0.35 + 0.5 * v[2])
        self.owned = tuple(APPLIANCES[i].name for i in owned)
        self.kw = dict(zip(self.owned, kws, strict=True))
        self._build(owned, kws, rates, traits.base_kwh)

    def _build(self, owned: list[int], kws: list[float], rates: list[float], base_kwh: float) -> None:
        expected = sum(
            r * _phase_energy_kwh(APPLIANCES[i], kw) for i, kw, r in zip(owned, kws, rates, strict=True) if i != _DRYER
        )
        if _DRYER in owned:
            k = owned.index(_DRYER)
            w = owned.index(_WASHER)
            expected += rates[k] * rates[w] * _phase_energy_kwh(APPLIANCES[_DRYER], kws[k])
        limit = _MAX_SHARE * base_kwh / 365.2425
        damp = min(1.0, limit / expected) if expected > 0 else 1.0
        cand_app: list[int] = []
        cand_p: list[float] = []
        cand_pair: list[int] = []
        for i, r in zip(owned, rates, strict=True):
            spec = APPLIANCES[i]
            if i == _DRYER:
                continue
            for _ in range(spec.candidates):
                cand_app.append(i)
                cand_p.append(min(0.95, r * damp / spec.candidates))
                cand_pair.append(-1)
                if i == _WASHER and _DRYER in owned:  # each washing cycle may be followed by the dryer
                    cand_app.append(_DRYER)
                    cand_p.append(min(0.95, rates[owned.index(_DRYER)]))
                    cand_pair.append(len(cand_app) - 2)
        n = len(cand_app)
        assert n <= _SLOTS_PER_DAY
        self._n = n
        apps = np.array(cand_app, dtype=np.intp)
        self._pair = np.array(cand_pair, dtype=np.intp)
        self._kw = np.array([kws[owned.index(i)] for i in cand_app])
        # (day type, season, candidate) probability of a use
        table = _spec_tables()
        dt_f = table.daytype[apps].T  # (3, n)
        se_f = table.season[apps].T  # (3, n)
        p = np.array(cand_p)
        self._p = np.minimum(dt_f[:, None, :] * se_f[None, :, :] * p, 0.95)
        dryer = apps == _DRYER
        self._p[:, :, dryer] = np.minimum(se_f[None, :, dryer] * p[dryer], 0.95)  # not by day type: it follows
        # start-hour inverse CDFs (workday, weekend) per candidate, and phase templates (n, 3)
        self._cdf = _cdf_tables()[:, apps]
        tpl = self._tpl = table.phases[apps]
        self._rows = np.arange(n)
        self._width = table.width[:, apps]  # (2, n, 24) share of each start hour
        self._dryers = np.flatnonzero(self._pair >= 0)
        self._washers = self._pair[self._dryers]
        self._watt_min = self._kw[:, None] * tpl[:, :, 4] * (1000.0 / 60.0)  # Wh per minute of each phase
        self._expected = self._expected_profiles(apps)
        self._expected_by_kind: dict[tuple[int, int], F64] = {}

    def _expected_profiles(self, apps: npt.NDArray[np.intp]) -> F64:
        """(2, n, 96): expected Wh per wall quarter of each candidate if it is used, for workday and weekend
        starts: the appliance's unit profile (:func:`_unit_profiles`) shifted by the home's habit, times its power."""
        if not self._n:
            return np.zeros((2, 0, 96))
        unit = _unit_profiles()[:, apps]  # (2, n, bins)
        k, f = divmod(self.habit_min / _BIN, 1.0)
        shifted = np.zeros_like(unit)
        for part, by in ((1.0 - f, int(k)), (f, int(k) + 1)):
            if by >= 0:
                shifted[:, :, by:] += part * unit[:, :, : unit.shape[2] - by]
            else:
                shifted[:, :, :by] += part * unit[:, :, -by:]
        shifted *= self._kw[None, :, None]
        return np.asarray(shifted.reshape(2, self._n, 96, -1).sum(axis=3), dtype=np.float64)

    def expected_day(self, daytype: int, season: int) -> F64:
        """(96,) expected appliance Wh per wall quarter on a day of this type and season."""
        cached = self._expected_by_kind.get((daytype, season))
        if cached is not None:
            return cached
        if not self._n:
            return np.zeros(96)
        p = self._p[daytype, season].copy()
        paired = self._pair >= 0
        p[paired] *= p[self._pair[paired]]
        out = self._expected_by_kind[daytype, season] = np.asarray(p @ self._expected[int(daytype != WORKDAY)])
        return out

    def day_energy(self, day: int, daytype: int, season: int, slot_minute: npt.NDArray[np.signedinteger[Any]]) -> F64:
        """Wh per slot of local day ``day`` whose slots start at wall-clock minutes ``slot_minute`` (15 min long);
        energy past midnight is dropped (a cycle started late ends with the day)."""
        out = np.zeros(slot_minute.size)
        if not self._n:
            return out
        u = uniforms(self._k_day, day * _SLOTS_PER_DAY, day * _SLOTS_PER_DAY + self._n)
        use = u[:, 0] < self._p[daytype, season]
        dryers, washers = self._dryers, self._washers
        if dryers.size:
            use[dryers] &= use[washers]
        if not use.any():
            return out
        cdf = self._cdf[int(daytype != WORKDAY)]
        hour = (cdf <= u[:, 1:2]).sum(axis=1) - 1
        lo, width = cdf[self._rows, hour], self._width[int(daytype != WORKDAY)][self._rows, hour]
        start = (hour + (u[:, 1] - lo) / width) * 60.0 + self.habit_min
        if dryers.size:  # the laundry moves to the dryer after the washing cycle and a pause
            washer_end = start[washers] + self._tpl[washers, 1, 0] + self._tpl[washers, 1, 1] * u[washers, 2] + 60.0
            start[dryers] = washer_end + 5.0 + 40.0 * u[dryers, 1]
        tpl = self._tpl[use]
        x = u[use, 2:3]
        s = start[use, None] + tpl[:, :, 0] + tpl[:, :, 1] * x
        e = s + tpl[:, :, 2] + tpl[:, :, 3] * x
        overlap = np.minimum(e.reshape(-1, 1), slot_minute + 15.0) - np.maximum(s.reshape(-1, 1), slot_minute)
        np.maximum(overlap, 0.0, out=overlap)
        return np.asarray(self._watt_min[use].ravel() @ overlap, dtype=np.float64)


def carve(smooth: F64, expected: F64, appliance: F64, block: npt.NDArray[np.intp], block_base: F64) -> F64:
    """The base load with the appliance energy carved out: the home's *expected* appliance energy per slot is
    taken out of the smooth shape where it is expected (at most down to ``_FLOOR`` of it), so that on average the
    home's shape — and a fleet's sum — stays the BDEW H0 it was; then each day block's smooth part is scaled to
    the block's base energy less the day's actual appliance energy, so each block keeps its energy exactly.
    Appliances take at most ``_CARVE_CAP`` of a block (more is scaled down; rare: a small home's short night
    block)."""
    rest = np.maximum(smooth - expected, _FLOOR * smooth)
    r_blk = np.bincount(block, weights=rest, minlength=3)
    a_blk = np.bincount(block, weights=appliance, minlength=3)
    scale = np.where(a_blk > _CARVE_CAP * block_base, _CARVE_CAP * block_base / np.where(a_blk > 0, a_blk, 1.0), 1.0)
    kept = (block_base - a_blk * scale) / np.where(r_blk > 0, r_blk, 1.0)
    return np.asarray(rest * kept[block] + appliance * scale[block], dtype=np.float64)
