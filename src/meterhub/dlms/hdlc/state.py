"""The HDLC link state machines as explicit transition tables (IEC 62056-46 clause 6.4.4: the normal
disconnected mode NDM, the normal response mode NRM and the two transitions between them).

One :class:`~meterhub.dlms.sansio.TransitionTable` per station. Rows are the :class:`LinkState`\\ s; each lists
the inputs that state accepts — our requests (:class:`LinkInput`) and the frame kinds the peer sends
(:class:`~meterhub.dlms.hdlc.frame.FrameKind`) — and the state each leads to. The links change state only
through these tables:

* a request of ours missing from the row raises :class:`~meterhub.dlms.errors.LocalProtocolError` and changes
  nothing (SNRM while connected, an APDU while disconnected);
* a frame missing from the row is, as HDLC has it, a frame the state does not expect: the client ignores it
  and counts it (``frames_ignored``); the server does the same for UI, and refuses the responses UA, DM and
  FRMR — which a secondary station never receives — with :class:`~meterhub.dlms.errors.RemoteProtocolError`,
  the link unchanged;
* FRMR at the client (the server's frame-reject condition) and an APDU longer than ``max_message`` (the peer
  broke the reassembly cap) lead to :attr:`LinkState.ERROR`, with a RemoteProtocolError: the link is over and
  accepts nothing more.

Sequence and size errors inside data transfer (a wrong N(S) or N(R), no P/F bit, an information field over the
negotiated maximum) are refused frame by frame with RemoteProtocolError and leave the link as it was: the
frame is checked before anything changes, and the caller's response timeout recovers, as in HDLC.
"""

from __future__ import annotations

from typing import Final

from meterhub.dlms.hdlc.frame import FrameKind
from meterhub.dlms.sansio import MachineEnum, TransitionTable

__all__ = ["CLIENT_LINK", "RESPONSES", "SERVER_LINK", "LinkInput", "LinkState"]


class LinkState(MachineEnum):
    """Connection state of a link object (IEC 62056-46 clause 6.4.4: NDM, NRM, and the two transitions)."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTING = "disconnecting"
    ERROR = "error"  # frame reject, or the reassembly cap broken: terminal


class LinkInput(MachineEnum):
    """What moves a link besides the peer's frames: our requests, and an over-long reassembled APDU."""

    CONNECT = "connect (SNRM)"
    DISCONNECT = "disconnect (DISC)"
    SEND = "send an APDU"
    POLL = "poll (RR)"
    OVERSIZED = "an APDU over the reassembly cap"


#: Response frames (clause 6.4.3): a secondary station (the server) never receives one.
RESPONSES: Final = frozenset({FrameKind.UA, FrameKind.DM, FrameKind.FRMR})

_F, _L, _S = FrameKind, LinkInput, LinkState
CLIENT_LINK: Final = TransitionTable[LinkState, FrameKind | LinkInput](
    "HDLC client link",
    {
        _S.DISCONNECTED: {_L.CONNECT: _S.CONNECTING},
        _S.CONNECTING: {
            _F.UA: _S.CONNECTED,
            _F.DM: _S.DISCONNECTED,
            _F.FRMR: _S.ERROR,
            _L.DISCONNECT: _S.DISCONNECTING,
        },
        _S.CONNECTED: {
            _F.I: _S.CONNECTED,
            _F.RR: _S.CONNECTED,
            _F.RNR: _S.CONNECTED,
            _F.DM: _S.DISCONNECTED,
            _F.FRMR: _S.ERROR,
            _L.OVERSIZED: _S.ERROR,
            _L.SEND: _S.CONNECTED,
            _L.POLL: _S.CONNECTED,
            _L.DISCONNECT: _S.DISCONNECTING,
        },
        _S.DISCONNECTING: {_F.UA: _S.DISCONNECTED, _F.DM: _S.DISCONNECTED, _F.FRMR: _S.ERROR},
        _S.ERROR: {},
    },
    _S.ERROR,
)

SERVER_LINK: Final = TransitionTable[LinkState, FrameKind | LinkInput](
    "HDLC server link",
    {
        # While disconnected, DISC is answered with DM, and I/RR/RNR with the poll bit too (clause 6.4.4.4.3.3).
        _S.DISCONNECTED: {
            _F.SNRM: _S.CONNECTED,
            _F.DISC: _S.DISCONNECTED,
            _F.I: _S.DISCONNECTED,
            _F.RR: _S.DISCONNECTED,
            _F.RNR: _S.DISCONNECTED,
        },
        # A new SNRM from the connected client resets the link (frames of other clients are ignored before this).
        _S.CONNECTED: {
            _F.SNRM: _S.CONNECTED,
            _F.DISC: _S.DISCONNECTED,
            _F.I: _S.CONNECTED,
            _F.RR: _S.CONNECTED,
            _F.RNR: _S.CONNECTED,
            _L.OVERSIZED: _S.ERROR,
            _L.SEND: _S.CONNECTED,
        },
        _S.ERROR: {},
    },
    _S.ERROR,
)
