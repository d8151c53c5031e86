"""The VEE history digest: what validation needs of a channel's last local days, in one row per channel.

Validating a newly read day against the channel's own history (:func:`meterhub.mdm.vee.validate`) takes the
median, spread and peak of the 28 days before it; decoding 28 blocks per channel and day costs more than the
ingest itself. The digest keeps, per channel and for each of its last :data:`RING` local days (the newest one
is ``as_of``):

* per wall slot (:func:`~meterhub.store.intervals.wall_slots`): a *kept* bit — the value counts as history
  (measured, validated or edited, and not negative), exactly as :func:`~meterhub.mdm.vee.history` lays the
  kept values out by wall slot — and a *non-zero* bit (that kept value is > 0);
* the largest kept value of the day as laid out by wall slot (−1: none);
* the day's slot count (0: no block, or a block of the wrong DST length, which validation treats as missing)
  and its leading and trailing runs of present zeros (any quality but missing, value 0).

That decides exactly, without the blocks, whether a fully read day could fail a validation rule
(:mod:`meterhub.mdm.vee_screen`): a median > 0 follows from the counts of kept and non-zero bits, the peak
from the day maxima, zero runs across midnight from the runs. The digest is derived data: :func:`write_blocks`
— the MDM's one writer of interval blocks (ingest, VEE, edits) — keeps it in step in the same transaction
(every block written for a day inside the ring rewrites that day's row; a newer day moves the ring on), and a
channel without a row (data older than the table, a brand-new channel) has it rebuilt from its current blocks
the first time it is needed. Invariant: no current block of the channel is newer than ``as_of``.

:class:`Digests` holds the digests of many channels of one interval length as arrays (one row per channel),
so that a batch of channel days is screened, applied and packed with a few numpy operations.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt

from meterhub.store import Connection, IntervalBlock, NewBlock
from meterhub.store.blocks import current_blocks, insert_blocks, newest_block_days
from meterhub.store.channels import channel_intervals
from meterhub.store.digests import DigestRow, load_digests, lock_digests, save_digests
from meterhub.store.intervals import Int64Array, UInt8Array, local_day_slots, wall_slots

RING = 32
"""Days a digest holds: the 28 days of history before a day, for any day from ``as_of − 3`` on."""

_FORMAT = 1
_HEADER = struct.Struct("<BHH")  # format, wall slots per day, ring days
_NO_VALUE = -1
_NO_DAY = -1
# quality codes (low three bits; meterhub.mdm.quality) as plain ints for the hot paths
_MISSING, _MEASURED, _VALIDATED, _EDITED = 0, 1, 2, 4

BoolArray = npt.NDArray[np.bool_]
I16Array = npt.NDArray[np.int16]


def _blob_size(width: int) -> int:
    return _HEADER.size + RING * (3 * 2 + 8) + 2 * ((RING * width + 7) // 8)


@dataclass(frozen=True)
class Window:
    """The history window of some channels before a day: ``ok`` is False where a digest does not reach back
    that far; ``day_max`` ``(M, days)``, oldest day first (−1: no kept value that day)."""

    ok: BoolArray
    day_max: Int64Array
    first: Int64Array  # ring row of the window's first day, per channel


class Digests:
    """The digests of many channels of one interval length (see the module docstring): row ``i`` is channel
    ``ids[i]``; ring row ``RING − 1`` of a channel is its ``as_of`` day (a proleptic ordinal, −1: no day yet)."""

    def __init__(self, interval_s: int, ids: Sequence[int]) -> None:
        self.interval_s = interval_s
        self.width = 86_400 // interval_s
        n = len(ids)
        self.ids: list[int] = list(ids)
        self.row: dict[int, int] = {cid: i for i, cid in enumerate(self.ids)}
        self.as_of = np.full(n, _NO_DAY, dtype=np.int64)
        self.kept = np.zeros((n, RING, self.width), dtype=bool)
        self.nonzero = np.zeros((n, RING, self.width), dtype=bool)
        self.day_max = np.full((n, RING), _NO_VALUE, dtype=np.int64)
        self.slots = np.zeros((n, RING), dtype=np.int16)
        self.head = np.zeros((n, RING), dtype=np.int16)
        self.tail = np.zeros((n, RING), dtype=np.int16)
        self.dirty = np.zeros(n, dtype=bool)

    def rows(self, channel_ids: Iterable[int]) -> npt.NDArray[np.intp]:
        return np.fromiter((self.row[c] for c in channel_ids), dtype=np.intp)

    def extend(self, other: Digests) -> None:
        """Take the channels of ``other`` (same interval length, channels not held yet)."""
        base = len(self.ids)
        self.ids += other.ids
        self.row.update({cid: base + i for i, cid in enumerate(other.ids)})
        for name in ("as_of", "kept", "nonzero", "day_max", "slots", "head", "tail", "dirty"):
            setattr(self, name, np.concatenate((getattr(self, name), getattr(other, name))))

    def as_of_day(self, cid: int) -> date | None:
        ordinal = int(self.as_of[self.row[cid]])
        return None if ordinal == _NO_DAY else date.fromordinal(ordinal)

    # ---- the ring

    def advance(self, rows: npt.NDArray[np.intp], day: date) -> None:
        """Make ``day`` the newest day of the ``rows`` whose ``as_of`` is older (the rows of the days in between
        are emptied: no block exists for them)."""
        target = day.toordinal()
        cur = self.as_of[rows]
        self.as_of[rows[cur == _NO_DAY]] = target
        behind = rows[(cur != _NO_DAY) & (cur < target)]
        if behind.size == 0:
            return
        shifts = target - self.as_of[behind]
        for k in np.unique(shifts).tolist():
            sel = behind[shifts == k]
            for a, empty in (
                (self.kept, False),
                (self.nonzero, False),
                (self.day_max, _NO_VALUE),
                (self.slots, 0),
                (self.head, 0),
                (self.tail, 0),
            ):
                if k < RING:
                    a[sel, :-k] = a[sel, k:]
                    a[sel, -k:] = empty
                else:
                    a[sel] = empty
        self.as_of[behind] = target

    def apply(self, rows: npt.NDArray[np.intp], day: date, values: Int64Array, quality: UInt8Array) -> None:
        """Take the current blocks ``values``/``quality`` ``(M, slots)`` of ``day`` for the channels ``rows``
        (a newer day moves their ring on; a day before a ring is ignored for that channel)."""
        self.advance(rows, day)
        ring_row = RING - 1 - (self.as_of[rows] - day.toordinal())
        inside = ring_row >= 0
        rows, ring_row, values, quality = rows[inside], ring_row[inside], values[inside], quality[inside]
        if rows.size == 0:
            return
        self.dirty[rows] = True
        m, n = values.shape
        if n != local_day_slots(day, self.interval_s):  # wrong DST length: validation sees a missing day
            self.kept[rows, ring_row] = False
            self.nonzero[rows, ring_row] = False
            self.day_max[rows, ring_row] = _NO_VALUE
            self.slots[rows, ring_row] = self.head[rows, ring_row] = self.tail[rows, ring_row] = 0
            return
        code = quality & np.uint8(0x07)
        present = code != _MISSING
        kept = present & ((code == _MEASURED) | (code == _VALIDATED) | (code == _EDITED)) & (values >= 0)
        if n == self.width:  # an ordinary day: wall slot = slot
            kept_w = kept
            value_w = np.where(kept, values, _NO_VALUE)
        else:  # DST day: laid out slot by slot, the later of two 02:xx slots winning, as vee.history does
            wall = wall_slots(day, self.interval_s)
            kept_w = np.zeros((m, self.width), dtype=bool)
            value_w = np.full((m, self.width), _NO_VALUE, dtype=np.int64)
            for j in range(n):
                sel = kept[:, j]
                kept_w[sel, wall[j]] = True
                value_w[sel, wall[j]] = values[sel, j]
        self.kept[rows, ring_row] = kept_w
        self.nonzero[rows, ring_row] = kept_w & (value_w > 0)
        self.day_max[rows, ring_row] = value_w.max(axis=1)
        zeros = present & (values == 0)
        every = zeros.all(axis=1)
        self.slots[rows, ring_row] = n
        self.head[rows, ring_row] = np.where(every, n, np.argmin(zeros, axis=1))
        self.tail[rows, ring_row] = np.where(every, n, np.argmin(zeros[:, ::-1], axis=1))

    def window(self, rows: npt.NDArray[np.intp], day: date, days: int) -> Window:
        """The day maxima of the ``days`` days before ``day`` of the channels ``rows`` (see :class:`Window`)."""
        day_max = np.full((rows.size, days), _NO_VALUE, dtype=np.int64)
        as_of = self.as_of[rows]
        first = RING - 1 - (as_of - (day.toordinal() - days))  # ring row of day − days
        ok = (as_of == _NO_DAY) | (first >= 0)
        usable = ok & (as_of != _NO_DAY)
        for f in np.unique(first[usable]).tolist():
            sel = np.flatnonzero(usable & (first == f))
            stop = min(f + days, RING)
            day_max[sel, : stop - f] = self.day_max[rows[sel], f:stop]
        return Window(ok, day_max, np.where(usable, first, RING))

    def window_bits(self, rows: npt.NDArray[np.intp], window: Window, days: int) -> tuple[BoolArray, BoolArray]:
        """The kept and non-zero bits ``(M, days, W)`` of a :class:`Window` (of the same ``rows``)."""
        kept = np.zeros((rows.size, days, self.width), dtype=bool)
        nonzero = np.zeros((rows.size, days, self.width), dtype=bool)
        for f in np.unique(window.first[window.first < RING]).tolist():
            sel = np.flatnonzero(window.first == f)
            stop = min(f + days, RING)
            kept[sel, : stop - f] = self.kept[rows[sel], f:stop]
            nonzero[sel, : stop - f] = self.nonzero[rows[sel], f:stop]
        return kept, nonzero

    def _index(self, r: int, day: date) -> int | None:
        as_of = int(self.as_of[r])
        if as_of == _NO_DAY:
            return None
        i = RING - 1 - (as_of - day.toordinal())
        return i if 0 <= i < RING else None

    def zeros_before(self, r: int, day: date, enough: int) -> int:
        """Length of the run of present zeros of channel row ``r`` that ends just before ``day``, counted up to
        ``enough`` at least; −1 when it goes back beyond the ring before reaching ``enough`` (unknown)."""
        total = 0
        d = day - timedelta(days=1)
        while True:
            i = self._index(r, d)
            if i is None:
                # after as_of there is no block (the run ends); before the ring it may go on
                beyond = int(self.as_of[r]) != _NO_DAY and d.toordinal() < int(self.as_of[r])
                return -1 if beyond and total > 0 else total
            if self.slots[r, i] == 0:
                return total
            total += int(self.tail[r, i])
            if self.tail[r, i] < self.slots[r, i] or total >= enough:
                return total
            d -= timedelta(days=1)

    def zeros_after(self, r: int, day: date) -> int:
        """Length of the run of present zeros of channel row ``r`` starting just after ``day``."""
        total = 0
        d = day + timedelta(days=1)
        while (i := self._index(r, d)) is not None and self.slots[r, i] > 0:
            total += int(self.head[r, i])
            if self.head[r, i] < self.slots[r, i]:
                break
            d += timedelta(days=1)
        return total

    # ---- storage format: header, slots/head/tail (int16), day maxima (int64), kept and non-zero bits

    def blobs(self, rows: npt.NDArray[np.intp]) -> list[bytes]:
        m = rows.size
        if m == 0:
            return []
        header = np.frombuffer(_HEADER.pack(_FORMAT, self.width, RING), np.uint8)
        parts = [
            np.broadcast_to(header, (m, header.size)),
            self.slots[rows].astype("<i2").view(np.uint8).reshape(m, -1),
            self.head[rows].astype("<i2").view(np.uint8).reshape(m, -1),
            self.tail[rows].astype("<i2").view(np.uint8).reshape(m, -1),
            self.day_max[rows].astype("<i8").view(np.uint8).reshape(m, -1),
            np.packbits(self.kept[rows].reshape(m, -1), axis=1),
            np.packbits(self.nonzero[rows].reshape(m, -1), axis=1),
        ]
        mat = np.ascontiguousarray(np.concatenate(parts, axis=1))
        size = mat.shape[1]
        flat = mat.tobytes()
        return [flat[i * size : (i + 1) * size] for i in range(m)]

    def load_blobs(self, rows: npt.NDArray[np.intp], as_of: Sequence[date], blobs: Sequence[bytes]) -> BoolArray:
        """Fill ``rows`` from stored blobs; returns which were readable (the others stay empty)."""
        size = _blob_size(self.width)
        head = _HEADER.pack(_FORMAT, self.width, RING)
        good = np.fromiter((len(b) == size and b[: len(head)] == head for b in blobs), dtype=bool, count=len(blobs))
        if not good.any():
            return good
        sel = rows[good]
        mat = np.frombuffer(b"".join(b for b, g in zip(blobs, good, strict=True) if g), np.uint8).reshape(-1, size)
        pos = _HEADER.size
        for name, dtype in (("slots", "<i2"), ("head", "<i2"), ("tail", "<i2"), ("day_max", "<i8")):
            width = RING * np.dtype(dtype).itemsize
            arr = np.ascontiguousarray(mat[:, pos : pos + width]).view(dtype)
            getattr(self, name)[sel] = arr
            pos += width
        bits = (RING * self.width + 7) // 8
        for name in ("kept", "nonzero"):
            unpacked = np.unpackbits(mat[:, pos : pos + bits], axis=1, count=RING * self.width)
            getattr(self, name)[sel] = unpacked.reshape(-1, RING, self.width).astype(bool)
            pos += bits
        self.as_of[sel] = [d.toordinal() for d, g in zip(as_of, good, strict=True) if g]
        return good


class DigestCache:
    """The digests of the channels a transaction touches, by interval length, loaded on demand."""

    def __init__(self) -> None:
        self.by_interval: dict[int, Digests] = {}
        self._interval_of: dict[int, int] = {}
        self.seq: dict[int, int] = {}  # the stored row's seq when loaded (0: no row)

    def __contains__(self, cid: int) -> bool:
        return cid in self._interval_of

    def of_interval(self, interval_s: int) -> Digests:
        return self.by_interval[interval_s]

    def ensure(self, conn: Connection, intervals: Mapping[int, int], *, lock: bool = False) -> None:
        """Load (or rebuild) the digests of the channels ``{channel_id: interval_s}`` not held yet; ``lock``
        (a write transaction) locks their rows until it ends (PostgreSQL; see
        :func:`~meterhub.store.digests.lock_digests`)."""
        wanted = {cid: s for cid, s in intervals.items() if cid not in self._interval_of}
        if not wanted:
            return
        by_s: dict[int, list[int]] = {}
        for cid, s in sorted(wanted.items()):
            by_s.setdefault(s, []).append(cid)
        for s, ids in by_s.items():
            fresh = Digests(s, ids)
            stored: dict[int, tuple[date, bytes]] = {}
            if lock:
                lock_digests(conn, ids)
            for cid, day, data, seq in load_digests(conn, ids):
                stored[cid] = (day, data)
                self.seq[cid] = seq
            for cid in ids:
                self.seq.setdefault(cid, 0)
            have = [c for c in ids if c in stored]
            good = fresh.load_blobs(fresh.rows(have), [stored[c][0] for c in have], [stored[c][1] for c in have])
            readable = {c for c, g in zip(have, good.tolist(), strict=True) if g}
            missing = [c for c in ids if c not in readable]
            if missing:
                _rebuild_into(conn, fresh, missing)
            if s in self.by_interval:
                self.by_interval[s].extend(fresh)
            else:
                self.by_interval[s] = fresh
            self._interval_of.update(dict.fromkeys(ids, s))

    def apply_blocks(self, blocks: Sequence[NewBlock]) -> None:
        """Bring the digests in step with newly written blocks (in day order, batched per day and length)."""
        groups: dict[tuple[date, int, int], list[NewBlock]] = {}
        for nb in sorted(blocks, key=lambda b: (b.local_day, b.version)):
            groups.setdefault((nb.local_day, self._interval_of[nb.channel_id], nb.values.size), []).append(nb)
        for (day, s, _), members in sorted(groups.items(), key=lambda kv: kv[0][0]):
            d = self.by_interval[s]
            # a channel twice in one group (two versions of one day): the later version wins
            last = {nb.channel_id: nb for nb in members}
            d.apply(
                d.rows(last),
                day,
                np.stack([nb.values for nb in last.values()]),
                np.stack([nb.quality for nb in last.values()]),
            )

    def save(self, conn: Connection) -> None:
        """Upsert the digests changed since loading (see :func:`~meterhub.store.digests.save_digests`); raises
        :class:`DigestConflict`
        if another writer changed one of them in the meantime."""
        rows = self.changed_rows()
        if save_digests(conn, rows) != len(rows):
            raise DigestConflict("a digest changed since it was loaded")

    def changed_rows(self) -> list[DigestRow]:
        """The digests changed since loading, packed, each with the ``seq`` it is to get (one above the seq it
        was loaded with), now counted as saved (the ingest packs them before its write transaction and saves
        them with :func:`~meterhub.store.digests.save_digests` in it)."""
        rows: list[DigestRow] = []
        for d in self.by_interval.values():
            changed = np.flatnonzero(d.dirty & (d.as_of != _NO_DAY))
            if changed.size == 0:
                continue
            blobs = d.blobs(changed)
            for r, blob in zip(changed.tolist(), blobs, strict=True):
                cid = d.ids[r]
                seq = self.seq[cid] = self.seq.get(cid, 0) + 1
                rows.append((cid, date.fromordinal(int(d.as_of[r])), blob, seq))
            d.dirty[changed] = False
        return rows


class DigestConflict(RuntimeError):
    """A digest was changed by another writer after this one loaded it: the writer plans again."""


def _rebuild_into(conn: Connection, digests: Digests, channel_ids: Sequence[int]) -> None:
    """Fill the digests of ``channel_ids`` from the current blocks of each one's newest :data:`RING` days."""
    newest = newest_block_days(conn, channel_ids)
    if not newest:
        return
    lo = min(newest.values()) - timedelta(days=RING - 1)
    by_day: dict[date, list[IntervalBlock]] = {}
    for b in current_blocks(conn, list(newest), lo, max(newest.values())):
        if b.local_day > newest[b.channel_id] - timedelta(days=RING):
            by_day.setdefault(b.local_day, []).append(b)
    for day in sorted(by_day):
        by_size: dict[int, list[IntervalBlock]] = {}
        for b in by_day[day]:
            by_size.setdefault(b.slots, []).append(b)
        for members in by_size.values():
            digests.apply(
                digests.rows(b.channel_id for b in members),
                day,
                np.stack([b.values for b in members]),
                np.stack([b.quality for b in members]),
            )
    for cid, day in newest.items():
        digests.advance(digests.rows([cid]), day)  # as_of = the newest block's day even if it holds no slot
    digests.dirty[digests.rows(newest)] = True


def write_blocks(
    conn: Connection,
    blocks: Sequence[NewBlock],
    *,
    digests: DigestCache | None = None,
    intervals: Mapping[int, int] | None = None,
    now: datetime | None = None,
) -> None:
    """Append block versions (:func:`meterhub.store.blocks.insert_blocks`) and bring the channels' digests in step,
    in the caller's transaction. A ``digests`` cache given is used, extended and updated in place (and saved);
    ``intervals`` (``{channel_id: interval_s}``) saves a look-up of the channels' interval lengths."""
    if not blocks:
        return
    cache = DigestCache() if digests is None else digests
    wanted = {nb.channel_id for nb in blocks if nb.channel_id not in cache}
    if wanted:
        known = {c: intervals[c] for c in wanted if intervals is not None and c in intervals}
        if wanted - known.keys():
            known.update(channel_intervals(conn, sorted(wanted - known.keys())))
        cache.ensure(conn, {c: known[c] for c in wanted if c in known}, lock=True)
    insert_blocks(conn, blocks, now=now)
    cache.apply_blocks(blocks)
    cache.save(conn)


def rebuild(conn: Connection, intervals: Mapping[int, int]) -> DigestCache:
    """Digests of the channels built from their current blocks alone (ignoring stored ones): a check of the
    stored digests, and the way a channel without one gets its own."""
    cache = DigestCache()
    by_s: dict[int, list[int]] = {}
    for cid, s in sorted(intervals.items()):
        by_s.setdefault(s, []).append(cid)
    for s, ids in by_s.items():
        fresh = Digests(s, ids)
        _rebuild_into(conn, fresh, ids)
        cache.by_interval[s] = fresh
        cache._interval_of.update(dict.fromkeys(ids, s))
    return cache


def load(conn: Connection, intervals: Mapping[int, int]) -> DigestCache:
    """The digests of the channels ``{channel_id: interval_s}`` (stored ones; missing or unreadable ones
    rebuilt from the blocks)."""
    cache = DigestCache()
    cache.ensure(conn, intervals)
    return cache


__all__ = [
    "RING",
    "DigestCache",
    "DigestConflict",
    "DigestRow",
    "Digests",
    "Window",
    "load",
    "rebuild",
    "write_blocks",
]
