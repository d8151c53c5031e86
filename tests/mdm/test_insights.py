"""The home page's figures against hand-made series: the comparison period and its day pairs, daily totals with
missing and estimated slots, the night base load (180 W → 260 W), a water leak (every hour above zero for 24 h
or more), days missing or estimated, and PV feed-in with midday import — each with the case just below its
threshold that must stay silent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import numpy as np
import pytest

from meterhub.mdm import insights as ins
from meterhub.store.intervals import LOCAL_TZ, day_bounds_epoch, day_range

Series = tuple[np.ndarray, np.ndarray, np.ndarray]


def series(first: date, last: date, interval_s: int, value: Callable[[date, int], float], q: int = 1) -> Series:
    """Slots of [first, last] with ``value(day, local hour)`` each, quality ``q``."""
    es: list[int] = []
    for day in day_range(first, last):
        lo, hi = day_bounds_epoch(day)
        es.extend(range(lo, hi, interval_s))
    e = np.array(es, np.int64)
    hours = ins.local_hours(e)
    days = [datetime.fromtimestamp(int(x), LOCAL_TZ).date() for x in e.tolist()]
    v = np.array([value(d, int(h)) for d, h in zip(days, hours.tolist(), strict=True)], np.float64)
    return e, v, np.full(e.size, q, np.uint8)


def test_comparison_days_and_last_year() -> None:
    assert ins.comparison_days(date(2025, 7, 20)) == (date(2025, 7, 1), date(2025, 7, 19))
    assert ins.comparison_days(date(2025, 7, 1)) == (date(2025, 6, 1), date(2025, 6, 30))
    assert ins.comparison_days(date(2025, 3, 1)) == (date(2025, 2, 1), date(2025, 2, 28))
    assert ins.same_days_last_year(date(2024, 2, 1), date(2024, 2, 29)) == (date(2023, 2, 1), date(2023, 2, 28))
    assert ins.local_hours(np.array([day_bounds_epoch(date(2025, 3, 30))[0] + 3 * 3600])).tolist() == [4]  # DST day


def test_daily_totals_count_known_slots_and_estimates() -> None:
    e, v, q = series(date(2025, 3, 29), date(2025, 3, 31), 900, lambda d, h: 100.0)
    q[100:104] = 0  # four slots of the DST day (30 March: 92 slots) missing
    q[200:210] = 3  # ten estimated on the 31st
    days = ins.daily_totals(e, v, q, 900, date(2025, 3, 29), date(2025, 4, 1))
    assert [(d.day.day, d.value, d.known, d.slots, d.estimated) for d in days] == [
        (29, 9600.0, 96, 96, 0),
        (30, 8800.0, 88, 92, 0),
        (31, 9600.0, 96, 96, 10),
        (1, None, 0, 96, 0),
    ]
    assert not days[1].complete and days[2].complete


def test_compare_states_the_change_over_days_both_years_have() -> None:
    this = [ins.DayTotal(date(2025, 7, d), 9.0, 24, 24, 0) for d in range(1, 6)]
    last = [ins.DayTotal(date(2024, 7, d), 12.0 if d != 3 else None, 24 if d != 3 else 0, 24, 0) for d in range(1, 6)]
    c = ins.compare(this, last)
    assert (c.this_total, c.last_total, c.days_compared) == (45.0, 48.0, 4)
    assert c.change_pct == pytest.approx((36 - 48) / 48 * 100)  # -25 % over the 4 days both have
    none = ins.compare(this, [ins.DayTotal(d.day, None, 0, 24, 0) for d in last])
    assert none.change_pct is None and not none.last_year_has_data and none.last_total is None


TODAY = date(2025, 7, 20)
FIRST = date(2025, 5, 1)


def _night(before_w: float, now_w: float) -> Series:
    def wh(d: date, h: int) -> float:
        if 1 <= h < 5:
            return (now_w if d >= date(2025, 7, 6) else before_w) / 4
        return 400.0

    return series(FIRST, date(2025, 7, 19), 900, wh)


def test_night_base_load_rise_from_180_to_260_w() -> None:
    found = ins.night_base_load(*_night(180, 260), 900, TODAY)
    assert found is not None and found.kind == "night_base_load_up"
    assert dict(found.numbers) == {"before_w": 180, "now_w": 260, "rise_pct": 44, "extra_kwh_year": 701}


@pytest.mark.parametrize(("before", "now"), [(180, 200), (100, 125), (80, 104), (200, 180)])
def test_night_base_load_below_thresholds_is_silent(before: float, now: float) -> None:
    # +20 W; +25 W (25 % but < 30 W); +24 W (30 %); a fall
    assert ins.night_base_load(*_night(before, now), 900, TODAY) is None


def test_night_base_load_needs_the_eight_weeks_before() -> None:
    e, v, q = _night(180, 260)
    keep = e >= day_bounds_epoch(date(2025, 6, 20))[0]
    assert ins.night_base_load(e[keep], v[keep], q[keep], 900, TODAY) is None


def _water(leak_from: date) -> Series:
    # 20 l an hour from 06:00 to 24:00, nothing at night — except from ``leak_from`` on, 5 l in every night hour
    return series(
        date(2025, 7, 6), date(2025, 7, 19), 3600, lambda d, h: 20.0 if h >= 6 else (5.0 if d >= leak_from else 0.0)
    )


def test_continuous_flow_is_a_leak() -> None:
    found = ins.continuous_flow(*_water(date(2025, 7, 18)))
    assert found is not None and found.kind == "continuous_flow" and found.severity == "warning"
    # from 17 July 06:00 to 19 July 24:00: 18 + 24 + 24 hours; 18·20 + 2·(18·20 + 6·5) litres
    assert found.numbers["hours"] == 66 and found.numbers["litres"] == 360 + 2 * 390
    assert found.numbers["min_l_per_h"] == 5.0 and found.numbers["ongoing"] == 1
    assert found.numbers["since"] == int(datetime(2025, 7, 17, 6, tzinfo=LOCAL_TZ).timestamp())


def test_flow_that_stops_every_night_or_an_unknown_hour_is_no_leak() -> None:
    assert ins.continuous_flow(*_water(date(2025, 8, 1))) is None  # 18 h a day at most
    e, v, q = series(date(2025, 7, 18), date(2025, 7, 19), 3600, lambda d, h: 5.0)
    assert ins.continuous_flow(e, v, q).numbers["hours"] == 48  # type: ignore[union-attr]
    q[23] = 0  # 23:00 on the 18th not read: two runs of 23 and 24 hours
    assert ins.continuous_flow(e, v, q).numbers["hours"] == 24  # type: ignore[union-attr]
    q[30] = 0
    assert ins.continuous_flow(e, v, q) is None


def test_data_gaps_name_the_days() -> None:
    days = [ins.DayTotal(date(2025, 7, d), 1.0, 96, 96, 0) for d in range(6, 20)]
    assert ins.data_gaps(days) == []
    days[2] = ins.DayTotal(date(2025, 7, 8), None, 0, 96, 0)
    days[4] = ins.DayTotal(date(2025, 7, 10), 1.0, 95, 96, 0)
    days[9] = ins.DayTotal(date(2025, 7, 15), 1.0, 96, 96, 96)
    gaps = ins.data_gaps(days)
    assert [(g.kind, g.numbers["days"], g.days) for g in gaps] == [
        ("days_missing", 2, (date(2025, 7, 8), date(2025, 7, 10))),
        ("days_estimated", 1, (date(2025, 7, 15),)),
    ]


def test_midday_import_with_export() -> None:
    first, last = date(2025, 7, 6), date(2025, 7, 19)
    imp = series(first, last, 900, lambda d, h: 100.0)  # 16 midday slots · 100 Wh = 1.6 kWh a day
    exp = series(first, last, 900, lambda d, h: 300.0 if 11 <= h < 15 else 0.0)  # 4.8 kWh a day
    found = ins.midday_import_with_export(imp, exp, TODAY)
    assert found is not None and dict(found.numbers) == {"export_kwh_per_day": 4.8, "midday_import_kwh_per_day": 1.6}
    low = series(first, last, 900, lambda d, h: 50.0)  # 0.8 kWh a day at midday
    assert ins.midday_import_with_export(low, exp, TODAY) is None
    no_pv = series(first, last, 900, lambda d, h: 10.0 if 11 <= h < 15 else 0.0)  # 0.16 kWh a day
    assert ins.midday_import_with_export(imp, no_pv, TODAY) is None
