"""General block transfer (Green Book §9.3, IEC 62056-5-3 §8): the general-block-transfer APDU, encoder and decoder.

Block control (last-block, streaming, window), block number, acknowledged block number and the block's raw
octets. The stack encodes and decodes GBT; it does not negotiate or drive it (see ``docs/dlms.md``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from meterhub.dlms.apdu.fields import (
    _encode_octets,
    _end,
    _octets,
    _u8,
    _u16,
)
from meterhub.dlms.apdu.tags import (
    Tag,
)
from meterhub.dlms.errors import EncodeError


@dataclass(frozen=True, slots=True)
class GeneralBlockTransfer:
    """general-block-transfer (E0, Green Book §9.3.14): block control, numbers, one block of an APDU."""

    last_block: bool
    block_number: int
    block_number_ack: int
    block_data: bytes
    streaming: bool = False
    window: int = 1

    def encode(self) -> bytes:
        if not 0 <= self.window <= 63:
            raise EncodeError("GBT window is 6 bits")
        control = (0x80 if self.last_block else 0) | (0x40 if self.streaming else 0) | self.window
        try:
            head = struct.pack(">BBHH", Tag.GENERAL_BLOCK_TRANSFER, control, self.block_number, self.block_number_ack)
        except struct.error as exc:
            raise EncodeError("GBT block numbers are 16 bits") from exc
        return head + _encode_octets(self.block_data)


def _decode_gbt(buf: bytes) -> GeneralBlockTransfer:
    control, pos = _u8(buf, 1)
    number, pos = _u16(buf, pos)
    ack, pos = _u16(buf, pos)
    data, pos = _octets(buf, pos)
    _end(buf, pos, "general-block-transfer")
    return GeneralBlockTransfer(bool(control & 0x80), number, ack, data, bool(control & 0x40), control & 0x3F)
