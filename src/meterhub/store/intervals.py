"""Interval blocks: local-day slot arithmetic and the packed formats of the ``values`` and ``quality`` columns.

One ``interval_block`` row holds one channel's slots for one Europe/Luxembourg calendar day (DESIGN §3, §7):
96 quarter-hours on an ordinary day, 92 on the spring-forward day and 100 on the fall-back day (24/23/25 for
hourly channels). Slot ``i`` of a day covers ``[day_start_utc + i·interval_s, … + interval_s)``. Luxembourg
midnight is always a whole UTC hour (offset +1 h or +2 h), so slot boundaries of any interval dividing an hour
are aligned to UTC epoch multiples of ``interval_s``.

``values`` format (one header byte, then the payload)::

    header bits 0-1  transform: 0 = the values themselves, 1 = first differences (v[0], v[1]-v[0], …)
    header bit 7     payload is zlib-compressed (raw deflate stream with zlib header)
    payload          one unsigned LEB128 varint per slot of the zig-zag-mapped int64 (two's-complement wrap)

The packer computes both transforms and keeps the shorter, then keeps zlib only if it shrinks the payload.
A household's 15-minute Wh deltas (tens to a few hundred Wh) take 1–2 bytes each; export channels that are
mostly zero compress to a few bytes per day. ``quality`` format: header byte 1, then run-length pairs
``(code, run)`` with ``1 ≤ run ≤ 255`` — a fully measured day is 3 bytes.

This module is pure (numpy + zoneinfo), imports nothing of meterhub and is shared by store and mdm.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from meterhub.country import LOCAL_TZ as LOCAL_TZ  # the calendar of daily blocks and billing days (DESIGN §7)

Int64Array = npt.NDArray[np.int64]
UInt8Array = npt.NDArray[np.uint8]

_TRANSFORM_PLAIN = 0
_TRANSFORM_DIFF = 1
_ZLIB = 0x80
_QUALITY_RLE = 1
_MAX_VARINT = 10  # 64 bits / 7 bits per group, rounded up


class PackError(ValueError):
    """A packed ``values`` or ``quality`` blob is malformed or does not hold the expected number of slots."""


# --------------------------------------------------------------------------------------------- slot arithmetic


def _check_interval(interval_s: int) -> None:
    if interval_s <= 0 or 3600 % interval_s != 0:
        raise ValueError(f"interval_s must divide one hour, got {interval_s}")


@lru_cache(maxsize=8192)
def day_start_epoch(day: date) -> int:
    """UTC epoch seconds of local (Europe/Luxembourg) midnight starting ``day``."""
    return int(datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ).timestamp())


def day_bounds_epoch(day: date) -> tuple[int, int]:
    """``(start, end)`` UTC epoch seconds of the local day (end exclusive)."""
    return day_start_epoch(day), day_start_epoch(day + timedelta(days=1))


def local_day_slots(day: date, interval_s: int) -> int:
    """Number of slots of the local day: 92/96/100 for 900 s, 23/24/25 for 3600 s."""
    _check_interval(interval_s)
    start, end = day_bounds_epoch(day)
    return (end - start) // interval_s


def slot_start_utc(day: date, index: int, interval_s: int) -> datetime:
    """Aware UTC start of slot ``index`` of the local ``day``."""
    slots = local_day_slots(day, interval_s)
    if not 0 <= index < slots:
        raise IndexError(f"slot {index} outside 0..{slots - 1} of {day}")
    return datetime.fromtimestamp(day_start_epoch(day) + index * interval_s, UTC)


@lru_cache(maxsize=65536)
def local_day_of_epoch(t: int) -> date:
    """Local calendar day containing the instant ``t`` (UTC epoch seconds). Cached: ingest asks it for the same
    window bounds once per channel of a batch."""
    return datetime.fromtimestamp(t, LOCAL_TZ).date()


def to_epoch(t: datetime) -> int:
    """Whole UTC epoch seconds of an aware datetime (naive datetimes are refused: times are UTC inside)."""
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"naive datetime {t!r}: meterhub keeps timezone-aware UTC times")
    return int(t.timestamp())


def from_epoch(t: int) -> datetime:
    """Aware UTC datetime of epoch seconds."""
    return datetime.fromtimestamp(t, UTC)


def slot_index(t_utc: datetime, interval_s: int) -> tuple[date, int]:
    """``(local_day, index)`` of the slot *starting* at ``t_utc`` (which must be aligned to ``interval_s``)."""
    _check_interval(interval_s)
    t = to_epoch(t_utc)
    if t % interval_s:
        raise ValueError(f"{t_utc.isoformat()} is not aligned to {interval_s} s")
    day = local_day_of_epoch(t)
    return day, (t - day_start_epoch(day)) // interval_s


def day_range(day_from: date, day_to: date) -> list[date]:
    """Every day from ``day_from`` to ``day_to`` inclusive."""
    return [day_from + timedelta(days=i) for i in range((day_to - day_from).days + 1)]


@lru_cache(maxsize=4096)
def wall_slots(day: date, interval_s: int) -> npt.NDArray[np.int16]:
    """The *wall-clock* slot of each slot of the local ``day`` (read-only, cached): slot ``i`` starting at local
    hh:mm has wall slot ``(hh·3600 + mm·60) // interval_s``, so 02:15 of the fall-back day lines up with 02:15 of
    any other day (its two 02:xx hours share wall slots) and a spring-forward day simply has no 02:xx."""
    _check_interval(interval_s)
    start, end = day_bounds_epoch(day)
    n = (end - start) // interval_s
    if n * interval_s == 86_400:
        out = np.arange(n, dtype=np.int16)
    else:
        out = np.empty(n, dtype=np.int16)
        for i in range(n):
            t = datetime.fromtimestamp(start + i * interval_s, LOCAL_TZ)
            out[i] = (t.hour * 3600 + t.minute * 60) // interval_s
    out.flags.writeable = False
    return out


# --------------------------------------------------------------------------------------------- varint coding


def _zigzag(v: Int64Array) -> npt.NDArray[np.uint64]:
    return ((v << 1) ^ (v >> 63)).view(np.uint64)


def _unzigzag(u: npt.NDArray[np.uint64]) -> Int64Array:
    return ((u >> np.uint64(1)) ^ (np.uint64(0) - (u & np.uint64(1)))).view(np.int64)


_SHIFTS = (np.arange(_MAX_VARINT, dtype=np.uint64) * np.uint64(7))[None, :]
_GROUP = np.arange(_MAX_VARINT)[None, :]


#: Smallest value needing k + 2 groups of 7 bits, for k = 0 … 8 (counting groups with one searchsorted).
_THRESHOLDS = np.array([1 << (7 * k) for k in range(1, _MAX_VARINT)], dtype=np.uint64)


def _varint_encode(u: npt.NDArray[np.uint64]) -> bytes:
    if u.size == 0:
        return b""
    n = np.searchsorted(_THRESHOLDS, u, side="right") + 1  # 7-bit groups per value
    width = int(n.max())
    groups = ((u[:, None] >> _SHIFTS[:, :width]) & np.uint64(0x7F)).astype(np.uint8)
    groups[(n[:, None] - 1) > _GROUP[:, :width]] |= 0x80
    return groups[n[:, None] > _GROUP[:, :width]].tobytes()


def _varint_decode(payload: bytes, count: int) -> npt.NDArray[np.uint64]:
    b = np.frombuffer(payload, dtype=np.uint8)
    if count == 0:
        if b.size:
            raise PackError("trailing bytes after 0 values")
        return np.zeros(0, dtype=np.uint64)
    ends = np.flatnonzero((b & 0x80) == 0)
    if ends.size != count or ends[-1] != b.size - 1:
        raise PackError(f"expected {count} varints, found {ends.size} (or an unterminated one)")
    starts = np.empty(count, dtype=np.int64)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    lengths = ends - starts + 1
    if int(lengths.max()) > _MAX_VARINT:
        raise PackError("varint longer than 10 bytes")
    pos = np.arange(b.size, dtype=np.int64) - np.repeat(starts, lengths)
    contrib = (b & 0x7F).astype(np.uint64) << (pos.astype(np.uint64) * np.uint64(7))
    out: npt.NDArray[np.uint64] = np.bitwise_or.reduceat(contrib, starts)
    return out


# --------------------------------------------------------------------------------------------- values / quality


def pack_values(values: npt.ArrayLike) -> bytes:
    """Pack a day's int64 slot values (see the module docstring for the format)."""
    return pack_values_many([np.ascontiguousarray(values, dtype=np.int64)])[0]


def pack_values_many(blocks: Sequence[Int64Array]) -> list[bytes]:
    """:func:`pack_values` of many days at once: days of equal length are transformed and varint-coded as
    one matrix (numpy's per-call overhead paid once per batch, not per day), then split per day."""
    out: list[bytes] = [b""] * len(blocks)
    by_size: dict[int, list[int]] = {}
    for i, b in enumerate(blocks):
        by_size.setdefault(int(np.asarray(b).size), []).append(i)
    for size, indexes in by_size.items():
        if size == 0:
            for i in indexes:
                out[i] = bytes((_TRANSFORM_PLAIN,))
            continue
        v = np.stack([np.asarray(blocks[i], dtype=np.int64) for i in indexes])
        plain_u = _zigzag(v)
        diff_u = _zigzag(np.diff(v, axis=1, prepend=np.int64(0)))
        plain_n = np.searchsorted(_THRESHOLDS, plain_u, side="right") + 1
        diff_n = np.searchsorted(_THRESHOLDS, diff_u, side="right") + 1
        use_diff = diff_n.sum(axis=1) < plain_n.sum(axis=1)  # the shorter form; plain on a tie
        chosen = np.where(use_diff[:, None], diff_u, plain_u)
        lengths = np.where(use_diff, diff_n.sum(axis=1), plain_n.sum(axis=1))
        payload = _varint_encode(chosen.reshape(-1))
        ends = np.cumsum(lengths).tolist()
        start = 0
        for row, i in enumerate(indexes):
            part = payload[start : ends[row]]
            start = ends[row]
            header = _TRANSFORM_DIFF if use_diff[row] else _TRANSFORM_PLAIN
            if len(part) > 16:
                packed = zlib.compress(part, 1)
                if len(packed) < len(part):
                    header, part = header | _ZLIB, packed
            out[i] = bytes((header,)) + part
    return out


def unpack_values(data: bytes, slots: int) -> Int64Array:
    """Inverse of :func:`pack_values`; raises :class:`PackError` unless exactly ``slots`` values are held."""
    if not data:
        raise PackError("empty values blob")
    header, payload = data[0], data[1:]
    if header & ~(_ZLIB | 0x03):
        raise PackError(f"unknown values header 0x{header:02x}")
    if header & _ZLIB:
        try:
            payload = zlib.decompress(payload)
        except zlib.error as exc:
            raise PackError(f"corrupt zlib payload: {exc}") from None
    v = _unzigzag(_varint_decode(payload, slots))
    transform = header & 0x03
    if transform == _TRANSFORM_DIFF:
        return np.cumsum(v, dtype=np.int64)
    if transform != _TRANSFORM_PLAIN:
        raise PackError(f"unknown transform {transform}")
    return v.copy()


def unpack_values_many(blobs: Sequence[bytes], slots: Sequence[int]) -> list[Int64Array]:
    """:func:`unpack_values` of many blocks at once (a query of 3 years of a channel decodes ~1100): the
    payloads (zlib ones decompressed) are varint-decoded as one array, the first-difference blocks summed
    with one cumulative sum, then split per block (each result a view of its own segment). A malformed blob
    raises :class:`PackError` exactly as :func:`unpack_values` would (the blocks are then decoded one by one
    to name the error)."""
    if len(blobs) != len(slots):
        raise ValueError("one slot count per blob")
    if not blobs:
        return []
    payloads: list[bytes] = []
    diff = np.zeros(len(blobs), dtype=bool)
    try:
        for i, data in enumerate(blobs):
            header = data[0]
            if header & ~(_ZLIB | 0x03) or header & 0x03 > _TRANSFORM_DIFF:
                raise PackError("header")
            payloads.append(zlib.decompress(data[1:]) if header & _ZLIB else data[1:])
            diff[i] = header & 0x03 == _TRANSFORM_DIFF
        counts = np.asarray(slots, dtype=np.int64)
        lengths = np.fromiter((len(p) for p in payloads), dtype=np.int64, count=len(payloads))
        joined = b"".join(payloads)
        b = np.frombuffer(joined, dtype=np.uint8)
        last = np.cumsum(lengths) - 1  # each payload's last byte must end a varint
        ends_mask = (b & 0x80) == 0
        nonempty = lengths > 0
        if (nonempty != (counts > 0)).any() or not ends_mask[last[nonempty]].all():
            raise PackError("payload")
        terminators = np.cumsum(ends_mask, dtype=np.int64)[last[nonempty]]
        per_block = np.diff(terminators, prepend=np.int64(0))
        if (per_block != counts[nonempty]).any():
            raise PackError("count")
        v = _unzigzag(_varint_decode(joined, int(counts.sum())))
    except (PackError, IndexError, zlib.error):
        return [unpack_values(data, n) for data, n in zip(blobs, slots, strict=True)]  # raises the precise error
    starts = np.cumsum(counts) - counts
    if diff.any():
        csum = np.cumsum(v, dtype=np.int64)
        base = np.where(starts > 0, csum[np.maximum(starts - 1, 0)], np.int64(0))
        with np.errstate(over="ignore"):
            summed = csum - np.repeat(base, counts)
        v = np.where(np.repeat(diff, counts), summed, v)
    return np.split(v, starts[1:].tolist())


def unpack_quality_many(blobs: Sequence[bytes], slots: Sequence[int]) -> list[UInt8Array]:
    """:func:`unpack_quality` of many blocks, each distinct (blob, slots) decoded once (most days share the
    3-byte "all measured" blob); every result is an array of its own."""
    seen: dict[tuple[bytes, int], UInt8Array] = {}
    out: list[UInt8Array] = []
    for data, n in zip(blobs, slots, strict=True):
        q = seen.get((data, n))
        if q is None:
            q = seen[(data, n)] = unpack_quality(data, n)
        out.append(q.copy())
    return out


def pack_quality(quality: npt.ArrayLike) -> bytes:
    """Run-length pack a day's uint8 quality codes: header 1, then ``(code, run)`` pairs, runs ≤ 255."""
    q = np.ascontiguousarray(quality, dtype=np.uint8)
    out = bytearray((_QUALITY_RLE,))
    if q.size == 0:
        return bytes(out)
    if q.size <= 255 and (q == q[0]).all():  # the common case: a whole day of one quality
        return bytes((_QUALITY_RLE, int(q[0]), q.size))
    change = np.flatnonzero(q[1:] != q[:-1]) + 1
    starts = np.concatenate(([0], change))
    runs = np.diff(np.concatenate((starts, [q.size])))
    for code, run in zip(q[starts].tolist(), runs.tolist(), strict=True):
        while run > 255:
            out += bytes((code, 255))
            run -= 255
        out += bytes((code, run))
    return bytes(out)


def pack_quality_many(blocks: Sequence[UInt8Array]) -> list[bytes]:
    """:func:`pack_quality` of many days: days of one quality throughout (nearly all of them) are recognised
    as one matrix per day length and share one 3-byte blob; the others are packed one by one."""
    out: list[bytes] = [b""] * len(blocks)
    by_size: dict[int, list[int]] = {}
    for i, b in enumerate(blocks):
        by_size.setdefault(int(b.size), []).append(i)
    for size, indexes in by_size.items():
        if size == 0 or size > 255:
            for i in indexes:
                out[i] = pack_quality(blocks[i])
            continue
        q = np.stack([np.asarray(blocks[i], dtype=np.uint8) for i in indexes])
        uniform = (q == q[:, :1]).all(axis=1)
        firsts = q[:, 0].tolist()
        for row, i in enumerate(indexes):
            out[i] = bytes((_QUALITY_RLE, firsts[row], size)) if uniform[row] else pack_quality(blocks[i])
    return out


def unpack_quality(data: bytes, slots: int) -> UInt8Array:
    """Inverse of :func:`pack_quality`; raises :class:`PackError` unless exactly ``slots`` codes are held."""
    if not data or data[0] != _QUALITY_RLE or len(data) % 2 != 1:
        raise PackError("malformed quality blob")
    pairs = np.frombuffer(data, dtype=np.uint8, offset=1).reshape(-1, 2)
    runs = pairs[:, 1].astype(np.int64)
    if (runs == 0).any() or int(runs.sum()) != slots:
        raise PackError(f"quality runs cover {int(runs.sum())} slots, expected {slots}")
    return np.repeat(pairs[:, 0], runs)
