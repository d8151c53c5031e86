"""vee_digest: one row per channel with what validation needs of its last local days.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Derived data (``meterhub.mdm.digest``): the MDM's block writer keeps it in step with ``interval_block``, and a
channel without a row has its digest rebuilt from its blocks the first time it is needed — so the migration creates
the empty table and backfills nothing. ``seq`` grows by one at every write of a row: a writer that planned from a
snapshot writes a row only over the seq it read (optimistic concurrency). On PostgreSQL the rows are compressed
inline and pages kept half empty (HOT updates: the row is rewritten daily). On SQLite a rowid table (the integer key
is the rowid): a WITHOUT ROWID table keeps at most ~1 000 bytes of a row in its B-tree page and would spill every
~1.2 KB digest to an overflow page of its own. Frozen on purpose like 0001.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vee_digest",
        sa.Column("channel_id", sa.Integer),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("channel_id", name="pk_vee_digest"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # rewritten at every ingest of its channel: compressed inline (lz4, from 128 bytes on) and pages left
        # half empty so that an update finds room beside its old version (a HOT update: no index entry)
        op.execute("ALTER TABLE vee_digest SET (fillfactor = 50, toast_tuple_target = 128)")
        if int(op.get_bind().exec_driver_sql("SHOW server_version_num").scalar() or 0) >= 140000:
            op.execute("ALTER TABLE vee_digest ALTER COLUMN data SET COMPRESSION lz4")


def downgrade() -> None:
    op.drop_table("vee_digest")
