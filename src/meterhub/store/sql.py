"""Portable SQL helpers shared by the store's modules: the dialect differences in one place.

Everything in :mod:`meterhub.store` is SQLAlchemy Core and runs on SQLite and PostgreSQL. The few statements
that differ by dialect are built here: an insert that knows ``ON CONFLICT`` (:func:`insert_for`), a one-parameter
"column among these ids" filter (:func:`id_filters`), PostgreSQL's binary ``COPY … FROM STDIN``
(:func:`copy_rows`) and the batch check that stands in for the partitioned tables' foreign key to ``channel``
(:func:`check_channels`). :data:`Connection` and :data:`IntegrityError` are the names the upper layers use for a
transaction handed out by :meth:`Store.read` / :meth:`Store.write` and for a key clash, so that nothing above
the store imports SQLAlchemy.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from meterhub.store import schema as t

Connection = sa.Connection
"""A connection inside a transaction of :meth:`Store.read` or :meth:`Store.write` (composable store calls)."""
IntegrityError = sa.exc.IntegrityError
"""A key clash or a foreign key not met (e.g. two writers appending the same block version)."""

IN_CHUNK = 500
"""Ids per ``IN (...)`` list where a list is still used: well under SQLite's bound-parameter limit."""
COUNT_ROWS: dict[str, Any] = {"preserve_rowcount": True}
"""Execution options making an executemany's rows affected the sum over SQLAlchemy's "insertmanyvalues"
batches (PostgreSQL reports -1 without it; SQLite's cursor sums anyway)."""

R = TypeVar("R")


def utc_now() -> datetime:
    return datetime.now(UTC)


def insert_for(conn: sa.Connection, table: sa.Table) -> Any:
    """A dialect insert supporting ``on_conflict_do_nothing`` / ``on_conflict_do_update`` (SQLite, PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert support for dialect {conn.dialect.name}")


def insert_id(conn: sa.Connection, stmt: sa.Insert) -> int:
    """Execute an INSERT and return the new row's primary key."""
    key = conn.execute(stmt).inserted_primary_key
    if key is None:
        raise RuntimeError("insert returned no primary key")
    return int(key[0])


def chunks(ids: Sequence[R]) -> Iterator[Sequence[R]]:
    """``ids`` in slices of :data:`IN_CHUNK`."""
    for i in range(0, len(ids), IN_CHUNK):
        yield ids[i : i + IN_CHUNK]


def rows_as(cls: Any, result: Iterable[sa.Row[Any]]) -> list[Any]:
    """Rows as instances of the row type ``cls`` (its fields named as the selected columns)."""
    return [cls(**row._mapping) for row in result]


def id_filters(conn: sa.Connection, column: sa.ColumnElement[int], ids: Iterable[int]) -> Iterator[Any]:
    """WHERE clauses selecting ``column`` among ``ids``, one statement whatever the count, with the same text
    every time (compiled once, cached) and a single parameter: on PostgreSQL ``= ANY(array)``, on SQLite
    ``IN (SELECT value FROM json_each(json array))`` — SQLite seeks the index once per id, as for an ``IN``
    list, without SQLAlchemy expanding a list of hundreds of parameters at every execution."""
    wanted = sorted(set(ids))
    if not wanted:
        return
    if conn.dialect.name == "postgresql":
        yield column == sa.any_(sa.bindparam("ids", wanted, type_=postgresql.ARRAY(sa.Integer)))
    elif conn.dialect.name == "sqlite":
        array = sa.func.json_each(sa.bindparam("ids", json.dumps(wanted), type_=sa.String))
        yield column.in_(sa.select(sa.literal_column("value")).select_from(array))
    else:
        for chunk in chunks(wanted):
            yield column.in_(chunk)


def copy_rows(
    conn: sa.Connection, table: str, columns: Sequence[str], types: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """PostgreSQL: write ``rows`` into ``table`` with one binary ``COPY … FROM STDIN`` on ``conn``'s own
    psycopg 3 connection (inside its transaction). Constraint violations surface as SQLAlchemy's
    :class:`~sqlalchemy.exc.IntegrityError`, as an INSERT's would."""
    import psycopg  # the ``pg`` extra: only needed when the store is PostgreSQL

    driver = conn.connection.driver_connection
    if not isinstance(driver, psycopg.Connection):
        raise NotImplementedError(f"binary COPY needs psycopg 3, not {type(driver).__name__}")
    quoted = ", ".join('"' + c + '"' for c in columns)
    statement = f"COPY {table} ({quoted}) FROM STDIN (FORMAT BINARY)"
    try:
        with driver.cursor() as cur, cur.copy(statement) as copy:
            copy.set_types(list(types))
            for row in rows:
                copy.write_row(row)
    except psycopg.IntegrityError as exc:
        raise sa.exc.IntegrityError(statement, None, exc) from exc


def check_channels(conn: sa.Connection, channel_ids: Iterable[int]) -> None:
    """PostgreSQL: the partitioned tables' foreign key to ``channel``, checked for a whole batch in one
    statement (a declared foreign key would run one trigger query per inserted row — most of a bulk COPY's
    server time). Raises :class:`~sqlalchemy.exc.IntegrityError` naming unknown channels. Channels are never
    deleted, so a check before the insert holds until the commit."""
    wanted = sorted(set(channel_ids))
    unknown = list(
        conn.execute(
            sa.text(
                f"SELECT x FROM unnest(CAST(:ids AS integer[])) AS x "
                f"WHERE NOT EXISTS (SELECT 1 FROM {t.channel.name} c WHERE c.id = x) ORDER BY x LIMIT 10"
            ),
            {"ids": wanted},
        ).scalars()
    )
    if unknown:
        raise sa.exc.IntegrityError(
            "foreign key: channel_id must name a channel", {"channel_id": unknown}, ValueError(f"no channel {unknown}")
        )


__all__ = [
    "COUNT_ROWS",
    "IN_CHUNK",
    "Connection",
    "IntegrityError",
    "check_channels",
    "chunks",
    "copy_rows",
    "id_filters",
    "insert_for",
    "insert_id",
    "rows_as",
    "utc_now",
]
