"""``meterhub serve`` as a real process over TCP: two uvicorn workers on one store share the sessions (a login
on one worker is honoured by the other) and answer the API; bad TLS options are refused without a traceback."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from meterhub.store import Store
from tests.api.conftest import make_market
from tests.api.world import MOVE, PASSWORD, T0
from tests.cli.conftest import invoke
from tests.hes.conftest import free_port_base, stop_process


def _wait_ready(url: str, process: subprocess.Popen[str], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1][-3000:]
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"meterhub serve did not answer {url} within {timeout} s")


def test_serve_two_workers_share_sessions_in_the_store(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Store.open(data) as store:
        make_market(store)
    port = free_port_base(1)
    process = subprocess.Popen(
        [sys.executable, "-m", "meterhub.cli.main", "--data-dir", str(data), "serve", "--workers", "2",
         "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        _wait_ready(f"{base}/openapi.json", process)
        with httpx.Client(base_url=base) as c:
            r = c.post("/auth/login", json={"username": "alice", "password": PASSWORD})
            assert r.status_code == 200, r.text
            assert "httponly" in r.headers["set-cookie"].lower() and "samesite=lax" in r.headers["set-cookie"].lower()
            # new connections land on either worker: the session must be known to both
            for _ in range(20):
                with httpx.Client(base_url=base, cookies=c.cookies) as fresh:
                    assert fresh.get("/me").json()["principal"] == "user:alice"
            params = {"from": T0.isoformat(), "to": MOVE.isoformat(), "resolution": "month"}
            series = c.get("/metering-points/1/series", params=params, headers={"X-Correlation-ID": "serve-1"})
            assert series.status_code == 200 and series.headers["X-Correlation-ID"] == "serve-1"
            assert series.json()["windows"][0]["right"] == "own"
            missing = c.get("/nope")
            assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    finally:
        stop_process(process)


def test_serve_refuses_half_a_tls_configuration(tmp_path: Path) -> None:
    Store.open(tmp_path).close()
    result = invoke("--data-dir", str(tmp_path), "serve", "--certfile", str(tmp_path / "cert.pem"))
    assert result.exit_code == 1 and "give both --certfile and --keyfile" in result.stderr
    (tmp_path / "cert.pem").write_text("x")
    result = invoke("--data-dir", str(tmp_path), "serve", "--certfile", str(tmp_path / "cert.pem"),
                    "--keyfile", str(tmp_path / "key.pem"))  # fmt: skip
    assert result.exit_code == 1 and "no such file" in result.stderr


def test_rate_limits_from_the_environment() -> None:
    from meterhub.portal.site import buckets_from_env
    from meterhub.security.throttle import BucketPolicy

    assert buckets_from_env(None) == {}
    assert buckets_from_env("user=10/0.5, client=200/20") == {
        "user_bucket": BucketPolicy(10, 0.5), "client_bucket": BucketPolicy(200, 20),
    }  # fmt: skip
    for bad in ("people=1/1", "user=lots", "user=0/1"):
        with pytest.raises(ValueError, match="MH_API_BUCKETS"):
            buckets_from_env(bad)


def test_the_deployment_from_the_environment(tmp_path: Path) -> None:
    from meterhub.portal.site import deployment_from_env

    assert deployment_from_env(None) == "production" and deployment_from_env("") == "production"
    assert deployment_from_env("test") == "test" and deployment_from_env(" demo ") == "demo"
    with pytest.raises(ValueError, match="MH_DEPLOYMENT"):
        deployment_from_env("staging")
    Store.open(tmp_path).close()
    result = invoke("--data-dir", str(tmp_path), "serve", env={"MH_DEPLOYMENT": "staging"})
    assert result.exit_code == 1 and "MH_DEPLOYMENT" in result.stderr  # refused before any worker starts
