"""The advice page's heating items on SQLite and PostgreSQL, against figures worked out here by hand: carol's gas
(P2, a sub-meter of her electricity meter) and dave's district heat (P3, no electricity meter; his login added
here), both with a heating signature by construction over January and February 2025 (no clock change), the stored
weather, the gas conversion factors set or not, and no weather at all.

The days: 2025-01-02 … 2025-02-28 (58 days, index ``i`` = 1 … 58 counted from 1 January), mean temperature
``20 − (i mod 25)`` °C. Eurostat's degree days are ``18 − T`` at or below 15 °C, i.e. ``(i mod 25) − 2`` when
``i mod 25 ≥ 5``, else 0: heating days are i mod 25 ∈ 5…24 — 20 of i = 1…24, 20 of 25…49, 4 of 50…58 (50…58 are
0…8): 44 heating days of 58, 44 × 365 / 58 = 276.9 a year.

Gas: each hour ``50 + 20 × HDD`` litres, a day 1.2 m³ + 0.48 m³ per degree day (24 hours every day): a saving of
0.48 × 44 × 365 / 58 = 132.91 m³ a year; at 10 kWh/m³ (calorific value 10, correction 1.0) 4.8 kWh per degree
day, 1,329.1 kWh and, at the assumed 0.10 €/kWh, 132.91 € a year. Heat: each hour ``500 + 250 × HDD`` Wh, a day
12 kWh + 6 kWh per degree day: 6 × 44 × 365 / 58 = 1,661.4 kWh and, at the assumed 0.12 €/kWh, 199.37 € a year.
"""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from fastapi.testclient import TestClient

from meterhub.api.users import add_user
from meterhub.mdm.billing import GasFactors
from meterhub.mdm.gas_factors import set_gas_factors
from meterhub.store import NewBlock, insert_blocks
from meterhub.store.intervals import local_day_slots
from meterhub.store.weather import WeatherDay
from tests.api.world import PASSWORD, T0
from tests.portal.conftest import Site

JAN1 = date(2025, 1, 1)
DAYS = [JAN1 + timedelta(days=i) for i in range(1, 59)]  # 2 January … 28 February


def temperature(day: date) -> float:
    return 20.0 - (day - JAN1).days % 25


def hdd(day: date) -> int:
    k = (day - JAN1).days % 25
    return k - 2 if k >= 5 else 0


def add_heated_homes(site: Site, *, weather: bool = True) -> None:
    store, w = site.store, site.world
    dso = w.parties["dsoB"]
    meter = store.add_meter("HEAT000001", dso, model="t", firmware="1", installed_at=T0)
    gas_meter = store.add_meter("HEATGAS001", dso, model="g", firmware="1", medium="gas", parent_meter_id=meter,
                                mbus_channel=1, installed_at=T0)  # fmt: skip
    store.install(w.points["P2"], meter, T0)
    a_plus = store.add_channel(meter, "1.0.1.8.0.255", unit="Wh", interval_s=900)
    gas = store.add_channel(gas_meter, "0.1.24.2.1.255", unit="l", interval_s=3600, medium="gas")
    heat_meter = store.add_meter("HEATDH0001", dso, model="h", firmware="1", medium="heat", installed_at=T0)
    store.install(w.points["P3"], heat_meter, T0)
    heat = store.add_channel(heat_meter, "6.0.1.0.0.255", unit="Wh", interval_s=3600, medium="heat")
    blocks = []
    for day in DAYS:
        quarters, hours = local_day_slots(day, 900), local_day_slots(day, 3600)
        assert hours == 24  # no clock change in January and February
        blocks.append(NewBlock(a_plus, day, 1, np.full(quarters, 100, np.int64), np.ones(quarters, np.uint8), "t"))
        ones = np.ones(hours, np.uint8)
        blocks.append(NewBlock(gas, day, 1, np.full(hours, 50 + 20 * hdd(day), np.int64), ones, "t"))
        blocks.append(NewBlock(heat, day, 1, np.full(hours, 500 + 250 * hdd(day), np.int64), ones, "t"))
    with store.write() as conn:
        insert_blocks(conn, blocks, now=T0)
    site.secrets["dave"] = add_user(store, "dave", PASSWORD, "customer", w.parties["dave"], T0).totp_secret
    if weather:
        store.put_weather_days([WeatherDay(d, temperature(d), None, "test") for d in DAYS])


def _factors(site: Site, months: tuple[int, ...]) -> None:
    for month in months:
        set_gas_factors(site.store, None, 2025, month, GasFactors(Decimal(10), Decimal("1.0")), by="op")
    # another grid area's factors do not apply to carol's (dsoB)
    set_gas_factors(site.store, "dsoA", 2025, 1, GasFactors(Decimal(12), Decimal("0.9")), by="op")


def _page(site: Site, who: str, **params: str) -> str:
    c: TestClient = site.client()
    site.login(c, who)
    r = c.get("/advice", params=params)
    assert r.status_code == 200, r.text
    return html.unescape(r.text).replace("\u202f", " ").replace("\xa0", " ")


def _item(page: str, title: str) -> str:
    found = re.search(rf'<li class="advice-item card" data-kind="heating">\s*<h2>{re.escape(title)}</h2>(.*?)</li>',
                      page, re.S)  # fmt: skip
    assert found is not None, title
    return found[1]


def test_a_gas_home_with_weather_and_conversion_factors(site: Site) -> None:
    add_heated_homes(site)
    _factors(site, (1, 2))
    page = _page(site, "carol")
    item = _item(page, "Heating one degree lower (gas, point LU0000000000000000000000000000P02)")
    assert "1,329 kWh and 133 € a year" in item  # 4.8 × 44 × 365 / 58 = 1,329.1 kWh at 0.10 €/kWh
    assert "Your heating uses 4.80 kWh of gas per degree day" in item
    assert "daily use on 58 days" in item and "base of 12.00 kWh a day" in item and "R² 1.00" in item
    assert "277 heating days a year × 4.80 kWh = 1,329 kWh a year" in item
    assert "with that month's volume-correction factor and calorific value" in item and "0.1000 €/kWh" in item
    assert "No weather data held" not in page
    kinds = re.findall(r'data-kind="(\w+)"', page)
    assert "heating" in kinds and kinds.index("heating") < kinds.index("network_level")  # 133 € before 0 €
    # the gas was read through the policy layer, under the page's name
    logged = [e for e in site.store.access_entries([site.world.points["P2"]]) if e.route == "portal:advice"]
    assert logged and all(e.right == "own" for e in logged)


def test_a_gas_home_without_every_month_s_factors_stays_in_cubic_metres(site: Site) -> None:
    add_heated_homes(site)
    _factors(site, (1,))  # February has none
    item = _item(_page(site, "carol"), "Heating one degree lower (gas, point LU0000000000000000000000000000P02)")
    assert "133 m³ of gas a year" in item  # 0.48 × 44 × 365 / 58 = 132.9 m³
    assert "0.48 m³ per degree day" in item and "base of 1.20 m³ a day" in item
    assert "not set for every month of the period, so the saving is given in cubic metres and not priced" in item
    fr = _page(site, "carol", lang="fr")
    assert "133 m³ de gaz par an" in fr and "0,48 m³ par degré-jour" in fr


def test_a_district_heat_home(site: Site) -> None:
    add_heated_homes(site)
    page = _page(site, "dave")
    assert "None of your metering points measures electricity drawn from the grid." in page
    item = _item(page, "Heating one degree lower (district heat, point LU0000000000000000000000000000P03)")
    assert "1,661 kWh and 199 € a year" in item  # 6 × 44 × 365 / 58 = 1,661.4 kWh at 0.12 €/kWh
    assert "Your heating uses 6.00 kWh of heat per degree day" in item and "base of 12.00 kWh a day" in item
    assert "no district heat tariff: we assume 0.1200 €/kWh" in item
    de = _page(site, "dave", lang="de")
    assert "1.661 kWh und 199 € im Jahr" in de and "Fernwärme" in de


def test_no_weather_says_so(site: Site) -> None:
    add_heated_homes(site, weather=False)
    _factors(site, (1, 2))
    for who in ("carol", "dave"):
        page = _page(site, who)
        assert "No weather data held" in page and "Heating one degree lower" not in page
        assert re.findall(r'data-kind="heating"', page) == ['data-kind="heating"']


def test_too_few_cold_days(site: Site) -> None:
    add_heated_homes(site, weather=False)
    # weather on 9 days only (2 … 10 January: 5 heating days, i = 5 … 9, fewer than the 10 the advice needs)
    site.store.put_weather_days([WeatherDay(d, temperature(d), None, "test") for d in DAYS[:9]])
    page = _page(site, "dave")
    assert "There are too few cold days with both your readings and the weather" in page
    assert "Heating one degree lower" not in page
