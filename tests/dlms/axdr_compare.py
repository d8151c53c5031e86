"""Comparing A-XDR Data values as the property tests and the fuzzer need it: :func:`mismatch` says where two values
differ in value or in Python type (typed ``int`` subclasses, ``Float32``, ``Utf8String``, ``list`` for arrays,
``tuple`` for structures …), comparing floats by their bytes so that NaN and -0.0 checks are exact, and
:func:`round_trip` asserts that encoding then decoding gives back the same value, types and bytes;
``tests/dlms/test_apdu_properties.py`` and ``tests/fuzz/dlms_families.py`` use them too.
"""

from __future__ import annotations

import dataclasses
import math
import struct
from typing import Any

from meterhub.dlms.axdr import CompactArray, decode_data_exact, encode_data


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


def round_trip(value: Any) -> tuple[bytes, Any]:
    encoded = encode_data(value)
    decoded = decode_data_exact(encoded)
    assert_same(decoded, value)
    if not has_nan(value):
        assert decoded == value
    assert encode_data(decoded) == encoded
    return encoded, decoded
