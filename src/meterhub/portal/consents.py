"""Consent pages: a customer's consents (requests to answer, active ones to revoke, ended ones), the form that grants
a supplier or an ESP access to chosen points, a party's side of its consents, and "who read my data".

Every change goes through the API's own consent routes (:mod:`meterhub.api.routes_market`: the same checks — the
period starts no earlier than the customer's own occupancy, the points are theirs, the grantee is a supplier or an
ESP — and the same status steps), called with the person's :class:`~meterhub.api.service.Access`; a refusal is
shown on the page in the API's words. A revocation takes effect at once: the policy layer reads consents from the
store at every request. Days in the form are local days (Europe/Luxembourg): a consent from a day covers that
day's data from local midnight, one until a day ends at the midnight after it. Every form carries the CSRF token.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, cast

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from meterhub.api import routes_market as market
from meterhub.api.problems import Problem
from meterhub.api.rights import SCOPES, Scope
from meterhub.api.service import Access
from meterhub.country import LOCAL_TZ
from meterhub.portal.deps import Person, PersonDep, Portal, PortalDep

router = APIRouter()
SCOPE_LABELS: dict[str, str] = {
    "interval_data": "quarter-hour consumption",
    "billing_reads": "billing reads",
    "live_p1": "live data from the P1 port",
}
STATUS_GROUPS = (("requested", "Waiting for your answer"), ("active", "Active"), ("ended", "Ended"))


def _access(portal: Portal, person: Person) -> Access:
    return Access(portal.store, person.caller, portal.settings.clock())


def _local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)


def _group(status: str, valid_to: datetime | None, now: datetime) -> str:
    if status in ("revoked", "refused") or (valid_to is not None and valid_to <= now):
        return "ended"
    return status


def _page(request: Request, portal: Portal, person: Person, error: str | None = None, status: int = 200) -> Response:
    access = _access(portal, person)
    now = access.now
    parties = {p.id: p for p in portal.store.list_parties()}
    rows = portal.store.consents_of_party(person.user.party_id)
    own_points = access.page(limit=200) if person.role == "customer" else []
    eans = {vp.point.id: vp.point.ean for vp in own_points}
    for c in rows:
        for pid in c.point_ids:
            if pid not in eans:
                p = portal.store.get_metering_point(pid)
                eans[pid] = p.ean if p is not None else str(pid)
    groups: dict[str, list[Any]] = {key: [] for key, _ in STATUS_GROUPS}
    for c in reversed(rows):
        groups[_group(c.status, c.valid_to, now)].append(c)
    grantees = [p for p in parties.values() if p.kind in ("supplier", "esp")]
    me = person.user.party_id
    histories = portal.store.point_histories([vp.point.id for vp in own_points]) if own_points else {}
    moved_in = [o.start for h in histories.values() for o in h.occupants if o.party_id == me and o.end is None]
    first_day = min(moved_in).astimezone(LOCAL_TZ).date().isoformat() if moved_in else None
    context = {
        "user": person.user.username, "person": person, "groups": groups, "group_titles": STATUS_GROUPS,
        "parties": parties, "eans": eans, "own_points": own_points, "grantees": grantees, "scopes": SCOPE_LABELS,
        "error": error, "today": first_day or now.astimezone(LOCAL_TZ).date().isoformat(),
        "is_customer": person.role == "customer",
        "local": lambda at: at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d") if at is not None else "",
    }  # fmt: skip
    return portal.templates.TemplateResponse(request, "consents.html", context, status_code=status)


@router.get("/consents", response_model=None)
def consents(request: Request, portal: PortalDep, person: PersonDep) -> Response:
    return _page(request, portal, person)


def _problem_text(exc: Problem) -> str:
    problems = exc.extensions.get("problems") or []
    return " ".join([exc.detail, *(str(p) for p in problems)])


def _day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Problem(422, "consent", f"{what} must be a day (YYYY-MM-DD).") from None


@router.post("/consents", response_model=None)
def grant(
    request: Request,
    portal: PortalDep,
    person: PersonDep,
    grantee: Annotated[int, Form()],
    csrf: Annotated[str, Form(max_length=200)] = "",
    points: Annotated[list[int] | None, Form()] = None,
    scopes: Annotated[list[str] | None, Form()] = None,
    valid_from: Annotated[str, Form(max_length=20)] = "",
    valid_to: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    if not person.csrf_ok(csrf):
        return portal.error(request, 403, "This form has expired: reload the page and try again.")
    try:
        if not points:
            raise Problem(422, "consent", "Choose at least one metering point.")
        chosen = [s for s in scopes or [] if s in SCOPES]
        if not chosen:
            raise Problem(422, "consent", "Choose what the party may see.")
        start = _local_midnight(_day(valid_from, "The start"))
        end = _local_midnight(_day(valid_to, "The end") + timedelta(days=1)) if valid_to.strip() else None
        body = market.GrantBody(grantee=grantee, metering_points=points, scopes=[cast(Scope, s) for s in chosen],
                                valid_from=start, valid_to=end)  # fmt: skip
        market.grant(body, _access(portal, person))
    except Problem as exc:
        return _page(request, portal, person, _problem_text(exc), 422 if exc.status < 500 else exc.status)
    return RedirectResponse("/consents", status_code=303)


@router.post("/consents/{consent_id}/{action}", response_model=None)
def change(
    request: Request,
    portal: PortalDep,
    person: PersonDep,
    consent_id: int,
    action: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    if not person.csrf_ok(csrf):
        return portal.error(request, 403, "This form has expired: reload the page and try again.")
    steps = {"accept": market.accept, "refuse": market.refuse, "revoke": market.revoke}
    step = steps.get(action)
    if step is None:
        return portal.error(request, 404, "Not Found")
    try:
        step(consent_id, _access(portal, person))
    except Problem as exc:
        if exc.status == 404:
            return portal.error(request, 404, "No such consent.")
        return _page(request, portal, person, _problem_text(exc), exc.status)
    return RedirectResponse("/consents", status_code=303)


@router.get("/consents/reads", response_model=None)
def reads(request: Request, portal: PortalDep, person: PersonDep) -> Response:
    """Who read my data (a customer), or what my party read (anybody else): the access log, through the API."""
    entries = market.access_log(_access(portal, person), 200)["items"]
    parties = {p.id: p for p in portal.store.list_parties()}
    points = {e["metering_point"] for e in entries}
    eans = {pid: (p.ean if (p := portal.store.get_metering_point(pid)) is not None else str(pid)) for pid in points}
    context = {"user": person.user.username, "person": person, "entries": entries, "parties": parties,
               "eans": eans, "scopes": SCOPE_LABELS,
               "local": lambda at: at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")}  # fmt: skip
    return portal.templates.TemplateResponse(request, "reads.html", context)


__all__ = ["SCOPE_LABELS", "router"]
