"""A household's costs (mdm.costs) against hand-computed cases: slots on the grid, a supplier switch in the month
priced in two parts, a version change inside one supplier's tariff kept as one part, days no tariff covers, the
offers ranked with their difference to the household's own tariff, and DST days' slot counts."""

from __future__ import annotations

from datetime import date, time

import numpy as np
import pytest

from meterhub.mdm.costing import TariffVersion
from meterhub.mdm.costs import (
    Offer,
    SupplierPeriod,
    household_cost,
    kwh_grid,
    month_periods,
    rank_offers,
    tariff_on,
)
from meterhub.mdm.tariffs import DayProfile, Rate, Season, Switch, Tariff, WeekProfile, single_rate
from meterhub.store.intervals import day_bounds_epoch

DUO = Tariff(
    "Duo",
    (Rate(1, "day", 0.20), Rate(2, "night", 0.10)),
    (
        DayProfile(1, (Switch(time(0), 2), Switch(time(6), 1), Switch(time(22), 2))),
        DayProfile(2, (Switch(time(0), 2),)),
    ),
    (WeekProfile("w", (1, 1, 1, 1, 1, 2, 2)),),
    (Season("year", 1, 1, "w"),),
    holiday_day_id=2,
    fixed_eur_month=31.0,  # 1 € a day in a 31-day month
)
FLAT = single_rate("Flat", 0.15, 0.0)


def _grid(day_from: date, day_to: date, kwh: float = 0.1) -> np.ndarray:
    a, b = day_bounds_epoch(day_from)[0], day_bounds_epoch(day_to)[1]
    return np.full((b - a) // 900, kwh)


def test_kwh_grid_places_slots_and_leaves_gaps() -> None:
    start = day_bounds_epoch(date(2026, 3, 2))[0]
    epochs = np.array([start, start + 900, start + 1800, start + 96 * 900 + 900])
    grid = kwh_grid(epochs, [100, 250, 300, 40], [1, 1, 0, 3], date(2026, 3, 2), date(2026, 3, 3))
    assert grid.shape == (192,)
    assert grid[0] == pytest.approx(0.1) and grid[1] == pytest.approx(0.25)
    assert np.isnan(grid[2])  # quality 0: missing
    assert grid[97] == pytest.approx(0.04) and np.isnan(grid[96])
    assert kwh_grid([], [], [], date(2026, 3, 29), date(2026, 3, 29)).shape == (92,)  # spring forward
    assert kwh_grid([], [], [], date(2026, 10, 25), date(2026, 10, 25)).shape == (100,)  # fall back


def test_a_switch_in_the_month_is_two_parts() -> None:
    """Flat until Thursday 5 March 2026, Duo from then on; 0.1 kWh every quarter-hour of 2–8 March, else none."""
    lo, hi = date(2026, 3, 1), date(2026, 3, 12)
    kwh = np.full(_grid(lo, hi).shape, np.nan)
    kwh[96 : 96 * 8] = 0.1  # 2–8 March
    periods = [
        SupplierPeriod(1, date(2026, 1, 1), date(2026, 3, 5), (TariffVersion(date(2025, 1, 1), None, FLAT),)),
        SupplierPeriod(2, date(2026, 3, 5), None, (TariffVersion(date(2025, 1, 1), None, DUO),)),
    ]
    cost = household_cost(periods, kwh, lo, hi)
    a, b = cost.parts
    assert (a.supplier_id, a.day_from, a.day_to) == (1, lo, date(2026, 3, 4))
    assert a.costing is not None and a.costing.kwh == pytest.approx(28.8) and a.costing.total_eur == pytest.approx(4.32)
    assert (b.supplier_id, b.day_from, b.day_to) == (2, date(2026, 3, 5), hi)
    assert b.costing is not None
    day, night = b.costing.rates
    assert day.kwh == pytest.approx(12.8) and day.eur == pytest.approx(2.56)  # Thu, Fri 06–22
    assert night.kwh == pytest.approx(25.6) and night.eur == pytest.approx(2.56)  # nights + the weekend
    assert b.costing.fixed_eur == pytest.approx(8.0)  # 8 days at 1 €
    assert cost.total_eur == pytest.approx(4.32 + 5.12 + 8.0) and cost.kwh == pytest.approx(67.2)
    assert cost.missing_slots == 5 * 96 and cost.unpriced_days == 0


def test_a_price_change_stays_one_part_and_uncovered_days_are_counted() -> None:
    v1 = TariffVersion(date(2026, 3, 3), date(2026, 3, 5), single_rate("Flat", 0.10, 31.0))
    v2 = TariffVersion(date(2026, 3, 5), None, single_rate("Flat", 0.20, 31.0))
    periods = [SupplierPeriod(7, date(2026, 3, 1), None, (v1, v2))]
    lo, hi = date(2026, 3, 1), date(2026, 3, 6)
    cost = household_cost(periods, _grid(lo, hi), lo, hi)  # 9.6 kWh a day
    none, flat = cost.parts
    assert (none.costing, none.day_from, none.day_to) == (None, lo, date(2026, 3, 2))
    assert flat.costing is not None and (flat.day_from, flat.day_to) == (date(2026, 3, 3), hi)
    assert flat.costing.kwh == pytest.approx(4 * 9.6)
    assert flat.costing.energy_eur == pytest.approx(2 * 9.6 * 0.10 + 2 * 9.6 * 0.20)
    assert flat.costing.fixed_eur == pytest.approx(4.0)
    assert cost.unpriced_days == 2 and cost.kwh == pytest.approx(38.4)


def test_holidays_take_the_holiday_profile() -> None:
    """Friday 1 May 2026 (Labour Day) is all night rate under Duo: 9.6 kWh at 0.10."""
    day = date(2026, 5, 1)
    cost = household_cost([SupplierPeriod(1, day, None, (TariffVersion(day, None, DUO),))], _grid(day, day), day, day)
    c = cost.parts[0].costing
    assert c is not None and [r.kwh for r in c.rates] == [pytest.approx(0.0), pytest.approx(9.6)]


def test_offers_ranked_with_the_difference_to_mine() -> None:
    """A February week (2–8 Feb 2026) of 0.1 kWh a quarter-hour, 1 Jan – 28 Feb: Flat 10.08 €; Duo 32 kWh × 0.20
    + 35.2 kWh × 0.10 = 9.92 € + 2 × 31 € = 71.92 €."""
    lo, hi = date(2026, 1, 1), date(2026, 2, 28)
    kwh = np.full(_grid(lo, hi).shape, np.nan)
    first = (day_bounds_epoch(date(2026, 2, 2))[0] - day_bounds_epoch(lo)[0]) // 900
    kwh[first : first + 7 * 96] = 0.1
    offers = [Offer(10, 2, DUO), Offer(11, 1, FLAT)]
    ranked = rank_offers(offers, 10, kwh, lo, hi)
    assert [(r.offer.tariff_id, round(r.costing.total_eur, 2), round(r.difference_eur, 2), r.mine) for r in ranked] == [
        (11, 10.08, -61.84, False), (10, 71.92, 0.0, True)
    ]  # fmt: skip
    assert [round(r.difference_eur, 2) for r in rank_offers(offers, None, kwh, lo, hi)] == [0.0, 61.84]
    assert rank_offers([], 10, kwh, lo, hi) == []


def test_month_periods_and_the_tariff_of_a_day() -> None:
    assert month_periods(date(2025, 12, 15), date(2026, 2, 3)) == [
        (date(2025, 12, 15), date(2025, 12, 31)), (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 3)),
    ]  # fmt: skip
    a = TariffVersion(date(2026, 1, 1), None, single_rate("B tariff", 0.1))
    b = TariffVersion(date(2026, 1, 1), None, single_rate("A tariff", 0.2))
    period = SupplierPeriod(1, date(2026, 1, 1), None, (a, b))
    assert tariff_on(period, date(2026, 3, 1)) is b  # several: the first by name
    assert tariff_on(period, date(2025, 12, 31)) is None
