"""The overrun-causes classifier on hand-made quarter-hour series: an EV charging block on winter evenings, a heat
pump on cold mornings (with and without the day's temperature), cooking spikes at noon and in the evening, and
what fits none of them."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest

from meterhub.country import LOCAL_TZ
from meterhub.mdm.overrun_causes import classify_overruns, summarise
from meterhub.mdm.series import slot_starts

BASE = 0.1  # kWh per quarter-hour: 400 W


def _days(first: date, last: date) -> tuple[np.ndarray, np.ndarray]:
    starts = slot_starts(first, last, 900)
    return starts, np.full(starts.size, BASE)


def _at(starts: np.ndarray, day: date, hh: int, mm: int = 0) -> int:
    epoch = int(datetime(day.year, day.month, day.day, hh, mm, tzinfo=LOCAL_TZ).timestamp())
    i = int(np.searchsorted(starts, epoch))
    assert starts[i] == epoch
    return i


def test_an_ev_charging_on_winter_evenings() -> None:
    starts, kwh = _days(date(2026, 1, 5), date(2026, 1, 11))  # Monday … Sunday
    for d in range(5):  # 11 kW (2.75 kWh a quarter-hour) 19:00–22:00 on the workdays
        i = _at(starts, date(2026, 1, 5 + d), 19)
        kwh[i : i + 12] = 2.75 + BASE
    events = classify_overruns(starts, kwh, 3)
    assert [ev.cause for ev in events] == ["ev_charging"] * 5
    ev = events[0]
    assert (ev.slots, ev.local_start_min, ev.weekday, ev.month) == (12, 19 * 60, 0, 1)
    assert ev.overrun_kwh == pytest.approx(12 * (2.85 - 0.75))
    assert ev.peak_kw == pytest.approx(11.4)
    [s] = summarise(events)
    assert (s.cause, s.events, s.slots, s.start_hours) == ("ev_charging", 5, 60, (19,))
    assert s.overrun_kwh == pytest.approx(5 * 12 * 2.1)
    # at 12 kW (3 kWh a quarter-hour) the charger no longer overruns
    assert classify_overruns(starts, kwh, 12) == []


def test_a_night_charge_past_midnight_is_one_event() -> None:
    starts, kwh = _days(date(2026, 2, 2), date(2026, 2, 3))
    i = _at(starts, date(2026, 2, 2), 23)
    kwh[i : i + 16] = 1.85  # 7.4 kW 23:00–03:00
    [ev] = classify_overruns(starts, kwh, 3)
    assert (ev.cause, ev.slots, ev.local_start_min) == ("ev_charging", 16, 23 * 60)


def test_a_heat_pump_on_cold_mornings_by_temperature_or_by_season() -> None:
    starts, kwh = _days(date(2026, 1, 12), date(2026, 1, 13))
    for day in (date(2026, 1, 12), date(2026, 1, 13)):
        i = _at(starts, day, 6)
        kwh[i : i + 8] = np.array([1.0, 1.3, 0.9, 1.2, 1.4, 0.8, 1.1, 1.0])  # a compressor cycling, not flat
    events = classify_overruns(starts, kwh, 3)
    assert [(ev.cause, ev.weather_known) for ev in events] == [("heat_pump", False), ("heat_pump", False)]
    monday = int(datetime(2026, 1, 12, tzinfo=LOCAL_TZ).timestamp() + 3600) // 86_400  # local day number
    mild = classify_overruns(starts, kwh, 3, day_mean_c={monday: 11.0, monday + 1: -2.0})
    assert [(ev.cause, ev.weather_known) for ev in mild] == [("other", True), ("heat_pump", True)]


def test_the_same_morning_load_in_summer_is_not_the_heat_pump() -> None:
    starts, kwh = _days(date(2026, 7, 6), date(2026, 7, 6))
    i = _at(starts, date(2026, 7, 6), 7)
    kwh[i : i + 3] = [1.0, 1.3, 0.9]
    [ev] = classify_overruns(starts, kwh, 3)
    assert ev.cause == "other"


def test_cooking_spikes_at_mealtimes() -> None:
    starts, kwh = _days(date(2026, 3, 14), date(2026, 3, 14))  # a Saturday
    noon = _at(starts, date(2026, 3, 14), 12, 15)
    kwh[noon : noon + 2] = [1.2, 0.9]
    evening = _at(starts, date(2026, 3, 14), 19, 0)
    kwh[evening] = 1.6
    late = _at(starts, date(2026, 3, 14), 15, 0)
    kwh[late] = 1.6  # a spike in the afternoon: not a meal
    events = classify_overruns(starts, kwh, 3)
    assert [(ev.cause, ev.slots, ev.weekday) for ev in events] == [
        ("cooking", 2, 5),
        ("other", 1, 5),
        ("cooking", 1, 5),
    ]
    summary = summarise(events)
    assert [s.cause for s in summary] == ["cooking", "other"]
    assert summary[0].overrun_kwh == pytest.approx(0.45 + 0.15 + 0.85)
    assert summary[0].start_hours == (12, 19)


def test_a_long_flat_block_at_noon_is_not_an_ev_and_missing_slots_draw_nothing() -> None:
    starts, kwh = _days(date(2026, 1, 7), date(2026, 1, 7))
    i = _at(starts, date(2026, 1, 7), 12)
    kwh[i : i + 8] = 2.0  # 2 h at noon: too long for cooking, not evening or night
    kwh[i + 3] = np.nan  # a missing slot splits it
    events = classify_overruns(starts, kwh, 3)
    assert [(ev.cause, ev.slots) for ev in events] == [("cooking", 3), ("other", 4)]
    with pytest.raises(ValueError, match="differ in length"):
        classify_overruns(starts, kwh[:-1], 3)


def test_a_short_11_kw_session_is_the_car_and_a_kitchen_spike_is_not() -> None:
    starts, kwh = _days(date(2026, 11, 3), date(2026, 11, 3))  # a Tuesday
    i = _at(starts, date(2026, 11, 3), 18, 30)
    kwh[i : i + 3] = [2.85, 2.85, 1.1]  # 6.8 kWh at 11 kW from 18:30: two full quarter-hours and a partial one
    j = _at(starts, date(2026, 11, 3), 12, 0)
    kwh[j : j + 2] = [1.3, 1.2]  # 5 kW at noon for half an hour: hobs and oven
    events = classify_overruns(starts, kwh, 3)
    assert [(ev.cause, ev.slots, ev.local_start_min) for ev in events] == [
        ("cooking", 2, 12 * 60),
        ("ev_charging", 3, 18 * 60 + 30),
    ]
    # the same 18:30 block at 5 kW is a cooking peak: too low for a short charge
    kwh[i : i + 3] = [1.3, 1.25, 1.0]
    assert [ev.cause for ev in classify_overruns(starts, kwh, 3)] == ["cooking", "cooking"]


def test_a_charging_block_with_a_spike_on_top_stays_flat() -> None:
    starts, kwh = _days(date(2026, 12, 1), date(2026, 12, 1))
    i = _at(starts, date(2026, 12, 1), 20)
    kwh[i : i + 8] = 1.0  # 3.7 kW for 2 h …
    kwh[i + 2] = 1.6  # … with the kettle on top for a quarter-hour
    [ev] = classify_overruns(starts, kwh, 3)
    assert (ev.cause, ev.slots) == ("ev_charging", 8)
