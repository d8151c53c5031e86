"""The fuzz corpus and its mutants, deterministic from :data:`SEED`: the seeds are every byte string of the reference
vectors in ``../shared/vectors/dlms`` (wrapper frames and HDLC I-frames also as their bare APDUs), the APDUs of the
real public and HLS-GMAC sessions of :mod:`tests.fuzz.dlms_sessions` and random valid encodings from
:mod:`tests.fuzz.dlms_values`; the inputs are the seeds, their truncations at every length (seeds over 96 octets: the
first and last 32 lengths and 24 in between) and :data:`MUTANTS_PER_SEED` mutants of each (bit flips, byte
replacement, insertion, deletion, duplication, splicing, another APDU tag in front, length octets inflated to ``84 FF
FF FF FF`` and friends), duplicates removed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
from collections.abc import Iterator
from functools import cache
from typing import Any

from meterhub.dlms.axdr import encode_data
from tests.conftest import VECTORS, load_vector
from tests.fuzz.dlms_sessions import Sessions, build_sessions
from tests.fuzz.dlms_values import (
    CLIENT_TITLE,
    rand_acse,
    rand_apdus,
    rand_ciphered,
    rand_data,
    rand_date_time,
    rand_initiate_request,
    rand_initiate_response,
)

SEED = 0x0D1A_5F22
MUTANTS_PER_SEED = 16


def _hex_strings(value: Any, key: str = "") -> Iterator[tuple[str, bytes]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _hex_strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _hex_strings(v, key)
    elif isinstance(value, str) and len(value) >= 2 and len(value) % 2 == 0:
        with contextlib.suppress(ValueError):
            yield key, bytes.fromhex(value)


def vector_seeds() -> list[bytes]:
    """Every byte string of the DLMS vectors; wrapper frames and HDLC I-frames also as their bare APDUs."""
    seeds = []
    for path in sorted((VECTORS / "dlms").glob("*.json")):
        for key, raw in _hex_strings(load_vector(path.stem)):
            seeds.append(raw)
            if "wrapper_frame" in key and len(raw) > 8:
                seeds.append(raw[8:])
            for llc in (b"\xe6\xe6\x00", b"\xe6\xe7\x00"):
                at = raw.find(llc)
                if raw[:1] == b"\x7e" and at > 0:
                    seeds.append(raw[at + 3 : -3])
    return seeds


def corpus(sessions: Sessions) -> list[bytes]:
    rng = random.Random(SEED)
    seeds: list[bytes] = [*vector_seeds(), *sessions.apdus]
    for _ in range(260):
        seeds.append(encode_data(rand_data(rng)))
    for _ in range(10):
        seeds += [apdu.encode() for apdu in rand_apdus(rng)]
    for _ in range(15):
        seeds += [apdu.encode() for apdu in rand_acse(rng)]
        seeds += [rand_initiate_request(rng).encode(), rand_initiate_response(rng).encode()]
        seeds.append(rand_ciphered(rng, CLIENT_TITLE))
        seeds.append(rand_date_time(rng).to_bytes())
    return list(dict.fromkeys(seeds))


_INTERESTING = [0x00, 0x01, 0x02, 0x7F, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0xFF, 0x09, 0x13, 0xC0, 0xC4, 0xDB]
_INFLATIONS = [
    b"\x84\xff\xff\xff\xff",
    b"\x84\x7f\xff\xff\xff",
    b"\x83\xff\xff\xff",
    b"\x82\xff\xff",
    b"\x81\xff",
    b"\x80",
    b"\x85\x01\x00\x00\x00\x00",
    b"\x7f",
]


def mutate(rng: random.Random, seed: bytes, other: bytes) -> bytes:
    """One to three random mutations of ``seed`` (``other`` is for splicing)."""
    buf = bytearray(seed)
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        op = rng.randrange(9)
        i = rng.randint(0, len(buf))
        if op == 0 and buf:  # bit flip
            i = rng.randrange(len(buf))
            buf[i] ^= 1 << rng.randrange(8)
        elif op == 1 and buf:  # byte replacement
            buf[rng.randrange(len(buf))] = rng.choice(_INTERESTING) if rng.random() < 0.5 else rng.randrange(256)
        elif op == 2:  # insertion
            buf[i:i] = rng.randbytes(rng.choice([1, 1, 2, 4, 16]))
        elif op == 3 and buf:  # deletion
            del buf[i : i + rng.choice([1, 1, 2, 8])]
        elif op == 4 and buf:  # duplication of a slice
            j = rng.randint(i, min(len(buf), i + 32))
            buf[j:j] = buf[i:j] * rng.choice([1, 2, 8])
        elif op == 5 and buf:  # a length octet inflated
            i = rng.randrange(len(buf))
            buf[i : i + 1] = rng.choice(_INFLATIONS)
        elif op == 6:  # splice with another seed
            j = rng.randint(0, len(other))
            buf = buf[:i] + bytearray(other[j:])
        elif op == 7 and buf:  # truncation
            del buf[rng.randrange(len(buf)) :]
        elif buf:  # another APDU tag in front
            buf[0] = rng.choice(
                [0xC0, 0xC1, 0xC3, 0xC4, 0xC5, 0xC7, 0xC8, 0xCC, 0xDB, 0x60, 0x61, 0x62, 0x63, 0x01, 0x08]
            )
    return bytes(buf)


def truncations(n: int) -> list[int]:
    """Every length below ``n``; for a long seed the first and last 32 and 24 lengths evenly in between."""
    if n <= 96:
        return list(range(n))
    return sorted({*range(32), *range(n - 32, n), *range(32, n - 32, max(1, (n - 64) // 24))})


@dataclasses.dataclass
class FuzzInputs:
    sessions: Sessions
    seeds: list[bytes]
    inputs: list[bytes]


@cache
def fuzz_inputs() -> FuzzInputs:
    """The seeds, every truncation of each, and random mutants; deterministic, duplicates removed."""
    sessions = build_sessions()
    seeds = corpus(sessions)
    rng = random.Random(SEED + 1)
    out: list[bytes] = list(seeds)
    for seed in seeds:
        out += (seed[:n] for n in truncations(len(seed)))
        for _ in range(MUTANTS_PER_SEED):
            out.append(mutate(rng, seed, rng.choice(seeds)))
    return FuzzInputs(sessions, seeds, list(dict.fromkeys(out)))
