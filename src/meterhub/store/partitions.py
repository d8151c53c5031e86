"""Monthly range partitions of the big tables on PostgreSQL (SQLite has no partitioning and needs none).

On PostgreSQL ``interval_block`` is declaratively partitioned ``BY RANGE (local_day)`` and ``register_read``
``BY RANGE (read_at)``, one partition per Europe/Luxembourg calendar month:

* ``interval_block_pYYYYMM`` holds the local days ``YYYY-MM-01`` … the last day of the month;
* ``register_read_pYYYYMM`` holds the reads from local midnight starting the month (UTC epoch seconds, the
  column's representation) to local midnight starting the next — so the daily read at local midnight of the
  1st lies in the month it opens, the same month as the first interval block it bounds.

Month partitions keep each index small and hot (ingest touches the newest month), let a month be archived
and dropped as a whole (retention of 3 years), and let queries over a time range prune to the months they
need.

Partitions are created two ways, both idempotent (``CREATE TABLE IF NOT EXISTS … PARTITION OF``, under a
transaction-level advisory lock so two creators queue instead of racing on the catalog):

* **ahead** — :meth:`meterhub.store.Store.open` creates the months from last month to :data:`AHEAD_MONTHS`
  ahead in its own short transaction, and :meth:`meterhub.store.Store.ensure_partitions` does it for any
  range (a history load or an import of old months calls it first);
* **on demand** — the write path (:func:`meterhub.store.blocks.insert_blocks`,
  :func:`meterhub.store.reads.add_register_reads`) looks up the months its rows need (one catalog query) and
  creates the missing ones inside the caller's transaction. Creating a partition takes an ACCESS EXCLUSIVE
  lock on the parent table until that transaction ends, which holds up other readers and writers of the
  table meanwhile (and two writers that both already read the table and both need the same new month can
  deadlock; PostgreSQL aborts one). That is why the normal months exist ahead and on-demand creation is
  the fallback for old or far-future data only.

This module knows only dates and SQL text; it imports nothing above :mod:`meterhub.store`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import sqlalchemy as sa

from meterhub.store.intervals import day_start_epoch, local_day_of_epoch

#: table → partition key column. Both are partitioned by Europe/Luxembourg calendar month.
PARTITIONED: dict[str, str] = {"interval_block": "local_day", "register_read": "read_at"}

#: months created ahead of the current one when a PostgreSQL store is opened
AHEAD_MONTHS = 3

_LOCK_KEY = 0x6D68_7061  # "mhpa": advisory lock id serialising partition creation


def month_of(day: date) -> date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + 1, 1, 1) if month.month == 12 else date(month.year, month.month + 1, 1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def months(day_from: date, day_to: date) -> list[date]:
    """First days of every month from ``day_from``'s to ``day_to``'s inclusive."""
    out: list[date] = []
    m, last = month_of(day_from), month_of(day_to)
    while m <= last:
        out.append(m)
        m = next_month(m)
    return out


def month_of_epoch(t: int) -> date:
    """The local (Europe/Luxembourg) month holding the instant ``t`` (UTC epoch seconds)."""
    return month_of(local_day_of_epoch(t))


def partition_name(table: str, month: date) -> str:
    return f"{table}_p{month.year:04d}{month.month:02d}"


def bounds(table: str, month: date) -> tuple[str, str]:
    """SQL literals ``(from, to)`` of the month's partition of ``table`` (to exclusive)."""
    if table == "interval_block":
        return f"'{month.isoformat()}'", f"'{next_month(month).isoformat()}'"
    if table == "register_read":
        return str(day_start_epoch(month)), str(day_start_epoch(next_month(month)))
    raise KeyError(f"{table} is not partitioned")


def create_sql(table: str, month: date) -> str:
    lo, hi = bounds(table, month)
    name = partition_name(table, month)
    return f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {table} FOR VALUES FROM ({lo}) TO ({hi})"


def missing(conn: sa.Connection, table: str, wanted: Iterable[date]) -> list[date]:
    """The months among ``wanted`` without a partition of ``table`` (visible through the search path)."""
    month_list = sorted(set(wanted))
    if not month_list:
        return []
    names = [partition_name(table, m) for m in month_list]
    rows = conn.execute(
        sa.text("SELECT n FROM unnest(CAST(:names AS text[])) AS n WHERE to_regclass(n) IS NULL"), {"names": names}
    )
    absent = {row[0] for row in rows}
    return [m for m, name in zip(month_list, names, strict=True) if name in absent]


def ensure(conn: sa.Connection, table: str, wanted: Sequence[date] | set[date]) -> list[date]:
    """Create the missing monthly partitions of ``table`` in ``conn``'s transaction; returns the months created.

    PostgreSQL only. One catalog query when nothing is missing (the common case); otherwise the advisory lock,
    then ``CREATE TABLE IF NOT EXISTS`` per month (another session may have created it while we waited).
    """
    todo = missing(conn, table, wanted)
    if todo:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        for month in todo:
            conn.exec_driver_sql(create_sql(table, month))
    return todo


__all__ = [
    "AHEAD_MONTHS",
    "PARTITIONED",
    "add_months",
    "bounds",
    "create_sql",
    "ensure",
    "missing",
    "month_of",
    "month_of_epoch",
    "months",
    "next_month",
    "partition_name",
]
