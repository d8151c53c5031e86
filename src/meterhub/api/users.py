"""People and machine clients, as the platform creates and manages them (``meterhub users …``, the demo, tests).

:func:`add_user` applies the password policy (:func:`meterhub.security.passwords.require_acceptable_password`:
12 characters at least, not common, not weak by zxcvbn, not made of the user's own name), stores the argon2id
hash and — for every staff role — a fresh TOTP secret (MFA is mandatory for staff; customers may enrol later).
:func:`reset_password`, :func:`reset_mfa` and :func:`disable` end the person's sessions everywhere;
:func:`unlock` lifts a login lockout.
:func:`add_client` registers a market party's OAuth2 client and returns its secret once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from meterhub.api.auth import CLIENT_ROLES, CLIENT_SCOPES
from meterhub.api.rights import ROLES, STAFF_ROLES
from meterhub.security import passwords, tokens, totp
from meterhub.store import Store
from meterhub.store.users import User

ROLE_PARTY_KINDS: dict[str, frozenset[str]] = {
    "operator": frozenset({"operator"}),
    "operator_admin": frozenset({"operator"}),
    "dso": frozenset({"dso"}),
    "supplier": frozenset({"supplier"}),
    "esp": frozenset({"esp"}),
    "customer": frozenset({"customer"}),
    "auditor": frozenset({"auditor"}),
    "installer": frozenset({"installer"}),
}
"""The kind of party a person of each role belongs to."""


class UserError(ValueError):
    """A request to create or change a person or client that cannot be done (a clear message)."""


@dataclass(frozen=True, slots=True)
class NewUser:
    user: User
    totp_secret: str | None = field(repr=False)


def _party_kind(store: Store, party_id: int) -> str:
    party = store.get_party(party_id)
    if party is None:
        raise UserError(f"no party {party_id}")
    return party.kind


def add_user(
    store: Store, username: str, password: str, role: str, party_id: int, now: datetime, *, mfa: bool | None = None
) -> NewUser:
    """A new person; ``mfa`` (default: for staff roles) gives them a TOTP secret, shown once to set up their app."""
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}: one of {', '.join(sorted(ROLES))}")
    kind = _party_kind(store, party_id)
    if kind not in ROLE_PARTY_KINDS[role]:
        raise UserError(f"a {role} belongs to a party of kind {'/'.join(sorted(ROLE_PARTY_KINDS[role]))}, not {kind}")
    if not username or len(username) > 80 or not username.isprintable() or username != username.strip():
        raise UserError("a user name is 1 to 80 printable characters without surrounding spaces")
    if store.user_by_name(username) is not None:
        raise UserError(f"user {username!r} exists already")
    try:
        passwords.require_acceptable_password(password, passwords.user_context(username))
    except passwords.PasswordRefused as exc:
        raise UserError(str(exc)) from None
    wants_mfa = role in STAFF_ROLES if mfa is None else mfa
    if role in STAFF_ROLES and not wants_mfa:
        raise UserError("MFA is mandatory for staff roles")
    secret = totp.new_secret() if wants_mfa else None
    uid = store.add_user(username, passwords.hash_password(password), role, party_id, now, totp_secret=secret)
    user = store.get_user(uid)
    assert user is not None
    return NewUser(user, secret)


def _user(store: Store, username: str) -> User:
    user = store.user_by_name(username)
    if user is None:
        raise UserError(f"no user {username!r}")
    return user


def reset_password(store: Store, username: str, password: str) -> int:
    """A new password (policy checked); the person's sessions end. Returns the sessions ended."""
    user = _user(store, username)
    try:
        passwords.require_acceptable_password(password, passwords.user_context(username))
    except passwords.PasswordRefused as exc:
        raise UserError(str(exc)) from None
    store.update_user(user.id, password_hash=passwords.hash_password(password))
    return store.delete_user_sessions(user.id)


def reset_mfa(store: Store, username: str) -> str:
    """A new TOTP secret (the old one stops working at once); sessions end. Returns the new secret."""
    user = _user(store, username)
    secret = totp.new_secret()
    store.update_user(user.id, totp_secret=secret, totp_last_step=None)
    store.delete_user_sessions(user.id)
    return secret


def disable(store: Store, username: str, disabled: bool = True) -> int:
    """Disable (or enable again) a person; a disabled person's sessions end. Returns the sessions ended."""
    user = _user(store, username)
    store.update_user(user.id, disabled=disabled)
    return store.delete_user_sessions(user.id) if disabled else 0


def unlock(store: Store, username: str) -> None:
    """An admin lifts the login lockout of ``username`` (the account's throttle starts over)."""
    _user(store, username)
    store.forget_throttle(f"account:{username.casefold()[:100]}")


def add_client(store: Store, party_id: int, name: str, scopes: set[str], now: datetime) -> tuple[str, str]:
    """A new OAuth2 client of a DSO, supplier, ESP or the operator: ``(client id, secret)`` — show the secret once."""
    kind = _party_kind(store, party_id)
    if kind not in CLIENT_ROLES:
        raise UserError(f"a {kind} has no machine access")
    unknown = scopes - CLIENT_SCOPES
    if unknown or not scopes:
        raise UserError(f"scopes must be some of {sorted(CLIENT_SCOPES)}")
    client_id, secret = tokens.new_client_id(), tokens.new_client_secret()
    store.add_client(client_id, party_id, name, " ".join(sorted(scopes)), secret.hash, now)
    return client_id, secret.token


__all__ = [
    "ROLE_PARTY_KINDS",
    "NewUser",
    "UserError",
    "add_client",
    "add_user",
    "disable",
    "reset_mfa",
    "reset_password",
]
