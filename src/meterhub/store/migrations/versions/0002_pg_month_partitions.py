"""PostgreSQL: interval_block and register_read partitioned by Europe/Luxembourg month.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

On PostgreSQL both tables become declaratively range-partitioned parents (``interval_block`` on
``local_day``, ``register_read`` on ``read_at`` epoch seconds), same columns, keys and names as 0001 (the
8-byte columns moved first, which saves the row's alignment padding) except the foreign key to ``channel``:
PostgreSQL checks a foreign key row by row (one trigger query per inserted row, over 40 % of the bulk
ingest's time), so the store's write path checks each batch's channel ids in one statement instead
(``meterhub.store.db``); channels are never deleted. Rows
already stored move into one partition per month they occupy. Partitions of later months are created by the
store (ahead when it opens, on demand in the write path; see :mod:`meterhub.store.partitions`). SQLite has
no partitioning: nothing changes there.

Frozen on purpose like 0001: it carries its own copy of the column lists and of the month arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa
from alembic import op

from meterhub.country import LOCAL_TZ

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LUX = LOCAL_TZ
_FK = {"interval_block": "fk_interval_block_channel_id_channel", "register_read": "fk_register_read_channel_id_channel"}


def _columns(table: str, *, partitioned: bool) -> list[sa.schema.SchemaItem]:
    """The table's columns and keys. The partitioned tables put their 8-byte columns first (no alignment
    padding inside the row: 8 bytes less per row, about 0.08 byte per stored interval value) and carry no
    row-by-row foreign key to ``channel``: the store checks a batch's channels in one statement instead."""
    if table == "interval_block":
        created_at = [sa.Column("created_at", sa.BigInteger, nullable=False)]
        return [
            *(created_at if partitioned else []),
            sa.Column("channel_id", sa.Integer, nullable=False),
            sa.Column("local_day", sa.Date, nullable=False),
            sa.Column("version", sa.Integer, nullable=False),
            sa.Column("slots", sa.SmallInteger, nullable=False),
            sa.Column("values", sa.LargeBinary, nullable=False),
            sa.Column("quality", sa.LargeBinary, nullable=False),
            *([] if partitioned else created_at),
            sa.Column("source", sa.String(32), nullable=False),
            sa.Column("reason", sa.Text),
            sa.PrimaryKeyConstraint("channel_id", "local_day", "version", name="pk_interval_block"),
            *([] if partitioned else [sa.ForeignKeyConstraint(["channel_id"], ["channel.id"], name=_FK[table])]),
        ]
    channel_id = sa.Column("channel_id", sa.Integer, nullable=False)
    read_at = sa.Column("read_at", sa.BigInteger, nullable=False)
    kind = sa.Column("kind", sa.String(16), nullable=False)
    value = sa.Column("value", sa.BigInteger, nullable=False)
    ordered: list[sa.schema.SchemaItem] = (
        [read_at, value, channel_id, kind] if partitioned else [channel_id, read_at, kind, value]
    )
    return [
        *ordered,
        sa.Column("source", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("channel_id", "read_at", "kind", name="pk_register_read"),
        *([] if partitioned else [sa.ForeignKeyConstraint(["channel_id"], ["channel.id"], name=_FK[table])]),
    ]


_KEY = {"interval_block": "local_day", "register_read": "read_at"}
_MONTHS_SQL = {
    "interval_block": "SELECT DISTINCT CAST(date_trunc('month', local_day) AS date) FROM {t}",
    "register_read": (
        "SELECT DISTINCT CAST(date_trunc('month', to_timestamp(read_at) AT TIME ZONE 'Europe/Luxembourg') AS date)"
        " FROM {t}"
    ),
}


def _next(month: date) -> date:
    return date(month.year + 1, 1, 1) if month.month == 12 else date(month.year, month.month + 1, 1)


def _bound(table: str, month: date) -> str:
    if table == "interval_block":
        return f"'{month.isoformat()}'"
    return str(int(datetime(month.year, month.month, 1, tzinfo=_LUX).timestamp()))


def _swap(table: str, *, partitioned: bool) -> None:
    """Rename ``table`` aside, create it anew (partitioned or plain), move the rows, drop the old one."""
    old = f"{table}_old"
    op.execute(f"ALTER TABLE {table} RENAME TO {old}")
    op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT pk_{table} TO pk_{old}")
    if partitioned:
        op.create_table(table, *_columns(table, partitioned=True), postgresql_partition_by=f"RANGE ({_KEY[table]})")
    else:
        op.create_table(table, *_columns(table, partitioned=False))
    if partitioned:
        for (month,) in op.get_bind().execute(sa.text(_MONTHS_SQL[table].format(t=old))).all():
            op.execute(
                f"CREATE TABLE {table}_p{month.year:04d}{month.month:02d} PARTITION OF {table} "
                f"FOR VALUES FROM ({_bound(table, month)}) TO ({_bound(table, _next(month))})"
            )
    names = ", ".join(f'"{c.name}"' for c in _columns(table, partitioned=False) if isinstance(c, sa.Column))
    op.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {old}")
    op.execute(f"DROP TABLE {old} CASCADE")  # a partitioned old table takes its partitions along


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ("interval_block", "register_read"):
        _swap(table, partitioned=True)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ("interval_block", "register_read"):
        _swap(table, partitioned=False)
