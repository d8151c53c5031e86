"""The comparison page (``GET /compare``) and the home profile form (``POST /compare/profile``).

For each medium of the household's metering point (electricity import, gas, heat, water) and each of the last
twelve whole local months and their seasons: the home's own consumption (read through
:class:`~meterhub.portal.household.Household`, cut to the person's windows and logged), the reference home (the
H0 standard profile scaled to a home of its type, electricity only: :func:`meterhub.mdm.comparison
.reference_months`, the H0 table given by :func:`set_reference_profile`), and similar homes — the median and
"efficient similar homes" (the mean of the best 20 %) of the narrowest stored group of at least 20 homes, with
the home's estimated rank among them. The group figures come from the peer statistics the platform computes
(:mod:`meterhub.mdm.peers`): aggregates only, no page reads another home. One sentence per month and season,
the group's definition and whether it was widened.

The home profile (household size, heating, dwelling, floor area, PV / EV / heat pump) belongs to the customer
of the point: only a customer who sees the point now may change it (another point answers 404), with the
session's CSRF token; a wrong field is a 422 page naming it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
from babel.dates import format_date
from babel.numbers import format_decimal
from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response

from meterhub.api.service import NotVisible
from meterhub.country import LOCAL_TZ
from meterhub.country.h0 import H0
from meterhub.mdm import peers
from meterhub.mdm.comparison import reference_annual_kwh, reference_months
from meterhub.portal import charts, nav
from meterhub.portal.deps import Person, PersonDep, Portal, PortalDep
from meterhub.portal.household import Household, Medium
from meterhub.portal.i18n import N_, Gettext, lang_of, tr
from meterhub.store.home_profiles import DWELLINGS, HEATINGS, HomeProfile, PeerStat

router = APIRouter()
nav.built("/compare")
MONTHS = 12

HEATING_LABELS = {"gas": N_("gas"), "heat_pump": N_("heat pump"), "electric": N_("electric heating"),
                  "district_heat": N_("district heat"), "oil": N_("oil"), "other": N_("other")}  # fmt: skip
DWELLING_LABELS = {"apartment": N_("apartment"), "terraced": N_("terraced house"),
                   "semi_detached": N_("semi-detached house"), "detached": N_("detached house")}  # fmt: skip
SIZE_LABELS = {1: N_("1 person"), 2: N_("2 persons"), 3: N_("3 persons"), 4: N_("4 persons"),
               5: N_("5 or more persons")}  # fmt: skip
MEDIUM_LABELS = {"electricity_import": N_("Electricity"), "gas": N_("Gas"), "heat": N_("Heat"),
                 "water": N_("Water")}  # fmt: skip
MEDIUM_WORDS = {"electricity_import": N_("electricity"), "gas": N_("gas"), "heat": N_("heat"), "water": N_("water")}
"""A medium inside a sentence ("all 23 homes with electricity, 2 persons")."""
MEDIUM_OF = {"electricity_import": "electricity", "gas": "gas", "heat": "heat", "water": "water"}
SEASON_LABELS = {"winter": N_("Winter %(years)s"), "spring": N_("Spring %(year)s"), "summer": N_("Summer %(year)s"),
                 "autumn": N_("Autumn %(year)s")}  # fmt: skip


@dataclass
class Row:
    """One month or season of one medium."""

    label: str
    mine: float | None
    reference: float | None
    median: float | None
    efficient: float | None
    rank: str
    sentence: str


@dataclass
class MediumView:
    key: str
    label: str
    unit: str
    months: list[Row] = field(default_factory=list)
    seasons: list[Row] = field(default_factory=list)
    headline: list[str] = field(default_factory=list)
    group: str = ""
    widened: bool = False
    chart: str = ""


def _num(request: Request, value: float | None, digits: int = 0) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return format_decimal(round(value, digits), format="#,##0" + ("." + "0" * digits if digits else ""),
                          locale=lang_of(request))  # fmt: skip


def _sentence(_: Gettext, period: str, s: peers.Standing | None) -> str:
    if s is None:
        return _("%(period)s: no comparison (a whole month of your data or 20 similar homes missing).", period=period)
    pct = s.versus_efficient_pct
    if not math.isfinite(pct):
        return _("%(period)s: efficient similar homes used nothing.", period=period)
    shown = round(abs(pct))
    if shown == 0:
        return _("%(period)s: you used as much as efficient similar homes.", period=period)
    if pct > 0:
        return _("%(period)s: you used %(pct)s %% more than efficient similar homes.", period=period, pct=shown)
    return _("%(period)s: you used %(pct)s %% less than efficient similar homes.", period=period, pct=shown)


def _criteria(_: Gettext, key: str, medium: str) -> str:
    parts = [_(MEDIUM_WORDS[medium])]
    for item in key.split(";") if key != "*" else []:
        name, _sep, value = item.partition("=")
        if name == "size":
            parts.append(_(SIZE_LABELS[int(value)]))
        elif name == "heating":
            parts.append(_("heating: %(heating)s", heating=_(HEATING_LABELS[value])))
        elif name == "dwelling":
            parts.append(_("dwelling: %(dwelling)s", dwelling=_(DWELLING_LABELS[value])))
    return ", ".join(parts)


def _group_text(_: Gettext, stat: PeerStat, medium: str, profile: HomeProfile | None) -> tuple[str, bool]:
    what = _criteria(_, stat.group_key, medium)
    if profile is None:
        return _("All %(n)s homes with %(what)s (tell us about your home below to compare with similar ones).",
                 n=stat.homes, what=what), False  # fmt: skip
    if stat.level == 4:
        return _("%(n)s similar homes: %(what)s.", n=stat.homes, what=what), False
    return _("There are not 20 homes like yours: compared with all %(n)s homes with %(what)s.", n=stat.homes,
             what=what), True  # fmt: skip


def _season_label(_: Gettext, first: date) -> str:
    name = peers.SEASONS[first.month]
    if name == "winter":
        years = "%d/%02d" % (first.year, (first.year + 1) % 100)  # noqa: UP031 (the extractor skips f-strings)
        return _(SEASON_LABELS[name], years=years)
    return _(SEASON_LABELS[name], year=first.year)


def _months(now: datetime) -> list[date]:
    this = now.astimezone(LOCAL_TZ).date().replace(day=1)
    return [peers.month_add(this, -k) for k in range(MONTHS, 0, -1)]


def _local(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)


def _stats(portal: Portal, medium: str, kind: str, starts: list[date], profile: HomeProfile | None) -> dict[date, Any]:
    keys = [k for _, k in peers.group_keys(profile)]
    by_start: dict[date, list[PeerStat]] = {}
    for s in portal.store.peer_stats(medium, kind, starts, keys):
        by_start.setdefault(s.period_start, []).append(s)
    return {d: peers.choose(profile, found) for d, found in by_start.items()}


def _row(request: Request, label: str, mine: float | None, ref: float | None, stat: PeerStat | None) -> Row:
    _ = tr(request)
    s = peers.standing(stat, mine) if stat is not None and mine is not None else None
    rank = _("%(rank)s of %(of)s", rank=s.rank, of=s.of) if s is not None else "—"
    median = stat.percentiles[peers.PERCENTILES.index(50)] if stat else None
    return Row(label, mine, ref, s.median if s else median,
               stat.efficient if stat else None, rank, _sentence(_, label, s))  # fmt: skip


def medium_view(request: Request, hh: Household, point_id: int, m: Medium, profile: HomeProfile | None) -> MediumView:
    """The comparison of one medium of the point (see the module docstring)."""
    _ = tr(request)
    lang = lang_of(request)
    medium = MEDIUM_OF[m.key]
    unit, factor = peers.UNITS.get(m.unit, (m.unit, 1.0))
    months = _months(hh.now)
    slots = hh.slots(point_id, m.obis, _local(months[0]), _local(peers.month_add(months[-1], 1)))
    mine = [None if v is None else v * factor for v in
            peers.monthly_totals(slots.epochs, slots.values, slots.quality, slots.interval_s, months)]  # fmt: skip
    ref: list[float | None] = [None] * len(months)
    h0 = getattr(request.app.state, "reference_profile", None)
    if h0 is None:  # not warmed up by `meterhub serve` / `meterhub demo`: the first comparison computes the shares
        h0 = H0
    if medium == "electricity" and profile is not None and h0 is not None:
        annual = reference_annual_kwh(profile.household_size, profile.dwelling == "apartment")
        ref = list(reference_months(annual, months, h0))
    month_stats = _stats(hh.portal, medium, "month", months, profile)
    view = MediumView(m.key, _(MEDIUM_LABELS[m.key]), unit)
    for i, first in enumerate(months):
        label = format_date(first, "LLLL y", locale=lang).capitalize()
        view.months.append(_row(request, label, mine[i], ref[i], month_stats.get(first)))
    firsts = [d for d in months if d.month in peers.SEASONS and peers.month_add(d, 2) in months]
    season_stats = _stats(hh.portal, medium, "season", firsts, profile)
    for first in firsts:
        idx = [months.index(peers.month_add(first, k)) for k in range(3)]
        total = None if any(mine[i] is None for i in idx) else sum(mine[i] or 0.0 for i in idx)
        r = None if any(ref[i] is None for i in idx) else sum(ref[i] or 0.0 for i in idx)
        view.seasons.append(_row(request, _season_label(_, first), total, r, season_stats.get(first)))
    last = month_stats.get(months[-1])
    if last is not None:
        view.group, view.widened = _group_text(_, last, m.key, profile)
    if view.months[-1].mine is not None and last is not None:
        s = peers.standing(last, view.months[-1].mine)
        view.headline.append(view.months[-1].sentence)
        view.headline.append(_("You are number %(rank)s of %(of)s similar homes, counting from the lowest use.",
                               rank=s.rank, of=s.of))  # fmt: skip
    if view.seasons and view.seasons[-1].mine is not None and season_stats.get(firsts[-1]) is not None:
        view.headline.append(view.seasons[-1].sentence)
    traces = [(_("You"), [r.mine for r in view.months], "#1f6fb2"),
              (_("Reference home"), [r.reference for r in view.months], "#8a8a8a"),
              (_("Similar homes (median)"), [r.median for r in view.months], "#e08a1e"),
              (_("Efficient similar homes"), [r.efficient for r in view.months], "#2e8540")]  # fmt: skip
    shown = [t for t in traces if any(v is not None for v in t[1])]
    view.chart = charts.grouped_bars(
        [r.label for r in view.months],
        shown,
        _("%(unit)s per month", unit=unit),
        _("%(medium)s: you, a reference home and similar homes, per month", medium=view.label),
    )
    return view


def set_reference_profile(app: FastAPI, h0: npt.ArrayLike) -> None:
    """Warm the app's reference home: the H0 table (seasons × day types × 96 quarter-hours, :mod:`meterhub.country.h0`
    unless given) and this and last year's monthly shares, computed here (about a second) rather than at the first
    comparison (``meterhub serve`` and ``meterhub demo`` do)."""
    table = np.asarray(h0, dtype=np.float64)
    this = datetime.now(LOCAL_TZ).year
    reference_months(1.0, [date(this - 1, 1, 1), date(this, 1, 1)], table)  # the years' shares, cached once here
    app.state.reference_profile = table


def _profile(portal: Portal, point_id: int, party_id: int) -> HomeProfile | None:
    return portal.store.get_home_profile(point_id, party_id)


def _page(request: Request, portal: Portal, person: Person, point: int | None, error: str | None = None,
          status: int = 200, saved: bool = False) -> Response:  # fmt: skip
    _ = tr(request)
    if person.role != "customer":
        return portal.error(request, 404, _("The comparison is a household's page."))
    hh = Household(portal, person, "compare")
    points = hh.points
    if not points:
        context = {"person": person, "points": [], "views": [], "error": error}
        return portal.templates.TemplateResponse(request, "compare.html", context, status_code=status)
    chosen = next((vp for vp in points if vp.point.id == point), None) if point is not None else points[0]
    if chosen is None:
        return portal.error(request, 404, _("No such metering point."))
    pid = chosen.point.id
    profile = _profile(portal, pid, person.user.party_id)
    views = []
    for m in hh.media(pid):
        if m.key in MEDIUM_OF:
            try:
                views.append(medium_view(request, hh, pid, m, profile))
            except (NotVisible, LookupError):
                continue
    context = {
        "person": person, "points": points, "point": chosen, "profile": profile, "views": views, "error": error,
        "saved": saved, "heatings": [(k, HEATING_LABELS[k]) for k in HEATINGS],
        "dwellings": [(k, DWELLING_LABELS[k]) for k in DWELLINGS], "num": lambda v: _num(request, v),
        "is_customer": person.role == "customer",
    }  # fmt: skip
    return portal.templates.TemplateResponse(request, "compare.html", context, status_code=status)


@router.get("/compare", response_model=None)
def compare_page(request: Request, portal: PortalDep, person: PersonDep, point: str = "", saved: str = "") -> Response:
    if point and not point.isdigit():
        return portal.error(request, 422, tr(request)("The metering point must be a number."))
    return _page(request, portal, person, int(point) if point else None, saved=saved == "1")


def _whole(text: str, low: int, high: int) -> int | None:
    text = text.strip()
    if not text.isdigit() or not low <= int(text) <= high:
        return None
    return int(text)


@router.post("/compare/profile", response_model=None)
def save_profile(
    request: Request,
    portal: PortalDep,
    person: PersonDep,
    point: Annotated[str, Form(max_length=20)] = "",
    household_size: Annotated[str, Form(max_length=10)] = "",
    heating: Annotated[str, Form(max_length=20)] = "",
    dwelling: Annotated[str, Form(max_length=20)] = "",
    floor_area: Annotated[str, Form(max_length=10)] = "",
    has_pv: Annotated[str, Form(max_length=5)] = "",
    has_ev: Annotated[str, Form(max_length=5)] = "",
    has_heat_pump: Annotated[str, Form(max_length=5)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    _ = tr(request)
    if not person.csrf_ok(csrf):
        return portal.error(request, 403, _("This form has expired: reload the page and try again."))
    if person.role != "customer" or not point.isdigit():
        return portal.error(request, 404, _("No such metering point."))
    pid = int(point)
    if pid not in {vp.point.id for vp in Household(portal, person, "compare").points}:
        return portal.error(request, 404, _("No such metering point."))
    size = _whole(household_size, 1, 20)
    area = _whole(floor_area, 10, 2000) if floor_area.strip() else None
    if size is None:
        error = _("The household size must be a whole number from 1 to 20.")
    elif heating not in HEATINGS:
        error = _("Choose how the home is heated.")
    elif dwelling not in DWELLINGS:
        error = _("Choose the type of dwelling.")
    elif floor_area.strip() and area is None:
        error = _("The floor area must be a whole number of square metres from 10 to 2000, or empty.")
    else:
        kit = (has_pv == "on", has_ev == "on", has_heat_pump == "on")
        profile = HomeProfile(
            pid,
            person.user.party_id,
            size,
            heating,
            dwelling,
            area,
            *kit,
            portal.settings.clock(),
            person.user.username,
        )
        portal.store.set_home_profile(profile)
        return RedirectResponse(f"/compare?point={pid}&saved=1", status_code=303)
    return _page(request, portal, person, pid, error=error, status=422)


__all__ = ["DWELLING_LABELS", "HEATING_LABELS", "MediumView", "Row", "medium_view", "router", "set_reference_profile"]
