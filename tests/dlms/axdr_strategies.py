"""Hypothesis strategies of A-XDR Data for the property tests: values exactly as
:func:`meterhub.dlms.axdr.decode_data` gives them back (typed ``int`` subclasses, ``Float32``, ``Utf8String``,
``list`` for arrays, ``tuple`` for structures …), so that a round trip must return the same value and the same Python
types; scalars of every type, compact arrays with their type descriptions, uniform arrays of fixed-size rows (the
compiled fast path) and almost uniform ones with one row different, and :data:`ALL_DATA`, arbitrary nestings of all
of these within the nesting limit; ``tests/dlms/test_apdu_properties.py`` reuses them.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

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
)

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
u8s = st.integers(0, 255)
date_times = st.builds(
    DateTime, st.integers(0, 0xFFFF), u8s, u8s, u8s, u8s, u8s, u8s, u8s, st.integers(-0x8000, 0x7FFF), u8s
)
dates = st.builds(Date, st.integers(0, 0xFFFF), u8s, u8s, u8s)
times = st.builds(Time, u8s, u8s, u8s, u8s)


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
#: empty structures and zero-count arrays are left out (see test_zero_size_compact_array_elements in
#: test_axdr_refusals.py).
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
