"""Billing reads stored as rows, with their TOU determinants and gas energy; gas conversion factors.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

``billing_read``: one row per version of the billing read of one channel and period (monthly or on demand):
the register values at both ends with their source, the consumption (CHECKed to be their exact difference),
who computed it and when, the "as of" basis, and — once — when and to whom the version was sent.
``billing_read_rate``: the TOU determinants of a read per rate. ``billing_read_gas``: the gas volume and
energy of a read per local month with the factors used. ``gas_factor``: calorific value and
volume-correction factor per grid area (``*``: national) and local month, decimals as text.

Plain tables on both backends (small next to the interval data: a few rows per channel and month). Frozen
on purpose like 0001: no import of :mod:`meterhub.store.schema`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "billing_read",
        sa.Column("id", _BIG_ID),
        sa.Column("channel_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("period_start", sa.BigInteger, nullable=False),
        sa.Column("period_end", sa.BigInteger, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("start_value", sa.BigInteger, nullable=False),
        sa.Column("start_source", sa.String(32), nullable=False),
        sa.Column("end_value", sa.BigInteger, nullable=False),
        sa.Column("end_source", sa.String(32), nullable=False),
        sa.Column("consumption", sa.BigInteger, nullable=False),
        sa.Column("unit", sa.String(8), nullable=False),
        sa.Column("tou_calendar", sa.String(40)),
        sa.Column("grid_area", sa.String(40)),
        sa.Column("gas_energy_wh", sa.BigInteger),
        sa.Column("as_of", sa.BigInteger),
        sa.Column("computed_at", sa.BigInteger, nullable=False),
        sa.Column("computed_by", sa.String(80), nullable=False),
        sa.Column("sent_at", sa.BigInteger),
        sa.Column("sent_to", sa.String(80)),
        sa.PrimaryKeyConstraint("id", name="pk_billing_read"),
        sa.ForeignKeyConstraint(["channel_id"], ["channel.id"], name="fk_billing_read_channel_id_channel"),
        sa.UniqueConstraint(
            "channel_id",
            "kind",
            "period_start",
            "period_end",
            "version",
            name="uq_billing_read_channel_id_kind_period_start_period_end_version",
        ),
        sa.CheckConstraint("kind IN ('monthly', 'on_demand')", name="ck_billing_read_kind"),
        sa.CheckConstraint("period_end > period_start", name="ck_billing_read_period"),
        sa.CheckConstraint("consumption = end_value - start_value", name="ck_billing_read_consumption"),
        sa.CheckConstraint("version >= 1", name="ck_billing_read_version"),
        sa.CheckConstraint("(sent_at IS NULL) = (sent_to IS NULL)", name="ck_billing_read_sent"),
    )
    op.create_table(
        "billing_read_rate",
        sa.Column("billing_read_id", _BIG_ID),
        sa.Column("rate", sa.String(16)),
        sa.Column("billed", sa.BigInteger, nullable=False),
        sa.Column("intervals", sa.BigInteger, nullable=False),
        sa.Column("missing_slots", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("billing_read_id", "rate", name="pk_billing_read_rate"),
        sa.ForeignKeyConstraint(
            ["billing_read_id"], ["billing_read.id"], name="fk_billing_read_rate_billing_read_id_billing_read"
        ),
    )
    op.create_table(
        "billing_read_gas",
        sa.Column("billing_read_id", _BIG_ID),
        sa.Column("year", sa.SmallInteger),
        sa.Column("month", sa.SmallInteger),
        sa.Column("volume", sa.BigInteger, nullable=False),
        sa.Column("calorific", sa.String(20), nullable=False),
        sa.Column("correction", sa.String(20), nullable=False),
        sa.Column("factors_area", sa.String(40), nullable=False),
        sa.Column("energy_wh", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("billing_read_id", "year", "month", name="pk_billing_read_gas"),
        sa.ForeignKeyConstraint(
            ["billing_read_id"], ["billing_read.id"], name="fk_billing_read_gas_billing_read_id_billing_read"
        ),
    )
    op.create_table(
        "gas_factor",
        sa.Column("grid_area", sa.String(40)),
        sa.Column("year", sa.SmallInteger),
        sa.Column("month", sa.SmallInteger),
        sa.Column("calorific", sa.String(20), nullable=False),
        sa.Column("correction", sa.String(20), nullable=False),
        sa.Column("set_at", sa.BigInteger, nullable=False),
        sa.Column("set_by", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("grid_area", "year", "month", name="pk_gas_factor"),
        sa.CheckConstraint("month BETWEEN 1 AND 12", name="ck_gas_factor_month"),
    )


def downgrade() -> None:
    for table in ("gas_factor", "billing_read_gas", "billing_read_rate", "billing_read"):
        op.drop_table(table)
