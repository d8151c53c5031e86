"""A household's live page (``GET /live``, role ``customer``): for each of my metering points, the P1 live view when
my reader forwards its telegrams to the platform (``meterhub p1 read --forward … --forward-token``, stored in
``p1_reading``): power bought and sent back now, per phase, the voltages and currents, the last telegram's time and
age — refreshed by a small script polling ``GET /live/latest.json?point=ID`` every :data:`POLL_S` seconds. Without
forwarded telegrams, the latest quarter-hour the meter delivered (A+ and A− of the newest known slot, as average
kW) with its age stated: a meter read once a day is never "live".

The telegrams are read through the policy layer: :meth:`meterhub.api.service.Access.windows` with scope
``live_p1`` — only the person's own windows as occupant (``right == "own"``), so the page never shows a reading of
another home or from before the person moved in; each read is logged (``portal:live``). The quarter-hours come
from :class:`~meterhub.portal.household.Household`. A point that is not the person's is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import numpy as np
from babel.dates import format_skeleton, format_time
from babel.numbers import format_decimal
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from meterhub.api.service import NotVisible
from meterhub.mdm.quality import Quality
from meterhub.portal import nav
from meterhub.portal.deps import PersonDep, PortalDep
from meterhub.portal.household import A_MINUS, A_PLUS, Household
from meterhub.portal.i18n import Gettext, lang_of, tr
from meterhub.store.intervals import LOCAL_TZ
from meterhub.store.p1 import P1Reading

router = APIRouter()
nav.built("/live")

POLL_S: Final = 10
"""How often the page asks for the newest telegram."""
STALE_S: Final = 300
"""A telegram older than this is said to be old (the reader sends one every 10 s or so)."""
QUARTER_DAYS: Final = 35
"""How far back the latest quarter-hour is looked for."""
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
GOOD: Final = (int(Quality.MEASURED), int(Quality.VALIDATED), int(Quality.EDITED))
"""Slot qualities that count as read (not missing, estimated or suspect)."""


def duration_words(_: Gettext, seconds: float) -> str:
    """A duration in words: seconds, minutes, hours and minutes, days."""
    s = max(0, int(seconds))
    if s < 90:
        return _("%(n)s s", n=s)
    if s < 3600:
        return _("%(n)s min", n=round(s / 60))
    if s < 48 * 3600:
        h, m = s // 3600, s % 3600 // 60
        return _("%(h)s h", h=h) if m == 0 else _("%(h)s h %(m)s min", h=h, m=m)
    return _("%(n)s days", n=s // 86400)


def age_words(_: Gettext, seconds: float) -> str:
    """How long ago: ``2 h 10 min ago``."""
    return _("%(duration)s ago", duration=duration_words(_, seconds))


def _num(x: float | None, lang: str, digits: int = 0) -> str:
    if x is None:
        return "—"
    return format_decimal(round(x, digits), format="#,##0" + ("." + "0" * digits if digits else ""), locale=lang)


def _own_latest(hh: Household, point_id: int) -> P1Reading | None:
    """The newest telegram of the point inside the person's own (occupant) windows, the read logged."""
    windows = [w for w in hh.access.windows(point_id, "live_p1", EPOCH, hh.now + timedelta(days=1)) if w.right == "own"]
    if not windows:
        raise NotVisible(point_id)
    rows = hh.portal.store.latest_p1_readings(point_id, [(w.start, w.end) for w in windows], 1)
    hh.access.log(point_id, "live_p1", windows, hh.route, None)
    return rows[0] if rows else None


def _phase(values: Any, i: int) -> float | None:
    if isinstance(values, list) and i < len(values) and isinstance(values[i], int | float):
        return float(values[i])
    return None


def reading_view(reading: P1Reading, now: datetime, _: Gettext, lang: str) -> dict[str, Any]:
    """What the page and its JSON show of a telegram: powers (W), per phase, voltages, time and age in words."""
    r = reading.record
    age = (now - reading.read_at).total_seconds()
    phases = [
        {
            "phase": f"L{i + 1}",
            "import_w": _num(_phase(r.get("power_import_phase_w"), i), lang),
            "export_w": _num(_phase(r.get("power_export_phase_w"), i), lang),
            "voltage_v": _num(_phase(r.get("voltage_v"), i), lang, 1),
            "current_a": _num(_phase(r.get("current_a"), i), lang),
        }
        for i in range(3)
    ]
    at = reading.read_at.astimezone(LOCAL_TZ)
    stale = ""
    if age > STALE_S:
        stale = _("Your P1 reader has sent nothing new for %(age)s: is it still connected?", age=duration_words(_, age))
    return {
        "import_w": _num(r.get("power_import_w"), lang),
        "export_w": _num(r.get("power_export_w"), lang),
        "phases": phases,
        "read_at": reading.read_at.isoformat(),
        "time": f"{format_skeleton('yMMMMd', at, locale=lang)}, {format_time(at, 'HH:mm:ss', locale=lang)}",
        "age_s": round(age),
        "age": age_words(_, age),
        "stale": age > STALE_S,
        "stale_text": stale,
    }


@dataclass
class Quarter:
    """The newest known quarter-hour of a point."""

    start: str
    end: str
    day: str
    import_kw: str
    export_kw: str | None
    age: str
    old: bool


def _latest_quarter(hh: Household, point_id: int, _: Gettext, lang: str) -> Quarter | None:
    """A+ (and A− if the point has it) of the newest slot whose A+ was read, as average kW."""
    start = hh.now - timedelta(days=QUARTER_DAYS)
    try:
        imp = hh.slots(point_id, A_PLUS, start, hh.now)
    except (NotVisible, LookupError):
        return None
    good = np.flatnonzero(np.isin(imp.quality & 0x07, GOOD))
    if good.size == 0:
        return None
    i = int(good[-1])
    epoch = int(imp.epochs[i])
    kw = imp.values[i] * 3600 / imp.interval_s / 1000
    export_kw: str | None = None
    try:
        exp = hh.slots(point_id, A_MINUS, start, hh.now)
        j = np.flatnonzero(exp.epochs == epoch)
        if j.size and int(exp.quality[j[0]] & 0x07) in GOOD:
            export_kw = _num(float(exp.values[j[0]]) * 3600 / exp.interval_s / 1000, lang, 2)
    except LookupError:
        pass
    a = datetime.fromtimestamp(epoch, LOCAL_TZ)
    b = datetime.fromtimestamp(epoch + imp.interval_s, LOCAL_TZ)
    age = (hh.now - b).total_seconds()
    return Quarter(format_time(a, "HH:mm", locale=lang), format_time(b, "HH:mm", locale=lang),
                   format_skeleton("yMMMMd", a, locale=lang), _num(kw, lang, 2), export_kw, age_words(_, age),
                   age > 3600)  # fmt: skip


@router.get("/live", response_model=None)
def live(request: Request, portal: PortalDep, person: PersonDep) -> Response:
    if person.role != "customer":
        return portal.error(request, 404, "The live page is a household's page.")
    _ = tr(request)
    lang = lang_of(request)
    hh = Household(portal, person, "live")
    cards = []
    for vp in hh.points:
        pid = vp.point.id
        try:
            reading = _own_latest(hh, pid)
        except NotVisible:
            continue
        view = reading_view(reading, hh.now, _, lang) if reading is not None else None
        quarter = None if view is not None else _latest_quarter(hh, pid, _, lang)
        cards.append({"point": vp.point, "live": view, "quarter": quarter})
    context = {"user": person.user.username, "person": person, "cards": cards, "poll_s": POLL_S}
    return portal.templates.TemplateResponse(request, "live.html", context)


@router.get("/live/latest.json", response_model=None)
def latest(request: Request, portal: PortalDep, person: PersonDep, point: str = "") -> Response:
    """The newest telegram of one of my points, as the page shows it (404 for anything not mine, 422 for a
    ``point`` that is not a number)."""
    if not point.strip().isdigit() or len(point.strip()) > 18:
        return JSONResponse({"detail": "point must be the number of one of your metering points"}, status_code=422)
    if person.role != "customer":
        return JSONResponse({"detail": "not found"}, status_code=404)
    hh = Household(portal, person, "live")
    try:
        reading = _own_latest(hh, int(point))
    except NotVisible:
        return JSONResponse({"detail": "not found"}, status_code=404)
    if reading is None:
        return JSONResponse({"point": int(point), "reading": None})
    return JSONResponse({"point": int(point), "reading": reading_view(reading, hh.now, tr(request), lang_of(request))})


__all__ = ["POLL_S", "STALE_S", "age_words", "duration_words", "reading_view", "router"]
