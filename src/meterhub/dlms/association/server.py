"""The server side of a DLMS association, sans-io (Green Book §9.4: ACSE and xDLMS services; IEC 62056-5-3).

:class:`ServerAssociation` is one client SAP's association with one logical device, in the stack's one shape
(:mod:`meterhub.dlms.sansio`): the client's APDUs go in with ``receive_data(apdu)``; the requests the
application must answer come out of ``next_event()`` (:class:`~.events.GetRequested`,
:class:`~.events.SetRequested` …) and are answered with ``send(reply)`` (:class:`~.events.GetReply` …); what the
association answers on its own — the AARE, HLS pass 4, RLRE, the next block of a long get, refusals — is taken
with ``data_to_send()``. States move only through the table :data:`~.state.SERVER`.

Security (suite 0): on a ciphered context the server answers in the form the request used, service-specific or
general-glo-ciphering (INTEROP.md). A replayed, tampered or wrongly keyed APDU never gets data: the answer is
exception-response (state-error service-not-allowed; service-error invocation-counter-error with the next
expected counter, or deciphering-error), counted in ``rejected_apdus``, and the association stays as it was.
"""

from __future__ import annotations

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
from meterhub.dlms.association.common import (
    BLOCK_OVERHEAD,
    DEFAULT_SERVER_CONFORMANCE,
    HLS_METHOD,
    AssociationMachine,
    Protection,
    is_ciphered,
)
from meterhub.dlms.association.events import (
    ActionReply,
    ActionRequested,
    Associated,
    GetListRequested,
    GetReply,
    GetRequested,
    GetWithListReply,
    Notify,
    Released,
    ServerReply,
    SetReply,
    SetRequested,
)
from meterhub.dlms.association.state import SERVER, ServerInput
from meterhub.dlms.axdr import decode_data_exact, encode_data
from meterhub.dlms.errors import DecodeError, LocalProtocolError, RemoteProtocolError, ReplayError, SecurityError
from meterhub.dlms.security import (
    CipherKeys,
    InvocationCounter,
    InvocationCounterGuard,
    hls_gmac_response,
    verify_hls_gmac_response,
)

__all__ = ["MAX_LONG_SET", "ServerAssociation", "ServerPolicy"]

#: A long set is reassembled in memory up to this many octets (an activity calendar or a firmware block list
#: is far smaller); a client sending more is refused with RemoteProtocolError.
MAX_LONG_SET: Final = 4 * 1024 * 1024
# The inputs of every request and reply, looked up once: an enum member's attribute access costs ~0.1 µs.
_REQUEST: Final = ServerInput.REQUEST
_REPLY: Final = ServerInput.REPLY


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


class ServerAssociation(AssociationMachine):
    """Sans-io DLMS server side of one association (one client SAP on one logical device)."""

    _table = SERVER

    def __init__(self, policy: ServerPolicy, random: Callable[[int], bytes] = os.urandom) -> None:
        super().__init__()
        self.policy = policy
        self._random = random
        self._protection: Protection | None = None
        if policy.keys is not None:
            self._protection = Protection(policy.keys, policy.system_title, policy.invocation_counter, policy.guard)
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

    # ------------------------------------------------------------------------------ the sans-io shape
    def send(self, reply: ServerReply) -> bytes:
        """The APDU answering a request (or pushing a notification); only while associated."""
        SERVER.ours(self.state, _REPLY)
        if isinstance(reply, GetReply):
            return self._reply_get(reply.invoke_id, reply.result)
        if isinstance(reply, GetWithListReply):
            return self._wrap(A.GetResponseWithList(reply.invoke_id, tuple(reply.results)).encode())
        if isinstance(reply, SetReply):
            return self._reply_set(reply.invoke_id, reply.result)
        if isinstance(reply, ActionReply):
            return self._wrap(A.ActionResponseNormal(reply.invoke_id, reply.result, reply.return_data).encode())
        if isinstance(reply, Notify):
            return self._wrap(A.DataNotification(reply.long_invoke_id, reply.body, reply.date_time).encode())
        raise LocalProtocolError(f"a server association does not send {type(reply).__name__}")

    # ------------------------------------------------------------------------------ replies
    def _wrap(self, plain: bytes) -> bytes:
        if self._protection is None:
            return plain
        return self._protection.protect(plain, self._general)

    def _limit(self) -> int:
        return min(self.client_max_pdu, 0xFFFF)

    def _reply_get(self, invoke_id: int, result: Any) -> bytes:
        plain = A.GetResponseNormal(invoke_id, result).encode()
        if len(plain) + BLOCK_OVERHEAD - 14 <= self._limit() or isinstance(result, A.DataAccessResult):
            return self._wrap(plain)
        if not self.conformance & Conformance.BLOCK_TRANSFER_WITH_GET_OR_READ:
            return self._wrap(A.GetResponseNormal(invoke_id, A.DataAccessResult.OTHER_REASON).encode())
        raw = encode_data(result)
        size = self._limit() - BLOCK_OVERHEAD
        if size < 16:
            raise LocalProtocolError(f"client PDU size {self._limit()} too small for block transfer")
        self._blocks = [raw[i : i + size] for i in range(0, len(raw), size)]
        self._block_invoke_id = invoke_id
        self._block_number = 0
        return self._next_block()

    def _next_block(self) -> bytes:
        block = self._blocks.pop(0)
        self._block_number += 1
        last = not self._blocks
        return self._wrap(A.GetResponseWithDatablock(self._block_invoke_id, last, self._block_number, block).encode())

    def _reply_set(self, invoke_id: int, result: A.DataAccessResult) -> bytes:
        if self._long_set is not None:
            number = self._block_number
            self._long_set = None
            return self._wrap(A.SetResponseLastDatablock(invoke_id, result, number).encode())
        return self._wrap(A.SetResponseNormal(invoke_id, result).encode())

    # ------------------------------------------------------------------------------ receiving
    def _enter(self, what: ServerInput) -> None:
        """The one place the state changes on the client's input: the table, or RemoteProtocolError."""
        self.state = SERVER.theirs(self.state, what)

    def _receive(self, data: bytes) -> None:
        if is_acse(data):
            self._receive_acse(data)
            return
        apdu = A.decode_xdlms(data)
        after = SERVER.get(self.state, _REQUEST)  # None outside an association
        awaiting_hls = after is None and SERVER.allows(self.state, ServerInput.HLS_PASSED)
        if after is None and not awaiting_hls:
            self._refuse(A.ServiceError.OPERATION_NOT_POSSIBLE, plain=True)
            return
        if is_ciphered(apdu):
            if self._protection is None or isinstance(apdu, A.GeneralDedCiphering):
                self._refuse(A.ServiceError.DECIPHERING_ERROR, plain=True)
                return
            assert isinstance(apdu, A.ServiceSpecificCiphered | A.GeneralGloCiphering)
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
                return
            except SecurityError:
                self.rejected_apdus += 1
                self._refuse(A.ServiceError.DECIPHERING_ERROR, plain=True)
                return
            self._general = isinstance(apdu, A.GeneralGloCiphering)
            apdu = A.decode_xdlms(plain)
        elif self._protection is not None:
            self.rejected_apdus += 1
            self._refuse(A.ServiceError.DECIPHERING_ERROR, plain=True)
            return
        if after is None:
            self._on_hls(apdu)
        else:
            self.state = after  # the table's REQUEST transition, looked up above
            self._dispatch(apdu)

    def _refuse(self, error: A.ServiceError, plain: bool = False) -> None:
        apdu = A.ExceptionResponse(A.StateError.SERVICE_NOT_ALLOWED, error).encode()
        self._outgoing.append(apdu if plain else self._wrap(apdu))

    def _dispatch(self, apdu: A.XdlmsApdu) -> None:
        out = self._outgoing
        if isinstance(apdu, A.GetRequestNormal):
            self._events.append(GetRequested(apdu.invoke_id, apdu.attribute, apdu.access))
        elif isinstance(apdu, A.GetRequestNext):
            if not self._blocks or apdu.block_number != self._block_number:
                error = A.DataAccessResult.NO_LONG_GET_IN_PROGRESS
                if self._blocks:
                    error = A.DataAccessResult.DATA_BLOCK_NUMBER_INVALID
                out.append(
                    self._wrap(A.GetResponseWithDatablock(apdu.invoke_id, True, apdu.block_number, error).encode())
                )
            else:
                out.append(self._next_block())
        elif isinstance(apdu, A.GetRequestWithList):
            if not self.conformance & Conformance.MULTIPLE_REFERENCES:
                self._refuse(A.ServiceError.SERVICE_NOT_SUPPORTED)  # not negotiated in the AARE
            else:
                self._events.append(GetListRequested(apdu.invoke_id, apdu.items))
        elif isinstance(apdu, A.SetRequestNormal | A.SetRequestWithFirstDatablock | A.SetRequestWithDatablock):
            if self.policy.read_only:
                denied = A.SetResponseNormal(apdu.invoke_id, A.DataAccessResult.READ_WRITE_DENIED)
                out.append(self._wrap(denied.encode()))
            else:
                self._on_set(apdu)
        elif isinstance(apdu, A.ActionRequestNormal):
            if self.policy.read_only:
                denied_action = A.ActionResponseNormal(apdu.invoke_id, A.ActionResult.READ_WRITE_DENIED)
                out.append(self._wrap(denied_action.encode()))
            else:
                self._events.append(ActionRequested(apdu.invoke_id, apdu.method, apdu.parameters))
        else:
            self._refuse(A.ServiceError.SERVICE_NOT_SUPPORTED)

    def _on_set(self, apdu: A.SetRequestNormal | A.SetRequestWithFirstDatablock | A.SetRequestWithDatablock) -> None:
        if isinstance(apdu, A.SetRequestNormal):
            self._events.append(SetRequested(apdu.invoke_id, apdu.attribute, apdu.access, apdu.value))
            return
        if isinstance(apdu, A.SetRequestWithFirstDatablock):
            self._long_set = (apdu.invoke_id, apdu.attribute, apdu.access, bytearray(apdu.raw_data))
            self._block_number = apdu.block_number
        else:
            if self._long_set is None or apdu.block_number != self._block_number + 1:
                self._long_set = None
                refused = A.SetResponseNormal(apdu.invoke_id, A.DataAccessResult.NO_LONG_SET_IN_PROGRESS)
                self._outgoing.append(self._wrap(refused.encode()))
                return
            self._long_set[3].extend(apdu.raw_data)
            self._block_number = apdu.block_number
            if len(self._long_set[3]) > MAX_LONG_SET:
                self._long_set = None
                raise RemoteProtocolError(f"long set exceeds {MAX_LONG_SET >> 20} MiB")
        if not apdu.last_block:
            self._outgoing.append(self._wrap(A.SetResponseDatablock(apdu.invoke_id, self._block_number).encode()))
            return
        invoke_id, attribute, access, raw = self._long_set
        try:
            value = decode_data_exact(bytes(raw))
        except DecodeError:
            self._long_set = None
            unmatched = A.SetResponseNormal(invoke_id, A.DataAccessResult.TYPE_UNMATCHED)
            self._outgoing.append(self._wrap(unmatched.encode()))
            return
        self._events.append(SetRequested(invoke_id, attribute, access, value))

    def _receive_acse(self, data: bytes) -> None:
        acse = decode_acse(data)
        if isinstance(acse, Aarq):
            aare, outcome = self._on_aarq(acse)
            self._enter(outcome)
            self._outgoing.append(aare)
            if outcome is ServerInput.AARQ_ACCEPTED:
                self._events.append(Associated(self.conformance, self.client_max_pdu, self.client_system_title))
        elif isinstance(acse, Rlrq):
            self._enter(ServerInput.RLRQ)
            self._outgoing.append(Rlre(0).encode())
            self._events.append(Released())
        else:
            raise RemoteProtocolError(f"a server does not accept {type(acse).__name__}")

    def _reject(
        self, context: ApplicationContext, diagnostic: int, user: bytes | None = None
    ) -> tuple[bytes, ServerInput]:
        aare = Aare(context, AssociationResult.REJECTED_PERMANENT, diagnostic, user_information=user)
        return aare.encode(), ServerInput.AARQ_REJECTED

    def _on_aarq(self, aarq: Aarq) -> tuple[bytes, ServerInput]:
        """The AARE answering ``aarq`` and the table input it amounts to (accepted, HLS pending, rejected)."""
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
            aare = Aare(
                want,
                AssociationResult.ACCEPTED,
                AcseServiceUserDiagnostic.AUTHENTICATION_REQUIRED,
                1,
                title,
                Mechanism.HIGH_GMAC,
                self._stoc,
                response,
            )
            return aare.encode(), ServerInput.AARQ_HLS
        aare = Aare(want, AssociationResult.ACCEPTED, 0, 1, title, aarq.mechanism, None, response)
        return aare.encode(), ServerInput.AARQ_ACCEPTED

    def _on_hls(self, apdu: A.XdlmsApdu) -> None:
        if not (
            isinstance(apdu, A.ActionRequestNormal) and apdu.method == HLS_METHOD and isinstance(apdu.parameters, bytes)
        ):
            self._refuse(A.ServiceError.OPERATION_NOT_POSSIBLE)
            return
        assert self._protection is not None
        prot = self._protection
        assert prot.peer_title is not None
        try:
            # f(StoC)'s own counter is checked on its own, not against the enclosing APDU's (INTEROP.md).
            verify_hls_gmac_response(prot.keys, prot.peer_title, self._stoc, apdu.parameters)
        except SecurityError:
            self.rejected_apdus += 1
            self._enter(ServerInput.HLS_REFUSED)
            refused = A.ActionResponseNormal(apdu.invoke_id, A.ActionResult.OTHER_REASON)
            self._outgoing.append(self._wrap(refused.encode()))
            return
        self._enter(ServerInput.HLS_PASSED)
        f_ctos = hls_gmac_response(prot.keys, prot.own_title, prot.next_counter(), self._ctos)
        self._outgoing.append(
            self._wrap(A.ActionResponseNormal(apdu.invoke_id, A.ActionResult.SUCCESS, f_ctos).encode())
        )
        self._events.append(Associated(self.conformance, self.client_max_pdu, self.client_system_title))
