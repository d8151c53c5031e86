"""``/api/v1/metering-points/{id}/p1``: a household's reader forwards its live P1 readings; who may see them reads
the latest (issue 13, deliverable 5).

``POST …/p1`` takes the batch of :class:`meterhub.p1.forward.Forwarder` — ``{"meter", "system_title",
"readings": [record, …]}`` with the records of :func:`meterhub.p1.records.reading_record` — from the customer
(their session: the cookie and ``X-CSRF-Token``), for their own point only and only the readings whose time lies
in their own occupancy (policy ``action:p1.forward``; a point that is not theirs now is a 404). Readings outside
it are refused and counted, a repeat is stored once, so a retried batch loses and doubles nothing.
``GET …/p1/latest`` answers the latest stored readings inside the caller's ``live_p1`` windows (policy
``point:live_p1``: the occupant, the operator, the auditor and a party holding a consent with that scope while
it is in force — 404 otherwise), and logs the read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from meterhub.api.common import AccessDep, PointId, correlation_id, policy, require, route_name
from meterhub.api.problems import Problem
from meterhub.api.service import NotVisible
from meterhub.store.p1 import P1Reading

router = APIRouter(prefix="/metering-points", tags=["live P1 data"])
MAX_BATCH = 1000
"""The most readings one POST may carry (the forwarder sends 360 by default)."""
MAX_LATEST = 1000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
AHEAD = timedelta(days=1)
"""How far a reading's time may lie ahead of the platform's clock (a meter clock running fast) and still count."""


def _period(now: datetime) -> tuple[datetime, datetime]:
    """The span of reading times a request looks at: from 1970 to a day ahead of ``now`` (bounded, so the windows
    the access log records are real instants)."""
    return EPOCH, now + AHEAD


class P1Record(BaseModel):
    """One forwarded telegram: its time and frame counter are checked, the rest is kept as sent."""

    model_config = ConfigDict(extra="allow")
    timestamp: datetime | None = Field(None, description="The telegram's time (ISO 8601 with an offset).")
    frame_counter: int = Field(0, ge=0, le=2**63 - 1)
    meter: str | None = Field(None, max_length=64)


class P1Batch(BaseModel):
    meter: str = Field(..., min_length=1, max_length=64, description="The meter's equipment identifier.")
    system_title: str = Field("", max_length=16, pattern=r"^[0-9A-Fa-f]*$")
    readings: list[P1Record] = Field(..., max_length=MAX_BATCH)


@router.post("/{point_id}/p1", openapi_extra=policy("action:p1.forward"), summary="Forward live P1 readings")
def forward(point_id: PointId, body: P1Batch, access: AccessDep) -> dict[str, Any]:
    require(access, "p1.forward")
    now = access.now
    current = access.windows(point_id, "live_p1", now, now + timedelta(seconds=1))  # NotVisible: the 404
    if not any(w.right == "own" for w in current):
        raise NotVisible(point_id)
    own = [w for w in access.windows(point_id, "live_p1", *_period(now)) if w.right == "own"]
    keep: list[P1Reading] = []
    refused = 0
    for r in body.readings:
        at = r.timestamp or now
        if at.tzinfo is None or at.utcoffset() is None:
            raise Problem(422, "naive-time", "A reading's timestamp needs an offset, e.g. 2025-01-01T00:00:00+01:00.")
        if not any(w.start <= at < w.end for w in own):
            refused += 1
            continue
        meter = r.meter or body.meter
        keep.append(
            P1Reading(point_id, meter, body.system_title.upper(), at, r.frame_counter, r.model_dump(mode="json"), now)
        )
    stored = access.store.add_p1_readings(keep)
    return {"metering_point": point_id, "stored": stored, "duplicates": len(keep) - stored, "refused": refused}


@router.get("/{point_id}/p1/latest", openapi_extra=policy("point:live_p1"), summary="The latest live P1 readings")
def latest(
    request: Request,
    point_id: PointId,
    access: AccessDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LATEST)] = 1,
) -> dict[str, Any]:
    windows = access.windows(point_id, "live_p1", *_period(access.now))
    rows = access.store.latest_p1_readings(point_id, [(w.start, w.end) for w in windows], limit)
    access.log(point_id, "live_p1", windows, route_name(request), correlation_id(request))
    return {
        "metering_point": point_id,
        "windows": [{"from": w.start.isoformat(), "to": w.end.isoformat(), "right": w.right} for w in windows],
        "items": [
            {**r.record, "meter": r.meter, "read_at": r.read_at.isoformat(), "received_at": r.received_at.isoformat()}
            for r in rows
        ],
    }


__all__ = ["MAX_BATCH", "P1Batch", "P1Record", "router"]
