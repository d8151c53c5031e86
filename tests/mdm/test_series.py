"""A metering point's series from stored blocks: contiguous slots over DST days, missing slots as NaN, the scaler,
and the meter exchange (two meters' installation periods)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

from meterhub.mdm.quality import Quality
from meterhub.mdm.series import IMPORT_OBIS, point_series
from meterhub.store import Store
from meterhub.store.blocks import NewBlock


def _day(store: Store, channel: int, day: date, slots: int, value: int, missing: tuple[int, ...] = ()) -> None:
    q = np.full(slots, Quality.MEASURED, dtype=np.uint8)
    q[list(missing)] = Quality.MISSING
    with store.write() as conn:
        from meterhub.store.blocks import insert_blocks

        insert_blocks(conn, [NewBlock(channel, day, 1, np.full(slots, value, dtype=np.int64), q, "test")])


def test_point_series_across_a_meter_exchange(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    dso = store.add_party("dso", "creos", "Creos")
    mp = store.add_metering_point("LU0000000000000000000000000000009", dso)
    m1 = store.add_meter("M1", dso, model="x", firmware="1")
    m2 = store.add_meter("M2", dso, model="x", firmware="1")
    c1 = store.add_channel(m1, IMPORT_OBIS, unit="Wh", interval_s=900)
    c2 = store.add_channel(m2, IMPORT_OBIS, unit="Wh", interval_s=900)
    # meter 1 until the spring-forward day 2026-03-29 (92 slots), meter 2 from 2026-03-30 (local midnight, CEST)
    exchange = datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    store.install(mp, m1, datetime(2026, 1, 1, tzinfo=UTC), exchange)
    store.install(mp, m2, exchange)
    _day(store, c1, date(2026, 3, 29), 92, 250, missing=(5,))
    _day(store, c1, date(2026, 3, 30), 96, 999)  # read after removal: not this point's
    _day(store, c2, date(2026, 3, 30), 96, 100)
    s = point_series(store, mp, date(2026, 3, 29), date(2026, 3, 31))
    assert s is not None
    assert s.slots == 92 + 96 + 96 and s.interval_s == 900 and s.unit == "Wh"
    assert np.all(np.diff(s.starts) == 900)
    kwh = s.kwh()
    assert np.isnan(kwh[5]) and np.nansum(kwh[:92]) == 91 * 0.25
    assert np.all(kwh[92:188] == 0.1)
    assert np.isnan(kwh[188:]).all() and s.missing == 1 + 96
    assert s.quality[5] == Quality.MISSING and s.quality[0] == Quality.MEASURED
    assert point_series(store, mp, date(2026, 3, 29), date(2026, 3, 29), obis="1.0.2.8.0.255") is None
    store.close()


def test_local_seconds_over_both_dst_switches() -> None:
    from meterhub.mdm.series import local_seconds, slot_starts
    from meterhub.store.intervals import LOCAL_TZ

    starts = slot_starts(date(2026, 3, 28), date(2026, 3, 30), 900)
    starts = np.concatenate([starts, slot_starts(date(2026, 10, 24), date(2026, 10, 26), 900)])
    expected = [int(datetime.fromtimestamp(int(t), LOCAL_TZ).replace(tzinfo=UTC).timestamp()) for t in starts.tolist()]
    assert local_seconds(starts).tolist() == expected
    autumn = local_seconds(slot_starts(date(2026, 10, 25), date(2026, 10, 25), 900))
    hours = (autumn % 86_400 // 3600).tolist()
    assert autumn.size == 100 and hours.count(2) == 8 and hours.count(1) == 4  # 02:xx twice
