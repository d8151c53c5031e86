"""Costing a quarter-hour series under supplier tariffs, checked against hand-computed figures: a winter workday,
the DST days (92 and 100 slots), a public holiday, missing slots, tariff versions, and the comparison."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from meterhub.mdm.costing import TariffVersion, compare_tariffs, cost_series, cost_with_versions, fixed_share
from meterhub.mdm.tariffs import single_rate, tariff_from_dict
from tests.mdm.tariff_cases import OFF, PEAK, WEEKEND, WORKDAY, tou


def _by_rate(c: object) -> dict[int, tuple[float, float]]:
    return {r.rate: (round(r.kwh, 9), round(r.eur, 9)) for r in c.rates}  # type: ignore[attr-defined]


def test_a_winter_workday() -> None:
    # 0.25 kWh every quarter-hour of Monday 2026-01-05: 60 peak slots (07–22) and 36 off-peak
    c = cost_series(tou(fixed=12.40), np.full(96, 0.25), date(2026, 1, 5), date(2026, 1, 5))
    assert _by_rate(c) == {PEAK: (15.0, 4.5), OFF: (9.0, 1.8), WEEKEND: (0.0, 0.0)}
    assert c.fixed_eur == pytest.approx(12.40 / 31)  # one day of January
    assert c.total_eur == pytest.approx(6.3 + 0.4)
    assert c.kwh == pytest.approx(24.0)


def test_dst_days_and_a_holiday() -> None:
    d = tou().to_dict()
    d["special_days"] += [{"day": "2026-03-29", "day_id": WORKDAY}, {"day": "2026-10-25", "day_id": WORKDAY}]
    t = tariff_from_dict(d)
    spring = cost_series(t, np.ones(92), date(2026, 3, 29), date(2026, 3, 29))
    assert _by_rate(spring)[PEAK] == (60.0, 18.0) and _by_rate(spring)[OFF] == (32.0, 6.4)
    autumn = cost_series(t, np.ones(100), date(2026, 10, 25), date(2026, 10, 25))
    assert _by_rate(autumn)[PEAK] == (60.0, 18.0) and _by_rate(autumn)[OFF] == (40.0, 8.0)
    with pytest.raises(ValueError, match="92 slots"):
        cost_series(t, np.ones(96), date(2026, 3, 29), date(2026, 3, 29))
    # National Day 2026-06-23, a Tuesday: the weekend rate all day
    holiday = cost_series(tou(), np.full(96, 0.5), date(2026, 6, 23), date(2026, 6, 23))
    assert _by_rate(holiday) == {PEAK: (0.0, 0.0), OFF: (0.0, 0.0), WEEKEND: (48.0, 7.2)}


def test_missing_slots_are_not_priced() -> None:
    kwh = np.full(96, 0.25)
    kwh[30:34] = np.nan  # 07:30–08:30, four peak slots
    c = cost_series(tou(), kwh, date(2026, 1, 5), date(2026, 1, 5))
    assert c.missing_slots == 4 and c.slots == 96
    assert _by_rate(c)[PEAK] == (14.0, 4.2)


def test_versions_and_comparison() -> None:
    old, new = tou(), single_rate("Heim TOU", 0.25)
    versions = [TariffVersion(date(2025, 1, 1), date(2026, 1, 6), old), TariffVersion(date(2026, 1, 6), None, new)]
    kwh = np.full(192, 0.25)  # Monday 5 and Tuesday 6 January 2026
    c = cost_with_versions(versions, kwh, date(2026, 1, 5), date(2026, 1, 6))
    assert c.energy_eur == pytest.approx(6.3 + 6.0)  # Monday under the TOU version, Tuesday flat
    assert c.kwh == pytest.approx(48.0)
    with pytest.raises(ValueError, match="no tariff version covers 2024-12-31"):
        cost_with_versions(versions, np.full(96, 0.25), date(2024, 12, 31), date(2024, 12, 31))
    ranked = compare_tariffs([tou(), single_rate("flat 26", 0.26), single_rate("flat 27", 0.27)], kwh[:96],
                             date(2026, 1, 5), date(2026, 1, 5))  # fmt: skip
    assert [(r.tariff, round(r.total_eur, 6)) for r in ranked] == [
        ("flat 26", 6.24),
        ("Heim TOU", 6.3),
        ("flat 27", 6.48),
    ]


def test_fixed_share_by_day() -> None:
    assert fixed_share(31.0, date(2026, 1, 1), date(2026, 1, 31)) == pytest.approx(31.0)
    assert fixed_share(28.0, date(2026, 1, 31), date(2026, 2, 14)) == pytest.approx(
        28.0 / 31 + 14.0
    )  # 1 day of January, half of February
    assert fixed_share(10.0, date(2025, 1, 1), date(2025, 12, 31)) == pytest.approx(120.0)
