"""``meterhub demo`` makes a market (suppliers, ESPs, customers, switches, moves, consents) and one login per
role in ``demo-logins.json``; every login works against the API and sees what its role should."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from meterhub.demo_market import ROLES
from meterhub.portal.site import create_site
from meterhub.security import totp
from meterhub.store import Store
from tests.cli.conftest import SmallDemo, cli


def test_demo_logins_work_for_every_role(small_demo: SmallDemo, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(small_demo.data_dir, data)
    logins = json.loads((data / "demo-logins.json").read_text())
    assert sorted(x["role"] for x in logins) == sorted(ROLES)
    assert ((data / "demo-logins.json").stat().st_mode & 0o777) == 0o600
    with Store.open(data) as store:
        assert len(store.list_parties("supplier")) >= 4 and len(store.list_parties("esp")) >= 2
        seen: dict[str, int] = {}
        for x in logins:
            c = TestClient(create_site(store))
            code = totp.code_at(x["totp_secret"], datetime.now(UTC)) if x["totp_secret"] else None
            r = c.post("/api/v1/auth/login", json={"username": x["username"], "password": x["password"], "totp": code})
            assert r.status_code == 200, (x["role"], r.text)
            assert (x["totp_secret"] is None) == (x["role"] == "customer")
            assert c.get("/api/v1/me").json()["role"] == x["role"]
            seen[x["role"]] = len(c.get("/api/v1/metering-points", params={"limit": 1000}).json()["items"])
        points = len(store.list_metering_points())
        assert seen["operator"] == seen["auditor"] == seen["installer"] == points
        assert 0 < seen["dso"] <= points and 0 < seen["supplier"] < points and seen["esp"] > 0
        assert seen["customer"] == 1
    # a second run adds nothing twice and keeps the logins
    again = cli("--data-dir", str(data), "demo", "--meters", str(small_demo.meters), "--concentrators", "1",
                "--no-serve", "--fleet-port-base", str(small_demo.port_base), timeout=300)  # fmt: skip
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads((data / "demo-logins.json").read_text()) == logins
    assert "demo-customer" in again.stdout
