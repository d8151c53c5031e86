"""The household's saving-advice page, ``GET /advice`` (issue 14 §4): advice from the person's own quarter-hours
of the last 12 months (:mod:`meterhub.mdm.advice`), each with its estimated kWh and € a year and a "how we
computed this" note, the largest € first.

The items: night base load and standby; shifting flexible load to cheaper hours under the tariff of the point's
supplier of record (its tariff published on the platform today, :mod:`meterhub.store.tariffs`; without one the
page says so and prices a kWh at the network rate only); heating against degree days for each gas and district
heat point of the person (:mod:`meterhub.portal.advice_heating`: the platform's weather, gas in kWh with the
month's conversion factors; "no weather data held" while the platform holds none); PV self-consumption from
export A− against import A+ (with an export channel only; the feed-in tariff is an assumption, said so; without
a published tariff only its kWh, unpriced); the network-tariff level
(:func:`~meterhub.mdm.network_tariff.level_choice`, linking to the network-tariff page, at the same assumed or
chosen level). ``?point=ID`` picks one of the person's points (404 for any other), ``?level=`` the reference
power level as on the network-tariff page. Quarter-hours are read only through
:class:`~meterhub.portal.household.Household`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import Response

from meterhub.api.service import NotVisible
from meterhub.country import LOCAL_TZ
from meterhub.mdm.advice import (
    ASSUMED_FEED_IN_EUR_KWH,
    Advice,
    base_load_advice,
    energy_price,
    network_level_advice,
    night_base_load_w,
    pv_advice,
    ranked,
    shifting_advice,
)
from meterhub.mdm.costing import Costing, cost_series
from meterhub.mdm.network_tariff import HOUSEHOLD_DEFAULT_KW, LEVELS_KW, PRICES_2025, level_choice
from meterhub.mdm.tariffs import TariffError, tariff_from_dict
from meterhub.portal import nav
from meterhub.portal.advice_heating import (
    HeatingItem,
    card_texts,
    heating_items,
    missing_text,
    no_weather_text,
    saving_text,
)
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
from meterhub.portal.i18n import Gettext, lang_of, tr

router = APIRouter()
nav.built("/advice")


@dataclass(frozen=True, slots=True)
class Card:
    """One advice item as the page shows it."""

    kind: str
    title: str
    saving: str  # "… kWh and … € a year"
    summary: str
    how: list[str] = field(default_factory=list)
    link: tuple[str, str] | None = None  # (href, text)


@dataclass(frozen=True, slots=True)
class Tariffed:
    """The point's supplier and its tariff priced over the year (None: none published)."""

    supplier: str | None
    tariff: str | None
    costing: Costing | None


def _tariff(portal: Portal, year: YearData, today: date) -> Tariffed:
    supplier_id = year.point.supplier
    if supplier_id is None:
        return Tariffed(None, None, None)
    party = portal.store.get_party(supplier_id)
    name = party.name if party is not None else None
    for stored in portal.store.tariffs_on(today, supplier_id):
        try:
            t = tariff_from_dict(stored.definition)
        except TariffError:
            continue
        return Tariffed(name, t.name, cost_series(t, year.kwh, year.first_day, year.last_day, year.interval_s))
    return Tariffed(name, None, None)


def _saving(a: Advice, n: Numbers, _: Gettext) -> str:
    if a.kwh_year > 0:
        return _("%(kwh)s kWh and %(eur)s a year", kwh=n.num(a.kwh_year), eur=n.eur(a.eur_year, 0))
    return _("%(eur)s a year", eur=n.eur(a.eur_year, 0))


def _price_note(tf: Tariffed, price: float, n: Numbers, _: Gettext) -> str:
    if tf.costing is not None and tf.tariff is not None:
        return _(
            "A kWh less saves %(price)s: the average energy price of your own consumption under %(supplier)s's "
            "tariff “%(tariff)s” plus the network's normal rate of %(network)s.",
            price=n.price(price), supplier=tf.supplier or "", tariff=tf.tariff,
            network=n.price(PRICES_2025.normal_eur_kwh),
        )  # fmt: skip
    return _(
        "Your supplier publishes no tariff on the platform, so a kWh less is counted at the network's normal rate "
        "of %(network)s only: the real saving is larger.",
        network=n.price(PRICES_2025.normal_eur_kwh),
    )


def _heating(
    items: list[HeatingItem], weather_days: int, n: Numbers, _: Gettext
) -> tuple[list[tuple[Advice, Card]], list[Card]]:
    """The heating items' cards with their advice, and those that cannot be given (one card when the platform
    holds no weather or the person no gas or heat point)."""
    title = _("Heating against degree days")
    if weather_days == 0:
        return [], [Card("heating", title, "", no_weather_text(_))]
    if not items:
        return [], [Card("heating", title, "", _("None of your metering points measures gas or district heat, so "
                                                  "there is no heating to compare with the weather."))]  # fmt: skip
    cards: list[tuple[Advice, Card]] = []
    missing: list[Card] = []
    for item in items:
        if item.advice is None:
            missing.append(Card("heating", title, "", missing_text(item, _)))
        else:
            head, summary, how = card_texts(item, n, _)
            cards.append((item.advice, Card("heating", head, saving_text(item, n, _), summary, how)))
    return cards, missing


def _in_order(pairs: list[tuple[Advice, Card]]) -> list[Card]:
    """The cards in :func:`~meterhub.mdm.advice.ranked`'s order of their advice."""
    card_of = {id(a): c for a, c in pairs}
    return [card_of[id(a)] for a in ranked(a for a, _c in pairs)]


def _cards(
    year: YearData,
    tf: Tariffed,
    level_kw: int,
    n: Numbers,
    _: Gettext,
    heating: tuple[list[tuple[Advice, Card]], list[Card]],
) -> tuple[list[Card], list[Card]]:
    """(advice with figures, largest € first; items that cannot be computed from the data held)."""
    have = year.present
    starts, kwh = year.starts[have], year.kwh[have]
    days = max(1, year.days)
    price = energy_price(tf.costing, PRICES_2025.normal_eur_kwh)
    price_note = _price_note(tf, price, n, _)
    items: list[Advice | None] = []
    base_w = night_base_load_w(starts, kwh, year.interval_s)
    if base_w is not None:
        items.append(base_load_advice(base_w, price))
    if tf.costing is not None:
        items.append(shifting_advice(tf.costing, days))
    export_kwh = float(np.nansum(year.export_kwh)) if year.export_kwh is not None else 0.0
    pv = pv_advice(export_kwh, days, price, ASSUMED_FEED_IN_EUR_KWH) if export_kwh > 0 else None
    if pv is not None and tf.costing is not None:
        items.append(pv)
    items.append(network_level_advice(level_choice(starts, kwh, current_kw=level_kw), days))
    pairs = [(a, _card(a, tf, price_note, year, level_kw, n, _)) for a in items if a is not None]
    heated, missing = heating[0], list(heating[1])
    cards = _in_order(pairs + heated)
    if pv is not None and tf.costing is None:
        missing.append(
            Card("pv_self_consumption", _("Using more of your solar power at home"), "",
                 _("You sent %(export)s kWh a year to the grid. Your supplier publishes no tariff on the platform, so "
                   "we cannot price using %(kwh)s kWh of it at home instead.", export=n.num(pv.params["export_kwh"]),
                   kwh=n.num(pv.kwh_year)))
        )  # fmt: skip
    if tf.costing is None:
        missing.append(
            Card("load_shifting", _("Shifting flexible load to cheaper hours"), "",
                 _("Your supplier publishes no tariff on the platform, so we cannot tell which hours are cheaper "
                   "for you."))
        )  # fmt: skip
    return cards, missing


def _card(a: Advice, tf: Tariffed, price_note: str, year: YearData, level_kw: int, n: Numbers, _: Gettext) -> Card:
    p = a.params
    days = max(1, year.days)
    scale = 365.0 / days
    basis = _("From your %(days)s days with readings, scaled to a year.", days=days)
    if a.kind == "base_load":
        return Card(
            a.kind, _("Night base load and standby"), _saving(a, n, _),
            _("Even at night your home never draws less than %(w)s W: %(kwh)s kWh and %(eur)s a year for devices "
              "that stay on. Bringing it down to %(target)s W (switching off standby, an old fridge or freezer) "
              "saves the amount above.", w=n.num(p["base_w"]), kwh=n.num(p["standby_kwh"]),
              eur=n.eur(p["standby_eur"], 0), target=n.num(p["target_w"])),
            [_("For every night we take the lowest quarter-hour between 00:00 and 05:00, and the median over the "
               "nights: %(w)s W. Left on all year: %(w)s W × 8,760 h = %(kwh)s kWh. The saving is (%(w)s − "
               "%(target)s) W × 8,760 h = %(save)s kWh.", w=n.num(p["base_w"]), kwh=n.num(p["standby_kwh"]),
               target=n.num(p["target_w"]), save=n.num(a.kwh_year)), price_note],
        )  # fmt: skip
    if a.kind == "load_shifting":
        costing = tf.costing
        rates = costing.rates if costing is not None else ()
        rate_text = "; ".join(
            _("%(name)s %(kwh)s kWh at %(price)s", name=r.name, kwh=n.num(r.kwh * scale),
              price=n.price(r.price_eur_kwh))
            for r in rates
        )  # fmt: skip
        if len({r.price_eur_kwh for r in rates}) <= 1:
            summary = _("Your supplier's tariff “%(tariff)s” has the same price at every hour: moving loads to "
                        "other hours saves nothing under it. Spreading them out still avoids network overruns.",
                        tariff=tf.tariff or "")  # fmt: skip
        else:
            summary = _("Under your supplier's tariff “%(tariff)s”, running the dishwasher, washing machine or car "
                        "charger at the cheapest rate (%(cheapest)s) instead of dearer hours saves this.",
                        tariff=tf.tariff or "", cheapest=n.price(p["cheapest"]))  # fmt: skip
        return Card(
            a.kind, _("Shifting flexible load to cheaper hours"), _saving(a, n, _), summary,
            [_("We priced each of your quarter-hours at the rate in force then: %(rates)s (a year).", rates=rate_text),
             _("We assume %(share)s of what you use at each dearer rate can wait: %(moved)s kWh a year move to the "
               "cheapest rate. The energy stays the same; each kWh moved saves the difference of the prices.",
               share=n.pct(p["share"]), moved=n.num(p["moved_kwh"])), basis],
        )  # fmt: skip
    if a.kind == "pv_self_consumption":
        imported = float(np.nansum(year.kwh)) * scale
        return Card(
            a.kind, _("Using more of your solar power at home"), _saving(a, n, _),
            _("You sent %(export)s kWh a year to the grid (export A−) and drew %(import)s kWh from it (import A+). "
              "Running appliances at midday uses more of your own solar power.", export=n.num(p["export_kwh"]),
              **{"import": n.num(imported)}),
            [_("We assume %(share)s of what you export can be used at home instead. Each such kWh saves the import "
               "price (%(price)s) minus the feed-in tariff, which the platform does not hold: we assume %(feed_in)s.",
               share=n.pct(p["share"]), price=n.price(p["price"]), feed_in=n.price(p["feed_in"])), basis],
        )  # fmt: skip
    # network_level
    cheapest = int(p["cheapest_kw"])
    if a.eur_year > 0:
        summary = _("The %(best)s kW level would have cost %(eur)s a year less than the %(kw)s kW level. Your "
                    "distribution system operator sets the level: ask it to review yours.",
                    best=cheapest, eur=n.eur(a.eur_year, 0), kw=level_kw)  # fmt: skip
    else:
        summary = _("The %(kw)s kW level was the cheapest for you over the last 12 months.", kw=level_kw)
    return Card(
        a.kind, _("Your network-tariff level"), _saving(a, n, _), summary,
        [_("We priced your last 12 months at every reference power level (fixed part, energy up to the level at the "
           "normal rate, the rest at the overrun rate) and compared the totals."), basis],
        (f"/network-tariff?point={year.point.point.id}&level={level_kw}", _("See your peaks and overruns")),
    )  # fmt: skip


def render(request: Request, portal: Portal, person: Person, point: str, level: str) -> Response:
    _ = tr(request)
    n = Numbers(lang_of(request))
    try:
        point_id, chosen = parse_point_and_level(point, level)
    except BadInput as e:
        return portal.error(request, 422, bad_input_message(_, e))
    level_kw = chosen if chosen is not None else HOUSEHOLD_DEFAULT_KW
    hh = Household(portal, person, "advice")
    context: dict[str, Any] = {"person": person, "user": person.user.username, "level_kw": level_kw,
                               "level_given": chosen is not None, "all_levels": LEVELS_KW}  # fmt: skip
    try:
        points = electric_points(hh)
        context["points"] = [(p.id, p.vp.point.ean) for p in points]
        chosen_point = choose_point(hh, point_id, points)
        heating = _heating(*heating_items(hh), n, _)
        if chosen_point is None:
            context.update(cards=_in_order(heating[0]), missing=heating[1])
        else:
            year = load(hh, chosen_point, export=True)
            tf = _tariff(portal, year, hh.now.astimezone(LOCAL_TZ).date())
            cards, missing = _cards(year, tf, level_kw, n, _, heating) if year.present.any() else ([], [])
            context.update(point=year.point, first=n.day(year.first_day), last=n.day(year.last_day), days=year.days,
                           cards=cards, missing=missing, tariffed=tf)  # fmt: skip
    except NotVisible:
        return portal.error(request, 404, _("There is no such metering point among yours."))
    except NoImport:
        context.update(point=None, no_import=True)
    return portal.templates.TemplateResponse(request, "advice.html", context)


@router.get("/advice", response_model=None)
def advice(request: Request, portal: PortalDep, person: PersonDep, point: str = "", level: str = "") -> Response:
    return render(request, portal, person, point, level)


__all__ = ["Card", "render", "router"]
