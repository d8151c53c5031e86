"""``meterhub users``: the people who log in — add, list, disable, enable, unlock, reset a password, reset MFA.

A person belongs to a party (``--party CODE``, or its number) of the kind their role needs (a ``dso`` user to a
DSO, a ``customer`` to a customer, …; :data:`meterhub.api.users.ROLE_PARTY_KINDS`). The password is never an
argument: it is asked twice at a hidden prompt, or read as one line from stdin with ``--password-stdin`` (for
scripts), and must pass the platform's policy (:mod:`meterhub.security.passwords`: 12 characters at least, not on
the common-password list, not weak by zxcvbn) — a refusal says why. Staff roles get a TOTP secret: ``users add``
and ``users reset-mfa`` show it once, with its ``otpauth://`` URI and a QR code on the terminal, for the person's
authenticator app. Disabling a person, resetting their password or MFA ends their sessions everywhere. Every
command takes ``--json``; the work is :mod:`meterhub.api.users`, imported when a command runs.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from meterhub.cli.common import console, err_console, fail, open_store

if TYPE_CHECKING:
    from meterhub.store.db import Party, Store

app = typer.Typer(help="People who log in: add, list, disable, enable, reset password or MFA.", no_args_is_help=True)

_AsJson = Annotated[bool, typer.Option("--json", help="Print the outcome as one JSON object.")]
_PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password as one line from stdin instead of a prompt.")
]


def _party(store: Store, ref: str, role: str, create: str | None, as_json: bool) -> Party:
    """The party ``ref`` names — a code of the role's party kind, ``KIND:CODE``, or a party number — created
    with the name ``create`` when given and missing; an error otherwise."""
    from meterhub.api.users import ROLE_PARTY_KINDS

    parties = store.list_parties()
    ref = ref.strip()
    if ref.isdigit():
        found = next((p for p in parties if p.id == int(ref)), None)
        if found is None:
            fail(f"no party number {ref}", as_json=as_json)
        return found
    kind, sep, code = ref.rpartition(":")
    kinds = frozenset({kind}) if sep else ROLE_PARTY_KINDS.get(role, frozenset())
    same = [p for p in parties if p.code.casefold() == code.casefold() and (not sep or p.kind == kind)]
    fitting = [p for p in same if p.kind in kinds]
    if len(fitting) == 1:
        return fitting[0]
    if len(fitting) > 1:
        fail(f"several parties have code {code}: give the party's number", as_json=as_json)
    if same:  # a party of the wrong kind: add_user says why
        return same[0]
    if create and code and len(kinds) == 1:
        party_kinds = sorted(set().union(*ROLE_PARTY_KINDS.values()))
        (new_kind,) = kinds
        if new_kind not in party_kinds:
            fail(f"unknown party kind {new_kind!r}: one of {', '.join(party_kinds)}", as_json=as_json)
        store.add_party(new_kind, code, create)  # type: ignore[arg-type]
        return next(p for p in store.list_parties() if p.kind == new_kind and p.code == code)
    known = ", ".join(sorted(p.code for p in parties if p.kind in kinds)[:12]) or "none in this store"
    fail(
        f"no party {code} of kind {'/'.join(sorted(kinds)) or '?'} (known: {known}; --create-party NAME creates it)",
        as_json=as_json,
    )


def _read_password(password_stdin: bool, as_json: bool) -> str:
    if password_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        if not password:
            fail("--password-stdin: no password on stdin", as_json=as_json)
        return password
    if not sys.stdin.isatty() and as_json:
        fail("no terminal to ask the password at: use --password-stdin", as_json=as_json)
    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    return str(password)


def _show_totp(secret: str, username: str, as_json: bool) -> dict[str, str]:
    """The new TOTP secret with its otpauth URI (and, on a terminal, its QR code) — shown once."""
    import segno

    from meterhub.security.totp import provisioning_uri

    uri = provisioning_uri(secret, username)
    if not as_json:
        console.print(
            f"[bold]MFA[/bold] for {escape(username)}: add this to an authenticator app now — it is shown only once."
        )
        print(f"  secret: {secret}\n  uri:    {uri}")
        segno.make(uri, error="m", micro=False).terminal(out=sys.stdout, compact=True)
    return {"totp_secret": secret, "otpauth_uri": uri}


def _user_json(store: Store, username: str) -> dict[str, object]:
    user = store.user_by_name(username)
    assert user is not None
    party = next((p for p in store.list_parties() if p.id == user.party_id), None)
    return {
        "id": user.id,
        "username": user.username,
        "role": user.role,
        "party_id": user.party_id,
        "party": party.code if party else None,
        "party_kind": party.kind if party else None,
        "mfa": user.totp_secret is not None,
        "disabled": user.disabled,
        "created_at": user.created_at.isoformat(),
    }


@app.command("add")
def add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The login name.")],
    role: Annotated[
        str,
        typer.Option(help="operator, operator_admin, dso, supplier, esp, customer, auditor or installer."),
    ],
    party: Annotated[
        str, typer.Option(help="The person's party: its code (of the role's kind), KIND:CODE or its number.")
    ],
    create_party: Annotated[str | None, typer.Option(help="Create the party with this name if it is missing.")] = None,
    mfa: Annotated[
        bool | None, typer.Option("--mfa/--no-mfa", help="TOTP for a customer (always on for staff roles).")
    ] = None,
    password_stdin: _PasswordStdin = False,
    as_json: _AsJson = False,
) -> None:
    """Add a person; staff roles get a TOTP secret, shown once with its QR code."""
    from meterhub.api.users import UserError, add_user

    store = open_store(ctx, as_json=as_json)
    try:
        found = _party(store, party, role.strip(), create_party, as_json)
        password = _read_password(password_stdin, as_json)
        try:
            new = add_user(store, username, password, role.strip(), found.id, datetime.now(UTC), mfa=mfa)
        except UserError as exc:
            fail(str(exc), as_json=as_json)
        out: dict[str, object] = {"ok": True, **_user_json(store, username)}
        if not as_json:
            console.print(f"added {escape(username)}: {new.user.role} of {found.kind} {escape(found.code)}")
        if new.totp_secret is not None:
            out.update(_show_totp(new.totp_secret, username, as_json))
        if as_json:
            print(json.dumps(out))
    finally:
        store.close()


@app.command("list")
def list_(
    ctx: typer.Context,
    party: Annotated[str | None, typer.Option(help="Only the people of this party (code or number).")] = None,
    as_json: _AsJson = False,
) -> None:
    """List the people who may log in (never their secrets)."""
    store = open_store(ctx, as_json=as_json)
    try:
        party_id: int | None = None
        if party is not None:
            found = [p for p in store.list_parties() if p.code.casefold() == party.strip().casefold()]
            if party.strip().isdigit():
                found = [p for p in store.list_parties() if p.id == int(party)]
            if not found:
                fail(f"no party {party}", as_json=as_json)
            if len(found) > 1:
                fail(f"several parties have code {party}: give the party's number", as_json=as_json)
            party_id = found[0].id
        users = [_user_json(store, u.username) for u in store.list_users(party_id)]
    finally:
        store.close()
    if as_json:
        print(json.dumps({"ok": True, "users": users}))
        return
    table = Table(title=f"{len(users)} users")
    for column in ("user", "role", "party", "MFA", "state", "created (UTC)"):
        table.add_column(column)
    for u in users:
        table.add_row(
            escape(str(u["username"])), str(u["role"]), f"{u['party_kind']} {escape(str(u['party']))}",
            "yes" if u["mfa"] else "no", "disabled" if u["disabled"] else "active", str(u["created_at"])[:16],
        )  # fmt: skip
    console.print(table)


def _set_disabled(ctx: typer.Context, username: str, disabled: bool, as_json: bool) -> None:
    from meterhub.api.users import UserError, disable

    store = open_store(ctx, as_json=as_json)
    try:
        try:
            ended = disable(store, username, disabled)
        except UserError as exc:
            fail(str(exc), as_json=as_json)
    finally:
        store.close()
    if as_json:
        print(json.dumps({"ok": True, "username": username, "disabled": disabled, "sessions_ended": ended}))
    else:
        state = f"disabled ({ended} sessions ended)" if disabled else "enabled"
        console.print(f"{escape(username)}: {state}")


@app.command("disable")
def disable_(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The login name.")],
    enable: Annotated[bool, typer.Option("--enable", help="Enable the person again (as 'users enable').")] = False,
    as_json: _AsJson = False,
) -> None:
    """Disable a person: they cannot log in, their sessions end now."""
    _set_disabled(ctx, username, not enable, as_json)


@app.command("enable")
def enable(
    ctx: typer.Context, username: Annotated[str, typer.Argument(help="The login name.")], as_json: _AsJson = False
) -> None:
    """Let a disabled person log in again."""
    _set_disabled(ctx, username, False, as_json)


@app.command("unlock")
def unlock(
    ctx: typer.Context, username: Annotated[str, typer.Argument(help="The login name.")], as_json: _AsJson = False
) -> None:
    """Lift the login lockout after repeated failures (time lifts it too)."""
    from meterhub.api import users as u

    store = open_store(ctx, as_json=as_json)
    try:
        u.unlock(store, username)
    except u.UserError as exc:
        fail(str(exc), as_json=as_json)
    finally:
        store.close()
    if as_json:
        print(json.dumps({"ok": True, "username": username, "sessions_ended": 0}))
    else:
        console.print(f"{escape(username)}: unlocked")


@app.command("reset-password")
def reset_password_(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The login name.")],
    password_stdin: _PasswordStdin = False,
    as_json: _AsJson = False,
) -> None:
    """Set a new password (the policy applies); the person's sessions end."""
    from meterhub.api.users import UserError, reset_password

    store = open_store(ctx, as_json=as_json)
    try:
        if store.user_by_name(username) is None:
            fail(f"no user {username!r}", as_json=as_json)
        password = _read_password(password_stdin, as_json)
        try:
            ended = reset_password(store, username, password)
        except UserError as exc:
            fail(str(exc), as_json=as_json)
    finally:
        store.close()
    if as_json:
        print(json.dumps({"ok": True, "username": username, "sessions_ended": ended}))
    else:
        console.print(f"{escape(username)}: new password set ({ended} sessions ended)")


@app.command("reset-mfa")
def reset_mfa_(
    ctx: typer.Context, username: Annotated[str, typer.Argument(help="The login name.")], as_json: _AsJson = False
) -> None:
    """Give a person a new TOTP secret (shown once; the old one stops working); their sessions end."""
    from meterhub.api.users import UserError, reset_mfa

    store = open_store(ctx, as_json=as_json)
    try:
        try:
            secret = reset_mfa(store, username)
        except UserError as exc:
            fail(str(exc), as_json=as_json)
    finally:
        store.close()
    shown = _show_totp(secret, username, as_json)
    if as_json:
        print(json.dumps({"ok": True, "username": username, **shown}))
    else:
        err_console.print("the person's sessions have ended; the old codes no longer work")


__all__ = ["app"]
