"""The portal's login routes: ``GET /`` (the login page; logged in, a 303 to ``/meters``), ``POST /login``
(argon2id check, a new session in an HttpOnly SameSite=Lax cookie) and ``POST /logout``. Neither passwords nor
session tokens are ever logged."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from meterhub.portal.auth import OPERATOR, SESSION_COOKIE, SESSION_TTL_S
from meterhub.portal.deps import PortalDep

log = logging.getLogger("meterhub.portal")

router = APIRouter()


@router.get("/", response_model=None)
def index(request: Request, portal: PortalDep) -> Response:
    if portal.user(request) is not None:
        return RedirectResponse("/meters", status_code=303)
    return portal.templates.TemplateResponse(request, "login.html", {"user": None, "error": None})


@router.post("/login", response_model=None)
def login(
    request: Request,
    portal: PortalDep,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    if not portal.auth.verify(username, password):
        log.warning("portal login refused")
        return portal.templates.TemplateResponse(
            request,
            "login.html",
            {"user": None, "error": "Wrong username or password.", "username": username[:80]},
            status_code=401,
        )
    portal.sessions.drop(request.cookies.get(SESSION_COOKIE))
    token = portal.sessions.create(OPERATOR)
    log.info("portal login: %s", OPERATOR)
    response = RedirectResponse("/meters", status_code=303)
    response.set_cookie(
        SESSION_COOKIE, token, max_age=SESSION_TTL_S, path="/", httponly=True, samesite="lax", secure=False
    )
    return response


@router.post("/logout", response_model=None)
def logout(request: Request, portal: PortalDep) -> Response:
    portal.sessions.drop(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


__all__ = ["router"]
