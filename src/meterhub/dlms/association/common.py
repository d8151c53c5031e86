"""What both sides of an association share: the HLS method, conformance defaults, and ciphering with the global
unicast key (Green Book §9.2.7, security suite 0).

HLS-GMAC pass 3/4 (mechanism 5, Green Book §9.2.7.4) is the association LN object's
``reply_to_HLS_authentication`` (class 15, 0.0.40.0.0.255, method 1). With a ciphered application context
every xDLMS APDU after the AARQ is protected: service-specific glo-ciphering (``C8``…) or general-glo-ciphering
(``DB``), authenticated and encrypted (SC 0x30), in the form the request used (INTEROP.md). :class:`Protection` holds
our transmit counter (shared, through :class:`~meterhub.dlms.security.InvocationCounter`, with everything else
that ciphers with the same key) and the :class:`~meterhub.dlms.security.InvocationCounterGuard` of the peer:
the counter is checked before the tag (cheap refusal of a replay) and recorded only once the APDU is authentic,
so a forgery can never advance it.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Final

from meterhub.dlms import apdu as A
from meterhub.dlms.association.events import Event
from meterhub.dlms.association.state import State
from meterhub.dlms.errors import LocalProtocolError, RemoteProtocolError, SecurityError
from meterhub.dlms.sansio import NEED_DATA, NeedData, TransitionTable
from meterhub.dlms.security import (
    SC_AUTH_ENC,
    CipherKeys,
    InvocationCounter,
    InvocationCounterGuard,
    decrypt,
    encrypt,
)

__all__ = [
    "ASSOCIATION_LN",
    "ASSOCIATION_LN_CLASS",
    "BLOCK_OVERHEAD",
    "DEFAULT_CLIENT_CONFORMANCE",
    "DEFAULT_SERVER_CONFORMANCE",
    "HLS_METHOD",
    "MAX_QUEUED_APDUS",
    "REPLY_TO_HLS_AUTHENTICATION",
    "AssociationMachine",
    "Carrier",
    "Protection",
    "is_ciphered",
]

#: Association LN object (class 15) and its reply_to_HLS_authentication method.
ASSOCIATION_LN: Final = bytes((0, 0, 40, 0, 0, 255))
ASSOCIATION_LN_CLASS: Final = 15
REPLY_TO_HLS_AUTHENTICATION: Final = 1
HLS_METHOD: Final = A.MethodRef(ASSOCIATION_LN_CLASS, ASSOCIATION_LN, REPLY_TO_HLS_AUTHENTICATION)

#: Conformance our client proposes (the same as widely used clients, see INTEROP.md).
DEFAULT_CLIENT_CONFORMANCE: Final = 0x401E5D
#: What our server supports for the management client: block transfer with get/set, get, set, selective
#: access, action (0x00101D); the public client gets the same minus action.
DEFAULT_SERVER_CONFORMANCE: Final = 0x00101D
#: Bytes a ciphered get-response-with-datablock adds around its raw data, upper bound: APDU header (3),
#: last-block (1), block number (4), choice (1), length (≤ 3), ciphering tag and length (≤ 4),
#: SC + IC (5), GCM tag (12).
BLOCK_OVERHEAD: Final = 40
#: APDUs received but not yet read with ``next_event()``. A driver reads every event after each APDU, so more
#: than a handful means it stopped draining: refused (LocalProtocolError) rather than buffered without bound.
MAX_QUEUED_APDUS: Final = 64

#: The ciphered carriers an association deciphers (dedicated-key ciphering is never negotiated).
Carrier = A.ServiceSpecificCiphered | A.GeneralGloCiphering


class Protection:
    """Ciphering with the global unicast key for one association side: our counter, the peer's guard."""

    def __init__(
        self,
        keys: CipherKeys,
        own_title: bytes,
        counter: int | InvocationCounter,
        guard: InvocationCounterGuard,
        security_control: int = SC_AUTH_ENC,
    ) -> None:
        self.keys = keys
        self.own_title = own_title
        self._counter = counter if isinstance(counter, InvocationCounter) else InvocationCounter(counter)
        self.guard = guard
        self.sc = security_control
        self.peer_title: bytes | None = None

    @property
    def counter(self) -> int:
        """The next counter to cipher with."""
        return self._counter.value

    @counter.setter
    def counter(self, value: int) -> None:
        self._counter.value = value

    def next_counter(self) -> int:
        return self._counter.take()

    def protect(self, plain: bytes, general: bool) -> bytes:
        content = encrypt(self.keys, self.own_title, self.next_counter(), plain, self.sc)
        if general:
            return A.GeneralGloCiphering(self.own_title, content).encode()
        tag = A.GLO_TAG.get(plain[0])
        if tag is None:
            return A.GeneralGloCiphering(self.own_title, content).encode()
        return A.ServiceSpecificCiphered(tag, content).encode()

    def unprotect(self, carrier: Carrier) -> bytes:
        if isinstance(carrier, A.GeneralGloCiphering):
            title = carrier.system_title
            if self.peer_title is not None and title != self.peer_title:
                raise SecurityError("general-glo-ciphering from an unexpected system title")
        else:
            if carrier.dedicated:
                raise SecurityError("dedicated-key ciphering was not negotiated")
            if self.peer_title is None:
                raise SecurityError("peer system title unknown: cannot decipher")
            title = self.peer_title
        content = carrier.ciphered_content
        if len(content) >= 5:
            # Anti-replay before the (costlier) tag check; the counter is only recorded once authentic.
            self.guard.check(title, int.from_bytes(content[1:5], "big"))
        result = decrypt(self.keys, title, content)
        if not result.security_control & 0x10:
            raise SecurityError("unauthenticated APDU refused")
        self.guard.accept(title, result.invocation_counter)
        return result.plaintext


def is_ciphered(apdu: A.XdlmsApdu) -> bool:
    """Whether ``apdu`` is a ciphered carrier of any kind (glo, ded, general)."""
    return isinstance(apdu, A.ServiceSpecificCiphered | A.GeneralGloCiphering | A.GeneralDedCiphering)


class AssociationMachine:
    """The sans-io shape both association sides share (:mod:`meterhub.dlms.sansio`), around ``_receive``.

    ``receive_data`` queues whole APDUs, ``next_event`` processes them one at a time with the role's
    ``_receive`` (which appends events and outgoing APDUs) and hands out the events; a
    :class:`RemoteProtocolError` on the way puts the machine in its table's error state for good.
    """

    _table: TransitionTable[State, Any]

    def __init__(self) -> None:
        self.state = State.IDLE
        self.error: RemoteProtocolError | None = None  # what put the association in State.ERROR
        self._incoming: deque[bytes] = deque()
        self._events: deque[Event] = deque()
        self._outgoing: list[bytes] = []

    def receive_data(self, apdu: bytes) -> None:
        """One APDU from the peer (read what it causes with :meth:`next_event`)."""
        if len(self._incoming) >= MAX_QUEUED_APDUS:
            raise LocalProtocolError(f"{MAX_QUEUED_APDUS} APDUs received and not read: call next_event()")
        self._incoming.append(apdu)

    def next_event(self) -> Event | NeedData:
        """The next event, or :data:`NEED_DATA`.

        Raises what the peer's APDU cannot be accepted for: :class:`DecodeError` or :class:`SecurityError` (the
        APDU is dropped, the state unchanged), :class:`RemoteProtocolError` (the association goes to
        :attr:`State.ERROR`, and every later call raises again).
        """
        if self.error is not None:  # in State.ERROR
            raise RemoteProtocolError(f"the association failed earlier: {self.error}")
        events = self._events
        while not events:
            if not self._incoming:
                return NEED_DATA
            try:
                self._receive(self._incoming.popleft())
            except RemoteProtocolError as exc:
                self.state, self.error = self._table.error, exc
                self._incoming.clear()
                raise
        return events.popleft()

    def data_to_send(self) -> list[bytes]:
        """APDUs the association sends on its own (HLS passes, next blocks, AARE, RLRE, refusals), in order."""
        out, self._outgoing = self._outgoing, []
        return out

    def _receive(self, apdu: bytes) -> None:
        raise NotImplementedError
