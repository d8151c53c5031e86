"""The IEC 62056-47 TCP/UDP wrapper, sans-io.

IEC 62056-47 (COSEM transport layers for IPv4 networks), clause 5 "the wrapper sub-layer": every APDU sent
over TCP (or UDP) is preceded by an eight-byte wrapper header, all fields unsigned 16-bit big-endian:

====================  =========================================================================
version               ``0x0001`` (clause 5.2: the only version defined)
source wPort          wrapper port of the sender (public client 16, management client 1, ...)
destination wPort     wrapper port of the receiver (server logical device 1 = management LD)
length                number of APDU bytes that follow the header
====================  =========================================================================

The wrapper has no flag and no check sequence: on a TCP stream the length is the only delimiter, so one bad
header means the stream cannot be resynchronised. :class:`WrapperStream` therefore raises
:class:`DecodeError` and stays failed (every later :meth:`WrapperStream.next_event` raises again) — the caller
must close the connection, as IEC 62056-47 clause 5.3 expects of a receiver that gets an invalid WPDU.

Sans-io, in the stack's one shape (:mod:`meterhub.dlms.sansio`): bytes in, :class:`WrapperFrame` out; no
sockets, no clock, no globals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from meterhub.dlms.errors import DecodeError, EncodeError, LocalProtocolError
from meterhub.dlms.sansio import NEED_DATA, NeedData

__all__ = [
    "MAX_WRAPPER_APDU",
    "WRAPPER_HEADER_LENGTH",
    "WRAPPER_VERSION",
    "WrapperFrame",
    "WrapperStream",
    "decode_wrapper",
    "encode_wrapper",
]

WRAPPER_VERSION: Final = 0x0001
"""IEC 62056-47 clause 5.2: version field value."""

WRAPPER_HEADER_LENGTH: Final = 8
"""version, source wPort, destination wPort, length: four uint16."""

MAX_WRAPPER_APDU: Final = 0xFFFF
"""The length field is a uint16, so no wrapped APDU can be longer than 65 535 bytes."""


@dataclass(frozen=True, slots=True)
class WrapperFrame:
    """One wrapper PDU (IEC 62056-47 clause 5.2): the two wPorts and the APDU it carries."""

    source: int
    destination: int
    apdu: bytes

    def encode(self) -> bytes:
        """This frame on the wire (see :func:`encode_wrapper`)."""
        return encode_wrapper(self.source, self.destination, self.apdu)


def _check_port(name: str, value: int) -> None:
    if not 0 <= value <= 0xFFFF:
        raise EncodeError(f"wrapper {name} wPort {value} is not a uint16")


def encode_wrapper(source: int, destination: int, apdu: bytes) -> bytes:
    """Wrap ``apdu`` in an IEC 62056-47 clause 5.2 header (version 1, wPorts, length).

    Raises :class:`EncodeError` for a wPort outside 0..65535, an empty APDU, or one longer than 65 535 bytes.
    """
    _check_port("source", source)
    _check_port("destination", destination)
    if not apdu:
        raise EncodeError("wrapper APDU is empty")
    if len(apdu) > MAX_WRAPPER_APDU:
        raise EncodeError(f"APDU of {len(apdu)} bytes does not fit the 16-bit wrapper length field")
    header = (
        WRAPPER_VERSION.to_bytes(2, "big")
        + source.to_bytes(2, "big")
        + destination.to_bytes(2, "big")
        + len(apdu).to_bytes(2, "big")
    )
    return header + bytes(apdu)


def _parse_header(header: bytes | bytearray, max_apdu: int) -> tuple[int, int, int]:
    """Check one eight-byte header (IEC 62056-47 clause 5.2); return (source, destination, length)."""
    version = int.from_bytes(header[0:2], "big")
    if version != WRAPPER_VERSION:
        raise DecodeError(f"wrapper version {version:#06x}, expected {WRAPPER_VERSION:#06x}")
    source = int.from_bytes(header[2:4], "big")
    destination = int.from_bytes(header[4:6], "big")
    length = int.from_bytes(header[6:8], "big")
    if length == 0:
        raise DecodeError("wrapper length 0: a WPDU must carry an APDU")
    if length > max_apdu:
        raise DecodeError(f"wrapped APDU of {length} bytes exceeds the limit of {max_apdu}")
    return source, destination, length


def decode_wrapper(data: bytes, *, max_apdu: int = MAX_WRAPPER_APDU) -> WrapperFrame:
    """Decode exactly one complete WPDU (header + APDU, nothing more, nothing less).

    Raises :class:`DecodeError` for a short buffer, a wrong version, a bad length, or trailing bytes.
    """
    if len(data) < WRAPPER_HEADER_LENGTH:
        raise DecodeError(f"wrapper header needs {WRAPPER_HEADER_LENGTH} bytes, got {len(data)}")
    source, destination, length = _parse_header(data[:WRAPPER_HEADER_LENGTH], max_apdu)
    if len(data) != WRAPPER_HEADER_LENGTH + length:
        raise DecodeError(
            f"wrapper length field says {length} APDU bytes, buffer holds {len(data) - WRAPPER_HEADER_LENGTH}"
        )
    return WrapperFrame(source, destination, bytes(data[WRAPPER_HEADER_LENGTH:]))


class WrapperStream:
    """One TCP stream of wrapper PDUs (IEC 62056-47 clause 5 over TCP), sans-io, for any chunking.

    The stack's one shape (:mod:`meterhub.dlms.sansio`): ``receive_data(bytes)`` takes whatever the transport
    delivered (``b""``: the stream ended), ``next_event()`` returns the next complete :class:`WrapperFrame` or
    :data:`~meterhub.dlms.sansio.NEED_DATA`, and ``send(frame)`` returns a frame's bytes. The wrapper answers
    nothing on its own, so there is no ``data_to_send()``.

    Buffer cap: a header is checked as soon as its eight bytes are in, and a length above ``max_apdu`` is
    rejected *before* any of the APDU is collected, so once ``next_event`` has said NEED_DATA the stream holds
    at most ``WRAPPER_HEADER_LENGTH + max_apdu`` bytes (65 543 with the default) — a peer cannot make us buffer
    without bound, in the same way h11 caps an incomplete header block (``max_incomplete_event_size``).
    ``max_apdu`` defaults to 65 535, the most the uint16 length field can express; set it to the negotiated
    max-receive-pdu-size (plus ciphering overhead) to tighten it.

    Errors: a wrong version, a zero length or a length over ``max_apdu`` raise :class:`DecodeError`. The
    wrapper has no flag to resynchronise on, so the stream then stays failed — its error state: later data is
    dropped and every later :meth:`next_event` raises again; the caller closes the connection (IEC 62056-47
    clause 5.3 has a receiver abandon a connection that delivers an invalid WPDU).
    """

    def __init__(self, max_apdu: int = MAX_WRAPPER_APDU) -> None:
        if not 1 <= max_apdu <= MAX_WRAPPER_APDU:
            raise EncodeError(f"max_apdu must be 1..{MAX_WRAPPER_APDU}, got {max_apdu}")
        self.max_apdu: Final = max_apdu
        self._buffer = bytearray()
        self._pos = 0  # start of the unread bytes; the buffer is compacted when NEED_DATA is returned
        # (source, destination, length) of the frame whose APDU is being collected (header already checked)
        self._header: tuple[int, int, int] | None = None
        self._error: DecodeError | None = None
        self._ended = False

    @property
    def buffered(self) -> int:
        """Bytes held for an incomplete WPDU (at most ``WRAPPER_HEADER_LENGTH + max_apdu`` after NEED_DATA)."""
        return len(self._buffer) - self._pos

    @property
    def failed(self) -> bool:
        """True once a bad header was seen (the error state); the stream is then unusable."""
        return self._error is not None

    @property
    def ended(self) -> bool:
        """True once ``receive_data(b"")`` said the stream ended."""
        return self._ended

    def receive_data(self, data: bytes) -> None:
        """Add received bytes; ``b""`` says the stream ended (a WPDU it cut short is dropped)."""
        if self._ended:
            raise LocalProtocolError("wrapper data after the end of the stream")
        if not data:
            self._ended = True
        elif self._error is None:  # a failed stream reads nothing more
            self._buffer += data

    def next_event(self) -> WrapperFrame | NeedData:
        """The next complete WPDU, or :data:`NEED_DATA`. Raises :class:`DecodeError` (see class doc)."""
        if self._error is not None:
            raise DecodeError(f"wrapper stream already failed: {self._error}")
        buffer = self._buffer
        pos = self._pos
        try:
            if self._header is None and len(buffer) - pos >= WRAPPER_HEADER_LENGTH:
                self._header = _parse_header(buffer[pos : pos + WRAPPER_HEADER_LENGTH], self.max_apdu)
                pos = self._pos = pos + WRAPPER_HEADER_LENGTH
        except DecodeError as exc:
            self._error = exc
            self._buffer.clear()
            self._pos = 0
            raise
        header = self._header
        if header is not None and len(buffer) - pos >= header[2]:
            source, destination, length = header
            self._header = None
            self._pos = pos + length
            return WrapperFrame(source, destination, bytes(buffer[pos : pos + length]))
        del buffer[:pos]
        self._pos = 0
        return NEED_DATA

    def send(self, frame: WrapperFrame) -> bytes:
        """``frame`` on the wire (see :func:`encode_wrapper`)."""
        return encode_wrapper(frame.source, frame.destination, frame.apdu)
