"""The advice page's heating items: for each of the person's gas and heat (district heat) points, the daily use of
the last 12 months (:func:`~meterhub.portal.household_year.period`) against the platform's weather, and what 1 °C
lower indoors would save a year (:func:`meterhub.mdm.advice.heating_advice`, on the heating signature of
:func:`meterhub.mdm.degree_days.fit_heating` and Eurostat's degree days).

The daily use is read ONLY through :meth:`meterhub.portal.household.Household.series` (logged as the page's); the
weather (:meth:`~meterhub.store.weather.WeatherOps.weather_days`) and the gas conversion factors
(:func:`meterhub.mdm.gas_factors.list_gas_factors`) are the platform's, not personal. Gas (litres) becomes kWh
with each month's factors of the point's grid area (else the month's national ones): m³ × correction ×
calorific value; when a month of the fitted days has neither, the item stays in m³ and unpriced and says so.
Prices are assumptions the page states (:data:`~meterhub.mdm.advice.ASSUMED_GAS_EUR_KWH`,
:data:`~meterhub.mdm.advice.ASSUMED_HEAT_EUR_KWH`): the platform holds no gas or heat tariff. Days whose use is
incomplete or whose weather is missing are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from meterhub.api.service import NotVisible, VisiblePoint
from meterhub.country import LOCAL_TZ
from meterhub.mdm.advice import ASSUMED_GAS_EUR_KWH, ASSUMED_HEAT_EUR_KWH, Advice, heating_advice
from meterhub.mdm.billing import GasFactors
from meterhub.mdm.degree_days import heating_degree_days
from meterhub.mdm.gas_factors import list_gas_factors
from meterhub.portal.history import category
from meterhub.portal.household import Household, Medium
from meterhub.portal.household_year import Numbers, period
from meterhub.portal.i18n import Gettext

HEATED = ("gas", "heat")


@dataclass(frozen=True, slots=True)
class HeatingItem:
    """One heated point's advice (None: it could not be computed) and what it rests on."""

    point: VisiblePoint
    medium: str  # gas or heat
    advice: Advice | None
    unit: str  # kWh, or m³ for gas without conversion factors
    days: int  # days with use and weather
    weather_days: int  # days of the period with weather


def _local_day(start: object) -> date:
    text = str(start)
    moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    return moment.astimezone(LOCAL_TZ).date()


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ).astimezone(UTC)


def _factors(hh: Household) -> dict[tuple[str | None, int, int], GasFactors]:
    return {(e.grid_area, e.year, e.month): e.factors for e in list_gas_factors(hh.portal.store)}


def _daily(hh: Household, point_id: int, medium: Medium, first: date, last: date) -> dict[date, float]:
    """The medium's complete daily use in its channel unit (days incomplete or without data left out)."""
    end = min(_midnight(last + timedelta(days=1)), hh.now.astimezone(UTC))
    try:
        series = hh.series(point_id, medium.obis, _midnight(first), end, "day")
    except NotVisible:
        return {}
    out: dict[date, float] = {}
    for item in series.points:
        value = item["value"]
        if value is not None and category(str(item["quality"]), value) != "incomplete":
            out[_local_day(item["start"])] = float(value)
    return out


def heating_items(hh: Household) -> tuple[list[HeatingItem], int]:
    """The heating item of each of the person's gas and heat points (see the module docstring), and how many
    days of the period the platform holds weather for."""
    first, last = period(hh.now.astimezone(LOCAL_TZ).date())
    temps = {w.day: w.temperature_c for w in hh.portal.store.weather_days(first, last)}
    factors: dict[tuple[str | None, int, int], GasFactors] | None = None
    out = []
    for vp in hh.points:
        for medium in hh.media(vp.point.id):
            if medium.key not in HEATED:
                continue
            use = _daily(hh, vp.point.id, medium, first, last)
            days = sorted(d for d in use if d in temps)
            hdd = [heating_degree_days(temps[d]) for d in days]
            if medium.key == "heat":
                per = {"wh": 1e-3, "kwh": 1.0, "mwh": 1e3}.get(medium.unit.lower(), 1.0)
                values, unit, price = [use[d] * per for d in days], "kWh", ASSUMED_HEAT_EUR_KWH
            else:
                factors = _factors(hh) if factors is None else factors
                area = vp.point.grid_area
                month_factors = [factors.get((area, d.year, d.month)) or factors.get((None, d.year, d.month))
                                 for d in days]  # fmt: skip
                m3 = [use[d] * 1e-3 for d in days]  # litres
                known = [f for f in month_factors if f is not None]
                if len(known) == len(days):
                    values = [v * float(f.correction * f.calorific_kwh_per_m3) for v, f in zip(m3, known, strict=True)]
                    unit, price = "kWh", ASSUMED_GAS_EUR_KWH
                else:
                    values, unit, price = m3, "m³", None
            advice = heating_advice(values, hdd, price, unit) if days else None
            out.append(HeatingItem(vp, medium.key, advice, unit, len(days), len(temps)))
    return out, len(temps)


def saving_text(item: HeatingItem, n: Numbers, _: Gettext) -> str:
    a = item.advice
    assert a is not None
    if item.unit == "kWh":
        return _("%(kwh)s kWh and %(eur)s a year", kwh=n.num(a.kwh_year), eur=n.eur(a.eur_year, 0))
    return _("%(m3)s m³ of gas a year", m3=n.num(a.kwh_year))


def card_texts(item: HeatingItem, n: Numbers, _: Gettext) -> tuple[str, str, list[str]]:
    """(title, summary, how we computed this) of an item with advice."""
    a = item.advice
    assert a is not None
    p = a.params
    ean, slope, unit = item.point.point.ean, n.num(p["slope"], 2), item.unit
    if item.medium == "gas":
        title = _("Heating one degree lower (gas, point %(ean)s)", ean=ean)
        summary = _("Keeping your rooms 1 °C cooler in the heating season saves about this much gas. Your heating "
                    "uses %(slope)s %(unit)s of gas per degree day.", slope=slope, unit=unit)  # fmt: skip
    else:
        title = _("Heating one degree lower (district heat, point %(ean)s)", ean=ean)
        summary = _("Keeping your rooms 1 °C cooler in the heating season saves about this much heat. Your heating "
                    "uses %(slope)s %(unit)s of heat per degree day.", slope=slope, unit=unit)  # fmt: skip
    how = [
        _("We compared your daily use on %(days)s days with the outdoor temperature of each day (heating degree "
          "days as Eurostat counts them: 18 °C minus the day's mean temperature, on days at or below 15 °C). The "
          "straight line through the days gives %(slope)s %(unit)s per degree day and a base of %(base)s %(unit)s "
          "a day for hot water and cooking (R² %(r2)s: 1 would mean the weather explains every difference).",
          days=item.days, slope=slope, unit=unit, base=n.num(p["base"], 2), r2=n.num(p["r2"], 2)),
        _("1 °C lower indoors removes one degree day from each heating day: %(heating_days)s heating days a year × "
          "%(slope)s %(unit)s = %(saving)s %(unit)s a year.", heating_days=n.num(p["heating_days"]),
          slope=slope, unit=unit, saving=n.num(a.kwh_year)),
    ]  # fmt: skip
    if item.medium == "heat":
        how.append(_("The platform holds no district heat tariff: we assume %(price)s, the order of magnitude a "
                     "Luxembourg household pays.", price=n.price(p["price"])))  # fmt: skip
    elif unit == "kWh":
        how.append(_("Your gas meter counts cubic metres: we converted each month's into kWh with that month's "
                     "volume-correction factor and calorific value for your grid area. The platform holds no gas "
                     "tariff: we assume %(price)s, the order of magnitude a Luxembourg household pays with network "
                     "and taxes.", price=n.price(p["price"])))  # fmt: skip
    else:
        how.append(_("The conversion factors of gas (calorific value and volume correction) are not set for every "
                     "month of the period, so the saving is given in cubic metres and not priced."))  # fmt: skip
    return title, summary, how


def no_weather_text(_: Gettext) -> str:
    return _(
        "No weather data held: the platform holds no outdoor temperatures for your area yet, so we cannot "
        "compare your heating with how cold it was."
    )


def missing_text(item: HeatingItem, _: Gettext) -> str:
    """Why an item has no advice."""
    if item.weather_days == 0:
        return no_weather_text(_)
    return _("There are too few cold days with both your readings and the weather over the last 12 months to "
             "compare your heating with how cold it was.")  # fmt: skip


__all__ = ["HEATED", "HeatingItem", "card_texts", "heating_items", "missing_text", "no_weather_text", "saving_text"]
