"""VEE on prosumers: false zero-run / stuck-register flags on the net import (A+) of clean simulated PV homes.

``meters`` PV homes of fleet seed 11 (the first homes with ``pv_kwp`` among ``LU00000000``, ``LU00000001`` …),
clean (no fault), their A+ and A− from :class:`meterhub.sim.consumption.ElectricityModel`, laid out as
:class:`~meterhub.mdm.vee_service.VeeService` lays a channel out (28 days of history before the month, a week
after) and validated by :func:`meterhub.mdm.vee.validate` with the electricity rules of an A+ channel, over a
June and a January month. Per month: ``before`` — the A+ alone (the obvious baseline: a meter without an export
channel, and every meter before the export was evidence), ``after`` — with the meter's A− as ``export``; each
with the slots flagged ``zero_run`` and ``stuck_register``, the homes with any, and ``false_flag_rate`` = those
slots / target slots (every slot is clean). Deterministic; ``seconds`` excepted.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import numpy as np

from meterhub.mdm.quality import Quality, SuspectRule
from meterhub.mdm.vee import Layout, RuleBook, validate
from meterhub.sim import consumption as c
from meterhub.store.intervals import day_range, day_start_epoch

MONTHS = {"june": (dt.date(2026, 6, 1), dt.date(2026, 6, 30)), "january": (dt.date(2026, 1, 1), dt.date(2026, 1, 31))}


def pv_homes(meters: int, seed: int = 11) -> list[c.HouseholdTraits]:
    """The first ``meters`` homes with PV of fleet ``seed``."""
    out: list[c.HouseholdTraits] = []
    i = 0
    while len(out) < meters:
        traits = c.HouseholdTraits.draw(seed, f"LU{i:08d}")
        i += 1
        if traits.pv_kwp:
            out.append(traits)
    return out


def run(meters: int = 100, **_options: Any) -> dict[str, Any]:
    started = time.perf_counter()
    rules = RuleBook().rules_for(None, "electricity", "1.0.1.8.0.255")
    homes = pv_homes(meters)
    out: dict[str, Any] = {"meters": len(homes)}
    for name, (first, last) in MONTHS.items():
        days = day_range(first - dt.timedelta(days=rules.history_days), last + dt.timedelta(days=7))
        layout = Layout.of(days, 900)
        target = np.isin(layout.day_index, [k for k, d in enumerate(days) if first <= d <= last])
        start = dt.datetime.fromtimestamp(day_start_epoch(days[0]), dt.UTC)
        quality = np.full(layout.size, Quality.MEASURED, np.uint8)
        counts: dict[str, dict[str, float]] = {
            k: {"zero_run": 0, "stuck_register": 0, "homes_flagged": 0} for k in ("before", "after")
        }
        for traits in homes:
            iv = c.ElectricityModel(traits).intervals(start, layout.size)
            a_plus, a_minus = iv[:, 0].astype(np.int64), iv[:, 1].astype(np.float64)
            for key, export in (("before", None), ("after", a_minus)):
                rule = validate(a_plus, quality, layout, rules, target, export=export).rule
                zero = int((rule == SuspectRule.ZERO_RUN).sum())
                stuck = int((rule == SuspectRule.STUCK_REGISTER).sum())
                counts[key]["zero_run"] += zero
                counts[key]["stuck_register"] += stuck
                counts[key]["homes_flagged"] += int(zero + stuck > 0)
        slots = int(target.sum()) * len(homes)
        for figures in counts.values():
            figures["false_flag_rate"] = round((figures["zero_run"] + figures["stuck_register"]) / slots, 6)
        out[name] = {"target_slots": slots, **counts}
    out["seconds"] = round(time.perf_counter() - started, 2)
    return out
