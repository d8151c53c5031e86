"""Suppliers' published tariffs as stored (``supplier_tariff``, migration 0007): versions over local days.

A version is one supplier's tariff ``name`` valid on the local days [valid_from, valid_to) (``valid_to`` None:
open), its definition a JSON object (the form of :meth:`meterhub.mdm.tariffs.Tariff.to_dict`, which this layer
does not interpret). :func:`publish_tariff` adds a version and closes the open one of the same tariff on the new
version's first day; a version starting on or before the latest one's start is refused (history is not
rewritten), as is a party that is not a supplier. :func:`tariff_versions` lists versions, :func:`tariffs_on` the
versions in force on a day. Functions take a :data:`~meterhub.store.sql.Connection`; :class:`TariffOps` is the
part of :class:`~meterhub.store.db.Store` that runs them in a transaction of their own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from meterhub.store import schema as t
from meterhub.store.engine import StoreEngine
from meterhub.store.sql import insert_id


class TariffStoreError(ValueError):
    """A tariff version the store refuses (unknown supplier, a start not after the latest version's)."""


@dataclass(frozen=True, slots=True)
class StoredTariff:
    """One stored version of a supplier's tariff."""

    id: int
    supplier_id: int
    name: str
    valid_from: date
    valid_to: date | None
    definition: dict[str, Any]
    created_at: datetime

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


def _row(r: sa.Row[Any]) -> StoredTariff:
    return StoredTariff(
        int(r.id), int(r.supplier_id), str(r.name), r.valid_from, r.valid_to, json.loads(r.definition), r.created_at
    )


def publish_tariff(
    conn: sa.Connection,
    supplier_id: int,
    name: str,
    definition: Mapping[str, Any],
    valid_from: date,
    *,
    now: datetime,
    valid_to: date | None = None,
) -> int:
    """Add a version of ``supplier_id``'s tariff ``name`` from ``valid_from`` on; the open version ends there."""
    kind = conn.execute(sa.select(t.party.c.kind).where(t.party.c.id == supplier_id)).scalar()
    if kind != "supplier":
        raise TariffStoreError(f"party {supplier_id} is not a supplier")
    if valid_to is not None and valid_to <= valid_from:
        raise TariffStoreError(f"valid_to {valid_to} is not after valid_from {valid_from}")
    st = t.supplier_tariff
    mine = sa.and_(st.c.supplier_id == supplier_id, st.c.name == name)
    latest = conn.execute(sa.select(sa.func.max(st.c.valid_from)).where(mine)).scalar()
    if latest is not None:
        latest_day = latest if isinstance(latest, date) else date.fromisoformat(str(latest))
        if valid_from <= latest_day:
            raise TariffStoreError(f"tariff {name!r} already has a version from {latest_day}; publish a later one")
        conn.execute(st.update().where(mine, st.c.valid_to.is_(None)).values(valid_to=valid_from))
    stmt = st.insert().values(
        supplier_id=supplier_id,
        name=name,
        valid_from=valid_from,
        valid_to=valid_to,
        definition=json.dumps(dict(definition), sort_keys=True),
        created_at=now,
    )
    return insert_id(conn, stmt)


def tariff_versions(conn: sa.Connection, supplier_id: int | None = None, name: str | None = None) -> list[StoredTariff]:
    """Stored versions (of one supplier, of one tariff name), by supplier, name and start."""
    st = t.supplier_tariff
    q = sa.select(st).order_by(st.c.supplier_id, st.c.name, st.c.valid_from)
    if supplier_id is not None:
        q = q.where(st.c.supplier_id == supplier_id)
    if name is not None:
        q = q.where(st.c.name == name)
    return [_row(r) for r in conn.execute(q)]


def tariffs_on(conn: sa.Connection, day: date, supplier_id: int | None = None) -> list[StoredTariff]:
    """The versions in force on local ``day`` (every supplier's, or one's): the tariffs published that day."""
    st = t.supplier_tariff
    q = (
        sa.select(st)
        .where(st.c.valid_from <= day, sa.or_(st.c.valid_to.is_(None), st.c.valid_to > day))
        .order_by(st.c.supplier_id, st.c.name)
    )
    if supplier_id is not None:
        q = q.where(st.c.supplier_id == supplier_id)
    return [_row(r) for r in conn.execute(q)]


class TariffOps(StoreEngine):
    """Supplier tariff versions (part of :class:`~meterhub.store.db.Store`)."""

    def publish_tariff(
        self,
        supplier_id: int,
        name: str,
        definition: Mapping[str, Any],
        valid_from: date,
        *,
        now: datetime,
        valid_to: date | None = None,
    ) -> int:
        with self.write() as conn:
            return publish_tariff(conn, supplier_id, name, definition, valid_from, now=now, valid_to=valid_to)

    def tariff_versions(self, supplier_id: int | None = None, name: str | None = None) -> list[StoredTariff]:
        with self.read() as conn:
            return tariff_versions(conn, supplier_id, name)

    def tariffs_on(self, day: date, supplier_id: int | None = None) -> list[StoredTariff]:
        with self.read() as conn:
            return tariffs_on(conn, day, supplier_id)


__all__ = ["StoredTariff", "TariffOps", "TariffStoreError", "publish_tariff", "tariff_versions", "tariffs_on"]
