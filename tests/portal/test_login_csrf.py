"""Login CSRF on the portal's login form (SQLite and PostgreSQL): the page sets a pre-session token as an HttpOnly,
SameSite=Strict cookie and in a hidden field; a login without it, with another token, or from a browser that
never loaded the page (a foreign site's form) is a 403 with a fresh form and starts no session."""

from __future__ import annotations

import re

from meterhub.api.auth import SESSION_COOKIE
from meterhub.portal.login import LOGIN_CSRF_COOKIE
from tests.api.world import PASSWORD
from tests.portal.conftest import Site
from tests.portal.forms import login_form


def test_the_login_page_sets_the_token_in_a_strict_cookie_and_the_form(site: Site) -> None:
    c = site.client()
    r = c.get("/")
    assert r.status_code == 200
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{LOGIN_CSRF_COOKIE}=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    field = re.search(r'<input type="hidden" name="csrf" value="([^"]+)">', r.text)
    assert field is not None and field.group(1) == c.cookies.get(LOGIN_CSRF_COOKIE)
    assert len(field.group(1)) >= 40
    again = c.get("/")
    assert "set-cookie" not in again.headers and field.group(1) in again.text  # the same token in every tab


def test_a_login_without_the_pages_token_is_refused(site: Site) -> None:
    creds = {"username": "bob", "password": PASSWORD}
    c = site.client()
    c.get("/")
    for data in (creds, {**creds, "csrf": ""}, {**creds, "csrf": "x" * 43}):
        r = c.post("/login", data=data)
        assert r.status_code == 403, data
        assert "login form has expired" in r.text and 'action="/login"' in r.text
        assert SESSION_COOKIE not in r.headers.get("set-cookie", "")
    foreign = site.client()  # a form on another site: the browser never loaded our page, so has no cookie
    r = foreign.post("/login", data={**creds, "csrf": c.cookies[LOGIN_CSRF_COOKIE]})
    assert r.status_code == 403 and SESSION_COOKIE not in r.headers.get("set-cookie", "")
    assert r.headers["set-cookie"].startswith(f"{LOGIN_CSRF_COOKIE}=")  # a fresh form to log in for real
    assert foreign.get("/home").status_code == 303  # not logged in


def test_the_pages_token_logs_in(site: Site) -> None:
    c = site.client()
    r = c.post("/login", data=login_form(c, {"username": "bob", "password": PASSWORD}))
    assert r.status_code == 303 and r.headers["location"] == "/home"
    assert c.get("/home").status_code == 200
