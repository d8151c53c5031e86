"""Load-profile readings → day rows: the pure half of the ingest (no store, no transaction).

The head-end reads a channel's load profile as *cumulative* register values at interval ends (plus one row
before the window, so the first slot's consumption is known). :func:`prepare` groups a batch's channels by
(interval length, instants) into matrices (:class:`ReadingGroup`), refuses naive, misaligned or contradictory
readings (:class:`IngestError`), turns consecutive readings exactly ``interval_s`` apart into slot
consumptions (deltas) split into Europe/Luxembourg local days (:class:`DayRows`), and picks the readings at
local midnight as daily register reads:

* a slot is ``measured`` when both its start and end readings are in the batch; a negative delta is stored but
  marked ``suspect`` (rule ``NEGATIVE_DELTA``); slots without both ends are left as they were (``missing``
  in a new block);
* a channel the batch names more than once has its later readings win per slot;
* an instant the caller judged doubtful by the duplicate rule (``duplicates``: an import found a second,
  different reading for it and kept the first) marks the two slots around it — the one it ends and the one it
  starts, where the batch has them — ``suspect`` with rule ``DUPLICATE``, and gives no daily register read.

:func:`merge_into` is the merge rule per slot of a day read again, against its current version: for a slot the
batch measured, the new value is taken if the current one is ``missing`` or ``estimated``, or if its value
differs — unless the current one is ``edited`` (a manual edit outlives re-reads). An equal value keeps the
current quality (a ``validated`` or ``suspect`` verdict of VEE is not undone by reading the same number again),
except that a batch's ``DUPLICATE`` mark is taken over an equal value too (the import's evidence about the
reading, which the stored slot cannot have).
:mod:`meterhub.mdm.ingest` reads the current versions and writes what changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

import numpy as np

from meterhub.mdm.quality import MEASURED, SUSPECT_DUPLICATE, SUSPECT_NEGATIVE, Quality, codes
from meterhub.store import IntervalBlock, NewBlock
from meterhub.store.intervals import (
    Int64Array,
    UInt8Array,
    day_bounds_epoch,
    day_range,
    from_epoch,
    local_day_of_epoch,
    to_epoch,
)
from meterhub.store.reads import ReadRow

Reading = tuple[datetime, int]

# plain ints for the hot paths: numpy probes an IntEnum operand for array protocols on every comparison
_MISSING, _MEASURED, _ESTIMATED, _EDITED, _SUSPECT = (
    int(q) for q in (Quality.MISSING, Quality.MEASURED, Quality.ESTIMATED, Quality.EDITED, Quality.SUSPECT)
)
_DUPLICATE = SUSPECT_DUPLICATE


class IngestError(ValueError):
    """A batch the ingest refuses: unknown channel, naive or misaligned timestamps, contradictory readings."""


@dataclass(frozen=True, slots=True)
class ReadingArrays:
    """Cumulative readings as two parallel arrays: UTC epoch seconds of interval ends, and values.

    The bulk form of a readings sequence (history loads, imports): no per-reading Python objects.
    """

    epochs: Int64Array
    values: Int64Array

    def __post_init__(self) -> None:
        if self.epochs.shape != self.values.shape or self.epochs.ndim != 1:
            raise IngestError("reading arrays must be 1-D and of equal length")

    def __len__(self) -> int:
        return int(self.epochs.size)


@dataclass(slots=True)
class ReadingGroup:
    """Channels of one interval length read at the same instants: sorted unique epochs, a value row each."""

    interval_s: int
    channels: list[int]
    epochs: Int64Array  # (E,)
    values: Int64Array  # (R, E)


@dataclass(slots=True)
class DayRows:
    """One local day of some channels of one interval length: values and qualities ``(R, slots)`` (quality 0 =
    missing where the batch has nothing); ``versions`` are the block versions to write (after the merge)."""

    day: date
    interval_s: int
    channels: list[int]
    values: Int64Array
    quality: UInt8Array
    versions: list[int] = field(default_factory=list)

    def keep_rows(self, rows: Sequence[int]) -> bool:
        """Keep only the channels at ``rows`` (in order); False when none is left."""
        if len(rows) < len(self.channels):
            self.channels = [self.channels[k] for k in rows]
            self.values, self.quality = self.values[list(rows)], self.quality[list(rows)]
        return bool(rows)


def _arrays(readings: Sequence[Reading] | ReadingArrays) -> tuple[Int64Array, Int64Array]:
    if isinstance(readings, ReadingArrays):
        return np.asarray(readings.epochs, dtype=np.int64), np.asarray(readings.values, dtype=np.int64)
    try:
        ts = np.fromiter((to_epoch(t) for t, _ in readings), dtype=np.int64, count=len(readings))
    except ValueError as exc:
        raise IngestError(str(exc)) from None
    return ts, np.fromiter((v for _, v in readings), dtype=np.int64, count=len(readings))


def _group_readings(
    batches: Sequence[tuple[int, Sequence[Reading] | ReadingArrays]], intervals: Mapping[int, int]
) -> list[ReadingGroup]:
    """The batch's readings grouped by (interval length, instants): the head-end reads a whole batch of meters
    over the same window, so each group is one matrix — sorted, de-duplicated, refused when naive, off the
    interval grid or contradictory — whatever the number of channels."""
    groups: dict[tuple[int, bytes], tuple[Int64Array, list[int], list[Int64Array]]] = {}
    for channel_id, readings in batches:
        if not len(readings):
            continue
        ts, vs = _arrays(readings)
        key = (intervals[channel_id], ts.tobytes())
        group = groups.get(key)
        if group is None:
            groups[key] = (ts, [channel_id], [vs])
        else:
            group[1].append(channel_id)
            group[2].append(vs)
    out: list[ReadingGroup] = []
    for (interval_s, _), (ts, channels, rows) in groups.items():
        values = np.stack(rows)
        if (ts % interval_s).any():
            bad = int(ts[(ts % interval_s) != 0][0])
            raise IngestError(f"reading at {from_epoch(bad).isoformat()} is not aligned to {interval_s} s")
        if ts.size > 1 and (ts[1:] <= ts[:-1]).any():
            order = np.argsort(ts, kind="stable")
            ts, values = ts[order], values[:, order]
            dup = ts[1:] == ts[:-1]
            if dup.any():
                if (values[:, 1:][:, dup] != values[:, :-1][:, dup]).any():
                    raise IngestError("two different readings for the same instant in one batch")
                keep = np.concatenate(([True], ~dup))
                ts, values = ts[keep], values[:, keep]
        out.append(ReadingGroup(interval_s, channels, ts, values))
    return out


def _day_rows(g: ReadingGroup) -> list[DayRows]:
    """Split a group's measured slots (consecutive readings one interval apart) into local days."""
    ts, s = g.epochs, g.interval_s
    if ts.size < 2:
        return []
    pair = (ts[1:] - ts[:-1]) == s
    starts = ts[:-1][pair]
    if starts.size == 0:
        return []
    deltas = (g.values[:, 1:] - g.values[:, :-1])[:, pair]
    qual = np.where(deltas < 0, np.uint8(SUSPECT_NEGATIVE), np.uint8(MEASURED)).astype(np.uint8)
    out: list[DayRows] = []
    day = local_day_of_epoch(int(starts[0]))
    last = int(starts[-1])
    rows = len(g.channels)
    while True:
        lo_t, hi_t = day_bounds_epoch(day)
        lo, hi = np.searchsorted(starts, [lo_t, hi_t])
        if hi > lo:
            n = (hi_t - lo_t) // s
            values = np.zeros((rows, n), np.int64)
            quality = np.zeros((rows, n), np.uint8)
            if hi - lo == n:  # the whole day
                values[:] = deltas[:, lo:hi]
                quality[:] = qual[:, lo:hi]
            else:
                idx = (starts[lo:hi] - lo_t) // s
                values[:, idx] = deltas[:, lo:hi]
                quality[:, idx] = qual[:, lo:hi]
            out.append(DayRows(day, s, list(g.channels), values, quality))
        if hi_t > last:
            return out
        day += timedelta(days=1)


def _fold(days: list[DayRows]) -> list[DayRows]:
    """One row per (channel, day): a channel the batch names more than once has its later readings win per
    slot (folded into the row of its first appearance; the later rows are dropped once all are folded)."""
    seen: dict[tuple[int, date], tuple[DayRows, int]] = {}
    keep: list[list[int]] = []
    for dr in days:
        rows: list[int] = []
        for i, cid in enumerate(dr.channels):
            first = seen.get((cid, dr.day))
            if first is None:
                seen[(cid, dr.day)] = (dr, i)
                rows.append(i)
                continue
            target, j = first
            present = dr.quality[i] != _MISSING
            target.values[j, present] = dr.values[i, present]
            target.quality[j, present] = dr.quality[i, present]
        keep.append(rows)
    return [dr for dr, rows in zip(days, keep, strict=True) if dr.keep_rows(rows)]


def merge_into(current: IntervalBlock, values: Int64Array, quality: UInt8Array) -> tuple[Int64Array, UInt8Array] | None:
    """A day read again merged into its current version (see the module docstring), or None if unchanged."""
    if current.slots != values.size:
        raise IngestError(
            f"block {current.channel_id}/{current.local_day} has {current.slots} slots, expected {values.size}"
        )
    cur_code = codes(current.quality)
    take = (
        (quality != _MISSING)
        & (cur_code != _EDITED)
        & (
            (cur_code == _MISSING)
            | (cur_code == _ESTIMATED)
            | (current.values != values)
            | ((quality == _DUPLICATE) & (current.quality != _DUPLICATE))
        )
    )
    if not take.any():
        return None
    merged_v = current.values.copy()
    merged_q = current.quality.copy()
    merged_v[take] = values[take]
    merged_q[take] = quality[take]
    if np.array_equal(merged_v, current.values) and np.array_equal(merged_q, current.quality):
        return None
    return merged_v, merged_q


def _midnight_rows(g: ReadingGroup, source: str, duplicates: Mapping[int, Int64Array]) -> list[ReadRow]:
    """The group's readings at local midnight, as daily register read rows (channel, epoch, kind, value, source);
    none at an instant of ``duplicates`` (a doubtful reading is no register read)."""
    midnights = local_midnights(int(g.epochs[0]), int(g.epochs[-1]))
    pos = np.minimum(np.searchsorted(g.epochs, midnights), g.epochs.size - 1)
    rows: list[ReadRow] = []
    for col in pos[g.epochs[pos] == midnights].tolist():
        at = int(g.epochs[col])
        rows += [
            (cid, at, "daily", v, source)
            for cid, v in zip(g.channels, g.values[:, col].tolist(), strict=True)
            if cid not in duplicates or at not in duplicates[cid]
        ]
    return rows


def _mark_duplicates(days: list[DayRows], duplicates: Mapping[int, Int64Array]) -> None:
    """Mark the slots on both sides of each instant of ``duplicates`` (per channel) ``suspect`` with rule
    ``DUPLICATE`` where the day rows hold a value for them (in place)."""
    for dr in days:
        lo_t, hi_t = day_bounds_epoch(dr.day)
        for i, cid in enumerate(dr.channels):
            instants = duplicates.get(cid)
            if instants is None or not instants.size:
                continue
            inside = instants[(instants >= lo_t) & (instants <= hi_t)]
            if not inside.size:
                continue
            k = (inside - lo_t) // dr.interval_s  # the slot the instant starts; the one before ends at it
            slots = np.unique(np.concatenate((k - 1, k)))
            slots = slots[(slots >= 0) & (slots < dr.quality.shape[1])]
            row = dr.quality[i]
            hit = slots[row[slots] != _MISSING]
            row[hit] = _DUPLICATE


def to_blocks(dr: DayRows, source: str) -> list[NewBlock]:
    return [
        NewBlock(cid, dr.day, version, dr.values[i], dr.quality[i], source)
        for i, (cid, version) in enumerate(zip(dr.channels, dr.versions, strict=True))
    ]


@dataclass
class Prepared:
    """A batch turned into day rows and register read rows: pure work, done before any transaction."""

    groups: list[ReadingGroup]
    days: list[DayRows]
    reads: list[ReadRow]
    measured: int
    suspect: int
    touched: int
    source: str


def prepare(
    batches: Sequence[tuple[int, Sequence[Reading] | ReadingArrays]],
    intervals: Mapping[int, int],
    source: str,
    duplicates: Mapping[int, Int64Array] | None = None,
) -> Prepared:
    """The batch as day rows and register read rows (see the module docstring); ``duplicates`` are, per
    channel, the epochs of instants read twice with different values (the value in ``batches`` is the one
    kept)."""
    groups = _group_readings(batches, intervals)
    reads: list[ReadRow] = []
    days: list[DayRows] = []
    marks = {cid: np.asarray(e, dtype=np.int64) for cid, e in (duplicates or {}).items() if len(e)}
    for g in groups:
        reads += _midnight_rows(g, source, marks)
        days += _day_rows(g)
    days = _fold(days)
    if marks:
        _mark_duplicates(days, marks)
    measured = sum(int(np.count_nonzero((dr.quality & 0x07) == _MEASURED)) for dr in days)
    suspect = sum(int(np.count_nonzero((dr.quality & 0x07) == _SUSPECT)) for dr in days)
    return Prepared(groups, days, reads, measured, suspect, sum(len(dr.channels) for dr in days), source)


@lru_cache(maxsize=1024)
def local_midnights(first: int, last: int) -> Int64Array:
    """Epochs of the local midnights starting the days from ``first``'s to ``last``'s (read-only; cached, as
    every channel of a batch usually covers the same window)."""
    days = day_range(local_day_of_epoch(first), local_day_of_epoch(last))
    out = np.fromiter((day_bounds_epoch(day)[0] for day in days), dtype=np.int64, count=len(days))
    out.flags.writeable = False
    return out


__all__ = [
    "DayRows",
    "IngestError",
    "Prepared",
    "Reading",
    "ReadingArrays",
    "ReadingGroup",
    "local_midnights",
    "merge_into",
    "prepare",
    "to_blocks",
]
