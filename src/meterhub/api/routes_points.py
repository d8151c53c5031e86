"""``/api/v1/metering-points``: the listing, one point, its meters and channels, its series and its events.

Every route reads through the request's :class:`~meterhub.api.service.Access`: the listing shows only the points
the caller may see (with the current supplier and customer where its right covers them), a point outside the
caller's rights is a 404, and data is cut to the caller's visible windows — each read appended to the access
log with the right of each window.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import ORJSONResponse

from meterhub.api.common import (
    MAX_ID,
    MAX_PAGE,
    AccessDep,
    PointId,
    aware,
    correlation_id,
    decode_cursor,
    encode_cursor,
    policy,
    route_name,
)
from meterhub.api.problems import Problem
from meterhub.api.rights import Scope
from meterhub.api.series import MAX_DAYS, Resolution, SeriesError, point_series
from meterhub.api.service import EVERYWHERE_ROLES, Access, NotVisible, VisiblePoint
from meterhub.api.spans import BEGINNING, FOREVER, Window
from meterhub.cosem.obis import Obis, ObisError
from meterhub.store.channels import Channel
from meterhub.store.inventory import PointMeter

router = APIRouter(prefix="/metering-points", tags=["metering points"])
DEFAULT_CHANNEL = "1.0.1.8.0.255"  # active energy import, A+ (OBIS 1-0:1.8.0)
MAX_EVENTS = 1000


def point_json(v: VisiblePoint) -> dict[str, Any]:
    """A point as the caller may see it; supplier and customer only where the caller's right covers them."""
    shown = v.supplier is not None or v.customer is not None
    return {
        "id": v.point.id,
        "ean": v.point.ean,
        "dso": v.dso,
        "grid_area": v.point.grid_area,
        "postcode": v.point.postcode,
        "address": v.point.address if shown else None,
        "supplier": v.supplier,
        "customer": v.customer,
    }


@router.get("", openapi_extra=policy("authenticated"), summary="The metering points you may see")
def list_points(
    access: AccessDep,
    cursor: Annotated[str | None, Query(description="The next_cursor of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    dso: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this DSO's points (party id).")] = None,
    ean: Annotated[str | None, Query(max_length=40)] = None,
) -> dict[str, Any]:
    items = access.page(after=decode_cursor(cursor), limit=limit, dso_id=dso, ean=ean)
    more = len(items) == limit and bool(access.page(after=items[-1].point.id, limit=1, dso_id=dso, ean=ean))
    return {
        "items": [point_json(v) for v in items],
        "next_cursor": encode_cursor(items[-1].point.id) if more else None,
    }


@router.get("/{point_id}", openapi_extra=policy("point:inventory"), summary="One metering point")
def get_point(point_id: PointId, access: AccessDep) -> dict[str, Any]:
    return point_json(access.point(point_id))


def _all_windows(access: Access, point_id: int) -> list[Window]:
    out: list[Window] = []
    scopes: tuple[Scope, ...] = ("interval_data", "billing_reads")
    for scope in scopes:
        with contextlib.suppress(NotVisible):
            out += access.windows(point_id, scope, BEGINNING, FOREVER)
    return out


def _overlaps(pm: PointMeter, windows: list[Window]) -> bool:
    end = pm.valid_to or FOREVER
    return any(w.start < end and pm.valid_from < w.end for w in windows)


@router.get("/{point_id}/meters", openapi_extra=policy("point:inventory"), summary="Its meters and channels")
def get_meters(point_id: PointId, access: AccessDep) -> dict[str, Any]:
    access.point(point_id)
    meters = access.store.point_meters(point_id)
    if access.caller.role not in EVERYWHERE_ROLES | {"dso"}:
        windows = _all_windows(access, point_id)
        meters = [pm for pm in meters if _overlaps(pm, windows)]
    channels = access.store.list_channels([pm.meter.id for pm in meters]) if meters else []
    return {
        "items": [
            {
                "serial": pm.meter.serial,
                "medium": pm.meter.medium,
                "model": pm.meter.model,
                "parent_serial": next((x.meter.serial for x in meters if x.meter.id == pm.meter.parent_meter_id), None),
                "installed_from": pm.valid_from,
                "installed_to": pm.valid_to,
                "channels": [
                    {"obis": c.obis, "unit": c.unit, "interval_s": c.interval_s}
                    for c in channels
                    if c.meter_id == pm.meter.id
                ],
            }
            for pm in meters
        ]
    }


def _period(start: datetime, end: datetime, max_days: int) -> None:
    aware("from", start)
    aware("to", end)
    if not start < end:
        raise Problem(422, "empty-period", "'from' must be before 'to'.")
    if end - start > timedelta(days=max_days):
        raise Problem(
            422, "period-too-long", f"At most {max_days} days per request at this resolution: ask in parts.",
            max_days=max_days,
        )  # fmt: skip


def _channels(access: Access, point_id: int, obis_text: str) -> list[tuple[PointMeter, Channel]]:
    try:
        obis = str(Obis.parse(obis_text))
    except ObisError as exc:
        raise Problem(422, "invalid-channel", str(exc)) from None
    meters = access.store.point_meters(point_id)
    channels = access.store.list_channels([pm.meter.id for pm in meters]) if meters else []
    return [(pm, c) for pm in meters for c in channels if c.meter_id == pm.meter.id and c.obis == obis]


@router.get("/{point_id}/series", openapi_extra=policy("point:interval_data"), summary="Interval data")
def get_series(
    request: Request,
    point_id: PointId,
    access: AccessDep,
    start: Annotated[datetime, Query(alias="from", description="ISO 8601 with an offset (inclusive).")],
    end: Annotated[datetime, Query(alias="to", description="ISO 8601 with an offset (exclusive).")],
    channel: Annotated[str, Query(max_length=40, description="OBIS code, e.g. 1-0:1.8.0 or 1.0.1.8.0.255.")] = (
        DEFAULT_CHANNEL
    ),
    resolution: Resolution = "15min",
    as_of: Annotated[datetime | None, Query(description="The data as it was known then.")] = None,
) -> ORJSONResponse:
    return ORJSONResponse(series_answer(request, access, point_id, channel, start, end, resolution, as_of))


def series_answer(
    request: Request,
    access: Access,
    point_id: int,
    channel: str,
    start: datetime,
    end: datetime,
    resolution: Resolution,
    as_of: datetime | None = None,
) -> dict[str, Any]:
    """One point's series cut to the caller's windows, the read appended to the access log; :class:`Problem`
    (422 invalid, 404 no such channel) or :class:`NotVisible` otherwise (also one item of a batch)."""
    _period(start, end, MAX_DAYS[resolution])
    aware("as_of", as_of)
    windows = access.windows(point_id, "interval_data", start, end)
    try:
        series = point_series(access.store, windows, _channels(access, point_id, channel), resolution, as_of)
    except SeriesError as exc:
        raise Problem(422, "series", str(exc)) from None
    except LookupError:
        raise Problem(404, "not-found", "No such channel at this metering point.") from None
    access.log(point_id, "interval_data", windows, route_name(request), correlation_id(request))
    return {
        "metering_point": point_id,
        "channel": channel,
        "unit": series.unit,
        "resolution": resolution,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "windows": windows_json(windows),
        "points": series.points,
    }


def windows_json(windows: list[Window]) -> list[dict[str, Any]]:
    return [{"from": w.start.isoformat(), "to": w.end.isoformat(), "right": w.right} for w in windows]


@router.get("/{point_id}/events", openapi_extra=policy("point:interval_data"), summary="Meter events")
def get_events(
    request: Request,
    point_id: PointId,
    access: AccessDep,
    start: Annotated[datetime, Query(alias="from")],
    end: Annotated[datetime, Query(alias="to")],
    limit: Annotated[int, Query(ge=1, le=MAX_EVENTS)] = 100,
) -> dict[str, Any]:
    _period(start, end, 3 * 366)
    windows = access.windows(point_id, "interval_data", start, end)
    meters = access.store.point_meters(point_id)
    items: list[dict[str, Any]] = []
    for w in windows:
        for pm in meters:
            a, b = max(w.start, pm.valid_from), min(w.end, pm.valid_to or FOREVER)
            if a < b:
                for e in access.store.events_between([pm.meter.id], a, b, limit):
                    items.append(
                        {"serial": pm.meter.serial, "occurred_at": e.occurred_at, "log": e.log, "code": e.code,
                         "severity": e.severity}
                    )  # fmt: skip
    items.sort(key=lambda x: x["occurred_at"])
    access.log(point_id, "interval_data", windows, route_name(request), correlation_id(request))
    return {"items": items[:limit], "truncated": len(items) > limit}


__all__ = ["DEFAULT_CHANNEL", "router", "series_answer", "windows_json"]
