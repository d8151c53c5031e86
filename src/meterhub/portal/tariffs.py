"""The supplier's tariffs page (``GET /tariffs``): my tariffs (drafts, published, withdrawn, with their days),
a form that writes a new tariff, the upload of the tariff JSON the API takes, and publish / withdraw.

Every change goes through the API's own tariff functions (:mod:`meterhub.api.routes_tariffs`: the same checks,
the same 404 for another supplier's tariff) with the person's :class:`~meterhub.api.service.Access`. The form is
read by :func:`form_definition` into the API's JSON — up to four rates (name, €/kWh), up to three day profiles
(one period a line: ``HH:MM`` and the rate number, the first at 00:00), the day profile of each weekday for one
season or two, the profile of public holidays and dated special days — and each bad field gets its own message
next to it (a 422 page, never a traceback); what only the whole tariff can tell (the model's checks) is shown
above the form. Every form carries the CSRF token.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

from babel.dates import format_date
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from meterhub.api import routes_tariffs as api
from meterhub.api.problems import Problem
from meterhub.api.service import Access
from meterhub.portal import nav
from meterhub.portal.deps import Person, PersonDep, Portal, PortalDep
from meterhub.portal.i18n import N_, Gettext, lang_of, tr

router = APIRouter()
nav.built("/tariffs")
RATES = 4
DAYS = 3
WEEKDAYS = (("mon", N_("Monday")), ("tue", N_("Tuesday")), ("wed", N_("Wednesday")), ("thu", N_("Thursday")),
            ("fri", N_("Friday")), ("sat", N_("Saturday")), ("sun", N_("Sunday")))  # fmt: skip
MAX_UPLOAD = 256 * 1024
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_MMDD = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


def _number(text: str) -> float | None:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def _switches(text: str, rates: set[int], _: Gettext) -> tuple[list[dict[str, Any]], str | None]:
    out: list[dict[str, Any]] = []
    for n, line in enumerate([x.strip() for x in text.splitlines() if x.strip()], start=1):
        parts = line.split()
        if len(parts) != 2 or not _HHMM.match(parts[0]) or not parts[1].isdigit():
            return [], _("Line %(n)s: write a start time and a rate number, e.g. 06:00 1.", n=n)
        if int(parts[1]) not in rates:
            return [], _("Line %(n)s: rate %(rate)s is not one of the rates above.", n=n, rate=parts[1])
        hh, mm = parts[0].split(":")
        out.append({"start": f"{int(hh):02d}:{mm}", "rate": int(parts[1])})
    if out and out[0]["start"] != "00:00":
        return [], _("The first period starts at 00:00.")
    if [s["start"] for s in out] != sorted({s["start"] for s in out}):
        return [], _("The start times must be increasing.")
    return out, None


def form_definition(form: Mapping[str, str], _: Gettext) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The tariff JSON of the form's fields, or None and a message per bad field (see the module docstring)."""
    errors: dict[str, str] = {}
    name = form.get("name", "").strip()
    if not name:
        errors["name"] = _("Give the tariff a name.")
    elif len(name) > 200:
        errors["name"] = _("At most 200 characters.")
    fixed = _number(form.get("fixed", "") or "0")
    if fixed is None or not 0 <= fixed <= 1000:
        errors["fixed"] = _("A number of euros per month, 0 to 1000.")
    rates: list[dict[str, Any]] = []
    for i in range(1, RATES + 1):
        rname, rprice = form.get(f"rate{i}_name", "").strip(), form.get(f"rate{i}_price", "").strip()
        if not rname and not rprice:
            continue
        price = _number(rprice)
        if not rname:
            errors[f"rate{i}_name"] = _("Name this rate (or clear its price).")
        elif price is None or not 0 <= price <= 10:
            errors[f"rate{i}_price"] = _("A price in €/kWh, 0 to 10 (e.g. 0.1590).")
        else:
            rates.append({"number": i, "name": rname[:80], "price_eur_kwh": price})
    if not rates and not any(k.startswith("rate") for k in errors):
        errors["rate1_name"] = _("A tariff needs at least one rate.")
    numbers = {r["number"] for r in rates}
    days: list[dict[str, Any]] = []
    for j in range(1, DAYS + 1):
        switches, problem = _switches(form.get(f"day{j}", ""), numbers, _)
        if problem:
            errors[f"day{j}"] = problem
        elif switches:
            days.append({"day_id": j, "switches": switches})
    if not days and "day1" not in errors:
        errors["day1"] = _("Write at least the first day profile, e.g. 00:00 1.")
    ids = {j for j in range(1, DAYS + 1) if form.get(f"day{j}", "").strip()}  # written, even if it needs a fix
    seasons: list[dict[str, Any]] = []
    weeks: list[dict[str, Any]] = []
    for s in ("s1", "s2"):
        sname = form.get(f"{s}_name", "").strip()
        if s == "s2" and not sname:
            continue
        start = form.get(f"{s}_start", "").strip() or "01-01"
        if not _MMDD.match(start):
            errors[f"{s}_start"] = _("A month and day as MM-DD, e.g. 04-01.")
        week = []
        for key, _label in WEEKDAYS:
            value = form.get(f"{s}_{key}", "1")
            if not value.isdigit() or int(value) not in ids:
                errors[f"{s}_{key}"] = _("Choose a day profile you have written.")
                week.append(1)
            else:
                week.append(int(value))
        weeks.append({"name": sname or "all year", "days": week})
        seasons.append({"name": sname or "all year", "start": start, "week": sname or "all year"})
    if len(seasons) == 2 and seasons[0]["name"] == seasons[1]["name"]:
        errors["s2_name"] = _("The two seasons need different names.")
    holiday = form.get("holiday", "").strip()
    if holiday and (not holiday.isdigit() or int(holiday) not in ids):
        errors["holiday"] = _("Choose a day profile you have written.")
    specials: list[dict[str, Any]] = []
    for n, line in enumerate([x.strip() for x in form.get("specials", "").splitlines() if x.strip()], start=1):
        parts = line.split()
        try:
            day = date.fromisoformat(parts[0]) if len(parts) == 2 else None
        except ValueError:
            day = None
        if day is None or not parts[1].isdigit() or int(parts[1]) not in ids:
            errors["specials"] = _("Line %(n)s: write a day and a day profile, e.g. 2026-12-24 2.", n=n)
            break
        specials.append({"day": day.isoformat(), "day_id": int(parts[1])})
    if errors:
        return None, errors
    definition = {
        "name": name, "rates": rates, "days": days, "weeks": weeks, "seasons": seasons,
        "holiday_day_id": int(holiday) if holiday else None, "special_days": specials, "fixed_eur_month": fixed,
    }  # fmt: skip
    return definition, {}


def _access(portal: Portal, person: Person) -> Access:
    return Access(portal.store, person.caller, portal.settings.clock())


def _page(
    request: Request,
    portal: Portal,
    person: Person,
    *,
    error: str | None = None,
    errors: dict[str, str] | None = None,
    form: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    lang = lang_of(request)
    access = _access(portal, person)
    mine = portal.store.tariff_versions(person.user.party_id, statuses=("draft", "published", "withdrawn"))
    mine.sort(key=lambda r: (r.name, r.valid_from or date.max, r.id))
    context = {
        "user": person.user.username, "person": person, "tariffs": mine, "error": error, "errors": errors or {},
        "form": dict(form or {}), "weekdays": WEEKDAYS, "rates": RATES, "days": DAYS,
        "today": api.today(access).isoformat(),
        "day": lambda d: format_date(d, "d MMM y", locale=lang) if d is not None else "",
    }  # fmt: skip
    return portal.templates.TemplateResponse(request, "tariffs.html", context, status_code=status)


def _supplier_only(request: Request, portal: Portal, person: Person) -> Response | None:
    if person.role != "supplier":
        _ = tr(request)
        return portal.error(request, 404, _("This page is for suppliers."))
    return None


@router.get("/tariffs", response_model=None)
def tariffs(request: Request, portal: PortalDep, person: PersonDep) -> Response:
    return _supplier_only(request, portal, person) or _page(request, portal, person)


def _expired(request: Request, portal: Portal) -> Response:
    _ = tr(request)
    return portal.error(request, 403, _("This form has expired: reload the page and try again."))


@router.post("/tariffs", response_model=None)
async def create(request: Request, portal: PortalDep, person: PersonDep) -> Response:
    if (refused := _supplier_only(request, portal, person)) is not None:
        return refused
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    if not person.csrf_ok(form.get("csrf")):
        return _expired(request, portal)
    _ = tr(request)
    definition, errors = form_definition(form, _)
    if definition is None:
        return _page(request, portal, person, errors=errors, form=form, status=422,
                     error=_("Some fields need a correction: see the messages next to them."))  # fmt: skip
    try:
        api.create_draft(_access(portal, person), definition)
    except Problem as exc:
        return _page(request, portal, person, form=form, status=422,
                     error=_("The tariff cannot be used: %(why)s", why=exc.detail))  # fmt: skip
    return RedirectResponse("/tariffs", status_code=303)


@router.post("/tariffs/upload", response_model=None)
async def upload(
    request: Request,
    portal: PortalDep,
    person: PersonDep,
    file: Annotated[UploadFile, File()],
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    if (refused := _supplier_only(request, portal, person)) is not None:
        return refused
    if not person.csrf_ok(csrf):
        return _expired(request, portal)
    _ = tr(request)
    raw = await file.read(MAX_UPLOAD + 1)
    try:
        if len(raw) > MAX_UPLOAD:
            raise Problem(422, "invalid-tariff", _("The file is larger than 256 KB."))
        try:
            definition = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise Problem(422, "invalid-tariff", _("The file is not JSON (%(where)s).", where=str(exc))) from None
        api.create_draft(_access(portal, person), definition)
    except Problem as exc:
        return _page(request, portal, person, status=422, errors={"file": exc.detail},
                     error=_("The uploaded tariff cannot be used: %(why)s", why=exc.detail))  # fmt: skip
    return RedirectResponse("/tariffs", status_code=303)


@router.post("/tariffs/{tariff_id}/{action}", response_model=None)
def change(
    request: Request,
    portal: PortalDep,
    person: PersonDep,
    tariff_id: int,
    action: str,
    csrf: Annotated[str, Form(max_length=200)] = "",
    valid_from: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    if (refused := _supplier_only(request, portal, person)) is not None:
        return refused
    if not person.csrf_ok(csrf):
        return _expired(request, portal)
    _ = tr(request)
    if action not in ("publish", "withdraw") or not 1 <= tariff_id <= 2_147_483_647:
        return portal.error(request, 404, "Not Found")
    access = _access(portal, person)
    try:
        day = date.fromisoformat(valid_from.strip()) if valid_from.strip() else None
    except ValueError:
        return _page(request, portal, person, status=422, error=_("The day must be a date (YYYY-MM-DD)."))
    try:
        if action == "publish":
            if day is None:
                raise Problem(422, "past-day", _("Choose the first day it is in force."))
            api.publish(tariff_id, api.PublishBody(valid_from=day), access)
        else:
            api.withdraw(tariff_id, access, api.WithdrawBody(valid_from=day))
    except Problem as exc:
        if exc.status == 404:
            return portal.error(request, 404, _("No such tariff."))
        return _page(request, portal, person, status=422 if exc.status < 500 else exc.status, error=exc.detail)
    return RedirectResponse("/tariffs", status_code=303)


__all__ = ["DAYS", "RATES", "WEEKDAYS", "form_definition", "router"]
