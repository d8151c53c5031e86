"""The downloads page (Download My Data): a household chooses a metering point, a medium, a period and a resolution
and downloads its interval data as CSV (a plain and an Excel variant) or as a Green Button ESPI feed.

``GET /downloads`` shows the form; ``GET /downloads/file`` answers the file, streamed. Every read goes through
:class:`~meterhub.portal.household.Household` (``portal:downloads`` in the access log): the data is cut to the
person's own windows — a new occupant never gets the former occupant's quarter-hours — and a point or a period
outside them is a 404. The CSV is :mod:`meterhub.mdm.downloads`'s (its first line names the point, the medium and
the period in the visitor's language), the feed :mod:`meterhub.mdm.espi`'s, built from the same visible slots as
the API's Connect My Data feed (:mod:`meterhub.api.routes_downloads`). A bad choice is a 422 page saying which.
Periods are local days (Europe/Luxembourg), the last one included.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from babel.dates import format_date
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from meterhub.api.routes_downloads import ATOM_TYPE, CSV_TYPE, usage_points
from meterhub.api.series import MAX_DAYS
from meterhub.api.service import NotVisible
from meterhub.api.spans import BEGINNING, FOREVER
from meterhub.country import LOCAL_TZ
from meterhub.mdm import downloads as dl
from meterhub.mdm import espi
from meterhub.portal import nav
from meterhub.portal.deps import Person, PersonDep, Portal, PortalDep
from meterhub.portal.household import Household, Medium
from meterhub.portal.i18n import N_, lang_of, tr

router = APIRouter()
nav.built("/downloads")

MEDIUM_LABELS: Final = {
    "electricity_import": N_("Electricity used"),
    "electricity_export": N_("Electricity fed in (solar)"),
    "gas": N_("Gas"),
    "water": N_("Water"),
    "heat": N_("Heat"),
}
PERIODS: Final = {
    "month": N_("This month"),
    "last_month": N_("Last month"),
    "30d": N_("The last 30 days"),
    "12m": N_("The last 12 months"),
    "year": N_("This year"),
    "last_year": N_("Last year"),
    "3y": N_("The last 3 years"),
    "custom": N_("Choose the days"),
}
RESOLUTIONS: Final = {
    "15min": N_("Quarter-hours"),
    "hour": N_("Hours"),
    "day": N_("Days"),
    "month": N_("Months"),
}
FORMATS: Final = {
    "csv": N_("CSV (comma, decimal point)"),
    "excel": N_("CSV for Excel (semicolon, decimal comma)"),
    "espi": N_("Green Button (ESPI XML, every medium of the point)"),
}


class ChoiceError(ValueError):
    """A choice the download cannot be made with (the page answers 422 with this text, translated)."""


def period_of(preset: str, today: date, day_from: str = "", day_to: str = "") -> tuple[date, date]:
    """The local days (first, last) of a period preset, or of ``custom`` ``day_from``…``day_to`` (ISO days)."""
    if preset == "month":
        return today.replace(day=1), today
    if preset == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if preset == "30d":
        return today - timedelta(days=29), today
    if preset == "12m":
        return today - timedelta(days=364), today
    if preset == "year":
        return today.replace(month=1, day=1), today
    if preset == "last_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    if preset == "3y":
        return today - timedelta(days=3 * 365 - 1), today
    if preset != "custom":
        raise ChoiceError(N_("Choose a period."))
    try:
        first, last = date.fromisoformat(day_from.strip()), date.fromisoformat(day_to.strip())
    except ValueError:
        raise ChoiceError(N_("Give the first and the last day as dates (YYYY-MM-DD).")) from None
    if last < first:
        raise ChoiceError(N_("The last day is before the first day."))
    if (last - first).days + 1 > MAX_DAYS["15min"]:
        raise ChoiceError(N_("At most 3 years at a time: choose a shorter period."))
    return first, last


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)


def _bounds(household: Household, first: date, last: date) -> tuple[datetime, datetime]:
    """[local midnight of ``first``, the midnight after ``last``), ending at the latest now (no future rows)."""
    start, end = _midnight(first), min(_midnight(last + timedelta(days=1)), household.now)
    if end <= start:
        raise ChoiceError(N_("This period has not started yet."))
    return start, end


@dataclass(frozen=True, slots=True)
class PointChoice:
    """A point in the form: its id, EAN, media and the first day of the person's data there."""

    id: int
    ean: str
    media: list[Medium]
    since: str | None


def _choices(household: Household, lang: str) -> list[PointChoice]:
    out = []
    for vp in household.points:
        since = None
        with contextlib.suppress(NotVisible):
            windows = household.windows(vp.point.id, BEGINNING, FOREVER)
            first = max(windows[0].start, datetime(2000, 1, 1, tzinfo=LOCAL_TZ)).astimezone(LOCAL_TZ).date()
            since = format_date(first, "long", locale=lang)
        out.append(PointChoice(vp.point.id, vp.point.ean, household.media(vp.point.id), since))
    return out


def _page(request: Request, portal: Portal, person: Person, error: str | None = None, status: int = 200) -> Response:
    lang = lang_of(request)
    household = Household(portal, person, "downloads")
    today = household.now.astimezone(LOCAL_TZ).date()
    q = request.query_params
    context = {
        "user": person.user.username, "person": person, "points": _choices(household, lang), "error": error,
        "media_labels": MEDIUM_LABELS, "periods": PERIODS, "resolutions": RESOLUTIONS, "formats": FORMATS,
        "chosen": {
            "point": q.get("point", ""), "medium": q.get("medium", "electricity_import"),
            "period": q.get("period", "last_month"), "resolution": q.get("resolution", "15min"),
            "format": q.get("format", "excel" if lang in ("fr", "de") else "csv"),
            "from": q.get("from", (today - timedelta(days=6)).isoformat()), "to": q.get("to", today.isoformat()),
        },
        "today": today.isoformat(),
    }  # fmt: skip
    return portal.templates.TemplateResponse(request, "downloads.html", context, status_code=status)


def _customer(person: Person) -> bool:
    return person.role == "customer"


@router.get("/downloads", response_model=None)
def downloads(request: Request, portal: PortalDep, person: PersonDep) -> Response:
    if not _customer(person):
        return portal.error(request, 404, tr(request)("This page is for households."))
    return _page(request, portal, person)


def _encoded(chunks: Iterator[str]) -> Iterator[bytes]:
    for c in chunks:
        yield c.encode("utf-8")


def _csv(
    request: Request, household: Household, point_id: int, medium: Medium, first: date, last: date, style: str
) -> StreamingResponse:
    _ = tr(request)
    resolution = request.query_params.get("resolution", "15min")
    if resolution not in RESOLUTIONS:
        raise ChoiceError(N_("Choose a resolution."))
    slots = household.slots(point_id, medium.obis, *_bounds(household, first, last))
    try:
        rows = dl.aggregate(slots.epochs, slots.values, slots.quality, slots.interval_s, resolution)
    except dl.DownloadError:
        raise ChoiceError(N_("This meter is read every hour: choose hours, days or months.")) from None
    unit = dl.unit_of(medium.key.split("_")[0], slots.unit)
    ean = household.point(point_id).point.ean
    title = _("Metering point %(ean)s, %(medium)s in %(unit)s, %(first)s to %(last)s, by %(resolution)s, "
              "Europe/Luxembourg time", ean=ean, medium=_(MEDIUM_LABELS[medium.key]), unit=unit.name,
              first=first.isoformat(), last=last.isoformat(),
              resolution=_(RESOLUTIONS[resolution]).lower())  # fmt: skip
    chunks = dl.csv_chunks(title, rows, unit, dl.EXCEL if style == "excel" else dl.STANDARD)
    name = f"meterhub-{ean}-{medium.key}-{first.isoformat()}-{last.isoformat()}-{resolution}.csv"
    return StreamingResponse(_encoded(chunks), media_type=CSV_TYPE, headers=_attachment(name))


def _espi(request: Request, household: Household, point_id: int, first: date, last: date) -> StreamingResponse:
    start, end = _bounds(household, first, last)
    channels: list[espi.Channel] = []
    for medium in household.media(point_id):
        slots = household.slots(point_id, medium.obis, start, end)
        scaler = household.channels(point_id, medium.obis)[0][1].scaler
        series = dl.grid_series(first, last, slots.epochs, slots.values, slots.quality, slots.interval_s,
                                slots.unit, scaler)  # fmt: skip
        channels.append(espi.Channel(medium.obis, dl.ESPI_MEDIUM[medium.key], series))
    ean = household.point(point_id).point.ean
    base = str(request.base_url).rstrip("/") + "/espi/1_1/resource"
    chunks = espi.feed_chunks(usage_points(point_id, ean, channels), now=household.now, base_url=base)
    name = f"meterhub-greenbutton-{ean}-{first.isoformat()}-{last.isoformat()}.xml"
    return StreamingResponse(chunks, media_type=ATOM_TYPE, headers=_attachment(name))


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get("/downloads/file", response_model=None)
def download_file(request: Request, portal: PortalDep, person: PersonDep) -> Response:
    _ = tr(request)
    if not _customer(person):
        return portal.error(request, 404, _("This page is for households."))
    q = request.query_params
    household = Household(portal, person, "downloads")
    try:
        point_text = q.get("point", "")
        if not point_text.isdigit() or not 0 < int(point_text) < 2**31:
            raise ChoiceError(N_("Choose a metering point."))
        point_id = int(point_text)
        fmt = q.get("format", "csv")
        if fmt not in FORMATS:
            raise ChoiceError(N_("Choose a file format."))
        today = household.now.astimezone(LOCAL_TZ).date()
        first, last = period_of(q.get("period", ""), today, q.get("from", ""), q.get("to", ""))
        try:
            household.point(point_id)
            if fmt == "espi":
                return _espi(request, household, point_id, first, last)
            medium = next((m for m in household.media(point_id) if m.key == q.get("medium")), None)
            if medium is None:
                raise ChoiceError(N_("This metering point does not measure that medium."))
            return _csv(request, household, point_id, medium, first, last, fmt)
        except NotVisible:
            return portal.error(request, 404, _("You have no data at this metering point in this period."))
    except ChoiceError as exc:
        return _page(request, portal, person, _(str(exc)), 422)


__all__ = ["FORMATS", "MEDIUM_LABELS", "PERIODS", "RESOLUTIONS", "ChoiceError", "period_of", "router"]
