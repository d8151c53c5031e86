"""What the webhook sweeps read and write (migration 0012): the metering points whose interval blocks were written
since a watermark, a subscription's watermark moved with its events queued, consents expired with their event,
and a consent's change with its event in one transaction.

Ingest lives below the API layer and knows nothing of webhooks, so ``data.new`` is found by a sweep: every block
version carries its creation time (``interval_block.created_at``, indexed by 0012); :func:`changed_points` turns the
blocks created in (since, until] into one period per metering point — the local days written, cut to the
installation of the channel's meter (or of its M-Bus parent) at that point. :func:`advance_watermark` moves a
subscription's watermark with a compare-and-set and queues that sweep's events in the same transaction, so two
sweepers never queue the same period twice and a sweeper that dies queues nothing. :func:`expire_due` marks every
active consent whose end has passed (``expired_at``, once) and queues its ``consent.expired`` alongside.
:func:`grant_with_event` / :func:`change_with_event` write a consent and queue its event together: the event is
never lost after a committed change, nor sent for a change that rolled back. The event bodies are built by the
caller (``payload_of``: the API layer's), the store only queues them. :class:`SweepOps` runs each alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from meterhub.store import schema as t
from meterhub.store.consents import ConsentRow, add_consent, get_consent, set_status
from meterhub.store.engine import StoreEngine
from meterhub.store.intervals import LOCAL_TZ
from meterhub.store.sql import id_filters
from meterhub.store.webhooks import enqueue

PayloadOf = Callable[[ConsentRow], Mapping[str, Any]]
"""Builds the body of a consent event from the consent as written."""


@dataclass(frozen=True, slots=True)
class PointChange:
    """Interval data of ``point_id`` in [start, end) was written in the swept time (whole local days, cut to the
    installation)."""

    point_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class DataSubscription:
    """A live subscription wanting ``data.new``: its party and the creation time swept up to."""

    id: int
    party_id: int
    party_kind: str
    watermark: datetime


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), LOCAL_TZ).astimezone(UTC)


def changed_points(conn: sa.Connection, since: datetime, until: datetime) -> list[PointChange]:
    """The points whose blocks were created in (since, until], by point id, each with the period written."""
    b, c, m, i = t.interval_block, t.channel, t.meter, t.installation
    days = (
        sa.select(b.c.channel_id, sa.func.min(b.c.local_day).label("first"), sa.func.max(b.c.local_day).label("last"))
        .where(b.c.created_at > since, b.c.created_at <= until)
        .group_by(b.c.channel_id)
    )
    written = {int(r.channel_id): (r.first, r.last) for r in conn.execute(days)}
    if not written:
        return []
    meters: dict[int, set[int]] = {}  # meter id (or its M-Bus parent) → channels
    q = sa.select(c.c.id, c.c.meter_id, m.c.parent_meter_id).join(m, m.c.id == c.c.meter_id)
    for f in id_filters(conn, c.c.id, sorted(written)):
        for r in conn.execute(q.where(f)):
            for meter in (r.meter_id, r.parent_meter_id):
                if meter is not None:
                    meters.setdefault(int(meter), set()).add(int(r.id))
    periods: dict[int, tuple[datetime, datetime]] = {}
    for f in id_filters(conn, i.c.meter_id, sorted(meters)):
        for r in conn.execute(sa.select(i).where(f)):
            for ch in meters[int(r.meter_id)]:
                first, last = (d if isinstance(d, date) else date.fromisoformat(str(d)) for d in written[ch])
                start = max(_day_start(first), r.valid_from)
                end = _day_start(last + timedelta(days=1))
                end = end if r.valid_to is None else min(end, r.valid_to)
                if start < end:
                    old = periods.get(int(r.metering_point_id))
                    periods[int(r.metering_point_id)] = (start, end) if old is None else (min(old[0], start),
                                                                                         max(old[1], end))  # fmt: skip
    return [PointChange(p, s, e) for p, (s, e) in sorted(periods.items())]


def data_subscriptions(conn: sa.Connection) -> list[DataSubscription]:
    """The live subscriptions wanting ``data.new``, by id (their watermark: NULL is their creation time)."""
    ws, p = t.webhook_subscription, t.party
    q = (
        sa.select(ws.c.id, ws.c.party_id, ws.c.events, ws.c.created_at, ws.c.data_watermark, p.c.kind)
        .join(p, p.c.id == ws.c.party_id)
        .where(ws.c.deleted_at.is_(None))
        .order_by(ws.c.id)
    )
    return [
        DataSubscription(int(r.id), int(r.party_id), str(r.kind), r.data_watermark or r.created_at)
        for r in conn.execute(q)
        if "data.new" in str(r.events).split()
    ]


def advance_watermark(
    conn: sa.Connection, sub: DataSubscription, until: datetime, payloads: Sequence[Mapping[str, Any]], at: datetime
) -> bool:
    """Move ``sub``'s watermark from the one it was read with to ``until`` and queue one ``data.new`` delivery per
    payload to it; False (nothing queued) if another sweeper moved it first."""
    ws = t.webhook_subscription
    was = sa.or_(
        ws.c.data_watermark == sub.watermark, sa.and_(ws.c.data_watermark.is_(None), ws.c.created_at == sub.watermark)
    )
    cas = ws.update().where(ws.c.id == sub.id, ws.c.deleted_at.is_(None), was).values(data_watermark=until)
    if conn.execute(cas).rowcount != 1:
        return False
    rows = [
        {"subscription_id": sub.id, "event": "data.new", "payload": json.dumps(dict(p), sort_keys=True, default=str),
         "created_at": at, "attempts": 0, "next_attempt_at": at}
        for p in payloads
    ]  # fmt: skip
    if rows:
        conn.execute(t.webhook_delivery.insert(), rows)
    return True


def expire_due(conn: sa.Connection, now: datetime, payload_of: PayloadOf) -> list[ConsentRow]:
    """Mark every active consent whose end lies at or before ``now`` and that was not marked yet, queueing its
    ``consent.expired`` for the grantee; the consents marked (each once, whoever sweeps)."""
    c = t.consent
    due = sa.and_(c.c.status == "active", c.c.valid_to.is_not(None), c.c.valid_to <= now, c.c.expired_at.is_(None))
    out: list[ConsentRow] = []
    for (cid,) in conn.execute(sa.select(c.c.id).where(due).order_by(c.c.id)).all():
        if conn.execute(c.update().where(c.c.id == cid, due).values(expired_at=now)).rowcount != 1:
            continue
        row = get_consent(conn, int(cid))
        assert row is not None
        enqueue(conn, row.grantee_id, "consent.expired", payload_of(row), now)
        out.append(row)
    return out


def grant_with_event(
    conn: sa.Connection,
    grantor_id: int,
    grantee_id: int,
    point_ids: Sequence[int],
    scopes: Iterable[str],
    valid_from: datetime,
    valid_to: datetime | None,
    status: str,
    at: datetime,
    event: str | None,
    payload_of: PayloadOf,
) -> ConsentRow:
    """A new consent (or request) and, if ``event``, its event queued for the grantee."""
    cid = add_consent(conn, grantor_id, grantee_id, point_ids, scopes, valid_from, valid_to, status, at)
    row = get_consent(conn, cid)
    assert row is not None
    if event is not None:
        enqueue(conn, row.grantee_id, event, payload_of(row), at)
    return row


def change_with_event(
    conn: sa.Connection, consent_id: int, status: str, at: datetime, event: str | None, payload_of: PayloadOf
) -> ConsentRow:
    """:func:`~meterhub.store.consents.set_status` and, if ``event``, its event queued for the grantee."""
    row = set_status(conn, consent_id, status, at)
    if event is not None:
        enqueue(conn, row.grantee_id, event, payload_of(row), at)
    return row


class SweepOps(StoreEngine):
    """The webhook sweeps' reads and writes, and consent changes with their events (part of
    :class:`~meterhub.store.db.Store`)."""

    def changed_points(self, since: datetime, until: datetime) -> list[PointChange]:
        with self.read() as conn:
            return changed_points(conn, since, until)

    def data_subscriptions(self) -> list[DataSubscription]:
        with self.read() as conn:
            return data_subscriptions(conn)

    def advance_watermark(
        self, sub: DataSubscription, until: datetime, payloads: Sequence[Mapping[str, Any]], at: datetime
    ) -> bool:
        with self.write() as conn:
            return advance_watermark(conn, sub, until, payloads, at)

    def expire_consents(self, now: datetime, payload_of: PayloadOf) -> list[ConsentRow]:
        with self.write() as conn:
            return expire_due(conn, now, payload_of)

    def grant_consent_with_event(
        self,
        grantor_id: int,
        grantee_id: int,
        point_ids: Sequence[int],
        scopes: Iterable[str],
        valid_from: datetime,
        valid_to: datetime | None,
        status: str,
        at: datetime,
        event: str | None,
        payload_of: PayloadOf,
    ) -> ConsentRow:
        with self.write() as conn:
            return grant_with_event(
                conn, grantor_id, grantee_id, point_ids, scopes, valid_from, valid_to, status, at, event, payload_of
            )

    def change_consent_with_event(
        self, consent_id: int, status: str, at: datetime, event: str | None, payload_of: PayloadOf
    ) -> ConsentRow:
        with self.write() as conn:
            return change_with_event(conn, consent_id, status, at, event, payload_of)


__all__ = [
    "DataSubscription",
    "PayloadOf",
    "PointChange",
    "SweepOps",
    "advance_watermark",
    "change_with_event",
    "changed_points",
    "data_subscriptions",
    "expire_due",
    "grant_with_event",
]
