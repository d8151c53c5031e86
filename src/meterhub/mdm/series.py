"""A metering point's interval series over local days, as contiguous numpy arrays (what costing, the network
tariff and the Green Button export compute on).

:class:`Series` holds every slot of the local days ``day_from``…``day_to`` in time order (92/100 quarter-hours on
DST days): ``values`` in the channel's base unit (Wh, litre …, ×10^scaler applied; NaN where missing),
``quality`` bytes (:mod:`meterhub.mdm.quality`; 0 = missing) and ``starts`` (UTC epoch seconds of each slot's
start). :func:`series_from_blocks` builds one from stored blocks (the current versions, as ``meterhub export
csv`` reads them); :func:`point_series` reads a metering point's channel of one OBIS code across its meters'
installation periods through the store's query functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import numpy.typing as npt

from meterhub.mdm.quality import Quality
from meterhub.store import Store
from meterhub.store.blocks import IntervalBlock
from meterhub.store.intervals import LOCAL_TZ, day_bounds_epoch, day_range, day_start_epoch, local_day_of_epoch

IMPORT_OBIS = "1.0.1.8.0.255"
"""Active energy import A+ (the quarter-hour consumption channel of a home)."""


@dataclass(frozen=True, slots=True)
class Series:
    """Every slot of the local days ``day_from``…``day_to`` (see the module docstring)."""

    day_from: date
    day_to: date
    interval_s: int
    unit: str
    starts: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]
    quality: npt.NDArray[np.uint8]
    scaler: int = 0  # values = stored counts × 10^scaler

    @property
    def slots(self) -> int:
        return int(self.starts.size)

    @property
    def missing(self) -> int:
        return int(np.count_nonzero(np.isnan(self.values)))

    def kwh(self) -> npt.NDArray[np.float64]:
        """Values in kWh (Wh ÷ 1000; NaN where missing); only for energy channels."""
        if self.unit not in ("Wh", "kWh"):
            raise ValueError(f"a series in {self.unit} is not energy")
        return self.values / 1000.0 if self.unit == "Wh" else self.values

    def days(self) -> list[date]:
        return day_range(self.day_from, self.day_to)


def local_seconds(starts: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """UTC epoch seconds → Europe/Luxembourg wall-clock seconds since 1970-01-01 local (vectorised: the offset is
    looked up once per UTC day, per slot only on the two DST switch days). ``// 86400`` is the local day number
    (``(n + 3) % 7`` its weekday, Monday 0), ``% 86400 // 3600`` the local hour."""
    t = np.asarray(starts, dtype=np.int64)
    if t.size == 0:
        return t.copy()
    days = t // 86_400
    uniq, inverse = np.unique(days, return_inverse=True)

    def offset(x: int) -> int:
        off = datetime.fromtimestamp(x, LOCAL_TZ).utcoffset()
        return int(off.total_seconds()) if off is not None else 0

    at_start = np.array([offset(int(d) * 86_400) for d in uniq], dtype=np.int64)
    at_end = np.array([offset(int(d) * 86_400 + 86_399) for d in uniq], dtype=np.int64)
    out = t + at_start[inverse]
    for k in np.flatnonzero(at_start != at_end):
        sel = np.flatnonzero(inverse == k)
        out[sel] = t[sel] + np.array([offset(int(x)) for x in t[sel]], dtype=np.int64)
    return out


def slot_starts(day_from: date, day_to: date, interval_s: int) -> npt.NDArray[np.int64]:
    """UTC epoch start of every slot of the local days (contiguous: DST days are 23 or 25 hours)."""
    start = day_start_epoch(day_from)
    end = day_bounds_epoch(day_to)[1]
    return np.arange(start, end, interval_s, dtype=np.int64)


def series_from_blocks(
    blocks: Iterable[IntervalBlock], day_from: date, day_to: date, interval_s: int, unit: str, scaler: int = 0
) -> Series:
    """The series of ``blocks`` (one channel; later blocks of a day overwrite earlier ones where measured)."""
    starts = slot_starts(day_from, day_to, interval_s)
    values = np.full(starts.size, np.nan)
    quality = np.zeros(starts.size, dtype=np.uint8)
    origin = int(starts[0]) if starts.size else 0
    factor = 10.0**scaler
    for b in blocks:
        if not day_from <= b.local_day <= day_to:
            continue
        first = (day_start_epoch(b.local_day) - origin) // interval_s
        q = b.quality
        have = (q & 0x07) != Quality.MISSING
        idx = first + np.flatnonzero(have)
        values[idx] = b.values[have] * factor
        quality[idx] = q[have]
    return Series(day_from, day_to, interval_s, unit, starts, values, quality, scaler)


def point_channels(store: Store, point_id: int) -> list[tuple[str, str]]:
    """``(obis, medium)`` of every channel the point's meters (and their M-Bus sub-meters) ever had, by OBIS."""
    found: dict[str, str] = {}
    for pm in store.point_meters(point_id):
        for ch in store.list_channels([pm.meter.id]):
            found.setdefault(ch.obis, ch.medium)
    return sorted(found.items())


def point_series(store: Store, point_id: int, day_from: date, day_to: date, obis: str = IMPORT_OBIS) -> Series | None:
    """The point's ``obis`` channel over its meters' installation periods (None: no such channel ever)."""
    meters = store.point_meters(point_id)
    pieces: list[IntervalBlock] = []
    interval_s, unit, scaler = 0, "", 0
    for pm in meters:
        chans = [c for c in store.list_channels([pm.meter.id]) if c.obis == obis]
        if not chans:
            continue
        ch = chans[0]
        if interval_s and (ch.interval_s, ch.unit, ch.scaler) != (interval_s, unit, scaler):
            raise ValueError(f"metering point {point_id}: {obis} channels of its meters differ in interval or unit")
        interval_s, unit, scaler = ch.interval_s, ch.unit, ch.scaler
        lo = max(day_from, local_day_of_epoch(int(pm.valid_from.timestamp())))
        hi = day_to
        if pm.valid_to is not None:
            hi = min(hi, local_day_of_epoch(int(pm.valid_to.timestamp()) - 1))
        if lo <= hi:
            pieces += store.current_blocks([ch.id], lo, hi)
    if not interval_s:
        return None
    pieces.sort(key=lambda b: b.created_at)
    return series_from_blocks(pieces, day_from, day_to, interval_s, unit, scaler)


__all__ = [
    "IMPORT_OBIS",
    "Series",
    "local_seconds",
    "point_channels",
    "point_series",
    "series_from_blocks",
    "slot_starts",
]
