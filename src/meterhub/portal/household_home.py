"""A household's home page (``GET /home`` for role ``customer``; :mod:`meterhub.portal.people` hands it over):
for each of my metering points and each medium — electricity bought and sent back (kWh), gas (m³, and kWh with
the month's published calorific value and correction factor), water (litres), heat (kWh) — this month so far
against the same days last year with the change in plain words, a chart of both years' days with its table, and
the unusual things of :mod:`meterhub.mdm.insights` worded in the reader's language.

Every read goes through :class:`~meterhub.portal.household.Household` (cut to the person's windows, logged as
``portal:home``); the figures are :mod:`meterhub.mdm.insights`' — this module only reads, words and lays out.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from html import escape
from typing import Any, Final

import numpy as np
from babel.dates import format_skeleton, format_time
from babel.numbers import format_decimal, format_percent
from fastapi import Request
from fastapi.responses import Response

from meterhub.api.service import NotVisible, VisiblePoint
from meterhub.mdm import insights as ins
from meterhub.mdm.billing import GasFactors
from meterhub.mdm.gas_factors import factors_for
from meterhub.portal.deps import Person, Portal
from meterhub.portal.household import Household, Medium, Slots
from meterhub.portal.i18n import N_, Gettext, lang_of, tr
from meterhub.store.intervals import LOCAL_TZ, day_bounds_epoch, local_day_of_epoch

TITLES: Final = {
    "electricity_import": N_("Electricity bought from the grid"),
    "electricity_export": N_("Electricity sent to the grid"),
    "gas": N_("Gas"),
    "water": N_("Water"),
    "heat": N_("Heat"),
}
SEVERITY: Final = {"warning": N_("Warning"), "notice": N_("Worth a look"), "info": N_("For your information")}
COLOURS: Final = {"electricity_import": "#1f6fb2", "electricity_export": "#2e7d4f", "gas": "#b35c00",
                  "water": "#1a6f96", "heat": "#b0362c"}  # fmt: skip
UNIT_WORDS: Final = (N_("litres"),)
"""Units that are words (kWh and m³ read the same in every language)."""
LAST_YEAR_COLOUR: Final = "#6b7785"
HISTORY_DAYS: Final = ins.RECENT_DAYS + ins.BEFORE_DAYS
"""Days read back from today for the insights (the night base load's 14 days and the 8 weeks before)."""


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)


@dataclass
class Words:
    """The request's language: its gettext and Babel's formatting."""

    _: Gettext
    lang: str

    def num(self, x: float, digits: int = 1) -> str:
        return format_decimal(round(x, digits), format="#,##0" + ("." + "0" * digits if digits else ""),
                              locale=self.lang)  # fmt: skip

    def day(self, d: date, year: bool = False) -> str:
        return format_skeleton("yMMMMd" if year else "MMMMd", d, locale=self.lang)

    def month(self, d: date) -> str:
        return format_skeleton("yMMMM", d, locale=self.lang)

    def moment(self, at: datetime) -> str:
        return f"{self.day(at.date())}, {format_time(at, 'HH:mm', locale=self.lang)}"

    def period(self, first: date, last: date) -> str:
        if first == last:
            return self.day(first, year=True)
        return self._("%(first)s to %(last)s", first=self.day(first), last=self.day(last, year=True))


@dataclass
class MediumView:
    """One medium of one point as the page shows it."""

    key: str
    title: str
    unit: str
    factor: float
    comparison: ins.Comparison
    this_text: str
    last_text: str
    change_text: str
    notes: list[str] = field(default_factory=list)
    chart: str = ""
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    this_month: str = ""
    last_month: str = ""


@dataclass
class PointView:
    point: VisiblePoint
    media: list[MediumView]
    insights: list[tuple[str, str, str]]  # (severity, its label, the sentence)


def _unit(medium: Medium) -> tuple[str, float]:
    """The shown unit and the factor from the channel's unit (Wh → kWh, litres → m³ for gas, litres for water)."""
    if medium.unit.lower() == "wh":
        return "kWh", 1 / 1000
    if medium.key == "gas":
        return "m³", 1 / 1000
    return ("litres" if medium.unit.lower() == "l" else medium.unit), 1.0


def _change(w: Words, c: ins.Comparison) -> str:
    _ = w._
    if c.change_pct is None:
        if not c.last_year_has_data:
            return _("No data for last year.")
        if c.days_compared and c.this_compared == 0:
            return _("Nothing on these days, this year or last.")
        return _("Last year's same days add up to zero.")
    pct = round(c.change_pct)
    words = format_percent(abs(pct) / 100, locale=w.lang)
    if pct == 0:
        text = _("About the same as the same days last year.")
    elif pct < 0:
        text = _("%(pct)s less than the same days last year.", pct=words)
    else:
        text = _("%(pct)s more than the same days last year.", pct=words)
    if c.days_compared < len(c.this):
        text += " " + _("Compared over the %(n)s days both years have data for.", n=c.days_compared)
    return text


def _gas_kwh(portal: Portal, grid_area: str | None, month: date) -> GasFactors | None:
    with portal.store.read() as conn:
        found = factors_for(conn, grid_area, month.year, month.month)
    return None if found is None else found[0]


def _gas_notes(w: Words, portal: Portal, vp: VisiblePoint, c: ins.Comparison, first: date, lfirst: date) -> list[str]:
    """The gas figures in kWh with the month's factors, or why not."""
    _ = w._
    notes = []
    this_f = _gas_kwh(portal, vp.point.grid_area, first)
    last_f = _gas_kwh(portal, vp.point.grid_area, lfirst)
    for total, factors, when in ((c.this_total, this_f, first), (c.last_total, last_f, lfirst)):
        if total is None:
            continue
        if factors is None:
            notes.append(_("No gas conversion factors are published for %(month)s: shown in m³ only.",
                           month=w.month(when)))  # fmt: skip
            continue
        kwh = float(Decimal(total) * factors.correction * factors.calorific_kwh_per_m3) / 1000
        month = w.month(when)
        cv, z = w.num(float(factors.calorific_kwh_per_m3), 2), w.num(float(factors.correction), 3)
        text = _("%(month)s: %(kwh)s kWh (calorific value %(cv)s kWh/m³, correction factor %(z)s).",
                 month=month[:1].upper() + month[1:], kwh=w.num(kwh), cv=cv, z=z)  # fmt: skip
        notes.append(text)
    if this_f is not None and last_f is not None and c.days_compared and c.last_compared > 0:
        a = c.this_compared * float(this_f.correction * this_f.calorific_kwh_per_m3)
        b = c.last_compared * float(last_f.correction * last_f.calorific_kwh_per_m3)
        pct = round((a - b) / b * 100)
        words = format_percent(abs(pct) / 100, locale=w.lang)
        if pct == 0:
            notes.append(_("In energy: about the same as last year."))
        else:
            notes.append(_("In energy: %(pct)s less than last year.", pct=words) if pct < 0
                         else _("In energy: %(pct)s more than last year.", pct=words))  # fmt: skip
    return notes


def _plot(data: list[dict[str, Any]], layout: dict[str, Any], title: str, height: int = 300) -> str:
    """A plotly chart as HTML, its JSON written directly (a ``go.Figure`` costs ~100 ms to build and validate;
    this page draws one per medium): the title as a heading above it, the legend below the axis as in
    :mod:`meterhub.portal.charts`, a white plot with light grid lines. It is drawn once the page is parsed, when
    the grid of cards has its final column widths (drawn earlier, a chart keeps the full width of a lone card)."""
    axis = {"automargin": True, "gridcolor": "#e5e9f0", "zerolinecolor": "#c9d1dc", "linecolor": "#c9d1dc"}
    full = {
        "height": height, "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff",
        "margin": {"l": 60, "r": 16, "t": 16, "b": 16},
        "legend": {"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0, "xanchor": "left", "x": 0},
        "font": {"family": "system-ui, sans-serif", "size": 12, "color": "#1d2430"},
        **layout,
        "xaxis": {**axis, **layout.get("xaxis", {})}, "yaxis": {**axis, **layout.get("yaxis", {})},
    }  # fmt: skip
    div = f"chart-{uuid.uuid4().hex[:12]}"
    args = ", ".join(
        json.dumps(x).replace("</", "<\\/") for x in (data, full, {"displaylogo": False, "responsive": True})
    )
    return (f'<h4 class="chart-title">{escape(title)}</h4>\n'
            f'<div id="{div}" class="plotly-graph-div" style="height:{height}px; width:100%;"></div>\n'
            f'<script>document.addEventListener("DOMContentLoaded", () => Plotly.newPlot("{div}", {args}));'
            "</script>")  # fmt: skip


def _chart(w: Words, mv: MediumView) -> str:
    _ = w._
    c = mv.comparison
    data = [
        {
            "type": "bar",
            "x": [str(d.day.day) for d in days],
            "y": [None if d.value is None else round(d.value * mv.factor, 3) for d in days],
            "name": name,
            "marker": {"color": colour},
            "hovertemplate": f"%{{x}}: %{{y:.2f}} {mv.unit}<extra>{name}</extra>",
        }
        for days, name, colour in ((c.last, mv.last_month, LAST_YEAR_COLOUR), (c.this, mv.this_month, COLOURS[mv.key]))
    ]
    xaxis = {"type": "category", "tickangle": 0, "nticks": 10, "title": {"text": _("Day of the month")}}
    layout = {"barmode": "group", "yaxis": {"title": {"text": _("%(unit)s per day", unit=mv.unit)}}, "xaxis": xaxis}
    return _plot(data, layout, _("%(what)s per day: this month and the same days last year", what=mv.title))


def _medium(w: Words, portal: Portal, hh: Household, vp: VisiblePoint, m: Medium, now: Slots | None,
            last: Slots | None, period: tuple[date, date], lperiod: tuple[date, date]) -> MediumView:  # fmt: skip
    _ = w._
    unit, factor = _unit(m)
    none = Slots(np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int8), m.interval_s, m.unit)
    a, b = now or none, last or none
    this_days = ins.daily_totals(a.epochs, a.values, a.quality, m.interval_s, *period)
    last_days = ins.daily_totals(b.epochs, b.values, b.quality, m.interval_s, *lperiod)
    c = ins.compare(this_days, last_days)

    def total(x: float | None) -> str:
        return "—" if x is None else f"{w.num(x * factor, 0 if unit == 'litres' else 1)} {_(unit)}"

    mv = MediumView(m.key, _(TITLES[m.key]), _(unit), factor, c, total(c.this_total), total(c.last_total),
                    _change(w, c), this_month=w.month(period[0]), last_month=w.month(lperiod[0]))  # fmt: skip
    if m.key == "gas":
        mv.notes = _gas_notes(w, portal, vp, c, period[0], lperiod[0])
    digits = 0 if unit == "litres" else 2

    def fmt(v: float | None) -> str:
        return "—" if v is None else w.num(v * factor, digits)

    for i, d in enumerate(this_days):
        ly = last_days[i] if i < len(last_days) else None
        mark = " " + _("(estimated)") if d.estimated else ""
        mv.rows.append((w.day(d.day), fmt(d.value) + mark, fmt(ly.value if ly else None)))
    mv.chart = _chart(w, mv)
    return mv


def _insight_text(w: Words, kind: str, numbers: dict[str, float], days: tuple[date, ...], medium: str) -> str:
    _ = w._
    n = numbers
    if kind == "night_base_load_up":
        return _("Your night-time base load has risen from %(before)s W to %(now)s W (the middle value between "
                 "01:00 and 05:00 over the last 14 days, against the 8 weeks before). Kept up, that is about "
                 "%(kwh)s kWh more a year: look for a device that now stays on at night (if you heat with electricity, "
                 "colder nights explain part of it).",
                 before=w.num(n["before_w"], 0), now=w.num(n["now_w"], 0),
                 kwh=w.num(n["extra_kwh_year"], 0))  # fmt: skip
    if kind == "continuous_flow":
        since = w.moment(datetime.fromtimestamp(int(n["since"]), LOCAL_TZ))
        args = {"hours": w.num(n["hours"], 0), "since": since, "litres": w.num(n["litres"], 0),
                "rate": w.num(n["min_l_per_h"], 0)}  # fmt: skip
        if n["ongoing"]:
            return _("Water has been flowing without a break for %(hours)s hours since %(since)s (%(litres)s litres, "
                     "at least %(rate)s litres every hour). That is usually a leak: a running toilet, a dripping tap "
                     "or a leaking pipe.", **args)  # fmt: skip
        return _("Water flowed without a break for %(hours)s hours from %(since)s (%(litres)s litres, at least "
                 "%(rate)s litres every hour). If nobody used that much water, look for a leak.", **args)  # fmt: skip
    listed = ", ".join(w.day(d) for d in days)
    if kind == "days_missing":
        return _("%(medium)s: data missing or incomplete on %(days)s. The figures here count only what was read; "
                 "the meter is asked again.", medium=medium, days=listed)  # fmt: skip
    if kind == "days_estimated":
        return _("%(medium)s: estimated values on %(days)s. The meter's readings had not arrived, so the gap was "
                 "filled from your usual pattern until they do.", medium=medium, days=listed)  # fmt: skip
    if kind == "midday_import_with_export":
        return _("Your solar panels sent %(export)s kWh a day to the grid over the last 14 days, yet you still "
                 "bought %(midday)s kWh a day between 11:00 and 15:00. Running the washing machine or the "
                 "dishwasher while the sun shines uses your own power.",
                 export=w.num(n["export_kwh_per_day"]), midday=w.num(n["midday_import_kwh_per_day"]))  # fmt: skip
    return kind


def _read(hh: Household, point_id: int, obis: str, start: datetime, end: datetime) -> Slots | None:
    try:
        return hh.slots(point_id, obis, start, end)
    except (NotVisible, LookupError):
        return None


def _point(w: Words, portal: Portal, hh: Household, vp: VisiblePoint, today: date) -> PointView:
    pid = vp.point.id
    period = ins.comparison_days(today)
    lperiod = ins.same_days_last_year(*period)
    start = _midnight(min(period[0], today - timedelta(days=HISTORY_DAYS)))
    end = _midnight(today)
    recent = (today - timedelta(days=ins.RECENT_DAYS), today - timedelta(days=1))
    media, found = [], []
    slots: dict[str, Slots] = {}
    for m in hh.media(pid):
        now = _read(hh, pid, m.obis, start, end)
        last = _read(hh, pid, m.obis, _midnight(lperiod[0]), _midnight(lperiod[1] + timedelta(days=1)))
        mv = _medium(w, portal, hh, vp, m, now, last, period, lperiod)
        fed_in = any(x is not None and x.values.size and float(x.values.max()) > 0 for x in (now, last))
        if m.key != "electricity_export" or fed_in:
            media.append(mv)  # an export register that never saw any feed-in: no solar panels, nothing to show
        if now is None:
            continue
        slots[m.key] = now
        s = (now.epochs, now.values, now.quality)
        # only whole days the person may see: none before they moved in (the slots start at their window)
        gaps: list[ins.Insight] = []
        if now.epochs.size:
            first = local_day_of_epoch(int(now.epochs[0]))
            whole = first if day_bounds_epoch(first)[0] == int(now.epochs[0]) else first + timedelta(days=1)
            if max(recent[0], whole) <= recent[1]:
                gaps = ins.data_gaps(ins.daily_totals(*s, m.interval_s, max(recent[0], whole), recent[1]))
        for gap in gaps:
            found.append((gap, w._(TITLES[m.key])))
        if m.key == "electricity_import":
            base = ins.night_base_load(*s, m.interval_s, today)
            found += [(base, "")] if base else []
        if m.key == "water":
            start_recent = int(_midnight(recent[0]).timestamp())
            keep = now.epochs >= start_recent
            flow = ins.continuous_flow(now.epochs[keep], now.values[keep], now.quality[keep])
            found += [(flow, "")] if flow else []
    if "electricity_import" in slots and "electricity_export" in slots:
        i, e = slots["electricity_import"], slots["electricity_export"]
        pv = ins.midday_import_with_export((i.epochs, i.values, i.quality), (e.epochs, e.values, e.quality), today)
        found += [(pv, "")] if pv else []
    order = {"warning": 0, "notice": 1, "info": 2}
    found.sort(key=lambda f: order.get(f[0].severity, 3))
    texts = [(f.severity, w._(SEVERITY[f.severity]), _insight_text(w, f.kind, dict(f.numbers), f.days, medium))
             for f, medium in found]  # fmt: skip
    return PointView(vp, media, texts)


def page(request: Request, portal: Portal, person: Person, mfa_done: bool) -> Response:
    """The household's home page."""
    hh = Household(portal, person, "home")
    w = Words(tr(request), lang_of(request))
    today = hh.now.astimezone(LOCAL_TZ).date()
    period = ins.comparison_days(today)
    points = [_point(w, portal, hh, vp, today) for vp in hh.points]
    party = portal.store.get_party(person.user.party_id)
    context = {"user": person.user.username, "person": person, "party": party, "points": points,
               "period": w.period(*period), "last_period": w.period(*ins.same_days_last_year(*period)),
               "mfa_done": mfa_done}  # fmt: skip
    return portal.templates.TemplateResponse(request, "household_home.html", context)


__all__ = ["HISTORY_DAYS", "TITLES", "MediumView", "PointView", "page"]
