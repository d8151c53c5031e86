"""The cost of a quarter-hour series under supplier tariffs: per rate kWh and €, and the comparison of tariffs.

:func:`cost_series` prices the slots of local days ``day_from``…``day_to`` (an energy array in kWh, one value per
slot in time order, NaN = missing and not priced) under one :class:`~meterhub.mdm.tariffs.Tariff`: each slot
takes the rate in force at its local wall-clock start (:func:`~meterhub.mdm.tariffs.slot_rates`, so DST days
count 92 or 100 slots and public holidays take the holiday day profile), and the standing charge is prorated by
day (a day is 1/days-in-its-month of the monthly ``fixed_eur_month``). :func:`cost_with_versions` prices each day
under the tariff version in force that day — the cost so far under one's own supplier; :func:`compare_tariffs`
prices one period under each published tariff as it stands now ("what the last 12 months would have cost"),
cheapest first.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from meterhub.mdm.tariffs import Tariff, slot_rates, tariff_from_dict
from meterhub.store.intervals import day_bounds_epoch, day_range, local_day_slots
from meterhub.store.tariffs import StoredTariff


@dataclass(frozen=True, slots=True)
class RateCost:
    """Energy and its cost under one rate."""

    rate: int
    name: str
    price_eur_kwh: float
    kwh: float
    eur: float


@dataclass(frozen=True, slots=True)
class Costing:
    """The cost of a series over a period under a tariff (or its versions)."""

    tariff: str
    day_from: date
    day_to: date
    rates: tuple[RateCost, ...]
    fixed_eur: float
    slots: int
    missing_slots: int

    @property
    def kwh(self) -> float:
        return sum(r.kwh for r in self.rates)

    @property
    def energy_eur(self) -> float:
        return sum(r.eur for r in self.rates)

    @property
    def total_eur(self) -> float:
        return self.energy_eur + self.fixed_eur


@dataclass(frozen=True, slots=True)
class TariffVersion:
    """A tariff in force on the local days [valid_from, valid_to) (``valid_to`` None: open)."""

    valid_from: date
    valid_to: date | None
    tariff: Tariff

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


def versions_of(stored: Sequence[StoredTariff]) -> list[TariffVersion]:
    """Stored versions (:mod:`meterhub.store.tariffs`) as priceable versions (definitions parsed and checked:
    a bad one raises :class:`~meterhub.mdm.tariffs.TariffError`); drafts and versions never in force (no
    ``valid_from``) are left out."""
    return [
        TariffVersion(s.valid_from, s.valid_to, tariff_from_dict(s.definition))
        for s in stored
        if s.valid_from is not None and s.status != "draft"
    ]


def fixed_share(fixed_eur_month: float, day_from: date, day_to: date) -> float:
    """The standing charge of the days ``day_from``…``day_to``: each day 1/days-in-month of a month's."""
    total = 0.0
    d = day_from
    while d <= day_to:
        days_in = calendar.monthrange(d.year, d.month)[1]
        month_end = date(d.year, d.month, days_in)
        n = (min(month_end, day_to) - d).days + 1
        total += fixed_eur_month * n / days_in
        d = month_end + timedelta(days=1)
    return total


def _check_length(kwh: npt.NDArray[np.float64], day_from: date, day_to: date, interval_s: int) -> None:
    expected = (day_bounds_epoch(day_to)[1] - day_bounds_epoch(day_from)[0]) // interval_s if day_from <= day_to else 0
    if kwh.shape != (expected,):
        raise ValueError(f"{day_from}…{day_to} has {expected} slots of {interval_s} s, got an array of {kwh.shape}")


def cost_series(t: Tariff, kwh: npt.ArrayLike, day_from: date, day_to: date, interval_s: int = 900) -> Costing:
    """``kwh`` (every slot of the days, time order, NaN = missing) priced under ``t`` (see the module docstring)."""
    energy = np.asarray(kwh, dtype=np.float64)
    _check_length(energy, day_from, day_to, interval_s)
    rates = slot_rates(t, day_from, day_to, interval_s)
    have = ~np.isnan(energy)
    per_rate = np.bincount(rates[have], weights=energy[have], minlength=max(t.rate_numbers) + 1)
    out = tuple(
        RateCost(
            r.number, r.name, r.price_eur_kwh, float(per_rate[r.number]), float(per_rate[r.number]) * r.price_eur_kwh
        )
        for r in sorted(t.rates, key=lambda r: r.number)
    )
    return Costing(
        t.name, day_from, day_to, out, fixed_share(t.fixed_eur_month, day_from, day_to), int(energy.size),
        int(np.count_nonzero(~have)),
    )  # fmt: skip


def cost_with_versions(
    versions: Sequence[TariffVersion], kwh: npt.ArrayLike, day_from: date, day_to: date, interval_s: int = 900
) -> Costing:
    """Each day priced under the version in force that day; a day no version covers raises ValueError. Rates
    are summed by number across versions (the name and price of the latest version are shown)."""
    energy = np.asarray(kwh, dtype=np.float64)
    _check_length(energy, day_from, day_to, interval_s)
    runs: list[tuple[TariffVersion, date, date, int, int]] = []
    offset = 0
    for d in day_range(day_from, day_to):
        n = local_day_slots(d, interval_s)
        v = next((v for v in versions if v.covers(d)), None)
        if v is None:
            raise ValueError(f"no tariff version covers {d}")
        if runs and runs[-1][0] is v:
            last = runs[-1]
            runs[-1] = (v, last[1], d, last[3], offset + n)
        else:
            runs.append((v, d, d, offset, offset + n))
        offset += n
    totals: dict[int, list[float]] = {}
    names: dict[int, tuple[str, float]] = {}
    fixed = 0.0
    missing = 0
    for v, lo, hi, a, b in runs:
        c = cost_series(v.tariff, energy[a:b], lo, hi, interval_s)
        fixed += c.fixed_eur
        missing += c.missing_slots
        for r in c.rates:
            acc = totals.setdefault(r.rate, [0.0, 0.0])
            acc[0] += r.kwh
            acc[1] += r.eur
            names[r.rate] = (r.name, r.price_eur_kwh)
    name = runs[-1][0].tariff.name if runs else ""
    rates = tuple(RateCost(n, names[n][0], names[n][1], totals[n][0], totals[n][1]) for n in sorted(totals))
    return Costing(name, day_from, day_to, rates, fixed, int(energy.size), missing)


def compare_tariffs(
    tariffs: Sequence[Tariff], kwh: npt.ArrayLike, day_from: date, day_to: date, interval_s: int = 900
) -> list[Costing]:
    """The period priced under each tariff as it stands (today's published versions), cheapest total first."""
    energy = np.asarray(kwh, dtype=np.float64)
    return sorted((cost_series(t, energy, day_from, day_to, interval_s) for t in tariffs), key=lambda c: c.total_eur)


__all__ = [
    "Costing",
    "RateCost",
    "TariffVersion",
    "compare_tariffs",
    "cost_series",
    "cost_with_versions",
    "fixed_share",
    "versions_of",
]
