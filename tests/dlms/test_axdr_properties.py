"""Property tests of the A-XDR ``Data`` coder: every type, arbitrary nesting, the compiled row fast path.

The strategies here generate values exactly as :func:`meterhub.dlms.axdr.decode_data` gives them back (typed
``int`` subclasses, ``Float32``, ``Utf8String``, ``list`` for arrays, ``tuple`` for structures …), so a round
trip must return the same value *and* the same Python types. :func:`same` compares type trees; floats are
compared by their bytes so that NaN and -0.0 round-trip checks are exact.
``tests/dlms/test_apdu_properties.py`` and ``tests/fuzz/test_fuzz_dlms.py`` reuse the strategies and helpers.

Known bugs of ``src`` are pinned by ``xfail(strict=True)`` tests at the end: they turn into failures (XPASS)
once fixed, so the marker is removed together with the bug.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import math
import struct
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from meterhub.dlms import axdr
from meterhub.dlms.axdr import (
    BCD,
    BIT_STRING,
    BOOLEAN,
    DATE,
    DATE_TIME,
    DOUBLE_LONG,
    DOUBLE_LONG_UNSIGNED,
    ENUM,
    FLOAT32,
    FLOAT64,
    INTEGER,
    LONG,
    LONG64,
    LONG64_UNSIGNED,
    LONG_UNSIGNED,
    MAX_DEPTH,
    OCTET_STRING,
    TIME,
    UNSIGNED,
    UTF8_STRING,
    VISIBLE_STRING,
    ArrayType,
    Bcd,
    BitString,
    CompactArray,
    Date,
    DateTime,
    DontCare,
    DoubleLong,
    DoubleLongUnsigned,
    Enum,
    Float32,
    Integer,
    Long,
    Long64,
    Long64Unsigned,
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
from meterhub.dlms.axdr import decode as axdr_decode
from meterhub.dlms.axdr import encode as axdr_encode
from meterhub.dlms.axdr import rows as axdr_rows
from meterhub.dlms.errors import DecodeError, DlmsError, EncodeError

INT_CLASSES: tuple[type[int], ...] = (
    Integer,
    Long,
    DoubleLong,
    Long64,
    Unsigned,
    LongUnsigned,
    DoubleLongUnsigned,
    Long64Unsigned,
    Enum,
    Bcd,
)
TAG_OF_INT_CLASS: dict[type[int], int] = {
    Integer: INTEGER,
    Long: LONG,
    DoubleLong: DOUBLE_LONG,
    Long64: LONG64,
    Unsigned: UNSIGNED,
    LongUnsigned: LONG_UNSIGNED,
    DoubleLongUnsigned: DOUBLE_LONG_UNSIGNED,
    Long64Unsigned: LONG64_UNSIGNED,
    Enum: ENUM,
    Bcd: BCD,
}

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


# ------------------------------------------------------------------------------------------ comparison
def mismatch(a: Any, b: Any, path: str = "$") -> str | None:
    """None when ``a`` and ``b`` are the same value with the same Python types throughout, else where not."""
    if type(a) is not type(b):
        return f"{path}: {type(a).__name__} {a!r:.60} vs {type(b).__name__} {b!r:.60}"
    if isinstance(a, float):
        if struct.pack(">d", a) != struct.pack(">d", b):
            return f"{path}: {a!r} vs {b!r}"
        return None
    if isinstance(a, list | tuple):
        if len(a) != len(b):
            return f"{path}: length {len(a)} vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = mismatch(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        for f in dataclasses.fields(a):
            found = mismatch(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
            if found:
                return found
        return None
    if a != b:
        return f"{path}: {a!r:.60} vs {b!r:.60}"
    return None


def same(a: Any, b: Any) -> bool:
    """Same value, same types, recursively (floats by their bit pattern)."""
    return mismatch(a, b) is None


def assert_same(a: Any, b: Any) -> None:
    found = mismatch(a, b)
    assert found is None, found


def has_nan(value: Any) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, list | tuple):
        return any(has_nan(v) for v in value)
    if isinstance(value, CompactArray):
        return has_nan(value.values)
    return False


def nesting(value: Any) -> int:
    """Containers on the deepest path (structure, array, compact-array levels)."""
    if isinstance(value, list | tuple):
        return 1 + max((nesting(v) for v in value), default=0)
    if isinstance(value, CompactArray):
        return 1 + _description_depth(value.description) + max((nesting(v) for v in value.values), default=0)
    return 0


def _description_depth(desc: Any) -> int:
    if isinstance(desc, ArrayType):
        return 1 + _description_depth(desc.element)
    if isinstance(desc, StructureType):
        return 1 + max((_description_depth(f) for f in desc.fields), default=0)
    return 0


# ------------------------------------------------------------------------------------------ strategies
def typed_ints(cls: type[int]) -> st.SearchStrategy[Any]:
    lo, hi = cls.MIN, cls.MAX  # type: ignore[attr-defined]
    return st.one_of(st.sampled_from([lo, hi, 0 if lo <= 0 else lo]), st.integers(lo, hi)).map(cls)


def float32s(allow_nan: bool = True) -> st.SearchStrategy[Float32]:
    return st.floats(width=32, allow_nan=allow_nan).map(Float32)


def float64s(allow_nan: bool = True) -> st.SearchStrategy[float]:
    return st.floats(allow_nan=allow_nan)


#: Octet-strings: mostly short, sometimes long enough for the 0x81 and 0x82 length forms.
octet_strings = st.one_of(st.binary(max_size=40), st.binary(min_size=120, max_size=300))
visible_strings = st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=140)
utf8_strings = st.text(max_size=60).map(Utf8String)
bit_strings = st.integers(0, 300).flatmap(
    lambda n: st.binary(min_size=(n + 7) // 8, max_size=(n + 7) // 8).map(lambda d: BitString(d, n))
)
_u8 = st.integers(0, 255)
date_times = st.builds(
    DateTime, st.integers(0, 0xFFFF), _u8, _u8, _u8, _u8, _u8, _u8, _u8, st.integers(-0x8000, 0x7FFF), _u8
)
dates = st.builds(Date, st.integers(0, 0xFFFF), _u8, _u8, _u8)
times = st.builds(Time, _u8, _u8, _u8, _u8)


def simple_values(allow_nan: bool = True) -> dict[int, st.SearchStrategy[Any]]:
    """Per simple Data tag allowed in a compact-array description: values of that type."""
    values: dict[int, st.SearchStrategy[Any]] = {TAG_OF_INT_CLASS[c]: typed_ints(c) for c in INT_CLASSES}
    values |= {
        BOOLEAN: st.booleans(),
        BIT_STRING: bit_strings,
        OCTET_STRING: octet_strings,
        VISIBLE_STRING: visible_strings,
        UTF8_STRING: utf8_strings,
        FLOAT32: float32s(allow_nan),
        FLOAT64: float64s(allow_nan),
        DATE_TIME: date_times,
        DATE: dates,
        TIME: times,
    }
    return values


def scalars(allow_nan: bool = True) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.just(DontCare()),
        *simple_values(allow_nan).values(),
    )


#: Compact-array type descriptions. Every description occupies at least one octet per element: null-data,
#: empty structures and zero-count arrays are left out (see the xfail tests on zero-size descriptions).
descriptions: st.SearchStrategy[Any] = st.recursive(
    st.sampled_from(sorted(simple_values())),
    lambda inner: st.one_of(
        st.builds(ArrayType, st.integers(1, 3), inner),
        st.lists(inner, min_size=1, max_size=4).map(lambda fields: StructureType(tuple(fields))),
    ),
    max_leaves=6,
)


def untagged_values(desc: Any, allow_nan: bool = True) -> st.SearchStrategy[Any]:
    """Values matching a compact-array type description."""
    if isinstance(desc, ArrayType):
        element = untagged_values(desc.element, allow_nan)
        return st.lists(element, min_size=desc.count, max_size=desc.count)
    if isinstance(desc, StructureType):
        return st.tuples(*(untagged_values(f, allow_nan) for f in desc.fields))
    return simple_values(allow_nan)[desc]


def compact_arrays(allow_nan: bool = True) -> st.SearchStrategy[CompactArray]:
    return descriptions.flatmap(
        lambda d: st.lists(untagged_values(d, allow_nan), max_size=5).map(lambda vs: CompactArray(d, tuple(vs)))
    )


# Rows of fixed-size fields, the shape the compiled layout handles: (kind, octet-string length or 0).
_FIXED_KINDS: tuple[Any, ...] = (*INT_CLASSES, Float32, float)
row_schemas = st.lists(
    st.one_of(st.sampled_from(_FIXED_KINDS), st.integers(0, 20).map(lambda n: ("octets", n))),
    min_size=0,
    max_size=8,
)


def _field_values(kind: Any, allow_nan: bool) -> st.SearchStrategy[Any]:
    if isinstance(kind, tuple):
        return st.binary(min_size=kind[1], max_size=kind[1])
    if kind is Float32:
        return float32s(allow_nan)
    if kind is float:
        return float64s(allow_nan)
    return typed_ints(kind)


def rows_for(schema: list[Any], allow_nan: bool = True) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.tuples(*(_field_values(k, allow_nan) for k in schema))


def uniform_arrays(allow_nan: bool = True, max_rows: int = 60) -> st.SearchStrategy[list[Any]]:
    """Arrays of ≥ 8 equally typed fixed-size structures: the compiled fast path on both sides."""
    return row_schemas.flatmap(lambda s: st.lists(rows_for(s, allow_nan), min_size=8, max_size=max_rows))


@st.composite
def almost_uniform_arrays(draw: st.DrawFn, allow_nan: bool = True, max_rows: int = 40) -> list[Any]:
    """A uniform array with one row different: another field type, octet length, arity, or not a row."""
    schema = draw(row_schemas)
    rows: list[Any] = draw(st.lists(rows_for(schema, allow_nan), min_size=8, max_size=max_rows))
    k = draw(st.integers(0, len(rows) - 1))
    row = list(rows[k])
    if not row:
        rows[k] = draw(st.sampled_from([(Unsigned(0),), [], None]))
        return rows
    i = draw(st.integers(0, len(row) - 1))
    how = draw(st.sampled_from(["retype", "octets", "longer", "shorter", "array", "scalar", "nested", "bool"]))
    if how == "retype":
        other = draw(st.sampled_from([c for c in _FIXED_KINDS if c is not type(row[i])]))
        row[i] = draw(_field_values(other, allow_nan))
        rows[k] = tuple(row)
    elif how == "octets":
        n = len(row[i]) + 1 if isinstance(row[i], bytes) else 0
        row[i] = draw(st.sampled_from([bytes(n), bytes(130), b"\x09" * 200]))
        rows[k] = tuple(row)
    elif how == "longer":
        rows[k] = (*row, draw(scalars(allow_nan)))
    elif how == "shorter":
        rows[k] = tuple(row[:-1])
    elif how == "array":
        rows[k] = row  # an array where the other rows are structures
    elif how == "scalar":
        rows[k] = draw(scalars(allow_nan))
    elif how == "nested":
        row[i] = tuple(row)
        rows[k] = tuple(row)
    else:
        row[i] = draw(st.booleans())
        rows[k] = tuple(row)
    return rows


def data_values(allow_nan: bool = True, max_leaves: int = 25) -> st.SearchStrategy[Any]:
    """Arbitrary DLMS Data of every type, nested, as the decoder returns it.

    Leaves are scalars of every type, compact-arrays, and (short) uniform and almost-uniform arrays of rows,
    so the compiled layout also meets rows nested inside other arrays and structures.
    """
    leaves = st.one_of(
        scalars(allow_nan),
        compact_arrays(allow_nan),
        uniform_arrays(allow_nan, max_rows=12),
        almost_uniform_arrays(allow_nan, max_rows=12),
    )
    tree = st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=5),
            st.lists(children, max_size=5).map(tuple),
        ),
        max_leaves=max_leaves,
    )
    return tree.filter(lambda v: nesting(v) <= MAX_DEPTH - 8)


ALL_DATA = data_values()


def _round_trip(value: Any) -> tuple[bytes, Any]:
    encoded = encode_data(value)
    decoded = decode_data_exact(encoded)
    assert_same(decoded, value)
    if not has_nan(value):
        assert decoded == value
    assert encode_data(decoded) == encoded
    return encoded, decoded


# ------------------------------------------------------------------------------------------ round trips
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(ALL_DATA)
def test_round_trip_same_value_and_types(value: Any) -> None:
    encoded, _ = _round_trip(value)
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
        encoded, decoded = _round_trip(cls(v))
        assert encoded[0] == TAG_OF_INT_CLASS[cls]
        assert type(decoded) is cls


@given(scalars())
def test_every_scalar_round_trips(value: Any) -> None:
    _round_trip(value)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(compact_arrays())
def test_compact_array_round_trip(value: CompactArray) -> None:
    encoded, decoded = _round_trip(value)
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
    _round_trip(value)


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
    _round_trip("")
    _round_trip("".join(chr(i) for i in range(128)))
    _round_trip(Utf8String("Zähler ⚡ 電力量計 \U0001f50c"))
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


# ------------------------------------------------------------------------------------------ fast path
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
    b = data.draw(st.sampled_from([0x00, 0x01, 0x02, 0x05, 0x06, 0x09, 0x11, 0x12, 0x17, 0x18, 0x7F, 0x80, 0xFF]) | _u8)
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
    real = axdr_decode._decode_uniform_rows

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
    _round_trip([()] * n)


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 200])
def test_fast_path_threshold(n: int) -> None:
    rows = [(Long64(-i), Float32(i / 4), b"ab") for i in range(n)]
    _round_trip(rows)
    with no_fast_path():
        _round_trip(rows)


# ------------------------------------------------------------------------------------------ lengths
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


# ------------------------------------------------------------------------------------------ refusals
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


# ------------------------------------------------------------------------------------------ date-time
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
    _round_trip(value)


# ------------------------------------------------------------------------------------------ known bugs
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
