"""What the portal's routes share, as FastAPI dependencies: the :class:`Portal` (store, the API's login settings,
the legacy operator login, templates, the fleet's newest day) that :func:`meterhub.portal.app.create_app` puts in
``app.state``, the logged-in person, and the error page.

People log in with the store's accounts (:mod:`meterhub.portal.login`): their session is the API's server-side
session (cookie ``mh_session``), and :meth:`Portal.person` answers it as a :class:`Person` — the account, the
policy layer's :class:`~meterhub.api.service.Caller` and the session's CSRF token that every form sends back. The
first portal's in-memory ``operator`` login is still served when a hash is configured. A fleet page (the meters)
declares ``who: UserDep`` — the fleet's staff only (:data:`FLEET_ROLES`); a page of any person ``person:
PersonDep``. Without a session the dependency raises :class:`LoginRequired`, which the app answers with a
redirect to the login page (pages) or a 401 (``/api/``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import date
from typing import Annotated, cast

from fastapi import Depends, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from meterhub.api import auth as api_auth
from meterhub.api.enrolment import session_user
from meterhub.api.rights import Principal, Role
from meterhub.api.service import Caller
from meterhub.portal.auth import SESSION_COOKIE, Authenticator, SessionStore
from meterhub.portal.views import A_PLUS
from meterhub.security import tokens
from meterhub.store import Store
from meterhub.store.users import User

FLEET_ROLES = frozenset({"operator", "operator_admin", "auditor"})
"""Store roles that see the fleet pages (the meters list and a meter's page)."""
ADMIN_ROLES = frozenset({"operator", "operator_admin"})
"""Store roles that manage people (the admin page)."""

HORIZON_TTL_S = 30.0
"""How long the fleet's newest day (the end of the "last 2 days" window) is cached."""


class LoginRequired(Exception):
    """Raised by :func:`require_user`; answered with a redirect (pages) or 401 (API)."""


class Horizon:
    """The fleet's newest A+ day, cached for :data:`HORIZON_TTL_S` (one indexed query per refresh)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._value: date | None = None
        self._at = -math.inf

    def get(self) -> date | None:
        now = time.monotonic()
        if now - self._at > HORIZON_TTL_S:
            self._value = self.store.newest_day_of_obis(A_PLUS)
            self._at = now
        return self._value


@dataclass(frozen=True, slots=True)
class Person:
    """A logged-in person: the account, the policy layer's caller, the session token's CSRF token."""

    user: User
    caller: Caller
    csrf: str

    @property
    def role(self) -> str:
        return self.user.role

    def csrf_ok(self, presented: str | None) -> bool:
        return bool(presented) and presented == self.csrf


@dataclass(frozen=True)
class Portal:
    """Everything the routes of one portal app work with."""

    store: Store
    auth: Authenticator | None
    sessions: SessionStore
    templates: Jinja2Templates
    horizon: Horizon
    settings: api_auth.Settings

    def person(self, request: Request) -> Person | None:
        """The person of the request's store session (also kept in ``request.state.person``), or None."""
        known: Person | None = getattr(request.state, "person", None)
        if known is not None:
            return known
        token = request.cookies.get(api_auth.SESSION_COOKIE)
        found = session_user(self.settings, token)
        if found is None or token is None:
            return None
        user = found[0]
        caller = Caller(Principal(cast(Role, user.role), str(user.party_id)), f"user:{user.username}",
                        user.party_id, user_id=user.id)  # fmt: skip
        person = Person(user, caller, tokens.csrf_token(token))
        request.state.person = person
        return person

    def user(self, request: Request) -> str | None:
        """The name of the request's user (a store account, or the legacy operator), or None."""
        person = self.person(request)
        if person is not None:
            return person.user.username
        return self.sessions.user(request.cookies.get(SESSION_COOKIE))

    def error(self, request: Request, status: int, message: str) -> Response:
        """The error page."""
        context = {"user": self.user(request), "status": status, "message": message}
        return self.templates.TemplateResponse(request, "error.html", context, status_code=status)


def get_portal(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


PortalDep = Annotated[Portal, Depends(get_portal)]


def require_user(request: Request, portal: PortalDep) -> str:
    """The logged-in fleet user (the legacy operator, or a store account of :data:`FLEET_ROLES`);
    :class:`LoginRequired` otherwise (a person of another role is sent to their own start page)."""
    person = portal.person(request)
    if person is not None:
        if person.role not in FLEET_ROLES:
            raise LoginRequired
        return person.user.username
    user = portal.sessions.user(request.cookies.get(SESSION_COOKIE))
    if user is None:
        raise LoginRequired
    return user


def require_person(request: Request, portal: PortalDep) -> Person:
    """The logged-in person (a store account); :class:`LoginRequired` otherwise."""
    person = portal.person(request)
    if person is None:
        raise LoginRequired
    return person


UserDep = Annotated[str, Depends(require_user)]
PersonDep = Annotated[Person, Depends(require_person)]

__all__ = [
    "ADMIN_ROLES",
    "FLEET_ROLES",
    "HORIZON_TTL_S",
    "Horizon",
    "LoginRequired",
    "Person",
    "PersonDep",
    "Portal",
    "PortalDep",
    "UserDep",
    "get_portal",
    "require_person",
    "require_user",
]
