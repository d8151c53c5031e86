"""People, their server-side sessions, and market parties' OAuth2 clients with their bearer tokens (issue 13 §3, §4).

Only hashes are kept: the argon2id hash of a password, the SHA-256 of a session cookie's token, of a client
secret and of an access token (made by :mod:`meterhub.security`, which this layer does not import: it stores
strings). Sessions live here, not in a worker's memory, so that every worker of ``meterhub serve`` sees the same
ones; logging out deletes the row, "log out everywhere" deletes all of a user's rows. A client may have two live
secrets (rotation). Functions take a :data:`~meterhub.store.sql.Connection`; :class:`UserOps` runs them in a
transaction of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from meterhub.store import schema as t
from meterhub.store.engine import StoreEngine
from meterhub.store.sql import insert_id, rows_as


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    password_hash: str
    totp_secret: str | None
    totp_last_step: int | None
    role: str
    party_id: int
    disabled: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SessionRow:
    id_hash: str
    user_id: int
    created_at: datetime
    last_seen_at: datetime
    idle_timeout_s: int
    absolute_expires_at: datetime


@dataclass(frozen=True, slots=True)
class Client:
    client_id: str
    party_id: int
    name: str
    scopes: str
    disabled: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TokenRow:
    token_hash: str
    client_id: str
    scopes: str
    issued_at: datetime
    expires_at: datetime


# --------------------------------------------------------------------------------------------- users


def add_user(
    conn: sa.Connection,
    username: str,
    password_hash: str,
    role: str,
    party_id: int,
    created_at: datetime,
    *,
    totp_secret: str | None = None,
) -> int:
    stmt = t.app_user.insert().values(
        username=username,
        password_hash=password_hash,
        role=role,
        party_id=party_id,
        totp_secret=totp_secret,
        created_at=created_at,
    )
    return insert_id(conn, stmt)


def user_by_name(conn: sa.Connection, username: str) -> User | None:
    row = conn.execute(sa.select(t.app_user).where(t.app_user.c.username == username)).first()
    return None if row is None else User(**row._mapping)


def get_user(conn: sa.Connection, user_id: int) -> User | None:
    row = conn.execute(sa.select(t.app_user).where(t.app_user.c.id == user_id)).first()
    return None if row is None else User(**row._mapping)


def list_users(conn: sa.Connection, party_id: int | None = None) -> list[User]:
    q = sa.select(t.app_user).order_by(t.app_user.c.username)
    if party_id is not None:
        q = q.where(t.app_user.c.party_id == party_id)
    return rows_as(User, conn.execute(q))


def update_user(conn: sa.Connection, user_id: int, **values: object) -> bool:
    """Set some of ``password_hash``, ``totp_secret``, ``totp_last_step``, ``disabled``; False if no such user."""
    allowed = {"password_hash", "totp_secret", "totp_last_step", "disabled"}
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"cannot update {sorted(unknown)} of a user")
    result = conn.execute(t.app_user.update().where(t.app_user.c.id == user_id).values(**values))
    return bool(result.rowcount)


# --------------------------------------------------------------------------------------------- sessions


def add_session(conn: sa.Connection, s: SessionRow) -> None:
    conn.execute(t.user_session.insert().values(**{k: getattr(s, k) for k in SessionRow.__slots__}))


def get_session(conn: sa.Connection, id_hash: str) -> SessionRow | None:
    row = conn.execute(sa.select(t.user_session).where(t.user_session.c.id_hash == id_hash)).first()
    return None if row is None else SessionRow(**row._mapping)


def touch_session(conn: sa.Connection, id_hash: str, at: datetime) -> None:
    us = t.user_session
    conn.execute(us.update().where(us.c.id_hash == id_hash, us.c.last_seen_at < at).values(last_seen_at=at))


def delete_session(conn: sa.Connection, id_hash: str) -> None:
    conn.execute(t.user_session.delete().where(t.user_session.c.id_hash == id_hash))


def delete_user_sessions(conn: sa.Connection, user_id: int) -> int:
    """Log ``user_id`` out everywhere; returns the sessions ended."""
    return int(conn.execute(t.user_session.delete().where(t.user_session.c.user_id == user_id)).rowcount)


# --------------------------------------------------------------------------------------------- OAuth2 clients


def add_client(
    conn: sa.Connection, client_id: str, party_id: int, name: str, scopes: str, secret_hash: str, at: datetime
) -> None:
    conn.execute(
        t.oauth_client.insert().values(client_id=client_id, party_id=party_id, name=name, scopes=scopes, created_at=at)
    )
    add_client_secret(conn, client_id, secret_hash, at)


def add_client_secret(conn: sa.Connection, client_id: str, secret_hash: str, at: datetime) -> None:
    conn.execute(t.oauth_client_secret.insert().values(client_id=client_id, secret_hash=secret_hash, created_at=at))


def drop_client_secrets_before(conn: sa.Connection, client_id: str, before: datetime) -> int:
    """End a rotation: forget the client's secrets created before ``before``."""
    s = t.oauth_client_secret
    return int(conn.execute(s.delete().where(s.c.client_id == client_id, s.c.created_at < before)).rowcount)


def get_client(conn: sa.Connection, client_id: str, now: datetime | None = None) -> tuple[Client, list[str]] | None:
    """The client and its live secrets' hashes (at ``now``, if given: a rotated-out secret past its grace is not
    live), or None."""
    row = conn.execute(sa.select(t.oauth_client).where(t.oauth_client.c.client_id == client_id)).first()
    if row is None:
        return None
    s = t.oauth_client_secret
    q = sa.select(s.c.secret_hash).where(s.c.client_id == client_id)
    if now is not None:
        q = q.where(sa.or_(s.c.expires_at.is_(None), s.c.expires_at > now))
    hashes = [str(h) for h in conn.execute(q).scalars()]
    return Client(**row._mapping), hashes


def list_clients(conn: sa.Connection, party_id: int | None = None) -> list[Client]:
    q = sa.select(t.oauth_client).order_by(t.oauth_client.c.client_id)
    if party_id is not None:
        q = q.where(t.oauth_client.c.party_id == party_id)
    return rows_as(Client, conn.execute(q))


def add_access_token(conn: sa.Connection, tok: TokenRow) -> None:
    conn.execute(t.access_token.insert().values(**{k: getattr(tok, k) for k in TokenRow.__slots__}))


def get_access_token(conn: sa.Connection, token_hash: str) -> TokenRow | None:
    row = conn.execute(sa.select(t.access_token).where(t.access_token.c.token_hash == token_hash)).first()
    return None if row is None else TokenRow(**row._mapping)


def purge_access_tokens(conn: sa.Connection, now: datetime) -> int:
    """Forget the expired bearer tokens."""
    return int(conn.execute(t.access_token.delete().where(t.access_token.c.expires_at <= now)).rowcount)


class UserOps(StoreEngine):
    """People, sessions and OAuth2 clients (part of :class:`~meterhub.store.db.Store`)."""

    def add_user(
        self, username: str, password_hash: str, role: str, party_id: int, at: datetime, *, totp_secret: str | None
    ) -> int:
        with self.write() as conn:
            return add_user(conn, username, password_hash, role, party_id, at, totp_secret=totp_secret)

    def user_by_name(self, username: str) -> User | None:
        with self.read() as conn:
            return user_by_name(conn, username)

    def get_user(self, user_id: int) -> User | None:
        with self.read() as conn:
            return get_user(conn, user_id)

    def list_users(self, party_id: int | None = None) -> list[User]:
        with self.read() as conn:
            return list_users(conn, party_id)

    def update_user(self, user_id: int, **values: object) -> bool:
        with self.write() as conn:
            return update_user(conn, user_id, **values)

    def add_session(self, s: SessionRow) -> None:
        with self.write() as conn:
            add_session(conn, s)

    def get_session(self, id_hash: str) -> SessionRow | None:
        with self.read() as conn:
            return get_session(conn, id_hash)

    def touch_session(self, id_hash: str, at: datetime) -> None:
        with self.write() as conn:
            touch_session(conn, id_hash, at)

    def delete_session(self, id_hash: str) -> None:
        with self.write() as conn:
            delete_session(conn, id_hash)

    def delete_user_sessions(self, user_id: int) -> int:
        with self.write() as conn:
            return delete_user_sessions(conn, user_id)

    def add_client(self, client_id: str, party_id: int, name: str, scopes: str, secret_hash: str, at: datetime) -> None:
        with self.write() as conn:
            add_client(conn, client_id, party_id, name, scopes, secret_hash, at)

    def get_client(self, client_id: str, now: datetime | None = None) -> tuple[Client, list[str]] | None:
        with self.read() as conn:
            return get_client(conn, client_id, now)

    def list_clients(self, party_id: int | None = None) -> list[Client]:
        with self.read() as conn:
            return list_clients(conn, party_id)

    def add_access_token(self, tok: TokenRow) -> None:
        with self.write() as conn:
            add_access_token(conn, tok)

    def get_access_token(self, token_hash: str) -> TokenRow | None:
        with self.read() as conn:
            return get_access_token(conn, token_hash)


__all__ = [
    "Client",
    "SessionRow",
    "TokenRow",
    "User",
    "UserOps",
    "add_access_token",
    "add_client",
    "add_client_secret",
    "add_session",
    "add_user",
    "delete_session",
    "delete_user_sessions",
    "drop_client_secrets_before",
    "get_access_token",
    "get_client",
    "get_session",
    "get_user",
    "list_clients",
    "list_users",
    "purge_access_tokens",
    "touch_session",
    "update_user",
    "user_by_name",
]
