"""OBIS codes: both text forms, the wire form, ordering, the named constants and bad input."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meterhub.cosem import obis as o
from meterhub.cosem.obis import Obis, ObisError

octet = st.integers(min_value=0, max_value=255)
obis_codes = st.builds(Obis, octet, octet, octet, octet, octet, octet)


@pytest.mark.parametrize(
    "text",
    [
        "1.0.1.8.0.255",
        "1-0:1.8.0",
        "1-0:1.8.0.255",
        "1-0:1.8.0*255",
        "1-0:1.8.0&255",
        "0100010800FF",
        "0100010800ff",
        "  1-0:1.8.0 ",
    ],
)
def test_parse_forms_of_active_import(text: str) -> None:
    assert Obis.parse(text) == o.ACTIVE_ENERGY_IMPORT == Obis(1, 0, 1, 8, 0)


def test_printing() -> None:
    assert str(o.ACTIVE_ENERGY_IMPORT) == "1.0.1.8.0.255"
    assert o.ACTIVE_ENERGY_IMPORT.reduced() == "1-0:1.8.0"
    assert Obis(1, 0, 1, 8, 0, 1).reduced() == "1-0:1.8.0*1"
    assert repr(o.CLOCK) == "Obis('0.0.1.0.0.255')"
    assert o.CLOCK.groups() == (0, 0, 1, 0, 0, 255)


def test_letters_in_group_c() -> None:
    assert Obis.parse("0-0:C.1.0") == o.METER_SERIAL
    assert Obis.parse("1-0:P.1.0") == o.LOAD_PROFILE_15MIN
    assert Obis.parse("0-0:P.98.0") == o.STANDARD_EVENT_LOG
    assert Obis.parse("0-0:L.1.0") == Obis(0, 0, 98, 1, 0)
    assert Obis.parse("0-0:F.1.0") == Obis(0, 0, 97, 1, 0)


def test_bytes() -> None:
    assert o.CLOCK.to_bytes() == bytes.fromhex("0000010000ff")
    assert bytes(o.CLOCK) == o.CLOCK.to_bytes()
    assert Obis.from_bytes(bytes.fromhex("0000010000ff")) == o.CLOCK
    assert Obis.from_bytes(bytearray(b"\x01\x00\x01\x08\x00\xff")) == o.ACTIVE_ENERGY_IMPORT
    assert Obis.from_bytes(memoryview(b"\x01\x00\x01\x08\x00\xff")) == o.ACTIVE_ENERGY_IMPORT


def test_coerce() -> None:
    assert Obis.coerce(o.CLOCK) is o.CLOCK
    assert Obis.coerce("0-0:1.0.0") == o.CLOCK
    assert Obis.coerce(b"\x00\x00\x01\x00\x00\xff") == o.CLOCK
    with pytest.raises(ObisError):
        Obis.coerce(12345)  # type: ignore[arg-type]


def test_ordered_hashable_frozen() -> None:
    assert sorted([o.VOLTAGE_L1, o.CLOCK, o.ACTIVE_ENERGY_IMPORT]) == [
        o.CLOCK,
        o.ACTIVE_ENERGY_IMPORT,
        o.VOLTAGE_L1,
    ]
    assert len({o.CLOCK, Obis.parse("0.0.1.0.0.255")}) == 1
    with pytest.raises(AttributeError):
        o.CLOCK.a = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1.0.1.8.0",
        "1.0.1.8.0.256",
        "1.0.1.8.0.255.0",
        "1-0:1.8",
        "1-0:1.8.0*256",
        "1-0:1.8.0*",
        "1:0-1.8.0",
        "0-0:F.F.0",
        "0-0:c.1.0",
        "0100010800F",
        "0100010800FFF",
        "0100010800GG",
        "1.0.1.8.0.-1",
        "1.0.1.8.0.1000",
        "1.0.1.8.0.٣",
        "A.B.C.D.E.F",
        "1 .0.1.8.0.255",
    ],
)
def test_bad_text(text: str) -> None:
    with pytest.raises(ObisError):
        Obis.parse(text)


def test_obis_error_is_value_error() -> None:
    assert issubclass(ObisError, ValueError)
    with pytest.raises(ValueError, match=r"outside 0\.\.255"):
        Obis.parse("1.0.1.8.0.300")


@pytest.mark.parametrize("value", [b"", b"\x00" * 5, b"\x00" * 7])
def test_bad_bytes(value: bytes) -> None:
    with pytest.raises(ObisError):
        Obis.from_bytes(value)


@pytest.mark.parametrize(
    "groups", [(256, 0, 0, 0, 0, 0), (-1, 0, 0, 0, 0, 0), (True, 0, 0, 0, 0, 0), ("1", 0, 0, 0, 0, 0)]
)
def test_bad_groups(groups: tuple[object, ...]) -> None:
    with pytest.raises(ObisError):
        Obis(*groups)  # type: ignore[arg-type]


def test_parse_rejects_non_str() -> None:
    with pytest.raises(ObisError):
        Obis.parse(b"1.0.1.8.0.255")  # type: ignore[arg-type]


@given(obis_codes)
def test_roundtrip_dotted(code: Obis) -> None:
    assert Obis.parse(str(code)) == code


@given(obis_codes)
def test_roundtrip_reduced(code: Obis) -> None:
    assert Obis.parse(code.reduced()) == code


@given(obis_codes)
def test_roundtrip_bytes(code: Obis) -> None:
    raw = code.to_bytes()
    assert len(raw) == 6
    assert Obis.from_bytes(raw) == code
    assert Obis.parse(raw.hex()) == code


@given(st.binary(min_size=6, max_size=6))
def test_bytes_roundtrip_from_bytes(raw: bytes) -> None:
    assert Obis.from_bytes(raw).to_bytes() == raw


@given(st.text(max_size=30))
def test_parse_never_raises_anything_but_obis_error(text: str) -> None:
    with contextlib.suppress(ObisError):
        Obis.parse(text)


@given(obis_codes, obis_codes)
def test_order_matches_bytes(x: Obis, y: Obis) -> None:
    assert (x < y) == (x.to_bytes() < y.to_bytes())


def test_named_constants() -> None:
    assert str(o.CLOCK) == "0.0.1.0.0.255"
    assert str(o.LOGICAL_DEVICE_NAME) == "0.0.42.0.0.255"
    assert str(o.METER_SERIAL) == "0.0.96.1.0.255"
    assert str(o.INVOCATION_COUNTER) == "0.0.43.1.0.255"
    assert str(o.SECURITY_SETUP) == "0.0.43.0.0.255"
    assert str(o.ASSOCIATION_LN) == "0.0.40.0.0.255"
    assert [str(x) for x in (o.ACTIVE_ENERGY_EXPORT, o.REACTIVE_ENERGY_IMPORT, o.REACTIVE_ENERGY_EXPORT)] == [
        "1.0.2.8.0.255",
        "1.0.3.8.0.255",
        "1.0.4.8.0.255",
    ]
    assert o.ACTIVE_ENERGY_IMPORT_T2.reduced() == "1-0:1.8.2"
    assert o.ACTIVE_ENERGY_EXPORT_T1.reduced() == "1-0:2.8.1"
    assert str(o.LOAD_PROFILE_15MIN) == "1.0.99.1.0.255"
    assert str(o.PROFILE_STATUS) == "0.0.96.10.1.255"
    assert str(o.MBUS_HOURLY_PROFILE) == "0.1.24.3.0.255"
    assert str(o.DISCONNECT_CONTROL) == "0.0.96.3.10.255"
    assert (str(o.RELAY_1), str(o.RELAY_2)) == ("0.0.96.3.1.255", "0.0.96.3.2.255")
    assert str(o.ACTIVITY_CALENDAR) == "0.0.13.0.0.255"
    assert str(o.POWER_QUALITY_EVENT_LOG) == "0.0.99.98.5.255"
    assert str(o.POWER_FAILURE_LOG) == "0.0.99.97.0.255"
    assert str(o.VOLTAGE_L3) == "1.0.72.7.0.255"
    assert str(o.CURRENT_L2) == "1.0.51.7.0.255"
    assert str(o.VOLTAGE_SAG_COUNT_L1) == "1.0.32.32.0.255"
    assert str(o.VOLTAGE_SWELL_COUNT_L1) == "1.0.32.36.0.255"
    assert str(o.ALARM_REGISTER) == "0.0.97.98.0.255"
    assert str(o.ALARM_FILTER) == "0.0.97.98.10.255"
    assert str(o.PUSH_SETUP) == "0.0.25.9.0.255"
    assert str(o.IMAGE_TRANSFER) == "0.0.44.0.0.255"


@pytest.mark.parametrize("channel", [1, 2, 3, 4])
def test_mbus_helpers(channel: int) -> None:
    assert o.mbus_client(channel) == Obis(0, channel, 24, 1, 0)
    assert o.mbus_value(channel) == Obis(0, channel, 24, 2, 1)
    assert o.mbus_profile(channel) == Obis(0, channel, 24, 3, 0)
    assert o.mbus_valve(channel) == Obis(0, channel, 24, 4, 0)
    assert o.mbus_profile_status(channel) == Obis(0, channel, 96, 10, 3)


@pytest.mark.parametrize("channel", [0, 5, -1, True, 1.0])
def test_mbus_helpers_reject_bad_channel(channel: int) -> None:
    with pytest.raises(ObisError):
        o.mbus_client(channel)


def test_instance_helpers() -> None:
    assert o.security_setup(1) == Obis(0, 0, 43, 0, 1)
    assert o.invocation_counter(1) == Obis(0, 0, 43, 1, 1)
    assert o.association_ln(3) == Obis(0, 0, 40, 0, 3)
    assert o.event_code(2) == o.DISCONNECTOR_EVENT_CODE == Obis(0, 0, 96, 11, 2)
    for bad in (-1, 256):
        with pytest.raises(ObisError):
            o.security_setup(bad)
    with pytest.raises(ObisError):
        o.event_log(6)
    with pytest.raises(ObisError):
        o.event_code(-1)
