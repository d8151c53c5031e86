"""IEC 62056-46 HDLC data link layer (frame format type 3), sans-io.

What is here, by layer:

* :func:`crc16_x25` — the frame check sequence of IEC 62056-46 clause 6.4.6 (HCS and FCS): CRC-16/X.25,
  reflected polynomial 0x1021 (0x8408), initial value 0xFFFF, final XOR 0xFFFF, sent least significant byte
  first.
* :class:`HdlcAddress` — clause 6.4.2.2: client address one byte, server address one, two or four bytes
  (upper HDLC address = logical device, lower = physical device); every byte carries seven address bits
  shifted left by one, and the low bit (extension bit) is 1 only on the last byte.
* :class:`HdlcFrame`, :func:`encode_frame`, :func:`decode_frame` — clause 6.4: ``7E | format | destination |
  source | control | [HCS | information] | FCS | 7E``. Format field (clause 6.4.1) = frame type 3
  (``0xA000``), segmentation bit ``0x0800``, 11-bit frame length = bytes between the flags. The HCS (clause
  6.4.5) is present only when there is an information field. IEC 62056-46 uses **no byte stuffing**: the
  length delimits the frame and ``7E`` may occur inside the information field.
* :class:`HdlcFrameDecoder` — a byte-stream decoder that resynchronises on the next flag after garbage.
* :class:`HdlcParameters` — the SNRM/UA information field of clause 6.4.4.4.3.2 (format identifier ``81``,
  group ``80``, parameters ``05``..``08``).
* :class:`HdlcClientLink`, :class:`HdlcServerLink` — the connection-mode procedures of clause 6.4.4
  (normal response mode, window 1) with the LLC header of clause 8 (IEC 62056-46 amendment 1 / Green Book:
  ``E6 E6 00`` client→server, ``E6 E7 00`` server→client) and segmentation of long APDUs (clause 6.4.4.3.4).

Sans-io: bytes in, events and bytes out. Nothing here opens a port, reads a clock or keeps global state;
response timeouts and retransmission timers belong to the caller (who has the clock).
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass
from typing import Final, TypeAlias

from meterhub.dlms.errors import DecodeError, EncodeError, ProtocolError

__all__ = [
    "DEFAULT_MAX_INFO",
    "DEFAULT_WINDOW",
    "FLAG",
    "LLC_REQUEST",
    "LLC_RESPONSE",
    "MAX_FRAME_LENGTH",
    "MAX_INFO_LENGTH",
    "ApduReceived",
    "Connected",
    "Disconnected",
    "FrameKind",
    "HdlcAddress",
    "HdlcClientLink",
    "HdlcEvent",
    "HdlcFrame",
    "HdlcFrameDecoder",
    "HdlcParameters",
    "HdlcServerLink",
    "LinkState",
    "crc16_x25",
    "decode_address",
    "decode_frame",
    "encode_address",
    "encode_frame",
    "negotiate",
]

# ---- constants

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

# ---- CRC


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


# ---- address


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


# ---- frames


class FrameKind(enum.Enum):
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


class HdlcFrameDecoder:
    """Split a byte stream into HDLC frames (IEC 62056-46 clause 6.4), resynchronising after garbage.

    There is no byte stuffing: a frame is the flag, the 11-bit length from the format field worth of bytes,
    and a closing flag. A closing flag may double as the next frame's opening flag, and runs of flags are
    inter-frame fill. Anything that is not a valid frame — bytes before a flag, a wrong format type, an
    impossible length or address, a HCS or FCS mismatch, a missing closing flag, an undefined control field —
    is **discarded**, as HDLC receivers do with damaged frames (the sender's timeout recovers), and counted:
    ``discarded_bytes`` (every dropped byte), ``rejected_frames`` (candidates that failed a check) and
    ``last_error``. The decoder then looks for the next ``7E``; the header is checked (HCS) as soon as it is
    in, so a false start is usually dropped after a handful of bytes instead of after its claimed length.
    :meth:`feed` never raises.

    Buffer cap: a frame is at most 2047 bytes between flags (11-bit length), and ``feed`` consumes every
    complete candidate before returning, so what stays buffered is always less than one maximal frame plus its
    flags (2049 bytes). A peer cannot make the decoder hold more, whatever it sends.
    """

    MAX_BUFFERED: Final = MAX_FRAME_LENGTH + 2

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._shared_flag = False  # the flag at buffer[0] closed the previous good frame
        self.discarded_bytes = 0
        self.rejected_frames = 0
        self.last_error: DecodeError | None = None

    @property
    def buffered(self) -> int:
        """Bytes held for an incomplete frame (always <= :attr:`MAX_BUFFERED`)."""
        return len(self._buffer)

    def _reject(self, error: DecodeError) -> None:
        self.rejected_frames += 1
        self.last_error = error

    def feed(self, data: bytes) -> list[HdlcFrame]:
        """Add received bytes; return the frames they complete, in order."""
        buf = self._buffer
        buf += data
        frames: list[HdlcFrame] = []
        pos = 0
        while True:
            flag = buf.find(FLAG, pos)
            if flag < 0:
                self.discarded_bytes += len(buf) - pos
                pos = len(buf)
                self._shared_flag = False
                break
            if flag > pos:
                self.discarded_bytes += flag - pos
                self._shared_flag = False
                pos = flag
            if len(buf) - pos < 2:
                break
            if buf[pos + 1] == FLAG:  # inter-frame fill, or a closing flag followed by an opening one
                pos += 1
                self._shared_flag = False
                continue
            status = self._candidate(buf, pos)
            if status is None:
                break
            if isinstance(status, HdlcFrame):
                frames.append(status)
                pos += 1 + (int.from_bytes(buf[pos + 1 : pos + 3], "big") & MAX_FRAME_LENGTH)
                self._shared_flag = True  # the closing flag stays: it may open the next frame
                continue
            self._reject(status)
            if not self._shared_flag:
                self.discarded_bytes += 1
            self._shared_flag = False
            pos += 1
        del buf[:pos]
        return frames

    def _candidate(self, buf: bytearray, pos: int) -> HdlcFrame | DecodeError | None:
        """Check the frame whose flag is at ``pos``: the frame, the reason to reject it, or None = wait."""
        end = len(buf)
        if end - pos < 3:
            return None
        fmt = int.from_bytes(buf[pos + 1 : pos + 3], "big")
        if fmt & 0xF000 != FORMAT_TYPE_3:
            return DecodeError(f"format field {fmt:#06x} is not frame format type 3")
        length = fmt & MAX_FRAME_LENGTH
        if length < 7:
            return DecodeError(f"frame length {length} below the minimum of 7")
        frame_end = pos + 1 + length  # index of the closing flag
        try:
            header_len = _header_length(buf, pos + 1, min(end, frame_end))
        except DecodeError as exc:
            return exc
        if header_len is None:
            return None if end < frame_end else DecodeError("frame length ends inside the header")
        if length < header_len + 2 or header_len + 2 < length < header_len + 5:
            return DecodeError(f"frame length {length} impossible for a {header_len}-byte header")
        hcs_end = pos + 1 + header_len + 2
        if length > header_len + 2 and end >= hcs_end:
            hcs = int.from_bytes(buf[hcs_end - 2 : hcs_end], "little")
            if crc16_x25(buf[pos + 1 : hcs_end - 2]) != hcs:
                return DecodeError("HDLC header check sequence (HCS) mismatch")
        if end <= frame_end:
            return None
        if buf[frame_end] != FLAG:
            return DecodeError("no closing flag where the frame length ends")
        try:
            return _decode_body(buf[pos + 1 : frame_end])
        except DecodeError as exc:
            return exc


# ---- parameters

_PARAM_FORMAT: Final = 0x81
_PARAM_GROUP: Final = 0x80
_P_MAX_INFO_TX: Final = 0x05
_P_MAX_INFO_RX: Final = 0x06
_P_WINDOW_TX: Final = 0x07
_P_WINDOW_RX: Final = 0x08


@dataclass(frozen=True, slots=True)
class HdlcParameters:
    """HDLC parameter negotiation (IEC 62056-46 clause 6.4.4.4.3.2), from the point of view of one station.

    ``max_info_tx``/``max_info_rx`` are the maximum information field lengths this station sends/receives,
    ``window_tx``/``window_rx`` its window sizes. In an SNRM the client states its view; the UA answers with
    the server's own view, so the UA's ``max_info_tx`` is what the client will receive (see
    :func:`negotiate`).

    Wire format (information field of SNRM/UA): format identifier ``81``, group identifier ``80``, group
    length, then ``id len value`` for ``05`` max info tx, ``06`` max info rx, ``07`` window tx, ``08`` window
    rx; values are unsigned big-endian of 1, 2 or 4 bytes. An omitted parameter (or an empty information
    field) means the default: 128 bytes, window 1.
    """

    max_info_tx: int = DEFAULT_MAX_INFO
    max_info_rx: int = DEFAULT_MAX_INFO
    window_tx: int = DEFAULT_WINDOW
    window_rx: int = DEFAULT_WINDOW

    def __post_init__(self) -> None:
        for value in (self.max_info_tx, self.max_info_rx):
            if not 1 <= value <= 0xFFFFFFFF:
                raise EncodeError(f"maximum information field length {value} out of range")
        for value in (self.window_tx, self.window_rx):
            if not 1 <= value <= 7:
                raise EncodeError(f"window size {value} out of 1..7")

    @property
    def is_default(self) -> bool:
        """All four parameters at their defaults (128, 128, 1, 1)."""
        return self == HdlcParameters()

    def peer_view(self) -> HdlcParameters:
        """The same limits as the other station sees them (transmit and receive swapped)."""
        return HdlcParameters(self.max_info_rx, self.max_info_tx, self.window_rx, self.window_tx)

    def encode(self, *, omit_defaults: bool = False) -> bytes:
        """The SNRM/UA information field. Maximum information lengths take 1 byte if they fit, else 2 (else
        4); window sizes always 4 bytes. With ``omit_defaults`` parameters at their default are left out, and
        if all are, the result is empty (no information field), as a client's SNRM does."""
        group = bytearray()
        for pid, value, default, is_window in (
            (_P_MAX_INFO_TX, self.max_info_tx, DEFAULT_MAX_INFO, False),
            (_P_MAX_INFO_RX, self.max_info_rx, DEFAULT_MAX_INFO, False),
            (_P_WINDOW_TX, self.window_tx, DEFAULT_WINDOW, True),
            (_P_WINDOW_RX, self.window_rx, DEFAULT_WINDOW, True),
        ):
            if omit_defaults and value == default:
                continue
            width = 4 if is_window or value > 0xFFFF else (1 if value <= 0xFF else 2)
            group += bytes((pid, width)) + value.to_bytes(width, "big")
        if not group:
            return b""
        return bytes((_PARAM_FORMAT, _PARAM_GROUP, len(group))) + bytes(group)

    @classmethod
    def decode(cls, data: bytes) -> HdlcParameters:
        """Parse an SNRM/UA information field; empty means all defaults.

        Raises :class:`DecodeError` for a wrong format or group identifier, a group length that does not
        match, a truncated parameter, a value length other than 1, 2 or 4, a repeated parameter, a zero
        maximum information length or a window outside 1..7. Unknown parameter identifiers are skipped.
        """
        if not data:
            return cls()
        if len(data) < 3:
            raise DecodeError("HDLC parameter field truncated")
        if data[0] != _PARAM_FORMAT or data[1] != _PARAM_GROUP:
            raise DecodeError(f"HDLC parameters: format/group {data[0]:02x}{data[1]:02x}, expected 8180")
        if data[2] != len(data) - 3:
            raise DecodeError(f"HDLC parameter group length {data[2]}, {len(data) - 3} bytes follow")
        values: dict[int, int] = {}
        pos = 3
        while pos < len(data):
            if pos + 2 > len(data):
                raise DecodeError("HDLC parameter truncated")
            pid, width = data[pos], data[pos + 1]
            if width not in (1, 2, 4):
                raise DecodeError(f"HDLC parameter {pid:#04x} has a {width}-byte value (1, 2 or 4 allowed)")
            if pos + 2 + width > len(data):
                raise DecodeError(f"HDLC parameter {pid:#04x} truncated")
            value = int.from_bytes(data[pos + 2 : pos + 2 + width], "big")
            pos += 2 + width
            if pid not in (_P_MAX_INFO_TX, _P_MAX_INFO_RX, _P_WINDOW_TX, _P_WINDOW_RX):
                continue
            if pid in values:
                raise DecodeError(f"HDLC parameter {pid:#04x} repeated")
            if pid in (_P_WINDOW_TX, _P_WINDOW_RX):
                if not 1 <= value <= 7:
                    raise DecodeError(f"HDLC window size {value} out of 1..7")
            elif value == 0:
                raise DecodeError("HDLC maximum information field length 0")
            values[pid] = value
        return cls(
            values.get(_P_MAX_INFO_TX, DEFAULT_MAX_INFO),
            values.get(_P_MAX_INFO_RX, DEFAULT_MAX_INFO),
            values.get(_P_WINDOW_TX, DEFAULT_WINDOW),
            values.get(_P_WINDOW_RX, DEFAULT_WINDOW),
        )


def negotiate(proposal: HdlcParameters, limits: HdlcParameters) -> HdlcParameters:
    """Agree on the parameters, returned from the point of view of the station owning ``limits``.

    ``proposal`` is the other station's view (as sent in its SNRM or UA), ``limits`` our own capabilities.
    Each direction gets the smaller of what the sender may send and the receiver can take (IEC 62056-46 clause
    6.4.4.4.3.2: the responder may only lower the proposed values); information lengths are also capped at
    :data:`MAX_INFO_LENGTH` so that every frame fits the 11-bit length. A server answers an SNRM with
    ``negotiate(snrm_params, server_limits)`` in its UA; the client then takes
    ``negotiate(ua_params, client_proposal)`` as its view — the same function both ways.
    """
    return HdlcParameters(
        max_info_tx=min(proposal.max_info_rx, limits.max_info_tx, MAX_INFO_LENGTH),
        max_info_rx=min(proposal.max_info_tx, limits.max_info_rx, MAX_INFO_LENGTH),
        window_tx=min(proposal.window_rx, limits.window_tx),
        window_rx=min(proposal.window_tx, limits.window_rx),
    )


# ---- events


@dataclass(frozen=True, slots=True)
class Connected:
    """The link is up (UA to our SNRM, or an SNRM we accepted); ``params`` = our view of the negotiated
    limits."""

    params: HdlcParameters


@dataclass(frozen=True, slots=True)
class ApduReceived:
    """A complete APDU arrived: segments reassembled, LLC header removed."""

    apdu: bytes


@dataclass(frozen=True, slots=True)
class Disconnected:
    """The link is down: ``reason`` is the frame that ended it (``"UA"`` to our DISC, ``"DM"``,
    ``"DISC"``)."""

    reason: str


HdlcEvent: TypeAlias = Connected | ApduReceived | Disconnected


class LinkState(enum.Enum):
    """Connection state of a link object (IEC 62056-46 clause 6.4.4: NDM, NRM, and the two transitions)."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTING = "disconnecting"


# ---- links

MAX_MESSAGE_DEFAULT: Final = 0xFFFF + len(LLC_REQUEST)
"""Reassembly cap: a DLMS max-receive-pdu-size is a uint16, plus the three-byte LLC header."""


class _HdlcLink:
    """Data transfer shared by both ends (IEC 62056-46 clause 6.4.4.3, normal response mode, **window 1**).

    Window 1 is all DLMS needs and all this implementation does: every frame is sent with P/F = 1, handing the
    turn to the peer, and an I-frame must be acknowledged (N(R) of the peer's next I, RR or RNR) before the
    next one is sent. Segments of a long APDU (format S bit) are each answered with RR by the receiver.

    Outgoing bytes: h11-style, everything this object wants sent — including automatic answers produced while
    handling received frames (RR between segments, UA, DM, queued segments) — goes into one buffer that
    :meth:`data_to_send` drains. The action methods (``connect``, ``send_apdu``, ``disconnect``, ``poll``)
    return ``data_to_send()`` for convenience; after :meth:`receive_data`, call :meth:`data_to_send`.

    Sequence errors: an I-frame whose N(S) is not our V(R), or any I/RR/RNR whose N(R) does not acknowledge
    all our I-frames (window 1, so N(R) must equal our V(S)), raises :class:`ProtocolError`; so do I/RR/RNR
    frames without the P/F bit (a window larger than 1). We do not keep frames for retransmission and send no
    REJ: the caller, who owns the clock and the response timeout, disconnects and reconnects. A frame is
    checked before any state changes, so after a :class:`ProtocolError` the link is as it was; frames after
    the offending one in the same :meth:`receive_data` call are dropped.
    """

    _rx_llc: bytes
    _tx_llc: bytes

    def __init__(self, local: HdlcAddress, max_message: int) -> None:
        if max_message < len(LLC_REQUEST):
            raise EncodeError("max_message must leave room for the LLC header")
        self.local: Final = local
        self.max_message: Final = max_message
        self.state = LinkState.DISCONNECTED
        self.params = HdlcParameters()
        self.frames_ignored = 0
        self._peer: HdlcAddress | None = None
        self._decoder = HdlcFrameDecoder()
        self._out = bytearray()
        self._vs = 0
        self._vr = 0
        self._may_send = False  # we hold the poll/final turn
        self._unacked = False  # we sent an I-frame not yet acknowledged
        self._tx_mid_message = False  # the last I-frame we sent had the S bit
        self._tx: deque[tuple[bytes, bool]] = deque()
        self._rx = bytearray()

    # ---- public

    @property
    def discarded_bytes(self) -> int:
        """Bytes the frame decoder dropped as garbage or damaged frames."""
        return self._decoder.discarded_bytes

    @property
    def rejected_frames(self) -> int:
        """Damaged or invalid frames the frame decoder dropped."""
        return self._decoder.rejected_frames

    @property
    def busy(self) -> bool:
        """An APDU is in transfer: ours has segments queued or unacknowledged, or the peer's is incomplete.

        (The last frame of a message stays unacknowledged until the peer's next frame; that is not busy.)
        """
        return bool(self._tx) or self._tx_mid_message or bool(self._rx)

    def data_to_send(self) -> bytes:
        """Drain and return everything queued for the peer."""
        out = bytes(self._out)
        self._out.clear()
        return out

    def receive_data(self, data: bytes) -> list[HdlcEvent]:
        """Feed received bytes; return the events they cause. Then send :meth:`data_to_send`.

        Raises :class:`DecodeError` or :class:`ProtocolError` for peer frames we cannot accept (see class
        doc); damaged frames and frames for other stations are dropped and counted, not raised.
        """
        events: list[HdlcEvent] = []
        for frame in self._decoder.feed(data):
            self._handle(frame, events)
        return events

    def send_apdu(self, apdu: bytes) -> bytes:
        """Queue ``apdu`` (LLC header prepended, cut into ``params.max_info_tx`` segments) and return what can
        be sent now. Later segments go out as the peer's RR arrive (via :meth:`data_to_send`)."""
        if self.state is not LinkState.CONNECTED:
            raise ProtocolError(f"send_apdu while {self.state.value}")
        message = self._tx_llc + bytes(apdu)
        size = self.params.max_info_tx
        chunks = [message[i : i + size] for i in range(0, len(message), size)]
        for index, chunk in enumerate(chunks):
            self._tx.append((chunk, index < len(chunks) - 1))
        self._pump()
        return self.data_to_send()

    # ---- internals

    def _handle(self, frame: HdlcFrame, events: list[HdlcEvent]) -> None:
        raise NotImplementedError

    def _send(self, frame: HdlcFrame) -> None:
        self._out += encode_frame(frame)
        if frame.poll_final:
            self._may_send = False

    def _frame(
        self,
        kind: FrameKind,
        *,
        send_seq: int = 0,
        recv_seq: int = 0,
        segmented: bool = False,
        info: bytes = b"",
    ) -> HdlcFrame:
        # the peer is known before any frame is sent: fixed (client) or taken from the SNRM/DISC (server)
        assert self._peer is not None
        return HdlcFrame(self._peer, self.local, kind, send_seq, recv_seq, True, segmented, info)

    def _reset(self) -> None:
        self._vs = self._vr = 0
        self._unacked = False
        self._tx_mid_message = False
        self._tx.clear()
        self._rx.clear()

    def _pump(self) -> None:
        """Send the next queued segment if it is our turn and the previous I-frame is acknowledged."""
        if (
            self.state is not LinkState.CONNECTED
            or not self._may_send
            or self._unacked
            or self._rx  # the peer is sending a segmented APDU: we only answer RR until its last segment
            or not self._tx
        ):
            return
        info, segmented = self._tx.popleft()
        self._send(self._frame(FrameKind.I, send_seq=self._vs, recv_seq=self._vr, segmented=segmented, info=info))
        self._vs = (self._vs + 1) % 8
        self._unacked = True
        self._tx_mid_message = segmented

    def _check_sequenced(self, frame: HdlcFrame) -> None:
        if not frame.poll_final:
            raise ProtocolError(f"{frame.kind.value} without P/F bit: only window 1 is supported")
        if frame.recv_seq != self._vs:
            raise ProtocolError(f"N(R)={frame.recv_seq} does not acknowledge our frames (V(S)={self._vs})")

    def _on_information(self, frame: HdlcFrame, events: list[HdlcEvent]) -> None:
        self._check_sequenced(frame)
        if frame.send_seq != self._vr:
            raise ProtocolError(f"I-frame N(S)={frame.send_seq}, expected {self._vr}")
        if self._tx_mid_message:
            raise ProtocolError("I-frame received while our segmented APDU is in transfer (expected RR)")
        if len(frame.info) > self.params.max_info_rx:
            raise ProtocolError(
                f"information field of {len(frame.info)} bytes exceeds the negotiated {self.params.max_info_rx}"
            )
        if len(self._rx) + len(frame.info) > self.max_message:
            raise ProtocolError(f"reassembled APDU exceeds {self.max_message} bytes")
        message = b""
        if not frame.segmented:
            message = bytes(self._rx) + frame.info
            if message[: len(self._rx_llc)] != self._rx_llc:
                raise DecodeError(f"LLC header {message[:3].hex()}, expected {self._rx_llc.hex()}")
        # checks passed: change state
        self._vr = (self._vr + 1) % 8
        self._unacked = False
        self._may_send = True
        if frame.segmented:
            self._rx += frame.info
            self._send(self._frame(FrameKind.RR, recv_seq=self._vr))
            return
        self._rx.clear()
        events.append(ApduReceived(message[len(self._rx_llc) :]))
        self._pump()

    def _on_supervisory(self, frame: HdlcFrame) -> bool:
        """RR/RNR while connected; return True if the turn is still ours afterwards (nothing was sent)."""
        self._check_sequenced(frame)
        self._unacked = False
        self._may_send = True
        if frame.kind is FrameKind.RR:
            self._pump()
        return self._may_send


class HdlcClientLink(_HdlcLink):
    """The client (primary station) end of an IEC 62056-46 HDLC link, sans-io, window 1.

    >>> link = HdlcClientLink(HdlcAddress.client(16), HdlcAddress.server(1, 17))
    >>> link.connect().hex()
    '7ea00802232193bd647e'

    ``connect()`` sends SNRM with ``proposal`` (parameters at their default are left out, so the default
    proposal sends an SNRM without information field); the UA yields ``Connected(params)`` with our view of
    the negotiated limits (:func:`negotiate` of the UA's parameters and our proposal). A DM instead yields
    ``Disconnected("DM")``. ``send_apdu`` prepends ``E6 E6 00`` and segments; answers come as
    ``ApduReceived``. ``disconnect()`` sends DISC; UA or DM yield ``Disconnected``. Frames whose destination
    is not our address or whose source is not the server, and frames that mean nothing in the current state (a
    stray UA, UI, a command), are ignored and counted in ``frames_ignored``; FRMR raises
    :class:`ProtocolError`.
    """

    _rx_llc = LLC_RESPONSE
    _tx_llc = LLC_REQUEST

    def __init__(
        self,
        client_address: HdlcAddress,
        server_address: HdlcAddress,
        proposal: HdlcParameters | None = None,
        *,
        max_message: int = MAX_MESSAGE_DEFAULT,
    ) -> None:
        super().__init__(client_address, max_message)
        proposal = proposal or HdlcParameters()
        if proposal.window_tx != 1 or proposal.window_rx != 1:
            raise EncodeError("HdlcClientLink implements window 1 only")
        self.proposal: Final = proposal
        self.server_address: Final = server_address
        self._peer = server_address

    def connect(self) -> bytes:
        """Send SNRM (clause 6.4.4.4.3.1); returns the bytes to send."""
        if self.state is not LinkState.DISCONNECTED:
            raise ProtocolError(f"connect while {self.state.value}")
        self._reset()
        self.state = LinkState.CONNECTING
        self._send(self._frame(FrameKind.SNRM, info=self.proposal.encode(omit_defaults=True)))
        return self.data_to_send()

    def disconnect(self) -> bytes:
        """Send DISC (clause 6.4.4.4.3.3); queued segments are dropped. Returns the bytes to send."""
        if self.state not in (LinkState.CONNECTED, LinkState.CONNECTING):
            raise ProtocolError(f"disconnect while {self.state.value}")
        self._reset()
        self.state = LinkState.DISCONNECTING
        self._send(self._frame(FrameKind.DISC))
        return self.data_to_send()

    def poll(self) -> bytes:
        """Send RR with the poll bit, asking the server for data it has not sent yet (e.g. after it answered a
        request with RR only). Allowed only when the turn is ours."""
        if self.state is not LinkState.CONNECTED or not self._may_send:
            raise ProtocolError("poll needs a connected link whose turn it is")
        self._send(self._frame(FrameKind.RR, recv_seq=self._vr))
        return self.data_to_send()

    def _handle(self, frame: HdlcFrame, events: list[HdlcEvent]) -> None:
        ours = frame.destination.same_station(self.local)
        if not (ours and frame.source.same_station(self.server_address)):
            self.frames_ignored += 1
            return
        kind = frame.kind
        if kind is FrameKind.FRMR and self.state is not LinkState.DISCONNECTED:
            raise ProtocolError(f"server rejected our frame (FRMR {frame.info.hex()})")
        if self.state is LinkState.CONNECTING and kind is FrameKind.UA:
            params = negotiate(HdlcParameters.decode(frame.info), self.proposal)
            self._reset()
            self.params = params
            self.state = LinkState.CONNECTED
            self._may_send = True
            events.append(Connected(params))
        elif self.state in (LinkState.CONNECTING, LinkState.CONNECTED) and kind is FrameKind.DM:
            self._end(events, "DM")
        elif self.state is LinkState.DISCONNECTING and kind in (FrameKind.UA, FrameKind.DM):
            self._end(events, kind.value)
        elif self.state is LinkState.CONNECTED and kind is FrameKind.I:
            self._on_information(frame, events)
        elif self.state is LinkState.CONNECTED and kind in (FrameKind.RR, FrameKind.RNR):
            self._on_supervisory(frame)
        else:
            self.frames_ignored += 1

    def _end(self, events: list[HdlcEvent], reason: str) -> None:
        self._reset()
        self.state = LinkState.DISCONNECTED
        self._may_send = False
        events.append(Disconnected(reason))


class HdlcServerLink(_HdlcLink):
    """The server (secondary station) end of an IEC 62056-46 HDLC link, sans-io, window 1.

    * SNRM (from any client, while disconnected; from the connected client, resetting the link) is answered
      with UA carrying the negotiated parameters (:func:`negotiate` of the SNRM's proposal and ``limits``), or
      with a UA without information field when they come out at the defaults; yields ``Connected(params)``.
    * DISC is answered with UA and yields ``Disconnected("DISC")`` when connected, with DM otherwise.
    * I, RR and RNR with the poll bit while disconnected are answered with DM (clause 6.4.4.4.3.3).
    * I-frames: segments are acknowledged with RR, the reassembled APDU (``E6 E6 00`` removed) yields
      ``ApduReceived``; answer it with :meth:`send_apdu`, which prepends ``E6 E7 00`` and sends the first
      segment, the rest following each RR of the client. A poll (RR) with nothing to send is answered with RR.
    * Frames for another server address, from another client while connected, and UI frames are ignored and
      counted in ``frames_ignored``; UA, DM and FRMR (responses, which a secondary never receives) raise
      :class:`ProtocolError`.
    """

    _rx_llc = LLC_REQUEST
    _tx_llc = LLC_RESPONSE

    def __init__(
        self,
        address: HdlcAddress,
        limits: HdlcParameters | None = None,
        *,
        max_message: int = MAX_MESSAGE_DEFAULT,
    ) -> None:
        super().__init__(address, max_message)
        limits = limits or HdlcParameters()
        if limits.window_tx != 1 or limits.window_rx != 1:
            raise EncodeError("HdlcServerLink implements window 1 only")
        self.limits: Final = limits

    @property
    def peer(self) -> HdlcAddress | None:
        """The client address of the current (or last) connection."""
        return self._peer

    def _handle(self, frame: HdlcFrame, events: list[HdlcEvent]) -> None:
        if not frame.destination.same_station(self.local):
            self.frames_ignored += 1
            return
        connected = self.state is LinkState.CONNECTED
        assert not connected or self._peer is not None
        if connected and self._peer is not None and not frame.source.same_station(self._peer):
            self.frames_ignored += 1
            return
        kind = frame.kind
        if kind is FrameKind.SNRM:
            params = negotiate(HdlcParameters.decode(frame.info), self.limits)
            self._reset()
            self._peer = frame.source
            self.params = params
            self.state = LinkState.CONNECTED
            self._send(self._frame(FrameKind.UA, info=b"" if params.is_default else params.encode()))
            events.append(Connected(params))
        elif kind is FrameKind.DISC:
            self._peer = frame.source
            if connected:
                self._reset()
                self.state = LinkState.DISCONNECTED
                self._send(self._frame(FrameKind.UA))
                events.append(Disconnected("DISC"))
            else:
                self._send(self._frame(FrameKind.DM))
        elif kind in (FrameKind.I, FrameKind.RR, FrameKind.RNR):
            if not connected:
                if frame.poll_final:
                    self._peer = frame.source
                    self._send(self._frame(FrameKind.DM))
                else:
                    self.frames_ignored += 1
            elif kind is FrameKind.I:
                self._on_information(frame, events)
            elif self._on_supervisory(frame):
                # a poll we have nothing for (or RNR): answer "receiver ready", handing the turn back
                self._send(self._frame(FrameKind.RR, recv_seq=self._vr))
        elif kind is FrameKind.UI:
            self.frames_ignored += 1
        else:
            raise ProtocolError(f"{kind.value} is a response; a server never receives one")
