"""``/api/v1/refresh-tokens``: a person's long-lived credentials for a program (Eloverblik-style), issued, listed and
revoked over HTTP (issue 13 §4).

A person logged in (a customer, or the staff of a DSO, supplier, ESP or the operator: action
``refresh_tokens.manage``) issues a refresh token — **shown once**, kept as its SHA-256 — valid for up to a year,
and gives it to a program; the program trades it at ``POST /api/v1/oauth/token`` (``grant_type=refresh_token``)
for a 24-hour bearer token (:func:`meterhub.api.auth.issue_refreshed`). A token acts as the person, with data
scopes only (``interval_data``, ``billing_reads``, ``live_p1``: reads through the same policy layer, never a state
change), or — for a market party's staff, with ``client_id`` — as one of their party's OAuth2 clients, with that
client's scopes. Revoking ends it and every access token traded for it at once; so does deleting the client, or
rotating its secret with no grace. A bearer token (a client's, or one traded for a refresh token) cannot issue
refresh tokens. Someone else's refresh token is a 404.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Final

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from meterhub.api.auth import PERSON_TOKEN_SCOPES
from meterhub.api.common import MAX_ID, AccessDep, policy, require
from meterhub.api.problems import Problem, not_found
from meterhub.security import tokens
from meterhub.store.refresh import RefreshRow

router = APIRouter()
MAX_DAYS: Final = 365
RefreshId = Annotated[int, Path(ge=1, le=MAX_ID, description="The refresh token's id.")]


class RefreshBody(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="What the token is for (shown in the list).")
    days: int = Field(default=MAX_DAYS, ge=1, le=MAX_DAYS, description="How long it is valid, in days.")
    scopes: list[str] | None = Field(
        default=None, max_length=8, description="Narrower scopes (default: all the person's or the client's)."
    )
    client_id: str | None = Field(
        default=None, pattern=r"^mhci_[0-9a-f]{16}$", description="Staff: act as this client of your party."
    )


def _json(r: RefreshRow) -> dict[str, Any]:
    return {"id": r.id, "name": r.name, "client_id": r.client_id, "scopes": r.scopes.split(),
            "issued_at": r.issued_at, "expires_at": r.expires_at, "revoked_at": r.revoked_at}  # fmt: skip


@router.post(
    "/refresh-tokens", status_code=201, openapi_extra=policy("action:refresh_tokens.manage"),
    tags=["auth"], summary="Issue a refresh token (shown once)",
)  # fmt: skip
def issue(body: RefreshBody, access: AccessDep) -> dict[str, Any]:
    require(access, "refresh_tokens.manage")
    user_id = access.caller.user_id
    if user_id is None:
        raise Problem(403, "forbidden", "Only a person logged in issues refresh tokens.")
    allowed: frozenset[str] = PERSON_TOKEN_SCOPES
    if body.client_id is not None:
        found = access.store.get_client(body.client_id)
        if found is None or found[0].disabled or found[0].party_id != access.caller.party_id:
            raise not_found("client")
        allowed = frozenset(found[0].scopes.split())
    asked = frozenset(body.scopes) if body.scopes is not None else allowed
    if not asked or not asked <= allowed:
        raise Problem(422, "refresh-scopes", f"The scopes must be some of {sorted(allowed)}.")
    token = tokens.new_token("refresh_token")
    expires = access.now + timedelta(days=body.days)
    rid = access.store.add_refresh_token(
        token.hash, user_id, body.client_id, body.name, " ".join(sorted(asked)), access.now, expires
    )
    (row,) = [r for r in access.store.refresh_tokens_of_user(user_id) if r.id == rid]
    return {**_json(row), "refresh_token": token.token}


@router.get(
    "/refresh-tokens", openapi_extra=policy("action:refresh_tokens.manage"), tags=["auth"],
    summary="Your refresh tokens",
)  # fmt: skip
def list_tokens(access: AccessDep) -> dict[str, Any]:
    require(access, "refresh_tokens.manage")
    user_id = access.caller.user_id
    rows = access.store.refresh_tokens_of_user(user_id) if user_id is not None else []
    return {"items": [_json(r) for r in rows]}


@router.delete(
    "/refresh-tokens/{refresh_id}", status_code=204, openapi_extra=policy("action:refresh_tokens.manage"),
    tags=["auth"], summary="Revoke a refresh token (its access tokens end at once)",
)  # fmt: skip
def revoke(refresh_id: RefreshId, access: AccessDep) -> Response:
    require(access, "refresh_tokens.manage")
    user_id = access.caller.user_id
    if user_id is None or not access.store.revoke_refresh_token(refresh_id, user_id, access.now):
        raise not_found("refresh token")
    return Response(status_code=204)


__all__ = ["router"]
