"""Counter-based random numbers of the household models: every draw is a pure function of (stream key, index) —
SplitMix64 of a blake2b stream key and a counter — so a value is the same whatever window asks for it and no
state grows with time; uniforms come from the 16-bit lanes of each hash, noise from sums of uniforms (no
transcendental functions, so the values are bit-stable across machines).
"""

from __future__ import annotations

import hashlib
import math
from typing import Final

import numpy as np
import numpy.typing as npt

from meterhub.sim.consumption.base import F64, U64

__all__ = ["SQRT6", "counter_hash", "hash_lanes", "hash_lanes_scalar", "stable_key", "tri", "uniforms"]

_U64 = np.uint64
_GOLDEN: Final = _U64(0x9E3779B97F4A7C15)
_MIX1: Final = _U64(0xBF58476D1CE4E5B9)
_MIX2: Final = _U64(0x94D049BB133111EB)


def stable_key(*parts: object) -> int:
    """A 64-bit key from text parts (blake2b, stable across processes, unlike hash())."""
    digest = hashlib.blake2b(":".join(str(p) for p in parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def counter_hash(key: int, index: npt.ArrayLike) -> U64:
    """Counter-based hash of (key, index) — the SplitMix64 output for stream ``key`` at position ``index``.

    The same index always gives the same bits, whatever window it is computed in.
    """
    x = np.asarray(index, dtype=np.int64).astype(np.uint64)
    x *= _GOLDEN
    x += _U64(key & 0xFFFFFFFFFFFFFFFF)
    x ^= x >> _U64(30)
    x *= _MIX1
    x ^= x >> _U64(27)
    x *= _MIX2
    x ^= x >> _U64(31)
    return x


_M64: Final = (1 << 64) - 1


def hash_lanes_scalar(key: int, index: int) -> tuple[float, float, float, float]:
    """``hash_lanes(counter_hash(key, [index]))[0]`` in plain integer arithmetic: the same four uniforms, without
    numpy's per-call overhead (event draws ask for one index at a time)."""
    x = ((index & _M64) * int(_GOLDEN) + (key & _M64)) & _M64
    x ^= x >> 30
    x = (x * int(_MIX1)) & _M64
    x ^= x >> 27
    x = (x * int(_MIX2)) & _M64
    x ^= x >> 31
    return (
        ((x & 0xFFFF) + 0.5) / 65536.0,
        (((x >> 16) & 0xFFFF) + 0.5) / 65536.0,
        (((x >> 32) & 0xFFFF) + 0.5) / 65536.0,
        (((x >> 48) & 0xFFFF) + 0.5) / 65536.0,
    )


def hash_lanes(h: U64) -> F64:
    """Four uniforms in (0, 1) from the 16-bit lanes of each hash: shape (..., 4)."""
    u = h.astype("<u8", copy=False).view("<u2").reshape(*h.shape, 4).astype(np.float64)
    u += 0.5
    u *= 1.0 / 65536.0
    return u


def uniforms(key: int, lo: int, hi: int, lanes: int = 4) -> F64:
    """(hi − lo, 4 or 8) uniforms for the consecutive indices lo…hi−1 of stream ``key``."""
    h = counter_hash(key, np.arange(lo, hi, dtype=np.int64))
    if lanes == 8:  # a second, remixed word from the same counter
        h2 = (h ^ (h >> _U64(32))) * _MIX1
        h2 ^= h2 >> _U64(29)
        h = np.stack([h, h2], axis=1)
    return hash_lanes(h).reshape(hi - lo, lanes)


#: √6: the scale of a triangular noise of unit variance (the sum of two uniforms, minus one, times √6).
SQRT6: Final = math.sqrt(6.0)


def tri(u1: F64, u2: F64) -> F64:
    """Zero-mean, unit-variance triangular noise from two uniforms (no transcendental functions: bit-stable)."""
    return (u1 + u2 - 1.0) * math.sqrt(6.0)
