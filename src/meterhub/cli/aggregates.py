"""``meterhub aggregate``: energy, peak and load-duration figures per DSO, grid area, concentrator or medium
and local day (see :mod:`meterhub.mdm.aggregates`).

The view is that of a role: the operator sees every group; for any other role a group of fewer than 5
meters is shown as suppressed — its name and medium, never a figure (not even how many meters it has). A
DSO's view holds only its own meters (``--role dso`` needs ``--dso``).
"""

from __future__ import annotations

import json
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from meterhub.cli.common import console, dso_of, local_text, number, open_store, parse_day, progress_bar
from meterhub.cli.tables import Column, Row, print_records

if TYPE_CHECKING:
    from meterhub.mdm.aggregates import Aggregate, Suppressed


class GroupBy(StrEnum):
    dso = "dso"
    grid_area = "grid_area"
    concentrator = "concentrator"
    medium = "medium"


class Role(StrEnum):
    operator = "operator"
    dso = "dso"
    supplier = "supplier"


class Medium(StrEnum):
    electricity = "electricity"
    gas = "gas"
    water = "water"
    heat = "heat"


def load_figures(agg: Aggregate) -> dict[str, int | float]:
    """Figures of the load-duration curve: the slot total exceeded in 10 % and 50 % of the day, the lowest
    slot total (base load), and the load factor (mean over peak)."""
    ld = agg.load_duration
    if not ld:
        return {"p10": 0, "p50": 0, "base": 0, "load_factor": 0.0}
    n = len(ld)
    return {
        "p10": ld[n // 10],
        "p50": ld[n // 2],
        "base": ld[-1],
        "load_factor": round(agg.energy / (agg.peak * n), 4) if agg.peak > 0 else 0.0,
    }


def _json(r: Aggregate | Suppressed) -> dict[str, Any]:
    if r.suppressed:
        return {"by": r.by, "group": r.group, "medium": r.medium, "day": r.day.isoformat(), "suppressed": True,
                "reason": r.reason}  # fmt: skip
    return {
        "by": r.by,
        "group": r.group,
        "medium": r.medium,
        "day": r.day.isoformat(),
        "suppressed": False,
        "unit": r.unit,
        "interval_s": r.interval_s,
        "meters": r.meters,
        "energy": r.energy,
        "peak": r.peak,
        "peak_at": None if r.peak_at is None else r.peak_at.isoformat(),
        **load_figures(r),
        "missing_slots": r.missing_slots,
        "load_duration": list(r.load_duration),
    }


def aggregate(
    ctx: typer.Context,
    by: Annotated[GroupBy, typer.Option("--by", help="Group the meters by this.")],
    day: Annotated[str, typer.Option("--day", help="Local day YYYY-MM-DD (the first, with --to).")],
    to: Annotated[str | None, typer.Option("--to", help="Last local day, included.")] = None,
    role: Annotated[
        Role, typer.Option("--role", help="Whose view: small groups are suppressed but for the operator.")
    ] = Role.operator,
    dso: Annotated[str | None, typer.Option("--dso", help="Only this DSO's meters (needed with --role dso).")] = None,
    medium: Annotated[Medium | None, typer.Option("--medium", help="Only this medium.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the aggregates as JSON (with the full curves).")
    ] = False,
) -> None:
    """Energy, peak and load-duration figures per group and local day."""
    from meterhub.mdm.aggregates import MIN_METERS, Aggregate
    from meterhub.mdm.aggregates import aggregate as run_aggregate

    first = parse_day(day, "--day")
    last = parse_day(to, "--to") if to is not None else first
    if last < first:
        raise typer.BadParameter("--to is before --day")
    if role is Role.dso and dso is None:
        raise typer.BadParameter("a DSO sees only its own meters: give --dso CODE with --role dso")
    store = open_store(ctx, as_json=as_json)
    try:
        dso_id = None
        if dso is not None:
            dso_id = dso_of(store, dso, as_json=as_json).id
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        results: list[Aggregate | Suppressed] = []
        with progress_bar(len(days), "aggregating", enabled=not as_json and len(days) > 1) as advance:
            for d in days:
                results += run_aggregate(
                    store, d, by.value,
                    role=role.value, dso_id=dso_id, medium=None if medium is None else medium.value,
                )  # fmt: skip
                advance(1)
    finally:
        store.close()
    if as_json:
        print(json.dumps({"ok": True, "by": by.value, "role": role.value, "min_meters": MIN_METERS,
                          "aggregates": [_json(r) for r in results]}))  # fmt: skip
        return
    if not results:
        console.print("no interval data for these days and meters")
        return
    title = f"aggregates by {by.value}, role {role.value}"
    if role is not Role.operator:
        title += f" (groups under {MIN_METERS} meters suppressed)"
    hidden = any(r.suppressed for r in results)
    caption = f"suppressed: a group of fewer than {MIN_METERS} meters, outside the operator role" if hidden else None
    by_medium = by is GroupBy.medium  # the group is the medium: one column for it
    names = ["day", by.value, *([] if by_medium else ["medium"]), "meters", "energy", "peak", "peak at", "p10", "p50",
             "base", "load f.", "missing"]  # fmt: skip
    left = {"day", by.value, "medium", "peak at"}
    columns = [Column(n, "left" if n in left else "right", heading=n in ("day", by.value)) for n in names]
    rows: list[Row] = []
    for r in results:
        group = "(none)" if r.group is None else str(r.group)
        medium_cell = [] if by_medium else [r.medium]
        if not isinstance(r, Aggregate):
            rows.append(Row([r.day.isoformat(), group, *medium_cell, "suppressed"], style="dim"))
            continue
        f = load_figures(r)
        per = f"{r.unit}/{r.interval_s // 60} min"  # p10, p50, base and the peak are slot totals
        rows.append(Row([
            r.day.isoformat(), group, *medium_cell, str(r.meters), f"{number(r.energy)} {r.unit}",
            f"{number(r.peak)} {per}", local_text(r.peak_at), f"{number(int(f['p10']))} {per}",
            f"{number(int(f['p50']))} {per}", f"{number(int(f['base']))} {per}", f"{f['load_factor']:.2f}",
            number(r.missing_slots),
        ]))  # fmt: skip
    print_records(console, title, columns, rows, caption=caption)
