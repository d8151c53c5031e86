"""The connection-mode procedures of IEC 62056-46 clause 6.4.4 (normal response mode, window 1), sans-io."""

from __future__ import annotations

from collections import deque
from typing import Final

from meterhub.dlms.errors import DecodeError, EncodeError, ProtocolError
from meterhub.dlms.hdlc.decoder import HdlcFrameDecoder
from meterhub.dlms.hdlc.events import ApduReceived, Connected, Disconnected, HdlcEvent, LinkState
from meterhub.dlms.hdlc.frame import (
    LLC_REQUEST,
    LLC_RESPONSE,
    FrameKind,
    HdlcAddress,
    HdlcFrame,
    encode_frame,
)
from meterhub.dlms.hdlc.parameters import HdlcParameters, negotiate

MAX_MESSAGE_DEFAULT: Final = 0xFFFF + len(LLC_REQUEST)
"""Reassembly cap: a DLMS max-receive-pdu-size is a uint16, plus the three-byte LLC header."""


class _HdlcLink:
    """Data transfer shared by both ends (IEC 62056-46 clause 6.4.4.3, normal response mode, **window 1**).

    Window 1 is all DLMS needs and all this implementation does: every frame is sent with P/F = 1, handing the
    turn to the peer, and an I-frame must be acknowledged (N(R) of the peer's next I, RR or RNR) before the
    next one is sent. Segments of a long APDU (format S bit) are each answered with RR by the receiver.

    Outgoing bytes: h11-style, everything this object wants sent — including automatic answers produced while
    handling received frames (RR between segments, UA, DM, queued segments) — goes into one buffer that
    :meth:`data_to_send` drains. The action methods (``connect``, ``send_apdu``, ``disconnect``, ``poll``)
    return ``data_to_send()`` for convenience; after :meth:`receive_data`, call :meth:`data_to_send`.

    Sequence errors: an I-frame whose N(S) is not our V(R), or any I/RR/RNR whose N(R) does not acknowledge
    all our I-frames (window 1, so N(R) must equal our V(S)), raises :class:`ProtocolError`; so do I/RR/RNR
    frames without the P/F bit (a window larger than 1). We do not keep frames for retransmission and send no
    REJ: the caller, who owns the clock and the response timeout, disconnects and reconnects. A frame is
    checked before any state changes, so after a :class:`ProtocolError` the link is as it was; frames after
    the offending one in the same :meth:`receive_data` call are dropped.
    """

    _rx_llc: bytes
    _tx_llc: bytes

    def __init__(self, local: HdlcAddress, max_message: int) -> None:
        if max_message < len(LLC_REQUEST):
            raise EncodeError("max_message must leave room for the LLC header")
        self.local: Final = local
        self.max_message: Final = max_message
        self.state = LinkState.DISCONNECTED
        self.params = HdlcParameters()
        self.frames_ignored = 0
        self._peer: HdlcAddress | None = None
        self._decoder = HdlcFrameDecoder()
        self._out = bytearray()
        self._vs = 0
        self._vr = 0
        self._may_send = False  # we hold the poll/final turn
        self._unacked = False  # we sent an I-frame not yet acknowledged
        self._tx_mid_message = False  # the last I-frame we sent had the S bit
        self._tx: deque[tuple[bytes, bool]] = deque()
        self._rx = bytearray()

    # ---- public

    @property
    def discarded_bytes(self) -> int:
        """Bytes the frame decoder dropped as garbage or damaged frames."""
        return self._decoder.discarded_bytes

    @property
    def rejected_frames(self) -> int:
        """Damaged or invalid frames the frame decoder dropped."""
        return self._decoder.rejected_frames

    @property
    def busy(self) -> bool:
        """An APDU is in transfer: ours has segments queued or unacknowledged, or the peer's is incomplete.

        (The last frame of a message stays unacknowledged until the peer's next frame; that is not busy.)
        """
        return bool(self._tx) or self._tx_mid_message or bool(self._rx)

    def data_to_send(self) -> bytes:
        """Drain and return everything queued for the peer."""
        out = bytes(self._out)
        self._out.clear()
        return out

    def receive_data(self, data: bytes) -> list[HdlcEvent]:
        """Feed received bytes; return the events they cause. Then send :meth:`data_to_send`.

        Raises :class:`DecodeError` or :class:`ProtocolError` for peer frames we cannot accept (see class
        doc); damaged frames and frames for other stations are dropped and counted, not raised.
        """
        events: list[HdlcEvent] = []
        for frame in self._decoder.feed(data):
            self._handle(frame, events)
        return events

    def send_apdu(self, apdu: bytes) -> bytes:
        """Queue ``apdu`` (LLC header prepended, cut into ``params.max_info_tx`` segments) and return what can
        be sent now. Later segments go out as the peer's RR arrive (via :meth:`data_to_send`)."""
        if self.state is not LinkState.CONNECTED:
            raise ProtocolError(f"send_apdu while {self.state.value}")
        message = self._tx_llc + bytes(apdu)
        size = self.params.max_info_tx
        chunks = [message[i : i + size] for i in range(0, len(message), size)]
        for index, chunk in enumerate(chunks):
            self._tx.append((chunk, index < len(chunks) - 1))
        self._pump()
        return self.data_to_send()

    # ---- internals

    def _handle(self, frame: HdlcFrame, events: list[HdlcEvent]) -> None:
        raise NotImplementedError

    def _send(self, frame: HdlcFrame) -> None:
        self._out += encode_frame(frame)
        if frame.poll_final:
            self._may_send = False

    def _frame(
        self,
        kind: FrameKind,
        *,
        send_seq: int = 0,
        recv_seq: int = 0,
        segmented: bool = False,
        info: bytes = b"",
    ) -> HdlcFrame:
        # the peer is known before any frame is sent: fixed (client) or taken from the SNRM/DISC (server)
        assert self._peer is not None
        return HdlcFrame(self._peer, self.local, kind, send_seq, recv_seq, True, segmented, info)

    def _reset(self) -> None:
        self._vs = self._vr = 0
        self._unacked = False
        self._tx_mid_message = False
        self._tx.clear()
        self._rx.clear()

    def _pump(self) -> None:
        """Send the next queued segment if it is our turn and the previous I-frame is acknowledged."""
        if (
            self.state is not LinkState.CONNECTED
            or not self._may_send
            or self._unacked
            or self._rx  # the peer is sending a segmented APDU: we only answer RR until its last segment
            or not self._tx
        ):
            return
        info, segmented = self._tx.popleft()
        self._send(self._frame(FrameKind.I, send_seq=self._vs, recv_seq=self._vr, segmented=segmented, info=info))
        self._vs = (self._vs + 1) % 8
        self._unacked = True
        self._tx_mid_message = segmented

    def _check_sequenced(self, frame: HdlcFrame) -> None:
        if not frame.poll_final:
            raise ProtocolError(f"{frame.kind.value} without P/F bit: only window 1 is supported")
        if frame.recv_seq != self._vs:
            raise ProtocolError(f"N(R)={frame.recv_seq} does not acknowledge our frames (V(S)={self._vs})")

    def _on_information(self, frame: HdlcFrame, events: list[HdlcEvent]) -> None:
        self._check_sequenced(frame)
        if frame.send_seq != self._vr:
            raise ProtocolError(f"I-frame N(S)={frame.send_seq}, expected {self._vr}")
        if self._tx_mid_message:
            raise ProtocolError("I-frame received while our segmented APDU is in transfer (expected RR)")
        if len(frame.info) > self.params.max_info_rx:
            raise ProtocolError(
                f"information field of {len(frame.info)} bytes exceeds the negotiated {self.params.max_info_rx}"
            )
        if len(self._rx) + len(frame.info) > self.max_message:
            raise ProtocolError(f"reassembled APDU exceeds {self.max_message} bytes")
        message = b""
        if not frame.segmented:
            message = bytes(self._rx) + frame.info
            if message[: len(self._rx_llc)] != self._rx_llc:
                raise DecodeError(f"LLC header {message[:3].hex()}, expected {self._rx_llc.hex()}")
        # checks passed: change state
        self._vr = (self._vr + 1) % 8
        self._unacked = False
        self._may_send = True
        if frame.segmented:
            self._rx += frame.info
            self._send(self._frame(FrameKind.RR, recv_seq=self._vr))
            return
        self._rx.clear()
        events.append(ApduReceived(message[len(self._rx_llc) :]))
        self._pump()

    def _on_supervisory(self, frame: HdlcFrame) -> bool:
        """RR/RNR while connected; return True if the turn is still ours afterwards (nothing was sent)."""
        self._check_sequenced(frame)
        self._unacked = False
        self._may_send = True
        if frame.kind is FrameKind.RR:
            self._pump()
        return self._may_send


class HdlcClientLink(_HdlcLink):
    """The client (primary station) end of an IEC 62056-46 HDLC link, sans-io, window 1.

    >>> link = HdlcClientLink(HdlcAddress.client(16), HdlcAddress.server(1, 17))
    >>> link.connect().hex()
    '7ea00802232193bd647e'

    ``connect()`` sends SNRM with ``proposal`` (parameters at their default are left out, so the default
    proposal sends an SNRM without information field); the UA yields ``Connected(params)`` with our view of
    the negotiated limits (:func:`negotiate` of the UA's parameters and our proposal). A DM instead yields
    ``Disconnected("DM")``. ``send_apdu`` prepends ``E6 E6 00`` and segments; answers come as
    ``ApduReceived``. ``disconnect()`` sends DISC; UA or DM yield ``Disconnected``. Frames whose destination
    is not our address or whose source is not the server, and frames that mean nothing in the current state (a
    stray UA, UI, a command), are ignored and counted in ``frames_ignored``; FRMR raises
    :class:`ProtocolError`.
    """

    _rx_llc = LLC_RESPONSE
    _tx_llc = LLC_REQUEST

    def __init__(
        self,
        client_address: HdlcAddress,
        server_address: HdlcAddress,
        proposal: HdlcParameters | None = None,
        *,
        max_message: int = MAX_MESSAGE_DEFAULT,
    ) -> None:
        super().__init__(client_address, max_message)
        proposal = proposal or HdlcParameters()
        if proposal.window_tx != 1 or proposal.window_rx != 1:
            raise EncodeError("HdlcClientLink implements window 1 only")
        self.proposal: Final = proposal
        self.server_address: Final = server_address
        self._peer = server_address

    def connect(self) -> bytes:
        """Send SNRM (clause 6.4.4.4.3.1); returns the bytes to send."""
        if self.state is not LinkState.DISCONNECTED:
            raise ProtocolError(f"connect while {self.state.value}")
        self._reset()
        self.state = LinkState.CONNECTING
        self._send(self._frame(FrameKind.SNRM, info=self.proposal.encode(omit_defaults=True)))
        return self.data_to_send()

    def disconnect(self) -> bytes:
        """Send DISC (clause 6.4.4.4.3.3); queued segments are dropped. Returns the bytes to send."""
        if self.state not in (LinkState.CONNECTED, LinkState.CONNECTING):
            raise ProtocolError(f"disconnect while {self.state.value}")
        self._reset()
        self.state = LinkState.DISCONNECTING
        self._send(self._frame(FrameKind.DISC))
        return self.data_to_send()

    def poll(self) -> bytes:
        """Send RR with the poll bit, asking the server for data it has not sent yet (e.g. after it answered a
        request with RR only). Allowed only when the turn is ours."""
        if self.state is not LinkState.CONNECTED or not self._may_send:
            raise ProtocolError("poll needs a connected link whose turn it is")
        self._send(self._frame(FrameKind.RR, recv_seq=self._vr))
        return self.data_to_send()

    def _handle(self, frame: HdlcFrame, events: list[HdlcEvent]) -> None:
        ours = frame.destination.same_station(self.local)
        if not (ours and frame.source.same_station(self.server_address)):
            self.frames_ignored += 1
            return
        kind = frame.kind
        if kind is FrameKind.FRMR and self.state is not LinkState.DISCONNECTED:
            raise ProtocolError(f"server rejected our frame (FRMR {frame.info.hex()})")
        if self.state is LinkState.CONNECTING and kind is FrameKind.UA:
            params = negotiate(HdlcParameters.decode(frame.info), self.proposal)
            self._reset()
            self.params = params
            self.state = LinkState.CONNECTED
            self._may_send = True
            events.append(Connected(params))
        elif self.state in (LinkState.CONNECTING, LinkState.CONNECTED) and kind is FrameKind.DM:
            self._end(events, "DM")
        elif self.state is LinkState.DISCONNECTING and kind in (FrameKind.UA, FrameKind.DM):
            self._end(events, kind.value)
        elif self.state is LinkState.CONNECTED and kind is FrameKind.I:
            self._on_information(frame, events)
        elif self.state is LinkState.CONNECTED and kind in (FrameKind.RR, FrameKind.RNR):
            self._on_supervisory(frame)
        else:
            self.frames_ignored += 1

    def _end(self, events: list[HdlcEvent], reason: str) -> None:
        self._reset()
        self.state = LinkState.DISCONNECTED
        self._may_send = False
        events.append(Disconnected(reason))


class HdlcServerLink(_HdlcLink):
    """The server (secondary station) end of an IEC 62056-46 HDLC link, sans-io, window 1.

    * SNRM (from any client, while disconnected; from the connected client, resetting the link) is answered
      with UA carrying the negotiated parameters (:func:`negotiate` of the SNRM's proposal and ``limits``), or
      with a UA without information field when they come out at the defaults; yields ``Connected(params)``.
    * DISC is answered with UA and yields ``Disconnected("DISC")`` when connected, with DM otherwise.
    * I, RR and RNR with the poll bit while disconnected are answered with DM (clause 6.4.4.4.3.3).
    * I-frames: segments are acknowledged with RR, the reassembled APDU (``E6 E6 00`` removed) yields
      ``ApduReceived``; answer it with :meth:`send_apdu`, which prepends ``E6 E7 00`` and sends the first
      segment, the rest following each RR of the client. A poll (RR) with nothing to send is answered with RR.
    * Frames for another server address, from another client while connected, and UI frames are ignored and
      counted in ``frames_ignored``; UA, DM and FRMR (responses, which a secondary never receives) raise
      :class:`ProtocolError`.
    """

    _rx_llc = LLC_REQUEST
    _tx_llc = LLC_RESPONSE

    def __init__(
        self,
        address: HdlcAddress,
        limits: HdlcParameters | None = None,
        *,
        max_message: int = MAX_MESSAGE_DEFAULT,
    ) -> None:
        super().__init__(address, max_message)
        limits = limits or HdlcParameters()
        if limits.window_tx != 1 or limits.window_rx != 1:
            raise EncodeError("HdlcServerLink implements window 1 only")
        self.limits: Final = limits

    @property
    def peer(self) -> HdlcAddress | None:
        """The client address of the current (or last) connection."""
        return self._peer

    def _handle(self, frame: HdlcFrame, events: list[HdlcEvent]) -> None:
        if not frame.destination.same_station(self.local):
            self.frames_ignored += 1
            return
        connected = self.state is LinkState.CONNECTED
        assert not connected or self._peer is not None
        if connected and self._peer is not None and not frame.source.same_station(self._peer):
            self.frames_ignored += 1
            return
        kind = frame.kind
        if kind is FrameKind.SNRM:
            params = negotiate(HdlcParameters.decode(frame.info), self.limits)
            self._reset()
            self._peer = frame.source
            self.params = params
            self.state = LinkState.CONNECTED
            self._send(self._frame(FrameKind.UA, info=b"" if params.is_default else params.encode()))
            events.append(Connected(params))
        elif kind is FrameKind.DISC:
            self._peer = frame.source
            if connected:
                self._reset()
                self.state = LinkState.DISCONNECTED
                self._send(self._frame(FrameKind.UA))
                events.append(Disconnected("DISC"))
            else:
                self._send(self._frame(FrameKind.DM))
        elif kind in (FrameKind.I, FrameKind.RR, FrameKind.RNR):
            if not connected:
                if frame.poll_final:
                    self._peer = frame.source
                    self._send(self._frame(FrameKind.DM))
                else:
                    self.frames_ignored += 1
            elif kind is FrameKind.I:
                self._on_information(frame, events)
            elif self._on_supervisory(frame):
                # a poll we have nothing for (or RNR): answer "receiver ready", handing the turn back
                self._send(self._frame(FrameKind.RR, recv_seq=self._vr))
        elif kind is FrameKind.UI:
            self.frames_ignored += 1
        else:
            raise ProtocolError(f"{kind.value} is a response; a server never receives one")
