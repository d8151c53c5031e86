"""What an HDLC link reports and what it is asked to do (IEC 62056-46 clause 6.4.4), as small immutable values.

Events out of ``next_event()``: :class:`Connected` (link up), :class:`ApduReceived` (a whole APDU, segments
reassembled), :class:`Disconnected` (link down). Requests into ``send()``: :class:`Connect` (SNRM),
:class:`Disconnect` (DISC), :class:`Poll` (RR with the poll bit) and :class:`SendApdu` (I-frames, segmented).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from meterhub.dlms.hdlc.parameters import HdlcParameters

__all__ = [
    "ApduReceived",
    "Connect",
    "Connected",
    "Disconnect",
    "Disconnected",
    "HdlcEvent",
    "LinkRequest",
    "Poll",
    "SendApdu",
]


@dataclass(frozen=True, slots=True)
class Connected:
    """The link is up (UA to our SNRM, or an SNRM we accepted); ``params`` = our view of the negotiated
    limits."""

    params: HdlcParameters


@dataclass(frozen=True, slots=True)
class ApduReceived:
    """A complete APDU arrived: segments reassembled, LLC header removed."""

    apdu: bytes


@dataclass(frozen=True, slots=True)
class Disconnected:
    """The link is down: ``reason`` is the frame that ended it (``"UA"`` to our DISC, ``"DM"``,
    ``"DISC"``)."""

    reason: str


HdlcEvent: TypeAlias = Connected | ApduReceived | Disconnected


@dataclass(frozen=True, slots=True)
class Connect:
    """Client: open the link with SNRM carrying the proposal (clause 6.4.4.4.3.1)."""


@dataclass(frozen=True, slots=True)
class Disconnect:
    """Client: close the link with DISC (clause 6.4.4.4.3.3); queued segments are dropped."""


@dataclass(frozen=True, slots=True)
class Poll:
    """Client: RR with the poll bit, asking the server for data it has not sent yet (only when it is our turn)."""


@dataclass(frozen=True, slots=True)
class SendApdu:
    """Either end: send ``apdu`` in I-frames (LLC header prepended, cut into ``max_info_tx`` segments)."""

    apdu: bytes


LinkRequest: TypeAlias = Connect | Disconnect | Poll | SendApdu
