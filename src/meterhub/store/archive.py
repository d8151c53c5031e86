"""Retention (3 years) and the archive of older months to Parquet (pyarrow).

A month is archived as a directory ``OUT/meterhub-YYYY-MM/`` holding two Parquet files:

* ``interval_block.parquet`` — every block version of the month's local days (all versions, not only the
  current one): ``channel_id`` int32, ``local_day`` date32, ``version`` int32, ``slots`` int16, ``values`` and
  ``quality`` binary, ``created_at`` timestamp[ms, UTC] (whole seconds), ``source`` string, ``reason``
  string (null allowed), sorted by (channel_id, local_day, version). ``values`` and ``quality`` are kept
  as the store's **packed blobs**, byte for byte (format in :mod:`meterhub.store.intervals`; decode with
  ``unpack_values(blob, slots)`` / ``unpack_quality(blob, slots)``): lossless by construction, about 2 bytes
  per value, and a restore puts back exactly what was there. Unpacked lists would be readable without
  meterhub but 4–8 times larger and one more conversion to get wrong.
* ``register_read.parquet`` — the register reads whose instant lies in the month (local midnight starting
  the month inclusive, the next month's exclusive — the same bounds as the PostgreSQL partitions):
  ``channel_id`` int32, ``read_at`` timestamp[ms, UTC] (whole seconds), ``kind``, ``value`` int64, ``source``.

:func:`archive_month` works in this order, so an interruption anywhere loses nothing:

1. one write transaction (SQLite ``BEGIN IMMEDIATE``; PostgreSQL also ``LOCK … IN SHARE MODE`` on the
   month's partitions) — no writer can add to the month while it is archived;
2. read the month's rows, write both files into a temporary directory, fsync them;
3. read the files back and compare them with the rows read from the store, field by field — any difference
   raises :class:`ArchiveError` and the store is untouched;
4. rename the temporary directory to its final name (atomic), fsync the parent directory;
5. only then delete the month from the store — PostgreSQL: ``DETACH PARTITION`` and ``DROP TABLE`` of the
   month's partitions of both tables; SQLite: ``DELETE`` of the month's rows — and commit.

A crash before 5 commits leaves the store as it was (and at most a complete archive beside it, which the next
run simply rewrites). :func:`restore_month` loads an archive back (refusing a month that already holds
blocks); :func:`apply_retention` archives every month older than the window (``keep_years`` whole years
before today's local date; a month partly inside the window is kept).

Imports nothing above :mod:`meterhub.store`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import sqlalchemy as sa

from meterhub.store import partitions as part
from meterhub.store import schema as t
from meterhub.store.blocks import insert_block_rows
from meterhub.store.db import Store
from meterhub.store.intervals import day_start_epoch, local_day_of_epoch
from meterhub.store.reads import RegisterRead, add_register_reads

BLOCKS_FILE = "interval_block.parquet"
READS_FILE = "register_read.parquet"

BLOCK_SCHEMA = pa.schema(
    [
        ("channel_id", pa.int32()),
        ("local_day", pa.date32()),
        ("version", pa.int32()),
        ("slots", pa.int16()),
        ("values", pa.binary()),
        ("quality", pa.binary()),
        ("created_at", pa.timestamp("ms", tz="UTC")),
        ("source", pa.string()),
        ("reason", pa.string()),
    ]
)
READ_SCHEMA = pa.schema(
    [
        ("channel_id", pa.int32()),
        ("read_at", pa.timestamp("ms", tz="UTC")),
        ("kind", pa.string()),
        ("value", pa.int64()),
        ("source", pa.string()),
    ]
)
_READ_COLUMNS = tuple(READ_SCHEMA.names)


class ArchiveError(RuntimeError):
    """An archive could not be written, verified or restored; the store is left as it was."""


@dataclass(frozen=True, slots=True)
class ArchiveReport:
    month: date
    path: Path
    blocks: int
    reads: int


def month_dir(out_dir: Path, month: date) -> Path:
    """The archive directory of ``month`` under ``out_dir``."""
    return Path(out_dir) / f"meterhub-{month.year:04d}-{month.month:02d}"


def _month_range(month: date) -> tuple[date, date, int, int]:
    nxt = part.next_month(month)
    return month, nxt, day_start_epoch(month), day_start_epoch(nxt)


# --------------------------------------------------------------------------------------------- reading rows


def _block_rows(conn: sa.Connection, month: date) -> list[tuple[Any, ...]]:
    b = t.interval_block
    first, nxt, _, _ = _month_range(month)
    q = (
        sa.select(*(b.c[c] for c in BLOCK_SCHEMA.names))
        .where(b.c.local_day >= first, b.c.local_day < nxt)
        .order_by(b.c.channel_id, b.c.local_day, b.c.version)
    )
    return [tuple(row) for row in conn.execute(q)]


def _read_rows(conn: sa.Connection, month: date) -> list[tuple[Any, ...]]:
    r = t.register_read
    _, _, lo, hi = _month_range(month)
    q = (
        sa.select(*(r.c[c] for c in _READ_COLUMNS))
        .where(r.c.read_at >= datetime.fromtimestamp(lo, UTC), r.c.read_at < datetime.fromtimestamp(hi, UTC))
        .order_by(r.c.channel_id, r.c.read_at, r.c.kind)
    )
    return [tuple(row) for row in conn.execute(q)]


def _table(schema: pa.Schema, rows: Sequence[tuple[Any, ...]]) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema.names]
    return pa.Table.from_arrays([pa.array(list(col), type=f.type) for col, f in zip(columns, schema, strict=True)],
                                schema=schema)  # fmt: skip


def _write(table: pa.Table, path: Path) -> None:
    with open(path, "wb") as f:
        pq.write_table(table, f, compression="zstd")
        f.flush()
        os.fsync(f.fileno())


def _read_back(path: Path, schema: pa.Schema) -> list[tuple[Any, ...]]:
    table = pq.read_table(path)
    if not table.schema.equals(schema):
        raise ArchiveError(f"{path}: unexpected schema {table.schema}")
    return list(zip(*(table.column(n).to_pylist() for n in schema.names), strict=True))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------------------------- deleting a month


def _pg_partitions(conn: sa.Connection, month: date) -> list[str]:
    names = [part.partition_name(table, month) for table in part.PARTITIONED]
    present = conn.execute(
        sa.text("SELECT n FROM unnest(CAST(:names AS text[])) AS n WHERE to_regclass(n) IS NOT NULL"), {"names": names}
    )
    found = {row[0] for row in present}
    return [n for n in names if n in found]


def _delete_month(conn: sa.Connection, month: date) -> None:
    """Remove ``month`` from the store inside ``conn``'s transaction (step 5 of :func:`archive_month`)."""
    if conn.dialect.name == "postgresql":
        for name in _pg_partitions(conn, month):
            parent = name.rsplit("_p", 1)[0]
            conn.exec_driver_sql(f"ALTER TABLE {parent} DETACH PARTITION {name}")
            conn.exec_driver_sql(f"DROP TABLE {name}")
        return
    first, nxt, lo, hi = _month_range(month)
    conn.exec_driver_sql(
        f"DELETE FROM {t.interval_block.name} WHERE local_day >= ? AND local_day < ?",
        (first.isoformat(), nxt.isoformat()),
    )
    conn.exec_driver_sql(f"DELETE FROM {t.register_read.name} WHERE read_at >= ? AND read_at < ?", (lo, hi))


# --------------------------------------------------------------------------------------------- archive / restore


def archive_month(store: Store, year: int, month: int, out_dir: Path) -> Path:
    """Archive the local month ``year-month`` to ``out_dir/meterhub-YYYY-MM/`` (see the module docstring),
    verify the files read back identically, then delete the month from the store. Returns the directory."""
    first = date(year, month, 1)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    final = month_dir(out_dir, first)
    tmp = final.with_name(f".{final.name}.tmp")
    with store.write() as conn:
        if conn.dialect.name == "postgresql":
            names = _pg_partitions(conn, first)
            if names:  # no writer adds to the month while it is archived
                conn.exec_driver_sql(f"LOCK TABLE {', '.join(names)} IN SHARE MODE")
        blocks = _block_rows(conn, first)
        reads = _read_rows(conn, first)
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        _write(_table(BLOCK_SCHEMA, blocks), tmp / BLOCKS_FILE)
        _write(_table(READ_SCHEMA, reads), tmp / READS_FILE)
        _fsync_dir(tmp)
        if _read_back(tmp / BLOCKS_FILE, BLOCK_SCHEMA) != blocks or _read_back(tmp / READS_FILE, READ_SCHEMA) != reads:
            raise ArchiveError(f"archive of {first:%Y-%m} does not read back identically: store left untouched")
        if final.exists():  # an earlier run archived the month but did not get to delete it
            old = final.with_name(f".{final.name}.old")
            if old.exists():
                shutil.rmtree(old)
            final.rename(old)
            shutil.rmtree(old)
        tmp.rename(final)
        _fsync_dir(out_dir)
        _delete_month(conn, first)
    return final


def _archive_month_of(path: Path) -> date:
    name = Path(path).name
    try:
        year, month = name.removeprefix("meterhub-").split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise ArchiveError(f"{path}: not a month archive (meterhub-YYYY-MM)") from None


def restore_month(store: Store, path: Path) -> ArchiveReport:
    """Load an archive written by :func:`archive_month` back into the store, in one transaction. Refuses
    (:class:`ArchiveError`) when the month already holds interval blocks; register reads already stored are
    kept (insert-or-ignore)."""
    path = Path(path)
    month = _archive_month_of(path)
    blocks = _read_back(path / BLOCKS_FILE, BLOCK_SCHEMA)
    reads = _read_back(path / READS_FILE, READ_SCHEMA)
    first, nxt, _, _ = _month_range(month)
    b = t.interval_block
    with store.write() as conn:
        present = conn.execute(
            sa.select(sa.func.count()).select_from(b).where(b.c.local_day >= first, b.c.local_day < nxt)
        ).scalar_one()
        if present:
            raise ArchiveError(f"{month:%Y-%m} still holds {present} block(s): archive it first or restore elsewhere")
        insert_block_rows(conn, [(*row[:6], int(row[6].timestamp()), *row[7:]) for row in blocks])
        add_register_reads(conn, [RegisterRead(*row) for row in reads])
    return ArchiveReport(month, path, len(blocks), len(reads))


# --------------------------------------------------------------------------------------------- retention


def retention_cutoff(today: date, keep_years: int = 3) -> date:
    """The first month kept: the month holding ``today`` minus ``keep_years`` years. Months before it lie
    entirely outside the window and are archived."""
    if keep_years < 0:
        raise ValueError("keep_years must be ≥ 0")
    return date(today.year - keep_years, today.month, 1)


def stored_months(store: Store, before: date | None = None) -> list[date]:
    """The months holding any interval block or register read (before the month ``before`` if given).
    PostgreSQL: the month partitions present (empty ones included); SQLite: from the rows."""
    months: set[date] = set()
    with store.read() as conn:
        if conn.dialect.name == "postgresql":
            for table in part.PARTITIONED:
                rows = conn.execute(
                    sa.text(
                        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                        "WHERE i.inhparent = to_regclass(:t)"
                    ),
                    {"t": table},
                )
                for (name,) in rows:
                    stamp = str(name).rsplit("_p", 1)[-1]
                    months.add(date(int(stamp[:4]), int(stamp[4:6]), 1))
        else:
            days = conn.exec_driver_sql(f"SELECT DISTINCT substr(local_day, 1, 7) FROM {t.interval_block.name}")
            months.update(date(int(ym[:4]), int(ym[5:7]), 1) for (ym,) in days)
            hours = conn.exec_driver_sql(f"SELECT DISTINCT read_at / 3600 FROM {t.register_read.name}")
            months.update(part.month_of(local_day_of_epoch(int(h) * 3600)) for (h,) in hours)
    return sorted(m for m in months if before is None or m < before)


def apply_retention(store: Store, today: date, keep_years: int = 3, out_dir: Path = Path("archive")) -> list[Path]:
    """Archive (and remove from the store) every month older than the ``keep_years`` window, oldest first.
    Returns the archive directories written."""
    cutoff = retention_cutoff(today, keep_years)
    return [archive_month(store, m.year, m.month, out_dir) for m in stored_months(store, before=cutoff)]


__all__ = [
    "BLOCKS_FILE",
    "BLOCK_SCHEMA",
    "READS_FILE",
    "READ_SCHEMA",
    "ArchiveError",
    "ArchiveReport",
    "apply_retention",
    "archive_month",
    "month_dir",
    "restore_month",
    "retention_cutoff",
    "stored_months",
]
