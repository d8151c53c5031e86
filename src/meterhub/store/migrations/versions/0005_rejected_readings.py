"""rejected_reading: readings received but not kept in the series (the second value of a conflicting duplicate).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

An import that finds two different readings for one (meter, OBIS, instant) keeps the first in the series (the
two slots around the instant ``suspect`` with the duplicate rule) and records the other here, with the value
kept beside it, the reason (``conflicting-duplicate``), where it came from (file and line) and the import run:
nothing received is lost. ``read_at`` (UTC epoch seconds) is the reading's instant. One row per (channel,
instant, value, reason): re-importing a file records nothing new. A plain table on both backends (a few rows
per import, not per interval). Frozen on purpose like 0001: no import of :mod:`meterhub.store.schema`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "rejected_reading",
        sa.Column("id", _BIG_ID),
        sa.Column("channel_id", sa.Integer, nullable=False),
        sa.Column("read_at", sa.BigInteger, nullable=False),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.Column("kept_value", sa.BigInteger),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("import_run", sa.String(40), nullable=False),
        sa.Column("recorded_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rejected_reading"),
        sa.ForeignKeyConstraint(["channel_id"], ["channel.id"], name="fk_rejected_reading_channel_id_channel"),
        sa.UniqueConstraint(
            "channel_id", "read_at", "value", "reason", name="uq_rejected_reading_channel_id_read_at_value_reason"
        ),
    )
    op.create_index("ix_rejected_reading_import_run", "rejected_reading", ["import_run"])


def downgrade() -> None:
    op.drop_index("ix_rejected_reading_import_run", table_name="rejected_reading")
    op.drop_table("rejected_reading")
