"""The client side of a DLMS association, sans-io (Green Book §9.4: ACSE and xDLMS services; IEC 62056-5-3).

:class:`ClientAssociation` has the stack's one shape (:mod:`meterhub.dlms.sansio`): ``send(request)`` returns
the APDU for :class:`~.events.Associate`, :class:`~.events.Get`, :class:`~.events.Set`, :class:`~.events.Action`,
:class:`~.events.Release`…; the server's APDUs go in with ``receive_data(apdu)`` (one whole APDU per call: the
wrapper or HDLC below delimits them) and come out as events from ``next_event()``; APDUs the association sends
on its own — the HLS reply after the AARE, get-request-next during a long get, the next set block — are taken
with ``data_to_send()``. States move only through the table :data:`~.state.CLIENT`.

HLS-GMAC (mechanism 5, Green Book §9.2.7.4 pass 3/4): the client sends f(StoC) with the association LN object's
``reply_to_HLS_authentication`` and checks f(CtoS) in the answer. Long answers use get-response-with-datablock
(Green Book §9.3.5, "block transfer with GET"), long set values set-request-with-datablock. On a ciphered
context every answer must be ciphered (INTEROP.md) and authentic: a tampered, replayed or clear answer raises
:class:`~meterhub.dlms.errors.SecurityError` and is dropped, the association staying as it was.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

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
from meterhub.dlms.association.common import (
    BLOCK_OVERHEAD,
    DEFAULT_CLIENT_CONFORMANCE,
    HLS_METHOD,
    AssociationMachine,
    Protection,
    is_ciphered,
)
from meterhub.dlms.association.events import (
    Action,
    ActionCompleted,
    Associate,
    Associated,
    AssociationRejected,
    ClientRequest,
    ExceptionReceived,
    Get,
    GetCompleted,
    GetListCompleted,
    GetWithList,
    NotificationReceived,
    Release,
    Released,
    Set,
    SetCompleted,
)
from meterhub.dlms.association.state import CLIENT, ClientInput
from meterhub.dlms.axdr import decode_data_exact, encode_data
from meterhub.dlms.errors import LocalProtocolError, RemoteProtocolError, SecurityError
from meterhub.dlms.security import CipherKeys, InvocationCounterGuard, hls_gmac_response, verify_hls_gmac_response

__all__ = ["MAX_LONG_GET", "ClientAssociation", "ClientSettings"]

#: A long get is reassembled in memory up to this many octets. A load profile of 3 years × 96 rows is ~5 MB;
#: 16 MiB bounds what a looping or hostile server can make us hold (as h11 bounds an incomplete header).
MAX_LONG_GET: Final = 16 * 1024 * 1024
# The inputs of every request and answer, looked up once: an enum member's attribute access costs ~0.1 µs.
_REQUEST: Final = ClientInput.REQUEST
_RESPONSE: Final = ClientInput.RESPONSE


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


class ClientAssociation(AssociationMachine):
    """Sans-io DLMS client: one association with one server logical device."""

    _table = CLIENT

    def __init__(self, settings: ClientSettings, random: Callable[[int], bytes] = os.urandom) -> None:
        super().__init__()
        self.settings = settings
        self._random = random
        self._invoke_id = 1
        self._protection: Protection | None = None
        if settings.ciphered:
            if settings.keys is None or settings.system_title is None:
                raise LocalProtocolError("a ciphered client needs keys and a system title")
            self._protection = Protection(
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

    @property
    def invocation_counter(self) -> int:
        """The next invocation counter this client will use (persist it)."""
        return self._protection.counter if self._protection else self.settings.invocation_counter

    # ------------------------------------------------------------------------------ the sans-io shape
    def send(self, request: ClientRequest) -> bytes:
        """The APDU for ``request``; :class:`LocalProtocolError` when the state does not allow it."""
        if isinstance(request, Get):
            CLIENT.ours(self.state, _REQUEST)
            iid = self._next_invoke_id()
            return self._request(A.GetRequestNormal(iid, request.attribute, request.access), "get", iid)
        if isinstance(request, GetWithList):
            CLIENT.ours(self.state, _REQUEST)
            iid = self._next_invoke_id()
            return self._request(A.GetRequestWithList(iid, tuple(request.items)), "get-list", iid)
        if isinstance(request, Set):
            CLIENT.ours(self.state, _REQUEST)
            return self._set(request)
        if isinstance(request, Action):
            CLIENT.ours(self.state, _REQUEST)
            iid = self._next_invoke_id()
            return self._request(A.ActionRequestNormal(iid, request.method, request.parameters), "action", iid)
        if isinstance(request, Associate):
            return self._associate()
        if isinstance(request, Release):
            self.state = CLIENT.ours(self.state, ClientInput.RELEASE)
            return Rlrq(0).encode()
        raise LocalProtocolError(f"a client association does not send {type(request).__name__}")

    # ------------------------------------------------------------------------------ requests
    def _associate(self) -> bytes:
        after = CLIENT.ours(self.state, ClientInput.ASSOCIATE)
        s = self.settings
        initiate = InitiateRequest(s.conformance, s.max_receive_pdu_size).encode()
        mechanism = s.authentication if s.authentication != Mechanism.NONE else None
        auth_value: bytes | None = None
        if s.authentication == Mechanism.LOW:
            auth_value = s.password or b""
        elif s.authentication == Mechanism.HIGH_GMAC:
            if self._protection is None:
                raise LocalProtocolError("HLS-GMAC needs keys")
            self._ctos = self._random(s.challenge_length)
            auth_value = self._ctos
        elif s.authentication != Mechanism.NONE:
            raise LocalProtocolError(f"authentication mechanism {s.authentication.name} not supported")
        if self._protection is not None:
            initiate = self._protection.protect(initiate, general=False)
            context = ApplicationContext.LN_CIPHERED
        else:
            context = ApplicationContext.LN
        aarq = Aarq(context, s.system_title if self._protection else None, mechanism, auth_value, initiate).encode()
        self.state = after
        return aarq

    def _next_invoke_id(self) -> int:
        iid = self._invoke_id
        if self.settings.invoke_id_increment:
            self._invoke_id = (self._invoke_id % 15) + 1
        return 0xC0 | iid  # confirmed, high priority

    def _request(self, plain: A.XdlmsApdu, kind: str, invoke_id: int) -> bytes:
        self._pending[invoke_id & 0x0F] = kind
        return self._wrap(plain.encode())

    def _wrap(self, plain: bytes) -> bytes:
        if self._protection is None:
            return plain
        general = self.settings.general_protection and bool(self.conformance & Conformance.GENERAL_PROTECTION)
        return self._protection.protect(plain, general)

    def _set(self, request: Set) -> bytes:
        """A set-request; values too long for the server's PDU go as set-request-with-datablock."""
        iid = self._next_invoke_id()
        plain = A.SetRequestNormal(iid, request.attribute, request.value, request.access)
        if len(plain.encode()) + BLOCK_OVERHEAD <= self.server_max_pdu:
            return self._request(plain, "set", iid)
        raw = encode_data(request.value)
        size = max(16, self.server_max_pdu - BLOCK_OVERHEAD - 20)
        blocks = [raw[i : i + size] for i in range(0, len(raw), size)]
        self._long_set = blocks[1:]
        first = A.SetRequestWithFirstDatablock(iid, request.attribute, len(blocks) == 1, 1, blocks[0], request.access)
        return self._request(first, "set", iid)

    # ------------------------------------------------------------------------------ receiving
    def _enter(self, what: ClientInput) -> None:
        """The one place the state changes on the server's input: the table, or RemoteProtocolError."""
        self.state = CLIENT.theirs(self.state, what)

    def _receive(self, data: bytes) -> None:
        if is_acse(data):
            self._receive_acse(data)
            return
        plain = self.settings.plain_integers
        apdu = A.decode_xdlms(data, plain_integers=plain)
        if isinstance(apdu, A.GeneralDedCiphering):
            raise SecurityError("dedicated-key ciphering was not negotiated")
        if is_ciphered(apdu):
            if self._protection is None:
                raise SecurityError("ciphered APDU on an unciphered association")
            assert isinstance(apdu, A.ServiceSpecificCiphered | A.GeneralGloCiphering)
            apdu = A.decode_xdlms(self._protection.unprotect(apdu), plain_integers=plain)
        elif self._protection is not None and not isinstance(apdu, A.ExceptionResponse | A.ConfirmedServiceError):
            # INTEROP: every answer inside a ciphered association is ciphered; a clear one is refused.
            raise SecurityError(f"unciphered {type(apdu).__name__} inside a ciphered association")
        self._receive_plain(apdu)

    def _receive_acse(self, data: bytes) -> None:
        acse = decode_acse(data)
        if isinstance(acse, Aare):
            self._on_aare(acse)
        elif isinstance(acse, Rlre):
            self._enter(ClientInput.RLRE)
            self._events.append(Released())
        else:
            raise RemoteProtocolError(f"a client does not accept {type(acse).__name__}")

    def _on_aare(self, aare: Aare) -> None:
        if aare.result != AssociationResult.ACCEPTED:
            self._enter(ClientInput.AARE_REJECTED)
            self._events.append(AssociationRejected(aare.result, aare.diagnostic, "server rejected the association"))
            return
        user = aare.user_information
        if user is None:
            raise RemoteProtocolError("AARE without an InitiateResponse")
        if self._protection is not None:
            if aare.responding_ap_title is None:
                raise RemoteProtocolError("ciphered AARE without responding-AP-title")
            self.server_system_title = aare.responding_ap_title
            self._protection.peer_title = aare.responding_ap_title
            carrier = A.decode_xdlms(user)
            if not isinstance(carrier, A.ServiceSpecificCiphered | A.GeneralGloCiphering):
                raise SecurityError("InitiateResponse not glo-ciphered on a ciphered association")
            user = self._protection.unprotect(carrier)
        if user[:1] == bytes((A.Tag.CONFIRMED_SERVICE_ERROR,)):
            self._enter(ClientInput.AARE_REJECTED)
            self._events.append(AssociationRejected(aare.result, aare.diagnostic, "initiate refused"))
            return
        response = InitiateResponse.decode(user)
        if aare.diagnostic == AcseServiceUserDiagnostic.AUTHENTICATION_REQUIRED:
            if self.settings.authentication != Mechanism.HIGH_GMAC or self._protection is None:
                raise RemoteProtocolError("server asks for HLS the client did not propose")
            stoc = aare.responding_authentication_value
            if not stoc:
                raise RemoteProtocolError("HLS AARE without a server challenge")
            self._enter(ClientInput.AARE_HLS)
            self.conformance = response.conformance
            self.server_max_pdu = response.max_receive_pdu_size
            prot = self._protection
            f_stoc = hls_gmac_response(prot.keys, prot.own_title, prot.next_counter(), stoc)
            iid = self._next_invoke_id()
            self._outgoing.append(self._request(A.ActionRequestNormal(iid, HLS_METHOD, f_stoc), "hls", iid))
            return
        self._enter(ClientInput.AARE_ACCEPTED)
        self.conformance = response.conformance
        self.server_max_pdu = response.max_receive_pdu_size
        self._events.append(Associated(self.conformance, self.server_max_pdu, self.server_system_title))

    def _take_pending(self, invoke_id: int) -> str:
        kind = self._pending.pop(invoke_id & 0x0F, None)
        if kind is None:
            raise RemoteProtocolError(f"answer with invoke id {invoke_id & 0x0F} matches no request")
        return kind

    def _receive_plain(self, apdu: A.XdlmsApdu) -> None:
        events = self._events
        if isinstance(apdu, A.GetResponseNormal):
            self._enter(_RESPONSE)
            self._take_pending(apdu.invoke_id)
            events.append(GetCompleted(apdu.invoke_id, apdu.result))
        elif isinstance(apdu, A.GetResponseWithDatablock):
            self._enter(_RESPONSE)
            self._on_datablock(apdu)
        elif isinstance(apdu, A.GetResponseWithList):
            self._enter(_RESPONSE)
            self._take_pending(apdu.invoke_id)
            events.append(GetListCompleted(apdu.invoke_id, apdu.results))
        elif isinstance(apdu, A.SetResponseDatablock):
            self._enter(_RESPONSE)
            if not self._long_set:
                raise RemoteProtocolError("set-response-datablock without a long set in progress")
            if apdu.block_number >= 0xFFFFFFFF:
                raise RemoteProtocolError("set-response-datablock: block number out of range")
            block = self._long_set.pop(0)
            nxt = A.SetRequestWithDatablock(apdu.invoke_id, not self._long_set, apdu.block_number + 1, block)
            self._outgoing.append(self._wrap(nxt.encode()))
        elif isinstance(apdu, A.SetResponseNormal | A.SetResponseLastDatablock):
            self._enter(_RESPONSE)
            self._take_pending(apdu.invoke_id)
            events.append(SetCompleted(apdu.invoke_id, apdu.result))
        elif isinstance(apdu, A.SetResponseWithList):
            self._enter(_RESPONSE)
            self._take_pending(apdu.invoke_id)
            events.append(SetCompleted(apdu.invoke_id, apdu.results))
        elif isinstance(apdu, A.ActionResponseNormal):
            if self._pending.get(apdu.invoke_id & 0x0F) == "hls":
                self._on_hls_response(apdu)
            else:
                self._enter(_RESPONSE)
                self._take_pending(apdu.invoke_id)
                events.append(ActionCompleted(apdu.invoke_id, apdu.result, apdu.return_data))
        elif isinstance(apdu, A.ExceptionResponse | A.ConfirmedServiceError):
            self._enter(ClientInput.EXCEPTION)
            self._pending.clear()
            events.append(ExceptionReceived(apdu))
        elif isinstance(apdu, A.DataNotification | A.EventNotificationRequest):
            self._enter(ClientInput.NOTIFICATION)
            events.append(NotificationReceived(apdu))
        else:
            raise RemoteProtocolError(f"a client does not accept {type(apdu).__name__}")

    def _on_datablock(self, apdu: A.GetResponseWithDatablock) -> None:
        if (apdu.invoke_id & 0x0F) not in self._pending:
            raise RemoteProtocolError("data block matches no request")
        if isinstance(apdu.result, A.DataAccessResult):
            self._take_pending(apdu.invoke_id)
            self._block = None
            self._events.append(GetCompleted(apdu.invoke_id, apdu.result))
            return
        if apdu.block_number != self._block_number + 1:
            raise RemoteProtocolError(
                f"data block {apdu.block_number} out of order (expected {self._block_number + 1})"
            )
        if self._block is None:
            self._block = bytearray()
        self._block += apdu.result
        self._block_number = apdu.block_number
        if len(self._block) > MAX_LONG_GET:
            raise RemoteProtocolError(f"long get exceeds {MAX_LONG_GET >> 20} MiB")
        if not apdu.last_block:
            self._outgoing.append(self._wrap(A.GetRequestNext(apdu.invoke_id, apdu.block_number).encode()))
            return
        raw = bytes(self._block)
        self._block, self._block_number = None, 0
        self._take_pending(apdu.invoke_id)
        value = decode_data_exact(raw, plain_integers=self.settings.plain_integers)
        self._events.append(GetCompleted(apdu.invoke_id, value))

    def _on_hls_response(self, apdu: A.ActionResponseNormal) -> None:
        assert self._protection is not None
        prot = self._protection
        if apdu.result != A.ActionResult.SUCCESS or not isinstance(apdu.return_data, bytes):
            self._enter(ClientInput.HLS_REFUSED)
            self._take_pending(apdu.invoke_id)
            self._events.append(AssociationRejected(0, AcseServiceUserDiagnostic.AUTHENTICATION_FAILURE, "HLS refused"))
            return
        assert prot.peer_title is not None
        verify_hls_gmac_response(prot.keys, prot.peer_title, self._ctos, apdu.return_data)
        self._enter(ClientInput.HLS_PASSED)
        self._take_pending(apdu.invoke_id)
        self._events.append(Associated(self.conformance, self.server_max_pdu, self.server_system_title))
