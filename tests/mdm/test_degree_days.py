"""Heating degree days (Eurostat: 18 − T on days at or below 15 °C) and the heating signature fit, against
hand-computed cases."""

from __future__ import annotations

from datetime import date

import pytest

from meterhub.mdm.degree_days import fit_heating, heating_degree_days, monthly_degree_days, paired


@pytest.mark.parametrize(
    ("t", "hdd"), [(10.0, 8.0), (-2.0, 20.0), (15.0, 3.0), (15.01, 0.0), (16.0, 0.0), (25.0, 0.0), (0.0, 18.0)]
)
def test_eurostat_degree_days(t: float, hdd: float) -> None:
    assert heating_degree_days(t) == pytest.approx(hdd)


def test_other_bases() -> None:
    assert heating_degree_days(10.0, room=20.0, limit=15.0) == 10.0  # G20/15 of VDI 2067
    assert heating_degree_days(14.0, room=20.0, limit=12.0) == 0.0


def test_a_daily_signature_fitted_exactly() -> None:
    # days at 10, 15, 16 and −2 °C: 8, 3, 0 and 20 degree days; use 2 + 0.5 × HDD: 6, 3.5, 2, 12
    fit = fit_heating([6.0, 3.5, 2.0, 12.0], [8.0, 3.0, 0.0, 20.0])
    assert fit is not None
    assert fit.per_degree_day == pytest.approx(0.5) and fit.base_per_day == pytest.approx(2.0)
    assert fit.r2 == pytest.approx(1.0) and fit.periods == 4 and fit.days == 4
    assert fit.consumption == pytest.approx(23.5) and fit.degree_days == pytest.approx(31.0)
    assert fit.base_share == pytest.approx(8.0 / 23.5)  # 4 days × 2 of 23.5
    assert fit.expected(10.0) == pytest.approx(7.0)


def test_a_noisy_signature_by_hand() -> None:
    # x = (0, 1, 2), y = (1, 2, 4) with a per-day term n = 1: slope 1.5, intercept 5/6 (ordinary least squares)
    fit = fit_heating([1.0, 2.0, 4.0], [0.0, 1.0, 2.0])
    assert fit is not None
    assert fit.per_degree_day == pytest.approx(1.5) and fit.base_per_day == pytest.approx(5 / 6)
    # residuals: 1 − 5/6, 2 − 14/6, 4 − 23/6 → 1/6, −2/6, 1/6: SS_res = 6/36; SS_tot = (1−7/3)² + (2−7/3)² + (4−7/3)²
    ss_tot = (4 / 3) ** 2 + (1 / 3) ** 2 + (5 / 3) ** 2
    assert fit.r2 == pytest.approx(1 - (6 / 36) / ss_tot)


def test_months_weigh_their_days() -> None:
    # base 1.2 a day, 0.48 per degree day: a 31-day month with 300 HDD, a 28-day one with 250, a 30-day one with 90
    months = [(31, 300.0), (28, 250.0), (30, 90.0)]
    use = [1.2 * n + 0.48 * h for n, h in months]
    fit = fit_heating(use, [h for _n, h in months], [n for n, _h in months])
    assert fit is not None and fit.base_per_day == pytest.approx(1.2) and fit.per_degree_day == pytest.approx(0.48)
    assert fit.days == 89


def test_no_fit_without_enough_periods_or_cold() -> None:
    assert fit_heating([1.0, 2.0], [1.0, 2.0]) is None
    assert fit_heating([1.0, 2.0, 3.0], [0.0, 0.0, 0.0]) is None  # summer only
    assert fit_heating([1.0, 2.0, 3.0], [2.0, 2.0, 2.0]) is None  # degree days proportional to the days


def test_monthly_degree_days_and_pairing() -> None:
    temps = {date(2025, 1, 30): 10.0, date(2025, 1, 31): 20.0, date(2025, 2, 1): -2.0}
    months = monthly_degree_days(temps, date(2025, 1, 30), date(2025, 2, 2))
    assert [(m.start, m.degree_days, m.days, m.days_with_weather) for m in months] == [
        (date(2025, 1, 1), 8.0, 2, 2), (date(2025, 2, 1), 20.0, 2, 1),
    ]  # fmt: skip
    by_start = {m.start: m for m in months}
    both, missing = paired([(date(2025, 1, 1), 5.0), (date(2025, 2, 1), 7.0), (date(2025, 3, 1), None)], by_start)
    assert [b[0] for b in both] == [date(2025, 1, 1)] and missing == [date(2025, 2, 1)]
