"""The storage schema (SQLAlchemy Core tables; DESIGN §3). Alembic migrations in ``migrations/`` build it.

Representation choices (portable between SQLite and PostgreSQL):

* **Instants** are UTC epoch seconds in ``BIGINT`` columns (:class:`UtcEpoch`): compact, index-friendly, equal
  on both backends, no timezone ambiguity. Python sees timezone-aware UTC ``datetime``; naive ones are refused.
* **Local days** (``interval_block.local_day``) are ``DATE`` — the Europe/Luxembourg calendar date (ISO text
  ``YYYY-MM-DD`` on SQLite, native ``date`` on PostgreSQL).
* **Interval values** are packed per (channel, local day, version) — see :mod:`meterhub.store.intervals`. The
  column is named ``values`` as in the design; SQLAlchemy quotes it, and code reaches it as ``c["values"]``
  (``c.values`` is the column collection's method).
* Integer register and interval values are the meter's integer counts; physical value = count × 10^scaler in
  the channel's ``unit`` (with the national profile's default scaler 0 these are Wh/varh/litres directly).
* On PostgreSQL ``interval_block`` and ``register_read`` are partitioned by Europe/Luxembourg month
  (migration 0002, :mod:`meterhub.store.partitions`); on SQLite they are plain WITHOUT ROWID tables.
* Billing reads (migration 0003: ``billing_read`` with its ``billing_read_rate`` and ``billing_read_gas`` child
  rows, and ``gas_factor``) are append-only versions; decimal factors are text, exact on both backends.
* Rejected readings (migration 0005: ``rejected_reading``) keep what an import received but did not put into
  the series (the second value of a conflicting duplicate), with where it came from.
* Market access (migration 0006): a metering point's supplier of record and occupant over time
  (``supplier_period``, ``occupancy``: half-open [from, to), NULL = open), people (``app_user``) and their
  server-side sessions (``user_session``, keyed by the token's SHA-256), market parties' OAuth2 clients with their
  secrets' hashes and bearer tokens' hashes, consents (``consent`` + ``consent_point``), the append-only
  ``access_log``, and the login throttles' and rate limits' state shared by every worker (``login_throttle``,
  ``rate_bucket``; bucket times are float epoch seconds, sub-second).
* Supplier tariffs (migration 0007): ``supplier_tariff`` holds versions of a supplier's published tariffs,
  each valid on local days [valid_from, valid_to) with the tariff as JSON text (:mod:`meterhub.mdm.tariffs`).
  Migration 0013 adds the tariff's ``status`` (draft, published, withdrawn; a draft has no period yet) and
  ``withdrawn_at``.
* Webhooks (migration 0008): ``webhook_subscription`` (a party's URL, events and signing secret) and
  ``webhook_delivery`` (each event to each subscription, its attempts and the time of the next one).
* Live P1 readings (migration 0009): ``p1_reading`` holds the telegrams a household's reader forwards for its
  metering point, each as the JSON record of :func:`meterhub.p1.records.reading_record` (:mod:`meterhub.store.p1`).
* Weather (migration 0010): ``weather_day`` holds a local day's mean air temperature (°C, optional global
  irradiance W/m²) per weather area (``LU`` for the country), with where it came from (:mod:`meterhub.store.weather`).
* Notification contacts (migration 0014): ``party_contact`` holds a party's e-mail address, language and whether
  it wants consent e-mails, ``consent_notice`` the notices a sweep sends once (a consent's end)
  (:mod:`meterhub.store.contacts`).
* Webhook sweeps (migration 0012): ``webhook_subscription.data_watermark`` (blocks created up to it were swept for
  ``data.new``), ``consent.expired_at`` (the expiry sweep's mark) and an index on ``interval_block.created_at``;
  ``oauth_client_secret.expires_at`` (a rotated-out client secret's end of grace); ``refresh_token`` and the
  24-hour bearer tokens traded for one, ``refresh_access_token``.
* Home profiles and peer statistics (migration 0011): ``home_profile`` is a household's description of its home
  per (metering point, customer) — size, heating, dwelling type, floor area, PV / EV / heat pump — and
  ``peer_stat`` the comparison's group statistics (aggregates only: count, mean, best-20 % mean, percentiles;
  never a group under 20 homes), written by :mod:`meterhub.mdm.peers` (:mod:`meterhub.store.home_profiles`).
* Remote operations (migration 0015): ``command`` holds each remote operation on a meter as a persisted state
  machine (:mod:`meterhub.ops.commands`), ``command_event`` its transitions (who, when, from, to, why),
  ``guard_halt`` the mass-disconnect guard's halts (the security alarm, until an operator admin releases it), and
  ``metering_point.life_support`` the flag that refuses a disconnection (:mod:`meterhub.store.commands`).
* Enumerations are short strings (readable in SQL, extensible without migrations); the valid values are the
  ``Literal`` aliases below, enforced by CHECK constraints where the set is closed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

PartyKind = Literal["operator", "dso", "supplier", "esp", "customer", "auditor", "installer"]
Medium = Literal["electricity", "gas", "water", "heat"]
EventLog = Literal[
    "standard", "fraud", "disconnector", "mbus", "communication", "power_quality", "power_failure", "alarm"
]
ReadKind = Literal["interval", "billing", "daily"]
JobKind = Literal["daily", "billing", "mbus", "events", "reread"]
JobState = Literal["pending", "running", "done", "failed"]
Direction = Literal["tx", "rx"]
BillingKind = Literal["monthly", "on_demand"]

Heating = Literal["gas", "heat_pump", "electric", "district_heat", "oil", "other"]
Dwelling = Literal["apartment", "terraced", "semi_detached", "detached"]
HEATINGS: tuple[str, ...] = ("gas", "heat_pump", "electric", "district_heat", "oil", "other")
DWELLINGS: tuple[str, ...] = ("apartment", "terraced", "semi_detached", "detached")
PARTY_KINDS: tuple[str, ...] = ("operator", "dso", "supplier", "esp", "customer", "auditor", "installer")
USER_ROLES: tuple[str, ...] = (
    "operator", "operator_admin", "dso", "supplier", "esp", "customer", "auditor", "installer",
)  # fmt: skip
CONSENT_STATUSES: tuple[str, ...] = ("requested", "active", "refused", "revoked")
MEDIA: tuple[str, ...] = ("electricity", "gas", "water", "heat")
JOB_STATES: tuple[str, ...] = ("pending", "running", "done", "failed")
BILLING_KINDS: tuple[str, ...] = ("monthly", "on_demand")
NATIONAL_AREA = "*"
"""``gas_factor.grid_area`` of a month's national entry (used for grid areas without their own)."""


class UtcEpoch(sa.types.TypeDecorator[datetime]):
    """Aware datetime ↔ whole UTC epoch seconds in a BIGINT column."""

    impl = sa.BigInteger
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: meterhub keeps timezone-aware UTC times")
        return int(value.timestamp())

    def process_result_value(self, value: int | None, dialect: Dialect) -> datetime | None:
        return None if value is None else datetime.fromtimestamp(value, UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# 64-bit ids on PostgreSQL; SQLite only auto-increments an "INTEGER PRIMARY KEY" (the rowid alias).
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

party = sa.Table(
    "party",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("code", sa.String(40), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.UniqueConstraint("kind", "code"),
    sa.CheckConstraint(_in("kind", PARTY_KINDS), name="kind"),
)

concentrator = sa.Table(
    "concentrator",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("dso_id", sa.Integer, sa.ForeignKey("party.id"), nullable=False, index=True),
    sa.Column("code", sa.String(40), nullable=False, unique=True),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("port", sa.Integer, nullable=False),
)

metering_point = sa.Table(
    "metering_point",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("ean", sa.String(40), nullable=False, unique=True),
    sa.Column("dso_id", sa.Integer, sa.ForeignKey("party.id"), nullable=False, index=True),
    sa.Column("grid_area", sa.String(40)),
    sa.Column("address", sa.Text),
    sa.Column("postcode", sa.String(16)),
    # migration 0015: the customer depends on life-support equipment; remote disconnection is refused
    sa.Column("life_support", sa.Boolean, nullable=False, server_default=sa.false()),
)

meter = sa.Table(
    "meter",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("serial", sa.String(40), nullable=False, unique=True),
    sa.Column("dso_id", sa.Integer, sa.ForeignKey("party.id"), nullable=False, index=True),
    sa.Column("model", sa.String(80), nullable=False),
    sa.Column("firmware", sa.String(40), nullable=False),
    sa.Column("medium", sa.String(16), nullable=False),
    sa.Column("parent_meter_id", sa.Integer, sa.ForeignKey("meter.id"), index=True),
    sa.Column("mbus_channel", sa.SmallInteger),
    sa.Column("concentrator_id", sa.Integer, sa.ForeignKey("concentrator.id"), index=True),
    sa.Column("host", sa.String(255)),
    sa.Column("port", sa.Integer),
    sa.Column("wport", sa.Integer),
    sa.Column("system_title", sa.String(16)),
    sa.Column("installed_at", UtcEpoch),
    sa.CheckConstraint(_in("medium", MEDIA), name="medium"),
    sa.CheckConstraint("mbus_channel IS NULL OR mbus_channel BETWEEN 1 AND 4", name="mbus_channel"),
)

installation = sa.Table(
    "installation",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("metering_point_id", sa.Integer, sa.ForeignKey("metering_point.id"), nullable=False, index=True),
    sa.Column("meter_id", sa.Integer, sa.ForeignKey("meter.id"), nullable=False, index=True),
    sa.Column("valid_from", UtcEpoch, nullable=False),
    sa.Column("valid_to", UtcEpoch),
)

channel = sa.Table(
    "channel",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("meter_id", sa.Integer, sa.ForeignKey("meter.id"), nullable=False),
    sa.Column("obis", sa.String(32), nullable=False),
    sa.Column("medium", sa.String(16), nullable=False),
    sa.Column("unit", sa.String(8), nullable=False),
    sa.Column("scaler", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("interval_s", sa.Integer, nullable=False),
    sa.UniqueConstraint("meter_id", "obis"),
    sa.CheckConstraint(_in("medium", MEDIA), name="medium"),
)

interval_block = sa.Table(
    "interval_block",
    metadata,
    sa.Column("channel_id", sa.Integer, sa.ForeignKey("channel.id"), primary_key=True),
    sa.Column("local_day", sa.Date, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("slots", sa.SmallInteger, nullable=False),
    sa.Column("values", sa.LargeBinary, nullable=False),
    sa.Column("quality", sa.LargeBinary, nullable=False),
    sa.Column("created_at", UtcEpoch, nullable=False),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Index("ix_interval_block_created_at", "created_at"),  # the webhook sweep's "written since" (0012)
    sqlite_with_rowid=False,  # the primary key is the clustered key: no separate PK index beside the rows
    postgresql_partition_by="RANGE (local_day)",  # one partition per local month (store.partitions)
)

register_read = sa.Table(
    "register_read",
    metadata,
    sa.Column("channel_id", sa.Integer, sa.ForeignKey("channel.id"), primary_key=True),
    sa.Column("read_at", UtcEpoch, primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
    sa.Column("source", sa.String(32), nullable=False),
    sqlite_with_rowid=False,
    postgresql_partition_by="RANGE (read_at)",  # one partition per local month (store.partitions)
)

vee_digest = sa.Table(
    "vee_digest",
    metadata,
    # one row per channel: what validation needs of its last local days (meterhub.mdm.digest), kept in step
    # with interval_block by the MDM's block writer; derived data, rebuilt from the blocks when absent. No
    # foreign key: the row is only ever written right after blocks of the same (existing) channel, and a
    # declared key would cost PostgreSQL one trigger query per upserted row
    sa.Column("channel_id", sa.Integer, primary_key=True),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False, server_default="0"),  # +1 at every write: a change detector
)

# Readings an import (or another source) delivered but did not keep (migration 0005): the second, different
# value for an instant whose first value went into the series (reason ``conflicting-duplicate``), so that
# nothing received is lost. ``read_at`` is the reading's instant (the end of one slot, the start of the next),
# ``source`` where it came from (e.g. the import file and line), ``import_run`` the run that recorded it. A
# reading is recorded once (re-importing the same file adds nothing).
rejected_reading = sa.Table(
    "rejected_reading",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("channel_id", sa.Integer, sa.ForeignKey("channel.id"), nullable=False),
    sa.Column("read_at", UtcEpoch, nullable=False),
    sa.Column("value", sa.BigInteger, nullable=False),
    sa.Column("kept_value", sa.BigInteger),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("source", sa.String(300), nullable=False),
    sa.Column("import_run", sa.String(40), nullable=False, index=True),
    sa.Column("recorded_at", UtcEpoch, nullable=False),
    sa.UniqueConstraint("channel_id", "read_at", "value", "reason"),
)

meter_event = sa.Table(
    "meter_event",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("meter_id", sa.Integer, sa.ForeignKey("meter.id"), nullable=False),
    sa.Column("occurred_at", UtcEpoch, nullable=False),
    sa.Column("log", sa.String(16), nullable=False),
    sa.Column("code", sa.Integer, nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("channel", sa.SmallInteger),
    sa.Column("received_at", UtcEpoch, nullable=False),
    sa.Column("acknowledged_at", UtcEpoch),
    sa.Column("acknowledged_by", sa.String(80)),
    sa.UniqueConstraint("meter_id", "occurred_at", "log", "code"),
)

invocation_counter = sa.Table(
    "invocation_counter",
    metadata,
    sa.Column("system_title", sa.String(16), primary_key=True),
    sa.Column("key_kind", sa.String(16), primary_key=True),
    sa.Column("direction", sa.String(2), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
    sa.CheckConstraint("direction IN ('tx', 'rx')", name="direction"),
)

read_job = sa.Table(
    "read_job",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("meter_id", sa.Integer, sa.ForeignKey("meter.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("window_from", UtcEpoch),
    sa.Column("window_to", UtcEpoch),
    sa.Column("state", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Column("next_attempt_at", UtcEpoch, nullable=False),
    sa.Column("updated_at", UtcEpoch, nullable=False),
    sa.Index(None, "state", "next_attempt_at"),
    sa.CheckConstraint(_in("state", JOB_STATES), name="state"),
)

comm_log = sa.Table(
    "comm_log",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("meter_id", sa.Integer, sa.ForeignKey("meter.id"), nullable=False),
    sa.Column("at", UtcEpoch, nullable=False),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("detail", sa.Text),
    sa.Index(None, "meter_id", "at"),
)

# Billing reads (migration 0003): one row per version of a billing read of one channel and period. Rows are
# never updated except to record, once, that a version was sent to a supplier (sent_at/sent_to); a changed
# result is a new version beside the old ones.
billing_read = sa.Table(
    "billing_read",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("channel_id", sa.Integer, sa.ForeignKey("channel.id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("period_start", UtcEpoch, nullable=False),
    sa.Column("period_end", UtcEpoch, nullable=False),
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
    sa.Column("as_of", UtcEpoch),
    sa.Column("computed_at", UtcEpoch, nullable=False),
    sa.Column("computed_by", sa.String(80), nullable=False),
    sa.Column("sent_at", UtcEpoch),
    sa.Column("sent_to", sa.String(80)),
    sa.UniqueConstraint("channel_id", "kind", "period_start", "period_end", "version"),
    sa.CheckConstraint(_in("kind", BILLING_KINDS), name="kind"),
    sa.CheckConstraint("period_end > period_start", name="period"),
    sa.CheckConstraint("consumption = end_value - start_value", name="consumption"),
    sa.CheckConstraint("version >= 1", name="version"),
    sa.CheckConstraint("(sent_at IS NULL) = (sent_to IS NULL)", name="sent"),
)

billing_read_rate = sa.Table(
    "billing_read_rate",
    metadata,
    sa.Column("billing_read_id", BigId, sa.ForeignKey("billing_read.id"), primary_key=True),
    sa.Column("rate", sa.String(16), primary_key=True),
    sa.Column("billed", sa.BigInteger, nullable=False),
    sa.Column("intervals", sa.BigInteger, nullable=False),
    sa.Column("missing_slots", sa.Integer, nullable=False),
)

billing_read_gas = sa.Table(
    "billing_read_gas",
    metadata,
    sa.Column("billing_read_id", BigId, sa.ForeignKey("billing_read.id"), primary_key=True),
    sa.Column("year", sa.SmallInteger, primary_key=True),
    sa.Column("month", sa.SmallInteger, primary_key=True),
    sa.Column("volume", sa.BigInteger, nullable=False),
    sa.Column("calorific", sa.String(20), nullable=False),
    sa.Column("correction", sa.String(20), nullable=False),
    sa.Column("factors_area", sa.String(40), nullable=False),
    sa.Column("energy_wh", sa.BigInteger, nullable=False),
)

# Gas conversion factors per grid area (NATIONAL_AREA: the month's national entry) and local month; decimals
# as text (exact on both backends).
gas_factor = sa.Table(
    "gas_factor",
    metadata,
    sa.Column("grid_area", sa.String(40), primary_key=True),
    sa.Column("year", sa.SmallInteger, primary_key=True),
    sa.Column("month", sa.SmallInteger, primary_key=True),
    sa.Column("calorific", sa.String(20), nullable=False),
    sa.Column("correction", sa.String(20), nullable=False),
    sa.Column("set_at", UtcEpoch, nullable=False),
    sa.Column("set_by", sa.String(80), nullable=False),
    sa.CheckConstraint("month BETWEEN 1 AND 12", name="month"),
)

# Market access (migration 0006). Periods are half-open [from, to); NULL is an open end.
supplier_period = sa.Table(
    "supplier_period",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("metering_point_id", sa.Integer, sa.ForeignKey("metering_point.id"), nullable=False, index=True),
    sa.Column("supplier_id", sa.Integer, sa.ForeignKey("party.id"), nullable=False, index=True),
    sa.Column("valid_from", UtcEpoch, nullable=False),
    sa.Column("valid_to", UtcEpoch),
    sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="period"),
)

occupancy = sa.Table(
    "occupancy",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("metering_point_id", sa.Integer, sa.ForeignKey("metering_point.id"), nullable=False, index=True),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("party.id"), nullable=False, index=True),
    sa.Column("move_in", UtcEpoch, nullable=False),
    sa.Column("move_out", UtcEpoch),
    sa.CheckConstraint("move_out IS NULL OR move_out > move_in", name="period"),
)

app_user = sa.Table(
    "app_user",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(80), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("totp_secret", sa.String(64)),
    sa.Column("totp_last_step", sa.BigInteger),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("party_id", sa.Integer, sa.ForeignKey("party.id"), nullable=False, index=True),
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", UtcEpoch, nullable=False),
    sa.CheckConstraint(_in("role", USER_ROLES), name="role"),
)

user_session = sa.Table(
    "user_session",
    metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),  # SHA-256 of the cookie's token (security.tokens)
    sa.Column("user_id", sa.Integer, sa.ForeignKey("app_user.id"), nullable=False, index=True),
    sa.Column("created_at", UtcEpoch, nullable=False),
    sa.Column("last_seen_at", UtcEpoch, nullable=False),
    sa.Column("idle_timeout_s", sa.Integer, nullable=False),
    sa.Column("absolute_expires_at", UtcEpoch, nullable=False),
)

oauth_client = sa.Table(
    "oauth_client",
    metadata,
    sa.Column("client_id", sa.String(40), primary_key=True),
    sa.Column("party_id", sa.Integer, sa.ForeignKey("party.id"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("scopes", sa.Text, nullable=False),  # space-separated, as in OAuth2
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", UtcEpoch, nullable=False),
)

oauth_client_secret = sa.Table(
    "oauth_client_secret",
    metadata,
    # a client's live secrets' hashes: two during a rotation
    sa.Column("client_id", sa.String(40), sa.ForeignKey("oauth_client.client_id"), primary_key=True),
    sa.Column("secret_hash", sa.String(64), primary_key=True),
    sa.Column("created_at", UtcEpoch, nullable=False),
    sa.Column("expires_at", UtcEpoch),  # a rotated-out secret's end of grace (0012); NULL: no end
)

access_token = sa.Table(
    "access_token",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("client_id", sa.String(40), sa.ForeignKey("oauth_client.client_id"), nullable=False, index=True),
    sa.Column("scopes", sa.Text, nullable=False),
    sa.Column("issued_at", UtcEpoch, nullable=False),
    sa.Column("expires_at", UtcEpoch, nullable=False),
)

# Refresh tokens (migration 0012): a long-lived credential a person issued (acting as themselves with data scopes
# only, or as one of their party's clients: client_id), kept as its SHA-256; traded for 24-hour bearer tokens
# (refresh_access_token), which end with it when it is revoked.
refresh_token = sa.Table(
    "refresh_token",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("app_user.id"), nullable=False, index=True),
    sa.Column("client_id", sa.String(40), sa.ForeignKey("oauth_client.client_id"), index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("scopes", sa.Text, nullable=False),
    sa.Column("issued_at", UtcEpoch, nullable=False),
    sa.Column("expires_at", UtcEpoch, nullable=False),
    sa.Column("revoked_at", UtcEpoch),
)

refresh_access_token = sa.Table(
    "refresh_access_token",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("refresh_id", sa.Integer, sa.ForeignKey("refresh_token.id"), nullable=False, index=True),
    sa.Column("issued_at", UtcEpoch, nullable=False),
    sa.Column("expires_at", UtcEpoch, nullable=False),
)

consent = sa.Table(
    "consent",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("grantor_id", sa.Integer, sa.ForeignKey("party.id"), nullable=False, index=True),  # the customer
    sa.Column("grantee_id", sa.Integer, sa.ForeignKey("party.id"), nullable=False, index=True),  # supplier / ESP
    sa.Column("scopes", sa.Text, nullable=False),  # space-separated: interval_data billing_reads live_p1
    sa.Column("valid_from", UtcEpoch, nullable=False),
    sa.Column("valid_to", UtcEpoch),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("created_at", UtcEpoch, nullable=False),
    sa.Column("answered_at", UtcEpoch),
    sa.Column("revoked_at", UtcEpoch),
    sa.Column("expired_at", UtcEpoch),  # set once by the expiry sweep, with consent.expired queued (0012)
    sa.CheckConstraint(_in("status", CONSENT_STATUSES), name="status"),
    sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="period"),
)

consent_point = sa.Table(
    "consent_point",
    metadata,
    sa.Column("consent_id", BigId, sa.ForeignKey("consent.id"), primary_key=True),
    sa.Column("metering_point_id", sa.Integer, sa.ForeignKey("metering_point.id"), primary_key=True, index=True),
)

access_log = sa.Table(
    "access_log",
    metadata,
    # append-only (triggers refuse UPDATE and DELETE): who read which point's data, which period, which right
    sa.Column("id", BigId, primary_key=True),
    sa.Column("at", UtcEpoch, nullable=False),
    sa.Column("principal", sa.String(80), nullable=False),  # user:NAME or client:ID
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("party_id", sa.Integer, nullable=False),
    sa.Column("metering_point_id", sa.Integer, nullable=False, index=True),
    sa.Column("scope", sa.String(20), nullable=False),
    sa.Column("period_from", UtcEpoch, nullable=False),
    sa.Column("period_to", UtcEpoch, nullable=False),
    sa.Column("right", sa.String(40), nullable=False),  # own, dso, supplier_of_record, consent:ID, operator …
    sa.Column("route", sa.String(120), nullable=False),
    sa.Column("correlation_id", sa.String(80)),
)

login_throttle = sa.Table(
    "login_throttle",
    metadata,
    sa.Column("key", sa.String(120), primary_key=True),  # account:NAME or address:IP
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("first_failure_at", UtcEpoch),
    sa.Column("last_failure_at", UtcEpoch),
    sa.Column("locked_until", UtcEpoch),
    sa.Column("lockouts", sa.Integer, nullable=False),
)

rate_bucket = sa.Table(
    "rate_bucket",
    metadata,
    sa.Column("key", sa.String(120), primary_key=True),  # client:ID, user:ID or address:IP
    sa.Column("tokens", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),  # epoch seconds, sub-second
)

# Supplier tariffs (migration 0007): versions of a supplier's published tariffs, valid on the local days
# [valid_from, valid_to) (NULL: open); the tariff itself (rates, seasons, week and day profiles, special days) is
# the JSON of meterhub.mdm.tariffs, kept as text.
supplier_tariff = sa.Table(
    "supplier_tariff",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("supplier_id", sa.Integer, sa.ForeignKey("party.id"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("valid_from", sa.Date),  # NULL: a draft, or withdrawn before it started (0013)
    sa.Column("valid_to", sa.Date),
    sa.Column("definition", sa.Text, nullable=False),
    sa.Column("created_at", UtcEpoch, nullable=False),
    sa.Column("status", sa.String(12), nullable=False, server_default="published"),  # TariffStatus (0013)
    sa.Column("withdrawn_at", UtcEpoch),
    sa.UniqueConstraint("supplier_id", "name", "valid_from"),
    sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="period"),
    sa.CheckConstraint("status IN ('draft', 'published', 'withdrawn')", name="status"),
    sa.CheckConstraint("status <> 'published' OR valid_from IS NOT NULL", name="dated"),
)

# --------------------------------------------------------------------------------------------- webhooks (0008)

# A party's webhook: its URL, the events it wants (space-separated) and the signing secret, kept as is (an HMAC
# needs the secret itself; encrypt this column once the platform has a key). Deleting sets deleted_at.
webhook_subscription = sa.Table(
    "webhook_subscription",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("party_id", sa.Integer, sa.ForeignKey("party.id"), nullable=False, index=True),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("events", sa.String(200), nullable=False),
    sa.Column("secret", sa.String(200), nullable=False),
    sa.Column("created_at", UtcEpoch, nullable=False),
    sa.Column("deleted_at", UtcEpoch),
    sa.Column("data_watermark", UtcEpoch),  # blocks created up to here swept for data.new (0012; NULL: created_at)
)

# One event to one subscription: retried until delivered or given up (next_attempt_at NULL then).
webhook_delivery = sa.Table(
    "webhook_delivery",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("subscription_id", sa.Integer, sa.ForeignKey("webhook_subscription.id"), nullable=False, index=True),
    sa.Column("event", sa.String(40), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("created_at", UtcEpoch, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UtcEpoch, index=True),
    sa.Column("delivered_at", UtcEpoch),
    sa.Column("gave_up_at", UtcEpoch),
    sa.Column("last_error", sa.String(500)),
)

# Live P1 readings (migration 0009): the telegrams a household's reader forwards for its point (the JSON record of
# meterhub.p1.records.reading_record); a telegram forwarded twice is kept once.
p1_reading = sa.Table(
    "p1_reading",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("point_id", sa.Integer, sa.ForeignKey("metering_point.id"), nullable=False),
    sa.Column("meter", sa.String(64), nullable=False),
    sa.Column("system_title", sa.String(16), nullable=False),
    sa.Column("read_at", UtcEpoch, nullable=False),
    sa.Column("frame_counter", sa.BigInteger, nullable=False),
    sa.Column("record", sa.Text, nullable=False),
    sa.Column("received_at", UtcEpoch, nullable=False),
    sa.UniqueConstraint("point_id", "meter", "read_at", "frame_counter"),
    sa.Index(None, "point_id", "read_at"),
)

# Weather (migration 0010): a local day's mean air temperature per weather area (the simulator's, or imported from a
# CSV), what the heating degree days are computed from (meterhub.mdm.degree_days); a day imported again is replaced.
weather_day = sa.Table(
    "weather_day",
    metadata,
    sa.Column("area", sa.String(16), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("temperature_c", sa.Float, nullable=False),
    sa.Column("irradiance_wm2", sa.Float),
    sa.Column("source", sa.String(64), nullable=False),
)

# Notification contacts (migration 0014): where a party's notification e-mails go, in which language, and whether
# it wants the consent ones (meterhub.api.notify); a party without a row gets no e-mail.
party_contact = sa.Table(
    "party_contact",
    metadata,
    sa.Column("party_id", sa.Integer, sa.ForeignKey("party.id"), primary_key=True),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("lang", sa.String(8), nullable=False),
    sa.Column("consent_mail", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("updated_at", UtcEpoch, nullable=False),
)

# Consent notices sent (migration 0014): one row per consent and notice that a sweep sends once (``expired``).
consent_notice = sa.Table(
    "consent_notice",
    metadata,
    sa.Column("consent_id", BigId, sa.ForeignKey("consent.id"), primary_key=True),
    sa.Column("notice", sa.String(20), primary_key=True),
    sa.Column("at", UtcEpoch, nullable=False),
)

# Home profiles and peer statistics (migration 0011).
home_profile = sa.Table(
    "home_profile",
    metadata,
    sa.Column("point_id", sa.Integer, sa.ForeignKey("metering_point.id"), primary_key=True),
    sa.Column("party_id", sa.Integer, sa.ForeignKey("party.id"), primary_key=True),
    sa.Column("household_size", sa.SmallInteger, nullable=False),
    sa.Column("heating", sa.String(16), nullable=False),
    sa.Column("dwelling", sa.String(16), nullable=False),
    sa.Column("floor_area_m2", sa.Integer),
    sa.Column("has_pv", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("has_ev", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("has_heat_pump", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("updated_at", UtcEpoch, nullable=False),
    sa.Column("updated_by", sa.String(80), nullable=False),
    sa.CheckConstraint("household_size BETWEEN 1 AND 20", name="household_size"),
    sa.CheckConstraint(_in("heating", HEATINGS), name="heating"),
    sa.CheckConstraint(_in("dwelling", DWELLINGS), name="dwelling"),
    sa.CheckConstraint("floor_area_m2 IS NULL OR floor_area_m2 BETWEEN 10 AND 2000", name="floor_area_m2"),
)

peer_stat = sa.Table(
    "peer_stat",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("medium", sa.String(16), nullable=False),
    sa.Column("period_kind", sa.String(8), nullable=False),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("group_key", sa.String(80), nullable=False),
    sa.Column("level", sa.SmallInteger, nullable=False),
    sa.Column("unit", sa.String(8), nullable=False),
    sa.Column("homes", sa.Integer, nullable=False),
    sa.Column("mean", sa.Float, nullable=False),
    sa.Column("efficient", sa.Float, nullable=False),
    sa.Column("percentiles", sa.Text, nullable=False),
    sa.Column("computed_at", UtcEpoch, nullable=False),
    sa.UniqueConstraint("medium", "period_kind", "period_start", "group_key"),
    sa.CheckConstraint("homes >= 20", name="homes"),
    sa.CheckConstraint("period_kind IN ('month', 'season')", name="period_kind"),
)

# ------------------------------------------------------------------------------------ remote operations (0015)

COMMAND_STATES: tuple[str, ...] = (
    "requested",
    "approved",
    "queued",
    "sent",
    "confirmed",
    "failed",
    "expired",
    "cancelled",
)

# A remote operation as a persisted state machine (meterhub.ops.commands); ``version`` + 1 at every write, the
# compare-and-set that keeps two workers from moving the same command twice.
command = sa.Table(
    "command",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("meter_id", sa.Integer, sa.ForeignKey("meter.id"), nullable=False, index=True),
    sa.Column("metering_point_id", sa.Integer, sa.ForeignKey("metering_point.id"), index=True),
    sa.Column("dso_id", sa.Integer, sa.ForeignKey("party.id"), nullable=False),
    sa.Column("requested_by", sa.String(80), nullable=False),
    sa.Column("requested_at", UtcEpoch, nullable=False),
    sa.Column("correlation_id", sa.String(64), nullable=False, unique=True),
    sa.Column("priority", sa.SmallInteger, nullable=False),
    sa.Column("not_before", UtcEpoch),
    sa.Column("expires_at", UtcEpoch),
    sa.Column("bundle_id", sa.String(64), index=True),
    sa.Column("params", sa.Text, nullable=False),
    sa.Column("needs_second", sa.Boolean, nullable=False),
    sa.Column("approved_by", sa.String(80)),
    sa.Column("approved_at", UtcEpoch),
    sa.Column("second_approver", sa.String(80)),
    sa.Column("second_approved_at", UtcEpoch),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("max_attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UtcEpoch),
    sa.Column("sent_at", UtcEpoch),
    sa.Column("result", sa.Text),
    sa.Column("updated_at", UtcEpoch, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index(None, "state", "next_attempt_at"),
    sa.CheckConstraint(_in("state", COMMAND_STATES), name="state"),
    sa.CheckConstraint("priority BETWEEN 0 AND 9", name="priority"),
    sa.CheckConstraint("second_approver IS NULL OR second_approver <> approved_by", name="four_eyes"),
    sa.CheckConstraint("approved_by IS NULL OR approved_by <> requested_by", name="not_own"),
)

# Every transition of a command (from_state NULL: the request itself), append-only.
command_event = sa.Table(
    "command_event",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("command_id", BigId, sa.ForeignKey("command.id"), nullable=False, index=True),
    sa.Column("at", UtcEpoch, nullable=False),
    sa.Column("from_state", sa.String(12)),
    sa.Column("to_state", sa.String(12), nullable=False),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Column("note", sa.Text),
    sa.Index(None, "to_state", "at"),
)

# The mass-disconnect guard's halts of a scope (``national`` or ``dso:<id>``): the security alarm, active until an
# operator admin releases it.
guard_halt = sa.Table(
    "guard_halt",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("scope", sa.String(40), nullable=False, index=True),
    sa.Column("since", UtcEpoch, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("released_by", sa.String(80)),
    sa.Column("released_at", UtcEpoch),
    sa.CheckConstraint("(released_by IS NULL) = (released_at IS NULL)", name="released"),
)

TABLES: tuple[str, ...] = tuple(metadata.tables)
