"""The household's History page, ``GET /history`` (role ``customer``): one metering point's medium over any period
of the 3 years kept, from quarter-hours to years, with estimated and edited values marked and counted, and for
gas and heat the heating against heating degree days.

Query parameters (all optional): ``point`` (a visible point's id; another is a 404), ``medium``
(:data:`~meterhub.portal.household.MEDIUM_ORDER`), ``preset`` (:data:`PRESETS`: yesterday at 15 min, the last 7
days hourly, last month daily, the last 12 months monthly, 3 years by year) or ``from`` / ``to`` (local days,
both included) with ``res`` (``15min`` … ``year``; empty: chosen from the period's length, :func:`auto_resolution`).
A quarter-hour view is at most :data:`MAX_DAYS` ``["15min"]`` days; a channel read hourly (the M-Bus sub-meters)
is shown hourly at finest. Bad input is a 422 page with the form and the reason.

Every read goes through :class:`~meterhub.portal.household.Household` (logged as ``portal:history``); the weather
is the platform's (:mod:`meterhub.store.weather`), the degree days and the heating signature
:mod:`meterhub.mdm.degree_days`'s. The charts are :mod:`meterhub.portal.history_charts`'; zooming into the chart
offers a link to the zoomed range at a finer resolution (``static/history.js``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, Final

import numpy as np
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from fastapi import APIRouter, Request
from fastapi.responses import Response

from meterhub.api.series import Resolution, Series, SeriesError
from meterhub.api.service import NotVisible
from meterhub.country import LOCAL_TZ
from meterhub.mdm import degree_days as dd
from meterhub.portal import nav
from meterhub.portal.deps import PersonDep, PortalDep
from meterhub.portal.history_charts import CATEGORIES, HeatingPoint, Point, consumption_chart, heating_chart
from meterhub.portal.household import Household, Medium
from meterhub.portal.i18n import N_, Gettext, lang_of, tr

router = APIRouter()
nav.built("/history")

RESOLUTIONS: Final[dict[str, str]] = {
    "15min": N_("15 minutes"), "hour": N_("Hours"), "day": N_("Days"), "month": N_("Months"), "year": N_("Years"),
}  # fmt: skip
PERIOD_NOUNS: Final[dict[str, str]] = {
    "15min": N_("quarter-hours"), "hour": N_("hours"), "day": N_("days"), "month": N_("months"), "year": N_("years"),
}  # fmt: skip
"""The periods of a resolution as the counts name them ("3 of 31 days …")."""
PRESETS: Final[dict[str, tuple[str, str]]] = {
    "yesterday": ("15min", N_("Yesterday, every 15 minutes")),
    "week": ("hour", N_("Last 7 days, hourly")),
    "month": ("day", N_("Last month, daily")),
    "year": ("month", N_("Last 12 months, monthly")),
    "years": ("year", N_("3 years, by year")),
}
DEFAULT_PRESET: Final = "month"
MAX_DAYS: Final[dict[str, int]] = {"15min": 31, "hour": 366, "day": 3 * 366 + 31, "month": 3 * 366 + 31,
                                   "year": 3 * 366 + 31}  # fmt: skip
"""The longest period shown at each resolution (quarter-hours: a month; hours: a year; else the 3 years kept)."""
KEPT_DAYS: Final = 3 * 366 + 31
"""How far back a period may start (the 3 years kept, and the month they start in)."""
HEATING_MIN_DAYS: Final = 28
"""A shorter period's heating chart covers the 365 days up to its end instead."""
MEDIUM_NAMES: Final[dict[str, str]] = {
    "electricity_import": N_("Electricity used"), "electricity_export": N_("Electricity fed in"),
    "gas": N_("Gas"), "water": N_("Water"), "heat": N_("Heat"),
}  # fmt: skip
HEATED: Final = ("gas", "heat")


class Refused(ValueError):
    """Input the page cannot show (answered 422 with the form and this translated message)."""


@dataclass(frozen=True, slots=True)
class Period:
    first: date  # local days, both included
    last: date
    resolution: str
    preset: str  # a key of PRESETS, or "custom"

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def display(medium: Medium) -> tuple[float, str]:
    """(factor from the channel's unit, unit shown): kWh for Wh, m³ for gas litres, litres for water."""
    if medium.unit.lower() == "wh":
        return 1e-3, "kWh"
    if medium.key == "gas":
        return 1e-3, "m³"
    return 1.0, "l" if medium.unit.lower() == "l" else medium.unit


def _month_add(day: date, months: int) -> date:
    k = day.year * 12 + day.month - 1 + months
    return date(k // 12, k % 12 + 1, 1)


def preset_period(preset: str, today: date) -> Period:
    """The preset's period, ending yesterday or today (see :data:`PRESETS`)."""
    res = PRESETS[preset][0]
    if preset == "yesterday":
        return Period(today - timedelta(days=1), today - timedelta(days=1), res, preset)
    if preset == "week":
        return Period(today - timedelta(days=7), today - timedelta(days=1), res, preset)
    if preset == "month":
        first = _month_add(today.replace(day=1), -1)
        return Period(first, today.replace(day=1) - timedelta(days=1), res, preset)
    if preset == "year":
        return Period(_month_add(today.replace(day=1), -11), today, res, preset)
    return Period(date(today.year - 2, 1, 1), today, res, preset)


def auto_resolution(days: int) -> str:
    """The resolution of a custom period without one: 15 min up to 2 days, hours up to 10, days up to 400."""
    if days <= 2:
        return "15min"
    if days <= 10:
        return "hour"
    return "day" if days <= 400 else "month"


def _check_length(days: int, resolution: str, _: Gettext) -> None:
    """:class:`Refused` when ``days`` are more than :data:`MAX_DAYS` allows at ``resolution``."""
    if days <= MAX_DAYS[resolution]:
        return
    limit = MAX_DAYS[resolution]
    if resolution == "15min":
        raise Refused(
            _("Quarter-hours can be shown for at most %(n)s days: choose a shorter period or hours.", n=limit)
        )
    raise Refused(_("Hours can be shown for at most %(n)s days: choose a shorter period or days.", n=limit))


def parse_period(preset: str, start: str, end: str, res: str, today: date, _: Gettext) -> Period:
    """The period asked for (see the module docstring); :class:`Refused` with the reason."""
    if res and res not in RESOLUTIONS:
        raise Refused(_("Choose a resolution from the list."))
    if not start and not end:
        key = preset or DEFAULT_PRESET
        if key not in PRESETS:
            raise Refused(_("Choose a period from the list."))
        p = preset_period(key, today)
        if res:
            _check_length(p.days, res, _)
            return Period(p.first, p.last, res, key)
        return p
    try:
        first = date.fromisoformat(start.strip())
        last = date.fromisoformat(end.strip()) if end.strip() else today
    except ValueError:
        raise Refused(_("Give the days as YYYY-MM-DD (for example 2025-03-01).")) from None
    if last < first:
        raise Refused(_("The period ends before it starts: swap the two days."))
    if last > today:
        raise Refused(_("The period ends in the future: choose a day up to today."))
    oldest = today - timedelta(days=KEPT_DAYS)
    if first < oldest:
        raise Refused(_("We keep 3 years of data: choose a first day from %(day)s on.", day=oldest.isoformat()))
    days = (last - first).days + 1
    chosen = res or auto_resolution(days)
    _check_length(days, chosen, _)
    return Period(first, last, chosen, "custom")


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ).astimezone(UTC)


def _bounds(first: date, last: date, now: datetime) -> tuple[datetime, datetime]:
    """[local midnight of ``first``, the midnight after ``last``), ending at the latest at the hour ``now`` is in
    (quarter-hours not measured yet are not missing)."""
    end = min(_midnight(last + timedelta(days=1)), now.astimezone(UTC).replace(minute=0, second=0, microsecond=0))
    start = _midnight(first)
    return start, max(end, start + timedelta(hours=1))


def category(quality: str, value: object) -> str:
    """The chart's category of a series value (``missing`` only without a value)."""
    if value is None:
        return "missing"
    if quality in ("measured", "validated"):
        return "measured"
    if quality == "missing":
        return "incomplete"
    return quality if quality in CATEGORIES else "measured"


def _start(item: dict[str, Any]) -> datetime:
    text = str(item["start"])
    return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text).astimezone(LOCAL_TZ)


def _sub_daily_times(starts: list[str]) -> tuple[list[str], list[date], list[str]]:
    """UTC ``…Z`` starts as local ISO minutes (the chart's x), local days and ``HH:MM CET`` (each hour's offset
    looked up once: a month of quarter-hours is 2 976 values, 744 hours)."""
    epochs = np.array([s[:-1] for s in starts], dtype="datetime64[s]").astype(np.int64)
    hours, inverse = np.unique(epochs // 3600, return_inverse=True)
    zones = [datetime.fromtimestamp(int(h) * 3600, LOCAL_TZ) for h in hours.tolist()]
    offsets = np.array([int(z.utcoffset().total_seconds()) for z in zones], np.int64)  # type: ignore[union-attr]
    names = [z.strftime("%Z") for z in zones]
    local = (epochs + offsets[inverse]).astype("datetime64[s]")
    xs = np.datetime_as_string(local, unit="m").tolist()
    days = local.astype("datetime64[D]").tolist()
    clock = [f"{x[11:16]} {names[i]}" for x, i in zip(xs, inverse.tolist(), strict=True)]
    return xs, days, clock


def chart_points(series: Series, resolution: str, factor: float, lang: str) -> list[Point]:
    """The series as chart points with local labels (sub-daily with the zone abbreviation: CET / CEST)."""
    items = series.points
    values = [None if item["value"] is None else float(item["value"]) * factor for item in items]
    cats = [category(str(item["quality"]), v) for item, v in zip(items, values, strict=True)]
    labels: dict[date, str] = {}  # a day's label in the language, formatted once
    if resolution in ("15min", "hour") and items:
        xs, days, clock = _sub_daily_times([str(item["start"]) for item in items])
        for d in set(days):
            labels[d] = format_date(d, "EEE d MMM yyyy", locale=lang)
        texts = [f"{labels[d]} {c}" for d, c in zip(days, clock, strict=True)]
        return [Point(*row) for row in zip(xs, texts, values, cats, strict=True)]
    pattern = {"day": "EEE d MMM yyyy", "month": "LLLL yyyy"}.get(resolution)
    out = []
    for item, value, cat in zip(items, values, cats, strict=True):
        local = date.fromisoformat(str(item["start"])[:10])  # a local midnight with its offset
        label = format_date(local, pattern, locale=lang) if pattern else str(local.year)
        out.append(Point(local.isoformat(), label, value, cat))
    return out


@lru_cache(maxsize=8)
def _symbols(lang: str) -> tuple[str, str]:
    """The language's decimal and group separators (Babel's; formatting each of thousands of values with Babel
    itself costs a tenth of a second)."""
    sample = format_decimal(1234.5, format="#,##0.0", locale=lang)
    return sample[-2], sample[1]


def number(value: float | None, lang: str, digits: int = 3) -> str:
    """``value`` with up to ``digits`` decimals (trailing zeros dropped), separators of the language; — for None."""
    if value is None:
        return "—"
    text = f"{round(value, digits):,.{digits}f}"
    if digits:
        text = text.rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    decimal, group = _symbols(lang)
    return text.replace(",", "\x00").replace(".", decimal).replace("\x00", group)


def count_sentences(points: list[Point], resolution: str, _: Gettext) -> list[str]:
    """ "3 of 31 days contain estimated values", per marked category and for gaps (none when all is measured)."""
    total = len(points)
    noun = _(PERIOD_NOUNS[resolution])
    texts = {
        "estimated": N_("%(n)s of %(total)s %(periods)s contain estimated values."),
        "edited": N_("%(n)s of %(total)s %(periods)s contain edited values."),
        "suspect": N_("%(n)s of %(total)s %(periods)s contain suspect values (failed a check, not yet replaced)."),
        "incomplete": N_("%(n)s of %(total)s %(periods)s are incomplete: some values are missing (the sum of the "
                         "known ones is shown)."),
        "missing": N_("%(n)s of %(total)s %(periods)s have no data: gaps in the chart, not zeros."),
    }  # fmt: skip
    out = []
    for key, text in texts.items():
        n = sum(1 for p in points if p.category == key)
        if n:
            out.append(_(text, n=n, total=total, periods=noun))
    return out


@dataclass
class Heating:
    """The heating section's view."""

    title: str
    chart: str
    rows: list[tuple[str, str, str, str, str]]  # label, degree days, use, use per day, quality label
    sentences: list[str]
    weather_note: str


def _heating(hh: Household, point_id: int, medium: Medium, period: Period, lang: str, _: Gettext) -> Heating:
    """Use against heating degree days over the period (or the 365 days up to its end when it is short)."""
    last = period.last
    first = period.first if period.days >= HEATING_MIN_DAYS else last - timedelta(days=364)
    monthly = (last - first).days + 1 > 400
    res: Resolution = "month" if monthly else "day"
    factor, unit = display(medium)
    try:
        series = hh.series(point_id, medium.obis, *_bounds(first, last, hh.now), res)
    except NotVisible:
        series = Series(medium.unit, medium.interval_s, [])
    temps = {w.day: w.temperature_c for w in hh.portal.store.weather_days(first, last)}
    if monthly:
        degree_days = {p.start: p for p in dd.monthly_degree_days(temps, first, last)}
    else:
        degree_days = {
            d: dd.PeriodDegreeDays(d, dd.heating_degree_days(temps[d]) if d in temps else 0.0, 1, int(d in temps))
            for d in (first + timedelta(days=i) for i in range((last - first).days + 1))
        }
    values = []
    quality: dict[date, str] = {}
    for item in series.points:
        start = _start(item).date()
        value = None if item["value"] is None else float(item["value"]) * factor
        quality[start] = category(str(item["quality"]), value)
        values.append((start, value if quality[start] != "incomplete" else None))
    both, no_weather = dd.paired(values, degree_days)
    fit = dd.fit_heating([v for _d, v, _p in both], [p.degree_days for _d, _v, p in both], [p.days for *_x, p in both])
    labels = {d: format_date(d, "LLLL yyyy" if monthly else "EEE d MMM yyyy", locale=lang) for d, _v, _p in both}
    points = [HeatingPoint(p.degree_days / p.days, v / p.days, labels[d], quality[d]) for d, v, p in both]
    span = _("%(first)s to %(last)s", first=format_date(first, "d MMM yyyy", locale=lang),
             last=format_date(last, "d MMM yyyy", locale=lang))  # fmt: skip
    title = _("Heating against heating degree days, %(span)s", span=span)
    axis = (_("Heating degree days per day"), _("Use per day (%(unit)s)", unit=unit))
    sentences: list[str] = []
    if fit is not None:
        sentences.append(_("Your heating uses about %(slope)s %(unit)s per degree day. The base use that does not "
                           "depend on the weather (hot water, cooking) is about %(base)s %(unit)s a day: %(share)s of "
                           "this period's use.", slope=number(fit.per_degree_day, lang, 2), unit=unit,
                           base=number(fit.base_per_day, lang, 2),
                           share=format_percent(fit.base_share, locale=lang)))  # fmt: skip
        sentences.append(_("How well the line fits (R²): %(r2)s (1 would mean the weather explains every difference).",
                           r2=number(fit.r2, lang, 2)))  # fmt: skip
    elif both:
        sentences.append(_("There are too few cold days in this period to fit a line: choose a longer period."))
    if not temps:
        note = _("The platform holds no weather for this period, so no degree days can be shown.")
    elif no_weather:
        noun = _(PERIOD_NOUNS[res])
        note = _("Weather is missing for %(n)s of %(total)s %(periods)s with consumption: they are left out.",
                 n=len(no_weather), total=len(no_weather) + len(both), periods=noun)  # fmt: skip
    else:
        note = ""
    line = (fit.base_per_day, fit.per_degree_day) if fit is not None else None
    chart = heating_chart(points, line, unit, axis, _) if points else ""
    rows = [
        (labels[d], number(p.degree_days, lang, 1), number(v, lang, 3), number(v / p.days, lang, 3),
         _(CATEGORIES[quality[d]].label))
        for d, v, p in both
    ]  # fmt: skip
    return Heating(title, chart, rows, sentences, note)


def _query(**params: object) -> str:
    from urllib.parse import urlencode

    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


@router.get("/history", response_model=None)
def history(
    request: Request,
    portal: PortalDep,
    person: PersonDep,
    point: str = "",
    medium: str = "",
    preset: str = "",
    res: str = "",
    to: str = "",
) -> Response:
    _ = tr(request)
    lang = lang_of(request)
    if person.role != "customer":
        return portal.error(request, 404, "Not Found")
    hh = Household(portal, person, "history")
    today = hh.now.astimezone(LOCAL_TZ).date()
    start_text = request.query_params.get("from", "")[:20]
    choices = [(vp, hh.media(vp.point.id)) for vp in hh.points]
    choices = [(vp, media) for vp, media in choices if media]
    context: dict[str, Any] = {
        "user": person.user.username, "person": person, "choices": choices, "resolutions": RESOLUTIONS,
        "presets": PRESETS, "medium_names": MEDIUM_NAMES, "categories": CATEGORIES, "error": None,
        "today": today.isoformat(), "oldest": (today - timedelta(days=KEPT_DAYS)).isoformat(),
    }  # fmt: skip
    if not choices:
        context.update(selected=None, medium=None, period=None)
        return portal.templates.TemplateResponse(request, "history.html", context)
    try:
        pid = int(point) if point.strip() else choices[0][0].point.id
    except ValueError:
        return portal.error(request, 404, "Not Found")
    try:
        hh.point(pid)
    except NotVisible:
        return portal.error(request, 404, "Not Found")
    media = next((m for vp, m in choices if vp.point.id == pid), [])
    chosen = next((m for m in media if m.key == medium), None) if medium else (media[0] if media else None)
    selected = next(vp for vp, _m in choices if vp.point.id == pid) if media else None
    context.update(selected=selected, media=media, medium=chosen, period=None)
    try:
        if chosen is None:
            raise Refused(_("This metering point does not measure that: choose from the list."))
        period = parse_period(preset[:20], start_text, to[:20], res[:10], today, _)
    except Refused as exc:
        context.update(error=str(exc), form={"from": start_text, "to": to[:20], "res": res[:10]})
        return portal.templates.TemplateResponse(request, "history.html", context, status_code=422)
    notes: list[str] = []
    resolution = period.resolution
    if resolution == "15min" and chosen.interval_s != 900:
        resolution = "hour"
        notes.append(_("This meter is read every hour: its values are shown hourly."))
        if period.days > MAX_DAYS["hour"]:
            context.update(
                error=_(
                    "Hours can be shown for at most %(n)s days: choose a shorter period or days.", n=MAX_DAYS["hour"]
                ),
                form={"from": start_text, "to": to[:20], "res": res[:10]},
            )
            return portal.templates.TemplateResponse(request, "history.html", context, status_code=422)
    factor, unit = display(chosen)
    try:
        series = hh.series(pid, chosen.obis, *_bounds(period.first, period.last, hh.now), resolution)  # type: ignore[arg-type]
    except NotVisible:
        series = Series(chosen.unit, chosen.interval_s, [])
    except SeriesError as exc:  # pragma: no cover - the hourly fall-back above avoids it
        context.update(error=str(exc), form={"from": start_text, "to": to[:20], "res": res[:10]})
        return portal.templates.TemplateResponse(request, "history.html", context, status_code=422)
    points = chart_points(series, resolution, factor, lang)
    known = [p.value for p in points if p.value is not None]
    per = {"15min": _("per quarter-hour"), "hour": _("per hour"), "day": _("per day"), "month": _("per month"),
           "year": _("per year")}[resolution]  # fmt: skip
    y_title = f"{_(MEDIUM_NAMES[chosen.key])} ({unit} {per})"
    chart = consumption_chart(points, resolution, unit, y_title, _) if known else ""
    base = {"point": pid, "medium": chosen.key}
    # the Downloads page's form, filled with this view (its resolutions stop at months)
    download = {"period": "custom", "from": period.first.isoformat(), "to": period.last.isoformat(),
                "resolution": "month" if resolution == "year" else resolution, "format": "csv"}  # fmt: skip
    context.update(
        period=period, resolution=resolution, unit=unit, points=points, chart=chart, notes=notes,
        counts=count_sentences(points, resolution, _), total=number(sum(known), lang) if known else None,
        rows=[(p.label, number(p.value, lang), _(CATEGORIES[p.category].label) if p.category in CATEGORIES
               else _("No data")) for p in points],
        y_title=y_title, base_query=_query(**base), csv_query=_query(**base, **download),
        form={"from": period.first.isoformat(), "to": period.last.isoformat(), "res": res[:10] if res else ""},
        span_text=_("%(first)s to %(last)s", first=format_date(period.first, "d MMM yyyy", locale=lang),
                    last=format_date(period.last, "d MMM yyyy", locale=lang)),
        interval_s=chosen.interval_s,
        heating=_heating(hh, pid, chosen, period, lang, _) if chosen.key in HEATED else None,
    )  # fmt: skip
    return portal.templates.TemplateResponse(request, "history.html", context)


__all__ = ["MAX_DAYS", "PRESETS", "RESOLUTIONS", "Period", "auto_resolution", "parse_period", "preset_period", "router"]
