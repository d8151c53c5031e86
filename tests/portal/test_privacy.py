"""The privacy page on SQLite and PostgreSQL: the access log shows another party's read under its consent (by name,
not id); the archive holds the expected files and interval data cut to the occupant's own occupancy (bob, who moved
into P1 at MOVE, gets nothing of alice's); a consent granted on the page writes e-mails to the outbox — in French
for a household whose contact is French — and a revocation tells the party too; the contact form refuses a bad
address; other roles find a 404."""

from __future__ import annotations

import csv
import email
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from fastapi.testclient import TestClient

from meterhub.api.notify import Outbox
from meterhub.country import LOCAL_TZ
from meterhub.portal.site import create_site
from tests.api.world import MOVE, NOW, PASSWORD, T0, add_interval_data
from tests.portal.conftest import Site


def _client(site: Site, outbox: Path) -> TestClient:
    return TestClient(create_site(site.store, clock=site.clock, mailer=Outbox(outbox)), follow_redirects=False)


def _mails(outbox: Path) -> list[EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=default) for p in Outbox(outbox).messages()]  # type: ignore[misc]


def test_the_access_log_shows_another_partys_read_under_its_consent(site: Site) -> None:
    add_interval_data(site.store, site.world)
    esp = site.client()
    r = esp.post("/api/v1/auth/login", json={"username": "esp", "password": PASSWORD, "totp": site.code("esp")})
    assert r.status_code == 200
    p1 = site.world.points["P1"]
    r = esp.get(f"/api/v1/metering-points/{p1}/series",
                params={"channel": "1.0.1.8.0.255", "from": (MOVE + timedelta(days=1)).isoformat(),
                        "to": (MOVE + timedelta(days=3)).isoformat(), "resolution": "day"})  # fmt: skip
    assert r.status_code == 200, r.text
    bob = site.client()
    site.login(bob, "bob")
    page = bob.get("/privacy")
    assert page.status_code == 200
    log = page.text.split('data-testid="access-log"')[1].split("</table>")[0]
    consent = site.world.consents["bob_esp"]
    assert "ESP" in log and "LU0000000000000000000000000000P01" in log
    assert f"your consent no. {consent}" in log
    assert "quarter-hour consumption" in log
    # alice moved out before the ESP's period: her log has nothing of it
    alice = site.client()
    site.login(alice, "alice")
    assert "your consent no." not in alice.get("/privacy").text
    # in German
    assert "Ihre Einwilligung Nr." in bob.get("/privacy?lang=de").text


def test_the_archive_holds_my_data_cut_to_my_occupancy(site: Site) -> None:
    add_interval_data(site.store, site.world)
    bob = site.client()
    site.login(bob, "bob")
    r = bob.get("/privacy/archive.zip")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(r.content))
    names = set(z.namelist())
    csv_name = "intervals/LU0000000000000000000000000000P01_electricity_import.csv"
    assert {"README.txt", "account.json", "metering_points.json", "consents.json", "access_log.csv", csv_name} <= names
    account = json.loads(z.read("account.json"))
    assert account["login"]["username"] == "bob" and account["login"]["authenticator_app"] is False
    assert "password" not in z.read("account.json").decode().replace("your password", "")
    points = json.loads(z.read("metering_points.json"))
    assert [p["ean"] for p in points] == ["LU0000000000000000000000000000P01"]
    (p1,) = points
    assert p1["your_occupancy"] == [{"from": MOVE.astimezone(LOCAL_TZ).isoformat(), "to": None}]
    assert "ALICE" not in z.read("metering_points.json").decode()
    assert [s["supplier"] for s in p1["suppliers_of_record"]] == ["S1", "S2"]
    assert p1["suppliers_of_record"][0]["from"] == MOVE.astimezone(LOCAL_TZ).isoformat()
    consents = json.loads(z.read("consents.json"))
    assert [c["party"] for c in consents] == ["ESP"]
    rows = list(csv.DictReader(io.StringIO(z.read(csv_name).decode())))
    first, last = datetime.fromisoformat(rows[0]["start"]), datetime.fromisoformat(rows[-1]["start"])
    assert first == MOVE and last < NOW
    assert len(rows) == (NOW - MOVE) // timedelta(minutes=15)  # every slot of bob's windows, missing ones too
    assert {(r["value_Wh"], r["quality"]) for r in rows} == {("100", "measured"), ("", "missing")}
    assert sum(r["quality"] == "missing" for r in rows) == 8  # the data ends at local midnight, NOW is UTC's
    starts = [r["start"] for r in rows]  # local time with its offset, across the spring DST change
    at = starts.index("2025-03-30T01:45:00+01:00")
    assert starts[at + 1] == "2025-03-30T03:00:00+02:00"
    assert [datetime.fromisoformat(x) for x in starts[at : at + 2]] == [
        datetime(2025, 3, 30, 0, 45, tzinfo=UTC), datetime(2025, 3, 30, 1, 0, tzinfo=UTC)]  # fmt: skip
    # alice's archive: her quarter-hours end where bob's start, and nothing of his
    alice = site.client()
    site.login(alice, "alice")
    za = zipfile.ZipFile(io.BytesIO(alice.get("/privacy/archive.zip").content))
    rows_a = list(csv.DictReader(io.StringIO(za.read(csv_name).decode())))
    assert datetime.fromisoformat(rows_a[0]["start"]) == T0
    assert datetime.fromisoformat(rows_a[-1]["start"]) == MOVE - timedelta(minutes=15)
    assert "estimated" in {r["quality"] for r in rows_a}  # the 10th day
    assert json.loads(za.read("consents.json")) == []
    # the first archive's reads are logged: bob's second archive lists them as his own, alice's does not
    again = zipfile.ZipFile(io.BytesIO(bob.get("/privacy/archive.zip").content))
    assert "portal:privacy-archive" in again.read("access_log.csv").decode()


def test_a_grant_writes_mails_in_each_readers_language_and_a_revoke_tells_the_party(site: Site, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    bob = _client(site, outbox)
    csrf = site.login(bob, "bob")
    # bob's contact in French, through the form; the ESP's in English
    r = bob.post("/privacy/contact", data={"csrf": csrf, "email": "bob@example.lu", "lang": "fr", "consent_mail": "on"})
    assert r.status_code == 303
    site.store.set_contact(site.world.parties["s1"], "consents@s1.example", "en", True, NOW)
    p1, s1 = site.world.points["P1"], site.world.parties["s1"]
    start = (MOVE + timedelta(days=2)).astimezone(LOCAL_TZ).date()
    form = {"csrf": csrf, "back": "/privacy", "grantee": str(s1), "points": [str(p1)],
            "scopes": ["interval_data", "billing_reads"], "valid_from": str(start), "valid_to": ""}  # fmt: skip
    r = bob.post("/consents", data=form)
    assert r.status_code == 303 and r.headers["location"] == "/privacy"
    mails = _mails(outbox)
    assert sorted(m["To"] for m in mails) == ["bob@example.lu", "consents@s1.example"]
    to_bob = next(m for m in mails if m["To"] == "bob@example.lu")
    assert to_bob["Subject"] == "Vous avez donné à S1 l'accès à vos données"
    assert to_bob["Content-Language"] == "fr"
    body = to_bob.get_content()
    assert "LU0000000000000000000000000000P01" in body and "consommation au quart d'heure" in body
    assert "relevés de facturation" in body and "sans date de fin" in body and "/privacy" in body
    to_s1 = next(m for m in mails if m["To"] == "consents@s1.example")
    assert to_s1["Subject"].startswith("Consent ") and to_s1["Subject"].endswith(" granted")
    assert "bob" not in to_s1.get_content().lower()  # the party is not told who the household is
    assert all(PASSWORD not in bytes(m).decode() for m in mails)
    # revoke from the privacy page: both are told, the party in English
    cid = next(c.id for c in site.store.consents_of_party(site.world.parties["bob"]) if c.grantee_id == s1)
    assert bob.post(f"/consents/{cid}/revoke", data={"csrf": csrf, "back": "/privacy"}).status_code == 303
    revoked = _mails(outbox)[2:]
    assert sorted(m["Subject"] for m in revoked) == [f"Consent {cid} revoked", "S1 ne voit plus vos données"]
    # no consent mails wanted: nothing more for bob
    bob.post("/privacy/contact", data={"csrf": csrf, "email": "bob@example.lu", "lang": "de"})
    assert site.store.contact_of(site.world.parties["bob"]).consent_mail is False  # type: ignore[union-attr]


def test_a_request_over_the_api_tells_the_household(site: Site, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    site.store.set_contact(site.world.parties["carol"], "carol@example.lu", "de", True, NOW)
    esp = _client(site, outbox)
    r = esp.post("/api/v1/auth/login", json={"username": "esp", "password": PASSWORD, "totp": site.code("esp")})
    csrf = r.json()["csrf_token"]
    r = esp.post("/api/v1/consents/requests", headers={"X-CSRF-Token": csrf},
                 json={"eans": ["LU0000000000000000000000000000P02"], "scopes": ["live_p1"],
                       "valid_from": NOW.isoformat()})  # fmt: skip
    assert r.status_code == 201, r.text
    (mail,) = _mails(outbox)
    assert mail["To"] == "carol@example.lu" and mail["Subject"] == "ESP bittet um Einsicht in Ihre Daten"
    assert "Live-Daten der P1-Schnittstelle" in mail.get_content()


def test_the_contact_form_and_the_page_refuse_what_they_cannot_take(site: Site) -> None:
    bob = site.client()
    csrf = site.login(bob, "bob")
    r = bob.post("/privacy/contact", data={"csrf": csrf, "email": "not an address", "lang": "fr"})
    assert r.status_code == 422 and "not an e-mail address" in r.text
    r = bob.post("/privacy/contact", data={"csrf": csrf, "email": "bob@example.lu", "lang": "xx"})
    assert r.status_code == 422
    assert bob.post("/privacy/contact", data={"csrf": "forged", "email": "bob@example.lu"}).status_code == 403
    assert bob.get("/privacy?log=abc").status_code == 422
    assert bob.get("/privacy?log=0").status_code == 422
    # a grant reaching back before bob's move-in is refused on the privacy page itself, in the page's language
    p1, s1_id = site.world.points["P1"], site.world.parties["s1"]
    before = (MOVE - timedelta(days=5)).astimezone(LOCAL_TZ).date()
    form = {"csrf": csrf, "back": "/privacy", "grantee": str(s1_id), "points": [str(p1)], "scopes": ["interval_data"],
            "valid_from": str(before), "valid_to": ""}  # fmt: skip
    r = bob.post("/consents?lang=fr", data=form)
    assert r.status_code == 422 and "<h1>Vie privée</h1>" in r.text
    assert "Le consentement ne peut pas être donné tel quel." in r.text
    r = bob.post("/consents?lang=en", data={**form, "valid_from": "yesterday", "back": "https://evil.example"})
    assert r.status_code == 422 and "The start must be a day" in r.text and "<h1>Consents</h1>" in r.text
    s1 = site.client()
    site.login(s1, "s1")
    assert s1.get("/privacy").status_code == 404 and s1.get("/privacy/archive.zip").status_code == 404
