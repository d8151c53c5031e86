"""The household's costs page (``GET /costs``): the energy part of the bill this month so far and in each of the
last 12 months under the supplier of record's tariff, and what the last 12 months would have cost under every
published tariff.

The electricity import (A+) of each of the person's points is read through
:class:`~meterhub.portal.household.Household` (cut to the person's windows, logged as ``portal:costs``) and laid
on the quarter-hour grid (:func:`meterhub.mdm.costs.kwh_grid`); the point's supplier history (who supplied on
which day) and the suppliers' tariff versions come from the store. The figures are :mod:`meterhub.mdm.costs`'s:
each day under the tariff of its supplier of record (a switch in the month shows as two parts), and the last 12
full months under each tariff in force today, ranked, with the difference to the household's current tariff
(the same consumption at today's prices). Network charges are the network-tariff page's: this page says so and
links to it. A monthly chart and the comparison chart each have their table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from html import escape
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from fastapi import APIRouter, Request
from fastapi.responses import Response

from meterhub.api.service import NotVisible, VisiblePoint
from meterhub.country import LOCAL_TZ
from meterhub.mdm.costing import TariffVersion
from meterhub.mdm.costs import (
    Offer,
    PeriodCost,
    Ranked,
    SupplierPeriod,
    household_cost,
    kwh_grid,
    month_periods,
    rank_offers,
    tariff_on,
)
from meterhub.mdm.tariffs import Tariff, TariffError, tariff_from_dict
from meterhub.portal import nav
from meterhub.portal.deps import PersonDep, PortalDep
from meterhub.portal.household import A_PLUS, Household
from meterhub.portal.i18n import Gettext, lang_of, tr

router = APIRouter()
nav.built("/costs")
MONTHS = 12


@dataclass(frozen=True, slots=True)
class PointCosts:
    """One point's figures for the page."""

    point: VisiblePoint
    month: PeriodCost
    months: list[PeriodCost]
    year_from: date
    year_to: date
    ranked: list[Ranked]
    mine: int | None
    future_slots: int = 0

    @property
    def missing_so_far(self) -> int:
        """This month's quarter-hours without a reading, those still to come today left out."""
        return max(0, self.month.missing_slots - self.future_slots)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)


def _first_of_month_back(day: date, months: int) -> date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(y, m + 1, 1)


@lru_cache(maxsize=256)
def _parsed(definition: str) -> Tariff:
    """A stored definition as a tariff, kept across requests (its per-period slot rates with it)."""
    return tariff_from_dict(json.loads(definition))


def parsed(definition: dict[str, Any]) -> Tariff:
    return _parsed(json.dumps(definition, sort_keys=True))


def supplier_periods(house: Household, point_id: int) -> list[SupplierPeriod]:
    """The point's suppliers of record on local days, each with its tariff versions (bad stored ones skipped)."""
    store = house.portal.store
    history = store.point_histories([point_id]).get(point_id)
    out: list[SupplierPeriod] = []
    for p in history.suppliers if history is not None else []:
        try:
            versions = tuple(
                TariffVersion(v.valid_from, v.valid_to, parsed(v.definition))
                for v in store.tariff_versions(p.party_id)
                if v.valid_from is not None
            )
        except TariffError:
            versions = ()
        end = p.end.astimezone(LOCAL_TZ).date() if p.end is not None else None
        out.append(SupplierPeriod(p.party_id, p.start.astimezone(LOCAL_TZ).date(), end, versions))
    return out


def offers_today(house: Household, today: date) -> list[Offer]:
    out = []
    for row in house.portal.store.tariffs_on(today):
        if row.status != "published":
            continue
        try:
            out.append(Offer(row.id, row.supplier_id, parsed(row.definition)))
        except TariffError:
            continue
    return out


def point_costs(house: Household, vp: VisiblePoint, today: date) -> PointCosts | None:
    """The figures of one point (None: no electricity import, or nothing visible in the last 13 months)."""
    pid = vp.point.id
    if not house.channels(pid, A_PLUS):
        return None
    start = _first_of_month_back(today, MONTHS)
    try:
        windows = house.windows(pid, _midnight(start), _midnight(today + timedelta(days=1)))
    except NotVisible:
        return None
    first = max(start, windows[0].start.astimezone(LOCAL_TZ).date())
    last = min(today, (windows[-1].end - timedelta(seconds=1)).astimezone(LOCAL_TZ).date())
    if first > last:
        return None
    slots = house.slots(pid, A_PLUS, _midnight(first), _midnight(last + timedelta(days=1)))
    grid = kwh_grid(slots.epochs, slots.values, slots.quality, first, last, slots.interval_s)
    periods = supplier_periods(house, pid)

    def cut(lo: date, hi: date) -> Any:
        a = (int(_midnight(lo).timestamp()) - int(_midnight(first).timestamp())) // slots.interval_s
        b = (int(_midnight(hi + timedelta(days=1)).timestamp()) - int(_midnight(first).timestamp())) // slots.interval_s
        return grid[a:b]

    months = [household_cost(periods, cut(lo, hi), lo, hi, slots.interval_s) for lo, hi in month_periods(first, last)]
    this_month = months[-1] if months and months[-1].day_from.month == today.month else None
    year_from = max(first, start)
    year_to = today.replace(day=1) - timedelta(days=1)
    ranked: list[Ranked] = []
    mine: int | None = None
    if year_from <= year_to:
        current = next((p for p in periods if p.covers(today)), None)
        version = tariff_on(current, today) if current is not None else None
        offers = offers_today(house, today)
        if version is not None:
            mine = next(
                (o.tariff_id for o in offers if o.supplier_id == current.supplier_id  # type: ignore[union-attr]
                 and o.tariff.name == version.tariff.name), None,
            )  # fmt: skip
        ranked = rank_offers(offers, mine, cut(year_from, year_to), year_from, year_to, slots.interval_s)
    empty = PeriodCost(today.replace(day=1), today, ())
    end = int(_midnight(last + timedelta(days=1)).timestamp())
    # today's quarter-hours not over yet are still to come, not missing
    future = max(0, -(-(end - int(house.now.timestamp())) // slots.interval_s)) if last == today else 0
    return PointCosts(vp, this_month or empty, months, year_from, year_to, ranked, mine, future)


# ------------------------------------------------------------------------------------------------- rendering


_LAYOUT: dict[str, Any] = {
    "margin": {"l": 60, "r": 16, "t": 24, "b": 16},
    "paper_bgcolor": "#ffffff",
    "plot_bgcolor": "#ffffff",
    "legend": {"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0, "xanchor": "left", "x": 0},
    "font": {"family": "system-ui, sans-serif", "size": 12, "color": "#1d2430"},
}
_AXIS: dict[str, Any] = {"automargin": True, "gridcolor": "#e5e9f0", "zerolinecolor": "#c9d1dc"}


def _json(value: Any) -> str:
    """JSON safe inside a <script> (a supplier's tariff name cannot close it)."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _chart(div_id: str, traces: list[dict[str, Any]], layout: dict[str, Any], title: str, height: int = 340) -> str:
    """A plotly chart as an HTML fragment: the figure's JSON handed to ``Plotly.newPlot`` (plotly.js is served at
    /static/plotly.min.js), built as plain data — a fraction of the time of plotly's figure objects."""
    full = {**_LAYOUT, "height": height, **layout}
    full["xaxis"] = {**_AXIS, **layout.get("xaxis", {})}
    full["yaxis"] = {**_AXIS, **layout.get("yaxis", {})}
    config = {"displaylogo": False, "responsive": True}
    return (
        f'<h3 class="chart-title">{escape(title)}</h3>\n'
        f'<div id="{div_id}" class="plotly-graph-div" style="height:{height}px; width:100%;"></div>\n'
        f'<script>Plotly.newPlot("{div_id}", {_json(traces)}, {_json(full)}, {_json(config)});</script>'
    )


def months_chart(_: Gettext, months: list[PeriodCost], label: Any, key: int = 0) -> str:
    xs = [label(m.day_from) for m in months]
    traces = [
        {"type": "bar", "x": xs, "y": [round(m.energy_eur, 2) for m in months], "name": _("Energy"),
         "marker": {"color": "#1f6fb2"}},
        {"type": "bar", "x": xs, "y": [round(m.fixed_eur, 2) for m in months], "name": _("Standing charge"),
         "marker": {"color": "#8a8a8a"}},
    ]  # fmt: skip
    layout = {"barmode": "stack", "yaxis": {"title": {"text": "€"}}, "xaxis": {"type": "category"}}
    return _chart(f"costs-months-{key}", traces, layout, _("Energy cost per month (€)"))


def ranking_chart(_: Gettext, ranked: list[Ranked], names: dict[int, str], key: int = 0) -> str:
    labels = [f"{names.get(r.offer.supplier_id, '?')} · {r.offer.tariff.name}" for r in ranked][::-1]
    trace = {
        "type": "bar", "orientation": "h", "y": labels, "x": [round(r.costing.total_eur, 2) for r in ranked][::-1],
        "marker": {"color": ["#b3541e" if r.mine else "#1f6fb2" for r in ranked][::-1]}, "name": _("Total"),
    }  # fmt: skip
    layout = {"showlegend": False, "xaxis": {"title": {"text": "€"}}, "yaxis": {"type": "category"}}
    return _chart(
        f"costs-ranking-{key}", [trace], layout, _("The last 12 months under each published tariff (€)"),
        height=120 + 40 * len(ranked),
    )  # fmt: skip


def verdict(_: Gettext, ranked: list[Ranked], names: dict[int, str], money: Any) -> str:
    """The one sentence: the cheapest other tariff and what it would have saved, or that mine is the cheapest."""
    if not ranked:
        return _("No supplier has published a tariff yet.")
    best = ranked[0]
    if best.mine:
        return _("Your tariff is the cheapest of the %(n)s published tariffs for your consumption.", n=len(ranked))
    if not any(r.mine for r in ranked):
        return _("%(supplier)s's %(tariff)s would have cost you the least over the last 12 months: %(total)s.",
                 supplier=names.get(best.offer.supplier_id, "?"), tariff=best.offer.tariff.name,
                 total=money(best.costing.total_eur))  # fmt: skip
    return _(
        "%(supplier)s's %(tariff)s would have cost you %(amount)s less over the last 12 months.",
        supplier=names.get(best.offer.supplier_id, "?"), tariff=best.offer.tariff.name,
        amount=money(-best.difference_eur),
    )  # fmt: skip


@router.get("/costs", response_model=None)
def costs(request: Request, portal: PortalDep, person: PersonDep) -> Response:
    _ = tr(request)
    if person.role != "customer":
        return portal.error(request, 404, _("This page is for households."))
    lang = lang_of(request)
    house = Household(portal, person, "costs")
    today = house.now.astimezone(LOCAL_TZ).date()
    names = {p.id: p.name for p in portal.store.list_parties("supplier")}
    found = [c for vp in house.points if (c := point_costs(house, vp, today)) is not None]

    def money(v: float) -> str:
        return format_currency(v, "EUR", locale=lang)

    def kwh(v: float) -> str:
        return format_decimal(round(v, 1), format="#,##0.0", locale=lang)

    def price(v: float) -> str:
        return format_decimal(v, format="0.0000", locale=lang)

    def month_label(d: date) -> str:
        return format_date(d, "MMM y", locale=lang)

    def day_label(d: date) -> str:
        return format_date(d, "d MMM y", locale=lang)

    views = [
        {
            "c": c,
            "months_chart": months_chart(_, c.months, month_label, c.point.point.id) if c.months else "",
            "ranking_chart": ranking_chart(_, c.ranked, names, c.point.point.id) if c.ranked else "",
            "verdict": verdict(_, c.ranked, names, money)
            if c.year_from <= c.year_to
            else _("The comparison needs a full month of your consumption: come back next month."),
        }
        for c in found
    ]
    context = {
        "user": person.user.username, "person": person, "views": views, "names": names, "money": money,
        "kwh": kwh, "price": price, "month_label": month_label, "day_label": day_label, "today": today,
        "month_name": format_date(today, "MMMM y", locale=lang),
    }  # fmt: skip
    return portal.templates.TemplateResponse(request, "costs.html", context)


__all__ = ["MONTHS", "PointCosts", "point_costs", "router", "verdict"]
