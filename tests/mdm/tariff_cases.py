"""A two-season time-of-use tariff shared by the tariff, costing and COSEM tests (hand-checkable figures)."""

from __future__ import annotations

from datetime import date, time

from meterhub.mdm.tariffs import DayProfile, Rate, Season, SpecialDay, Switch, Tariff, WeekProfile

PEAK, OFF, WEEKEND = 1, 2, 3
WORKDAY, REST, SUMMER_WORKDAY = 1, 2, 3


def tou(fixed: float = 0.0) -> Tariff:
    """Winter workdays: off-peak 00–07, peak 07–22, off-peak 22–24; summer workdays: peak 08–20; weekends and
    public holidays: the weekend rate all day; Christmas Eve 2026 is an explicit rest day."""
    return Tariff(
        name="Heim TOU",
        rates=(Rate(PEAK, "peak", 0.30), Rate(OFF, "off-peak", 0.20), Rate(WEEKEND, "weekend", 0.15)),
        days=(
            DayProfile(WORKDAY, (Switch(time(0), OFF), Switch(time(7), PEAK), Switch(time(22), OFF))),
            DayProfile(REST, (Switch(time(0), WEEKEND),)),
            DayProfile(SUMMER_WORKDAY, (Switch(time(0), OFF), Switch(time(8), PEAK), Switch(time(20), OFF))),
        ),
        weeks=(
            WeekProfile("winter", (WORKDAY,) * 5 + (REST, REST)),
            WeekProfile("summer", (SUMMER_WORKDAY,) * 5 + (REST, REST)),
        ),
        seasons=(Season("summer", 4, 1, "summer"), Season("winter", 10, 1, "winter")),
        holiday_day_id=REST,
        special_days=(SpecialDay(date(2026, 12, 24), REST),),
        fixed_eur_month=fixed,
    )
