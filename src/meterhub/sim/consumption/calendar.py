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

# BDEW/VDEW 1999 H0 (households) static profile, mean power in 0.01 W per 1,000 kWh/a, per wall-clock quarter hour
# 00:00…23:45; rows winter/transition/summer × workday/Saturday/Sunday+holiday. Derived from demandlib 0.2.2
# (MIT) bdew_data/selp_series.csv column h0 (Mon–Fri rows are identical there); see /work/shared/ref.
# fmt: off
_H0_TABLE: Final[tuple[int, ...]] = (
    # winter workday
    6760, 6084, 5488, 4992, 4624, 4364, 4192, 4080, 4008, 3964, 3936, 3912, 3884, 3856, 3836, 3828,
    3844, 3880, 3932, 3996, 4088, 4308, 4764, 5576, 6800, 8280, 9804, 11152, 12164, 12852, 13272, 13484,
    13544, 13476, 13312, 13068, 12772, 12456, 12156, 11904, 11724, 11620, 11572, 11568, 11604, 11700, 11872, 12152,
    12540, 12956, 13304, 13484, 13424, 13172, 12804, 12400, 12024, 11684, 11364, 11068, 10792, 10544, 10356, 10236,
    10216, 10316, 10564, 10988, 11600, 12372, 13264, 14232, 15236, 16220, 17124, 17896, 18476, 18820, 18892, 18644,
    18068, 17272, 16392, 15564, 14892, 14340, 13840, 13316, 12720, 12048, 11328, 10572, 9796, 9020, 8248, 7492,
    # winter saturday
    7084, 6816, 6592, 6324, 5948, 5496, 5044, 4660, 4396, 4228, 4136, 4080, 4032, 3988, 3948, 3912,
    3876, 3848, 3832, 3828, 3848, 3908, 4032, 4244, 4564, 4992, 5524, 6160, 6892, 7708, 8608, 9572,
    10584, 11580, 12488, 13232, 13764, 14112, 14332, 14484, 14604, 14720, 14844, 14980, 15148, 15352, 15600, 15896,
    16240, 16576, 16844, 16980, 16940, 16756, 16476, 16148, 15812, 15488, 15180, 14900, 14652, 14444, 14276, 14148,
    14084, 14168, 14488, 15148, 16192, 17460, 18736, 19808, 20516, 20912, 21112, 21224, 21320, 21300, 21036, 20392,
    19292, 17900, 16444, 15148, 14188, 13532, 13100, 12816, 12608, 12408, 12164, 11820, 11336, 10740, 10084, 9404,
    # winter sunday
    8744, 8112, 7500, 6908, 6344, 5820, 5364, 4992, 4728, 4548, 4424, 4328, 4236, 4148, 4068, 3996,
    3932, 3884, 3848, 3828, 3828, 3840, 3868, 3912, 3968, 4040, 4132, 4244, 4400, 4660, 5108, 5828,
    6860, 8132, 9516, 10904, 12192, 13372, 14440, 15396, 16256, 17048, 17804, 18560, 19332, 20060, 20664, 21056,
    21180, 21020, 20588, 19892, 18956, 17872, 16732, 15648, 14696, 13888, 13212, 12652, 12196, 11816, 11476, 11152,
    10832, 10588, 10524, 10736, 11288, 12088, 13004, 13900, 14680, 15352, 15968, 16564, 17156, 17644, 17904, 17812,
    17288, 16472, 15556, 14732, 14140, 13720, 13372, 12984, 12480, 11860, 11160, 10404, 9624, 8840, 8068, 7324,
    # transition workday
    7776, 6956, 6240, 5660, 5248, 4972, 4788, 4660, 4552, 4456, 4380, 4328, 4304, 4300, 4312, 4328,
    4344, 4372, 4416, 4496, 4628, 4892, 5376, 6160, 7288, 8632, 10008, 11236, 12180, 12848, 13292, 13568,
    13716, 13772, 13768, 13732, 13692, 13640, 13572, 13484, 13368, 13244, 13136, 13068, 13064, 13152, 13364, 13732,
    14260, 14824, 15280, 15480, 15324, 14892, 14316, 13732, 13240, 12836, 12484, 12152, 11816, 11484, 11172, 10904,
    10692, 10568, 10544, 10652, 10908, 11304, 11836, 12484, 13240, 14060, 14908, 15732, 16488, 17108, 17516, 17644,
    17456, 17048, 16568, 16148, 15888, 15720, 15540, 15232, 14720, 14024, 13208, 12320, 11404, 10484, 9564, 8656,
    # transition saturday
    8020, 7508, 7072, 6660, 6228, 5800, 5404, 5076, 4840, 4676, 4568, 4496, 4436, 4388, 4352, 4328,
    4312, 4308, 4312, 4328, 4356, 4420, 4540, 4744, 5052, 5488, 6072, 6824, 7748, 8788, 9864, 10904,
    11844, 12668, 13384, 13984, 14476, 14884, 15236, 15564, 15892, 16204, 16488, 16728, 16916, 17076, 17252, 17480,
    17772, 18076, 18312, 18396, 18272, 17980, 17584, 17144, 16716, 16308, 15924, 15564, 15232, 14944, 14716, 14564,
    14504, 14540, 14668, 14900, 15224, 15644, 16148, 16728, 17376, 18040, 18672, 19228, 19652, 19900, 19940, 19724,
    19236, 18524, 17664, 16728, 15796, 14952, 14288, 13900, 13828, 13916, 13952, 13732, 13108, 12192, 11148, 10156,
    # transition sunday
    9340, 8684, 8116, 7576, 7012, 6448, 5928, 5492, 5172, 4944, 4784, 4660, 4552, 4456, 4380, 4328,
    4308, 4308, 4316, 4328, 4328, 4324, 4324, 4328, 4352, 4432, 4604, 4912, 5388, 6044, 6884, 7908,
    9108, 10428, 11800, 13152, 14416, 15556, 16532, 17312, 17880, 18312, 18700, 19144, 19700, 20304, 20848, 21224,
    21348, 21180, 20700, 19892, 18764, 17464, 16168, 15064, 14280, 13756, 13388, 13068, 12708, 12312, 11900, 11484,
    11100, 10776, 10556, 10488, 10596, 10880, 11320, 11904, 12600, 13368, 14152, 14900, 15552, 16060, 16360, 16396,
    16144, 15708, 15220, 14816, 14588, 14472, 14360, 14148, 13752, 13184, 12472, 11652, 10760, 9836, 8924, 8072,
    # summer workday
    8636, 7696, 6884, 6244, 5804, 5528, 5360, 5244, 5136, 5024, 4924, 4828, 4744, 4684, 4656, 4660,
    4712, 4800, 4924, 5076, 5264, 5564, 6052, 6824, 7920, 9196, 10476, 11568, 12344, 12856, 13200, 13484,
    13780, 14072, 14320, 14484, 14532, 14488, 14376, 14232, 14080, 13948, 13852, 13816, 13864, 14008, 14264, 14648,
    15152, 15672, 16076, 16232, 16048, 15608, 15020, 14400, 13844, 13360, 12936, 12568, 12244, 11964, 11740, 11568,
    11464, 11424, 11460, 11568, 11760, 12032, 12388, 12816, 13324, 13892, 14504, 15148, 15796, 16380, 16828, 17064,
    17040, 16832, 16528, 16232, 16012, 15844, 15684, 15480, 15192, 14788, 14256, 13568, 12720, 11748, 10708, 9656,
    # summer saturday
    8984, 8488, 8072, 7656, 7172, 6656, 6160, 5744, 5448, 5256, 5144, 5076, 5032, 5004, 4988, 4992,
    5012, 5040, 5064, 5076, 5076, 5088, 5160, 5328, 5620, 6040, 6584, 7240, 8004, 8848, 9740, 10652,
    11560, 12440, 13280, 14068, 14780, 15396, 15892, 16232, 16408, 16472, 16500, 16564, 16712, 16944, 17236, 17560,
    17896, 18184, 18372, 18396, 18216, 17868, 17412, 16896, 16376, 15884, 15464, 15148, 14956, 14856, 14800, 14732,
    14624, 14504, 14416, 14400, 14492, 14696, 15000, 15396, 15876, 16400, 16920, 17396, 17780, 18052, 18180, 18144,
    17928, 17564, 17096, 16564, 16012, 15504, 15112, 14900, 14892, 14960, 14936, 14648, 13980, 13028, 11952, 10904,
    # summer sunday
    10008, 9252, 8592, 7992, 7412, 6868, 6388, 5992, 5700, 5496, 5352, 5244, 5152, 5076, 5024, 4992,
    4992, 5000, 5008, 4992, 4948, 4892, 4840, 4828, 4868, 4984, 5188, 5492, 5920, 6488, 7224, 8156,
    9288, 10564, 11904, 13232, 14484, 15616, 16600, 17396, 17996, 18460, 18872, 19308, 19828, 20376, 20868, 21224,
    21372, 21276, 20904, 20224, 19244, 18088, 16920, 15896, 15140, 14596, 14160, 13732, 13240, 12700, 12156, 11652,
    11224, 10888, 10668, 10572, 10612, 10776, 11044, 11404, 11836, 12340, 12916, 13568, 14280, 14976, 15572, 15980,
    16136, 16084, 15896, 15648, 15396, 15156, 14932, 14732, 14544, 14300, 13920, 13316, 12444, 11380, 10248, 9156,
)
# fmt: on
H0: Final = np.array(_H0_TABLE, dtype=np.float64).reshape(3, 3, 96)


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
