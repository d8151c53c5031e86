"""CSV export of interval data for other systems: one row per interval slot of the current block versions::

    meter_serial,obis,interval_start,interval_end,value,quality,rule,method,version

``value`` is the consumption in the interval (empty when missing), times are Europe/Luxembourg wall times with
their offset, ``rule`` the failed validation rule of a suspect value and ``method`` the estimation method of an
estimated one (lower-case names of :class:`~meterhub.mdm.quality.SuspectRule` / ``EstimationMethod``). With
``as_of`` the export shows the versions that were current at that time (see :mod:`meterhub.mdm.edits`).

:func:`export_rows` yields the rows as tuples (the readable definition of the format); :func:`export_csv` writes
the same bytes a :func:`csv.writer` would write of those rows, but a block at a time: the texts that repeat —
the channel's quoted serial and OBIS, a day's slot times, a (quality byte, version) suffix — are built once and
cached, and a block's rows are joined from them in C (``str.join`` over slice-assigned lists), so the cost per
row is one ``str(int)`` and a table look-up instead of a ``writerow`` call. Blocks are fetched for
:data:`CHANNELS_PER_QUERY` channels at a time (one query each, not one per channel).
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import IO

import numpy as np

from meterhub.mdm.edits import blocks_as_of
from meterhub.mdm.quality import EstimationMethod, Quality, SuspectRule
from meterhub.store import Channel, IntervalBlock, Store
from meterhub.store.channels import meter_channels
from meterhub.store.intervals import LOCAL_TZ, day_start_epoch, from_epoch, local_day_slots

EXPORT_COLUMNS = (
    "meter_serial",
    "obis",
    "interval_start",
    "interval_end",
    "value",
    "quality",
    "rule",
    "method",
    "version",
)
CHANNELS_PER_QUERY = 64
"""Channels whose blocks one query fetches (a year of 15-min blocks of 64 channels is ~2.2 M values)."""
_FIRST_DAY = date(1970, 1, 1)
_LAST_DAY = date(9999, 12, 31)
_CODE_BITS = 0x07
_MISSING = int(Quality.MISSING)

Progress = Callable[[int, int, int], None]
"""Called after each channel with ``(channels done, channels in all, rows written so far)``."""


def _rule(detail: int) -> str:
    try:
        return SuspectRule(detail).name.lower()
    except ValueError:
        return str(detail)


def _method(detail: int) -> str:
    try:
        return EstimationMethod(detail).name.lower()
    except ValueError:
        return str(detail)


def export_channels(store: Store, meter_serial: str | None = None) -> list[tuple[str, Channel]]:
    """``(meter serial, channel)`` of what an export covers, in its order (by serial, then OBIS)."""
    with store.read() as conn:
        return meter_channels(conn, meter_serial)


def channel_blocks(
    store: Store,
    chans: Sequence[tuple[str, Channel]],
    day_from: date | None = None,
    day_to: date | None = None,
    as_of: datetime | None = None,
) -> Iterator[tuple[str, Channel, list[IntervalBlock]]]:
    """Each channel with its blocks of the days (current versions, or those current at ``as_of``) by day,
    fetched :data:`CHANNELS_PER_QUERY` channels a query."""
    lo, hi = day_from or _FIRST_DAY, day_to or _LAST_DAY
    for i in range(0, len(chans), CHANNELS_PER_QUERY):
        part = chans[i : i + CHANNELS_PER_QUERY]
        ids = [ch.id for _, ch in part]
        blocks = store.current_blocks(ids, lo, hi) if as_of is None else blocks_as_of(store, ids, lo, hi, as_of)
        by_channel: dict[int, list[IntervalBlock]] = {cid: [] for cid in ids}
        for block in blocks:  # ordered by (channel, day)
            by_channel[block.channel_id].append(block)
        for serial, ch in part:
            yield serial, ch, by_channel[ch.id]


def export_rows(
    store: Store,
    *,
    meter_serial: str | None = None,
    day_from: date | None = None,
    day_to: date | None = None,
    as_of: datetime | None = None,
) -> Iterator[tuple[str, ...]]:
    """The export rows (without header) of the current block versions — or of the versions current at
    ``as_of`` — by meter serial, OBIS and time."""
    chans = export_channels(store, meter_serial)
    for serial, ch, blocks in channel_blocks(store, chans, day_from, day_to, as_of):
        for block in blocks:
            times = _slot_times(block.local_day, ch.interval_s)
            version = str(block.version)
            for (a, b), v, q8 in zip(times, block.values.tolist(), block.quality.tolist(), strict=True):
                code, rule, method = _quality_columns(q8)
                yield (serial, ch.obis, a, b, "" if code == "missing" else str(v), code, rule, method, version)


@lru_cache(maxsize=4096)
def _slot_times(day: date, interval_s: int) -> tuple[tuple[str, str], ...]:
    """Local ISO start/end texts of every slot of a day (shared by all channels of the interval)."""
    start0 = day_start_epoch(day)
    n = local_day_slots(day, interval_s)
    edges = [from_epoch(start0 + i * interval_s).astimezone(LOCAL_TZ).isoformat() for i in range(n + 1)]
    return tuple(itertools.pairwise(edges))


@lru_cache(maxsize=256)
def _quality_columns(q8: int) -> tuple[str, str, str]:
    """``(quality, rule, method)`` texts of a quality byte."""
    code = Quality(q8 & 0x07)
    detail = q8 >> 3
    return (
        code.name.lower(),
        _rule(detail) if code == Quality.SUSPECT else "",
        _method(detail) if code == Quality.ESTIMATED else "",
    )


# --------------------------------------------------------------------------------------------- block writer


def _csv_line(fields: Sequence[str]) -> str:
    """``fields`` as :func:`csv.writer` writes them (minimal quoting, ``\\n`` line end)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(fields)
    return buf.getvalue()


@lru_cache(maxsize=4096)
def _time_cells(day: date, interval_s: int) -> tuple[str, ...]:
    """``"start,end,"`` of every slot of a day (ISO times never need quoting)."""
    return tuple(f"{a},{b}," for a, b in _slot_times(day, interval_s))


class _Suffixes(dict[int, str]):
    """``",quality,rule,method,version\\n"`` by quality byte, of one block version (filled as bytes appear)."""

    def __init__(self, version: int) -> None:
        super().__init__()
        self.version = version

    def __missing__(self, q8: int) -> str:
        text = self[q8] = ",{},{},{},{}\n".format(*_quality_columns(q8), self.version)
        return text


@lru_cache(maxsize=64)
def _suffixes(version: int) -> _Suffixes:
    return _Suffixes(version)


def _block_text(prefix: str, block: IntervalBlock, interval_s: int) -> str:
    """The CSV lines of one block: prefix · slot times · value · quality suffix, joined in one go."""
    n = block.slots
    quality = block.quality.tolist()
    values = list(map(str, block.values.tolist()))
    missing = (block.quality & _CODE_BITS) == _MISSING
    if missing.any():  # a missing slot has no value
        for i in np.flatnonzero(missing).tolist():
            values[i] = ""
    pieces: list[str] = [prefix] * (4 * n)
    pieces[1::4] = _time_cells(block.local_day, interval_s)
    pieces[2::4] = values
    pieces[3::4] = map(_suffixes(block.version).__getitem__, quality)
    return "".join(pieces)


def export_csv(
    store: Store,
    out: Path | str | IO[str],
    *,
    meter_serial: str | None = None,
    day_from: date | None = None,
    day_to: date | None = None,
    as_of: datetime | None = None,
    progress: Progress | None = None,
) -> int:
    """Write the export CSV (header + one row per interval); returns the number of data rows. ``progress``
    hears of every channel written (see :data:`Progress`)."""
    if isinstance(out, Path | str):
        with open(out, "w", newline="", encoding="utf-8") as fh:
            return export_csv(
                store,
                fh,
                meter_serial=meter_serial,
                day_from=day_from,
                day_to=day_to,
                as_of=as_of,
                progress=progress,
            )
    out.write(_csv_line(EXPORT_COLUMNS))
    n = 0
    chans = export_channels(store, meter_serial)
    for done, (serial, ch, blocks) in enumerate(channel_blocks(store, chans, day_from, day_to, as_of), start=1):
        prefix = _csv_line((serial, ch.obis))[:-1] + ","
        if blocks:
            out.write("".join(_block_text(prefix, b, ch.interval_s) for b in blocks))
            n += sum(b.slots for b in blocks)
        if progress is not None:
            progress(done, len(chans), n)
    return n


__all__ = [
    "CHANNELS_PER_QUERY",
    "EXPORT_COLUMNS",
    "Progress",
    "channel_blocks",
    "export_channels",
    "export_csv",
    "export_rows",
]
