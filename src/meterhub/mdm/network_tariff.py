"""The Luxembourg low-voltage network-use tariff (ILR regulation E23/49, in force since 2025-01-01).

Figures from ``shared/ref/luxembourg-network-tariff.md`` (:data:`PRICES_2025`): energy drawn up to the reference
power at 0.0759 €/kWh, above it ("overrun") at 0.1139 €/kWh instead, a monthly fixed part by reference power
level (3 … 100 kW) and a monthly metering fee by connection size. The rule applied per quarter-hour is in ONE
function, :func:`split_overrun` (see its note). On top of it: :func:`network_months` — per local month the peak
quarter-hour power against the level, the energy within and above it, the overrun's cost and the month's total;
:func:`level_choice` — each level's cost over a period (the last 12 months) and the cheapest, with its saving
against the current level; :func:`overrun_histogram` — when overruns happen (local weekday × hour of day).
Inputs are a :class:`~meterhub.mdm.series.Series`-like pair: slot starts (UTC epoch) and kWh per slot (NaN =
missing, counted as nothing drawn). Network fees do not depend on the time of day; suppliers' energy prices come
on top (:mod:`meterhub.mdm.costing`).
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
import numpy.typing as npt

from meterhub.mdm.series import local_seconds


@dataclass(frozen=True, slots=True)
class NetworkPrices:
    """One year's network-use prices."""

    normal_eur_kwh: float
    overrun_eur_kwh: float
    fixed_eur_month: Mapping[int, float]  # by reference power level, kW
    metering_eur_month: Mapping[str, float] = field(default_factory=dict)  # by connection size


PRICES_2025 = NetworkPrices(
    normal_eur_kwh=0.0759,
    overrun_eur_kwh=0.1139,
    fixed_eur_month={3: 11.11, 7: 19.27, 12: 29.46, 17: 39.65, 27: 60.03, 43: 92.64, 70: 147.66, 100: 208.80},
    metering_eur_month={"40-50A": 5.90, "63-100A": 11.72, ">=120A": 36.41},
)
"""The 2025 values of the reference file (ILR; the operators' and suppliers' price sheets)."""

EPOCH_DAY = date(1970, 1, 1)
LEVELS_KW: tuple[int, ...] = tuple(sorted(PRICES_2025.fixed_eur_month))
HOUSEHOLD_DEFAULT_KW = 3
"""The level assumed for a household while the platform holds no per-point reference power level (the DSO sets
it and does not tell the platform yet): the lowest level, the one of the reference file's example ("a 3 kW level
allows 0.75 kWh per quarter-hour"). The portal says so and lets the household choose its own level."""


def drawn_kwh(kwh: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """The slots' kWh with missing slots (NaN) as nothing drawn (the array itself when none is missing)."""
    e = np.asarray(kwh, dtype=np.float64)
    missing = np.isnan(e)
    return np.where(missing, 0.0, e) if missing.any() else e


def split_overrun(
    kwh: npt.ArrayLike, level_kw: float, interval_s: int = 900
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """``(within, overrun)`` kWh of each slot under reference power ``level_kw``.

    Our reading of the rule (the reference file's note): in each quarter-hour, energy up to reference power ×
    0.25 h is billed at the normal rate and the rest at the overrun rate (a 3 kW level allows 0.75 kWh per
    quarter-hour). The sources state the principle, not the formula: this is the one place to correct it.
    Missing slots (NaN) count as nothing drawn.
    """
    e = drawn_kwh(kwh)
    allowance = level_kw * interval_s / 3600.0
    within = np.minimum(e, allowance)
    return within, e - within


@dataclass(frozen=True, slots=True)
class NetworkMonth:
    """One local month under a reference power level."""

    month: date  # first day
    level_kw: int
    days: int  # days of the month with slots in the input
    kwh: float
    within_kwh: float
    overrun_kwh: float
    overrun_slots: int
    peak_kw: float  # the highest quarter-hour's average power
    peak_start: datetime | None  # UTC start of that quarter-hour
    energy_eur: float  # within × normal + overrun × overrun rate
    overrun_extra_eur: float  # what the overrun cost above the normal rate
    fixed_eur: float  # the level's fixed part, prorated by days covered
    metering_eur: float  # prorated likewise

    @property
    def total_eur(self) -> float:
        return self.energy_eur + self.fixed_eur + self.metering_eur


_Calendar = tuple[npt.NDArray[np.int64], list[date], dict[date, int]]


def _calendar(t: npt.NDArray[np.int64], interval_s: int) -> _Calendar:
    """Per slot the index of its local month, the months (first days) with slots, and the number of local days
    with slots per month."""
    if t.size == 0:
        return np.empty(0, dtype=np.int64), [], {}
    day_numbers, inverse = np.unique(local_seconds(t) // 86_400, return_inverse=True)
    firsts = [(EPOCH_DAY + timedelta(days=int(n))).replace(day=1) for n in day_numbers]
    months = sorted(set(firsts))
    index = {m: i for i, m in enumerate(months)}
    day_month = np.array([index[m] for m in firsts], dtype=np.int64)
    return day_month[inverse], months, dict(Counter(firsts))


def network_months(
    starts: npt.ArrayLike,
    kwh: npt.ArrayLike,
    level_kw: int,
    *,
    connection: str | None = "40-50A",
    prices: NetworkPrices = PRICES_2025,
    interval_s: int = 900,
    _cal: _Calendar | None = None,
) -> list[NetworkMonth]:
    """The network-use cost of each local month of the slots under ``level_kw`` (see the module docstring);
    the fixed part and the metering fee of a partly covered month are prorated by the days covered."""
    if level_kw not in prices.fixed_eur_month:
        raise ValueError(
            f"{level_kw} kW is not a reference power level ({', '.join(map(str, prices.fixed_eur_month))})"
        )
    if connection is not None and connection not in prices.metering_eur_month:
        raise ValueError(f"unknown connection size {connection!r} ({', '.join(prices.metering_eur_month)})")
    t = np.asarray(starts, dtype=np.int64)
    e = drawn_kwh(kwh)
    if t.shape != e.shape:
        raise ValueError("starts and kwh differ in length")
    within, over = split_overrun(e, level_kw, interval_s)
    idx, months, covered = _cal if _cal is not None else _calendar(t, interval_s)
    metering = 0.0 if connection is None else prices.metering_eur_month[connection]
    out: list[NetworkMonth] = []
    for i, m in enumerate(months):
        sel = idx == i
        if not sel.any():
            continue
        em, wm, om = e[sel], within[sel], over[sel]
        k = int(np.argmax(em))
        share = covered.get(m, 0) / calendar.monthrange(m.year, m.month)[1]
        out.append(
            NetworkMonth(
                month=m,
                level_kw=level_kw,
                days=covered.get(m, 0),
                kwh=float(em.sum()),
                within_kwh=float(wm.sum()),
                overrun_kwh=float(om.sum()),
                overrun_slots=int(np.count_nonzero(om > 0)),
                peak_kw=float(em[k]) * 3600.0 / interval_s,
                peak_start=datetime.fromtimestamp(int(t[sel][k]), UTC),
                energy_eur=float(wm.sum()) * prices.normal_eur_kwh + float(om.sum()) * prices.overrun_eur_kwh,
                overrun_extra_eur=float(om.sum()) * (prices.overrun_eur_kwh - prices.normal_eur_kwh),
                fixed_eur=prices.fixed_eur_month[level_kw] * share,
                metering_eur=metering * share,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class LevelChoice:
    """Every level's network cost over the same period, the cheapest and what it saves."""

    current_kw: int | None
    totals_eur: dict[int, float]  # by level
    overrun_kwh: dict[int, float]
    cheapest_kw: int

    @property
    def saving_eur(self) -> float:
        """What the cheapest level would have saved against the current one (0 without a current level)."""
        if self.current_kw is None:
            return 0.0
        return self.totals_eur[self.current_kw] - self.totals_eur[self.cheapest_kw]


def level_choice(
    starts: npt.ArrayLike,
    kwh: npt.ArrayLike,
    current_kw: int | None = None,
    *,
    connection: str | None = "40-50A",
    prices: NetworkPrices = PRICES_2025,
    interval_s: int = 900,
) -> LevelChoice:
    """Each level's total over the slots (normally the last 12 months); ties go to the lower level."""
    totals: dict[int, float] = {}
    overs: dict[int, float] = {}
    t = np.asarray(starts, dtype=np.int64)
    e = drawn_kwh(kwh)
    cal = _calendar(t, interval_s)  # the months are the same at every level
    for level in sorted(prices.fixed_eur_month):
        months = network_months(t, e, level, connection=connection, prices=prices, interval_s=interval_s, _cal=cal)
        totals[level] = sum(m.total_eur for m in months)
        overs[level] = sum(m.overrun_kwh for m in months)
    cheapest = min(totals, key=lambda lv: (round(totals[lv], 9), lv))
    return LevelChoice(current_kw, totals, overs, cheapest)


@dataclass(frozen=True, slots=True)
class OverrunHistogram:
    """Overrun kWh and the number of quarter-hours with an overrun, by local weekday (0 = Monday) × hour."""

    level_kw: int
    kwh: npt.NDArray[np.float64]  # shape (7, 24)
    slots: npt.NDArray[np.int64]  # shape (7, 24)


def overrun_histogram(
    starts: npt.ArrayLike, kwh: npt.ArrayLike, level_kw: int, interval_s: int = 900
) -> OverrunHistogram:
    """When overruns happen, by the local weekday and hour of each slot's start."""
    local = local_seconds(starts)
    _, over = split_overrun(kwh, level_kw, interval_s)
    hit = over > 0
    weekday = (local[hit] // 86_400 + 3) % 7  # 1970-01-01 was a Thursday
    hour = local[hit] % 86_400 // 3600
    hist_kwh = np.zeros((7, 24))
    hist_n = np.zeros((7, 24), dtype=np.int64)
    np.add.at(hist_kwh, (weekday, hour), over[hit])
    np.add.at(hist_n, (weekday, hour), 1)
    return OverrunHistogram(level_kw, hist_kwh, hist_n)


__all__ = [
    "HOUSEHOLD_DEFAULT_KW",
    "LEVELS_KW",
    "PRICES_2025",
    "LevelChoice",
    "NetworkMonth",
    "NetworkPrices",
    "OverrunHistogram",
    "drawn_kwh",
    "level_choice",
    "network_months",
    "overrun_histogram",
    "split_overrun",
]
