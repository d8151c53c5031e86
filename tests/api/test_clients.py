"""OAuth2 clients over HTTP on SQLite and PostgreSQL: a party's staff creates one (the secret shown once, only its
hash stored), lists its own, rotates the secret with a grace period or at once (the old secret and, at once, its
tokens end), deletes it (its tokens end); another party's client is a 404; the operator's admin manages any
party's; a customer or an OAuth2 client may not."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from meterhub.api.users import add_user
from meterhub.security import tokens, totp
from meterhub.store import schema as t
from tests.api.conftest import Market
from tests.api.world import PASSWORD, T0

B = "/api/v1"


@pytest.fixture(params=["market", "pg_market"])
def any_market(request: pytest.FixtureRequest) -> Market:
    m: Market = request.getfixturevalue(request.param)
    return m


def _token(c: TestClient, client_id: str, secret: str) -> int:
    r = c.post(f"{B}/oauth/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                         "client_secret": secret})  # fmt: skip
    return r.status_code


def _create(m: Market, who: str, c: TestClient, h: dict[str, str]) -> dict[str, str]:
    r = c.post(f"{B}/clients", json={"name": f"{who}'s billing system", "scopes": ["interval_data"]}, headers=h)
    assert r.status_code == 201, r.text
    body: dict[str, str] = r.json()
    return body


def test_create_list_rotate_with_grace_and_delete(any_market: Market) -> None:
    m = any_market
    s1 = m.fresh_client()
    h = m.login("s1", s1)
    made = _create(m, "s1", s1, h)
    cid, secret = made["client_id"], made["client_secret"]
    assert cid.startswith("mhci_") and secret.startswith("mhcs_") and made["party_id"] == m.world.parties["s1"]
    with m.store.read() as conn:  # only the hash at rest
        stored = list(conn.execute(t.oauth_client_secret.select().where(t.oauth_client_secret.c.client_id == cid)))
    assert [r.secret_hash for r in stored] == [tokens.token_hash(secret)] and secret not in str(stored)
    listed = s1.get(f"{B}/clients").json()["items"]
    assert [c["client_id"] for c in listed] == [cid] and "client_secret" not in listed[0]
    machine = m.fresh_client()
    assert _token(machine, cid, secret) == 200

    r = s1.post(f"{B}/clients/{cid}/rotate", json={"grace_seconds": 600}, headers=h)
    assert r.status_code == 200, r.text
    new = r.json()["client_secret"]
    assert new != secret and r.json()["old_secret_valid_until"] is not None
    assert _token(machine, cid, secret) == 200 and _token(machine, cid, new) == 200  # both during the grace
    m.clock.advance(601)
    assert _token(machine, cid, secret) == 401 and _token(machine, cid, new) == 200  # the old one ended

    tok = machine.post(f"{B}/oauth/token", data={"grant_type": "client_credentials", "client_id": cid,
                                                 "client_secret": new}).json()["access_token"]  # fmt: skip
    bearer = {"Authorization": f"Bearer {tok}"}
    assert machine.get(f"{B}/metering-points", headers=bearer).status_code == 200
    h = m.login("s1", s1)
    assert s1.delete(f"{B}/clients/{cid}", headers=h).status_code == 204
    assert machine.get(f"{B}/metering-points", headers=bearer).status_code == 401  # its token ended with it
    assert _token(machine, cid, new) == 401
    assert s1.get(f"{B}/clients").json()["items"] == []
    assert s1.delete(f"{B}/clients/{cid}", headers=h).status_code == 404


def test_rotating_at_once_ends_the_old_secret_and_its_tokens(any_market: Market) -> None:
    m = any_market
    esp = m.fresh_client()
    h = m.login("esp", esp)
    made = _create(m, "esp", esp, h)
    cid, secret = made["client_id"], made["client_secret"]
    machine = m.fresh_client()
    tok = machine.post(f"{B}/oauth/token", data={"grant_type": "client_credentials", "client_id": cid,
                                                 "client_secret": secret}).json()["access_token"]  # fmt: skip
    r = esp.post(f"{B}/clients/{cid}/rotate", json={"grace_seconds": 0}, headers=h)
    assert r.status_code == 200 and r.json()["old_secret_valid_until"] is None
    assert _token(machine, cid, secret) == 401 and _token(machine, cid, r.json()["client_secret"]) == 200
    assert machine.get(f"{B}/metering-points", headers={"Authorization": f"Bearer {tok}"}).status_code == 401


def test_another_partys_client_is_a_404_and_the_operators_admin_manages_any(any_market: Market) -> None:
    m = any_market
    s1, esp = m.fresh_client(), m.fresh_client()
    h1, he = m.login("s1", s1), m.login("esp", esp)
    cid = _create(m, "s1", s1, h1)["client_id"]
    assert esp.post(f"{B}/clients/{cid}/rotate", json={}, headers=he).status_code == 404
    assert esp.delete(f"{B}/clients/{cid}", headers=he).status_code == 404
    assert esp.get(f"{B}/clients").json()["items"] == []
    r = esp.post(f"{B}/clients", json={"name": "x", "scopes": ["interval_data"], "party_id": m.world.parties["s1"]},
                 headers=he)  # fmt: skip
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")

    secret = add_user(m.store, "opadmin", PASSWORD, "operator_admin", m.world.parties["op"], T0).totp_secret
    assert secret is not None
    admin = m.fresh_client()
    m.clock.advance(31)
    code = totp.code_at(secret, m.clock())
    r = admin.post(f"{B}/auth/login", json={"username": "opadmin", "password": PASSWORD, "totp": code})
    ha = {"X-CSRF-Token": r.json()["csrf_token"]}
    listed = admin.get(f"{B}/clients", params={"party_id": m.world.parties["s1"]}).json()["items"]
    assert [c["client_id"] for c in listed] == [cid]
    r = admin.post(f"{B}/clients", json={"name": "for esp", "scopes": ["billing_reads"],
                                         "party_id": m.world.parties["esp"]}, headers=ha)  # fmt: skip
    assert r.status_code == 201 and r.json()["party_id"] == m.world.parties["esp"]
    assert admin.delete(f"{B}/clients/{cid}", headers=ha).status_code == 204


def test_bad_input_is_a_clear_422_and_roles_without_the_right_403(any_market: Market) -> None:
    m = any_market
    s1 = m.fresh_client()
    h = m.login("s1", s1)
    for body in ({"name": "x", "scopes": ["everything"]}, {"name": "", "scopes": ["interval_data"]},
                 {"name": "x", "scopes": []}):  # fmt: skip
        r = s1.post(f"{B}/clients", json=body, headers=h)
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), body
    r = s1.post(f"{B}/clients", json={"name": "x", "scopes": ["webhooks.manage"]}, headers=h)
    assert r.status_code == 422 and "scopes must be some of" in r.json()["detail"]
    r = s1.post(f"{B}/clients/mhci_0000000000000000/rotate", json={"grace_seconds": 10**9}, headers=h)
    assert r.status_code == 422
    assert s1.post(f"{B}/clients/not-an-id/rotate", json={}, headers=h).status_code == 422
    bob = m.fresh_client()
    hb = m.login("bob", bob)
    assert bob.get(f"{B}/clients").status_code == 403
    assert bob.post(f"{B}/clients", json={"name": "x", "scopes": ["interval_data"]}, headers=hb).status_code == 403
