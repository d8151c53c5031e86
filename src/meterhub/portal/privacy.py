"""The household's privacy page (``GET /privacy``): my consents, who read my data, everything held about me, and
where my notification e-mails go.

1. **My consents** — the consents part of :mod:`meterhub.portal.consents` (:func:`consent_context`): requests to
   accept or refuse, active consents to revoke (at once), ended ones, and the form that grants a supplier or an
   ESP access to chosen points, scopes and a period that starts no earlier than the household's own move-in (the
   API's policy layer refuses anything earlier; the form says so). Its forms post to the consent routes with
   ``back=/privacy`` and return here.
2. **Who read my data** — the access log of the household's points within its own occupancy
   (:func:`meterhub.api.routes_market.own_reads`), other parties' reads only unless ``?own=1``, by party name,
   point, what, period and right, :data:`LOG_PAGE` rows a page (``?log=N``).
3. **Download everything** — ``GET /privacy/archive.zip``: :func:`meterhub.portal.data_export.archive`.
4. **Notification e-mails** — ``POST /privacy/contact``: the address, the language and whether to receive the
   consent e-mails (:mod:`meterhub.api.notify`); an empty address forgets it.

Customers only: anybody else finds a 404 here (suppliers and ESPs keep ``/consents``).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final

from babel.dates import format_datetime
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from meterhub.api.routes_market import own_reads
from meterhub.country import LOCAL_TZ
from meterhub.portal import nav
from meterhub.portal.consents import SCOPE_LABELS, consent_context, local_day, right_label
from meterhub.portal.data_export import archive
from meterhub.portal.deps import Person, PersonDep, Portal, PortalDep
from meterhub.portal.household import Household
from meterhub.portal.i18n import LANGUAGES, NAMES, lang_of, tr

router = APIRouter()
nav.built("/privacy")

LOG_PAGE: Final = 25
"""Access-log rows per page."""
EMAIL: Final = re.compile(r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}$")
"""An address the form accepts: local part, @, a domain with a dot (no display names, no lists)."""


def _refused(request: Request, portal: Portal, person: Person) -> Response | None:
    if person.role != "customer":
        return portal.error(request, 404, tr(request)("Not Found"))
    return None


def _log(request: Request, portal: Portal, person: Person, page: int, own: bool) -> dict[str, Any]:
    h = Household(portal, person, "privacy")
    entries, total = own_reads(h.access, others_only=not own, offset=(page - 1) * LOG_PAGE, limit=LOG_PAGE)
    parties = {p.id: p for p in portal.store.list_parties()}
    eans = {vp.point.id: vp.point.ean for vp in h.points}
    lang = lang_of(request)
    me = person.user.party_id
    _ = tr(request)
    day = local_day(request)
    rows = [
        {
            "at": format_datetime(e.at.astimezone(LOCAL_TZ), "short", tzinfo=LOCAL_TZ, locale=lang),
            "who": _("you") if e.party_id == me else (parties[e.party_id].name if e.party_id in parties else "?"),
            "kind": "" if e.party_id == me or e.party_id not in parties else parties[e.party_id].kind.upper(),
            "point": eans.get(e.metering_point_id, str(e.metering_point_id)),
            "what": _(SCOPE_LABELS[e.scope]) if e.scope in SCOPE_LABELS else e.scope,
            "period": f"{day(e.period_from)} – {day(e.period_to)}",
            "right": right_label(request, e.right),
        }
        for e in entries
    ]
    pages = max(1, -(-total // LOG_PAGE))
    return {"log_rows": rows, "log_total": total, "log_page": page, "log_pages": pages, "log_own": own}


def page(
    request: Request,
    portal: Portal,
    person: Person,
    *,
    error: str | None = None,
    status: int = 200,
    log_page: int = 1,
    own: bool = False,
    contact_error: str | None = None,
    saved: bool = False,
) -> Response:
    """The privacy page (also the answer of a refused consent form that came from it)."""
    context = consent_context(request, portal, person, error)
    context.update(_log(request, portal, person, log_page, own))
    contact = portal.store.contact_of(person.user.party_id)
    context.update({
        "contact": contact, "contact_error": contact_error, "saved": saved,
        "languages": [(code, NAMES[code]) for code in LANGUAGES],
        "contact_lang": contact.lang if contact is not None else lang_of(request),
    })  # fmt: skip
    return portal.templates.TemplateResponse(request, "privacy.html", context, status_code=status)


@router.get("/privacy", response_model=None)
def privacy(
    request: Request, portal: PortalDep, person: PersonDep, log: str = "1", own: str = "", saved: str = ""
) -> Response:
    refused = _refused(request, portal, person)
    if refused is not None:
        return refused
    if not log.isdigit() or not 1 <= int(log) <= 100_000:
        return portal.error(request, 422, tr(request)("The page number must be a whole number from 1."))
    return page(request, portal, person, log_page=int(log), own=own == "1", saved=saved == "1")


@router.get("/privacy/archive.zip", response_model=None)
def download(request: Request, portal: PortalDep, person: PersonDep) -> Response:
    refused = _refused(request, portal, person)
    if refused is not None:
        return refused
    h = Household(portal, person, "privacy-archive")
    data = archive(h, tr(request))
    name = f"meterhub-my-data-{h.now.astimezone(LOCAL_TZ).strftime('%Y-%m-%d')}.zip"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(data, media_type="application/zip", headers=headers)


@router.post("/privacy/contact", response_model=None)
def contact(
    request: Request,
    portal: PortalDep,
    person: PersonDep,
    csrf: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=300)] = "",
    lang: Annotated[str, Form(max_length=8)] = "en",
    consent_mail: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    _ = tr(request)
    refused = _refused(request, portal, person)
    if refused is not None:
        return refused
    if not person.csrf_ok(csrf):
        return portal.error(request, 403, _("This form has expired: reload the page and try again."))
    address = email.strip()
    me = person.user.party_id
    if not address:
        portal.store.drop_contact(me)
        return RedirectResponse("/privacy?saved=1#notifications", status_code=303)
    if not EMAIL.match(address):
        msg = _("That is not an e-mail address we can write to (name@example.lu).")
        return page(request, portal, person, contact_error=msg, status=422)
    if lang not in LANGUAGES:
        return page(request, portal, person, contact_error=_("Choose English, French or German."), status=422)
    portal.store.set_contact(me, address, lang, consent_mail == "on", portal.settings.clock())
    return RedirectResponse("/privacy?saved=1#notifications", status_code=303)


__all__ = ["LOG_PAGE", "page", "router"]
