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
* Enumerations are short strings (readable in SQL, extensible without migrations); the valid values are the
  ``Literal`` aliases below, enforced by CHECK constraints where the set is closed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

PartyKind = Literal["operator", "dso", "supplier", "service_provider", "customer"]
Medium = Literal["electricity", "gas", "water", "heat"]
EventLog = Literal[
    "standard", "fraud", "disconnector", "mbus", "communication", "power_quality", "power_failure", "alarm"
]
ReadKind = Literal["interval", "billing", "daily"]
JobKind = Literal["daily", "billing", "mbus", "events", "reread"]
JobState = Literal["pending", "running", "done", "failed"]
Direction = Literal["tx", "rx"]
BillingKind = Literal["monthly", "on_demand"]

PARTY_KINDS: tuple[str, ...] = ("operator", "dso", "supplier", "service_provider", "customer")
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

TABLES: tuple[str, ...] = tuple(metadata.tables)
