"""The login form as a browser sends it: its fields with the pre-session CSRF token of the login page (the hidden
``csrf`` field, whose twin the page set as the ``mh_login_csrf`` cookie)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from meterhub.portal.login import LOGIN_CSRF_COOKIE


def login_form(c: TestClient, fields: dict[str, str]) -> dict[str, str]:
    """``fields`` plus the login form's CSRF token, read from the login page as a browser loads it (a client
    already logged in is sent on from the page: its cookie then holds the token)."""
    r = c.get("/", follow_redirects=False)
    found = re.search(r'name="csrf" value="([^"]+)"', r.text) if r.status_code == 200 else None
    token = found.group(1) if found is not None else c.cookies.get(LOGIN_CSRF_COOKIE)
    assert token, "the login page gave no CSRF token"
    return {**fields, "csrf": token}
