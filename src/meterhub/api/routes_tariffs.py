"""``/api/v1/tariffs``: suppliers' energy tariffs — the published ones for everybody logged in, and a supplier's
own drafts, publication and withdrawal.

A tariff travels as the JSON of :meth:`meterhub.mdm.tariffs.Tariff.to_dict` (rates with €/kWh, day profiles
with their switch times, week profiles, seasons, ``holiday_day_id`` for Luxembourg's public holidays, explicit
special days, ``fixed_eur_month``). ``POST /tariffs`` (policy ``action:tariffs.manage``, suppliers) checks it
with :func:`~meterhub.mdm.tariffs.tariff_from_dict` — a bad field is a 422 naming it — and stores a **draft**;
``…/publish`` puts it in force from a day (today or later: what customers were billed is not rewritten), closing
the version of the same name in force then; ``…/withdraw`` ends a published tariff from a day (today or later).
Another supplier's tariff, or a draft that is not the caller's, is the 404 of an unknown tariff. ``GET
/tariffs`` lists the published tariffs (in force today or from a later day), ``GET /tariffs/{id}`` one tariff.
The functions are called by the portal's supplier page too (:mod:`meterhub.portal.tariffs`).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Response
from pydantic import BaseModel, Field

from meterhub.api.common import MAX_ID, AccessDep, policy, require
from meterhub.api.problems import Problem, not_found
from meterhub.api.service import Access
from meterhub.country import LOCAL_TZ
from meterhub.mdm.tariffs import TariffError, tariff_from_dict
from meterhub.store.tariffs import StoredTariff, TariffStoreError

router = APIRouter(tags=["tariffs"])
TariffId = Annotated[int, Path(ge=1, le=MAX_ID, description="The tariff's id.")]
MAX_TARIFF_JSON = 200
"""At most this many day profiles, week profiles, seasons or special days in one tariff."""


class PublishBody(BaseModel):
    valid_from: date = Field(description="The first local day it is in force (today or later).")
    valid_to: date | None = Field(default=None, description="The local day it ends (None: until changed).")


class WithdrawBody(BaseModel):
    valid_from: date | None = Field(default=None, description="The local day it is no longer offered (default today).")


def today(access: Access) -> date:
    return access.now.astimezone(LOCAL_TZ).date()


def tariff_json(row: StoredTariff, suppliers: dict[int, str]) -> dict[str, Any]:
    return {
        "id": row.id,
        "supplier": {"id": row.supplier_id, "name": suppliers.get(row.supplier_id, str(row.supplier_id))},
        "name": row.name,
        "status": row.status,
        "valid_from": row.valid_from,
        "valid_to": row.valid_to,
        "withdrawn_at": row.withdrawn_at,
        "created_at": row.created_at,
        "definition": row.definition,
    }


def supplier_names(access: Access) -> dict[int, str]:
    return {p.id: p.name for p in access.store.list_parties("supplier")}


def visible(access: Access, tariff_id: int) -> StoredTariff:
    """A tariff the caller may see: published or withdrawn, or a draft of its own; else 404."""
    row = access.store.get_tariff(tariff_id)
    if row is None or (row.status == "draft" and row.supplier_id != access.caller.party_id):
        raise not_found("tariff")
    return row


def own(access: Access, tariff_id: int) -> StoredTariff:
    """One of the calling supplier's tariffs (403 for a role that manages none, 404 for another's)."""
    require(access, "tariffs.manage")
    row = access.store.get_tariff(tariff_id)
    if row is None or row.supplier_id != access.caller.party_id:
        raise not_found("tariff")
    return row


def offered(access: Access, supplier: int | None = None) -> list[StoredTariff]:
    """The published tariffs in force today or from a later day (of one supplier)."""
    day = today(access)
    rows = access.store.tariff_versions(supplier, statuses=("published",))
    return [r for r in rows if r.valid_to is None or r.valid_to > day]


def check_definition(definition: Any) -> dict[str, Any]:
    """The tariff JSON checked and in its canonical form; 422 naming the field otherwise."""
    if not isinstance(definition, dict):
        raise Problem(422, "invalid-tariff", "A tariff is a JSON object (see docs/api.md).")
    for key in ("rates", "days", "weeks", "seasons", "special_days"):
        items = definition.get(key)
        if isinstance(items, list) and len(items) > MAX_TARIFF_JSON:
            raise Problem(422, "invalid-tariff", f"{key}: at most {MAX_TARIFF_JSON} entries.", field=key)
    try:
        tariff = tariff_from_dict(definition)
    except TariffError as exc:
        raise Problem(422, "invalid-tariff", str(exc)) from None
    except (ValueError, OverflowError, TypeError):  # a number too large for a date or a time
        raise Problem(422, "invalid-tariff", "A number of the tariff is out of range.") from None
    if len(tariff.name) > 200:
        raise Problem(422, "invalid-tariff", "The tariff's name is longer than 200 characters.", field="name")
    return tariff.to_dict()


def create_draft(access: Access, definition: Any) -> int:
    """Store a draft of the calling supplier's tariff ``definition`` (checked); its id."""
    require(access, "tariffs.manage")
    canonical = check_definition(definition)
    supplier = access.caller.party_id
    if supplier is None:
        raise Problem(403, "forbidden", "Your role may not do this.")
    try:
        return access.store.add_tariff_draft(supplier, canonical["name"], canonical, now=access.now)
    except TariffStoreError as exc:
        raise Problem(403, "forbidden", str(exc)) from None


@router.get("/tariffs", openapi_extra=policy("authenticated"), summary="Published tariffs")
def list_tariffs(
    access: AccessDep, supplier: Annotated[int | None, Query(ge=1, le=MAX_ID, description="A supplier's id.")] = None
) -> dict[str, Any]:
    """Every supplier's published tariffs in force today or from a later day (each version one item)."""
    names = supplier_names(access)
    return {"items": [tariff_json(r, names) for r in offered(access, supplier)]}


@router.get("/tariffs/{tariff_id}", openapi_extra=policy("authenticated"), summary="A tariff")
def get_tariff(tariff_id: TariffId, access: AccessDep) -> dict[str, Any]:
    return tariff_json(visible(access, tariff_id), supplier_names(access))


@router.post("/tariffs", openapi_extra=policy("action:tariffs.manage"), status_code=201, summary="A tariff draft")
def create_tariff(access: AccessDep, response: Response, definition: Annotated[Any, Body()]) -> dict[str, Any]:
    """A draft of the calling supplier's tariff (the JSON of docs/api.md); publish it with ``…/publish``."""
    tariff_id = create_draft(access, definition)
    response.headers["Location"] = f"/api/v1/tariffs/{tariff_id}"
    return get_tariff(tariff_id, access)


@router.post("/tariffs/{tariff_id}/publish", openapi_extra=policy("action:tariffs.manage"), summary="Publish")
def publish(tariff_id: TariffId, body: PublishBody, access: AccessDep) -> dict[str, Any]:
    row = own(access, tariff_id)
    if row.status != "draft":
        raise Problem(409, "not-a-draft", f"This tariff is {row.status}; only a draft is published.")
    if body.valid_from < today(access):
        raise Problem(422, "past-day", "A tariff is published from today or a later day.", field="valid_from")
    try:
        access.store.publish_tariff_draft(tariff_id, body.valid_from, valid_to=body.valid_to)
    except TariffStoreError as exc:
        raise Problem(409, "conflict", str(exc)) from None
    return get_tariff(tariff_id, access)


@router.post("/tariffs/{tariff_id}/withdraw", openapi_extra=policy("action:tariffs.manage"), summary="Withdraw")
def withdraw(tariff_id: TariffId, access: AccessDep, body: WithdrawBody | None = None) -> dict[str, Any]:
    row = own(access, tariff_id)
    if row.status != "published":
        raise Problem(409, "not-published", f"This tariff is {row.status}; only a published tariff is withdrawn.")
    day = (body.valid_from if body is not None else None) or today(access)
    if day < today(access):
        raise Problem(422, "past-day", "A tariff is withdrawn from today or a later day.", field="valid_from")
    try:
        access.store.withdraw_tariff(tariff_id, day, now=access.now)
    except TariffStoreError as exc:
        raise Problem(409, "conflict", str(exc)) from None
    return get_tariff(tariff_id, access)


__all__ = [
    "PublishBody",
    "WithdrawBody",
    "check_definition",
    "create_draft",
    "offered",
    "own",
    "router",
    "today",
    "visible",
]
