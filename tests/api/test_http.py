"""The /api/v1 routes over HTTP (the ASGI app in process): login, sessions and CSRF, the throttle and the rate
limit, problem+json everywhere, correlation ids, series cut to the caller's windows, OAuth2 client credentials,
and consents granted, requested, accepted and revoked with immediate effect."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from meterhub.api.auth import Settings
from meterhub.api.users import add_client
from meterhub.portal.site import create_site
from meterhub.security.throttle import BucketPolicy
from tests.api.conftest import Market
from tests.api.world import MOVE, NOW, PASSWORD, T0

PROBLEM = "application/problem+json"


def is_problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["type"].startswith("https://") and body["title"]
    return body


def series(c: TestClient, point: int, start: Any, end: Any, **params: Any) -> Any:
    q = {"from": start.isoformat(), "to": end.isoformat(), **params}
    return c.get(f"/api/v1/metering-points/{point}/series", params=q)


def test_login_session_csrf_and_logout(market: Market) -> None:
    c = market.client
    is_problem(c.get("/api/v1/me"), 401)
    headers = market.login("dsoA")
    assert c.cookies.get("mh_session", "").startswith("mhs_")
    me = c.get("/api/v1/me").json()
    assert (me["role"], me["party_id"], me["principal"]) == ("dso", market.world.parties["dsoA"], "user:dsoA")
    is_problem(c.post("/api/v1/auth/logout"), 403)  # cookie without the CSRF token
    assert c.post("/api/v1/auth/logout", headers=headers).json() == {"sessions_ended": 1}
    is_problem(c.get("/api/v1/me"), 401)
    # staff need the one-time code
    r = market.fresh_client().post("/api/v1/auth/login", json={"username": "dsoA", "password": PASSWORD})
    assert is_problem(r, 401)["detail"] == "Wrong user name, password or one-time code."


def test_throttle_delays_then_locks_an_account(market: Market) -> None:
    c = market.fresh_client()

    def attempt() -> Any:
        return c.post("/api/v1/auth/login", json={"username": "carol", "password": "wrong password!!"})

    for _ in range(4):  # three free failures, then each failure makes the next attempt wait
        is_problem(attempt(), 401)
    delayed = is_problem(attempt(), 429)
    assert delayed["type"].endswith("login-delayed") and int(attempt().headers["Retry-After"]) >= 1
    for _ in range(6):
        market.clock.advance(61)
        is_problem(attempt(), 401)
    market.clock.advance(61)
    locked = attempt()
    assert is_problem(locked, 429)["type"].endswith("/locked")
    market.clock.advance(61)
    # even the right password is refused while locked, and carol's own login says so
    r = c.post("/api/v1/auth/login", json={"username": "carol", "password": PASSWORD})
    assert is_problem(r, 429)["type"].endswith("/locked")
    market.clock.advance(16 * 60)
    market.login("carol", market.fresh_client())


def test_problem_json_for_framework_errors_and_correlation_ids(market: Market) -> None:
    c = market.client
    market.login("op")
    r = c.get("/api/v1/no-such-thing", headers={"X-Correlation-ID": "abc-123"})
    assert is_problem(r, 404)["correlation_id"] == "abc-123" and r.headers["X-Correlation-ID"] == "abc-123"
    is_problem(c.delete("/api/v1/me"), 405)
    bad = is_problem(c.get("/api/v1/metering-points", params={"limit": 5000}), 422)
    assert bad["errors"] and bad["errors"][0]["location"] == ["query", "limit"]
    r = c.get("/api/v1/me", headers={"X-Correlation-ID": "bad id with spaces"})
    assert r.headers["X-Correlation-ID"] != "bad id with spaces" and len(r.headers["X-Correlation-ID"]) == 36
    P1 = market.world.points["P1"]
    is_problem(series(c, P1, T0.replace(tzinfo=None), NOW), 422)  # naive instant
    too_long = is_problem(series(c, P1, T0, T0 + timedelta(days=3 * 366 + 1)), 422)
    assert too_long["type"].endswith("period-too-long") and too_long["max_days"] == 3 * 366
    is_problem(series(c, P1, NOW, T0), 422)
    is_problem(c.get("/api/v1/metering-points", params={"cursor": "garbage"}), 422)
    assert c.get("/api/v1/openapi.json").json()["openapi"].startswith("3.1")
    assert c.get("/api/v1/docs").status_code == 200


def test_series_is_cut_to_the_callers_windows_and_logged(market: Market) -> None:
    c, w = market.client, market.world
    P1, P2 = w.points["P1"], w.points["P2"]
    market.login("alice")
    r = series(c, P1, T0, NOW, resolution="day")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["unit"] == "Wh" and body["windows"] == [
        {"from": T0.isoformat(), "to": MOVE.isoformat(), "right": "own"}
    ]
    days = body["points"]
    # T0 is midnight UTC, 01:00 in Luxembourg: the first local day shows its 92 visible quarter-hours only
    assert len(days) == 51 and days[0] == {"start": "2025-01-01T00:00:00+01:00", "value": 9200, "quality": "measured"}
    assert days[1]["value"] == 9600
    assert days[9]["quality"] == "estimated"
    quarter = series(c, P1, T0, T0 + timedelta(hours=1)).json()["points"]
    assert [p["start"] for p in quarter] == [
        "2025-01-01T00:00:00Z", "2025-01-01T00:15:00Z", "2025-01-01T00:30:00Z", "2025-01-01T00:45:00Z",
    ]  # fmt: skip
    month = series(c, P1, T0, NOW, resolution="month").json()["points"]
    assert [m["start"] for m in month] == ["2025-01-01T00:00:00+01:00", "2025-02-01T00:00:00+01:00"]
    # after her move-out nothing: the same 404 as another household's point or an unknown id
    after = is_problem(series(c, P1, MOVE, NOW), 404)
    assert after["detail"] == is_problem(series(c, P2, T0, NOW), 404)["detail"]
    assert (
        is_problem(c.get("/api/v1/metering-points/99999"), 404)["detail"]
        == is_problem(c.get(f"/api/v1/metering-points/{P2}"), 404)["detail"]
    )
    entries = market.store.access_entries([P1])
    assert {(e.principal, e.right) for e in entries} == {("user:alice", "own")}
    assert max(e.period_to for e in entries) == MOVE and len(entries) == 3  # day, quarter-hour and month reads
    assert all(e.route == "/api/v1/metering-points/{point_id}/series" for e in entries)
    # alice lists who read her data; bob does not see alice's reads
    assert {e["principal"] for e in c.get("/api/v1/access-log").json()["items"]} == {"user:alice"}
    bob = market.fresh_client()
    market.login("bob", bob)
    assert bob.get("/api/v1/access-log").json()["items"] == []


def test_listing_names_parties_for_staff_and_pages_by_cursor(market: Market) -> None:
    c, w = market.client, market.world
    p = w.parties
    market.login("dsoA")
    items = c.get("/api/v1/metering-points").json()["items"]
    assert [(i["id"], i["dso"], i["supplier"], i["customer"]) for i in items] == [
        (w.points["P1"], p["dsoA"], p["s2"], p["bob"])
    ]
    op = market.fresh_client()
    market.login("op", op)
    first = op.get("/api/v1/metering-points", params={"limit": 1}).json()
    assert [i["id"] for i in first["items"]] == [w.points["P1"]] and first["next_cursor"]
    second = op.get("/api/v1/metering-points", params={"limit": 1, "cursor": first["next_cursor"]}).json()
    assert [i["id"] for i in second["items"]] == [w.points["P2"]] and second["next_cursor"]
    meters = op.get(f"/api/v1/metering-points/{w.points['P1']}/meters").json()["items"]
    assert meters[0]["serial"] == "SIM0000001" and meters[0]["channels"][0]["obis"] == "1.0.1.8.0.255"


def test_oauth_client_and_consent_request_accept_revoke(market: Market) -> None:
    w, store = market.world, market.store
    P2 = w.points["P2"]
    client_id, secret = add_client(
        store, w.parties["esp"], "esp system", {"interval_data", "consent_requests.create"}, T0
    )
    machine = market.fresh_client()
    wrong = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": "mhcs_wrong"}
    is_problem(machine.post("/api/v1/oauth/token", data=wrong), 401)
    tok = machine.post(
        "/api/v1/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    ).json()
    assert tok["token_type"] == "Bearer" and tok["expires_in"] == 900
    bearer = {"Authorization": f"Bearer {tok['access_token']}"}
    is_problem(series(machine.__class__(machine.app, headers=bearer), P2, T0, NOW), 404)
    api = TestClient(machine.app, headers=bearer)
    r = api.post(
        "/api/v1/consents/requests",
        json={"eans": ["LU0000000000000000000000000000P02"], "scopes": ["interval_data"], "valid_from": T0.isoformat()},
    )
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    assert r.json()["status"] == "requested" and r.json()["grantor"] == w.parties["carol"]
    bad = api.post("/api/v1/consents/requests", json={"eans": ["LU-NOPE"], "scopes": ["interval_data"],
                                                      "valid_from": T0.isoformat()})  # fmt: skip
    is_problem(bad, 422)
    carol = market.fresh_client()
    headers = market.login("carol", carol)
    assert [c["id"] for c in carol.get("/api/v1/consents").json()["items"]] == [w.consents["carol_esp_asked"], cid]
    is_problem(carol.post(f"/api/v1/consents/{cid}/accept"), 403)  # no CSRF token
    assert carol.post(f"/api/v1/consents/{cid}/accept", headers=headers).json()["status"] == "active"
    got = series(api, P2, T0, NOW, resolution="month")
    assert got.status_code == 200 and got.json()["windows"][0]["right"] == f"consent:{cid}"
    assert carol.post(f"/api/v1/consents/{cid}/revoke", headers=headers).json()["status"] == "revoked"
    is_problem(series(api, P2, T0, NOW), 404)  # at once
    is_problem(carol.post(f"/api/v1/consents/{cid}/revoke", headers=headers), 409)
    alice = market.fresh_client()
    is_problem(alice.post(f"/api/v1/consents/{cid}/accept", headers=market.login("alice", alice)), 404)


def test_customer_grant_checks_the_consent(market: Market) -> None:
    c, w = market.client, market.world
    headers = market.login("bob")
    body = {"grantee": w.parties["s1"], "metering_points": [w.points["P1"]], "scopes": ["interval_data"]}
    early = c.post("/api/v1/consents", json={**body, "valid_from": T0.isoformat()}, headers=headers)
    assert "move-in" in is_problem(early, 422)["problems"][0]
    not_his = c.post("/api/v1/consents", json={**body, "metering_points": [w.points["P2"]],
                                               "valid_from": MOVE.isoformat()}, headers=headers)  # fmt: skip
    assert "not yours" in is_problem(not_his, 422)["problems"][0]
    ok = c.post("/api/v1/consents", json={**body, "valid_from": MOVE.isoformat()}, headers=headers)
    assert ok.status_code == 201 and ok.json()["status"] == "active"
    supplier = market.fresh_client()
    market.login("dsoA", supplier)
    is_problem(supplier.post("/api/v1/consents", json={**body, "valid_from": MOVE.isoformat()},
                             headers=market.login("dsoA", supplier)), 403)  # fmt: skip


def test_rate_limit_answers_429_with_retry_after(market: Market) -> None:
    tight = Settings(market.store, market.clock, user_bucket=BucketPolicy(capacity=3, refill_per_s=0.5))
    site = create_site(market.store, clock=market.clock)
    api_app = next(r.app for r in site.routes if getattr(r, "path", "") == "/api/v1")  # type: ignore[attr-defined]
    api_app.state.settings = tight
    c = TestClient(site)
    market.login("s1", c)
    assert [c.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 200]
    r = c.get("/api/v1/me")
    is_problem(r, 429)
    assert r.headers["Retry-After"] == "2"
    market.clock.advance(2)
    assert c.get("/api/v1/me").status_code == 200


def test_unknown_channel_is_404_once_the_point_is_visible(market: Market) -> None:
    market.login("op")
    P1 = market.world.points["P1"]
    r = series(market.client, P1, T0, NOW, channel="1-0:2.8.0")
    assert is_problem(r, 404)["detail"] == "No such channel at this metering point."
    assert is_problem(series(market.client, P1, T0, NOW, channel="not obis"), 422)["type"].endswith("invalid-channel")


def test_on_postgresql_sessions_throttle_and_buckets_live_in_the_store(pg_market: Market) -> None:
    m = pg_market
    headers = m.login("s2")
    r = series(m.client, m.world.points["P1"], T0, NOW, resolution="month")
    assert r.status_code == 200 and r.json()["windows"][0]["right"] == "supplier_of_record"
    other_worker = TestClient(create_site(m.store, clock=m.clock), cookies=dict(m.client.cookies))
    assert other_worker.get("/api/v1/me").json()["principal"] == "user:s2"  # the session is in the store
    assert other_worker.post("/api/v1/auth/logout", params={"everywhere": True}, headers=headers).status_code == 200
    is_problem(m.client.get("/api/v1/me"), 401)
    bad = m.fresh_client()
    for _ in range(4):
        is_problem(bad.post("/api/v1/auth/login", json={"username": "s2", "password": "nope nope nope"}), 401)
    is_problem(bad.post("/api/v1/auth/login", json={"username": "s2", "password": "nope nope nope"}), 429)


def test_an_unexpected_error_is_a_500_problem_with_nothing_of_it(market: Market) -> None:
    from meterhub.api.app import create_api

    api = create_api(market.store)

    @api.get("/boom", openapi_extra={"x-policy": "public"})
    def boom() -> None:
        raise RuntimeError("secret internals")

    r = TestClient(api, raise_server_exceptions=False).get("/boom", headers={"X-Correlation-ID": "c-500"})
    body = is_problem(r, 500)
    assert "secret" not in r.text and body["correlation_id"] == "c-500" and r.headers["X-Correlation-ID"] == "c-500"
