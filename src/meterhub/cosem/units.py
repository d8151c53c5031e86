"""Physical units and the ``scaler_unit`` of registers (DLMS UA 1000-1 Blue Book 4.3.2, Register, and its
table "Enumerated values for physical units").

A Register (class 3), Extended register (4) or Demand register (5) carries its value as a bare number and a
``scaler_unit`` structure ``{scaler: integer, unit: enum}``: the physical value is ``value × 10^scaler`` in
``unit``. :class:`Unit` lists the Blue Book's unit codes 1..72 (58, 59, 68, 69 are not assigned) and
253 reserved, 254 other unit, 255 count/no unit; :class:`ScalerUnit` applies a scaler exactly (``Decimal``)
or, for the platform's integer base units (DESIGN §7: Wh, varh, litre), without ever losing precision.
Codes not in the table raise :class:`UnitError`, a ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from typing import Final, overload

__all__ = ["PrecisionError", "ScalerUnit", "Unit", "UnitError"]


class UnitError(ValueError):
    """A unit code outside the Blue Book table, or a malformed ``scaler_unit`` structure."""


class PrecisionError(ValueError):
    """Scaling a value into integer base units would drop non-zero digits."""


class Unit(IntEnum):
    """The DLMS/COSEM unit enumeration (Blue Book, enumerated values for physical units)."""

    YEAR = 1
    MONTH = 2
    WEEK = 3
    DAY = 4
    HOUR = 5
    MINUTE = 6
    SECOND = 7
    DEGREE = 8
    DEGREE_CELSIUS = 9
    CURRENCY = 10
    METRE = 11
    METRE_PER_SECOND = 12
    CUBIC_METRE = 13
    CUBIC_METRE_CORRECTED = 14
    CUBIC_METRE_PER_HOUR = 15
    CUBIC_METRE_PER_HOUR_CORRECTED = 16
    CUBIC_METRE_PER_DAY = 17
    CUBIC_METRE_PER_DAY_CORRECTED = 18
    LITRE = 19
    KILOGRAM = 20
    NEWTON = 21
    NEWTON_METRE = 22
    PASCAL = 23
    BAR = 24
    JOULE = 25
    JOULE_PER_HOUR = 26
    WATT = 27
    VOLT_AMPERE = 28
    VAR = 29
    WATT_HOUR = 30
    VOLT_AMPERE_HOUR = 31
    VAR_HOUR = 32
    AMPERE = 33
    COULOMB = 34
    VOLT = 35
    VOLT_PER_METRE = 36
    FARAD = 37
    OHM = 38
    OHM_SQUARE_METRE_PER_METRE = 39
    WEBER = 40
    TESLA = 41
    AMPERE_PER_METRE = 42
    HENRY = 43
    HERTZ = 44
    ACTIVE_ENERGY_METER_CONSTANT = 45
    REACTIVE_ENERGY_METER_CONSTANT = 46
    APPARENT_ENERGY_METER_CONSTANT = 47
    VOLT_SQUARED_HOUR = 48
    AMPERE_SQUARED_HOUR = 49
    KILOGRAM_PER_SECOND = 50
    SIEMENS = 51
    KELVIN = 52
    VOLT_SQUARED_HOUR_METER_CONSTANT = 53
    AMPERE_SQUARED_HOUR_METER_CONSTANT = 54
    VOLUME_METER_CONSTANT = 55
    PERCENT = 56
    AMPERE_HOUR = 57
    WATT_HOUR_PER_CUBIC_METRE = 60
    JOULE_PER_CUBIC_METRE = 61
    MOLE_PERCENT = 62
    GRAM_PER_CUBIC_METRE = 63
    PASCAL_SECOND = 64
    JOULE_PER_KILOGRAM = 65
    GRAM_PER_SQUARE_CENTIMETRE = 66
    ATMOSPHERE = 67
    DECIBEL_MILLIWATT = 70
    DECIBEL_MICROVOLT = 71
    DECIBEL = 72
    RESERVED = 253
    OTHER = 254
    COUNT = 255

    @property
    def symbol(self) -> str:
        """The unit's symbol as printed in the Blue Book table (``Wh``, ``m³``, ``°C`` …)."""
        return _INFO[self][0]

    @property
    def quantity(self) -> str:
        """The physical quantity the unit measures, as the Blue Book describes it."""
        return _INFO[self][1]

    @classmethod
    def from_code(cls, code: int) -> Unit:
        """The unit for an enum code from the wire; :class:`UnitError` if the table has no such code."""
        if isinstance(code, bool) or not isinstance(code, int):
            raise UnitError(f"a unit code is an int, got {code!r}")
        try:
            return cls(code)
        except ValueError:
            raise UnitError(f"unit code {code} is not in the DLMS unit table") from None


_INFO: Final[dict[Unit, tuple[str, str]]] = {
    Unit.YEAR: ("a", "time (year)"),
    Unit.MONTH: ("mo", "time (month)"),
    Unit.WEEK: ("wk", "time (week, 7×24×60×60 s)"),
    Unit.DAY: ("d", "time (day, 24×60×60 s)"),
    Unit.HOUR: ("h", "time (hour, 60×60 s)"),
    Unit.MINUTE: ("min", "time (minute, 60 s)"),
    Unit.SECOND: ("s", "time (second)"),
    Unit.DEGREE: ("°", "(phase) angle"),
    Unit.DEGREE_CELSIUS: ("°C", "temperature"),
    Unit.CURRENCY: ("currency", "(local) currency"),
    Unit.METRE: ("m", "length (l)"),
    Unit.METRE_PER_SECOND: ("m/s", "speed (v)"),
    Unit.CUBIC_METRE: ("m³", "volume (V), meter constant or pulse value (volume)"),
    Unit.CUBIC_METRE_CORRECTED: ("m³", "corrected volume"),
    Unit.CUBIC_METRE_PER_HOUR: ("m³/h", "volume flux"),
    Unit.CUBIC_METRE_PER_HOUR_CORRECTED: ("m³/h", "corrected volume flux"),
    Unit.CUBIC_METRE_PER_DAY: ("m³/d", "volume flux"),
    Unit.CUBIC_METRE_PER_DAY_CORRECTED: ("m³/d", "corrected volume flux"),
    Unit.LITRE: ("l", "volume (10⁻³ m³)"),
    Unit.KILOGRAM: ("kg", "mass (m)"),
    Unit.NEWTON: ("N", "force (F)"),
    Unit.NEWTON_METRE: ("Nm", "energy (newton metre)"),
    Unit.PASCAL: ("Pa", "pressure (p)"),
    Unit.BAR: ("bar", "pressure (10⁵ Pa)"),
    Unit.JOULE: ("J", "energy (joule)"),
    Unit.JOULE_PER_HOUR: ("J/h", "thermal power"),
    Unit.WATT: ("W", "active power (P)"),
    Unit.VOLT_AMPERE: ("VA", "apparent power (S)"),
    Unit.VAR: ("var", "reactive power (Q)"),
    Unit.WATT_HOUR: ("Wh", "active energy"),
    Unit.VOLT_AMPERE_HOUR: ("VAh", "apparent energy"),
    Unit.VAR_HOUR: ("varh", "reactive energy"),
    Unit.AMPERE: ("A", "current (I)"),
    Unit.COULOMB: ("C", "electrical charge (Q)"),
    Unit.VOLT: ("V", "voltage (U)"),
    Unit.VOLT_PER_METRE: ("V/m", "electric field strength (E)"),
    Unit.FARAD: ("F", "capacitance (C)"),
    Unit.OHM: ("Ω", "resistance (R)"),
    Unit.OHM_SQUARE_METRE_PER_METRE: ("Ωm²/m", "resistivity (ρ)"),
    Unit.WEBER: ("Wb", "magnetic flux (Φ)"),
    Unit.TESLA: ("T", "magnetic flux density (B)"),
    Unit.AMPERE_PER_METRE: ("A/m", "magnetic field strength (H)"),
    Unit.HENRY: ("H", "inductance (L)"),
    Unit.HERTZ: ("Hz", "frequency (f, ω)"),
    Unit.ACTIVE_ENERGY_METER_CONSTANT: ("1/(Wh)", "active energy meter constant or pulse value (R_W)"),
    Unit.REACTIVE_ENERGY_METER_CONSTANT: ("1/(varh)", "reactive energy meter constant or pulse value (R_B)"),
    Unit.APPARENT_ENERGY_METER_CONSTANT: ("1/(VAh)", "apparent energy meter constant or pulse value (R_S)"),
    Unit.VOLT_SQUARED_HOUR: ("V²h", "volt-squared hour"),
    Unit.AMPERE_SQUARED_HOUR: ("A²h", "ampere-squared hour"),
    Unit.KILOGRAM_PER_SECOND: ("kg/s", "mass flux"),
    Unit.SIEMENS: ("S", "conductance (siemens, mho)"),
    Unit.KELVIN: ("K", "temperature (T)"),
    Unit.VOLT_SQUARED_HOUR_METER_CONSTANT: ("1/(V²h)", "volt-squared hour meter constant or pulse value"),
    Unit.AMPERE_SQUARED_HOUR_METER_CONSTANT: ("1/(A²h)", "ampere-squared hour meter constant or pulse value"),
    Unit.VOLUME_METER_CONSTANT: ("1/m³", "meter constant or pulse value (volume, R_V)"),
    Unit.PERCENT: ("%", "percentage"),
    Unit.AMPERE_HOUR: ("Ah", "ampere-hours"),
    Unit.WATT_HOUR_PER_CUBIC_METRE: ("Wh/m³", "energy per volume"),
    Unit.JOULE_PER_CUBIC_METRE: ("J/m³", "calorific value, Wobbe index"),
    Unit.MOLE_PERCENT: ("Mol %", "molar fraction of gas composition"),
    Unit.GRAM_PER_CUBIC_METRE: ("g/m³", "mass density, quantity of material"),
    Unit.PASCAL_SECOND: ("Pa s", "dynamic viscosity"),
    Unit.JOULE_PER_KILOGRAM: ("J/kg", "specific energy"),
    Unit.GRAM_PER_SQUARE_CENTIMETRE: ("g/cm²", "pressure, gram per square centimetre"),
    Unit.ATMOSPHERE: ("atm", "pressure, atmosphere"),
    Unit.DECIBEL_MILLIWATT: ("dBm", "signal strength, dB milliwatt"),
    Unit.DECIBEL_MICROVOLT: ("dBµV", "signal strength, dB microvolt"),
    Unit.DECIBEL: ("dB", "logarithmic unit expressing the ratio of two values"),
    Unit.RESERVED: ("", "reserved"),
    Unit.OTHER: ("other", "other unit"),
    Unit.COUNT: ("", "count, no unit (unitless)"),
}

# Units whose platform base unit (DESIGN §7) is a decimal multiple of them: (base unit, exponent) such that
# value_in_base = value × 10^exponent. Every other unit is its own base unit (exponent 0).
_BASE: Final[dict[Unit, tuple[Unit, int]]] = {
    Unit.CUBIC_METRE: (Unit.LITRE, 3),
    Unit.CUBIC_METRE_CORRECTED: (Unit.LITRE, 3),
}


@dataclass(frozen=True, slots=True)
class ScalerUnit:
    """A register's ``scaler_unit``: physical value = raw × 10^scaler in :attr:`unit` (Blue Book 4.3.2)."""

    scaler: int
    unit: Unit

    def __post_init__(self) -> None:
        if isinstance(self.scaler, bool) or not isinstance(self.scaler, int):
            raise UnitError(f"scaler must be an int, got {self.scaler!r}")
        if not -128 <= self.scaler <= 127:
            raise UnitError(f"scaler {self.scaler} is outside the integer (Integer8) range -128..127")
        if not isinstance(self.unit, Unit):
            object.__setattr__(self, "unit", Unit.from_code(self.unit))

    @classmethod
    def from_structure(cls, structure: Sequence[int]) -> ScalerUnit:
        """From the decoded A-XDR ``structure {integer scaler, enum unit}``, e.g. ``(-3, 30)``."""
        if isinstance(structure, str | bytes) or len(structure) != 2:
            raise UnitError(f"scaler_unit is a structure of 2 elements, got {structure!r}")
        scaler, unit = structure
        return cls(scaler, Unit.from_code(unit))

    def to_structure(self) -> tuple[int, int]:
        """The ``(scaler, unit)`` pair for the A-XDR encoder."""
        return (self.scaler, int(self.unit))

    @overload
    def apply(self, raw: int) -> Decimal: ...
    @overload
    def apply(self, raw: float) -> float: ...
    def apply(self, raw: int | float) -> Decimal | float:
        """The physical value in :attr:`unit`: exact ``Decimal`` for integer values, ``float`` for floats."""
        if isinstance(raw, bool):
            raise TypeError("a register value is a number, not a bool")
        if isinstance(raw, int):
            return Decimal(raw).scaleb(self.scaler)
        if isinstance(raw, float):
            return raw * 10.0**self.scaler
        raise TypeError(f"a register value is an int or a float, got {type(raw).__name__}")

    @property
    def base_unit(self) -> Unit:
        """The platform's integer base unit for this unit: litre for m³, otherwise the unit itself."""
        return _BASE.get(self.unit, (self.unit, 0))[0]

    def to_base_int(self, raw: int) -> int:
        """Scale an integer register value into integer :attr:`base_unit` (scaler 3 Wh: ×1000; m³ with
        scaler −3: litres). Raises :class:`PrecisionError` when the result would not be a whole number.
        """
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise TypeError(f"to_base_int takes an int register value, got {type(raw).__name__}")
        exponent = self.scaler + _BASE.get(self.unit, (self.unit, 0))[1]
        if exponent >= 0:
            factor: int = 10**exponent
            return raw * factor
        divisor: int = 10**-exponent
        quotient, remainder = divmod(raw, divisor)
        if remainder:
            raise PrecisionError(
                f"{raw} × 10^{self.scaler} {self.unit.symbol} is not a whole number of {self.base_unit.symbol}"
            )
        return quotient

    def __str__(self) -> str:
        symbol = self.unit.symbol or self.unit.name.lower()
        return symbol if self.scaler == 0 else f"10^{self.scaler} {symbol}"
