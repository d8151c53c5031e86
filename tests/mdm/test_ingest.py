"""The ingest interface: readings → versioned interval blocks, idempotency, gaps, DST days, throughput.

Every test runs on SQLite and on PostgreSQL (the ``store``/``shared_store`` fixtures of ``conftest.py``)."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meterhub.mdm import IngestError, IngestService, Quality, day_totals
from meterhub.mdm.quality import SuspectRule, quality_code, quality_detail
from meterhub.store import Store, local_day_slots, slot_start_utc
from meterhub.store.intervals import day_start_epoch

SPRING = date(2026, 3, 29)
AUTUMN = date(2026, 10, 25)
Q = 900


_serial = iter(range(10**9))


def new_channel(store: Store, interval_s: int = Q) -> int:
    parties = store.list_parties("dso")
    dso = parties[0].id if parties else store.add_dso("creos", "Creos")
    meter = store.add_meter(f"M{next(_serial):08d}", dso, model="E360", firmware="1")
    return store.add_channel(meter, "1.0.1.8.0.255", unit="Wh", interval_s=interval_s)


def day_start(day: date) -> datetime:
    return datetime.fromtimestamp(day_start_epoch(day), UTC)


def series(
    start: datetime, n: int, interval_s: int = Q, first: int = 1_000_000, seed: int = 1
) -> list[tuple[datetime, int]]:
    """n cumulative readings from ``start`` (inclusive), increments 0..400."""
    rng = random.Random(seed)
    out, v = [], first
    for i in range(n):
        out.append((start + timedelta(seconds=i * interval_s), v))
        v += rng.randrange(0, 400)
    return out


def whole_day(day: date, interval_s: int = Q, seed: int = 1) -> list[tuple[datetime, int]]:
    """Readings at every slot boundary of the local day: slots + 1 readings (midnight to midnight)."""
    return series(day_start(day), local_day_slots(day, interval_s) + 1, interval_s, seed=seed)


@pytest.mark.parametrize(("day", "slots"), [(SPRING, 92), (AUTUMN, 100), (date(2026, 6, 10), 96)])
def test_dst_days_end_to_end(store: Store, day: date, slots: int) -> None:
    ch = new_channel(store)
    readings = whole_day(day)
    res = IngestService(store).ingest_profile(ch, readings, "hes")
    assert (res.days_touched, res.versions_written, res.measured_slots, res.suspect_slots) == (1, 1, slots, 0)
    [block] = store.current_blocks([ch], day - timedelta(days=1), day + timedelta(days=1))
    assert block.local_day == day and block.slots == slots and block.version == 1 and block.source == "hes"
    assert (block.quality == Quality.MEASURED).all()
    assert int(block.values.sum()) == readings[-1][1] - readings[0][1]
    assert block.values.tolist() == [b[1] - a[1] for a, b in itertools.pairwise(readings)]
    daily = store.register_reads(ch, kind="daily")
    assert [(r.read_at, r.value) for r in daily] == [
        (readings[0][0], readings[0][1]),
        (readings[-1][0], readings[-1][1]),
    ]
    assert res.daily_reads == 2


def test_hourly_channel_on_dst_day(store: Store) -> None:
    ch = new_channel(store, 3600)
    readings = whole_day(AUTUMN, 3600)
    IngestService(store).ingest_profile(ch, readings, "hes")
    [block] = store.current_blocks([ch], AUTUMN, AUTUMN)
    assert block.slots == 25 and (block.quality == Quality.MEASURED).all()


def test_reingest_is_idempotent(store: Store) -> None:
    ch = new_channel(store)
    svc = IngestService(store)
    readings = series(day_start(SPRING) - timedelta(hours=3), 150)
    first = svc.ingest_profile(ch, readings, "hes")
    assert first.versions_written == 3  # 21:00 local on the 28th + 37.25 h: three local days
    again = svc.ingest_profile(ch, readings, "hes")
    assert again.versions_written == 0 and again.days_touched == 3
    again = IngestService(store).ingest_profile(ch, list(reversed(readings[10:60])), "hes")  # a sub-window
    assert again.versions_written == 0
    assert [b.version for b in store.block_versions(ch, SPRING)] == [1]
    assert len(store.register_reads(ch, kind="daily")) == 2


def test_later_batch_filling_a_gap_writes_a_new_version(store: Store) -> None:
    ch = new_channel(store)
    svc = IngestService(store)
    readings = whole_day(AUTUMN)
    hole = slice(40, 52)  # readings 40..51 lost: slots 39..51 lack an end
    svc.ingest_profile(ch, readings[: hole.start] + readings[hole.stop :], "hes")
    [v1] = store.current_blocks([ch], AUTUMN, AUTUMN)
    missing = int((v1.quality == Quality.MISSING).sum())
    assert missing == 13
    res = svc.ingest_profile(ch, readings[hole.start - 1 : hole.stop + 1], "hes")
    assert res.versions_written == 1 and res.measured_slots == 13
    versions = store.block_versions(ch, AUTUMN)
    assert [b.version for b in versions] == [1, 2]
    assert int((versions[0].quality == Quality.MISSING).sum()) == 13  # the old version stays as it was
    assert (versions[1].quality == Quality.MEASURED).all()
    assert int(versions[1].values.sum()) == readings[-1][1] - readings[0][1]
    assert store.current_blocks([ch], AUTUMN, AUTUMN)[0].version == 2


def test_gaps_find_exactly_the_missing_windows(store: Store) -> None:
    ch = new_channel(store)
    svc = IngestService(store)
    d1, d2, d3 = SPRING - timedelta(days=1), SPRING, SPRING + timedelta(days=1)
    full = series(day_start(d1), 96 + 92 + 96 + 1)
    r1, r2 = full[:97], full[96 : 96 + 93]
    svc.ingest_profile(ch, r1[:10] + r1[12:], "hes")  # readings 10, 11 lost → slots 9, 10, 11 missing
    svc.ingest_profile(ch, r2[:-5], "hes")  # the day's last 5 slots not read yet; d3 not read at all
    gaps = svc.gaps(ch, d1, d3)
    assert gaps == [
        (slot_start_utc(d1, 9, Q), slot_start_utc(d1, 12, Q)),
        (slot_start_utc(d2, 87, Q), day_start(d3 + timedelta(days=1))),
    ]
    assert svc.gaps(ch, d1, d3, until=slot_start_utc(d2, 90, Q))[-1] == (
        slot_start_utc(d2, 87, Q),
        slot_start_utc(d2, 90, Q),
    )
    # re-reading exactly the reported windows (plus the reading before each) closes them
    for a, b in gaps:
        need = [(t, v) for t, v in full if a - timedelta(seconds=Q) <= t <= b]
        svc.ingest_profile(ch, need, "reread")
    assert svc.gaps(ch, d1, d3) == []


def test_negative_delta_is_stored_and_marked_suspect(store: Store) -> None:
    ch = new_channel(store)
    t0 = day_start(date(2026, 5, 4))
    readings = [(t0, 1000), (t0 + timedelta(minutes=15), 1100), (t0 + timedelta(minutes=30), 1050)]
    res = IngestService(store).ingest_profile(ch, readings, "hes")
    assert (res.measured_slots, res.suspect_slots) == (1, 1)
    [block] = store.current_blocks([ch], t0.date(), date(2026, 5, 4))
    assert block.values[:2].tolist() == [100, -50]
    assert quality_code(int(block.quality[1])) == Quality.SUSPECT
    assert quality_detail(int(block.quality[1])) == SuspectRule.NEGATIVE_DELTA
    assert (block.quality[2:] == Quality.MISSING).all()


def test_bad_input_is_refused(store: Store) -> None:
    ch = new_channel(store)
    svc = IngestService(store)
    t0 = day_start(date(2026, 5, 4))
    with pytest.raises(IngestError, match="aligned"):
        svc.ingest_profile(ch, [(t0 + timedelta(minutes=7), 1)], "hes")
    with pytest.raises(IngestError, match="naive"):
        svc.ingest_profile(ch, [(datetime(2026, 5, 4), 1)], "hes")
    with pytest.raises(IngestError, match="same instant"):
        svc.ingest_profile(ch, [(t0, 1), (t0, 2)], "hes")
    with pytest.raises(IngestError, match="unknown channel"):
        svc.ingest_profile(999_999, [(t0, 1)], "hes")
    assert svc.ingest_profile(ch, [], "hes").days_touched == 0


def test_changed_reading_writes_a_new_version_but_edits_survive(store: Store) -> None:
    from meterhub.store import NewBlock, insert_blocks

    ch = new_channel(store)
    svc = IngestService(store)
    day = date(2026, 5, 4)
    readings = whole_day(day)
    svc.ingest_profile(ch, readings, "hes")
    [v1] = store.current_blocks([ch], day, day)
    edited_q = v1.quality.copy()
    edited_q[0] = Quality.EDITED
    edited_v = v1.values.copy()
    edited_v[0] = 7
    with store.write() as conn:
        insert_blocks(conn, [NewBlock(ch, day, 2, edited_v, edited_q, "edit", "meter swap")])
    assert svc.ingest_profile(ch, readings, "hes").versions_written == 0  # the manual edit stays
    changed = [(t, v + (5 if i >= 50 else 0)) for i, (t, v) in enumerate(readings)]
    assert svc.ingest_profile(ch, changed, "hes").versions_written == 1
    [v3] = store.current_blocks([ch], day, day)
    assert v3.version == 3 and int(v3.values[0]) == 7 and int(v3.values[49]) == int(v1.values[49]) + 5


def test_ingest_many_is_one_call_for_many_channels(store: Store) -> None:
    chans = [new_channel(store) for _ in range(5)]
    day = date(2026, 2, 2)
    res = IngestService(store).ingest_many([(c, whole_day(day, seed=c)) for c in chans], "hes")
    assert (res.days_touched, res.versions_written, res.measured_slots) == (5, 5, 5 * 96)
    assert len(store.current_blocks(chans, day, day)) == 5


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(min_value=2, max_value=400),
    start_slot=st.integers(min_value=0, max_value=200),
    deltas_seed=st.integers(min_value=0, max_value=2**32),
    cuts=st.lists(st.integers(min_value=1, max_value=399), max_size=8),
    overlaps=st.lists(st.integers(min_value=0, max_value=6), min_size=9, max_size=9),
    order_seed=st.integers(min_value=0, max_value=2**32),
)
def test_overlapping_batches_in_any_order_equal_one_batch(
    shared_store: Store,
    n: int,
    start_slot: int,
    deltas_seed: int,
    cuts: list[int],
    overlaps: list[int],
    order_seed: int,
) -> None:
    t0 = day_start(SPRING - timedelta(days=1)) + timedelta(seconds=start_slot * Q)  # spans the DST day
    readings = series(t0, n, seed=deltas_seed)
    bounds = sorted({c for c in cuts if c < n - 1})
    batches, lo = [], 0
    for i, hi in enumerate([*bounds, n - 1]):
        batches.append(readings[max(0, lo - overlaps[i]) : hi + 1])  # share at least reading `lo`
        lo = hi
    random.Random(order_seed).shuffle(batches)
    one, many = new_channel(shared_store), new_channel(shared_store)
    svc = IngestService(shared_store)
    svc.ingest_profile(one, readings, "hes")
    for batch in batches:
        svc.ingest_profile(many, batch, "hes")
    d_from, d_to = SPRING - timedelta(days=1), SPRING + timedelta(days=6)
    totals_one = day_totals(shared_store, one, d_from, d_to)
    assert day_totals(shared_store, many, d_from, d_to) == totals_one
    blocks_one = shared_store.current_blocks([one], d_from, d_to)
    blocks_many = shared_store.current_blocks([many], d_from, d_to)
    assert [(x.local_day, x.values.tolist(), x.quality.tolist()) for x in blocks_one] == [
        (x.local_day, x.values.tolist(), x.quality.tolist()) for x in blocks_many
    ]
    by_time = dict(readings)
    for block in blocks_one:  # a fully measured day's slots add up to the register delta over that day
        if (block.quality == Quality.MEASURED).all():
            start = day_start(block.local_day)
            assert int(block.values.sum()) == by_time[day_start(block.local_day + timedelta(days=1))] - by_time[start]


def test_throughput_smoke(store: Store) -> None:
    rows = [
        {"meter_id": store.add_meter(f"T{i:05d}", store.add_dso("t", "T") if i == 0 else 1, model="E", firmware="1"),
         "obis": "1.0.1.8.0.255", "medium": "electricity", "unit": "Wh", "scaler": 0, "interval_s": Q}
        for i in range(1000)
    ]  # fmt: skip
    store.add_channels(rows)
    chans = [c.id for c in store.list_channels()]
    day = date(2026, 6, 10)
    rng = np.random.default_rng(3)
    t = [day_start(day) + timedelta(seconds=i * Q) for i in range(97)]
    batches = [(c, list(zip(t, np.cumsum(rng.integers(0, 400, 97)).tolist(), strict=True))) for c in chans]
    svc = IngestService(store)  # the values per second are `meterhub bench ingest`'s (benchmarks/ingest.py)
    res = svc.ingest_many(batches, "hes")
    assert res.versions_written == 1000 and res.measured_slots == 96_000
    again = svc.ingest_many(batches, "hes")
    assert again.versions_written == 0


def test_a_batch_naming_channels_more_than_once_folds_them(store: Store) -> None:
    """Channels named several times in one batch, in groups of different instants and in one group: each
    day gets exactly the union of its readings (the later ones win per slot), as if ingested one by one."""
    day = date(2026, 6, 10)
    a, b, c, d = (new_channel(store) for _ in range(4))
    full = {ch: whole_day(day, seed=ch) for ch in (a, b, c, d)}
    first, second = (lambda r: r[:49]), (lambda r: r[48:])
    batch = [
        (a, first(full[a])),
        (b, first(full[b])),
        (c, first(full[c])),
        (a, first(full[a])),  # the same readings twice, same instants: the same group
        (d, full[d]),
        (c, second(full[c])),  # the rest of c's day, other instants: another group
        (b, second(full[b])),
        (d, second(full[d])),  # a row after the dropped repeat of a: its index must not have moved
    ]
    result = IngestService(store).ingest_many(batch)
    assert result.days_touched == 4 and result.versions_written == 4
    blocks = {blk.channel_id: blk for blk in store.current_blocks([a, b, c, d], day, day)}
    for ch in (a, b, c, d):
        readings = full[ch] if ch != a else first(full[a])
        values = np.diff([v for _, v in readings])
        present = blocks[ch].quality != 0
        assert int(present.sum()) == values.size, ch
        assert np.array_equal(blocks[ch].values[present], values), ch


def test_reread_where_only_a_lower_channel_changes_with_vee(store: Store) -> None:
    """Issue 12 item 1: a re-read of a meter's window (the head-end's gap re-read) in which only some
    channels change — here the one with the lower id, its gap filled — while the other reads the same again.
    With VEE at ingest the check of the stored register reads once sized its lookup by the changed channels
    and crashed (IndexError) on the unchanged one's higher id."""
    from meterhub.mdm.vee_service import VeeService

    low, high = new_channel(store), new_channel(store)
    assert low < high
    day = date(2026, 6, 10)
    until = day_start(day + timedelta(days=1)) + timedelta(hours=1)
    svc = IngestService(store, vee=VeeService(store))
    readings = whole_day(day)
    hole = slice(40, 52)
    svc.ingest_many([(low, readings[: hole.start] + readings[hole.stop :]), (high, readings)], "hes", until=until)
    res = svc.ingest_many([(low, readings), (high, readings)], "hes", until=until)
    assert res.days_touched == 2 and res.versions_written >= 1
    [block_low] = store.current_blocks([low], day, day)
    [block_high] = store.current_blocks([high], day, day)
    assert block_low.version >= 2 and block_high.version == 1
    assert not (block_low.quality == Quality.MISSING).any()
    assert int(block_low.values.sum()) == readings[-1][1] - readings[0][1]
