"""Opaque tokens: shape, hashing, constant-time checks, session expiry, CSRF tokens, client secrets, access tokens."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from meterhub.security.tokens import (
    ACCESS_TOKEN_TTL,
    CUSTOMER_SESSIONS,
    STAFF_SESSIONS,
    AccessToken,
    Session,
    TokenKind,
    client_secret_matches,
    csrf_matches,
    csrf_token,
    is_well_formed,
    issue_access_token,
    new_client_id,
    new_client_secret,
    new_token,
    start_session,
    token_hash,
    token_matches,
)

T0 = datetime(2025, 6, 2, 7, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "prefix"), [("session", "mhs_"), ("client_secret", "mhcs_"), ("access_token", "mhat_")]
)
def test_new_token_shape(kind: TokenKind, prefix: str) -> None:
    issued = new_token(kind)
    assert issued.token.startswith(prefix) and len(issued.token) == len(prefix) + 43
    assert is_well_formed(issued.token, kind)
    assert issued.hash == hashlib.sha256(issued.token.encode()).hexdigest()
    assert issued.token not in repr(issued)
    assert new_token(kind).token != issued.token


def test_kinds_are_not_interchangeable() -> None:
    session = new_token("session").token
    assert not is_well_formed(session, "access_token")
    assert not is_well_formed(session, "client_secret")
    assert not is_well_formed("mhs_" + "a" * 42, "session")
    assert not is_well_formed("mhs_" + "a" * 42 + "!", "session")
    assert not is_well_formed("mhs_" + "a" * 42 + "é", "session")
    assert not is_well_formed("", "session")


def test_token_matches() -> None:
    issued = new_token("session")
    assert token_matches(issued.token, issued.hash)
    assert not token_matches(issued.token + "x", issued.hash)
    assert not token_matches(issued.token, token_hash("other"))
    assert len(token_hash("x")) == 64


def test_session_idle_expiry_moves_with_use() -> None:
    issued, session = start_session("u-17", T0, STAFF_SESSIONS)
    assert session.id_hash == issued.hash and issued.token.startswith("mhs_")
    assert session.user_id == "u-17" and session.created_at == session.last_seen_at == T0
    assert session.is_live(T0 + timedelta(minutes=29, seconds=59))
    assert not session.is_live(T0 + timedelta(minutes=30))
    later = session.touched(T0 + timedelta(minutes=20))
    assert later.is_live(T0 + timedelta(minutes=49)) and not later.is_live(T0 + timedelta(minutes=50))
    assert session.touched(T0 - timedelta(minutes=5)).last_seen_at == T0  # a late-arriving request never rewinds


def test_session_absolute_expiry_holds_however_active() -> None:
    _, session = start_session("u-17", T0, STAFF_SESSIONS)
    t = T0
    while t < T0 + timedelta(hours=12) - timedelta(minutes=10):
        t += timedelta(minutes=10)
        session = session.touched(t)
        assert session.is_live(t)
    assert session.expires_at == T0 + timedelta(hours=12)
    assert not session.is_live(T0 + timedelta(hours=12))


def test_customer_sessions_last_longer() -> None:
    _, session = start_session("c-1", T0, CUSTOMER_SESSIONS)
    assert session.is_live(T0 + timedelta(minutes=59)) and not session.is_live(T0 + timedelta(hours=1))
    assert session.absolute_expires_at == T0 + timedelta(days=7)
    assert CUSTOMER_SESSIONS.idle_timeout > STAFF_SESSIONS.idle_timeout
    assert CUSTOMER_SESSIONS.absolute_timeout > STAFF_SESSIONS.absolute_timeout


def test_touch_is_written_at_most_once_a_minute() -> None:
    _, session = start_session("u-17", T0, STAFF_SESSIONS)
    assert not session.needs_touch(T0 + timedelta(seconds=59), STAFF_SESSIONS)
    assert session.needs_touch(T0 + timedelta(minutes=1), STAFF_SESSIONS)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        start_session("u", datetime(2025, 1, 1), STAFF_SESSIONS)
    with pytest.raises(ValueError, match="timezone-aware"):
        Session("h", "u", datetime(2025, 1, 1), T0, timedelta(minutes=1), T0)


def test_csrf_token_is_tied_to_the_session() -> None:
    a, b = new_token("session").token, new_token("session").token
    assert csrf_token(a) == csrf_token(a) != csrf_token(b)
    assert csrf_matches(a, csrf_token(a))
    assert not csrf_matches(a, csrf_token(b))
    assert not csrf_matches(a, None) and not csrf_matches(a, "") and not csrf_matches(a, "é")
    assert a not in csrf_token(a) and len(csrf_token(a)) == 43


def test_client_secret_rotation() -> None:
    old, new = new_client_secret(), new_client_secret()
    assert old.token.startswith("mhcs_")
    assert client_secret_matches(old.token, [old.hash, new.hash])
    assert client_secret_matches(new.token, [old.hash, new.hash])
    assert not client_secret_matches(old.token, [new.hash])  # rotation finished
    assert not client_secret_matches(old.token, [])
    assert not client_secret_matches(new_token("session").token, [token_hash(new_token("session").token)])
    assert new_client_id().startswith("mhci_") and new_client_id() != new_client_id()


def test_access_token_life() -> None:
    issued, token = issue_access_token("mhci_0123456789abcdef", ["interval_data"], T0)
    assert issued.token.startswith("mhat_") and token.token_hash == issued.hash
    assert token.scopes == frozenset({"interval_data"})
    assert token.expires_at == T0 + ACCESS_TOKEN_TTL == T0 + timedelta(minutes=15)
    assert token.is_live(T0) and token.is_live(T0 + timedelta(minutes=14, seconds=59))
    assert not token.is_live(T0 + ACCESS_TOKEN_TTL) and not token.is_live(T0 - timedelta(seconds=1))
    assert token.expires_in(T0) == 900 and token.expires_in(T0 + timedelta(hours=1)) == 0
    with pytest.raises(ValueError, match="timezone-aware"):
        AccessToken("h", "c", frozenset(), datetime(2025, 1, 1), T0)
