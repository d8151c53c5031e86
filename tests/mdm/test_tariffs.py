"""Supplier tariffs: the day profile of each day (seasons, weekdays, Luxembourg holidays, explicit special days),
the rate of each slot on normal and DST days, the JSON form and its refusals (with a property test)."""

from __future__ import annotations

import contextlib
import json
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meterhub.mdm.tariffs import TariffError, public_holidays, single_rate, slot_rates, tariff_from_dict
from tests.mdm.tariff_cases import OFF, PEAK, REST, SUMMER_WORKDAY, WEEKEND, WORKDAY, tou


def test_holidays_of_luxembourg() -> None:
    assert len(public_holidays(2024)) == 10  # Ascension = Europe Day on 2024-05-09
    assert len(public_holidays(2026)) == 11
    assert date(2026, 4, 6) in public_holidays(2026)  # Easter Monday (Easter Sunday 2026-04-05)
    assert date(2026, 4, 3) not in public_holidays(2026)  # Good Friday is a bank day only


@pytest.mark.parametrize(
    ("day", "day_id"),
    [
        (date(2026, 1, 5), WORKDAY),  # Monday, winter
        (date(2026, 1, 10), REST),  # Saturday
        (date(2026, 1, 1), REST),  # New Year, a Thursday
        (date(2026, 3, 31), WORKDAY),  # Tuesday, the last day of winter
        (date(2026, 4, 1), SUMMER_WORKDAY),  # Wednesday, summer starts
        (date(2026, 4, 6), REST),  # Easter Monday
        (date(2026, 6, 23), REST),  # National Day, a Tuesday
        (date(2026, 6, 22), SUMMER_WORKDAY),
        (date(2026, 10, 1), WORKDAY),  # Thursday, winter again
        (date(2026, 12, 24), REST),  # explicit special day (a Thursday, not a public holiday)
        (date(2027, 1, 4), WORKDAY),  # the winter season carries over New Year
    ],
)
def test_day_profile_of_each_day(day: date, day_id: int) -> None:
    assert tou().day_id_of(day) == day_id


def test_slot_rates_normal_and_dst_days() -> None:
    t = tou()
    monday = slot_rates(t, date(2026, 1, 5), date(2026, 1, 5))
    assert monday.size == 96
    assert (monday[:28] == OFF).all() and (monday[28:88] == PEAK).all() and (monday[88:] == OFF).all()
    # 2026-03-30 is a Monday in winter; the day before is the spring-forward Sunday (92 slots, weekend rate)
    two = slot_rates(t, date(2026, 3, 29), date(2026, 3, 30))
    assert two.size == 92 + 96
    assert (two[:92] == WEEKEND).all()
    assert np.array_equal(two[92:], monday)
    # a workday profile on DST days: make both switch Sundays explicit workdays
    d = t.to_dict()
    d["special_days"] += [{"day": "2026-03-29", "day_id": WORKDAY}, {"day": "2026-10-25", "day_id": WORKDAY}]
    tw = tariff_from_dict(d)
    spring = slot_rates(tw, date(2026, 3, 29), date(2026, 3, 29))
    assert spring.size == 92 and np.count_nonzero(spring == OFF) == 32 and np.count_nonzero(spring == PEAK) == 60
    autumn = slot_rates(tw, date(2026, 10, 25), date(2026, 10, 25))
    assert autumn.size == 100 and np.count_nonzero(autumn == OFF) == 40 and np.count_nonzero(autumn == PEAK) == 60
    assert (autumn[:32] == OFF).all()  # 00:00–07:00 holds the 02:xx hour twice


def test_hourly_slots() -> None:
    rates = slot_rates(tou(), date(2026, 1, 5), date(2026, 1, 5), interval_s=3600)
    assert rates.tolist() == [OFF] * 7 + [PEAK] * 15 + [OFF] * 2


def test_json_round_trip() -> None:
    t = tou(fixed=12.4)
    again = tariff_from_dict(json.loads(json.dumps(t.to_dict())))
    assert again == t
    assert again.day_id_of(date(2026, 12, 24)) == REST
    flat = single_rate("flat", 0.25)
    assert tariff_from_dict(flat.to_dict()) == flat


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("rates"), "missing 'rates'"),
        (lambda d: d["rates"].append({"number": 1, "name": "x", "price_eur_kwh": 0.1}), "distinct"),
        (lambda d: d["rates"][0].update(price_eur_kwh=-1), "≥ 0"),
        (lambda d: d["rates"][0].update(price_eur_kwh="0.3"), "expected a number"),
        (lambda d: d["days"][0]["switches"][0].update(start="01:00"), "start with a switch at 00:00"),
        (lambda d: d["days"][0]["switches"][1].update(start="25:00"), "expected a time HH:MM"),
        (lambda d: d["days"][0]["switches"][1].update(rate=9), "uses rate 9"),
        (lambda d: d["days"][0]["switches"].reverse(), "00:00"),
        (lambda d: d["weeks"][0].update(days=[1, 1, 1]), "7 day_ids"),
        (lambda d: d["weeks"][0].update(days=[1, 1, 1, 1, 1, 1, 7]), "7 known day_ids"),
        (lambda d: d["seasons"][0].update(week="spring"), "unknown week profile 'spring'"),
        (lambda d: d["seasons"][0].update(start="02-30"), "impossible day"),
        (lambda d: d["seasons"].clear(), "no seasons"),
        (lambda d: d.update(holiday_day_id=8), "holiday_day_id 8"),
        (lambda d: d["special_days"].append({"day": "2026-13-01", "day_id": 1}), "expected a date"),
        (lambda d: d.update(name="  "), "needs a name"),
    ],
)
def test_refusals_name_the_field(change: object, message: str) -> None:
    d = tou().to_dict()
    change(d)  # type: ignore[operator]
    with pytest.raises(TariffError, match=message):
        tariff_from_dict(d)


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 300) | st.floats(allow_nan=True) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(["name", "rates", "days", "weeks", "seasons", "holiday_day_id", "special_days"]), junk=_json)
def test_any_json_is_a_tariff_or_a_tariff_error(key: str, junk: object) -> None:
    d = tou().to_dict()
    d[key] = junk
    with contextlib.suppress(TariffError):
        tariff_from_dict(d)
