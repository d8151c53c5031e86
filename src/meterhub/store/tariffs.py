"""Suppliers' tariffs as stored (``supplier_tariff``, migrations 0007 and 0013): drafts, published versions over
local days, withdrawals.

A row is one supplier's tariff ``name`` with its definition (a JSON object, the form of
:meth:`meterhub.mdm.tariffs.Tariff.to_dict`, which this layer does not interpret) and a ``status``: a **draft**
has no period yet; a **published** version is valid on the local days [valid_from, valid_to) (``valid_to`` None:
open); a **withdrawn** one ended on its withdrawal day (withdrawn before it started, its period is cleared: it
never was in force). :func:`publish_tariff` adds a published version (:func:`add_draft` then
:func:`publish_draft`): every dated version of the same tariff that starts before the new one and runs past its
first day is cut there, and one starting on or after it is a refusal (history is not rewritten), as is a party
that is not a supplier. :func:`withdraw_tariff` ends a published version (and, for one that had not started,
reopens the version it had closed). :func:`tariff_versions` lists rows, :func:`tariffs_on` the versions in force
on a day, :func:`get_tariff` one row. Functions take a :data:`~meterhub.store.sql.Connection`;
:class:`TariffOps` is the part of :class:`~meterhub.store.db.Store` that runs them in a transaction of their own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import sqlalchemy as sa

from meterhub.store import schema as t
from meterhub.store.engine import StoreEngine
from meterhub.store.sql import insert_id

TariffStatus = Literal["draft", "published", "withdrawn"]


class TariffStoreError(ValueError):
    """A tariff change the store refuses (unknown supplier, a start not after the latest version's, a step that
    does not apply to the tariff's status)."""


@dataclass(frozen=True, slots=True)
class StoredTariff:
    """One stored row of a supplier's tariff (a draft has no ``valid_from``)."""

    id: int
    supplier_id: int
    name: str
    valid_from: date | None
    valid_to: date | None
    definition: dict[str, Any]
    created_at: datetime
    status: TariffStatus = "published"
    withdrawn_at: datetime | None = None

    def covers(self, day: date) -> bool:
        return (
            self.status != "draft"
            and self.valid_from is not None
            and self.valid_from <= day
            and (self.valid_to is None or day < self.valid_to)
        )


def _day(v: Any) -> date | None:
    return v if v is None or isinstance(v, date) else date.fromisoformat(str(v))


def _row(r: sa.Row[Any]) -> StoredTariff:
    return StoredTariff(
        int(r.id), int(r.supplier_id), str(r.name), _day(r.valid_from), _day(r.valid_to), json.loads(r.definition),
        r.created_at, r.status, r.withdrawn_at,
    )  # fmt: skip


def _supplier(conn: sa.Connection, supplier_id: int) -> None:
    kind = conn.execute(sa.select(t.party.c.kind).where(t.party.c.id == supplier_id)).scalar()
    if kind != "supplier":
        raise TariffStoreError(f"party {supplier_id} is not a supplier")


def add_draft(conn: sa.Connection, supplier_id: int, name: str, definition: Mapping[str, Any], *, now: datetime) -> int:
    """A draft of ``supplier_id``'s tariff ``name`` (no period; nobody but the supplier sees it)."""
    _supplier(conn, supplier_id)
    stmt = t.supplier_tariff.insert().values(
        supplier_id=supplier_id, name=name, valid_from=None, valid_to=None, status="draft",
        definition=json.dumps(dict(definition), sort_keys=True), created_at=now,
    )  # fmt: skip
    return insert_id(conn, stmt)


def get_tariff(conn: sa.Connection, tariff_id: int) -> StoredTariff | None:
    r = conn.execute(sa.select(t.supplier_tariff).where(t.supplier_tariff.c.id == tariff_id)).first()
    return _row(r) if r is not None else None


def publish_draft(conn: sa.Connection, tariff_id: int, valid_from: date, *, valid_to: date | None = None) -> None:
    """Publish draft ``tariff_id`` on the local days [valid_from, valid_to) (see the module docstring)."""
    st = t.supplier_tariff
    draft = get_tariff(conn, tariff_id)
    if draft is None:
        raise TariffStoreError(f"no tariff {tariff_id}")
    if draft.status != "draft":
        raise TariffStoreError(f"tariff {draft.name!r} is {draft.status}, not a draft")
    if valid_to is not None and valid_to <= valid_from:
        raise TariffStoreError(f"valid_to {valid_to} is not after valid_from {valid_from}")
    same = sa.and_(st.c.supplier_id == draft.supplier_id, st.c.name == draft.name, st.c.valid_from.is_not(None))
    later = conn.execute(sa.select(sa.func.max(st.c.valid_from)).where(same, st.c.valid_from >= valid_from)).scalar()
    if later is not None:
        raise TariffStoreError(
            f"tariff {draft.name!r} already has a version from {_day(later)}; publish from a later day"
        )
    running = sa.or_(st.c.valid_to.is_(None), st.c.valid_to > valid_from)
    conn.execute(st.update().where(same, st.c.valid_from < valid_from, running).values(valid_to=valid_from))
    conn.execute(
        st.update().where(st.c.id == tariff_id).values(status="published", valid_from=valid_from, valid_to=valid_to)
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
    """Add a published version of ``supplier_id``'s tariff ``name`` from ``valid_from`` on."""
    if valid_to is not None and valid_to <= valid_from:
        raise TariffStoreError(f"valid_to {valid_to} is not after valid_from {valid_from}")
    tariff_id = add_draft(conn, supplier_id, name, definition, now=now)
    publish_draft(conn, tariff_id, valid_from, valid_to=valid_to)
    return tariff_id


def withdraw_tariff(conn: sa.Connection, tariff_id: int, day: date, *, now: datetime) -> None:
    """Withdraw published ``tariff_id`` from local ``day`` on: it ends there; one that starts on or after ``day``
    never comes into force (its period is cleared, and the version it had closed runs on)."""
    st = t.supplier_tariff
    row = get_tariff(conn, tariff_id)
    if row is None:
        raise TariffStoreError(f"no tariff {tariff_id}")
    if row.status != "published" or row.valid_from is None:
        raise TariffStoreError(f"tariff {row.name!r} is {row.status}: only a published tariff can be withdrawn")
    values: dict[str, Any] = {"status": "withdrawn", "withdrawn_at": now}
    if day <= row.valid_from:
        values |= {"valid_from": None, "valid_to": None}
        conn.execute(
            st.update()
            .where(st.c.supplier_id == row.supplier_id, st.c.name == row.name, st.c.valid_to == row.valid_from,
                   st.c.status == "published")
            .values(valid_to=row.valid_to)
        )  # fmt: skip
    elif row.valid_to is None or row.valid_to > day:
        values["valid_to"] = day
    conn.execute(st.update().where(st.c.id == tariff_id).values(**values))


def tariff_versions(
    conn: sa.Connection,
    supplier_id: int | None = None,
    name: str | None = None,
    statuses: Sequence[TariffStatus] = ("published", "withdrawn"),
) -> list[StoredTariff]:
    """Stored rows of ``statuses`` (of one supplier, of one tariff name), by supplier, name, start and id."""
    st = t.supplier_tariff
    q = (
        sa.select(st)
        .where(st.c.status.in_(list(statuses)))
        .order_by(st.c.supplier_id, st.c.name, st.c.valid_from, st.c.id)
    )
    if supplier_id is not None:
        q = q.where(st.c.supplier_id == supplier_id)
    if name is not None:
        q = q.where(st.c.name == name)
    return [_row(r) for r in conn.execute(q)]


def tariffs_on(conn: sa.Connection, day: date, supplier_id: int | None = None) -> list[StoredTariff]:
    """The versions in force on local ``day`` (every supplier's, or one's), withdrawn ones included for the days
    before their withdrawal."""
    st = t.supplier_tariff
    q = (
        sa.select(st)
        .where(st.c.status != "draft", st.c.valid_from <= day, sa.or_(st.c.valid_to.is_(None), st.c.valid_to > day))
        .order_by(st.c.supplier_id, st.c.name)
    )
    if supplier_id is not None:
        q = q.where(st.c.supplier_id == supplier_id)
    return [_row(r) for r in conn.execute(q)]


class TariffOps(StoreEngine):
    """Supplier tariffs (part of :class:`~meterhub.store.db.Store`)."""

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

    def add_tariff_draft(self, supplier_id: int, name: str, definition: Mapping[str, Any], *, now: datetime) -> int:
        with self.write() as conn:
            return add_draft(conn, supplier_id, name, definition, now=now)

    def publish_tariff_draft(self, tariff_id: int, valid_from: date, *, valid_to: date | None = None) -> None:
        with self.write() as conn:
            publish_draft(conn, tariff_id, valid_from, valid_to=valid_to)

    def withdraw_tariff(self, tariff_id: int, day: date, *, now: datetime) -> None:
        with self.write() as conn:
            withdraw_tariff(conn, tariff_id, day, now=now)

    def get_tariff(self, tariff_id: int) -> StoredTariff | None:
        with self.read() as conn:
            return get_tariff(conn, tariff_id)

    def tariff_versions(
        self,
        supplier_id: int | None = None,
        name: str | None = None,
        statuses: Sequence[TariffStatus] = ("published", "withdrawn"),
    ) -> list[StoredTariff]:
        with self.read() as conn:
            return tariff_versions(conn, supplier_id, name, statuses)

    def tariffs_on(self, day: date, supplier_id: int | None = None) -> list[StoredTariff]:
        with self.read() as conn:
            return tariffs_on(conn, day, supplier_id)


__all__ = [
    "StoredTariff",
    "TariffOps",
    "TariffStatus",
    "TariffStoreError",
    "add_draft",
    "get_tariff",
    "publish_draft",
    "publish_tariff",
    "tariff_versions",
    "tariffs_on",
    "withdraw_tariff",
]
