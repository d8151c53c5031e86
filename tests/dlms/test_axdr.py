"""A-XDR unit tests: date-time conversions (winter/summer, unspecified fields) and the fast clock path."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meterhub.country import LOCAL_TZ
from meterhub.dlms.axdr import DateTime, datetime_from_octets, epoch_from_octets
from meterhub.dlms.errors import DecodeError

LUX = LOCAL_TZ


def test_deviation_convention_cet_cest() -> None:
    winter = DateTime.from_datetime(dt.datetime(2026, 11, 24, 10, tzinfo=LUX))
    assert winter.deviation == -60 and winter.clock_status == 0x00
    summer = DateTime.from_datetime(dt.datetime(2026, 7, 1, 12, tzinfo=LUX))
    assert summer.deviation == -120 and summer.clock_status == 0x80
    assert summer.to_bytes().hex().upper() == "07EA0701030C000000FF8880"  # the get_clock_public vector


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31), timezones=st.just(LUX)))
def test_fast_path_equals_object_path(when: dt.datetime) -> None:
    when = when.replace(microsecond=when.microsecond // 10_000 * 10_000)
    octets = DateTime.from_datetime(when).to_bytes()
    # compare instants: PEP 495 makes == false across zones for times in a repeated (DST end) hour
    fast, slow = datetime_from_octets(octets), DateTime.from_bytes(octets).to_datetime()
    assert fast.timestamp() == slow.timestamp() == when.timestamp()
    assert fast.utcoffset() == slow.utcoffset() == when.utcoffset()
    assert epoch_from_octets(octets) == int(when.timestamp())


def test_unspecified_deviation_is_utc_and_bad_dates_are_decode_errors() -> None:
    octets = DateTime(2026, 11, 24, 0xFF, 10, 0, 0, 0xFF).to_bytes()
    assert datetime_from_octets(octets) == dt.datetime(2026, 11, 24, 10, tzinfo=dt.UTC)
    with pytest.raises(DecodeError):
        datetime_from_octets(DateTime(2026, 13, 1, 1, 0, 0, 0, 0, 0, 0).to_bytes())
    with pytest.raises(DecodeError):
        datetime_from_octets(DateTime(2026, 1, 1, 1, 0, 0, 0, 0, 5000, 0).to_bytes())
    with pytest.raises(DecodeError):
        datetime_from_octets(b"\x07\xea")


def test_plain_integers_give_the_same_numbers() -> None:
    from meterhub.dlms.axdr import DoubleLongUnsigned, Unsigned, decode_data_exact, encode_data

    rows = [(b"\x07" * 12, Unsigned(k % 3), DoubleLongUnsigned(10 * k)) for k in range(20)]
    raw = encode_data([*rows, (b"x", [DoubleLongUnsigned(1)])])
    typed = decode_data_exact(raw)
    plain = decode_data_exact(raw, plain_integers=True)
    assert plain == typed
    assert type(plain[0][2]) is int and type(typed[0][2]) is DoubleLongUnsigned
    assert type(plain[-1][1][0]) is int
