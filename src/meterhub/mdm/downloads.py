"""Download My Data: a household's interval data as CSV, and the slots it may see as the Green Button feed's series.

The CSV (:func:`csv_chunks`) starts with one line naming the metering point, the medium, the unit, the period and
the time zone (``# …``), then the column names ``start,end,value,unit,quality`` and one row per interval:
``start`` and ``end`` are Europe/Luxembourg wall times with their offset (``2026-03-29T01:45:00+01:00``,
``…T03:00:00+02:00``: a spring-forward day has 92 quarter-hours, an autumn one 100, and the offset tells the two
01:00–02:00 hours of October apart), ``value`` the consumption of the interval in ``unit`` (kWh for electricity and
heat, m³ for gas, litres for water; empty when the interval is missing), ``quality`` the worst quality of its
quarter-hours (``validated``, ``measured``, ``edited``, ``estimated``, ``suspect``, ``missing``, in
:data:`QUALITY_RANK`'s order, the API's). :data:`STANDARD` is RFC 4180 with a decimal point; :data:`EXCEL` uses
``;`` and a decimal comma with a UTF-8 byte-order mark, as Excel opens it in French or German settings.

:func:`aggregate` folds slots to ``15min`` (the slots), ``hour`` (UTC hours, which are local hours in
Luxembourg), ``day`` or ``month`` (local calendar). The rows are formatted a few thousand at a time, vectorised
(three years of quarter-hours, ~105 000 rows, never sit in memory as one text). :func:`grid_series` lays the
visible slots on the full slot grid of the period's local days (NaN elsewhere) — the
:class:`~meterhub.mdm.series.Series` the ESPI feed is written from, so that nothing outside the visible windows
reaches it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from meterhub.mdm.quality import QUALITY_RANK, Quality
from meterhub.mdm.series import Series, local_seconds, slot_starts
from meterhub.store.intervals import day_start_epoch

Resolution = Literal["15min", "hour", "day", "month"]
RESOLUTIONS: Final[tuple[Resolution, ...]] = ("15min", "hour", "day", "month")
COLUMNS: Final = ("start", "end", "value", "unit", "quality")
_RANK = np.zeros(8, np.int64)
for _i, _q in enumerate(QUALITY_RANK):
    _RANK[int(_q)] = _i
_CODE_OF_RANK = np.array([int(q) for q in QUALITY_RANK], np.int64)
_NAMES = np.array([Quality(c).name.lower() if c in Quality._value2member_map_ else "unknown" for c in range(8)])
ROWS_PER_CHUNK: Final = 4096


class DownloadError(ValueError):
    """A download that cannot be made as asked (the page and the API answer 422)."""


@dataclass(frozen=True, slots=True)
class CsvStyle:
    """The separator and decimal mark of a CSV file."""

    delimiter: str
    decimal: str
    bom: bool


STANDARD: Final = CsvStyle(",", ".", False)
EXCEL: Final = CsvStyle(";", ",", True)
STYLES: Final = {"standard": STANDARD, "excel": EXCEL}


@dataclass(frozen=True, slots=True)
class Unit:
    """How a channel's values are shown: the unit's name and what a stored value is divided by."""

    name: str
    divisor: float
    decimals: int


def unit_of(medium: str, channel_unit: str) -> Unit:
    """The unit a household reads (kWh, m³ of gas, litres of water) for a channel in ``channel_unit``."""
    if channel_unit == "Wh":
        return Unit("kWh", 1000.0, 3)
    if channel_unit == "l":
        return Unit("m³", 1000.0, 3) if medium == "gas" else Unit("l", 1.0, 1)
    return Unit(channel_unit, 1.0, 3)


@dataclass(frozen=True, slots=True)
class Intervals:
    """The rows of a download: [start, end) epochs, the values (NaN: missing) and quality codes."""

    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]
    quality: npt.NDArray[np.int64]

    @property
    def size(self) -> int:
        return int(self.starts.size)


def _months_bounds(days: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Per local day number (days since 1970-01-01 local): the index of its month, and each month's first day."""
    as_dates = days.astype("datetime64[D]")
    months = as_dates.astype("datetime64[M]")
    uniq, idx = np.unique(months, return_inverse=True)
    return idx.astype(np.int64), uniq.astype("datetime64[D]").astype(np.int64)


def _midnight(day_number: int) -> int:
    return day_start_epoch(date.fromordinal(date(1970, 1, 1).toordinal() + day_number))


def aggregate(
    epochs: npt.ArrayLike, values: npt.ArrayLike, quality: npt.ArrayLike, interval_s: int, resolution: str
) -> Intervals:
    """Slots (start epochs in time order, values, quality codes) folded to ``resolution``: each interval's value
    is the sum of its known slots (NaN when none is known), its quality the worst slot's."""
    e = np.asarray(epochs, np.int64)
    v = np.asarray(values, np.float64)
    q = np.asarray(quality, np.int64) & 0x07
    if resolution not in RESOLUTIONS:
        raise DownloadError(f"unknown resolution {resolution!r}")
    if resolution == "15min" and interval_s != 900:
        raise DownloadError(f"This channel is read every {interval_s // 60} minutes: choose hours or longer.")
    known = q != int(Quality.MISSING)
    if resolution == "15min":
        return Intervals(e, e + interval_s, np.where(known, v, np.nan), q)
    if e.size == 0:
        empty = np.zeros(0, np.int64)
        return Intervals(empty, empty, np.zeros(0), empty)
    if resolution == "hour":
        keys = e - e % 3600
        uniq, idx = np.unique(keys, return_inverse=True)
        starts, ends = uniq.astype(np.int64), uniq.astype(np.int64) + 3600
    else:
        day = local_seconds(e) // 86_400
        if resolution == "day":
            uniq, idx = np.unique(day, return_inverse=True)
            firsts, nexts = uniq, uniq + 1
        else:
            idx, firsts = _months_bounds(day)
            nexts = (
                (firsts.astype("datetime64[D]").astype("datetime64[M]") + 1).astype("datetime64[D]").astype(np.int64)
            )
        starts = np.array([_midnight(int(d)) for d in firsts], np.int64)
        ends = np.array([_midnight(int(d)) for d in nexts], np.int64)
    groups = starts.size
    sums = np.bincount(idx, weights=np.where(known, v, 0.0), minlength=groups)
    counts = np.bincount(idx, weights=known.astype(np.float64), minlength=groups)
    worst = np.zeros(groups, np.int64)
    np.maximum.at(worst, idx, _RANK[q])
    return Intervals(starts, ends, np.where(counts > 0, sums, np.nan), _CODE_OF_RANK[worst])


def _offsets(epochs: npt.NDArray[np.int64]) -> tuple[list[str], list[str]]:
    """Local wall times (``YYYY-MM-DDTHH:MM:SS``) and their UTC offsets (``+01:00``) of ``epochs``."""
    local = local_seconds(epochs)
    wall = np.datetime_as_string(local.astype("datetime64[s]"), unit="s").tolist()
    off = ((local - epochs) // 60).tolist()
    texts = {m: f"{'+' if m >= 0 else '-'}{abs(m) // 60:02d}:{abs(m) % 60:02d}" for m in set(off)}
    return wall, [texts[m] for m in off]


def iso_local(epochs: npt.ArrayLike) -> list[str]:
    """Europe/Luxembourg ISO 8601 times with their offset of UTC epoch seconds (vectorised)."""
    wall, off = _offsets(np.asarray(epochs, np.int64))
    return [w + o for w, o in zip(wall, off, strict=True)]


def _line(fields: list[str], style: CsvStyle) -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=style.delimiter, lineterminator="\r\n").writerow(fields)
    return buf.getvalue()


def csv_chunks(
    title: str, rows: Intervals, unit: Unit, style: CsvStyle = STANDARD, rows_per_chunk: int = ROWS_PER_CHUNK
) -> Iterator[str]:
    """The CSV of ``rows`` (see the module docstring) in pieces of ``rows_per_chunk`` rows; ``title`` is the
    text of the first line (after ``# ``)."""
    yield ("\ufeff" if style.bom else "") + _line([f"# {title}"], style)
    yield _line(list(COLUMNS), style)
    d = style.delimiter
    unit_text = _line([unit.name], style).rstrip("\r\n")
    for a in range(0, rows.size, rows_per_chunk):
        b = min(a + rows_per_chunk, rows.size)
        starts, ends = iso_local(rows.starts[a:b]), iso_local(rows.ends[a:b])
        shown = rows.values[a:b] / unit.divisor
        texts = [f"{x:.{unit.decimals}f}" for x in np.nan_to_num(shown).tolist()]
        for i in np.flatnonzero(np.isnan(shown)).tolist():
            texts[i] = ""
        if style.decimal != ".":
            texts = [t.replace(".", style.decimal) for t in texts]
        names = _NAMES[rows.quality[a:b]].tolist()
        yield "".join(
            f"{s}{d}{e}{d}{v}{d}{unit_text}{d}{n}\r\n" for s, e, v, n in zip(starts, ends, texts, names, strict=True)
        )


def grid_series(
    day_from: date,
    day_to: date,
    epochs: npt.ArrayLike,
    values: npt.ArrayLike,
    quality: npt.ArrayLike,
    interval_s: int,
    unit: str,
    scaler: int = 0,
) -> Series:
    """The :class:`Series` of the local days ``day_from``…``day_to`` holding only the given slots (values in
    physical units; slots not given, or missing, are NaN with quality 0)."""
    starts = slot_starts(day_from, day_to, interval_s)
    out_v = np.full(starts.size, np.nan)
    out_q = np.zeros(starts.size, np.uint8)
    e = np.asarray(epochs, np.int64)
    q = np.asarray(quality, np.int64)
    v = np.asarray(values, np.float64)
    if starts.size and e.size:
        idx = (e - int(starts[0])) // interval_s
        keep = (
            (idx >= 0)
            & (idx < starts.size)
            & ((q & 0x07) != int(Quality.MISSING))
            & (e % interval_s == starts[0] % interval_s)
        )
        out_v[idx[keep]] = v[keep]
        out_q[idx[keep]] = q[keep].astype(np.uint8)
    return Series(day_from, day_to, interval_s, unit, starts, out_v, out_q, scaler)


ESPI_MEDIUM: Final = {
    "electricity_import": "electricity",
    "electricity_export": "electricity",
    "gas": "gas",
    "water": "water",
    "heat": "heat",
}
"""A household medium's ESPI usage point medium (import and export are two readings of one usage point)."""


__all__ = [
    "COLUMNS",
    "ESPI_MEDIUM",
    "EXCEL",
    "QUALITY_RANK",
    "RESOLUTIONS",
    "ROWS_PER_CHUNK",
    "STANDARD",
    "STYLES",
    "CsvStyle",
    "DownloadError",
    "Intervals",
    "Resolution",
    "Unit",
    "aggregate",
    "csv_chunks",
    "grid_series",
    "iso_local",
    "unit_of",
]
