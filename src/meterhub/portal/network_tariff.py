"""The household's network-tariff page, ``GET /network-tariff`` (issue 14 §6): the Luxembourg low-voltage tariff
(:mod:`meterhub.mdm.network_tariff`) applied to the person's own quarter-hours of the last 12 months.

It shows each month's highest quarter-hour against the reference power level, the overrun energy and what it
cost per month, the level that would have been cheapest over the 12 months and what it saves, and when overruns
happen — by weekday and hour of day — with the loads that probably cause them
(:mod:`meterhub.mdm.overrun_causes`). The platform holds no per-point reference power level yet (the DSO sets
it): the page assumes :data:`~meterhub.mdm.network_tariff.HOUSEHOLD_DEFAULT_KW`, says so, and lets the person
choose their level (``?level=7``, not stored). ``?point=ID`` picks one of the person's points (404 for any other).
Quarter-hours are read only through :class:`~meterhub.portal.household.Household` (import A+; export does not
count towards overruns). The page stays thin: every figure comes from ``mdm``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from meterhub.api.service import NotVisible
from meterhub.country import LOCAL_TZ
from meterhub.mdm.network_tariff import (
    HOUSEHOLD_DEFAULT_KW,
    LEVELS_KW,
    PRICES_2025,
    level_choice,
    network_months,
    overrun_histogram,
)
from meterhub.mdm.overrun_causes import classify_overruns, summarise
from meterhub.portal import nav
from meterhub.portal.deps import Person, PersonDep, Portal, PortalDep
from meterhub.portal.household import Household
from meterhub.portal.household_year import (
    BadInput,
    NoImport,
    Numbers,
    YearData,
    bad_input_message,
    choose_point,
    electric_points,
    load,
    parse_point_and_level,
)
from meterhub.portal.i18n import N_, Gettext, lang_of, tr
from meterhub.portal.tariff_charts import overrun_heatmap, peaks_chart
from meterhub.store import Store

router = APIRouter()
nav.built("/network-tariff")

CAUSE_NAMES = {
    "ev_charging": N_("Electric car charging"),
    "heat_pump": N_("Heat pump"),
    "cooking": N_("Cooking"),
    "other": N_("Other loads"),
}
CAUSE_RULES = {
    "ev_charging": N_(
        "High, flat blocks starting in the evening or at night, at least 1.5 hours long, or half an hour at 7 kW and "
        "more: the pattern of a car charger."
    ),
    "heat_pump": N_(
        "Peaks starting between 05:00 and 10:00 on cold days: the heat pump catching up after the night. Without "
        "weather data, cold days are taken to be October to April."
    ),
    "cooking": N_("Short peaks of at most one hour starting 11:30–13:00 or 18:00–20:00: hobs and oven."),
    "other": N_("Peaks that fit none of these patterns, for example several appliances running at once."),
}


@dataclass(frozen=True, slots=True)
class MonthRow:
    month: str
    peak_kw: str
    peak_when: str
    overrun_kwh: str
    overrun_slots: int
    overrun_extra: str
    total: str


def _day_means(store: Store, year: YearData) -> dict[int, float]:
    """The stored weather of the year's days as the overrun classifier takes it (local day number → mean °C)."""
    epoch = date(1970, 1, 1)
    return {(w.day - epoch).days: w.temperature_c for w in store.weather_days(year.first_day, year.last_day)}


def _figures(year: YearData, level_kw: int, n: Numbers, _: Gettext, day_mean_c: dict[int, float]) -> dict[str, Any]:
    have = year.present
    starts, kwh = year.starts[have], year.kwh[have]
    months = network_months(starts, kwh, level_kw)
    choice = level_choice(starts, kwh, current_kw=level_kw)
    hist = overrun_histogram(starts, kwh, level_kw, year.interval_s)
    causes = summarise(
        classify_overruns(starts, kwh, level_kw, interval_s=year.interval_s, day_mean_c=day_mean_c or None)
    )
    extra_rate = PRICES_2025.overrun_eur_kwh - PRICES_2025.normal_eur_kwh

    rows = [
        MonthRow(
            n.month(m.month), n.num(m.peak_kw, 2),
            m.peak_start.astimezone(LOCAL_TZ).strftime("%d/%m %H:%M") if m.peak_start else "",
            n.num(m.overrun_kwh, 1), m.overrun_slots, n.eur(m.overrun_extra_eur), n.eur(m.total_eur),
        )
        for m in months
    ]  # fmt: skip
    top = max(months, key=lambda m: m.peak_kw, default=None)
    weekdays = n.weekdays()
    labels = [n.month(m.month) for m in months]
    peaks = peaks_chart(
        labels, [m.peak_kw for m in months], level_kw, title=_("Your highest quarter-hour each month"),
        peak_name=_("Highest quarter-hour (kW)"), level_name=_("Your level (kW)"), y_title=_("Average power (kW)"),
    )  # fmt: skip
    heat = overrun_heatmap(
        hist.slots, weekdays, title=_("When overruns happen: quarter-hours above your level"),
        x_title=_("Hour of the day (local time)"), hover=_("quarter-hours"),
    )  # fmt: skip
    cause_rows = [
        {
            "name": _(CAUSE_NAMES[c.cause]),
            "rule": _(CAUSE_RULES[c.cause]),
            "events": c.events,
            "slots": c.slots,
            "kwh": n.num(c.overrun_kwh, 1),
            "extra": n.eur(c.overrun_kwh * extra_rate),
            "hours": ", ".join(f"{h:02d}:00" for h in c.start_hours),
        }
        for c in causes
    ]
    levels = [
        {"kw": lv, "total": n.eur(choice.totals_eur[lv]), "overrun": n.num(choice.overrun_kwh[lv], 1),
         "current": lv == level_kw, "cheapest": lv == choice.cheapest_kw}
        for lv in LEVELS_KW
    ]  # fmt: skip
    return {
        "rows": rows,
        "months": months,
        "total_overrun": n.num(sum(m.overrun_kwh for m in months), 1),
        "total_slots": sum(m.overrun_slots for m in months),
        "total_extra": n.eur(sum(m.overrun_extra_eur for m in months)),
        "total_cost": n.eur(sum(m.total_eur for m in months)),
        "top_kw": n.num(top.peak_kw, 2) if top else None,
        "top_when": n.day(top.peak_start.astimezone(LOCAL_TZ).date()) if top and top.peak_start else "",
        "top_time": top.peak_start.astimezone(LOCAL_TZ).strftime("%H:%M") if top and top.peak_start else "",
        "choice": choice,
        "cheapest_total": n.eur(choice.totals_eur[choice.cheapest_kw]),
        "current_total": n.eur(choice.totals_eur[level_kw]),
        "saving": n.eur(choice.saving_eur),
        "levels": levels,
        "peaks_chart": peaks,
        "heatmap": heat,
        "heat_rows": [(f"{h:02d}:00", [int(hist.slots[d, h]) for d in range(7)]) for h in range(24)],
        "weekdays": weekdays,
        "causes": cause_rows,
    }


def render(request: Request, portal: Portal, person: Person, point: str, level: str) -> Response:
    _ = tr(request)
    n = Numbers(lang_of(request))
    try:
        point_id, chosen = parse_point_and_level(point, level)
    except BadInput as e:
        return portal.error(request, 422, bad_input_message(_, e))
    level_kw = chosen if chosen is not None else HOUSEHOLD_DEFAULT_KW
    hh = Household(portal, person, "network-tariff")
    context: dict[str, Any] = {"person": person, "user": person.user.username, "level_kw": level_kw,
                               "level_given": chosen is not None, "default_kw": HOUSEHOLD_DEFAULT_KW,
                               "all_levels": LEVELS_KW, "prices": PRICES_2025, "n": n}  # fmt: skip
    try:
        points = electric_points(hh)
        context["points"] = [(p.id, p.vp.point.ean) for p in points]
        chosen_point = choose_point(hh, point_id, points)
        if chosen_point is not None:
            year = load(hh, chosen_point)
            context.update(point=year.point, first=n.day(year.first_day), last=n.day(year.last_day), days=year.days)
            context.update(_figures(year, level_kw, n, _, _day_means(portal.store, year)))
    except NotVisible:
        return portal.error(request, 404, _("There is no such metering point among yours."))
    except NoImport:
        context.update(point=None, no_import=True)
    return portal.templates.TemplateResponse(request, "network_tariff.html", context)


@router.get("/network-tariff", response_model=None)
def network_tariff(
    request: Request, portal: PortalDep, person: PersonDep, point: str = "", level: str = ""
) -> Response:
    return render(request, portal, person, point, level)


__all__ = ["CAUSE_NAMES", "CAUSE_RULES", "render", "router"]
