"""The state of login throttles and API rate limits, shared by every worker (issue 13 §1, §3, §4).

``login_throttle`` holds one record per account (``account:NAME``) and per source address (``address:IP``);
``rate_bucket`` one token bucket per client, user or address. The decisions are :mod:`meterhub.security.throttle`'s
(pure); this module only keeps the state, and updates a row atomically: :func:`update_bucket` and
:func:`update_throttle` read the row (created first if absent, then locked with ``FOR UPDATE`` on PostgreSQL;
SQLite's write transaction holds the database's write lock), hand it to the caller's function and store what it
returns — so two workers never both spend the same token. Rows are plain tuples here; the layer above converts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple, TypeVar

import sqlalchemy as sa

from meterhub.store import schema as t
from meterhub.store.engine import StoreEngine
from meterhub.store.sql import insert_for

R = TypeVar("R")


class ThrottleRow(NamedTuple):
    failures: int = 0
    first_failure_at: datetime | None = None
    last_failure_at: datetime | None = None
    locked_until: datetime | None = None
    lockouts: int = 0


class BucketRow(NamedTuple):
    tokens: float
    updated_at: float  # epoch seconds


def _locked_row(conn: sa.Connection, table: sa.Table, key: str) -> sa.Row[object] | None:
    q = sa.select(table).where(table.c.key == key)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()
    return conn.execute(q).first()


def throttle_rows(conn: sa.Connection, keys: list[str]) -> dict[str, ThrottleRow]:
    """The records of ``keys`` (a key without a row has the empty record)."""
    lt = t.login_throttle
    found = {r.key: ThrottleRow(*r[1:]) for r in conn.execute(sa.select(lt).where(lt.c.key.in_(keys)))}
    return {k: found.get(k, ThrottleRow()) for k in keys}


def update_throttle(conn: sa.Connection, key: str, change: Callable[[ThrottleRow], ThrottleRow]) -> ThrottleRow:
    """Replace the record of ``key`` by ``change(record)`` atomically; returns the new record."""
    lt = t.login_throttle
    conn.execute(insert_for(conn, lt).values(key=key, failures=0, lockouts=0).on_conflict_do_nothing())
    row = _locked_row(conn, lt, key)
    new = change(ThrottleRow(*row[1:]) if row is not None else ThrottleRow())
    conn.execute(lt.update().where(lt.c.key == key).values(**new._asdict()))
    return new


def update_bucket(
    conn: sa.Connection, key: str, fresh: BucketRow, change: Callable[[BucketRow], tuple[BucketRow, R]]
) -> R:
    """Apply ``change`` to the bucket of ``key`` (``fresh`` if it has none) atomically; returns its answer."""
    rb = t.rate_bucket
    conn.execute(insert_for(conn, rb).values(key=key, **fresh._asdict()).on_conflict_do_nothing())
    row = _locked_row(conn, rb, key)
    state = BucketRow(float(row.tokens), float(row.updated_at)) if row is not None else fresh
    new, answer = change(state)
    conn.execute(rb.update().where(rb.c.key == key).values(**new._asdict()))
    return answer


def forget_throttle(conn: sa.Connection, key: str) -> None:
    """An admin's unlock (or a record time has made irrelevant): the key starts over."""
    conn.execute(t.login_throttle.delete().where(t.login_throttle.c.key == key))


class LimitOps(StoreEngine):
    """Login throttles and rate-limit buckets (part of :class:`~meterhub.store.db.Store`)."""

    def throttle_rows(self, keys: list[str]) -> dict[str, ThrottleRow]:
        with self.read() as conn:
            return throttle_rows(conn, keys)

    def update_throttle(self, key: str, change: Callable[[ThrottleRow], ThrottleRow]) -> ThrottleRow:
        with self.write() as conn:
            return update_throttle(conn, key, change)

    def update_bucket(self, key: str, fresh: BucketRow, change: Callable[[BucketRow], tuple[BucketRow, R]]) -> R:
        with self.write() as conn:
            return update_bucket(conn, key, fresh, change)

    def forget_throttle(self, key: str) -> None:
        with self.write() as conn:
            forget_throttle(conn, key)


__all__ = [
    "BucketRow",
    "LimitOps",
    "ThrottleRow",
    "forget_throttle",
    "throttle_rows",
    "update_bucket",
    "update_throttle",
]
