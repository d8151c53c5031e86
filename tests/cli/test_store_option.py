"""Every command on any store: ``--store URL`` (or ``$MH_STORE_URL``) beside ``--data-dir``, a PostgreSQL store
from the demo to the export, reading commands that refuse a store that is not there (SQLite and PostgreSQL)
instead of creating one, and ``meterhub store init|upgrade|status``."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from meterhub.store.locate import StoreUrlError, locate, probe
from tests.cli.conftest import CliResult, Country, build_demo, cli, invoke
from tests.pg import pg_dsn, pg_schema, sqlalchemy_url


def _one_line_error(done, code: int = 1) -> str:
    """The error of a command that failed cleanly: its exit code, no traceback, one message."""
    out = done.stdout + done.stderr
    assert (done.exit_code if isinstance(done, CliResult) else done.returncode) == code, out
    assert "Traceback" not in out, out
    assert "error" in done.stderr.lower(), out
    return " ".join(out.split())


def test_demo_read_and_export_on_postgresql_through_store(tmp_path: Path) -> None:
    """The demo builds its country in PostgreSQL (the head-end reads the fleet over DLMS/TCP into it), the
    data dir keeps only the demo's files, and ``export csv --store`` exports from PostgreSQL."""
    with pg_schema() as url:
        demo = build_demo(tmp_path / "data", meters=4, store=url)
        summary = json.loads((demo.data_dir / "demo-summary.json").read_text())
        assert summary["hes"]["ok"] == 4 and summary["hes"]["failed"] == 0, summary
        assert not (demo.data_dir / "meterhub.sqlite").exists()
        assert (demo.data_dir / "meter-keys.json").stat().st_mode & 0o777 == 0o600
        status = cli("--store", url, "store", "status", "--json")
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["backend"] == "postgresql"

        out = tmp_path / "intervals.csv"
        done = cli("--store", url, "export", "csv", "--out", str(out), "--json")
        assert done.returncode == 0, done.stderr
        rows = list(csv.DictReader(out.open()))
        assert json.loads(done.stdout)["rows"] == len(rows) > 0
        assert {r["meter_serial"] for r in rows} >= set(demo.serials())
        assert {"hes", "sim-history"} <= _sources(url)
        # the same through $MH_STORE_URL, and a meter filter
        serial = demo.serials()[0]
        done = cli("export", "csv", "--out", str(out), "--meter", serial, "--json", env={"MH_STORE_URL": url})
        assert done.returncode == 0, done.stderr
        assert {r["meter_serial"] for r in csv.DictReader(out.open())} == {serial}


def _sources(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(sa.text("SELECT DISTINCT source FROM interval_block")).scalars())
    finally:
        engine.dispose()


def test_reading_commands_refuse_a_missing_sqlite_store(tmp_path: Path) -> None:
    missing = tmp_path / "mistyped"
    for args in (
        ("export", "csv", "--out", str(tmp_path / "x.csv")),
        ("archive", "run"),
        ("vee", "run"),
        ("hes", "run", "--once"),
        ("billing", "list", "--meter", "E0"),
        ("aggregate", "--by", "dso", "--day", "2026-06-10"),
        ("store", "upgrade"),
        ("store", "status"),
    ):
        text = _one_line_error(invoke("--data-dir", str(missing), *args))
        assert f"no store in {missing}" in text and "meterhub store init" in text, (args, text)
    assert not missing.exists()
    text = _one_line_error(cli("--data-dir", str(missing), "export", "csv", "--out", str(tmp_path / "x.csv")))
    assert f"no store in {missing}" in text, text
    # a sqlite:/// URL naming a file that is not there; and --json
    db = tmp_path / "nowhere" / "meterhub.sqlite"
    done = cli("--store", f"sqlite:///{db}", "export", "csv", "--out", str(tmp_path / "x.csv"), "--json")
    text = _one_line_error(done)
    assert json.loads(done.stdout) == {"ok": False, "error": json.loads(done.stdout)["error"]}
    assert f"no store at {db}" in json.loads(done.stdout)["error"], text
    assert not db.parent.exists() and not (tmp_path / "x.csv").exists()
    # a file that is not a meterhub store
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not a database")
    text = _one_line_error(invoke("--store", f"sqlite:///{junk}", "export", "csv", "--out", str(tmp_path / "x.csv")))
    assert "is not a meterhub store" in text, text


def test_reading_commands_refuse_a_missing_postgresql_store(tmp_path: Path) -> None:
    dsn = pg_dsn()
    out = str(tmp_path / "x.csv")
    with pg_schema() as url:  # a database without the meterhub schema
        text = _one_line_error(cli("--store", url, "export", "csv", "--out", out))
        assert "holds no meterhub schema" in text and "meterhub store init" in text, text
        assert not _tables(url)
    # a server that does not answer; a database that does not exist; the password never shown
    closed = sa.make_url(sqlalchemy_url(dsn)).set(port=1, password="s3cret").render_as_string(hide_password=False)
    text = _one_line_error(cli("--store", closed, "export", "csv", "--out", out))
    assert "cannot connect to the store" in text and "s3cret" not in text and "***" in text, text
    nodb = sa.make_url(sqlalchemy_url(dsn)).set(database="mh_no_such_db").render_as_string(hide_password=False)
    text = _one_line_error(invoke("--store", nodb, "billing", "list", "--meter", "E0"))
    assert "cannot connect" in text and "mh_no_such_db" in text, text


def _tables(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return sa.inspect(conn).get_table_names()
    finally:
        engine.dispose()


def test_store_init_creates_the_postgresql_schema_then_commands_use_it(tmp_path: Path) -> None:
    with pg_schema() as url:
        done = cli("--store", url, "store", "init", "--json")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["created"] is True and "alembic_version" in _tables(url)
        again = invoke("--store", url, "store", "init", "--json")
        assert again.exit_code == 0 and json.loads(again.stdout)["created"] is False
        upgrade = invoke("--store", url, "store", "upgrade")
        assert upgrade.exit_code == 0 and "up to date" in upgrade.stdout, upgrade.stdout + upgrade.stderr
        done = cli("--store", url, "export", "csv", "--out", str(tmp_path / "x.csv"), "--json")
        assert done.returncode == 0 and json.loads(done.stdout)["rows"] == 0, done.stderr


def test_store_init_and_import_create_a_sqlite_store(country: Country, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    done = cli("--data-dir", str(fresh), "store", "init")
    assert done.returncode == 0 and "created" in done.stdout, done.stderr
    assert (fresh / "meterhub.sqlite").is_file()
    status = invoke("--data-dir", str(fresh), "store", "status", "--json")
    assert status.exit_code == 0 and json.loads(status.stdout)["revision"] == json.loads(status.stdout)["head"]
    # import is a command that may create its store (here: a sqlite:/// URL in a new directory)
    db = tmp_path / "new" / "dir" / "meterhub.sqlite"
    readings = tmp_path / "readings.csv"
    readings.write_text("meter_serial,obis,timestamp,value\nX1,1.0.1.8.0.255,2026-06-10T00:15:00+02:00,100\n"
                        "X1,1.0.1.8.0.255,2026-06-10T00:30:00+02:00,150\n")  # fmt: skip
    done = cli("--store", f"sqlite:///{db}", "import", "intervals", str(readings), "--create-meters", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert probe(locate(f"sqlite:///{db}")).exists
    # --store wins over --data-dir for the store; the data dir stays the demo's and the archive's
    r = country.invoke("--store", f"sqlite:///{db}", "billing", "list", "--meter", "E0")
    assert r.exit_code == 1 and "unknown meter E0" in r.stderr, r.stderr


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@localhost/meterhub", "unsupported store URL scheme 'mysql'"),
        ("postgresql://", "names no database"),
        ("sqlite://", "names its file"),
    ],
)
def test_a_bad_store_url_is_a_usage_error(url: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(StoreUrlError, match=message):
        locate(url)
    assert message in _one_line_error(invoke("--store", url, "export", "csv", "--out", str(tmp_path / "x.csv")), 2)
