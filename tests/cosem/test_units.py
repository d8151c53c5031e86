"""The DLMS unit table, scaler_unit arithmetic and the clock/profile status bits."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meterhub.cosem.clock_status import (
    CLOCK_STATUS_NOT_SPECIFIED,
    ClockStatus,
    ProfileStatus,
    decode_clock_status,
    encode_clock_status,
)
from meterhub.cosem.units import PrecisionError, ScalerUnit, Unit, UnitError


@pytest.mark.parametrize(
    ("code", "symbol"),
    [
        (1, "a"),
        (2, "mo"),
        (3, "wk"),
        (4, "d"),
        (5, "h"),
        (6, "min"),
        (7, "s"),
        (8, "°"),
        (9, "°C"),
        (10, "currency"),
        (11, "m"),
        (12, "m/s"),
        (13, "m³"),
        (14, "m³"),
        (15, "m³/h"),
        (19, "l"),
        (23, "Pa"),
        (25, "J"),
        (27, "W"),
        (28, "VA"),
        (29, "var"),
        (30, "Wh"),
        (31, "VAh"),
        (32, "varh"),
        (33, "A"),
        (34, "C"),
        (35, "V"),
        (36, "V/m"),
        (37, "F"),
        (38, "Ω"),
        (44, "Hz"),
        (45, "1/(Wh)"),
        (46, "1/(varh)"),
        (47, "1/(VAh)"),
        (48, "V²h"),
        (49, "A²h"),
        (50, "kg/s"),
        (51, "S"),
        (52, "K"),
        (53, "1/(V²h)"),
        (54, "1/(A²h)"),
        (55, "1/m³"),
        (56, "%"),
        (57, "Ah"),
        (60, "Wh/m³"),
        (61, "J/m³"),
        (62, "Mol %"),
        (63, "g/m³"),
        (64, "Pa s"),
        (65, "J/kg"),
        (66, "g/cm²"),
        (67, "atm"),
        (70, "dBm"),
        (71, "dBµV"),
        (72, "dB"),
        (254, "other"),
    ],
)
def test_unit_symbols(code: int, symbol: str) -> None:
    assert Unit.from_code(code).symbol == symbol


def test_unit_spot_checks() -> None:
    assert Unit(30) is Unit.WATT_HOUR
    assert Unit(32) is Unit.VAR_HOUR
    assert Unit(35) is Unit.VOLT
    assert Unit(33) is Unit.AMPERE
    assert Unit(27) is Unit.WATT
    assert Unit(44) is Unit.HERTZ
    assert Unit(13) is Unit.CUBIC_METRE
    assert Unit(14) is Unit.CUBIC_METRE_CORRECTED
    assert Unit(255) is Unit.COUNT
    assert Unit(254) is Unit.OTHER
    assert Unit.CUBIC_METRE_CORRECTED.quantity == "corrected volume"


def test_every_unit_has_symbol_and_quantity() -> None:
    for unit in Unit:
        assert isinstance(unit.symbol, str)
        assert unit.quantity


@pytest.mark.parametrize("code", [0, 58, 59, 68, 69, 73, 252, 256, -1])
def test_unknown_unit_codes(code: int) -> None:
    with pytest.raises(UnitError):
        Unit.from_code(code)


def test_from_code_rejects_non_int() -> None:
    with pytest.raises(UnitError):
        Unit.from_code("30")  # type: ignore[arg-type]
    with pytest.raises(UnitError):
        Unit.from_code(True)


def test_scaler_unit_from_structure() -> None:
    su = ScalerUnit.from_structure((-3, 30))
    assert su == ScalerUnit(-3, Unit.WATT_HOUR)
    assert su.to_structure() == (-3, 30)
    assert ScalerUnit.from_structure([0, 255]).unit is Unit.COUNT
    assert str(su) == "10^-3 Wh"
    assert str(ScalerUnit(0, Unit.VOLT)) == "V"
    assert str(ScalerUnit(0, Unit.COUNT)) == "count"


@pytest.mark.parametrize(
    "structure", [(), (0,), (0, 30, 1), (0, 0), (128, 30), (-129, 30), ("0", 30), "ab", b"\x00\x1e"]
)
def test_scaler_unit_bad_structures(structure: object) -> None:
    with pytest.raises(UnitError):
        ScalerUnit.from_structure(structure)  # type: ignore[arg-type]


def test_scaler_unit_coerces_int_unit() -> None:
    assert ScalerUnit(0, 30).unit is Unit.WATT_HOUR  # type: ignore[arg-type]
    with pytest.raises(UnitError):
        ScalerUnit(0, 0)  # type: ignore[arg-type]


def test_apply() -> None:
    assert ScalerUnit(-1, Unit.VOLT).apply(2301) == Decimal("230.1")
    assert ScalerUnit(3, Unit.WATT_HOUR).apply(12) == Decimal(12000)
    assert ScalerUnit(-2, Unit.AMPERE).apply(-5) == Decimal("-0.05")
    assert isinstance(ScalerUnit(-1, Unit.VOLT).apply(2301), Decimal)
    as_float = ScalerUnit(-1, Unit.VOLT).apply(2301.0)
    assert isinstance(as_float, float)
    assert as_float == pytest.approx(230.1)
    with pytest.raises(TypeError):
        ScalerUnit(0, Unit.VOLT).apply(True)
    with pytest.raises(TypeError):
        ScalerUnit(0, Unit.VOLT).apply("1")  # type: ignore[call-overload]


def test_to_base_int() -> None:
    assert ScalerUnit(0, Unit.WATT_HOUR).to_base_int(1234) == 1234
    assert ScalerUnit(3, Unit.WATT_HOUR).to_base_int(12) == 12000
    assert ScalerUnit(-1, Unit.VAR_HOUR).to_base_int(120) == 12
    # m³ becomes litres (DESIGN §7): scaler -3 m³ is exactly one litre per step.
    assert ScalerUnit(-3, Unit.CUBIC_METRE).base_unit is Unit.LITRE
    assert ScalerUnit(-3, Unit.CUBIC_METRE).to_base_int(123456) == 123456
    assert ScalerUnit(-2, Unit.CUBIC_METRE_CORRECTED).to_base_int(7) == 70
    assert ScalerUnit(0, Unit.WATT_HOUR).base_unit is Unit.WATT_HOUR


def test_to_base_int_refuses_to_lose_precision() -> None:
    with pytest.raises(PrecisionError):
        ScalerUnit(-1, Unit.WATT_HOUR).to_base_int(1235)
    with pytest.raises(PrecisionError):
        ScalerUnit(-4, Unit.CUBIC_METRE).to_base_int(5)
    with pytest.raises(TypeError):
        ScalerUnit(0, Unit.WATT_HOUR).to_base_int(1.0)  # type: ignore[arg-type]


@given(st.integers(min_value=-(2**63), max_value=2**64), st.integers(min_value=-10, max_value=10))
def test_to_base_int_agrees_with_apply(raw: int, scaler: int) -> None:
    su = ScalerUnit(scaler, Unit.WATT_HOUR)
    exact = su.apply(raw)
    if exact == exact.to_integral_value():
        assert su.to_base_int(raw) == int(exact)
    else:
        with pytest.raises(PrecisionError):
            su.to_base_int(raw)


@given(st.integers(min_value=-128, max_value=127), st.sampled_from(list(Unit)))
def test_structure_roundtrip(scaler: int, unit: Unit) -> None:
    su = ScalerUnit(scaler, unit)
    assert ScalerUnit.from_structure(su.to_structure()) == su


# ---------------------------------------------------------------------------------------- clock status


def test_clock_status_bits() -> None:
    assert int(ClockStatus.INVALID_VALUE) == 0x01
    assert int(ClockStatus.DOUBTFUL_VALUE) == 0x02
    assert int(ClockStatus.DIFFERENT_CLOCK_BASE) == 0x04
    assert int(ClockStatus.INVALID_CLOCK_STATUS) == 0x08
    assert int(ClockStatus.DAYLIGHT_SAVING_ACTIVE) == 0x80


def test_clock_status_decode_encode() -> None:
    assert decode_clock_status(0xFF) is None
    assert encode_clock_status(None) == CLOCK_STATUS_NOT_SPECIFIED == 0xFF
    assert decode_clock_status(0x80) == ClockStatus.DAYLIGHT_SAVING_ACTIVE
    assert decode_clock_status(0x00) == ClockStatus(0)
    assert decode_clock_status(0x00).is_valid  # type: ignore[union-attr]
    assert not ClockStatus.DOUBTFUL_VALUE.is_valid
    assert ClockStatus.DAYLIGHT_SAVING_ACTIVE.is_valid
    assert decode_clock_status(0x91) == ClockStatus.DAYLIGHT_SAVING_ACTIVE | ClockStatus.INVALID_VALUE
    with pytest.raises(ValueError, match="reserved"):
        decode_clock_status(0x10, strict=True)
    for bad in (-1, 256, True):
        with pytest.raises(ValueError):
            decode_clock_status(bad)
    assert encode_clock_status(ClockStatus.DAYLIGHT_SAVING_ACTIVE | ClockStatus.INVALID_VALUE) == 0x81


@given(st.integers(min_value=0, max_value=0xFE))
def test_clock_status_roundtrip_without_reserved_bits(octet: int) -> None:
    assert encode_clock_status(decode_clock_status(octet)) == octet & 0x8F


def test_profile_status_bits() -> None:
    assert int(ProfileStatus.CRITICAL_ERROR) == 0x01
    assert int(ProfileStatus.CLOCK_INVALID) == 0x02
    assert int(ProfileStatus.DATA_NOT_VALID) == 0x04
    assert int(ProfileStatus.DAYLIGHT_SAVING) == 0x08
    assert int(ProfileStatus.CLOCK_ADJUSTED) == 0x20
    assert int(ProfileStatus.POWER_DOWN) == 0x80
    assert (ProfileStatus.DAYLIGHT_SAVING | ProfileStatus.POWER_DOWN).is_reliable
    assert not ProfileStatus(0x84).is_reliable
