"""The ingest interface the head-end writes through (DESIGN §6): load-profile readings → interval blocks.

The head-end reads a channel's load profile as *cumulative* register values at interval ends (plus one row
before the window, so the first slot's consumption is known) and hands them to :meth:`IngestService.ingest_profile`
or, batched over many meters, :meth:`IngestService.ingest_many`. Ingest turns consecutive readings exactly
``interval_s`` apart into slot consumptions (deltas) and merges them into the current version of each affected
Europe/Luxembourg day:

* a slot is ``measured`` when both its start and end readings are in the batch; a negative delta is stored but
  marked ``suspect`` (rule ``NEGATIVE_DELTA``); slots without both ends are left as they were (``missing``
  in a new block);
* merge rule per slot, for a slot the batch measured: the new value is taken if the current one is
  ``missing`` or ``estimated``, or if its value differs — unless the current one is ``edited`` (a manual edit
  outlives re-reads). An equal value keeps the current quality (a ``validated`` or ``suspect`` verdict of VEE
  is not undone by reading the same number again);
* a day whose merged block differs from its current version gets a NEW version (append-only; versions are
  never updated); an unchanged day writes nothing, so re-ingesting the same readings is idempotent (the
  head-end's crash-and-restart relies on it);
* readings at local midnight are also stored as ``register_read`` kind ``daily`` (duplicates ignored).

Each call is one write transaction. :meth:`IngestService.gaps` lists the UTC windows the head-end should
re-read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa

from meterhub.mdm import digest
from meterhub.mdm.quality import MEASURED, SUSPECT_NEGATIVE, Quality, codes
from meterhub.mdm.vee_screen import screen, validated_quality
from meterhub.mdm.vee_service import VeeService
from meterhub.store import db
from meterhub.store.intervals import (
    Int64Array,
    UInt8Array,
    day_bounds_epoch,
    day_range,
    from_epoch,
    local_day_of_epoch,
    to_epoch,
)

Reading = tuple[datetime, int]

# plain ints for the hot paths: numpy probes an IntEnum operand for array protocols on every comparison
_MISSING, _MEASURED, _ESTIMATED, _EDITED, _SUSPECT = (
    int(q) for q in (Quality.MISSING, Quality.MEASURED, Quality.ESTIMATED, Quality.EDITED, Quality.SUSPECT)
)


class IngestError(ValueError):
    """A batch the ingest refuses: unknown channel, naive or misaligned timestamps, contradictory readings."""


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What one ingest call did. ``days_touched`` counts (channel, local day) pairs the batch had slots for;
    ``versions_written`` those among them whose block changed (plus, with VEE at ingest, the versions the
    full validation wrote); slot counts are of the batch itself. With VEE at ingest: ``days_validated`` complete
    days the screen cleared (written once, as validated) and ``days_sent`` those it sent to the full
    validation and estimation."""

    days_touched: int = 0
    versions_written: int = 0
    measured_slots: int = 0
    suspect_slots: int = 0
    daily_reads: int = 0
    days_validated: int = 0
    days_sent: int = 0

    def __add__(self, other: IngestResult) -> IngestResult:
        return IngestResult(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))


@dataclass(slots=True)
class _DayUpdate:
    channel_id: int
    day: date
    values: Int64Array
    quality: UInt8Array  # 0 (missing) where the batch has nothing


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


def _readings_arrays(readings: Sequence[Reading] | ReadingArrays, interval_s: int) -> tuple[Int64Array, Int64Array]:
    """Sorted, de-duplicated epoch times and values; refuses naive, misaligned or contradictory readings."""
    if not len(readings):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if isinstance(readings, ReadingArrays):
        ts = np.asarray(readings.epochs, dtype=np.int64)
        vs = np.asarray(readings.values, dtype=np.int64)
    else:
        try:
            ts = np.fromiter((to_epoch(t) for t, _ in readings), dtype=np.int64, count=len(readings))
        except ValueError as exc:
            raise IngestError(str(exc)) from None
        vs = np.fromiter((v for _, v in readings), dtype=np.int64, count=len(readings))
    if (ts % interval_s).any():
        bad = int(ts[(ts % interval_s) != 0][0])
        raise IngestError(f"reading at {from_epoch(bad).isoformat()} is not aligned to {interval_s} s")
    order = np.argsort(ts, kind="stable")
    ts, vs = ts[order], vs[order]
    if ts.size > 1:
        dup = ts[1:] == ts[:-1]
        if dup.any():
            if (vs[1:][dup] != vs[:-1][dup]).any():
                raise IngestError("two different readings for the same instant in one batch")
            keep = np.concatenate(([True], ~dup))
            ts, vs = ts[keep], vs[keep]
    return ts, vs


def _day_updates(channel_id: int, ts: Int64Array, vs: Int64Array, interval_s: int) -> list[_DayUpdate]:
    """Split the batch's measured slots into per-local-day value/quality arrays."""
    if ts.size < 2:
        return []
    pair = (ts[1:] - ts[:-1]) == interval_s
    starts = ts[:-1][pair]
    if starts.size == 0:
        return []
    deltas = (vs[1:] - vs[:-1])[pair]
    qual = np.where(deltas < 0, np.uint8(SUSPECT_NEGATIVE), np.uint8(MEASURED)).astype(np.uint8)
    out: list[_DayUpdate] = []
    day = local_day_of_epoch(int(starts[0]))
    last = int(starts[-1])
    while True:
        lo_t, hi_t = day_bounds_epoch(day)
        lo, hi = np.searchsorted(starts, [lo_t, hi_t])
        if hi > lo:
            n = (hi_t - lo_t) // interval_s
            idx = (starts[lo:hi] - lo_t) // interval_s
            values = np.zeros(n, np.int64)
            quality = np.zeros(n, np.uint8)
            values[idx] = deltas[lo:hi]
            quality[idx] = qual[lo:hi]
            out.append(_DayUpdate(channel_id, day, values, quality))
        if hi_t > last:
            return out
        day += timedelta(days=1)


def _merge(current: db.IntervalBlock | None, update: _DayUpdate) -> tuple[Int64Array, UInt8Array] | None:
    """The merged day, or None if it equals the current version."""
    new_present = update.quality != _MISSING
    if current is None:
        return update.values, update.quality
    if current.slots != update.values.size:
        raise IngestError(
            f"block {update.channel_id}/{update.day} has {current.slots} slots, expected {update.values.size}"
        )
    cur_code = codes(current.quality)
    take = (
        new_present
        & (cur_code != _EDITED)
        & ((cur_code == _MISSING) | (cur_code == _ESTIMATED) | (current.values != update.values))
    )
    if not take.any():
        return None
    values = current.values.copy()
    quality = current.quality.copy()
    values[take] = update.values[take]
    quality[take] = update.quality[take]
    if np.array_equal(values, current.values) and np.array_equal(quality, current.quality):
        return None
    return values, quality


class IngestService:
    """Turns head-end load-profile reads into versioned interval blocks and daily register reads; with a
    :class:`~meterhub.mdm.vee_service.VeeService` (``vee``), validates and estimates each complete day in the
    same transaction (see :meth:`ingest_in`)."""

    def __init__(self, store: db.Store, vee: VeeService | None = None) -> None:
        self.store = store
        self.vee = vee
        self._intervals: dict[int, int] = {}

    def _interval_map(self, conn: sa.Connection, channel_ids: Sequence[int]) -> dict[int, int]:
        unknown = [c for c in set(channel_ids) if c not in self._intervals]
        if unknown:
            self._intervals.update(db.channel_intervals(conn, unknown))
            missing = [c for c in unknown if c not in self._intervals]
            if missing:
                raise IngestError(f"unknown channel(s) {sorted(missing)[:10]}")
        return self._intervals

    def ingest_profile(
        self, channel_id: int, readings: Sequence[Reading] | ReadingArrays, source: str = "hes"
    ) -> IngestResult:
        """Ingest one channel's cumulative readings at interval ends (UTC-aware, aligned) in one transaction."""
        return self.ingest_many([(channel_id, readings)], source)

    def ingest_many(
        self,
        batches: Sequence[tuple[int, Sequence[Reading] | ReadingArrays]],
        source: str = "hes",
        *,
        until: datetime | None = None,
    ) -> IngestResult:
        """Ingest many channels' readings in ONE transaction (a channel may appear more than once)."""
        with self.store.write() as conn:
            return self.ingest_in(conn, batches, source, until=until)

    def ingest_in(
        self,
        conn: sa.Connection,
        batches: Sequence[tuple[int, Sequence[Reading] | ReadingArrays]],
        source: str,
        *,
        until: datetime | None = None,
    ) -> IngestResult:
        """:meth:`ingest_many` inside the caller's write transaction ``conn`` (e.g. an import that creates
        meters and ingests their readings atomically).

        With VEE at ingest, every (channel, day) the batch changed whose day has ended by ``until`` (default:
        now) is validated right away, day by day in date order: the screen (:mod:`meterhub.mdm.vee_screen`)
        clears the days no rule can flag — written once, their values ``validated`` — and sends the others
        to :meth:`VeeService.run_in` after their measured version is written (so the raw reading stays in
        the version history, as when VEE runs later)."""
        intervals = self._interval_map(conn, [cid for cid, _ in batches])
        updates: list[_DayUpdate] = []
        reads: list[db.RegisterRead] = []
        readings: dict[int, tuple[Int64Array, Int64Array] | None] = {}
        measured = suspect = 0
        for channel_id, batch in batches:
            interval_s = intervals[channel_id]
            ts, vs = _readings_arrays(batch, interval_s)
            if ts.size == 0:
                continue
            readings[channel_id] = None if channel_id in readings else (ts, vs)  # twice: no screen
            reads += _midnight_reads(channel_id, ts, vs, source)
            for upd in _day_updates(channel_id, ts, vs, interval_s):
                codes_ = codes(upd.quality)
                measured += int((codes_ == _MEASURED).sum())
                suspect += int((codes_ == _SUSPECT).sum())
                updates.append(upd)
        # several batches of one channel may touch the same day: fold them in order (later wins per slot)
        folded: dict[tuple[int, date], _DayUpdate] = {}
        for upd in updates:
            key = (upd.channel_id, upd.day)
            prev = folded.get(key)
            if prev is None:
                folded[key] = upd
            else:
                present = upd.quality != _MISSING
                prev.values[present] = upd.values[present]
                prev.quality[present] = upd.quality[present]
        current = self._current(conn, list(folded.values()))
        new_blocks: list[db.NewBlock] = []
        for key, upd in folded.items():
            cur = current.get(key)
            merged = _merge(cur, upd)
            if merged is not None:
                version = 1 if cur is None else cur.version + 1
                new_blocks.append(db.NewBlock(upd.channel_id, upd.day, version, merged[0], merged[1], source))
        daily = db.add_register_reads(conn, reads)
        result = IngestResult(len(folded), len(new_blocks), measured, suspect, daily)
        if self.vee is None:
            digest.write_blocks(conn, new_blocks, intervals=intervals)
            return result
        return result + self._write_validated(conn, new_blocks, readings, intervals, until or datetime.now(UTC))

    def _write_validated(
        self,
        conn: sa.Connection,
        blocks: Sequence[db.NewBlock],
        readings: dict[int, tuple[Int64Array, Int64Array] | None],
        intervals: dict[int, int],
        until: datetime,
    ) -> IngestResult:
        """Write ``blocks`` day by day with VEE at ingest (see :meth:`ingest_in`); returns the VEE figures."""
        assert self.vee is not None
        if not blocks:
            return IngestResult()
        channels = sorted({nb.channel_id for nb in blocks})
        digests = digest.load(conn, {c: intervals[c] for c in channels})
        rules = self.vee.channel_rules(conn, channels)
        days = sorted({nb.local_day for nb in blocks})
        stored = db.register_reads_many(
            conn, channels, from_epoch(day_bounds_epoch(days[0])[0]), from_epoch(day_bounds_epoch(days[-1])[1] + 1)
        )
        limit = to_epoch(until)
        validated = sent_days = extra_versions = 0
        for day in days:
            start, end = day_bounds_epoch(day)
            rows = [nb for nb in blocks if nb.local_day == day]
            send: list[int] = []
            groups: dict[tuple[int, int, int], list[int]] = {}  # (interval, rules id, slots) → row indexes
            for k, nb in enumerate(rows):
                if end > limit or nb.channel_id not in rules:
                    continue  # the day has not ended yet: validated once complete
                if not _reads_agree(stored.get(nb.channel_id, ()), readings.get(nb.channel_id), start, end):
                    send.append(nb.channel_id)
                    continue
                interval_s, r = rules[nb.channel_id]
                groups.setdefault((interval_s, id(r), nb.values.size), []).append(k)
            for (interval_s, _, _), members in groups.items():
                r = rules[rows[members[0]].channel_id][1]
                values = np.stack([rows[k].values for k in members])
                quality = np.stack([rows[k].quality for k in members])
                outcome = screen(day, interval_s, values, quality, [digests[rows[k].channel_id] for k in members], r)
                for k, sent in zip(members, outcome.send.tolist(), strict=True):
                    if sent:
                        send.append(rows[k].channel_id)
                    else:
                        rows[k] = replace(rows[k], quality=validated_quality(rows[k].quality))
                        validated += 1
            digest.write_blocks(conn, rows, digests=digests, intervals=intervals)
            if send:
                report = self.vee.run_in(conn, send, day, day, until=until, digests=digests)
                sent_days += len(send)
                extra_versions += report.versions_written
        return IngestResult(versions_written=extra_versions, days_validated=validated, days_sent=sent_days)

    @staticmethod
    def _current(conn: sa.Connection, updates: Sequence[_DayUpdate]) -> dict[tuple[int, date], db.IntervalBlock]:
        if not updates:
            return {}
        day_from = min(u.day for u in updates)
        day_to = max(u.day for u in updates)
        wanted = {(u.channel_id, u.day) for u in updates}
        blocks = db.current_blocks(conn, [u.channel_id for u in updates], day_from, day_to)
        return {(b.channel_id, b.local_day): b for b in blocks if (b.channel_id, b.local_day) in wanted}

    def incomplete(
        self,
        channel_ids: Sequence[int],
        day_from: date,
        day_to: date,
        *,
        until: datetime | None = None,
        include_estimated: bool = False,
    ) -> set[tuple[int, date]]:
        """The (channel, local day) pairs of ``day_from..day_to`` with a missing slot that has ended by
        ``until`` (a day without any block counts as missing): :meth:`gaps` for many channels in one query.
        ``include_estimated`` also counts estimated slots (measured data may still be read to replace them)."""
        unread = (Quality.MISSING, Quality.ESTIMATED) if include_estimated else (Quality.MISSING,)
        with self.store.read() as conn:
            intervals = self._interval_map(conn, channel_ids)
            blocks = {(b.channel_id, b.local_day): b for b in db.current_blocks(conn, channel_ids, day_from, day_to)}
        limit = None if until is None else to_epoch(until)
        out: set[tuple[int, date]] = set()
        for day in day_range(day_from, day_to):
            start, end = day_bounds_epoch(day)
            for cid in channel_ids:
                interval_s = intervals[cid]
                # slots that have ended by ``until``
                ended = (
                    (end - start) // interval_s if limit is None else max(0, (min(limit, end) - start) // interval_s)
                )
                if ended == 0:
                    continue
                block = blocks.get((cid, day))
                if block is None or np.isin(codes(block.quality[:ended]), unread).any():
                    out.add((cid, day))
        return out

    def gaps(
        self,
        channel_id: int,
        day_from: date,
        day_to: date,
        *,
        until: datetime | None = None,
        include_estimated: bool = False,
    ) -> list[tuple[datetime, datetime]]:
        """UTC windows ``[start, end)`` of missing slots in the current blocks of ``day_from..day_to`` (local
        days, inclusive), whole days without a block included, merged into contiguous ranges and clipped at
        ``until`` if given (the head-end cannot re-read the future: a slot is only a gap once it has ended,
        so ``until`` is taken down to the channel's last complete interval). ``include_estimated`` also counts
        estimated slots, which a re-read of measured data would replace."""
        unread = (Quality.MISSING, Quality.ESTIMATED) if include_estimated else (Quality.MISSING,)
        with self.store.read() as conn:
            interval_s = self._interval_map(conn, [channel_id])[channel_id]
            blocks = {b.local_day: b for b in db.current_blocks(conn, [channel_id], day_from, day_to)}
        limit = None if until is None else to_epoch(until) // interval_s * interval_s
        ranges: list[list[int]] = []
        for day in day_range(day_from, day_to):
            start, end = day_bounds_epoch(day)
            block = blocks.get(day)
            if block is None:
                spans = [(start, end)]
            else:
                missing = np.isin(codes(block.quality), unread)
                spans = _runs(missing, start, interval_s)
            for a, b in spans:
                if limit is not None:
                    b = min(b, limit)
                if b <= a:
                    continue
                if ranges and ranges[-1][1] == a:
                    ranges[-1][1] = b
                else:
                    ranges.append([a, b])
        return [(from_epoch(a), from_epoch(b)) for a, b in ranges]


def _reads_agree(
    stored: Sequence[db.RegisterRead], batch: tuple[Int64Array, Int64Array] | None, start: int, end: int
) -> bool:
    """True if the batch holds readings at both midnights of the day ``[start, end]`` and every register read
    stored inside it (midnights included) is one of the batch's readings — then no register read can
    disagree with the day's interval sum (the screen's ``SUM_CHECK`` condition)."""
    if batch is None:
        return False
    ts, vs = batch
    pos = np.searchsorted(ts, [start, end])
    if pos[0] >= ts.size or ts[pos[0]] != start or pos[1] >= ts.size or ts[pos[1]] != end:
        return False
    for r in stored:
        at = to_epoch(r.read_at)
        if start <= at <= end:
            i = int(np.searchsorted(ts, at))
            if i >= ts.size or ts[i] != at or int(vs[i]) != r.value:
                return False
    return True


def _runs(mask: npt.NDArray[np.bool_], start: int, interval_s: int) -> list[tuple[int, int]]:
    """Epoch ``[a, b)`` spans of the True runs of ``mask`` (slot i starts at ``start + i·interval_s``)."""
    if not mask.any():
        return []
    edges = np.diff(np.concatenate(([0], mask.view(np.int8), [0])))
    begins = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return [(start + int(b) * interval_s, start + int(e) * interval_s) for b, e in zip(begins, ends, strict=True)]


@lru_cache(maxsize=1024)
def _midnights(first: int, last: int) -> Int64Array:
    """Epochs of the local midnights starting the days from ``first``'s to ``last``'s (read-only; cached, as
    every channel of a batch usually covers the same window)."""
    days = day_range(local_day_of_epoch(first), local_day_of_epoch(last))
    out = np.fromiter((day_bounds_epoch(day)[0] for day in days), dtype=np.int64, count=len(days))
    out.flags.writeable = False
    return out


def _midnight_reads(channel_id: int, ts: Int64Array, vs: Int64Array, source: str) -> list[db.RegisterRead]:
    """Readings at local midnight, as daily register reads."""
    midnights = _midnights(int(ts[0]), int(ts[-1]))
    # ts is sorted and unique: look each midnight up instead of scanning every reading
    pos = np.minimum(np.searchsorted(ts, midnights), ts.size - 1)
    hits = pos[ts[pos] == midnights].tolist()
    return [db.RegisterRead(channel_id, from_epoch(int(ts[i])), "daily", int(vs[i]), source) for i in hits]


def day_totals(store: db.Store, channel_id: int, day_from: date, day_to: date) -> dict[date, tuple[int, int]]:
    """``{day: (sum of values, number of non-missing slots)}`` over the current blocks (a convenience for
    reports and tests)."""
    out: dict[date, tuple[int, int]] = {}
    for b in store.current_blocks([channel_id], day_from, day_to):
        present = codes(b.quality) != Quality.MISSING
        out[b.local_day] = (int(b.values[present].sum()), int(present.sum()))
    return out


__all__ = ["IngestError", "IngestResult", "IngestService", "Reading", "day_totals"]
