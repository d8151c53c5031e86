"""Luxembourg's synthetic weather, shared by every meter (and the MDM's degree-day features): the daily mean air
temperature (a seasonal cosine plus smoothed counter-based day and week noise), heating degree days G20/15, and
the relative clear-sky PV power of a quarter hour from the sun's elevation over Luxembourg City.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from typing import Final

import numpy as np
import numpy.typing as npt

from meterhub.sim.consumption.base import DAY0, F64, HORIZON, I64
from meterhub.sim.consumption.rng import counter_hash, hash_lanes, stable_key, tri

__all__ = ["clear_sky", "daily_temperatures", "heating_degree_days", "temperature_c", "temperature_series"]

LATITUDE: Final = math.radians(49.61)  # Luxembourg City
LONGITUDE_DEG: Final = 6.13


def temperature_series(ordinals: I64) -> F64:
    """Daily mean air temperature (°C) for date ordinals: seasonal cosine + smoothed deterministic day noise."""
    doy = (ordinals - dt.date(2000, 1, 1).toordinal()) % 365.2425
    seasonal = 9.8 - 8.4 * np.cos(2 * np.pi * (doy - 19.0) / 365.2425)
    key = stable_key("lu-temperature")
    noise = np.zeros(ordinals.shape)
    for lag, weight in ((0, 0.5), (1, 0.3), (2, 0.2)):
        u = hash_lanes(counter_hash(key, ordinals - lag))
        noise += weight * tri(u[..., 0], u[..., 1])
    weekly = hash_lanes(counter_hash(key ^ 0x5EED, ordinals // 7))
    return np.asarray(seasonal + 3.6 * noise + 1.5 * tri(weekly[..., 0], weekly[..., 1]), dtype=np.float64)


@functools.cache
def daily_temperatures() -> F64:
    """:func:`temperature_series` of every local day of the horizon, DAY0 first (built once, 26 years: 75 kB)."""
    ordinals = np.array([(DAY0 + dt.timedelta(days=i)).toordinal() for i in range((HORIZON - DAY0).days)], np.int64)
    return temperature_series(ordinals)


def temperature_c(day: dt.date) -> float:
    """Synthetic daily mean temperature in Luxembourg (°C) — deterministic, shared by all meters (and the MDM)."""
    temps = daily_temperatures()
    d = (day - DAY0).days
    if 0 <= d < len(temps):
        return float(temps[d])
    return float(temperature_series(np.array([day.toordinal()], dtype=np.int64))[0])


def heating_degree_days(day: dt.date) -> float:
    """Heating degree days of a day, G20/15 (VDI 2067 / DIN 4108): 20 − T when the day mean T is below 15 °C."""
    t = temperature_c(day)
    return 20.0 - t if t < 15.0 else 0.0


def clear_sky(q: npt.ArrayLike) -> F64:
    """Relative clear-sky PV power at the middle of UTC quarter indices ``q`` (sin(elevation)^1.2, Luxembourg)."""
    qa = np.asarray(q, dtype=np.float64)
    days = (qa + 4.5) / 96.0  # days since 2024-01-01T00:00Z (quarter 0 is 2023-12-31T23:00Z)
    doy = days % 365.2425
    decl = np.radians(23.44) * np.sin(2 * np.pi * (284.0 + doy) / 365.2425)
    utc_hours = (days % 1.0) * 24.0
    hour_angle = np.radians(15.0 * (utc_hours + LONGITUDE_DEG / 15.0 - 12.0))
    sin_elev = math.sin(LATITUDE) * np.sin(decl) + math.cos(LATITUDE) * np.cos(decl) * np.cos(hour_angle)
    return np.asarray(np.maximum(sin_elev, 0.0) ** 1.2, dtype=np.float64)
