"""The Luxembourg network-use tariff, checked with the reference file's 2025 figures and hand-computed months:
the per-quarter-hour split, a month's cost, the cheapest level over a period, and when overruns happen."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest

from meterhub.mdm.network_tariff import (
    LEVELS_KW,
    PRICES_2025,
    level_choice,
    network_months,
    overrun_histogram,
    split_overrun,
)
from meterhub.mdm.series import slot_starts


def test_reference_figures() -> None:
    assert PRICES_2025.normal_eur_kwh == 0.0759 and PRICES_2025.overrun_eur_kwh == 0.1139
    assert LEVELS_KW == (3, 7, 12, 17, 27, 43, 70, 100)
    assert PRICES_2025.fixed_eur_month[3] == 11.11 and PRICES_2025.fixed_eur_month[100] == 208.80
    assert PRICES_2025.metering_eur_month == {"40-50A": 5.90, "63-100A": 11.72, ">=120A": 36.41}


def test_split_per_quarter_hour() -> None:
    # a 3 kW level allows 0.75 kWh per quarter-hour (the reference file's example)
    within, over = split_overrun([1.0, 0.5, 0.75, np.nan], 3)
    assert within.tolist() == [0.75, 0.5, 0.75, 0.0]
    assert over.tolist() == [0.25, 0.0, 0.0, 0.0]
    within, over = split_overrun([3.0], 7, interval_s=3600)  # an hourly series: 7 kWh per hour allowed
    assert (within.tolist(), over.tolist()) == ([3.0], [0.0])


def _february(peak_kwh: float = 2.0) -> tuple[np.ndarray, np.ndarray, int]:
    starts = slot_starts(date(2026, 2, 1), date(2026, 2, 28), 900)
    kwh = np.full(starts.size, 0.25)
    at = int(datetime(2026, 2, 10, 17, 0, tzinfo=UTC).timestamp())  # Tuesday 18:00 local (CET)
    i = int(np.searchsorted(starts, at))
    kwh[i] = peak_kwh
    return starts, kwh, i


def test_a_month_at_3_kw() -> None:
    starts, kwh, _ = _february()
    assert starts.size == 28 * 96
    [m] = network_months(starts, kwh, 3)
    assert m.month == date(2026, 2, 1) and m.days == 28
    assert m.kwh == pytest.approx(2687 * 0.25 + 2.0)
    assert m.within_kwh == pytest.approx(2687 * 0.25 + 0.75)
    assert m.overrun_kwh == pytest.approx(1.25) and m.overrun_slots == 1
    assert m.peak_kw == pytest.approx(8.0)
    assert m.peak_start == datetime(2026, 2, 10, 17, 0, tzinfo=UTC)
    assert m.energy_eur == pytest.approx(672.5 * 0.0759 + 1.25 * 0.1139)  # 51.185125
    assert m.overrun_extra_eur == pytest.approx(1.25 * 0.038)
    assert (m.fixed_eur, m.metering_eur) == (pytest.approx(11.11), pytest.approx(5.90))
    assert m.total_eur == pytest.approx(68.195125)


def test_cheapest_level_for_a_small_home() -> None:
    starts, kwh, _ = _february()
    choice = level_choice(starts, kwh, current_kw=7)
    assert choice.totals_eur[7] == pytest.approx(673.5 * 0.0759 + 0.25 * 0.1139 + 19.27 + 5.90)  # 76.317125
    assert choice.cheapest_kw == 3
    assert choice.saving_eur == pytest.approx(76.317125 - 68.195125)
    assert choice.overrun_kwh[3] == pytest.approx(1.25) and choice.overrun_kwh[12] == 0.0


def test_cheapest_level_for_an_ev_home() -> None:
    # 0.1 kWh base, and an 11 kW charger 4 h every evening (16 quarter-hours of 2.75 kWh), February 2026
    starts = slot_starts(date(2026, 2, 1), date(2026, 2, 28), 900)
    kwh = np.full(starts.size, 0.1)
    day = kwh.reshape(28, 96)
    day[:, 80:96] = 2.75  # 20:00–24:00
    choice = level_choice(starts, kwh, current_kw=3)
    # relative to all energy at the normal rate, each level adds its fixed part and 0.038 € per overrun kWh:
    # 3 kW: 11.11 + 28·16·2.00·0.038 = 45.158; 7 kW: 19.27 + 28·16·1.00·0.038 = 36.294; 12 kW: 29.46
    base = float(kwh.sum()) * 0.0759 + 5.90
    assert choice.totals_eur[3] - base == pytest.approx(45.158)
    assert choice.totals_eur[7] - base == pytest.approx(36.294)
    assert choice.totals_eur[12] - base == pytest.approx(29.46)
    assert choice.cheapest_kw == 12
    assert choice.saving_eur == pytest.approx(45.158 - 29.46)
    hist = overrun_histogram(starts, kwh, 3)
    assert hist.slots[:, 20:24].sum() == 28 * 16 and hist.slots.sum() == 28 * 16
    assert hist.kwh[6, 20] == pytest.approx(4 * 4 * 2.0)  # Sundays 20:00–21:00: 4 Sundays × 4 slots × 2 kWh


def test_histogram_places_the_overrun() -> None:
    starts, kwh, _ = _february()
    hist = overrun_histogram(starts, kwh, 3)
    assert hist.kwh[1, 18] == pytest.approx(1.25) and hist.slots[1, 18] == 1  # Tuesday, 18:00 local
    assert hist.slots.sum() == 1


def test_dst_months_and_a_partial_month() -> None:
    march = slot_starts(date(2026, 3, 1), date(2026, 3, 31), 900)
    october = slot_starts(date(2026, 10, 1), date(2026, 10, 31), 900)
    assert march.size == 31 * 96 - 4 and october.size == 31 * 96 + 4
    [m] = network_months(march, np.full(march.size, 0.1), 3)
    assert m.days == 31 and m.fixed_eur == pytest.approx(11.11) and m.kwh == pytest.approx(0.1 * 2972)
    half = slot_starts(date(2026, 6, 1), date(2026, 6, 15), 900)
    [j] = network_months(half, np.zeros(half.size), 3, connection="63-100A")
    assert j.fixed_eur == pytest.approx(11.11 / 2) and j.metering_eur == pytest.approx(11.72 / 2)
    both = network_months(np.concatenate([march, october]), np.zeros(march.size + october.size), 3, connection=None)
    assert [x.month for x in both] == [date(2026, 3, 1), date(2026, 10, 1)] and both[0].metering_eur == 0.0
    with pytest.raises(ValueError, match="not a reference power level"):
        network_months(march, np.zeros(march.size), 5)
