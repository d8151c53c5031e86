"""The home side of the customer port as one sans-io object: bytes in, telegrams and rejections out.

:class:`P1Receiver` chains the :class:`~meterhub.p1.frame.FrameFinder` (resynchronisation on ``DB 08``),
frame authentication and deciphering (AES-128-GCM, :func:`~meterhub.p1.frame.decrypt_frame`), anti-replay
(the frame counter must increase, as the Green Book's invocation counter, §9.2.7.4 of DLMS UA 1000-2), the
telegram's CRC-16/ARC and its parser. Every problem becomes a :class:`FrameRejected` event and a counter in
:class:`ReceiverStats`; nothing the line delivers can stop it. Like h11's ``Connection``, it never reads a
clock and never does I/O, and it has the shape of every protocol core of meterhub (see
:mod:`meterhub.dlms.sansio`): ``receive_data(bytes)`` (``b""`` when the line closed), then ``next_event()``
until :data:`NEED_DATA`. It only receives, so it has no ``send``. The asyncio driver
(:func:`meterhub.transport.drive`, used by :mod:`meterhub.p1.reader`) feeds it and the reader logs what it
says. Buffer cap: the frame finder holds at most one frame of :data:`~meterhub.p1.frame.MAX_FRAME_BYTES`
beyond the last chunk received (the reasoning is with that constant).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Final, Literal

from meterhub.p1.errors import AuthenticationError, ChecksumError, FrameError, P1Error
from meterhub.p1.frame import NEED_DATA, FrameFinder, FrameSpan, Garbage, NeedData, Truncated, decrypt_frame
from meterhub.p1.telegram import Telegram, parse_telegram

__all__ = [
    "NEED_DATA",
    "Event",
    "FrameRejected",
    "GarbageSkipped",
    "NeedData",
    "P1Receiver",
    "Reading",
    "ReceiverStats",
    "RejectReason",
]

RejectReason = Literal["truncated", "auth", "crc", "replay", "malformed"]


@dataclass(frozen=True, slots=True)
class Reading:
    """An authenticated, CRC-checked, parsed telegram with a fresh frame counter."""

    system_title: bytes
    frame_counter: int
    telegram: Telegram
    frame_bytes: int


@dataclass(frozen=True, slots=True)
class FrameRejected:
    """A frame that was found but refused, with why (``reason``) and a one-line detail (never key material)."""

    reason: RejectReason
    detail: str
    frame_bytes: int
    frame_counter: int | None = None


@dataclass(frozen=True, slots=True)
class GarbageSkipped:
    """Bytes skipped while looking for the next frame header."""

    nbytes: int


Event = Reading | FrameRejected | GarbageSkipped


@dataclass(slots=True)
class ReceiverStats:
    """What the receiver saw. ``auth_failed`` counts wrong keys and tampered frames alike: GCM cannot tell them
    apart (both make the tag mismatch), and a reader must not guess which one it was."""

    frames_ok: int = 0
    truncated: int = 0
    auth_failed: int = 0
    bad_crc: int = 0
    replayed: int = 0
    malformed: int = 0
    garbage_bytes: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: int(getattr(self, f.name)) for f in fields(self)}


_COUNTER_OF: Final[dict[RejectReason, str]] = {
    "truncated": "truncated",
    "auth": "auth_failed",
    "crc": "bad_crc",
    "replay": "replayed",
    "malformed": "malformed",
}


class P1Receiver:
    """``receive_data(bytes)`` then ``next_event()`` until :data:`NEED_DATA`; ``receive_data(b"")`` at the end of the
    stream.

    ``key`` is the meter's 16-byte P1 key. The last accepted frame counter is kept per system title
    (:attr:`last_counter`); a caller that persists it across restarts can pass it back as ``last_counters``.
    """

    def __init__(self, key: bytes, *, last_counters: dict[bytes, int] | None = None) -> None:
        if len(key) != 16:
            raise ValueError("the P1 key must be 16 bytes (32 hex digits)")
        self._key = key
        self._finder = FrameFinder()
        self.last_counter: dict[bytes, int] = dict(last_counters or {})
        self.stats = ReceiverStats()

    def __repr__(self) -> str:  # never show the key
        return f"P1Receiver(stats={self.stats.as_dict()})"

    def receive_data(self, data: bytes) -> None:
        """Add received bytes; ``b""`` says the stream ended (a partial frame still held is reported as truncated)."""
        self._finder.receive_data(data)

    def _reject(self, reason: RejectReason, detail: str, size: int, counter: int | None = None) -> FrameRejected:
        name = _COUNTER_OF[reason]
        setattr(self.stats, name, getattr(self.stats, name) + 1)
        return FrameRejected(reason, detail, size, counter)

    def _frame(self, span: FrameSpan) -> Event:
        size = len(span.raw)
        try:
            clear = decrypt_frame(self._key, span)
        except AuthenticationError as exc:
            self._finder.rescan(span.raw)  # it may have been a spurious header: look for frames inside it
            return self._reject("auth", str(exc), size, span.frame_counter)
        except FrameError as exc:
            self._finder.rescan(span.raw)
            return self._reject("malformed", str(exc), size, span.frame_counter)
        last = self.last_counter.get(clear.system_title)
        if last is not None and clear.frame_counter <= last:
            return self._reject(
                "replay", f"frame counter {clear.frame_counter} is not above {last}", size, clear.frame_counter
            )
        self._finder.known_title = clear.system_title
        try:
            telegram = parse_telegram(clear.plaintext)
        except ChecksumError as exc:
            return self._reject("crc", str(exc), size, clear.frame_counter)
        except P1Error as exc:
            return self._reject("malformed", str(exc), size, clear.frame_counter)
        # counted only once the telegram is good, so that a frame damaged before encryption does not block
        # the same counter arriving again intact
        self.last_counter[clear.system_title] = clear.frame_counter
        self.stats.frames_ok += 1
        return Reading(clear.system_title, clear.frame_counter, telegram, size)

    def next_event(self) -> Event | NeedData:
        """The next reading or rejection, or :data:`NEED_DATA`."""
        event = self._finder.next_event()
        if event is NEED_DATA:
            return event
        if isinstance(event, Garbage):
            self.stats.garbage_bytes += event.nbytes
            return GarbageSkipped(event.nbytes)
        if isinstance(event, Truncated):
            return self._reject("truncated", f"frame cut after {len(event.raw)} bytes", len(event.raw))
        return self._frame(event)
