"""The connection-mode procedures of IEC 62056-46 clause 6.4.4 (normal response mode, window 1), sans-io.

:class:`HdlcClientLink` (primary station) and :class:`HdlcServerLink` (secondary station) have the stack's one
shape (:mod:`meterhub.dlms.sansio`): ``receive_data(bytes)``, ``next_event()`` until
:data:`~meterhub.dlms.sansio.NEED_DATA`, ``send(request) -> bytes`` for :class:`~.events.Connect`,
:class:`~.events.Disconnect`, :class:`~.events.Poll` and :class:`~.events.SendApdu`, and ``data_to_send()`` for
what the link answers on its own (RR between segments, UA, DM, queued segments). They change state only
through the tables of :mod:`.state`. The LLC header of clause 8 (IEC 62056-46 amendment 1 / Green Book:
``E6 E6 00`` client→server, ``E6 E7 00`` server→client) is added and removed here, and long APDUs are
segmented (clause 6.4.4.3.4).
"""

from __future__ import annotations

from collections import deque
from typing import Final

from meterhub.dlms.errors import DecodeError, EncodeError, LocalProtocolError, RemoteProtocolError
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
from meterhub.dlms.hdlc.frame import LLC_REQUEST, LLC_RESPONSE, FrameKind, HdlcAddress, HdlcFrame, encode_frame
from meterhub.dlms.hdlc.parameters import HdlcParameters, negotiate
from meterhub.dlms.hdlc.state import CLIENT_LINK, RESPONSES, SERVER_LINK, LinkInput, LinkState
from meterhub.dlms.sansio import NEED_DATA, NeedData, TransitionTable

__all__ = ["MAX_MESSAGE_DEFAULT", "HdlcClientLink", "HdlcServerLink"]

MAX_MESSAGE_DEFAULT: Final = 0xFFFF + len(LLC_REQUEST)
"""Reassembly cap: a DLMS max-receive-pdu-size is a uint16, plus the three-byte LLC header."""


class _HdlcLink:
    """Data transfer shared by both ends (IEC 62056-46 clause 6.4.4.3, normal response mode, **window 1**).

    Window 1 is all DLMS needs and all this implementation does: every frame is sent with P/F = 1, handing the
    turn to the peer, and an I-frame must be acknowledged (N(R) of the peer's next I, RR or RNR) before the
    next one is sent. Segments of a long APDU (format S bit) are each answered with RR by the receiver.

    Outgoing bytes: h11-style, everything this object wants sent — including automatic answers produced while
    handling received frames (RR between segments, UA, DM, queued segments) — goes into one buffer that
    :meth:`data_to_send` drains; :meth:`send` returns ``data_to_send()`` for convenience.

    Sequence errors: an I-frame whose N(S) is not our V(R), or any I/RR/RNR whose N(R) does not acknowledge
    all our I-frames (window 1, so N(R) must equal our V(S)), raises :class:`RemoteProtocolError`; so do
    I/RR/RNR frames without the P/F bit (a window larger than 1). We do not keep frames for retransmission and
    send no REJ: the caller, who owns the clock and the response timeout, disconnects and reconnects. A frame
    is checked before any state changes, so after such an error the link is as it was, and the next
    :meth:`next_event` goes on with the frames after the offending one.

    Buffers: the frame decoder holds less than one maximal frame (:attr:`HdlcFrameDecoder.MAX_BUFFERED`), the
    reassembly at most ``max_message`` octets (beyond it: :attr:`LinkState.ERROR`).
    """

    _rx_llc: bytes
    _tx_llc: bytes
    _table: TransitionTable[LinkState, FrameKind | LinkInput]

    def __init__(self, local: HdlcAddress, max_message: int) -> None:
        if max_message < len(LLC_REQUEST):
            raise EncodeError("max_message must leave room for the LLC header")
        self.local: Final = local
        self.max_message: Final = max_message
        self.state = LinkState.DISCONNECTED
        self.params = HdlcParameters()
        self.frames_ignored = 0
        self.error: RemoteProtocolError | None = None  # what put the link in LinkState.ERROR
        self._peer: HdlcAddress | None = None
        self._decoder = HdlcFrameDecoder()
        self._events: deque[HdlcEvent] = deque()
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

    def receive_data(self, data: bytes) -> None:
        """Received bytes, in any chunking; ``b""`` says the line closed. Read the events with :meth:`next_event`."""
        self._decoder.receive_data(data)

    def next_event(self) -> HdlcEvent | NeedData:
        """The next event, or :data:`NEED_DATA`; then send :meth:`data_to_send`.

        Raises :class:`DecodeError` or :class:`RemoteProtocolError` for peer frames we cannot accept (see
        :mod:`.state`); damaged frames and frames for other stations are dropped and counted, not raised.
        """
        if self.error is not None:  # in LinkState.ERROR
            raise RemoteProtocolError(f"the link failed earlier: {self.error}")
        events = self._events
        while not events:
            frame = self._decoder.next_event()
            if frame is NEED_DATA:
                return NEED_DATA
            self._handle(frame)
        return events.popleft()

    def data_to_send(self) -> bytes:
        """Drain and return everything queued for the peer."""
        out = bytes(self._out)
        self._out.clear()
        return out

    def send(self, request: LinkRequest) -> bytes:
        """Act on ``request`` and return what can be sent now (later segments go out as the peer's RR arrive,
        via :meth:`data_to_send`). :class:`LocalProtocolError` when the link's state does not allow it."""
        if not isinstance(request, SendApdu):
            raise LocalProtocolError(f"an HDLC server link does not send {type(request).__name__}")
        self._table.ours(self.state, LinkInput.SEND)
        message = self._tx_llc + bytes(request.apdu)
        size = self.params.max_info_tx
        chunks = [message[i : i + size] for i in range(0, len(message), size)]
        for index, chunk in enumerate(chunks):
            self._tx.append((chunk, index < len(chunks) - 1))
        self._pump()
        return self.data_to_send()

    # ---- internals

    def _handle(self, frame: HdlcFrame) -> None:
        raise NotImplementedError

    def _fail(self, what: FrameKind | LinkInput, error: RemoteProtocolError) -> RemoteProtocolError:
        """Enter the error state through the table; the error to raise."""
        self.state = self._table.theirs(self.state, what)
        assert self.state is LinkState.ERROR
        self.error = error
        self._reset()
        return error

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
            raise RemoteProtocolError(f"{frame.kind.value} without P/F bit: only window 1 is supported")
        if frame.recv_seq != self._vs:
            raise RemoteProtocolError(f"N(R)={frame.recv_seq} does not acknowledge our frames (V(S)={self._vs})")

    def _on_information(self, frame: HdlcFrame) -> None:
        self._check_sequenced(frame)
        if frame.send_seq != self._vr:
            raise RemoteProtocolError(f"I-frame N(S)={frame.send_seq}, expected {self._vr}")
        if self._tx_mid_message:
            raise RemoteProtocolError("I-frame received while our segmented APDU is in transfer (expected RR)")
        if len(frame.info) > self.params.max_info_rx:
            raise RemoteProtocolError(
                f"information field of {len(frame.info)} bytes exceeds the negotiated {self.params.max_info_rx}"
            )
        if len(self._rx) + len(frame.info) > self.max_message:
            error = RemoteProtocolError(f"reassembled APDU exceeds {self.max_message} bytes")
            raise self._fail(LinkInput.OVERSIZED, error)
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
        self._events.append(ApduReceived(message[len(self._rx_llc) :]))
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
    >>> link.send(Connect()).hex()
    '7ea00802232193bd647e'

    :class:`~.events.Connect` sends SNRM with ``proposal`` (parameters at their default are left out, so the
    default proposal sends an SNRM without information field); the UA yields ``Connected(params)`` with our
    view of the negotiated limits (:func:`negotiate` of the UA's parameters and our proposal). A DM instead
    yields ``Disconnected("DM")``. :class:`~.events.SendApdu` prepends ``E6 E6 00`` and segments; answers come
    as ``ApduReceived``. :class:`~.events.Disconnect` sends DISC; UA or DM yield ``Disconnected``. Frames whose
    destination is not our address or whose source is not the server, and frames that mean nothing in the
    current state (a stray UA, UI, a command), are ignored and counted in ``frames_ignored``; FRMR raises
    :class:`RemoteProtocolError` and ends the link (:attr:`LinkState.ERROR`).
    """

    _rx_llc = LLC_RESPONSE
    _tx_llc = LLC_REQUEST
    _table = CLIENT_LINK

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

    def send(self, request: LinkRequest) -> bytes:
        if isinstance(request, SendApdu):
            return super().send(request)
        if isinstance(request, Poll):
            # RR with the poll bit, allowed only when the turn is ours
            self._table.ours(self.state, LinkInput.POLL)
            if not self._may_send:
                raise LocalProtocolError("poll needs a connected link whose turn it is")
            self._send(self._frame(FrameKind.RR, recv_seq=self._vr))
        elif isinstance(request, Connect):
            self.state = self._table.ours(self.state, LinkInput.CONNECT)
            self._reset()
            self._send(self._frame(FrameKind.SNRM, info=self.proposal.encode(omit_defaults=True)))
        elif isinstance(request, Disconnect):
            self.state = self._table.ours(self.state, LinkInput.DISCONNECT)
            self._reset()
            self._send(self._frame(FrameKind.DISC))
        else:
            raise LocalProtocolError(f"an HDLC client link does not send {type(request).__name__}")
        return self.data_to_send()

    def _handle(self, frame: HdlcFrame) -> None:
        ours = frame.destination.same_station(self.local)
        if not (ours and frame.source.same_station(self.server_address)):
            self.frames_ignored += 1
            return
        kind = frame.kind
        after = self._table.get(self.state, kind)
        if after is None:
            self.frames_ignored += 1
        elif after is LinkState.ERROR:
            raise self._fail(kind, RemoteProtocolError(f"server rejected our frame (FRMR {frame.info.hex()})"))
        elif kind is FrameKind.I:
            self._on_information(frame)
        elif kind is FrameKind.RR or kind is FrameKind.RNR:
            self._on_supervisory(frame)
        elif after is LinkState.CONNECTED:  # UA to our SNRM
            params = negotiate(HdlcParameters.decode(frame.info), self.proposal)
            self._reset()
            self.params = params
            self.state = after
            self._may_send = True
            self._events.append(Connected(params))
        else:  # DM, or UA to our DISC
            self._reset()
            self.state = after
            self._may_send = False
            self._events.append(Disconnected(kind.value))


class HdlcServerLink(_HdlcLink):
    """The server (secondary station) end of an IEC 62056-46 HDLC link, sans-io, window 1.

    * SNRM (from any client, while disconnected; from the connected client, resetting the link) is answered
      with UA carrying the negotiated parameters (:func:`negotiate` of the SNRM's proposal and ``limits``), or
      with a UA without information field when they come out at the defaults; yields ``Connected(params)``.
    * DISC is answered with UA and yields ``Disconnected("DISC")`` when connected, with DM otherwise.
    * I, RR and RNR with the poll bit while disconnected are answered with DM (clause 6.4.4.4.3.3).
    * I-frames: segments are acknowledged with RR, the reassembled APDU (``E6 E6 00`` removed) yields
      ``ApduReceived``; answer it with :class:`~.events.SendApdu`, which prepends ``E6 E7 00`` and sends the
      first segment, the rest following each RR of the client. A poll (RR) with nothing to send is answered
      with RR.
    * Frames for another server address, from another client while connected, and UI frames are ignored and
      counted in ``frames_ignored``; UA, DM and FRMR (responses, which a secondary never receives) raise
      :class:`RemoteProtocolError`, the link unchanged.
    """

    _rx_llc = LLC_REQUEST
    _tx_llc = LLC_RESPONSE
    _table = SERVER_LINK

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

    def _handle(self, frame: HdlcFrame) -> None:
        if not frame.destination.same_station(self.local):
            self.frames_ignored += 1
            return
        connected = self.state is LinkState.CONNECTED
        assert not connected or self._peer is not None
        if connected and self._peer is not None and not frame.source.same_station(self._peer):
            self.frames_ignored += 1
            return
        kind = frame.kind
        after = self._table.get(self.state, kind)
        if after is None:
            if kind in RESPONSES:
                raise RemoteProtocolError(f"{kind.value} is a response; a server never receives one")
            self.frames_ignored += 1  # UI
        elif kind is FrameKind.SNRM:
            params = negotiate(HdlcParameters.decode(frame.info), self.limits)
            self._reset()
            self._peer = frame.source
            self.params = params
            self.state = after
            self._send(self._frame(FrameKind.UA, info=b"" if params.is_default else params.encode()))
            self._events.append(Connected(params))
        elif kind is FrameKind.DISC:
            self._peer = frame.source
            self.state = after
            if connected:
                self._reset()
                self._send(self._frame(FrameKind.UA))
                self._events.append(Disconnected("DISC"))
            else:
                self._send(self._frame(FrameKind.DM))
        elif not connected:  # I, RR, RNR while disconnected
            if frame.poll_final:
                self._peer = frame.source
                self._send(self._frame(FrameKind.DM))
            else:
                self.frames_ignored += 1
        elif kind is FrameKind.I:
            self._on_information(frame)
        elif self._on_supervisory(frame):
            # a poll we have nothing for (or RNR): answer "receiver ready", handing the turn back
            self._send(self._frame(FrameKind.RR, recv_seq=self._vr))
