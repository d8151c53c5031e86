"""The store's engine: opening a database by URL or data directory, migrating it, and its transactions.

SQLite is the default backend (a data directory holds ``meterhub.sqlite``, WAL journal, ``synchronous=NORMAL``,
foreign keys on, a busy timeout). PostgreSQL (extra ``pg``, psycopg 3) sits behind the same interface:
``Store.open("postgresql+psycopg://user@host/db")`` (a plain ``postgresql://`` URL is taken to mean psycopg 3).
Opening migrates the schema to head with Alembic (the packaged ``migrations/``, configured in code) and, on
PostgreSQL, makes sure of the monthly partitions around today (:mod:`meterhub.store.partitions`).

Transactions: :meth:`StoreEngine.write` opens a write transaction — on SQLite ``BEGIN IMMEDIATE``, so a
read-then-write transaction (ingest reads the current block version, then appends the next) holds the write
lock from its first statement and can neither interleave with another writer nor fail on a stale snapshot.
:meth:`StoreEngine.read` opens a plain (deferred) transaction: a consistent snapshot that does not block
writers. On PostgreSQL both run at the default READ COMMITTED: writers do not queue behind one lock as on
SQLite, so two concurrent writers appending the *same* (channel, day, version) make the second fail on the
primary key (IntegrityError, its transaction rolled back, nothing lost) rather than wait.

:class:`StoreEngine` is the base of :class:`meterhub.store.db.Store`, which adds the data operations of each
concern (inventory, blocks, reads, events, jobs, counters).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, Self

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from meterhub.store import partitions as part
from meterhub.store.intervals import LOCAL_TZ

DB_FILE = "meterhub.sqlite"
"""The SQLite database file of a data directory."""
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_WRITE = "meterhub_write"


def driver_url(url: str) -> sa.URL:
    """``postgresql://`` / ``postgres://`` without a driver means psycopg 3 (the ``pg`` extra), not SQLAlchemy's
    default psycopg2."""
    parsed = sa.make_url(url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url)
    return parsed.set(drivername="postgresql+psycopg") if parsed.drivername == "postgresql" else parsed


def _configure_sqlite(engine: sa.Engine) -> None:
    """WAL, synchronous=NORMAL, foreign keys, busy timeout; explicit BEGIN (IMMEDIATE for writes)."""

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" event emit BEGIN itself
        cur = dbapi_conn.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=10000"):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


class StoreEngine:
    """A database holding the meterhub schema: lifecycle and transactions. Create with :meth:`open`."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str | Path, *, migrate: bool = True) -> Self:
        """Open ``url`` (an SQLAlchemy URL, or a data directory → ``sqlite:///DIR/meterhub.sqlite``) and
        migrate it to the newest schema (Alembic ``upgrade head``)."""
        if isinstance(url, Path) or "://" not in url:
            directory = Path(url)
            directory.mkdir(parents=True, exist_ok=True)
            url = f"sqlite:///{directory.resolve() / DB_FILE}"
        engine = sa.create_engine(driver_url(url))
        if engine.dialect.name == "sqlite":
            _configure_sqlite(engine)
        store = cls(engine)
        if migrate:
            store.upgrade()
            if engine.dialect.name == "postgresql":
                this_month = part.month_of(datetime.now(LOCAL_TZ).date())
                store.ensure_partitions(part.add_months(this_month, -1), part.add_months(this_month, part.AHEAD_MONTHS))
        return store

    def ensure_partitions(self, day_from: date, day_to: date) -> list[str]:
        """PostgreSQL: create the monthly partitions of ``interval_block`` and ``register_read`` covering the
        local days ``day_from..day_to`` that do not exist yet, in one short transaction of their own (call it
        before loading history of old months so the load does not create them inside its own transaction).
        Returns the partitions created; SQLite has none and returns ``[]``."""
        if self.engine.dialect.name != "postgresql":
            return []
        created: list[str] = []
        with self.write() as conn:
            for table in part.PARTITIONED:
                created += [
                    part.partition_name(table, m) for m in part.ensure(conn, table, part.months(day_from, day_to))
                ]
        return created

    def alembic_config(self) -> Config:
        """An Alembic configuration built in code (no alembic.ini): script location = the packaged migrations."""
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.set_main_option("sqlalchemy.url", self.engine.url.render_as_string(hide_password=False).replace("%", "%%"))
        return cfg

    def upgrade(self, revision: str = "head") -> None:
        """Run the Alembic migrations up to ``revision`` in one write transaction."""
        cfg = self.alembic_config()
        with self.write() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """A write transaction (SQLite: ``BEGIN IMMEDIATE``); commits on success, rolls back on error."""
        with self.engine.connect() as conn:
            conn.execution_options(**{_WRITE: True})
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A read transaction (a consistent snapshot)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn


__all__ = ["DB_FILE", "MIGRATIONS", "StoreEngine", "driver_url"]
