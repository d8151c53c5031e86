"""Opaque random tokens: browser sessions, OAuth2 client secrets, bearer access tokens, and the CSRF token.

Every token is 256 bits from :mod:`secrets`, URL-safe base64, behind a short prefix that names its kind (``mhs_``
session, ``mhcs_`` client secret, ``mhat_`` access token, ``mhrt_`` refresh token), so a leaked one is recognised by
secret scanners and a token of one kind is never accepted as another. The store keeps only :func:`token_hash` —
SHA-256 — of a token, never the token: whoever reads the database cannot replay a session or a secret. SHA-256
suffices where argon2 is needed for passwords: a slow, salted hash protects *low-entropy* secrets against guessing,
but guessing a 256-bit random token is hopeless at any hash speed (2²⁵⁶ tries), and a fast unsalted hash lets the
store find a token by an indexed equality look-up on every request, which a salted argon2 hash (~50 ms, 19 MiB)
could not. Hashes are compared in constant time. The session record carries an idle and an absolute expiry
(:data:`STAFF_SESSIONS`, :data:`CUSTOMER_SESSIONS`); the CSRF token is derived from the session's secret (see
:func:`csrf_token`). Time is passed in (timezone-aware UTC); nothing here does I/O, keeps state or logs, and the
records' ``repr`` never shows a token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Final, Literal

from meterhub.security.times import require_aware

TOKEN_BYTES: Final = 32
"""Random bytes in every token: 256 bits."""

TokenKind = Literal["session", "client_secret", "access_token", "refresh_token"]
PREFIXES: Final[dict[TokenKind, str]] = {
    "session": "mhs_",
    "client_secret": "mhcs_",
    "access_token": "mhat_",
    "refresh_token": "mhrt_",
}

_TOKEN_CHARS: Final = 43  # len(base64url(32 bytes)) without padding
_CSRF_LABEL: Final = b"meterhub csrf v1"

ACCESS_TOKEN_TTL: Final = timedelta(minutes=15)
"""Life of a bearer access token (OAuth2 client credentials grant): short, so a leaked token is soon worthless; a
market party's system asks for a new one with its client secret (Eloverblik's data access tokens live 24 h)."""


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token and the hash the store keeps. Show ``token`` once (to the browser, to the client's owner) and
    forget it; it is left out of ``repr`` so it cannot end in a log by accident."""

    token: str = field(repr=False)
    hash: str


def new_token(kind: TokenKind) -> IssuedToken:
    """A fresh 256-bit token of ``kind`` with its hash."""
    token = PREFIXES[kind] + secrets.token_urlsafe(TOKEN_BYTES)
    return IssuedToken(token, token_hash(token))


def token_hash(token: str) -> str:
    """What the store keeps of a token: SHA-256 of its UTF-8 bytes, hex (64 characters)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def is_well_formed(token: str, kind: TokenKind) -> bool:
    """True if ``token`` has the shape of a token of ``kind``: its prefix and 43 base64url characters. Check this
    before a store look-up, so that a token of another kind or garbage is refused without one."""
    prefix = PREFIXES[kind]
    body = token[len(prefix) :]
    return (
        token.startswith(prefix)
        and len(body) == _TOKEN_CHARS
        and body.isascii()
        and all(c.isalnum() or c in "-_" for c in body)
    )


def token_matches(token: str, stored_hash: str) -> bool:
    """True if ``token`` hashes to ``stored_hash``; compares in constant time."""
    return hmac.compare_digest(token_hash(token), stored_hash)


# --- browser sessions --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """How long a session lives: ``idle_timeout`` after the last request, ``absolute_timeout`` after login whatever
    happens. ``touch_interval`` bounds how often the store rewrites ``last_seen_at`` (one write a minute per
    session, not one per request; the idle expiry is thereby at most this much early)."""

    idle_timeout: timedelta
    absolute_timeout: timedelta
    touch_interval: timedelta = timedelta(minutes=1)


STAFF_SESSIONS: Final = SessionPolicy(idle_timeout=timedelta(minutes=30), absolute_timeout=timedelta(hours=12))
"""Operator, DSO, supplier, ESP, auditor and installer people: 30 min idle (OWASP's range for high-value
applications is 15–30 min), 12 h absolute (one shift). Staff see many households and can act on meters."""

CUSTOMER_SESSIONS: Final = SessionPolicy(idle_timeout=timedelta(hours=1), absolute_timeout=timedelta(days=7))
"""Customers: 1 h idle, 7 days absolute. A customer sees only their own household; the live-consumption page left
open on a tablet (which keeps the session active) asks for a new login once a week."""


@dataclass(frozen=True, slots=True)
class Session:
    """A server-side session as the store keeps it: the hash of the cookie's token (the token itself is only in
    the browser), the user, and the times that decide its expiry."""

    id_hash: str
    user_id: str
    created_at: datetime
    last_seen_at: datetime
    idle_timeout: timedelta
    absolute_expires_at: datetime

    def __post_init__(self) -> None:
        for name in ("created_at", "last_seen_at", "absolute_expires_at"):
            require_aware(name, getattr(self, name))

    @property
    def idle_expires_at(self) -> datetime:
        return self.last_seen_at + self.idle_timeout

    @property
    def expires_at(self) -> datetime:
        """When the session ends if nothing more happens: the earlier of the idle and the absolute expiry."""
        return min(self.idle_expires_at, self.absolute_expires_at)

    def is_live(self, now: datetime) -> bool:
        """True while neither expiry has passed at ``now``."""
        require_aware("now", now)
        return now < self.expires_at

    def needs_touch(self, now: datetime, policy: SessionPolicy) -> bool:
        """True if the store should record this request as the session's ``last_seen_at`` (see :meth:`touched`)."""
        return now - self.last_seen_at >= policy.touch_interval

    def touched(self, now: datetime) -> Session:
        """The session seen again at ``now`` (the idle expiry moves; the absolute one does not)."""
        require_aware("now", now)
        return replace(self, last_seen_at=max(self.last_seen_at, now))


def start_session(user_id: str, now: datetime, policy: SessionPolicy) -> tuple[IssuedToken, Session]:
    """A new session for ``user_id`` at login: the token for the cookie (HttpOnly, SameSite=Lax, Secure under TLS)
    and the record for the store. Start a new one at every login (never reuse a token across a change of
    privilege), so a token planted before login is worthless after it."""
    require_aware("now", now)
    issued = new_token("session")
    session = Session(
        id_hash=issued.hash,
        user_id=user_id,
        created_at=now,
        last_seen_at=now,
        idle_timeout=policy.idle_timeout,
        absolute_expires_at=now + policy.absolute_timeout,
    )
    return issued, session


# --- CSRF --------------------------------------------------------------------------------------------------------


def csrf_token(session_token: str) -> str:
    """The CSRF token of the session whose cookie holds ``session_token``: HMAC-SHA256 of a fixed label keyed with
    the session's secret, base64url. Put it in every form and hand it to API clients at login; require it back
    (form field or ``X-CSRF-Token`` header) on every state-changing request that a cookie authenticates.

    This is a synchronizer token that needs no storage: the server recomputes it from the cookie on each request,
    so it works across workers, is different for every session and dies with it. A cross-site page cannot read
    the HttpOnly cookie, so it cannot compute the token. The plain double-submit cookie (a random cookie echoed in
    a header) was not chosen: a sibling subdomain or a man-in-the-middle on plain HTTP can set cookies for our
    site and so choose both halves; here the attacker would need the session's own secret. The CSRF token, which
    appears in pages, reveals nothing about the session token (HMAC is one-way)."""
    mac = hmac.new(session_token.encode("utf-8", "surrogatepass"), _CSRF_LABEL, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def csrf_matches(session_token: str, presented: str | None) -> bool:
    """True if ``presented`` is the CSRF token of ``session_token``'s session (constant-time)."""
    if not presented:
        return False
    return hmac.compare_digest(csrf_token(session_token).encode(), presented.encode("utf-8", "surrogatepass"))


# --- OAuth2 clients and bearer access tokens -----------------------------------------------------------------------


def new_client_id() -> str:
    """A public OAuth2 client id (not a secret): ``mhci_`` and 16 hex digits."""
    return "mhci_" + secrets.token_hex(8)


def new_client_secret() -> IssuedToken:
    """A client secret, shown once to the party's admin; the store keeps the hash. On rotation keep the old hash
    beside the new one until the party's system has switched, then drop it (see :func:`client_secret_matches`)."""
    return new_token("client_secret")


def client_secret_matches(presented: str, stored_hashes: Iterable[str]) -> bool:
    """True if ``presented`` is one of the client's live secrets (during a rotation there are two). Every stored
    hash is compared, in constant time, whether or not an earlier one matched."""
    if not is_well_formed(presented, "client_secret"):
        return False
    presented_hash = token_hash(presented)
    found = False
    for stored in stored_hashes:
        found |= hmac.compare_digest(presented_hash, stored)
    return found


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A bearer access token as the store keeps it: its hash, the client and the scopes granted, its life."""

    token_hash: str
    client_id: str
    scopes: frozenset[str]
    issued_at: datetime
    expires_at: datetime

    def __post_init__(self) -> None:
        require_aware("issued_at", self.issued_at)
        require_aware("expires_at", self.expires_at)

    def is_live(self, now: datetime) -> bool:
        require_aware("now", now)
        return self.issued_at <= now < self.expires_at

    def expires_in(self, now: datetime) -> int:
        """Whole seconds left (the token response's ``expires_in``), never negative."""
        return max(0, int((self.expires_at - now).total_seconds()))


def issue_access_token(
    client_id: str, scopes: Iterable[str], now: datetime, ttl: timedelta = ACCESS_TOKEN_TTL
) -> tuple[IssuedToken, AccessToken]:
    """A new bearer token for ``client_id`` with ``scopes`` (already checked against what the client may have):
    the token for the response and the record for the store."""
    require_aware("now", now)
    issued = new_token("access_token")
    return issued, AccessToken(issued.hash, client_id, frozenset(scopes), issued_at=now, expires_at=now + ttl)


__all__ = [
    "ACCESS_TOKEN_TTL",
    "CUSTOMER_SESSIONS",
    "PREFIXES",
    "STAFF_SESSIONS",
    "TOKEN_BYTES",
    "AccessToken",
    "IssuedToken",
    "Session",
    "SessionPolicy",
    "TokenKind",
    "client_secret_matches",
    "csrf_matches",
    "csrf_token",
    "is_well_formed",
    "issue_access_token",
    "new_client_id",
    "new_client_secret",
    "new_token",
    "start_session",
    "token_hash",
    "token_matches",
]
