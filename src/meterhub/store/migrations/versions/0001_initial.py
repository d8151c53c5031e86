"""Initial schema: parties, concentrators, metering points, meters, installations, channels, interval blocks,
register reads, meter events, invocation counters, read jobs, communication log.

Revision ID: 0001
Revises:
Create Date: 2026-01-01

Frozen on purpose: it does not import :mod:`meterhub.store.schema` (instants are BIGINT epoch seconds here).
``tests/store/test_schema.py`` checks that the migrated database matches the schema module exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_MEDIA = "medium IN ('electricity', 'gas', 'water', 'heat')"


def upgrade() -> None:
    op.create_table(
        "party",
        sa.Column("id", sa.Integer),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_party"),
        sa.UniqueConstraint("kind", "code", name="uq_party_kind_code"),
        sa.CheckConstraint(
            "kind IN ('operator', 'dso', 'supplier', 'service_provider', 'customer')", name="ck_party_kind"
        ),
    )
    op.create_table(
        "concentrator",
        sa.Column("id", sa.Integer),
        sa.Column("dso_id", sa.Integer, nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("port", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_concentrator"),
        sa.ForeignKeyConstraint(["dso_id"], ["party.id"], name="fk_concentrator_dso_id_party"),
        sa.UniqueConstraint("code", name="uq_concentrator_code"),
    )
    op.create_index("ix_concentrator_dso_id", "concentrator", ["dso_id"])
    op.create_table(
        "metering_point",
        sa.Column("id", sa.Integer),
        sa.Column("ean", sa.String(40), nullable=False),
        sa.Column("dso_id", sa.Integer, nullable=False),
        sa.Column("grid_area", sa.String(40)),
        sa.Column("address", sa.Text),
        sa.Column("postcode", sa.String(16)),
        sa.PrimaryKeyConstraint("id", name="pk_metering_point"),
        sa.ForeignKeyConstraint(["dso_id"], ["party.id"], name="fk_metering_point_dso_id_party"),
        sa.UniqueConstraint("ean", name="uq_metering_point_ean"),
    )
    op.create_index("ix_metering_point_dso_id", "metering_point", ["dso_id"])
    op.create_table(
        "meter",
        sa.Column("id", sa.Integer),
        sa.Column("serial", sa.String(40), nullable=False),
        sa.Column("dso_id", sa.Integer, nullable=False),
        sa.Column("model", sa.String(80), nullable=False),
        sa.Column("firmware", sa.String(40), nullable=False),
        sa.Column("medium", sa.String(16), nullable=False),
        sa.Column("parent_meter_id", sa.Integer),
        sa.Column("mbus_channel", sa.SmallInteger),
        sa.Column("concentrator_id", sa.Integer),
        sa.Column("host", sa.String(255)),
        sa.Column("port", sa.Integer),
        sa.Column("wport", sa.Integer),
        sa.Column("system_title", sa.String(16)),
        sa.Column("installed_at", sa.BigInteger),
        sa.PrimaryKeyConstraint("id", name="pk_meter"),
        sa.ForeignKeyConstraint(["dso_id"], ["party.id"], name="fk_meter_dso_id_party"),
        sa.ForeignKeyConstraint(["parent_meter_id"], ["meter.id"], name="fk_meter_parent_meter_id_meter"),
        sa.ForeignKeyConstraint(["concentrator_id"], ["concentrator.id"], name="fk_meter_concentrator_id_concentrator"),
        sa.UniqueConstraint("serial", name="uq_meter_serial"),
        sa.CheckConstraint(_MEDIA, name="ck_meter_medium"),
        sa.CheckConstraint("mbus_channel IS NULL OR mbus_channel BETWEEN 1 AND 4", name="ck_meter_mbus_channel"),
    )
    op.create_index("ix_meter_dso_id", "meter", ["dso_id"])
    op.create_index("ix_meter_parent_meter_id", "meter", ["parent_meter_id"])
    op.create_index("ix_meter_concentrator_id", "meter", ["concentrator_id"])
    op.create_table(
        "installation",
        sa.Column("id", sa.Integer),
        sa.Column("metering_point_id", sa.Integer, nullable=False),
        sa.Column("meter_id", sa.Integer, nullable=False),
        sa.Column("valid_from", sa.BigInteger, nullable=False),
        sa.Column("valid_to", sa.BigInteger),
        sa.PrimaryKeyConstraint("id", name="pk_installation"),
        sa.ForeignKeyConstraint(
            ["metering_point_id"], ["metering_point.id"], name="fk_installation_metering_point_id_metering_point"
        ),
        sa.ForeignKeyConstraint(["meter_id"], ["meter.id"], name="fk_installation_meter_id_meter"),
    )
    op.create_index("ix_installation_metering_point_id", "installation", ["metering_point_id"])
    op.create_index("ix_installation_meter_id", "installation", ["meter_id"])
    op.create_table(
        "channel",
        sa.Column("id", sa.Integer),
        sa.Column("meter_id", sa.Integer, nullable=False),
        sa.Column("obis", sa.String(32), nullable=False),
        sa.Column("medium", sa.String(16), nullable=False),
        sa.Column("unit", sa.String(8), nullable=False),
        sa.Column("scaler", sa.SmallInteger, nullable=False, server_default="0"),
        sa.Column("interval_s", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_channel"),
        sa.ForeignKeyConstraint(["meter_id"], ["meter.id"], name="fk_channel_meter_id_meter"),
        sa.UniqueConstraint("meter_id", "obis", name="uq_channel_meter_id_obis"),
        sa.CheckConstraint(_MEDIA, name="ck_channel_medium"),
    )
    op.create_table(
        "interval_block",
        sa.Column("channel_id", sa.Integer),
        sa.Column("local_day", sa.Date),
        sa.Column("version", sa.Integer),
        sa.Column("slots", sa.SmallInteger, nullable=False),
        sa.Column("values", sa.LargeBinary, nullable=False),
        sa.Column("quality", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text),
        sa.PrimaryKeyConstraint("channel_id", "local_day", "version", name="pk_interval_block"),
        sa.ForeignKeyConstraint(["channel_id"], ["channel.id"], name="fk_interval_block_channel_id_channel"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "register_read",
        sa.Column("channel_id", sa.Integer),
        sa.Column("read_at", sa.BigInteger),
        sa.Column("kind", sa.String(16)),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("channel_id", "read_at", "kind", name="pk_register_read"),
        sa.ForeignKeyConstraint(["channel_id"], ["channel.id"], name="fk_register_read_channel_id_channel"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "meter_event",
        sa.Column("id", _BIG_ID),
        sa.Column("meter_id", sa.Integer, nullable=False),
        sa.Column("occurred_at", sa.BigInteger, nullable=False),
        sa.Column("log", sa.String(16), nullable=False),
        sa.Column("code", sa.Integer, nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("channel", sa.SmallInteger),
        sa.Column("received_at", sa.BigInteger, nullable=False),
        sa.Column("acknowledged_at", sa.BigInteger),
        sa.Column("acknowledged_by", sa.String(80)),
        sa.PrimaryKeyConstraint("id", name="pk_meter_event"),
        sa.ForeignKeyConstraint(["meter_id"], ["meter.id"], name="fk_meter_event_meter_id_meter"),
        sa.UniqueConstraint(
            "meter_id", "occurred_at", "log", "code", name="uq_meter_event_meter_id_occurred_at_log_code"
        ),
    )
    op.create_table(
        "invocation_counter",
        sa.Column("system_title", sa.String(16)),
        sa.Column("key_kind", sa.String(16)),
        sa.Column("direction", sa.String(2)),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("system_title", "key_kind", "direction", name="pk_invocation_counter"),
        sa.CheckConstraint("direction IN ('tx', 'rx')", name="ck_invocation_counter_direction"),
    )
    op.create_table(
        "read_job",
        sa.Column("id", _BIG_ID),
        sa.Column("meter_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("window_from", sa.BigInteger),
        sa.Column("window_to", sa.BigInteger),
        sa.Column("state", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column("next_attempt_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_read_job"),
        sa.ForeignKeyConstraint(["meter_id"], ["meter.id"], name="fk_read_job_meter_id_meter"),
        sa.CheckConstraint("state IN ('pending', 'running', 'done', 'failed')", name="ck_read_job_state"),
    )
    op.create_index("ix_read_job_meter_id", "read_job", ["meter_id"])
    op.create_index("ix_read_job_state_next_attempt_at", "read_job", ["state", "next_attempt_at"])
    op.create_table(
        "comm_log",
        sa.Column("id", _BIG_ID),
        sa.Column("meter_id", sa.Integer, nullable=False),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_comm_log"),
        sa.ForeignKeyConstraint(["meter_id"], ["meter.id"], name="fk_comm_log_meter_id_meter"),
    )
    op.create_index("ix_comm_log_meter_id_at", "comm_log", ["meter_id", "at"])


def downgrade() -> None:
    for table in (
        "comm_log",
        "read_job",
        "invocation_counter",
        "meter_event",
        "register_read",
        "interval_block",
        "channel",
        "installation",
        "meter",
        "metering_point",
        "concentrator",
        "party",
    ):
        op.drop_table(table)
