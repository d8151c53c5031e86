"""Deterministic, seedable household and sub-meter models for the simulator: from (fleet seed, serial) each meter
gets :class:`HouseholdTraits` and models that give quarter-hour electricity intervals (A+, A−, R+, R−, BDEW H0 shape
with dynamisation, Luxembourg day types and DST, electric heating and heat pumps on heating degree days, EV charging,
PV with net metering), hourly gas/water/heat intervals, exact cumulative and TOU registers, voltages and currents,
meter events with IDIS/DSMR codes, and JSON fault scenarios with ground truth; everything is computed on demand from
counter-based hashes (no state grows with time, no clock is read, no I/O except the scenario file helpers), and the
integer interval values of a local day are a floor-of-cumulative split of exact integer block totals, so that
registers are a closed sum of day-level totals (vectorised over days) plus one partial day.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import functools
import hashlib
import json
import math
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo

import holidays
import numpy as np
import numpy.typing as npt

__all__ = [
    "ALARM_BITS",
    "EVENT_CODES",
    "MISSING",
    "MODEL_EPOCH",
    "ElectricityModel",
    "EventModel",
    "FaultScenario",
    "GasModel",
    "GroundTruthRecord",
    "HeatModel",
    "HourlyModel",
    "HouseholdTraits",
    "ScenarioError",
    "SimEvent",
    "WaterModel",
    "alarm_register_bits",
    "heating_degree_days",
    "sub_meter_models",
    "temperature_c",
]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
U64 = npt.NDArray[np.uint64]

LUX: Final = ZoneInfo("Europe/Luxembourg")
UTC: Final = dt.UTC
QUARTER: Final = dt.timedelta(minutes=15)
HOUR: Final = dt.timedelta(hours=1)
#: The models start here: registers hold their installation reading at this instant; earlier instants are refused.
MODEL_EPOCH: Final = dt.datetime(2024, 1, 1, tzinfo=UTC)
_DAY0: Final = dt.date(2024, 1, 1)  # local day 0 (starts 2023-12-31T23:00Z, i.e. quarter index 0)
_ORIGIN: Final = dt.datetime(2023, 12, 31, 23, tzinfo=UTC)
_EPOCH_Q: Final = 4  # MODEL_EPOCH as a quarter index from _ORIGIN
_END: Final = dt.date(2050, 1, 1)  # first local day beyond the horizon
_LAT: Final = math.radians(49.61)  # Luxembourg City
_LON_DEG: Final = 6.13
#: Reported value of an interval that a fault scenario removed (int64 arrays cannot hold None).
MISSING: Final = int(np.iinfo(np.int64).min)

WORKDAY, SATURDAY, SUNDAY = 0, 1, 2  # BDEW day types (public holidays use SUNDAY; 24/31 Dec use SATURDAY)
WINTER, TRANSITION, SUMMER = 0, 1, 2  # BDEW seasons
_NIGHT_END_Q, _NIGHT_START_Q = 24, 88  # 06:00 and 22:00 local as wall-clock quarter indices: the three day blocks

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
_H0_ARR: Final = np.array(_H0_TABLE, dtype=np.float64).reshape(3, 3, 96)


# ------------------------------------------------------------------------------------------------ hashing
_U64 = np.uint64
_GOLDEN: Final = _U64(0x9E3779B97F4A7C15)
_MIX1: Final = _U64(0xBF58476D1CE4E5B9)
_MIX2: Final = _U64(0x94D049BB133111EB)


def _splitmix(x: U64) -> U64:
    """splitmix64 finaliser, element-wise on uint64 arrays (wrapping arithmetic)."""
    x = x + _GOLDEN
    x = (x ^ (x >> _U64(30))) * _MIX1
    x = (x ^ (x >> _U64(27))) * _MIX2
    return x ^ (x >> _U64(31))


def _stable_key(*parts: object) -> int:
    """A 64-bit key from text parts (blake2b, stable across processes, unlike hash())."""
    digest = hashlib.blake2b(":".join(str(p) for p in parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _hash(key: int, index: npt.ArrayLike) -> U64:
    """Counter-based hash of (key, index) — the SplitMix64 output for stream ``key`` at position ``index``.

    The same index always gives the same bits, whatever window it is computed in.
    """
    x = np.asarray(index, dtype=np.int64).astype(np.uint64)
    x *= _GOLDEN
    x += _U64(key & 0xFFFFFFFFFFFFFFFF)
    x ^= x >> _U64(30)
    x *= _MIX1
    x ^= x >> _U64(27)
    x *= _MIX2
    x ^= x >> _U64(31)
    return x


_M64: Final = (1 << 64) - 1


def _lanes_scalar(key: int, index: int) -> tuple[float, float, float, float]:
    """``_lanes(_hash(key, [index]))[0]`` in plain integer arithmetic: the same four uniforms, without numpy's
    per-call overhead (event draws ask for one index at a time)."""
    x = ((index & _M64) * int(_GOLDEN) + (key & _M64)) & _M64
    x ^= x >> 30
    x = (x * int(_MIX1)) & _M64
    x ^= x >> 27
    x = (x * int(_MIX2)) & _M64
    x ^= x >> 31
    return (
        ((x & 0xFFFF) + 0.5) / 65536.0,
        (((x >> 16) & 0xFFFF) + 0.5) / 65536.0,
        (((x >> 32) & 0xFFFF) + 0.5) / 65536.0,
        (((x >> 48) & 0xFFFF) + 0.5) / 65536.0,
    )


def _lanes(h: U64) -> F64:
    """Four uniforms in (0, 1) from the 16-bit lanes of each hash: shape (..., 4)."""
    u = h.astype("<u8", copy=False).view("<u2").reshape(*h.shape, 4).astype(np.float64)
    u += 0.5
    u *= 1.0 / 65536.0
    return u


def _uniforms(key: int, lo: int, hi: int, lanes: int = 4) -> F64:
    """(hi − lo, 4 or 8) uniforms for the consecutive indices lo…hi−1 of stream ``key``."""
    h = _hash(key, np.arange(lo, hi, dtype=np.int64))
    if lanes == 8:  # a second, remixed word from the same counter
        h2 = (h ^ (h >> _U64(32))) * _MIX1
        h2 ^= h2 >> _U64(29)
        h = np.stack([h, h2], axis=1)
    return _lanes(h).reshape(hi - lo, lanes)


def _tri(u1: F64, u2: F64) -> F64:
    """Zero-mean, unit-variance triangular noise from two uniforms (no transcendental functions: bit-stable)."""
    return (u1 + u2 - 1.0) * math.sqrt(6.0)


# ------------------------------------------------------------------------------------------------ weather
def _temperature_series(ordinals: I64) -> F64:
    """Daily mean air temperature (°C) for date ordinals: seasonal cosine + smoothed deterministic day noise."""
    doy = (ordinals - dt.date(2000, 1, 1).toordinal()) % 365.2425
    seasonal = 9.8 - 8.4 * np.cos(2 * np.pi * (doy - 19.0) / 365.2425)
    key = _stable_key("lu-temperature")
    noise = np.zeros(ordinals.shape)
    for lag, weight in ((0, 0.5), (1, 0.3), (2, 0.2)):
        u = _lanes(_hash(key, ordinals - lag))
        noise += weight * _tri(u[..., 0], u[..., 1])
    weekly = _lanes(_hash(key ^ 0x5EED, ordinals // 7))
    return np.asarray(seasonal + 3.6 * noise + 1.5 * _tri(weekly[..., 0], weekly[..., 1]), dtype=np.float64)


def temperature_c(day: dt.date) -> float:
    """Synthetic daily mean temperature in Luxembourg (°C) — deterministic, shared by all meters (and the MDM)."""
    cal = _calendar()
    d = (day - _DAY0).days
    if 0 <= d < cal.n_days:
        return float(cal.temp[d])
    return float(_temperature_series(np.array([day.toordinal()], dtype=np.int64))[0])


def heating_degree_days(day: dt.date) -> float:
    """Heating degree days of a day, G20/15 (VDI 2067 / DIN 4108): 20 − T when the day mean T is below 15 °C."""
    t = temperature_c(day)
    return 20.0 - t if t < 15.0 else 0.0


def _clear_sky(q: npt.ArrayLike) -> F64:
    """Relative clear-sky PV power at the middle of UTC quarter indices ``q`` (sin(elevation)^1.2, Luxembourg)."""
    qa = np.asarray(q, dtype=np.float64)
    days = (qa + 4.5) / 96.0  # days since 2024-01-01T00:00Z (quarter 0 is 2023-12-31T23:00Z)
    doy = days % 365.2425
    decl = np.radians(23.44) * np.sin(2 * np.pi * (284.0 + doy) / 365.2425)
    utc_hours = (days % 1.0) * 24.0
    hour_angle = np.radians(15.0 * (utc_hours + _LON_DEG / 15.0 - 12.0))
    sin_elev = math.sin(_LAT) * np.sin(decl) + math.cos(_LAT) * np.cos(decl) * np.cos(hour_angle)
    return np.asarray(np.maximum(sin_elev, 0.0) ** 1.2, dtype=np.float64)


# ------------------------------------------------------------------------------------------------ calendar
@dataclass(frozen=True)
class _Calendar:
    """Tables shared by all meters, one row per local day from 2024-01-01 to 2049-12-31 (built once, ~2 MB)."""

    n_days: int
    start_q: I64  # (n+1,) quarter index (from _ORIGIN) of each local midnight
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


_SC_GRID: Final = 129
_HEAT_SHAPE: Final = np.repeat(np.array([0.6] * 5 + [1.0, 1.5, 1.5, 1.3] + [1.0] * 8 + [1.3] * 5 + [1.1, 0.8]), 4)


def _h0(season: int, daytype: int) -> F64:
    return np.asarray(_H0_ARR[season, daytype], dtype=np.float64)


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
def _calendar() -> _Calendar:
    n = (_END - _DAY0).days
    dates = [_DAY0 + dt.timedelta(days=i) for i in range(n + 1)]
    starts = [int((dt.datetime.combine(d, dt.time(0), LUX).astimezone(UTC) - _ORIGIN) // QUARTER) for d in dates]
    start_q = np.array(starts, dtype=np.int64)
    nq = np.diff(start_q)
    public = holidays.country_holidays("LU", years=range(_DAY0.year, _END.year))
    wall = np.full((n, 100), -1, dtype=np.int16)
    for i in range(n):
        wall[i, : nq[i]] = _wall_of_day(_ORIGIN + QUARTER * starts[i], int(nq[i]))
    daytype = np.array([_daytype(d, public) for d in dates[:n]], dtype=np.int8)
    season = np.array([_season(d) for d in dates[:n]], dtype=np.int8)
    month = np.array([d.month for d in dates[:n]], dtype=np.int8)
    doy = np.array([d.timetuple().tm_yday for d in dates[:n]], dtype=np.float64)
    ordinals = np.array([d.toordinal() for d in dates[:n]], dtype=np.int64)
    temp = _temperature_series(ordinals)
    hdd = np.where(temp < 15.0, 20.0 - temp, 0.0)
    years = n / 365.2425
    valid = wall >= 0
    w = np.where(valid, wall, 0)
    block = np.where(w < _NIGHT_END_Q, 0, np.where(w < _NIGHT_START_Q, 1, 2))
    first_blocks = (((block == 0) & valid).sum(axis=1), ((block <= 1) & valid).sum(axis=1))
    shapes = np.stack([_h0(s, t) for s in range(3) for t in range(3)]).reshape(3, 3, 96)
    base = shapes[season[:, None], daytype[:, None], w] * valid * _dynamisation(doy)[:, None]
    base_blk = np.stack([(base * (block == j)).sum(axis=1) for j in range(3)])
    base_blk *= 1000.0 * years / base_blk.sum()  # Wh per kWh/a: one kWh per average year
    heat = _HEAT_SHAPE[w] * valid
    heat_blk = np.stack([(heat * (block == j)).sum(axis=1) for j in range(3)])
    heat_blk /= heat_blk.sum(axis=0, keepdims=True)
    q = start_q[:n, None] + np.arange(100)[None, :]
    clear = _clear_sky(q) * valid * (block == 1)
    pv_day = clear.sum(axis=1)
    cu = _lanes(_hash(_stable_key("lu-clouds"), ordinals))
    season_clear = 0.52 - 0.2 * np.cos(2 * np.pi * (doy - 10.0) / 365.2425)
    cloud = np.clip(season_clear + 0.45 * (cu[:, 0] - 0.5) + 0.25 * (cu[:, 1] - 0.5), 0.08, 1.0)
    pv_day *= 950_000.0 * years / (pv_day * cloud).sum()  # ≈ 950 kWh/kWp/a in Luxembourg
    return _Calendar(
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
        sc_row=((month.astype(np.int64) - 1) * 3 + daytype) * _SC_GRID,
        sc_table=_sc_table(),
        mean_hdd_year=float(hdd.sum() / years),
    )


def _sc_table() -> F64:
    """Self-consumption fraction Σ min((1−x)·l, x·p) for the 06–22 block, per month and day type."""
    x = np.linspace(0.0, 1.0, _SC_GRID)
    table = np.zeros((12, 3, _SC_GRID))
    for m in range(12):
        day = dt.date(2025, m + 1, 15)
        q0 = int((dt.datetime.combine(day, dt.time(0), LUX).astimezone(UTC) - _ORIGIN) // QUARTER)
        p = _clear_sky(np.arange(q0 + _NIGHT_END_Q, q0 + _NIGHT_START_Q))
        p = p / p.sum()
        for t in range(3):
            shape = _h0(_season(day), t)[_NIGHT_END_Q:_NIGHT_START_Q]
            shape = shape / shape.sum()
            table[m, t] = np.minimum((1 - x)[:, None] * shape[None, :], x[:, None] * p[None, :]).sum(axis=1)
    return table


# ------------------------------------------------------------------------------------------------ traits
@dataclass(frozen=True)
class HouseholdTraits:
    """What a simulated household is: drawn once, deterministically, from (fleet seed, meter serial)."""

    seed: int
    serial: str
    key: int  # 64-bit stable key of (seed, serial): the root of every noise stream of this meter
    persons: int
    annual_kwh: float  # expected total electricity use (base + heating + heat pump + EV), 2 000–9 000
    base_kwh: float
    electric_heating: bool
    heating_kwh: float
    heat_pump: bool
    heat_pump_kwh: float
    ev_kw: float  # 0 (no EV), 3.7 or 11
    ev_kwh: float
    pv_kwp: float  # 0 when no PV
    reactive_ratio: float  # R+ as a fraction of A+ (0.1–0.3)
    gas: bool
    gas_m3_year: float
    water: bool
    water_l_person_day: float
    district_heat: bool
    heat_kwh_year: float
    install_years: float  # age of the meter at MODEL_EPOCH (sets the installation readings)

    @classmethod
    def draw(cls, seed: int, serial: str) -> HouseholdTraits:
        """Draw the traits of meter ``serial`` in fleet ``seed`` (numpy Philox seeded by a blake2b key)."""
        key = _stable_key("household", seed, serial)
        u: list[float] = np.random.Generator(np.random.Philox(key)).random(24).tolist()
        persons = 1 + int(np.searchsorted(np.cumsum([0.33, 0.32, 0.15, 0.14, 0.06]), u[0]))
        base = (1300.0 + 820.0 * persons) * (0.75 + 0.5 * u[1])
        heating_source = u[2]  # one main heating per home: HP 8 %, electric 6 %, district 5 %, gas 30 %, other
        heat_pump = heating_source < 0.08
        electric = 0.08 <= heating_source < 0.14
        district = 0.14 <= heating_source < 0.19
        gas = 0.19 <= heating_source < 0.49
        heating_kwh = (2000.0 + 2500.0 * u[3]) if electric else 0.0
        hp_kwh = (2200.0 + 2600.0 * u[4]) if heat_pump else 0.0
        ev_kw = 0.0 if u[5] >= 0.10 else (11.0 if u[6] < 0.4 else 3.7)
        ev_kwh = (1500.0 + 1700.0 * u[7]) if ev_kw else 0.0
        total = base + heating_kwh + hp_kwh + ev_kwh
        annual = min(max(total, 2000.0), 9000.0)
        scale = annual / total
        size = persons + 2 * u[8]
        return cls(
            seed=seed,
            serial=serial,
            key=key,
            persons=persons,
            annual_kwh=annual,
            base_kwh=base * scale,
            electric_heating=electric,
            heating_kwh=heating_kwh * scale,
            heat_pump=heat_pump,
            heat_pump_kwh=hp_kwh * scale,
            ev_kw=ev_kw,
            ev_kwh=ev_kwh * scale,
            pv_kwp=round(3.0 + 7.0 * u[10], 1) if u[9] < 0.20 else 0.0,
            reactive_ratio=0.10 + 0.20 * u[11],
            gas=gas,
            gas_m3_year=(700.0 + 260.0 * size) * (0.8 + 0.4 * u[12]),
            water=u[13] < 0.40,
            water_l_person_day=105.0 + 40.0 * u[14],
            district_heat=district,
            heat_kwh_year=(6000.0 + 2200.0 * size) * (0.8 + 0.4 * u[15]),
            install_years=0.2 + 7.5 * u[16],
        )


# ------------------------------------------------------------------------------------------------ day engine
def _check_time(t: dt.datetime, step: dt.timedelta) -> int:
    """Quarter index of an aligned aware instant within the horizon, else ValueError."""
    if t.tzinfo is None:
        raise ValueError(f"{t!r}: a timezone-aware datetime is required")
    delta = t - _ORIGIN
    if delta % step:
        raise ValueError(f"{t.isoformat()} is not aligned to {int(step.total_seconds() // 60)} min UTC")
    q = int(delta // QUARTER)
    if q < _EPOCH_Q:
        raise ValueError(f"{t.isoformat()} is before the model epoch {MODEL_EPOCH.isoformat()}")
    if q > int(_calendar().start_q[-1]):
        raise ValueError(f"{t.isoformat()} is beyond the model horizon {_END.isoformat()}")
    return q


def _distribute(totals: I64, weights: F64, bounds: Sequence[int]) -> I64:
    """Split integer block totals (C, B) over slots (n, C) in proportion to weights, exactly, by floor of cumsums.

    ``bounds`` are the B+1 slot boundaries of the contiguous blocks. Every block's values sum exactly to its total
    (the last slot of a block has relative cumulative weight x/x = 1.0 exactly); blocks with no weight are split
    evenly.
    """
    n = weights.shape[0]
    cum = np.zeros((n + 1, weights.shape[1]))
    np.cumsum(weights, axis=0, out=cum[1:])
    sizes = np.diff(np.asarray(bounds))
    block = np.repeat(np.arange(len(sizes)), sizes)
    s = np.asarray(bounds[:-1])[block]
    e = np.asarray(bounds[1:])[block]
    span = cum[e] - cum[s]
    rel = cum[1:] - cum[s]
    empty = span <= 0
    if empty.any():
        even = ((np.arange(1, n + 1) - s) / (e - s))[:, None]
        rel = np.where(empty, even, rel)
        span = np.where(empty, 1.0, span)
    part = np.floor(totals.T[block] * (rel / span)).astype(np.int64)
    running = np.concatenate([np.zeros((1, totals.shape[0]), np.int64), np.cumsum(totals.T, axis=0)[:-1]])
    cum_int = np.zeros((n + 1, totals.shape[0]), dtype=np.int64)
    cum_int[1:] = running[block] + part
    return np.diff(cum_int, axis=0)


class _DayModel:
    """Common machinery: integer day-block totals (vectorised over days) and their exact split over slots."""

    step: dt.timedelta = QUARTER
    channels: int = 1
    _q_per_slot: int = 1
    _lru_size: Final = 8  # bounded per-instance cache of whole days of slot values (≤ 8 × 100 × 4 int64 = 25 kB)

    def __init__(self, traits: HouseholdTraits) -> None:
        self.traits = traits
        self._days: OrderedDict[int, I64] = OrderedDict()
        self._epoch_offset: I64 | None = None
        # Σ of block totals before each year's first local day (≤ 26 entries of (C, B + 1) floats: bounded).
        self._year_prefix: dict[int, F64] = {}
        self._day_prefix: OrderedDict[int, F64] = OrderedDict()

    # subclasses
    def _blocks(self, lo: int, hi: int) -> F64:
        """Integer-valued (floored) block totals of the local days lo…hi−1: (C, B, hi − lo) float64."""
        raise NotImplementedError

    def _split(self, day: int) -> tuple[F64, F64, Sequence[int]]:
        """(block totals (C, B), slot weights (slots, C), block bounds) of one local day."""
        raise NotImplementedError

    def _base(self) -> I64:
        """The installation reading at MODEL_EPOCH."""
        raise NotImplementedError

    # engine
    def _day(self, day: int) -> I64:
        cached = self._days.get(day)
        if cached is not None:
            self._days.move_to_end(day)
            return cached
        totals, weights, bounds = self._split(day)
        values = _distribute(totals.astype(np.int64), weights, bounds)
        self._days[day] = values
        if len(self._days) > self._lru_size:
            self._days.popitem(last=False)
        return values

    def _locate(self, q: int) -> tuple[int, int]:
        """(local day, slot within the day) of a quarter index."""
        cal = _calendar()
        d = bisect.bisect_right(cal.starts, q) - 1
        return d, (q - cal.starts[d]) // self._q_per_slot

    def _window(self, start_utc: dt.datetime, n: int) -> I64:
        if n < 0:
            raise ValueError("n must be ≥ 0")
        q = _check_time(start_utc, self.step)
        d, slot = self._locate(q)
        parts: list[I64] = []
        have = 0
        while have < n + slot:
            if d >= _calendar().n_days:
                raise ValueError(f"window beyond the model horizon {_END.isoformat()}")
            values = self._day(d)
            parts.append(values)
            have += len(values)
            d += 1
        if not parts:
            return np.zeros((0, self.channels), dtype=np.int64)
        return np.concatenate(parts)[slot : slot + n] if len(parts) > 1 else parts[0][slot : slot + n]

    def _sums(self, lo: int, hi: int) -> F64:
        """(C, B + 1): Σ over days lo…hi−1 of each block total, and of block 1 on workdays (for TOU)."""
        blocks = self._blocks(lo, hi)
        out = np.zeros((blocks.shape[0], blocks.shape[1] + 1))
        if hi > lo:
            out[:, :-1] = blocks.sum(axis=2)
            out[:, -1] = (blocks[:, min(1, blocks.shape[1] - 1)] * _calendar().workday[lo:hi]).sum(axis=1)
        return out

    def _prefix(self, d: int) -> F64:
        """_sums(0, d): from a small per-day LRU (a daily read asks for the same few days again and again),
        else incrementally from a cached day up to a week before, else from the per-year memo."""
        cached = self._day_prefix.get(d)
        if cached is not None:
            self._day_prefix.move_to_end(d)
            return cached
        near = [k for k in self._day_prefix if d - self._lru_size <= k < d]
        if near:
            k = max(near)
            value = self._day_prefix[k] + self._sums(k, d)
        else:
            value = self._year_based_prefix(d)
        self._day_prefix[d] = value
        if len(self._day_prefix) > self._lru_size:
            self._day_prefix.popitem(last=False)
        return value

    def _year_based_prefix(self, d: int) -> F64:
        """_sums(0, d), from a per-year memo: only the days since the last 1 January are summed."""
        cal = _calendar()
        year = bisect.bisect_right(cal.year_starts, d) - 1
        y0 = cal.year_starts[year]
        memo = self._year_prefix.get(y0)
        if memo is None:
            memo = self._year_prefix[y0] = self._sums(0, y0)
        return memo + self._sums(y0, d)

    def _cumulative(self, q: int) -> I64:
        """Σ of all slot values from local day 0 up to quarter index q (exclusive)."""
        d, slot = self._locate(q)
        full = self._prefix(d)[:, :-1].sum(axis=1)
        return np.asarray(full.astype(np.int64) + self._day(d)[:slot].sum(axis=0), dtype=np.int64)

    def _register(self, t_utc: dt.datetime) -> I64:
        q = _check_time(t_utc, self.step)
        if self._epoch_offset is None:
            self._epoch_offset = self._cumulative(_EPOCH_Q)
        return np.asarray(self._base() + self._cumulative(q) - self._epoch_offset, dtype=np.int64)


# ------------------------------------------------------------------------------------------------ electricity
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


_BLOCK_OF_WALL: Final = np.repeat(
    np.array([0, 1, 2]), [_NIGHT_END_Q, _NIGHT_START_Q - _NIGHT_END_Q, 96 - _NIGHT_START_Q]
)
_SQRT6: Final = math.sqrt(6.0)


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


def _slot_noise(key: int, q0: int, n: int) -> tuple[F64, F64]:
    """(persistent unit-variance noise (n,), uniforms (n, 4)) of the quarter indices q0…q0+n−1 of stream ``key``.

    The noise at quarter q is the kernel applied to the white triangular noise of lanes 0 and 1 at quarters
    q−31…q, so a day needs only the 31 quarters before it (random access by day; no state carried over).
    """
    u = _uniforms(key, q0 - _NOISE_TAPS + 1, q0 + n)
    white = u[:, 0] + u[:, 1]
    white -= 1.0
    white *= _SQRT6
    return np.convolve(white, _NOISE_KERNEL, mode="valid"), u[_NOISE_TAPS - 1 :]


class ElectricityModel(_DayModel):
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
        self._k_day = _stable_key("elec-day", traits.key)
        self._k_slot = _stable_key("elec-slot", traits.key)
        cal = _calendar()
        self._heat_wh_per_hdd = (traits.heating_kwh + traits.heat_pump_kwh) * 1000.0 / cal.mean_hdd_year
        self._tou_epoch: I64 | None = None
        self._ev_p = min(0.95, traits.ev_kwh / (365.2425 * 12.0)) if traits.ev_kw else 0.0

    # --- public API
    def intervals(self, start_utc: dt.datetime, n: int) -> I64:
        """Energy per quarter hour, shape (n, 4) int64: A+ Wh, A− Wh, R+ varh, R− varh, from ``start_utc``."""
        return self._window(start_utc, n)

    def register(self, t_utc: dt.datetime) -> I64:
        """Cumulative 1.0.1.8.0 / 1.0.2.8.0 / 1.0.3.8.0 / 1.0.4.8.0 at quarter-aligned ``t_utc``, shape (4,)."""
        return self._register(t_utc)

    def noiseless_shape(self, start_utc: dt.datetime, n: int) -> F64:
        """A+ slot weights of ``n`` quarter hours from ``start_utc`` with the per-quarter noise switched off (the
        day-level draws — EV session, heating, PV yield — kept). Within a day block the A+ values are in
        proportion to their weights, so these are what an oracle knowing the model's shape would spread a gap's
        energy by: for benchmarks (the VEE benchmark's bound), never for estimation."""
        q = _check_time(start_utc, QUARTER)
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
        q = _check_time(t_utc, QUARTER)
        if self._epoch_offset is None:
            self._epoch_offset = self._cumulative(_EPOCH_Q)
        if self._tou_epoch is None:
            self._tou_epoch = self._tou_cumulative(_EPOCH_Q)
        now = self._tou_cumulative(q) - self._tou_epoch
        base = self._base()
        b1 = np.floor(base[:2] * np.array([0.42, 0.25])).astype(np.int64)  # installation readings split T1/T2
        return np.array([b1[0], base[0] - b1[0], b1[1], base[1] - b1[1]], dtype=np.int64) + now

    def voltages(self, t_utc: dt.datetime) -> F64:
        """L1–L3 voltages (V, 1.0.32/52/72.7.0) for the quarter hour: 230 V ± feeder position, load and noise.

        10-min-like values stay within EN 50160's Un ± 10 % (207–253 V); sags/swells are events (EventModel).
        """
        q = _check_time(t_utc, QUARTER)
        cal = _calendar()
        d, slot = self._locate(q)
        wall = int(cal.wall[d, slot])
        u = _lanes(_hash(self._k_slot ^ 0x7017, np.array([q, q | (1 << 40)])))
        position = (_lanes(_hash(self.traits.key, np.array([0x7061])))[0, :3] - 0.5) * 12.0
        evening = -3.0 if 68 <= wall < 84 else 0.0
        midday_pv = 3.0 * float(_clear_sky(np.array([q]))[0]) * (4 <= cal.month[d] <= 9)
        noise = (u[0, :3] + u[1, :3] - 1.0) * _SQRT6 * 1.2
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
        cal, t = _calendar(), self.traits
        n = hi - lo
        u = _uniforms(self._k_day, lo, hi, 8 if (self._ev_p or t.pv_kwp) else 4)
        f = u[:, 0] + u[:, 1]
        f -= 1.0
        f *= 0.12 * _SQRT6 * t.base_kwh
        f += t.base_kwh
        base = cal.base_blk[:, lo:hi] * f
        load = base
        heat = np.zeros(n)
        if self._heat_wh_per_hdd:
            heat = self._heat_wh_per_hdd * cal.hdd[lo:hi] * (1.0 + 0.1 * _SQRT6 * (u[:, 2] + u[:, 3] - 1.0))
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
                pv = t.pv_kwp * cal.pv_day[lo:hi] * cal.cloud[lo:hi] * (1.0 + 0.08 * _SQRT6 * (v[:, 3] + u[:, 0] - 1.0))
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
        in_day = np.minimum(energy, per_q * np.maximum(_NIGHT_START_Q - start, 0))
        load = load.copy()
        load[1] += in_day
        load[2] += energy - in_day
        return start, energy, load

    @staticmethod
    def _self_consumption(lo: int, hi: int, load: F64, pv: F64) -> F64:
        """Self-consumed PV in block 06–22: (load + pv) × table(month, day type)[pv / (load + pv)], interpolated."""
        cal = _calendar()
        both = load + pv
        x = pv / np.where(both > 0, both, 1.0)
        x *= _SC_GRID - 1
        i = np.minimum(x.astype(np.int64), _SC_GRID - 2)
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
        cal, t = _calendar(), self.traits
        p = self._parts(day, day + 1)
        nq = int(cal.nq[day])
        wall = cal.wall[day, :nq]
        q0 = cal.starts[day]
        noise, u = _slot_noise(self._k_slot, q0, nq) if noisy else (np.zeros(nq), np.full((nq, 4), 0.5))
        block = _BLOCK_OF_WALL[wall]
        shape = _H0_ARR[cal.season[day], cal.daytype[day]][wall]
        shape = shape * np.maximum(1.0 + 0.28 * noise, 0.2)
        load = self._spread(p.base[:, 0], shape, block)
        if p.heat[0]:
            load += self._spread(p.heat[0] * cal.heat_blk[:, day], _HEAT_SHAPE[wall] * (0.95 + 0.1 * u[:, 2]), block)
        if p.ev_start[0] >= 0:
            load += self._ev_slots(wall, int(p.ev_start[0]), float(p.ev[0]))
        weights = np.empty((nq, 4))
        if t.pv_kwp:
            cloud = float(cal.cloud[day])
            clear = _clear_sky(np.arange(q0, q0 + nq)) * (block == 1) * (1.0 + (1.0 - cloud) * (1.8 * u[:, 3] - 0.9))
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
        cal = _calendar()
        d, slot = self._locate(q)
        prefix = self._prefix(d)[:2]  # A+ and A−
        t2 = prefix[:, -1].astype(np.int64)
        t1 = prefix[:, :-1].sum(axis=1).astype(np.int64) - t2
        values = self._day(d)[:slot, :2]
        day_rate = (_BLOCK_OF_WALL[cal.wall[d, :slot]] == 1) & bool(cal.workday[d])
        t2 = t2 + values[day_rate].sum(axis=0)
        t1 = t1 + values[~day_rate].sum(axis=0)
        return np.array([t1[0], t2[0], t1[1], t2[1]], dtype=np.int64)


# ------------------------------------------------------------------------------------------------ sub-meters
class HourlyModel(_DayModel):
    """An M-Bus sub-meter: hourly consumption (one channel), exact cumulative register (OBIS 0.b.24.2.1)."""

    step = HOUR
    channels = 1
    _q_per_slot = 4
    medium: str = ""
    _noise: float = 0.15

    def __init__(self, traits: HouseholdTraits) -> None:
        super().__init__(traits)
        self._k_day = _stable_key(self.medium, "day", traits.key)
        self._k_slot = _stable_key(self.medium, "slot", traits.key)

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
        total = self._day_total(lo, hi, _uniforms(self._k_day, lo, hi))
        return np.floor(np.maximum(total, 0.0))[None, None, :]

    def _split(self, day: int) -> tuple[F64, F64, Sequence[int]]:
        cal = _calendar()
        hours = cal.wall[day, : int(cal.nq[day]) : 4] // 4
        h0 = cal.starts[day] // 4
        u = _uniforms(self._k_slot, h0, h0 + len(hours))
        w = self._hour_shape(day)[hours] * np.maximum(1.0 + self._noise * _SQRT6 * (u[:, 0] + u[:, 1] - 1.0), 0.05)
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
        cal = _calendar()
        annual = self._annual()
        dhw = annual * self._dhw_share / 365.2425 * (1.0 + 0.15 * _tri(u[:, 0], u[:, 1]))
        space = (
            annual * (1 - self._dhw_share) / cal.mean_hdd_year * cal.hdd[lo:hi] * (1.0 + 0.1 * _tri(u[:, 2], u[:, 3]))
        )
        return np.asarray(dhw + space, dtype=np.float64)

    def _hour_shape(self, day: int) -> F64:
        hdd = float(_calendar().hdd[day])
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
        cal = _calendar()
        weekend = np.where(cal.workday[lo:hi], 1.0, 1.12)
        summer = np.where((cal.month[lo:hi] >= 6) & (cal.month[lo:hi] <= 8), 1.1, 0.97)
        per_day = self.traits.persons * self.traits.water_l_person_day
        return np.asarray(per_day * weekend * summer * (1.0 + 0.2 * _tri(u[:, 0], u[:, 1])), dtype=np.float64)

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


# ------------------------------------------------------------------------------------------------ events
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
        self._keys = {kind: _stable_key("event", kind, traits.key) for kind in _RATES}

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
        u = _lanes_scalar(self._keys[kind], day)
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
                u = _lanes_scalar(self._keys[kind] ^ ch, day)
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


# ------------------------------------------------------------------------------------------------ fault scenarios
class ScenarioError(ValueError):
    """A malformed fault scenario; the message starts with the JSON path of the bad field."""


FAULT_TYPES: Final = ("communication_loss", "missing_intervals", "spike", "negative", "stuck_register", "clock_shift")
#: Channels of fault scenarios: 1–4 = electricity A+, A−, R+, R− (the OBIS C field, 1/4 h);
#: 101–104 = M-Bus channel 1–4 (hourly).
_ELECTRICITY_CHANNELS: Final = (1, 2, 3, 4)


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
        return _stable_key("fault", self.seed, serial) / 2**64 < self.fraction

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


def _number(params: Mapping[str, Any], name: str, default: float, path: str) -> float:
    v = params.get(name, default)
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ScenarioError(f"{path}.{name}: expected a number, got {v!r}")
    return float(v)


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
    if not isinstance(channels, list) or not channels or not all(c in valid and type(c) is int for c in channels):
        raise ScenarioError(f"{ppath}.channels: expected a non-empty list of 1–4 (electricity) or 101–104 (M-Bus)")
    value = _number(params, "value", 100_000, ppath)
    if value <= 0 or value != int(value):
        raise ScenarioError(f"{ppath}.value: expected a positive integer, got {params.get('value')!r}")
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
    return t - (t - _ORIGIN) % step


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
