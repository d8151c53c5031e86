"""The :class:`Store`: one database with the meterhub schema, and every data operation of the platform.

``Store.open(url_or_data_dir)`` opens and migrates (:mod:`meterhub.store.engine`); ``store.read()`` and
``store.write()`` hand out a transaction. The operations are grouped by concern, one module each, and each
module offers them twice: as functions taking the connection of a transaction (so that a caller — the MDM
ingest, an import, the demo's provisioning — composes several in one transaction) and as methods of a part of
:class:`Store` that run one in a transaction of its own:

========================================  =============================================================
:mod:`~meterhub.store.inventory`          parties (DSOs), concentrators, metering points, meters, installations
:mod:`~meterhub.store.channels`           channels and their look-ups by meter, DSO, installation
:mod:`~meterhub.store.blocks`             interval blocks: current versions (or as of a time), appends
:mod:`~meterhub.store.reads`              register reads
:mod:`~meterhub.store.events`             meter events and the communication log
:mod:`~meterhub.store.jobs`               the head-end's read jobs
:mod:`~meterhub.store.counters`           DLMS invocation counters
:mod:`~meterhub.store.digests`            the VEE history digests' rows
:mod:`~meterhub.store.gas_factors`        gas conversion factors per grid area and month
:mod:`~meterhub.store.p1`                 live P1 readings forwarded by households' readers
:mod:`~meterhub.store.weather`            the daily weather per area (heating degree days)
:mod:`~meterhub.store.home_profiles`      households' home profiles and the comparison's peer statistics
:mod:`~meterhub.store.billing_reads`      stored billing reads and their versions
:mod:`~meterhub.store.rejected`           readings received but not kept (conflicting duplicates of an import)
:mod:`~meterhub.store.parties`            supplier of record and occupant of a metering point over time
:mod:`~meterhub.store.users`              people, server-side sessions, OAuth2 clients and bearer tokens
:mod:`~meterhub.store.client_admin`       rotating and deleting OAuth2 clients
:mod:`~meterhub.store.refresh`            refresh tokens and the 24-hour bearer tokens traded for them
:mod:`~meterhub.store.consents`           customers' consents to suppliers and ESPs
:mod:`~meterhub.store.access_log`         the append-only log of reads of personal data
:mod:`~meterhub.store.limits`             login throttles' and rate limits' state shared by the workers
:mod:`~meterhub.store.tariffs`            suppliers' published tariff versions
:mod:`~meterhub.store.webhooks`           market parties' webhook subscriptions and the delivery queue
:mod:`~meterhub.store.contacts`           where a party's notification e-mails go, and in which language
:mod:`~meterhub.store.webhook_sweeps`     blocks written since a watermark, consent expiry, consent changes + events
:mod:`~meterhub.store.commands`           remote operations' commands, transitions, guard halts, life support
:mod:`~meterhub.store.sql`                the portable SQL helpers the modules share
========================================  =============================================================

The schema is :mod:`meterhub.store.schema` (migrations in ``migrations/``), the packed block format and the
local-day arithmetic :mod:`meterhub.store.intervals`, PostgreSQL's month partitions
:mod:`meterhub.store.partitions`, month archives :mod:`meterhub.store.archive`. This module also re-exports
the row types and the block and read functions under their old names (``from meterhub.store.db import …``).
"""

from __future__ import annotations

from meterhub.store.access_log import AccessLogOps
from meterhub.store.blocks import (
    BlockOps,
    IntervalBlock,
    NewBlock,
    block_versions,
    current_blocks,
    insert_blocks,
    newest_block_days,
    pack_blocks,
)
from meterhub.store.channels import Channel, ChannelOps, channel_intervals
from meterhub.store.client_admin import ClientAdminOps
from meterhub.store.commands import CommandOps
from meterhub.store.consents import ConsentOps
from meterhub.store.contacts import ContactOps
from meterhub.store.counters import CounterOps
from meterhub.store.engine import DB_FILE, MIGRATIONS
from meterhub.store.events import EventOps, MeterEvent
from meterhub.store.home_profiles import HomeProfileOps
from meterhub.store.inventory import Concentrator, InventoryOps, Meter, MeteringPoint, Party
from meterhub.store.jobs import JobOps, ReadJob
from meterhub.store.limits import LimitOps
from meterhub.store.p1 import P1Ops
from meterhub.store.parties import PartyOps
from meterhub.store.reads import (
    ReadOps,
    RegisterRead,
    add_register_read_rows,
    add_register_reads,
    count_register_reads,
    register_read_values,
    register_reads_many,
)
from meterhub.store.refresh import RefreshOps
from meterhub.store.rejected import RejectedOps, RejectedReading, add_rejected_readings
from meterhub.store.sql import check_channels, copy_rows, id_filters, insert_for, insert_id
from meterhub.store.tariffs import TariffOps
from meterhub.store.users import UserOps
from meterhub.store.weather import WeatherOps
from meterhub.store.webhook_sweeps import SweepOps
from meterhub.store.webhooks import WebhookOps


class Store(
    InventoryOps,
    ChannelOps,
    BlockOps,
    ReadOps,
    EventOps,
    JobOps,
    CounterOps,
    RejectedOps,
    PartyOps,
    UserOps,
    ClientAdminOps,
    RefreshOps,
    ConsentOps,
    AccessLogOps,
    LimitOps,
    TariffOps,
    WebhookOps,
    SweepOps,
    P1Ops,
    ContactOps,
    WeatherOps,
    HomeProfileOps,
    CommandOps,
):
    """A database holding the meterhub schema. Create with :meth:`open`; the operations of each concern come
    from its part (see the module docstring)."""


__all__ = [
    "DB_FILE",
    "MIGRATIONS",
    "Channel",
    "Concentrator",
    "IntervalBlock",
    "Meter",
    "MeterEvent",
    "MeteringPoint",
    "NewBlock",
    "Party",
    "ReadJob",
    "RegisterRead",
    "RejectedReading",
    "Store",
    "add_register_read_rows",
    "add_register_reads",
    "add_rejected_readings",
    "block_versions",
    "channel_intervals",
    "check_channels",
    "copy_rows",
    "count_register_reads",
    "current_blocks",
    "id_filters",
    "insert_blocks",
    "insert_for",
    "insert_id",
    "newest_block_days",
    "pack_blocks",
    "register_read_values",
    "register_reads_many",
]
