"""Local-day slot arithmetic (Europe/Luxembourg DST) and the packed block formats."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meterhub.store.intervals import (
    PackError,
    local_day_slots,
    pack_quality,
    pack_values,
    slot_index,
    slot_start_utc,
    unpack_quality,
    unpack_values,
)

SPRING = date(2026, 3, 29)
AUTUMN = date(2026, 10, 25)


@pytest.mark.parametrize(
    ("day", "interval_s", "slots"),
    [
        (date(2026, 3, 28), 900, 96),
        (SPRING, 900, 92),
        (AUTUMN, 900, 100),
        (SPRING, 3600, 23),
        (AUTUMN, 3600, 25),
        (date(2026, 6, 1), 3600, 24),
    ],
)
def test_local_day_slots(day: date, interval_s: int, slots: int) -> None:
    assert local_day_slots(day, interval_s) == slots


def test_slot_start_and_index_round_trip_over_dst() -> None:
    for day in (SPRING, AUTUMN, date(2026, 1, 15)):
        for interval_s in (900, 3600):
            n = local_day_slots(day, interval_s)
            starts = [slot_start_utc(day, i, interval_s) for i in range(n)]
            assert all((b - a).total_seconds() == interval_s for a, b in itertools.pairwise(starts))
            assert [slot_index(s, interval_s) for s in starts] == [(day, i) for i in range(n)]
    # spring: local midnight is 23:00Z the day before, the day ends at 22:00Z
    assert slot_start_utc(SPRING, 0, 900) == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert slot_start_utc(SPRING, 91, 900) == datetime(2026, 3, 29, 21, 45, tzinfo=UTC)
    assert slot_start_utc(AUTUMN, 99, 900) == datetime(2026, 10, 25, 22, 45, tzinfo=UTC)
    with pytest.raises(IndexError):
        slot_start_utc(SPRING, 92, 900)


def test_slot_index_refuses_naive_and_misaligned() -> None:
    with pytest.raises(ValueError, match="naive"):
        slot_index(datetime(2026, 1, 1), 900)
    with pytest.raises(ValueError, match="aligned"):
        slot_index(datetime(2026, 1, 1, 0, 5, tzinfo=UTC), 900)


def household_profile(rng: np.random.Generator, slots: int = 96) -> npt.NDArray[np.int64]:
    """A plausible household A+ day in Wh per quarter-hour: base load, morning and evening peaks, noise."""
    h = np.arange(slots) / 4
    shape = 40 + 120 * np.exp(-((h - 7.5) ** 2) / 2) + 260 * np.exp(-((h - 19) ** 2) / 4)
    out: npt.NDArray[np.int64] = np.maximum(0, rng.normal(shape, 25)).astype(np.int64)
    return out


def test_pack_is_compact_on_a_realistic_profile() -> None:
    rng = np.random.default_rng(7)
    days = 365
    total = 0
    for _ in range(days):
        v = household_profile(rng)
        q = np.full(96, 1, np.uint8)
        total += len(pack_values(v)) + len(pack_quality(q))
    per_value = total / (days * 96)
    zero_day = len(pack_values(np.zeros(96, np.int64))) + len(pack_quality(np.ones(96, np.uint8)))
    print(f"\npacked household A+ profile: {per_value:.3f} bytes/value incl. quality; all-zero day: {zero_day} bytes")
    assert per_value <= 2.0
    assert zero_day <= 16


@settings(max_examples=300)
@given(st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), max_size=120))
def test_values_round_trip(values: list[int]) -> None:
    v = np.array(values, dtype=np.int64)
    assert np.array_equal(unpack_values(pack_values(v), len(values)), v)


@settings(max_examples=300)
@given(st.lists(st.integers(min_value=0, max_value=5000), min_size=1, max_size=100))
def test_small_values_round_trip(values: list[int]) -> None:
    v = np.array(values, dtype=np.int64)
    assert np.array_equal(unpack_values(pack_values(v), len(values)), v)


@settings(max_examples=300)
@given(st.lists(st.integers(min_value=0, max_value=255), max_size=700))
def test_quality_round_trip(codes: list[int]) -> None:
    q = np.array(codes, dtype=np.uint8)
    assert np.array_equal(unpack_quality(pack_quality(q), len(codes)), q)


def test_unpack_refuses_wrong_slot_count_and_garbage() -> None:
    blob = pack_values(np.arange(96, dtype=np.int64))
    with pytest.raises(PackError):
        unpack_values(blob, 95)
    with pytest.raises(PackError):
        unpack_values(b"", 0)
    with pytest.raises(PackError):
        unpack_values(b"\x81\x00\x01", 2)  # zlib flag on a non-zlib payload
    with pytest.raises(PackError):
        unpack_values(b"\x00\x80", 1)  # unterminated varint
    with pytest.raises(PackError):
        unpack_quality(pack_quality(np.ones(96, np.uint8)), 92)
    with pytest.raises(PackError):
        unpack_quality(b"\x01\x01\x00", 0)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(st.integers(-(2**63), 2**63 - 1) | st.integers(0, 500), min_size=0, max_size=100), max_size=12),
)
def test_unpack_values_many_equals_one_by_one(days: list[list[int]]) -> None:
    from meterhub.store.intervals import pack_values_many, unpack_values_many

    arrays = [np.array(d, dtype=np.int64) for d in days]
    blobs = pack_values_many(arrays)
    got = unpack_values_many(blobs, [a.size for a in arrays])
    assert len(got) == len(arrays)
    for g, a in zip(got, arrays, strict=True):
        assert g.dtype == np.int64 and np.array_equal(g, a)


def test_unpack_many_rejects_what_unpack_rejects() -> None:
    from meterhub.store.intervals import PackError, pack_values, unpack_quality_many, unpack_values_many

    good = pack_values(np.random.default_rng(1).integers(0, 100_000, 96))
    assert good[0] == 0  # plain, not compressed: every corruption below is visible
    for bad, slots in ((good, 95), (good[:-1], 96), (b"", 96), (b"\x07" + good[1:], 96), (good + b"\x01", 96)):
        with pytest.raises(PackError):
            unpack_values_many([good, bad], [96, slots])
    q = unpack_quality_many([b"\x01\x01\x60", b"\x01\x01\x60"], [96, 96])
    q[0][0] = 9  # each block's quality is its own array
    assert q[1][0] == 1
    with pytest.raises(PackError):
        unpack_quality_many([b"\x01\x01\x60"], [95])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([0, 23, 92, 96, 100, 300]), st.integers(0, 255), st.integers(0, 3)),
        min_size=0,
        max_size=12,
    )
)
def test_pack_quality_many_equals_one_by_one(days: list[tuple[int, int, int]]) -> None:
    from meterhub.store.intervals import pack_quality_many

    blocks = []
    for n, code, breaks in days:
        q = np.full(n, code, np.uint8)
        for k in range(breaks if n else 0):
            q[(k * 7) % n] = (code + k + 1) % 256
        blocks.append(q)
    assert pack_quality_many(blocks) == [pack_quality(q) for q in blocks]
