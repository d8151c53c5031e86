"""The household's M-Bus sub-meters (OBIS 0.b.24.2.1, hourly): :class:`HourlyModel` and its media — gas
(litres) and district heat (Wh) for space heating on degree days plus hot water, cold water (litres) per person
with weekend and summer uplift — and :func:`sub_meter_models`, the sub-meters a household has, in channel order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

import numpy as np

from meterhub.sim.consumption.base import F64, HOUR, I64
from meterhub.sim.consumption.calendar import day_tables
from meterhub.sim.consumption.engine import DayModel
from meterhub.sim.consumption.rng import SQRT6, stable_key, tri, uniforms
from meterhub.sim.consumption.traits import HouseholdTraits

__all__ = ["GasModel", "HeatModel", "HourlyModel", "WaterModel", "sub_meter_models"]


class HourlyModel(DayModel):
    """An M-Bus sub-meter: hourly consumption (one channel), exact cumulative register (OBIS 0.b.24.2.1)."""

    step = HOUR
    channels = 1
    _q_per_slot = 4
    medium: str = ""
    _noise: float = 0.15

    def __init__(self, traits: HouseholdTraits) -> None:
        super().__init__(traits)
        self._k_day = stable_key(self.medium, "day", traits.key)
        self._k_slot = stable_key(self.medium, "slot", traits.key)

    def intervals(self, start_utc: dt.datetime, n: int) -> I64:
        """Consumption per hour from ``start_utc`` (aligned to the UTC hour), shape (n,) int64."""
        return self._window(start_utc, n)[:, 0]

    def register(self, t_utc: dt.datetime) -> int:
        """Cumulative index at hour-aligned ``t_utc`` (installation reading + Σ intervals since MODEL_EPOCH)."""
        return int(self._register(t_utc)[0])

    def _day_total(self, lo: int, hi: int, u: F64) -> F64:
        raise NotImplementedError

    def _hour_shape(self, day: int) -> F64:  # (24,) by wall-clock hour
        raise NotImplementedError

    def _blocks(self, lo: int, hi: int) -> F64:
        total = self._day_total(lo, hi, uniforms(self._k_day, lo, hi))
        return np.floor(np.maximum(total, 0.0))[None, None, :]

    def _split(self, day: int) -> tuple[F64, F64, Sequence[int]]:
        cal = day_tables()
        hours = cal.wall[day, : int(cal.nq[day]) : 4] // 4
        h0 = cal.starts[day] // 4
        u = uniforms(self._k_slot, h0, h0 + len(hours))
        w = self._hour_shape(day)[hours] * np.maximum(1.0 + self._noise * SQRT6 * (u[:, 0] + u[:, 1] - 1.0), 0.05)
        return self._blocks(day, day + 1)[:, :, 0], w[:, None], (0, len(hours))

    def _base(self) -> I64:
        return np.array([int(self._annual() * self.traits.install_years)], dtype=np.int64)

    def _annual(self) -> float:
        raise NotImplementedError


_DHW_SHAPE: Final = np.array([0.2, 0.1, 0.1, 0.1, 0.2, 0.6, 2.2, 3.0, 2.2, 1.2, 0.9, 0.9,
                              1.1, 0.9, 0.7, 0.7, 0.9, 1.3, 1.9, 2.2, 2.0, 1.5, 0.9, 0.4])  # fmt: skip
_SPACE_HEAT_SHAPE: Final = np.array([0.55, 0.5, 0.5, 0.5, 0.6, 1.1, 1.6, 1.6, 1.3, 1.0, 0.9, 0.9,
                                     0.9, 0.9, 0.9, 1.0, 1.1, 1.3, 1.4, 1.4, 1.3, 1.2, 0.9, 0.7])  # fmt: skip


class _HeatingLike(HourlyModel):
    """Space heating on G20/15 degree days plus domestic hot water, shaped by hour of day."""

    _dhw_share = 0.18
    _per_unit = 1.0  # register units per kWh of heat

    def _annual_kwh(self) -> float:
        raise NotImplementedError

    def _annual(self) -> float:
        return self._annual_kwh() * self._per_unit

    def _day_total(self, lo: int, hi: int, u: F64) -> F64:
        cal = day_tables()
        annual = self._annual()
        dhw = annual * self._dhw_share / 365.2425 * (1.0 + 0.15 * tri(u[:, 0], u[:, 1]))
        space = (
            annual * (1 - self._dhw_share) / cal.mean_hdd_year * cal.hdd[lo:hi] * (1.0 + 0.1 * tri(u[:, 2], u[:, 3]))
        )
        return np.asarray(dhw + space, dtype=np.float64)

    def _hour_shape(self, day: int) -> F64:
        hdd = float(day_tables().hdd[day])
        share_space = min(hdd / 16.0, 1.0) * (1 - self._dhw_share) / (1 - self._dhw_share + self._dhw_share * 0.5)
        return np.asarray(share_space * _SPACE_HEAT_SHAPE + (1 - share_space) * _DHW_SHAPE, dtype=np.float64)


class GasModel(_HeatingLike):
    """Gas meter, litres (dm³) per hour: heating + hot water (≈ 10.5 kWh per m³ of natural gas)."""

    medium = "gas"
    _per_unit = 1000.0 / 10.5

    def _annual_kwh(self) -> float:
        return self.traits.gas_m3_year * 10.5


class HeatModel(_HeatingLike):
    """District-heat meter, Wh per hour: heating + hot water."""

    medium = "heat"
    _per_unit = 1000.0

    def _annual_kwh(self) -> float:
        return self.traits.heat_kwh_year


class WaterModel(HourlyModel):
    """Cold-water meter, litres per hour: persons × daily use, weekend and summer uplift, morning/evening peaks."""

    medium = "water"
    _noise = 0.25

    def _annual(self) -> float:
        return self.traits.persons * self.traits.water_l_person_day * 365.2425

    def _day_total(self, lo: int, hi: int, u: F64) -> F64:
        cal = day_tables()
        weekend = np.where(cal.workday[lo:hi], 1.0, 1.12)
        summer = np.where((cal.month[lo:hi] >= 6) & (cal.month[lo:hi] <= 8), 1.1, 0.97)
        per_day = self.traits.persons * self.traits.water_l_person_day
        return np.asarray(per_day * weekend * summer * (1.0 + 0.2 * tri(u[:, 0], u[:, 1])), dtype=np.float64)

    def _hour_shape(self, day: int) -> F64:
        return _DHW_SHAPE


def sub_meter_models(traits: HouseholdTraits) -> list[tuple[str, HourlyModel]]:
    """The household's M-Bus sub-meters in channel order (1…): gas, water, district heat, where present."""
    out: list[tuple[str, HourlyModel]] = []
    if traits.gas:
        out.append(("gas", GasModel(traits)))
    if traits.water:
        out.append(("water", WaterModel(traits)))
    if traits.district_heat:
        out.append(("heat", HeatModel(traits)))
    return out
