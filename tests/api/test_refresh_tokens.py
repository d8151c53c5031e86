"""Refresh tokens on SQLite and PostgreSQL: a customer issues one (shown once, only its hash stored), a program
trades it for a 24-hour bearer token that reads as the customer (data only, no state change, no new refresh
token), revoking ends it and its access tokens at once; a supplier's staff issues one acting as its party's
client, which ends with the client; unknown, expired or malformed grants are clear 400 problems."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from meterhub.security import tokens
from meterhub.store import schema as t
from tests.api.conftest import Market
from tests.api.world import MOVE

B = "/api/v1"


@pytest.fixture(params=["market", "pg_market"])
def any_market(request: pytest.FixtureRequest) -> Market:
    m: Market = request.getfixturevalue(request.param)
    return m


def test_a_customers_refresh_token_reads_as_the_customer_for_24_hours(any_market: Market) -> None:
    m = any_market
    bob = m.fresh_client()
    h = m.login("bob", bob)
    r = bob.post(f"{B}/refresh-tokens", json={"name": "my energy app", "days": 30}, headers=h)
    assert r.status_code == 201, r.text
    issued = r.json()
    refresh = issued["refresh_token"]
    assert refresh.startswith("mhrt_") and issued["scopes"] == ["billing_reads", "interval_data", "live_p1"]
    with m.store.read() as conn:
        (row,) = conn.execute(t.refresh_token.select()).all()
    assert row.token_hash == tokens.token_hash(refresh) and refresh not in str(tuple(row))
    listed = bob.get(f"{B}/refresh-tokens").json()["items"]
    assert [i["id"] for i in listed] == [issued["id"]] and "refresh_token" not in listed[0]

    app = m.fresh_client()
    got = app.post(f"{B}/oauth/token", data={"grant_type": "refresh_token", "refresh_token": refresh})
    assert got.status_code == 200, got.text
    assert got.json()["expires_in"] == 24 * 3600 and got.json()["token_type"] == "Bearer"
    app.headers["Authorization"] = f"Bearer {got.json()['access_token']}"
    me = app.get(f"{B}/me").json()
    assert me["principal"] == "user:bob" and me["role"] == "customer"
    assert {p["id"] for p in app.get(f"{B}/metering-points").json()["items"]} == {m.world.points["P1"]}
    p1 = m.world.points["P1"]
    around = {"from": (MOVE - timedelta(days=5)).isoformat(), "to": (MOVE + timedelta(days=5)).isoformat()}
    series = app.get(f"{B}/metering-points/{p1}/series", params={**around, "resolution": "day"})
    assert series.status_code == 200, series.text
    windows = series.json()["windows"]
    assert windows and all(datetime.fromisoformat(w["from"]) >= MOVE for w in windows)  # bob's own time only
    r = app.post(f"{B}/consents/{m.world.consents['bob_esp']}/revoke")
    assert r.status_code == 403  # a refresh token reads; it changes nothing
    assert app.post(f"{B}/refresh-tokens", json={"name": "again"}).status_code == 403

    m.clock.advance(24 * 3600 + 1)
    assert app.get(f"{B}/me").status_code == 401  # 24 hours
    again = m.fresh_client().post(f"{B}/oauth/token", data={"grant_type": "refresh_token", "refresh_token": refresh})
    assert again.status_code == 200
    app.headers["Authorization"] = f"Bearer {again.json()['access_token']}"
    assert app.get(f"{B}/me").status_code == 200

    h = m.login("bob", bob)
    assert bob.delete(f"{B}/refresh-tokens/{issued['id']}", headers=h).status_code == 204
    assert app.get(f"{B}/me").status_code == 401  # revoked: its access tokens end at once
    r = m.fresh_client().post(f"{B}/oauth/token", data={"grant_type": "refresh_token", "refresh_token": refresh})
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert bob.get(f"{B}/refresh-tokens").json()["items"][0]["revoked_at"] is not None


def test_a_staff_refresh_token_acts_as_the_partys_client_and_ends_with_it(any_market: Market) -> None:
    m = any_market
    s2 = m.fresh_client()
    h = m.login("s2", s2)
    cid = s2.post(f"{B}/clients", json={"name": "billing", "scopes": ["interval_data"]}, headers=h).json()["client_id"]
    r = s2.post(f"{B}/refresh-tokens", json={"name": "billing job", "client_id": cid}, headers=h)
    assert r.status_code == 201 and r.json()["scopes"] == ["interval_data"]
    refresh = r.json()["refresh_token"]
    app = m.fresh_client()
    got = app.post(f"{B}/oauth/token", data={"grant_type": "refresh_token", "refresh_token": refresh}).json()
    app.headers["Authorization"] = f"Bearer {got['access_token']}"
    assert app.get(f"{B}/me").json()["principal"] == f"client:{cid}"
    assert s2.delete(f"{B}/clients/{cid}", headers=h).status_code == 204
    assert app.get(f"{B}/me").status_code == 401
    r = m.fresh_client().post(f"{B}/oauth/token", data={"grant_type": "refresh_token", "refresh_token": refresh})
    assert r.status_code == 400


def test_bad_grants_and_someone_elses_token(any_market: Market) -> None:
    m = any_market
    c = m.fresh_client()
    wrong_kind = "mhat_" + "a" * 43
    for data in ({"grant_type": "refresh_token"}, {"grant_type": "refresh_token", "refresh_token": "mhrt_nope"},
                 {"grant_type": "refresh_token", "refresh_token": wrong_kind}, {"grant_type": "password"}):  # fmt: skip
        r = c.post(f"{B}/oauth/token", data=data)
        assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json"), data
    bob, carol = m.fresh_client(), m.fresh_client()
    hb, hc = m.login("bob", bob), m.login("carol", carol)
    r = bob.post(f"{B}/refresh-tokens", json={"name": "x", "scopes": ["consents.grant"]}, headers=hb)
    assert r.status_code == 422 and "must be some of" in r.json()["detail"]
    assert bob.post(f"{B}/refresh-tokens", json={"name": "x", "days": 366}, headers=hb).status_code == 422
    r = bob.post(f"{B}/refresh-tokens", json={"name": "x", "client_id": "mhci_0000000000000000"}, headers=hb)
    assert r.status_code == 404
    rid = bob.post(f"{B}/refresh-tokens", json={"name": "short", "days": 1}, headers=hb).json()
    assert carol.delete(f"{B}/refresh-tokens/{rid['id']}", headers=hc).status_code == 404
    assert carol.get(f"{B}/refresh-tokens").json()["items"] == []
    m.clock.advance(24 * 3600 + 60)
    r = c.post(f"{B}/oauth/token", data={"grant_type": "refresh_token", "refresh_token": rid["refresh_token"]})
    assert r.status_code == 400  # expired
