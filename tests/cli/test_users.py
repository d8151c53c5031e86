"""``meterhub users``: add (password policy, TOTP secret for staff), list, disable, reset-password, reset-mfa —
and the person can log in to the API with what the command printed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from meterhub.cli.main import app
from meterhub.portal.site import create_site
from meterhub.security import totp
from meterhub.store import Store

GOOD = "Qm4!harbour-Vt8#lantern"


def run(data: Path, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    r = CliRunner().invoke(app, ["--data-dir", str(data), *args], input=stdin, env={"COLUMNS": "120"})
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise AssertionError(f"raised {r.exception!r}") from r.exception
    return r.exit_code, r.stdout, r.stderr


def test_users_commands(tmp_path: Path) -> None:
    Store.open(tmp_path).close()
    add = ["users", "add", "ops1", "--role", "operator", "--party", "operator:lu", "--create-party", "Operator"]
    code, out, _ = run(tmp_path, *add, "--password-stdin", "--json", stdin=GOOD + "\n")
    assert code == 0, out
    made = json.loads(out)
    assert made["totp_secret"] and made["otpauth_uri"].startswith("otpauth://totp/")
    code, _, err = run(tmp_path, "users", "add", "ops2", "--role", "operator", "--party", "operator:lu",
                       "--password-stdin", stdin="password1234\n")  # fmt: skip
    assert code == 1 and "password" in err.lower()
    code, _, err = run(tmp_path, "users", "add", "x", "--role", "operator", "--party", "dso:nope", "--password-stdin",
                       stdin=GOOD + "\n")  # fmt: skip
    assert code == 1 and "no party" in err
    code, _, err = run(tmp_path, "users", "add", "ops3", "--role", "operator", "--party", "operator:lu", "--no-mfa",
                       "--password-stdin", stdin=GOOD + "\n")  # fmt: skip
    assert code == 1 and "mandatory" in err
    listed = json.loads(run(tmp_path, "users", "list", "--json")[1])["users"]
    assert [(u["username"], u["role"], u["mfa"], u["disabled"]) for u in listed] == [("ops1", "operator", True, False)]

    with Store.open(tmp_path) as store:
        c = TestClient(create_site(store))
        body = {"username": "ops1", "password": GOOD, "totp": totp.code_at(made["totp_secret"], datetime.now(UTC))}
        assert c.post("/api/v1/auth/login", json=body).status_code == 200
        assert c.get("/api/v1/me").status_code == 200
        disabled = json.loads(run(tmp_path, "users", "disable", "ops1", "--json")[1])
        assert disabled["sessions_ended"] == 1
        assert c.get("/api/v1/me").status_code == 401
        assert run(tmp_path, "users", "disable", "ops1", "--enable")[0] == 0
        reset = json.loads(run(tmp_path, "users", "reset-mfa", "ops1", "--json")[1])
        assert reset["totp_secret"] != made["totp_secret"]
        assert (
            run(tmp_path, "users", "reset-password", "ops1", "--password-stdin", stdin="Zr9$kettle-Bn3!meadow\n")[0]
            == 0
        )
        body = {"username": "ops1", "password": "Zr9$kettle-Bn3!meadow",
                "totp": totp.code_at(reset["totp_secret"], datetime.now(UTC))}  # fmt: skip
        assert c.post("/api/v1/auth/login", json=body).status_code == 200
    assert run(tmp_path, "users", "reset-mfa", "nobody")[0] == 1
    with Store.open(tmp_path) as store:
        c = TestClient(create_site(store))
        for _ in range(12):  # wrong passwords until the account is locked (the clock does not move here)
            c.post("/api/v1/auth/login", json={"username": "ops1", "password": "wrong wrong wrong"})
        assert store.throttle_rows(["account:ops1"])["account:ops1"].failures >= 4
        assert run(tmp_path, "users", "unlock", "ops1")[0] == 0
        assert store.throttle_rows(["account:ops1"])["account:ops1"].failures == 0
    assert run(tmp_path, "users", "unlock", "nobody")[0] == 1
