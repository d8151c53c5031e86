"""Fixtures of the HTTP API tests: a store with the small market of :mod:`tests.api.world`, people, interval data,
and a client of the site (portal + /api/v1) at the tests' clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from meterhub.api.egress import Egress
from meterhub.portal.site import create_site
from meterhub.security import totp
from meterhub.store import Store
from tests.api.world import PASSWORD, Clock, World, add_interval_data, add_logins, build_world
from tests.pg import open_store


@dataclass
class Market:
    store: Store
    world: World
    secrets: dict[str, str | None]
    clock: Clock
    client: TestClient

    def login(self, username: str, client: TestClient | None = None) -> dict[str, str]:
        """Log ``username`` in on ``client`` (default: a fresh one); returns the headers for state changes."""
        c = client or self.client
        self.clock.advance(31)  # a fresh TOTP step for every login
        secret = self.secrets[username]
        code = totp.code_at(secret, self.clock()) if secret else None
        r = c.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD, "totp": code})
        assert r.status_code == 200, r.text
        return {"X-CSRF-Token": r.json()["csrf_token"]}

    def fresh_client(self) -> TestClient:
        return TestClient(self.client.app)


def make_market(store: Store) -> Market:
    world = build_world(store)
    secrets = add_logins(store, world)
    add_interval_data(store, world)
    clock = Clock()
    site = create_site(store, clock=clock, egress=Egress("test"))  # webhooks to the tests' receivers on 127.0.0.1
    return Market(store, world, secrets, clock, TestClient(site))


@pytest.fixture
def market(tmp_path: Path) -> Iterator[Market]:
    with open_store("sqlite", tmp_path) as s:
        yield make_market(s)


@pytest.fixture
def pg_market(tmp_path: Path) -> Iterator[Market]:
    with open_store("postgres", tmp_path) as s:
        yield make_market(s)
