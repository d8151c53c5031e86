"""``/api/v1`` for people and market parties: login and logout, the OAuth2 token endpoint, who am I, parties,
consents (a customer grants and revokes; a supplier or ESP asks, the customer accepts or refuses) and the access
log (a customer sees who read their data).

A consent is checked with :func:`meterhub.api.policy.consent_problems` when it is granted or a request accepted:
the customer is told, in plain words, what is wrong (a point not theirs, history before their move-in, an end in
the past) as a 422 listing the problems. A request names points by EAN (the customer gives theirs to the party);
it goes to their single current occupant, and anything else — unknown EANs, several or no occupants — is the same
422, so a request tells the party nothing about who lives where. A consent that is not the caller's is a 404.
Every change is told by e-mail to the household and the party that gave an address (:mod:`meterhub.api.notify`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, Field

from meterhub.api import auth
from meterhub.api.common import MAX_ID, AccessDep, CallerDep, ConsentId, SettingsDep, aware, policy, require
from meterhub.api.notify import Mailer, notify_consent
from meterhub.api.policy import consent_problems, occupancy_spans
from meterhub.api.problems import Problem, not_found
from meterhub.api.rights import SCOPES, Consent, Scope
from meterhub.api.service import Access
from meterhub.api.spans import Span
from meterhub.api.webhooks import Event, payload_of
from meterhub.store.access_log import AccessEntry
from meterhub.store.consents import ConsentRow
from meterhub.store.parties import PointHistory

router = APIRouter()
MAX_CONSENT_POINTS = 100
"""Points one consent or request may name."""
_basic = HTTPBasic(auto_error=False)


class LoginBody(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=1024)
    totp: str | None = Field(default=None, max_length=16, description="The 6-digit one-time code (staff: required).")


class GrantBody(BaseModel):
    grantee: int = Field(ge=1, le=MAX_ID, description="The supplier's or ESP's party id.")
    metering_points: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(min_length=1, max_length=MAX_CONSENT_POINTS)
    scopes: list[Scope] = Field(min_length=1)
    valid_from: datetime = Field(description="The oldest data it covers (at most back to your move-in).")
    valid_to: datetime | None = Field(default=None, description="When it ends (None: until revoked).")


class RequestBody(BaseModel):
    eans: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(min_length=1, max_length=MAX_CONSENT_POINTS)
    scopes: list[Scope] = Field(min_length=1)
    valid_from: datetime
    valid_to: datetime | None = None


# ------------------------------------------------------------------------------------------------- people


@router.post("/auth/login", openapi_extra=policy("public"), tags=["auth"], summary="Log in (session cookie)")
def login(request: Request, response: Response, body: LoginBody, s: SettingsDep) -> dict[str, Any]:
    done = auth.login(s, auth.address_of(request), body.username, body.password, body.totp)
    auth.set_session_cookie(request, response, done)
    return {
        "csrf_token": done.csrf_token,
        "username": done.user.username,
        "role": done.user.role,
        "party_id": done.user.party_id,
        "expires_at": done.expires_at,
    }


@router.post("/auth/logout", openapi_extra=policy("authenticated"), tags=["auth"], summary="Log out")
def logout(
    request: Request, response: Response, who: CallerDep, s: SettingsDep, everywhere: bool = False
) -> dict[str, Any]:
    ended = auth.logout(s, request, everywhere) if who.user_id is not None else 0
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return {"sessions_ended": ended}


@router.post(
    "/oauth/token", openapi_extra=policy("public"), tags=["auth"],
    summary="OAuth2 token: client credentials (15 min) or a refresh token (24 h)",
)  # fmt: skip
def token(
    request: Request,
    s: SettingsDep,
    basic: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
    grant_type: Annotated[str, Form(max_length=40)],
    client_id: Annotated[str | None, Form(max_length=40)] = None,
    client_secret: Annotated[str | None, Form(max_length=100)] = None,
    scope: Annotated[str | None, Form(max_length=200)] = None,
    refresh_token: Annotated[str | None, Form(max_length=100)] = None,
) -> dict[str, Any]:
    if grant_type == "refresh_token":
        if not refresh_token:
            raise Problem(400, "invalid-request", "Give the refresh_token.", error="invalid_request")
        access_token, expires_at, scopes = auth.issue_refreshed(s, auth.address_of(request), refresh_token)
        expires_in = int((expires_at - s.clock()).total_seconds())
        return {"access_token": access_token, "token_type": "Bearer", "expires_in": expires_in, "scope": scopes}
    if grant_type != "client_credentials":
        raise Problem(
            400, "unsupported-grant", "grant_type is client_credentials or refresh_token.",
            error="unsupported_grant_type",
        )  # fmt: skip
    cid, secret = (basic.username, basic.password) if basic is not None else (client_id, client_secret)
    if not cid or not secret:
        raise Problem(401, "invalid-client", "Give client_id and client_secret.", error="invalid_client")
    issued, row = auth.issue_token(s, auth.address_of(request), cid, secret, scope)
    return {
        "access_token": issued,
        "token_type": "Bearer",
        "expires_in": int((row.expires_at - row.issued_at).total_seconds()),
        "scope": row.scopes,
    }


@router.get("/me", openapi_extra=policy("authenticated"), tags=["auth"], summary="Who am I")
def me(who: CallerDep) -> dict[str, Any]:
    scopes = sorted(who.principal.scopes) if who.principal.scopes is not None else None
    return {"principal": who.label, "role": who.role, "party_id": who.party_id, "scopes": scopes}


@router.get("/parties", openapi_extra=policy("authenticated"), tags=["parties"], summary="Market parties")
def parties(access: AccessDep) -> dict[str, Any]:
    """The operator and the auditor see every party; everybody else the market's DSOs, suppliers and ESPs (to
    choose whom to grant a consent) and their own party."""
    everything = access.caller.role in ("operator", "operator_admin", "auditor")
    shown = [
        p
        for p in access.store.list_parties()
        if everything or p.kind in ("dso", "supplier", "esp") or p.id == access.caller.party_id
    ]
    return {"items": [{"id": p.id, "kind": p.kind, "code": p.code, "name": p.name} for p in shown]}


# ------------------------------------------------------------------------------------------------- consents


def consent_json(c: ConsentRow) -> dict[str, Any]:
    return {
        "id": c.id,
        "grantor": c.grantor_id,
        "grantee": c.grantee_id,
        "metering_points": list(c.point_ids),
        "scopes": list(c.scopes),
        "valid_from": c.valid_from,
        "valid_to": c.valid_to,
        "status": c.status,
        "created_at": c.created_at,
        "answered_at": c.answered_at,
        "revoked_at": c.revoked_at,
        "expired_at": c.expired_at,
    }


@router.get("/consents", openapi_extra=policy("authenticated"), tags=["consents"], summary="Your consents")
def list_consents(access: AccessDep) -> dict[str, Any]:
    if access.caller.role in ("operator", "operator_admin", "auditor"):
        rows = access.store.all_consents()
    else:
        rows = access.store.consents_of_party(access.caller.party_id)
    return {"items": [consent_json(c) for c in rows]}


def _check(
    access: Access,
    grantor: int,
    grantee: int,
    points: Sequence[int],
    scopes: Iterable[str],
    valid_from: datetime,
    valid_to: datetime | None,
) -> None:
    """422 listing the problems unless the consent can be given as it stands."""
    aware("valid_from", valid_from)
    aware("valid_to", valid_to)
    if valid_to is not None and valid_to <= valid_from:
        raise Problem(
            422, "consent", "The consent cannot be given as it stands.", problems=["The end must be after the start."]
        )
    known = frozenset(cast(Scope, x) for x in scopes if x in SCOPES)
    consent = Consent("new", str(grantor), str(grantee), frozenset(str(p) for p in points), known, valid_from, valid_to)
    problems = consent_problems(consent, access.rights(points), access.now)
    if problems:
        raise Problem(422, "consent", "The consent cannot be given as it stands.", problems=problems)


@router.post(
    "/consents", status_code=201, openapi_extra=policy("action:consents.grant"), tags=["consents"],
    summary="Grant a consent (customer)",
)  # fmt: skip
def grant(body: GrantBody, access: AccessDep, s: SettingsDep) -> dict[str, Any]:
    require(access, "consents.grant")
    grantee = access.store.get_party(body.grantee)
    if grantee is None or grantee.kind not in ("supplier", "esp"):
        raise Problem(
            422, "consent", "A consent goes to a supplier or an ESP.", problems=["Choose a supplier or an ESP."]
        )
    _check(
        access, access.caller.party_id, grantee.id, body.metering_points, body.scopes, body.valid_from, body.valid_to
    )
    row = access.store.grant_consent_with_event(
        access.caller.party_id, grantee.id, body.metering_points, body.scopes, body.valid_from, body.valid_to,
        "active", access.now, "consent.granted", payload_of("consent.granted", access.now),
    )  # fmt: skip
    notify_consent(s.mailer, access.store, "granted", row, access.now)
    return consent_json(row)


def _occupant(h: PointHistory, now: datetime) -> int | None:
    return h.current(h.occupants, now)


@router.post(
    "/consents/requests", status_code=201, openapi_extra=policy("action:consent_requests.create"),
    tags=["consents"], summary="Ask a customer for a consent (supplier, ESP)",
)  # fmt: skip
def ask(body: RequestBody, access: AccessDep, s: SettingsDep) -> dict[str, Any]:
    require(access, "consent_requests.create")
    aware("valid_from", body.valid_from)
    aware("valid_to", body.valid_to)
    ids = [p.id for ean in sorted(set(body.eans)) for p in access.store.points_page(ean=ean, limit=1)]
    histories = access.store.point_histories(ids)
    occupants = {_occupant(h, access.now) for h in histories.values()}
    if len(ids) != len(set(body.eans)) or len(occupants) != 1 or None in occupants:
        raise Problem(422, "consent-request", "These metering points cannot be asked for together: check the EANs.")
    (grantor,) = occupants
    assert grantor is not None
    cid = access.store.add_consent(
        grantor, access.caller.party_id, ids, body.scopes, body.valid_from, body.valid_to, "requested", access.now
    )
    row = access.store.get_consent(cid)
    assert row is not None
    notify_consent(s.mailer, access.store, "requested", row, access.now)
    return consent_json(row)


def _own_consent(access: Access, consent_id: int, status: str) -> ConsentRow:
    row = access.store.get_consent(consent_id)
    if row is None or row.grantor_id != access.caller.party_id:
        raise not_found("consent")
    if row.status != status:
        raise Problem(409, "consent-state", f"The consent is {row.status}, not {status}.")
    return row


def _answer(access: Access, consent_id: int, status: str, mailer: Mailer | None) -> dict[str, Any]:
    require(access, "consent_requests.answer")
    row = _own_consent(access, consent_id, "requested")
    if status == "active":
        _check(access, row.grantor_id, row.grantee_id, row.point_ids, row.scopes, row.valid_from, row.valid_to)
    event: Event | None = "consent.granted" if status == "active" else None
    row = access.store.change_consent_with_event(
        consent_id, status, access.now, event, payload_of("consent.granted", access.now)
    )
    notify_consent(mailer, access.store, "granted" if status == "active" else "refused", row, access.now)
    return consent_json(row)


@router.post(
    "/consents/{consent_id}/accept", openapi_extra=policy("action:consent_requests.answer"), tags=["consents"],
    summary="Accept a consent request (customer)",
)  # fmt: skip
def accept(consent_id: ConsentId, access: AccessDep, s: SettingsDep) -> dict[str, Any]:
    return _answer(access, consent_id, "active", s.mailer)


@router.post(
    "/consents/{consent_id}/refuse", openapi_extra=policy("action:consent_requests.answer"), tags=["consents"],
    summary="Refuse a consent request (customer)",
)  # fmt: skip
def refuse(consent_id: ConsentId, access: AccessDep, s: SettingsDep) -> dict[str, Any]:
    return _answer(access, consent_id, "refused", s.mailer)


@router.post(
    "/consents/{consent_id}/revoke", openapi_extra=policy("action:consents.revoke"), tags=["consents"],
    summary="Revoke a consent (customer; effective at once)",
)  # fmt: skip
def revoke(consent_id: ConsentId, access: AccessDep, s: SettingsDep) -> dict[str, Any]:
    require(access, "consents.revoke")
    _own_consent(access, consent_id, "active")
    row = access.store.change_consent_with_event(
        consent_id, "revoked", access.now, "consent.revoked", payload_of("consent.revoked", access.now)
    )
    notify_consent(s.mailer, access.store, "revoked", row, access.now)
    return consent_json(row)


# ------------------------------------------------------------------------------------------------- access log


def occupancy_of(access: Access) -> dict[int, list[Span]]:
    """A customer's own occupancy of each point they ever occupied (the ``own`` right's spans)."""
    me = access.caller.party_id
    points = access.store.points_of_party("customer", me)
    rights = access.rights(points)
    return {p: occupancy_spans(rights.points[str(p)], str(me)) for p in points if str(p) in rights.points}


def own_reads(
    access: Access, *, others_only: bool = False, offset: int = 0, limit: int = 100
) -> tuple[list[AccessEntry], int]:
    """A customer's access log: the reads of their points' data that overlap their own occupancy, newest first
    (without their own reads if ``others_only``), ``limit`` from ``offset`` on; and how many there are."""
    spans = {p: [(x.start, x.end) for x in found] for p, found in occupancy_of(access).items()}
    me = access.caller.party_id if others_only else None
    return access.store.access_entries_within(spans, exclude_party=me, offset=offset, limit=limit)


@router.get("/access-log", openapi_extra=policy("authenticated"), tags=["access log"], summary="Who read what")
def access_log(access: AccessDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    """A customer: the reads of their points' data within their own occupancy. The operator and the auditor:
    every read. Anybody else: the reads their own party made."""
    role, me = access.caller.role, access.caller.party_id
    if role in ("operator", "operator_admin", "auditor"):
        entries = access.store.access_entries(limit=limit)
    elif role == "customer":
        entries = own_reads(access, limit=limit)[0]
    else:
        entries = access.store.access_entries_by_party(me, limit)
    return {
        "items": [
            {
                "at": e.at,
                "principal": e.principal,
                "role": e.role,
                "party_id": e.party_id,
                "metering_point": e.metering_point_id,
                "scope": e.scope,
                "from": e.period_from,
                "to": e.period_to,
                "right": e.right,
                "route": e.route,
                "correlation_id": e.correlation_id,
            }
            for e in entries
        ]
    }


__all__ = ["occupancy_of", "own_reads", "router"]
