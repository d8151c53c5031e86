"""The DLMS stack's exceptions: one family, so a caller catches :class:`DlmsError` and nothing else.

Whatever a peer sends that we cannot accept — a truncated A-XDR value, a bad HDLC check sequence, a GCM tag that
does not verify, a replayed invocation counter — surfaces as a subclass of :class:`DlmsError`. Decoders must
never leak ``IndexError``, ``struct.error`` or ``ValueError``; the fuzz tests in ``tests/fuzz`` hold them to that.

As in h11, a protocol error says whose fault it is: :class:`LocalProtocolError` when *we* asked a machine for
something its state does not allow (a get before the association is open, a release while not associated,
data after the end of the stream) — the machine refuses and stays as it was; :class:`RemoteProtocolError`
when the *peer* did (an RLRE nobody asked for, an answer to no request, a frame reject) — the machine goes to
its terminal error state (see :mod:`meterhub.dlms.sansio`). Both are :class:`ProtocolError`, so a caller that
does not care whose fault it was catches that.
"""

from __future__ import annotations

import struct
from typing import Any


class DlmsError(Exception):
    """Base of every error raised by :mod:`meterhub.dlms`."""


class DecodeError(DlmsError):
    """The peer's bytes are not a valid encoding (truncated, unknown tag, bad length, bad checksum)."""


class EncodeError(DlmsError):
    """A value given to an encoder cannot be represented (out of range, wrong type)."""


class ProtocolError(DlmsError):
    """A well-formed message or request in a state where it is not allowed, or a negotiated limit broken."""


class LocalProtocolError(ProtocolError):
    """We used a machine wrongly: a request its state does not allow (h11's ``LocalProtocolError``).

    The request is refused before anything changed: the machine is in the state it was in before the call.
    """


class RemoteProtocolError(ProtocolError):
    """The peer broke the protocol: a message its state does not allow, or a limit it went past.

    Raised while processing received data. A machine whose conversation cannot continue after it goes to its
    terminal error state; one that only refuses the offending frame (an HDLC sequence error) stays as it was.
    """


class SecurityError(DlmsError):
    """Authentication failed: wrong key, tampered ciphertext, bad HLS response, or replayed counter."""


class ReplayError(SecurityError):
    """An invocation counter was not greater than the last one accepted from the same peer (anti-replay).

    ``expected`` is the smallest counter that would be accepted next; servers report it in the
    exception-response (Green Book: state-error service-not-allowed, service-error invocation-counter-error).
    """

    def __init__(self, message: str, expected: int) -> None:
        super().__init__(message)
        self.expected = expected


def encode_errors_as_encode_error(cls: type[Any]) -> None:
    """Make ``cls.encode`` raise only :class:`EncodeError`.

    A field out of range (an invoke id ≥ 256, a block number or counter ≥ 2³², a diagnostic that is not one
    octet) surfaces from ``bytes()`` and ``struct`` as ValueError, OverflowError or struct.error; callers of an
    encoder catch one family, as they do for decoders.
    """
    raw_encode = cls.encode

    def encode(self: Any) -> bytes:
        try:
            out: bytes = raw_encode(self)
        except (ValueError, OverflowError, struct.error) as exc:
            raise EncodeError(f"{cls.__name__}: field out of range ({exc})") from exc
        return out

    encode.__doc__ = raw_encode.__doc__
    cls.encode = encode
