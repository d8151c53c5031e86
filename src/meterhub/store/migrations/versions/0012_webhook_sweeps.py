"""Webhook sweeps: a subscription's ``data.new`` watermark, a consent's ``expired_at``, and an index on the
interval blocks' creation time (issue 13, deliverable 5).

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-02

``webhook_subscription.data_watermark``: the creation time up to which the blocks have been swept for the
subscription's ``data.new`` events (NULL: from its own creation). ``consent.expired_at``: when the expiry sweep
found the consent's end passed and queued ``consent.expired`` (NULL: not yet; set once). The index on
``interval_block.created_at`` lets the sweep find the blocks written since a watermark without a scan (on
PostgreSQL it is created on the partitioned table and so on every partition). Frozen like 0001: no import of
:mod:`meterhub.store.schema`. (The lead re-chains ``down_revision`` at merge.)
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_subscription") as batch:
        batch.add_column(sa.Column("data_watermark", sa.BigInteger))
    with op.batch_alter_table("consent") as batch:
        batch.add_column(sa.Column("expired_at", sa.BigInteger))
    op.create_index("ix_interval_block_created_at", "interval_block", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_interval_block_created_at", table_name="interval_block")
    with op.batch_alter_table("consent") as batch:
        batch.drop_column("expired_at")
    with op.batch_alter_table("webhook_subscription") as batch:
        batch.drop_column("data_watermark")
