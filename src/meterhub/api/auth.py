"""Who is asking: login with password and TOTP, server-side sessions, CSRF, OAuth2 client credentials, rate limits.

A person logs in (:func:`login`): the source address's token bucket, then the account's and the address's login
throttles (:mod:`meterhub.security.throttle`, state in the store so every worker shares it) decide whether the
password is even checked; the argon2id hash is checked (the same time for an unknown name), then the TOTP code —
mandatory for staff roles, whose accounts always carry a secret. Success starts a server-side session (its
token's hash in the store; the cookie ``mh_session`` HttpOnly, SameSite=Lax, Secure under TLS) and answers the
CSRF token, required back as ``X-CSRF-Token`` on every state-changing request made with the cookie. A market
party's system trades its client id and secret for a short-lived bearer token (:func:`issue_token`); a program
given a refresh token trades it for a 24-hour one (:func:`issue_refreshed`; :mod:`meterhub.store.refresh`). Every
authenticated request takes a token from its caller's bucket (429 + ``Retry-After`` when empty): :func:`caller`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, cast

from fastapi import Request, Response

from meterhub.api.egress import PRODUCTION, Egress
from meterhub.api.notify import Mailer
from meterhub.api.problems import Problem
from meterhub.api.rights import STAFF_ROLES, Principal, Role
from meterhub.api.service import Caller
from meterhub.security import passwords, throttle, tokens, totp
from meterhub.store import Store
from meterhub.store.limits import BucketRow, ThrottleRow
from meterhub.store.refresh import RefreshRow
from meterhub.store.users import SessionRow, TokenRow, User

SESSION_COOKIE = "mh_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CLIENT_ROLES: dict[str, Role] = {"dso": "dso", "supplier": "supplier", "esp": "esp", "operator": "operator"}
"""The role of an OAuth2 client, by its party's kind (customers and auditors have no machine access)."""
CLIENT_SCOPES = frozenset({"interval_data", "billing_reads", "live_p1", "consent_requests.create", "tariffs.manage"})
"""The scopes a client may be given (data scopes, asking customers for consent, a supplier's tariffs)."""


@dataclass(frozen=True, slots=True)
class Settings:
    """What the API works with: the store, the clock (tests pass a fixed one), the buckets, where notification
    e-mails go (:mod:`meterhub.api.notify`; None: none are sent) and where webhooks may go
    (:class:`~meterhub.api.egress.Egress`: production unless the deployment is test or demo)."""

    store: Store
    clock: Callable[[], datetime]
    client_bucket: throttle.BucketPolicy = throttle.CLIENT_BUCKET
    user_bucket: throttle.BucketPolicy = throttle.USER_BUCKET
    anonymous_bucket: throttle.BucketPolicy = throttle.ANONYMOUS_BUCKET
    mailer: Mailer | None = None
    egress: Egress = PRODUCTION


def settings_of(request: Request) -> Settings:
    s: Settings = request.app.state.settings
    return s


def address_of(request: Request) -> str:
    host = request.client.host if request.client is not None else "127.0.0.1"
    try:
        return throttle.address_key(host)
    except ValueError:
        return host[:64]


# ------------------------------------------------------------------------------------------------- rate limits


def take_token(s: Settings, key: str, policy: throttle.BucketPolicy, cost: float = 1.0) -> None:
    """Spend ``cost`` from the bucket ``key`` (state in the store), or raise the 429 with ``Retry-After``."""
    now = s.clock()

    def change(row: BucketRow) -> tuple[BucketRow, throttle.Take]:
        state = throttle.BucketState(row.tokens, datetime.fromtimestamp(row.updated_at, UTC))
        took = throttle.take(state, now, cost, policy)
        return BucketRow(took.state.tokens, took.state.updated_at.timestamp()), took

    took = s.store.update_bucket(key, BucketRow(policy.capacity, now.timestamp()), change)
    if not took.allowed:
        raise Problem(
            429,
            "rate-limited",
            f"Too many requests: at most {policy.capacity:g} at once and {policy.refill_per_s:g} a second.",
            headers={"Retry-After": throttle.retry_after_header(took.retry_after_s)},
        )


# ------------------------------------------------------------------------------------------------- people


def _record(row: ThrottleRow) -> throttle.ThrottleRecord:
    return throttle.ThrottleRecord(*row)


def _row(record: throttle.ThrottleRecord) -> ThrottleRow:
    return ThrottleRow(
        record.failures, record.first_failure_at, record.last_failure_at, record.locked_until, record.lockouts
    )


def _throttled(s: Settings, keys: dict[str, throttle.ThrottlePolicy], now: datetime) -> None:
    rows = s.store.throttle_rows(list(keys))
    decision = throttle.strictest(*(throttle.check(_record(rows[k]), now, p) for k, p in keys.items()))
    if isinstance(decision, throttle.Allowed):
        return
    wait = (decision.until - now).total_seconds()
    slug, what = ("locked", "locked after repeated failures") if isinstance(decision, throttle.Locked) else (
        "login-delayed", "too soon after a failed login"
    )  # fmt: skip
    raise Problem(
        429, slug, f"Login {what}: try again later.", headers={"Retry-After": throttle.retry_after_header(wait)}
    )


def _after(s: Settings, keys: dict[str, throttle.ThrottlePolicy], now: datetime, ok: bool) -> None:
    for key, policy in keys.items():

        def change(row: ThrottleRow, policy: throttle.ThrottlePolicy = policy) -> ThrottleRow:
            step = throttle.record_success if ok else throttle.record_failure
            return _row(step(_record(row), now, policy))

        s.store.update_throttle(key, change)


@dataclass(frozen=True, slots=True)
class LoggedIn:
    user: User
    session_token: str
    csrf_token: str
    expires_at: datetime


def login(s: Settings, address: str, username: str, password: str, code: str | None) -> LoggedIn:
    """Check the credentials under the throttles and start a session; :class:`Problem` 401 / 429 otherwise."""
    now = s.clock()
    take_token(s, f"address:{address}", s.anonymous_bucket)
    keys = {
        f"account:{username.casefold()[:100]}": throttle.ACCOUNT_POLICY,
        f"address:{address}": throttle.ADDRESS_POLICY,
    }
    _throttled(s, keys, now)
    user = s.store.user_by_name(username)
    ok = passwords.verify_password(user.password_hash, password) if user else passwords.verify_unknown_user(password)
    if ok and user is not None and user.totp_secret is not None:
        verdict = totp.verify_totp(user.totp_secret, code or "", now, user.totp_last_step)
        ok = isinstance(verdict, totp.TotpAccepted)
        if isinstance(verdict, totp.TotpAccepted):
            s.store.update_user(user.id, totp_last_step=verdict.step)
    if ok and user is not None and user.role in STAFF_ROLES and user.totp_secret is None:
        ok = False  # staff without MFA cannot log in (an admin resets their MFA to enrol them)
    if user is not None and user.disabled:
        ok = False
    _after(s, keys, now, ok)
    if not ok or user is None:
        raise Problem(401, "login-failed", "Wrong user name, password or one-time code.")
    return start_session(s, user, now)


def start_session(s: Settings, user: User, now: datetime) -> LoggedIn:
    """A new server-side session for ``user`` at ``now`` (what a login or a confirmed MFA enrolment makes)."""
    policy = tokens.CUSTOMER_SESSIONS if user.role == "customer" else tokens.STAFF_SESSIONS
    issued, session = tokens.start_session(str(user.id), now, policy)
    s.store.add_session(
        SessionRow(
            session.id_hash, user.id, now, now, int(session.idle_timeout.total_seconds()), session.absolute_expires_at
        )
    )
    return LoggedIn(user, issued.token, tokens.csrf_token(issued.token), session.expires_at)


def set_session_cookie(request: Request, response: Response, logged_in: LoggedIn) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        logged_in.session_token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def _session_caller(s: Settings, request: Request, token: str) -> Caller:
    now = s.clock()
    row = s.store.get_session(tokens.token_hash(token))
    if row is None:
        raise Problem(401, "unauthorized", "Log in first: no session, or it has ended.")
    session = tokens.Session(
        row.id_hash, str(row.user_id), row.created_at, row.last_seen_at, timedelta(seconds=row.idle_timeout_s),
        row.absolute_expires_at,
    )  # fmt: skip
    user = s.store.get_user(row.user_id)
    if not session.is_live(now) or user is None or user.disabled:
        s.store.delete_session(row.id_hash)
        raise Problem(401, "unauthorized", "Log in first: no session, or it has ended.")
    if request.method not in SAFE_METHODS and not tokens.csrf_matches(token, request.headers.get(CSRF_HEADER)):
        raise Problem(403, "csrf", f"A state-changing request made with the session cookie needs {CSRF_HEADER}.")
    if session.needs_touch(now, tokens.STAFF_SESSIONS):
        s.store.touch_session(row.id_hash, now)
    take_token(s, f"user:{user.id}", s.user_bucket)
    principal = Principal(cast(Role, user.role), str(user.party_id))
    return Caller(principal, f"user:{user.username}", user.party_id, user_id=user.id)


def logout(s: Settings, request: Request, everywhere: bool) -> int:
    """End the request's session (or all of its user's); returns the sessions ended."""
    token = request.cookies.get(SESSION_COOKIE)
    row = s.store.get_session(tokens.token_hash(token)) if token else None
    if row is None:
        return 0
    if everywhere:
        return s.store.delete_user_sessions(row.user_id)
    s.store.delete_session(row.id_hash)
    return 1


# ------------------------------------------------------------------------------------------------- machines


def issue_token(s: Settings, address: str, client_id: str, secret: str, scope: str | None) -> tuple[str, TokenRow]:
    """The client credentials grant: a bearer token for the client's scopes (or the asked subset of them)."""
    now = s.clock()
    take_token(s, f"address:{address}", s.anonymous_bucket)
    found = s.store.get_client(client_id[:40], now)
    if found is None or found[0].disabled or not tokens.client_secret_matches(secret, found[1]):
        raise Problem(401, "invalid-client", "Unknown client or wrong secret.", error="invalid_client")
    client = found[0]
    allowed = set(client.scopes.split())
    asked = set(scope.split()) if scope else allowed
    if not asked <= allowed:
        raise Problem(400, "invalid-scope", f"The client may have {sorted(allowed)} only.", error="invalid_scope")
    issued, record = tokens.issue_access_token(client.client_id, asked, now)
    row = TokenRow(record.token_hash, client.client_id, " ".join(sorted(asked)), record.issued_at, record.expires_at)
    s.store.add_access_token(row)
    return issued.token, row


REFRESH_ACCESS_TTL: Final = timedelta(hours=24)
"""An access token traded for a refresh token lives 24 hours (Eloverblik's)."""
PERSON_TOKEN_SCOPES: Final = frozenset({"interval_data", "billing_reads", "live_p1"})
"""What a person's refresh token may read with (never a state change)."""


def issue_refreshed(s: Settings, address: str, refresh_token: str) -> tuple[str, datetime, str]:
    """The refresh_token grant: a 24-hour access token for a live refresh token; ``(token, expires_at, scope)``."""
    now = s.clock()
    take_token(s, f"address:{address}", s.anonymous_bucket)
    well_formed = tokens.is_well_formed(refresh_token, "refresh_token")
    row = s.store.refresh_token_by_hash(tokens.token_hash(refresh_token)) if well_formed else None
    if row is None or not row.is_live(now) or _refresh_caller(s, row, frozenset(row.scopes.split())) is None:
        raise Problem(400, "invalid-grant", "The refresh token is unknown, expired or revoked.", error="invalid_grant")
    issued = tokens.new_token("access_token")
    expires = min(now + REFRESH_ACCESS_TTL, row.expires_at)
    s.store.add_refresh_access_token(issued.hash, row.id, now, expires)
    return issued.token, expires, row.scopes


def _refresh_caller(s: Settings, row: RefreshRow, scopes: frozenset[str]) -> Caller | None:
    """Who a refresh token acts as (None: its person or client is gone or disabled)."""
    user = s.store.get_user(row.user_id)
    if user is None or user.disabled:
        return None
    if row.client_id is None:
        principal = Principal(cast(Role, user.role), str(user.party_id), scopes)
        return Caller(principal, f"user:{user.username}", user.party_id, user_id=user.id)
    found = s.store.get_client(row.client_id)
    party = s.store.get_party(found[0].party_id) if found is not None else None
    role = CLIENT_ROLES.get(party.kind) if party is not None else None
    if found is None or found[0].disabled or role is None:
        return None
    client = found[0]
    return Caller(Principal(role, str(client.party_id), scopes), f"client:{client.client_id}", client.party_id,
                  client_id=client.client_id)  # fmt: skip


def _refreshed_caller(s: Settings, token_hash: str, now: datetime) -> Caller | None:
    found = s.store.refresh_access_token(token_hash)
    if found is None:
        return None
    row, issued_at, expires_at = found
    if not (issued_at <= now < expires_at) or not row.is_live(now):
        return None
    who = _refresh_caller(s, row, frozenset(row.scopes.split()))
    if who is not None:
        take_token(s, f"client:{who.client_id}" if who.client_id else f"user:{who.user_id}",
                   s.client_bucket if who.client_id else s.user_bucket)  # fmt: skip
    return who


def _bearer_caller(s: Settings, token: str) -> Caller:
    now = s.clock()
    row = s.store.get_access_token(tokens.token_hash(token)) if tokens.is_well_formed(token, "access_token") else None
    if row is None and tokens.is_well_formed(token, "access_token"):
        refreshed = _refreshed_caller(s, tokens.token_hash(token), now)
        if refreshed is not None:
            return refreshed
    found = s.store.get_client(row.client_id) if row is not None else None
    if row is None or found is None or found[0].disabled or not (row.issued_at <= now < row.expires_at):
        raise Problem(
            401, "invalid-token", "The bearer token is unknown or expired.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )  # fmt: skip
    client = found[0]
    party = s.store.get_party(client.party_id)
    role = CLIENT_ROLES.get(party.kind) if party is not None else None
    if role is None:
        raise Problem(401, "invalid-token", "This client's party has no machine access.")
    take_token(s, f"client:{client.client_id}", s.client_bucket)
    principal = Principal(role, str(client.party_id), frozenset(row.scopes.split()))
    return Caller(principal, f"client:{client.client_id}", client.party_id, client_id=client.client_id)


def caller(request: Request) -> Caller:
    """The request's caller (bearer token, else session cookie), rate-limited; :class:`Problem` 401 otherwise."""
    s = settings_of(request)
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        return _bearer_caller(s, auth[7:].strip())
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        return _session_caller(s, request, token)
    raise Problem(
        401, "unauthorized", "Log in (POST /api/v1/auth/login) or send a bearer token.",
        headers={"WWW-Authenticate": "Bearer"},
    )  # fmt: skip


__all__ = [
    "CLIENT_ROLES",
    "CLIENT_SCOPES",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "LoggedIn",
    "Settings",
    "address_of",
    "caller",
    "issue_refreshed",
    "issue_token",
    "login",
    "logout",
    "set_session_cookie",
    "settings_of",
    "take_token",
]
