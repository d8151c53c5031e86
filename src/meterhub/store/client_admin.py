"""A market party's OAuth2 clients administered over HTTP (issue 13 §4): rotating a secret, deleting a client.

A client keeps the hashes of its live secrets (``oauth_client_secret``; SHA-256 of a 256-bit random token, see
:mod:`meterhub.security.tokens`). :func:`rotate_secret` adds the new secret's hash and either ends the old ones at
once — their hashes deleted, and the client's bearer and refresh tokens revoked with them, for a secret
that leaked — or gives them a grace period (``expires_at``: the party's systems switch over meanwhile; tokens
already issued run out by themselves). :func:`delete_client` disables the client and deletes its secrets and
tokens; the row stays, because the access log names ``client:<id>``. Functions take a connection;
:class:`ClientAdminOps` runs each alone, in one write transaction.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from meterhub.store import schema as t
from meterhub.store.engine import StoreEngine
from meterhub.store.refresh import revoke_client_refresh
from meterhub.store.users import add_client_secret


def _revoke_tokens(conn: sa.Connection, client_id: str, at: datetime) -> None:
    """End the client's bearer tokens and its refresh tokens (with the access tokens traded for them)."""
    conn.execute(t.access_token.delete().where(t.access_token.c.client_id == client_id))
    revoke_client_refresh(conn, client_id, at)


def rotate_secret(
    conn: sa.Connection, client_id: str, new_hash: str, at: datetime, old_valid_until: datetime | None
) -> bool:
    """A new secret for a live client; the old ones end at ``old_valid_until`` (None: at once, with the client's
    tokens). False: no such live client."""
    c, s = t.oauth_client, t.oauth_client_secret
    live = conn.execute(sa.select(c.c.client_id).where(c.c.client_id == client_id, sa.not_(c.c.disabled))).first()
    if live is None:
        return False
    old = s.c.client_id == client_id
    if old_valid_until is None:
        conn.execute(s.delete().where(old))
        _revoke_tokens(conn, client_id, at)
    else:
        ending = sa.and_(old, sa.or_(s.c.expires_at.is_(None), s.c.expires_at > old_valid_until))
        conn.execute(s.update().where(ending).values(expires_at=old_valid_until))
        conn.execute(s.delete().where(old, s.c.expires_at <= at))  # earlier rotations' ended secrets
    add_client_secret(conn, client_id, new_hash, at)
    return True


def delete_client(conn: sa.Connection, client_id: str, at: datetime) -> bool:
    """Disable a live client and delete its secrets and tokens; False: no such live client."""
    c = t.oauth_client
    done = conn.execute(c.update().where(c.c.client_id == client_id, sa.not_(c.c.disabled)).values(disabled=True))
    if done.rowcount != 1:
        return False
    conn.execute(t.oauth_client_secret.delete().where(t.oauth_client_secret.c.client_id == client_id))
    _revoke_tokens(conn, client_id, at)
    return True


class ClientAdminOps(StoreEngine):
    """Rotating and deleting OAuth2 clients (part of :class:`~meterhub.store.db.Store`)."""

    def rotate_client_secret(
        self, client_id: str, new_hash: str, at: datetime, old_valid_until: datetime | None
    ) -> bool:
        with self.write() as conn:
            return rotate_secret(conn, client_id, new_hash, at, old_valid_until)

    def delete_client(self, client_id: str, at: datetime) -> bool:
        with self.write() as conn:
            return delete_client(conn, client_id, at)


__all__ = ["ClientAdminOps", "delete_client", "rotate_secret"]
