"""``meterhub users add|list|disable|enable|reset-password|reset-mfa`` on SQLite and PostgreSQL: the password from
stdin or a hidden prompt (never an argument), the policy's refusals in plain words with nothing stored, a role
that must match its party's kind, the TOTP secret shown once for staff (its code logs in), sessions ended by
disable / reset, and no secret in ``users list``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from meterhub.cli.main import app
from meterhub.portal.site import create_site
from meterhub.security import passwords, totp
from meterhub.store import Store
from meterhub.store.users import SessionRow
from tests.cli.conftest import CliResult, invoke
from tests.pg import BACKENDS, pg_schema

PASSWORD = "Vq7#mLw2!pZx9-Harbour"
OTHER = "Lantern-Quarry-71-Gossamer"


@dataclass
class Deployment:
    args: list[str]
    store: Store

    def run(self, *args: str, stdin: str | None = None) -> CliResult:
        from typer.testing import CliRunner

        from meterhub.cli.main import app

        result = CliRunner().invoke(
            app, [*self.args, *args], input=stdin, env={"COLUMNS": "200", "MH_STORE_URL": None, "MH_DATA_DIR": None}
        )
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"meterhub {' '.join(args)} raised {result.exception!r}") from result.exception
        return CliResult(result.exit_code, result.stdout, result.stderr, result.exception)


def _parties(store: Store) -> None:
    store.add_party("operator", "op", "Operator")
    store.add_dso("creos", "Creos")
    store.add_party("supplier", "enovos", "Enovos")
    store.add_party("customer", "c-0001", "A household")


@pytest.fixture(params=BACKENDS)
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    if request.param == "sqlite":
        data_dir = tmp_path / "data"
        store = Store.open(data_dir)
        _parties(store)
        try:
            yield Deployment(["--data-dir", str(data_dir)], store)
        finally:
            store.close()
        return
    with pg_schema() as url:
        store = Store.open(url)
        _parties(store)
        try:
            yield Deployment(["--store", url], store)
        finally:
            store.close()


def _ok(done: CliResult) -> dict:
    assert done.exit_code == 0, done.stdout + done.stderr
    out: dict = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["ok"] is True
    return out


def _refused(done: CliResult) -> str:
    assert done.exit_code == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    return str(json.loads(done.stdout.strip().splitlines()[-1])["error"])


def test_add_staff_shows_the_totp_secret_once_and_its_code_verifies(deployment: Deployment) -> None:
    out = _ok(deployment.run("users", "add", "anna", "--role", "dso", "--party", "CREOS", "--password-stdin",
                             "--json", stdin=PASSWORD + "\n"))  # fmt: skip
    assert out["role"] == "dso" and out["party"] == "creos" and out["mfa"] is True
    secret = out["totp_secret"]
    assert out["otpauth_uri"].startswith("otpauth://totp/meterhub:anna?secret=" + secret)
    user = deployment.store.user_by_name("anna")
    assert user is not None and user.totp_secret == secret
    assert user.password_hash.startswith("$argon2id$") and passwords.verify_password(user.password_hash, PASSWORD)
    now = datetime.now(UTC)
    assert isinstance(totp.verify_totp(secret, totp.code_at(secret, now), now, None), totp.TotpAccepted)
    listed = deployment.run("users", "list", "--json")
    assert secret not in listed.stdout and "argon2" not in listed.stdout
    assert [u["username"] for u in _ok(listed)["users"]] == ["anna"]


def test_add_on_a_terminal_shows_the_uri_and_a_qr_code(deployment: Deployment) -> None:
    done = deployment.run(
        "users", "add", "otto", "--role", "operator", "--party", "op", stdin=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert done.exit_code == 0, done.stdout + done.stderr
    user = deployment.store.user_by_name("otto")
    assert user is not None and user.totp_secret is not None
    assert f"otpauth://totp/meterhub:otto?secret={user.totp_secret}" in done.stdout
    assert "shown only once" in done.stdout and "█" in done.stdout  # the QR code, in block characters


def test_customer_has_no_mfa_unless_asked(deployment: Deployment) -> None:
    out = _ok(deployment.run("users", "add", "hh1", "--role", "customer", "--party", "c-0001", "--password-stdin",
                             "--json", stdin=PASSWORD))  # fmt: skip
    assert out["mfa"] is False and "totp_secret" not in out
    out = _ok(deployment.run("users", "add", "hh2", "--role", "customer", "--party", "c-0001", "--mfa",
                             "--password-stdin", "--json", stdin=PASSWORD))  # fmt: skip
    assert out["mfa"] is True and out["totp_secret"]


@pytest.mark.parametrize(
    ("password", "says"),
    [("short-one", "too short"), ("password1234", "too common"), ("aaaaaaaaaaaaaaaa", "easy to guess"),
     ("anna-anna-anna-anna", "")],
)  # fmt: skip
def test_weak_passwords_are_refused_in_plain_words_and_nothing_is_stored(
    deployment: Deployment, password: str, says: str
) -> None:
    error = _refused(deployment.run("users", "add", "anna", "--role", "dso", "--party", "creos", "--password-stdin",
                                    "--json", stdin=password + "\n"))  # fmt: skip
    assert says in error and error.startswith("This password") and password not in error
    assert deployment.store.user_by_name("anna") is None


def test_the_role_must_match_the_party_kind_and_names_must_be_known(deployment: Deployment) -> None:
    error = _refused(deployment.run("users", "add", "x", "--role", "supplier", "--party", "creos",
                                    "--password-stdin", "--json", stdin=PASSWORD))  # fmt: skip
    assert error == "a supplier belongs to a party of kind supplier, not dso"
    error = _refused(deployment.run("users", "add", "x", "--role", "supplier", "--party", "nope",
                                    "--password-stdin", "--json", stdin=PASSWORD))  # fmt: skip
    assert error == "no party nope of kind supplier (known: enovos; --create-party NAME creates it)"
    error = _refused(deployment.run("users", "add", "x", "--role", "king", "--party", "op", "--password-stdin",
                                    "--json", stdin=PASSWORD))  # fmt: skip
    assert error.startswith("unknown role 'king'")
    _ok(deployment.run("users", "add", "x", "--role", "supplier", "--party", "enovos", "--password-stdin", "--json",
                       stdin=PASSWORD))  # fmt: skip
    error = _refused(deployment.run("users", "add", "x", "--role", "supplier", "--party", "enovos",
                                    "--password-stdin", "--json", stdin=PASSWORD))  # fmt: skip
    assert error == "user 'x' exists already"
    assert _refused(deployment.run("users", "disable", "ghost", "--json")) == "no user 'ghost'"


def test_the_password_is_never_an_argument_and_the_prompt_asks_twice(deployment: Deployment) -> None:
    done = deployment.run("users", "add", "x", "--role", "supplier", "--party", "enovos", "--password", PASSWORD)
    assert done.exit_code == 2  # no such option
    done = deployment.run("users", "add", "x", "--role", "supplier", "--party", "enovos",
                          stdin=f"{PASSWORD}\n{OTHER}\n{PASSWORD}\n{PASSWORD}\n")  # fmt: skip
    assert done.exit_code == 0, done.stdout + done.stderr
    assert "do not match" in done.stderr + done.stdout
    user = deployment.store.user_by_name("x")
    assert user is not None and passwords.verify_password(user.password_hash, PASSWORD)
    assert PASSWORD not in done.stdout


def _session(store: Store, username: str, key: str) -> None:
    user = store.user_by_name(username)
    assert user is not None
    now = datetime.now(UTC)
    store.add_session(SessionRow(key, user.id, now, now, 1800, now + timedelta(hours=8)))


def test_disable_enable_and_resets_end_sessions(deployment: Deployment) -> None:
    first = _ok(deployment.run("users", "add", "anna", "--role", "dso", "--party", "creos", "--password-stdin",
                               "--json", stdin=PASSWORD))  # fmt: skip
    store = deployment.store
    _session(store, "anna", "a" * 64)
    _session(store, "anna", "b" * 64)
    out = _ok(deployment.run("users", "disable", "anna", "--json"))
    assert out == {"ok": True, "username": "anna", "disabled": True, "sessions_ended": 2}
    assert store.get_session("a" * 64) is None
    user = store.user_by_name("anna")
    assert user is not None and user.disabled
    assert _ok(deployment.run("users", "list", "--json"))["users"][0]["disabled"] is True
    _ok(deployment.run("users", "enable", "anna", "--json"))
    user = store.user_by_name("anna")
    assert user is not None and not user.disabled

    _session(store, "anna", "c" * 64)
    out = _ok(deployment.run("users", "reset-mfa", "anna", "--json"))
    assert out["totp_secret"] != first["totp_secret"] and store.get_session("c" * 64) is None
    user = store.user_by_name("anna")
    assert user is not None and user.totp_secret == out["totp_secret"]

    _session(store, "anna", "d" * 64)
    error = _refused(deployment.run("users", "reset-password", "anna", "--password-stdin", "--json",
                                    stdin="password1234"))  # fmt: skip
    assert "too common" in error and store.get_session("d" * 64) is not None
    out = _ok(deployment.run("users", "reset-password", "anna", "--password-stdin", "--json", stdin=OTHER))
    assert out["sessions_ended"] == 1 and store.get_session("d" * 64) is None
    user = store.user_by_name("anna")
    assert user is not None and passwords.verify_password(user.password_hash, OTHER)
    assert not passwords.verify_password(user.password_hash, PASSWORD)


def test_users_need_an_existing_store(tmp_path: Path) -> None:
    done = invoke("--data-dir", str(tmp_path / "none"), "users", "list", "--json")
    assert done.exit_code == 1 and "no store" in done.stdout.lower() + done.stderr.lower()


# the api helper's test of the same commands: the person logs in to the API with what the command printed
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
