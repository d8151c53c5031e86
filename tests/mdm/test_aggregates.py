"""Aggregates per DSO, grid area, concentrator and medium; suppression below 5 meters outside the operator."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from meterhub.mdm.aggregates import MIN_METERS, Aggregate, Suppressed, aggregate, aggregate_days, visible
from meterhub.mdm.ingest import IngestService, ReadingArrays
from meterhub.store import Store
from meterhub.store.intervals import day_bounds_epoch

DAY = date(2026, 6, 10)
AUTUMN = date(2026, 10, 25)
SINCE = datetime(2020, 1, 1, tzinfo=UTC)


def ingest_days(store: Store, ch: int, day: date, days: int, per_slot: int, interval_s: int = 900, spike=None):
    a = day_bounds_epoch(day)[0]
    b = day_bounds_epoch(day + timedelta(days=days - 1))[1]
    starts = np.arange(a, b, interval_s, dtype=np.int64)
    vals = np.full(starts.size, per_slot, np.int64)
    if spike is not None:
        vals[spike[0]] = spike[1]
    readings = 1000 + np.concatenate(([0], np.cumsum(vals)))
    IngestService(store).ingest_profile(ch, ReadingArrays(np.append(starts, b), readings.astype(np.int64)))


@pytest.fixture
def country(store: Store) -> Iterator[tuple[Store, dict[str, int]]]:
    """DSO A: 5 meters in area N1 on concentrator C1 (two with gas sub-meters), 2 in N2 on C2;
    DSO B: 3 meters in S1 on C3. Electricity meter k uses k+1 Wh per quarter hour; gas 100 l per hour."""
    ids = {"A": store.add_dso("A", "DSO A"), "B": store.add_dso("B", "DSO B")}
    concs = {
        "C1": store.add_concentrator(ids["A"], "C1", "h", 1),
        "C2": store.add_concentrator(ids["A"], "C2", "h", 2),
        "C3": store.add_concentrator(ids["B"], "C3", "h", 3),
    }
    plan = [("A", "N1", "C1")] * 5 + [("A", "N2", "C2")] * 2 + [("B", "S1", "C3")] * 3
    for k, (dso, area, conc) in enumerate(plan):
        meter = store.add_meter(f"E{k}", ids[dso], model="E", firmware="1", concentrator_id=concs[conc])
        mp = store.add_metering_point(f"LU{k:010d}", ids[dso], grid_area=area)
        store.install(mp, meter, SINCE)
        ch = store.add_channel(meter, "1.0.1.8.0.255", unit="Wh", interval_s=900)
        store.add_channel(meter, "1.0.2.8.0.255", unit="Wh", interval_s=900)  # export: not aggregated
        ingest_days(store, ch, DAY, 1, k + 1, spike=(40, 1000) if k == 0 else None)
        ingest_days(store, ch, AUTUMN, 1, k + 1)
        if k < 2:
            gas = store.add_meter(f"G{k}", ids[dso], model="G", firmware="1", medium="gas", parent_meter_id=meter,
                                  mbus_channel=1)  # fmt: skip
            gch = store.add_channel(gas, "0.1.24.2.1.255", unit="l", interval_s=3600, medium="gas")
            ingest_days(store, gch, DAY, 1, 100, interval_s=3600)
    yield store, ids


def by_group(results) -> dict[tuple[str, str | None], Aggregate | Suppressed]:
    return {(r.medium, r.group): r for r in results}


def test_operator_sees_every_group(country) -> None:
    store, _ = country
    res = by_group(aggregate(store, DAY, "dso", role="operator"))
    a, b, g = res[("electricity", "A")], res[("electricity", "B")], res[("gas", "A")]
    assert isinstance(a, Aggregate) and isinstance(b, Aggregate) and isinstance(g, Aggregate)
    assert (a.meters, b.meters, g.meters) == (7, 3, 2)
    assert a.energy == sum(range(1, 8)) * 96 + (1000 - 1)
    assert b.energy == (8 + 9 + 10) * 96
    assert g.energy == 2 * 100 * 24 and g.unit == "l" and g.interval_s == 3600 and len(g.load_duration) == 24
    assert a.peak == sum(range(1, 8)) - 1 + 1000 and a.load_duration[0] == a.peak
    assert a.peak_at == datetime.fromtimestamp(day_bounds_epoch(DAY)[0] + 40 * 900, UTC)
    assert list(a.load_duration) == sorted(a.load_duration, reverse=True) and len(a.load_duration) == 96
    assert sum(a.load_duration) == a.energy and a.missing_slots == 0


def test_fewer_than_five_meters_suppressed_outside_operator(country) -> None:
    store, ids = country
    for role in ("dso", "supplier", "customer", "anything"):
        res = by_group(aggregate(store, DAY, "dso", role=role))
        assert isinstance(res[("electricity", "A")], Aggregate)
        for key in (("electricity", "B"), ("gas", "A")):
            marker = res[key]
            assert isinstance(marker, Suppressed) and marker.suppressed
            assert f"fewer than {MIN_METERS}" in marker.reason
            assert {f.name for f in fields(marker)} == {"by", "group", "medium", "day", "reason", "suppressed"}
    # grid areas: N1 has 5 meters (shown), N2 2 and S1 3 (suppressed)
    res = by_group(aggregate(store, DAY, "grid_area", role="dso"))
    assert isinstance(res[("electricity", "N1")], Aggregate) and res[("electricity", "N1")].meters == 5
    assert isinstance(res[("electricity", "N2")], Suppressed) and isinstance(res[("electricity", "S1")], Suppressed)
    assert isinstance(res[("gas", "N1")], Suppressed)  # sub-meters take their parent's metering point
    assert visible(aggregate(store, DAY, "dso", role="dso", dso_id=ids["B"])) == []
    assert [r.group for r in visible(aggregate(store, DAY, "dso", role="dso", dso_id=ids["A"]))] == ["A"]


def test_group_by_concentrator_medium_area(country) -> None:
    store, _ = country
    conc = by_group(aggregate(store, DAY, "concentrator", role="operator"))
    assert {k: v.meters for k, v in conc.items()} == {  # type: ignore[union-attr]
        ("electricity", "C1"): 5, ("electricity", "C2"): 2, ("electricity", "C3"): 3, ("gas", "C1"): 2
    }  # fmt: skip
    med = by_group(aggregate(store, DAY, "medium", role="operator"))
    assert med[("electricity", "electricity")].meters == 10  # type: ignore[union-attr]
    assert med[("gas", "gas")].meters == 2  # type: ignore[union-attr]
    area = by_group(aggregate(store, DAY, "grid_area", role="operator", medium="gas"))
    assert list(area) == [("gas", "N1")]
    with pytest.raises(ValueError, match="cannot aggregate by"):
        aggregate(store, DAY, "postcode", role="operator")  # type: ignore[arg-type]


def test_dst_day_and_missing_and_days(country) -> None:
    store, _ = country
    [el] = visible(aggregate(store, AUTUMN, "medium", role="operator"))
    assert el.meters == 10 and len(el.load_duration) == 100 and el.energy == sum(range(1, 11)) * 100
    # the day after has no data at all: nothing to show; a range returns each day's groups
    assert aggregate(store, AUTUMN + timedelta(days=1), "dso", role="operator") == []
    days = aggregate_days(store, DAY, DAY + timedelta(days=1), "medium", role="operator")
    assert [(r.day, r.medium) for r in days] == [(DAY, "electricity"), (DAY, "gas")]


def test_missing_slots_count_as_zero(store: Store) -> None:
    dso = store.add_dso("A", "A")
    for k in range(5):
        meter = store.add_meter(f"E{k}", dso, model="E", firmware="1")
        ch = store.add_channel(meter, "1.0.1.8.0.255", unit="Wh", interval_s=900)
        a = day_bounds_epoch(DAY)[0]
        n = 48 if k == 0 else 96  # meter 0 read for half a day only
        epochs = a + 900 * np.arange(n + 1, dtype=np.int64)
        IngestService(store).ingest_profile(ch, ReadingArrays(epochs, 10 * np.arange(n + 1, dtype=np.int64)))
    [agg] = visible(aggregate(store, DAY, "dso", role="customer"))
    assert agg.meters == 5 and agg.missing_slots == 48 and agg.energy == 10 * (4 * 96 + 48)
