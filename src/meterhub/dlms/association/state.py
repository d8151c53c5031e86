"""The association state machines as explicit transition tables (Green Book §9.4.4; IEC 62056-5-3 §7, the
application association's states), as h11 keeps its in ``_state.py``.

One :class:`~meterhub.dlms.sansio.TransitionTable` per role. Rows are the association states; each row lists
the inputs that state accepts — our requests (``send``) and what the peer sent (read by ``next_event``) — and
the state each leads to. The machines change state only through these tables:

* a request of ours missing from the row raises :class:`~meterhub.dlms.errors.LocalProtocolError` and changes
  nothing (a get before the association is open, a release while not associated);
* on the client, a received APDU missing from the row is the server's fault: a
  :class:`~meterhub.dlms.errors.RemoteProtocolError`, and the association goes to :attr:`State.ERROR` (an RLRE
  nobody asked for, an answer while idle). The server instead answers an xDLMS request its state does not
  allow with exception-response (state-error service-not-allowed, service-error operation-not-possible), as
  the Green Book has a server do, and raises only for ACSE APDUs a server never receives (AARE, RLRE);
* :attr:`State.ERROR` accepts nothing: the association is over.

Received APDUs that are refused as a whole before they reach the table — undecodable
(:class:`~meterhub.dlms.errors.DecodeError`), not authentic or replayed
(:class:`~meterhub.dlms.errors.SecurityError`) — leave the state as it was: an attacker's forgery must not
end a genuine association. Block-transfer progress (long get, long set) is kept by block number inside the
ASSOCIATED state, not as states of its own.
"""

from __future__ import annotations

from typing import Final

from meterhub.dlms.sansio import MachineEnum, TransitionTable

__all__ = ["CLIENT", "SERVER", "ClientInput", "ServerInput", "State"]


class State(MachineEnum):
    """Association states (Green Book §9.4.4, simplified to what a confirmed-service client/server needs)."""

    IDLE = "idle"
    AWAITING_AARE = "awaiting-aare"
    AWAITING_HLS = "awaiting-hls"  # AARE accepted with authentication-required, pass 3/4 pending
    ASSOCIATED = "associated"
    AWAITING_RLRE = "awaiting-rlre"
    RELEASED = "released"
    ERROR = "error"  # the peer broke the protocol: terminal


class ClientInput(MachineEnum):
    """What moves a client association: its own requests, then what the server sends."""

    # ours
    ASSOCIATE = "send an AARQ"
    REQUEST = "send a get, set or action request"
    RELEASE = "send an RLRQ"
    # the server's
    AARE_ACCEPTED = "an AARE accepting the association"
    AARE_HLS = "an AARE asking for HLS pass 3/4"
    AARE_REJECTED = "an AARE refusing the association (or its InitiateRequest)"
    HLS_PASSED = "the HLS reply with a valid f(CtoS)"
    HLS_REFUSED = "an HLS reply refusing our f(StoC)"
    RESPONSE = "a get, set or action response"
    EXCEPTION = "an exception-response or confirmed-service-error"
    NOTIFICATION = "a data- or event-notification"
    RLRE = "an RLRE"


_C = ClientInput
CLIENT: Final = TransitionTable[State, ClientInput](
    "client association",
    {
        State.IDLE: {_C.ASSOCIATE: State.AWAITING_AARE},
        State.AWAITING_AARE: {
            _C.AARE_ACCEPTED: State.ASSOCIATED,
            _C.AARE_HLS: State.AWAITING_HLS,
            _C.AARE_REJECTED: State.IDLE,
            _C.EXCEPTION: State.IDLE,
        },
        State.AWAITING_HLS: {
            _C.HLS_PASSED: State.ASSOCIATED,
            _C.HLS_REFUSED: State.IDLE,
            _C.EXCEPTION: State.IDLE,
        },
        State.ASSOCIATED: {
            _C.REQUEST: State.ASSOCIATED,
            _C.RELEASE: State.AWAITING_RLRE,
            _C.RESPONSE: State.ASSOCIATED,
            _C.EXCEPTION: State.ASSOCIATED,
            _C.NOTIFICATION: State.ASSOCIATED,
        },
        # Answers to requests sent before the RLRQ may still arrive before the RLRE.
        State.AWAITING_RLRE: {
            _C.RLRE: State.RELEASED,
            _C.RESPONSE: State.AWAITING_RLRE,
            _C.EXCEPTION: State.AWAITING_RLRE,
            _C.NOTIFICATION: State.AWAITING_RLRE,
        },
        State.RELEASED: {_C.ASSOCIATE: State.AWAITING_AARE},
        State.ERROR: {},
    },
    State.ERROR,
)


class ServerInput(MachineEnum):
    """What moves a server association: what the client sends, then the server's own replies."""

    # the client's
    AARQ_ACCEPTED = "an AARQ we accept"
    AARQ_HLS = "an AARQ we accept pending HLS pass 3/4"
    AARQ_REJECTED = "an AARQ we refuse"
    HLS_PASSED = "the HLS action with a valid f(StoC)"
    HLS_REFUSED = "an HLS action with a wrong f(StoC)"
    REQUEST = "an xDLMS request"
    RLRQ = "an RLRQ"
    # ours
    REPLY = "send a reply or a push"


_S = ServerInput
_AARQ: Final = {_S.AARQ_ACCEPTED: State.ASSOCIATED, _S.AARQ_HLS: State.AWAITING_HLS, _S.AARQ_REJECTED: State.IDLE}
SERVER: Final = TransitionTable[State, ServerInput](
    "server association",
    {
        # An AARQ is taken in every state: a client that lost track opens the association afresh.
        State.IDLE: {**_AARQ, _S.RLRQ: State.RELEASED},
        State.AWAITING_HLS: {
            **_AARQ,
            _S.HLS_PASSED: State.ASSOCIATED,
            _S.HLS_REFUSED: State.IDLE,
            _S.RLRQ: State.RELEASED,
        },
        State.ASSOCIATED: {**_AARQ, _S.REQUEST: State.ASSOCIATED, _S.REPLY: State.ASSOCIATED, _S.RLRQ: State.RELEASED},
        State.RELEASED: {**_AARQ, _S.RLRQ: State.RELEASED},
        State.ERROR: {},
    },
    State.ERROR,
)
