"""PostgreSQL for the tests: the real server named by ``MH_PG_DSN`` (e.g. ``postgresql://postgres@127.0.0.1/test``).

Each store gets a fresh, uniquely named schema (``mh_test_<hex>``) made the connection's ``search_path``
through libpq's ``options``, and dropped (CASCADE) afterwards, so tests never see each other's tables and
leave nothing behind. Without ``MH_PG_DSN`` the PostgreSQL tests are skipped locally but FAIL under CI
(``CI`` set): CI must test the real server.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from meterhub.store import Store

BACKENDS = ("sqlite", "postgres")


def pg_dsn() -> str:
    """``MH_PG_DSN``, or skip (locally) / fail (CI) the calling test."""
    dsn = os.environ.get("MH_PG_DSN")
    if not dsn:
        if os.environ.get("CI"):
            pytest.fail("MH_PG_DSN is not set: CI must run the PostgreSQL tests against a real server")
        pytest.skip("MH_PG_DSN not set (PostgreSQL tests run where it is, and always in CI)")
    return dsn


def sqlalchemy_url(dsn: str, schema: str | None = None) -> str:
    """The psycopg 3 SQLAlchemy URL of a libpq DSN URL, with ``search_path`` set to ``schema`` if given."""
    url = sa.make_url(dsn.replace("postgres://", "postgresql://", 1) if dsn.startswith("postgres://") else dsn)
    url = url.set(drivername="postgresql+psycopg")
    if schema is not None:
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def _admin(dsn: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql)


@contextmanager
def pg_schema() -> Iterator[str]:
    """A fresh schema on the test server; yields the SQLAlchemy URL whose search path is that schema."""
    dsn = pg_dsn()
    schema = f"mh_test_{secrets.token_hex(6)}"
    _admin(dsn, f"CREATE SCHEMA {schema}")
    try:
        yield sqlalchemy_url(dsn, schema)
    finally:
        _admin(dsn, f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@contextmanager
def open_store(backend: str, tmp_path: Path) -> Iterator[Store]:
    """A fresh, migrated store on ``backend`` ("sqlite": a data directory under ``tmp_path``; "postgres": a
    fresh schema on ``MH_PG_DSN``), closed (and its schema dropped) afterwards."""
    if backend == "sqlite":
        s = Store.open(tmp_path / "sqlite-store")
        try:
            yield s
        finally:
            s.close()
        return
    if backend != "postgres":
        raise ValueError(backend)
    with pg_schema() as url:
        s = Store.open(url)
        try:
            yield s
        finally:
            s.close()
