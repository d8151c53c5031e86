"""``/api/v1/aggregates``: interval data aggregated per DSO, grid area, concentrator or medium and local day.

``GET /aggregates?dso=&from=&to=&by=&medium=&resolution=day`` answers :func:`meterhub.mdm.aggregates.aggregate`
for each local day of [from, to] (Europe/Luxembourg dates, inclusive, at most :data:`MAX_DAYS`): per group and day
the meters contributing, the energy, the peak slot and its time, and the slots without a value. Who may ask is
the policy layer's :func:`meterhub.api.policy.aggregate_area`: a DSO its own area (another DSO's is a 403), the
operator, its admin and the auditor any DSO's or all; nobody else. The privacy threshold holds for every caller
of the API, the operator included: a group of fewer than :data:`~meterhub.mdm.aggregates.MIN_METERS` meters comes
back as ``{"suppressed": true}`` with no figure, not even its meter count. Only ``resolution=day`` is offered (the
aggregates are daily; a longer period is many days).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Query

from meterhub.api.common import MAX_ID, AccessDep, policy
from meterhub.api.policy import aggregate_area
from meterhub.api.problems import Problem
from meterhub.mdm.aggregates import MIN_METERS, Aggregate, GroupBy, Suppressed, aggregate_days

router = APIRouter(tags=["aggregates"])
MAX_DAYS: Final = 31
"""The most local days one request may span; more is a 422."""
FIRST_DAY: Final = date(1970, 1, 2)
LAST_DAY: Final = date(2999, 12, 31)
"""The local days one may ask for (the store's instants are epoch seconds)."""
API_ROLE: Final = "api"
"""The role the API aggregates as: never the operator's, so the privacy threshold always holds."""


def _json(a: Aggregate | Suppressed) -> dict[str, Any]:
    if isinstance(a, Suppressed):
        return {"day": a.day.isoformat(), "group": a.group, "medium": a.medium, "suppressed": True,
                "reason": a.reason}  # fmt: skip
    return {"day": a.day.isoformat(), "group": a.group, "medium": a.medium, "unit": a.unit,
            "interval_s": a.interval_s, "meters": a.meters, "energy": a.energy, "peak": a.peak,
            "peak_at": None if a.peak_at is None else a.peak_at.isoformat(), "missing_slots": a.missing_slots,
            "suppressed": False}  # fmt: skip


@router.get(
    "/aggregates", openapi_extra=policy("aggregates"),
    summary="Aggregates per group and local day (DSO: own area; operator, auditor)",
)  # fmt: skip
def aggregates(
    access: AccessDep,
    day_from: Annotated[date, Query(alias="from", description="First local day (YYYY-MM-DD).")],
    day_to: Annotated[date, Query(alias="to", description="Last local day, inclusive (YYYY-MM-DD).")],
    dso: Annotated[int | None, Query(ge=1, le=MAX_ID, description="The DSO's party id (a DSO: its own).")] = None,
    by: Annotated[GroupBy, Query(description="How to group.")] = "grid_area",
    medium: Annotated[Literal["electricity", "gas", "water", "heat"] | None, Query()] = None,
    resolution: Annotated[Literal["day"], Query(description="day (the only one).")] = "day",
) -> dict[str, Any]:
    allowed, area = aggregate_area(access.caller.principal, None if dso is None else str(dso))
    if not allowed:
        detail = "A DSO sees its own area's aggregates only." if access.caller.role == "dso" else (
            "Aggregates are for DSOs, the operator and the auditor.")  # fmt: skip
        raise Problem(403, "forbidden", detail)
    if not (FIRST_DAY <= day_from <= LAST_DAY and FIRST_DAY <= day_to <= LAST_DAY):
        raise Problem(422, "aggregates", f"'from' and 'to' are local days from {FIRST_DAY} to {LAST_DAY}.")
    if day_to < day_from:
        raise Problem(422, "aggregates", "'to' must not be before 'from'.")
    if (day_to - day_from).days + 1 > MAX_DAYS:
        raise Problem(422, "aggregates", f"At most {MAX_DAYS} days in one request: ask in several.")
    results = aggregate_days(
        access.store, day_from, day_to, by, role=API_ROLE,
        dso_id=None if area is None else int(area), medium=medium,
    )  # fmt: skip
    return {"by": by, "from": day_from.isoformat(), "to": day_to.isoformat(), "resolution": resolution,
            "dso": None if area is None else int(area), "min_meters": MIN_METERS,
            "items": [_json(a) for a in results]}  # fmt: skip


__all__ = ["router"]
