"""Client and server association state machines, sans-io (Green Book §9.4: ACSE and xDLMS services).

:class:`ClientAssociation` and :class:`ServerAssociation` work on whole APDUs: the transport (TCP wrapper,
HDLC) is the driver's business. Both follow one pattern, after h11: ``receive(apdu)`` returns events, and APDUs
the machine must send on its own (HLS reply, next data block, exception-response, AARE, RLRE) are queued and
collected with ``take_outgoing()``; request/reply methods return the APDU to send.

Security (suite 0): with a ciphered application context every xDLMS APDU after the AARQ is protected with the
global unicast key, service-specific (``C8``…) or general-glo-ciphering (``DB``) — the server answers in the
form the request used (INTEROP.md). Each side keeps an :class:`~meterhub.dlms.security.InvocationCounterGuard`
for the peer; a replayed, tampered or wrongly keyed APDU never gets data: the server answers with
exception-response (state-error service-not-allowed; service-error invocation-counter-error with the next
expected counter, or deciphering-error) and the client raises :class:`~meterhub.dlms.errors.SecurityError`.

HLS-GMAC (mechanism 5, Green Book §9.2.7.4 pass 3/4): the client sends f(StoC) with the association LN
object's ``reply_to_HLS_authentication`` (class 15, 0.0.40.0.0.255, method 1) and checks f(CtoS) in the
answer. Long answers use get-response-with-datablock (Green Book §9.3.5, "block transfer with GET"); long
set values set-request-with-datablock.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from meterhub.dlms import apdu as A
from meterhub.dlms.acse import (
    Aare,
    Aarq,
    AcseServiceUserDiagnostic,
    ApplicationContext,
    AssociationResult,
    Conformance,
    InitiateRequest,
    InitiateResponse,
    Mechanism,
    Rlre,
    Rlrq,
    decode_acse,
    is_acse,
)
from meterhub.dlms.axdr import decode_data_exact, encode_data
from meterhub.dlms.errors import DecodeError, DlmsError, ProtocolError, ReplayError, SecurityError
from meterhub.dlms.security import (
    SC_AUTH_ENC,
    CipherKeys,
    InvocationCounter,
    InvocationCounterGuard,
    decrypt,
    encrypt,
    hls_gmac_response,
    verify_hls_gmac_response,
)

#: Association LN object (class 15) and its reply_to_HLS_authentication method.
ASSOCIATION_LN: Final = bytes((0, 0, 40, 0, 0, 255))
ASSOCIATION_LN_CLASS: Final = 15
REPLY_TO_HLS_AUTHENTICATION: Final = 1

#: Conformance our client proposes (the same as widely used clients, see INTEROP.md).
DEFAULT_CLIENT_CONFORMANCE: Final = 0x401E5D
#: What our server supports for the management client: block transfer with get/set, get, set, selective
#: access, action (0x00101D); the public client gets the same minus action.
DEFAULT_SERVER_CONFORMANCE: Final = 0x00101D
#: Bytes a ciphered get-response-with-datablock adds around its raw data, upper bound: APDU header (3),
#: last-block (1), block number (4), choice (1), length (≤ 3), ciphering tag and length (≤ 4),
#: SC + IC (5), GCM tag (12).
_BLOCK_OVERHEAD: Final = 40


# ------------------------------------------------------------------------------------------ events
@dataclass(frozen=True, slots=True)
class Associated:
    """The association is open: negotiated conformance, the peer's max receive PDU, its system title."""

    conformance: int
    peer_max_pdu: int
    peer_system_title: bytes | None


@dataclass(frozen=True, slots=True)
class AssociationRejected:
    """The server refused the AARQ (or HLS failed)."""

    result: int
    diagnostic: int
    reason: str


@dataclass(frozen=True, slots=True)
class GetCompleted:
    """A get finished: ``result`` is the decoded Data or a :class:`~meterhub.dlms.apdu.DataAccessResult`."""

    invoke_id: int
    result: Any


@dataclass(frozen=True, slots=True)
class GetListCompleted:
    """A get-with-list finished: one result per attribute."""

    invoke_id: int
    results: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class SetCompleted:
    """A set finished (``result`` is a DataAccessResult, or a tuple of them for set-with-list)."""

    invoke_id: int
    result: A.DataAccessResult | tuple[A.DataAccessResult, ...]


@dataclass(frozen=True, slots=True)
class ActionCompleted:
    """An action finished with its result and return data (:data:`~meterhub.dlms.apdu.NO_DATA` if none)."""

    invoke_id: int
    result: A.ActionResult
    return_data: Any


@dataclass(frozen=True, slots=True)
class ExceptionReceived:
    """The server answered with exception-response or confirmed-service-error."""

    apdu: A.ExceptionResponse | A.ConfirmedServiceError


@dataclass(frozen=True, slots=True)
class NotificationReceived:
    """An unsolicited data-notification or event-notification (alarm push)."""

    apdu: A.DataNotification | A.EventNotificationRequest


@dataclass(frozen=True, slots=True)
class Released:
    """The association was released (RLRE received, or RLRQ answered)."""


@dataclass(frozen=True, slots=True)
class GetRequested:
    """Server side: the client asks for an attribute; answer with :meth:`ServerAssociation.reply_get`."""

    invoke_id: int
    attribute: A.AttributeRef
    access: A.AccessSelection | None


@dataclass(frozen=True, slots=True)
class GetListRequested:
    """Server side: get-request-with-list; answer with :meth:`ServerAssociation.reply_get_list`."""

    invoke_id: int
    items: tuple[tuple[A.AttributeRef, A.AccessSelection | None], ...]


@dataclass(frozen=True, slots=True)
class SetRequested:
    """Server side: set of one attribute (long sets arrive reassembled); answer with ``reply_set``."""

    invoke_id: int
    attribute: A.AttributeRef
    access: A.AccessSelection | None
    value: Any


@dataclass(frozen=True, slots=True)
class ActionRequested:
    """Server side: a method invocation other than HLS (which the association handles); ``reply_action``."""

    invoke_id: int
    method: A.MethodRef
    parameters: Any


Event = (
    Associated
    | AssociationRejected
    | GetCompleted
    | GetListCompleted
    | SetCompleted
    | ActionCompleted
    | ExceptionReceived
    | NotificationReceived
    | Released
    | GetRequested
    | GetListRequested
    | SetRequested
    | ActionRequested
)


class State(enum.Enum):
    """Association states (Green Book §9.4.4, simplified to what a confirmed-service client/server needs)."""

    IDLE = "idle"
    AWAITING_AARE = "awaiting-aare"
    AWAITING_HLS = "awaiting-hls"  # AARE accepted with authentication-required, pass 3/4 pending
    ASSOCIATED = "associated"
    AWAITING_RLRE = "awaiting-rlre"
    RELEASED = "released"


# ------------------------------------------------------------------------------------- protection
class _Protection:
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

    def unprotect(self, carrier: A.ServiceSpecificCiphered | A.GeneralGloCiphering) -> bytes:
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


def _is_ciphered(apdu: A.XdlmsApdu) -> bool:
    return isinstance(apdu, A.ServiceSpecificCiphered | A.GeneralGloCiphering | A.GeneralDedCiphering)


# ------------------------------------------------------------------------------------------ client
@dataclass
class ClientSettings:
    """What a client association proposes. ``keys``/``system_title`` are needed for a ciphered context."""

    authentication: Mechanism = Mechanism.NONE
    keys: CipherKeys | None = None
    system_title: bytes | None = None
    invocation_counter: int = 1
    password: bytes | None = None  # low level security (mechanism 1)
    conformance: int = DEFAULT_CLIENT_CONFORMANCE
    max_receive_pdu_size: int = 0xFFFF
    general_protection: bool = False  # send general-glo-ciphering when the server agrees
    challenge_length: int = 16
    invoke_id_increment: bool = True
    plain_integers: bool = False  # get results with plain ints (bulk readers), see axdr.decode_data
    guard: InvocationCounterGuard = field(default_factory=InvocationCounterGuard)

    @property
    def ciphered(self) -> bool:
        return self.keys is not None


class ClientAssociation:
    """Sans-io DLMS client: one association with one server logical device."""

    def __init__(self, settings: ClientSettings, random: Callable[[int], bytes] = os.urandom) -> None:
        self.settings = settings
        self.state = State.IDLE
        self._random = random
        self._invoke_id = 1
        self._outgoing: list[bytes] = []
        self._protection: _Protection | None = None
        if settings.ciphered:
            if settings.keys is None or settings.system_title is None:
                raise ProtocolError("a ciphered client needs keys and a system title")
            self._protection = _Protection(
                settings.keys, settings.system_title, settings.invocation_counter, settings.guard
            )
        self.conformance = 0
        self.server_max_pdu = 0xFFFF
        self.server_system_title: bytes | None = None
        self._ctos = b""
        self._pending: dict[int, str] = {}  # invoke id -> kind of the outstanding request
        self._block: bytearray | None = None
        self._block_number = 0
        self._long_set: list[bytes] = []

    # ----------------------------------------------------------------------------- properties
    @property
    def invocation_counter(self) -> int:
        """The next invocation counter this client will use (persist it)."""
        return self._protection.counter if self._protection else self.settings.invocation_counter

    def take_outgoing(self) -> list[bytes]:
        """APDUs the association queued on its own (HLS reply, get-request-next …): send them in order."""
        out, self._outgoing = self._outgoing, []
        return out

    # ----------------------------------------------------------------------------- requests
    def associate(self) -> bytes:
        """The AARQ to open the association."""
        if self.state not in (State.IDLE, State.RELEASED):
            raise ProtocolError(f"cannot associate in state {self.state.value}")
        s = self.settings
        initiate = InitiateRequest(s.conformance, s.max_receive_pdu_size).encode()
        mechanism = s.authentication if s.authentication != Mechanism.NONE else None
        auth_value: bytes | None = None
        if s.authentication == Mechanism.LOW:
            auth_value = s.password or b""
        elif s.authentication == Mechanism.HIGH_GMAC:
            if self._protection is None:
                raise ProtocolError("HLS-GMAC needs keys")
            self._ctos = self._random(s.challenge_length)
            auth_value = self._ctos
        elif s.authentication != Mechanism.NONE:
            raise ProtocolError(f"authentication mechanism {s.authentication.name} not supported")
        if self._protection is not None:
            initiate = self._protection.protect(initiate, general=False)
            context = ApplicationContext.LN_CIPHERED
        else:
            context = ApplicationContext.LN
        self.state = State.AWAITING_AARE
        return Aarq(
            context,
            s.system_title if self._protection else None,
            mechanism,
            auth_value,
            initiate,
        ).encode()

    def _next_invoke_id(self) -> int:
        iid = self._invoke_id
        if self.settings.invoke_id_increment:
            self._invoke_id = (self._invoke_id % 15) + 1
        return 0xC0 | iid  # confirmed, high priority

    def _send(self, plain: A.XdlmsApdu, kind: str, invoke_id: int) -> bytes:
        if self.state != State.ASSOCIATED and kind != "hls":
            raise ProtocolError(f"not associated (state {self.state.value})")
        self._pending[invoke_id & 0x0F] = kind
        return self._wrap(plain.encode())

    def _wrap(self, plain: bytes) -> bytes:
        if self._protection is None:
            return plain
        general = self.settings.general_protection and bool(self.conformance & Conformance.GENERAL_PROTECTION)
        return self._protection.protect(plain, general)

    def get(self, attribute: A.AttributeRef, access: A.AccessSelection | None = None) -> bytes:
        """A get-request-normal for one attribute."""
        iid = self._next_invoke_id()
        return self._send(A.GetRequestNormal(iid, attribute, access), "get", iid)

    def get_with_list(self, items: list[tuple[A.AttributeRef, A.AccessSelection | None]]) -> bytes:
        """A get-request-with-list."""
        iid = self._next_invoke_id()
        return self._send(A.GetRequestWithList(iid, tuple(items)), "get-list", iid)

    def set(self, attribute: A.AttributeRef, value: Any, access: A.AccessSelection | None = None) -> bytes:
        """A set-request; values too long for the server's PDU go as set-request-with-datablock."""
        iid = self._next_invoke_id()
        plain = A.SetRequestNormal(iid, attribute, value, access)
        if len(plain.encode()) + _BLOCK_OVERHEAD <= self.server_max_pdu:
            return self._send(plain, "set", iid)
        raw = encode_data(value)
        size = max(16, self.server_max_pdu - _BLOCK_OVERHEAD - 20)
        blocks = [raw[i : i + size] for i in range(0, len(raw), size)]
        self._long_set = blocks[1:]
        first = A.SetRequestWithFirstDatablock(iid, attribute, len(blocks) == 1, 1, blocks[0], access)
        return self._send(first, "set", iid)

    def action(self, method: A.MethodRef, parameters: Any = A.NO_DATA) -> bytes:
        """An action-request-normal."""
        iid = self._next_invoke_id()
        return self._send(A.ActionRequestNormal(iid, method, parameters), "action", iid)

    def release(self) -> bytes:
        """The RLRQ (reason normal) ending the association."""
        self.state = State.AWAITING_RLRE
        return Rlrq(0).encode()

    # ----------------------------------------------------------------------------- receiving
    def receive(self, data: bytes) -> list[Event]:
        """Feed one APDU from the server; returns the events it completes."""
        if is_acse(data):
            return self._receive_acse(data)
        plain = self.settings.plain_integers
        apdu = A.decode_xdlms(data, plain_integers=plain)
        if isinstance(apdu, A.GeneralDedCiphering):
            raise SecurityError("dedicated-key ciphering was not negotiated")
        if _is_ciphered(apdu):
            if self._protection is None:
                raise SecurityError("ciphered APDU on an unciphered association")
            assert isinstance(apdu, A.ServiceSpecificCiphered | A.GeneralGloCiphering)
            apdu = A.decode_xdlms(self._protection.unprotect(apdu), plain_integers=plain)
        elif self._protection is not None and not isinstance(apdu, A.ExceptionResponse | A.ConfirmedServiceError):
            # INTEROP: every answer inside a ciphered association is ciphered; a clear one is refused.
            raise SecurityError(f"unciphered {type(apdu).__name__} inside a ciphered association")
        return self._receive_plain(apdu)

    def _receive_acse(self, data: bytes) -> list[Event]:
        acse = decode_acse(data)
        if isinstance(acse, Aare):
            if self.state != State.AWAITING_AARE:
                raise ProtocolError(f"unexpected AARE in state {self.state.value}")
            return self._on_aare(acse)
        if isinstance(acse, Rlre):
            self.state = State.RELEASED
            return [Released()]
        raise ProtocolError(f"a client does not accept {type(acse).__name__}")

    def _on_aare(self, aare: Aare) -> list[Event]:
        if aare.result != AssociationResult.ACCEPTED:
            self.state = State.IDLE
            return [AssociationRejected(aare.result, aare.diagnostic, "server rejected the association")]
        user = aare.user_information
        if user is None:
            raise ProtocolError("AARE without an InitiateResponse")
        if self._protection is not None:
            if aare.responding_ap_title is None:
                raise ProtocolError("ciphered AARE without responding-AP-title")
            self.server_system_title = aare.responding_ap_title
            self._protection.peer_title = aare.responding_ap_title
            carrier = A.decode_xdlms(user)
            if not isinstance(carrier, A.ServiceSpecificCiphered | A.GeneralGloCiphering):
                raise SecurityError("InitiateResponse not glo-ciphered on a ciphered association")
            user = self._protection.unprotect(carrier)
        if user[:1] == bytes((A.Tag.CONFIRMED_SERVICE_ERROR,)):
            self.state = State.IDLE
            return [AssociationRejected(aare.result, aare.diagnostic, "initiate refused")]
        response = InitiateResponse.decode(user)
        self.conformance = response.conformance
        self.server_max_pdu = response.max_receive_pdu_size
        if aare.diagnostic == AcseServiceUserDiagnostic.AUTHENTICATION_REQUIRED:
            if self.settings.authentication != Mechanism.HIGH_GMAC or self._protection is None:
                raise ProtocolError("server asks for HLS the client did not propose")
            stoc = aare.responding_authentication_value
            if not stoc:
                raise ProtocolError("HLS AARE without a server challenge")
            self.state = State.AWAITING_HLS
            prot = self._protection
            f_stoc = hls_gmac_response(prot.keys, prot.own_title, prot.next_counter(), stoc)
            iid = self._next_invoke_id()
            method = A.MethodRef(ASSOCIATION_LN_CLASS, ASSOCIATION_LN, REPLY_TO_HLS_AUTHENTICATION)
            self._outgoing.append(self._send(A.ActionRequestNormal(iid, method, f_stoc), "hls", iid))
            return []
        self.state = State.ASSOCIATED
        return [Associated(self.conformance, self.server_max_pdu, self.server_system_title)]

    def _take_pending(self, invoke_id: int) -> str:
        kind = self._pending.pop(invoke_id & 0x0F, None)
        if kind is None:
            raise ProtocolError(f"answer with invoke id {invoke_id & 0x0F} matches no request")
        return kind

    def _receive_plain(self, apdu: A.XdlmsApdu) -> list[Event]:
        if isinstance(apdu, A.GetResponseNormal):
            self._take_pending(apdu.invoke_id)
            return [GetCompleted(apdu.invoke_id, apdu.result)]
        if isinstance(apdu, A.GetResponseWithDatablock):
            return self._on_datablock(apdu)
        if isinstance(apdu, A.GetResponseWithList):
            self._take_pending(apdu.invoke_id)
            return [GetListCompleted(apdu.invoke_id, apdu.results)]
        if isinstance(apdu, A.SetResponseDatablock):
            if not self._long_set:
                raise ProtocolError("set-response-datablock without a long set in progress")
            if apdu.block_number >= 0xFFFFFFFF:
                raise ProtocolError("set-response-datablock: block number out of range")
            block = self._long_set.pop(0)
            nxt = A.SetRequestWithDatablock(apdu.invoke_id, not self._long_set, apdu.block_number + 1, block)
            self._outgoing.append(self._wrap(nxt.encode()))
            return []
        if isinstance(apdu, A.SetResponseNormal | A.SetResponseLastDatablock):
            self._take_pending(apdu.invoke_id)
            return [SetCompleted(apdu.invoke_id, apdu.result)]
        if isinstance(apdu, A.SetResponseWithList):
            self._take_pending(apdu.invoke_id)
            return [SetCompleted(apdu.invoke_id, apdu.results)]
        if isinstance(apdu, A.ActionResponseNormal):
            kind = self._take_pending(apdu.invoke_id)
            if kind == "hls":
                return self._on_hls_response(apdu)
            return [ActionCompleted(apdu.invoke_id, apdu.result, apdu.return_data)]
        if isinstance(apdu, A.ExceptionResponse | A.ConfirmedServiceError):
            self._pending.clear()
            if self.state == State.AWAITING_HLS:
                self.state = State.IDLE
            return [ExceptionReceived(apdu)]
        if isinstance(apdu, A.DataNotification | A.EventNotificationRequest):
            return [NotificationReceived(apdu)]
        raise ProtocolError(f"a client does not accept {type(apdu).__name__}")

    def _on_datablock(self, apdu: A.GetResponseWithDatablock) -> list[Event]:
        if (apdu.invoke_id & 0x0F) not in self._pending:
            raise ProtocolError("data block matches no request")
        if isinstance(apdu.result, A.DataAccessResult):
            self._take_pending(apdu.invoke_id)
            self._block = None
            return [GetCompleted(apdu.invoke_id, apdu.result)]
        if apdu.block_number != self._block_number + 1:
            raise ProtocolError(f"data block {apdu.block_number} out of order (expected {self._block_number + 1})")
        if self._block is None:
            self._block = bytearray()
        self._block += apdu.result
        self._block_number = apdu.block_number
        if len(self._block) > 16 * 1024 * 1024:
            # A profile of 3 years x 96 rows is ~5 MB; 16 MB bounds memory against a looping server.
            raise ProtocolError("long get exceeds 16 MiB")
        if not apdu.last_block:
            self._outgoing.append(self._wrap(A.GetRequestNext(apdu.invoke_id, apdu.block_number).encode()))
            return []
        raw = bytes(self._block)
        self._block, self._block_number = None, 0
        self._take_pending(apdu.invoke_id)
        return [GetCompleted(apdu.invoke_id, decode_data_exact(raw, plain_integers=self.settings.plain_integers))]

    def _on_hls_response(self, apdu: A.ActionResponseNormal) -> list[Event]:
        assert self._protection is not None
        prot = self._protection
        if apdu.result != A.ActionResult.SUCCESS or not isinstance(apdu.return_data, bytes):
            self.state = State.IDLE
            return [AssociationRejected(0, AcseServiceUserDiagnostic.AUTHENTICATION_FAILURE, "HLS refused")]
        assert prot.peer_title is not None
        verify_hls_gmac_response(prot.keys, prot.peer_title, self._ctos, apdu.return_data)
        self.state = State.ASSOCIATED
        return [Associated(self.conformance, self.server_max_pdu, self.server_system_title)]


# ------------------------------------------------------------------------------------------ server
@dataclass
class ServerPolicy:
    """What a server logical device accepts from one client SAP.

    ``authentication`` is the mechanism it requires (NONE for the public client); ``keys`` make the context
    ciphered; ``read_only`` refuses set and action (public client); ``guard`` persists the clients' counters
    across associations; ``invocation_counter`` is the next counter the server ciphers with — pass the key
    set's shared :class:`~meterhub.dlms.security.InvocationCounter` when anything else (another association,
    a push) ciphers with the same key, so no counter is ever used twice.
    """

    system_title: bytes
    authentication: Mechanism = Mechanism.NONE
    keys: CipherKeys | None = None
    password: bytes | None = None
    conformance: int = DEFAULT_SERVER_CONFORMANCE
    max_receive_pdu_size: int = 1024
    read_only: bool = False
    invocation_counter: int | InvocationCounter = 1
    guard: InvocationCounterGuard = field(default_factory=InvocationCounterGuard)


class ServerAssociation:
    """Sans-io DLMS server side of one association (one client SAP on one logical device)."""

    def __init__(self, policy: ServerPolicy, random: Callable[[int], bytes] = os.urandom) -> None:
        self.policy = policy
        self.state = State.IDLE
        self._random = random
        self._outgoing: list[bytes] = []
        self._protection: _Protection | None = None
        if policy.keys is not None:
            self._protection = _Protection(policy.keys, policy.system_title, policy.invocation_counter, policy.guard)
        self.conformance = 0
        self.client_max_pdu = 0xFFFF
        self.client_system_title: bytes | None = None
        self._stoc = b""
        self._ctos = b""
        self._general = False  # answer form: general-glo-ciphering when the request used it
        self._blocks: list[bytes] = []
        self._block_invoke_id = 0
        self._block_number = 0
        self._long_set: tuple[int, A.AttributeRef, A.AccessSelection | None, bytearray] | None = None
        self.rejected_apdus = 0  # replayed / tampered / wrong-key APDUs refused

    @property
    def invocation_counter(self) -> int:
        """The next counter this server ciphers with (persist it)."""
        if self._protection is not None:
            return self._protection.counter
        counter = self.policy.invocation_counter
        return counter.value if isinstance(counter, InvocationCounter) else counter

    def take_outgoing(self) -> list[bytes]:
        """APDUs the association answered on its own: send them in order."""
        out, self._outgoing = self._outgoing, []
        return out

    # ----------------------------------------------------------------------------- replies
    def _wrap(self, plain: bytes) -> bytes:
        if self._protection is None:
            return plain
        return self._protection.protect(plain, self._general)

    def _limit(self) -> int:
        return min(self.client_max_pdu, 0xFFFF)

    def reply_get(self, invoke_id: int, result: Any) -> bytes:
        """Answer a :class:`GetRequested`: Data, or a DataAccessResult; long answers go in data blocks."""
        plain = A.GetResponseNormal(invoke_id, result).encode()
        if len(plain) + _BLOCK_OVERHEAD - 14 <= self._limit() or isinstance(result, A.DataAccessResult):
            return self._wrap(plain)
        if not self.conformance & Conformance.BLOCK_TRANSFER_WITH_GET_OR_READ:
            return self._wrap(A.GetResponseNormal(invoke_id, A.DataAccessResult.OTHER_REASON).encode())
        raw = encode_data(result)
        size = self._limit() - _BLOCK_OVERHEAD
        if size < 16:
            raise ProtocolError(f"client PDU size {self._limit()} too small for block transfer")
        self._blocks = [raw[i : i + size] for i in range(0, len(raw), size)]
        self._block_invoke_id = invoke_id
        self._block_number = 0
        return self._next_block()

    def _next_block(self) -> bytes:
        block = self._blocks.pop(0)
        self._block_number += 1
        last = not self._blocks
        return self._wrap(A.GetResponseWithDatablock(self._block_invoke_id, last, self._block_number, block).encode())

    def reply_get_list(self, invoke_id: int, results: list[Any]) -> bytes:
        """Answer a :class:`GetListRequested`."""
        return self._wrap(A.GetResponseWithList(invoke_id, tuple(results)).encode())

    def reply_set(self, invoke_id: int, result: A.DataAccessResult) -> bytes:
        """Answer a :class:`SetRequested`."""
        if self._long_set is not None:
            number = self._block_number
            self._long_set = None
            return self._wrap(A.SetResponseLastDatablock(invoke_id, result, number).encode())
        return self._wrap(A.SetResponseNormal(invoke_id, result).encode())

    def reply_action(self, invoke_id: int, result: A.ActionResult, return_data: Any = A.NO_DATA) -> bytes:
        """Answer an :class:`ActionRequested`."""
        return self._wrap(A.ActionResponseNormal(invoke_id, result, return_data).encode())

    def notify(self, body: Any, long_invoke_id: int, date_time: bytes | None = None) -> bytes:
        """A data-notification (push) on this association, ciphered like every other APDU."""
        return self._wrap(A.DataNotification(long_invoke_id, body, date_time).encode())

    # ----------------------------------------------------------------------------- receiving
    def receive(self, data: bytes) -> list[Event]:
        """Feed one APDU from the client; returns the requests the application must answer."""
        if is_acse(data):
            return self._receive_acse(data)
        apdu = A.decode_xdlms(data)
        if self.state not in (State.ASSOCIATED, State.AWAITING_HLS):
            self._refuse(A.ServiceError.OPERATION_NOT_POSSIBLE, plain=True)
            return []
        if _is_ciphered(apdu):
            if self._protection is None:
                self._refuse(A.ServiceError.DECIPHERING_ERROR, plain=True)
                return []
            assert isinstance(apdu, A.ServiceSpecificCiphered | A.GeneralGloCiphering | A.GeneralDedCiphering)
            if isinstance(apdu, A.GeneralDedCiphering):
                self._refuse(A.ServiceError.DECIPHERING_ERROR, plain=True)
                return []
            try:
                plain = self._protection.unprotect(apdu)
            except ReplayError as exc:
                self.rejected_apdus += 1
                self._outgoing.append(
                    A.ExceptionResponse(
                        A.StateError.SERVICE_NOT_ALLOWED,
                        A.ServiceError.INVOCATION_COUNTER_ERROR,
                        exc.expected,
                    ).encode()
                )
                return []
            except SecurityError:
                self.rejected_apdus += 1
                self._refuse(A.ServiceError.DECIPHERING_ERROR, plain=True)
                return []
            self._general = isinstance(apdu, A.GeneralGloCiphering)
            apdu = A.decode_xdlms(plain)
        elif self._protection is not None:
            self.rejected_apdus += 1
            self._refuse(A.ServiceError.DECIPHERING_ERROR, plain=True)
            return []
        if self.state == State.AWAITING_HLS:
            return self._on_hls(apdu)
        return self._dispatch(apdu)

    def _refuse(self, error: A.ServiceError, plain: bool = False) -> None:
        apdu = A.ExceptionResponse(A.StateError.SERVICE_NOT_ALLOWED, error).encode()
        self._outgoing.append(apdu if plain else self._wrap(apdu))

    def _dispatch(self, apdu: A.XdlmsApdu) -> list[Event]:
        if isinstance(apdu, A.GetRequestNormal):
            return [GetRequested(apdu.invoke_id, apdu.attribute, apdu.access)]
        if isinstance(apdu, A.GetRequestNext):
            if not self._blocks or apdu.block_number != self._block_number:
                error = A.DataAccessResult.NO_LONG_GET_IN_PROGRESS
                if self._blocks:
                    error = A.DataAccessResult.DATA_BLOCK_NUMBER_INVALID
                self._outgoing.append(
                    self._wrap(A.GetResponseWithDatablock(apdu.invoke_id, True, apdu.block_number, error).encode())
                )
                return []
            self._outgoing.append(self._next_block())
            return []
        if isinstance(apdu, A.GetRequestWithList):
            if not self.conformance & Conformance.MULTIPLE_REFERENCES:
                self._refuse(A.ServiceError.SERVICE_NOT_SUPPORTED)  # not negotiated in the AARE
                return []
            return [GetListRequested(apdu.invoke_id, apdu.items)]
        if isinstance(apdu, A.SetRequestNormal | A.SetRequestWithFirstDatablock | A.SetRequestWithDatablock):
            if self.policy.read_only:
                self._outgoing.append(
                    self._wrap(A.SetResponseNormal(apdu.invoke_id, A.DataAccessResult.READ_WRITE_DENIED).encode())
                )
                return []
            return self._on_set(apdu)
        if isinstance(apdu, A.ActionRequestNormal):
            if self.policy.read_only:
                self._outgoing.append(
                    self._wrap(A.ActionResponseNormal(apdu.invoke_id, A.ActionResult.READ_WRITE_DENIED).encode())
                )
                return []
            return [ActionRequested(apdu.invoke_id, apdu.method, apdu.parameters)]
        self._refuse(A.ServiceError.SERVICE_NOT_SUPPORTED)
        return []

    def _on_set(
        self, apdu: A.SetRequestNormal | A.SetRequestWithFirstDatablock | A.SetRequestWithDatablock
    ) -> list[Event]:
        if isinstance(apdu, A.SetRequestNormal):
            return [SetRequested(apdu.invoke_id, apdu.attribute, apdu.access, apdu.value)]
        if isinstance(apdu, A.SetRequestWithFirstDatablock):
            self._long_set = (apdu.invoke_id, apdu.attribute, apdu.access, bytearray(apdu.raw_data))
            self._block_number = apdu.block_number
        else:
            if self._long_set is None or apdu.block_number != self._block_number + 1:
                self._long_set = None
                self._outgoing.append(
                    self._wrap(A.SetResponseNormal(apdu.invoke_id, A.DataAccessResult.NO_LONG_SET_IN_PROGRESS).encode())
                )
                return []
            self._long_set[3].extend(apdu.raw_data)
            self._block_number = apdu.block_number
            if len(self._long_set[3]) > 4 * 1024 * 1024:
                self._long_set = None
                raise ProtocolError("long set exceeds 4 MiB")
        if not apdu.last_block:
            self._outgoing.append(self._wrap(A.SetResponseDatablock(apdu.invoke_id, self._block_number).encode()))
            return []
        invoke_id, attribute, access, raw = self._long_set
        try:
            value = decode_data_exact(bytes(raw))
        except DecodeError:
            self._long_set = None
            self._outgoing.append(
                self._wrap(A.SetResponseNormal(invoke_id, A.DataAccessResult.TYPE_UNMATCHED).encode())
            )
            return []
        return [SetRequested(invoke_id, attribute, access, value)]

    def _receive_acse(self, data: bytes) -> list[Event]:
        acse = decode_acse(data)
        if isinstance(acse, Aarq):
            self._outgoing.append(self._on_aarq(acse))
            if self.state == State.ASSOCIATED:
                return [Associated(self.conformance, self.client_max_pdu, self.client_system_title)]
            return []
        if isinstance(acse, Rlrq):
            self.state = State.RELEASED
            self._outgoing.append(Rlre(0).encode())
            return [Released()]
        raise ProtocolError(f"a server does not accept {type(acse).__name__}")

    def _reject(self, context: ApplicationContext, diagnostic: int, user: bytes | None = None) -> bytes:
        self.state = State.IDLE
        return Aare(context, AssociationResult.REJECTED_PERMANENT, diagnostic, user_information=user).encode()

    def _on_aarq(self, aarq: Aarq) -> bytes:
        p = self.policy
        want = ApplicationContext.LN_CIPHERED if self._protection else ApplicationContext.LN
        if aarq.application_context != want:
            return self._reject(
                aarq.application_context, AcseServiceUserDiagnostic.APPLICATION_CONTEXT_NAME_NOT_SUPPORTED
            )
        mechanism = aarq.mechanism or Mechanism.NONE
        if mechanism != p.authentication:
            diag = (
                AcseServiceUserDiagnostic.AUTHENTICATION_MECHANISM_NAME_REQUIRED
                if mechanism == Mechanism.NONE
                else AcseServiceUserDiagnostic.AUTHENTICATION_MECHANISM_NAME_NOT_RECOGNISED
            )
            return self._reject(want, diag)
        if mechanism == Mechanism.LOW and (aarq.calling_authentication_value or b"") != (p.password or b""):
            return self._reject(want, AcseServiceUserDiagnostic.AUTHENTICATION_FAILURE)
        if aarq.user_information is None:
            return self._reject(want, AcseServiceUserDiagnostic.NO_REASON_GIVEN)
        user = aarq.user_information
        if self._protection is not None:
            if aarq.calling_ap_title is None or len(aarq.calling_ap_title) != 8:
                return self._reject(want, AcseServiceUserDiagnostic.CALLING_AP_TITLE_NOT_RECOGNIZED)
            self.client_system_title = aarq.calling_ap_title
            self._protection.peer_title = aarq.calling_ap_title
            try:
                carrier = A.decode_xdlms(user)
                if not isinstance(carrier, A.ServiceSpecificCiphered | A.GeneralGloCiphering):
                    raise SecurityError("InitiateRequest in clear on a ciphered context")
                user = self._protection.unprotect(carrier)
            except (SecurityError, DecodeError):
                self.rejected_apdus += 1
                return self._reject(want, AcseServiceUserDiagnostic.AUTHENTICATION_FAILURE)
        try:
            initiate = InitiateRequest.decode(user)
        except DecodeError:
            return self._reject(want, AcseServiceUserDiagnostic.NO_REASON_GIVEN)
        if initiate.dlms_version < 6:
            error = A.ConfirmedServiceError(1, 6, 1).encode()  # initiateError, initiate, dlms-version-too-low
            return self._reject(want, AcseServiceUserDiagnostic.NO_REASON_GIVEN, self._wrap(error))
        if initiate.max_receive_pdu_size and initiate.max_receive_pdu_size < 64:
            error = A.ConfirmedServiceError(1, 6, 2).encode()  # pdu-size-too-short
            return self._reject(want, AcseServiceUserDiagnostic.NO_REASON_GIVEN, self._wrap(error))
        self.conformance = initiate.conformance & p.conformance
        self.client_max_pdu = initiate.max_receive_pdu_size or 0xFFFF
        response = self._wrap(InitiateResponse(self.conformance, p.max_receive_pdu_size).encode())
        title = p.system_title if self._protection else None
        if mechanism == Mechanism.HIGH_GMAC:
            if not aarq.calling_authentication_value:
                return self._reject(want, AcseServiceUserDiagnostic.AUTHENTICATION_FAILURE)
            self._ctos = aarq.calling_authentication_value
            self._stoc = self._random(16)
            self.state = State.AWAITING_HLS
            return Aare(
                want,
                AssociationResult.ACCEPTED,
                AcseServiceUserDiagnostic.AUTHENTICATION_REQUIRED,
                1,
                title,
                Mechanism.HIGH_GMAC,
                self._stoc,
                response,
            ).encode()
        self.state = State.ASSOCIATED
        return Aare(want, AssociationResult.ACCEPTED, 0, 1, title, aarq.mechanism, None, response).encode()

    def _on_hls(self, apdu: A.XdlmsApdu) -> list[Event]:
        ok = (
            isinstance(apdu, A.ActionRequestNormal)
            and apdu.method == A.MethodRef(ASSOCIATION_LN_CLASS, ASSOCIATION_LN, REPLY_TO_HLS_AUTHENTICATION)
            and isinstance(apdu.parameters, bytes)
        )
        if not ok:
            self._refuse(A.ServiceError.OPERATION_NOT_POSSIBLE)
            return []
        assert isinstance(apdu, A.ActionRequestNormal) and self._protection is not None
        prot = self._protection
        assert prot.peer_title is not None
        try:
            # f(StoC)'s own counter is checked on its own, not against the enclosing APDU's (INTEROP.md).
            verify_hls_gmac_response(prot.keys, prot.peer_title, self._stoc, apdu.parameters)
        except SecurityError:
            self.rejected_apdus += 1
            self.state = State.IDLE
            self._outgoing.append(
                self._wrap(A.ActionResponseNormal(apdu.invoke_id, A.ActionResult.OTHER_REASON).encode())
            )
            return []
        f_ctos = hls_gmac_response(prot.keys, prot.own_title, prot.next_counter(), self._ctos)
        self._outgoing.append(
            self._wrap(A.ActionResponseNormal(apdu.invoke_id, A.ActionResult.SUCCESS, f_ctos).encode())
        )
        self.state = State.ASSOCIATED
        return [Associated(self.conformance, self.client_max_pdu, self.client_system_title)]


__all__ = [
    "ActionCompleted",
    "ActionRequested",
    "Associated",
    "AssociationRejected",
    "ClientAssociation",
    "ClientSettings",
    "DlmsError",
    "Event",
    "ExceptionReceived",
    "GetCompleted",
    "GetListCompleted",
    "GetListRequested",
    "GetRequested",
    "NotificationReceived",
    "Released",
    "ServerAssociation",
    "ServerPolicy",
    "SetCompleted",
    "SetRequested",
    "State",
]
