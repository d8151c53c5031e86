"""Meter events and the communication log (DESIGN §3): what the meters' event logs and alarm pushes report
(standard, fraud, disconnector, M-Bus, power quality, power failure), with their acknowledgement, and the
head-end's record of every attempt to reach a meter.

An event is stored once per (meter, occurred_at, log, code) — the head-end reads overlapping log windows and
the push listener may see an alarm the daily read finds again. The functions take a
:class:`~meterhub.store.sql.Connection`; :class:`EventOps` is the part of :class:`~meterhub.store.db.Store`
that runs them in a transaction of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from meterhub.store import schema as t
from meterhub.store.engine import StoreEngine
from meterhub.store.sql import COUNT_ROWS, insert_for, rows_as, utc_now


@dataclass(frozen=True, slots=True)
class MeterEvent:
    meter_id: int
    occurred_at: datetime
    log: str
    code: int
    severity: str = "info"
    channel: int | None = None
    received_at: datetime | None = None
    id: int | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None


CommEntry = tuple[int, str, str | None, datetime | None]
"""A communication log entry: ``(meter id, outcome, detail, at)`` (``at`` None: now)."""


def add_events(conn: sa.Connection, events: Sequence[MeterEvent]) -> int:
    """Insert meter events, ignoring duplicates of (meter, occurred_at, log, code); returns rows inserted."""
    if not events:
        return 0
    now = utc_now()
    rows = [
        {
            "meter_id": e.meter_id,
            "occurred_at": e.occurred_at,
            "log": e.log,
            "code": e.code,
            "severity": e.severity,
            "channel": e.channel,
            "received_at": e.received_at or now,
        }
        for e in events
    ]
    result = conn.execute(insert_for(conn, t.meter_event).on_conflict_do_nothing(), rows, execution_options=COUNT_ROWS)
    return max(int(result.rowcount), 0)


def list_events(
    conn: sa.Connection,
    *,
    meter_id: int | None = None,
    since: datetime | None = None,
    unacknowledged: bool = False,
    limit: int = 1000,
) -> list[MeterEvent]:
    """Events (of one meter; since ``since``; not acknowledged yet), oldest first, at most ``limit``."""
    e = t.meter_event
    q = sa.select(e).order_by(e.c.occurred_at, e.c.id).limit(limit)
    if meter_id is not None:
        q = q.where(e.c.meter_id == meter_id)
    if since is not None:
        q = q.where(e.c.occurred_at >= since)
    if unacknowledged:
        q = q.where(e.c.acknowledged_at.is_(None))
    return rows_as(MeterEvent, conn.execute(q))


def events_between(
    conn: sa.Connection, meter_ids: Sequence[int], start: datetime, end: datetime, limit: int
) -> list[MeterEvent]:
    """Events of the meters that occurred in [start, end), oldest first, at most ``limit``."""
    e = t.meter_event
    if not meter_ids:
        return []
    q = (
        sa.select(e)
        .where(e.c.meter_id.in_(sorted(set(meter_ids))), e.c.occurred_at >= start, e.c.occurred_at < end)
        .order_by(e.c.occurred_at, e.c.id)
        .limit(limit)
    )
    return rows_as(MeterEvent, conn.execute(q))


def recent_events(conn: sa.Connection, meter_ids: Sequence[int], limit: int) -> list[MeterEvent]:
    """The newest ``limit`` events of the meters, newest first."""
    e = t.meter_event
    q = (
        sa.select(e)
        .where(e.c.meter_id.in_(list(meter_ids)))
        .order_by(e.c.occurred_at.desc(), e.c.id.desc())
        .limit(limit)
    )
    return rows_as(MeterEvent, conn.execute(q))


def acknowledge_event(conn: sa.Connection, event_id: int, by: str, at: datetime | None = None) -> bool:
    """Acknowledge an event not acknowledged yet; False when there is none such."""
    e = t.meter_event
    stmt = (
        e.update()
        .where(e.c.id == event_id, e.c.acknowledged_at.is_(None))
        .values(acknowledged_at=at or utc_now(), acknowledged_by=by)
    )
    return int(conn.execute(stmt).rowcount) == 1


def log_comm_many(conn: sa.Connection, entries: Sequence[CommEntry]) -> None:
    """Append communication log entries (:data:`CommEntry`)."""
    if not entries:
        return
    now = utc_now()
    rows = [{"meter_id": m, "outcome": o, "detail": d, "at": at or now} for m, o, d, at in entries]
    conn.execute(t.comm_log.insert(), rows)


def comm_counts(conn: sa.Connection, meter_id: int, since: datetime | None = None) -> dict[str, int]:
    """``{outcome: count}`` of a meter's communication log (since ``since``)."""
    c = t.comm_log
    q = sa.select(c.c.outcome, sa.func.count()).where(c.c.meter_id == meter_id).group_by(c.c.outcome)
    if since is not None:
        q = q.where(c.c.at >= since)
    return {row[0]: int(row[1]) for row in conn.execute(q)}


class EventOps(StoreEngine):
    """The event and communication log operations of :class:`~meterhub.store.db.Store`."""

    def add_events(self, events: Sequence[MeterEvent]) -> int:
        """Insert meter events, ignoring duplicates of (meter, occurred_at, log, code); returns rows inserted."""
        if not events:
            return 0
        with self.write() as conn:
            return add_events(conn, events)

    def list_events(
        self,
        *,
        meter_id: int | None = None,
        since: datetime | None = None,
        unacknowledged: bool = False,
        limit: int = 1000,
    ) -> list[MeterEvent]:
        with self.read() as conn:
            return list_events(conn, meter_id=meter_id, since=since, unacknowledged=unacknowledged, limit=limit)

    def events_between(self, meter_ids: Sequence[int], start: datetime, end: datetime, limit: int) -> list[MeterEvent]:
        with self.read() as conn:
            return events_between(conn, meter_ids, start, end, limit)

    def recent_events(self, meter_ids: Sequence[int], limit: int) -> list[MeterEvent]:
        """The newest ``limit`` events of the meters, newest first."""
        with self.read() as conn:
            return recent_events(conn, meter_ids, limit)

    def acknowledge_event(self, event_id: int, by: str, at: datetime | None = None) -> bool:
        with self.write() as conn:
            return acknowledge_event(conn, event_id, by, at)

    def log_comm(self, meter_id: int, outcome: str, detail: str | None = None, at: datetime | None = None) -> None:
        self.log_comm_many([(meter_id, outcome, detail, at)])

    def log_comm_many(self, entries: Sequence[CommEntry]) -> None:
        """Append (meter id, outcome, detail, at) rows to the communication log in one transaction."""
        if not entries:
            return
        with self.write() as conn:
            log_comm_many(conn, entries)

    def comm_counts(self, meter_id: int, since: datetime | None = None) -> dict[str, int]:
        """``{outcome: count}`` of a meter's communication log (since ``since``)."""
        with self.read() as conn:
            return comm_counts(conn, meter_id, since)


__all__ = [
    "CommEntry",
    "EventOps",
    "MeterEvent",
    "acknowledge_event",
    "add_events",
    "comm_counts",
    "events_between",
    "list_events",
    "log_comm_many",
    "recent_events",
]
