"""The first portal: a login, the fleet's electricity meters, and one page per meter (Jinja2 + plotly).

Pages (all but the login need the operator's session; without one they redirect to ``/``):

* ``GET /`` — the login page; logged in, a 303 to ``/meters``. ``POST /login``, ``POST /logout``.
* ``GET /meters?dso=CODE&page=N`` — electricity meters, 100 a page: DSO, concentrator (or direct TCP), M-Bus
  sub-meters, A+ energy of the last two days and the source of its latest block. Two queries for a page's
  data whatever the fleet's size: the page's channels, then their current blocks of the two days.
* ``GET /meters/{serial}`` — daily A+/A− energy over every stored day coloured by where each day's data came from
  (the head-end over DLMS, its re-reads, or the simulator's history), the last two days at 1/4 h resolution,
  the sub-meters' daily consumption, the latest midnight readings, the last 50 events and the comm log counts.
* ``GET /api/meters/{serial}/daily`` — ``[{day, channel, kwh, source}]`` (401/404 as JSON).

plotly.js is served from the installed plotly package at ``/static/plotly.min.js`` (no CDN: the demo runs
offline). Days are Europe/Luxembourg local days; a 1/4 h chart of a DST day has 92 or 100 points, labelled in
local time with the zone abbreviation so the repeated hour of the autumn change stays distinguishable.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import plotly.graph_objects as go  # type: ignore[import-untyped]
import plotly.offline  # type: ignore[import-untyped]
import sqlalchemy as sa
from fastapi import FastAPI, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from meterhub.cosem import obis as o
from meterhub.mdm.quality import Quality, codes
from meterhub.portal.auth import OPERATOR, SESSION_COOKIE, SESSION_TTL_S, Authenticator, SessionStore
from meterhub.store import schema as t
from meterhub.store.db import Channel, IntervalBlock, Meter, MeterEvent, Store
from meterhub.store.intervals import LOCAL_TZ, slot_start_utc

log = logging.getLogger("meterhub.portal")

HERE = Path(__file__).resolve().parent
PAGE_SIZE = 100
RECENT_DAYS = 2
EVENTS_SHOWN = 50
HORIZON_TTL_S = 30.0
"""How long the fleet's newest day (the end of the "last 2 days" window) is cached."""

A_PLUS = str(o.ACTIVE_ENERGY_IMPORT)
A_MINUS = str(o.ACTIVE_ENERGY_EXPORT)
ENERGY_LABELS = {A_PLUS: "A+", A_MINUS: "A−"}
JSON_LABELS = {A_PLUS: "A+", A_MINUS: "A-"}

SOURCE_LABELS = {
    "hes": "head-end (DLMS)",
    "hes-reread": "head-end re-read (DLMS)",
    "sim-history": "simulator history",
}
SOURCE_COLOURS = {"hes": "#1f6fb2", "hes-reread": "#49a3d9", "sim-history": "#b0b0b0"}
EXPORT_COLOURS = {"hes": "#2e9e5b", "hes-reread": "#6cc58f", "sim-history": "#d2d2d2"}
MEDIUM_COLOURS = {"gas": "#e08a1e", "water": "#2a8fbd", "heat": "#c8453a", "electricity": "#1f6fb2"}
_OTHER_COLOUR = "#8a63b8"

_FIRST_DAY = date(1900, 1, 1)
_LAST_DAY = date(9999, 12, 31)


def source_label(source: str | None) -> str:
    if source is None:
        return "—"
    return SOURCE_LABELS.get(source, source)


# --------------------------------------------------------------------------------------------- units


@dataclass(frozen=True, slots=True)
class DisplayUnit:
    """How a channel's integer base values are shown: value × ``factor`` in ``unit``."""

    factor: float
    unit: str


def display_unit(channel: Channel) -> DisplayUnit:
    """kWh for Wh (electricity and heat), kvarh for varh, m³ for litres; anything else as stored."""
    scale = 10.0**channel.scaler
    unit = channel.unit.strip().lower()
    if unit == "wh":
        return DisplayUnit(scale / 1000, "kWh")
    if unit == "varh":
        return DisplayUnit(scale / 1000, "kvarh")
    if unit in ("l", "litre", "liter", "dm3", "dm³"):
        return DisplayUnit(scale / 1000, "m³")
    if unit in ("m3", "m³"):
        return DisplayUnit(scale, "m³")
    return DisplayUnit(scale, channel.unit)


def block_total(block: IntervalBlock) -> tuple[int, int]:
    """``(sum of the values present, number of slots present)`` — missing slots count for nothing."""
    present = codes(block.quality) != Quality.MISSING
    return int(block.values[present].sum()), int(present.sum())


def _local(ts: datetime | None) -> str:
    return "" if ts is None else ts.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S %Z")


# --------------------------------------------------------------------------------------------- queries


def _latest_day(conn: sa.Connection, obis: str) -> date | None:
    """The newest local day of any block of any channel with ``obis`` (one query)."""
    b, c = t.interval_block, t.channel
    q = sa.select(sa.func.max(b.c.local_day)).select_from(b.join(c, c.c.id == b.c.channel_id)).where(c.c.obis == obis)
    day = conn.execute(q).scalar()
    return day if isinstance(day, date) or day is None else date.fromisoformat(str(day))


def _recent_events(conn: sa.Connection, meter_ids: Sequence[int], limit: int) -> list[MeterEvent]:
    """The newest ``limit`` events of the meters, newest first."""
    e = t.meter_event
    q = (
        sa.select(e)
        .where(e.c.meter_id.in_(list(meter_ids)))
        .order_by(e.c.occurred_at.desc(), e.c.id.desc())
        .limit(limit)
    )
    return [MeterEvent(**row._mapping) for row in conn.execute(q)]


class _Horizon:
    """The fleet's newest A+ day, cached for :data:`HORIZON_TTL_S` (one indexed query per refresh)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._value: date | None = None
        self._at = -math.inf

    def get(self) -> date | None:
        now = time.monotonic()
        if now - self._at > HORIZON_TTL_S:
            with self.store.read() as conn:
                self._value = _latest_day(conn, A_PLUS)
            self._at = now
        return self._value


# --------------------------------------------------------------------------------------------- view models


@dataclass(frozen=True, slots=True)
class MeterRow:
    serial: str
    dso: str
    concentrator: str
    sub_meters: str
    kwh: float | None
    complete: bool
    source: str | None


def _meter_rows(
    store: Store,
    meters: Sequence[Meter],
    subs_by_parent: dict[int, list[Meter]],
    dso_names: dict[int, str],
    concentrators: dict[int, str],
    days: tuple[date, date] | None,
) -> list[MeterRow]:
    channels = [ch for ch in store.list_channels([m.id for m in meters]) if ch.obis == A_PLUS]
    aplus = {ch.meter_id: ch for ch in channels}
    blocks: dict[int, list[IntervalBlock]] = defaultdict(list)
    if days is not None and channels:
        for block in store.current_blocks([ch.id for ch in channels], *days):
            blocks[block.channel_id].append(block)
    rows = []
    for m in meters:
        ch = aplus.get(m.id)
        kwh: float | None = None
        complete = False
        source: str | None = None
        if ch is not None and days is not None and blocks.get(ch.id):
            own = blocks[ch.id]
            total = sum(block_total(b)[0] for b in own)
            present = sum(block_total(b)[1] for b in own)
            slots = sum(b.slots for b in own)
            kwh = total * display_unit(ch).factor
            complete = len(own) == RECENT_DAYS and present == slots
            source = own[-1].source
        subs = ", ".join(f"{s.medium} (M{s.mbus_channel})" for s in sorted(subs_by_parent.get(m.id, []), key=_mbus_key))
        rows.append(
            MeterRow(
                serial=m.serial,
                dso=dso_names.get(m.dso_id, str(m.dso_id)),
                concentrator="direct TCP" if m.concentrator_id is None else concentrators.get(m.concentrator_id, "?"),
                sub_meters=subs,
                kwh=kwh,
                complete=complete,
                source=source,
            )
        )
    return rows


def _mbus_key(m: Meter) -> int:
    return m.mbus_channel or 0


@dataclass(frozen=True, slots=True)
class DailyValue:
    day: date
    channel: Channel
    value: float
    present: int
    slots: int
    source: str


def daily_values(store: Store, channels: Sequence[Channel]) -> list[DailyValue]:
    """Every stored day of ``channels`` (current versions) in display units, ordered by channel then day."""
    by_id = {ch.id: ch for ch in channels}
    out = []
    for block in store.current_blocks(list(by_id), _FIRST_DAY, _LAST_DAY):
        ch = by_id[block.channel_id]
        total, present = block_total(block)
        out.append(DailyValue(block.local_day, ch, total * display_unit(ch).factor, present, block.slots, block.source))
    return out


# --------------------------------------------------------------------------------------------- charts

_LAYOUT: dict[str, Any] = {
    "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
    "template": "plotly_white",
    "legend": {"orientation": "h", "y": -0.18},
    "font": {"family": "system-ui, sans-serif", "size": 12},
}
_CONFIG = {"displaylogo": False, "responsive": True}


def _html(fig: go.Figure, height: int = 380) -> str:
    fig.update_layout(height=height, **_LAYOUT)
    html: str = fig.to_html(full_html=False, include_plotlyjs=False, config=_CONFIG, default_height=f"{height}px")
    return html


def daily_energy_chart(values: Sequence[DailyValue]) -> str:
    """Daily A+ (above zero) and A− (below zero) kWh, one bar trace per (register, source)."""
    fig = go.Figure()
    groups: dict[tuple[str, str], list[DailyValue]] = defaultdict(list)
    for v in values:
        groups[(v.channel.obis, v.source)].append(v)
    for (obis, source), vs in sorted(groups.items(), key=lambda kv: (kv[0][0] != A_PLUS, kv[0][1])):
        sign = -1 if obis == A_MINUS else 1
        colours = EXPORT_COLOURS if obis == A_MINUS else SOURCE_COLOURS
        fig.add_trace(
            go.Bar(
                x=[v.day.isoformat() for v in vs],
                y=[sign * round(v.value, 3) for v in vs],
                name=f"{ENERGY_LABELS[obis]} · {source_label(source)}",
                marker_color=colours.get(source, _OTHER_COLOUR),
                customdata=[[source_label(source), v.present, v.slots] for v in vs],
                hovertemplate="%{x}<br>%{y:.3f} kWh<br>%{customdata[0]}<br>%{customdata[1]}/%{customdata[2]} slots"
                "<extra></extra>",
            )
        )
    fig.update_layout(
        title="Daily energy — A+ import above zero, A− export below; colour = where the day's data came from",
        barmode="relative",
        yaxis_title="kWh",
        xaxis={"type": "date", "title": "local day (Europe/Luxembourg)"},
    )
    return _html(fig)


def quarter_hour_chart(blocks: Sequence[IntervalBlock], channels: dict[int, Channel], interval_s: int) -> str:
    """The last days at 1/4 h resolution as average kW (Wh·3600/interval/1000); A− below zero; gaps stay gaps."""
    fig = go.Figure()
    by_channel: dict[int, list[IntervalBlock]] = defaultdict(list)
    for b in blocks:
        by_channel[b.channel_id].append(b)
    order = sorted(by_channel, key=lambda cid: channels[cid].obis != A_PLUS)
    for cid in order:
        ch = channels[cid]
        sign = -1 if ch.obis == A_MINUS else 1
        to_kw = sign * 10.0**ch.scaler * 3600 / ch.interval_s / 1000
        xs: list[str] = []
        ys: list[float | None] = []
        for b in sorted(by_channel[cid], key=lambda b: b.local_day):
            present = codes(b.quality) != Quality.MISSING
            kw = np.where(present, b.values * to_kw, np.nan)
            for i in range(b.slots):
                xs.append(slot_start_utc(b.local_day, i, ch.interval_s).astimezone(LOCAL_TZ).strftime("%d %b %H:%M %Z"))
                ys.append(None if np.isnan(kw[i]) else round(float(kw[i]), 3))
        colour = EXPORT_COLOURS["hes"] if ch.obis == A_MINUS else SOURCE_COLOURS["hes"]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                name=f"{ENERGY_LABELS[ch.obis]} kW",
                line={"color": colour, "width": 1.5, "shape": "hv"},
                hovertemplate="%{x}<br>%{y:.3f} kW<extra></extra>",
            )
        )
    minutes = interval_s // 60
    fig.update_layout(
        title=f"Last {RECENT_DAYS} days at {minutes} min resolution — average power (A− below zero)",
        yaxis_title="kW",
        xaxis={"type": "category", "nticks": 16, "title": "local time (Europe/Luxembourg)"},
    )
    return _html(fig)


def sub_meter_chart(sub: Meter, values: Sequence[DailyValue]) -> str:
    """A sub-meter's daily consumption in its display unit, one bar trace per source."""
    fig = go.Figure()
    unit = display_unit(values[0].channel).unit if values else ""
    by_source: dict[str, list[DailyValue]] = defaultdict(list)
    for v in values:
        by_source[v.source].append(v)
    base = MEDIUM_COLOURS.get(sub.medium, _OTHER_COLOUR)
    for source, vs in sorted(by_source.items()):
        fig.add_trace(
            go.Bar(
                x=[v.day.isoformat() for v in vs],
                y=[round(v.value, 3) for v in vs],
                name=source_label(source),
                marker_color=base if source != "sim-history" else SOURCE_COLOURS["sim-history"],
                hovertemplate=f"%{{x}}<br>%{{y:.3f}} {unit}<extra>{source_label(source)}</extra>",
            )
        )
    fig.update_layout(
        title=f"{sub.medium} sub-meter {sub.serial} (M-Bus {sub.mbus_channel}) — daily {unit}",
        yaxis_title=unit,
        xaxis={"type": "date"},
        barmode="stack",
    )
    return _html(fig, height=300)


# --------------------------------------------------------------------------------------------- the app


class _LoginRequired(Exception):
    """Raised by :func:`create_app`'s session check; answered with a redirect (pages) or 401 (API)."""


@lru_cache(maxsize=1)
def _plotly_js() -> bytes:
    js: str = plotly.offline.get_plotlyjs()
    return js.encode()


def create_app(store: Store, *, operator_password_hash: str, demo_note: str = "") -> FastAPI:
    """The portal over ``store``; the operator logs in with the password whose argon2id hash is given."""
    auth = Authenticator(operator_password_hash)
    sessions = SessionStore()
    horizon = _Horizon(store)
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals["source_label"] = source_label
    templates.env.globals["demo_note"] = demo_note

    app = FastAPI(title="meterhub portal", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.store = store
    app.state.sessions = sessions

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(_LoginRequired)
    async def login_required(request: Request, _exc: _LoginRequired) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "login required"}, status_code=401)
        return RedirectResponse("/", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        return _error(request, exc.status_code, str(exc.detail))

    def _user(request: Request) -> str | None:
        return sessions.user(request.cookies.get(SESSION_COOKIE))

    def require_user(request: Request) -> str:
        user = _user(request)
        if user is None:
            raise _LoginRequired
        return user

    def _error(request: Request, status: int, message: str) -> Response:
        return templates.TemplateResponse(
            request, "error.html", {"user": _user(request), "status": status, "message": message}, status_code=status
        )

    # ---- static files: CSS from the package, plotly.js from the installed plotly

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> Response:
        return Response(
            _plotly_js(), media_type="application/javascript", headers={"Cache-Control": "public, max-age=86400"}
        )

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    # ---- login / logout

    @app.get("/", response_model=None)
    def index(request: Request) -> Response:
        if _user(request) is not None:
            return RedirectResponse("/meters", status_code=303)
        return templates.TemplateResponse(request, "login.html", {"user": None, "error": None})

    @app.post("/login", response_model=None)
    def login(
        request: Request,
        username: Annotated[str, Form(max_length=200)],
        password: Annotated[str, Form(max_length=1024)],
    ) -> Response:
        if not auth.verify(username, password):
            log.warning("portal login refused")
            return templates.TemplateResponse(
                request,
                "login.html",
                {"user": None, "error": "Wrong username or password.", "username": username[:80]},
                status_code=401,
            )
        sessions.drop(request.cookies.get(SESSION_COOKIE))
        token = sessions.create(OPERATOR)
        log.info("portal login: %s", OPERATOR)
        response = RedirectResponse("/meters", status_code=303)
        response.set_cookie(
            SESSION_COOKIE, token, max_age=SESSION_TTL_S, path="/", httponly=True, samesite="lax", secure=False
        )
        return response

    @app.post("/logout", response_model=None)
    def logout(request: Request) -> Response:
        sessions.drop(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
        return response

    # ---- meters

    @app.get("/meters", response_model=None)
    def meters_page(
        request: Request,
        dso: Annotated[str | None, Query(max_length=40)] = None,
        page: Annotated[int, Query(ge=1)] = 1,
    ) -> Response:
        who = require_user(request)
        dsos = store.list_parties("dso")
        dso_names = {p.id: p.name for p in dsos}
        concentrators = {c.id: c.code for c in store.list_concentrators()}
        all_meters = store.list_meters()
        electricity = sorted(
            (m for m in all_meters if m.medium == "electricity" and m.parent_meter_id is None), key=lambda m: m.serial
        )
        subs_by_parent: dict[int, list[Meter]] = defaultdict(list)
        for m in all_meters:
            if m.parent_meter_id is not None:
                subs_by_parent[m.parent_meter_id].append(m)
        sub_counts = Counter(m.medium for m in all_meters if m.parent_meter_id is not None)

        selected = next((p for p in dsos if p.code == dso), None) if dso else None
        shown = electricity if not dso else [m for m in electricity if selected and m.dso_id == selected.id]
        pages = max(1, math.ceil(len(shown) / PAGE_SIZE))
        page = min(page, pages)
        page_meters = shown[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]

        last = horizon.get()
        days = None if last is None else (last - timedelta(days=RECENT_DAYS - 1), last)
        rows = _meter_rows(store, page_meters, subs_by_parent, dso_names, concentrators, days)
        return templates.TemplateResponse(
            request,
            "meters.html",
            {
                "user": who,
                "dsos": dsos,
                "dso": dso or "",
                "unknown_dso": bool(dso) and selected is None,
                "rows": rows,
                "days": days,
                "page": page,
                "pages": pages,
                "first": (page - 1) * PAGE_SIZE + 1 if rows else 0,
                "last": (page - 1) * PAGE_SIZE + len(rows),
                "shown": len(shown),
                "n_meters": len(electricity),
                "sub_counts": sorted(sub_counts.items()),
                "n_subs": sum(sub_counts.values()),
                "n_dsos": len(dsos),
            },
        )

    @app.get("/meters/{serial}", response_model=None)
    def meter_page(request: Request, serial: str) -> Response:
        who = require_user(request)
        meter = store.meter_by_serial(serial)
        if meter is None:
            return _error(request, 404, f"There is no meter with serial {serial!r}.")
        parent = store.get_meter(meter.parent_meter_id) if meter.parent_meter_id is not None else None
        subs = sorted(store.list_meters(parent_meter_id=meter.id), key=_mbus_key)
        channels = store.list_channels([meter.id, *(s.id for s in subs)])
        energy = [ch for ch in channels if ch.meter_id == meter.id and ch.obis in ENERGY_LABELS]
        sub_channels = [ch for ch in channels if ch.meter_id != meter.id or meter.parent_meter_id is not None]
        values = daily_values(store, energy + sub_channels)

        energy_values = [v for v in values if v.channel.obis in ENERGY_LABELS and v.channel.meter_id == meter.id]
        charts: list[str] = []
        if energy_values:
            charts.append(daily_energy_chart(energy_values))
            last = max(v.day for v in energy_values)
            first = last - timedelta(days=RECENT_DAYS - 1)
            qh_blocks = store.current_blocks([ch.id for ch in energy], first, last)
            interval_s = min(ch.interval_s for ch in energy)
            charts.append(quarter_hour_chart(qh_blocks, {ch.id: ch for ch in energy}, interval_s))

        sub_charts: list[str] = []
        owners = subs if meter.parent_meter_id is None else [meter]
        for sub in owners:
            own = [v for v in values if v.channel.meter_id == sub.id]
            if own:
                sub_charts.append(sub_meter_chart(sub, own))

        readings = []
        for ch in [*energy, *sub_channels]:
            reads = store.register_reads(ch.id, kind="daily")
            if reads:
                unit = display_unit(ch)
                name = ENERGY_LABELS.get(ch.obis, ch.medium)
                readings.append((name, ch.obis, _local(reads[-1].read_at), reads[-1].value * unit.factor, unit.unit))

        with store.read() as conn:
            events = _recent_events(conn, [meter.id], EVENTS_SHOWN)
        days_by_source = Counter(v.source for v in energy_values if v.channel.obis == A_PLUS)
        return templates.TemplateResponse(
            request,
            "meter.html",
            {
                "user": who,
                "meter": meter,
                "parent": parent,
                "dso": next((p.name for p in store.list_parties("dso") if p.id == meter.dso_id), str(meter.dso_id)),
                "concentrator": _concentrator_code(store, meter),
                "subs": subs,
                "charts": charts,
                "sub_charts": sub_charts,
                "readings": readings,
                "events": [(_local(e.occurred_at), e) for e in events],
                "comm": sorted(store.comm_counts(meter.id).items()),
                "days_by_source": sorted(days_by_source.items()),
            },
        )

    # ---- JSON

    @app.get("/api/meters/{serial}/daily")
    def api_daily(request: Request, serial: str) -> list[dict[str, Any]]:
        require_user(request)
        meter = store.meter_by_serial(serial)
        if meter is None:
            raise StarletteHTTPException(404, f"unknown meter {serial}")
        energy = [ch for ch in store.list_channels([meter.id]) if ch.obis in ENERGY_LABELS]
        return [
            {
                "day": v.day.isoformat(),
                "channel": JSON_LABELS[v.channel.obis],
                "kwh": round(v.value, 6),
                "source": v.source,
            }
            for v in sorted(daily_values(store, energy), key=lambda v: (v.day, v.channel.obis))
        ]

    return app


def _concentrator_code(store: Store, meter: Meter) -> str:
    if meter.concentrator_id is None:
        return "direct TCP"
    return next((c.code for c in store.list_concentrators() if c.id == meter.concentrator_id), "?")


def serve(app: FastAPI, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the portal with uvicorn (blocking)."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="info")


__all__ = [
    "PAGE_SIZE",
    "DailyValue",
    "DisplayUnit",
    "MeterRow",
    "create_app",
    "daily_values",
    "display_unit",
    "serve",
    "source_label",
]
