"""Gas conversion factors per grid area and month, kept in the store (``gas_factor``, migration 0003).

Billing converts a gas register delta (a volume) into energy with the calorific value (kWh/m³, gross) and
the volume-correction factor of the metering point's grid area in that local month (see
:mod:`meterhub.mdm.billing`). The operator sets them here, per grid area and month, or once per month for the
whole country (grid area ``None``, stored as :data:`~meterhub.store.gas_factors.NATIONAL_AREA`): a grid area
without its own entry for a month takes the national one. A month with neither cannot be billed in energy —
:func:`factors_for` returns None and the billing read is refused rather than converted with guessed figures.
Setting a month again replaces its entry (who and when are kept with it); every stored billing read keeps
the factors it was converted with (``billing_read_gas``), so what was billed stays on record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from meterhub.mdm.billing import GasConversion, GasFactors
from meterhub.store import Connection, Store
from meterhub.store.gas_factors import (
    NATIONAL_AREA,
    GasFactorRow,
    gas_factor_rows,
    gas_factor_rows_of_month,
    put_gas_factor_row,
)

MAX_CALORIFIC = Decimal(20)
"""Upper bound of a plausible gross calorific value in kWh/m³ (natural gas: about 8–13)."""
MAX_CORRECTION = Decimal(2)
"""Upper bound of a plausible volume-correction factor (about 0.9–1.0 in a low-pressure network)."""


class GasFactorError(ValueError):
    """Factors that are refused: not a decimal, out of range, a month outside 1..12, no user."""


@dataclass(frozen=True, slots=True)
class GasFactorEntry:
    """One stored entry: the factors of one grid area (None: national) and local month."""

    grid_area: str | None
    year: int
    month: int
    factors: GasFactors
    set_at: datetime
    set_by: str


def parse_decimal(text: str | float | Decimal, what: str) -> Decimal:
    """A finite decimal from text (``11.2``), or :class:`GasFactorError` naming ``what``."""
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise GasFactorError(f"{what} must be a decimal number, got {text!r}") from None
    if not value.is_finite():
        raise GasFactorError(f"{what} must be a finite number, got {text!r}")
    return value


def check_factors(factors: GasFactors) -> None:
    """Refuse factors outside the plausible ranges (0, :data:`MAX_CALORIFIC`] and (0, :data:`MAX_CORRECTION`]."""
    if not 0 < factors.calorific_kwh_per_m3 <= MAX_CALORIFIC:
        raise GasFactorError(
            f"calorific value {factors.calorific_kwh_per_m3} kWh/m³ is outside (0, {MAX_CALORIFIC}] kWh/m³"
        )
    if not 0 < factors.correction <= MAX_CORRECTION:
        raise GasFactorError(f"volume-correction factor {factors.correction} is outside (0, {MAX_CORRECTION}]")
    for value, what in ((factors.calorific_kwh_per_m3, "calorific value"), (factors.correction, "correction")):
        if len(str(value)) > 20:
            raise GasFactorError(f"{what} {value} has too many digits (20 characters at most)")


def _area_key(grid_area: str | None) -> str:
    if grid_area is None:
        return NATIONAL_AREA
    area = grid_area.strip()
    if not area or area == NATIONAL_AREA:
        raise GasFactorError(f"not a grid area: {grid_area!r} (leave it out for the national entry)")
    return area


def _entry(row: GasFactorRow) -> GasFactorEntry:
    return GasFactorEntry(
        None if row.grid_area == NATIONAL_AREA else row.grid_area,
        row.year,
        row.month,
        GasFactors(row.calorific, row.correction),
        row.set_at,
        row.set_by,
    )


def set_gas_factors(
    store: Store,
    grid_area: str | None,
    year: int,
    month: int,
    factors: GasFactors,
    *,
    by: str,
    now: datetime | None = None,
) -> GasFactorEntry:
    """Store (or replace) the factors of ``grid_area`` (None: national) for the local month."""
    if not 1 <= month <= 12 or not 2000 <= year <= 2999:
        raise GasFactorError(f"not a month: {year}-{month:02d}")
    if not by.strip():
        raise GasFactorError("setting gas factors needs the user who sets them")
    check_factors(factors)
    row = GasFactorRow(
        _area_key(grid_area),
        year,
        month,
        factors.calorific_kwh_per_m3,
        factors.correction,
        now or datetime.now(UTC),
        by.strip(),
    )
    with store.write() as conn:
        return _entry(put_gas_factor_row(conn, row))


def list_gas_factors(store: Store, *, grid_area: str | None = None, year: int | None = None) -> list[GasFactorEntry]:
    """Stored entries (of one grid area and/or year if given), by area (national first), year and month."""
    area = None if grid_area is None else _area_key(grid_area)
    with store.read() as conn:
        return [_entry(row) for row in gas_factor_rows(conn, grid_area=area, year=year)]


def factors_for(conn: Connection, grid_area: str | None, year: int, month: int) -> tuple[GasFactors, str] | None:
    """The factors that apply to ``grid_area`` in the month and the area key they were stored under (the area
    itself, or :data:`~meterhub.store.gas_factors.NATIONAL_AREA`); None when neither has an entry."""
    keys = [NATIONAL_AREA] if grid_area is None else [grid_area, NATIONAL_AREA]
    rows = gas_factor_rows_of_month(conn, keys, year, month)
    for key in keys:
        if key in rows:
            return GasFactors(rows[key].calorific, rows[key].correction), key
    return None


def conversion(store: Store) -> GasConversion:
    """Every stored entry as the billing module's :class:`~meterhub.mdm.billing.GasConversion` (national
    entries under area None); what the table lacks falls back to the conversion's default there."""
    conv = GasConversion()
    for e in list_gas_factors(store):
        conv.set_month(e.grid_area, e.year, e.month, e.factors)
    return conv


__all__ = [
    "MAX_CALORIFIC",
    "MAX_CORRECTION",
    "GasFactorEntry",
    "GasFactorError",
    "check_factors",
    "conversion",
    "factors_for",
    "list_gas_factors",
    "parse_decimal",
    "set_gas_factors",
]
