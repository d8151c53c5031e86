"""party_contact and consent_notice: where a party's notification e-mails go (issue 14 §9).

Revision ID: 0014
Revises: 0009
Create Date: 2026-12-02

One row per party that has given an address: the e-mail address, the language of its messages (en, fr, de),
whether it wants the consent e-mails (a request received, a consent granted, refused, revoked or expired) and when
the row last changed. A party without a row is sent nothing. ``consent_notice`` records the notices that a sweep
sends once per consent (``expired``: the consent reached its end date; its e-mails and its webhook are sent once
whichever worker runs the sweep). Frozen like 0001: no import of
:mod:`meterhub.store.schema`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "party_contact",
        sa.Column("party_id", sa.Integer),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("consent_mail", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("party_id", name="pk_party_contact"),
        sa.ForeignKeyConstraint(["party_id"], ["party.id"], name="fk_party_contact_party_id_party"),
    )

    op.create_table(
        "consent_notice",
        sa.Column("consent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite")),
        sa.Column("notice", sa.String(20)),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("consent_id", "notice", name="pk_consent_notice"),
        sa.ForeignKeyConstraint(["consent_id"], ["consent.id"], name="fk_consent_notice_consent_id_consent"),
    )


def downgrade() -> None:
    op.drop_table("consent_notice")
    op.drop_table("party_contact")
