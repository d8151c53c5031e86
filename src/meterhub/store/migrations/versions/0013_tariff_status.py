"""supplier_tariff: drafts, publication and withdrawal (a tariff's life as its supplier manages it).

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-02

A supplier writes a tariff as a **draft** (no period yet: ``valid_from`` NULL), **publishes** it from a day
(``valid_from`` set, the open version of the same name closed there) and may **withdraw** it (from a day on: it
ends there; withdrawn before it started, it never was in force and its period is cleared). ``status`` holds the
step (draft / published / withdrawn, a CHECK), ``withdrawn_at`` when it was withdrawn; rows of 0007 are
published. SQLite recreates the table (batch mode). Frozen like 0001: no import of :mod:`meterhub.store.schema`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("supplier_tariff") as batch:
        batch.add_column(sa.Column("status", sa.String(12), nullable=False, server_default="published"))
        batch.add_column(sa.Column("withdrawn_at", sa.BigInteger))
        batch.alter_column("valid_from", existing_type=sa.Date, nullable=True)
        batch.create_check_constraint(
            "ck_supplier_tariff_status", "status IN ('draft', 'published', 'withdrawn')"
        )
        batch.create_check_constraint(
            "ck_supplier_tariff_dated", "status <> 'published' OR valid_from IS NOT NULL"
        )


def downgrade() -> None:
    op.execute("DELETE FROM supplier_tariff WHERE valid_from IS NULL")
    with op.batch_alter_table("supplier_tariff") as batch:
        batch.drop_constraint("ck_supplier_tariff_dated", type_="check")
        batch.drop_constraint("ck_supplier_tariff_status", type_="check")
        batch.alter_column("valid_from", existing_type=sa.Date, nullable=False)
        batch.drop_column("withdrawn_at")
        batch.drop_column("status")
