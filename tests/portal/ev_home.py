"""A small store's household for the network-tariff and advice pages: carol's point P2 of :mod:`tests.api.world`
with 200 local days (2025-01-01 … 2025-07-19) of quarter-hours — a 300 W base load all day and night (75 Wh a
quarter-hour), an 11 kW car charger (+2,750 Wh a quarter-hour) 19:00–22:00 on the workdays of January and
February, and solar export A− 12:00–14:00 every June day (1,000 Wh a quarter-hour) — and her supplier s1's
published two-rate tariff (day 07:00–22:00 at 0.25 €/kWh, night at 0.15 €/kWh). The figures the tests expect
are worked out by hand in :data:`EXPECTED`."""

from __future__ import annotations

from datetime import date, time, timedelta

import numpy as np

from meterhub.country import LOCAL_TZ
from meterhub.mdm.tariffs import DayProfile, Rate, Season, Switch, Tariff, WeekProfile
from meterhub.store import NewBlock, Store, insert_blocks
from meterhub.store.intervals import local_day_slots, slot_start_utc
from tests.api.world import T0, World

FIRST = date(2025, 1, 1)
DAYS = 200
BASE_WH = 75
EV_WH = 2750
PV_WH = 1000


def two_rate() -> Tariff:
    day = DayProfile(1, (Switch(time(0), 2), Switch(time(7), 1), Switch(time(22), 2)))
    return Tariff("Day & Night", (Rate(1, "day", 0.25), Rate(2, "night", 0.15)), (day,),
                  (WeekProfile("all", (1,) * 7),), (Season("year", 1, 1, "all"),))  # fmt: skip


def _local_hour_min(day: date, i: int) -> tuple[int, int]:
    t = slot_start_utc(day, i, 900).astimezone(LOCAL_TZ)
    return t.hour, t.minute


def add_ev_home(store: Store, w: World) -> None:
    meter = store.add_meter("SIM0000002", w.parties["dsoB"], model="t", firmware="1", installed_at=T0)
    store.install(w.points["P2"], meter, T0)
    imp = store.add_channel(meter, "1.0.1.8.0.255", unit="Wh", interval_s=900)
    exp = store.add_channel(meter, "1.0.2.8.0.255", unit="Wh", interval_s=900)
    blocks = []
    for k in range(DAYS):
        day = FIRST + timedelta(days=k)
        n = local_day_slots(day, 900)
        hours = [_local_hour_min(day, i)[0] for i in range(n)]
        a = np.full(n, BASE_WH, np.int64)
        if day.month in (1, 2) and day.weekday() < 5:
            a[[i for i in range(n) if 19 <= hours[i] < 22]] += EV_WH
        e = np.zeros(n, np.int64)
        if day.month == 6:
            e[[i for i in range(n) if 12 <= hours[i] < 14]] = PV_WH
        q = np.ones(n, np.uint8)
        blocks += [NewBlock(imp, day, 1, a, q, "test"), NewBlock(exp, day, 1, e, q, "test")]
    with store.write() as conn:
        insert_blocks(conn, blocks, now=T0)
    store.publish_tariff(w.parties["s1"], "Day & Night", two_rate().to_dict(), FIRST, now=T0)


# --- the figures, by hand ------------------------------------------------------------------------------------
EV_DAYS = {1: 23, 2: 20}  # workdays of January and February 2025
EV_SLOTS = 12  # 19:00–22:00
PEAK_KW = (BASE_WH + EV_WH) / 1000 * 4  # 11.3 kW
OVER_3 = 2.825 - 0.75  # kWh above a 3 kW level in a charging quarter-hour
OVER_7 = 2.825 - 1.75
EXTRA = 0.1139 - 0.0759  # the overrun's cost on top of the normal rate, €/kWh
MONTHS_COVERED = 6 + 19 / 31  # January … June whole, July 1–19
WINDOW_LOST = 4 * 0.075  # carol's window opens at T0 = 01:00 local on 1 January: its first hour is not hers
ALL_KWH = (DAYS * 96 - 4) * 0.075 + 43 * EV_SLOTS * 2.75 - WINDOW_LOST  # the March DST day has 92 quarter-hours

EXPECTED = {
    "jan_overrun_kwh": 23 * EV_SLOTS * OVER_3,  # 572.7
    "jan_overrun_slots": 23 * EV_SLOTS,  # 276
    "jan_extra_eur": 23 * EV_SLOTS * OVER_3 * EXTRA,  # 21.7626
    "jan_total_eur": (31 * 96 * 0.075 - WINDOW_LOST + 23 * 12 * 2.75 - 572.7) * 0.0759 + 572.7 * 0.1139 + 11.11 + 5.90,
    "year_overrun_kwh_3": 43 * EV_SLOTS * OVER_3,  # 1070.7
    "year_overrun_kwh_7": 43 * EV_SLOTS * OVER_7,  # 554.7
    "total_3": ALL_KWH * 0.0759 + MONTHS_COVERED * (11.11 + 5.90) + 43 * EV_SLOTS * OVER_3 * EXTRA,
    "total_7": ALL_KWH * 0.0759 + MONTHS_COVERED * (19.27 + 5.90) + 43 * EV_SLOTS * OVER_7 * EXTRA,
    "total_12": ALL_KWH * 0.0759 + MONTHS_COVERED * (29.46 + 5.90),
    # advice: the two-rate tariff over the 200 days
    "day_kwh": DAYS * 60 * 0.075 + 43 * EV_SLOTS * 2.75,  # 2319
    "night_kwh": (DAYS * 36 - 4) * 0.075 - WINDOW_LOST,  # 539.4
}
EXPECTED["avg_price"] = (EXPECTED["day_kwh"] * 0.25 + EXPECTED["night_kwh"] * 0.15) / ALL_KWH  # 0.23112
EXPECTED["price"] = EXPECTED["avg_price"] + 0.0759  # what a kWh less saves: 0.30702
EXPECTED["base_saving_kwh"] = (300 - 50) * 8.76  # 2190
EXPECTED["base_saving_eur"] = EXPECTED["base_saving_kwh"] * EXPECTED["price"]  # 672.38
EXPECTED["shift_eur"] = EXPECTED["day_kwh"] * 0.15 * 0.10 * 365 / DAYS  # 63.48
EXPECTED["export_kwh_year"] = 30 * 8 * 1.0 * 365 / DAYS  # 438
EXPECTED["pv_kwh"] = EXPECTED["export_kwh_year"] * 0.2  # 87.6
EXPECTED["pv_eur"] = EXPECTED["pv_kwh"] * (EXPECTED["price"] - 0.08)  # 19.89
