"""The ``/api/v1`` application: :func:`create_api` assembles the routers, the problem+json answers and the
correlation id, and refuses a route without a declared policy.

The app is mounted at ``/api/v1`` (:func:`meterhub.portal.site.create_site`), so its OpenAPI 3.1 document is at
``/api/v1/openapi.json`` and the docs page at ``/api/v1/docs``. ``clock`` is the time source (tests give a fixed
one); sessions, throttles and rate limits live in the store, so any number of workers can serve it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from meterhub.api import (
    problems,
    routes_downloads,
    routes_market,
    routes_p1,
    routes_points,
    routes_reads,
    routes_webhooks,
)
from meterhub.api.auth import Settings
from meterhub.api.common import POLICIES, POLICY_KEY
from meterhub.store import Store

PREFIX = "/api/v1"
DESCRIPTION = """The meterhub platform API. Log in with `POST /auth/login` (session cookie + CSRF token) or trade
OAuth2 client credentials for a bearer token at `POST /oauth/token`. Every error is RFC 9457 problem+json;
`X-Correlation-ID` is echoed. Each route's access rule is its `x-policy`. See docs/api.md."""


def _now() -> datetime:
    return datetime.now(UTC)


def api_routes(app: FastAPI) -> list[APIRoute]:
    """Every API route of ``app``'s route table, included routers walked (FastAPI ≥ 0.16x wraps an included
    router in one route object; older versions copy its routes). The routers are included without a prefix, so
    a route's ``path`` is its path under :data:`PREFIX`."""
    out: list[APIRoute] = []

    def walk(routes: Sequence[BaseRoute]) -> None:
        for r in routes:
            if isinstance(r, APIRoute):
                out.append(r)
            elif (inner := getattr(r, "original_router", None)) is not None:
                walk(inner.routes)

    walk(app.routes)
    return out


def undeclared_routes(app: FastAPI) -> list[str]:
    """The API routes without a known ``x-policy`` (none in a valid app)."""
    return [
        f"{sorted(r.methods or ())} {r.path}"
        for r in api_routes(app)
        if (r.openapi_extra or {}).get(POLICY_KEY) not in POLICIES
    ]


def create_api(store: Store, *, clock: Callable[[], datetime] = _now, settings: Settings | None = None) -> FastAPI:
    """The API over ``store``; mount it at :data:`PREFIX`."""
    app = FastAPI(
        title="meterhub API",
        version="1",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings or Settings(store, clock)
    problems.install(app)
    app.include_router(routes_market.router)
    app.include_router(routes_points.router)
    app.include_router(routes_webhooks.router)
    app.include_router(routes_reads.router)
    app.include_router(routes_p1.router)
    app.include_router(routes_downloads.router)
    missing = undeclared_routes(app)
    if missing:
        raise RuntimeError(f"API routes without a declared policy: {missing}")
    return app


__all__ = ["PREFIX", "api_routes", "create_api", "undeclared_routes"]
