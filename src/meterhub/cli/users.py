"""``meterhub users``: the people of the platform — add, list, disable (or enable), unlock, reset a password or MFA.

A person has a role and belongs to a party (``--party KIND:CODE``, e.g. ``supplier:enovos``, or the party id;
``--create-party NAME`` creates it). The password comes from a hidden prompt or from stdin (``--password-stdin``,
for scripts) and must pass the password policy (12 characters at least, not common, not weak); it is never
printed. Staff roles get a TOTP secret, printed once with its ``otpauth://`` URI for an authenticator app;
customers may ask for one (``--mfa``). Resetting a password or MFA, and disabling, end the person's sessions.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from meterhub.cli.common import console, fail, open_store

if TYPE_CHECKING:
    from meterhub.store import Store

app = typer.Typer(help="People: add, list, disable, unlock, reset a password or MFA.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))


def _party_id(store: Store, text: str, create: str | None, as_json: bool) -> int:
    parties = store.list_parties()
    if text.isdigit():
        found = [p for p in parties if p.id == int(text)]
    else:
        kind, _, code = text.partition(":")
        found = [p for p in parties if p.kind == kind and p.code.casefold() == code.casefold()]
        if not found and create and code:
            from typing import get_args

            from meterhub.store import PartyKind

            kinds: tuple[str, ...] = get_args(PartyKind)
            if kind not in kinds:
                fail(f"unknown party kind {kind!r}: one of {', '.join(kinds)}", as_json=as_json)
            return store.add_party(kind, code, create)  # type: ignore[arg-type]
    if not found:
        fail(f"no party {text!r} (give KIND:CODE or an id; --create-party NAME creates it)", as_json=as_json)
    return found[0].id


@app.command("add")
def add(
    ctx: typer.Context,
    username: str,
    role: Annotated[
        str, typer.Option(help="operator, operator_admin, dso, supplier, esp, customer, auditor, installer.")
    ],
    party: Annotated[str, typer.Option(help="The person's party: KIND:CODE or its id.")],
    create_party: Annotated[str | None, typer.Option(help="Create the party with this name if missing.")] = None,
    mfa: Annotated[bool | None, typer.Option("--mfa/--no-mfa", help="TOTP (mandatory for staff).")] = None,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Add a person; a staff role's TOTP secret is printed once."""
    from meterhub.api.users import UserError, add_user
    from meterhub.security.totp import provisioning_uri

    store = open_store(ctx, as_json=as_json)
    try:
        pid = _party_id(store, party, create_party, as_json)
        made = add_user(store, username, _password(password_stdin), role, pid, datetime.now(UTC), mfa=mfa)
    except UserError as exc:
        fail(str(exc), as_json=as_json)
    finally:
        store.close()
    secret = made.totp_secret
    uri = provisioning_uri(secret, username) if secret else None
    if as_json:
        print(json.dumps({"ok": True, "username": username, "role": role, "party_id": pid, "totp_secret": secret,
                          "otpauth_uri": uri}))  # fmt: skip
        return
    console.print(f"added {username} ({role}, party {pid})", highlight=False)
    if secret:
        console.print(f"TOTP secret (shown once): [bold]{secret}[/bold]\n{uri}", highlight=False)


@app.command("list")
def list_users(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every person: name, role, party, MFA, disabled."""
    store = open_store(ctx, as_json=as_json)
    try:
        users = store.list_users()
    finally:
        store.close()
    rows = [{"username": u.username, "role": u.role, "party_id": u.party_id, "mfa": u.totp_secret is not None,
             "disabled": u.disabled} for u in users]  # fmt: skip
    if as_json:
        print(json.dumps({"ok": True, "users": rows}))
        return
    from rich.table import Table

    table = Table()
    for col in ("username", "role", "party", "mfa", "disabled"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["username"]), str(r["role"]), str(r["party_id"]), "yes" if r["mfa"] else "no",
                      "yes" if r["disabled"] else "")  # fmt: skip
    console.print(table)


def _change(ctx: typer.Context, as_json: bool, do: str, username: str, **extra: object) -> None:
    from meterhub.api import users as u

    store = open_store(ctx, as_json=as_json)
    out: dict[str, str] = {}
    try:
        if do == "disable":
            ended = u.disable(store, username, bool(extra["disabled"]))
        elif do == "unlock":
            u.unlock(store, username)
            ended = 0
        elif do == "reset-password":
            ended = u.reset_password(store, username, _password(bool(extra["stdin"])))
        else:
            from meterhub.security.totp import provisioning_uri

            secret = u.reset_mfa(store, username)
            ended, out = 0, {"totp_secret": secret, "otpauth_uri": provisioning_uri(secret, username)}
    except u.UserError as exc:
        fail(str(exc), as_json=as_json)
    finally:
        store.close()
    if as_json:
        print(json.dumps({"ok": True, "username": username, "sessions_ended": ended, **out}))
    else:
        console.print(f"{do} {username}: done ({ended} sessions ended)", highlight=False)
        if out:
            console.print(f"new TOTP secret (shown once): [bold]{out['totp_secret']}[/bold]\n{out['otpauth_uri']}")


@app.command("disable")
def disable(
    ctx: typer.Context,
    username: str,
    enable: Annotated[bool, typer.Option("--enable", help="Enable the person again.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Disable a person (their sessions end), or enable them again."""
    _change(ctx, as_json, "disable", username, disabled=not enable)


@app.command("unlock")
def unlock(ctx: typer.Context, username: str, as_json: JsonOpt = False) -> None:
    """Lift the login lockout after repeated failures (time lifts it too)."""
    _change(ctx, as_json, "unlock", username)


@app.command("reset-password")
def reset_password(
    ctx: typer.Context,
    username: str,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Set a new password (the policy applies); the person's sessions end."""
    _change(ctx, as_json, "reset-password", username, stdin=password_stdin)


@app.command("reset-mfa")
def reset_mfa(ctx: typer.Context, username: str, as_json: JsonOpt = False) -> None:
    """A new TOTP secret, printed once (the old one stops working); the person's sessions end."""
    _change(ctx, as_json, "reset-mfa", username)


__all__ = ["app"]
