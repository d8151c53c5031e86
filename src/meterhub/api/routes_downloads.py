"""Connect My Data: a metering point's Green Button ESPI feed and its series as CSV, for whoever may see its
interval data — the customer, the supplier of record, an ESP with the customer's ``interval_data`` consent
(a session, or an OAuth2 client whose token has the ``interval_data`` scope).

``GET /metering-points/{id}/espi?from=&to=`` answers the Atom feed :mod:`meterhub.mdm.espi` writes (the same one
``meterhub export espi`` and the portal's downloads page give), ``GET /metering-points/{id}/series.csv`` the CSV
of :mod:`meterhub.mdm.downloads`. Both read through the request's :class:`~meterhub.api.service.Access`: the
period is cut to the caller's visible windows (none: 404, as an unknown point), only the slots inside them reach
the answer, and the read is appended to the access log with the right of each window (``consent:41``). Both are
streamed: three years of quarter-hours are written a month of blocks (or 4096 rows) at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Annotated, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from meterhub.api.common import AccessDep, PointId, aware, correlation_id, policy, route_name
from meterhub.api.problems import Problem
from meterhub.api.series import MAX_DAYS, window_slots
from meterhub.api.service import Access
from meterhub.api.spans import Window
from meterhub.cosem.obis import Obis, ObisError
from meterhub.mdm import downloads, espi
from meterhub.store.channels import Channel
from meterhub.store.intervals import local_day_of_epoch, to_epoch
from meterhub.store.inventory import PointMeter

router = APIRouter(prefix="/metering-points", tags=["metering points"])
ATOM_TYPE: Final = "application/atom+xml"
CSV_TYPE: Final = "text/csv; charset=utf-8"
ESPI_PATH: Final = "/espi/1_1/resource"
MEDIA_ORDER: Final = ("electricity", "gas", "water", "heat")


def check_period(start: datetime, end: datetime, max_days: int) -> None:
    """422 for a naive, empty or too long period."""
    aware("from", start)
    aware("to", end)
    if not start < end:
        raise Problem(422, "empty-period", "'from' must be before 'to'.")
    if end - start > timedelta(days=max_days):
        raise Problem(422, "period-too-long", f"At most {max_days} days per request: ask in parts.", max_days=max_days)


def point_channels(access: Access, point_id: int) -> dict[str, list[tuple[PointMeter, Channel]]]:
    """The point's meters with their channels, by OBIS code (every meter that ever measured the point)."""
    meters = access.store.point_meters(point_id)
    channels = access.store.list_channels([pm.meter.id for pm in meters]) if meters else []
    out: dict[str, list[tuple[PointMeter, Channel]]] = {}
    for pm in meters:
        for c in channels:
            if c.meter_id == pm.meter.id:
                out.setdefault(c.obis, []).append((pm, c))
    return out


def usage_points(point_id: int, ean: str, channels: Sequence[espi.Channel]) -> list[espi.UsagePointData]:
    """The feed's usage points of one metering point: its channels grouped by medium, in :data:`MEDIA_ORDER`."""
    by_medium: dict[str, list[espi.Channel]] = {}
    for ch in channels:
        by_medium.setdefault(ch.medium, []).append(ch)
    order = sorted(by_medium, key=lambda m: MEDIA_ORDER.index(m) if m in MEDIA_ORDER else len(MEDIA_ORDER))
    return [espi.UsagePointData(point_id, ean, m, tuple(by_medium[m])) for m in order if m in espi.SERVICE_KIND]


def feed_points(
    access: Access, point_id: int, windows: Sequence[Window], start: datetime, end: datetime
) -> list[espi.UsagePointData]:
    """The point's exported channels over ``windows`` as the feed's usage points (slots outside the windows are
    not read; the series span the local days of [start, end))."""
    day_from = local_day_of_epoch(to_epoch(start))
    day_to = local_day_of_epoch(to_epoch(end) - 1)
    ean = access.point(point_id).point.ean
    chans: list[espi.Channel] = []
    for obis, meters in sorted(point_channels(access, point_id).items()):
        if not espi.exported_obis(obis):
            continue
        c = meters[0][1]
        e, v, q = window_slots(access.store, windows, meters, None)
        series = downloads.grid_series(day_from, day_to, e, v, q, c.interval_s, c.unit, c.scaler)
        chans.append(espi.Channel(obis, c.medium, series))
    return usage_points(point_id, ean, chans)


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get(
    "/{point_id}/espi",
    openapi_extra=policy("point:interval_data"),
    summary="Green Button ESPI feed (Connect My Data)",
    response_class=StreamingResponse,
    responses={200: {"content": {ATOM_TYPE: {}}, "description": "The Atom feed (NAESB ESPI)."}},
)
def get_espi(
    request: Request,
    point_id: PointId,
    access: AccessDep,
    start: Annotated[datetime, Query(alias="from", description="ISO 8601 with an offset (inclusive).")],
    end: Annotated[datetime, Query(alias="to", description="ISO 8601 with an offset (exclusive).")],
) -> StreamingResponse:
    check_period(start, end, MAX_DAYS["15min"])
    windows = access.windows(point_id, "interval_data", start, end)
    points = feed_points(access, point_id, windows, start, end)
    access.log(point_id, "interval_data", windows, route_name(request), correlation_id(request))
    base = str(request.base_url).rstrip("/") + ESPI_PATH
    chunks = espi.feed_chunks(points, now=access.now, base_url=base)
    return StreamingResponse(chunks, media_type=ATOM_TYPE, headers=_attachment(f"greenbutton-{point_id}.xml"))


def _encoded(chunks: Iterator[str]) -> Iterator[bytes]:
    for c in chunks:
        yield c.encode("utf-8")


@router.get(
    "/{point_id}/series.csv",
    openapi_extra=policy("point:interval_data"),
    summary="Interval data as CSV",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "start,end,value,unit,quality (docs/api.md)."}},
)
def get_series_csv(
    request: Request,
    point_id: PointId,
    access: AccessDep,
    start: Annotated[datetime, Query(alias="from", description="ISO 8601 with an offset (inclusive).")],
    end: Annotated[datetime, Query(alias="to", description="ISO 8601 with an offset (exclusive).")],
    channel: Annotated[str, Query(max_length=40, description="OBIS code, e.g. 1-0:1.8.0.")] = "1.0.1.8.0.255",
    resolution: downloads.Resolution = "15min",
    style: Annotated[str, Query(pattern="^(standard|excel)$", description="excel: ';' and a decimal comma.")] = (
        "standard"
    ),
) -> StreamingResponse:
    check_period(start, end, MAX_DAYS["15min"])
    try:
        obis = str(Obis.parse(channel))
    except ObisError as exc:
        raise Problem(422, "invalid-channel", str(exc)) from None
    windows = access.windows(point_id, "interval_data", start, end)
    meters = point_channels(access, point_id).get(obis)
    if not meters:
        raise Problem(404, "not-found", "No such channel at this metering point.")
    c = meters[0][1]
    e, v, q = window_slots(access.store, windows, meters, None)
    try:
        rows = downloads.aggregate(e, v, q, c.interval_s, resolution)
    except downloads.DownloadError as exc:
        raise Problem(422, "series", str(exc)) from None
    access.log(point_id, "interval_data", windows, route_name(request), correlation_id(request))
    ean = access.point(point_id).point.ean
    unit = downloads.unit_of(c.medium, c.unit)
    title = f"metering point {ean}, {c.medium} {obis}, {unit.name}, {start.isoformat()} to {end.isoformat()}"
    chunks = downloads.csv_chunks(f"{title}, Europe/Luxembourg", rows, unit, downloads.STYLES[style])
    return StreamingResponse(_encoded(chunks), media_type=CSV_TYPE, headers=_attachment(f"series-{point_id}.csv"))


__all__ = ["ATOM_TYPE", "check_period", "feed_points", "point_channels", "router", "usage_points"]
