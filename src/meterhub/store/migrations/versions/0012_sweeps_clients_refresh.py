"""Webhook sweeps, client secret rotation, refresh tokens: a subscription's ``data.new`` watermark, a consent's
``expired_at``, an index on the interval blocks' creation time, a client secret's end of grace, and the
``refresh_token`` / ``refresh_access_token`` tables (issue 13, deliverables 4 and 5).

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-02

``webhook_subscription.data_watermark``: the creation time up to which the blocks have been swept for the
subscription's ``data.new`` events (NULL: from its own creation). ``consent.expired_at``: when the expiry sweep
found the consent's end passed and queued ``consent.expired`` (NULL: not yet; set once). The index on
``interval_block.created_at`` lets the sweep find the blocks written since a watermark without a scan (on
PostgreSQL it is created on the partitioned table and so on every partition). ``oauth_client_secret.expires_at``:
when a secret replaced by a rotation stops being accepted (NULL: a live secret without an end).
``refresh_token``: a long-lived credential a person issues (acting as themselves, data scopes only, or as one of
their party's OAuth2 clients), kept as its SHA-256, revocable; ``refresh_access_token``: the 24-hour bearer tokens
traded for one (their hashes), revoked with it. Frozen like 0001:
no import of :mod:`meterhub.store.schema`. (The lead re-chains ``down_revision`` at merge.)
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_subscription") as batch:
        batch.add_column(sa.Column("data_watermark", sa.BigInteger))
    with op.batch_alter_table("consent") as batch:
        batch.add_column(sa.Column("expired_at", sa.BigInteger))
    op.create_index("ix_interval_block_created_at", "interval_block", ["created_at"])
    with op.batch_alter_table("oauth_client_secret") as batch:
        batch.add_column(sa.Column("expires_at", sa.BigInteger))
    op.create_table(
        "refresh_token",
        sa.Column("id", sa.Integer),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("client_id", sa.String(40)),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("issued_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("revoked_at", sa.BigInteger),
        sa.PrimaryKeyConstraint("id", name="pk_refresh_token"),
        sa.UniqueConstraint("token_hash", name="uq_refresh_token_token_hash"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name="fk_refresh_token_user_id_app_user"),
        sa.ForeignKeyConstraint(
            ["client_id"], ["oauth_client.client_id"], name="fk_refresh_token_client_id_oauth_client"
        ),
    )
    op.create_index("ix_refresh_token_user_id", "refresh_token", ["user_id"])
    op.create_index("ix_refresh_token_client_id", "refresh_token", ["client_id"])
    op.create_table(
        "refresh_access_token",
        sa.Column("token_hash", sa.String(64)),
        sa.Column("refresh_id", sa.Integer, nullable=False),
        sa.Column("issued_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_refresh_access_token"),
        sa.ForeignKeyConstraint(
            ["refresh_id"], ["refresh_token.id"], name="fk_refresh_access_token_refresh_id_refresh_token"
        ),
    )
    op.create_index("ix_refresh_access_token_refresh_id", "refresh_access_token", ["refresh_id"])


def downgrade() -> None:
    op.drop_index("ix_refresh_access_token_refresh_id", table_name="refresh_access_token")
    op.drop_table("refresh_access_token")
    op.drop_index("ix_refresh_token_client_id", table_name="refresh_token")
    op.drop_index("ix_refresh_token_user_id", table_name="refresh_token")
    op.drop_table("refresh_token")
    with op.batch_alter_table("oauth_client_secret") as batch:
        batch.drop_column("expires_at")
    op.drop_index("ix_interval_block_created_at", table_name="interval_block")
    with op.batch_alter_table("consent") as batch:
        batch.drop_column("expired_at")
    with op.batch_alter_table("webhook_subscription") as batch:
        batch.drop_column("data_watermark")
