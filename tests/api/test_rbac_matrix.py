"""The RBAC matrix, generated from the app's route table: every principal × every /api/v1 route × (own / other
tenant / other customer / outside the period) → allowed or denied as this file expects, and no leak.

The expectations are written out here by hand from the market of :mod:`tests.api.world` (not computed by the
policy under test). Each route is driven by the case builder of its declared policy (``x-policy``): a route
whose policy has no builder here, or a route without a declared policy, fails the test — so a new route cannot
ship without its place in this matrix. A denial of data is the 404 of an unknown point (never a 403 that confirms
it exists) and carries no data; an allowed read shows only windows inside what the principal may see.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from meterhub.api.app import PREFIX, api_routes, create_api, undeclared_routes
from meterhub.api.auth import Settings
from meterhub.api.common import POLICY_KEY, policy
from meterhub.api.users import add_client
from meterhub.portal.site import create_site
from meterhub.security.throttle import BucketPolicy
from meterhub.store.p1 import P1Reading
from tests.api.conftest import Market, make_market
from tests.api.world import MOVE, NOW, SWITCH, T0
from tests.pg import open_store

BEFORE = T0 - timedelta(days=30)
ALL = (T0, NOW)
CASES = ("own", "other_tenant", "other_customer", "outside_period")
Target = tuple[str, datetime, datetime, bool]
"""(point, from, to, data allowed)."""

# principal → case → the point and period asked for, and whether its interval data may be read
DATA: dict[str, dict[str, Target]] = {
    "op": {"own": ("P1", *ALL, True), "other_tenant": ("P2", *ALL, True), "other_customer": ("P3", *ALL, True),
           "outside_period": ("P1", BEFORE, T0, True)},
    "auditor": {"own": ("P1", *ALL, True), "other_tenant": ("P2", *ALL, True), "other_customer": ("P3", *ALL, True),
                "outside_period": ("P1", BEFORE, T0, True)},
    "installer": {"own": ("P1", *ALL, False), "other_tenant": ("P2", *ALL, False),
                  "other_customer": ("P3", *ALL, False), "outside_period": ("P1", BEFORE, T0, False)},
    "dsoA": {"own": ("P1", *ALL, True), "other_tenant": ("P2", *ALL, False), "other_customer": ("P3", *ALL, False),
             "outside_period": ("P1", BEFORE, T0, True)},
    "dsoB": {"own": ("P2", *ALL, True), "other_tenant": ("P1", *ALL, False), "other_customer": ("P3", *ALL, True),
             "outside_period": ("P2", BEFORE, T0, True)},
    "s1": {"own": ("P2", *ALL, True), "other_tenant": ("P3", *ALL, False), "other_customer": ("P1", T0, SWITCH, True),
           "outside_period": ("P1", SWITCH, NOW, False)},
    "s2": {"own": ("P1", SWITCH, NOW, True), "other_tenant": ("P2", *ALL, False), "other_customer": ("P3", *ALL, True),
           "outside_period": ("P1", T0, SWITCH, False)},
    "s2_client": {"own": ("P1", SWITCH, NOW, True), "other_tenant": ("P2", *ALL, False),
                  "other_customer": ("P3", *ALL, True), "outside_period": ("P1", T0, SWITCH, False)},
    "esp": {"own": ("P1", MOVE, NOW, True), "other_tenant": ("P2", *ALL, False), "other_customer": ("P3", *ALL, False),
            "outside_period": ("P1", T0, MOVE, False)},
    "esp_billing_client": {"own": ("P1", MOVE, NOW, False), "other_tenant": ("P2", *ALL, False),
                           "other_customer": ("P3", *ALL, False), "outside_period": ("P1", T0, MOVE, False)},
    "alice": {"own": ("P1", T0, MOVE, True), "other_tenant": ("P2", *ALL, False), "other_customer": ("P3", *ALL, False),
              "outside_period": ("P1", MOVE, NOW, False)},
    "bob": {"own": ("P1", MOVE, NOW, True), "other_tenant": ("P2", *ALL, False), "other_customer": ("P3", *ALL, False),
            "outside_period": ("P1", T0, MOVE, False)},
    "carol": {"own": ("P2", *ALL, True), "other_tenant": ("P1", *ALL, False), "other_customer": ("P3", *ALL, False),
              "outside_period": ("P2", BEFORE, T0, False)},
}  # fmt: skip
EVERYTHING = (datetime.min.replace(tzinfo=T0.tzinfo), datetime.max.replace(tzinfo=T0.tzinfo))
VISIBLE: dict[str, dict[str, list[tuple[datetime, datetime]]]] = {
    "op": {p: [EVERYTHING] for p in ("P1", "P2", "P3")},
    "auditor": {p: [EVERYTHING] for p in ("P1", "P2", "P3")},
    "installer": {},
    "dsoA": {"P1": [EVERYTHING]},
    "dsoB": {"P2": [EVERYTHING], "P3": [EVERYTHING]},
    "s1": {"P1": [(T0, SWITCH)], "P2": [(T0, EVERYTHING[1])]},
    "s2": {"P1": [(SWITCH, EVERYTHING[1])], "P3": [(T0, EVERYTHING[1])]},
    "s2_client": {"P1": [(SWITCH, EVERYTHING[1])], "P3": [(T0, EVERYTHING[1])]},
    "esp": {"P1": [(MOVE, EVERYTHING[1])]},
    "esp_billing_client": {},
    "alice": {"P1": [(T0, MOVE)]},
    "bob": {"P1": [(MOVE, EVERYTHING[1])]},
    "carol": {"P2": [(T0, EVERYTHING[1])]},
}
"""principal → point → the spans of its interval data the principal may see (the oracle for "no leak")."""
INVENTORY: dict[str, set[str]] = {
    "op": {"P1", "P2", "P3"}, "auditor": {"P1", "P2", "P3"}, "installer": {"P1", "P2", "P3"},
    "dsoA": {"P1"}, "dsoB": {"P2", "P3"}, "s1": {"P1", "P2"}, "s2": {"P1", "P3"}, "s2_client": {"P1", "P3"},
    "esp": {"P1"}, "esp_billing_client": set(), "alice": {"P1"}, "bob": {"P1"}, "carol": {"P2"},
}  # fmt: skip
"""principal → the points it may see at all (listing, the point, its meters)."""
NO_BILLING = {("esp", "own")} | {("s2_client", c) for c in CASES}
"""(principal, case) allowed interval data but not billing reads: bob's consent to the ESP is for interval data,
and s2's client has no billing_reads token scope."""
ROLE = {
    "op": "operator", "auditor": "auditor", "installer": "installer", "dsoA": "dso", "dsoB": "dso",
    "s1": "supplier", "s2": "supplier", "s2_client": "supplier", "esp": "esp", "esp_billing_client": "esp",
    "alice": "customer", "bob": "customer", "carol": "customer",
}  # fmt: skip
LIVE: dict[str, set[str]] = {
    "op": {"P1", "P2", "P3"}, "auditor": {"P1", "P2", "P3"}, "alice": {"P1"}, "bob": {"P1"}, "carol": {"P2"},
}  # fmt: skip
"""principal → the points whose live P1 data it may read (no party holds a live_p1 consent in the world: bob's
consent to the ESP is interval data only, the clients' tokens have no live_p1 scope); within VISIBLE's spans."""
LIVE_SEEN = {"P1": [T0 + timedelta(days=10), MOVE + timedelta(days=10)], "P2": [T0 + timedelta(days=10)]}
"""The forwarded readings stored before the matrix runs (alice's and bob's on P1, carol's on P2)."""
FORWARDERS = {"bob": "P1", "carol": "P2"}  # occupants now: their reader may forward (alice moved out)
CUSTOMERS = {"alice", "bob", "carol"}
ASKERS = {"s1", "s2", "esp", "s2_client"}  # may ask customers for consent (the ESP's billing client may not)


@dataclass
class Principal:
    name: str
    client: TestClient
    headers: dict[str, str]
    credentials: dict[str, str] | None = None

    def refresh(self) -> None:
        """A machine client's fresh bearer token (they live 15 minutes; the matrix's clock moves with logins)."""
        if self.credentials is not None:
            tok = TestClient(self.client.app).post(f"{PREFIX}/oauth/token", data=self.credentials).json()
            self.client.headers["Authorization"] = f"Bearer {tok['access_token']}"


@dataclass
class Env:
    market: Market
    principals: dict[str, Principal]
    api: FastAPI

    def point(self, name: str) -> int:
        return self.market.world.points[name]

    def party(self, name: str) -> int:
        return self.market.world.parties[name]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    path: Path = tmp_path_factory.mktemp("rbac")
    with open_store("sqlite", path) as store:
        m = make_market(store)
        roomy = BucketPolicy(capacity=100_000, refill_per_s=1)
        site = create_site(store, clock=m.clock)
        api = next(r.app for r in site.routes if getattr(r, "path", "") == PREFIX)  # type: ignore[attr-defined]
        api.state.settings = Settings(store, m.clock, client_bucket=roomy, user_bucket=roomy, anonymous_bucket=roomy)
        store.add_p1_readings(
            [
                P1Reading(
                    m.world.points[p], "E0000000000000001", "4D4D4D0000000001", at, i, {"timestamp": at.isoformat()}, at
                )
                for p, times in LIVE_SEEN.items()
                for i, at in enumerate(times)
            ]
        )
        principals: dict[str, Principal] = {}
        for name in ROLE:
            if name.endswith("_client"):
                party, scopes = ("s2", {"interval_data", "consent_requests.create"}) if name == "s2_client" else (
                    "esp", {"billing_reads"}
                )  # fmt: skip
                cid, secret = add_client(store, m.world.parties[party], name, scopes, T0)
                creds = {"grant_type": "client_credentials", "client_id": cid, "client_secret": secret}
                principals[name] = Principal(name, TestClient(site), {}, creds)
            else:
                c = TestClient(site)
                principals[name] = Principal(name, c, m.login(name, c))
        yield Env(m, principals, api)


# ----------------------------------------------------------------------------------------------- case builders

Request = tuple[str, str, dict[str, Any]]
"""(method, path, httpx keyword arguments)."""


def _iso(t: datetime) -> str:
    return t.isoformat()


def _point_path(route: str, env: Env, point: str) -> str:
    return route.replace("{point_id}", str(env.point(point)))


def check_point_data(env: Env, route: APIRoute, who: Principal, case: str) -> None:
    point, start, end, allowed = DATA[who.name][case]
    if route.path.endswith("/billing-reads") and (who.name, case) in NO_BILLING:
        allowed = False
    params = {"from": _iso(start), "to": _iso(end)}
    if route.path.endswith("/series"):
        params["resolution"] = "day"
    r = who.client.request(sorted(route.methods)[0], PREFIX + _point_path(route.path, env, point), params=params)
    where = f"{who.name} {case} {route.path}"
    if not allowed:
        assert r.status_code == 404, f"{where}: {r.status_code} {r.text[:200]}"
        assert r.json()["detail"] == "No such metering point.", where
        return
    assert r.status_code == 200, f"{where}: {r.status_code} {r.text[:200]}"
    spans = VISIBLE[who.name][point]
    if route.path.endswith(("/espi", ".csv")):  # a file: every interval in it lies inside what may be seen
        for a, b in _file_intervals(route.path, r.content):
            assert start <= a < b <= end and any(s <= a and b <= e for s, e in spans), f"{where}: leaked {a}"
        return
    body = r.json()
    for w in body.get("windows", []):
        a, b = datetime.fromisoformat(w["from"]), datetime.fromisoformat(w["to"])
        assert start <= a < b <= end and any(s <= a and b <= e for s, e in spans), f"{where}: leaked window {w}"


def _file_intervals(path: str, content: bytes) -> list[tuple[datetime, datetime]]:
    """The [start, end) of every interval of a Green Button feed (its IntervalReadings) or a CSV download."""
    if path.endswith("/espi"):
        espi = "{http://naesb.org/espi}"
        out = []
        for r in ET.fromstring(content).iter(f"{espi}IntervalReading"):
            t = int(r.findtext(f"{espi}timePeriod/{espi}start") or 0)
            d = int(r.findtext(f"{espi}timePeriod/{espi}duration") or 0)
            out.append((datetime.fromtimestamp(t, UTC), datetime.fromtimestamp(t + d, UTC)))
        return out
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[1] == ["start", "end", "value", "unit", "quality"], rows[:2]
    return [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b, *_ in rows[2:]]


def check_points_data(env: Env, route: APIRoute, who: Principal, case: str) -> None:
    """A batch names the case's point and an unknown one: each answered on its own, as the single-point route."""
    point, start, end, allowed = DATA[who.name][case]
    body = {"metering_points": [env.point(point), 99_999], "from": _iso(start), "to": _iso(end), "resolution": "day"}
    r = who.client.post(PREFIX + route.path, json=body, headers=who.headers)
    where = f"{who.name} {case} {route.path}"
    assert r.status_code == 200, f"{where}: {r.status_code} {r.text[:200]}"
    mine, unknown = r.json()["items"]
    assert unknown["status"] == 404 and "series" not in unknown, where
    if not allowed:
        assert mine["status"] == 404 and "series" not in mine, f"{where}: {mine}"
        assert mine["problem"] == {**unknown["problem"]}, where  # nothing tells "not yours" from "unknown"
        return
    assert mine["status"] == 200, f"{where}: {mine}"
    spans = VISIBLE[who.name][point]
    for w in mine["series"]["windows"]:
        a, b = datetime.fromisoformat(w["from"]), datetime.fromisoformat(w["to"])
        assert start <= a < b <= end and any(s <= a and b <= e for s, e in spans), f"{where}: leaked window {w}"


def check_point_inventory(env: Env, route: APIRoute, who: Principal, case: str) -> None:
    point = DATA[who.name][case][0]
    r = who.client.get(PREFIX + _point_path(route.path, env, point))
    where = f"{who.name} {case} {route.path}"
    if point in INVENTORY[who.name]:
        assert r.status_code == 200, f"{where}: {r.status_code} {r.text[:200]}"
    else:
        assert r.status_code == 404 and r.json()["detail"] == "No such metering point.", f"{where}: {r.text[:200]}"


def check_authenticated(env: Env, route: APIRoute, who: Principal, case: str) -> None:
    method = sorted(route.methods)[0]
    if route.path == "/auth/logout":  # ending the session would end the matrix: log out a second session
        if who.name.endswith("_client"):
            r = who.client.post(PREFIX + route.path)
            assert r.status_code == 200 and r.json() == {"sessions_ended": 0}
            return
        c = TestClient(who.client.app)
        r = c.post(PREFIX + route.path, headers=env.market.login(who.name, c))
        assert r.status_code == 200 and r.json() == {"sessions_ended": 1}
        return
    r = who.client.request(method, PREFIX + route.path)
    assert r.status_code == 200, f"{who.name} {route.path}: {r.status_code} {r.text[:200]}"
    assert TestClient(who.client.app).request(method, PREFIX + route.path).status_code == 401  # without credentials
    body = r.json()
    me = env.party(who.name if who.name in env.market.world.parties else {"op": "op", "auditor": "audit",
                   "installer": "inst", "s2_client": "s2", "esp_billing_client": "esp"}[who.name])  # fmt: skip
    if route.path == "/metering-points":
        listed = {i["id"] for i in body["items"]}
        assert listed == {env.point(p) for p in INVENTORY[who.name]}, f"{who.name}: listing {listed}"
    elif route.path == "/consents" and ROLE[who.name] not in ("operator", "auditor"):
        assert all(me in (c["grantor"], c["grantee"]) for c in body["items"]), f"{who.name}: someone else's consent"
    elif route.path == "/access-log" and ROLE[who.name] == "customer":
        mine = VISIBLE[who.name]
        for e in body["items"]:
            assert any(str(env.point(p)) == str(e["metering_point"]) for p in mine), f"{who.name}: {e}"
    elif route.path == "/parties" and ROLE[who.name] not in ("operator", "auditor"):
        assert all(p["kind"] in ("dso", "supplier", "esp") or p["id"] == me for p in body["items"])


def check_public(env: Env, route: APIRoute, who: Principal, case: str) -> None:
    if case != "own":  # a public route has no own or other: asked once per principal (the address throttle)
        return
    body = {"username": f"nobody-{who.name}", "password": "x" * 12}
    r = TestClient(who.client.app).post(PREFIX + route.path, json=body)
    assert r.status_code in (401, 422), f"{route.path}: {r.status_code}"  # answers without credentials, no 5xx


def _new_consent(env: Env, grantor: str, status: str) -> int:
    store, p = env.market.store, env.market.world.parties
    point = {"alice": "P1", "bob": "P1", "carol": "P2"}[grantor]
    start = MOVE if grantor == "bob" else T0
    # to esp2, a party outside the matrix: the consents the action checks make change nobody's expectations
    return store.add_consent(p[grantor], p["esp2"], [env.point(point)], ["interval_data"], start, None, status, T0)


def check_action(env: Env, route: APIRoute, who: Principal, case: str) -> None:
    action = (route.openapi_extra or {})[POLICY_KEY].removeprefix("action:")
    is_customer = who.name in CUSTOMERS
    other = {"alice": "carol", "bob": "carol", "carol": "alice"}.get(who.name, "carol")
    own_case = case == "own"
    where = f"{who.name} {case} {route.path}"
    if action == "consents.grant":
        point, start, _, _ = DATA[who.name][case]
        body = {"grantee": env.party("esp2"), "metering_points": [env.point(point)], "scopes": ["interval_data"],
                "valid_from": _iso(start)}  # fmt: skip
        r = who.client.post(PREFIX + route.path, json=body, headers=who.headers)
        expected = (201 if own_case else 422) if is_customer else 403
    elif action == "consent_requests.create":
        point = DATA[who.name][case][0]
        ean = f"LU0000000000000000000000000000{point}".replace("P", "P0")
        body = {"eans": [ean], "scopes": ["interval_data"], "valid_from": _iso(T0)}
        r = who.client.post(PREFIX + route.path, json=body, headers=who.headers)
        expected = 201 if who.name in ASKERS else 403
    else:
        wanted = "active" if action == "consents.revoke" else "requested"
        cid = _new_consent(env, who.name if (is_customer and own_case) else other, wanted)
        r = who.client.post(PREFIX + route.path.replace("{consent_id}", str(cid)), headers=who.headers)
        expected = (200 if own_case else 404) if is_customer else 403
    assert r.status_code == expected, f"{where}: {r.status_code} (expected {expected}) {r.text[:200]}"
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith("application/problem+json"), where


WEBHOOKS = {"dsoA", "dsoB", "s1", "s2", "esp"}  # may manage webhooks (the clients' tokens lack the scope)


def _party_of(env: Env, who: Principal) -> int:
    return env.party(who.name if who.name in env.market.world.parties else {"op": "op", "auditor": "audit",
                     "installer": "inst", "s2_client": "s2", "esp_billing_client": "esp"}[who.name])  # fmt: skip


def check_webhooks(env: Env, route: APIRoute, who: Principal, case: str) -> None:
    """Add, list, delete: a market party's own subscriptions; another party's is a 404; other roles 403."""
    store, me, allowed = env.market.store, _party_of(env, who), who.name in WEBHOOKS
    where = f"{who.name} {case} {route.path}"
    method = sorted(route.methods)[0]
    if method == "POST":
        body = {"url": f"https://hooks.example.lu/{who.name}", "events": ["data.new"]}
        r = who.client.post(PREFIX + route.path, json=body, headers=who.headers)
        expected = 201 if allowed else 403
    elif method == "GET":
        r = who.client.get(PREFIX + route.path)
        expected = 200 if allowed else 403
        if r.status_code == 200:
            mine = {s.id for s in store.webhooks_of_party(me)}
            assert {i["id"] for i in r.json()["items"]} == mine, f"{where}: someone else's webhook"
    else:
        owner = me if case == "own" else env.party("esp2")
        wid = store.add_webhook(owner, "https://hooks.example.lu/x", ("data.new",), "whsec_matrix", T0)
        r = who.client.delete(PREFIX + route.path.replace("{webhook_id}", str(wid)), headers=who.headers)
        expected = (204 if case == "own" else 404) if allowed else 403
    assert r.status_code == expected, f"{where}: {r.status_code} (expected {expected}) {r.text[:200]}"
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith("application/problem+json"), where


def check_p1_latest(env: Env, route: APIRoute, who: Principal, case: str) -> None:
    point = DATA[who.name][case][0]
    r = who.client.get(PREFIX + _point_path(route.path, env, point), params={"limit": 1000})
    where = f"{who.name} {case} {route.path}"
    if point not in LIVE.get(who.name, set()):
        assert r.status_code == 404 and r.json()["detail"] == "No such metering point.", f"{where}: {r.text[:200]}"
        return
    assert r.status_code == 200, f"{where}: {r.status_code} {r.text[:200]}"
    spans = VISIBLE[who.name][point]
    seen = [datetime.fromisoformat(i["read_at"]) for i in r.json()["items"]]
    assert all(any(s <= t < e for s, e in spans) for t in seen), f"{where}: leaked {seen}"
    expected = {t for t in LIVE_SEEN.get(point, []) if any(s <= t < e for s, e in spans)}
    assert expected <= set(seen), f"{where}: {seen} lacks {expected}"


def check_p1_forward(env: Env, route: APIRoute, who: Principal, case: str) -> None:
    point, start, _, _ = DATA[who.name][case]
    at = start if case == "outside_period" else NOW - timedelta(hours=1)
    body = {"meter": "E0000000000000009", "system_title": "4D4D4D0000000009",
            "readings": [{"timestamp": _iso(at), "frame_counter": 7, "power_import_w": 1234}]}  # fmt: skip
    r = who.client.post(PREFIX + _point_path(route.path, env, point), json=body, headers=who.headers)
    where = f"{who.name} {case} {route.path}"
    if who.name not in CUSTOMERS:
        assert r.status_code == 403, f"{where}: {r.status_code} {r.text[:200]}"
        return
    if FORWARDERS.get(who.name) != point:
        assert r.status_code == 404 and r.json()["detail"] == "No such metering point.", f"{where}: {r.text[:200]}"
        return
    assert r.status_code == 200, f"{where}: {r.status_code} {r.text[:200]}"
    got = r.json()
    if case == "outside_period":  # the former occupant's time (or before the move-in): refused, not stored
        assert got["refused"] == 1 and got["stored"] == 0, f"{where}: {got}"
    else:
        assert got["refused"] == 0 and got["stored"] + got["duplicates"] == 1, f"{where}: {got}"


CHECKS: dict[str, Callable[[Env, APIRoute, Principal, str], None]] = {
    "public": check_public,
    "authenticated": check_authenticated,
    "point:inventory": check_point_inventory,
    "point:interval_data": check_point_data,
    "point:billing_reads": check_point_data,
    "points:interval_data": check_points_data,
    "action:consents.grant": check_action,
    "action:consents.revoke": check_action,
    "action:consent_requests.create": check_action,
    "action:consent_requests.answer": check_action,
    "action:webhooks.manage": check_webhooks,
    "action:p1.forward": check_p1_forward,
    "point:live_p1": check_p1_latest,
}
"""The case builder of each declared policy the app uses."""


def the_api(env: Env) -> FastAPI:
    return env.api


def test_every_route_has_a_policy_and_a_case_builder(env: Env) -> None:
    routes = api_routes(the_api(env))
    assert len(routes) >= 16
    assert undeclared_routes(the_api(env)) == []
    missing = sorted({(r.openapi_extra or {}).get(POLICY_KEY, "?") for r in routes} - set(CHECKS))
    assert missing == [], f"routes whose policy has no case builder in the RBAC matrix: {missing}"


def test_a_route_without_a_declared_policy_is_refused(env: Env) -> None:
    app = create_api(env.market.store)
    app.get("/sneaky")(lambda: {"all": "data"})
    assert undeclared_routes(app) == ["['GET'] /sneaky"]
    app2 = create_api(env.market.store)
    app2.get("/declared", openapi_extra=policy("authenticated"))(lambda: {})
    assert undeclared_routes(app2) == []
    with pytest.raises(ValueError, match="unknown route policy"):
        policy("everyone")


def _matrix() -> list[tuple[str, str]]:
    return [(who, case) for who in ROLE for case in CASES]


@pytest.mark.parametrize(("who", "case"), _matrix())
def test_rbac_matrix(env: Env, who: str, case: str) -> None:
    """Every route for this principal and case; each call's expectation from the tables above."""
    env.principals[who].refresh()
    for route in api_routes(the_api(env)):
        CHECKS[(route.openapi_extra or {})[POLICY_KEY]](env, route, env.principals[who], case)
