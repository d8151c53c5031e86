"""A supplier tariff as a COSEM activity calendar (class 20) with its special days table (class 11), and back.

Pure data, no I/O: :func:`to_activity_calendar` turns a :class:`~meterhub.mdm.tariffs.Tariff` into the values of
the calendar's attributes as the Blue Book (4.5.5, 4.5.3) structures them — ``season_profile`` entries
``{season_profile_name, season_start (date-time, year/weekday not specified), week_name}``,
``week_profile_table`` entries ``{week_profile_name, monday … sunday (day_id)}``, ``day_profile_table`` entries
``{day_id, day_schedule: [{start_time (time), script_logical_name (the tariffication script table's OBIS),
script_selector (the rate)}]}`` — and the special days table's ``entries`` ``{index, specialday_date (date),
day_id}``. A meter knows no Easter rule, so the Luxembourg public holidays become dated special days for the
years asked for. :meth:`ActivityCalendar.passive_attributes` gives the values by attribute index (the passive
calendar a head-end writes before calling ``activate_passive_calendar``).

:func:`from_activity_calendar` reads such a calendar back; the meter holds no prices, so the rates come from
the caller. A day_id whose special days cover every public holiday of the years is the holiday day profile;
the other special days stay explicit — so ``from_activity_calendar(to_activity_calendar(t, years), t.rates,
years) == t``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time

from meterhub.cosem.classes import ActivityCalendarAttribute, SpecialDaysTableAttribute
from meterhub.cosem.obis import TARIFFICATION_SCRIPT_TABLE
from meterhub.dlms.axdr.date_time import NOT_SPECIFIED, Date, DateTime, Time
from meterhub.mdm.tariffs import (
    DayProfile,
    Rate,
    Season,
    SpecialDay,
    Switch,
    Tariff,
    TariffError,
    WeekProfile,
    public_holidays,
)


@dataclass(frozen=True, slots=True)
class SeasonEntry:
    """One ``season_profile`` element."""

    season_profile_name: bytes
    season_start: bytes  # 12-octet date-time
    week_name: bytes


@dataclass(frozen=True, slots=True)
class WeekEntry:
    """One ``week_profile_table`` element: the day_id of Monday … Sunday."""

    week_profile_name: bytes
    days: tuple[int, int, int, int, int, int, int]


@dataclass(frozen=True, slots=True)
class DayAction:
    """One ``day_profile_action``."""

    start_time: bytes  # 4-octet time
    script_logical_name: bytes  # 6-octet OBIS
    script_selector: int


@dataclass(frozen=True, slots=True)
class DayEntry:
    """One ``day_profile_table`` element."""

    day_id: int
    day_schedule: tuple[DayAction, ...]


@dataclass(frozen=True, slots=True)
class SpecialDayEntry:
    """One element of the special days table's ``entries`` (class 11)."""

    index: int
    specialday_date: bytes  # 5-octet date
    day_id: int


@dataclass(frozen=True, slots=True)
class ActivityCalendar:
    """The calendar's attribute values and the special days table's entries."""

    calendar_name: bytes
    season_profile: tuple[SeasonEntry, ...]
    week_profile_table: tuple[WeekEntry, ...]
    day_profile_table: tuple[DayEntry, ...]
    special_days: tuple[SpecialDayEntry, ...]

    def passive_attributes(self) -> dict[ActivityCalendarAttribute, object]:
        """The passive calendar's attribute values by index, as nested tuples of A-XDR-ready values."""
        A = ActivityCalendarAttribute
        return {
            A.CALENDAR_NAME_PASSIVE: self.calendar_name,
            A.SEASON_PROFILE_PASSIVE: [
                (s.season_profile_name, s.season_start, s.week_name) for s in self.season_profile
            ],
            A.WEEK_PROFILE_TABLE_PASSIVE: [(w.week_profile_name, *w.days) for w in self.week_profile_table],
            A.DAY_PROFILE_TABLE_PASSIVE: [
                (d.day_id, [(a.start_time, a.script_logical_name, a.script_selector) for a in d.day_schedule])
                for d in self.day_profile_table
            ],
        }

    def special_days_attributes(self) -> dict[SpecialDaysTableAttribute, object]:
        """The special days table's ``entries`` by attribute index."""
        return {SpecialDaysTableAttribute.ENTRIES: [(e.index, e.specialday_date, e.day_id) for e in self.special_days]}


def _text(b: bytes, what: str) -> str:
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        raise TariffError(f"{what} is not UTF-8 text: {b!r}") from None


def _special_dates(t: Tariff, years: Iterable[int]) -> list[tuple[date, int]]:
    out: dict[date, int] = {}
    if t.holiday_day_id is not None:
        for y in years:
            out.update(dict.fromkeys(public_holidays(y), t.holiday_day_id))
    out.update({s.day: s.day_id for s in t.special_days})  # explicit entries win
    return sorted(out.items())


def to_activity_calendar(t: Tariff, years: Iterable[int]) -> ActivityCalendar:
    """The tariff as an activity calendar; public holidays of ``years`` become dated special days."""
    script = TARIFFICATION_SCRIPT_TABLE.to_bytes()
    seasons = tuple(
        SeasonEntry(
            s.name.encode(),
            DateTime(
                month=s.month, day=s.day, weekday=NOT_SPECIFIED, hour=0, minute=0, second=0, hundredths=0
            ).to_bytes(),
            s.week.encode(),
        )
        for s in sorted(t.seasons, key=lambda s: (s.month, s.day))
    )
    weeks = tuple(WeekEntry(w.name.encode(), w.days) for w in t.weeks)
    days = tuple(
        DayEntry(
            d.day_id,
            tuple(DayAction(Time(s.start.hour, s.start.minute, 0, 0).to_bytes(), script, s.rate) for s in d.switches),
        )
        for d in t.days
    )
    specials = tuple(
        SpecialDayEntry(i, Date(day.year, day.month, day.day, day.isoweekday()).to_bytes(), day_id)
        for i, (day, day_id) in enumerate(_special_dates(t, years), start=1)
    )
    return ActivityCalendar(t.name.encode(), seasons, weeks, days, specials)


def from_activity_calendar(cal: ActivityCalendar, rates: Sequence[Rate], years: Iterable[int]) -> Tariff:
    """The tariff a calendar describes, with the caller's ``rates`` (prices are not held by meters)."""
    seasons = []
    for s in cal.season_profile:
        start = DateTime.from_bytes(s.season_start)
        seasons.append(
            Season(_text(s.season_profile_name, "season name"), start.month, start.day, _text(s.week_name, "week name"))
        )
    weeks = tuple(WeekProfile(_text(w.week_profile_name, "week name"), w.days) for w in cal.week_profile_table)
    days = []
    for d in cal.day_profile_table:
        switches = []
        for a in d.day_schedule:
            tm = Time.from_bytes(a.start_time)
            switches.append(Switch(time(tm.hour, tm.minute), a.script_selector))
        days.append(DayProfile(d.day_id, tuple(switches)))
    dated: dict[date, int] = {}
    for e in cal.special_days:
        dt = Date.from_bytes(e.specialday_date)
        dated[date(dt.year, dt.month, dt.day)] = e.day_id
    holidays_of_years = set().union(*(public_holidays(y) for y in years))
    holiday_day_id = None
    for day_id in sorted(set(dated.values())):
        if holidays_of_years and all(dated.get(h) == day_id for h in holidays_of_years):
            holiday_day_id = day_id
            break
    specials = tuple(
        SpecialDay(day, day_id)
        for day, day_id in sorted(dated.items())
        if not (holiday_day_id is not None and day_id == holiday_day_id and day in holidays_of_years)
    )
    return Tariff(
        name=_text(cal.calendar_name, "calendar name"),
        rates=tuple(rates),
        days=tuple(days),
        weeks=weeks,
        seasons=tuple(seasons),
        holiday_day_id=holiday_day_id,
        special_days=specials,
    )


__all__ = [
    "ActivityCalendar",
    "DayAction",
    "DayEntry",
    "SeasonEntry",
    "SpecialDayEntry",
    "WeekEntry",
    "from_activity_calendar",
    "to_activity_calendar",
]
