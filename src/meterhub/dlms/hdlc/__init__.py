"""IEC 62056-46 HDLC data link layer (frame format type 3), sans-io.

What is here, by module:

* :mod:`.frame` — :func:`crc16_x25` (HCS and FCS, clause 6.4.6), :class:`HdlcAddress` (clause 6.4.2.2),
  :class:`HdlcFrame` with :func:`encode_frame` / :func:`decode_frame` (clause 6.4; **no byte stuffing**: the
  11-bit length delimits the frame).
* :mod:`.decoder` — :class:`HdlcFrameDecoder`, a byte-stream decoder that resynchronises on the next flag after
  garbage.
* :mod:`.parameters` — :class:`HdlcParameters`, the SNRM/UA information field of clause 6.4.4.4.3.2 (format
  identifier ``81``, group ``80``, parameters ``05``..``08``), and :func:`negotiate`.
* :mod:`.link` — :class:`HdlcClientLink`, :class:`HdlcServerLink`: the connection-mode procedures of clause
  6.4.4 (normal response mode, window 1) with the LLC header of clause 8 (IEC 62056-46 amendment 1 / Green
  Book: ``E6 E6 00`` client→server, ``E6 E7 00`` server→client) and segmentation of long APDUs (clause
  6.4.4.3.4); what they report and what they are asked is in :mod:`.events`, their transition tables in
  :mod:`.state`.

Sans-io, in the stack's one shape (:mod:`meterhub.dlms.sansio`): bytes in, events and bytes out. Nothing
here opens a port, reads a clock or keeps global state; response timeouts and retransmission timers belong to
the caller (who has the clock). Callers import this package, not the modules.
"""

from meterhub.dlms.hdlc.decoder import HdlcFrameDecoder
from meterhub.dlms.hdlc.events import (
    ApduReceived,
    Connect,
    Connected,
    Disconnect,
    Disconnected,
    HdlcEvent,
    LinkRequest,
    Poll,
    SendApdu,
)
from meterhub.dlms.hdlc.frame import (
    DEFAULT_MAX_INFO,
    DEFAULT_WINDOW,
    FLAG,
    LLC_REQUEST,
    LLC_RESPONSE,
    MAX_FRAME_LENGTH,
    MAX_INFO_LENGTH,
    FrameKind,
    HdlcAddress,
    HdlcFrame,
    crc16_x25,
    decode_address,
    decode_frame,
    encode_address,
    encode_frame,
)
from meterhub.dlms.hdlc.link import HdlcClientLink, HdlcServerLink
from meterhub.dlms.hdlc.parameters import HdlcParameters, negotiate
from meterhub.dlms.hdlc.state import LinkState

__all__ = [
    "DEFAULT_MAX_INFO",
    "DEFAULT_WINDOW",
    "FLAG",
    "LLC_REQUEST",
    "LLC_RESPONSE",
    "MAX_FRAME_LENGTH",
    "MAX_INFO_LENGTH",
    "ApduReceived",
    "Connect",
    "Connected",
    "Disconnect",
    "Disconnected",
    "FrameKind",
    "HdlcAddress",
    "HdlcClientLink",
    "HdlcEvent",
    "HdlcFrame",
    "HdlcFrameDecoder",
    "HdlcParameters",
    "HdlcServerLink",
    "LinkRequest",
    "LinkState",
    "Poll",
    "SendApdu",
    "crc16_x25",
    "decode_address",
    "decode_frame",
    "encode_address",
    "encode_frame",
    "negotiate",
]
