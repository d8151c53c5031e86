"""command, command_event, guard_halt and metering_point.life_support: remote operations (issue 15 §5–6).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02

``command`` keeps each remote operation on a meter (breaker, valve, relays, clock, read on demand, M-Bus, alarm
register) as a persisted state machine: its state, who requested and approved it (a second approver for four eyes),
bundle, priority, schedule time, deadline, attempts and the next one, correlation id, result and a version for
compare-and-set. ``command_event`` is every transition with who and when. ``guard_halt`` is the mass-disconnect
guard's halt of a scope (``national`` or ``dso:<id>``) until an operator admin releases it. ``life_support`` on a
metering point refuses its disconnection. Frozen like 0001: no import of :mod:`meterhub.store.schema`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_STATES = "'requested', 'approved', 'queued', 'sent', 'confirmed', 'failed', 'expired', 'cancelled'"


def upgrade() -> None:
    with op.batch_alter_table("metering_point") as batch:
        batch.add_column(sa.Column("life_support", sa.Boolean, nullable=False, server_default=sa.false()))

    op.create_table(
        "command",
        sa.Column("id", _BIG),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("meter_id", sa.Integer, nullable=False),
        sa.Column("metering_point_id", sa.Integer),
        sa.Column("dso_id", sa.Integer, nullable=False),
        sa.Column("requested_by", sa.String(80), nullable=False),
        sa.Column("requested_at", sa.BigInteger, nullable=False),
        sa.Column("correlation_id", sa.String(64), nullable=False),
        sa.Column("priority", sa.SmallInteger, nullable=False),
        sa.Column("not_before", sa.BigInteger),
        sa.Column("expires_at", sa.BigInteger),
        sa.Column("bundle_id", sa.String(64)),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("needs_second", sa.Boolean, nullable=False),
        sa.Column("approved_by", sa.String(80)),
        sa.Column("approved_at", sa.BigInteger),
        sa.Column("second_approver", sa.String(80)),
        sa.Column("second_approved_at", sa.BigInteger),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("max_attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger),
        sa.Column("sent_at", sa.BigInteger),
        sa.Column("result", sa.Text),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_command"),
        sa.UniqueConstraint("correlation_id", name="uq_command_correlation_id"),
        sa.ForeignKeyConstraint(["meter_id"], ["meter.id"], name="fk_command_meter_id_meter"),
        sa.ForeignKeyConstraint(
            ["metering_point_id"], ["metering_point.id"], name="fk_command_metering_point_id_metering_point"
        ),
        sa.ForeignKeyConstraint(["dso_id"], ["party.id"], name="fk_command_dso_id_party"),
        sa.CheckConstraint(f"state IN ({_STATES})", name="ck_command_state"),
        sa.CheckConstraint("priority BETWEEN 0 AND 9", name="ck_command_priority"),
        sa.CheckConstraint("second_approver IS NULL OR second_approver <> approved_by", name="ck_command_four_eyes"),
        sa.CheckConstraint("approved_by IS NULL OR approved_by <> requested_by", name="ck_command_not_own"),
    )
    op.create_index("ix_command_meter_id", "command", ["meter_id"])
    op.create_index("ix_command_metering_point_id", "command", ["metering_point_id"])
    op.create_index("ix_command_bundle_id", "command", ["bundle_id"])
    op.create_index("ix_command_state_next_attempt_at", "command", ["state", "next_attempt_at"])

    op.create_table(
        "command_event",
        sa.Column("id", _BIG),
        sa.Column("command_id", _BIG, nullable=False),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("from_state", sa.String(12)),
        sa.Column("to_state", sa.String(12), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("note", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_command_event"),
        sa.ForeignKeyConstraint(["command_id"], ["command.id"], name="fk_command_event_command_id_command"),
    )
    op.create_index("ix_command_event_command_id", "command_event", ["command_id"])
    op.create_index("ix_command_event_to_state_at", "command_event", ["to_state", "at"])

    op.create_table(
        "guard_halt",
        sa.Column("id", sa.Integer),
        sa.Column("scope", sa.String(40), nullable=False),
        sa.Column("since", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("released_by", sa.String(80)),
        sa.Column("released_at", sa.BigInteger),
        sa.PrimaryKeyConstraint("id", name="pk_guard_halt"),
        sa.CheckConstraint("(released_by IS NULL) = (released_at IS NULL)", name="ck_guard_halt_released"),
    )
    op.create_index("ix_guard_halt_scope", "guard_halt", ["scope"])


def downgrade() -> None:
    op.drop_table("guard_halt")
    op.drop_table("command_event")
    op.drop_table("command")
    with op.batch_alter_table("metering_point") as batch:
        batch.drop_column("life_support")
