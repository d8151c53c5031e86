"""Webhooks to market parties: the events, the signature, the backoff and the delivery of what is due.

A party subscribes a URL to events — :data:`EVENTS`: a consent to it granted, revoked or expired, and new data
for a metering point it holds a consent on. A delivery is a ``POST`` of the event as JSON, signed like Stripe's:
``X-Meterhub-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the subscription's secret>``
(:func:`sign`, :func:`verify` — the receiver checks the time too, against replays). A delivery that fails (a
network error, a non-2xx answer) is tried again after :func:`backoff` (1 min, 2, 4 … capped at
:data:`MAX_BACKOFF`) and given up after :data:`MAX_ATTEMPTS` tries. The queue is in the store, so any worker or
process may run :func:`deliver_due` (``meterhub webhooks deliver``); it takes ``now`` and an httpx client.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal

import httpx

from meterhub.store import Store
from meterhub.store.consents import ConsentRow

Event = Literal["consent.granted", "consent.revoked", "consent.expired", "data.new"]
EVENTS: Final[tuple[Event, ...]] = ("consent.granted", "consent.revoked", "consent.expired", "data.new")
HEADER: Final = "X-Meterhub-Signature"
FIRST_BACKOFF: Final = timedelta(minutes=1)
MAX_BACKOFF: Final = timedelta(hours=6)
MAX_ATTEMPTS: Final = 12
LEASE: Final = timedelta(minutes=5)
"""How long a worker holds a claimed delivery (another worker takes it after that)."""
TOLERANCE: Final = 300
"""Seconds a signature's time may differ from the receiver's clock."""


def new_secret() -> str:
    """A subscription's signing secret (shown once, when it is created)."""
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, body: bytes, t: int) -> str:
    """The signature header's value for ``body`` sent at unix time ``t``."""
    mac = hmac.new(secret.encode(), str(t).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(secret: str, body: bytes, header: str, now: int, tolerance: int = TOLERANCE) -> bool:
    """True if ``header`` signs ``body`` under ``secret`` and its time is within ``tolerance`` of ``now``."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        t = int(parts["t"])
        mac = parts["v1"]
    except (ValueError, KeyError):
        return False
    if abs(now - t) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, body, t).split(",v1=", 1)[1], mac)


def backoff(attempts: int) -> timedelta | None:
    """The wait after the ``attempts``-th failed try (1 min, 2, 4 … capped), None once it is time to give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    wait: timedelta = FIRST_BACKOFF * 2 ** max(attempts - 1, 0)
    return min(wait, MAX_BACKOFF)


def consent_payload(event: Event, c: ConsentRow, at: datetime) -> dict[str, Any]:
    """The body of a consent event: what the grantee needs to act (no customer details beyond the ids)."""
    return {
        "event": event,
        "at": at.isoformat(),
        "consent": {
            "id": c.id,
            "grantor": c.grantor_id,
            "metering_points": list(c.point_ids),
            "scopes": list(c.scopes),
            "valid_from": c.valid_from.isoformat(),
            "valid_to": None if c.valid_to is None else c.valid_to.isoformat(),
            "status": "expired" if c.expired_at is not None else c.status,
        },
    }


def consent_changed(store: Store, event: Event, c: ConsentRow, at: datetime) -> int:
    """Queue ``event`` about consent ``c`` for its grantee's subscriptions; the number queued. (The API's consent
    routes write the consent and queue its event in one transaction instead: :func:`payload_of`.)"""
    return store.enqueue_webhook(c.grantee_id, event, consent_payload(event, c, at), at)


def payload_of(event: Event, at: datetime) -> Callable[[ConsentRow], dict[str, Any]]:
    """The builder of ``event``'s body that the store calls inside the consent's own write transaction."""

    def build(c: ConsentRow) -> dict[str, Any]:
        return consent_payload(event, c, at)

    return build


def new_data(store: Store, point_id: int, start: datetime, end: datetime, at: datetime) -> int:
    """Queue ``data.new`` (interval data of ``point_id`` for [start, end) arrived) for every grantee of an active
    consent on the point that covers the period; the number queued."""
    n = 0
    for c in store.consents_on_points([point_id]):
        covered = c.valid_from < end and (c.valid_to is None or start < c.valid_to)
        if c.status == "active" and covered:
            body = {"event": "data.new", "at": at.isoformat(), "consent": c.id, "metering_point": point_id,
                    "from": start.isoformat(), "to": end.isoformat()}  # fmt: skip
            n += store.enqueue_webhook(c.grantee_id, "data.new", body, at)
    return n


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one run of :func:`deliver_due` did."""

    delivered: int = 0
    retrying: int = 0
    given_up: int = 0


def deliver_due(store: Store, client: httpx.Client, now: datetime, limit: int = 100) -> Outcome:
    """Send every delivery due at ``now`` (claimed first, so workers share the queue) and record each outcome.
    In production ``client`` is :func:`meterhub.api.egress.guarded_client` (the SSRF guard at delivery time: a
    refused address is a failed attempt, ``ConnectError: refused: …``)."""
    delivered = retrying = given_up = 0
    for d in store.claim_webhook_deliveries(now, LEASE, limit):
        body = json.dumps(d.payload, sort_keys=True).encode()
        headers = {"Content-Type": "application/json", HEADER: sign(d.secret, body, int(now.timestamp()))}
        error: str | None
        try:
            r = client.post(d.url, content=body, headers=headers)
            error = None if 200 <= r.status_code < 300 else f"HTTP {r.status_code}"
        except httpx.HTTPError as e:
            error = f"{type(e).__name__}: {e}"
        if error is None:
            store.record_webhook_attempt(d.id, now, None, None)
            delivered += 1
            continue
        wait = backoff(d.attempts + 1)
        store.record_webhook_attempt(d.id, now, error, None if wait is None else now + wait)
        if wait is None:
            given_up += 1
        else:
            retrying += 1
    return Outcome(delivered, retrying, given_up)


__all__ = [
    "EVENTS",
    "HEADER",
    "MAX_ATTEMPTS",
    "Event",
    "Outcome",
    "backoff",
    "consent_changed",
    "consent_payload",
    "deliver_due",
    "new_data",
    "new_secret",
    "payload_of",
    "sign",
    "verify",
]
