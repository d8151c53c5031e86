"""CRC-16/ARC, the checksum of a DSMR 5 telegram (DSMR P1 5.0.2 §6.2; the national P1 specification v1.1.3).

Polynomial x¹⁶ + x¹⁵ + x² + 1 (0x8005, processed reflected as 0xA001), initial value 0, no final XOR, computed
over every byte from the leading ``/`` up to and including the ``!``. Check value: CRC-16/ARC of
``b"123456789"`` is 0xBB3D (the catalogue value, tested).
"""

from __future__ import annotations

from typing import Final

__all__ = ["crc16_arc"]


def _table() -> tuple[int, ...]:
    out = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        out.append(crc)
    return tuple(out)


_TABLE: Final = _table()


def crc16_arc(data: bytes, crc: int = 0) -> int:
    """CRC-16/ARC of ``data``; pass a previous result as ``crc`` to continue over more bytes."""
    table = _TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc
