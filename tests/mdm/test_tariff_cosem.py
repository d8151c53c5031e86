"""A tariff as a COSEM activity calendar (class 20) with its special days table (class 11): the Blue Book
structures' octets, and the round trip back to the same tariff."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from meterhub.cosem.classes import ActivityCalendarAttribute, ClassId, SpecialDaysTableAttribute, interface_class
from meterhub.mdm.tariff_cosem import from_activity_calendar, to_activity_calendar
from meterhub.mdm.tariffs import public_holidays
from tests.mdm.tariff_cases import OFF, PEAK, REST, tou


def test_calendar_structures() -> None:
    cal = to_activity_calendar(tou(), [2026])
    assert cal.calendar_name == b"Heim TOU"
    # season_start: year and weekday not specified, 00:00:00.00, deviation and status not specified
    assert [s.season_start.hex() for s in cal.season_profile] == [
        "ffff0401ff000000008000ff",
        "ffff0a01ff000000008000ff",
    ]  # 1 April, 1 October
    assert [(s.season_profile_name, s.week_name) for s in cal.season_profile] == [
        (b"summer", b"summer"),
        (b"winter", b"winter"),
    ]
    assert cal.week_profile_table[0].days == (1, 1, 1, 1, 1, 2, 2)
    workday = cal.day_profile_table[0].day_schedule
    assert [(a.start_time.hex(), a.script_logical_name.hex(), a.script_selector) for a in workday] == [
        ("00000000", "00000a0064ff", OFF),
        ("07000000", "00000a0064ff", PEAK),
        ("16000000", "00000a0064ff", OFF),
    ]
    # 11 public holidays of 2026 and Christmas Eve, by date, indexed from 1
    assert len(cal.special_days) == 12
    assert [e.index for e in cal.special_days] == list(range(1, 13))
    assert cal.special_days[0].specialday_date.hex() == "07ea010104"  # 2026-01-01, a Thursday (4)
    assert {e.day_id for e in cal.special_days} == {REST}
    attrs = cal.passive_attributes()
    assert set(attrs) == {
        ActivityCalendarAttribute.CALENDAR_NAME_PASSIVE,
        ActivityCalendarAttribute.SEASON_PROFILE_PASSIVE,
        ActivityCalendarAttribute.WEEK_PROFILE_TABLE_PASSIVE,
        ActivityCalendarAttribute.DAY_PROFILE_TABLE_PASSIVE,
    }
    assert len(cal.special_days_attributes()[SpecialDaysTableAttribute.ENTRIES]) == 12  # type: ignore[arg-type]
    assert interface_class(ClassId.SPECIAL_DAYS_TABLE).name == "Special days table"


def test_round_trip() -> None:
    t = tou()
    years = [2025, 2026, 2027]
    cal = to_activity_calendar(t, years)
    assert len(cal.special_days) == 11 * 3 + 1
    back = from_activity_calendar(cal, t.rates, years)
    assert back == t
    for y in years:
        for h in public_holidays(y):
            assert back.day_id_of(h) == REST


def test_round_trip_of_a_tariff_without_holidays() -> None:
    t = replace(tou(), holiday_day_id=None)
    back = from_activity_calendar(to_activity_calendar(t, [2026]), t.rates, [2026])
    assert back == t
    assert back.day_id_of(date(2026, 6, 23)) != REST  # National Day is an ordinary Tuesday here
