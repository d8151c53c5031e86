"""Fuzzing the DLMS stack's decoders: whatever bytes a peer sends, only :class:`DlmsError` comes out, fast. The
corpus of :mod:`tests.fuzz.dlms_corpus` (at least 10 000 inputs; its seeds cover every xDLMS and ACSE APDU class)
goes to every decoder family of :mod:`tests.fuzz.dlms_families` and to both association sides in the states of
:mod:`tests.fuzz.dlms_sessions` (three states per input, and each input also as the plaintext of a correctly ciphered
APDU to a ciphered state), under the CPU-time hang guard of :mod:`tests.fuzz.dlms_harness`; hostile shapes (nesting
10 000 deep, declared lengths up to ``84 FF FF FF FF``) go to every decoder, and a large valid answer decodes within
the guard. The regression tests of the bugs the fuzzer found are in ``test_fuzz_dlms_regressions.py``.
"""

from __future__ import annotations

import contextlib
import random
import typing
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from meterhub.dlms import apdu as A
from meterhub.dlms import axdr
from meterhub.dlms.acse import Aare, Aarq, InitiateRequest, InitiateResponse, Rlre, Rlrq, decode_acse
from meterhub.dlms.axdr import (
    DateTime,
    DoubleLongUnsigned,
    Unsigned,
    datetime_from_octets,
    decode_data,
    decode_data_exact,
    encode_data,
    epoch_from_octets,
)
from meterhub.dlms.errors import DecodeError, DlmsError
from meterhub.dlms.security import decrypt
from tests.fuzz.dlms_corpus import SEED, FuzzInputs, fuzz_inputs
from tests.fuzz.dlms_families import fuzz_acse, fuzz_data, fuzz_datetime, fuzz_decrypt, fuzz_xdlms, receiver
from tests.fuzz.dlms_harness import CPU_LIMIT, MIN_INPUTS_PER_FAMILY, Fuzzer, guarded
from tests.fuzz.dlms_sessions import cipher_for
from tests.fuzz.dlms_values import CLIENT_TITLE, KEYS

pytestmark = pytest.mark.usefixtures("dlms_cpu_alarm")


@pytest.fixture(scope="module")
def inputs() -> FuzzInputs:
    return fuzz_inputs()


def test_corpus_is_large_and_valid(inputs: FuzzInputs) -> None:
    assert len(inputs.inputs) >= MIN_INPUTS_PER_FAMILY
    assert len(inputs.seeds) >= 700
    # the seeds cover every xDLMS APDU class and every ACSE APDU
    kinds: Counter[str] = Counter()
    for seed in inputs.seeds:
        with contextlib.suppress(DlmsError):
            kinds[type(A.decode_xdlms(seed)).__name__] += 1
        with contextlib.suppress(DlmsError):
            kinds[type(decode_acse(seed)).__name__] += 1
    for cls in (*typing.get_args(A.XdlmsApdu), Aarq, Aare, Rlrq, Rlre):
        assert kinds[cls.__name__] > 0, cls.__name__


@pytest.mark.parametrize(
    ("family", "fuzz"),
    [
        ("data", fuzz_data),
        ("xdlms", fuzz_xdlms),
        ("acse", fuzz_acse),
        ("datetime", fuzz_datetime),
        ("decrypt", fuzz_decrypt),
    ],
)
def test_fuzz_decoders(inputs: FuzzInputs, family: str, fuzz: Callable[[Fuzzer, bytes], None]) -> None:
    fz = Fuzzer(family)
    for data in inputs.inputs:
        fuzz(fz, data)
    fz.assert_clean()


@pytest.mark.parametrize("side", ["server", "client"])
def test_fuzz_associations(inputs: FuzzInputs, side: str) -> None:
    """Each input to three states of this side, and ciphered (as plaintext) to one of the ciphered states."""
    sessions = inputs.sessions
    templates: dict[str, Any] = dict(sessions.servers if side == "server" else sessions.clients)
    names = sorted(templates)
    ciphered = sorted(n for n in names if n in sessions.ciphered)
    receivers = {name: receiver(t) for name, t in templates.items()}
    rng = random.Random(SEED + 2)
    fz = Fuzzer(side)
    counter = 0x10000
    for data in inputs.inputs:
        for name in rng.sample(names, 3):
            fz.run(name, receivers[name], data)
        name = rng.choice(ciphered)
        counter += 1
        carrier = cipher_for(data, counter, rng.random() < 0.3, sessions.ciphered[name])
        fz.run(f"{name} (ciphered)", receivers[name], carrier, shown=data)
    fz.assert_clean()
    assert set(fz.calls) >= set(names)


# ============================================================================ hostile shapes
def _all_decoders() -> list[tuple[str, Callable[[bytes], Any]]]:
    sessions = fuzz_inputs().sessions
    out: list[tuple[str, Callable[[bytes], Any]]] = [
        ("decode_data", decode_data),
        ("decode_data_exact", decode_data_exact),
        ("decode_xdlms", A.decode_xdlms),
        ("decode_acse", decode_acse),
        ("InitiateRequest.decode", InitiateRequest.decode),
        ("InitiateResponse.decode", InitiateResponse.decode),
        ("DateTime.from_bytes", DateTime.from_bytes),
        ("datetime_from_octets", datetime_from_octets),
        ("epoch_from_octets", epoch_from_octets),
        ("decrypt", lambda d: decrypt(KEYS, CLIENT_TITLE, d)),
    ]
    for name, template in (*sessions.servers.items(), *sessions.clients.items()):
        out.append((name, receiver(template)))
    return out


def _hostile(payload: bytes) -> list[bytes]:
    """``payload`` bare and where an APDU or the ACSE carries Data or octets."""
    return [
        payload,
        b"\xc4\x01\xc1\x00" + payload,  # get-response-normal
        b"\xc1\x01\xc1\x00\x01\x00\x00\x01\x00\x00\xff\x02\x00" + payload,  # set-request-normal
        b"\x0f\x00\x00\x00\x01\x00" + payload,  # data-notification
        b"\xc3\x01\xc1\x00\x0f\x00\x00\x28\x00\x00\xff\x01\x01" + payload,  # action-request with parameters
        b"\xc0\x01\xc1\x00\x07\x01\x00\x63\x01\x00\xff\x02\x01\x01" + payload,  # get with selective access
        b"\x60" + axdr.encode_length(len(payload) + 2) + b"\xbe" + axdr.encode_length(len(payload)) + payload,
    ]


_DEEP = [
    b"\x01\x01" * 10_000 + b"\x00",
    b"\x02\x01" * 10_000 + b"\x00",
    b"\x01\x01\x02\x01" * 5_000 + b"\x11\x00",
    b"\x13" + b"\x01\x00\x01" * 10_000 + b"\x11\x01\x00",  # compact-array description nested 10 000 deep
    b"\x13" + b"\x02\x01" * 10_000 + b"\x11\x01\x00",
    b"\x01\x81\xff" * 3_000,
    b"\x60\x84\x00\x00\x01\x00" + b"\xa1\x82\x00\x00" * 100,
]
_LENGTH_FORMS = [b"\x84\xff\xff\xff\xff", b"\x84\x7f\xff\xff\xff", b"\x83\xff\xff\xff", b"\x82\xff\xff", b"\x81\xff"]
_HUGE = [
    *(bytes((tag,)) + form + b"\x00" * 16 for tag in (1, 2, 4, 9, 10, 12) for form in _LENGTH_FORMS),
    *(b"\x13\x11" + form + b"\x00" * 16 for form in _LENGTH_FORMS),
    *(b"\x13\x02" + form + b"\x11" * 16 for form in _LENGTH_FORMS),
    *(b"\xc4\x02\xc1\x00\x00\x00\x00\x01\x00" + form + b"\x00" for form in _LENGTH_FORMS),  # datablock raw data
    *(b"\xc0\x03\xc1" + form + b"\x00" * 10 for form in _LENGTH_FORMS),  # get-request-with-list count
    *(b"\xc4\x03\xc1" + form + b"\x00" * 2 for form in _LENGTH_FORMS),  # get-response-with-list count
    *(b"\xe0\x80\x00\x01\x00\x00" + form for form in _LENGTH_FORMS),  # general-block-transfer
    *(b"\xdb" + form + b"\x00" * 8 for form in _LENGTH_FORMS),  # general-glo-ciphering title
    *(b"\xc8" + form + b"\x30\x00\x00\x00\x01" for form in _LENGTH_FORMS),  # glo-get-request
    *(tag + form + b"\xa1\x00" for tag in (b"\x60", b"\x61", b"\x62", b"\x63") for form in _LENGTH_FORMS),
    *(b"\x01\x01" + form + b"\x00" * 8 for form in _LENGTH_FORMS),  # InitiateRequest dedicated key
    b"\x09\x85\x01\x00\x00\x00\x00",
    b"\x01\x83\x01\x00\x00" + b"\x00" * 0x10000,  # 65 536 nulls: large but real
    b"\x09\x83\x10\x00\x00" + b"\xab" * 0x100000,  # a 1 MiB octet-string
]


@pytest.mark.parametrize("kind", ["deep", "huge"])
def test_hostile_shapes(kind: str) -> None:
    """Deep nesting and huge declared lengths: DecodeError (or a value), never a crash, within the limit."""
    fz = Fuzzer(kind)
    payloads = _DEEP if kind == "deep" else _HUGE
    for payload in payloads:
        for data in _hostile(payload):
            for name, decoder in _all_decoders():
                fz.run(name, decoder, data)
    fz.assert_clean(min_inputs=len(payloads))
    if kind == "deep":
        for payload in _DEEP[:5]:
            with pytest.raises(DecodeError):
                decode_data(payload)


def test_large_valid_inputs_decode() -> None:
    """20 000 profile rows (a large but real answer) decode to the rows, well within the hang guard."""
    row = (DateTime(2026, 1, 1, 4, 0, 0, 0, 0, -60, 0).to_bytes(), Unsigned(0), *(DoubleLongUnsigned(7),) * 4)
    rows = [row] * 20_000
    raw = encode_data(rows)
    with guarded(CPU_LIMIT):
        assert decode_data_exact(raw) == rows
