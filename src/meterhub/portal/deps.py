"""What the portal's routes share, as FastAPI dependencies: the :class:`Portal` (store, login, sessions, templates,
the fleet's newest day) that :func:`meterhub.portal.app.create_app` puts in ``app.state``, the logged-in user,
and the error page.

A page that needs the operator declares ``user: Annotated[str, Depends(require_user)]``; without a session the
dependency raises :class:`LoginRequired`, which the app answers with a redirect to the login page (pages) or a
401 (``/api/``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from meterhub.portal.auth import SESSION_COOKIE, Authenticator, SessionStore
from meterhub.portal.views import A_PLUS
from meterhub.store import Store

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


@dataclass(frozen=True)
class Portal:
    """Everything the routes of one portal app work with."""

    store: Store
    auth: Authenticator
    sessions: SessionStore
    templates: Jinja2Templates
    horizon: Horizon

    def user(self, request: Request) -> str | None:
        """The user of the request's session, or None."""
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
    """The logged-in user; :class:`LoginRequired` without a live session."""
    user = portal.user(request)
    if user is None:
        raise LoginRequired
    return user


UserDep = Annotated[str, Depends(require_user)]

__all__ = ["HORIZON_TTL_S", "Horizon", "LoginRequired", "Portal", "PortalDep", "UserDep", "get_portal", "require_user"]
