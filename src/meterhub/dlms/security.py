"""Security suite 0 of the DLMS Green Book (§9.2.3, §9.2.7): AES-128-GCM ciphering, HLS-GMAC, anti-replay.

* The security control byte (SC): bits 0-3 suite id, bit 4 authentication, bit 5 encryption, bit 6 key set
  (0 unicast, 1 broadcast), bit 7 compression. Suite 0 only (AES-GCM-128).
* Ciphered content = SC ‖ invocation counter (IC, 4 octets) ‖ ciphertext-or-plaintext ‖ tag (12 octets);
  IV = system title (8) ‖ IC (4). SC 0x30: AAD = SC ‖ AK. SC 0x10: AAD = SC ‖ AK ‖ plaintext, plaintext sent
  in clear. SC 0x20: encryption only, no tag (GCM keystream, i.e. AES-CTR starting at counter block 2).
* HLS mechanism 5 (HLS-GMAC, Green Book §9.2.7.4): f(X) = 0x10 ‖ IC ‖ GMAC(EK, own system title ‖ IC,
  AAD = 0x10 ‖ AK ‖ X).
* :class:`InvocationCounterGuard` keeps the last accepted counter per peer and refuses anything not greater
  (Green Book §9.2.3.4: "the invocation counter shall be incremented for each APDU").

The ``cryptography`` package does the AES work; objects per key are cached in :class:`CipherKeys`.
"""

from __future__ import annotations

import hmac
import struct
from dataclasses import dataclass, field
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from meterhub.dlms.errors import DecodeError, EncodeError, ReplayError, SecurityError

TAG_LEN: Final = 12
SC_AUTHENTICATED: Final = 0x10
SC_ENCRYPTED: Final = 0x20
SC_BROADCAST_KEY: Final = 0x40
SC_COMPRESSED: Final = 0x80
SC_AUTH_ENC: Final = SC_AUTHENTICATED | SC_ENCRYPTED  # 0x30, what meters use
MAX_INVOCATION_COUNTER: Final = 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class CipherKeys:
    """One key set of suite 0: block cipher (encryption) key EK and authentication key AK, 16 octets each."""

    ek: bytes
    ak: bytes
    _aesgcm: AESGCM = field(init=False, repr=False, compare=False)
    _aes: algorithms.AES = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.ek) != 16 or len(self.ak) != 16:
            raise EncodeError("suite 0 keys are 16 octets (AES-128)")
        object.__setattr__(self, "_aesgcm", AESGCM(self.ek))
        object.__setattr__(self, "_aes", algorithms.AES(self.ek))

    def __repr__(self) -> str:  # keys never appear in logs or tracebacks
        return "CipherKeys(ek=<secret>, ak=<secret>)"


def _iv(system_title: bytes, invocation_counter: int) -> bytes:
    if len(system_title) != 8:
        raise EncodeError(f"system title must be 8 octets, got {len(system_title)}")
    if not 0 <= invocation_counter <= MAX_INVOCATION_COUNTER:
        raise EncodeError("invocation counter out of range")
    return system_title + struct.pack(">I", invocation_counter)


def _check_sc(sc: int) -> None:
    if sc & 0x0F != 0:
        raise SecurityError(f"security suite {sc & 0x0F} not supported (suite 0 only)")
    if sc & SC_COMPRESSED:
        raise SecurityError("compression is not supported")


def encrypt(
    keys: CipherKeys, system_title: bytes, invocation_counter: int, plaintext: bytes, sc: int = SC_AUTH_ENC
) -> bytes:
    """Cipher ``plaintext``; returns the ciphered content SC ‖ IC ‖ (ciphertext or plaintext) ‖ tag."""
    _check_sc(sc)
    iv = _iv(system_title, invocation_counter)
    head = bytes((sc,)) + iv[8:]
    mode = sc & SC_AUTH_ENC
    if mode == SC_AUTH_ENC:
        sealed = keys._aesgcm.encrypt(iv, plaintext, bytes((sc,)) + keys.ak)
        return head + sealed[:-16] + sealed[-16 : -16 + TAG_LEN]
    if mode == SC_AUTHENTICATED:
        tag = keys._aesgcm.encrypt(iv, b"", bytes((sc,)) + keys.ak + plaintext)
        return head + plaintext + tag[:TAG_LEN]
    if mode == SC_ENCRYPTED:
        enc = Cipher(keys._aes, modes.CTR(iv + b"\x00\x00\x00\x02")).encryptor()
        return head + enc.update(plaintext) + enc.finalize()
    raise SecurityError("security control without authentication or encryption")


@dataclass(frozen=True, slots=True)
class Deciphered:
    """The result of :func:`decrypt`: security control, invocation counter and the plaintext APDU."""

    security_control: int
    invocation_counter: int
    plaintext: bytes


def decrypt(keys: CipherKeys, system_title: bytes, ciphered_content: bytes) -> Deciphered:
    """Verify and decipher SC ‖ IC ‖ … ‖ tag. Raises :class:`SecurityError` when the tag does not verify."""
    if len(ciphered_content) < 5:
        raise DecodeError("ciphered content shorter than SC + invocation counter")
    sc = ciphered_content[0]
    _check_sc(sc)
    ic = int.from_bytes(ciphered_content[1:5], "big")
    iv = _iv(system_title, ic)
    body = ciphered_content[5:]
    mode = sc & SC_AUTH_ENC
    if mode in (SC_AUTH_ENC, SC_AUTHENTICATED) and len(body) < TAG_LEN:
        raise DecodeError("ciphered content shorter than its authentication tag")
    try:
        if mode == SC_AUTH_ENC:
            dec = Cipher(keys._aes, modes.GCM(iv, body[-TAG_LEN:], min_tag_length=TAG_LEN)).decryptor()
            dec.authenticate_additional_data(bytes((sc,)) + keys.ak)
            plaintext = dec.update(body[:-TAG_LEN]) + dec.finalize()
        elif mode == SC_AUTHENTICATED:
            plaintext = body[:-TAG_LEN]
            expected = keys._aesgcm.encrypt(iv, b"", bytes((sc,)) + keys.ak + plaintext)[:TAG_LEN]
            if not hmac.compare_digest(expected, body[-TAG_LEN:]):
                raise InvalidTag()
        elif mode == SC_ENCRYPTED:
            ctr = Cipher(keys._aes, modes.CTR(iv + b"\x00\x00\x00\x02")).decryptor()
            plaintext = ctr.update(body) + ctr.finalize()
        else:
            raise SecurityError("security control without authentication or encryption")
    except InvalidTag as exc:
        raise SecurityError("authentication tag does not verify (wrong key or tampered APDU)") from exc
    return Deciphered(sc, ic, plaintext)


def gmac(keys: CipherKeys, system_title: bytes, invocation_counter: int, challenge: bytes) -> bytes:
    """The 12-octet GMAC of HLS mechanism 5 over ``0x10 ‖ AK ‖ challenge``."""
    iv = _iv(system_title, invocation_counter)
    return keys._aesgcm.encrypt(iv, b"", bytes((SC_AUTHENTICATED,)) + keys.ak + challenge)[:TAG_LEN]


def hls_gmac_response(keys: CipherKeys, system_title: bytes, invocation_counter: int, challenge: bytes) -> bytes:
    """f(challenge) = 0x10 ‖ IC ‖ GMAC, computed with the computing side's own system title."""
    return (
        bytes((SC_AUTHENTICATED,))
        + struct.pack(">I", invocation_counter)
        + gmac(keys, system_title, invocation_counter, challenge)
    )


def verify_hls_gmac_response(keys: CipherKeys, peer_system_title: bytes, challenge: bytes, response: bytes) -> int:
    """Check the peer's f(challenge); returns the invocation counter it used. Raises :class:`SecurityError`."""
    if len(response) != 5 + TAG_LEN or response[0] != SC_AUTHENTICATED:
        raise SecurityError("HLS-GMAC response has the wrong form")
    ic = int.from_bytes(response[1:5], "big")
    expected = gmac(keys, peer_system_title, ic, challenge)
    if not hmac.compare_digest(expected, response[5:]):
        raise SecurityError("HLS-GMAC response does not verify")
    return ic


class InvocationCounter:
    """The transmit invocation counter of one key set, shared by everything that ciphers with it.

    IV = system title ‖ counter must never repeat under one key (GCM's one rule), so every association of a
    meter and its pushes draw from the same instance. :meth:`take` returns the counter to use and advances.
    """

    def __init__(self, value: int = 1) -> None:
        if not 0 <= value <= MAX_INVOCATION_COUNTER:
            raise EncodeError("invocation counter out of range")
        self.value = value

    def take(self) -> int:
        if self.value > MAX_INVOCATION_COUNTER:
            raise SecurityError("invocation counter exhausted: the key set must be renewed")
        ic = self.value
        self.value += 1
        return ic

    def __repr__(self) -> str:
        return f"InvocationCounter({self.value})"


class InvocationCounterGuard:
    """Anti-replay: remembers the last invocation counter accepted from each peer system title.

    :meth:`check` refuses a counter not greater than the last accepted one with :class:`ReplayError` (which
    carries the next acceptable counter); :meth:`accept` records a counter once its APDU authenticated, so a
    forged APDU cannot advance the counter. A persisted starting point comes in through ``initial``.
    """

    def __init__(self, initial: dict[bytes, int] | None = None) -> None:
        self._last: dict[bytes, int] = dict(initial or {})

    def check(self, system_title: bytes, invocation_counter: int) -> None:
        last = self._last.get(system_title)
        if last is not None and invocation_counter <= last:
            raise ReplayError(
                f"invocation counter {invocation_counter} not greater than last accepted {last}",
                expected=last + 1,
            )

    def accept(self, system_title: bytes, invocation_counter: int) -> None:
        self.check(system_title, invocation_counter)
        self._last[system_title] = invocation_counter

    def last(self, system_title: bytes) -> int | None:
        """The last accepted counter from ``system_title`` (None before the first)."""
        return self._last.get(system_title)

    def snapshot(self) -> dict[bytes, int]:
        """A copy of the state, for persisting."""
        return dict(self._last)
