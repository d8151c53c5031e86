"""Retention and the Parquet archive of old months (store.archive), on SQLite and PostgreSQL (``MH_PG_DSN``):
archive → the month is gone from the store → restore → identical; an archive interrupted after writing its
files loses nothing; retention picks exactly the months older than the window."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from meterhub.store import NewBlock, RegisterRead, Store, add_register_reads, insert_blocks, schema
from meterhub.store import archive as arc
from meterhub.store.intervals import day_start_epoch, local_day_slots
from tests.pg import BACKENDS, open_store


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with open_store(request.param, tmp_path) as s:
        yield s


def _channels(store: Store, n: int = 2) -> list[int]:
    dso = store.add_dso("d1", "DSO")
    meter = store.add_meter("LGZ1", dso, model="E360", firmware="1")
    return [store.add_channel(meter, f"1.0.{i + 1}.8.0.255", unit="Wh", interval_s=900) for i in range(n)]


def _fill(store: Store, channels: list[int], first: date, last: date, seed: int = 0) -> None:
    """Blocks (versions 1, and 2 on every 5th day) and a daily register read per channel and day."""
    rng = np.random.default_rng(seed)
    store.ensure_partitions(first, last)
    blocks: list[NewBlock] = []
    reads: list[RegisterRead] = []
    day = first
    while day <= last:
        n = local_day_slots(day, 900)
        for ch in channels:
            blocks.append(NewBlock(ch, day, 1, rng.integers(0, 400, n), np.ones(n, np.uint8), "hes"))
            if day.day % 5 == 0:
                q = np.ones(n, np.uint8)
                q[3:7] = 4
                blocks.append(NewBlock(ch, day, 2, rng.integers(0, 400, n), q, "edit", "meter swap"))
            at = datetime.fromtimestamp(day_start_epoch(day), UTC)
            reads.append(RegisterRead(ch, at, "daily", int(rng.integers(0, 10**9)), "hes"))
        day += timedelta(days=1)
    with store.write() as conn:
        insert_blocks(conn, blocks, now=datetime(2024, 1, 2, tzinfo=UTC))
        add_register_reads(conn, reads)


def _snapshot(store: Store) -> tuple[list[Any], list[Any]]:
    b, r = schema.interval_block, schema.register_read
    with store.read() as conn:
        blocks = [tuple(x) for x in conn.execute(sa.select(b).order_by(b.c.channel_id, b.c.local_day, b.c.version))]
        reads = [tuple(x) for x in conn.execute(sa.select(r).order_by(r.c.channel_id, r.c.read_at, r.c.kind))]
    return sorted(blocks), sorted(reads)


def test_archive_then_restore_is_identical(store: Store, tmp_path: Path) -> None:
    chans = _channels(store)
    _fill(store, chans, date(2023, 2, 20), date(2023, 4, 5))  # March 2023 holds spring-forward (92 slots)
    before_blocks, before_reads = _snapshot(store)
    path = arc.archive_month(store, 2023, 3, tmp_path / "arch")
    assert path == tmp_path / "arch" / "meterhub-2023-03"
    assert (path / arc.BLOCKS_FILE).is_file() and (path / arc.READS_FILE).is_file()

    after_blocks, after_reads = _snapshot(store)
    march = [x for x in before_blocks if x[1].year == 2023 and x[1].month == 3]
    assert len(march) == 2 * 31 + 2 * 6  # versions 2 on the 5th, 10th, …, 30th
    assert after_blocks == [x for x in before_blocks if x not in march]
    lo, hi = day_start_epoch(date(2023, 3, 1)), day_start_epoch(date(2023, 4, 1))
    march_reads = [x for x in before_reads if lo <= int(x[1].timestamp()) < hi]
    assert len(march_reads) == 2 * 31
    assert after_reads == [x for x in before_reads if x not in march_reads]
    assert store.current_blocks(chans, date(2023, 3, 1), date(2023, 3, 31)) == []
    if store.engine.dialect.name == "postgresql":
        with store.read() as conn:
            assert conn.execute(sa.text("SELECT to_regclass('interval_block_p202303')")).scalar() is None
            assert conn.execute(sa.text("SELECT to_regclass('register_read_p202303')")).scalar() is None

    report = arc.restore_month(store, path)
    assert (report.month, report.blocks, report.reads) == (date(2023, 3, 1), len(march), len(march_reads))
    assert _snapshot(store) == (before_blocks, before_reads)
    spring = store.current_blocks([chans[0]], date(2023, 3, 26), date(2023, 3, 26))[0]
    assert spring.slots == 92 and spring.values.size == 92
    with pytest.raises(arc.ArchiveError, match="still holds"):
        arc.restore_month(store, path)


def test_interrupted_archive_loses_nothing(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chans = _channels(store)
    _fill(store, chans, date(2023, 1, 1), date(2023, 1, 31))
    before = _snapshot(store)

    def crash(conn: sa.Connection, month: date) -> None:
        raise KeyboardInterrupt("killed after the files were written")

    monkeypatch.setattr(arc, "_delete_month", crash)
    with pytest.raises(KeyboardInterrupt):
        arc.archive_month(store, 2023, 1, tmp_path)
    assert _snapshot(store) == before  # the store is untouched
    assert (tmp_path / "meterhub-2023-01" / arc.BLOCKS_FILE).is_file()  # the files were complete

    monkeypatch.undo()  # the next run archives again (rewriting the files) and deletes
    path = arc.archive_month(store, 2023, 1, tmp_path)
    assert _snapshot(store) == ([], [])
    arc.restore_month(store, path)
    assert _snapshot(store) == before


def test_verification_failure_leaves_store(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chans = _channels(store, 1)
    _fill(store, chans, date(2023, 1, 1), date(2023, 1, 3))
    before = _snapshot(store)
    real = arc._read_back
    monkeypatch.setattr(arc, "_read_back", lambda path, sch: real(path, sch)[1:])  # a row lost on disk
    with pytest.raises(arc.ArchiveError, match="identically"):
        arc.archive_month(store, 2023, 1, tmp_path)
    assert _snapshot(store) == before
    assert not (tmp_path / "meterhub-2023-01").exists()


def test_retention_archives_exactly_the_months_before_the_window(store: Store, tmp_path: Path) -> None:
    chans = _channels(store, 1)
    _fill(store, chans, date(2023, 9, 28), date(2023, 12, 2))
    assert arc.retention_cutoff(date(2026, 11, 25)) == date(2023, 11, 1)
    paths = arc.apply_retention(store, date(2026, 11, 25), keep_years=3, out_dir=tmp_path)
    assert [p.name for p in paths] == ["meterhub-2023-09", "meterhub-2023-10"]
    blocks, _ = _snapshot(store)
    assert min(x[1] for x in blocks) == date(2023, 11, 1)  # November 2023 lies partly inside the window
    assert arc.apply_retention(store, date(2026, 11, 25), out_dir=tmp_path) == []  # nothing left to do
    assert [m.month for m in arc.stored_months(store) if m.year == 2023][:2] == [11, 12]


def test_cli_archive_run(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from meterhub.cli.main import app

    data = tmp_path / "data"
    with Store.open(data) as s:
        chans = _channels(s, 1)
        _fill(s, chans, date(2020, 1, 30), date(2020, 2, 2))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["--data-dir", str(data), "archive", "run", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert '"meterhub-2020-01"' in result.output and '"meterhub-2020-02"' in result.output
    with Store.open(data) as s:
        assert s.current_blocks(chans, date(2020, 1, 1), date(2020, 12, 31)) == []
