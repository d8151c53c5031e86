"""webhook_subscription and webhook_delivery: market parties' webhooks and their delivery queue.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

A party (supplier, ESP, DSO) subscribes a URL to events (space-separated: ``consent.granted``,
``consent.revoked``, ``consent.expired``, ``data.new``). The signing ``secret`` is kept as is: an HMAC needs the
secret itself, so it cannot be hashed like a password (no encryption key is configured in the platform yet; the
column is the place to encrypt it once one is). A delivery is one event to one subscription, retried with
exponential backoff: ``attempts``, ``next_attempt_at`` (NULL once delivered or given up), ``delivered_at``,
``gave_up_at``, ``last_error``. Times are UTC epoch seconds like the rest of the schema. Frozen like 0001: no
import of :mod:`meterhub.store.schema`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_subscription",
        sa.Column("id", sa.Integer),
        sa.Column("party_id", sa.Integer, nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("events", sa.String(200), nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("deleted_at", sa.BigInteger),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_subscription"),
        sa.ForeignKeyConstraint(["party_id"], ["party.id"], name="fk_webhook_subscription_party_id_party"),
    )
    op.create_index("ix_webhook_subscription_party_id", "webhook_subscription", ["party_id"])
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer),
        sa.Column("subscription_id", sa.Integer, nullable=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger),
        sa.Column("delivered_at", sa.BigInteger),
        sa.Column("gave_up_at", sa.BigInteger),
        sa.Column("last_error", sa.String(500)),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_delivery"),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscription.id"],
            name="fk_webhook_delivery_subscription_id_webhook_subscription",
        ),
    )
    op.create_index("ix_webhook_delivery_next_attempt_at", "webhook_delivery", ["next_attempt_at"])
    op.create_index("ix_webhook_delivery_subscription_id", "webhook_delivery", ["subscription_id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_delivery_subscription_id", table_name="webhook_delivery")
    op.drop_index("ix_webhook_delivery_next_attempt_at", table_name="webhook_delivery")
    op.drop_table("webhook_delivery")
    op.drop_index("ix_webhook_subscription_party_id", table_name="webhook_subscription")
    op.drop_table("webhook_subscription")
