"""Refresh tokens (migration 0012): long-lived credentials a person issues, traded for 24-hour bearer tokens.

As in Eloverblik, a person (a customer, or a market party's staff) issues a refresh token — acting as themselves,
or as one of their party's OAuth2 clients (``client_id``) — and gives it to a program, which trades it at the
token endpoint for an access token of 24 hours. Only SHA-256 hashes are kept (of the ``mhrt_`` and the ``mhat_``
token: :mod:`meterhub.security.tokens`). Revoking sets ``revoked_at`` and deletes the access tokens traded for it,
so a revocation takes effect at once. Functions take a connection; :class:`RefreshOps` runs each alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from meterhub.store import schema as t
from meterhub.store.engine import StoreEngine
from meterhub.store.sql import insert_id


@dataclass(frozen=True, slots=True)
class RefreshRow:
    id: int
    token_hash: str
    user_id: int
    client_id: str | None
    name: str
    scopes: str
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None

    def is_live(self, now: datetime) -> bool:
        return self.revoked_at is None and self.issued_at <= now < self.expires_at


def _row(r: sa.Row[Any]) -> RefreshRow:
    return RefreshRow(**r._mapping)


def add_refresh(
    conn: sa.Connection,
    token_hash: str,
    user_id: int,
    client_id: str | None,
    name: str,
    scopes: str,
    issued_at: datetime,
    expires_at: datetime,
) -> int:
    values = {"token_hash": token_hash, "user_id": user_id, "client_id": client_id, "name": name, "scopes": scopes,
              "issued_at": issued_at, "expires_at": expires_at}  # fmt: skip
    return insert_id(conn, t.refresh_token.insert().values(**values))


def refresh_by_hash(conn: sa.Connection, token_hash: str) -> RefreshRow | None:
    r = conn.execute(sa.select(t.refresh_token).where(t.refresh_token.c.token_hash == token_hash)).first()
    return None if r is None else _row(r)


def refresh_of_user(conn: sa.Connection, user_id: int) -> list[RefreshRow]:
    """The refresh tokens ``user_id`` issued, newest first."""
    rt = t.refresh_token
    return [_row(r) for r in conn.execute(sa.select(rt).where(rt.c.user_id == user_id).order_by(rt.c.id.desc()))]


def revoke_refresh(conn: sa.Connection, refresh_id: int, user_id: int, at: datetime) -> bool:
    """Revoke a live refresh token ``user_id`` issued, and end its access tokens; False: none such."""
    rt = t.refresh_token
    mine = sa.and_(rt.c.id == refresh_id, rt.c.user_id == user_id, rt.c.revoked_at.is_(None))
    if conn.execute(rt.update().where(mine).values(revoked_at=at)).rowcount != 1:
        return False
    conn.execute(t.refresh_access_token.delete().where(t.refresh_access_token.c.refresh_id == refresh_id))
    return True


def revoke_client_refresh(conn: sa.Connection, client_id: str, at: datetime) -> None:
    """Revoke every refresh token of a client (deleted, or its secret rotated at once), with their access tokens."""
    rt = t.refresh_token
    conn.execute(rt.update().where(rt.c.client_id == client_id, rt.c.revoked_at.is_(None)).values(revoked_at=at))
    rat = t.refresh_access_token
    conn.execute(rat.delete().where(rat.c.refresh_id.in_(sa.select(rt.c.id).where(rt.c.client_id == client_id))))


def add_refresh_access(
    conn: sa.Connection, token_hash: str, refresh_id: int, issued_at: datetime, expires_at: datetime
) -> None:
    values = {"token_hash": token_hash, "refresh_id": refresh_id, "issued_at": issued_at, "expires_at": expires_at}
    conn.execute(t.refresh_access_token.insert().values(**values))


def refresh_access(conn: sa.Connection, token_hash: str) -> tuple[RefreshRow, datetime, datetime] | None:
    """The refresh token an access token was traded for, with the access token's issue and expiry, or None."""
    rat, rt = t.refresh_access_token, t.refresh_token
    q = (
        sa.select(rt, rat.c.issued_at.label("access_issued_at"), rat.c.expires_at.label("access_expires_at"))
        .join(rt, rt.c.id == rat.c.refresh_id)
        .where(rat.c.token_hash == token_hash)
    )
    r = conn.execute(q).first()
    if r is None:
        return None
    m = dict(r._mapping)
    issued, expires = m.pop("access_issued_at"), m.pop("access_expires_at")
    return RefreshRow(**m), issued, expires


class RefreshOps(StoreEngine):
    """Refresh tokens and the access tokens traded for them (part of :class:`~meterhub.store.db.Store`)."""

    def add_refresh_token(
        self,
        token_hash: str,
        user_id: int,
        client_id: str | None,
        name: str,
        scopes: str,
        issued_at: datetime,
        expires_at: datetime,
    ) -> int:
        with self.write() as conn:
            return add_refresh(conn, token_hash, user_id, client_id, name, scopes, issued_at, expires_at)

    def refresh_token_by_hash(self, token_hash: str) -> RefreshRow | None:
        with self.read() as conn:
            return refresh_by_hash(conn, token_hash)

    def refresh_tokens_of_user(self, user_id: int) -> list[RefreshRow]:
        with self.read() as conn:
            return refresh_of_user(conn, user_id)

    def revoke_refresh_token(self, refresh_id: int, user_id: int, at: datetime) -> bool:
        with self.write() as conn:
            return revoke_refresh(conn, refresh_id, user_id, at)

    def add_refresh_access_token(
        self, token_hash: str, refresh_id: int, issued_at: datetime, expires_at: datetime
    ) -> None:
        with self.write() as conn:
            add_refresh_access(conn, token_hash, refresh_id, issued_at, expires_at)

    def refresh_access_token(self, token_hash: str) -> tuple[RefreshRow, datetime, datetime] | None:
        with self.read() as conn:
            return refresh_access(conn, token_hash)


__all__ = [
    "RefreshOps",
    "RefreshRow",
    "add_refresh",
    "add_refresh_access",
    "refresh_access",
    "refresh_by_hash",
    "refresh_of_user",
    "revoke_client_refresh",
    "revoke_refresh",
]
