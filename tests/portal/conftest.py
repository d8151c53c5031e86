"""Fixtures of the portal's people tests: a :class:`Site` over the small market of :mod:`tests.api.world` (SQLite
and PostgreSQL) with its people, their TOTP secrets and the tests' clock, and the steps of logging in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from meterhub.portal.site import create_site
from meterhub.security import totp
from meterhub.store import Store
from tests.api.world import PASSWORD, Clock, World, add_logins, build_world
from tests.pg import BACKENDS, open_store
from tests.portal.forms import login_form


@dataclass
class Site:
    store: Store
    world: World
    secrets: dict[str, str | None]
    clock: Clock

    def client(self) -> TestClient:
        return TestClient(create_site(self.store, clock=self.clock), follow_redirects=False)

    def code(self, username: str) -> str:
        self.clock.advance(31)  # a fresh TOTP step
        secret = self.secrets[username]
        assert secret is not None
        return totp.code_at(secret, self.clock())

    def enrol(self, c: TestClient, username: str) -> str:
        """The first login of a staff account: enrolment page, then the first code; returns the CSRF token."""
        r = c.post("/login", data=login_form(c, {"username": username, "password": PASSWORD}))
        assert r.status_code == 200 and "Set up your authenticator app" in r.text, r.text
        token = re.search(r'name="token" value="([^"]+)"', r.text)
        assert token is not None
        r = c.post("/login/enrol", data={"token": token.group(1), "code": self.code(username)})
        assert r.status_code == 303, r.text
        return csrf_of(c.get("/home").text)

    def login(self, c: TestClient, username: str) -> str:
        """A login with the code (staff already enrolled) or without (customers); returns the CSRF token."""
        secret = self.secrets[username]
        data = {"username": username, "password": PASSWORD, "code": self.code(username) if secret else ""}
        r = c.post("/login", data=login_form(c, data))
        assert r.status_code == 303, r.text
        return csrf_of(c.get("/home").text)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, html
    return found.group(1)


@pytest.fixture(params=BACKENDS)
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    with open_store(request.param, tmp_path) as store:
        world = build_world(store)
        yield Site(store, world, add_logins(store, world), Clock())
