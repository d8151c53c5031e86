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
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
_STATUS = "status IN ('draft', 'published', 'withdrawn')"
_DATED = "status <> 'published' OR valid_from IS NOT NULL"


def _table(with_status: bool) -> sa.Table:
    """The table as it stands before (``with_status`` False) or after this revision, for SQLite's copy."""
    cols: list[Any] = [
        sa.Column("id", sa.Integer),
        sa.Column("supplier_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=not with_status),
        sa.Column("valid_to", sa.Date),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_tariff")),
        sa.ForeignKeyConstraint(["supplier_id"], ["party.id"], name=op.f("fk_supplier_tariff_supplier_id_party")),
        sa.UniqueConstraint(
            "supplier_id", "name", "valid_from", name=op.f("uq_supplier_tariff_supplier_id_name_valid_from")
        ),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_supplier_tariff_period")),
    ]
    cols.append(sa.Index(op.f("ix_supplier_tariff_supplier_id"), "supplier_id"))
    if with_status:
        cols += [
            sa.Column("status", sa.String(12), nullable=False, server_default="published"),
            sa.Column("withdrawn_at", sa.BigInteger),
            sa.CheckConstraint(_STATUS, name=op.f("ck_supplier_tariff_status")),
            sa.CheckConstraint(_DATED, name=op.f("ck_supplier_tariff_dated")),
        ]
    return sa.Table("supplier_tariff", sa.MetaData(), *cols)


def upgrade() -> None:
    with op.batch_alter_table("supplier_tariff", copy_from=_table(False)) as batch:
        batch.add_column(sa.Column("status", sa.String(12), nullable=False, server_default="published"))
        batch.add_column(sa.Column("withdrawn_at", sa.BigInteger))
        batch.alter_column("valid_from", existing_type=sa.Date, nullable=True)
        batch.create_check_constraint(op.f("ck_supplier_tariff_status"), _STATUS)
        batch.create_check_constraint(op.f("ck_supplier_tariff_dated"), _DATED)


def downgrade() -> None:
    op.execute("DELETE FROM supplier_tariff WHERE valid_from IS NULL")
    with op.batch_alter_table("supplier_tariff", copy_from=_table(True)) as batch:
        batch.drop_constraint(op.f("ck_supplier_tariff_dated"), type_="check")
        batch.drop_constraint(op.f("ck_supplier_tariff_status"), type_="check")
        batch.alter_column("valid_from", existing_type=sa.Date, nullable=False)
        batch.drop_column("withdrawn_at")
        batch.drop_column("status")
