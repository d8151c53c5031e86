"""The first portal: a login, the fleet's electricity meters, and one page per meter (Jinja2 + plotly).

:func:`create_app` assembles the app: the shared :class:`~meterhub.portal.deps.Portal` in ``app.state``, the
security headers, the answers to a missing login (a redirect to ``/`` for pages, 401 for ``/api/``) and to
HTTP errors (the error page, or JSON under ``/api/``), the static files, and the routers — the login
(:mod:`meterhub.portal.login`: the store's people, MFA enrolment, logout everywhere), the meters
(:mod:`meterhub.portal.meters`, the fleet's staff) and a person's own pages with the admin page
(:mod:`meterhub.portal.people`). The view models are in :mod:`meterhub.portal.views`, the charts in
:mod:`meterhub.portal.charts`.

plotly.js is served from the installed plotly package at ``/static/plotly.min.js`` (no CDN: the demo runs
offline).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import plotly.offline  # type: ignore[import-untyped]
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from meterhub.api.auth import Settings
from meterhub.portal import (
    advice,
    compare,
    consents,
    costs,
    downloads,
    history,
    i18n,
    live,
    login,
    meters,
    nav,
    network_tariff,
    people,
    privacy,
    tariffs,
)
from meterhub.portal.auth import Authenticator, SessionStore
from meterhub.portal.deps import Horizon, LoginRequired, Portal, UserDep
from meterhub.portal.i18n import N_, tr
from meterhub.portal.views import (
    A_MINUS,
    A_PLUS,
    MEDIUM_LABELS,
    METER_TITLES,
    PAGE_SIZE,
    ROLE_LABELS,
    DailyValue,
    DisplayUnit,
    MeterRow,
    daily_values,
    display_unit,
    source_label,
)
from meterhub.store import Store

HERE = Path(__file__).resolve().parent
HTTP_WORDS = (N_("Not Found"), N_("Method Not Allowed"))
"""Starlette's own error texts, translated on the error page."""


@lru_cache(maxsize=1)
def _plotly_js() -> bytes:
    js: str = plotly.offline.get_plotlyjs()
    return js.encode()


def _now() -> datetime:
    return datetime.now(UTC)


def create_app(
    store: Store,
    *,
    operator_password_hash: str | None = None,
    demo_note: str = "",
    demo_status: Callable[[], str] | None = None,
    clock: Callable[[], datetime] = _now,
    settings: Settings | None = None,
) -> FastAPI:
    """The portal over ``store``: the store's people log in (``clock``: the time of sessions, throttles and TOTP);
    with ``operator_password_hash`` also the first portal's ``operator`` (argon2id hash of its password).
    ``demo_status`` (the demo's background history fill) gives the one-line status the meters page shows and
    ``GET /demo/status`` serves for its refresh."""
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals["source_label"] = source_label
    templates.env.globals["demo_note"] = demo_note
    templates.env.globals["demo_status"] = demo_status
    templates.env.globals["nav_links"] = nav.links
    templates.env.globals["media"] = MEDIUM_LABELS
    templates.env.globals["meter_titles"] = METER_TITLES
    templates.env.globals["roles"] = ROLE_LABELS
    legacy = Authenticator(operator_password_hash) if operator_password_hash is not None else None
    portal = Portal(store, legacy, SessionStore(), templates, Horizon(store), settings or Settings(store, clock))

    app = FastAPI(title="meterhub portal", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.portal = portal
    app.state.store = store
    app.state.sessions = portal.sessions
    i18n.install(app, templates)

    app.add_middleware(SecurityHeaders)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "login required"}, status_code=401)
        return RedirectResponse("/", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        return portal.error(request, exc.status_code, tr(request)(str(exc.detail)))

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> Response:
        return Response(
            _plotly_js(), media_type="application/javascript", headers={"Cache-Control": "public, max-age=86400"}
        )

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(login.router)
    app.include_router(meters.router)
    app.include_router(people.router)
    app.include_router(consents.router)
    app.include_router(downloads.router)
    app.include_router(history.router)
    app.include_router(privacy.router)
    app.include_router(network_tariff.router)
    app.include_router(advice.router)
    app.include_router(tariffs.router)
    app.include_router(costs.router)
    app.include_router(live.router)
    app.include_router(compare.router)
    if demo_status is not None:
        status = demo_status

        @app.get("/demo/status", include_in_schema=False)
        def demo_status_text(_who: UserDep) -> Response:
            return PlainTextResponse(status())

    return app


class SecurityHeaders:
    """Pure ASGI: the security headers on every answer (no-store except static files)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _SECURITY_HEADERS:
                    headers.setdefault(name, value)
                if not static:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


_SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
)


def serve(app: FastAPI, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the portal with uvicorn (blocking)."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="info")


__all__ = [
    "A_MINUS",
    "A_PLUS",
    "PAGE_SIZE",
    "DailyValue",
    "DisplayUnit",
    "MeterRow",
    "create_app",
    "daily_values",
    "display_unit",
    "serve",
    "source_label",
]
