"""What an association reports and what it is asked to send (Green Book §9.4: ACSE and xDLMS services), as h11's
``_events.py``: small immutable values.

Events come out of ``next_event()``: on the client the answers (:class:`Associated`, :class:`GetCompleted` …),
on the server the requests the application must answer (:class:`GetRequested` …). Requests go into
``send()``: the client's :class:`Associate`, :class:`Get`, :class:`GetWithList`, :class:`Set`, :class:`Action`,
:class:`Release`; the server's replies :class:`GetReply`, :class:`GetWithListReply`, :class:`SetReply`,
:class:`ActionReply` and the push :class:`Notify`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from meterhub.dlms import apdu as A

__all__ = [
    "Action",
    "ActionCompleted",
    "ActionReply",
    "ActionRequested",
    "Associate",
    "Associated",
    "AssociationRejected",
    "ClientRequest",
    "Event",
    "ExceptionReceived",
    "Get",
    "GetCompleted",
    "GetListCompleted",
    "GetListRequested",
    "GetReply",
    "GetRequested",
    "GetWithList",
    "GetWithListReply",
    "NotificationReceived",
    "Notify",
    "Release",
    "Released",
    "ServerReply",
    "Set",
    "SetCompleted",
    "SetReply",
    "SetRequested",
]


# ------------------------------------------------------------------------------- events: the client's
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


# ------------------------------------------------------------------------------- events: the server's
@dataclass(frozen=True, slots=True)
class GetRequested:
    """Server side: the client asks for an attribute; answer with :class:`GetReply`."""

    invoke_id: int
    attribute: A.AttributeRef
    access: A.AccessSelection | None


@dataclass(frozen=True, slots=True)
class GetListRequested:
    """Server side: get-request-with-list; answer with :class:`GetWithListReply`."""

    invoke_id: int
    items: tuple[tuple[A.AttributeRef, A.AccessSelection | None], ...]


@dataclass(frozen=True, slots=True)
class SetRequested:
    """Server side: set of one attribute (long sets arrive reassembled); answer with :class:`SetReply`."""

    invoke_id: int
    attribute: A.AttributeRef
    access: A.AccessSelection | None
    value: Any


@dataclass(frozen=True, slots=True)
class ActionRequested:
    """Server side: a method invocation other than HLS (which the association handles); :class:`ActionReply`."""

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


# ----------------------------------------------------------------------------- requests: the client's
@dataclass(frozen=True, slots=True)
class Associate:
    """Open the association: the AARQ (with the InitiateRequest, ciphered on a ciphered context)."""


@dataclass(frozen=True, slots=True)
class Get:
    """get-request-normal for one attribute, optionally with selective access."""

    attribute: A.AttributeRef
    access: A.AccessSelection | None = None


@dataclass(frozen=True, slots=True)
class GetWithList:
    """get-request-with-list: several attributes in one request (needs the multiple-references conformance)."""

    items: tuple[tuple[A.AttributeRef, A.AccessSelection | None], ...]


@dataclass(frozen=True, slots=True)
class Set:
    """set-request for one attribute; a value too long for the server's PDU goes in data blocks."""

    attribute: A.AttributeRef
    value: Any
    access: A.AccessSelection | None = None


@dataclass(frozen=True, slots=True)
class Action:
    """action-request-normal: invoke a method with optional parameters."""

    method: A.MethodRef
    parameters: Any = A.NO_DATA


@dataclass(frozen=True, slots=True)
class Release:
    """End the association: the RLRQ (reason normal)."""


ClientRequest = Associate | Get | GetWithList | Set | Action | Release


# ----------------------------------------------------------------------------- requests: the server's
@dataclass(frozen=True, slots=True)
class GetReply:
    """Answer a :class:`GetRequested`: Data, or a DataAccessResult; long answers go in data blocks."""

    invoke_id: int
    result: Any


@dataclass(frozen=True, slots=True)
class GetWithListReply:
    """Answer a :class:`GetListRequested`: one result (Data or DataAccessResult) per attribute."""

    invoke_id: int
    results: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class SetReply:
    """Answer a :class:`SetRequested`."""

    invoke_id: int
    result: A.DataAccessResult


@dataclass(frozen=True, slots=True)
class ActionReply:
    """Answer an :class:`ActionRequested` with the method's result and optional return data."""

    invoke_id: int
    result: A.ActionResult
    return_data: Any = A.NO_DATA


@dataclass(frozen=True, slots=True)
class Notify:
    """A data-notification (push, Green Book §9.3.13) on this association, ciphered like every other APDU."""

    body: Any
    long_invoke_id: int
    date_time: bytes | None = None


ServerReply = GetReply | GetWithListReply | SetReply | ActionReply | Notify
