"""Property tests of the A-XDR ``Data`` coder: every type round-trips, nested arbitrarily, with the same value and
the same Python types (:mod:`tests.dlms.axdr_strategies` generates values as the decoder gives them back,
:mod:`tests.dlms.axdr_compare` compares them, floats by their bytes so that NaN and -0.0 are exact), with examples of
compact arrays, strings and booleans; the length octets in every form; and the date-time, date and time octets with
their conversion to and from :class:`datetime.datetime`. The compiled row fast path is tested in
``test_axdr_fast_path.py``, what the coder refuses in ``test_axdr_refusals.py``.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meterhub.dlms import axdr
from meterhub.dlms.axdr import (
    BIT_STRING,
    BOOLEAN,
    DATE_TIME,
    DOUBLE_LONG_UNSIGNED,
    FLOAT64,
    LONG64,
    LONG_UNSIGNED,
    OCTET_STRING,
    UNSIGNED,
    UTF8_STRING,
    ArrayType,
    BitString,
    CompactArray,
    Date,
    DateTime,
    DoubleLongUnsigned,
    Float32,
    Long64,
    LongUnsigned,
    StructureType,
    Time,
    Unsigned,
    Utf8String,
    decode_data,
    decode_data_exact,
    decode_length,
    encode_data,
    encode_length,
)
from meterhub.dlms.errors import DecodeError, EncodeError
from tests.dlms.axdr_compare import assert_same, round_trip
from tests.dlms.axdr_strategies import (
    ALL_DATA,
    INT_CLASSES,
    TAG_OF_INT_CLASS,
    compact_arrays,
    date_times,
    dates,
    float32s,
    float64s,
    scalars,
    times,
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(ALL_DATA)
def test_round_trip_same_value_and_types(value: Any) -> None:
    encoded, _ = round_trip(value)
    # decode_data stops at the value's end and leaves what follows alone
    again, end = decode_data(encoded + b"\x00\xff", 0)
    assert end == len(encoded)
    assert_same(again, value)
    # and works at an offset
    again, end = decode_data(b"\x11\x07" + encoded, 2)
    assert end == len(encoded) + 2
    assert_same(again, value)


@pytest.mark.parametrize("cls", INT_CLASSES, ids=lambda c: c.__name__)
def test_typed_int_bounds_round_trip(cls: type[int]) -> None:
    for v in (cls.MIN, cls.MAX, 0 if cls.MIN <= 0 else cls.MIN):  # type: ignore[attr-defined]
        encoded, decoded = round_trip(cls(v))
        assert encoded[0] == TAG_OF_INT_CLASS[cls]
        assert type(decoded) is cls


@given(scalars())
def test_every_scalar_round_trips(value: Any) -> None:
    round_trip(value)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(compact_arrays())
def test_compact_array_round_trip(value: CompactArray) -> None:
    encoded, decoded = round_trip(value)
    assert encoded[0] == axdr.COMPACT_ARRAY
    assert isinstance(decoded, CompactArray)


@pytest.mark.parametrize(
    "value",
    [
        CompactArray(ArrayType(300, UNSIGNED), ([Unsigned(i % 256) for i in range(300)],)),
        CompactArray(ArrayType(65535, BOOLEAN), ([True, False] * 32767 + [True],)),
        CompactArray(
            StructureType((DATE_TIME, StructureType((ArrayType(2, LONG64), BIT_STRING)), UTF8_STRING)),
            tuple(
                (
                    DateTime(2026, 1, i, 0xFF, 0, 0, 0, 0, -60, 0),
                    ([Long64(-i), Long64(i)], BitString(b"\x80", 1)),
                    "é",
                )
                for i in range(1, 4)
            ),
        ),
        CompactArray(DOUBLE_LONG_UNSIGNED, tuple(DoubleLongUnsigned(i) for i in range(1000))),
        CompactArray(OCTET_STRING, ()),
    ],
    ids=["array300", "array65535", "nested", "1000-rows", "empty"],
)
def test_compact_array_examples(value: CompactArray) -> None:
    value = CompactArray(value.description, tuple(_typed_values(value.description, v) for v in value.values))
    round_trip(value)


def _typed_values(desc: Any, v: Any) -> Any:
    if isinstance(desc, ArrayType):
        return [_typed_values(desc.element, x) for x in v]
    if isinstance(desc, StructureType):
        return tuple(_typed_values(f, x) for f, x in zip(desc.fields, v, strict=True))
    if desc == UTF8_STRING:
        return Utf8String(v)
    return v


def test_compact_array_coerces_plain_ints() -> None:
    encoded = encode_data(CompactArray(LONG_UNSIGNED, (1, 2, 0xFFFF)))
    assert decode_data_exact(encoded) == CompactArray(
        LONG_UNSIGNED, (LongUnsigned(1), LongUnsigned(2), LongUnsigned(0xFFFF))
    )
    with pytest.raises(EncodeError):
        encode_data(CompactArray(LONG_UNSIGNED, (0x10000,)))
    with pytest.raises(EncodeError):
        encode_data(CompactArray(UNSIGNED, (True,)))
    with pytest.raises(EncodeError):
        encode_data(CompactArray(FLOAT64, (Float32(1.0),)))
    with pytest.raises(EncodeError):
        encode_data(CompactArray(StructureType((UNSIGNED,)), ([Unsigned(1)],)))
    with pytest.raises(EncodeError):
        encode_data(CompactArray(ArrayType(2, UNSIGNED), ([Unsigned(1)],)))


@settings(max_examples=100)
@given(st.one_of(float32s(), float64s(), st.sampled_from([0.0, -0.0, math.inf, -math.inf, math.nan, -math.nan])))
def test_nan_and_signed_zero_by_bytes(value: float) -> None:
    encoded = encode_data(value)
    decoded = decode_data_exact(encoded)
    assert type(decoded) is type(value)
    assert encode_data(decoded) == encoded
    assert_same(decoded, value)


def test_nan_payloads_of_float64_are_kept() -> None:
    raw = b"\x18\x7f\xf0\x00\x00\x00\x00\x00\x01"  # a signalling NaN
    assert encode_data(decode_data_exact(raw)) == raw
    raw = b"\x18\xff\xf8\x00\x00\x00\x00\x12\x34"
    assert encode_data(decode_data_exact(raw)) == raw


def test_strings() -> None:
    round_trip("")
    round_trip("".join(chr(i) for i in range(128)))
    round_trip(Utf8String("Zähler ⚡ 電力量計 \U0001f50c"))
    with pytest.raises(EncodeError):
        encode_data("電力")  # not a visible-string: use Utf8String
    # meters do put Latin-1 in a visible-string: decoded losslessly
    assert decode_data_exact(b"\x0a\x02\xe4\xff") == "\xe4\xff"
    with pytest.raises(DecodeError):
        decode_data_exact(b"\x0c\x01\xff")


def test_bool_true_is_any_nonzero_octet() -> None:
    assert decode_data_exact(b"\x03\x01") is True
    assert decode_data_exact(b"\x03\x00") is False
    assert encode_data(True) == b"\x03\xff"


@given(st.integers(0, 2**32 - 1))
def test_length_round_trip(n: int) -> None:
    raw = encode_length(n)
    assert decode_length(raw, 0) == (n, len(raw))
    assert decode_length(b"\x00" + raw + b"\xff", 1) == (n, len(raw) + 1)
    assert len(raw) == (1 if n < 0x80 else 2 if n < 0x100 else 3 if n < 0x10000 else 5)
    for cut in range(len(raw)):
        with pytest.raises(DecodeError):
            decode_length(raw[:cut], 0)


@pytest.mark.parametrize("n", [0, 1, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x10000, 0xFFFFFF, 0x1000000, 2**32 - 1])
def test_length_boundaries(n: int) -> None:
    raw = encode_length(n)
    assert decode_length(raw, 0) == (n, len(raw))


def test_length_limits() -> None:
    with pytest.raises(EncodeError):
        encode_length(2**32)
    for bad in (b"\x80", b"\x85\x00\x00\x00\x00\x01", b"\xff"):
        with pytest.raises(DecodeError):
            decode_length(bad + b"\x00" * 8, 0)
    # the three-octet form is accepted on input although the encoder never produces it
    assert decode_length(b"\x83\x01\x00\x00", 0) == (0x10000, 4)


@given(date_times)
def test_date_time_octets_round_trip(value: DateTime) -> None:
    assert DateTime.from_bytes(value.to_bytes()) == value
    assert len(value.to_bytes()) == 12


@given(dates, times)
def test_date_and_time_octets_round_trip(d: Date, t: Time) -> None:
    assert Date.from_bytes(d.to_bytes()) == d
    assert Time.from_bytes(t.to_bytes()) == t


@given(
    st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30)),
    st.integers(-12 * 60, 14 * 60),  # UTC−12 … UTC+14
)
def test_date_time_from_and_to_datetime(naive: dt.datetime, offset_minutes: int) -> None:
    aware = naive.replace(
        microsecond=naive.microsecond // 10_000 * 10_000,
        tzinfo=dt.timezone(dt.timedelta(minutes=offset_minutes)),
    )
    value = DateTime.from_datetime(aware)
    assert value.deviation == -offset_minutes
    back = value.to_datetime()
    assert back == aware and back.utcoffset() == aware.utcoffset()
    assert DateTime.from_bytes(value.to_bytes()).to_datetime() == aware


@pytest.mark.parametrize("deviation", [-840, -780, -60, 0, 60, 720, axdr.DEVIATION_NOT_SPECIFIED])
def test_date_time_deviations_of_real_time_zones(deviation: int) -> None:
    """UTC+14 (deviation −840) to UTC−12 (+720) convert; the fast path agrees. The range was once reversed."""
    octets = DateTime(2026, 1, 1, 4, 0, 0, 0, 0, deviation, 0).to_bytes()
    when = DateTime.from_bytes(octets).to_datetime()
    assert axdr.datetime_from_octets(octets) == when
    expected = 0 if deviation == axdr.DEVIATION_NOT_SPECIFIED else -deviation
    assert when.utcoffset() == dt.timedelta(minutes=expected)


@pytest.mark.parametrize("deviation", [-841, 721, 840, 0x7FFF, -0x7FFF])
def test_date_time_deviation_out_of_range(deviation: int) -> None:
    octets = DateTime(2026, 1, 1, 4, 0, 0, 0, 0, deviation, 0).to_bytes()
    with pytest.raises(DecodeError):
        DateTime.from_bytes(octets).to_datetime()
    with pytest.raises(DecodeError):
        axdr.datetime_from_octets(octets)


@given(st.lists(st.booleans(), max_size=100))
def test_bit_string_bits(bits: list[bool]) -> None:
    value = BitString.from_bits(bits)
    assert value.bits() == bits
    round_trip(value)
