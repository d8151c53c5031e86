"""Saving advice from a home's own data: each item with its estimated kWh and € per year and a "how we computed
this" note (pure functions over series; the portal words them).

* :func:`base_load_advice` — night base load and standby: the median over nights of the lowest quarter-hour
  between 00:00 and 05:00 local, as average power; what it costs per year, and what bringing it down to a target
  (default 50 W, or the efficient similar homes' base load) would save.
* :func:`shifting_advice` — shifting flexible load to cheaper hours under the home's tariff: a share of the
  energy drawn at each rate (default 15 %) moved to the cheapest rate, per year.
* :func:`heating_advice` — heating against heating degree days: the daily heating energy regressed on HDD
  (least squares, slope kWh/HDD and a base); 1 °C lower indoor temperature removes about one degree day from
  each heating day (the HDD base temperature moves by 1 K), so the saving is slope × heating days per year.
* :func:`pv_advice` — PV self-consumption: a share of the exported energy (default 20 %) used at home instead
  saves the difference between the import price and the feed-in tariff.
* :func:`network_level_advice` — the network-tariff level that would have been cheapest
  (:func:`meterhub.mdm.network_tariff.level_choice`).

Figures are scaled to a year by the days the data covers (365 / days).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from meterhub.mdm.costing import Costing
from meterhub.mdm.network_tariff import LevelChoice
from meterhub.mdm.series import local_seconds

NIGHT_FROM_H, NIGHT_TO_H = 0, 5
DEFAULT_TARGET_W = 50.0
DEFAULT_FLEXIBLE_SHARE = 0.15
DEFAULT_PV_SHIFT_SHARE = 0.2


@dataclass(frozen=True, slots=True)
class Advice:
    """One piece of advice: what it is about, its yearly kWh and €, and how they were computed."""

    kind: str
    kwh_year: float
    eur_year: float
    note: str
    figure: float | None = None  # the measured quantity it rests on (W, kWh/HDD, …)


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
    return Advice("base_load", saving_kwh, saving_kwh * price_eur_kwh, note, base_w)


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
    return Advice("load_shifting", 0.0, eur * scale, note, moved * scale)


def heating_advice(daily_kwh: npt.ArrayLike, daily_hdd: npt.ArrayLike, price_eur_kwh: float) -> Advice | None:
    """Heating energy against degree days: the saving of 1 °C lower indoors (None: fewer than 10 heating days)."""
    e = np.asarray(daily_kwh, dtype=np.float64)
    h = np.asarray(daily_hdd, dtype=np.float64)
    ok = ~np.isnan(e) & ~np.isnan(h)
    e, h = e[ok], h[ok]
    heating_days = int(np.count_nonzero(h > 0))
    if heating_days < 10 or np.ptp(h) == 0:
        return None
    slope, base = np.polyfit(h, e, 1)
    slope = max(0.0, float(slope))
    scale = 365.0 / e.size
    kwh = slope * heating_days * scale
    note = (
        f"Your heating uses {slope:.1f} kWh per heating degree day (base {float(base):.1f} kWh a day, a straight "
        f"line through {e.size} days). One degree lower indoors removes about one degree day from each of your "
        f"{heating_days * scale:.0f} heating days a year: {slope:.1f} × {heating_days * scale:.0f} kWh."
    )
    return Advice("heating", kwh, kwh * price_eur_kwh, note, slope)


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
    return Advice("pv_self_consumption", kwh, eur, note, export_kwh * scale)


def network_level_advice(choice: LevelChoice, days: int) -> Advice:
    """The network-tariff level that would have been cheapest, and what it would have saved per year."""
    scale = 365.0 / days
    if choice.current_kw is None or choice.cheapest_kw == choice.current_kw:
        note = f"Your reference power level ({choice.current_kw} kW) was the cheapest over the period."
        return Advice("network_level", 0.0, 0.0, note, float(choice.cheapest_kw))
    note = (
        f"Over the period, the {choice.cheapest_kw} kW level would have cost {choice.saving_eur:.2f} € less than your "
        f"{choice.current_kw} kW level (fixed part plus energy above the level at the overrun rate), "
        f"{choice.saving_eur * scale:.0f} € a year. Your DSO sets the level; ask it to review."
    )
    return Advice("network_level", 0.0, choice.saving_eur * scale, note, float(choice.cheapest_kw))


__all__ = [
    "Advice",
    "base_load_advice",
    "heating_advice",
    "network_level_advice",
    "night_base_load_w",
    "pv_advice",
    "shifting_advice",
]
