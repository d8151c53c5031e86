"""Comparison with the H0 reference home and with similar homes, and the saving advice, against hand-computed
cases (a small fleet whose answers are worked out here)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest

from meterhub.country.h0 import H0
from meterhub.mdm.advice import (
    base_load_advice,
    heating_advice,
    network_level_advice,
    night_base_load_w,
    pv_advice,
    shifting_advice,
)
from meterhub.mdm.comparison import (
    SATURDAY,
    SUNDAY,
    WORKDAY,
    Home,
    bdew_day_type,
    compare,
    dynamisation,
    peer_group,
    reference_home,
)
from meterhub.mdm.costing import cost_series
from meterhub.mdm.degree_days import fit_heating, heating_degree_days
from meterhub.mdm.network_tariff import level_choice
from meterhub.mdm.series import slot_starts
from tests.mdm.tariff_cases import tou


def test_reference_home_is_scaled_per_year_and_follows_h0() -> None:
    year = reference_home(3500.0, date(2026, 1, 1), date(2026, 12, 31), H0)
    assert year.size == 365 * 96 - 4 + 4 and year.sum() == pytest.approx(3500.0)
    # a January workday carries ≈ 1.45× the energy of a late-July workday (the reference file's figure)
    jan = reference_home(3500.0, date(2026, 1, 14), date(2026, 1, 14), H0).sum()
    jul = reference_home(3500.0, date(2026, 7, 22), date(2026, 7, 22), H0).sum()
    assert jan / jul == pytest.approx(1.45, abs=0.05)
    assert dynamisation(1) == pytest.approx(1.24, abs=0.005) and dynamisation(200) == pytest.approx(0.785, abs=0.01)
    day = reference_home(1000.0, date(2026, 1, 14), date(2026, 1, 14), H0)
    assert int(np.argmin(day)) in range(8, 24) and 72 <= int(np.argmax(day)) <= 84  # night trough, evening peak
    spring = reference_home(1000.0, date(2026, 3, 29), date(2026, 3, 29), H0)
    assert spring.size == 92
    two_years = reference_home(1000.0, date(2025, 7, 1), date(2026, 6, 30), H0)
    assert two_years.sum() == pytest.approx(1000.0, rel=0.02)
    assert (bdew_day_type(date(2026, 12, 24)), bdew_day_type(date(2026, 6, 23)), bdew_day_type(date(2026, 6, 22))) == (
        SATURDAY, SUNDAY, WORKDAY,
    )  # fmt: skip


def _fleet() -> list[Home]:
    """25 electric-heated flats of 2 people using 101…125 kWh, 10 gas-heated ones, 30 houses of 4."""
    homes = [Home(i, "electricity", 2, "electric", "flat", 100.0 + i) for i in range(1, 26)]
    homes += [Home(100 + i, "electricity", 2, "gas", "flat", 50.0 + i) for i in range(10)]
    homes += [Home(200 + i, "electricity", 4, "gas", "house", 300.0 + i) for i in range(30)]
    return homes


def test_similar_homes_and_the_sentence() -> None:
    homes = _fleet()
    me = Home(999, "electricity", 2, "electric", "flat", 121.0)
    group = peer_group(me, homes)
    assert group is not None and not group.broader and len(group.members) == 25
    c = compare(me, group)
    # best 20 % of 25 = 5 homes: 101…105 → 103 kWh; 121 is 17.48 % more; 20 homes use less → rank 21 of 26
    assert c.efficient == pytest.approx(103.0) and c.group_average == pytest.approx(113.0)
    assert (c.rank, c.of) == (21, 26)
    assert c.versus_efficient_pct == pytest.approx(18.0 / 103.0 * 100)
    assert c.sentence == "You used 17 % more than efficient similar homes last month."
    assert compare(Home(998, "electricity", 2, "electric", "flat", 103.0), group).sentence == (
        "You used as much as efficient similar homes last month."
    )
    assert "12 % less" in compare(Home(997, "electricity", 2, "electric", "flat", 90.64), group, "this winter").sentence


def test_a_broader_group_is_said_so() -> None:
    # gas-heated flats of 2: only 10 → drop dwelling (still 10) → drop heating: 35 homes of 2 people
    me = Home(999, "electricity", 2, "gas", "flat", 55.0)
    group = peer_group(me, _fleet())
    assert group is not None and group.broader and group.criteria == ("medium", "household_size")
    assert len(group.members) == 35
    assert group.description.startswith("35 homes with the same medium, household size (a broader group")
    assert peer_group(Home(1, "water", 1, "none", "flat", 1.0), _fleet()) is None


def test_base_load_and_standby() -> None:
    starts = slot_starts(date(2026, 2, 2), date(2026, 2, 4), 900)
    kwh = np.full(starts.size, 0.2)
    for d in range(3):
        kwh[d * 96 + 4 : d * 96 + 20] = [0.03, 0.025, 0.04][d]  # 01:00–05:00 local: 120, 100, 160 W
    kwh[96 + 10] = np.nan
    base = night_base_load_w(starts, kwh)
    assert base == pytest.approx(120.0)  # the median of 120, 100 and 160 W
    a = base_load_advice(base, 0.25)
    assert a.kwh_year == pytest.approx(70 * 8.76) and a.eur_year == pytest.approx(70 * 8.76 * 0.25)
    assert "120 W" in a.note and "1051 kWh" in a.note  # 120 W all year = 1051.2 kWh
    assert base_load_advice(40.0, 0.25).kwh_year == 0.0


def test_load_shifting_under_the_tariff() -> None:
    # the winter Monday of the costing test: peak 15 kWh at 0.30, off-peak 9 kWh at 0.20, weekend 0 at 0.15
    c = cost_series(tou(), np.full(96, 0.25), date(2026, 1, 5), date(2026, 1, 5))
    a = shifting_advice(c, days=1)
    # 15 % moved to 0.15 €/kWh: (15 × 0.15 × 0.15 + 9 × 0.15 × 0.05) € a day × 365
    assert a.eur_year == pytest.approx((0.3375 + 0.0675) * 365)
    assert a.figure == pytest.approx((15 + 9) * 0.15 * 365)


def test_heating_against_degree_days() -> None:
    # degree days given as they are (the advice fits whatever days it is handed; a 2-degree-day day cannot come
    # from Eurostat's definition, see the next test, but the line and the saving do not depend on it)
    hdd = np.array([0, 0, 2, 5, 8, 10, 12, 15, 4, 6, 9, 11, 0, 3], dtype=float)
    gas = 5.0 + 4.0 * hdd  # 4 kWh per degree day on top of 5 kWh a day (hot water)
    a = heating_advice(gas, hdd, 0.10)
    assert a is not None and a.figure == pytest.approx(4.0)
    assert a.kwh_year == pytest.approx(4.0 * 11 * 365 / 14)  # 11 heating days of 14, per year
    assert heating_advice(gas[:5], hdd[:5], 0.1) is None


def test_heating_advice_on_eurostat_degree_days() -> None:
    # 14 days' mean temperatures; Eurostat's degree days 18 − T at or below 15 °C: 16 and 20 °C count none, 15 °C
    # counts 3 (the smallest a heating day can count), 12 °C 6 … — 11 heating days
    temps = [16, 20, 15, 12, 10, 8, 5, 3, 14, 11, 9, 7, 18, 13]
    hdd = np.array([heating_degree_days(t) for t in temps])
    assert hdd.tolist() == [0, 0, 3, 6, 8, 10, 13, 15, 4, 7, 9, 11, 0, 5]
    gas = 5.0 + 4.0 * hdd  # kWh: 4 per degree day on 5 a day
    a = heating_advice(gas, hdd, 0.10)
    assert a is not None and a.figure == pytest.approx(4.0) and a.params["base"] == pytest.approx(5.0)
    assert a.params["r2"] == pytest.approx(1.0) and a.params["heating_days"] == pytest.approx(11 * 365 / 14)
    # 1 °C lower: one degree day less on each of the 11 heating days, 4 kWh each, 14 days scaled to 365
    assert a.kwh_year == pytest.approx(4.0 * 11 * 365 / 14) and a.eur_year == pytest.approx(0.4 * 11 * 365 / 14)
    # the one heating signature: the advice's line is degree_days.fit_heating's
    fit = fit_heating(gas.tolist(), hdd.tolist())
    assert fit is not None and (fit.per_degree_day, fit.base_per_day) == pytest.approx((a.figure, a.params["base"]))
    # gas left in m³ (no conversion factors): the same figures in m³, unpriced
    m3 = heating_advice(gas / 10, hdd, None, "m³")
    assert m3 is not None and m3.kwh_year == pytest.approx(0.4 * 11 * 365 / 14) and m3.eur_year == 0.0
    assert "0.40 m³ per heating degree day" in m3.note
    # a day without a reading (NaN) is left out: 13 days, 10 heating days, the same line
    gappy = gas.copy()
    gappy[3] = np.nan
    g = heating_advice(gappy, hdd, 0.10)
    assert g is not None and g.kwh_year == pytest.approx(4.0 * 10 * 365 / 13)
    # fewer than 10 heating days: no advice; a use falling with the cold saves nothing
    assert heating_advice(gas[:9], hdd[:9], 0.1) is None  # 7 heating days
    falling = heating_advice(50.0 - hdd, hdd, 0.10)
    assert falling is not None and falling.kwh_year == 0.0


def test_pv_and_network_level() -> None:
    a = pv_advice(export_kwh=1000.0, days=365, price_eur_kwh=0.25, feed_in_eur_kwh=0.08)
    assert a.kwh_year == pytest.approx(200.0) and a.eur_year == pytest.approx(200 * 0.17)
    starts = slot_starts(date(2026, 2, 1), date(2026, 2, 28), 900)
    kwh = np.full(starts.size, 0.25)
    kwh[int(np.searchsorted(starts, int(datetime(2026, 2, 10, 17, tzinfo=UTC).timestamp())))] = 2.0
    n = network_level_advice(level_choice(starts, kwh, current_kw=7), days=28)
    assert n.eur_year == pytest.approx((76.317125 - 68.195125) * 365 / 28)
    assert "3 kW level" in n.note
