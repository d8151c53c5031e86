"""What the ``/api/v1`` routes share: the per-request dependencies (the settings, the caller, its
:class:`~meterhub.api.service.Access`), the declared policy of every route, cursors, and instants at the edge.

Every route declares its policy with ``openapi_extra=policy(...)`` — it shows in the OpenAPI document as
``x-policy`` and :func:`meterhub.api.app.create_api` refuses to build an app with a route that lacks one (the
RBAC matrix test reads the same declarations): ``public`` (no login), ``authenticated`` (any caller; the route
itself only shows the caller's own things), ``point:inventory`` (a point the caller may see), ``point:<scope>``
(a point's data of that scope, cut to the caller's windows), ``points:<scope>`` (a batch over several points, each
answered on its own as ``point:<scope>``), ``aggregates`` (grid aggregates: a DSO its own area, the operator and
the auditor every area, :func:`meterhub.api.policy.aggregate_area`), ``action:<action>`` (a state change the role may
make, :func:`meterhub.api.policy.can_write`).
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import Depends, Path, Request

from meterhub.api.auth import Settings, caller, settings_of
from meterhub.api.policy import ACTIONS
from meterhub.api.problems import Problem, correlation_of
from meterhub.api.rights import SCOPES
from meterhub.api.service import Access, Caller

POLICY_KEY: Final = "x-policy"
POLICIES: Final[frozenset[str]] = frozenset(
    {"public", "authenticated", "point:inventory", "aggregates"}
    | {f"point:{s}" for s in SCOPES}
    | {f"points:{s}" for s in SCOPES}
    | {f"action:{a}" for a in ACTIONS}
)
MAX_ID: Final = 2_147_483_647
"""The largest id the API accepts (the store's 32-bit integer keys; a larger one is a 422, not an overflow)."""
MAX_PAGE: Final = 1000
"""The most items one page may ask for (``limit``); more is a 422."""


def policy(name: str) -> dict[str, Any]:
    """The ``openapi_extra`` declaring a route's policy."""
    if name not in POLICIES:
        raise ValueError(f"unknown route policy {name!r}")
    return {POLICY_KEY: name}


PointId = Annotated[int, Path(ge=1, le=MAX_ID, description="The metering point's id.")]
ConsentId = Annotated[int, Path(ge=1, le=MAX_ID, description="The consent's id.")]
SettingsDep = Annotated[Settings, Depends(settings_of)]
CallerDep = Annotated[Caller, Depends(caller)]


def access_of(request: Request, who: CallerDep) -> Access:
    s = settings_of(request)
    return Access(s.store, who, s.clock())


AccessDep = Annotated[Access, Depends(access_of)]


def require(access: Access, action: str) -> None:
    """403 unless the caller's role may take ``action`` (the object itself is checked by the route: 404)."""
    if not access.can(action):  # type: ignore[arg-type]
        raise Problem(403, "forbidden", "Your role may not do this.")


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"mp:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind == "mp" and value.isdigit():
            return int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise Problem(422, "invalid-cursor", "The cursor is not one this API gave out.")


def aware(name: str, value: datetime | None) -> datetime | None:
    """``value`` if it has an offset; 422 for a naive instant (ISO 8601 with an offset, e.g. 2025-01-01T00:00+01:00)."""
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise Problem(422, "naive-time", f"'{name}' needs an offset, e.g. 2025-01-01T00:00:00+01:00 or …Z.")
    return value


def correlation_id(request: Request) -> str | None:
    return correlation_of(request)


def route_name(request: Request) -> str:
    route = request.scope.get("route")
    path: str = getattr(route, "path", request.url.path)
    return "/api/v1" + path


__all__ = [
    "MAX_ID",
    "MAX_PAGE",
    "POLICIES",
    "POLICY_KEY",
    "AccessDep",
    "CallerDep",
    "ConsentId",
    "PointId",
    "SettingsDep",
    "access_of",
    "aware",
    "correlation_id",
    "decode_cursor",
    "encode_cursor",
    "policy",
    "require",
    "route_name",
]
