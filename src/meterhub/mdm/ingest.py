"""The ingest interface the head-end writes through (DESIGN §6): load-profile readings → interval blocks.

The head-end hands a channel's cumulative readings at interval ends to :meth:`IngestService.ingest_profile`
or, batched over many meters, :meth:`IngestService.ingest_many`. The batch is turned into day rows
(:mod:`meterhub.mdm.readings`: slot deltas per Europe/Luxembourg local day, measured or suspect) and merged
into the current version of each affected day (:func:`~meterhub.mdm.readings.merge_into`):

* a day whose merged block differs from its current version gets a NEW version (append-only; versions are
  never updated); an unchanged day writes nothing, so re-ingesting the same readings is idempotent (the
  head-end's crash-and-restart relies on it);
* readings at local midnight are also stored as ``register_read`` kind ``daily`` (duplicates ignored);
* with VEE at ingest, each complete day is validated and estimated in the same transaction (the screen of
  :mod:`meterhub.mdm.vee_screen` against the history digest, the full :class:`VeeService` for the days it
  sends on).

Each call is one write transaction. :meth:`IngestService.gaps` and :meth:`IngestService.incomplete` list what
the head-end should re-read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime

import numpy as np
import numpy.typing as npt

from meterhub.mdm import digest
from meterhub.mdm.quality import Quality, codes
from meterhub.mdm.readings import (
    DayRows,
    IngestError,
    Prepared,
    Reading,
    ReadingArrays,
    ReadingGroup,
    local_midnights,
    merge_into,
    prepare,
    to_blocks,
)
from meterhub.mdm.vee import VeeRules
from meterhub.mdm.vee_screen import screen, validated_quality
from meterhub.mdm.vee_service import VeeService
from meterhub.store import Connection, IntegrityError, NewBlock, RegisterRead, Store
from meterhub.store.blocks import current_blocks, insert_blocks, pack_blocks
from meterhub.store.channels import channel_intervals
from meterhub.store.digests import DigestRow, save_digests
from meterhub.store.intervals import day_bounds_epoch, day_range, from_epoch, to_epoch
from meterhub.store.reads import ReadRow, add_register_read_rows, count_register_reads, register_read_values


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What one ingest call did. ``days_touched`` counts (channel, local day) pairs the batch had slots for;
    ``versions_written`` those among them whose block changed (plus, with VEE at ingest, the versions the
    full validation wrote); slot counts are of the batch itself. With VEE at ingest: ``days_validated`` complete
    days the screen cleared (written once, as validated) and ``days_sent`` those it sent to the full
    validation and estimation; ``replanned`` counts the calls that planned again under the lock (another writer
    of the same channels came first: a measure of contention). The full validation's outcome over the days sent:
    ``estimated_slots`` and ``vee_suspect_slots`` (slots estimated and left suspect in those days) and ``vee_rules``
    (``(rule, slots)`` pairs, lower-case :class:`~meterhub.mdm.quality.SuspectRule` names, ``gap`` included)."""

    days_touched: int = 0
    versions_written: int = 0
    measured_slots: int = 0
    suspect_slots: int = 0
    daily_reads: int = 0
    days_validated: int = 0
    days_sent: int = 0
    replanned: int = 0  # write transactions planned again because another writer changed what they read
    estimated_slots: int = 0
    vee_suspect_slots: int = 0
    vee_rules: tuple[tuple[str, int], ...] = ()

    def __add__(self, other: IngestResult) -> IngestResult:
        counts = {f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self) if f.name != "vee_rules"}
        rules = Counter(dict(self.vee_rules)) + Counter(dict(other.vee_rules))
        return IngestResult(**counts, vee_rules=tuple(sorted(rules.items())))


@dataclass
class _Plan:
    """What one ingest writes: block versions in order, register read rows, the digests after them, and
    what it was planned from (the digests' ``seq``, the register reads that disagree with the batch)."""

    blocks: list[NewBlock]
    reads: list[ReadRow]
    groups: list[ReadingGroup]
    cache: digest.DigestCache
    channels: list[int]
    disagree: dict[int, list[int]] | None
    reads_seen: int  # register reads stored in the window when planned
    window: tuple[int, int]
    result: IngestResult
    packed: tuple[list[bytes], list[bytes]] = field(
        default_factory=lambda: ([], [])
    )  # the blocks' columns, packed before the write
    digest_rows: list[DigestRow] = field(default_factory=list)  # the digests to save, packed


def _packed(plan: _Plan) -> _Plan:
    """The plan with its blocks and digests packed (before the write transaction: less time under a lock)."""
    plan.packed = pack_blocks(plan.blocks)
    plan.digest_rows = plan.cache.changed_rows()
    return plan


class IngestService:
    """Turns head-end load-profile reads into versioned interval blocks and daily register reads; with a
    :class:`~meterhub.mdm.vee_service.VeeService` (``vee``), validates and estimates each complete day in the
    same transaction (see :meth:`ingest_in`).

    :meth:`ingest_many` plans from a read snapshot (merge, screen, full VEE, packing) and writes in a short
    write transaction, optimistically: the register reads are checked by count (they are only ever added), a
    block version that another writer wrote first clashes on its key, and a digest is written only over the
    ``seq`` it was planned from (every block writer bumps it) — on any of these the transaction is rolled back
    and the ingest plans again inside a write transaction that holds the digests (SQLite: its exclusive lock;
    PostgreSQL: the rows ``FOR UPDATE``). On SQLite, whose writers take turns, the lock is thus held for the
    statements only and several ingest processes (head-end workers) overlap their work; PostgreSQL takes no row
    lock in the common case."""

    def __init__(self, store: Store, vee: VeeService | None = None) -> None:
        self.store = store
        self.vee = vee
        self._intervals: dict[int, int] = {}

    def _interval_map(self, conn: Connection, channel_ids: Sequence[int]) -> dict[int, int]:
        unknown = [c for c in set(channel_ids) if c not in self._intervals]
        if unknown:
            self._intervals.update(channel_intervals(conn, unknown))
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
        """Ingest many channels' readings in ONE write transaction (a channel may appear more than once)."""
        until = until or datetime.now(UTC)
        with self.store.read() as conn:
            intervals = self._interval_map(conn, [cid for cid, _ in batches])
            plan = self._plan(conn, prepare(batches, intervals, source), intervals, until, lock=False)
        try:
            with self.store.write() as conn:
                if self._unchanged(conn, plan):
                    return self._apply(conn, plan)
                plan = self._plan(conn, prepare(batches, intervals, source), intervals, until, lock=True)
                return self._apply(conn, plan) + IngestResult(replanned=1)
        except (digest.DigestConflict, IntegrityError):
            pass  # another writer of the same channels came first (a digest or a block version): plan again
        with self.store.write() as conn:  # under the lock this time (PostgreSQL: the digest rows FOR UPDATE)
            plan = self._plan(conn, prepare(batches, intervals, source), intervals, until, lock=True)
            return self._apply(conn, plan) + IngestResult(replanned=1)

    def ingest_in(
        self,
        conn: Connection,
        batches: Sequence[tuple[int, Sequence[Reading] | ReadingArrays]],
        source: str,
        *,
        until: datetime | None = None,
        duplicates: Mapping[int, npt.NDArray[np.int64]] | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> IngestResult:
        """:meth:`ingest_many` inside the caller's write transaction ``conn`` (e.g. an import that creates
        meters and ingests their readings atomically). ``duplicates``: per channel, the epochs of instants the
        caller found read twice with different values (the batch holds the value kept): the slots around them
        are stored ``suspect`` with rule ``DUPLICATE`` in the ingest's version (see :mod:`meterhub.mdm.readings`),
        which validation keeps. ``progress(days done, days)`` is called after each local day is planned.

        With VEE at ingest, every (channel, day) the batch changed whose day has ended by ``until`` (default:
        now) is validated right away, day by day in date order: the screen (:mod:`meterhub.mdm.vee_screen`)
        clears the days no rule can flag — written once, their values ``validated`` — and sends the others
        to :meth:`VeeService.plan`, whose versions follow their measured version (so the raw reading stays in
        the version history, as when VEE runs later)."""
        intervals = self._interval_map(conn, [cid for cid, _ in batches])
        prepared = prepare(batches, intervals, source, duplicates)
        plan = self._plan(conn, prepared, intervals, until or datetime.now(UTC), lock=True, progress=progress)
        return self._apply(conn, plan)

    def _plan(
        self,
        conn: Connection,
        prepared: Prepared,
        intervals: Mapping[int, int],
        until: datetime,
        *,
        lock: bool,
        progress: Callable[[int, int], None] | None = None,
    ) -> _Plan:
        """Everything the ingest of ``prepared`` writes, read through ``conn`` (nothing written)."""
        days = self._merged(conn, prepared.days)
        channels = sorted({cid for dr in days for cid in dr.channels})
        cache = digest.DigestCache()
        cache.ensure(conn, {c: intervals[c] for c in channels}, lock=lock)
        result = IngestResult(
            prepared.touched, sum(len(dr.channels) for dr in days), prepared.measured, prepared.suspect
        )
        window = (0, 0)
        if self.vee is None or not days:
            blocks = [nb for dr in days for nb in to_blocks(dr, prepared.source)]
            cache.apply_blocks(blocks)
            return _packed(_Plan(blocks, prepared.reads, prepared.groups, cache, channels, None, 0, window, result))
        rules = self.vee.channel_rules(conn, channels)
        window = (day_bounds_epoch(min(dr.day for dr in days))[0], day_bounds_epoch(max(dr.day for dr in days))[1])
        disagree, seen = _disagreeing_reads(conn, prepared.groups, channels, *window)
        limit = to_epoch(until)
        blocks = []
        pending: dict[tuple[int, date], NewBlock] = {}
        validated = sent_days = extra_versions = 0
        outcome = Counter[str]()
        estimated = vee_suspect = 0
        all_days = sorted({dr.day for dr in days})
        for done, day in enumerate(all_days):
            if progress is not None:
                progress(done, len(all_days))
            start, end = day_bounds_epoch(day)
            send: list[int] = []
            day_blocks: list[NewBlock] = []
            for dr in (d for d in days if d.day == day):
                if end <= limit:
                    sent, cleared = _screen_rows(dr, rules, cache, disagree, start, end)
                    send += sent
                    validated += cleared
                day_blocks += to_blocks(dr, prepared.source)
            if send:
                pending.update(((nb.channel_id, nb.local_day), nb) for nb in day_blocks)
                sending = set(send)
                sent_reads = [
                    RegisterRead(cid, from_epoch(at), kind, value, src)
                    for cid, at, kind, value, src in prepared.reads
                    if cid in sending
                ]
                vee_blocks, report = self.vee.plan(
                    conn, send, day, day, until=until, pending=pending, pending_reads=sent_reads
                )
                day_blocks += vee_blocks
                sent_days += len(send)
                extra_versions += report.versions_written
                estimated += report.estimated
                vee_suspect += report.suspect
                outcome.update(report.rules)
            cache.apply_blocks(day_blocks)
            pending.update(((nb.channel_id, nb.local_day), nb) for nb in day_blocks)
            blocks += day_blocks
        result += IngestResult(
            versions_written=extra_versions,
            days_validated=validated,
            days_sent=sent_days,
            estimated_slots=estimated,
            vee_suspect_slots=vee_suspect,
            vee_rules=tuple(sorted(outcome.items())),
        )
        return _packed(_Plan(blocks, prepared.reads, prepared.groups, cache, channels, disagree, seen, window, result))

    @staticmethod
    def _unchanged(conn: Connection, plan: _Plan) -> bool:
        """In the write transaction: whether the register reads ``plan`` was planned from still hold (the
        digests and blocks are checked as they are written: :func:`save_digests` writes a digest only over
        the seq it was planned from, a block version clashes on its key)."""
        if plan.disagree is None:
            return True
        # register reads are only ever added (never changed or deleted in the window): same count, same reads
        return count_register_reads(conn, plan.channels, plan.window[0], plan.window[1] + 1) == plan.reads_seen

    @staticmethod
    def _apply(conn: Connection, plan: _Plan) -> IngestResult:
        """Write a plan in the caller's write transaction."""
        insert_blocks(conn, plan.blocks, packed=plan.packed)
        daily = add_register_read_rows(conn, plan.reads)
        if save_digests(conn, plan.digest_rows) != len(plan.digest_rows):
            raise digest.DigestConflict("a digest changed after the ingest was planned")
        return plan.result + IngestResult(daily_reads=daily)

    @staticmethod
    def _merged(conn: Connection, days: list[DayRows]) -> list[DayRows]:
        """The day rows that change their block (merged into the current version where there is one), each
        with the version to write."""
        if not days:
            return []
        channels = sorted({cid for dr in days for cid in dr.channels})
        day_from, day_to = min(dr.day for dr in days), max(dr.day for dr in days)
        current = {(b.channel_id, b.local_day): b for b in current_blocks(conn, channels, day_from, day_to)}
        out: list[DayRows] = []
        for dr in days:
            keep: list[int] = []
            for i, cid in enumerate(dr.channels):
                cur = current.get((cid, dr.day))
                if cur is None:
                    keep.append(i)
                    dr.versions.append(1)
                    continue
                merged = merge_into(cur, dr.values[i], dr.quality[i])
                if merged is not None:
                    dr.values[i], dr.quality[i] = merged
                    keep.append(i)
                    dr.versions.append(cur.version + 1)
            if dr.keep_rows(keep):
                out.append(dr)
        return out

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
            blocks = {(b.channel_id, b.local_day): b for b in current_blocks(conn, channel_ids, day_from, day_to)}
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
            blocks = {b.local_day: b for b in current_blocks(conn, [channel_id], day_from, day_to)}
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


def _screen_rows(
    dr: DayRows,
    rules: Mapping[int, tuple[int, VeeRules]],
    cache: digest.DigestCache,
    disagree: Mapping[int, Sequence[int]],
    start: int,
    end: int,
) -> tuple[list[int], int]:
    """Screen one complete day's rows: cleared rows get ``validated`` qualities in place; returns the channels
    to send to the full validation and the number cleared."""
    send: list[int] = []
    by_rules: dict[int, list[int]] = {}
    for i, cid in enumerate(dr.channels):
        r = rules.get(cid)
        if r is None:
            continue
        if any(start <= at <= end for at in disagree.get(cid, ())):
            send.append(cid)
            continue
        by_rules.setdefault(id(r[1]), []).append(i)
    digests = cache.of_interval(dr.interval_s)
    cleared = 0
    for members in by_rules.values():
        sel = np.asarray(members, dtype=np.intp)
        channel_rules = rules[dr.channels[members[0]]][1]
        rows = digests.rows(dr.channels[k] for k in members)
        outcome = screen(dr.day, dr.values[sel], dr.quality[sel], digests, rows, channel_rules)
        ok = sel[~outcome.send]
        if ok.size:
            dr.quality[ok] = validated_quality(dr.quality[ok])
            cleared += int(ok.size)
        send += [dr.channels[k] for k in sel[outcome.send].tolist()]
    return send, cleared


def _disagreeing_reads(
    conn: Connection, groups: Sequence[ReadingGroup], channels: Sequence[int], start: int, end: int
) -> tuple[dict[int, list[int]], int]:
    """Instants of the register reads stored from ``start`` to ``end`` (inclusive) that are not one of the
    batch's own readings with the same value — and, for a group of readings that misses a midnight of the
    window, that midnight. A day holding such an instant is sent to the full validation (its ``SUM_CHECK``
    could fire). Vectorised: the daily flow meets two stored reads per channel and day. Also returns the
    number of stored reads looked at."""
    ids, ats, values = register_read_values(conn, channels, start, end + 1)
    out: dict[int, list[int]] = {}
    # the lookup covers every channel of the groups, not only ``channels`` (those whose blocks change): a
    # re-read in which some channels read the same again leaves them in their group (issue 12: an IndexError
    # when an unchanged channel had a higher id than every changed one)
    top = max(max(g.channels) for g in groups) + 1
    group_of = np.full(top, -1, dtype=np.int64)
    row_of = np.zeros(top, dtype=np.int64)
    for k, g in enumerate(groups):
        members = np.asarray(g.channels, dtype=np.int64)
        group_of[members] = k
        row_of[members] = np.arange(members.size)
    of_read = group_of[ids]
    midnights = local_midnights(start, end)
    for k, g in enumerate(groups):
        sel = np.flatnonzero(of_read == k)
        if sel.size:
            col = np.minimum(np.searchsorted(g.epochs, ats[sel]), g.epochs.size - 1)
            bad = (g.epochs[col] != ats[sel]) | (g.values[row_of[ids[sel]], col] != values[sel])
            for cid, at in zip(ids[sel][bad].tolist(), ats[sel][bad].tolist(), strict=True):
                out.setdefault(cid, []).append(at)
        pos = np.minimum(np.searchsorted(g.epochs, midnights), g.epochs.size - 1)
        lacking = midnights[g.epochs[pos] != midnights].tolist()
        for cid in g.channels if lacking else ():
            out.setdefault(cid, []).extend(lacking)
    return out, int(ids.size)


def _runs(mask: npt.NDArray[np.bool_], start: int, interval_s: int) -> list[tuple[int, int]]:
    """Epoch ``[a, b)`` spans of the True runs of ``mask`` (slot i starts at ``start + i·interval_s``)."""
    if not mask.any():
        return []
    edges = np.diff(np.concatenate(([0], mask.view(np.int8), [0])))
    begins = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return [(start + int(b) * interval_s, start + int(e) * interval_s) for b, e in zip(begins, ends, strict=True)]


def day_totals(store: Store, channel_id: int, day_from: date, day_to: date) -> dict[date, tuple[int, int]]:
    """``{day: (sum of values, number of non-missing slots)}`` over the current blocks (a convenience for
    reports and tests)."""
    out: dict[date, tuple[int, int]] = {}
    for b in store.current_blocks([channel_id], day_from, day_to):
        present = codes(b.quality) != Quality.MISSING
        out[b.local_day] = (int(b.values[present].sum()), int(present.sum()))
    return out


__all__ = ["IngestError", "IngestResult", "IngestService", "Reading", "ReadingArrays", "day_totals"]
