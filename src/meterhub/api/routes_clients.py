"""``/api/v1/clients``: a market party's OAuth2 clients, managed over HTTP (issue 13 §4).

Every route needs ``clients.manage``: the staff of a DSO, a supplier or an ESP manage their own party's clients;
the operator's admin (``operator_admin``) any party's (``party_id`` in the body, a filter on the list). A client
of another party is a 404, as is an unknown or deleted one. An OAuth2 client cannot manage clients (no token
scope grants it). Creating answers the client id and its secret — **shown once**; the store keeps only the
secret's SHA-256 (a 256-bit random token: :mod:`meterhub.security.tokens`). Rotating answers a new secret, shown
once; the old one stays valid for ``grace_seconds`` (default 1 hour, at most 7 days) so the party's systems can
switch, or, with ``grace_seconds: 0`` (a leaked secret), ends at once together with every bearer and refresh token
the client holds. Deleting disables the client and ends its secrets and tokens at once (its id stays known to the
access log).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Final

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from meterhub.api.auth import CLIENT_SCOPES
from meterhub.api.common import MAX_ID, AccessDep, policy, require
from meterhub.api.problems import Problem, not_found
from meterhub.api.service import Access
from meterhub.api.users import UserError, add_client
from meterhub.security import tokens
from meterhub.store.users import Client

router = APIRouter()
MAX_GRACE: Final = 7 * 24 * 3600
ClientId = Annotated[str, Path(pattern=r"^mhci_[0-9a-f]{16}$", description="The client's id (mhci_…).")]


class ClientBody(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="What the client is, for the party's admins.")
    scopes: list[str] = Field(min_length=1, max_length=8, description=f"Some of {sorted(CLIENT_SCOPES)}.")
    party_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="The operator's admin only: the party the client is for."
    )


class RotateBody(BaseModel):
    grace_seconds: int = Field(
        default=3600, ge=0, le=MAX_GRACE, description="How long the old secret stays valid (0: ended at once)."
    )


def _json(c: Client) -> dict[str, Any]:
    return {"client_id": c.client_id, "party_id": c.party_id, "name": c.name, "scopes": c.scopes.split(),
            "created_at": c.created_at}  # fmt: skip


def _is_admin(access: Access) -> bool:
    return access.caller.role == "operator_admin"


def _own_client(access: Access, client_id: str) -> Client:
    found = access.store.get_client(client_id)
    if found is None or found[0].disabled or (not _is_admin(access) and found[0].party_id != access.caller.party_id):
        raise not_found("client")
    return found[0]


@router.post(
    "/clients", status_code=201, openapi_extra=policy("action:clients.manage"), tags=["clients"],
    summary="Create an OAuth2 client (its secret is shown once)",
)  # fmt: skip
def create_client(body: ClientBody, access: AccessDep) -> dict[str, Any]:
    require(access, "clients.manage")
    party = access.caller.party_id
    if body.party_id is not None and body.party_id != party:
        if not _is_admin(access):
            raise Problem(403, "forbidden", "You manage your own party's clients only.")
        party = body.party_id
    try:
        client_id, secret = add_client(access.store, party, body.name, set(body.scopes), access.now)
    except UserError as e:
        raise Problem(422, "client", f"The client cannot be created: {e}.") from e
    return {**_json(_own_client(access, client_id)), "client_secret": secret}


@router.get(
    "/clients", openapi_extra=policy("action:clients.manage"), tags=["clients"], summary="Your party's clients",
)  # fmt: skip
def list_clients(
    access: AccessDep,
    party_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Operator's admin: one party's.")] = None,
) -> dict[str, Any]:
    require(access, "clients.manage")
    party = party_id if _is_admin(access) else access.caller.party_id
    return {"items": [_json(c) for c in access.store.list_clients(party) if not c.disabled]}


@router.post(
    "/clients/{client_id}/rotate", openapi_extra=policy("action:clients.manage"), tags=["clients"],
    summary="Rotate a client's secret (the new one is shown once)",
)  # fmt: skip
def rotate(client_id: ClientId, access: AccessDep, body: RotateBody | None = None) -> dict[str, Any]:
    require(access, "clients.manage")
    client = _own_client(access, client_id)
    grace = (body or RotateBody()).grace_seconds
    until: datetime | None = access.now + timedelta(seconds=grace) if grace else None
    secret = tokens.new_client_secret()
    if not access.store.rotate_client_secret(client.client_id, secret.hash, access.now, until):
        raise not_found("client")
    return {**_json(client), "client_secret": secret.token, "old_secret_valid_until": until}


@router.delete(
    "/clients/{client_id}", status_code=204, openapi_extra=policy("action:clients.manage"), tags=["clients"],
    summary="Delete a client (its secrets and tokens end at once)",
)  # fmt: skip
def delete(client_id: ClientId, access: AccessDep) -> Response:
    require(access, "clients.manage")
    client = _own_client(access, client_id)
    if not access.store.delete_client(client.client_id, access.now):
        raise not_found("client")
    return Response(status_code=204)


__all__ = ["router"]
