"""Every error of ``/api/v1`` as RFC 9457 problem details, and the correlation id of every request.

A :class:`Problem` raised anywhere in a route becomes an ``application/problem+json`` answer with ``type`` (a
stable URI per kind of problem, :data:`PROBLEM_BASE` + slug), ``title``, ``status``, ``detail``, ``instance`` (the
request path) and the request's ``correlation_id``, plus extension members (``errors`` for a 422, the list of
consent problems …). FastAPI's own errors — 404 of an unknown path, 405, the 422 of request validation — and any
unexpected exception (500, with nothing of it shown) get the same shape. ``X-Correlation-ID`` is accepted (80
characters of letters, digits and ``.-_:`` at most; anything else is replaced) or made, and echoed on every answer.
"""

from __future__ import annotations

import logging
import re
import uuid
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from meterhub.api.service import NotVisible

PROBLEM_BASE = "https://meterhub.dev/problems/"
PROBLEM_JSON = "application/problem+json"
CORRELATION_HEADER = "X-Correlation-ID"
_CORRELATION = re.compile(r"[A-Za-z0-9._:\-]{1,80}")
_log = logging.getLogger("meterhub.api")


class Problem(Exception):
    """An error answer: ``status``, a ``slug`` naming its kind, a ``detail`` for people, extension members, and
    extra headers (``Retry-After``, ``WWW-Authenticate``)."""

    def __init__(
        self,
        status: int,
        slug: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status, self.slug, self.detail = status, slug, detail
        self.headers = headers or {}
        self.extensions = extensions


def not_found(what: str = "metering point") -> Problem:
    """The one answer for "unknown" and "not yours": nothing tells the two apart."""
    return Problem(404, "not-found", f"No such {what}.")


def problem_body(request: Request, problem: Problem) -> dict[str, Any]:
    """The problem+json object of ``problem`` (also one item of a batch answer)."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + problem.slug,
        "title": HTTPStatus(problem.status).phrase,
        "status": problem.status,
        "detail": problem.detail,
        "instance": request.url.path,
        "correlation_id": correlation_of(request),
        **problem.extensions,
    }
    return body


def problem_response(request: Request, problem: Problem) -> JSONResponse:
    body = problem_body(request, problem)
    return JSONResponse(jsonable_encoder(body), problem.status, headers=problem.headers, media_type=PROBLEM_JSON)


def correlation_of(request: Request) -> str | None:
    value: str | None = request.scope.get("state", {}).get("correlation_id")
    return value


class CorrelationId:
    """Pure ASGI middleware: the request's correlation id (``X-Correlation-ID`` if well-formed, else a new UUID)
    in ``request.state``, echoed on the answer with ``Cache-Control: no-store`` and ``nosniff``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-correlation-id"), "")
        cid = given if _CORRELATION.fullmatch(given) else str(uuid.uuid4())
        scope.setdefault("state", {})["correlation_id"] = cid

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers[CORRELATION_HEADER] = cid
                headers.setdefault("Cache-Control", "no-store")
                headers.setdefault("X-Content-Type-Options", "nosniff")
            await send(message)

        await self.app(scope, receive, answer)


_SLUGS = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found", 405: "method-not-allowed"}


def install(app: FastAPI) -> None:
    """Add the correlation-id middleware and the problem+json answers to ``app``."""

    app.add_middleware(CorrelationId)

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> Response:
        """Anything a route did not expect: a 500 that shows nothing of it (logged with the correlation id)."""
        _log.error("unexpected error on %s (correlation id %s)", request.url.path, correlation_of(request),
                   exc_info=exc)  # fmt: skip
        response = problem_response(request, Problem(500, "internal", "An unexpected error; it has been logged."))
        response.headers[CORRELATION_HEADER] = correlation_of(request) or ""
        return response

    @app.exception_handler(Problem)
    async def on_problem(request: Request, exc: Problem) -> Response:
        return problem_response(request, exc)

    @app.exception_handler(NotVisible)
    async def on_not_visible(request: Request, _exc: NotVisible) -> Response:
        return problem_response(request, not_found())

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> Response:
        slug = _SLUGS.get(exc.status_code, "http-error")
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if exc.status_code == 404:
            detail = "No such resource."
        return problem_response(request, Problem(exc.status_code, slug, detail, headers=dict(exc.headers or {})))

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"location": list(e.get("loc", ())), "message": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in exc.errors()
        ]
        return problem_response(request, Problem(422, "invalid-request", "The request is not valid.", errors=errors))


__all__ = [
    "CORRELATION_HEADER",
    "PROBLEM_BASE",
    "PROBLEM_JSON",
    "CorrelationId",
    "Problem",
    "correlation_of",
    "install",
    "not_found",
    "problem_response",
]
