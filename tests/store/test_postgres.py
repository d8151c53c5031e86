"""The PostgreSQL backend against the real server (``MH_PG_DSN``): Alembic on PostgreSQL, month partitions
(ahead, on demand, concurrent), binary COPY of new block versions, the batch channel check, migration 0002
moving existing rows, and a kill -9 during ingest followed by a re-run giving exactly the counts of a clean run.

Each test works in a fresh schema of its own (tests/pg.py), dropped afterwards. The data-access tests of
test_schema.py and the ingest tests of tests/mdm run on PostgreSQL too (their ``store`` fixtures take both
backends). Without ``MH_PG_DSN`` these tests are skipped locally and fail under CI.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from meterhub.store import NewBlock, RegisterRead, Store, add_register_reads, insert_blocks, schema
from meterhub.store.intervals import LOCAL_TZ, day_start_epoch, local_day_slots
from meterhub.store.partitions import AHEAD_MONTHS, add_months, month_of, partition_name
from tests.pg import BACKENDS, open_store, pg_dsn, pg_schema, sqlalchemy_url
from tests.store.test_schema import head_revision

SPRING = date(2026, 3, 29)  # 92 quarter-hours


@pytest.fixture
def url() -> Iterator[str]:
    with pg_schema() as u:
        yield u


@pytest.fixture
def pg(url: str) -> Iterator[Store]:
    s = Store.open(url)
    yield s
    s.close()


def _channel(store: Store, serial: str = "LGZ1") -> int:
    dso = store.add_dso(f"dso-{serial}", "DSO")
    meter = store.add_meter(serial, dso, model="E360", firmware="1")
    return store.add_channel(meter, "1.0.1.8.0.255", unit="Wh", interval_s=900)


def _block(ch: int, day: date, version: int = 1, seed: int = 0, source: str = "test") -> NewBlock:
    n = local_day_slots(day, 900)
    rng = np.random.default_rng(seed)
    return NewBlock(ch, day, version, rng.integers(0, 400, n), np.ones(n, np.uint8), source)


def _partition_counts(store: Store, table: str) -> dict[str, int]:
    with store.read() as conn:
        rows = conn.exec_driver_sql(f"SELECT tableoid::regclass::text, count(*) FROM {table} GROUP BY 1").all()
    return {name.rsplit(".", 1)[-1]: int(n) for name, n in rows}


def _relkind(store: Store, table: str) -> str:
    with store.read() as conn:
        return str(
            conn.execute(sa.text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:t)"), {"t": table}).scalar()
        )


def test_without_dsn_skips_locally_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MH_PG_DSN", raising=False)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        pg_dsn()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="MH_PG_DSN"):
        pg_dsn()
    assert (
        sqlalchemy_url("postgres://u:p@h:5433/db", "s1")
        == "postgresql+psycopg://u:p@h:5433/db?options=-csearch_path%3Ds1"
    )


def test_migrations_build_the_partitioned_schema(pg: Store) -> None:
    def not_a_partition(name: str | None, type_: str, _parent: object) -> bool:
        return not (type_ == "table" and name is not None and "_p20" in name)

    assert pg.engine.dialect.name == "postgresql" and pg.engine.dialect.driver == "psycopg"
    with pg.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True, "include_name": not_a_partition}
        )
        diff = compare_metadata(ctx, schema.metadata)
        # the partitioned tables leave their foreign key to channel to the store's batch check (migration 0002)
        assert sorted((d[0], d[1].parent.name) for d in diff) == [
            ("add_fk", "interval_block"),
            ("add_fk", "register_read"),
        ]
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head_revision(pg)
    assert _relkind(pg, "interval_block") == "p" and _relkind(pg, "register_read") == "p"
    assert set(schema.TABLES) <= set(sa.inspect(pg.engine).get_table_names())
    # months ahead exist from the start: last month to AHEAD_MONTHS ahead
    this_month = month_of(datetime.now(LOCAL_TZ).date())
    for i in range(-1, AHEAD_MONTHS + 1):
        for table in ("interval_block", "register_read"):
            assert _relkind(pg, partition_name(table, add_months(this_month, i))) == "r"
    assert pg.ensure_partitions(add_months(this_month, -1), add_months(this_month, AHEAD_MONTHS)) == []
    Store.open(str(pg.engine.url.render_as_string(hide_password=False))).close()  # reopening is a no-op


def test_plain_postgresql_url_means_psycopg(url: str) -> None:
    s = Store.open(url.replace("postgresql+psycopg://", "postgresql://"))
    try:
        assert s.engine.dialect.driver == "psycopg"
        assert s.list_parties() == []
    finally:
        s.close()


def test_blocks_and_reads_land_in_their_month_partitions(pg: Store) -> None:
    ch = _channel(pg)
    days = [date(2019, 2, 28), date(2019, 3, 1), SPRING, date(2026, 3, 31), date(2026, 4, 1)]
    blocks = [_block(ch, d, seed=i) for i, d in enumerate(days)]
    midnight = datetime.fromtimestamp(day_start_epoch(date(2026, 4, 1)), UTC)  # 2026-03-31 22:00Z
    with pg.write() as conn:
        insert_blocks(conn, blocks)  # 2019 months do not exist yet: created on demand in this transaction
        assert add_register_reads(conn, [RegisterRead(ch, midnight, "daily", 1234, "hes")]) == 1
        assert add_register_reads(conn, [RegisterRead(ch, midnight, "daily", 1234, "hes")]) == 0
    assert _partition_counts(pg, "interval_block") == {
        "interval_block_p201902": 1, "interval_block_p201903": 1, "interval_block_p202603": 2,
        "interval_block_p202604": 1,
    }  # fmt: skip
    # the read at local midnight opening April is April's, though it is still March in UTC
    assert _partition_counts(pg, "register_read") == {"register_read_p202604": 1}
    got = pg.current_blocks([ch], days[0], days[-1])
    assert [(b.local_day, b.slots) for b in got] == [(d, local_day_slots(d, 900)) for d in days]
    for b, nb in zip(got, blocks, strict=True):
        assert b.values.tolist() == nb.values.tolist() and b.quality.tolist() == nb.quality.tolist()
        assert b.source == "test" and b.reason is None and b.created_at.tzinfo is not None
    assert pg.ensure_partitions(date(2019, 1, 15), date(2019, 4, 1)) == [
        "interval_block_p201901", "interval_block_p201904", "register_read_p201901", "register_read_p201902",
        "register_read_p201903", "register_read_p201904",
    ]  # fmt: skip


def test_copy_clash_raises_integrity_error_and_keeps_nothing(pg: Store) -> None:
    ch = _channel(pg)
    day = date(2026, 5, 4)
    with pg.write() as conn:
        insert_blocks(conn, [_block(ch, day)])
    with pytest.raises(sa.exc.IntegrityError), pg.write() as conn:
        insert_blocks(conn, [_block(ch, day + timedelta(days=1)), _block(ch, day, seed=9)])
    assert [(b.local_day, b.version) for b in pg.current_blocks([ch], day, day + timedelta(days=3))] == [(day, 1)]
    with pg.write() as conn:  # the connection is usable again; a new version appends
        insert_blocks(conn, [_block(ch, day, version=2, seed=9, source="reread")])
    assert [b.source for b in pg.block_versions(ch, day)] == ["test", "reread"]


def test_unknown_channels_are_refused_as_by_a_foreign_key(pg: Store) -> None:
    ch = _channel(pg)
    day = date(2026, 5, 4)
    at = datetime(2026, 5, 4, 22, tzinfo=UTC)
    with pytest.raises(sa.exc.IntegrityError, match=r"\[4242, 4243\]"), pg.write() as conn:
        insert_blocks(conn, [_block(ch, day), _block(4242, day), _block(4243, day)])
    with pytest.raises(sa.exc.IntegrityError, match="4242"), pg.write() as conn:
        add_register_reads(conn, [RegisterRead(ch, at, "daily", 1, "hes"), RegisterRead(4242, at, "daily", 1, "hes")])
    assert pg.current_blocks([ch], day, day) == [] and pg.register_reads(ch) == []


def test_one_day_query_reads_one_partition(pg: Store) -> None:
    ch = _channel(pg)
    with pg.write() as conn:
        insert_blocks(conn, [_block(ch, date(2026, m, 10)) for m in range(1, 13)])
    b = schema.interval_block
    q = sa.select(b).where(b.c.channel_id == ch, b.c.local_day >= date(2026, 6, 1), b.c.local_day <= date(2026, 6, 30))
    with pg.read() as conn:
        plan = "\n".join(
            str(r[0])
            for r in conn.execute(sa.text("EXPLAIN " + str(q.compile(conn, compile_kwargs={"literal_binds": True}))))
        )
    assert "interval_block_p202606" in plan
    assert "interval_block_p202605" not in plan and "interval_block_p202607" not in plan


def test_concurrent_partition_creation(pg: Store) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def create() -> None:
        try:
            barrier.wait()
            pg.ensure_partitions(date(2015, 1, 1), date(2015, 12, 31))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert pg.ensure_partitions(date(2015, 1, 1), date(2015, 12, 31)) == []


def test_migration_0002_moves_existing_rows_both_ways(pg: Store) -> None:
    ch = _channel(pg)
    days = [date(2024, 12, 31), date(2025, 1, 1), SPRING]
    reads = [
        RegisterRead(ch, datetime.fromtimestamp(day_start_epoch(d), UTC), "daily", i, "hes") for i, d in enumerate(days)
    ]
    with pg.write() as conn:
        insert_blocks(conn, [_block(ch, d, seed=i) for i, d in enumerate(days)])
        add_register_reads(conn, reads)
    before = pg.current_blocks([ch], days[0], days[-1])
    cfg = pg.alembic_config()
    command.downgrade(cfg, "0001")
    assert _relkind(pg, "interval_block") == "r" and _relkind(pg, "register_read") == "r"
    assert _relkind(pg, "interval_block_p202412") == "None"  # partitions went with the partitioned table
    assert len(pg.current_blocks([ch], days[0], days[-1])) == 3 and len(pg.register_reads(ch)) == 3
    command.upgrade(cfg, "head")
    assert _relkind(pg, "interval_block") == "p"
    assert _partition_counts(pg, "interval_block") == {
        "interval_block_p202412": 1, "interval_block_p202501": 1, "interval_block_p202603": 1,
    }  # fmt: skip
    assert _partition_counts(pg, "register_read") == {
        "register_read_p202412": 1, "register_read_p202501": 1, "register_read_p202603": 1,
    }  # fmt: skip
    after = pg.current_blocks([ch], days[0], days[-1])
    assert [(b.local_day, b.values.tolist()) for b in after] == [(b.local_day, b.values.tolist()) for b in before]
    assert [(r.read_at, r.value) for r in pg.register_reads(ch)] == [(r.read_at, r.value) for r in reads]
    command.downgrade(cfg, "base")
    assert set(sa.inspect(pg.engine).get_table_names()) == {"alembic_version"}


def test_open_store_helper_gives_each_store_its_own_schema(tmp_path: Path) -> None:
    with open_store("postgres", tmp_path) as a, open_store("postgres", tmp_path) as b:
        a.add_dso("x", "X")
        assert [p.code for p in a.list_parties()] == ["x"] and b.list_parties() == []
        schema_a = a.engine.url.query["options"]
    dsn_store = Store.open(sqlalchemy_url(pg_dsn()), migrate=False)
    try:
        with dsn_store.read() as conn:
            name = str(schema_a).split("=", 1)[1]
            assert conn.execute(sa.text("SELECT to_regnamespace(:n)"), {"n": name}).scalar() is None  # dropped
    finally:
        dsn_store.close()


_KILL_METERS, _KILL_DAYS = 60, 6


def ingest_fleet_history(url: str, vee: bool = False) -> None:
    """Child process of the kill -9 test: ingest a deterministic history day by day, 15 meters per
    transaction (30 channels), printing a line after every commit; with ``vee``, VEE at ingest and a gap in
    one channel day out of eleven (so the full validation and estimation runs too)."""
    from meterhub.mdm.ingest import IngestService, ReadingArrays
    from meterhub.mdm.vee_service import VeeService

    store = Store.open(url)
    channels = [c.id for c in store.list_channels()]
    svc = IngestService(store, VeeService(store) if vee else None)
    rng = np.random.default_rng(5)
    start = rng.integers(0, 10**6, len(channels))
    for d in range(_KILL_DAYS):
        day = date(2026, 3, 27) + timedelta(days=d)
        epochs = np.arange(day_start_epoch(day), day_start_epoch(day + timedelta(days=1)) + 1, 900, dtype=np.int64)
        cum = start[:, None] + np.concatenate(
            [
                np.zeros((len(channels), 1), np.int64),
                np.cumsum(rng.integers(0, 400, (len(channels), epochs.size - 1)), 1),
            ],
            axis=1,
        )
        start = cum[:, -1]
        keep = np.ones(cum.shape, dtype=bool)
        if vee:
            for i in range(len(channels)):
                if (i + d) % 11 == 0:
                    keep[i, 20 + i % 30 : 26 + i % 30] = False
        until = datetime.fromtimestamp(int(epochs[-1]), UTC) + timedelta(minutes=15)
        for lo in range(0, len(channels), 30):
            svc.ingest_many(
                [
                    (ch, ReadingArrays(epochs[keep[i]], cum[i][keep[i]]))
                    for i, ch in enumerate(channels)
                    if lo <= i < lo + 30
                ],
                until=until,
            )
            print(f"committed {d} {lo}", flush=True)


def _fleet_counts(store: Store) -> tuple[int, int, int, int, int]:
    from meterhub.mdm.quality import Quality, codes

    with store.read() as conn:
        blocks, top = conn.exec_driver_sql("SELECT count(*), max(version) FROM interval_block").one()
        reads = conn.exec_driver_sql("SELECT count(*) FROM register_read").scalar_one()
    chans = [c.id for c in store.list_channels()]
    current = store.current_blocks(chans, date(2026, 3, 1), date(2026, 4, 30))
    total = sum(int(b.values.sum()) for b in current)
    validated = sum(int((codes(b.quality) == Quality.VALIDATED).sum()) for b in current)
    return int(blocks), int(top), int(reads), total, validated


@pytest.mark.parametrize("vee", [False, True])
@pytest.mark.parametrize("backend", BACKENDS)
def test_kill_9_during_ingest_then_rerun_gives_the_same_counts(backend: str, vee: bool, tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    from meterhub.mdm.digest import load, rebuild

    results = []
    for kill in (False, True):
        with open_store(backend, tmp_path / f"kill-{kill}") as s:
            url = s.engine.url.render_as_string(hide_password=False)
            dso = s.add_dso("k", "K")
            rows = []
            for m in range(_KILL_METERS):
                meter = s.add_meter(f"K{m:05d}", dso, model="E", firmware="1")
                rows += [{"meter_id": meter, "obis": f"1.0.{o}.8.0.255", "medium": "electricity", "unit": "Wh",
                          "scaler": 0, "interval_s": 900} for o in (1, 2)]  # fmt: skip
            s.add_channels(rows)
            cmd = [
                sys.executable,
                "-c",
                f"from tests.store.test_postgres import ingest_fleet_history as f; f({url!r}, {vee!r})",
            ]
            root = Path(__file__).resolve().parents[2]
            if kill:
                child = subprocess.Popen(cmd, cwd=root, stdout=subprocess.PIPE, text=True)
                assert child.stdout is not None
                for _ in range(4):  # let a few transactions commit, then kill it mid-run
                    assert child.stdout.readline().startswith("committed")
                os.kill(child.pid, signal.SIGKILL)
                child.wait(timeout=30)
                assert child.returncode == -signal.SIGKILL
                partial = _fleet_counts(s)
                assert 0 < partial[0] < _KILL_METERS * 2 * _KILL_DAYS
            subprocess.run(cmd, cwd=root, check=True, capture_output=True, timeout=180)
            results.append(_fleet_counts(s))
            # the digests kept in step through the kill and the re-run are the ones the blocks give
            intervals = {c.id: 900 for c in s.list_channels()}
            with s.read() as conn:
                stored, rebuilt = load(conn, intervals).of_interval(900), rebuild(conn, intervals).of_interval(900)
            ids = sorted(intervals)
            for name in ("as_of", "kept", "nonzero", "day_max", "slots", "head", "tail"):
                assert np.array_equal(
                    getattr(stored, name)[stored.rows(ids)], getattr(rebuilt, name)[rebuilt.rows(ids)]
                )
    clean, rerun = results
    assert rerun == clean
    blocks, top_version, reads, _total, validated = clean
    assert reads == _KILL_METERS * 2 * (_KILL_DAYS + 1)
    if vee:  # gaps were estimated in a second version; every other day was validated in its first
        assert top_version == 2 and blocks > _KILL_METERS * 2 * _KILL_DAYS and validated > 0
    else:
        assert blocks == _KILL_METERS * 2 * _KILL_DAYS and top_version == 1 and validated == 0
