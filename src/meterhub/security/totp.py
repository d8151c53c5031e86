"""TOTP multi-factor authentication (RFC 6238, via pyotp) with replay refusal, and single-use recovery codes.

Enrolment: :func:`new_secret` (160 bits, base32, as RFC 4226 recommends), :func:`provisioning_uri` (issuer
``meterhub``, account = user name) and :func:`qr_svg`, an inline SVG of that URI (segno, pure Python) for the
enrolment page; the person scans it and confirms with a first code. Login: :func:`verify_totp` accepts the code of
the current 30-second step or of one step either side (clock drift and typing time), and refuses any code of a
step at or before the last one accepted for that person — RFC 6238 §5.2: an OTP, once used, is never accepted
again. It takes the last accepted step and returns the new one, which the caller stores (so several workers
share it). Recovery codes: :func:`new_recovery_codes` makes ten single-use codes of 80 bits, shown once; the store
keeps only their SHA-256 hashes (enough for random codes of this size, see :mod:`meterhub.security.tokens`);
:func:`use_recovery_code` returns the hashes left once one is used. The secret and the SVG are secrets: never
log them. Time is passed in (timezone-aware); nothing here does I/O or keeps state.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

import pyotp
import segno

from meterhub.security.times import require_aware
from meterhub.security.tokens import token_hash

ISSUER: Final = "meterhub"
DIGITS: Final = 6
STEP_S: Final = 30
"""RFC 6238's default time step; what every authenticator app uses."""

WINDOW_STEPS: Final = 1
"""Steps accepted either side of the current one: ±30 s of clock drift plus typing time."""

SECRET_CHARS: Final = 32
"""Base32 characters of a secret: 160 bits (RFC 4226 §4 recommends 160)."""

RECOVERY_CODE_COUNT: Final = 10
RECOVERY_CODE_CHARS: Final = 16
"""Characters of a recovery code: 16 of Crockford's base32 = 80 bits, typed as four groups of four."""

_CROCKFORD: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_ALIASES: Final = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_secret() -> str:
    """A fresh TOTP secret (base32, 160 bits) to store for the person (encrypted at rest by the store's key)."""
    return pyotp.random_base32(SECRET_CHARS)


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S)


def provisioning_uri(secret: str, username: str) -> str:
    """The ``otpauth://totp/meterhub:<username>?secret=…&issuer=meterhub`` URI that authenticator apps read."""
    return _totp(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg(uri: str, scale: int = 4) -> str:
    """The QR code of ``uri`` as an inline ``<svg>`` element (no XML declaration) for the enrolment page, error
    correction level M, ``scale`` pixels a module, a quiet zone of 4 modules, class ``totp-qr``."""
    qr = segno.make(uri, error="m", micro=False)
    return qr.svg_inline(scale=scale, border=4, svgclass="totp-qr", title="QR code for your authenticator app")


def time_step(now: datetime) -> int:
    """The RFC 6238 counter at ``now``: whole 30-second steps since 1970-01-01T00:00Z."""
    require_aware("now", now)
    return int(now.timestamp()) // STEP_S


def code_at(secret: str, now: datetime) -> str:
    """The code an authenticator app shows at ``now`` (for tests, demo logins and the enrolment check)."""
    return _totp(secret).generate_otp(time_step(now))


@dataclass(frozen=True, slots=True)
class TotpAccepted:
    """The code is good: store ``step`` as the person's last accepted step."""

    step: int


@dataclass(frozen=True, slots=True)
class TotpRefused:
    """The code is refused: ``malformed`` (not 6 digits), ``wrong`` (no step in the window has it) or ``replayed``
    (it belongs to a step at or before the last accepted one: used already, or older than a code that was).
    Tell the person only "wrong code"; a ``replayed`` refusal is worth a security log line (without the code)."""

    reason: Literal["malformed", "wrong", "replayed"]


def verify_totp(secret: str, code: str, now: datetime, last_step: int | None) -> TotpAccepted | TotpRefused:
    """Check ``code`` (spaces allowed, as apps show "123 456") against ``secret`` at ``now``, given the last step
    accepted for this person (None before the first). Every step of the window is compared, in constant time."""
    code = "".join(code.split())
    if len(code) != DIGITS or not (code.isascii() and code.isdigit()):
        return TotpRefused("malformed")
    totp = _totp(secret)
    current = time_step(now)
    window = range(current - WINDOW_STEPS, current + WINDOW_STEPS + 1)
    matches = [step for step in window if hmac.compare_digest(totp.generate_otp(step).encode(), code.encode())]
    fresh = [step for step in matches if last_step is None or step > last_step]
    if fresh:
        return TotpAccepted(fresh[0])
    return TotpRefused("replayed" if matches else "wrong")


# --- recovery codes ------------------------------------------------------------------------------------------------


def _normalize_recovery_code(code: str) -> str:
    """Upper case, no spaces or hyphens, Crockford's look-alikes (O→0, I/L→1) folded."""
    return "".join(c for c in code.upper() if c not in " -\t").translate(_CROCKFORD_ALIASES)


def _recovery_hash(code: str) -> str:
    return token_hash("mhrc_" + _normalize_recovery_code(code))


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``count`` fresh recovery codes as shown to the person once (``ABCD-EFGH-JKMN-PQRS``) and their hashes for
    the store, in the same order. Making new codes replaces all the old ones."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_CROCKFORD) for _ in range(RECOVERY_CODE_CHARS))
        codes.append("-".join(raw[i : i + 4] for i in range(0, RECOVERY_CODE_CHARS, 4)))
    return tuple(codes), tuple(_recovery_hash(c) for c in codes)


def use_recovery_code(code: str, stored_hashes: Sequence[str]) -> tuple[str, ...] | None:
    """If ``code`` is one of the person's unused recovery codes, the hashes left after using it up (store them);
    otherwise None. Case, spaces, hyphens and Crockford's look-alikes do not matter. Every stored hash is compared,
    in constant time."""
    normalized = _normalize_recovery_code(code)
    if len(normalized) != RECOVERY_CODE_CHARS or any(c not in _CROCKFORD for c in normalized):
        return None
    presented = _recovery_hash(normalized)
    used: int | None = None
    for i, stored in enumerate(stored_hashes):
        if hmac.compare_digest(presented, stored) and used is None:
            used = i
    if used is None:
        return None
    return tuple(h for i, h in enumerate(stored_hashes) if i != used)


__all__ = [
    "DIGITS",
    "ISSUER",
    "RECOVERY_CODE_CHARS",
    "RECOVERY_CODE_COUNT",
    "SECRET_CHARS",
    "STEP_S",
    "WINDOW_STEPS",
    "TotpAccepted",
    "TotpRefused",
    "code_at",
    "new_recovery_codes",
    "new_secret",
    "provisioning_uri",
    "qr_svg",
    "time_step",
    "use_recovery_code",
    "verify_totp",
]
