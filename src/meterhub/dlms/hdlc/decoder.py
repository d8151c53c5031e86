"""The HDLC byte-stream decoder (IEC 62056-46 clause 6.4): frames out of any chunking, resynchronising after garbage."""

from __future__ import annotations

from typing import Final

from meterhub.dlms.errors import DecodeError, LocalProtocolError
from meterhub.dlms.hdlc.frame import (
    FLAG,
    FORMAT_TYPE_3,
    MAX_FRAME_LENGTH,
    HdlcFrame,
    _decode_body,
    _header_length,
    crc16_x25,
)
from meterhub.dlms.sansio import NEED_DATA, NeedData


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
    :meth:`next_event` never raises.

    Shape: ``receive_data(bytes)``, then ``next_event()`` until :data:`NEED_DATA` (:mod:`meterhub.dlms.sansio`).

    Buffer cap: a frame is at most 2047 bytes between flags (11-bit length), and ``next_event`` consumes every
    complete candidate before it says NEED_DATA, so what stays buffered then is always less than one maximal
    frame plus its flags (2049 bytes). A peer cannot make the decoder hold more, whatever it sends.
    """

    MAX_BUFFERED: Final = MAX_FRAME_LENGTH + 2

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._pos = 0  # where the next candidate is looked for; the buffer is compacted at NEED_DATA
        self._ended = False
        self._shared_flag = False  # the flag at _pos closed the previous good frame
        self.discarded_bytes = 0
        self.rejected_frames = 0
        self.last_error: DecodeError | None = None

    @property
    def buffered(self) -> int:
        """Bytes held for an incomplete frame (<= :attr:`MAX_BUFFERED` once :meth:`next_event` said NEED_DATA)."""
        return len(self._buffer) - self._pos

    def _reject(self, error: DecodeError) -> None:
        self.rejected_frames += 1
        self.last_error = error

    def receive_data(self, data: bytes) -> None:
        """Add received bytes; ``b""`` says the stream ended (a frame it cut short is then discarded)."""
        if self._ended:
            raise LocalProtocolError("HDLC data after the end of the stream")
        if data:
            self._buffer += data
        else:
            self._ended = True

    def next_event(self) -> HdlcFrame | NeedData:
        """The next complete, valid frame, or :data:`NEED_DATA` (damaged input is dropped and counted)."""
        buf = self._buffer
        pos = self._pos
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
                self._pos = pos + 1 + (int.from_bytes(buf[pos + 1 : pos + 3], "big") & MAX_FRAME_LENGTH)
                self._shared_flag = True  # the closing flag stays: it may open the next frame
                return status
            self._reject(status)
            if not self._shared_flag:
                self.discarded_bytes += 1
            self._shared_flag = False
            pos += 1
        del buf[:pos]
        self._pos = 0
        if self._ended and buf:  # what the end of the stream cut short
            self.discarded_bytes += len(buf) - (1 if self._shared_flag else 0)
            buf.clear()
        return NEED_DATA

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
