"""Property tests of the A-XDR coder's compiled row fast path: on any value, and on the bytes of uniform arrays of
rows damaged by a changed, lost, inserted or truncated octet, the fast path and the generic element-by-element coder
(switched on alone by :func:`no_fast_path`) give the same bytes, values and errors; the fast path is really taken,
empty structures and the row-count threshold are handled.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from meterhub.dlms.axdr import (
    DateTime,
    DoubleLongUnsigned,
    Float32,
    Long64,
    LongUnsigned,
    Unsigned,
    decode_data,
    decode_data_exact,
    encode_data,
)
from meterhub.dlms.axdr import decode as axdr_decode
from meterhub.dlms.axdr import encode as axdr_encode
from meterhub.dlms.axdr import rows as axdr_rows
from meterhub.dlms.errors import DecodeError
from tests.dlms.axdr_compare import assert_same, round_trip
from tests.dlms.axdr_strategies import ALL_DATA, almost_uniform_arrays, u8s, uniform_arrays

#: Disables the compiled row layouts: every array goes through the generic element-by-element coder.
NO_FAST_PATH = 10**9


@contextlib.contextmanager
def no_fast_path() -> Iterator[None]:
    """Switch the compiled-row path off in the encoder and the decoder (the generic coder does everything)."""
    with (
        mock.patch.object(axdr_encode, "_FAST_ARRAY_MIN", NO_FAST_PATH),
        mock.patch.object(axdr_decode, "_FAST_ARRAY_MIN", NO_FAST_PATH),
    ):
        yield


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.one_of(ALL_DATA, uniform_arrays(), almost_uniform_arrays()))
def test_fast_path_and_generic_path_agree(value: Any) -> None:
    fast_bytes = encode_data(value)
    fast_value = decode_data_exact(fast_bytes)
    with no_fast_path():
        generic_bytes = encode_data(value)
        generic_value = decode_data_exact(generic_bytes)
        assert_same(decode_data_exact(fast_bytes), fast_value)
    assert fast_bytes == generic_bytes
    assert_same(fast_value, generic_value)
    assert_same(fast_value, value)


def _outcome(raw: bytes) -> tuple[str, Any]:
    try:
        value, end = decode_data(raw)
    except DecodeError:
        return "error", None
    return "ok", (value, end)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(uniform_arrays(max_rows=20), st.data())
def test_fast_path_and_generic_path_agree_on_damaged_bytes(rows: list[Any], data: st.DataObject) -> None:
    """The compiled layout verifies every row: a changed or lost octet gives the generic decoder's result."""
    raw = bytearray(encode_data(rows))
    kind = data.draw(st.sampled_from(["replace", "delete", "insert", "truncate"]))
    i = data.draw(st.integers(0, len(raw) - 1))
    b = data.draw(st.sampled_from([0x00, 0x01, 0x02, 0x05, 0x06, 0x09, 0x11, 0x12, 0x17, 0x18, 0x7F, 0x80, 0xFF]) | u8s)
    if kind == "replace":
        assume(raw[i] != b)
        raw[i] = b
    elif kind == "delete":
        del raw[i]
    elif kind == "insert":
        raw.insert(i, b)
    else:
        del raw[i:]
    fast = _outcome(bytes(raw))
    with no_fast_path():
        generic = _outcome(bytes(raw))
    assert fast[0] == generic[0]
    if fast[0] == "ok":
        assert fast[1][1] == generic[1][1]
        assert_same(fast[1][0], generic[1][0])


def test_fast_path_is_really_taken() -> None:
    """The property tests above exercise the compiled layout, not just the generic coder."""
    rows = [
        (DateTime(2026, 1, 1, 4, h, 0, 0, 0, -60, 0).to_bytes(), Unsigned(0), DoubleLongUnsigned(h)) for h in range(24)
    ]
    taken = []
    real = axdr_decode._decode_uniform_rows  # type: ignore[attr-defined]

    def spy(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        taken.append(result is not None)
        return result

    with mock.patch.object(axdr_decode, "_decode_uniform_rows", spy):
        assert decode_data_exact(encode_data(rows)) == rows
        broken = [*rows[:5], (rows[5][0], LongUnsigned(0), rows[5][2]), *rows[6:]]
        assert_same(decode_data_exact(encode_data(broken)), broken)
    assert taken == [True, False]
    encoded = bytearray()
    assert axdr_rows._encode_uniform_rows(encoded, rows)
    assert not axdr_rows._encode_uniform_rows(bytearray(), broken)


@pytest.mark.parametrize("n", [7, 8, 20])
def test_uniform_rows_of_empty_structures(n: int) -> None:
    """≥ 8 empty structures once decoded to an empty list: the compiled layout had no column to zip (fixed
    in ``_row_tags_in_buffer``: a structure without fields is left to the generic decoder)."""
    assert decode_data_exact(b"\x01" + bytes((n,)) + b"\x02\x00" * n) == [()] * n
    round_trip([()] * n)


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 200])
def test_fast_path_threshold(n: int) -> None:
    rows = [(Long64(-i), Float32(i / 4), b"ab") for i in range(n)]
    round_trip(rows)
    with no_fast_path():
        round_trip(rows)
