"""Live P1 data end to end: ``meterhub sim p1`` makes telegrams, ``meterhub p1 read --forward … --consent
--forward-token`` forwards them as the customer to the real ``meterhub serve`` on 127.0.0.1, the platform stores
them, an ESP sees them only while it holds the customer's live_p1 consent (a 404 after the revocation); and the
endpoint's edges in process: no CSRF, a batch that is not the forwarder's, a repeat, someone else's point."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx

from meterhub.api.users import add_client
from meterhub.store import Store
from tests.api.conftest import Market, make_market
from tests.api.test_serve import _wait_ready
from tests.api.world import MOVE, NOW, PASSWORD
from tests.hes.conftest import free_port_base, stop_process
from tests.p1.conftest import KEY

CLI = [sys.executable, "-m", "meterhub.cli.main"]
START = "2026-11-24T10:00:00+01:00"


def test_forwarder_to_the_platform_visible_to_a_consented_esp_until_revoked(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Store.open(data) as store:
        m = make_market(store)
        p1, esp = m.world.points["P1"], m.world.parties["esp"]
        cid, secret = add_client(store, esp, "esp-live", {"live_p1"}, datetime.now(UTC))
    frames = tmp_path / "p1.bin"
    subprocess.run(
        [*CLI, "sim", "p1", "--serial", "LU0007", "--key", KEY.hex(), "--count", "6", "--out", str(frames),
         "--start", START],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    port = free_port_base(1)
    server = subprocess.Popen(
        [*CLI, "--data-dir", str(data), "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        _wait_ready(f"{base}/openapi.json", server)
        with httpx.Client(base_url=base) as bob, httpx.Client(base_url=base) as machine:
            login = bob.post("/auth/login", json={"username": "bob", "password": PASSWORD})
            assert login.status_code == 200, login.text
            csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
            token = bob.cookies["mh_session"]
            tok = machine.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": cid,
                                                     "client_secret": secret})  # fmt: skip
            assert tok.status_code == 200, tok.text
            machine.headers["Authorization"] = f"Bearer {tok.json()['access_token']}"
            latest = f"/metering-points/{p1}/p1/latest"
            assert machine.get(latest).status_code == 404  # no consent yet

            read = subprocess.run(
                [*CLI, "p1", "read", "--source", str(frames), "--json", "--quiet", "--forward",
                 f"{base}/metering-points/{p1}/p1", "--consent", "--forward-every", "0.2"],
                capture_output=True, text=True, timeout=120,
                env={"MH_P1_KEY": KEY.hex(), "MH_P1_FORWARD_TOKEN": token, "PATH": ""},
            )  # fmt: skip
            assert read.returncode == 0, read.stderr[-2000:]
            assert json.loads(read.stdout.splitlines()[-1])["frames_ok"] == 6
            assert token not in read.stdout + read.stderr

            mine = bob.get(latest, params={"limit": 10})
            assert mine.status_code == 200 and len(mine.json()["items"]) == 6, mine.text
            assert mine.json()["windows"][0]["right"] == "own"
            assert mine.json()["items"][0]["meter"] == "LU0007"

            grant = bob.post("/consents", headers=csrf, json={"grantee": esp, "metering_points": [p1],
                             "scopes": ["live_p1"], "valid_from": MOVE.isoformat()})  # fmt: skip
            assert grant.status_code == 201, grant.text
            seen = machine.get(latest, params={"limit": 10})
            assert seen.status_code == 200, seen.text
            body = seen.json()
            assert [i["frame_counter"] for i in body["items"]] == [i["frame_counter"] for i in mine.json()["items"]]
            assert body["windows"][0]["right"].startswith("consent:")
            assert all(i["read_at"].startswith("2026-11-24T09:00") for i in body["items"])  # the telegrams' own time

            revoke = bob.post(f"/consents/{grant.json()['id']}/revoke", headers=csrf)
            assert revoke.status_code == 200, revoke.text
            gone = machine.get(latest)
            assert gone.status_code == 404 and gone.json()["detail"] == "No such metering point."
            assert "items" not in gone.json()
    finally:
        stop_process(server)


def test_the_endpoint_refuses_what_is_not_the_customers_and_keeps_a_repeat_once(market: Market) -> None:
    c = market.fresh_client()
    headers = market.login("bob", c)
    p1, p2 = market.world.points["P1"], market.world.points["P2"]
    reading = {"timestamp": NOW.isoformat(), "frame_counter": 3, "power_import_w": 512}
    batch = {"meter": "LU0007", "system_title": "4D4D4D0000000007", "readings": [reading]}
    url = f"/api/v1/metering-points/{p1}/p1"
    assert c.post(url, json=batch).status_code == 403  # the session cookie without its CSRF token
    first = c.post(url, json=batch, headers=headers)
    assert first.status_code == 200 and first.json() == {"metering_point": p1, "stored": 1, "duplicates": 0,
                                                          "refused": 0}  # fmt: skip
    again = c.post(url, json=batch, headers=headers)
    assert again.json()["stored"] == 0 and again.json()["duplicates"] == 1  # a retried batch doubles nothing
    before_move = {**batch, "readings": [{**reading, "timestamp": (MOVE.replace(day=1)).isoformat()}]}
    assert c.post(url, json=before_move, headers=headers).json()["refused"] == 1  # alice's time, not bob's
    for bad in ({"readings": []}, {**batch, "readings": "x"}, {**batch, "system_title": "zz"},
                {**batch, "readings": [{"timestamp": "2026-11-24T10:00:00"}]}):  # fmt: skip
        r = c.post(url, json=bad, headers=headers)
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), r.text
    other = c.post(f"/api/v1/metering-points/{p2}/p1", json=batch, headers=headers)
    assert other.status_code == 404 and other.json()["detail"] == "No such metering point."
    latest = c.get(f"/api/v1/metering-points/{p1}/p1/latest", params={"limit": 5}).json()["items"]
    assert [(i["frame_counter"], i["power_import_w"]) for i in latest] == [(3, 512)]
