"""The webhook sweeps: ``data.new`` for the points a party may see, ``consent.expired`` once per consent.

Ingest (``meterhub.mdm``, below the API layer) knows nothing of webhooks, so new interval data is found by a
watermark sweep (:func:`sweep_new_data`): for each live subscription wanting ``data.new``, the metering points
whose blocks were written since its watermark (:func:`meterhub.store.webhook_sweeps.changed_points`), asked of the
one policy layer as the subscription's party (:meth:`meterhub.api.service.Access.windows_of`, the party's role
from its kind: a DSO, a supplier, an ESP, the operator): one event per point per sweep, carrying only the windows
of the new period the party may see and the right of each — a supplier of record before a switch is told of its
own months only, an ESP of its consent's window only, a point it may not see is never named. The watermark moves
and the events are queued in one transaction (a compare-and-set: two sweepers never queue twice). The sweep stops
:data:`SWEEP_LAG` short of now, so a block written in a transaction still open is swept next time rather than
missed (a limit: an ingest transaction open longer than that, whose blocks carry its start time, is not
announced). :func:`sweep_expired` marks every active consent whose end
has passed and queues ``consent.expired`` to its grantee in the same transaction, once. ``meterhub webhooks
deliver`` runs both sweeps, then delivers (:func:`meterhub.api.webhooks.deliver_due`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from meterhub.api.rights import Principal, Role
from meterhub.api.service import Access, Caller
from meterhub.api.spans import Window
from meterhub.api.webhooks import consent_payload
from meterhub.store import Store
from meterhub.store.consents import ConsentRow
from meterhub.store.webhook_sweeps import DataSubscription, PointChange

SWEEP_LAG: Final = timedelta(seconds=30)
"""How far short of now a sweep stops (blocks of a transaction still open are swept the next time)."""
ROLE_OF_KIND: Final[dict[str, Role]] = {"operator": "operator", "dso": "dso", "supplier": "supplier", "esp": "esp"}
"""The role a party's webhook sweep asks the policy as (other kinds of party get no data.new)."""


@dataclass(frozen=True, slots=True)
class Swept:
    """What one run of the sweeps queued."""

    data_new: int = 0
    expired: int = 0


def party_caller(sub: DataSubscription) -> Caller | None:
    """The policy's caller for a subscription's party (None: a kind that gets no data events)."""
    role = ROLE_OF_KIND.get(sub.party_kind)
    if role is None:
        return None
    return Caller(Principal(role, str(sub.party_id)), f"webhook:{sub.id}", sub.party_id)


def data_payload(point_id: int, windows: list[Window], at: datetime) -> dict[str, Any]:
    """The body of a ``data.new`` event: the point and the visible windows of the new period."""
    return {
        "event": "data.new",
        "at": at.isoformat(),
        "metering_point": point_id,
        "scope": "interval_data",
        "from": windows[0].start.isoformat(),
        "to": windows[-1].end.isoformat(),
        "windows": [{"from": w.start.isoformat(), "to": w.end.isoformat(), "right": w.right} for w in windows],
    }


def sweep_new_data(store: Store, now: datetime, lag: timedelta = SWEEP_LAG) -> int:
    """Queue ``data.new`` for every subscription wanting it (see the module docstring); the number queued."""
    until = now - lag
    changed: dict[datetime, list[PointChange]] = {}
    queued = 0
    for sub in store.data_subscriptions():
        if sub.watermark >= until:
            continue
        payloads: list[dict[str, Any]] = []
        who = party_caller(sub)
        if who is not None:
            if sub.watermark not in changed:
                changed[sub.watermark] = store.changed_points(sub.watermark, until)
            periods = {c.point_id: (c.start, c.end) for c in changed[sub.watermark]}
            seen = Access(store, who, now).windows_of(periods, "interval_data")
            payloads = [data_payload(p, ws, now) for p, ws in sorted(seen.items())]
        if store.advance_watermark(sub, until, payloads, now):
            queued += len(payloads)
    return queued


def sweep_expired(store: Store, now: datetime) -> list[ConsentRow]:
    """Mark the consents whose end has passed and queue their ``consent.expired`` (each once); those marked."""

    def payload(row: ConsentRow) -> dict[str, Any]:
        return consent_payload("consent.expired", row, now)

    return store.expire_consents(now, payload)


def sweep(store: Store, now: datetime, lag: timedelta = SWEEP_LAG) -> Swept:
    """Both sweeps, expiry first (an expired consent's grantee is then not told of data it can no longer see)."""
    expired = len(sweep_expired(store, now))
    return Swept(data_new=sweep_new_data(store, now, lag), expired=expired)


__all__ = [
    "ROLE_OF_KIND",
    "SWEEP_LAG",
    "Swept",
    "data_payload",
    "party_caller",
    "sweep",
    "sweep_expired",
    "sweep_new_data",
]
