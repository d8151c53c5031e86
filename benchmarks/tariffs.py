"""Tariff benchmark: cost a 3-year quarter-hour series under 4 supplier tariffs, and the network-tariff levels.

The series is a home of the independent household generator (:mod:`benchmarks.corpora.households`: appliance
events at one-minute resolution, not our simulator) over ``years`` × 365 local days from 2024-01-01 (DST days of
92 and 100 quarter-hours among them), in kWh. The 4 tariffs: a flat rate, the national two-rate day/night
(06–22), a three-rate seasonal time-of-use tariff with Luxembourg holidays as rest days, and a weekend tariff.
Timed, median of ``rounds``: :func:`meterhub.mdm.costing.compare_tariffs` over the 4 (tariffs parsed afresh
from JSON each round, so their per-day rate tables are built inside the clock) — ``compare_ms``; and
:func:`meterhub.mdm.network_tariff.level_choice` over the last 12 months at every level — ``levels_ms``.
Baseline: the obvious per-slot loop (each slot's local time, the day's profile, the rate in force by scanning the
switches, price × energy), once, with ``agree`` saying both give the same totals to 1e-6 €. Goal: the 4 tariffs in
< 200 ms.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from typing import Any

import numpy as np

from benchmarks.corpora import households
from meterhub.mdm.costing import compare_tariffs
from meterhub.mdm.network_tariff import level_choice
from meterhub.mdm.series import slot_starts
from meterhub.mdm.tariffs import DayProfile, Rate, Season, Switch, Tariff, WeekProfile, single_rate, tariff_from_dict
from meterhub.store.intervals import LOCAL_TZ

GOAL_MS = 200.0
FIRST = dt.date(2024, 1, 1)


def _tariffs() -> list[Tariff]:
    t = dt.time
    day_night = Tariff(
        "day/night",
        (Rate(1, "day", 0.29), Rate(2, "night", 0.21)),
        (DayProfile(1, (Switch(t(0), 2), Switch(t(6), 1), Switch(t(22), 2))),),
        (WeekProfile("all", (1,) * 7),),
        (Season("year", 1, 1, "all"),),
        fixed_eur_month=4.0,
    )
    tou = Tariff(
        "seasonal TOU",
        (Rate(1, "peak", 0.33), Rate(2, "off-peak", 0.22), Rate(3, "rest", 0.18)),
        (
            DayProfile(1, (Switch(t(0), 2), Switch(t(7), 1), Switch(t(11), 2), Switch(t(17), 1), Switch(t(21), 2))),
            DayProfile(2, (Switch(t(0), 3),)),
            DayProfile(3, (Switch(t(0), 2), Switch(t(18), 1), Switch(t(21), 2))),
        ),
        (WeekProfile("winter", (1, 1, 1, 1, 1, 2, 2)), WeekProfile("summer", (3, 3, 3, 3, 3, 2, 2))),
        (Season("summer", 4, 1, "summer"), Season("winter", 10, 1, "winter")),
        holiday_day_id=2,
        fixed_eur_month=5.0,
    )
    weekend = Tariff(
        "weekend",
        (Rate(1, "week", 0.28), Rate(2, "weekend", 0.19)),
        (DayProfile(1, (Switch(t(0), 1),)), DayProfile(2, (Switch(t(0), 2),))),
        (WeekProfile("w", (1, 1, 1, 1, 1, 2, 2)),),
        (Season("year", 1, 1, "w"),),
        holiday_day_id=2,
    )
    return [single_rate("flat", 0.26, fixed_eur_month=3.0), day_night, tou, weekend]


def _naive_total(tariff: Tariff, starts: np.ndarray, kwh: np.ndarray) -> float:
    """The obvious loop: per slot its local time, the day's profile, the switch in force, price × energy."""
    prices = {r.number: r.price_eur_kwh for r in tariff.rates}
    total = 0.0
    for t_utc, e in zip(starts.tolist(), kwh.tolist(), strict=True):
        local = dt.datetime.fromtimestamp(t_utc, LOCAL_TZ)
        profile = tariff.day_profile(tariff.day_id_of(local.date()))
        now = local.time()
        rate = profile.switches[0].rate
        for s in profile.switches:
            if s.start <= now:
                rate = s.rate
        total += prices[rate] * e
    return total


def run(years: int = 3, rounds: int = 5, seed: int = 3, baseline: bool = True, **_options: Any) -> dict[str, Any]:
    """Generate the series, time the 4-tariff comparison and the level choice (see the module docstring)."""
    days = 365 * years
    last = FIRST + dt.timedelta(days=days - 1)
    weather = households.Weather.draw(FIRST, days, seed)
    kwh = households.electricity(seed, FIRST, days, weather).astype(np.float64) / 1000.0
    starts = slot_starts(FIRST, last, 900)
    if kwh.size != starts.size:
        raise RuntimeError(f"generator gave {kwh.size} slots for {starts.size}")
    definitions = [t.to_dict() for t in _tariffs()]
    compare_s: list[float] = []
    ranked = []
    for _ in range(rounds):
        fresh = [tariff_from_dict(d) for d in definitions]
        t0 = time.perf_counter()
        ranked = compare_tariffs(fresh, kwh, FIRST, last)
        compare_s.append(time.perf_counter() - t0)
    year = starts >= starts[-1] - 365 * 86_400
    levels_s: list[float] = []
    choice = None
    for _ in range(rounds):
        t0 = time.perf_counter()
        choice = level_choice(starts[year], kwh[year], current_kw=7)
        levels_s.append(time.perf_counter() - t0)
    assert choice is not None
    figures: dict[str, Any] = {
        "slots": int(starts.size),
        "kwh": round(float(kwh.sum()), 1),
        "tariffs": {c.tariff: round(c.total_eur, 2) for c in ranked},
        "compare_ms": round(statistics.median(compare_s) * 1000, 1),
        "levels_ms": round(statistics.median(levels_s) * 1000, 1),
        "cheapest_level_kw": choice.cheapest_kw,
        "level_saving_eur_vs_7kw": round(choice.saving_eur, 2),
        "goal_ms": GOAL_MS,
        "within_goal": statistics.median(compare_s) * 1000 < GOAL_MS,
    }
    if baseline:
        tariffs = [tariff_from_dict(d) for d in definitions]
        t0 = time.perf_counter()
        naive = {t.name: _naive_total(t, starts, kwh) for t in tariffs}
        figures["baseline_loop_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        figures["agree"] = all(abs(naive[c.tariff] - c.energy_eur) < 1e-6 for c in ranked)
    return figures
