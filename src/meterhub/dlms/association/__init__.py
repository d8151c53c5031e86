"""Client and server association state machines, sans-io (Green Book §9.4: ACSE and xDLMS services).

:class:`ClientAssociation` and :class:`ServerAssociation` work on whole APDUs — the transport (TCP wrapper, HDLC)
is the driver's business — in the stack's one shape (:mod:`meterhub.dlms.sansio`): ``send(request) -> bytes``,
``receive_data(apdu)``, ``next_event()`` until :data:`~meterhub.dlms.sansio.NEED_DATA`, ``data_to_send()`` for
what the association sends on its own. The package: :mod:`.events` (what comes out, what goes in),
:mod:`.state` (the transition tables), :mod:`.client`, :mod:`.server` and :mod:`.common` (ciphering, the HLS
method, conformance defaults). Callers import this package, not the modules.

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

from meterhub.dlms.association.client import ClientAssociation, ClientSettings
from meterhub.dlms.association.common import HLS_METHOD
from meterhub.dlms.association.events import (
    Action,
    ActionCompleted,
    ActionReply,
    ActionRequested,
    Associate,
    Associated,
    AssociationRejected,
    ClientRequest,
    Event,
    ExceptionReceived,
    Get,
    GetCompleted,
    GetListCompleted,
    GetListRequested,
    GetReply,
    GetRequested,
    GetWithList,
    GetWithListReply,
    NotificationReceived,
    Notify,
    Release,
    Released,
    ServerReply,
    Set,
    SetCompleted,
    SetReply,
    SetRequested,
)
from meterhub.dlms.association.server import ServerAssociation, ServerPolicy
from meterhub.dlms.association.state import State
from meterhub.dlms.errors import DlmsError

__all__ = [
    "HLS_METHOD",
    "Action",
    "ActionCompleted",
    "ActionReply",
    "ActionRequested",
    "Associate",
    "Associated",
    "AssociationRejected",
    "ClientAssociation",
    "ClientRequest",
    "ClientSettings",
    "DlmsError",
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
    "ServerAssociation",
    "ServerPolicy",
    "ServerReply",
    "Set",
    "SetCompleted",
    "SetReply",
    "SetRequested",
    "State",
]
