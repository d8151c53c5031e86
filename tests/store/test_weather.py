"""The daily weather in the store (``weather_day``, migration 0010) on SQLite and PostgreSQL: stored, read back by
area and day range in day order, a day stored again replaced; and the demo's weather is the simulator's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from meterhub.store.weather import WeatherDay
from tests.pg import BACKENDS, open_store


@pytest.mark.parametrize("backend", BACKENDS)
def test_weather_days_stored_replaced_and_read_by_area(backend: str, tmp_path: Path) -> None:
    with open_store(backend, tmp_path) as store:
        d = dt.date(2025, 1, 1)
        n = store.put_weather_days([WeatherDay(d + dt.timedelta(days=i), 1.5 * i, None, "sim") for i in range(700)])
        assert n == 700
        store.put_weather_days([WeatherDay(d, -3.25, 40.5, "csv:x"), WeatherDay(d, 9.0, None, "sim", "LU-N")])
        got = store.weather_days(d, d + dt.timedelta(days=2))
        one = dt.timedelta(days=1)
        assert [(w.day, w.temperature_c, w.irradiance_wm2, w.source) for w in got] == [
            (d, -3.25, 40.5, "csv:x"), (d + one, 1.5, None, "sim"), (d + 2 * one, 3.0, None, "sim"),
        ]  # fmt: skip
        assert [w.temperature_c for w in store.weather_days(d, d, "LU-N")] == [9.0]
        assert store.weather_days(dt.date(2030, 1, 1), dt.date(2030, 2, 1)) == []


def test_the_demo_writes_the_simulators_weather(tmp_path: Path) -> None:
    from meterhub.demo_history import set_demo_weather, windows
    from meterhub.sim.consumption.weather import temperature_c

    with open_store("sqlite", tmp_path) as store:
        end = dt.datetime(2026, 3, 15, 12, tzinfo=dt.UTC)
        w = windows(dt.datetime(2026, 3, 13, 23, tzinfo=dt.UTC), end, months=3)
        store.put_weather_days([WeatherDay(dt.date(2026, 1, 5), 0.5, None, "csv:station")])
        written = set_demo_weather(store, w)
        days = store.weather_days(dt.date(2025, 1, 1), dt.date(2027, 1, 1))
        assert days[0].day == dt.date(2025, 12, 1) and days[-1].day == dt.date(2026, 3, 15)
        assert written == len(days) - 1 == (dt.date(2026, 3, 15) - dt.date(2025, 12, 1)).days
        by_day = {x.day: x for x in days}
        assert by_day[dt.date(2026, 1, 5)].source == "csv:station"  # an operator's import is kept
        assert by_day[dt.date(2026, 2, 1)].temperature_c == round(temperature_c(dt.date(2026, 2, 1)), 2)
        assert by_day[dt.date(2026, 2, 1)].source == "sim"
