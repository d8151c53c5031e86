"""VEE at ingest: the screen + digest path ends exactly where plain ingest followed by the full VEE service does.

Simulated households (A+, A−, R+, R− of the simulator's models: PV exporters with long zero runs on A−, mostly
zero R−) are read day by day over six weeks across the autumn DST change, with injected faults (gaps, spikes,
negative jumps, a stuck register, a vacation of zeros across midnight). Path A ingests each day with VEE at
ingest; path B ingests plainly and then runs :meth:`VeeService.run` on that single day. The current blocks of
every channel and day must be identical (values and qualities), while A writes one version for the days the
screen clears instead of two.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from meterhub.mdm.digest import Digests, load, rebuild
from meterhub.mdm.ingest import IngestService, ReadingArrays
from meterhub.mdm.quality import Quality, codes
from meterhub.mdm.vee_service import VeeService
from meterhub.sim import consumption as c
from meterhub.store import Store
from meterhub.store.intervals import day_bounds_epoch, day_range
from tests.pg import BACKENDS, open_store

Q = 900
FIRST = date(2026, 9, 14)
LAST = date(2026, 10, 30)  # across the fall-back day 2026-10-25 (100 slots)
OBIS = ("1.0.1.8.0.255", "1.0.2.8.0.255", "1.0.3.8.0.255", "1.0.4.8.0.255")
METERS = 24


def _readings() -> dict[tuple[int, int], np.ndarray]:
    """Cumulative readings at every quarter-hour boundary of FIRST..LAST for (meter, channel), with faults."""
    t0 = day_bounds_epoch(FIRST)[0]
    n = (day_bounds_epoch(LAST)[1] - t0) // Q
    first = datetime.fromtimestamp(t0, UTC)
    out: dict[tuple[int, int], np.ndarray] = {}
    rng = np.random.default_rng(5)
    for m in range(METERS):
        model = c.ElectricityModel(c.HouseholdTraits.draw(3, f"VI{m:04d}"))
        cons = model.intervals(first, n).astype(np.int64)
        start = model.register(first).astype(np.int64)
        if m == 3:  # a vacation: no consumption at all for three days, across two midnights
            a = (day_bounds_epoch(date(2026, 10, 12))[0] - t0) // Q + 40
            cons[a : a + 3 * 96, :] = 0
        for ch in range(4):
            cum = start[ch] + np.concatenate(([0], np.cumsum(cons[:, ch])))
            out[(m, ch)] = cum
        if m % 5 == 1:  # a spike on A+ (register jumps and stays)
            k = int(rng.integers(96 * 30, n - 10))
            out[(m, 0)][k:] += 40_000
        if m % 5 == 2:  # a negative jump on A+
            k = int(rng.integers(96 * 30, n - 10))
            out[(m, 0)][k:] -= 2_000
        if m % 7 == 3:  # a stuck A+ register for 2 h, then the catch-up
            k = int(rng.integers(96 * 30, n - 20))
            out[(m, 0)][k : k + 8] = out[(m, 0)][k]
    return out


def _days_batches(readings: dict[tuple[int, int], np.ndarray], channels: dict[tuple[int, int], int], day: date):
    t0 = day_bounds_epoch(FIRST)[0]
    start, end = day_bounds_epoch(day)
    lo, hi = (start - t0) // Q, (end - t0) // Q
    epochs = np.arange(start, end + 1, Q, dtype=np.int64)
    batches = []
    for (m, ch), cum in readings.items():
        keep = np.ones(epochs.size, dtype=bool)
        if (m + day.toordinal()) % 9 == 0 and ch == 0:  # a gap of 1 … 12 h inside the day
            a = 1 + (m * 7 + day.day) % 40
            keep[a : a + 4 + (m * day.day) % 44] = False
        batches.append((channels[(m, ch)], ReadingArrays(epochs[keep], cum[lo : hi + 1][keep])))
    return batches


def _provision(store: Store) -> dict[tuple[int, int], int]:
    dso = store.add_dso("CREOS", "Creos")
    channels = {}
    for m in range(METERS):
        meter = store.add_meter(f"VI{m:04d}", dso, model="E360", firmware="1")
        for ch, obis in enumerate(OBIS):
            channels[(m, ch)] = store.add_channel(meter, obis, unit="Wh" if ch < 2 else "varh", interval_s=Q)
    return channels


@pytest.fixture(params=BACKENDS)
def two_stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    with open_store(request.param, tmp_path / "a") as a, open_store(request.param, tmp_path / "b") as b:
        yield a, b


def test_vee_at_ingest_equals_ingest_then_vee(two_stores: tuple[Store, Store]) -> None:
    store_a, store_b = two_stores
    readings = _readings()
    chan_a, chan_b = _provision(store_a), _provision(store_b)
    ingest_a = IngestService(store_a, vee=VeeService(store_a))
    ingest_b, vee_b = IngestService(store_b), VeeService(store_b)
    validated = sent = 0
    for day in day_range(FIRST, LAST):
        until = _after(day)
        result = ingest_a.ingest_many(_days_batches(readings, chan_a, day), "hes", until=until)
        validated += result.days_validated
        sent += result.days_sent
        ingest_b.ingest_many(_days_batches(readings, chan_b, day), "hes")
        vee_b.run(list(chan_b.values()), day, day, until=until)
    days = len(day_range(FIRST, LAST))
    assert validated + sent == METERS * 4 * days
    assert validated > 0.9 * METERS * 4 * days  # the screen clears most days …
    assert sent > METERS  # … and sends the faulty ones on
    blocks_a = {(b.channel_id, b.local_day): b for b in store_a.current_blocks(list(chan_a.values()), FIRST, LAST)}
    blocks_b = {(b.channel_id, b.local_day): b for b in store_b.current_blocks(list(chan_b.values()), FIRST, LAST)}
    rename = {chan_b[k]: chan_a[k] for k in chan_a}
    assert len(blocks_a) == len(blocks_b) == METERS * 4 * days
    differ = []
    for (cid, day), b in blocks_b.items():
        a = blocks_a[(rename[cid], day)]
        if not (np.array_equal(a.values, b.values) and np.array_equal(a.quality, b.quality)):
            differ.append((cid, day))
    assert differ == []
    estimated = sum(int((codes(b.quality) == Quality.ESTIMATED).sum()) for b in blocks_a.values())
    suspect_or_estimated = sum(
        int(np.isin(codes(b.quality), [Quality.ESTIMATED, Quality.SUSPECT]).any()) for b in blocks_a.values()
    )
    assert estimated > 0 and suspect_or_estimated >= sent // 2
    # the digests kept in step are the digests rebuilt from the blocks
    assert _digests_as_rebuilt(store_a, chan_a)


def _after(day: date) -> datetime:
    """When the daily read of ``day`` runs: 20 minutes after its end."""
    return datetime.fromtimestamp(day_bounds_epoch(day)[1], UTC) + timedelta(minutes=20)


def _digests_as_rebuilt(store: Store, channels: dict[tuple[int, int], int]) -> bool:
    """The digests kept in step by the writers equal the digests rebuilt from the blocks."""
    intervals = {cid: Q for cid in channels.values()}
    with store.read() as conn:
        stored, rebuilt = load(conn, intervals).of_interval(Q), rebuild(conn, intervals).of_interval(Q)
    ids = sorted(intervals)
    return _same(stored, stored.rows(ids), rebuilt, rebuilt.rows(ids))


def _same(a: Digests, ra: np.ndarray, b: Digests, rb: np.ndarray) -> bool:
    return all(
        np.array_equal(getattr(a, name)[ra], getattr(b, name)[rb])
        for name in ("as_of", "kept", "nonzero", "day_max", "slots", "head", "tail")
    )


def test_digest_round_trip_and_ring() -> None:
    dg = Digests(Q, [7, 8])
    rows = dg.rows([7, 8])
    day = date(2026, 10, 20)
    rng = np.random.default_rng(1)
    for k in range(40):
        d = day + timedelta(days=k)
        n = (day_bounds_epoch(d)[1] - day_bounds_epoch(d)[0]) // Q
        values = rng.integers(-1, 5, (2, n))
        quality = rng.choice(np.array([0, 1, 2, 3, 4, 5], np.uint8), (2, n))
        dg.apply(rows, d, values, quality)
    assert dg.as_of_day(7) == day + timedelta(days=39)
    again = Digests(Q, [7, 8])
    good = again.load_blobs(rows, [day + timedelta(days=39)] * 2, dg.blobs(rows))
    assert good.all() and _same(dg, rows, again, rows)
    assert not again.load_blobs(rows, [day] * 2, [b"", b"\x01junk"]).any()
    last = day + timedelta(days=39)
    assert dg.window(rows, last + timedelta(days=1), 28).ok.all()
    assert not dg.window(rows, last - timedelta(days=10), 28).ok.any()
    w = dg.window(rows, last + timedelta(days=3), 28)  # the two days after as_of hold no block
    kept, nonzero = dg.window_bits(rows, w, 28)
    assert w.ok.all() and not kept[:, -2:].any() and (w.day_max[:, -2:] == -1).all()
    assert kept[:, :-2].any() and not (nonzero & ~kept).any()


@pytest.fixture(params=BACKENDS)
def one_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with open_store(request.param, tmp_path) as s:
        yield s


def test_a_write_between_plan_and_commit_makes_the_ingest_plan_again(
    one_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ingest plans from a snapshot; an edit of one of its channels committed before the ingest's write
    transaction changes that channel's digest seq, so the ingest plans again under its lock: the edit is kept
    (an edited slot outlives a re-read) and the digests equal those rebuilt from the blocks."""
    from meterhub.mdm.edits import edit_intervals

    store = one_store
    readings = _readings()
    channels = _provision(store)
    ingest = IngestService(store, vee=VeeService(store))
    days = day_range(FIRST, FIRST + timedelta(days=30))
    for day in days[:-1]:
        ingest.ingest_many(_days_batches(readings, channels, day), "hes", until=_after(day))
    day = days[-1]
    target = channels[(0, 0)]
    slot_start = datetime.fromtimestamp(day_bounds_epoch(day)[0], UTC) + timedelta(hours=12)
    plans: list[bool] = []
    original = IngestService._plan

    def plan(self: IngestService, conn, prepared, intervals, until, *, lock: bool):  # type: ignore[no-untyped-def]
        plans.append(lock)
        out = original(self, conn, prepared, intervals, until, lock=lock)
        if len(plans) == 1:  # a concurrent writer commits between the snapshot and the write transaction
            edit_intervals(store, target, {slot_start: 4321}, user="op", reason="meter exchange")
        return out

    monkeypatch.setattr(IngestService, "_plan", plan)
    until = _after(day)
    ingest.ingest_many(_days_batches(readings, channels, day), "hes", until=until)
    assert plans == [False, True]
    block = store.current_blocks([target], day, day)[0]
    slot = (int(slot_start.timestamp()) - day_bounds_epoch(day)[0]) // Q
    assert block.values[slot] == 4321 and codes(block.quality)[slot] == Quality.EDITED
    assert block.version >= 2
    assert _digests_as_rebuilt(store, channels)


def test_another_ingest_of_the_same_channels_between_plan_and_commit(
    one_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two writers of the same channels, different days: the second commits between the first one's plan and
    its write. No block version clashes, but every digest's seq moved on, so the first writer's digests are not
    written over the second's: it plans again under the lock, and the digests equal a rebuild from the blocks."""
    store = one_store
    readings = _readings()
    channels = _provision(store)
    ingest = IngestService(store, vee=VeeService(store))
    days = day_range(FIRST, FIRST + timedelta(days=31))
    for day in days[:-2]:
        ingest.ingest_many(_days_batches(readings, channels, day), "hes", until=_after(day))
    late, last = days[-2], days[-1]
    plans: list[bool] = []
    original = IngestService._plan
    other = IngestService(store, vee=VeeService(store))

    def plan(self: IngestService, conn, prepared, intervals, until, *, lock: bool):  # type: ignore[no-untyped-def]
        if self is ingest:
            plans.append(lock)
        out = original(self, conn, prepared, intervals, until, lock=lock)
        if self is ingest and len(plans) == 1:  # the other writer reads the next day in the meantime
            other.ingest_many(_days_batches(readings, channels, last), "hes", until=_after(last))
        return out

    monkeypatch.setattr(IngestService, "_plan", plan)
    until = _after(late)
    result = ingest.ingest_many(_days_batches(readings, channels, late), "hes", until=until)
    assert plans == [False, True] and result.replanned == 1
    assert len(store.current_blocks(list(channels.values()), late, last)) == 2 * len(channels)
    assert _digests_as_rebuilt(store, channels)
