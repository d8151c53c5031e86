"""The store: Alembic builds the schema on a fresh SQLite file, and the small data-access operations (on
SQLite and PostgreSQL; PostgreSQL specifics are in test_postgres.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from meterhub.store import NewBlock, Store, insert_blocks, schema
from meterhub.store.db import MeterEvent
from tests.pg import BACKENDS, open_store

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def head_revision(store: Store) -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(store.alembic_config()).get_current_head()
    assert head is not None
    return head


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store on each backend: the data-access tests below run on SQLite and PostgreSQL alike."""
    with open_store(request.param, tmp_path) as s:
        yield s


def test_migrations_create_every_table_matching_the_schema(tmp_path: Path) -> None:
    s = Store.open(tmp_path)
    assert (tmp_path / "meterhub.sqlite").exists()
    tables = set(sa.inspect(s.engine).get_table_names())
    assert set(schema.TABLES) <= tables
    assert "alembic_version" in tables
    assert {
        "party", "concentrator", "metering_point", "meter", "installation", "channel", "interval_block",
        "register_read", "meter_event", "invocation_counter", "read_job", "comm_log",
    } <= tables  # fmt: skip
    with s.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        assert compare_metadata(ctx, schema.metadata) == []
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head_revision(s)
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    s.close()
    Store.open(str(tmp_path)).close()  # reopening (upgrade head again) is a no-op


def test_sqlalchemy_url_and_downgrade(tmp_path: Path) -> None:
    from alembic import command

    s = Store.open(f"sqlite:///{tmp_path / 'x.sqlite'}")
    command.downgrade(s.alembic_config(), "base")
    assert set(sa.inspect(s.engine).get_table_names()) == {"alembic_version"}
    s.upgrade()
    assert set(schema.TABLES) <= set(sa.inspect(s.engine).get_table_names())
    s.close()


def _fleet(store: Store) -> tuple[int, int, int]:
    dso = store.add_dso("creos", "Creos Luxembourg")
    conc = store.add_concentrator(dso, "DC-0001", "127.0.0.1", 4059)
    meter = store.add_meter(
        "LGZ0001", dso, model="E360", firmware="1.2", concentrator_id=conc, host="127.0.0.1", port=4059, wport=17,
        system_title=bytes.fromhex("4c475a0000000001"), installed_at=T0,
    )  # fmt: skip
    return dso, conc, meter


def test_inventory(store: Store) -> None:
    dso, _conc, meter = _fleet(store)
    for i in range(2, 8):
        store.add_dso(f"dso{i}", f"DSO {i}")
    assert len(store.list_parties("dso")) == 7
    assert store.party_by_code("dso", "creos") is not None
    assert [c.code for c in store.list_concentrators(dso)] == ["DC-0001"]
    gas = store.add_meter("GAS0001", dso, model="G4", firmware="1", medium="gas", parent_meter_id=meter, mbus_channel=1)
    m = store.get_meter(meter)
    assert m is not None and m.system_title == "4c475a0000000001" and m.wport == 17 and m.installed_at == T0
    assert [x.id for x in store.list_meters(parent_meter_id=meter)] == [gas]
    assert [x.serial for x in store.list_meters(medium="electricity")] == ["LGZ0001"]
    assert store.meter_by_serial("GAS0001") is not None
    mp = store.add_metering_point("LU0000010637000000000000070563700", dso, grid_area="LU-N", postcode="L-1234")
    store.install(mp, meter, T0)
    assert store.list_metering_points(dso)[0].ean.startswith("LU")
    ch = store.add_channel(meter, "1.0.1.8.0.255", unit="Wh", interval_s=900)
    store.add_channel(gas, "0.1.24.2.1.255", unit="l", interval_s=3600, medium="gas")
    assert store.get_channel(ch) is not None
    assert len(store.list_channels([meter, gas])) == 2
    with pytest.raises(sa.exc.IntegrityError):
        store.add_channel(meter, "1.0.1.8.0.255", unit="Wh", interval_s=900)
    with pytest.raises(sa.exc.IntegrityError):  # foreign keys are enforced
        store.add_channel(9999, "1.0.1.8.0.255", unit="Wh", interval_s=900)
    with pytest.raises(sa.exc.IntegrityError):  # M-Bus channels are 1..4
        store.add_meter("W1", dso, model="W", firmware="1", medium="water", parent_meter_id=meter, mbus_channel=5)
    with pytest.raises(ValueError):
        store.add_channel(meter, "1.0.2.8.0.255", unit="Wh", interval_s=700)


def test_blocks_are_append_only_and_current_is_latest(store: Store) -> None:
    _, _, meter = _fleet(store)
    ch = store.add_channel(meter, "1.0.1.8.0.255", unit="Wh", interval_s=900)
    day = date(2026, 3, 2)
    with store.write() as conn:
        insert_blocks(conn, [NewBlock(ch, day, 1, np.arange(96), np.ones(96, np.uint8), "test")])
        insert_blocks(conn, [NewBlock(ch, day, 2, np.arange(96) * 2, np.ones(96, np.uint8), "test", "fix")])
        insert_blocks(
            conn, [NewBlock(ch, day + timedelta(days=1), 1, np.zeros(96, np.int64), np.zeros(96, np.uint8), "t")]
        )
    with pytest.raises(sa.exc.IntegrityError), store.write() as conn:
        insert_blocks(conn, [NewBlock(ch, day, 2, np.arange(96), np.ones(96, np.uint8), "test")])
    cur = store.current_blocks([ch], day, day + timedelta(days=5))
    assert [(b.local_day, b.version) for b in cur] == [(day, 2), (day + timedelta(days=1), 1)]
    assert cur[0].reason == "fix" and int(cur[0].values.sum()) == 2 * sum(range(96))
    assert [b.version for b in store.block_versions(ch, day)] == [1, 2]


def test_events_ignore_duplicates_and_acknowledge(store: Store) -> None:
    _, _, meter = _fleet(store)
    ev = [MeterEvent(meter, T0, "power_failure", 1, "alarm"), MeterEvent(meter, T0, "fraud", 40, "warning")]
    assert store.add_events(ev) == 2
    assert store.add_events([*ev, MeterEvent(meter, T0 + timedelta(minutes=1), "standard", 3)]) == 1
    events = store.list_events(meter_id=meter)
    assert len(events) == 3 and events[0].received_at is not None
    assert store.acknowledge_event(events[0].id or 0, "ops1")
    assert not store.acknowledge_event(events[0].id or 0, "ops2")
    assert len(store.list_events(unacknowledged=True)) == 2


def test_comm_log_and_read_jobs(store: Store) -> None:
    _, _, meter = _fleet(store)
    store.log_comm(meter, "ok", at=T0)
    store.log_comm(meter, "bad_frame", "crc", at=T0)
    store.log_comm(meter, "bad_frame", "crc", at=T0 + timedelta(hours=1))
    assert store.comm_counts(meter) == {"ok": 1, "bad_frame": 2}
    assert store.comm_counts(meter, since=T0 + timedelta(minutes=1)) == {"bad_frame": 1}

    j1 = store.add_read_job(meter, "daily", T0, T0 + timedelta(days=1), next_attempt_at=T0)
    store.add_read_job(meter, "events", next_attempt_at=T0 + timedelta(hours=2))
    claimed = store.claim_read_jobs(T0 + timedelta(hours=1))
    assert [j.id for j in claimed] == [j1] and claimed[0].state == "running" and claimed[0].attempts == 1
    assert store.claim_read_jobs(T0 + timedelta(hours=1)) == []
    store.fail_read_job(j1, "timeout", retry_at=T0 + timedelta(hours=3))
    assert store.list_read_jobs(state="pending")[0].last_error == "timeout"
    again = store.claim_read_jobs(T0 + timedelta(hours=4))
    assert sorted(j.attempts for j in again) == [1, 2]
    store.finish_read_job(j1)
    store.fail_read_job(again[1].id if again[0].id == j1 else again[0].id, "refused")
    assert {j.state for j in store.list_read_jobs(meter_id=meter)} == {"done", "failed"}


def test_invocation_counters_write_ahead(tmp_path: Path) -> None:
    s = Store.open(tmp_path)
    title = bytes.fromhex("4c475a0000000001")
    assert s.get_counter(title, "guek") is None
    assert s.reserve_counter(title, "guek", 100) == 1
    assert s.reserve_counter(title, "guek", 100) == 101
    assert s.reserve_counter(title.hex().upper(), "guek", 1) == 201
    assert s.reserve_counter(title, "ak", 10) == 1  # independent per key kind
    s.close()
    s = Store.open(tmp_path)  # survives a restart: never reuses a counter
    assert s.reserve_counter(title, "guek", 5) == 202
    assert s.get_counter(title, "guek") == 206
    assert s.raise_counter(title, "guek", 1000)  # e.g. after reading the meter's own counter
    assert s.reserve_counter(title, "guek", 1) == 1001
    assert s.record_rx(title, "guek", 10)
    assert not s.record_rx(title, "guek", 10)  # a replay
    assert not s.record_rx(title, "guek", 9)
    assert s.record_rx(title, "guek", 11)
    assert s.get_counter(title, "guek", "rx") == 11
    with pytest.raises(ValueError):
        s.reserve_counter(b"short", "guek", 1)
    s.close()


def test_naive_datetimes_are_refused(store: Store) -> None:
    dso = store.add_dso("d", "D")
    with pytest.raises(sa.exc.StatementError):
        store.add_meter("X", dso, model="m", firmware="f", installed_at=datetime(2026, 1, 1))
