"""The consent pages on SQLite and PostgreSQL: a customer accepts a party's request and the party's API access to
the point starts, revokes it and the access ends at once (404, as for any point not its own); a grant made on the
form, refused in the API's words when it reaches back before the customer's own move-in; the party's side lists
its consents; "who read my data" shows the party's read; CSRF on every form."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from meterhub.country import LOCAL_TZ
from tests.api.world import MOVE, NOW, PASSWORD, add_interval_data
from tests.portal.conftest import Site


def _api_login(site: Site, c: TestClient, username: str) -> None:
    r = c.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD, "totp": site.code(username)})
    assert r.status_code == 200, r.text


def _consent_ids(html: str, status: str) -> list[int]:
    return [int(x) for x in re.findall(rf'data-consent="(\d+)" data-status="{status}"', html)]


def test_accept_then_revoke_ends_the_partys_access_at_once(site: Site) -> None:
    add_interval_data(site.store, site.world)
    carol, esp = site.client(), site.client()
    csrf = site.login(carol, "carol")
    _api_login(site, esp, "esp")
    p2 = site.world.points["P2"]
    asked = site.world.consents["carol_esp_asked"]
    assert esp.get(f"/api/v1/metering-points/{p2}").status_code == 404
    page = carol.get("/consents").text
    assert _consent_ids(page, "requested") == [asked] and "Waiting for your answer" in page
    assert carol.post(f"/consents/{asked}/accept", data={"csrf": "forged"}).status_code == 403
    assert carol.post(f"/consents/{asked}/accept", data={"csrf": csrf}).status_code == 303
    assert _consent_ids(carol.get("/consents").text, "active") == [asked]
    assert esp.get(f"/api/v1/metering-points/{p2}").status_code == 200
    r = esp.get(f"/api/v1/metering-points/{p2}/series",
                params={"channel": "1.0.1.8.0.255", "from": (NOW - timedelta(days=2)).isoformat(),
                        "to": NOW.isoformat()})  # fmt: skip
    reads = carol.get("/consents/reads").text
    assert r.status_code == 200, r.text  # no data there, but the read of carol's period is logged
    assert "ESP" in reads and "LU0000000000000000000000000000P02" in reads and "consent" in reads
    # the party's side lists it
    esp_web = site.client()
    site.login(esp_web, "esp")  # enrolled already: its API login used a code
    assert asked in _consent_ids(esp_web.get("/consents").text, "active")
    # revoke: the ESP's next request is a 404
    assert carol.post(f"/consents/{asked}/revoke", data={"csrf": csrf}).status_code == 303
    assert esp.get(f"/api/v1/metering-points/{p2}").status_code == 404
    assert _consent_ids(carol.get("/consents").text, "revoked") == [asked]
    assert carol.post(f"/consents/{asked}/revoke", data={"csrf": csrf}).status_code == 409  # already ended


def test_grant_on_the_form_within_the_own_occupancy_only(site: Site) -> None:
    bob = site.client()
    csrf = site.login(bob, "bob")
    p1, s1 = site.world.points["P1"], site.world.parties["s1"]
    page = bob.get("/consents").text
    assert f'name="points" value="{p1}"' in page and "Give a supplier or a service provider access" in page
    before = (MOVE - timedelta(days=5)).astimezone(LOCAL_TZ).date()
    form = {"csrf": csrf, "grantee": str(s1), "points": [str(p1)], "scopes": ["billing_reads"],
            "valid_from": str(before), "valid_to": ""}  # fmt: skip
    r = bob.post("/consents", data=form)
    assert r.status_code == 422 and "cannot be given as it stands" in r.text
    after = (MOVE + timedelta(days=1)).astimezone(LOCAL_TZ).date()
    r = bob.post(
        "/consents",
        data={
            **form,
            "valid_from": str(after),
            "valid_to": str((NOW + timedelta(days=90)).astimezone(LOCAL_TZ).date()),
        },
    )
    assert r.status_code == 303
    mine = [c for c in site.store.consents_of_party(site.world.parties["bob"]) if c.grantee_id == s1]
    assert len(mine) == 1 and mine[0].status == "active" and mine[0].scopes == ("billing_reads",)
    assert mine[0].valid_from.astimezone(LOCAL_TZ).date() == after
    r = bob.post("/consents", data={**form, "points": [], "valid_from": str(after)})
    assert r.status_code == 422 and "Choose at least one metering point" in r.text
    assert bob.post("/consents", data={**form, "csrf": "x"}).status_code == 403
    # another customer's consent is a 404
    other = site.world.consents["carol_esp_asked"]
    assert bob.post(f"/consents/{other}/accept", data={"csrf": csrf}).status_code == 404
