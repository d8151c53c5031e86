"""A-XDR lengths (IEC 62056-6-2 §4.1.5; the BER definite form, X.690 §8.1.3): short below 128, else 8k + k octets.

:func:`decode_length` accepts the short form and the long forms of one to four octets and raises
:class:`~meterhub.dlms.errors.DecodeError` for anything else or a truncated length; :func:`_take` cuts a counted
slice, refusing one that runs past the buffer.
"""

from __future__ import annotations

from meterhub.dlms.errors import DecodeError, EncodeError


def encode_length(n: int) -> bytes:
    """A-XDR / BER definite length: one octet below 128, else 0x8k followed by k octets."""
    if n < 0x80:
        return bytes((n,))
    if n < 0x100:
        return bytes((0x81, n))
    if n < 0x10000:
        return bytes((0x82, n >> 8, n & 0xFF))
    if n < 0x100000000:
        return b"\x84" + n.to_bytes(4, "big")
    raise EncodeError(f"length {n} too large")


def decode_length(buf: bytes, pos: int) -> tuple[int, int]:
    """Decode a length at ``pos``; returns ``(length, new_pos)``."""
    if pos >= len(buf):
        raise DecodeError("truncated length")
    first = buf[pos]
    if first < 0x80:
        return first, pos + 1
    k = first & 0x7F
    if k == 0 or k > 4:
        raise DecodeError(f"unsupported length form 0x{first:02X}")
    end = pos + 1 + k
    if end > len(buf):
        raise DecodeError("truncated length")
    return int.from_bytes(buf[pos + 1 : end], "big"), end


def _take(buf: bytes, pos: int, n: int) -> tuple[bytes, int]:
    end = pos + n
    if end > len(buf):
        raise DecodeError(f"truncated: need {n} bytes at offset {pos}, have {len(buf) - pos}")
    return buf[pos:end], end
