"""MFA enrolment at the first login, and the session a web page runs under — beside :mod:`meterhub.api.auth`.

A staff account always has a TOTP secret (:func:`meterhub.api.users.add_user`), but one that has never accepted
a code (``totp_last_step`` still empty) has not been set up in an authenticator app yet: :func:`password_step`
checks the password alone — under the same store-kept throttles as :func:`meterhub.api.auth.login`, failures
counted the same way — and answers an :class:`Enrolment`: a token that proves the password was right, valid for
:data:`ENROL_TTL`, signed with the account's own password hash and TOTP secret (so every worker can check it, and
a password or MFA reset voids it). :func:`confirm` takes the token and a code from the app: the code must verify
against the secret, and the session starts. An account whose TOTP has been used never gets here: it logs in with
its code. :func:`session_user` is the page side of a session cookie (live, not disabled, touched when due).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from meterhub.api.auth import LoggedIn, Settings, take_token
from meterhub.api.auth import _after as after_attempt  # the login's own throttle steps, shared
from meterhub.api.auth import _throttled as throttled
from meterhub.api.auth import start_session as auth_start_session
from meterhub.api.problems import Problem
from meterhub.api.rights import STAFF_ROLES
from meterhub.security import passwords, throttle, tokens, totp
from meterhub.store.limits import ThrottleRow
from meterhub.store.users import SessionRow, User

ADDRESS_KEY = "address:{}"


def account_key(username: str) -> str:
    """The login throttle's key of an account (as :func:`meterhub.api.auth.login` names it)."""
    return f"account:{username.casefold()[:100]}"


ENROL_TTL = timedelta(minutes=10)
"""How long the enrolment page may be left open between the password and the first code."""


@dataclass(frozen=True, slots=True)
class Enrolment:
    user: User
    token: str
    secret: str = ""

    @property
    def otpauth_uri(self) -> str:
        return totp.provisioning_uri(self.secret, self.user.username)


def needs_enrolment(user: User | None) -> bool:
    """A staff account (or a customer who asked for MFA) whose TOTP has never accepted a code."""
    return user is not None and user.totp_secret is not None and user.totp_last_step is None


def _sign(user: User, expires: int) -> str:
    key = f"{user.password_hash}|{user.totp_secret}".encode()
    return hmac.new(key, f"enrol|{user.id}|{expires}".encode(), hashlib.sha256).hexdigest()


def _token(user: User, now: datetime) -> str:
    expires = int((now + ENROL_TTL).timestamp())
    return f"{user.id}.{expires}.{_sign(user, expires)}"


def password_step(s: Settings, address: str, username: str, password: str) -> Enrolment | None:
    """The password of an account that must enrol, checked under the throttles: its :class:`Enrolment`; None if
    the account needs no enrolment (log in with the code instead). :class:`Problem` 401 / 429 as a login."""
    now = s.clock()
    take_token(s, ADDRESS_KEY.format(address), s.anonymous_bucket)
    keys = {account_key(username): throttle.ACCOUNT_POLICY, ADDRESS_KEY.format(address): throttle.ADDRESS_POLICY}
    throttled(s, keys, now)
    user = s.store.user_by_name(username)
    ok = passwords.verify_password(user.password_hash, password) if user else passwords.verify_unknown_user(password)
    ok = ok and user is not None and not user.disabled
    if ok and not needs_enrolment(user):
        return None  # right password, set-up MFA: the caller asks for the code (no failure counted)
    after_attempt(s, keys, now, ok)
    if not ok or user is None:
        raise Problem(401, "login-failed", "Wrong user name, password or one-time code.")
    assert user.totp_secret is not None
    return Enrolment(user, _token(user, now), user.totp_secret)


def enrolment_of(s: Settings, token: str) -> Enrolment:
    """The enrolment a token names, if still valid; :class:`Problem` 401 otherwise."""
    try:
        uid_text, expires_text, mac = token.split(".")
        user = s.store.get_user(int(uid_text))
        expires = int(expires_text)
    except ValueError:
        user, expires, mac = None, 0, ""
    ok = (
        user is not None
        and needs_enrolment(user)
        and not user.disabled
        and s.clock().timestamp() < expires
        and hmac.compare_digest(mac, _sign(user, expires))
    )
    if not ok or user is None or user.totp_secret is None:
        raise Problem(401, "enrolment-expired", "This set-up page has expired: log in again.")
    return Enrolment(user, token, user.totp_secret)


def start_session(s: Settings, user: User) -> LoggedIn:
    """A new server-side session for ``user`` now (the login's own :func:`meterhub.api.auth.start_session`)."""
    return auth_start_session(s, user, s.clock())


def confirm(s: Settings, address: str, token: str, code: str) -> LoggedIn:
    """The first code of an enrolment: verified, remembered (it cannot be used again), and the session starts."""
    enrolment = enrolment_of(s, token)
    now = s.clock()
    take_token(s, ADDRESS_KEY.format(address), s.anonymous_bucket)
    keys = {account_key(enrolment.user.username): throttle.ACCOUNT_POLICY}
    throttled(s, keys, now)
    verdict = totp.verify_totp(enrolment.secret, code, now, None)
    after_attempt(s, keys, now, isinstance(verdict, totp.TotpAccepted))
    if not isinstance(verdict, totp.TotpAccepted):
        raise Problem(401, "totp-refused", "That code is not right: check the app's clock and try the next one.")
    s.store.update_user(enrolment.user.id, totp_last_step=verdict.step)
    return start_session(s, enrolment.user)


def session_user(s: Settings, token: str | None) -> tuple[User, SessionRow] | None:
    """The person of a live session cookie (touched when due), or None."""
    if not token:
        return None
    now = s.clock()
    row = s.store.get_session(tokens.token_hash(token))
    if row is None:
        return None
    session = tokens.Session(
        row.id_hash, str(row.user_id), row.created_at, row.last_seen_at, timedelta(seconds=row.idle_timeout_s),
        row.absolute_expires_at,
    )  # fmt: skip
    user = s.store.get_user(row.user_id)
    if not session.is_live(now) or user is None or user.disabled:
        s.store.delete_session(row.id_hash)
        return None
    if user.role in STAFF_ROLES and user.totp_secret is None:
        return None
    if session.needs_touch(now, tokens.STAFF_SESSIONS):
        s.store.touch_session(row.id_hash, now)
    return user, row


def unlock(s: Settings, username: str) -> None:
    """Lift an account's login lockout and delays (an admin's action)."""
    s.store.update_throttle(account_key(username), lambda _row: ThrottleRow())


__all__ = [
    "ADDRESS_KEY",
    "ENROL_TTL",
    "Enrolment",
    "account_key",
    "confirm",
    "enrolment_of",
    "needs_enrolment",
    "password_step",
    "session_user",
    "start_session",
    "unlock",
]
