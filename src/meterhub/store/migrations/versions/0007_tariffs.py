"""supplier_tariff: versions of the suppliers' published energy tariffs.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

A supplier publishes tariffs (energy price per rate, seasons, week and day profiles, Luxembourg holidays as
special days — the model of :mod:`meterhub.mdm.tariffs`, kept as JSON text in ``definition``). A change of
price is a new version: a row valid on the local days [valid_from, valid_to) (``valid_to`` NULL: open), one per
(supplier, name, valid_from). Frozen like 0001: no import of :mod:`meterhub.store.schema`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "supplier_tariff",
        sa.Column("id", sa.Integer),
        sa.Column("supplier_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_supplier_tariff"),
        sa.ForeignKeyConstraint(["supplier_id"], ["party.id"], name="fk_supplier_tariff_supplier_id_party"),
        sa.UniqueConstraint("supplier_id", "name", "valid_from", name="uq_supplier_tariff_supplier_id_name_valid_from"),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="ck_supplier_tariff_period"),
    )
    op.create_index("ix_supplier_tariff_supplier_id", "supplier_tariff", ["supplier_id"])


def downgrade() -> None:
    op.drop_index("ix_supplier_tariff_supplier_id", table_name="supplier_tariff")
    op.drop_table("supplier_tariff")
