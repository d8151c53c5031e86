"""``/api/v1/tariffs`` over real HTTP handling (TestClient on the site): a supplier creates a draft, a bad tariff
is a 422 problem naming the field, publishing puts it in the public list (any logged-in party sees it; drafts
nobody but their supplier), another supplier's tariff is a 404 and a customer may not write one (403),
publishing a new version closes the old one, and withdrawal ends it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from meterhub.country import LOCAL_TZ
from meterhub.mdm.tariffs import single_rate
from tests.api.conftest import Market

DAY = [{"start": "00:00", "rate": 2}, {"start": "06:00", "rate": 1}, {"start": "22:00", "rate": 2}]
HP_HC: dict[str, Any] = {
    "name": "Duo",
    "rates": [
        {"number": 1, "name": "day", "price_eur_kwh": 0.18},
        {"number": 2, "name": "night", "price_eur_kwh": 0.12},
    ],
    "days": [{"day_id": 1, "switches": DAY}, {"day_id": 2, "switches": [{"start": "00:00", "rate": 2}]}],
    "weeks": [{"name": "w", "days": [1, 1, 1, 1, 1, 2, 2]}],
    "seasons": [{"name": "year", "start": "01-01", "week": "w"}],
    "holiday_day_id": 2,
    "fixed_eur_month": 6.0,
}  # fmt: skip


def _client(market: Market, who: str) -> tuple[TestClient, dict[str, str]]:
    c = market.fresh_client()
    return c, market.login(who, c)


def _today(market: Market) -> date:
    return market.clock().astimezone(LOCAL_TZ).date()


def test_a_supplier_creates_publishes_and_everybody_reads(market: Market) -> None:
    s1, h1 = _client(market, "s1")
    r = s1.post("/api/v1/tariffs", json=HP_HC, headers=h1)
    assert r.status_code == 201, r.text
    made = r.json()
    assert (
        made["status"] == "draft" and made["valid_from"] is None and made["definition"]["rates"][1]["name"] == "night"
    )
    assert r.headers["location"] == f"/api/v1/tariffs/{made['id']}"
    carol, _ = _client(market, "carol")
    assert carol.get("/api/v1/tariffs").json()["items"] == []  # a draft is nobody else's business
    assert carol.get(f"/api/v1/tariffs/{made['id']}").status_code == 404
    assert s1.get(f"/api/v1/tariffs/{made['id']}").json()["status"] == "draft"

    start = _today(market) + timedelta(days=1)
    r = s1.post(f"/api/v1/tariffs/{made['id']}/publish", json={"valid_from": start.isoformat()}, headers=h1)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "published" and r.json()["valid_from"] == start.isoformat()
    listed = carol.get("/api/v1/tariffs").json()["items"]
    assert [(i["id"], i["supplier"]["name"], i["name"]) for i in listed] == [(made["id"], "S1", "Duo")]
    assert carol.get("/api/v1/tariffs", params={"supplier": market.world.parties["s2"]}).json()["items"] == []
    esp, _ = _client(market, "esp")
    assert esp.get(f"/api/v1/tariffs/{made['id']}").json()["definition"]["holiday_day_id"] == 2
    assert TestClient(market.client.app).get("/api/v1/tariffs").status_code == 401  # logged in only

    # a new version of the same tariff closes the old one where it starts
    cheaper = {**HP_HC, "fixed_eur_month": 5.0}
    v2 = s1.post("/api/v1/tariffs", json=cheaper, headers=h1).json()["id"]
    again = s1.post(f"/api/v1/tariffs/{v2}/publish", json={"valid_from": start.isoformat()}, headers=h1)
    assert again.status_code == 409 and "later day" in again.json()["detail"]
    later = start + timedelta(days=30)
    assert (
        s1.post(f"/api/v1/tariffs/{v2}/publish", json={"valid_from": later.isoformat()}, headers=h1).status_code == 200
    )
    assert s1.get(f"/api/v1/tariffs/{made['id']}").json()["valid_to"] == later.isoformat()

    # withdrawn before it starts: never in force, and the version it had closed runs on
    r = s1.post(f"/api/v1/tariffs/{v2}/withdraw", json={}, headers=h1)
    assert r.status_code == 200 and r.json()["status"] == "withdrawn" and r.json()["valid_from"] is None
    assert s1.get(f"/api/v1/tariffs/{made['id']}").json()["valid_to"] is None
    assert [i["id"] for i in carol.get("/api/v1/tariffs").json()["items"]] == [made["id"]]


def test_validation_problems_name_the_field(market: Market) -> None:
    s1, h1 = _client(market, "s1")
    bad = {**HP_HC, "days": [{"day_id": 1, "switches": [{"start": "06:00", "rate": 1}]}]}
    r = s1.post("/api/v1/tariffs", json=bad, headers=h1)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert "day profile 1 must start with a switch at 00:00" in r.json()["detail"]
    r = s1.post("/api/v1/tariffs", json={**HP_HC, "rates": [{"number": 1, "name": "x", "price_eur_kwh": "cheap"}]},
                headers=h1)  # fmt: skip
    assert r.status_code == 422 and "rates[0].price_eur_kwh" in r.json()["detail"]
    huge = [{"name": "s", "start": "99999999999999-01", "week": "w"}]  # a month too large for a date
    r = s1.post("/api/v1/tariffs", json={**HP_HC, "seasons": huge}, headers=h1)
    assert r.status_code == 422
    assert s1.post("/api/v1/tariffs", json=[1, 2], headers=h1).status_code == 422
    made = s1.post("/api/v1/tariffs", json=HP_HC, headers=h1).json()["id"]
    past = _today(market) - timedelta(days=1)
    r = s1.post(f"/api/v1/tariffs/{made}/publish", json={"valid_from": past.isoformat()}, headers=h1)
    assert r.status_code == 422 and r.json()["field"] == "valid_from"
    r = s1.post(f"/api/v1/tariffs/{made}/publish", json={"valid_from": "soon"}, headers=h1)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert s1.post(f"/api/v1/tariffs/{made}/withdraw", json={}, headers=h1).status_code == 409  # a draft


def test_another_suppliers_tariff_is_a_404_and_a_customer_writes_none(market: Market) -> None:
    flat = single_rate("Flat", 0.15, 5.0).to_dict()
    s1_tariff = market.store.publish_tariff(
        market.world.parties["s1"], "Flat", flat, date(2025, 1, 1), now=market.clock()
    )
    draft = market.store.add_tariff_draft(market.world.parties["s1"], "Next", flat, now=market.clock())
    s2, h2 = _client(market, "s2")
    tomorrow = (_today(market) + timedelta(days=1)).isoformat()
    for path, body in [(f"{draft}/publish", {"valid_from": tomorrow}), (f"{s1_tariff}/withdraw", {})]:
        r = s2.post(f"/api/v1/tariffs/{path}", json=body, headers=h2)
        assert r.status_code == 404 and r.json()["detail"] == "No such tariff.", r.text
    assert s2.get(f"/api/v1/tariffs/{draft}").status_code == 404
    assert s2.get(f"/api/v1/tariffs/{s1_tariff}").status_code == 200  # published: public
    carol, hc = _client(market, "carol")
    assert carol.post("/api/v1/tariffs", json=flat, headers=hc).status_code == 403
    assert carol.post(f"/api/v1/tariffs/{s1_tariff}/withdraw", json={}, headers=hc).status_code == 403
    assert market.store.get_tariff(s1_tariff).status == "published"  # type: ignore[union-attr]
    assert market.store.get_tariff(draft).status == "draft"  # type: ignore[union-attr]


def test_a_suppliers_client_with_the_scope_publishes(market: Market) -> None:
    """An OAuth2 client of s2 with the tariffs.manage scope writes and publishes; without the scope, 403."""
    from meterhub.api.users import add_client

    c = market.fresh_client()
    for scopes, expected in [({"interval_data"}, 403), ({"tariffs.manage"}, 201)]:
        cid, secret = add_client(
            market.store, market.world.parties["s2"], f"s2 {sorted(scopes)}", scopes, market.clock()
        )
        form = {"grant_type": "client_credentials", "client_id": cid, "client_secret": secret}
        token = c.post("/api/v1/oauth/token", data=form).json()["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        r = c.post("/api/v1/tariffs", json=HP_HC, headers=bearer)
        assert r.status_code == expected, r.text
    tomorrow = (_today(market) + timedelta(days=1)).isoformat()
    r = c.post(f"/api/v1/tariffs/{r.json()['id']}/publish", json={"valid_from": tomorrow}, headers=bearer)
    assert r.status_code == 200 and r.json()["supplier"]["id"] == market.world.parties["s2"]
