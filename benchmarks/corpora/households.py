"""An independent household generator for the VEE benchmark: appliance events and a heating model, not our simulator.

:mod:`meterhub.sim` builds a home's load as the BDEW H0 profile times persistent noise plus a few block loads.
This generator shares no code and no idea with it: a home is a set of people with a daily schedule (wake, leave,
return, sleep, drawn per day) and appliances that run as *events* at one-minute resolution — fridge and freezer
compressor cycles, standby, lighting when someone is awake at home after dusk, kettle, cooktop and oven around
meals, washing machine and dishwasher runs (heating phase, then motor), TV and computers, in some homes an EV
charging session after the evening return or an air-source heat pump cycling with the outdoor temperature.
Gas homes heat with a condensing boiler: heat demand from a building's loss coefficient against the outdoor
temperature (its own weather: a spring warming trend, day-to-day anomalies as an AR(1) process, a diurnal cycle),
a thermostat with a night set-back and a morning recovery boost, internal and solar gains, plus domestic hot
water draws (showers, dishes) — metered in litres per hour. Everything follows the local wall clock, so the
spring DST day has 23 hours. Deterministic per seed (``numpy.random.default_rng``).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

_ZONE = ZoneInfo("Europe/Luxembourg")

F64 = npt.NDArray[np.float64]
MIN_PER_DAY = 1440
GAS_KWH_PER_M3 = 10.5  # upper heating value of Luxembourg H-gas, roughly
BOILER_EFFICIENCY = 0.92
LATITUDE = 49.6


@dataclass(frozen=True)
class Weather:
    """Daily mean outdoor temperature (°C) of consecutive days, with an hourly diurnal cycle."""

    first: dt.date
    daily: F64

    @classmethod
    def draw(cls, first: dt.date, days: int, seed: int) -> Weather:
        rng = np.random.default_rng(seed)
        doy = np.array([(first + dt.timedelta(days=k)).timetuple().tm_yday for k in range(days)], dtype=np.float64)
        seasonal = 10.0 - 8.5 * np.cos(2 * np.pi * (doy - 25) / 365.0)  # ≈ 1.5 °C late January, ≈ 18.5 °C late July
        anomaly = np.zeros(days)
        for k in range(days):
            anomaly[k] = (0.75 * anomaly[k - 1] if k else 0.0) + rng.normal(0.0, 2.2)
        return cls(first, seasonal + anomaly)

    def mean(self, day: dt.date) -> float:
        """The day's mean temperature (NaN outside the drawn days)."""
        k = (day - self.first).days
        return float(self.daily[k]) if 0 <= k < self.daily.size else float("nan")

    def minutes(self, day: int, wall_minutes: npt.NDArray[np.int64]) -> F64:
        """Outdoor temperature at the given wall-clock minutes of day ``day`` (coldest ≈ 05:00, warmest ≈ 15:00)."""
        hour = wall_minutes / 60.0
        return np.asarray(self.daily[day] + 4.0 * np.cos(2 * np.pi * (hour - 15.0) / 24.0), dtype=np.float64)


def _wall_minutes(day: dt.date) -> npt.NDArray[np.int64]:
    """The wall-clock minutes a local day has: 23 h on the spring DST day, 25 h (02:xx twice) in autumn."""
    minutes = np.arange(MIN_PER_DAY, dtype=np.int64)
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=_ZONE)
    following = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=_ZONE)
    hours = (following.timestamp() - midnight.timestamp()) / 3600
    if hours == 23:
        return minutes[(minutes < 120) | (minutes >= 180)]
    if hours == 25:
        return np.concatenate((minutes[:180], minutes[120:]))
    return minutes


def _dusk_dawn(day: dt.date) -> tuple[float, float]:
    """Sunrise and sunset in local wall-clock hours (a plain solar-declination formula, CET/CEST)."""
    doy = day.timetuple().tm_yday
    decl = math.radians(23.44) * math.sin(2 * math.pi * (284 + doy) / 365.0)
    cos_h = -math.tan(math.radians(LATITUDE)) * math.tan(decl)
    half = math.degrees(math.acos(max(-1.0, min(1.0, cos_h)))) / 15.0
    noon = 12.0 + 0.6  # 6° E: solar noon ≈ 12:36 CET
    offset = dt.datetime.combine(day, dt.time(12), tzinfo=_ZONE).utcoffset() or dt.timedelta(hours=1)
    shift = offset.total_seconds() / 3600.0 - 1.0  # one hour later on the wall clock in summer time
    return noon - half + shift, noon + half + shift


@dataclass(frozen=True)
class Home:
    """One home's fixed traits."""

    seed: int
    people: int
    home_all_day: bool
    standby_w: float
    ev_kw: float  # 0 = no EV
    heat_pump_kw: float  # 0 = no heat pump
    loss_w_per_k: float  # gas homes: building heat loss coefficient
    setpoint_c: float

    @classmethod
    def draw(cls, seed: int) -> Home:
        rng = np.random.default_rng([seed, 1])
        return cls(
            seed,
            int(rng.integers(1, 5)),
            bool(rng.random() < 0.35),
            float(rng.uniform(25, 90)),
            float(rng.choice([0.0, 0.0, 0.0, 0.0, 7.4, 11.0])),
            float(rng.choice([0.0, 0.0, 0.0, 0.0, 0.0, 2.5])),
            float(rng.uniform(90, 230)),
            float(rng.uniform(19.5, 21.5)),
        )


def _schedule(rng: np.random.Generator, home: Home, weekend: bool) -> tuple[float, float, float, float]:
    """(wake, leave, back, sleep) in wall-clock hours; leave = back when someone stays home all day."""
    wake = rng.normal(8.2 if weekend else 6.6, 0.6)
    sleep = rng.normal(23.6 if weekend else 22.9, 0.7)
    if weekend or home.home_all_day or rng.random() < 0.1:
        return wake, wake, wake, sleep
    leave = wake + rng.uniform(0.6, 1.4)
    return wake, leave, rng.normal(17.8, 0.9), sleep


def _event(load: F64, start_min: float, minutes: float, watts: float) -> None:
    a = max(0, int(start_min))
    b = min(load.size, int(start_min + minutes))
    if b > a:
        load[a:b] += watts


def electricity_day(home: Home, day: dt.date, index: int, weather: Weather) -> F64:
    """Power in W per wall-clock minute of the full 24 h (the spring day's missing hour is dropped later)."""
    rng = np.random.default_rng([home.seed, 2, index])
    load = np.full(MIN_PER_DAY, home.standby_w)
    t = np.arange(MIN_PER_DAY, dtype=np.float64)
    # fridge and freezer: compressor cycles of their own period and phase
    for period, on, watts in ((rng.uniform(38, 55), rng.uniform(11, 18), 95.0), (rng.uniform(60, 90), 25.0, 80.0)):
        load += watts * (((t + rng.uniform(0, period)) % period) < on)
    weekend = day.weekday() >= 5
    wake, leave, back, sleep = _schedule(rng, home, weekend)
    dawn, dusk = _dusk_dawn(day)
    awake_home = ((t / 60 >= wake) & (t / 60 < leave)) | ((t / 60 >= back) & (t / 60 < sleep))
    dark = (t / 60 < dawn + 0.5) | (t / 60 > dusk - 0.7)
    load += np.where(awake_home & dark, 60.0 + 55.0 * home.people * rng.uniform(0.6, 1.4), 0.0)
    load += np.where(awake_home & (t / 60 >= 19.0), rng.uniform(80, 220), 0.0)  # TV, computers
    for _ in range(int(rng.poisson(1.5 + 0.8 * home.people))):  # kettle
        at = rng.choice([wake, back if back > leave else rng.uniform(wake, sleep), rng.uniform(wake, sleep)])
        _event(load, 60 * at + rng.uniform(0, 30), rng.uniform(2, 4), 2000.0)
    if rng.random() < 0.8:  # dinner: cooktop, sometimes the oven
        dinner = 60 * (max(back, 17.5) + rng.uniform(0.3, 1.5))
        _event(load, dinner, rng.uniform(15, 40), rng.uniform(1200, 2200))
        if rng.random() < 0.35:
            start = dinner - rng.uniform(10, 40)
            for k in range(int(rng.uniform(30, 70) // 6)):  # the oven's thermostat cycles
                _event(load, start + 6 * k, 3.5 if k else 12.0, 2400.0)
    if weekend and rng.random() < 0.6:
        _event(load, 60 * rng.uniform(11.5, 12.5), rng.uniform(20, 45), rng.uniform(1200, 2500))  # lunch
    if rng.random() < 0.12 + 0.08 * home.people:  # washing machine: water heating, then the drum
        start = 60 * (rng.uniform(wake + 0.5, sleep - 2) if (weekend or home.home_all_day) else rng.uniform(18.5, 21))
        _event(load, start, rng.uniform(12, 20), 2100.0)
        _event(load, start + 18, rng.uniform(50, 80), 180.0)
    if rng.random() < 0.1 + 0.1 * home.people:  # dishwasher, after dinner
        start = 60 * rng.uniform(20.0, 22.5)
        _event(load, start + 5, 20.0, 2000.0)
        _event(load, start + 90, 15.0, 1900.0)
    if home.ev_kw and rng.random() < 0.4:  # an EV plugged in on return, charging until its energy is in
        arrive = 60 * (back if back > leave else rng.uniform(14, 20)) + rng.uniform(0, 40)
        _event(load, arrive, 60 * rng.uniform(4, 18) / home.ev_kw, 1000.0 * home.ev_kw)
    if home.heat_pump_kw:
        temps = weather.minutes(index, np.arange(MIN_PER_DAY, dtype=np.int64))
        duty = np.clip((15.0 - temps) / 28.0, 0.0, 1.0)  # share of each hour the compressor runs
        period = 40.0
        phase = rng.uniform(0, period)
        load += 1000.0 * home.heat_pump_kw * (((t + phase) % period) < period * duty)
    return load


def gas_day(home: Home, day: dt.date, index: int, weather: Weather) -> F64:
    """Boiler heat output in W per wall-clock minute (heating + hot water), before the gas conversion."""
    rng = np.random.default_rng([home.seed, 3, index])
    t = np.arange(MIN_PER_DAY, dtype=np.float64)
    weekend = day.weekday() >= 5
    wake, leave, back, sleep = _schedule(rng, home, weekend)
    on_from, on_to = wake - 0.5, sleep - 0.3
    day_mode = (t / 60 >= on_from) & (t / 60 < on_to)
    setpoint = np.where(day_mode, home.setpoint_c, home.setpoint_c - 4.0)
    if not home.home_all_day and not weekend:
        setpoint = np.where((t / 60 >= leave + 0.5) & (t / 60 < back - 0.7), setpoint - 1.5, setpoint)
    outdoor = weather.minutes(index, np.arange(MIN_PER_DAY, dtype=np.int64))
    dawn, dusk = _dusk_dawn(day)
    sun = np.clip(np.sin(np.pi * (t / 60 - dawn) / max(dusk - dawn, 1.0)), 0.0, None) * rng.uniform(100, 700)
    gains = 120.0 * home.people * day_mode + sun
    demand = np.clip(home.loss_w_per_k * (setpoint - outdoor) - gains, 0.0, None)
    demand *= weather.mean(day) < 16.5  # heating off on warm days (summer mode)
    boost = (t / 60 >= on_from) & (t / 60 < on_from + rng.uniform(0.8, 1.8))
    demand = np.where(boost, demand + 4.0 * home.loss_w_per_k, demand)  # morning recovery after the set-back
    demand = np.minimum(demand, 24_000.0)
    for _ in range(int(rng.poisson(0.9 * home.people))):  # showers: ≈ 20 kW of water heating for 5–10 min
        at = 60 * rng.choice([wake + rng.uniform(0, 0.8), rng.uniform(18, sleep)])
        _event(demand, at, rng.uniform(5, 10), 20_000.0)
    for _ in range(int(rng.poisson(2.0))):  # taps: dishes, hands
        _event(demand, 60 * rng.uniform(wake, sleep), rng.uniform(1, 3), 15_000.0)
    return demand


def _to_intervals(minute_values: list[tuple[dt.date, F64]], interval_min: int, scale: float) -> npt.NDArray[np.int64]:
    """Per-minute power per local day → energy per interval (base units), the days' wall minutes concatenated."""
    out: list[F64] = []
    for day, per_minute in minute_values:
        walls = _wall_minutes(day)
        energy = per_minute[walls] * scale  # base units per minute
        out.append(energy.reshape(-1, interval_min).sum(axis=1))
    exact = np.concatenate(out)
    cum = np.rint(np.cumsum(exact)).astype(np.int64)  # a register rounds its running total, not each interval
    return np.diff(cum, prepend=np.int64(0))


def electricity(seed: int, first: dt.date, days: int, weather: Weather) -> npt.NDArray[np.int64]:
    """Quarter-hour A+ energy (Wh) of home ``seed`` over ``days`` local days from ``first``."""
    home = Home.draw(seed)
    per_day = [(first + dt.timedelta(days=k), electricity_day(home, first + dt.timedelta(days=k), k, weather))
               for k in range(days)]  # fmt: skip
    return _to_intervals(per_day, 15, 1.0 / 60.0)


def gas(seed: int, first: dt.date, days: int, weather: Weather) -> npt.NDArray[np.int64]:
    """Hourly gas volume (litres) of home ``seed``: boiler heat / efficiency / heating value."""
    home = Home.draw(seed)
    litres_per_wmin = 1.0 / 60.0 / 1000.0 / GAS_KWH_PER_M3 / BOILER_EFFICIENCY * 1000.0
    per_day = [(first + dt.timedelta(days=k), gas_day(home, first + dt.timedelta(days=k), k, weather))
               for k in range(days)]  # fmt: skip
    return _to_intervals(per_day, 60, litres_per_wmin)


__all__ = ["Home", "Weather", "electricity", "gas"]
