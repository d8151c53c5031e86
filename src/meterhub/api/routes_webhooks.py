"""``/api/v1/webhooks``: a market party adds, lists and deletes its webhook subscriptions.

Every route needs ``webhooks.manage`` (a DSO, a supplier, an ESP, the operator's admin; an OAuth2 client only
with that scope). A subscription is the caller's party's: another party's is a 404. The URL must pass the SSRF
guard (:mod:`meterhub.api.egress`: https, public addresses only after resolution; otherwise a 422 ``webhook-url``
problem). The signing secret is in the answer to the ``POST`` only — it is shown once (the store keeps it, since
an HMAC needs it; see :mod:`meterhub.api.webhooks`). The list shows each subscription's latest deliveries, so a
party sees why its endpoint gets nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import AnyHttpUrl, BaseModel, Field

from meterhub.api.common import MAX_ID, AccessDep, SettingsDep, policy, require
from meterhub.api.egress import UnsafeURL
from meterhub.api.problems import Problem, not_found
from meterhub.api.webhooks import Event, new_secret
from meterhub.store.webhooks import Delivery, Subscription

router = APIRouter()
WebhookId = Annotated[int, Path(ge=1, le=MAX_ID, description="The subscription's id.")]


class SubscriptionBody(BaseModel):
    url: AnyHttpUrl = Field(description="Where the events are POSTed (https in production).")
    events: list[Event] = Field(min_length=1, max_length=4)


def _delivery_json(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "event": d.event,
        "created_at": d.created_at,
        "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at,
        "delivered_at": d.delivered_at,
        "gave_up_at": d.gave_up_at,
        "last_error": d.last_error,
    }


def _json(s: Subscription, deliveries: list[Delivery]) -> dict[str, Any]:
    mine = [_delivery_json(d) for d in deliveries if d.subscription_id == s.id][:10]
    return {"id": s.id, "url": s.url, "events": list(s.events), "created_at": s.created_at, "deliveries": mine}


@router.post(
    "/webhooks", status_code=201, openapi_extra=policy("action:webhooks.manage"), tags=["webhooks"],
    summary="Add a webhook (market party; the secret is shown once)",
)  # fmt: skip
def add_webhook(body: SubscriptionBody, access: AccessDep, settings: SettingsDep) -> dict[str, Any]:
    require(access, "webhooks.manage")
    try:
        settings.egress.check_url(str(body.url))
    except UnsafeURL as e:
        raise Problem(422, "webhook-url", str(e)) from e
    secret = new_secret()
    wid = access.store.add_webhook(access.caller.party_id, str(body.url), tuple(body.events), secret, access.now)
    (row,) = [s for s in access.store.webhooks_of_party(access.caller.party_id) if s.id == wid]
    return {**_json(row, []), "secret": secret}


@router.get(
    "/webhooks", openapi_extra=policy("action:webhooks.manage"), tags=["webhooks"], summary="Your webhooks",
)  # fmt: skip
def list_webhooks(access: AccessDep) -> dict[str, Any]:
    require(access, "webhooks.manage")
    party = access.caller.party_id
    deliveries = access.store.webhook_deliveries(party, limit=1000)
    return {"items": [_json(s, deliveries) for s in access.store.webhooks_of_party(party)]}


@router.delete(
    "/webhooks/{webhook_id}", status_code=204, openapi_extra=policy("action:webhooks.manage"), tags=["webhooks"],
    summary="Delete a webhook (its pending deliveries are dropped)",
)  # fmt: skip
def delete_webhook(webhook_id: WebhookId, access: AccessDep) -> Response:
    require(access, "webhooks.manage")
    if not access.store.delete_webhook(access.caller.party_id, webhook_id, access.now):
        raise not_found("webhook")
    return Response(status_code=204)


__all__ = ["router"]
