"""Market access: party kinds, supplier of record and occupant over time, people, sessions, OAuth2 clients,
consents, the access log, and the shared state of login throttles and rate limits.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

``party.kind`` gains ``esp``, ``auditor`` and ``installer`` (``service_provider``, never used, becomes ``esp``).
On PostgreSQL the CHECK is dropped and recreated; on SQLite a table referenced by foreign keys cannot be rebuilt
inside a transaction with foreign keys on, so the CHECK's text is rewritten in ``sqlite_schema`` (SQLite's
documented procedure for changing a constraint that does not change the stored format: writable_schema, bump
schema_version). ``access_log`` is append-only: triggers on both backends refuse UPDATE and DELETE. Frozen on
purpose like 0001: no import of :mod:`meterhub.store.schema`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_OLD_KINDS = "kind IN ('operator', 'dso', 'supplier', 'service_provider', 'customer')"
_NEW_KINDS = "kind IN ('operator', 'dso', 'supplier', 'esp', 'customer', 'auditor', 'installer')"
_ROLES = "role IN ('operator', 'operator_admin', 'dso', 'supplier', 'esp', 'customer', 'auditor', 'installer')"
_STATUSES = "status IN ('requested', 'active', 'refused', 'revoked')"


def _party_kinds(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("UPDATE party SET kind = 'esp' WHERE kind = 'service_provider'") if "esp" in new else None
        op.drop_constraint("ck_party_kind", "party", type_="check")
        op.create_check_constraint("ck_party_kind", "party", sa.text(new))
        return
    version = int(bind.exec_driver_sql("PRAGMA schema_version").scalar() or 0)
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    bind.execute(
        sa.text("UPDATE sqlite_master SET sql = replace(sql, :old, :new) WHERE type = 'table' AND name = 'party'"),
        {"old": old, "new": new},
    )
    bind.exec_driver_sql(f"PRAGMA schema_version={version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")


def _period(table: str, start: str, end: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{end} IS NULL OR {end} > {start}", name=f"ck_{table}_period")


def _point_period(table: str, party_col: str, start: str, end: str) -> None:
    op.create_table(
        table,
        sa.Column("id", sa.Integer),
        sa.Column("metering_point_id", sa.Integer, nullable=False),
        sa.Column(party_col, sa.Integer, nullable=False),
        sa.Column(start, sa.BigInteger, nullable=False),
        sa.Column(end, sa.BigInteger),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.ForeignKeyConstraint(
            ["metering_point_id"], ["metering_point.id"], name=f"fk_{table}_metering_point_id_metering_point"
        ),
        sa.ForeignKeyConstraint([party_col], ["party.id"], name=f"fk_{table}_{party_col}_party"),
        _period(table, start, end),
    )
    op.create_index(f"ix_{table}_metering_point_id", table, ["metering_point_id"])
    op.create_index(f"ix_{table}_{party_col}", table, [party_col])


def _people() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("totp_secret", sa.String(64)),
        sa.Column("totp_last_step", sa.BigInteger),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("party_id", sa.Integer, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_app_user"),
        sa.UniqueConstraint("username", name="uq_app_user_username"),
        sa.ForeignKeyConstraint(["party_id"], ["party.id"], name="fk_app_user_party_id_party"),
        sa.CheckConstraint(_ROLES, name="ck_app_user_role"),
    )
    op.create_index("ix_app_user_party_id", "app_user", ["party_id"])
    op.create_table(
        "user_session",
        sa.Column("id_hash", sa.String(64)),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("last_seen_at", sa.BigInteger, nullable=False),
        sa.Column("idle_timeout_s", sa.Integer, nullable=False),
        sa.Column("absolute_expires_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name="pk_user_session"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name="fk_user_session_user_id_app_user"),
    )
    op.create_index("ix_user_session_user_id", "user_session", ["user_id"])


def _clients() -> None:
    op.create_table(
        "oauth_client",
        sa.Column("client_id", sa.String(40)),
        sa.Column("party_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("client_id", name="pk_oauth_client"),
        sa.ForeignKeyConstraint(["party_id"], ["party.id"], name="fk_oauth_client_party_id_party"),
    )
    op.create_index("ix_oauth_client_party_id", "oauth_client", ["party_id"])
    op.create_table(
        "oauth_client_secret",
        sa.Column("client_id", sa.String(40)),
        sa.Column("secret_hash", sa.String(64)),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("client_id", "secret_hash", name="pk_oauth_client_secret"),
        sa.ForeignKeyConstraint(
            ["client_id"], ["oauth_client.client_id"], name="fk_oauth_client_secret_client_id_oauth_client"
        ),
    )
    op.create_table(
        "access_token",
        sa.Column("token_hash", sa.String(64)),
        sa.Column("client_id", sa.String(40), nullable=False),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("issued_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_access_token"),
        sa.ForeignKeyConstraint(
            ["client_id"], ["oauth_client.client_id"], name="fk_access_token_client_id_oauth_client"
        ),
    )
    op.create_index("ix_access_token_client_id", "access_token", ["client_id"])


def _consents() -> None:
    op.create_table(
        "consent",
        sa.Column("id", _BIG_ID),
        sa.Column("grantor_id", sa.Integer, nullable=False),
        sa.Column("grantee_id", sa.Integer, nullable=False),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("valid_from", sa.BigInteger, nullable=False),
        sa.Column("valid_to", sa.BigInteger),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("answered_at", sa.BigInteger),
        sa.Column("revoked_at", sa.BigInteger),
        sa.PrimaryKeyConstraint("id", name="pk_consent"),
        sa.ForeignKeyConstraint(["grantor_id"], ["party.id"], name="fk_consent_grantor_id_party"),
        sa.ForeignKeyConstraint(["grantee_id"], ["party.id"], name="fk_consent_grantee_id_party"),
        sa.CheckConstraint(_STATUSES, name="ck_consent_status"),
        _period("consent", "valid_from", "valid_to"),
    )
    op.create_index("ix_consent_grantor_id", "consent", ["grantor_id"])
    op.create_index("ix_consent_grantee_id", "consent", ["grantee_id"])
    op.create_table(
        "consent_point",
        sa.Column("consent_id", _BIG_ID),
        sa.Column("metering_point_id", sa.Integer),
        sa.PrimaryKeyConstraint("consent_id", "metering_point_id", name="pk_consent_point"),
        sa.ForeignKeyConstraint(["consent_id"], ["consent.id"], name="fk_consent_point_consent_id_consent"),
        sa.ForeignKeyConstraint(
            ["metering_point_id"], ["metering_point.id"], name="fk_consent_point_metering_point_id_metering_point"
        ),
    )
    op.create_index("ix_consent_point_metering_point_id", "consent_point", ["metering_point_id"])


def _access_log() -> None:
    op.create_table(
        "access_log",
        sa.Column("id", _BIG_ID),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("principal", sa.String(80), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("party_id", sa.Integer, nullable=False),
        sa.Column("metering_point_id", sa.Integer, nullable=False),
        sa.Column("scope", sa.String(20), nullable=False),
        sa.Column("period_from", sa.BigInteger, nullable=False),
        sa.Column("period_to", sa.BigInteger, nullable=False),
        sa.Column("right", sa.String(40), nullable=False),
        sa.Column("route", sa.String(120), nullable=False),
        sa.Column("correlation_id", sa.String(80)),
        sa.PrimaryKeyConstraint("id", name="pk_access_log"),
    )
    op.create_index("ix_access_log_metering_point_id", "access_log", ["metering_point_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'access_log is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log "
            "FOR EACH ROW EXECUTE FUNCTION access_log_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER access_log_no_{event.lower()} BEFORE {event} ON access_log "
                "BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END"
            )


def _shared_state() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(120)),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("first_failure_at", sa.BigInteger),
        sa.Column("last_failure_at", sa.BigInteger),
        sa.Column("locked_until", sa.BigInteger),
        sa.Column("lockouts", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_login_throttle"),
    )
    op.create_table(
        "rate_bucket",
        sa.Column("key", sa.String(120)),
        sa.Column("tokens", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_rate_bucket"),
    )


def upgrade() -> None:
    _party_kinds(_OLD_KINDS, _NEW_KINDS)
    _point_period("supplier_period", "supplier_id", "valid_from", "valid_to")
    _point_period("occupancy", "customer_id", "move_in", "move_out")
    _people()
    _clients()
    _consents()
    _access_log()
    _shared_state()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS access_log_append_only ON access_log")
        op.execute("DROP FUNCTION IF EXISTS access_log_append_only()")
    for table in (
        "rate_bucket", "login_throttle", "access_log", "consent_point", "consent", "access_token",
        "oauth_client_secret", "oauth_client", "user_session", "app_user", "occupancy", "supplier_period",
    ):  # fmt: skip
        op.drop_table(table)
    _party_kinds(_NEW_KINDS, _OLD_KINDS)
