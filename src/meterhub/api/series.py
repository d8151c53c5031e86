"""A metering point's interval series as the API answers it: the visible windows' slots, at a resolution.

:func:`point_series` reads, for each visible window and each meter that measured the point in it (a meter swap
splits the window), the channel's slots through the MDM's query (:func:`meterhub.mdm.billing.slot_series`:
current block versions, or those current ``as_of``), and folds them to the requested resolution: ``15min`` (the
slots themselves; an hourly channel cannot be asked for quarter-hours), ``hour`` (UTC hours — Luxembourg's
offsets are whole hours, so they are local hours too), ``day``, ``month`` and ``year`` (Europe/Luxembourg calendar).
A value is the sum of the known slots in physical units (count × 10^scaler); its quality the worst of its slots
by :data:`QUALITY_RANK` (a day with one estimated quarter-hour is ``estimated``; with none known, ``missing`` and
no value). Sub-daily starts are UTC (``…Z``), calendar ones local midnight with its offset.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, Literal

import numpy as np

from meterhub.api.spans import FOREVER, Window
from meterhub.mdm.billing import slot_series
from meterhub.mdm.quality import QUALITY_RANK, Quality
from meterhub.store import Store
from meterhub.store.channels import Channel
from meterhub.store.intervals import LOCAL_TZ, day_bounds_epoch, day_range, local_day_of_epoch, to_epoch
from meterhub.store.inventory import PointMeter

Resolution = Literal["15min", "hour", "day", "month", "year"]
MAX_DAYS: Final[dict[str, int]] = {
    "15min": 3 * 366,
    "hour": 5 * 366,
    "day": 20 * 366,
    "month": 20 * 366,
    "year": 20 * 366,
}
"""The longest period one request may ask for, per resolution (3 years of quarter-hours: ~105 000 values)."""
_RANK = np.zeros(8, np.int8)
for _i, _q in enumerate(QUALITY_RANK):
    _RANK[int(_q)] = _i
_NAMES = [q.name.lower() for q in QUALITY_RANK]
_NAME_OF_CODE = np.array([Quality(c).name.lower() if c in Quality._value2member_map_ else "unknown" for c in range(8)])


class SeriesError(ValueError):
    """A request the series cannot answer as asked (answer 422)."""


@dataclass(frozen=True, slots=True)
class Series:
    unit: str
    interval_s: int
    points: list[dict[str, Any]]


def _aligned(a: datetime, b: datetime, step: int) -> tuple[datetime, datetime] | None:
    lo, hi = -(-to_epoch(a) // step) * step, (to_epoch(b) // step) * step
    if lo >= hi:
        return None
    return datetime.fromtimestamp(lo, LOCAL_TZ), datetime.fromtimestamp(hi, LOCAL_TZ)


def window_slots(
    store: Store, windows: Sequence[Window], meters: Sequence[tuple[PointMeter, Channel]], as_of: datetime | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(slot start epochs, values in physical units, quality codes) of the channel ``meters`` over ``windows``,
    each meter within its installation period, in time order."""
    es, vs, qs = [], [], []
    for w in windows:
        for pm, ch in meters:
            a, b = max(w.start, pm.valid_from), min(w.end, pm.valid_to or FOREVER)
            bounds = _aligned(a, b, ch.interval_s) if a < b else None
            if bounds is None:
                continue
            e, v, q = slot_series(store, ch.id, bounds[0], bounds[1], as_of=as_of)
            es.append(e)
            vs.append(v * 10.0**ch.scaler)
            qs.append(q)
    if not es:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.uint8)
    e, v, q = np.concatenate(es), np.concatenate(vs), np.concatenate(qs)
    order = np.argsort(e, kind="stable")
    return e[order], v[order], q[order]


def _keys(epochs: np.ndarray, resolution: str) -> tuple[np.ndarray, list[str]]:
    """A group index per slot, and each group's start as ISO 8601 text."""
    if resolution in ("15min", "hour"):
        starts = epochs if resolution == "15min" else epochs - epochs % 3600
        uniq, idx = np.unique(starts, return_inverse=True)
        utc = np.datetime_as_string(uniq.astype("datetime64[s]"), unit="s")
        return idx, [t + "Z" for t in utc.tolist()]
    days = day_range(local_day_of_epoch(int(epochs[0])), local_day_of_epoch(int(epochs[-1])))
    bounds = np.array([day_bounds_epoch(d)[0] for d in days], np.int64)
    day_idx = np.searchsorted(bounds, epochs, side="right") - 1
    label: list[date] = [
        d if resolution == "day" else d.replace(day=1) if resolution == "month" else d.replace(month=1, day=1)
        for d in days
    ]
    firsts = sorted(set(label))
    pos = {d: i for i, d in enumerate(firsts)}
    group_of_day = np.array([pos[d] for d in label], np.int64)
    idx = group_of_day[day_idx]
    used, inverse = np.unique(idx, return_inverse=True)
    local = [datetime.combine(firsts[int(g)], datetime.min.time(), LOCAL_TZ).isoformat() for g in used]
    return inverse, local


def _slot_points(e: np.ndarray, v: np.ndarray, q: np.ndarray) -> list[dict[str, Any]]:
    """Quarter-hour points: UTC starts, values (whole numbers as ints), quality names; missing slots no value."""
    starts = [t + "Z" for t in np.datetime_as_string(e.astype("datetime64[s]"), unit="s").tolist()]
    whole = bool(np.all(v == np.rint(v)))
    values: list[Any] = v.astype(np.int64).tolist() if whole else v.tolist()
    codes = q & 0x07
    for i in np.flatnonzero(codes == int(Quality.MISSING)).tolist():
        values[i] = None
    names = _NAME_OF_CODE[codes].tolist()
    return [{"start": s, "value": x, "quality": n} for s, x, n in zip(starts, values, names, strict=True)]


def point_series(
    store: Store,
    windows: Sequence[Window],
    meters: Sequence[tuple[PointMeter, Channel]],
    resolution: Resolution,
    as_of: datetime | None = None,
) -> Series:
    """The series of the point's channel ``meters`` over ``windows`` (the caller's visible ones) at ``resolution``;
    LookupError if the point has no such channel."""
    if not meters:
        raise LookupError("no such channel")
    interval_s, unit = meters[0][1].interval_s, meters[0][1].unit
    if resolution == "15min" and interval_s != 900:
        raise SeriesError(f"This channel is read every {interval_s // 60} minutes: ask for hour or coarser.")
    e, v, q = window_slots(store, windows, meters, as_of)
    if e.size == 0:
        return Series(unit, interval_s, [])
    if resolution == "15min":  # the slots themselves: no grouping (one meter measures a point at a time)
        return Series(unit, interval_s, _slot_points(e, v, q))
    idx, starts = _keys(e, resolution)
    groups = len(starts)
    known = q != int(Quality.MISSING)
    sums = np.bincount(idx, weights=np.where(known, v, 0.0), minlength=groups)
    counts = np.bincount(idx, weights=known.astype(np.float64), minlength=groups)
    worst = np.zeros(groups, np.int8)
    np.maximum.at(worst, idx, _RANK[q & 0x07])
    values = [
        None if c == 0 else (int(s) if s.is_integer() else s)
        for s, c in zip(sums.tolist(), counts.tolist(), strict=True)
    ]
    points = [
        {"start": s, "value": val, "quality": _NAMES[r]}
        for s, val, r in zip(starts, values, worst.tolist(), strict=True)
    ]
    return Series(unit, interval_s, points)


__all__ = ["MAX_DAYS", "QUALITY_RANK", "Resolution", "Series", "SeriesError", "point_series", "window_slots"]
