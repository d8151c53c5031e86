"""The encrypted P1 frame of the national customer port, and a frame finder for a byte stream (sans-io).

Frame layout (``../shared/vectors/p1/README.md``; Luxmetering E-Meter P1 specification v1.1.3; a DLMS
general-glo-ciphering APDU, Green Book §9.3.4 / IEC 62056-5-3 §9.5)::

    DB | 08 | system title (8) | 82 LL LL | 30 | frame counter (4, big-endian) | ciphertext (n) | GCM tag (12)

``LL LL`` is the BER length (big-endian) of everything after it: 1 + 4 + n + 12 bytes. AES-128-GCM with the
meter's P1 key (its GUEK), IV = system title ‖ frame counter, additional authenticated data = ``30`` ‖ AK with
the fixed AK ``00112233445566778899AABBCCDDEEFF``, tag truncated to 12 bytes (Green Book §9.2.3, suite 0).

:class:`FrameFinder` turns any byte stream (a serial line, a TCP bridge, a file, with garbage, cut frames and
bit errors) into :class:`FrameSpan`, :class:`Garbage` and :class:`Truncated` events; :func:`decrypt_frame`
authenticates and deciphers one span. Nothing here reads a clock or touches I/O.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from meterhub.p1.errors import AuthenticationError, EncodeError, FrameError, LocalProtocolError

__all__ = [
    "AK",
    "HEADER_LEN",
    "MAX_FRAME_BYTES",
    "NEED_DATA",
    "SECURITY_CONTROL",
    "TAG",
    "Decrypted",
    "FrameFinder",
    "FrameSpan",
    "Garbage",
    "NeedData",
    "Truncated",
    "decrypt_frame",
    "encrypt_frame",
    "parse_span",
]

TAG: Final = 0xDB  # general-glo-ciphering
TITLE_LEN: Final = 8
LENGTH_FORM: Final = 0x82  # BER long form, two length octets follow
SECURITY_CONTROL: Final = 0x30  # authenticated + encrypted, suite 0
AK: Final = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
AAD: Final = bytes([SECURITY_CONTROL]) + AK
GCM_TAG_LEN: Final = 12
HEADER_LEN: Final = 2 + TITLE_LEN + 3  # DB 08 title 82 LL LL
MIN_BODY: Final = 1 + 4 + GCM_TAG_LEN  # SC, counter, tag: an empty telegram

#: Hard cap on one frame, header included, and so on the bytes the finder holds for an incomplete frame.
#: Reasoning (after h11's ``max_incomplete_event_size``): the largest telegram DSMR 5.0.2 allows is about 3 KB —
#: ~1 KB of fixed lines, a text message of up to 1 024 characters sent as 2 048 hex digits, four M-Bus
#: channels of ~100 bytes, a power-failure log of 10 entries (~300 bytes). Real national meters send
#: 600–1 200 bytes. 8 KiB leaves more than a factor two for manufacturer lines while bounding what a spurious
#: ``DB 08`` in line noise can make the finder wait for; a header that declares more is treated as garbage.
MAX_FRAME_BYTES: Final = 8192
MAX_BODY: Final = MAX_FRAME_BYTES - HEADER_LEN


class NeedData(enum.Enum):
    """The type of :data:`NEED_DATA` (an enum member, so that ``event is NEED_DATA`` narrows for mypy)."""

    NEED_DATA = "NEED_DATA"

    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA: Final = NeedData.NEED_DATA
"""What ``next_event()`` returns when the bytes so far complete no event (h11's ``NEED_DATA``; the DLMS stack has
its own, :data:`meterhub.dlms.sansio.NEED_DATA`, as the P1 core imports nothing of meterhub)."""


@dataclass(frozen=True, slots=True)
class FrameSpan:
    """A complete frame as found in the stream: header parsed, not yet authenticated."""

    system_title: bytes
    security_control: int
    frame_counter: int
    ciphertext: bytes  # ciphertext ‖ 12-byte tag
    raw: bytes  # the whole frame as received


@dataclass(frozen=True, slots=True)
class Garbage:
    """``nbytes`` bytes skipped because they cannot start a frame (line noise, partial data at start-up)."""

    nbytes: int


@dataclass(frozen=True, slots=True)
class Truncated:
    """A frame header whose frame was cut short: another frame started inside it, or the stream ended."""

    raw: bytes
    system_title: bytes


@dataclass(frozen=True, slots=True)
class Decrypted:
    """An authenticated frame: who sent it, its counter, and the plaintext telegram bytes."""

    system_title: bytes
    frame_counter: int
    plaintext: bytes


def _iv(system_title: bytes, counter: int) -> bytes:
    return system_title + struct.pack(">I", counter)


def encrypt_frame(key: bytes, system_title: bytes, frame_counter: int, plaintext: bytes) -> bytes:
    """Build one encrypted frame (the meter's side; used by the simulator and the tests)."""
    if len(key) != 16:
        raise EncodeError("the P1 key must be 16 bytes")
    if len(system_title) != TITLE_LEN:
        raise EncodeError("the system title must be 8 bytes")
    if not 0 <= frame_counter < 1 << 32:
        raise EncodeError("the frame counter must fit in 4 bytes")
    body_len = MIN_BODY + len(plaintext)
    if body_len > MAX_BODY:
        raise EncodeError(f"a frame may carry at most {MAX_BODY - MIN_BODY} bytes of telegram")
    sealed = AESGCM(key).encrypt(_iv(system_title, frame_counter), plaintext, AAD)
    body = bytes([SECURITY_CONTROL]) + struct.pack(">I", frame_counter) + sealed[: len(plaintext) + GCM_TAG_LEN]
    return bytes([TAG, TITLE_LEN]) + system_title + bytes([LENGTH_FORM]) + struct.pack(">H", body_len) + body


def _header_length(buf: bytes | bytearray, at: int) -> int | None:
    """The body length of a plausible header at ``buf[at:]`` (complete header present), else None."""
    if buf[at] != TAG or buf[at + 1] != TITLE_LEN or buf[at + 10] != LENGTH_FORM:
        return None
    length = (buf[at + 11] << 8) | buf[at + 12]
    return length if MIN_BODY <= length <= MAX_BODY else None


def parse_span(raw: bytes) -> FrameSpan:
    """Parse one complete frame (exactly its bytes) into a :class:`FrameSpan`; :class:`FrameError` otherwise."""
    if len(raw) < HEADER_LEN:
        raise FrameError(f"{len(raw)} bytes cannot hold a frame header")
    length = _header_length(raw, 0)
    if length is None:
        raise FrameError("not a general-glo-ciphering P1 frame header (DB 08 … 82 LL LL)")
    if len(raw) != HEADER_LEN + length:
        raise FrameError(f"the header announces {HEADER_LEN + length} bytes, the frame has {len(raw)}")
    return FrameSpan(
        system_title=bytes(raw[2:10]),
        security_control=raw[HEADER_LEN],
        frame_counter=int.from_bytes(raw[HEADER_LEN + 1 : HEADER_LEN + 5], "big"),
        ciphertext=bytes(raw[HEADER_LEN + 5 :]),
        raw=bytes(raw),
    )


def decrypt_frame(key: bytes, span: FrameSpan) -> Decrypted:
    """Authenticate and decipher a frame (AES-128-GCM, 12-byte tag, AAD = 30 ‖ AK).

    Raises :class:`FrameError` for a security control byte other than 0x30 and :class:`AuthenticationError`
    when the tag does not verify — GCM cannot tell a wrong key from a tampered frame, so neither can we.
    """
    if span.security_control != SECURITY_CONTROL:
        raise FrameError(f"security control 0x{span.security_control:02X} is not 0x30 (authenticated+encrypted)")
    if len(key) != 16:
        raise AuthenticationError("the P1 key must be 16 bytes")
    body, tag = span.ciphertext[:-GCM_TAG_LEN], span.ciphertext[-GCM_TAG_LEN:]
    decryptor = Cipher(
        algorithms.AES(key), modes.GCM(_iv(span.system_title, span.frame_counter), tag, min_tag_length=GCM_TAG_LEN)
    ).decryptor()
    decryptor.authenticate_additional_data(AAD)
    try:
        plaintext = decryptor.update(body) + decryptor.finalize()
    except InvalidTag:
        raise AuthenticationError(
            f"frame {span.frame_counter}: GCM tag does not verify (wrong P1 key, or the frame was altered)"
        ) from None
    return Decrypted(span.system_title, span.frame_counter, plaintext)


Event = FrameSpan | Garbage | Truncated


class FrameFinder:
    """Finds frames in a byte stream: ``receive_data(bytes)``, then ``next_event()`` until :data:`NEED_DATA`.

    Resynchronisation: bytes that cannot start a frame (anything but ``DB 08 <title> 82 LL LL`` with a length
    in 17…:data:`MAX_BODY`) are skipped and reported as :class:`Garbage`. A frame is cut short — reported as
    :class:`Truncated` — as soon as a header with its own system title (or the last authenticated one,
    :attr:`known_title`) starts inside it: a meter that lost part of a frame starts the next one afresh, and
    ten fixed bytes (``DB 08`` + title) turn up by chance in ciphertext with a probability of ~2⁻⁸⁰ per
    position. A frame that fails authentication can be handed back with :meth:`rescan`, so that a spurious
    header in line noise never swallows the real frames behind it. ``receive_data(b"")`` ends the stream: a
    partial frame still held is then reported.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._scanned = 1  # where the search for a cutting header inside the pending frame resumes
        self._rescan_left = 0  # leading bytes handed back by rescan(): not reported as garbage a second time
        self._closed = False
        self.known_title: bytes | None = None

    @property
    def buffered(self) -> int:
        """Bytes held (never more than what the last receive_data added plus :data:`MAX_FRAME_BYTES`)."""
        return len(self._buf)

    def receive_data(self, data: bytes) -> None:
        """Add received bytes; ``b""`` says the stream ended: whatever is held becomes a :class:`Truncated` frame
        or :class:`Garbage`. Data after the end raises :class:`LocalProtocolError`."""
        if self._closed:
            raise LocalProtocolError("P1 data after the end of the stream")
        if data:
            self._buf += data
        else:
            self._closed = True

    def rescan(self, raw: bytes) -> None:
        """Put back a rejected frame's bytes after its first one, to look for frames inside it."""
        self._buf[0:0] = raw[1:]
        self._rescan_left += len(raw) - 1
        self._scanned = 1

    def _consume(self, n: int) -> bytes:
        out = bytes(self._buf[:n])
        del self._buf[:n]
        self._scanned = 1
        self._rescan_left -= min(n, self._rescan_left)
        return out

    def _skip(self, n: int) -> Garbage | None:
        fresh = n - min(n, self._rescan_left)
        self._consume(n)
        return Garbage(fresh) if fresh else None

    def _cut_at(self, title: bytes, end: int) -> int:
        """Offset of a header with ``title`` or the known title inside the pending frame (``end`` exclusive)."""
        buf, start = self._buf, self._scanned
        best = -1
        for wanted in {title, self.known_title}:
            if wanted is None:
                continue
            pos = buf.find(bytes([TAG, TITLE_LEN]) + wanted, start, end)
            if pos >= 0 and (best < 0 or pos < best):
                best = pos
        # the next search starts where a header could still be cut in two by the end of the data
        self._scanned = max(self._scanned, end - (2 + TITLE_LEN) + 1)
        return best

    def next_event(self) -> Event | NeedData:
        """The next event, or :data:`NEED_DATA`."""
        buf = self._buf
        while True:
            if not buf:
                return NEED_DATA
            start = buf.find(TAG)
            if start < 0:
                garbage = self._skip(len(buf))
                if garbage:
                    return garbage
                continue
            if start > 0:
                garbage = self._skip(start)
                if garbage:
                    return garbage
                continue
            if len(buf) < HEADER_LEN:
                # a prefix that can no longer become a header is garbage now; else wait (or, at the end, drop)
                if (len(buf) > 1 and buf[1] != TITLE_LEN) or (len(buf) > 10 and buf[10] != LENGTH_FORM):
                    garbage = self._skip(1)
                    if garbage:
                        return garbage
                    continue
                if self._closed:  # the stream ended inside a header: a cut frame, or one stray byte
                    if len(buf) < 2:
                        garbage = self._skip(len(buf))
                        if garbage:
                            return garbage
                        continue
                    fresh = len(buf) > self._rescan_left
                    title = bytes(buf[2:10])
                    raw = self._consume(len(buf))
                    if fresh:
                        return Truncated(raw, title)
                    continue
                return NEED_DATA
            length = _header_length(buf, 0)
            if length is None:
                garbage = self._skip(1)
                if garbage:
                    return garbage
                continue
            total = HEADER_LEN + length
            title = bytes(buf[2:10])
            cut = self._cut_at(title, min(len(buf), total))
            if cut > 0:
                return Truncated(self._consume(cut), title)
            if len(buf) >= total:
                return parse_span(self._consume(total))
            if self._closed:
                return Truncated(self._consume(len(buf)), title)
            return NEED_DATA
