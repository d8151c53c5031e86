"""A small store for the History page's tests: the market of :mod:`tests.api.world` with carol's point P2 carrying
an electricity meter (quarter-hour A+) and a gas sub-meter (hourly, litres) from ``T0``, and the weather.

Electricity: 100 Wh every quarter-hour; in June 2025 three days with estimated quarter-hours
(:data:`ESTIMATED_DAYS`), one edited day and one day without data. Gas: a heating signature by construction —
each hour ``50 + 20 × HDD`` litres (a day: 1.2 m³ base + 0.48 m³ per degree day, 24 hours), the day's mean
temperature ``20 − (day index mod 25)`` °C (−4 … 20), weather missing on :data:`NO_WEATHER`; two January days
estimated."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from meterhub.mdm.degree_days import heating_degree_days
from meterhub.store import NewBlock, Store, insert_blocks
from meterhub.store.intervals import local_day_slots
from meterhub.store.weather import WeatherDay
from tests.api.world import T0, World

FIRST = date(2025, 1, 1)
DAYS = 200  # to 2025-07-19; the tests' NOW is 2025-07-20 00:00 UTC
ESTIMATED_DAYS = (date(2025, 6, 3), date(2025, 6, 10), date(2025, 6, 17))
EDITED_DAY = date(2025, 6, 24)
EMPTY_DAY = date(2025, 6, 28)
GAS_ESTIMATED = (date(2025, 1, 5), date(2025, 1, 6))
NO_WEATHER = tuple(date(2025, 2, 10) + timedelta(days=i) for i in range(3))


def temperature(day: date) -> float:
    return 20.0 - (day - FIRST).days % 25


def add_history(store: Store, w: World) -> dict[str, int]:
    """Carol's meters, channels, interval data and the weather; returns the channel ids."""
    dso = w.parties["dsoB"]
    meter = store.add_meter("HIST000001", dso, model="t", firmware="1", installed_at=T0)
    gas_meter = store.add_meter("HISTGAS001", dso, model="g", firmware="1", medium="gas", parent_meter_id=meter,
                                mbus_channel=1, installed_at=T0)  # fmt: skip
    store.install(w.points["P2"], meter, T0)
    a_plus = store.add_channel(meter, "1.0.1.8.0.255", unit="Wh", interval_s=900)
    gas = store.add_channel(gas_meter, "0.1.24.2.1.255", unit="l", interval_s=3600, medium="gas")
    blocks = []
    for i in range(DAYS):
        day = FIRST + timedelta(days=i)
        n = local_day_slots(day, 900)
        if day != EMPTY_DAY:
            q = np.full(n, 1, np.uint8)
            if day in ESTIMATED_DAYS:
                q[10:20] = 3
            if day == EDITED_DAY:
                q[:] = 4
            blocks.append(NewBlock(a_plus, day, 1, np.full(n, 100, np.int64), q, "test"))
        hours = local_day_slots(day, 3600)
        per_hour = 50 + 20 * int(heating_degree_days(temperature(day)))
        gq = np.full(hours, 3 if day in GAS_ESTIMATED else 1, np.uint8)
        blocks.append(NewBlock(gas, day, 1, np.full(hours, per_hour, np.int64), gq, "test"))
    with store.write() as conn:
        insert_blocks(conn, blocks, now=T0)
    weather = [
        WeatherDay(FIRST + timedelta(days=i), temperature(FIRST + timedelta(days=i)), None, "test")
        for i in range(DAYS)
        if FIRST + timedelta(days=i) not in NO_WEATHER
    ]
    store.put_weather_days(weather)
    return {"a_plus": a_plus, "gas": gas}
