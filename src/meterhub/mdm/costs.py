"""A household's energy costs: each day under its supplier of record's tariff, month by month, and the last 12
months under every published tariff.

:func:`kwh_grid` lays a channel's raw slots (epoch starts, values in Wh, quality codes) on the full slot grid of
the local days ``day_from``…``day_to`` — a slot that is absent or missing is NaN (not priced). A household's
tariff on a day is its **supplier of record's** that day (:class:`SupplierPeriod`, from the point's supplier
history: a switch on a day gives that whole day to the new supplier) and, of that supplier's versions in force
that day, the first by tariff name (a supplier with one tariff: that one). :func:`household_cost` prices a
period that way and answers it in **parts**, one per run of days under one supplier's tariff, so that a switch
in the middle of a month shows both sides (:func:`~meterhub.mdm.costing.cost_series` per version, the standing
charge prorated by day); days no tariff covers are counted, not priced. :func:`month_periods` cuts a span into
calendar months; :func:`rank_offers` prices one period under each offer (a published tariff as it stands today),
cheapest first, each with its difference to the household's own current tariff — the same consumption at
today's prices on both sides, so the difference is the tariff's alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from meterhub.mdm.costing import Costing, RateCost, TariffVersion, cost_series
from meterhub.mdm.quality import Quality, codes
from meterhub.mdm.tariffs import Tariff
from meterhub.store.intervals import day_bounds_epoch, day_range


@dataclass(frozen=True, slots=True)
class SupplierPeriod:
    """A supplier of record on the local days [first_day, end_day) (``end_day`` None: still) and its tariff
    versions (every version of every tariff it published, withdrawn ones included)."""

    supplier_id: int
    first_day: date
    end_day: date | None
    versions: tuple[TariffVersion, ...]

    def covers(self, day: date) -> bool:
        return self.first_day <= day and (self.end_day is None or day < self.end_day)


@dataclass(frozen=True, slots=True)
class Part:
    """Days ``day_from``…``day_to`` under one supplier's tariff (``costing`` None: no tariff covered them)."""

    supplier_id: int | None
    day_from: date
    day_to: date
    costing: Costing | None


@dataclass(frozen=True, slots=True)
class PeriodCost:
    """A period's cost in parts (see the module docstring)."""

    day_from: date
    day_to: date
    parts: tuple[Part, ...]

    @property
    def priced(self) -> list[Costing]:
        return [p.costing for p in self.parts if p.costing is not None]

    @property
    def kwh(self) -> float:
        return sum(c.kwh for c in self.priced)

    @property
    def energy_eur(self) -> float:
        return sum(c.energy_eur for c in self.priced)

    @property
    def fixed_eur(self) -> float:
        return sum(c.fixed_eur for c in self.priced)

    @property
    def total_eur(self) -> float:
        return self.energy_eur + self.fixed_eur

    @property
    def unpriced_days(self) -> int:
        return sum((p.day_to - p.day_from).days + 1 for p in self.parts if p.costing is None)

    @property
    def missing_slots(self) -> int:
        return sum(c.missing_slots for c in self.priced)


@dataclass(frozen=True, slots=True)
class Offer:
    """A published tariff as it stands today, and whose it is."""

    tariff_id: int
    supplier_id: int
    tariff: Tariff


@dataclass(frozen=True, slots=True)
class Ranked:
    """An offer priced over a period; ``difference_eur`` = its total − the household's current tariff's."""

    offer: Offer
    costing: Costing
    difference_eur: float
    mine: bool


def kwh_grid(
    epochs: npt.ArrayLike,
    values_wh: npt.ArrayLike,
    quality: npt.ArrayLike,
    day_from: date,
    day_to: date,
    interval_s: int = 900,
) -> npt.NDArray[np.float64]:
    """kWh of every slot of the local days ``day_from``…``day_to`` in time order (NaN: absent or missing)."""
    start, end = day_bounds_epoch(day_from)[0], day_bounds_epoch(day_to)[1]
    out = np.full((end - start) // interval_s, np.nan)
    e = np.asarray(epochs, dtype=np.int64)
    v = np.asarray(values_wh, dtype=np.float64)
    q = codes(np.asarray(quality, dtype=np.uint8))
    keep = (e >= start) & (e < end) & (q != Quality.MISSING) & ~np.isnan(v)
    out[(e[keep] - start) // interval_s] = v[keep] / 1000.0
    return out


def month_periods(day_from: date, day_to: date) -> list[tuple[date, date]]:
    """The calendar months of ``day_from``…``day_to``, each cut to it: (first day, last day)."""
    out: list[tuple[date, date]] = []
    d = day_from
    while d <= day_to:
        nxt = (d.replace(day=1) + timedelta(days=32)).replace(day=1)
        out.append((d, min(day_to, nxt - timedelta(days=1))))
        d = nxt
    return out


def tariff_on(period: SupplierPeriod, day: date) -> TariffVersion | None:
    """The supplier's version in force on ``day`` (the first by tariff name if several)."""
    found = [v for v in period.versions if v.covers(day)]
    return min(found, key=lambda v: v.tariff.name) if found else None


def _merge(costings: Sequence[Costing]) -> Costing:
    """Several versions' costings of one tariff as one (rates summed by number; the latest name and price)."""
    if len(costings) == 1:
        return costings[0]
    acc: dict[int, list[float]] = {}
    names: dict[int, tuple[str, float]] = {}
    for c in costings:
        for r in c.rates:
            a = acc.setdefault(r.rate, [0.0, 0.0])
            a[0] += r.kwh
            a[1] += r.eur
            names[r.rate] = (r.name, r.price_eur_kwh)
    rates = tuple(RateCost(n, names[n][0], names[n][1], acc[n][0], acc[n][1]) for n in sorted(acc))
    return Costing(
        costings[-1].tariff, costings[0].day_from, costings[-1].day_to, rates, sum(c.fixed_eur for c in costings),
        sum(c.slots for c in costings), sum(c.missing_slots for c in costings),
    )  # fmt: skip


def household_cost(
    periods: Sequence[SupplierPeriod], kwh: npt.ArrayLike, day_from: date, day_to: date, interval_s: int = 900
) -> PeriodCost:
    """The days ``day_from``…``day_to`` (``kwh``: :func:`kwh_grid` of them) priced under the supplier of
    record's tariff of each day, in parts (see the module docstring)."""
    energy = np.asarray(kwh, dtype=np.float64)
    days = day_range(day_from, day_to)
    bounds = [day_bounds_epoch(d) for d in days]
    expected = (bounds[-1][1] - bounds[0][0]) // interval_s if days else 0
    if energy.shape != (expected,):
        raise ValueError(f"{day_from}…{day_to} does not match an array of {energy.shape}")
    base = bounds[0][0] if days else 0
    # runs of consecutive days under the same (supplier, version)
    runs: list[tuple[int | None, TariffVersion | None, date, date]] = []
    for d in days:
        period = next((p for p in periods if p.covers(d)), None)
        version = tariff_on(period, d) if period is not None else None
        key = (period.supplier_id if period is not None else None, version)
        if runs and (runs[-1][0], runs[-1][1]) == key:
            runs[-1] = (key[0], key[1], runs[-1][2], d)
        else:
            runs.append((key[0], key[1], d, d))
    parts: list[Part] = []
    pending: list[Costing] = []
    for i, (supplier, version, lo, hi) in enumerate(runs):
        if version is not None:
            a = (day_bounds_epoch(lo)[0] - base) // interval_s
            b = (day_bounds_epoch(hi)[1] - base) // interval_s
            pending.append(cost_series(version.tariff, energy[a:b], lo, hi, interval_s))
        nxt = runs[i + 1] if i + 1 < len(runs) else None
        same_next = (
            version is not None and nxt is not None and nxt[0] == supplier and nxt[1] is not None
            and nxt[1].tariff.name == version.tariff.name
        )  # fmt: skip
        if same_next:
            continue
        first = lo if not pending else pending[0].day_from
        parts.append(Part(supplier, first, hi, _merge(pending) if pending else None))
        pending = []
    return PeriodCost(day_from, day_to, tuple(parts))


def rank_offers(
    offers: Sequence[Offer], mine: int | None, kwh: npt.ArrayLike, day_from: date, day_to: date, interval_s: int = 900
) -> list[Ranked]:
    """Each offer priced over the days, cheapest first; ``mine`` = the tariff id of the household's current
    tariff (the reference of each difference; None: the differences are to the cheapest)."""
    energy = np.asarray(kwh, dtype=np.float64)
    priced = [(o, cost_series(o.tariff, energy, day_from, day_to, interval_s)) for o in offers]
    priced.sort(key=lambda oc: (oc[1].total_eur, oc[0].tariff.name))
    ref = next((c.total_eur for o, c in priced if o.tariff_id == mine), priced[0][1].total_eur if priced else 0.0)
    return [Ranked(o, c, c.total_eur - ref, o.tariff_id == mine) for o, c in priced]


__all__ = [
    "Offer",
    "Part",
    "PeriodCost",
    "Ranked",
    "SupplierPeriod",
    "household_cost",
    "kwh_grid",
    "month_periods",
    "rank_offers",
    "tariff_on",
]
