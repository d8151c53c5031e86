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

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Annotated, Any, cast

from babel.dates import format_date
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from meterhub.api import routes_market as market
from meterhub.api.problems import Problem
from meterhub.api.rights import SCOPES, Scope
from meterhub.api.service import Access
from meterhub.country import LOCAL_TZ
from meterhub.portal.deps import Person, PersonDep, Portal, PortalDep
from meterhub.portal.i18n import N_, lang_of, tr

router = APIRouter()
SCOPE_LABELS: dict[str, str] = {
    "interval_data": N_("quarter-hour consumption"),
    "billing_reads": N_("billing reads"),
    "live_p1": N_("live data from the P1 port"),
}
"""What each scope lets a party see (labels translated where they are shown)."""
STATUS_LABELS: dict[str, str] = {
    "requested": N_("requested"), "active": N_("active"), "refused": N_("refused"), "revoked": N_("revoked"),
}  # fmt: skip
STATUS_GROUPS = (("requested", N_("Waiting for your answer")), ("active", N_("Active")), ("ended", N_("Ended")))
BACK_PAGES = frozenset({"/consents", "/privacy"})
"""The pages a consent form may come from (and return to)."""


def _access(portal: Portal, person: Person) -> Access:
    return Access(portal.store, person.caller, portal.settings.clock())


def _local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)


def _group(status: str, valid_to: datetime | None, now: datetime) -> str:
    if status in ("revoked", "refused") or (valid_to is not None and valid_to <= now):
        return "ended"
    return status


def _back(page: str) -> str:
    return page if page in BACK_PAGES else "/consents"


def local_day(request: Request) -> Callable[[datetime | None], str]:
    """An instant as its local day in the request's language (``12 mars 2026``), empty for None."""
    lang = lang_of(request)

    def show(at: datetime | None) -> str:
        return "" if at is None else format_date(at.astimezone(LOCAL_TZ).date(), format="medium", locale=lang)

    return show


def consent_context(request: Request, portal: Portal, person: Person, error: str | None = None) -> dict[str, Any]:
    """What the consents part of a page shows (the consents page, and the privacy page's first part)."""
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
    first_day = min(moved_in).astimezone(LOCAL_TZ).date() if moved_in else None
    return {
        "user": person.user.username, "person": person, "groups": groups, "group_titles": STATUS_GROUPS,
        "parties": parties, "eans": eans, "own_points": own_points, "grantees": grantees, "scopes": SCOPE_LABELS,
        "statuses": STATUS_LABELS, "error": error,
        "today": (first_day or now.astimezone(LOCAL_TZ).date()).isoformat(),
        "moved_in": local_day(request)(_local_midnight(first_day)) if first_day else "",
        "is_customer": person.role == "customer", "local": local_day(request),
    }  # fmt: skip


def _page(
    request: Request,
    portal: Portal,
    person: Person,
    error: str | None = None,
    status: int = 200,
    back: str = "/consents",
) -> Response:
    if back == "/privacy":
        from meterhub.portal import privacy  # the privacy page shows the same consents with its other parts

        return privacy.page(request, portal, person, error=error, status=status)
    context = consent_context(request, portal, person, error)
    return portal.templates.TemplateResponse(request, "consents.html", context, status_code=status)


@router.get("/consents", response_model=None)
def consents(request: Request, portal: PortalDep, person: PersonDep) -> Response:
    return _page(request, portal, person)


API_WORDS = (
    N_("The consent cannot be given as it stands."),
    N_("A consent goes to a supplier or an ESP."),
    N_("Choose a supplier or an ESP."),
    N_("The end must be after the start."),
)
"""The API's refusals that the pages show translated (others are shown in the API's English)."""


def _problem_text(request: Request, exc: Problem) -> str:
    _ = tr(request)
    problems = exc.extensions.get("problems") or []
    return " ".join([_(exc.detail), *(_(str(p)) for p in problems)])


def _day(text: str, message: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Problem(422, "consent", message) from None


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
    back: Annotated[str, Form(max_length=40)] = "/consents",
) -> Response:
    _ = tr(request)
    back = _back(back)
    if not person.csrf_ok(csrf):
        return portal.error(request, 403, _("This form has expired: reload the page and try again."))
    try:
        if not points:
            raise Problem(422, "consent", _("Choose at least one metering point."))
        chosen = [s for s in scopes or [] if s in SCOPES]
        if not chosen:
            raise Problem(422, "consent", _("Choose what the party may see."))
        start = _local_midnight(_day(valid_from, _("The start must be a day (YYYY-MM-DD).")))
        end = (
            _local_midnight(_day(valid_to, _("The end must be a day (YYYY-MM-DD).")) + timedelta(days=1))
            if valid_to.strip()
            else None
        )
        body = market.GrantBody(grantee=grantee, metering_points=points, scopes=[cast(Scope, s) for s in chosen],
                                valid_from=start, valid_to=end)  # fmt: skip
        market.grant(body, _access(portal, person), portal.settings)
    except Problem as exc:
        status = 422 if exc.status < 500 else exc.status
        return _page(request, portal, person, _problem_text(request, exc), status, back)
    return RedirectResponse(back, status_code=303)


@router.post("/consents/{consent_id}/{action}", response_model=None)
def change(
    request: Request,
    portal: PortalDep,
    person: PersonDep,
    consent_id: int,
    action: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    back: Annotated[str, Form(max_length=40)] = "/consents",
) -> Response:
    _ = tr(request)
    back = _back(back)
    if not person.csrf_ok(csrf):
        return portal.error(request, 403, _("This form has expired: reload the page and try again."))
    steps = {"accept": market.accept, "refuse": market.refuse, "revoke": market.revoke}
    step = steps.get(action)
    if step is None:
        return portal.error(request, 404, _("Not Found"))
    try:
        step(consent_id, _access(portal, person), portal.settings)
    except Problem as exc:
        if exc.status == 404:
            return portal.error(request, 404, _("No such consent."))
        return _page(request, portal, person, _problem_text(request, exc), exc.status, back)
    return RedirectResponse(back, status_code=303)


@router.get("/consents/reads", response_model=None)
def reads(request: Request, portal: PortalDep, person: PersonDep) -> Response:
    """Who read my data (a customer), or what my party read (anybody else): the access log, through the API."""
    entries = market.access_log(_access(portal, person), 200)["items"]
    parties = {p.id: p for p in portal.store.list_parties()}
    points = {e["metering_point"] for e in entries}
    eans = {pid: (p.ean if (p := portal.store.get_metering_point(pid)) is not None else str(pid)) for pid in points}
    context = {"user": person.user.username, "person": person, "entries": entries, "parties": parties,
               "eans": eans, "scopes": SCOPE_LABELS, "rights": right_label,
               "local": lambda at: at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")}  # fmt: skip
    return portal.templates.TemplateResponse(request, "reads.html", context)


RIGHT_LABELS: dict[str, str] = {
    "own": N_("your own access"),
    "dso": N_("the network operator's task"),
    "supplier_of_record": N_("your supplier of record"),
    "operator": N_("the platform operator"),
    "auditor": N_("the regulator's audit"),
}


def right_label(request: Request, right: str) -> str:
    """Under which right a read was made, in plain words (``consent:42`` → "your consent no. 42")."""
    _ = tr(request)
    if right.startswith("consent:"):
        return _("your consent no. %(id)s", id=right.partition(":")[2])
    return _(RIGHT_LABELS[right]) if right in RIGHT_LABELS else right


__all__ = ["RIGHT_LABELS", "SCOPE_LABELS", "STATUS_LABELS", "consent_context", "local_day", "right_label", "router"]
