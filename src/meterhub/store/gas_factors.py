"""Gas conversion factors as stored (``gas_factor``, migration 0003): per grid area and local month the gross
calorific value (kWh/m³) and the volume-correction factor, as exact decimals (text columns), with who set them
and when. The month's national entry is stored under the grid area :data:`NATIONAL_AREA`.

What the factors mean and how billing uses them is :mod:`meterhub.mdm.gas_factors`; here they are rows. The
functions take a :class:`~meterhub.store.sql.Connection`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from meterhub.store import schema as t
from meterhub.store.sql import insert_for

NATIONAL_AREA = t.NATIONAL_AREA
"""``gas_factor.grid_area`` of a month's national entry (used for grid areas without their own)."""


@dataclass(frozen=True, slots=True)
class GasFactorRow:
    """One stored entry (``grid_area`` as stored: :data:`NATIONAL_AREA` for the national one)."""

    grid_area: str
    year: int
    month: int
    calorific: Decimal
    correction: Decimal
    set_at: datetime
    set_by: str


def _row(row: sa.Row[object]) -> GasFactorRow:
    m = row._mapping
    return GasFactorRow(
        str(m["grid_area"]),
        int(m["year"]),
        int(m["month"]),
        Decimal(m["calorific"]),
        Decimal(m["correction"]),
        m["set_at"],
        str(m["set_by"]),
    )


def put_gas_factor_row(conn: sa.Connection, entry: GasFactorRow) -> GasFactorRow:
    """Store (or replace) the entry of its grid area and month; returns it as stored."""
    g = t.gas_factor
    values = {
        "grid_area": entry.grid_area,
        "year": entry.year,
        "month": entry.month,
        "calorific": str(entry.calorific),
        "correction": str(entry.correction),
        "set_at": entry.set_at,
        "set_by": entry.set_by,
    }
    stmt = insert_for(conn, g).values(**values)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[g.c.grid_area, g.c.year, g.c.month],
            set_={k: stmt.excluded[k] for k in ("calorific", "correction", "set_at", "set_by")},
        )
    )
    stored = conn.execute(
        sa.select(g).where(g.c.grid_area == entry.grid_area, g.c.year == entry.year, g.c.month == entry.month)
    ).one()
    return _row(stored)


def gas_factor_rows(
    conn: sa.Connection, *, grid_area: str | None = None, year: int | None = None
) -> list[GasFactorRow]:
    """Stored entries (of one grid area as stored and/or year if given), by area, year and month."""
    g = t.gas_factor
    q = sa.select(g).order_by(g.c.grid_area, g.c.year, g.c.month)
    if grid_area is not None:
        q = q.where(g.c.grid_area == grid_area)
    if year is not None:
        q = q.where(g.c.year == year)
    return [_row(row) for row in conn.execute(q)]


def gas_factor_rows_of_month(
    conn: sa.Connection, grid_areas: Sequence[str], year: int, month: int
) -> dict[str, GasFactorRow]:
    """``{grid area as stored: entry}`` of the month for those of ``grid_areas`` that have one."""
    g = t.gas_factor
    q = sa.select(g).where(g.c.grid_area.in_(list(grid_areas)), g.c.year == year, g.c.month == month)
    return {str(r.grid_area): _row(r) for r in conn.execute(q)}


__all__ = ["NATIONAL_AREA", "GasFactorRow", "gas_factor_rows", "gas_factor_rows_of_month", "put_gas_factor_row"]
