"""A person's own pages, and the operator's admin page for people — every read through the one policy layer.

``GET /home``: a customer's is the household's home page (:mod:`meterhub.portal.household_home`); anybody
else's lists the metering points the person may see, asked of :class:`meterhub.api.service.Access` (a customer
their own points during their occupancy, a DSO its grid area, a supplier its points of record, an ESP its consented
points) with the sessions' controls ("log out everywhere"). ``GET|POST /account/mfa``: a customer without MFA sets up an
authenticator app (offered, not required: staff accounts always have it) — a fresh secret and its QR code, kept
only once a code from the app verifies against it. ``GET /admin/users`` (operator roles): the people,
with disable / enable, reset MFA and unlock (lift a login lockout); each a POST with the session's CSRF token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from meterhub.api import enrolment
from meterhub.api import users as people
from meterhub.api.service import Access
from meterhub.portal import household_home
from meterhub.portal.deps import ADMIN_ROLES, Person, PersonDep, PortalDep
from meterhub.portal.i18n import tr
from meterhub.security import totp

router = APIRouter()
PAGE = 50


@router.get("/home", response_model=None)
def home(request: Request, portal: PortalDep, person: PersonDep, after: int = 0, mfa: str = "") -> Response:
    if person.role == "customer":
        return household_home.page(request, portal, person, mfa == "on")
    access = Access(portal.store, person.caller, portal.settings.clock())
    points = access.page(after=max(0, after), limit=PAGE)
    names = {p.id: p for p in portal.store.list_parties()}
    party = names.get(person.user.party_id)
    context = {"user": person.user.username, "person": person, "party": party, "points": points, "names": names,
               "next_after": points[-1].point.id if len(points) == PAGE else None, "mfa_done": mfa == "on"}  # fmt: skip
    return portal.templates.TemplateResponse(request, "home.html", context)


def _mfa_page(request: Request, portal: PortalDep, person: Person, secret: str, error: str | None = None) -> Response:
    uri = totp.provisioning_uri(secret, person.user.username)
    context = {"user": person.user.username, "person": person, "secret": secret, "qr_svg": totp.qr_svg(uri),
               "error": error}  # fmt: skip
    return portal.templates.TemplateResponse(request, "account_mfa.html", context, status_code=422 if error else 200)


@router.get("/account/mfa", response_model=None)
def account_mfa(request: Request, portal: PortalDep, person: PersonDep) -> Response:
    if person.user.totp_secret is not None:
        return RedirectResponse("/home?mfa=on", status_code=303)
    return _mfa_page(request, portal, person, totp.new_secret())


@router.post("/account/mfa", response_model=None)
def account_mfa_confirm(
    request: Request,
    portal: PortalDep,
    person: PersonDep,
    secret: Annotated[str, Form(min_length=16, max_length=64)],
    code: Annotated[str, Form(max_length=32)],
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    _ = tr(request)
    if not person.csrf_ok(csrf):
        return portal.error(request, 403, _("This form has expired: reload the page and try again."))
    if person.user.totp_secret is not None:
        return RedirectResponse("/home?mfa=on", status_code=303)
    verdict = totp.verify_totp(secret, code.strip(), portal.settings.clock(), None)
    if not isinstance(verdict, totp.TotpAccepted):
        return _mfa_page(request, portal, person, secret, _("That code is not right: try the next one the app shows."))
    portal.store.update_user(person.user.id, totp_secret=secret, totp_last_step=verdict.step)
    return RedirectResponse("/home?mfa=on", status_code=303)


def _admin(request: Request, portal: PortalDep, person: Person) -> Response | None:
    if person.role not in ADMIN_ROLES:
        return portal.error(request, 404, tr(request)("Not Found"))
    return None


@router.get("/admin/users", response_model=None)
def admin_users(request: Request, portal: PortalDep, person: PersonDep, done: str = "") -> Response:
    refused = _admin(request, portal, person)
    if refused is not None:
        return refused
    names = {p.id: p for p in portal.store.list_parties()}
    users = portal.store.list_users()
    locked = portal.store.throttle_rows([enrolment.account_key(u.username) for u in users])
    now = portal.settings.clock()
    rows = [(u, names.get(u.party_id), (lk := locked[enrolment.account_key(u.username)]).locked_until is not None
             and lk.locked_until > now) for u in users]  # fmt: skip
    context = {"user": person.user.username, "person": person, "rows": rows, "done": done[:200]}
    return portal.templates.TemplateResponse(request, "admin_users.html", context)


@router.post("/admin/users/{user_id}/{action}", response_model=None)
def admin_action(
    request: Request,
    portal: PortalDep,
    person: PersonDep,
    user_id: int,
    action: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    refused = _admin(request, portal, person)
    if refused is not None:
        return refused
    _ = tr(request)
    if not person.csrf_ok(csrf):
        return portal.error(request, 403, _("This form has expired: reload the page and try again."))
    target = portal.store.get_user(user_id)
    if target is None:
        return portal.error(request, 404, _("No such person."))
    name = target.username
    if action == "disable":
        if target.id == person.user.id:
            return portal.error(request, 422, _("You cannot disable your own account."))
        people.disable(portal.store, name, True)
        done = _("%(name)s is disabled; their sessions have ended.", name=name)
    elif action == "enable":
        people.disable(portal.store, name, False)
        done = _("%(name)s may log in again.", name=name)
    elif action == "reset-mfa":
        people.reset_mfa(portal.store, name)
        done = _("%(name)s sets up their authenticator app again at their next login.", name=name)
    elif action == "unlock":
        enrolment.unlock(portal.settings, name)
        done = _("The login lockout of %(name)s is lifted.", name=name)
    else:
        return portal.error(request, 404, _("Not Found"))
    return RedirectResponse(f"/admin/users?done={done}", status_code=303)


__all__ = ["router"]
