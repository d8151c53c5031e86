"""Fuzzing the DLMS stack's decoders: whatever bytes a peer sends, only :class:`DlmsError` comes out, fast.

A fixed-seed :class:`random.Random` builds a corpus of valid encodings — A-XDR Data of every type (compact
arrays, uniform profile rows for the compiled layout), one of every xDLMS APDU class, AARQ/AARE/RLRQ/RLRE,
InitiateRequest/-Response, ciphered contents, the APDUs of real public and HLS-GMAC sessions, and every APDU
of the reference vectors in ``../shared/vectors/dlms`` — and mutates it: truncation at every length (seeds
over 96 octets: the first and last 32 lengths and 24 in between), bit flips, byte replacement, insertion,
deletion, duplication, splicing, and length octets inflated to ``84 FF FF FF FF`` and friends.

Every input goes to every decoder family:

* ``data``: :func:`decode_data`, :func:`decode_data_exact` (typed, and with ``plain_integers`` which must give
  the same numbers), and the selective-access parsers on what decodes;
* ``xdlms``: :func:`decode_xdlms` (typed and ``plain_integers``);
* ``acse``: :func:`decode_acse`, :meth:`InitiateRequest.decode`, :meth:`InitiateResponse.decode`;
* ``datetime``: :meth:`DateTime.from_bytes` (and ``to_datetime``, which :func:`datetime_from_octets` and
  :func:`epoch_from_octets` must match), :meth:`Date.from_bytes`, :meth:`Time.from_bytes`;
* ``decrypt``: :func:`meterhub.dlms.security.decrypt` under the session keys;
* ``server`` / ``client``: :meth:`ServerAssociation.receive` / :meth:`ClientAssociation.receive` in several
  states (fresh, associated public, long get or set in progress, awaiting HLS, associated HLS). The ciphered
  states also get each input as the *plaintext* of a correctly ciphered APDU, so that mutated APDUs reach the
  code behind the decryption.

What decodes must re-encode, and decoding that again gives the same value (a fixpoint). No call may hang: a
CPU-time alarm (``ITIMER_VIRTUAL``) of :data:`CPU_LIMIT` — a generous hang guard, not a speed claim (speed is
measured in ``benchmarks/dlms.py``) — turns an endless loop into a reported failure instead of a hung test run;
the slowest call is printed with each family's summary, for information.

Every bug this fuzzer has found is fixed, each with a regression test at the end of this file, so
:data:`KNOWN_BUGS` is empty. A bug found and not fixed at once would be recognised there (and reported in the
test output instead of failing the run) only together with an ``xfail(strict=True)`` test pinning it; set
``MH_FUZZ_STRICT=1`` to fail on such known bugs too.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import gc
import os
import random
import signal
import struct
import time
import traceback
import typing
from collections import Counter
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import pytest

from meterhub.dlms import apdu as A
from meterhub.dlms import axdr
from meterhub.dlms.acse import (
    Aare,
    Aarq,
    ApplicationContext,
    AssociationResult,
    InitiateRequest,
    InitiateResponse,
    Mechanism,
    Rlre,
    Rlrq,
    decode_acse,
)
from meterhub.dlms.association import (
    Action,
    Associate,
    ClientAssociation,
    ClientSettings,
    Get,
    GetReply,
    GetWithList,
    Release,
    ServerAssociation,
    ServerPolicy,
    Set,
    State,
)
from meterhub.dlms.axdr import (
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
    datetime_from_octets,
    decode_data,
    decode_data_exact,
    encode_data,
    epoch_from_octets,
)
from meterhub.dlms.axdr import decode as axdr_decode
from meterhub.dlms.axdr import types as axdr_types
from meterhub.dlms.errors import DecodeError, DlmsError, RemoteProtocolError, SecurityError
from meterhub.dlms.security import CipherKeys, decrypt, encrypt
from tests.conftest import VECTORS, hx, load_vector
from tests.dlms.test_axdr_properties import mismatch
from tests.sansio import receive

SEED = 0x0D1A_5F22
#: A CPU-time alarm this long stops a call that would never return (calls take micro- to milliseconds).
CPU_LIMIT = 1.0
#: For inputs holding a compact-array description of zero-size elements (known endless loop): short alarm.
KNOWN_HANG_CPU_LIMIT = 0.02
#: The alarm repeats, in case ``_Hang`` is raised (and swallowed) inside a finalizer or callback.
ALARM_REPEAT = 0.05
MIN_INPUTS_PER_FAMILY = 10_000
MUTANTS_PER_SEED = 16
STRICT = os.environ.get("MH_FUZZ_STRICT") == "1"

HLS = load_vector("hls_gmac_association")["inputs"]
KEYS = CipherKeys(hx(HLS["encryption_key"]), hx(HLS["authentication_key"]))
CLIENT_TITLE = hx(HLS["client_system_title"])
SERVER_TITLE = hx(HLS["server_system_title"])
CTOS = hx(HLS["ctos_challenge"])
STOC = hx(HLS["stoc_challenge"])
PUBLIC_TITLE = b"LUX\x00\x00\xbcaN"
PASSWORD = b"12345678"
CLOCK = A.AttributeRef(8, bytes((0, 0, 1, 0, 0, 255)), 2)
PROFILE = A.AttributeRef(7, bytes((1, 0, 99, 1, 0, 255)), 2)
HLS_METHOD = A.MethodRef(15, bytes((0, 0, 40, 0, 0, 255)), 1)

INT_CLASSES: tuple[type[Any], ...] = (
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


# ============================================================================ random valid values (seeds)
def _rand_int(rng: random.Random, cls: type[Any]) -> Any:
    lo, hi = cls.MIN, cls.MAX
    return cls(rng.choice([lo, hi, 0 if lo <= 0 else lo, rng.randint(lo, hi), rng.randint(0, min(hi, 300))]))


_SPECIAL_FLOATS = [0.0, -0.0, 1.5, -2.25, float("inf"), float("-inf"), float("nan"), 1e-40, 3.4e38]


def _rand_float32(rng: random.Random) -> Float32:
    if rng.random() < 0.4:
        return Float32(rng.choice(_SPECIAL_FLOATS))
    return Float32(struct.unpack(">f", struct.pack(">f", rng.uniform(-1e6, 1e6)))[0])


def _rand_float64(rng: random.Random) -> float:
    if rng.random() < 0.4:
        return rng.choice([*_SPECIAL_FLOATS, 1e308, 5e-324])
    return rng.uniform(-1e12, 1e12)


def _rand_bytes(rng: random.Random, n: int | None = None) -> bytes:
    if n is None:
        n = rng.choice([0, 1, 2, 6, 8, 12, rng.randint(0, 40), 130, 260])
    return rng.randbytes(n)


def _rand_text(rng: random.Random, utf8: bool) -> str:
    n = rng.choice([0, 1, 5, rng.randint(0, 30), 140])
    if utf8:
        alphabet = "aZ09 äöü€⚡電力\U0001f50c\x00\x7f"
        return Utf8String("".join(rng.choice(alphabet) for _ in range(n)))
    return "".join(chr(rng.randint(0, 127)) for _ in range(n))


def _rand_date_time(rng: random.Random) -> DateTime:
    if rng.random() < 0.5:
        return DateTime(2026, rng.randint(1, 12), rng.randint(1, 28), 0xFF, rng.randint(0, 23), 0, 0, 0, -60, 0)
    fields = [
        rng.choice([0, 0xFFFF, rng.randint(0, 0xFFFF)]),
        *(rng.choice([0, 0xFF, 0xFE, 0xFD, rng.randint(0, 0xFF)]) for _ in range(7)),
        rng.choice([-0x8000, 0x7FFF, -60, rng.randint(-0x8000, 0x7FFF)]),
        rng.randint(0, 0xFF),
    ]
    return DateTime(*fields)


def _rand_scalar(rng: random.Random, tag: int | None = None) -> Any:
    simple = [
        None,
        axdr.BOOLEAN,
        axdr.BIT_STRING,
        axdr.OCTET_STRING,
        axdr.VISIBLE_STRING,
        axdr.UTF8_STRING,
        axdr.FLOAT32,
        axdr.FLOAT64,
        axdr.DATE_TIME,
        axdr.DATE,
        axdr.TIME,
        *(c.TAG for c in INT_CLASSES),
    ]
    if tag is None:
        tag = rng.choice([*simple, axdr.NULL_DATA, axdr.DONT_CARE])
    if tag is None or tag == axdr.NULL_DATA:
        return None
    if tag == axdr.DONT_CARE:
        return DontCare()
    if tag == axdr.BOOLEAN:
        return rng.random() < 0.5
    if tag == axdr.BIT_STRING:
        n = rng.choice([0, 1, 7, 8, 9, rng.randint(0, 200)])
        return BitString(rng.randbytes((n + 7) // 8), n)
    if tag == axdr.OCTET_STRING:
        return _rand_bytes(rng)
    if tag == axdr.VISIBLE_STRING:
        return _rand_text(rng, utf8=False)
    if tag == axdr.UTF8_STRING:
        return _rand_text(rng, utf8=True)
    if tag == axdr.FLOAT32:
        return _rand_float32(rng)
    if tag == axdr.FLOAT64:
        return _rand_float64(rng)
    if tag == axdr.DATE_TIME:
        return _rand_date_time(rng)
    if tag == axdr.DATE:
        return Date(rng.randint(0, 0xFFFF), rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))
    if tag == axdr.TIME:
        return Time(*(rng.randint(0, 255) for _ in range(4)))
    return _rand_int(rng, axdr_types._INT_CLASSES[tag])


_COMPACT_TAGS = sorted(axdr_types._SIMPLE_TAGS - {axdr.NULL_DATA})


def _rand_description(rng: random.Random, depth: int = 0) -> Any:
    r = rng.random()
    if depth < 3 and r < 0.2:
        return ArrayType(rng.choice([1, 2, 3, 5]), _rand_description(rng, depth + 1))
    if depth < 3 and r < 0.4:
        return StructureType(tuple(_rand_description(rng, depth + 1) for _ in range(rng.randint(1, 4))))
    return rng.choice(_COMPACT_TAGS)


def _rand_untagged(rng: random.Random, desc: Any) -> Any:
    if isinstance(desc, ArrayType):
        return [_rand_untagged(rng, desc.element) for _ in range(desc.count)]
    if isinstance(desc, StructureType):
        return tuple(_rand_untagged(rng, f) for f in desc.fields)
    return _rand_scalar(rng, desc)


def _rand_compact(rng: random.Random) -> CompactArray:
    desc = _rand_description(rng)
    return CompactArray(desc, tuple(_rand_untagged(rng, desc) for _ in range(rng.choice([0, 1, 2, 4, 10]))))


_ROW_KINDS: tuple[Any, ...] = (*INT_CLASSES, Float32, float, "octets12", "octets6", "octets0")


def _rand_row_value(rng: random.Random, kind: Any) -> Any:
    if kind == "octets12":
        return _rand_date_time(rng).to_bytes()
    if kind == "octets6":
        return rng.randbytes(6)
    if kind == "octets0":
        return b""
    if kind is Float32:
        return _rand_float32(rng)
    if kind is float:
        return _rand_float64(rng)
    return _rand_int(rng, kind)


def _rand_rows(rng: random.Random) -> list[Any]:
    """A load-profile-like array: ≥ 8 uniform rows of fixed-size fields, sometimes with one odd row."""
    schema = [rng.choice(_ROW_KINDS) for _ in range(rng.randint(1, 7))]
    rows: list[Any] = [tuple(_rand_row_value(rng, k) for k in schema) for _ in range(rng.randint(8, 30))]
    if rng.random() < 0.3:
        k = rng.randrange(len(rows))
        rows[k] = rng.choice([(*rows[k], Unsigned(1)), rows[k][:-1], list(rows[k]), None, (rows[k],)])
    return rows


def rand_data(rng: random.Random, depth: int = 0) -> Any:
    """A random DLMS Data value of any type, nested a few levels."""
    r = rng.random()
    if depth < 4 and r < 0.25:
        items = [rand_data(rng, depth + 1) for _ in range(rng.choice([0, 1, 2, 3, 4, 6, 9]))]
        return items if rng.random() < 0.5 else tuple(items)
    if r < 0.32:
        return _rand_rows(rng)
    if r < 0.4:
        return _rand_compact(rng)
    return _rand_scalar(rng)


def _rand_attr(rng: random.Random) -> A.AttributeRef:
    return A.AttributeRef(
        rng.choice([1, 3, 7, 8, 15, rng.randint(0, 0xFFFF)]), rng.randbytes(6), rng.randint(-128, 127)
    )


def _rand_method(rng: random.Random) -> A.MethodRef:
    return A.MethodRef(rng.choice([1, 15, 70, rng.randint(0, 0xFFFF)]), rng.randbytes(6), rng.randint(-128, 127))


def _rand_access(rng: random.Random) -> A.AccessSelection | None:
    r = rng.random()
    if r < 0.4:
        return None
    if r < 0.6:
        frm, to = (_rand_date_time(rng).to_bytes() for _ in range(2))
        cols = tuple((3, rng.randbytes(6), 2, 0) for _ in range(rng.randint(0, 3)))
        return A.RangeDescriptor((8, CLOCK.instance, 2, 0), frm, to, cols).to_access_selection()
    if r < 0.8:
        return A.EntryDescriptor(
            rng.randint(0, 2**32 - 1), rng.randint(0, 100), 1, rng.randint(0, 10)
        ).to_access_selection()
    return A.AccessSelection(rng.randint(0, 255), rand_data(rng, 2))


def _rand_result(rng: random.Random) -> Any:
    return rng.choice(list(A.DataAccessResult)) if rng.random() < 0.3 else rand_data(rng, 2)


def _rand_return(rng: random.Random) -> Any:
    return rng.choice([A.NO_DATA, rng.choice(list(A.DataAccessResult)), rand_data(rng, 2)])


def rand_apdus(rng: random.Random) -> list[Any]:
    """One random instance of every xDLMS APDU class."""

    def iid() -> int:
        return rng.choice([0xC1, 0x81, 0x41, rng.randint(0, 255)])

    def u32() -> int:
        return rng.choice([0, 1, 2, 0xFFFFFFFF, rng.randint(0, 2**32 - 1)])

    def last() -> bool:
        return rng.random() < 0.5

    n = rng.randint(0, 4)
    service = rng.choice(list(A.ServiceError))
    block: bytes | A.DataAccessResult = rng.choice(list(A.DataAccessResult)) if rng.random() < 0.3 else _rand_bytes(rng)
    return [
        A.GetRequestNormal(iid(), _rand_attr(rng), _rand_access(rng)),
        A.GetRequestNext(iid(), u32()),
        A.GetRequestWithList(iid(), tuple((_rand_attr(rng), _rand_access(rng)) for _ in range(n))),
        A.GetResponseNormal(iid(), _rand_result(rng)),
        A.GetResponseWithDatablock(iid(), last(), u32(), block),
        A.GetResponseWithList(iid(), tuple(_rand_result(rng) for _ in range(n))),
        A.SetRequestNormal(iid(), _rand_attr(rng), rand_data(rng, 1), _rand_access(rng)),
        A.SetRequestWithFirstDatablock(iid(), _rand_attr(rng), last(), u32(), _rand_bytes(rng), _rand_access(rng)),
        A.SetRequestWithDatablock(iid(), last(), u32(), _rand_bytes(rng)),
        A.SetRequestWithList(
            iid(),
            tuple((_rand_attr(rng), _rand_access(rng)) for _ in range(n)),
            tuple(rand_data(rng, 2) for _ in range(n)),
        ),
        A.SetResponseNormal(iid(), rng.choice(list(A.DataAccessResult))),
        A.SetResponseDatablock(iid(), u32()),
        A.SetResponseLastDatablock(iid(), rng.choice(list(A.DataAccessResult)), u32()),
        A.SetResponseWithList(iid(), tuple(rng.choice(list(A.DataAccessResult)) for _ in range(n))),
        A.ActionRequestNormal(iid(), _rand_method(rng), rng.choice([A.NO_DATA, rand_data(rng, 1)])),
        A.ActionRequestNextPblock(iid(), u32()),
        A.ActionRequestWithList(
            iid(), tuple(_rand_method(rng) for _ in range(n)), tuple(rand_data(rng, 2) for _ in range(n))
        ),
        A.ActionRequestWithFirstPblock(iid(), _rand_method(rng), last(), u32(), _rand_bytes(rng)),
        A.ActionRequestWithPblock(iid(), last(), u32(), _rand_bytes(rng)),
        A.ActionResponseNormal(iid(), rng.choice(list(A.ActionResult)), _rand_return(rng)),
        A.ActionResponseWithPblock(iid(), last(), u32(), _rand_bytes(rng)),
        A.ActionResponseWithList(iid(), tuple((rng.choice(list(A.ActionResult)), _rand_return(rng)) for _ in range(n))),
        A.ActionResponseNextPblock(iid(), u32()),
        A.EventNotificationRequest(_rand_attr(rng), rand_data(rng, 1), rng.choice([None, _rand_bytes(rng, 12)])),
        A.DataNotification(u32(), rand_data(rng, 1), rng.choice([None, _rand_date_time(rng).to_bytes()])),
        A.GeneralBlockTransfer(
            last(), rng.randint(0, 0xFFFF), rng.randint(0, 0xFFFF), _rand_bytes(rng), last(), rng.randint(0, 63)
        ),
        A.ExceptionResponse(
            rng.choice(list(A.StateError)),
            service,
            u32() if service == A.ServiceError.INVOCATION_COUNTER_ERROR else None,
        ),
        A.ConfirmedServiceError(rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255)),
        A.ServiceSpecificCiphered(
            rng.choice([*A.PLAIN_TAG_OF_GLO, *A.PLAIN_TAG_OF_DED]),
            _cipher(rng, rng.choice([CLIENT_TITLE, SERVER_TITLE])),
        ),
        A.GeneralGloCiphering(rng.choice([CLIENT_TITLE, SERVER_TITLE, b""]), _cipher(rng, CLIENT_TITLE)),
        A.GeneralDedCiphering(CLIENT_TITLE, _cipher(rng, CLIENT_TITLE)),
    ]


def _cipher(rng: random.Random, title: bytes, plain: bytes | None = None) -> bytes:
    if plain is None:
        plain = rng.choice([b"", _rand_bytes(rng), A.GetRequestNormal(0xC1, CLOCK).encode()])
    return encrypt(KEYS, title, rng.randint(0x100, 0xFFFF), plain, rng.choice([0x30, 0x30, 0x10, 0x20]))


def _rand_initiate_request(rng: random.Random) -> InitiateRequest:
    return InitiateRequest(
        rng.choice([0x401E5D, 0x00101D, rng.randint(0, 2**24 - 1)]),
        rng.choice([0, 64, 1024, 0xFFFF, rng.randint(0, 0xFFFF)]),
        rng.choice([None, rng.randbytes(16), b""]),
        rng.random() < 0.7,
        rng.choice([None, rng.randint(0, 255)]),
        rng.choice([6, 5, rng.randint(0, 255)]),
    )


def _rand_initiate_response(rng: random.Random) -> InitiateResponse:
    return InitiateResponse(
        rng.choice([0x00101D, rng.randint(0, 2**24 - 1)]),
        rng.choice([1024, 0xFFFF, rng.randint(0, 0xFFFF)]),
        rng.choice([None, rng.randint(0, 255)]),
        rng.choice([6, rng.randint(0, 255)]),
        rng.choice([7, rng.randint(0, 0xFFFF)]),
    )


def rand_acse(rng: random.Random) -> list[Any]:
    """A random AARQ, AARE, RLRQ and RLRE (plain or ciphered initiate inside)."""
    initiate_req = _rand_initiate_request(rng).encode()
    initiate_resp = _rand_initiate_response(rng).encode()
    if rng.random() < 0.4:
        initiate_req = A.ServiceSpecificCiphered(0x21, _cipher(rng, CLIENT_TITLE, initiate_req)).encode()
        initiate_resp = A.ServiceSpecificCiphered(0x28, _cipher(rng, SERVER_TITLE, initiate_resp)).encode()
    mechanism = rng.choice([None, *Mechanism])
    return [
        Aarq(
            rng.choice(list(ApplicationContext)),
            rng.choice([None, CLIENT_TITLE, rng.randbytes(rng.randint(0, 10))]),
            mechanism,
            rng.choice([None, PASSWORD, CTOS, b""]),
            rng.choice([None, initiate_req, initiate_req]),
        ),
        Aare(
            rng.choice(list(ApplicationContext)),
            rng.choice(list(AssociationResult)),
            rng.choice([0, 1, 2, 13, 14, rng.randint(0, 255)]),
            rng.choice([1, 2]),
            rng.choice([None, SERVER_TITLE]),
            mechanism,
            rng.choice([None, STOC]),
            rng.choice([None, initiate_resp, initiate_resp, A.ConfirmedServiceError(1, 6, 1).encode()]),
        ),
        Rlrq(rng.choice([None, 0, 1, 30]), rng.choice([None, initiate_req])),
        Rlre(rng.choice([None, 0, 1]), rng.choice([None, initiate_resp])),
    ]


# ============================================================================ associations in their states
def _client_settings(hls: bool, **kw: Any) -> ClientSettings:
    if hls:
        return ClientSettings(
            authentication=Mechanism.HIGH_GMAC,
            keys=KEYS,
            system_title=CLIENT_TITLE,
            invoke_id_increment=False,
            **kw,
        )
    return ClientSettings(**kw)


def _server_policy(hls: bool, **kw: Any) -> ServerPolicy:
    if hls:
        return ServerPolicy(
            system_title=SERVER_TITLE, authentication=Mechanism.HIGH_GMAC, keys=KEYS, invocation_counter=0x101, **kw
        )
    return ServerPolicy(system_title=PUBLIC_TITLE, **kw)


def _pair(hls: bool, client_kw: dict[str, Any] | None = None, server_kw: dict[str, Any] | None = None) -> Any:
    client = ClientAssociation(_client_settings(hls, **(client_kw or {})), random=lambda n: CTOS[:n])
    server = ServerAssociation(_server_policy(hls, **(server_kw or {})), random=lambda n: STOC[:n])
    return client, server


def _open(client: ClientAssociation, server: ServerAssociation, log: list[bytes]) -> None:
    """Run the association (and HLS passes 3/4), recording every APDU in ``log``."""
    pending = [client.send(Associate())]
    to_server = True
    while pending:
        log.extend(pending)
        nxt: list[bytes] = []
        for apdu in pending:
            receive(server if to_server else client, apdu)
            nxt += (server if to_server else client).data_to_send()
        pending, to_server = nxt, not to_server
    assert client.state == State.ASSOCIATED and server.state == State.ASSOCIATED


@dataclasses.dataclass
class Sessions:
    """Template associations in interesting states, and every APDU they exchanged getting there."""

    servers: dict[str, ServerAssociation]
    clients: dict[str, ClientAssociation]
    apdus: list[bytes]
    #: per state name: the peer system title a correctly ciphered input must use, for the ciphered states
    ciphered: dict[str, bytes]


def build_sessions() -> Sessions:
    log: list[bytes] = []
    servers: dict[str, ServerAssociation] = {}
    clients: dict[str, ClientAssociation] = {}

    c, s = _pair(False)
    servers["server-fresh-public"], clients["client-fresh"] = fresh(s), fresh(c)
    log.append(c.send(Associate()))
    clients["client-awaiting-aare-public"] = fresh(c)
    lls = ServerAssociation(ServerPolicy(system_title=PUBLIC_TITLE, authentication=Mechanism.LOW, password=PASSWORD))
    servers["server-fresh-lls"] = lls
    log.append(ClientAssociation(ClientSettings(authentication=Mechanism.LOW, password=PASSWORD)).send(Associate()))

    # public association; the client has a get, a set and an action outstanding
    c, s = _pair(False, client_kw={"max_receive_pdu_size": 256}, server_kw={"max_receive_pdu_size": 256})
    _open(c, s, log)
    servers["server-associated-public"] = fresh(s)
    for request in (
        c.send(Get(CLOCK)),
        c.send(Set(CLOCK, _rand_date_time(random.Random(1)).to_bytes())),
        c.send(Action(HLS_METHOD)),
    ):
        log.append(request)
        receive(s, request)
    clients["client-associated-public"] = fresh(c)
    clients["client-associated-public-plain"] = bulk = fresh(c)
    bulk.settings.plain_integers = True  # a bulk reader: get results with plain ints
    log.append(s.send(GetReply(0xC1, Unsigned(7))))
    # long get in progress on both sides
    request = c.send(Get(PROFILE))
    log.append(request)
    receive(s, request)
    rows = [
        (DateTime(2026, 1, 1 + h // 24, 0xFF, h % 24, 0, 0, 0, -60, 0).to_bytes(), Unsigned(0), DoubleLongUnsigned(h))
        for h in range(40)
    ]
    first = s.send(GetReply(request[2], rows))
    log.append(first)
    servers["server-long-get"] = fresh(s)
    receive(c, first)
    (nxt,) = c.data_to_send()
    log.append(nxt)
    clients["client-long-get"] = fresh(c)
    # long set in progress on both sides
    c2, s2 = _pair(False, server_kw={"max_receive_pdu_size": 128})
    _open(c2, s2, log)
    request = c2.send(Set(PROFILE, rows))
    log.append(request)
    clients["client-long-set"] = fresh(c2)
    receive(s2, request)
    log.extend(s2.data_to_send())
    servers["server-long-set"] = fresh(s2)

    # HLS-GMAC, ciphered
    c, s = _pair(True)
    servers["server-fresh-hls"] = fresh(s)
    aarq = c.send(Associate())
    log.append(aarq)
    clients["client-awaiting-aare-hls"] = fresh(c)
    receive(s, aarq)
    servers["server-awaiting-hls"] = fresh(s)
    (aare,) = s.data_to_send()
    log.append(aare)
    receive(c, aare)
    clients["client-awaiting-hls"] = fresh(c)
    (reply,) = c.data_to_send()
    log.append(reply)
    receive(s, reply)
    (answer,) = s.data_to_send()
    log.append(answer)
    receive(c, answer)
    servers["server-associated-hls"] = fresh(s)
    for request in (c.send(Get(CLOCK)), c.send(GetWithList(((CLOCK, None), (PROFILE, None))))):
        log.append(request)
    clients["client-associated-hls"] = fresh(c)
    log.append(s.send(GetReply(0xC1, CLOCK.instance)))
    log.append(c.send(Release()))
    ciphered = {
        "server-awaiting-hls": CLIENT_TITLE,
        "server-associated-hls": CLIENT_TITLE,
        "client-awaiting-hls": SERVER_TITLE,
        "client-associated-hls": SERVER_TITLE,
    }
    return Sessions(servers, clients, log, ciphered)


def fresh(template: Any) -> Any:
    """An independent copy of a template association (the AES objects of the shared keys are not copied)."""
    return copy.deepcopy(template, {id(KEYS): KEYS})


def cipher_for(plain: bytes, counter: int, general: bool, peer_title: bytes) -> bytes:
    """``plain`` as the peer would send it, ciphered with the session key and a fresh counter."""
    content = encrypt(KEYS, peer_title, counter, plain)
    if general or not plain:
        return A.GeneralGloCiphering(peer_title, content).encode()
    return A.ServiceSpecificCiphered(A.GLO_TAG.get(plain[0], A.Tag.GLO_GET_REQUEST), content).encode()


# ============================================================================ corpus and mutations
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
        seeds += [_rand_initiate_request(rng).encode(), _rand_initiate_response(rng).encode()]
        seeds.append(_cipher(rng, CLIENT_TITLE))
        seeds.append(_rand_date_time(rng).to_bytes())
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


# ============================================================================ running a decoder
class _Hang(BaseException):
    """Raised by the CPU-time alarm inside a decoder that does not return."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise _Hang


@contextlib.contextmanager
def cpu_alarm() -> Iterator[None]:
    previous = signal.signal(signal.SIGVTALRM, _on_alarm)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, previous)


@contextlib.contextmanager
def guarded(cpu_seconds: float) -> Iterator[None]:
    """Arm the CPU-time alarm around one call, with the garbage collector paused: a Python-level gc callback
    (Hypothesis installs one) running when the alarm goes off would swallow ``_Hang``."""
    enabled = gc.isenabled()
    gc.disable()
    signal.setitimer(signal.ITIMER_VIRTUAL, cpu_seconds, ALARM_REPEAT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        if enabled:
            gc.enable()


def has_zero_size_compact_description(data: bytes) -> bool:
    """True if a compact-array tag anywhere in ``data`` starts a description of elements of zero octets."""
    at = data.find(b"\x13")
    while at >= 0:
        try:
            desc, _ = axdr_decode._decode_type_description(data, at + 1, 0)
        except DecodeError:
            pass
        else:
            if _zero_size(desc):
                return True
        at = data.find(b"\x13", at + 1)
    return False


def _zero_size(desc: Any) -> bool:
    if isinstance(desc, ArrayType):
        return desc.count == 0 or _zero_size(desc.element)
    if isinstance(desc, StructureType):
        return all(_zero_size(f) for f in desc.fields)
    return False


def _frames(exc: BaseException) -> set[str]:
    return {f.name for f in traceback.extract_tb(exc.__traceback__)}


def _raised_at(exc: BaseException, function: str, text: str) -> bool:
    """True if ``exc`` was raised in ``function`` on a source line containing ``text``."""
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and frames[-1].name == function and text in (frames[-1].line or "")


#: Known bugs of src: (name, matches(decoder, input, outcome kind, exception)), recognised in the fuzz output
#: and counted instead of failing the run. All the bugs this fuzzer found are fixed (each has a regression
#: test at the end of this file); a new one is added here only together with a strict xfail test.
KNOWN_BUGS: list[tuple[str, Callable[[str, bytes, str, BaseException | None], bool]]] = []


@dataclasses.dataclass
class Fuzzer:
    """Runs decoders on inputs: counts inputs per family, records every escape and hang, notes the slowest call."""

    family: str
    inputs: set[bytes] = dataclasses.field(default_factory=set)
    calls: Counter[str] = dataclasses.field(default_factory=Counter)
    outcomes: Counter[str] = dataclasses.field(default_factory=Counter)
    failures: dict[tuple[str, str], str] = dataclasses.field(default_factory=dict)
    known: Counter[str] = dataclasses.field(default_factory=Counter)
    slowest: tuple[float, str] = (0.0, "")
    #: whether the last :meth:`run` returned (its result may be a decoded None)
    ok: bool = False

    def run(self, name: str, fn: Callable[[bytes], Any], data: bytes, shown: bytes | None = None) -> Any:
        """``fn(data)``; returns its result, or None when it raised. ``shown`` is the input to report."""
        self.inputs.add(shown if shown is not None else data)
        self.calls[name] += 1
        known_hang = any(b"\x13" in d and has_zero_size_compact_description(d) for d in (data, shown or b""))
        limit = KNOWN_HANG_CPU_LIMIT if known_hang else CPU_LIMIT
        result, kind, exc = None, "ok", None
        start = time.perf_counter()
        with guarded(limit):
            try:
                result = fn(data)
            except DlmsError:
                kind = "dlms-error"
            except _Hang:
                kind = "hang"
            except Exception as e:
                kind, exc = "escape", e
        elapsed = time.perf_counter() - start
        if elapsed > self.slowest[0]:
            self.slowest = (elapsed, f"{name} on {data[:40].hex()}")
        self.outcomes[kind] += 1
        self.ok = kind == "ok"
        if kind in ("hang", "escape"):
            self._fail(name, shown if shown is not None else data, kind, exc, elapsed)
            return None
        return result

    def check(self, name: str, data: bytes, ok: bool, what: str) -> None:
        """Record a failed property (e.g. the re-encoding fixpoint) of a successful decode."""
        if not ok:
            self._fail(name, data, "property", AssertionError(what), 0.0)

    def _fail(self, name: str, data: bytes, kind: str, exc: BaseException | None, elapsed: float) -> None:
        for bug, matches in KNOWN_BUGS:
            if not STRICT and matches(name, data, kind, exc):
                self.known[bug] += 1
                return
        what = f"{kind}: {type(exc).__name__}: {exc}"[:160] if exc else f"{kind} after {elapsed:.2f} s"
        self.failures.setdefault((name, what), data.hex()[:400])

    def assert_clean(self, min_inputs: int = MIN_INPUTS_PER_FAMILY) -> None:
        summary = (
            f"{self.family}: {len(self.inputs)} inputs, {sum(self.calls.values())} calls {dict(self.calls)}, "
            f"outcomes {dict(self.outcomes)}, slowest {self.slowest[0] * 1000:.1f} ms ({self.slowest[1]})"
        )
        print(summary)
        for bug, n in self.known.items():
            print(f"  KNOWN BUG hit {n}x: {bug}")
        report = "\n".join(f"{name} -> {what}\n    input: {hexed}" for (name, what), hexed in self.failures.items())
        assert not self.failures, f"{len(self.failures)} distinct failures\n{summary}\n{report}"
        assert len(self.inputs) >= min_inputs, summary


# ============================================================================ decoder families
def _fixpoint(fz: Fuzzer, name: str, data: bytes, value: Any, encode: Callable[[Any], bytes], decode: Any) -> None:
    """What decoded must encode, and decode to the same again."""
    try:
        again = encode(value)
        back = decode(again)
    except Exception as exc:  # a decoded value that cannot be re-encoded is a bug too, DlmsError or not
        fz.check(name, data, False, f"re-encoding the decoded value failed: {type(exc).__name__}: {exc}")
        return
    found = mismatch(back, value)
    fz.check(name, data, found is None, f"decode(encode(decoded)) differs: {found}")


def _access_parsers(fz: Fuzzer, data: bytes, value: Any) -> None:
    fz.run(
        "RangeDescriptor.from_access_selection",
        lambda _: A.RangeDescriptor.from_access_selection(A.AccessSelection(1, value)),
        data,
    )
    fz.run(
        "EntryDescriptor.from_access_selection",
        lambda _: A.EntryDescriptor.from_access_selection(A.AccessSelection(2, value)),
        data,
    )


def plain(value: Any) -> Any:
    """``value`` with every typed integer as a plain ``int`` (what ``plain_integers=True`` decoding gives)."""
    if isinstance(value, axdr_types._TypedInt):
        return int(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)})
    return value


def _same_as_plain(fz: Fuzzer, name: str, data: bytes, typed: Any, typed_ok: bool, fast: Any) -> None:
    """The plain-integer decoding succeeds exactly when the typed one does, with the same numbers."""
    if fz.ok != typed_ok:
        fz.check(name, data, False, f"plain_integers {'decodes' if fz.ok else 'fails'}, typed does not")
    elif typed_ok:
        found = mismatch(plain(fast), plain(typed))
        fz.check(name, data, found is None, f"plain_integers gives other values: {found}")


def fuzz_data(fz: Fuzzer, data: bytes) -> None:
    fz.run("decode_data", decode_data, data)
    value = fz.run("decode_data_exact", decode_data_exact, data)
    decoded = fz.ok
    if decoded:
        _fixpoint(fz, "decode_data_exact", data, value, encode_data, decode_data_exact)
        _access_parsers(fz, data, value)
    fast = fz.run("decode_data_exact(plain_integers)", lambda d: decode_data_exact(d, plain_integers=True), data)
    _same_as_plain(fz, "decode_data_exact(plain_integers)", data, value, decoded, fast)


def fuzz_xdlms(fz: Fuzzer, data: bytes) -> None:
    apdu = fz.run("decode_xdlms", A.decode_xdlms, data)
    decoded = fz.ok
    if decoded:
        _fixpoint(fz, "decode_xdlms", data, apdu, lambda a: a.encode(), A.decode_xdlms)
        access = getattr(apdu, "access", None)
        if access is not None:
            _access_parsers(fz, data, access.parameters)
    fast = fz.run("decode_xdlms(plain_integers)", lambda d: A.decode_xdlms(d, plain_integers=True), data)
    _same_as_plain(fz, "decode_xdlms(plain_integers)", data, apdu, decoded, fast)


def fuzz_acse(fz: Fuzzer, data: bytes) -> None:
    for name, decoder in (
        ("decode_acse", decode_acse),
        ("InitiateRequest.decode", InitiateRequest.decode),
        ("InitiateResponse.decode", InitiateResponse.decode),
    ):
        value = fz.run(name, decoder, data)
        if value is not None:
            _fixpoint(fz, name, data, value, lambda v: v.encode(), decoder)


def fuzz_datetime(fz: Fuzzer, data: bytes) -> None:
    fz.run("DateTime.from_bytes", DateTime.from_bytes, data)
    padded = (data + b"\xff" * 12)[:12]
    value = fz.run("DateTime.from_bytes[:12]", DateTime.from_bytes, padded, shown=data)
    if value is not None:
        when = fz.run("DateTime.to_datetime", lambda _: value.to_datetime(), padded, shown=data)
        fz.check("DateTime.from_bytes[:12]", data, value.to_bytes() == padded, "to_bytes differs")
        fast = fz.run("datetime_from_octets", datetime_from_octets, padded, shown=data)
        same_result = fast == when and (fast is None or fast.utcoffset() == when.utcoffset())
        fz.check("datetime_from_octets", data, same_result, f"fast path {fast} vs to_datetime {when}")
        epoch = fz.run("epoch_from_octets", epoch_from_octets, padded, shown=data)
        if when is None:
            fz.check(
                "epoch_from_octets", data, epoch is None, f"epoch_from_octets accepts what datetime refuses: {value}"
            )
        else:
            expected = int(when.replace(microsecond=0).timestamp())
            fz.check("epoch_from_octets", data, epoch == expected, f"epoch {epoch} vs {expected} for {value}")
    fz.run("Date.from_bytes[:5]", Date.from_bytes, padded[:5], shown=data)
    fz.run("Time.from_bytes[:4]", Time.from_bytes, padded[:4], shown=data)


def fuzz_decrypt(fz: Fuzzer, data: bytes) -> None:
    fz.run("decrypt", lambda d: decrypt(KEYS, CLIENT_TITLE, d), data)
    fz.run("decrypt(server title)", lambda d: decrypt(KEYS, SERVER_TITLE, d), data)


def _receive(template: Any) -> Callable[[bytes], Any]:
    def run(data: bytes) -> Any:
        association = fresh(template)
        events = receive(association, data)
        association.data_to_send()
        return events

    return run


# ============================================================================ the tests
@pytest.fixture(scope="module")
def inputs() -> FuzzInputs:
    return fuzz_inputs()


@pytest.fixture(autouse=True)
def _alarm() -> Iterator[None]:
    with cpu_alarm():
        yield


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
    receivers = {name: _receive(t) for name, t in templates.items()}
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
        out.append((name, _receive(template)))
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


# ============================================================================ known bugs, pinned
def _decode_under_alarm(data: bytes) -> Any:
    with guarded(0.1):
        return decode_data(data)


@pytest.mark.parametrize(
    "data",
    [
        "13 0200 01 00",  # structure of no fields, one content octet
        "13 01 0000 11 01 00",  # array of 0 unsigned, one content octet
        "13 01 0003 0200 03 000000",  # array of 3 empty structures
    ],
)
def test_compact_array_of_zero_size_elements_is_refused(data: str) -> None:
    with pytest.raises(DecodeError):
        _decode_under_alarm(bytes.fromhex(data.replace(" ", "")))


def test_compact_array_nested_zero_size_elements_is_refused() -> None:
    data = bytes.fromhex("13 01FFFF 01FFFF 0200 82FFFF".replace(" ", "")) + b"\x00" * 0xFFFF
    with pytest.raises(DecodeError):
        _decode_under_alarm(data)


def _public_associated(server_pdu: int = 1024) -> tuple[ClientAssociation, ServerAssociation]:
    c, s = _pair(False, server_kw={"max_receive_pdu_size": server_pdu})
    _open(c, s, [])
    return c, s


def test_server_get_request_next_last_block_number() -> None:
    """get-request-next for block 2³² − 1 with no long get in progress is answered, not raised: a last
    get-response-with-datablock carrying no-long-get-in-progress (the block number encodes as it came)."""
    _, server = _public_associated()
    assert receive(server, A.GetRequestNext(0xC1, 0xFFFFFFFF).encode()) == []
    (answer,) = server.data_to_send()
    assert A.decode_xdlms(answer) == A.GetResponseWithDatablock(
        0xC1, True, 0xFFFFFFFF, A.DataAccessResult.NO_LONG_GET_IN_PROGRESS
    )
    assert server.state is State.ASSOCIATED


def test_client_set_response_datablock_last_block_number() -> None:
    client, _ = _public_associated(server_pdu=128)
    client.send(Set(PROFILE, bytes(1000)))
    with pytest.raises(RemoteProtocolError, match="block number out of range"):
        receive(client, A.SetResponseDatablock(0xC1, 0xFFFFFFFF).encode())
    assert client.state is State.ERROR


@pytest.mark.parametrize("selector", [1, 2])
def test_access_selection_with_infinite_float(selector: int) -> None:
    inf = float("inf")
    params = ((inf, bytes(6), Integer(2), LongUnsigned(0)), None, None, []) if selector == 1 else (inf, inf, inf, inf)
    raw = A.GetRequestNormal(0xC1, PROFILE, A.AccessSelection(selector, params)).encode()
    request = A.decode_xdlms(raw)
    assert isinstance(request, A.GetRequestNormal) and request.access is not None
    parser = A.RangeDescriptor if selector == 1 else A.EntryDescriptor
    with pytest.raises(DecodeError):
        parser.from_access_selection(request.access)


@pytest.mark.parametrize("state", ["client-associated-hls", "client-awaiting-hls", "client-awaiting-aare-hls"])
def test_client_refuses_general_ded_ciphering(state: str) -> None:
    """A server's general-ded-ciphering APDU (no dedicated key was agreed) must be refused with SecurityError."""
    client = fresh(fuzz_inputs().sessions.clients[state])
    apdu = A.GeneralDedCiphering(SERVER_TITLE, encrypt(KEYS, SERVER_TITLE, 0x10000, b"\xc4\x01\xc1\x00\x11\x01"))
    with pytest.raises(SecurityError):
        receive(client, apdu.encode())


def test_client_refuses_general_ded_ciphered_initiate_response() -> None:
    client = fresh(fuzz_inputs().sessions.clients["client-awaiting-aare-hls"])
    initiate = InitiateResponse(0x00101D, 1024).encode()
    carrier = A.GeneralDedCiphering(SERVER_TITLE, encrypt(KEYS, SERVER_TITLE, 0x10000, initiate))
    aare = Aare(
        ApplicationContext.LN_CIPHERED, AssociationResult.ACCEPTED, 0, 1, SERVER_TITLE, None, None, carrier.encode()
    )
    with pytest.raises(SecurityError):
        receive(client, aare.encode())


@pytest.mark.parametrize(
    "octets",
    [
        "07EA021E FF 0A0000 00 FFC4 00",  # 2026-02-30
        "07EA041F FF 0A0000 00 FFC4 00",  # 2026-04-31
        "FFFF0101 FF 0A0000 00 FFC4 00",  # year not specified
        "07EA0101 FF 0A0000 96 FFC4 00",  # hundredths 150
    ],
    ids=["feb-30", "apr-31", "year-unspecified", "hundredths-150"],
)
def test_epoch_from_octets_refuses_invalid_dates(octets: str) -> None:
    raw = bytes.fromhex(octets.replace(" ", ""))
    with pytest.raises(DecodeError):
        datetime_from_octets(raw)
    with pytest.raises(DecodeError):
        epoch_from_octets(raw)
