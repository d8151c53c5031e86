"""Random valid DLMS values for the fuzzer's seeds, drawn from a seeded :class:`random.Random`: A-XDR Data of every
type (nested, compact arrays, uniform load-profile rows for the compiled layout, sometimes with one odd row), one
instance of every xDLMS APDU class, AARQ/AARE/RLRQ/RLRE with a plain or ciphered InitiateRequest/-Response inside,
and ciphered contents under the keys and system titles of the ``hls_gmac_association`` reference vector, which this
module names (with the COSEM attributes the sessions use: the clock 0.0.1.0.0.255, the load profile 1.0.99.1.0.255
and the HLS method of the association 0.0.40.0.0.255) for the other fuzz modules.
"""

from __future__ import annotations

import random
import struct
from typing import Any

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
)
from meterhub.dlms.axdr import types as axdr_types
from meterhub.dlms.security import CipherKeys, encrypt
from tests.conftest import hx, load_vector

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


def rand_date_time(rng: random.Random) -> DateTime:
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
        return rand_date_time(rng)
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
        return rand_date_time(rng).to_bytes()
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
        frm, to = (rand_date_time(rng).to_bytes() for _ in range(2))
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
        A.DataNotification(u32(), rand_data(rng, 1), rng.choice([None, rand_date_time(rng).to_bytes()])),
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
            rand_ciphered(rng, rng.choice([CLIENT_TITLE, SERVER_TITLE])),
        ),
        A.GeneralGloCiphering(rng.choice([CLIENT_TITLE, SERVER_TITLE, b""]), rand_ciphered(rng, CLIENT_TITLE)),
        A.GeneralDedCiphering(CLIENT_TITLE, rand_ciphered(rng, CLIENT_TITLE)),
    ]


def rand_ciphered(rng: random.Random, title: bytes, plain: bytes | None = None) -> bytes:
    if plain is None:
        plain = rng.choice([b"", _rand_bytes(rng), A.GetRequestNormal(0xC1, CLOCK).encode()])
    return encrypt(KEYS, title, rng.randint(0x100, 0xFFFF), plain, rng.choice([0x30, 0x30, 0x10, 0x20]))


def rand_initiate_request(rng: random.Random) -> InitiateRequest:
    return InitiateRequest(
        rng.choice([0x401E5D, 0x00101D, rng.randint(0, 2**24 - 1)]),
        rng.choice([0, 64, 1024, 0xFFFF, rng.randint(0, 0xFFFF)]),
        rng.choice([None, rng.randbytes(16), b""]),
        rng.random() < 0.7,
        rng.choice([None, rng.randint(0, 255)]),
        rng.choice([6, 5, rng.randint(0, 255)]),
    )


def rand_initiate_response(rng: random.Random) -> InitiateResponse:
    return InitiateResponse(
        rng.choice([0x00101D, rng.randint(0, 2**24 - 1)]),
        rng.choice([1024, 0xFFFF, rng.randint(0, 0xFFFF)]),
        rng.choice([None, rng.randint(0, 255)]),
        rng.choice([6, rng.randint(0, 255)]),
        rng.choice([7, rng.randint(0, 0xFFFF)]),
    )


def rand_acse(rng: random.Random) -> list[Any]:
    """A random AARQ, AARE, RLRQ and RLRE (plain or ciphered initiate inside)."""
    initiate_req = rand_initiate_request(rng).encode()
    initiate_resp = rand_initiate_response(rng).encode()
    if rng.random() < 0.4:
        initiate_req = A.ServiceSpecificCiphered(0x21, rand_ciphered(rng, CLIENT_TITLE, initiate_req)).encode()
        initiate_resp = A.ServiceSpecificCiphered(0x28, rand_ciphered(rng, SERVER_TITLE, initiate_resp)).encode()
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
