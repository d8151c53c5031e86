"""The P1 core's exceptions: one family, so a caller catches :class:`P1Error` and nothing else.

Modelled on h11's single ``ProtocolError`` (and :mod:`meterhub.dlms.errors`): whatever the meter's port or the
line delivers that we cannot accept — a frame cut short, a GCM tag that does not verify, a CRC that does not
match, a telegram line that does not parse — surfaces as a subclass of
:class:`P1Error`. The decoders never leak ``IndexError``, ``ValueError`` or ``UnicodeDecodeError``; the fuzz
tests in ``tests/p1`` hold them to that.
"""

from __future__ import annotations


class P1Error(Exception):
    """Base of every error raised by :mod:`meterhub.p1`'s sans-io core."""


class FrameError(P1Error):
    """The bytes are not a well-formed encrypted P1 frame (wrong tag or lengths, short, unknown security byte)."""


class AuthenticationError(P1Error):
    """The GCM tag did not verify. A wrong key and a tampered frame are indistinguishable by design in GCM."""


class ChecksumError(P1Error):
    """The telegram's CRC-16/ARC does not match its contents."""


class TelegramError(P1Error):
    """The decrypted plaintext is not a DSMR-5-style telegram (no header, a line that does not parse …)."""


class LocalProtocolError(P1Error):
    """The caller used the sans-io core wrongly (data after the end of the stream): our fault, not the line's."""


class EncodeError(P1Error):
    """A value given to an encoder cannot be represented (out of range, wrong length)."""
