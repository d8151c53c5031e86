"""Long property runs of the object model's parsers and codecs, marked ``slow`` (``.venv/bin/pytest -m slow``).

The default suite runs these properties with hypothesis's 100 examples (test_obis.py, test_units.py,
test_classes.py); here thousands, and the text given to the OBIS parser is built near its grammar
(digits, separators, C-group letters, hex, whitespace, huge numbers) rather than arbitrary text, which rarely
gets past the first character.
"""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meterhub.cosem.classes import INTERFACE_CLASSES, AttributeDescriptor, CaptureObject, MethodDescriptor
from meterhub.cosem.clock_status import decode_clock_status, encode_clock_status
from meterhub.cosem.obis import Obis, ObisError
from meterhub.cosem.units import PrecisionError, ScalerUnit, Unit

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

LONG = settings(max_examples=3_000, deadline=None)
octet = st.integers(min_value=0, max_value=255)
obis_codes = st.builds(Obis, octet, octet, octet, octet, octet, octet)
_pieces = st.one_of(
    st.integers(min_value=0, max_value=300).map(str),
    st.integers(min_value=0, max_value=10**30).map(str),
    st.sampled_from([".", "-", ":", "*", "&", " ", "C", "F", "L", "P", "x", "ff", "FF", "0", "00", "\t", "٣"]),
)
near_obis_text = st.lists(_pieces, max_size=14).map("".join)


@LONG
@given(near_obis_text)
def test_obis_parse_gives_a_code_or_an_obis_error(text: str) -> None:
    with contextlib.suppress(ObisError):
        code = Obis.parse(text)
        assert Obis.parse(str(code)) == code and Obis.parse(code.reduced()) == code


@LONG
@given(obis_codes)
def test_obis_round_trips_through_every_form(code: Obis) -> None:
    assert Obis.parse(str(code)) == code == Obis.parse(code.reduced()) == Obis.from_bytes(code.to_bytes())
    assert Obis.parse(code.to_bytes().hex()) == code


@LONG
@given(obis_codes, obis_codes)
def test_obis_order_is_the_wire_order(x: Obis, y: Obis) -> None:
    assert (x < y) == (x.to_bytes() < y.to_bytes()) and (x == y) == (x.to_bytes() == y.to_bytes())


@LONG
@given(st.sampled_from(sorted(INTERFACE_CLASSES)), obis_codes, st.data())
def test_descriptors_of_every_registered_attribute_and_method(class_id: int, code: Obis, data: st.DataObject) -> None:
    ic = INTERFACE_CLASSES[class_id]
    attribute = data.draw(st.sampled_from(list(ic.attributes)))
    d = AttributeDescriptor.of(code, attribute)
    assert (d.class_id, d.obis, d.attribute_id) == (class_id, code, int(attribute))
    assert d.attribute_name == attribute.name.lower()
    column = CaptureObject.of(code, attribute, data.draw(st.integers(min_value=0, max_value=0xFFFF)))
    assert column.descriptor == d
    if list(ic.methods):
        method = data.draw(st.sampled_from(list(ic.methods)))
        m = MethodDescriptor.of(code, method)
        assert (m.class_id, m.method_id, m.method_name) == (class_id, int(method), method.name.lower())


@LONG
@given(st.integers(min_value=-(2**70), max_value=2**70), st.integers(min_value=-128, max_value=127))
def test_scaler_unit_to_base_int_is_exact_or_refused(raw: int, scaler: int) -> None:
    su = ScalerUnit(scaler, Unit.WATT_HOUR)
    exact = su.apply(raw)
    try:
        assert su.to_base_int(raw) == exact
    except PrecisionError:
        assert exact != exact.to_integral_value()


@LONG
@given(st.integers(min_value=-128, max_value=127), st.sampled_from(list(Unit)))
def test_scaler_unit_structure_round_trip(scaler: int, unit: Unit) -> None:
    su = ScalerUnit(scaler, unit)
    assert ScalerUnit.from_structure(su.to_structure()) == su


@settings(max_examples=2_000, deadline=None)
@given(st.integers(min_value=-(2**40), max_value=2**40))
def test_clock_status_decodes_every_octet_or_refuses(value: int) -> None:
    if 0 <= value <= 0xFF:
        status = decode_clock_status(value)
        assert status is None if value == 0xFF else encode_clock_status(status) == value & 0x8F
    else:
        with pytest.raises(ValueError):
            decode_clock_status(value)
