"""IEC 62056-46 HDLC frames (frame format type 3, clause 6.4): check sequence, addresses, encoding, decoding.

* :func:`crc16_x25` — the frame check sequence of clause 6.4.6 (HCS and FCS): CRC-16/X.25, reflected
  polynomial 0x1021 (0x8408), initial value 0xFFFF, final XOR 0xFFFF, sent least significant byte first.
* :class:`HdlcAddress` — clause 6.4.2.2: client address one byte, server address one, two or four bytes
  (upper HDLC address = logical device, lower = physical device); every byte carries seven address bits
  shifted left by one, and the low bit (extension bit) is 1 only on the last byte.
* :class:`HdlcFrame`, :func:`encode_frame`, :func:`decode_frame` — clause 6.4: ``7E | format | destination |
  source | control | [HCS | information] | FCS | 7E``. Format field (clause 6.4.1) = frame type 3
  (``0xA000``), segmentation bit ``0x0800``, 11-bit frame length = bytes between the flags. The HCS (clause
  6.4.5) is present only when there is an information field. IEC 62056-46 uses **no byte stuffing**: the
  length delimits the frame and ``7E`` may occur inside the information field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from meterhub.dlms.errors import DecodeError, EncodeError
from meterhub.dlms.sansio import MachineEnum

FLAG: Final = 0x7E
"""Opening/closing flag (IEC 62056-46 clause 6.4.1)."""


FORMAT_TYPE_3: Final = 0xA000
"""Format field bits 15..12 = 1010: frame format type 3 (clause 6.4.1)."""


SEGMENTATION_BIT: Final = 0x0800
"""Format field bit 11 (S): set on every segment of a segmented information field but the last."""


MAX_FRAME_LENGTH: Final = 0x07FF
"""The frame length sub-field has 11 bits: at most 2047 bytes between the flags."""


MAX_INFO_LENGTH: Final = 2030
"""Largest information field we negotiate or send. With the biggest header (four-byte addresses on both
sides) a frame carries 2 + 4 + 4 + 1 + 2 (HCS) + 2 (FCS) = 15 bytes of overhead, so 2032 would still fit the
11-bit length; we keep two bytes of margin. Larger proposals are lowered to this in :func:`negotiate`."""


DEFAULT_MAX_INFO: Final = 128
"""Clause 6.4.4.4.3.2: default maximum information field length, transmit and receive."""


DEFAULT_WINDOW: Final = 1
"""Clause 6.4.4.4.3.2: default window size, transmit and receive."""


LLC_REQUEST: Final = b"\xe6\xe6\x00"
"""LLC header (destination LSAP E6, source LSAP E6, quality 00) on the first segment client→server."""


LLC_RESPONSE: Final = b"\xe6\xe7\x00"
"""LLC header (destination LSAP E6, source LSAP E7 = response, quality 00), first segment server→client."""


def _make_crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC_TABLE: Final = _make_crc_table()


def crc16_x25(data: bytes | bytearray | memoryview) -> int:
    """CRC-16/X.25 of ``data`` (IEC 62056-46 clause 6.4.6, as in ISO/IEC 13239): table-driven, reflected
    0x1021, init 0xFFFF, xor-out 0xFFFF. The check sequences go on the wire least significant byte first.

    >>> hex(crc16_x25(b"123456789"))
    '0x906e'
    """
    crc = 0xFFFF
    table = _CRC_TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc ^ 0xFFFF


@dataclass(frozen=True, slots=True)
class HdlcAddress:
    """An HDLC address (IEC 62056-46 clause 6.4.2.2).

    ``upper`` is the client SAP (client address, one byte) or the server's upper HDLC address = logical
    device.
    ``lower`` is the server's lower HDLC address = physical device, or ``None`` for a one-byte address.
    ``size`` is the number of bytes on the wire: 1 (7-bit upper only), 2 (7-bit upper and lower) or 4 (14-bit
    upper and lower); 0 (the default) picks the smallest that fits.

    >>> HdlcAddress.server(1, 17).encode().hex()
    '0223'
    >>> HdlcAddress.client(16).encode().hex()
    '21'
    """

    upper: int
    lower: int | None = None
    size: int = 0

    def __post_init__(self) -> None:
        size = self.size
        if size == 0:
            if self.lower is None:
                size = 1
            elif self.upper <= 0x7F and self.lower <= 0x7F:
                size = 2
            else:
                size = 4
            object.__setattr__(self, "size", size)
        if size == 1:
            if self.lower is not None:
                raise EncodeError("a one-byte HDLC address has no lower part")
            limit = 0x7F
        elif size in (2, 4):
            if self.lower is None:
                raise EncodeError(f"a {size}-byte HDLC address needs a lower (physical) part")
            limit = 0x7F if size == 2 else 0x3FFF
        else:
            raise EncodeError(f"HDLC address size must be 1, 2 or 4 bytes, not {size}")
        if not 0 <= self.upper <= limit or (self.lower is not None and not 0 <= self.lower <= limit):
            raise EncodeError(f"HDLC address {self.upper}/{self.lower} does not fit {size} byte(s)")

    @classmethod
    def client(cls, sap: int) -> HdlcAddress:
        """A client address: one byte (clause 6.4.2.2), e.g. 16 = public client, 1 = management client."""
        return cls(sap, None, 1)

    @classmethod
    def server(cls, logical: int, physical: int | None = None, size: int = 0) -> HdlcAddress:
        """A server address from logical device (upper) and physical device (lower) address."""
        return cls(logical, physical, size)

    def encode(self) -> bytes:
        """The address on the wire (see :func:`encode_address`)."""
        return encode_address(self)

    def same_station(self, other: HdlcAddress) -> bool:
        """Equal upper and lower address, whatever the number of bytes used to send them."""
        return self.upper == other.upper and self.lower == other.lower


def encode_address(address: HdlcAddress) -> bytes:
    """Encode per clause 6.4.2.2: seven bits per byte, shifted left one, extension bit 1 on the last byte."""
    if address.size == 1:
        groups = [address.upper]
    elif address.size == 2:
        assert address.lower is not None  # guaranteed by HdlcAddress.__post_init__
        groups = [address.upper, address.lower]
    else:
        assert address.lower is not None
        groups = [address.upper >> 7, address.upper & 0x7F, address.lower >> 7, address.lower & 0x7F]
    out = bytearray((g << 1) & 0xFE for g in groups)
    out[-1] |= 0x01
    return bytes(out)


def _address_length(data: bytes | bytearray, offset: int, end: int) -> int | None:
    """Bytes taken by the address at ``offset`` (1, 2 or 4); None if more data is needed; raise if invalid."""
    for i in range(4):
        if offset + i >= end:
            return None
        if data[offset + i] & 0x01:
            length = i + 1
            if length == 3:
                raise DecodeError("HDLC address of 3 bytes (must be 1, 2 or 4)")
            return length
    raise DecodeError("HDLC address longer than 4 bytes (no extension bit)")


def decode_address(data: bytes | bytearray, offset: int = 0) -> tuple[HdlcAddress, int]:
    """Decode the address at ``data[offset:]`` (clause 6.4.2.2); return it and the number of bytes it took.

    Raises :class:`DecodeError` if the address is truncated or not 1, 2 or 4 bytes long.
    """
    length = _address_length(data, offset, len(data))
    if length is None:
        raise DecodeError("HDLC address truncated")
    groups = [b >> 1 for b in data[offset : offset + length]]
    if length == 1:
        return HdlcAddress(groups[0], None, 1), 1
    if length == 2:
        return HdlcAddress(groups[0], groups[1], 2), 2
    return HdlcAddress((groups[0] << 7) | groups[1], (groups[2] << 7) | groups[3], 4), 4


class FrameKind(MachineEnum):
    """Control field commands and responses of IEC 62056-46 clause 6.4.3."""

    I = "I"  # noqa: E741 - the standard's name for an information frame
    RR = "RR"
    RNR = "RNR"
    SNRM = "SNRM"
    UA = "UA"
    DISC = "DISC"
    DM = "DM"
    FRMR = "FRMR"
    UI = "UI"


# Supervisory frames: bits 1..0 = 01, bits 3..2 = function, bit 4 = P/F, bits 7..5 = N(R).
_S_CODES: Final = {FrameKind.RR: 0x01, FrameKind.RNR: 0x05}


# Unnumbered frames: bits 1..0 = 11, bit 4 = P/F, rest = function.
_U_CODES: Final = {
    FrameKind.SNRM: 0x83,
    FrameKind.DISC: 0x43,
    FrameKind.UA: 0x63,
    FrameKind.DM: 0x0F,
    FrameKind.FRMR: 0x87,
    FrameKind.UI: 0x03,
}


_S_KINDS: Final = {code: kind for kind, code in _S_CODES.items()}


_U_KINDS: Final = {code: kind for kind, code in _U_CODES.items()}


# Frames that never carry an information field (clause 6.4.3).
_NO_INFO: Final = frozenset({FrameKind.RR, FrameKind.RNR, FrameKind.DISC})


_PF_BIT: Final = 0x10


@dataclass(frozen=True, slots=True)
class HdlcFrame:
    """One HDLC frame of format type 3 (IEC 62056-46 clause 6.4).

    ``send_seq`` is N(S) (I-frames only), ``recv_seq`` N(R) (I, RR, RNR), both modulo 8; they are 0 for the
    kinds that have none. ``poll_final`` is the P/F bit, ``segmented`` the format field's S bit. ``info`` is
    the information field (empty = none; RR, RNR and DISC never have one).
    """

    destination: HdlcAddress
    source: HdlcAddress
    kind: FrameKind
    send_seq: int = 0
    recv_seq: int = 0
    poll_final: bool = True
    segmented: bool = False
    info: bytes = b""

    @property
    def control(self) -> int:
        """The control field byte (clause 6.4.3)."""
        pf = _PF_BIT if self.poll_final else 0
        if self.kind is FrameKind.I:
            return ((self.recv_seq & 7) << 5) | pf | ((self.send_seq & 7) << 1)
        if self.kind in _S_CODES:
            return ((self.recv_seq & 7) << 5) | pf | _S_CODES[self.kind]
        return _U_CODES[self.kind] | pf

    def encode(self) -> bytes:
        """The frame on the wire, flags included (see :func:`encode_frame`)."""
        return encode_frame(self)


def encode_frame(frame: HdlcFrame) -> bytes:
    """Encode ``frame`` with flags, format field, HCS (if there is information) and FCS (clause 6.4).

    Raises :class:`EncodeError` for sequence numbers out of 0..7 (or set on a kind without them), information
    on RR/RNR/DISC, or a frame longer than the 11-bit length allows.
    """
    kind = frame.kind
    if not 0 <= frame.send_seq <= 7 or not 0 <= frame.recv_seq <= 7:
        raise EncodeError("N(S) and N(R) are counted modulo 8")
    if frame.send_seq and kind is not FrameKind.I:
        raise EncodeError(f"{kind.value} frames have no N(S)")
    if frame.recv_seq and kind not in (FrameKind.I, FrameKind.RR, FrameKind.RNR):
        raise EncodeError(f"{kind.value} frames have no N(R)")
    if frame.info and kind in _NO_INFO:
        raise EncodeError(f"{kind.value} frames carry no information field")
    header_body = encode_address(frame.destination) + encode_address(frame.source) + bytes((frame.control,))
    length = 2 + len(header_body) + 2
    if frame.info:
        length += 2 + len(frame.info)
    if length > MAX_FRAME_LENGTH:
        raise EncodeError(f"HDLC frame of {length} bytes exceeds the 11-bit length field")
    fmt = FORMAT_TYPE_3 | (SEGMENTATION_BIT if frame.segmented else 0) | length
    out = bytearray(fmt.to_bytes(2, "big"))
    out += header_body
    if frame.info:
        out += crc16_x25(out).to_bytes(2, "little")
        out += frame.info
    out += crc16_x25(out).to_bytes(2, "little")
    return bytes((FLAG,)) + bytes(out) + bytes((FLAG,))


def _decode_control(control: int) -> tuple[FrameKind, int, int]:
    """(kind, N(S), N(R)) of a control byte; DecodeError for functions IEC 62056-46 does not use."""
    if control & 0x01 == 0:
        return FrameKind.I, (control >> 1) & 7, control >> 5
    if control & 0x03 == 0x01:
        kind = _S_KINDS.get(control & 0x0F)
        if kind is None:
            raise DecodeError(f"supervisory function {control & 0x0F:#04x} not used by IEC 62056-46")
        return kind, 0, control >> 5
    kind = _U_KINDS.get(control & ~_PF_BIT & 0xFF)
    if kind is None:
        raise DecodeError(f"unnumbered function {control:#04x} not used by IEC 62056-46")
    return kind, 0, 0


def _header_length(data: bytes | bytearray, start: int, end: int) -> int | None:
    """Bytes of format + addresses + control from ``data[start]`` (the format field); None if more needed."""
    dest_len = _address_length(data, start + 2, end)
    if dest_len is None:
        return None
    src_len = _address_length(data, start + 2 + dest_len, end)
    if src_len is None:
        return None
    return 2 + dest_len + src_len + 1


def _decode_body(body: bytes | bytearray) -> HdlcFrame:
    """Decode the bytes between the flags, checks included."""
    if len(body) < 7:
        raise DecodeError(f"HDLC frame of {len(body)} bytes is shorter than the minimum of 7")
    fmt = int.from_bytes(body[0:2], "big")
    if fmt & 0xF000 != FORMAT_TYPE_3:
        raise DecodeError(f"format field {fmt:#06x} is not frame format type 3")
    if fmt & MAX_FRAME_LENGTH != len(body):
        raise DecodeError(f"format field length {fmt & MAX_FRAME_LENGTH} but {len(body)} bytes between flags")
    header_len = _header_length(body, 0, len(body))
    if header_len is None or header_len + 2 > len(body):
        raise DecodeError("HDLC frame truncated inside its header")
    if len(body) != header_len + 2:
        if len(body) < header_len + 5:
            raise DecodeError("HDLC frame has an HCS but no information field")
        if crc16_x25(body[:header_len]) != int.from_bytes(body[header_len : header_len + 2], "little"):
            raise DecodeError("HDLC header check sequence (HCS) mismatch")
        info = bytes(body[header_len + 2 : -2])
    else:
        info = b""
    if crc16_x25(body[:-2]) != int.from_bytes(body[-2:], "little"):
        raise DecodeError("HDLC frame check sequence (FCS) mismatch")
    destination, dest_len = decode_address(body, 2)
    source, _ = decode_address(body, 2 + dest_len)
    kind, ns, nr = _decode_control(body[header_len - 1])
    if info and kind in _NO_INFO:
        raise DecodeError(f"{kind.value} frame with an information field")
    return HdlcFrame(
        destination=destination,
        source=source,
        kind=kind,
        send_seq=ns,
        recv_seq=nr,
        poll_final=bool(body[header_len - 1] & _PF_BIT),
        segmented=bool(fmt & SEGMENTATION_BIT),
        info=info,
    )


def decode_frame(data: bytes) -> HdlcFrame:
    """Decode exactly one frame, opening and closing flag included.

    Raises :class:`DecodeError` for a missing flag, a wrong format type or length, a bad address, a HCS or FCS
    mismatch, or a control field IEC 62056-46 does not define.
    """
    if len(data) < 9 or data[0] != FLAG or data[-1] != FLAG:
        raise DecodeError("an HDLC frame starts and ends with the flag 7E and has at least 7 bytes between")
    return _decode_body(data[1:-1])
