"""Login for the portal: the operator's argon2id password check and in-memory browser sessions.

This first portal knows one user, ``operator``, whose password is checked against an argon2id hash
(argon2-cffi's :class:`~argon2.PasswordHasher`, DESIGN §5). A successful login gets a random session token
(256 bits from :mod:`secrets`) that the app keeps in memory and hands to the browser as an HttpOnly,
SameSite=Lax cookie; restarting the server logs everybody out. Neither passwords nor tokens are ever logged.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

OPERATOR = "operator"
"""The one user of the first portal."""

SESSION_COOKIE = "meterhub_session"
SESSION_TTL_S = 8 * 3600
"""A session lasts one working day, then the operator logs in again."""

MAX_SESSIONS = 1000
"""Sessions kept at most; the oldest are dropped first (a flood of logins cannot grow memory without bound)."""

_HASHER = PasswordHasher()  # argon2id with argon2-cffi's RFC 9106 low-memory defaults


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (for configuration: ``operator_password_hash``)."""
    return _HASHER.hash(password)


class Authenticator:
    """Checks a username and password against the operator's argon2id hash."""

    def __init__(self, operator_password_hash: str) -> None:
        if not operator_password_hash.startswith("$argon2id$"):
            raise ValueError("operator_password_hash must be an argon2id hash (see meterhub.portal.auth.hash_password)")
        self._hash = operator_password_hash

    def verify(self, username: str, password: str) -> bool:
        """True if ``username`` is the operator and ``password`` matches. The hash is checked even for an
        unknown username, so the answer takes the same time either way."""
        ok: bool
        try:
            ok = _HASHER.verify(self._hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        return ok and secrets.compare_digest(username.encode(), OPERATOR.encode())


@dataclass(frozen=True, slots=True)
class Session:
    user: str
    expires_at: float


class SessionStore:
    """Random session tokens → user, in memory, with an absolute expiry. Thread-safe (FastAPI runs sync
    endpoints in a thread pool)."""

    def __init__(self, ttl_s: float = SESSION_TTL_S, max_sessions: int = MAX_SESSIONS) -> None:
        self.ttl_s = ttl_s
        self.max_sessions = max_sessions
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, user: str) -> str:
        """A new session for ``user``; returns its token."""
        token = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            self._expire(now)
            while len(self._sessions) >= self.max_sessions:
                del self._sessions[next(iter(self._sessions))]  # dicts keep insertion order: oldest first
            self._sessions[token] = Session(user, now + self.ttl_s)
        return token

    def user(self, token: str | None) -> str | None:
        """The user of a live session, or None."""
        if not token:
            return None
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                return None
            if session.expires_at <= time.monotonic():
                del self._sessions[token]
                return None
            return session.user

    def drop(self, token: str | None) -> None:
        """End a session (logout); unknown tokens are ignored."""
        if token:
            with self._lock:
                self._sessions.pop(token, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    def _expire(self, now: float) -> None:
        for token in [t for t, s in self._sessions.items() if s.expires_at <= now]:
            del self._sessions[token]


__all__ = ["OPERATOR", "SESSION_COOKIE", "Authenticator", "Session", "SessionStore", "hash_password"]
