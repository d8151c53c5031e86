"""Notification contacts: where a party's e-mails go, in which language, and whether it wants the consent ones.

``party_contact`` holds at most one row per party (migration 0014): the e-mail address, the language of its
messages (``en``, ``fr``, ``de``), ``consent_mail`` (a consent request received, a consent granted, refused,
revoked or expired) and when the row last changed. :func:`set_contact` writes it (insert or replace),
:func:`contacts_of` reads the rows of some parties at once (what a notification needs: the customer and the party
of one consent), :func:`drop_contact` forgets it. A party without a row is sent nothing. ``consent_notice`` records
the notices a sweep sends once per consent: :func:`ended_unnoticed` finds the active consents whose end date has
passed without an ``expired`` notice, :func:`claim_notice` records one (False if another worker did first).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from meterhub.store import schema as t
from meterhub.store.engine import StoreEngine
from meterhub.store.sql import id_filters, insert_for


@dataclass(frozen=True, slots=True)
class Contact:
    party_id: int
    email: str
    lang: str
    consent_mail: bool
    updated_at: datetime


def set_contact(conn: sa.Connection, party_id: int, email: str, lang: str, consent_mail: bool, at: datetime) -> None:
    """The party's contact becomes this one (created if it had none)."""
    values = {"email": email, "lang": lang, "consent_mail": consent_mail, "updated_at": at}
    stmt = insert_for(conn, t.party_contact).values(party_id=party_id, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=["party_id"], set_=values))


def contacts_of(conn: sa.Connection, party_ids: Iterable[int]) -> dict[int, Contact]:
    """``{party id: Contact}`` of the parties of ``party_ids`` that have one."""
    ids = sorted(set(party_ids))
    if not ids:
        return {}
    pc = t.party_contact
    rows = conn.execute(sa.select(pc).where(*id_filters(conn, pc.c.party_id, ids)))
    return {int(r.party_id): Contact(**r._mapping) for r in rows}


def drop_contact(conn: sa.Connection, party_id: int) -> None:
    conn.execute(t.party_contact.delete().where(t.party_contact.c.party_id == party_id))


def ended_unnoticed(conn: sa.Connection, now: datetime, limit: int = 500) -> list[int]:
    """The ids of active consents whose end (valid_to) is at or before ``now`` and that have no ``expired``
    notice yet, oldest end first."""
    c, n = t.consent, t.consent_notice
    noticed = sa.select(n.c.consent_id).where(n.c.notice == "expired")
    q = (
        sa.select(c.c.id)
        .where(c.c.status == "active", c.c.valid_to.is_not(None), c.c.valid_to <= now, c.c.id.not_in(noticed))
        .order_by(c.c.valid_to, c.c.id)
        .limit(limit)
    )
    return [int(x) for x in conn.execute(q).scalars()]


def claim_notice(conn: sa.Connection, consent_id: int, notice: str, at: datetime) -> bool:
    """Record that ``notice`` about ``consent_id`` is being sent; False if it was recorded already."""
    stmt = insert_for(conn, t.consent_notice).values(consent_id=consent_id, notice=notice, at=at)
    return bool(conn.execute(stmt.on_conflict_do_nothing()).rowcount)


class ContactOps(StoreEngine):
    """Notification contacts (part of :class:`~meterhub.store.db.Store`)."""

    def set_contact(self, party_id: int, email: str, lang: str, consent_mail: bool, at: datetime) -> None:
        with self.write() as conn:
            set_contact(conn, party_id, email, lang, consent_mail, at)

    def contacts_of(self, party_ids: Iterable[int]) -> dict[int, Contact]:
        with self.read() as conn:
            return contacts_of(conn, party_ids)

    def contact_of(self, party_id: int) -> Contact | None:
        return self.contacts_of([party_id]).get(party_id)

    def drop_contact(self, party_id: int) -> None:
        with self.write() as conn:
            drop_contact(conn, party_id)

    def ended_unnoticed(self, now: datetime, limit: int = 500) -> list[int]:
        with self.read() as conn:
            return ended_unnoticed(conn, now, limit)

    def claim_notice(self, consent_id: int, notice: str, at: datetime) -> bool:
        with self.write() as conn:
            return claim_notice(conn, consent_id, notice, at)


__all__ = ["Contact", "ContactOps", "claim_notice", "contacts_of", "drop_contact", "ended_unnoticed", "set_contact"]
