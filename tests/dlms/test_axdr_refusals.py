"""What the A-XDR coder refuses, with :class:`EncodeError` or :class:`DecodeError` (both :class:`DlmsError`): typed
integers out of range, plain ``int`` values, unsupported Python types, bad date-time fields, values nested beyond the
limit, and the regression tests of the bugs once pinned here by ``xfail(strict=True)`` and since fixed (Float32 out
of range, compact-array counts beyond 16 bits, the encoder and the decoder agreeing on the nesting limit and on
zero-size compact-array elements, visible-strings re-encoded as decoded).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meterhub.dlms.axdr import (
    MAX_DEPTH,
    OCTET_STRING,
    UNSIGNED,
    ArrayType,
    BitString,
    CompactArray,
    Date,
    DateTime,
    DontCare,
    Float32,
    StructureType,
    Time,
    Unsigned,
    decode_data,
    decode_data_exact,
    encode_data,
)
from meterhub.dlms.errors import DecodeError, DlmsError, EncodeError
from tests.dlms.axdr_compare import assert_same
from tests.dlms.axdr_strategies import INT_CLASSES, TAG_OF_INT_CLASS


@pytest.mark.parametrize("cls", INT_CLASSES, ids=lambda c: c.__name__)
@given(data=st.data())
def test_out_of_range_typed_ints_raise_encode_error(cls: type[int], data: st.DataObject) -> None:
    lo, hi = cls.MIN, cls.MAX  # type: ignore[attr-defined]
    v = data.draw(
        st.one_of(
            st.sampled_from([lo - 1, hi + 1, 2**64, -(2**64)]),
            st.integers(max_value=lo - 1),
            st.integers(min_value=hi + 1),
        )
    )
    with pytest.raises(EncodeError):
        cls(v)
    with pytest.raises(EncodeError):
        encode_data(CompactArray(TAG_OF_INT_CLASS[cls], (v,)))


@given(st.integers())
def test_plain_int_raises_encode_error(v: int) -> None:
    for value in (v, [v], (Unsigned(1), v), [[(v,)]]):
        with pytest.raises(EncodeError):
            encode_data(value)


@pytest.mark.parametrize("value", [{}, {1}, object(), 1j, bytearray, [DontCare, 1.0], Unsigned])
def test_unsupported_types_raise_encode_error(value: Any) -> None:
    with pytest.raises(EncodeError):
        encode_data(value)


def test_bad_date_time_fields_raise_encode_error() -> None:
    for value in (DateTime(year=0x10000), Date(month=256), Time(hour=-1), DateTime(deviation=0x8000)):
        with pytest.raises(EncodeError):
            encode_data(value)
    with pytest.raises(EncodeError):
        BitString(b"\x00", 9)


def test_nesting_limit_refused_both_ways() -> None:
    deep: Any = Unsigned(1)
    for _ in range(MAX_DEPTH + 2):
        deep = [deep]
    with pytest.raises(EncodeError):
        encode_data(deep)
    raw = b"\x01\x01" * (MAX_DEPTH + 2) + b"\x11\x01"
    with pytest.raises(DecodeError):
        decode_data(raw)


def test_float32_out_of_range_raises_encode_error() -> None:
    with pytest.raises(EncodeError):
        encode_data(Float32(1e39))


def test_compact_array_count_beyond_16_bits_raises_encode_error() -> None:
    with pytest.raises(EncodeError):
        encode_data(CompactArray(ArrayType(0x10000, UNSIGNED), ()))


def _encode_implies_decode(value: Any) -> None:
    """Whatever the encoder accepts, the decoder must give back."""
    try:
        encoded = encode_data(value)
    except EncodeError:
        return
    assert_same(decode_data_exact(encoded), value)


def test_encoder_and_decoder_agree_on_nesting_limit() -> None:
    deep: Any = ()
    for _ in range(MAX_DEPTH):
        deep = (deep,)  # MAX_DEPTH + 1 structures, the innermost empty
    _encode_implies_decode(deep)


def test_encoder_and_decoder_agree_on_compact_array_nesting() -> None:
    deep: Any = CompactArray(UNSIGNED, (Unsigned(1),))
    for _ in range(MAX_DEPTH - 1):
        deep = (deep,)
    _encode_implies_decode(deep)


@pytest.mark.parametrize(
    "value",
    [
        CompactArray(StructureType(()), ((),)),
        CompactArray(ArrayType(0, UNSIGNED), ([], [])),
        CompactArray(StructureType((ArrayType(0, OCTET_STRING),)), (([],),)),
    ],
    ids=["empty-structure", "zero-count-array", "nested"],
)
def test_zero_size_compact_array_elements(value: CompactArray) -> None:
    """Elements of a description that occupies no octets cannot be counted; the encoder must refuse them."""
    _encode_implies_decode(value)


def test_decoded_visible_string_re_encodes() -> None:
    """Visible-strings decode as Latin-1 (meters send it); re-encoding what was decoded must give the same bytes."""
    raw = b"\x0a\x06Z\xe4hler"
    assert encode_data(decode_data_exact(raw)) == raw


def test_error_family() -> None:
    assert issubclass(DecodeError, DlmsError) and issubclass(EncodeError, DlmsError)
