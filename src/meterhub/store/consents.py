"""Consents: a customer lets a supplier or an ESP see chosen metering points (issue 13 §5).

A consent names its grantor (the customer), its grantee, its points (``consent_point``), its scopes
(space-separated: ``interval_data``, ``billing_reads``, ``live_p1``), the period of data it covers [valid_from,
valid_to) and a status: ``requested`` (a party asked; the customer has not answered), ``active`` (granted, or a
request accepted), ``refused``, ``revoked`` (with ``revoked_at``, effective at once). Rows are never deleted; a
status changes only along requested → active | refused and active → revoked (:func:`set_status` refuses other
steps). Functions take a :data:`~meterhub.store.sql.Connection`; :class:`ConsentOps` runs them alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from meterhub.store import schema as t
from meterhub.store.engine import StoreEngine
from meterhub.store.sql import id_filters, insert_id

STEPS: dict[str, frozenset[str]] = {"requested": frozenset({"active", "refused"}), "active": frozenset({"revoked"})}
"""The status changes allowed, from → to."""


@dataclass(frozen=True, slots=True)
class ConsentRow:
    id: int
    grantor_id: int
    grantee_id: int
    scopes: tuple[str, ...]
    valid_from: datetime
    valid_to: datetime | None
    status: str
    created_at: datetime
    answered_at: datetime | None
    revoked_at: datetime | None
    point_ids: tuple[int, ...]
    expired_at: datetime | None = None


def add_consent(
    conn: sa.Connection,
    grantor_id: int,
    grantee_id: int,
    point_ids: Sequence[int],
    scopes: Iterable[str],
    valid_from: datetime,
    valid_to: datetime | None,
    status: str,
    at: datetime,
) -> int:
    """A new consent (``active``: granted by the customer; ``requested``: asked by the grantee)."""
    cid = insert_id(
        conn,
        t.consent.insert().values(
            grantor_id=grantor_id,
            grantee_id=grantee_id,
            scopes=" ".join(sorted(set(scopes))),
            valid_from=valid_from,
            valid_to=valid_to,
            status=status,
            created_at=at,
            answered_at=at if status == "active" else None,
        ),
    )
    conn.execute(
        t.consent_point.insert(), [{"consent_id": cid, "metering_point_id": p} for p in sorted(set(point_ids))]
    )
    return cid


def _rows(conn: sa.Connection, where: sa.ColumnElement[bool]) -> list[ConsentRow]:
    c, cp = t.consent, t.consent_point
    rows = list(conn.execute(sa.select(c).where(where).order_by(c.c.id)))
    points: dict[int, list[int]] = {int(r.id): [] for r in rows}
    for f in id_filters(conn, cp.c.consent_id, points):
        for pr in conn.execute(sa.select(cp).where(f).order_by(cp.c.metering_point_id)):
            points[int(pr.consent_id)].append(int(pr.metering_point_id))
    return [
        ConsentRow(**{**r._mapping, "scopes": tuple(str(r.scopes).split()), "point_ids": tuple(points[int(r.id)])})
        for r in rows
    ]


def get_consent(conn: sa.Connection, consent_id: int) -> ConsentRow | None:
    rows = _rows(conn, t.consent.c.id == consent_id)
    return rows[0] if rows else None


def consents_of_party(conn: sa.Connection, party_id: int) -> list[ConsentRow]:
    """The consents a party granted or was granted (or asked for), oldest first."""
    c = t.consent.c
    return _rows(conn, sa.or_(c.grantor_id == party_id, c.grantee_id == party_id))


def all_consents(conn: sa.Connection) -> list[ConsentRow]:
    """Every consent, oldest first (the operator's and the auditor's view)."""
    return _rows(conn, sa.true())


def consents_on_points(
    conn: sa.Connection, point_ids: Iterable[int], grantee_id: int | None = None
) -> list[ConsentRow]:
    """The active or revoked consents naming any of ``point_ids`` (of ``grantee_id`` only, if given)."""
    ids = sorted(set(point_ids))
    if not ids:
        return []
    cp, c = t.consent_point, t.consent.c
    sub = sa.select(cp.c.consent_id).where(*id_filters(conn, cp.c.metering_point_id, ids))
    where = sa.and_(c.id.in_(sub), c.status.in_(("active", "revoked")))
    if grantee_id is not None:
        where = sa.and_(where, c.grantee_id == grantee_id)
    return _rows(conn, where)


def set_status(conn: sa.Connection, consent_id: int, status: str, at: datetime) -> ConsentRow:
    """Move a consent to ``status`` at ``at``; ValueError for a step :data:`STEPS` does not allow."""
    current = get_consent(conn, consent_id)
    if current is None:
        raise LookupError(f"no consent {consent_id}")
    if status not in STEPS.get(current.status, frozenset()):
        raise ValueError(f"a {current.status} consent cannot become {status}")
    values: dict[str, object] = {"status": status}
    values["revoked_at" if status == "revoked" else "answered_at"] = at
    conn.execute(
        t.consent.update().where(t.consent.c.id == consent_id, t.consent.c.status == current.status).values(**values)
    )
    updated = get_consent(conn, consent_id)
    assert updated is not None
    return updated


class ConsentOps(StoreEngine):
    """Consents (part of :class:`~meterhub.store.db.Store`)."""

    def add_consent(
        self,
        grantor_id: int,
        grantee_id: int,
        point_ids: Sequence[int],
        scopes: Iterable[str],
        valid_from: datetime,
        valid_to: datetime | None,
        status: str,
        at: datetime,
    ) -> int:
        with self.write() as conn:
            return add_consent(conn, grantor_id, grantee_id, point_ids, scopes, valid_from, valid_to, status, at)

    def get_consent(self, consent_id: int) -> ConsentRow | None:
        with self.read() as conn:
            return get_consent(conn, consent_id)

    def consents_of_party(self, party_id: int) -> list[ConsentRow]:
        with self.read() as conn:
            return consents_of_party(conn, party_id)

    def all_consents(self) -> list[ConsentRow]:
        with self.read() as conn:
            return all_consents(conn)

    def consents_on_points(self, point_ids: Iterable[int], grantee_id: int | None = None) -> list[ConsentRow]:
        with self.read() as conn:
            return consents_on_points(conn, point_ids, grantee_id)

    def set_consent_status(self, consent_id: int, status: str, at: datetime) -> ConsentRow:
        with self.write() as conn:
            return set_status(conn, consent_id, status, at)


__all__ = [
    "STEPS",
    "ConsentOps",
    "ConsentRow",
    "add_consent",
    "all_consents",
    "consents_of_party",
    "consents_on_points",
    "get_consent",
    "set_status",
]
