"""Data for the VEE benchmark that our simulator did not make: measured household extracts and an independent generator.

:func:`sources` lays every source onto the benchmark's 28 local days across the spring DST switch as truth per
slot (energy per interval, base units) with its medium, interval and — where the source has weather — the daily
mean temperature an MDM would get from a weather service. ``data/README.md`` gives the extracts' provenance and
licences; :mod:`benchmarks.corpora.make_extracts` made them; :mod:`benchmarks.corpora.households` is the
independent generator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from benchmarks.corpora import households

DATA = Path(__file__).with_name("data")
FIRST = dt.date(2026, 3, 16)  # a Monday; 28 days to Sunday 2026-04-12, the spring switch on Sunday 2026-03-29
DAYS = 28
DST_SUNDAY = dt.date(2026, 3, 29)
_EXTRACT_BEFORE = 20  # make_extracts.BEFORE: day 0 of an extract is its DST Sunday minus 20 days


@dataclass(frozen=True)
class Truth:
    """One channel's true energy per slot over the benchmark's days (slots as :class:`meterhub.mdm.vee.Layout`)."""

    name: str
    medium: str  # electricity or gas
    interval_s: int
    values: npt.NDArray[np.int64]
    unknown: npt.NDArray[np.bool_]  # slots whose truth the record does not have (a gap of the record itself)
    temperature: Callable[[dt.date], float] | None = None


def _on_layout(
    per_day: npt.NDArray[np.int64], day_index: npt.NDArray[np.int64], wall: npt.NDArray[np.int16]
) -> npt.NDArray[np.int64]:
    """Wall-clock quarter hours per day ``(days, 96)`` → the layout's slots (the spring day drops 02:xx)."""
    return np.asarray(per_day[day_index, wall], dtype=np.int64)


def measured(day_index: npt.NDArray[np.int64], wall: npt.NDArray[np.int16]) -> dict[str, list[Truth]]:
    """The UCI Sceaux household's four springs and SimBench's four household profiles, 15-minute A+ (Wh)."""
    out: dict[str, list[Truth]] = {"uci": [], "simbench": []}
    offset = _EXTRACT_BEFORE - (DST_SUNDAY - FIRST).days  # extract day of the benchmark's first day
    with np.load(DATA / "uci_sceaux_spring.npz") as z:
        wh, unknown = z["wh"], z["unknown"]
        for k, sunday in enumerate(z["dst_sundays"].tolist()):
            days = slice(offset, offset + DAYS)
            values = _on_layout(wh[k, days].astype(np.int64), day_index, wall)
            gaps = _on_layout(unknown[k, days].astype(np.int64), day_index, wall).astype(bool)
            out["uci"].append(Truth(f"uci-{sunday[:4]}", "electricity", 900, values, gaps))
    with np.load(DATA / "simbench_h0_spring.npz") as z:
        for k, profile in enumerate(z["profiles"].tolist()):
            values = _on_layout(z["wh"][k, offset : offset + DAYS].astype(np.int64), day_index, wall)
            none = np.zeros(values.size, dtype=bool)
            out["simbench"].append(Truth(f"simbench-{profile}", "electricity", 900, values, none))
    return out


def independent(homes: int, seed: int = 29) -> list[Truth]:
    """``homes`` electricity homes (15 min, Wh) and as many gas homes (hourly, litres) of the independent
    generator, with its weather as the temperature source."""
    weather = households.Weather.draw(FIRST, DAYS, seed)
    out: list[Truth] = []
    for k in range(homes):
        e = households.electricity(seed * 1000 + k, FIRST, DAYS, weather)
        out.append(Truth(f"indep-e{k}", "electricity", 900, e, np.zeros(e.size, bool), weather.mean))
    for k in range(homes):
        g = households.gas(seed * 1000 + 500 + k, FIRST, DAYS, weather)
        out.append(Truth(f"indep-g{k}", "gas", 3600, g, np.zeros(g.size, bool), weather.mean))
    return out


__all__ = ["DAYS", "DST_SUNDAY", "FIRST", "Truth", "independent", "measured"]
