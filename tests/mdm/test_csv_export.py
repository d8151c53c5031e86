"""The block-at-a-time CSV export writes exactly the bytes ``csv.writer`` writes of :func:`export_rows` (the
row-by-row export it replaced): every quality byte, negative and missing values, DST days, hourly channels,
several versions, serials that need quoting, more channels than one query fetches; and it reports progress."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meterhub.mdm import csv_export
from meterhub.mdm.csv_export import EXPORT_COLUMNS, export_csv, export_rows
from meterhub.store import Store, db, local_day_slots
from tests.mdm.golden import golden_store

GOLDEN = Path(__file__).with_name("export_golden.csv")
"""What the row-by-row export (main before the block writer, commit ab6abf6) wrote of :func:`golden_store`
(made by running that commit's ``export_csv`` on the store :mod:`tests.mdm.golden` builds)."""
_serials = itertools.count()
#: days around both 2026 clock changes and an ordinary one
DAYS = (date(2026, 3, 29), date(2026, 6, 10), date(2026, 10, 25), date(2026, 10, 26))


def row_by_row(store: Store, **kw: object) -> str:
    """The export as the old implementation wrote it: csv.writer, one writerow per interval."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows(export_rows(store, **kw))  # type: ignore[arg-type]
    return buf.getvalue()


def blockwise(store: Store, **kw: object) -> tuple[str, int]:
    buf = io.StringIO()
    n = export_csv(store, buf, **kw)  # type: ignore[arg-type]
    return buf.getvalue(), n


def add_blocks(store: Store, serial: str, interval_s: int, rng: np.random.Generator, versions: int) -> None:
    dso = store.add_dso(f"d{serial}", "DSO") if not store.list_parties("dso") else store.list_parties("dso")[0].id
    meter = store.add_meter(serial, dso, model="x", firmware="1")
    obis = "1.0.1.8.0.255" if interval_s == 900 else "0.1.24.2.1.255"
    ch = store.add_channel(meter, obis, unit="Wh", interval_s=interval_s)
    blocks = []
    for day in DAYS:
        n = local_day_slots(day, interval_s)
        for version in range(1, versions + 1):
            values = rng.integers(-5, 10**6, n).astype(np.int64)
            quality = rng.integers(0, 6, n).astype(np.uint8) | (rng.integers(0, 32, n).astype(np.uint8) << 3)
            blocks.append(db.NewBlock(ch, day, version, values, quality, "test"))
    with store.write() as conn:
        db.insert_blocks(conn, blocks)


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 2**32 - 1),
    serial=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=6)
    | st.sampled_from(["a,b", 'say "hi"', " lead", "x\ny"]),
    hourly=st.booleans(),
    versions=st.integers(1, 3),
)
def test_blockwise_export_is_byte_identical(
    shared_store: Store, seed: int, serial: str, hourly: bool, versions: int
) -> None:
    serial = f"{serial}#{next(_serials)}"  # unique in the module's store
    add_blocks(shared_store, serial, 3600 if hourly else 900, np.random.default_rng(seed), versions)
    for kw in ({}, {"meter_serial": serial}, {"meter_serial": serial, "day_from": DAYS[2], "day_to": DAYS[2]}):
        text, n = blockwise(shared_store, **kw)
        assert text == row_by_row(shared_store, **kw)
        assert n == sum(1 for _ in export_rows(shared_store, **kw))  # type: ignore[arg-type]


def test_many_channels_progress_and_as_of(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_export, "CHANNELS_PER_QUERY", 3)  # several queries, a channel without blocks in between
    rng = np.random.default_rng(1)
    for i in range(7):
        add_blocks(store, f"M{i:02d}", 900, rng, 1 + i % 2)
    dso = store.list_parties("dso")[0].id
    store.add_channel(store.add_meter("M03b", dso, model="x", firmware="1"), "1.0.1.8.0.255", unit="Wh", interval_s=900)
    calls: list[tuple[int, int, int]] = []
    buf = io.StringIO()
    n = export_csv(store, buf, progress=lambda *a: calls.append(a))
    assert buf.getvalue() == row_by_row(store)
    assert [c[:2] for c in calls] == [(k, 8) for k in range(1, 9)] and calls[-1][2] == n
    assert n == 7 * sum(local_day_slots(d, 900) for d in DAYS)
    created = store.block_versions(store.list_channels()[0].id, DAYS[0])[0].created_at
    for at in (created - timedelta(seconds=1), created + timedelta(days=1)):
        assert blockwise(store, as_of=at)[0] == row_by_row(store, as_of=at)


def test_export_matches_the_golden_file_of_the_old_export(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    try:
        golden_store(store)
        text, n = blockwise(store)
    finally:
        store.close()
    assert n == 92 + 100 + 23 + 25  # one row per slot of the current version (the autumn day has two)
    assert text.encode() == GOLDEN.read_bytes()
