"""Supplier energy tariffs: rates, seasons, week and day profiles, Luxembourg holidays as special days.

The model is the one of the COSEM activity calendar (class 20, Blue Book 4.5.5) with the special days table
(class 11), so that the same tariff is priced here and pushed to meters (:mod:`meterhub.mdm.tariff_cosem` maps
it both ways). A :class:`Tariff` has **rates** (numbered 1…n as the tariffication script's selectors, each with
a name and an energy price in €/kWh), **day profiles** (``day_id`` → switch times in local wall-clock time, each
starting a rate), **week profiles** (a day_id per weekday, Monday first), **seasons** (each starting on a
month/day every year and naming its week profile) and **special days**: every Luxembourg public holiday
(``holidays`` package, :data:`meterhub.country.HOLIDAYS_COUNTRY`) takes ``holiday_day_id`` when it is set, and
explicit dated entries take their own day profile (they win over holidays). A day's profile is looked up in that
order: explicit special day, public holiday, then the season in force (the latest season start on or before the
day, the last season of the year carrying over into January) and its week profile's weekday.

:func:`slot_rates` gives the rate of every slot of local days — 92 or 100 quarter-hours on DST days: a slot
takes the rate in force at its local wall-clock start (the repeated 02:xx hour of October twice, the skipped one
of March not at all). Tariffs travel as JSON (:meth:`Tariff.to_dict` / :func:`tariff_from_dict`, clear
:class:`TariffError` messages on bad input); the store keeps supplier tariff versions (:mod:`meterhub.store.tariffs`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

import holidays
import numpy as np
import numpy.typing as npt

from meterhub.country import HOLIDAYS_COUNTRY
from meterhub.store.intervals import day_range, wall_slots

MAX_RATES = 16
"""At most this many rates (registers 1.8.1 … of the national profile use far fewer)."""
MAX_CACHED_RANGES = 64
"""Periods whose slot rates a tariff object keeps (read-only arrays; a page asks for the same months again)."""


class TariffError(ValueError):
    """A tariff definition that cannot be used (the message says what and where)."""


@dataclass(frozen=True, slots=True)
class Rate:
    """One rate (tariff register): its number (the script selector), name and energy price in €/kWh."""

    number: int
    name: str
    price_eur_kwh: float


@dataclass(frozen=True, slots=True)
class Switch:
    """A day profile action: from local wall-clock ``start`` on, rate ``rate`` is in force."""

    start: time
    rate: int


@dataclass(frozen=True, slots=True)
class DayProfile:
    """A day profile (``day_id``) with its switches sorted by start; the first starts at 00:00."""

    day_id: int
    switches: tuple[Switch, ...]


@dataclass(frozen=True, slots=True)
class WeekProfile:
    """A week profile: the day_id of Monday … Sunday."""

    name: str
    days: tuple[int, int, int, int, int, int, int]


@dataclass(frozen=True, slots=True)
class Season:
    """A season starting every year on ``month``/``day`` (00:00 local) that uses week profile ``week``."""

    name: str
    month: int
    day: int
    week: str


@dataclass(frozen=True, slots=True)
class SpecialDay:
    """An explicit special day: ``day`` takes day profile ``day_id``."""

    day: date
    day_id: int


@dataclass(frozen=True, slots=True)
class Tariff:
    """A supplier's energy tariff (see the module docstring); ``fixed_eur_month`` is its standing charge."""

    name: str
    rates: tuple[Rate, ...]
    days: tuple[DayProfile, ...]
    weeks: tuple[WeekProfile, ...]
    seasons: tuple[Season, ...]
    holiday_day_id: int | None = None
    special_days: tuple[SpecialDay, ...] = ()
    fixed_eur_month: float = 0.0
    _lookup: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def rate_numbers(self) -> tuple[int, ...]:
        return tuple(r.number for r in self.rates)

    def rate(self, number: int) -> Rate:
        return next(r for r in self.rates if r.number == number)

    def prices(self) -> npt.NDArray[np.float64]:
        """Price (€/kWh) indexed by rate number (index 0 unused, NaN)."""
        out = np.full(max(self.rate_numbers) + 1, np.nan)
        for r in self.rates:
            out[r.number] = r.price_eur_kwh
        return out

    def day_profile(self, day_id: int) -> DayProfile:
        return next(d for d in self.days if d.day_id == day_id)

    def day_id_of(self, day: date) -> int:
        """The day profile in force on local ``day``: special day, public holiday, else season and weekday."""
        special = self._lookup.get("special")
        if special is None:
            special = {s.day: s.day_id for s in self.special_days}
            self._lookup["special"] = special
        if day in special:
            return int(special[day])
        if self.holiday_day_id is not None and day in public_holidays(day.year):
            return self.holiday_day_id
        week = self.week_of(self.season_of(day).week)
        return week.days[day.weekday()]

    def season_of(self, day: date) -> Season:
        """The season in force on ``day`` (the last one starting on or before it, wrapping over New Year)."""
        ordered = sorted(self.seasons, key=lambda s: (s.month, s.day))
        current = ordered[-1]
        for s in ordered:
            if (s.month, s.day) <= (day.month, day.day):
                current = s
        return current

    def week_of(self, name: str) -> WeekProfile:
        return next(w for w in self.weeks if w.name == name)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (what :func:`tariff_from_dict` reads)."""
        return {
            "name": self.name,
            "rates": [{"number": r.number, "name": r.name, "price_eur_kwh": r.price_eur_kwh} for r in self.rates],
            "days": [
                {
                    "day_id": d.day_id,
                    "switches": [{"start": s.start.strftime("%H:%M"), "rate": s.rate} for s in d.switches],
                }
                for d in self.days
            ],
            "weeks": [{"name": w.name, "days": list(w.days)} for w in self.weeks],
            "seasons": [{"name": s.name, "start": f"{s.month:02d}-{s.day:02d}", "week": s.week} for s in self.seasons],
            "holiday_day_id": self.holiday_day_id,
            "special_days": [{"day": s.day.isoformat(), "day_id": s.day_id} for s in self.special_days],
            "fixed_eur_month": self.fixed_eur_month,
        }


@functools.cache
def public_holidays(year: int) -> frozenset[date]:
    """Luxembourg's legal public holidays of ``year`` (10 distinct dates in 2024, 11 in 2025 and 2026)."""
    return frozenset(holidays.country_holidays(HOLIDAYS_COUNTRY, years=year).keys())


def _validate(t: Tariff) -> None:
    where = f"tariff {t.name!r}"
    if not t.name.strip():
        raise TariffError("a tariff needs a name")
    numbers = [r.number for r in t.rates]
    if not numbers:
        raise TariffError(f"{where}: no rates")
    if len(set(numbers)) != len(numbers) or not all(1 <= n <= MAX_RATES for n in numbers):
        raise TariffError(f"{where}: rate numbers must be distinct, 1…{MAX_RATES}, got {numbers}")
    for r in t.rates:
        if not np.isfinite(r.price_eur_kwh) or r.price_eur_kwh < 0:
            raise TariffError(f"{where}: rate {r.number} price must be a number ≥ 0 €/kWh, got {r.price_eur_kwh}")
    ids = [d.day_id for d in t.days]
    if not ids or len(set(ids)) != len(ids) or not all(0 <= i <= 255 for i in ids):
        raise TariffError(f"{where}: day profiles need distinct day_ids 0…255, got {ids}")
    for d in t.days:
        starts = [s.start for s in d.switches]
        if not starts or starts[0] != time(0, 0):
            raise TariffError(f"{where}: day profile {d.day_id} must start with a switch at 00:00")
        if starts != sorted(set(starts)):
            raise TariffError(f"{where}: day profile {d.day_id} switch times must be increasing")
        for s in d.switches:
            if s.rate not in numbers:
                raise TariffError(f"{where}: day profile {d.day_id} uses rate {s.rate}, not among {numbers}")
            if s.start.second or s.start.microsecond:
                raise TariffError(f"{where}: day profile {d.day_id} switch {s.start} must be on a whole minute")
    names = [w.name for w in t.weeks]
    if not names or len(set(names)) != len(names):
        raise TariffError(f"{where}: week profiles need distinct names, got {names}")
    for w in t.weeks:
        if len(w.days) != 7 or any(i not in ids for i in w.days):
            raise TariffError(f"{where}: week profile {w.name!r} needs 7 known day_ids (Monday…Sunday)")
    if not t.seasons:
        raise TariffError(f"{where}: no seasons (one season starting 01-01 for a tariff without seasons)")
    starts_md = [(s.month, s.day) for s in t.seasons]
    if len(set(starts_md)) != len(starts_md):
        raise TariffError(f"{where}: two seasons start on the same day")
    for season in t.seasons:
        try:
            date(2024, season.month, season.day)  # a leap year: 02-29 is a valid start
        except ValueError:
            raise TariffError(
                f"{where}: season {season.name!r} starts on an impossible day {season.month}-{season.day}"
            ) from None
        if season.week not in names:
            raise TariffError(f"{where}: season {season.name!r} names unknown week profile {season.week!r}")
    if t.holiday_day_id is not None and t.holiday_day_id not in ids:
        raise TariffError(f"{where}: holiday_day_id {t.holiday_day_id} is not a day profile")
    for sd in t.special_days:
        if sd.day_id not in ids:
            raise TariffError(f"{where}: special day {sd.day} uses unknown day profile {sd.day_id}")
    if len({sd.day for sd in t.special_days}) != len(t.special_days):
        raise TariffError(f"{where}: a special day is listed twice")
    if not np.isfinite(t.fixed_eur_month) or t.fixed_eur_month < 0:
        raise TariffError(f"{where}: fixed_eur_month must be ≥ 0, got {t.fixed_eur_month}")


# ------------------------------------------------------------------------------------------- rates per slot


def _wall_rates(t: Tariff, day_id: int, interval_s: int) -> npt.NDArray[np.int8]:
    """The rate of every wall-clock slot of a normal day under day profile ``day_id`` (cached on the tariff)."""
    key = f"wall/{day_id}/{interval_s}"
    cached: npt.NDArray[np.int8] | None = t._lookup.get(key)
    if cached is None:
        profile = t.day_profile(day_id)
        starts = np.array([s.start.hour * 60 + s.start.minute for s in profile.switches])
        rates = np.array([s.rate for s in profile.switches], dtype=np.int8)
        slot_minutes = np.arange(86_400 // interval_s) * (interval_s // 60)
        cached = rates[np.searchsorted(starts, slot_minutes, side="right") - 1]
        t._lookup[key] = cached
    return cached


def slot_rates(t: Tariff, day_from: date, day_to: date, interval_s: int = 900) -> npt.NDArray[np.int8]:
    """The rate number of every slot of the local days ``day_from``…``day_to`` (inclusive), concatenated in time
    order (92/100 slots on DST days at 900 s): each slot takes the rate in force at its wall-clock start. The
    answer is read-only and kept on the tariff (the latest :data:`MAX_CACHED_RANGES` periods)."""
    if interval_s % 60 or 86_400 % interval_s:
        raise ValueError(f"interval {interval_s} s does not divide a day in whole minutes")
    key = f"range/{day_from}/{day_to}/{interval_s}"
    cached: npt.NDArray[np.int8] | None = t._lookup.get(key)
    if cached is not None:
        return cached
    parts = [_wall_rates(t, t.day_id_of(d), interval_s)[wall_slots(d, interval_s)] for d in day_range(day_from, day_to)]
    out = np.concatenate(parts) if parts else np.empty(0, dtype=np.int8)
    out.flags.writeable = False
    ranges = [k for k in list(t._lookup) if k.startswith("range/")]  # list(): atomic against other threads
    if len(ranges) >= MAX_CACHED_RANGES:  # a long-lived tariff object keeps the latest periods asked for
        for k in ranges[: len(ranges) // 2]:
            t._lookup.pop(k, None)
    t._lookup[key] = out
    return out


# ------------------------------------------------------------------------------------------------ from JSON


def _get(d: Mapping[str, Any], key: str, where: str) -> Any:
    if not isinstance(d, Mapping):
        raise TariffError(f"{where}: expected an object, got {type(d).__name__}")
    if key not in d:
        raise TariffError(f"{where}: missing {key!r}")
    return d[key]


def _int(v: Any, where: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise TariffError(f"{where}: expected an integer, got {v!r}")
    return v


def _num(v: Any, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise TariffError(f"{where}: expected a number, got {v!r}")
    return float(v)


def _str(v: Any, where: str) -> str:
    if not isinstance(v, str):
        raise TariffError(f"{where}: expected a text, got {v!r}")
    return v


def _list(v: Any, where: str) -> Sequence[Any]:
    if not isinstance(v, list):
        raise TariffError(f"{where}: expected a list, got {type(v).__name__}")
    return v


def _hhmm(v: Any, where: str) -> time:
    text = _str(v, where)
    try:
        hh, mm = text.split(":")
        return time(int(hh), int(mm))
    except ValueError:
        raise TariffError(f"{where}: expected a time HH:MM, got {text!r}") from None


def _month_day(v: Any, where: str) -> tuple[int, int]:
    text = _str(v, where)
    try:
        mm, dd = text.split("-")
        return int(mm), int(dd)
    except ValueError:
        raise TariffError(f"{where}: expected a season start MM-DD, got {text!r}") from None


def tariff_from_dict(d: Mapping[str, Any]) -> Tariff:
    """Read the JSON form of a tariff; any problem raises :class:`TariffError` naming the field."""
    name = _str(_get(d, "name", "tariff"), "tariff.name")
    w = f"tariff {name!r}"
    rates = tuple(
        Rate(
            _int(_get(r, "number", f"{w} rates[{i}]"), f"{w} rates[{i}].number"),
            _str(_get(r, "name", f"{w} rates[{i}]"), f"{w} rates[{i}].name"),
            _num(_get(r, "price_eur_kwh", f"{w} rates[{i}]"), f"{w} rates[{i}].price_eur_kwh"),
        )
        for i, r in enumerate(_list(_get(d, "rates", w), f"{w} rates"))
    )
    days = []
    for i, dp in enumerate(_list(_get(d, "days", w), f"{w} days")):
        at = f"{w} days[{i}]"
        switches = tuple(
            Switch(_hhmm(_get(s, "start", f"{at} switches[{j}]"), f"{at} switches[{j}].start"),
                   _int(_get(s, "rate", f"{at} switches[{j}]"), f"{at} switches[{j}].rate"))
            for j, s in enumerate(_list(_get(dp, "switches", at), f"{at} switches"))
        )  # fmt: skip
        days.append(DayProfile(_int(_get(dp, "day_id", at), f"{at}.day_id"), switches))
    weeks = []
    for i, wp in enumerate(_list(_get(d, "weeks", w), f"{w} weeks")):
        at = f"{w} weeks[{i}]"
        ids = tuple(_int(x, f"{at}.days") for x in _list(_get(wp, "days", at), f"{at}.days"))
        if len(ids) != 7:
            raise TariffError(f"{at}: days needs 7 day_ids (Monday…Sunday), got {len(ids)}")
        weeks.append(WeekProfile(_str(_get(wp, "name", at), f"{at}.name"), ids))
    seasons = []
    for i, sp in enumerate(_list(_get(d, "seasons", w), f"{w} seasons")):
        at = f"{w} seasons[{i}]"
        month, day = _month_day(_get(sp, "start", at), f"{at}.start")
        seasons.append(
            Season(_str(_get(sp, "name", at), f"{at}.name"), month, day, _str(_get(sp, "week", at), f"{at}.week"))
        )
    specials = []
    for i, sd in enumerate(_list(d.get("special_days", []), f"{w} special_days")):
        at = f"{w} special_days[{i}]"
        text = _str(_get(sd, "day", at), f"{at}.day")
        try:
            day_ = date.fromisoformat(text)
        except ValueError:
            raise TariffError(f"{at}.day: expected a date YYYY-MM-DD, got {text!r}") from None
        specials.append(SpecialDay(day_, _int(_get(sd, "day_id", at), f"{at}.day_id")))
    holiday = d.get("holiday_day_id")
    return Tariff(
        name=name,
        rates=rates,
        days=tuple(days),
        weeks=tuple(weeks),
        seasons=tuple(seasons),
        holiday_day_id=None if holiday is None else _int(holiday, f"{w} holiday_day_id"),
        special_days=tuple(specials),
        fixed_eur_month=_num(d.get("fixed_eur_month", 0.0), f"{w} fixed_eur_month"),
    )


def single_rate(name: str, price_eur_kwh: float, fixed_eur_month: float = 0.0) -> Tariff:
    """A flat tariff: one rate all day, every day."""
    day = DayProfile(1, (Switch(time(0, 0), 1),))
    return Tariff(
        name,
        (Rate(1, "flat", price_eur_kwh),),
        (day,),
        (WeekProfile("all", (1,) * 7),),
        (Season("year", 1, 1, "all"),),
        fixed_eur_month=fixed_eur_month,
    )


__all__ = [
    "MAX_RATES",
    "DayProfile",
    "Rate",
    "Season",
    "SpecialDay",
    "Switch",
    "Tariff",
    "TariffError",
    "WeekProfile",
    "public_holidays",
    "single_rate",
    "slot_rates",
    "tariff_from_dict",
]
