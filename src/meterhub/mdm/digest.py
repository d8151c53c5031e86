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
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa

from meterhub.store import db
from meterhub.store import schema as t
from meterhub.store.intervals import Int64Array, UInt8Array, local_day_slots, wall_slots

RING = 32
"""Days a digest holds: the 28 days of history before a day, for any day from ``as_of − 3`` on."""

_FORMAT = 1
_HEADER = struct.Struct("<BHH")  # format, wall slots per day, ring days
_NO_VALUE = -1
# quality codes (low three bits; meterhub.mdm.quality) as plain ints for the hot paths
_MISSING, _MEASURED, _VALIDATED, _EDITED = 0, 1, 2, 4

BoolArray = npt.NDArray[np.bool_]
I16Array = npt.NDArray[np.int16]


class DigestError(ValueError):
    """A stored digest that cannot be read (it is rebuilt from the blocks instead)."""


@dataclass
class Digest:
    """One channel's digest (see the module docstring); row ``RING − 1`` is ``as_of``, row 0 ``as_of − 31``."""

    channel_id: int
    interval_s: int
    as_of: date | None
    kept: BoolArray  # (RING, W)
    nonzero: BoolArray  # (RING, W)
    day_max: Int64Array  # (RING,)
    slots: I16Array  # (RING,)
    head: I16Array  # (RING,)
    tail: I16Array  # (RING,)

    @classmethod
    def empty(cls, channel_id: int, interval_s: int) -> Digest:
        width = 86_400 // interval_s
        return cls(
            channel_id,
            interval_s,
            None,
            np.zeros((RING, width), dtype=bool),
            np.zeros((RING, width), dtype=bool),
            np.full(RING, _NO_VALUE, dtype=np.int64),
            np.zeros(RING, dtype=np.int16),
            np.zeros(RING, dtype=np.int16),
            np.zeros(RING, dtype=np.int16),
        )

    @property
    def width(self) -> int:
        return int(self.kept.shape[1])

    def index(self, day: date) -> int | None:
        """Ring row of ``day``, or None when it lies outside the ring (before it, or after ``as_of``)."""
        if self.as_of is None:
            return None
        i = RING - 1 - (self.as_of - day).days
        return i if 0 <= i < RING else None

    def _advance(self, day: date) -> None:
        """Make ``day`` the newest day (rows of the days in between are empty: no block exists for them)."""
        if self.as_of is None:
            self.as_of = day
            return
        k = (day - self.as_of).days
        if k <= 0:
            return
        for a in (self.kept, self.nonzero, self.day_max, self.slots, self.head, self.tail):
            if k < RING:
                a[:-k] = a[k:]
            a[-k:] = _NO_VALUE if a is self.day_max else 0
        self.as_of = day

    def apply(self, day: date, values: Int64Array, quality: UInt8Array) -> None:
        """Take the current block of ``day`` (a newer day moves the ring on; a day before the ring is ignored)."""
        self._advance(day)
        i = self.index(day)
        if i is None:
            return
        self.kept[i] = False
        self.nonzero[i] = False
        self.day_max[i] = _NO_VALUE
        self.slots[i] = self.head[i] = self.tail[i] = 0
        n = int(values.size)
        if n != local_day_slots(day, self.interval_s):
            return  # a block of the wrong DST length: validation treats the day as missing
        code = quality & np.uint8(0x07)
        present = code != _MISSING
        kept = present & ((code == _MEASURED) | (code == _VALIDATED) | (code == _EDITED)) & (values >= 0)
        idx = np.flatnonzero(kept)
        if idx.size:
            wall = wall_slots(day, self.interval_s)[idx]
            row = np.full(self.width, _NO_VALUE, dtype=np.int64)
            row[wall] = values[idx]  # the later of two 02:xx slots of the fall-back day wins, as in vee.history
            self.kept[i, wall] = True
            self.nonzero[i] = self.kept[i] & (row > 0)
            self.day_max[i] = int(row.max())
        zeros = present & (values == 0)
        self.slots[i] = n
        self.head[i] = n if zeros.all() else int(np.argmin(zeros))
        self.tail[i] = n if zeros.all() else int(np.argmin(zeros[::-1]))

    def zeros_before(self, day: date, enough: int) -> int:
        """Length of the run of present zeros that ends just before ``day``, counted up to ``enough`` at least;
        −1 when the run goes back beyond the ring before reaching ``enough`` (unknown)."""
        total = 0
        d = day - timedelta(days=1)
        while True:
            i = self.index(d)
            if i is None:
                # after as_of there is no block (the run ends); before the ring it may go on
                return -1 if self.as_of is not None and d < self.as_of and total > 0 else total
            if self.slots[i] == 0:
                return total
            total += int(self.tail[i])
            if self.tail[i] < self.slots[i] or total >= enough:
                return total
            d -= timedelta(days=1)

    def zeros_after(self, day: date) -> int:
        """Length of the run of present zeros that starts just after ``day`` (days after ``as_of`` hold none)."""
        total = 0
        d = day + timedelta(days=1)
        while (i := self.index(d)) is not None and self.slots[i] > 0:
            total += int(self.head[i])
            if self.head[i] < self.slots[i]:
                break
            d += timedelta(days=1)
        return total

    def window(self, day: date, days: int) -> tuple[BoolArray, BoolArray, Int64Array] | None:
        """``(kept, nonzero, day_max)`` of the ``days`` days before ``day``, oldest first, or None when some of
        them are older than the ring."""
        if self.as_of is None:
            return (
                np.zeros((days, self.width), bool),
                np.zeros((days, self.width), bool),
                np.full(days, _NO_VALUE, np.int64),
            )
        first = RING - 1 - (self.as_of - (day - timedelta(days=days))).days  # ring row of day − days
        if first < 0:
            return None
        stop = min(first + days, RING)
        pad = first + days - stop  # days after as_of: no block
        kept, nonzero, day_max = self.kept[first:stop], self.nonzero[first:stop], self.day_max[first:stop]
        if pad:
            kept = np.concatenate((kept, np.zeros((pad, self.width), bool)))
            nonzero = np.concatenate((nonzero, np.zeros((pad, self.width), bool)))
            day_max = np.concatenate((day_max, np.full(pad, _NO_VALUE, np.int64)))
        return kept, nonzero, day_max

    # ---- storage format

    def pack(self) -> bytes:
        return b"".join(
            (
                _HEADER.pack(_FORMAT, self.width, RING),
                self.slots.astype("<i2").tobytes(),
                self.head.astype("<i2").tobytes(),
                self.tail.astype("<i2").tobytes(),
                self.day_max.astype("<i8").tobytes(),
                np.packbits(self.kept).tobytes(),
                np.packbits(self.nonzero).tobytes(),
            )
        )

    @classmethod
    def unpack(cls, channel_id: int, interval_s: int, as_of: date, data: bytes) -> Digest:
        try:
            fmt, width, ring = _HEADER.unpack_from(data)
        except struct.error:
            raise DigestError(f"digest of channel {channel_id}: truncated header") from None
        bits = (ring * width + 7) // 8
        size = _HEADER.size + ring * (3 * 2 + 8) + 2 * bits
        if fmt != _FORMAT or ring != RING or width != 86_400 // interval_s or len(data) != size:
            raise DigestError(f"digest of channel {channel_id}: format {fmt}, {width}×{ring}, {len(data)} bytes")
        pos = _HEADER.size
        arrays: list[npt.NDArray[np.generic]] = []
        for dtype, count in (("<i2", ring), ("<i2", ring), ("<i2", ring), ("<i8", ring)):
            arrays.append(np.frombuffer(data, dtype=dtype, count=count, offset=pos).copy())
            pos += count * np.dtype(dtype).itemsize
        kept = np.unpackbits(np.frombuffer(data, np.uint8, bits, pos), count=ring * width).astype(bool)
        nonzero = np.unpackbits(np.frombuffer(data, np.uint8, bits, pos + bits), count=ring * width).astype(bool)
        return cls(
            channel_id,
            interval_s,
            as_of,
            kept.reshape(ring, width),
            nonzero.reshape(ring, width),
            arrays[3].astype(np.int64),
            arrays[0].astype(np.int16),
            arrays[1].astype(np.int16),
            arrays[2].astype(np.int16),
        )


# --------------------------------------------------------------------------------------------- persistence

_STAGING = "mh_vee_digest_staging"


def load(conn: sa.Connection, intervals: Mapping[int, int]) -> dict[int, Digest]:
    """The digests of the channels ``intervals`` names (``{channel_id: interval_s}``): stored ones, and the
    missing or unreadable ones rebuilt from the channels' current blocks."""
    d = t.vee_digest
    out: dict[int, Digest] = {}
    ids = sorted(intervals)
    for among in db.id_filters(conn, d.c.channel_id, ids):
        for row in conn.execute(sa.select(d.c.channel_id, d.c.as_of, d.c.data).where(among)):
            cid = int(row.channel_id)
            try:
                out[cid] = Digest.unpack(cid, intervals[cid], row.as_of, bytes(row.data))
            except DigestError:
                continue  # rebuilt below
    missing = [c for c in ids if c not in out]
    if missing:
        out.update(rebuild(conn, {c: intervals[c] for c in missing}))
    return out


def rebuild(conn: sa.Connection, intervals: Mapping[int, int]) -> dict[int, Digest]:
    """Digests built from the current blocks of each channel's newest :data:`RING` days."""
    out = {cid: Digest.empty(cid, s) for cid, s in intervals.items()}
    newest = db.newest_block_days(conn, list(intervals))
    if not newest:
        return out
    lo = min(newest.values()) - timedelta(days=RING - 1)
    for b in db.current_blocks(conn, list(newest), lo, max(newest.values())):
        if b.local_day > newest[b.channel_id] - timedelta(days=RING):
            out[b.channel_id].apply(b.local_day, b.values, b.quality)
    for cid, day in newest.items():
        out[cid]._advance(day)  # as_of = the newest block's day even if it holds no slot
    return out


def save(conn: sa.Connection, digests: Iterable[Digest]) -> None:
    """Upsert digests (SQLite: one executemany; PostgreSQL: binary COPY into a staging table, then one
    insert … on conflict update)."""
    rows = [(dg.channel_id, dg.as_of, dg.pack()) for dg in digests if dg.as_of is not None]
    if not rows:
        return
    name = t.vee_digest.name
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {_STAGING} (LIKE {name}) ON COMMIT DELETE ROWS")
        db.copy_rows(conn, _STAGING, ("channel_id", "as_of", "data"), ("int4", "date", "bytea"), rows)
        conn.exec_driver_sql(
            f"WITH staged AS (DELETE FROM {_STAGING} RETURNING *) INSERT INTO {name} (channel_id, as_of, data) "
            "SELECT channel_id, as_of, data FROM staged "
            "ON CONFLICT (channel_id) DO UPDATE SET as_of = EXCLUDED.as_of, data = EXCLUDED.data"
        )
        return
    conn.exec_driver_sql(
        f"INSERT INTO {name} (channel_id, as_of, data) VALUES (?, ?, ?) "
        "ON CONFLICT (channel_id) DO UPDATE SET as_of = excluded.as_of, data = excluded.data",
        [(cid, day.isoformat(), data) for cid, day, data in rows],
    )


def write_blocks(
    conn: sa.Connection,
    blocks: Sequence[db.NewBlock],
    *,
    digests: dict[int, Digest] | None = None,
    intervals: Mapping[int, int] | None = None,
    now: datetime | None = None,
) -> dict[int, Digest]:
    """Append block versions (:func:`meterhub.store.db.insert_blocks`) and bring the channels' digests in step,
    in the caller's transaction. ``digests`` already loaded for (some of) the channels are used and updated in
    place; the others are loaded. Returns the digests of the blocks' channels."""
    if not blocks:
        return {} if digests is None else digests
    digests = {} if digests is None else digests
    wanted = {nb.channel_id for nb in blocks} - digests.keys()
    if wanted:
        known = dict(intervals or {})
        if wanted - known.keys():
            known.update(db.channel_intervals(conn, sorted(wanted - known.keys())))
        digests.update(load(conn, {c: known[c] for c in wanted if c in known}))
    db.insert_blocks(conn, blocks, now=now)
    touched: dict[int, Digest] = {}
    for nb in sorted(blocks, key=lambda b: (b.local_day, b.version)):
        dg = digests[nb.channel_id]
        dg.apply(nb.local_day, nb.values, nb.quality)
        touched[nb.channel_id] = dg
    save(conn, touched.values())
    return digests


__all__ = ["RING", "Digest", "DigestError", "load", "rebuild", "save", "write_blocks"]
