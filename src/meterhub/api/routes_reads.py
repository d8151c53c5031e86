"""``/api/v1/metering-points``: a point's billing reads, and the series of several points in one request.

``GET /metering-points/{id}/billing-reads`` answers the current version of each stored billing read (register
values at both ends, consumption, TOU determinants per rate) of the point's channels whose period lies wholly
inside one of the caller's visible windows of ``billing_reads`` data (a read across the edge of a window — a
switch or a move inside its month — is not shown: it would tell the other side's consumption). ``POST
/metering-points/series`` asks the series of up to :data:`MAX_BATCH` points at once and answers one item per
point in the order asked: the series, or the problem+json object of that point (404 not visible, 422 invalid);
one bad point does not fail the others. Every read goes through :class:`~meterhub.api.service.Access` and is
appended to the access log, as the single-point routes do.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import ORJSONResponse
from pydantic import BaseModel, ConfigDict, Field

from meterhub.api.common import MAX_ID, AccessDep, PointId, correlation_id, policy, route_name
from meterhub.api.problems import Problem, not_found, problem_body
from meterhub.api.routes_points import DEFAULT_CHANNEL, _period, series_answer, windows_json
from meterhub.api.series import Resolution
from meterhub.api.service import NotVisible
from meterhub.api.spans import FOREVER
from meterhub.mdm.billing_reads import list_reads
from meterhub.store.billing_reads import StoredBillingRead

router = APIRouter(prefix="/metering-points", tags=["metering points"])
MAX_BATCH: Final = 10
"""The most metering points one batch request may name; more is a 422 for the whole request."""
MAX_BILLING_DAYS: Final = 3 * 366


def _read_json(s: StoredBillingRead, obis: str) -> dict[str, Any]:
    r = s.read
    return {
        "id": s.id,
        "version": s.version,
        "channel": obis,
        "kind": r.kind,
        "from": r.start.isoformat(),
        "to": r.end.isoformat(),
        "start_value": r.start_value,
        "start_source": r.start_source,
        "end_value": r.end_value,
        "end_source": r.end_source,
        "consumption": r.consumption,
        "unit": r.unit,
        "tou_calendar": r.tou_calendar,
        "rates": [
            {"rate": x.rate, "billed": x.billed, "intervals": x.intervals, "missing_slots": x.missing_slots}
            for x in r.rates
        ],
        "gas_energy_wh": r.gas_energy_wh,
        "computed_at": s.computed_at.isoformat(),
    }


@router.get("/{point_id}/billing-reads", openapi_extra=policy("point:billing_reads"), summary="Billing reads")
def get_billing_reads(
    request: Request,
    point_id: PointId,
    access: AccessDep,
    start: Annotated[datetime, Query(alias="from", description="ISO 8601 with an offset (inclusive).")],
    end: Annotated[datetime, Query(alias="to", description="ISO 8601 with an offset (exclusive).")],
) -> dict[str, Any]:
    _period(start, end, MAX_BILLING_DAYS)
    windows = access.windows(point_id, "billing_reads", start, end)
    meters = access.store.point_meters(point_id)
    channels = access.store.list_channels([pm.meter.id for pm in meters]) if meters else []
    obis = {c.id: c.obis for c in channels}
    installed = {pm.meter.id: (pm.valid_from, pm.valid_to or FOREVER) for pm in meters}
    meter_of = {c.id: c.meter_id for c in channels}
    items: list[dict[str, Any]] = []
    for s in list_reads(access.store, list(obis), current_only=True) if obis else []:
        a, b = s.read.start, s.read.end
        lo, hi = installed[meter_of[s.read.channel_id]]
        if lo <= a and b <= hi and any(w.start <= a and b <= w.end for w in windows):
            items.append(_read_json(s, obis[s.read.channel_id]))
    items.sort(key=lambda x: (x["from"], x["channel"], x["kind"]))
    access.log(point_id, "billing_reads", windows, route_name(request), correlation_id(request))
    return {"metering_point": point_id, "windows": windows_json(windows), "items": items}


class SeriesBatch(BaseModel):
    """The body of a batch request: the points (up to :data:`MAX_BATCH`) and what to read of each."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    metering_points: list[int] = Field(min_length=1, max_length=MAX_BATCH, description="Metering point ids.")
    channel: str = Field(DEFAULT_CHANNEL, max_length=40, description="OBIS code, e.g. 1-0:1.8.0.")
    start: datetime = Field(alias="from", description="ISO 8601 with an offset (inclusive).")
    end: datetime = Field(alias="to", description="ISO 8601 with an offset (exclusive).")
    resolution: Resolution = "15min"


@router.post("/series", openapi_extra=policy("points:interval_data"), summary="Interval data of several points (batch)")
def post_series_batch(request: Request, access: AccessDep, body: SeriesBatch) -> ORJSONResponse:
    items: list[dict[str, Any]] = []
    for index, point_id in enumerate(body.metering_points):
        # an id out of range is named by its index only (it may not even fit the answer's 64-bit integers)
        item: dict[str, Any] = {"index": index, "metering_point": point_id if 1 <= point_id <= MAX_ID else None}
        try:
            if item["metering_point"] is None:
                raise Problem(422, "invalid-id", f"A metering point id is between 1 and {MAX_ID}.")
            series = series_answer(request, access, point_id, body.channel, body.start, body.end, body.resolution)
            items.append({**item, "status": 200, "series": series})
        except NotVisible:
            items.append({**item, "status": 404, "problem": problem_body(request, not_found())})
        except Problem as p:
            items.append({**item, "status": p.status, "problem": problem_body(request, p)})
    return ORJSONResponse({"items": items})


__all__ = ["MAX_BATCH", "router"]
