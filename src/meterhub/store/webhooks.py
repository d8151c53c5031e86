"""Webhooks as stored (migration 0008): a party's subscriptions and the queue of deliveries to them.

A subscription is a party's URL, the events it wants and its signing secret (kept as is: an HMAC needs it).
Deleting one sets ``deleted_at``; its pending deliveries are given up. :func:`enqueue` adds one delivery of an
event to each live subscription of a party that wants it, due at once. Any worker delivers: :func:`claim_due`
takes the due deliveries by moving each one's ``next_attempt_at`` forward by a lease with a compare-and-set
``UPDATE`` (so two workers never send the same attempt at once), and :func:`record_attempt` writes the outcome —
delivered, the time of the next try, or given up. Functions take a :data:`~meterhub.store.sql.Connection`;
:class:`WebhookOps` is the part of :class:`~meterhub.store.db.Store` that runs them alone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from meterhub.store import schema as t
from meterhub.store.engine import StoreEngine
from meterhub.store.sql import insert_id


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    party_id: int
    url: str
    events: tuple[str, ...]
    secret: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event to one subscription, with what the sender needs (URL and secret)."""

    id: int
    subscription_id: int
    event: str
    payload: dict[str, Any]
    created_at: datetime
    attempts: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    gave_up_at: datetime | None
    last_error: str | None
    url: str
    secret: str


def _sub(r: sa.Row[Any]) -> Subscription:
    events = tuple(str(r.events).split())
    return Subscription(int(r.id), int(r.party_id), str(r.url), events, str(r.secret), r.created_at)


def add_subscription(
    conn: sa.Connection, party_id: int, url: str, events: tuple[str, ...], secret: str, at: datetime
) -> int:
    row = {"party_id": party_id, "url": url, "events": " ".join(sorted(set(events))), "secret": secret}
    return insert_id(conn, t.webhook_subscription.insert().values(**row, created_at=at))


def subscriptions_of_party(conn: sa.Connection, party_id: int) -> list[Subscription]:
    ws = t.webhook_subscription.c
    q = sa.select(t.webhook_subscription).where(ws.party_id == party_id, ws.deleted_at.is_(None)).order_by(ws.id)
    return [_sub(r) for r in conn.execute(q)]


def delete_subscription(conn: sa.Connection, party_id: int, subscription_id: int, at: datetime) -> bool:
    """Delete a live subscription of ``party_id`` (False: none such); its pending deliveries are given up."""
    ws, wd = t.webhook_subscription, t.webhook_delivery
    mine = sa.and_(ws.c.id == subscription_id, ws.c.party_id == party_id, ws.c.deleted_at.is_(None))
    if conn.execute(ws.update().where(mine).values(deleted_at=at)).rowcount != 1:
        return False
    pending = sa.and_(wd.c.subscription_id == subscription_id, wd.c.next_attempt_at.is_not(None))
    conn.execute(wd.update().where(pending).values(next_attempt_at=None, gave_up_at=at, last_error="unsubscribed"))
    return True


def enqueue(conn: sa.Connection, party_id: int, event: str, payload: Mapping[str, Any], at: datetime) -> int:
    """One delivery of ``event`` to each live subscription of ``party_id`` wanting it; the number queued."""
    rows = [
        {"subscription_id": s.id, "event": event, "payload": json.dumps(dict(payload), sort_keys=True, default=str),
         "created_at": at, "attempts": 0, "next_attempt_at": at}
        for s in subscriptions_of_party(conn, party_id)
        if event in s.events
    ]  # fmt: skip
    if rows:
        conn.execute(t.webhook_delivery.insert(), rows)
    return len(rows)


def _select_deliveries() -> sa.Select[Any]:
    wd, ws = t.webhook_delivery, t.webhook_subscription
    return sa.select(wd, ws.c.url, ws.c.secret).join(ws, ws.c.id == wd.c.subscription_id)


def _delivery(r: sa.Row[Any]) -> Delivery:
    m = dict(r._mapping)
    m["payload"] = json.loads(m["payload"])
    return Delivery(**m)


def deliveries_of_party(conn: sa.Connection, party_id: int, limit: int = 100) -> list[Delivery]:
    """A party's deliveries, newest first."""
    q = _select_deliveries().where(t.webhook_subscription.c.party_id == party_id)
    return [_delivery(r) for r in conn.execute(q.order_by(t.webhook_delivery.c.id.desc()).limit(limit))]


def claim_due(conn: sa.Connection, now: datetime, lease: timedelta, limit: int = 100) -> list[Delivery]:
    """The deliveries due at ``now``, each claimed for ``lease`` (its next attempt moved to ``now + lease``, so a
    worker that dies mid-send leaves it to be tried again; a delivery another worker claimed first is skipped)."""
    wd = t.webhook_delivery
    due = conn.execute(
        _select_deliveries().where(wd.c.next_attempt_at <= now).order_by(wd.c.next_attempt_at, wd.c.id).limit(limit)
    ).all()
    claimed: list[Delivery] = []
    for r in due:
        cas = wd.update().where(wd.c.id == r.id, wd.c.next_attempt_at == r.next_attempt_at)
        if conn.execute(cas.values(next_attempt_at=now + lease)).rowcount == 1:
            claimed.append(_delivery(r))
    return claimed


def record_attempt(
    conn: sa.Connection, delivery_id: int, at: datetime, error: str | None, next_attempt_at: datetime | None
) -> None:
    """An attempt made at ``at``: delivered (``error`` None), to be tried again at ``next_attempt_at``, or given up
    (an error and no next attempt)."""
    values: dict[str, Any] = {"attempts": t.webhook_delivery.c.attempts + 1, "next_attempt_at": next_attempt_at}
    if error is None:
        values.update(delivered_at=at, next_attempt_at=None, last_error=None)
    else:
        values["last_error"] = error[:500]
        if next_attempt_at is None:
            values["gave_up_at"] = at
    conn.execute(t.webhook_delivery.update().where(t.webhook_delivery.c.id == delivery_id).values(**values))


class WebhookOps(StoreEngine):
    """Webhook subscriptions and deliveries (part of :class:`~meterhub.store.db.Store`)."""

    def add_webhook(self, party_id: int, url: str, events: tuple[str, ...], secret: str, at: datetime) -> int:
        with self.write() as conn:
            return add_subscription(conn, party_id, url, events, secret, at)

    def webhooks_of_party(self, party_id: int) -> list[Subscription]:
        with self.read() as conn:
            return subscriptions_of_party(conn, party_id)

    def delete_webhook(self, party_id: int, subscription_id: int, at: datetime) -> bool:
        with self.write() as conn:
            return delete_subscription(conn, party_id, subscription_id, at)

    def enqueue_webhook(self, party_id: int, event: str, payload: Mapping[str, Any], at: datetime) -> int:
        with self.write() as conn:
            return enqueue(conn, party_id, event, payload, at)

    def webhook_deliveries(self, party_id: int, limit: int = 100) -> list[Delivery]:
        with self.read() as conn:
            return deliveries_of_party(conn, party_id, limit)

    def claim_webhook_deliveries(self, now: datetime, lease: timedelta, limit: int = 100) -> list[Delivery]:
        with self.write() as conn:
            return claim_due(conn, now, lease, limit)

    def record_webhook_attempt(
        self, delivery_id: int, at: datetime, error: str | None, next_attempt_at: datetime | None
    ) -> None:
        with self.write() as conn:
            record_attempt(conn, delivery_id, at, error, next_attempt_at)


__all__ = [
    "Delivery",
    "Subscription",
    "WebhookOps",
    "add_subscription",
    "claim_due",
    "delete_subscription",
    "deliveries_of_party",
    "enqueue",
    "record_attempt",
    "subscriptions_of_party",
]
