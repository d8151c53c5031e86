"""The advice helpers the household pages use, against hand-computed cases: raw slots laid on the full grid
(missing slots NaN), what a kWh less is worth under a tariff (its rates weighted by the home's own kWh, plus the
network's normal rate), the items ranked by € a year, and the figures each item carries for the portal to word."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from meterhub.mdm.advice import Advice, base_load_advice, energy_price, ranked, shifting_advice, slot_grid
from meterhub.mdm.costing import cost_series
from tests.mdm.tariff_cases import tou


def test_slot_grid_places_present_slots_and_leaves_the_rest_missing() -> None:
    grid = slot_grid([900, 2700, 3600, 9000], [1.0, 2.0, 3.0, 9.0], [True, True, False, True], 0, 4500)
    assert grid.size == 5
    assert np.isnan(grid[[0, 2, 4]]).all() and grid[1] == 1.0 and grid[3] == 2.0
    with pytest.raises(ValueError, match="whole number"):
        slot_grid([], [], [], 0, 1000)


def test_energy_price_weights_the_rates_by_the_homes_own_kwh() -> None:
    # the winter Monday of the costing test: 15 kWh at 0.30 (peak) and 9 kWh at 0.20 (off-peak)
    c = cost_series(tou(), np.full(96, 0.25), date(2026, 1, 5), date(2026, 1, 5))
    assert energy_price(c, 0.0759) == pytest.approx((15 * 0.30 + 9 * 0.20) / 24 + 0.0759)  # 0.3384
    assert energy_price(None, 0.0759) == 0.0759
    a = shifting_advice(c, days=1)
    assert a.params["cheapest"] == 0.15 and a.params["share"] == 0.15
    assert a.params["moved_kwh"] == pytest.approx(24 * 0.15 * 365)


def test_ranked_by_euros_a_year_and_the_params_of_an_item() -> None:
    big = base_load_advice(300.0, 0.30)
    assert big.params == {"base_w": 300.0, "target_w": 50.0, "standby_kwh": pytest.approx(2628.0),
                          "standby_eur": pytest.approx(788.4), "price": 0.30}  # fmt: skip
    small = Advice("x", 10.0, 5.0, "")
    none = Advice("y", 0.0, 0.0, "")
    assert [a.kind for a in ranked([none, None, small, big])] == ["base_load", "x", "y"]
