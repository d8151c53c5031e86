"""The models' calendar: the Luxembourg local days from 2024 to 2049 with their quarter hours (92, 96 or 100 on
DST days) and the wall-clock quarter of each slot, BDEW day types (public holidays from ``holidays`` LU) and
seasons, the BDEW H0 household profile, and the per-day tables every meter shares (H0 energy per day block with
dynamisation, the heating shape's shares, clear-sky PV yield and national clouds, the PV self-consumption table),
built once per process by :func:`day_tables`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import holidays
import numpy as np
import numpy.typing as npt

from meterhub.country import HOLIDAYS_COUNTRY
from meterhub.country.h0 import H0  # the BDEW H0 table: one definition for the simulator and the MDM
from meterhub.sim.consumption.base import DAY0, F64, HORIZON, I64, LUX, ORIGIN, QUARTER, UTC
from meterhub.sim.consumption.rng import counter_hash, hash_lanes, stable_key
from meterhub.sim.consumption.weather import clear_sky, daily_temperatures

__all__ = [
    "H0",
    "HEAT_SHAPE",
    "NIGHT_END_Q",
    "NIGHT_START_Q",
    "SATURDAY",
    "SC_GRID",
    "SUMMER",
    "SUNDAY",
    "TRANSITION",
    "WINTER",
    "WORKDAY",
    "DayTables",
    "day_tables",
    "h0_shape",
]

WORKDAY, SATURDAY, SUNDAY = 0, 1, 2  # BDEW day types (public holidays use SUNDAY; 24/31 Dec use SATURDAY)
WINTER, TRANSITION, SUMMER = 0, 1, 2  # BDEW seasons
NIGHT_END_Q, NIGHT_START_Q = 24, 88  # 06:00 and 22:00 local as wall-clock quarter indices: the three day blocks


@dataclass(frozen=True)
class DayTables:
    """Tables shared by all meters, one row per local day from 2024-01-01 to 2049-12-31 (built once, ~2 MB)."""

    n_days: int
    start_q: I64  # (n+1,) quarter index (from ORIGIN) of each local midnight
    starts: list[int]  # the same as a list, for bisect
    nq: I64  # quarters in the local day: 92, 96 or 100
    wall: npt.NDArray[np.int16]  # (n, 100) wall-clock quarter (0…95) of each slot, −1 past nq
    daytype: npt.NDArray[np.int8]
    season: npt.NDArray[np.int8]
    workday: npt.NDArray[np.bool_]
    month: npt.NDArray[np.int8]
    bounds: list[tuple[int, int, int, int]]  # slot boundaries of the blocks 00–06, 06–22, 22–24
    temp: F64
    hdd: F64
    base_blk: F64  # (3, n) Wh of the H0 profile per kWh/a in blocks 00–06, 06–22, 22–24 (dynamised)
    heat_blk: F64  # (3, n) fraction of the day's heating energy in each block
    pv_day: F64  # Wh per kWp on a clear day
    cloud: F64  # national clearness factor 0.1…1
    year_starts: list[int]  # day index of each 1 January
    sc_row: I64  # offset of the day's (month, day type) row in sc_table.ravel()
    sc_table: F64  # (12, 3, G) self-consumption fraction of (load + pv) in block 06–22 vs x = pv / (load + pv)
    mean_hdd_year: float


SC_GRID: Final = 129
HEAT_SHAPE: Final = np.repeat(np.array([0.6] * 5 + [1.0, 1.5, 1.5, 1.3] + [1.0] * 8 + [1.3] * 5 + [1.1, 0.8]), 4)


def h0_shape(season: int, daytype: int) -> F64:
    return np.asarray(H0[season, daytype], dtype=np.float64)


def _season(day: dt.date) -> int:
    md = (day.month, day.day)
    if md >= (11, 1) or md <= (3, 20):
        return WINTER
    if (5, 15) <= md <= (9, 14):
        return SUMMER
    return TRANSITION


def _daytype(day: dt.date, public: Mapping[dt.date, str]) -> int:
    if day.weekday() == 6 or day in public:
        return SUNDAY
    if day.weekday() == 5 or (day.month == 12 and day.day in (24, 31)):
        return SATURDAY
    return WORKDAY


def _dynamisation(doy: F64) -> F64:
    """BDEW H0 dynamisation polynomial F(d), d = day of year."""
    return np.asarray(-3.92e-10 * doy**4 + 3.2e-7 * doy**3 - 7.02e-5 * doy**2 + 2.1e-3 * doy + 1.24, dtype=np.float64)


def _wall_of_day(start_utc: dt.datetime, nq: int) -> npt.NDArray[np.int16]:
    if nq == 96:
        return np.arange(96, dtype=np.int16)
    locals_ = [(start_utc + QUARTER * k).astimezone(LUX) for k in range(nq)]
    return np.array([t.hour * 4 + t.minute // 15 for t in locals_], dtype=np.int16)


@functools.cache
def day_tables() -> DayTables:
    """The tables of every local day of the horizon (built once per process, ~1 s)."""
    n = (HORIZON - DAY0).days
    dates = [DAY0 + dt.timedelta(days=i) for i in range(n + 1)]
    starts = [int((dt.datetime.combine(d, dt.time(0), LUX).astimezone(UTC) - ORIGIN) // QUARTER) for d in dates]
    start_q = np.array(starts, dtype=np.int64)
    nq = np.diff(start_q)
    public = holidays.country_holidays(HOLIDAYS_COUNTRY, years=range(DAY0.year, HORIZON.year))
    wall = np.full((n, 100), -1, dtype=np.int16)
    for i in range(n):
        wall[i, : nq[i]] = _wall_of_day(ORIGIN + QUARTER * starts[i], int(nq[i]))
    daytype = np.array([_daytype(d, public) for d in dates[:n]], dtype=np.int8)
    season = np.array([_season(d) for d in dates[:n]], dtype=np.int8)
    month = np.array([d.month for d in dates[:n]], dtype=np.int8)
    doy = np.array([d.timetuple().tm_yday for d in dates[:n]], dtype=np.float64)
    ordinals = np.array([d.toordinal() for d in dates[:n]], dtype=np.int64)
    temp = daily_temperatures()
    hdd = np.where(temp < 15.0, 20.0 - temp, 0.0)
    years = n / 365.2425
    valid = wall >= 0
    w = np.where(valid, wall, 0)
    block = np.where(w < NIGHT_END_Q, 0, np.where(w < NIGHT_START_Q, 1, 2))
    first_blocks = (((block == 0) & valid).sum(axis=1), ((block <= 1) & valid).sum(axis=1))
    shapes = np.stack([h0_shape(s, t) for s in range(3) for t in range(3)]).reshape(3, 3, 96)
    base = shapes[season[:, None], daytype[:, None], w] * valid * _dynamisation(doy)[:, None]
    base_blk = np.stack([(base * (block == j)).sum(axis=1) for j in range(3)])
    base_blk *= 1000.0 * years / base_blk.sum()  # Wh per kWh/a: one kWh per average year
    heat = HEAT_SHAPE[w] * valid
    heat_blk = np.stack([(heat * (block == j)).sum(axis=1) for j in range(3)])
    heat_blk /= heat_blk.sum(axis=0, keepdims=True)
    q = start_q[:n, None] + np.arange(100)[None, :]
    clear = clear_sky(q) * valid * (block == 1)
    pv_day = clear.sum(axis=1)
    cu = hash_lanes(counter_hash(stable_key("lu-clouds"), ordinals))
    season_clear = 0.52 - 0.2 * np.cos(2 * np.pi * (doy - 10.0) / 365.2425)
    cloud = np.clip(season_clear + 0.45 * (cu[:, 0] - 0.5) + 0.25 * (cu[:, 1] - 0.5), 0.08, 1.0)
    pv_day *= 950_000.0 * years / (pv_day * cloud).sum()  # ≈ 950 kWh/kWp/a in Luxembourg
    return DayTables(
        n_days=n,
        start_q=start_q,
        starts=starts,
        nq=nq,
        wall=wall,
        daytype=daytype,
        season=season,
        workday=daytype == WORKDAY,
        month=month,
        bounds=[(0, int(b0), int(b1), int(k)) for b0, b1, k in zip(first_blocks[0], first_blocks[1], nq, strict=True)],
        temp=temp,
        hdd=hdd,
        base_blk=base_blk,
        heat_blk=heat_blk,
        pv_day=pv_day,
        cloud=cloud,
        year_starts=[i for i, d in enumerate(dates[:n]) if d.month == 1 and d.day == 1],
        sc_row=((month.astype(np.int64) - 1) * 3 + daytype) * SC_GRID,
        sc_table=_sc_table(),
        mean_hdd_year=float(hdd.sum() / years),
    )


def _sc_table() -> F64:
    """Self-consumption fraction Σ min((1−x)·l, x·p) for the 06–22 block, per month and day type."""
    x = np.linspace(0.0, 1.0, SC_GRID)
    table = np.zeros((12, 3, SC_GRID))
    for m in range(12):
        day = dt.date(2025, m + 1, 15)
        q0 = int((dt.datetime.combine(day, dt.time(0), LUX).astimezone(UTC) - ORIGIN) // QUARTER)
        p = clear_sky(np.arange(q0 + NIGHT_END_Q, q0 + NIGHT_START_Q))
        p = p / p.sum()
        for t in range(3):
            shape = h0_shape(_season(day), t)[NIGHT_END_Q:NIGHT_START_Q]
            shape = shape / shape.sum()
            table[m, t] = np.minimum((1 - x)[:, None] * shape[None, :], x[:, None] * p[None, :]).sum(axis=1)
    return table
