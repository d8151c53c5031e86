"""The portal's meter routes (the operator's session needed):

* ``GET /meters?dso=CODE&page=N`` — electricity meters, :data:`~meterhub.portal.views.PAGE_SIZE` a page: DSO,
  concentrator (or direct TCP), M-Bus sub-meters, A+ energy of the last two complete local days (up to
  yesterday, Europe/Luxembourg: today is still being read; the column names the two dates) and the source of
  its latest block. Two queries for a page's data whatever the fleet's size: the page's channels, then their current
  blocks of the two days.
* ``GET /meters/{serial}`` — daily A+/A− energy over every stored day coloured by where each day's data came
  from (the head-end over DLMS, its re-reads, or the simulator's history), the last two days at 1/4 h
  resolution, the sub-meters' daily consumption, the latest midnight readings, the last 50 events (named
  from :mod:`meterhub.cosem.events`) and the comm log counts.
* ``GET /api/meters/{serial}/daily`` — ``[{day, channel, kwh, source}]`` (401/404 as JSON).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from meterhub.cosem.names import channel_name
from meterhub.portal.charts import daily_energy_chart, quarter_hour_chart, sub_meter_chart
from meterhub.portal.deps import PortalDep, UserDep
from meterhub.portal.i18n import N_, tr
from meterhub.portal.views import (
    A_PLUS,
    ENERGY_LABELS,
    EVENTS_SHOWN,
    JSON_LABELS,
    PAGE_SIZE,
    RECENT_DAYS,
    complete_days,
    daily_values,
    days_label,
    display_unit,
    event_rows,
    local_time,
    mbus_key,
    meter_rows,
)
from meterhub.store import Meter, Store
from meterhub.store.intervals import LOCAL_TZ

router = APIRouter()


@router.get("/meters", response_model=None)
def meters_page(
    request: Request,
    portal: PortalDep,
    who: UserDep,
    dso: Annotated[str | None, Query(max_length=40)] = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    store = portal.store
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

    days = complete_days(portal.horizon.get(), datetime.now(LOCAL_TZ).date())
    rows = meter_rows(store, page_meters, subs_by_parent, dso_names, concentrators, days)
    return portal.templates.TemplateResponse(
        request,
        "meters.html",
        {
            "user": who,
            "dsos": dsos,
            "dso": dso or "",
            "unknown_dso": bool(dso) and selected is None,
            "rows": rows,
            "days": days,
            "days_label": days_label(days) if days else "",
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


@router.get("/meters/{serial}", response_model=None)
def meter_page(request: Request, serial: str, portal: PortalDep, who: UserDep) -> Response:
    store = portal.store
    meter = store.meter_by_serial(serial)
    if meter is None:
        return portal.error(request, 404, tr(request)("There is no meter with serial %(serial)s.", serial=repr(serial)))
    parent = store.get_meter(meter.parent_meter_id) if meter.parent_meter_id is not None else None
    subs = sorted(store.list_meters(parent_meter_id=meter.id), key=mbus_key)
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
            name = channel_name(ch.obis, ch.medium)
            readings.append((name, ch.obis, local_time(reads[-1].read_at), reads[-1].value * unit.factor, unit.unit))

    events = store.recent_events([meter.id], EVENTS_SHOWN)
    days_by_source = Counter(v.source for v in energy_values if v.channel.obis == A_PLUS)
    return portal.templates.TemplateResponse(
        request,
        "meter.html",
        {
            "user": who,
            "meter": meter,
            "parent": parent,
            "dso": next((p.name for p in store.list_parties("dso") if p.id == meter.dso_id), str(meter.dso_id)),
            "concentrator": tr(request)(_concentrator_code(store, meter)),
            "subs": subs,
            "charts": charts,
            "sub_charts": sub_charts,
            "readings": readings,
            "events": event_rows(events),
            "comm": sorted(store.comm_counts(meter.id).items()),
            "days_by_source": sorted(days_by_source.items()),
        },
    )


@router.get("/api/meters/{serial}/daily")
def api_daily(serial: str, portal: PortalDep, _who: UserDep) -> list[dict[str, Any]]:
    store = portal.store
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


def _concentrator_code(store: Store, meter: Meter) -> str:
    if meter.concentrator_id is None:
        return N_("direct TCP")
    return next((c.code for c in store.list_concentrators() if c.id == meter.concentrator_id), "?")


__all__ = ["router"]
