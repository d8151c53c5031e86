"""The daily weather as stored (``weather_day``, migration 0010): per weather area (``LU``, the country, by
default) and Europe/Luxembourg local day, the mean air temperature in °C, optionally the mean global irradiance
in W/m², and the source of the figures (``sim`` for the simulator's weather, ``csv:FILE`` for an import).

The heating degree days of :mod:`meterhub.mdm.degree_days` are computed from these temperatures; parsing a
weather CSV is :mod:`meterhub.mdm.weather`'s. Storing a day again replaces its figures (an operator's import
corrects the simulator's, or a later file an earlier one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

import sqlalchemy as sa

from meterhub.store import schema as t
from meterhub.store.engine import StoreEngine
from meterhub.store.sql import insert_for

DEFAULT_AREA: Final = "LU"
"""The weather area of the whole country (one station's or the simulator's weather)."""


@dataclass(frozen=True, slots=True)
class WeatherDay:
    """One local day's weather in one area."""

    day: date
    temperature_c: float
    irradiance_wm2: float | None = None
    source: str = "sim"
    area: str = DEFAULT_AREA


def put_weather_days(conn: sa.Connection, days: Sequence[WeatherDay]) -> int:
    """Store the days (a stored day of the same area is replaced); returns how many rows were written."""
    if not days:
        return 0
    table = t.weather_day
    rows = [
        {"area": d.area, "day": d.day, "temperature_c": float(d.temperature_c),
         "irradiance_wm2": None if d.irradiance_wm2 is None else float(d.irradiance_wm2), "source": d.source}
        for d in days
    ]  # fmt: skip
    written = 0
    for i in range(0, len(rows), 500):
        stmt = insert_for(conn, table).values(rows[i : i + 500])
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.area, table.c.day],
            set_={
                "temperature_c": stmt.excluded.temperature_c,
                "irradiance_wm2": stmt.excluded.irradiance_wm2,
                "source": stmt.excluded.source,
            },
        )
        conn.execute(stmt)
        written += len(rows[i : i + 500])
    return written


def weather_days(conn: sa.Connection, first: date, last: date, area: str = DEFAULT_AREA) -> list[WeatherDay]:
    """The stored days of ``area`` from ``first`` to ``last`` (both included), in day order."""
    table = t.weather_day
    stmt = sa.select(table).where(table.c.area == area, table.c.day >= first, table.c.day <= last).order_by(table.c.day)
    return [
        WeatherDay(m["day"], float(m["temperature_c"]),
                   None if m["irradiance_wm2"] is None else float(m["irradiance_wm2"]), str(m["source"]),
                   str(m["area"]))
        for m in (row._mapping for row in conn.execute(stmt))
    ]  # fmt: skip


class WeatherOps(StoreEngine):
    """The daily weather (part of :class:`~meterhub.store.db.Store`)."""

    def put_weather_days(self, days: Sequence[WeatherDay]) -> int:
        with self.write() as conn:
            return put_weather_days(conn, days)

    def weather_days(self, first: date, last: date, area: str = DEFAULT_AREA) -> list[WeatherDay]:
        with self.read() as conn:
            return weather_days(conn, first, last, area)


__all__ = ["DEFAULT_AREA", "WeatherDay", "WeatherOps", "put_weather_days", "weather_days"]
