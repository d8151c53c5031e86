"""The fields xDLMS APDUs are built of (IEC 62056-5-3 §8, A-XDR encoding of the APDU abstract syntax).

Fixed-width unsigned integers, length-prefixed octet-strings, element counts checked against the bytes left
(so that a hostile count cannot make a decoder loop), the trailing-bytes check, OPTIONAL Data (:data:`NO_DATA`
marks an absent one), Get-Data-Result (Data or a Data-Access-Result) and the DataBlock-SA of long set and action
transfers. Private to :mod:`meterhub.dlms.apdu`: each service module reads and writes its APDUs with these.
"""

from __future__ import annotations

import struct
from typing import Any, Final

from meterhub.dlms.apdu.tags import (
    DataAccessResult,
    _data_access_result,
)
from meterhub.dlms.axdr import (
    decode_data,
    decode_length,
    encode_data,
    encode_length,
)
from meterhub.dlms.errors import DecodeError


def _u8(buf: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(buf):
        raise DecodeError("truncated APDU")
    return buf[pos], pos + 1


def _u16(buf: bytes, pos: int) -> tuple[int, int]:
    if pos + 2 > len(buf):
        raise DecodeError("truncated APDU")
    return (buf[pos] << 8) | buf[pos + 1], pos + 2


def _u32(buf: bytes, pos: int) -> tuple[int, int]:
    if pos + 4 > len(buf):
        raise DecodeError("truncated APDU")
    return int.from_bytes(buf[pos : pos + 4], "big"), pos + 4


def _octets(buf: bytes, pos: int) -> tuple[bytes, int]:
    n, pos = decode_length(buf, pos)
    if pos + n > len(buf):
        raise DecodeError("truncated octet-string")
    return buf[pos : pos + n], pos + n


def _bool(value: int) -> bool:
    return value != 0


def _encode_octets(raw: bytes) -> bytes:
    return encode_length(len(raw)) + raw


class _NoData:
    """Marker for an absent OPTIONAL Data (distinct from null-data, which is ``None``)."""

    _instance: _NoData | None = None

    def __new__(cls) -> _NoData:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_DATA"


NO_DATA: Final = _NoData()


def _encode_get_data_result(result: Any) -> bytes:
    if isinstance(result, DataAccessResult):
        return bytes((1, result))
    return b"\x00" + encode_data(result)


def _decode_get_data_result(buf: bytes, pos: int, plain: bool = False) -> tuple[Any, int]:
    choice, pos = _u8(buf, pos)
    if choice == 0:
        return decode_data(buf, pos, plain_integers=plain)
    if choice == 1:
        code, pos = _u8(buf, pos)
        return _data_access_result(code), pos
    raise DecodeError(f"bad Get-Data-Result choice {choice}")


def _count(buf: bytes, pos: int, min_item_size: int) -> tuple[int, int]:
    n, pos = decode_length(buf, pos)
    if n * min_item_size > len(buf) - pos:
        raise DecodeError(f"list of {n} items cannot fit in {len(buf) - pos} bytes")
    return n, pos


def _end(buf: bytes, pos: int, what: str) -> None:
    if pos != len(buf):
        raise DecodeError(f"{len(buf) - pos} trailing bytes after {what}")


def _datablock_sa(last_block: bool, block_number: int, raw: bytes) -> bytes:
    return bytes((0xFF if last_block else 0,)) + struct.pack(">I", block_number) + _encode_octets(raw)


def _decode_datablock_sa(buf: bytes, pos: int) -> tuple[bool, int, bytes, int]:
    last, pos = _u8(buf, pos)
    number, pos = _u32(buf, pos)
    raw, pos = _octets(buf, pos)
    return _bool(last), number, raw, pos
