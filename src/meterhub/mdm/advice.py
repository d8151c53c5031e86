"""Saving advice from a home's own data: each item with its estimated kWh and € per year and a "how we computed
this" note (pure functions over series; the portal words them).

* :func:`base_load_advice` — night base load and standby: the median over nights of the lowest quarter-hour
  between 00:00 and 05:00 local, as average power; what it costs per year, and what bringing it down to a target
  (default 50 W, or the efficient similar homes' base load) would save.
* :func:`shifting_advice` — shifting flexible load to cheaper hours under the home's tariff: a share of the
  energy drawn at each rate (default 15 %) moved to the cheapest rate, per year.
* :func:`heating_advice` — heating against heating degree days (Eurostat's: ``18 − T`` on days at or below
  15 °C, :mod:`meterhub.mdm.degree_days`): the daily use's heating signature
  (:func:`~meterhub.mdm.degree_days.fit_heating`, the one fit the History page draws too: slope per degree day
  and a base per day); 1 °C lower indoors moves the room temperature of the definition to 17 °C, removing one
  degree day from each heating day (a heating day counts at least 3), so the saving is slope × heating days
  a year.
* :func:`pv_advice` — PV self-consumption: a share of the exported energy (default 20 %) used at home instead
  saves the difference between the import price and the feed-in tariff.
* :func:`network_level_advice` — the network-tariff level that would have been cheapest
  (:func:`meterhub.mdm.network_tariff.level_choice`).

Figures are scaled to a year by the days the data covers (365 / days). Each item's ``params`` carry the figures of
its note so that the portal can word it in the reader's language; :func:`energy_price` is what a kWh less saves
(the supplier's average price of the home's own consumption plus the network's normal rate), :func:`ranked` orders
the items by € a year, and :func:`slot_grid` lays raw slots on the full grid that costing prices.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from meterhub.mdm.costing import Costing
from meterhub.mdm.degree_days import fit_heating
from meterhub.mdm.network_tariff import LevelChoice
from meterhub.mdm.series import local_seconds

NIGHT_FROM_H, NIGHT_TO_H = 0, 5
DEFAULT_TARGET_W = 50.0
DEFAULT_FLEXIBLE_SHARE = 0.15
DEFAULT_PV_SHIFT_SHARE = 0.2
MIN_HEATING_DAYS = 10
"""The heating advice needs at least this many days with degree days (at or below the heating limit)."""
ASSUMED_GAS_EUR_KWH = 0.10
"""The price assumed for a kWh of gas (energy, network and taxes, a Luxembourg household's order of magnitude)
while the platform holds no gas tariff (the portal says it is an assumption)."""
ASSUMED_HEAT_EUR_KWH = 0.12
"""The price assumed for a kWh of district heat while the platform holds no heat tariff (said so, too)."""
ASSUMED_FEED_IN_EUR_KWH = 0.08
"""The feed-in tariff assumed for exported energy while the platform holds no home's feed-in contract (the
portal says it is an assumption)."""


@dataclass(frozen=True, slots=True)
class Advice:
    """One piece of advice: what it is about, its yearly kWh and €, and how they were computed."""

    kind: str
    kwh_year: float
    eur_year: float
    note: str
    figure: float | None = None  # the measured quantity it rests on (W, kWh/HDD, …)
    params: Mapping[str, float] = field(default_factory=dict)  # the note's figures, for the portal to word


def night_base_load_w(starts: npt.ArrayLike, kwh: npt.ArrayLike, interval_s: int = 900) -> float | None:
    """Median over local nights of the lowest slot between 00:00 and 05:00, as W (None: no night slot)."""
    local = local_seconds(starts)
    e = np.asarray(kwh, dtype=np.float64)
    hour = local % 86_400 // 3600
    night = (hour >= NIGHT_FROM_H) & (hour < NIGHT_TO_H) & ~np.isnan(e)
    if not night.any():
        return None
    day = local[night] // 86_400
    uniq, inverse = np.unique(day, return_inverse=True)
    minima = np.full(uniq.size, np.inf)
    np.minimum.at(minima, inverse, e[night])
    return float(np.median(minima)) * 3600.0 / interval_s * 1000.0


def base_load_advice(base_w: float, price_eur_kwh: float, target_w: float = DEFAULT_TARGET_W) -> Advice:
    """The standby's yearly energy and cost, and the saving of bringing it down to ``target_w``."""
    standby_kwh = base_w * 8.76  # W × 8760 h / 1000
    saving_kwh = max(0.0, base_w - target_w) * 8.76
    note = (
        f"Your lowest night-time consumption is {base_w:.0f} W on a typical night (the median over nights of the "
        f"lowest quarter-hour between 00:00 and 05:00): {standby_kwh:.0f} kWh and "
        f"{standby_kwh * price_eur_kwh:.0f} € a year. Bringing it to {target_w:.0f} W saves "
        f"({base_w:.0f} − {target_w:.0f}) W × 8,760 h at {price_eur_kwh:.4f} €/kWh."
    )
    params = {"base_w": base_w, "target_w": target_w, "standby_kwh": standby_kwh,
              "standby_eur": standby_kwh * price_eur_kwh, "price": price_eur_kwh}  # fmt: skip
    return Advice("base_load", saving_kwh, saving_kwh * price_eur_kwh, note, base_w, params)


def shifting_advice(costing: Costing, days: int, share: float = DEFAULT_FLEXIBLE_SHARE) -> Advice:
    """Moving ``share`` of the energy of each dearer rate to the cheapest rate, per year (€; kWh unchanged)."""
    if not costing.rates:
        return Advice("load_shifting", 0.0, 0.0, "No tariff rates.")
    cheapest = min(r.price_eur_kwh for r in costing.rates)
    moved = sum(r.kwh * share for r in costing.rates if r.price_eur_kwh > cheapest)
    eur = sum(r.kwh * share * (r.price_eur_kwh - cheapest) for r in costing.rates)
    scale = 365.0 / days
    note = (
        f"Under {costing.tariff!r}, {share:.0%} of the energy you draw at each dearer rate moved to the cheapest "
        f"rate ({cheapest:.4f} €/kWh): {moved * scale:.0f} kWh a year moved (dishwasher, washing machine, "
        "EV charging); the energy stays the same, the price falls."
    )
    params = {"share": share, "cheapest": cheapest, "moved_kwh": moved * scale}
    return Advice("load_shifting", 0.0, eur * scale, note, moved * scale, params)


def heating_advice(
    daily_use: npt.ArrayLike, daily_hdd: npt.ArrayLike, price_per_unit: float | None, unit: str = "kWh"
) -> Advice | None:
    """Heating against degree days: the saving of 1 °C lower indoors, in ``unit`` (kWh, or m³ of gas that could
    not be converted) and € at ``price_per_unit`` (None: unpriced, 0 €). The heating signature is
    :func:`meterhub.mdm.degree_days.fit_heating` over the days (one period a day); None with fewer than
    :data:`MIN_HEATING_DAYS` days at or below the heating limit, or when no line can be fitted."""
    e = np.asarray(daily_use, dtype=np.float64)
    h = np.asarray(daily_hdd, dtype=np.float64)
    ok = ~np.isnan(e) & ~np.isnan(h)
    e, h = e[ok], h[ok]
    heating_days = int(np.count_nonzero(h > 0))
    fit = fit_heating(e.tolist(), h.tolist()) if heating_days >= MIN_HEATING_DAYS else None
    if fit is None:
        return None
    slope = max(0.0, fit.per_degree_day)
    scale = 365.0 / e.size
    saving = slope * heating_days * scale
    price = 0.0 if price_per_unit is None else price_per_unit
    note = (
        f"Your heating uses {slope:.2f} {unit} per heating degree day (base {fit.base_per_day:.2f} {unit} a day, "
        f"R² {fit.r2:.2f}, {e.size} days). One degree lower indoors removes one degree day from each of your "
        f"{heating_days * scale:.0f} heating days a year: {slope:.2f} × {heating_days * scale:.0f} {unit}."
    )
    params = {"slope": slope, "base": fit.base_per_day, "r2": fit.r2, "days": float(e.size),
              "heating_days": heating_days * scale, "price": price}  # fmt: skip
    return Advice("heating", saving, saving * price, note, slope, params)


def pv_advice(
    export_kwh: float, days: int, price_eur_kwh: float, feed_in_eur_kwh: float, share: float = DEFAULT_PV_SHIFT_SHARE
) -> Advice:
    """Using ``share`` of the exported energy at home (run appliances when the sun shines)."""
    scale = 365.0 / days
    kwh = export_kwh * share * scale
    eur = kwh * max(0.0, price_eur_kwh - feed_in_eur_kwh)
    note = (
        f"You sent {export_kwh * scale:.0f} kWh a year to the grid. Using {share:.0%} of it at home instead (running "
        f"appliances at midday) saves the import price minus the feed-in tariff, "
        f"{price_eur_kwh:.4f} − {feed_in_eur_kwh:.4f} €/kWh."
    )
    params = {"export_kwh": export_kwh * scale, "share": share, "price": price_eur_kwh, "feed_in": feed_in_eur_kwh}
    return Advice("pv_self_consumption", kwh, eur, note, export_kwh * scale, params)


def network_level_advice(choice: LevelChoice, days: int) -> Advice:
    """The network-tariff level that would have been cheapest, and what it would have saved per year."""
    scale = 365.0 / days
    if choice.current_kw is None or choice.cheapest_kw == choice.current_kw:
        note = f"Your reference power level ({choice.current_kw} kW) was the cheapest over the period."
        params = {"cheapest_kw": float(choice.cheapest_kw), "saving_eur": 0.0}
        return Advice("network_level", 0.0, 0.0, note, float(choice.cheapest_kw), params)
    note = (
        f"Over the period, the {choice.cheapest_kw} kW level would have cost {choice.saving_eur:.2f} € less than your "
        f"{choice.current_kw} kW level (fixed part plus energy above the level at the overrun rate), "
        f"{choice.saving_eur * scale:.0f} € a year. Your DSO sets the level; ask it to review."
    )
    params = {"cheapest_kw": float(choice.cheapest_kw), "current_kw": float(choice.current_kw),
              "saving_eur": choice.saving_eur}  # fmt: skip
    return Advice("network_level", 0.0, choice.saving_eur * scale, note, float(choice.cheapest_kw), params)


def slot_grid(
    epochs: npt.ArrayLike, values: npt.ArrayLike, present: npt.ArrayLike, start: int, end: int, interval_s: int = 900
) -> npt.NDArray[np.float64]:
    """Every slot of the UTC epochs [start, end) in time order (the form :func:`~meterhub.mdm.costing.cost_series`
    prices), the value where ``present``, NaN elsewhere and where nothing was read (slots are contiguous in UTC)."""
    if (end - start) % interval_s or end < start:
        raise ValueError(f"[{start}, {end}) is not a whole number of {interval_s} s slots")
    out = np.full((end - start) // interval_s, np.nan)
    t = np.asarray(epochs, dtype=np.int64)
    v = np.asarray(values, dtype=np.float64)
    keep = np.asarray(present, dtype=bool) & (t >= start) & (t < end) & ((t - start) % interval_s == 0)
    out[(t[keep] - start) // interval_s] = v[keep]
    return out


def energy_price(costing: Costing | None, network_eur_kwh: float) -> float:
    """What one kWh less saves: the supplier's average energy price over the home's own consumption (its rates
    weighted by the kWh drawn at each) plus the network's normal rate; the network rate alone without a tariff."""
    if costing is None or costing.kwh <= 0:
        return network_eur_kwh
    return costing.energy_eur / costing.kwh + network_eur_kwh


def ranked(items: Iterable[Advice | None]) -> list[Advice]:
    """The advice, the largest € a year first (then the largest kWh)."""
    return sorted((a for a in items if a is not None), key=lambda a: (-round(a.eur_year, 6), -a.kwh_year))


__all__ = [
    "ASSUMED_FEED_IN_EUR_KWH",
    "ASSUMED_GAS_EUR_KWH",
    "ASSUMED_HEAT_EUR_KWH",
    "MIN_HEATING_DAYS",
    "Advice",
    "base_load_advice",
    "energy_price",
    "heating_advice",
    "network_level_advice",
    "night_base_load_w",
    "pv_advice",
    "ranked",
    "shifting_advice",
    "slot_grid",
]
