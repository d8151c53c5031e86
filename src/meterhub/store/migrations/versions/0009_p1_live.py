"""p1_reading: the live P1 readings a household's reader forwards to the platform (issue 13, deliverable 5).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

One row per forwarded telegram: the metering point it was accepted for, the meter's name and system title as the
forwarder sent them, the telegram's own time (``read_at``, else the time it was received), its frame counter, the
whole record as JSON text (:func:`meterhub.p1.records.reading_record`) and when the platform received it. A
telegram forwarded twice (same point, meter, read_at and frame counter) is kept once. Frozen like 0001: no import
of :mod:`meterhub.store.schema`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "p1_reading",
        sa.Column("id", sa.Integer),
        sa.Column("point_id", sa.Integer, nullable=False),
        sa.Column("meter", sa.String(64), nullable=False),
        sa.Column("system_title", sa.String(16), nullable=False),
        sa.Column("read_at", sa.BigInteger, nullable=False),
        sa.Column("frame_counter", sa.BigInteger, nullable=False),
        sa.Column("record", sa.Text, nullable=False),
        sa.Column("received_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_p1_reading"),
        sa.ForeignKeyConstraint(["point_id"], ["metering_point.id"], name="fk_p1_reading_point_id_metering_point"),
        sa.UniqueConstraint(
            "point_id", "meter", "read_at", "frame_counter", name="uq_p1_reading_point_id_meter_read_at_frame_counter"
        ),
    )
    op.create_index("ix_p1_reading_point_id_read_at", "p1_reading", ["point_id", "read_at"])


def downgrade() -> None:
    op.drop_index("ix_p1_reading_point_id_read_at", table_name="p1_reading")
    op.drop_table("p1_reading")
