"""The portal's login routes: ``GET /`` (the login page; logged in, a 303 to the person's start page), ``POST /login``
(a store account: password and, for an account with MFA, a one-time code — through :func:`meterhub.api.auth.login`,
the API's own login service, so throttles, lockouts and sessions are the same ones), ``POST /login/enrol`` (the
first code of an account whose authenticator app is not set up yet: :mod:`meterhub.api.enrolment`), ``POST
/logout`` and ``POST /logout/all`` (every session of the person, on every device). The session is the API's
server-side session in the store (cookie ``mh_session``: HttpOnly, SameSite=Lax, Secure under TLS); a state
change needs the session's CSRF token in the form. The login form itself is protected against login CSRF (a
foreign site logging the browser into the attacker's account) before any session exists, by a double submit: the
login page sets a random pre-session token in the cookie ``mh_login_csrf`` (HttpOnly, SameSite=Strict) and in a
hidden field, and ``POST /login`` refuses (403, a fresh form) unless the two match — a foreign site can neither
read nor set that cookie. (The enrolment form carries the pending enrolment's own secret token instead.) The
first portal's in-memory ``operator`` login is still
answered when the app was given its hash and no store account has that name. Neither passwords nor tokens are
ever logged.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from meterhub.api import auth as api_auth
from meterhub.api import enrolment
from meterhub.api.problems import Problem
from meterhub.portal.auth import OPERATOR, SESSION_COOKIE, SESSION_TTL_S
from meterhub.portal.deps import FLEET_ROLES, Portal, PortalDep
from meterhub.portal.i18n import N_, Gettext, tr
from meterhub.security import tokens, totp

log = logging.getLogger("meterhub.portal")

router = APIRouter()


def _english(message: str, **variables: object) -> str:
    return message % variables if variables else message


def start_page(role: str | None) -> str:
    """Where a person lands after logging in."""
    return "/meters" if role is None or role in FLEET_ROLES else "/home"


LOGIN_CSRF_COOKIE = "mh_login_csrf"
"""The login form's pre-session CSRF token (double submit: the same value in the form's hidden ``csrf`` field)."""


def _login_token(request: Request) -> tuple[str, bool]:
    """The browser's login CSRF token, and whether it is new (to be set as the cookie)."""
    known = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if 20 <= len(known) <= 100 and known.isascii() and all(c.isalnum() or c in "-_" for c in known):
        return known, False
    return secrets.token_urlsafe(32), True


def _set_login_token(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )


def _login_page(request: Request, portal: Portal, status: int = 200, **context: object) -> Response:
    token, new = _login_token(request)
    context = {"user": None, "error": None, "username": "", "csrf": token, **context}
    response = portal.templates.TemplateResponse(request, "login.html", context, status_code=status)
    if new:
        _set_login_token(request, response, token)
    return response


def login_csrf_ok(request: Request, presented: str) -> bool:
    """True if the form's token is the one in the browser's login CSRF cookie (compared in constant time)."""
    known = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return bool(known) and hmac.compare_digest(known.encode(), presented.encode())


API_WORDS = (
    N_("Wrong user name, password or one-time code."),
    N_("Login too soon after a failed login: try again later."),
    N_("This set-up page has expired: log in again."),
    N_("That code is not right: check the app's clock and try the next one."),
)
"""The API's login refusals that the login page shows translated (others in the API's English)."""


def refusal(problem: Problem, _: Gettext = _english) -> str:
    """The login page's words for a refused login (lockouts say so, and when to try again)."""
    if problem.slug == "locked":
        wait = problem.headers.get("Retry-After", "")
        if wait.isdigit():
            return _(
                "This account is locked after repeated failed logins: try again in about %(minutes)s minutes, "
                "or ask an administrator to unlock it.",
                minutes=max(1, round(int(wait) / 60)),
            )
        return _(
            "This account is locked after repeated failed logins: try again later, "
            "or ask an administrator to unlock it."
        )
    if problem.status == 429:
        return _("Too many attempts: wait a few seconds before trying again.")
    return _(problem.detail)


@router.get("/", response_model=None)
def index(request: Request, portal: PortalDep) -> Response:
    person = portal.person(request)
    if person is not None or portal.user(request) is not None:
        response = RedirectResponse(start_page(person.role) if person is not None else "/meters", status_code=303)
        token, new = _login_token(request)
        if new:  # a later login form (another account) finds its token ready
            _set_login_token(request, response, token)
        return response
    return _login_page(request, portal)


def _legacy_login(request: Request, portal: Portal, username: str, password: str) -> Response | None:
    """The first portal's operator login, when configured and no store account is named so."""
    if portal.auth is None or username != OPERATOR or portal.store.user_by_name(username) is not None:
        return None
    if not portal.auth.verify(username, password):
        return None
    portal.sessions.drop(request.cookies.get(SESSION_COOKIE))
    token = portal.sessions.create(OPERATOR)
    response = RedirectResponse("/meters", status_code=303)
    response.set_cookie(
        SESSION_COOKIE, token, max_age=SESSION_TTL_S, path="/", httponly=True, samesite="lax", secure=False
    )
    return response


def _logged_in(request: Request, portal: Portal, done: api_auth.LoggedIn) -> Response:
    old = request.cookies.get(api_auth.SESSION_COOKIE)
    if old:  # a new session on login, never the one the browser came with
        portal.store.delete_session(tokens.token_hash(old))
    log.info("portal login: user %d", done.user.id)
    response = RedirectResponse(start_page(done.user.role), status_code=303)
    api_auth.set_session_cookie(request, response, done)
    return response


@router.post("/login", response_model=None)
def login(
    request: Request,
    portal: PortalDep,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)],
    code: Annotated[str, Form(max_length=32)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    username, code = username.strip(), code.strip()
    if not login_csrf_ok(request, csrf):
        log.warning("portal login refused (login form CSRF)")
        error = "This login form has expired or did not come from this site: please log in again."
        return _login_page(request, portal, 403, username=username[:80], error=error)
    legacy = _legacy_login(request, portal, username, password)
    if legacy is not None:
        return legacy
    s, address = portal.settings, api_auth.address_of(request)
    try:
        if not code:
            pending = enrolment.password_step(s, address, username, password)
            if pending is not None:
                return _enrol_page(request, portal, pending)
            user = portal.store.user_by_name(username)
            if user is not None and user.totp_secret is not None:
                ask = tr(request)("Enter the 6-digit code from your authenticator app.")
                return _login_page(request, portal, 401, username=username[:80], ask_code=True, error=ask)
        done = api_auth.login(s, address, username, password, code or None)
    except Problem as exc:
        log.warning("portal login refused (%s)", exc.slug)
        error = refusal(exc, tr(request))
        return _login_page(request, portal, exc.status, username=username[:80], error=error, ask_code=bool(code))
    return _logged_in(request, portal, done)


def _enrol_page(request: Request, portal: Portal, pending: enrolment.Enrolment, error: str | None = None) -> Response:
    uri = pending.otpauth_uri
    context = {"user": None, "username": pending.user.username, "token": pending.token, "secret": pending.secret,
               "qr_svg": totp.qr_svg(uri), "uri": uri, "error": error}  # fmt: skip
    return portal.templates.TemplateResponse(request, "enrol.html", context, status_code=401 if error else 200)


@router.post("/login/enrol", response_model=None)
def enrol(
    request: Request,
    portal: PortalDep,
    token: Annotated[str, Form(max_length=300)],
    code: Annotated[str, Form(max_length=32)],
) -> Response:
    s, address = portal.settings, api_auth.address_of(request)
    try:
        done = enrolment.confirm(s, address, token, code.strip())
    except Problem as exc:
        if exc.slug == "totp-refused":
            return _enrol_page(request, portal, enrolment.enrolment_of(s, token), tr(request)(exc.detail))
        return _login_page(request, portal, exc.status, error=refusal(exc, tr(request)))
    return _logged_in(request, portal, done)


def _logged_out() -> Response:
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    response.delete_cookie(api_auth.SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.post("/logout", response_model=None)
def logout(request: Request, portal: PortalDep, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    person = portal.person(request)
    if person is not None:
        if not person.csrf_ok(csrf):
            return portal.error(request, 403, tr(request)("This form has expired: reload the page and try again."))
        api_auth.logout(portal.settings, request, everywhere=False)
    portal.sessions.drop(request.cookies.get(SESSION_COOKIE))
    return _logged_out()


@router.post("/logout/all", response_model=None)
def logout_all(request: Request, portal: PortalDep, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    person = portal.person(request)
    if person is None:
        return _logged_out()
    if not person.csrf_ok(csrf):
        return portal.error(request, 403, "This form has expired: reload the page and try again.")
    ended = api_auth.logout(portal.settings, request, everywhere=True)
    log.info("portal logout everywhere: user %d, %d sessions", person.user.id, ended)
    return _logged_out()


__all__ = ["refusal", "router", "start_page"]
