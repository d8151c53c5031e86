"""What an HDLC link object reports (IEC 62056-46 clause 6.4.4): link up, an APDU received, link down."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TypeAlias

from meterhub.dlms.hdlc.parameters import HdlcParameters


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


class LinkState(enum.Enum):
    """Connection state of a link object (IEC 62056-46 clause 6.4.4: NDM, NRM, and the two transitions)."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTING = "disconnecting"
