"""The portal's people on SQLite and PostgreSQL (the small market of :mod:`tests.api.world`): a staff account's
first login goes to MFA enrolment (QR code, the secret, a code to confirm), later logins need the code; a session
cookie that is HttpOnly and SameSite=Lax and lives in the store; every form's CSRF token; log out and log out
everywhere; the lockout after repeated failures, with its message, lifted by an admin; each person's start page
lists exactly the points the policy layer gives them; the admin page's actions and who may use it."""

from __future__ import annotations

import re

import pytest

from meterhub.security import totp
from tests.api.world import PASSWORD
from tests.portal.conftest import Site
from tests.portal.forms import login_form

EANS = {"P1": "LU0000000000000000000000000000P01", "P2": "LU0000000000000000000000000000P02",
        "P3": "LU0000000000000000000000000000P03"}  # fmt: skip


def _eans(html: str) -> set[str]:
    return {name for name, ean in EANS.items() if ean in html}


def test_first_staff_login_enrols_mfa_then_asks_the_code(site: Site) -> None:
    c = site.client()
    r = c.post("/login", data=login_form(c, {"username": "dsoA", "password": PASSWORD}))
    assert r.status_code == 200
    secret = site.secrets["dsoA"]
    assert secret is not None and secret in r.text and "<svg" in r.text and 'class="totp-qr"' in r.text
    token = re.search(r'name="token" value="([^"]+)"', r.text)
    assert token is not None
    site.clock.advance(31)
    r = c.post("/login/enrol", data={"token": token.group(1), "code": "000000"})
    assert r.status_code == 401 and "That code is not right" in r.text
    assert c.get("/home").status_code == 303  # no session yet
    r = c.post("/login/enrol", data={"token": token.group(1), "code": site.code("dsoA")})
    assert r.status_code == 303 and r.headers["location"] == "/home"
    cookie = r.headers["set-cookie"]
    assert "mh_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert _eans(c.get("/home").text) == {"P1"}  # dsoA's grid area only
    # the token cannot enrol again, and a later login needs the code
    assert c.post("/login/enrol", data={"token": token.group(1), "code": site.code("dsoA")}).status_code == 401
    other = site.client()
    r = other.post("/login", data=login_form(other, {"username": "dsoA", "password": PASSWORD}))
    assert r.status_code == 401 and "Enter the 6-digit code" in r.text and secret not in r.text
    r = other.post("/login", data=login_form(other, {"username": "dsoA", "password": PASSWORD, "code": "123456"}))
    assert r.status_code == 401 and "Wrong user name, password or one-time code" in r.text
    site.login(other, "dsoA")


def test_a_wrong_password_never_shows_the_enrolment(site: Site) -> None:
    fresh = site.client()
    r = fresh.post("/login", data=login_form(fresh, {"username": "dsoA", "password": "not-the-password"}))
    assert r.status_code == 401 and site.secrets["dsoA"] not in r.text and "<svg" not in r.text


@pytest.mark.parametrize(
    ("username", "points"),
    [("alice", {"P1"}), ("bob", {"P1"}), ("carol", {"P2"}), ("dsoB", {"P2", "P3"}), ("s1", {"P1", "P2"}),
     ("s2", {"P1", "P3"}), ("esp", {"P1"}), ("op", {"P1", "P2", "P3"})],
)  # fmt: skip
def test_each_person_sees_the_points_the_policy_gives_them(site: Site, username: str, points: set[str]) -> None:
    c = site.client()
    if site.secrets[username]:
        site.enrol(c, username)
    else:
        site.login(c, username)
    assert _eans(c.get("/home").text) == points


def test_csrf_logout_and_logout_everywhere(site: Site) -> None:
    phone, laptop = site.client(), site.client()
    csrf = site.login(phone, "bob")
    site.login(laptop, "bob")
    assert phone.post("/logout/all", data={"csrf": "forged"}).status_code == 403
    assert phone.post("/logout", data={}).status_code == 403
    assert laptop.get("/home").status_code == 200
    r = phone.post("/logout/all", data={"csrf": csrf})
    assert r.status_code == 303
    assert phone.get("/home").status_code == 303 and laptop.get("/home").status_code == 303
    csrf = site.login(phone, "bob")
    assert phone.post("/logout", data={"csrf": csrf}).status_code == 303
    assert phone.get("/home").status_code == 303


def test_lockout_after_repeated_failures_and_an_admin_unlocks(site: Site) -> None:
    c = site.client()
    for _ in range(10):
        site.clock.advance(61)  # past each growing delay: every attempt is judged, and fails
        r = c.post("/login", data=login_form(c, {"username": "carol", "password": "wrong-password-again"}))
        assert r.status_code == 401, r.text
    site.clock.advance(61)
    r = c.post("/login", data=login_form(c, {"username": "carol", "password": PASSWORD}))
    assert r.status_code == 429 and "This account is locked after repeated failed logins" in r.text
    assert "ask an administrator to unlock it" in r.text

    admin = site.client()
    csrf = site.enrol(admin, "op")
    page = admin.get("/admin/users").text
    assert re.search(r'data-user="carol">.*?locked', page, re.S)
    carol = site.store.user_by_name("carol")
    assert carol is not None
    r = admin.post(f"/admin/users/{carol.id}/unlock", data={"csrf": csrf})
    assert r.status_code == 303
    site.clock.advance(1)
    site.login(c, "carol")


def test_admin_page_actions_and_who_may_use_it(site: Site) -> None:
    admin, bob = site.client(), site.client()
    csrf = site.enrol(admin, "op")
    bob_csrf = site.login(bob, "bob")
    user = site.store.user_by_name("bob")
    assert user is not None
    assert bob.get("/admin/users").status_code == 404
    assert bob.post(f"/admin/users/{user.id}/disable", data={"csrf": bob_csrf}).status_code == 404
    assert bob.get("/meters").status_code == 303  # the fleet pages are the fleet staff's
    assert admin.post(f"/admin/users/{user.id}/disable", data={"csrf": "x"}).status_code == 403
    r = admin.post(f"/admin/users/{user.id}/disable", data={"csrf": csrf})
    assert r.status_code == 303 and bob.get("/home").status_code == 303  # bob's session ended at once
    r = bob.post("/login", data=login_form(bob, {"username": "bob", "password": PASSWORD}))
    assert r.status_code == 401
    admin.post(f"/admin/users/{user.id}/enable", data={"csrf": csrf})
    site.login(bob, "bob")
    # reset MFA: the person enrols again at the next login, with a new secret
    dso = site.store.user_by_name("dsoB")
    assert dso is not None
    admin.post(f"/admin/users/{dso.id}/reset-mfa", data={"csrf": csrf})
    fresh = site.store.user_by_name("dsoB")
    assert fresh is not None and fresh.totp_secret != site.secrets["dsoB"]
    site.secrets["dsoB"] = fresh.totp_secret
    site.enrol(site.client(), "dsoB")
    assert "dsoB" in admin.get("/admin/users").text


def test_a_customer_may_add_mfa_and_then_logs_in_with_a_code(site: Site) -> None:
    c = site.client()
    csrf = site.login(c, "bob")
    assert "Add an authenticator app" in c.get("/home").text
    page = c.get("/account/mfa").text
    found = re.search(r'name="secret" value="([A-Z2-7]+)"', page)
    assert found is not None and "<svg" in page
    secret = found.group(1)
    r = c.post("/account/mfa", data={"csrf": csrf, "secret": secret, "code": "000000"})
    assert r.status_code == 422 and "That code is not right" in r.text
    assert c.post("/account/mfa", data={"csrf": "x", "secret": secret, "code": "1"}).status_code == 403
    site.clock.advance(31)
    r = c.post("/account/mfa", data={"csrf": csrf, "secret": secret, "code": totp.code_at(secret, site.clock())})
    assert r.status_code == 303
    user = site.store.user_by_name("bob")
    assert user is not None and user.totp_secret == secret
    site.secrets["bob"] = secret
    other = site.client()
    r = other.post("/login", data=login_form(other, {"username": "bob", "password": PASSWORD}))
    assert r.status_code == 401 and "Enter the 6-digit code" in r.text
    site.login(other, "bob")
