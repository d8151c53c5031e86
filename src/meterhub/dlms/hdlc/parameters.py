"""HDLC parameter negotiation (IEC 62056-46 clause 6.4.4.4.3.2): the SNRM/UA information field and :func:`negotiate`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from meterhub.dlms.errors import DecodeError, EncodeError
from meterhub.dlms.hdlc.frame import (
    DEFAULT_MAX_INFO,
    DEFAULT_WINDOW,
    MAX_INFO_LENGTH,
)

_PARAM_FORMAT: Final = 0x81


_PARAM_GROUP: Final = 0x80


_P_MAX_INFO_TX: Final = 0x05


_P_MAX_INFO_RX: Final = 0x06


_P_WINDOW_TX: Final = 0x07


_P_WINDOW_RX: Final = 0x08


@dataclass(frozen=True, slots=True)
class HdlcParameters:
    """HDLC parameter negotiation (IEC 62056-46 clause 6.4.4.4.3.2), from the point of view of one station.

    ``max_info_tx``/``max_info_rx`` are the maximum information field lengths this station sends/receives,
    ``window_tx``/``window_rx`` its window sizes. In an SNRM the client states its view; the UA answers with
    the server's own view, so the UA's ``max_info_tx`` is what the client will receive (see
    :func:`negotiate`).

    Wire format (information field of SNRM/UA): format identifier ``81``, group identifier ``80``, group
    length, then ``id len value`` for ``05`` max info tx, ``06`` max info rx, ``07`` window tx, ``08`` window
    rx; values are unsigned big-endian of 1, 2 or 4 bytes. An omitted parameter (or an empty information
    field) means the default: 128 bytes, window 1.
    """

    max_info_tx: int = DEFAULT_MAX_INFO
    max_info_rx: int = DEFAULT_MAX_INFO
    window_tx: int = DEFAULT_WINDOW
    window_rx: int = DEFAULT_WINDOW

    def __post_init__(self) -> None:
        for value in (self.max_info_tx, self.max_info_rx):
            if not 1 <= value <= 0xFFFFFFFF:
                raise EncodeError(f"maximum information field length {value} out of range")
        for value in (self.window_tx, self.window_rx):
            if not 1 <= value <= 7:
                raise EncodeError(f"window size {value} out of 1..7")

    @property
    def is_default(self) -> bool:
        """All four parameters at their defaults (128, 128, 1, 1)."""
        return self == HdlcParameters()

    def peer_view(self) -> HdlcParameters:
        """The same limits as the other station sees them (transmit and receive swapped)."""
        return HdlcParameters(self.max_info_rx, self.max_info_tx, self.window_rx, self.window_tx)

    def encode(self, *, omit_defaults: bool = False) -> bytes:
        """The SNRM/UA information field. Maximum information lengths take 1 byte if they fit, else 2 (else
        4); window sizes always 4 bytes. With ``omit_defaults`` parameters at their default are left out, and
        if all are, the result is empty (no information field), as a client's SNRM does."""
        group = bytearray()
        for pid, value, default, is_window in (
            (_P_MAX_INFO_TX, self.max_info_tx, DEFAULT_MAX_INFO, False),
            (_P_MAX_INFO_RX, self.max_info_rx, DEFAULT_MAX_INFO, False),
            (_P_WINDOW_TX, self.window_tx, DEFAULT_WINDOW, True),
            (_P_WINDOW_RX, self.window_rx, DEFAULT_WINDOW, True),
        ):
            if omit_defaults and value == default:
                continue
            width = 4 if is_window or value > 0xFFFF else (1 if value <= 0xFF else 2)
            group += bytes((pid, width)) + value.to_bytes(width, "big")
        if not group:
            return b""
        return bytes((_PARAM_FORMAT, _PARAM_GROUP, len(group))) + bytes(group)

    @classmethod
    def decode(cls, data: bytes) -> HdlcParameters:
        """Parse an SNRM/UA information field; empty means all defaults.

        Raises :class:`DecodeError` for a wrong format or group identifier, a group length that does not
        match, a truncated parameter, a value length other than 1, 2 or 4, a repeated parameter, a zero
        maximum information length or a window outside 1..7. Unknown parameter identifiers are skipped.
        """
        if not data:
            return cls()
        if len(data) < 3:
            raise DecodeError("HDLC parameter field truncated")
        if data[0] != _PARAM_FORMAT or data[1] != _PARAM_GROUP:
            raise DecodeError(f"HDLC parameters: format/group {data[0]:02x}{data[1]:02x}, expected 8180")
        if data[2] != len(data) - 3:
            raise DecodeError(f"HDLC parameter group length {data[2]}, {len(data) - 3} bytes follow")
        values: dict[int, int] = {}
        pos = 3
        while pos < len(data):
            if pos + 2 > len(data):
                raise DecodeError("HDLC parameter truncated")
            pid, width = data[pos], data[pos + 1]
            if width not in (1, 2, 4):
                raise DecodeError(f"HDLC parameter {pid:#04x} has a {width}-byte value (1, 2 or 4 allowed)")
            if pos + 2 + width > len(data):
                raise DecodeError(f"HDLC parameter {pid:#04x} truncated")
            value = int.from_bytes(data[pos + 2 : pos + 2 + width], "big")
            pos += 2 + width
            if pid not in (_P_MAX_INFO_TX, _P_MAX_INFO_RX, _P_WINDOW_TX, _P_WINDOW_RX):
                continue
            if pid in values:
                raise DecodeError(f"HDLC parameter {pid:#04x} repeated")
            if pid in (_P_WINDOW_TX, _P_WINDOW_RX):
                if not 1 <= value <= 7:
                    raise DecodeError(f"HDLC window size {value} out of 1..7")
            elif value == 0:
                raise DecodeError("HDLC maximum information field length 0")
            values[pid] = value
        return cls(
            values.get(_P_MAX_INFO_TX, DEFAULT_MAX_INFO),
            values.get(_P_MAX_INFO_RX, DEFAULT_MAX_INFO),
            values.get(_P_WINDOW_TX, DEFAULT_WINDOW),
            values.get(_P_WINDOW_RX, DEFAULT_WINDOW),
        )


def negotiate(proposal: HdlcParameters, limits: HdlcParameters) -> HdlcParameters:
    """Agree on the parameters, returned from the point of view of the station owning ``limits``.

    ``proposal`` is the other station's view (as sent in its SNRM or UA), ``limits`` our own capabilities.
    Each direction gets the smaller of what the sender may send and the receiver can take (IEC 62056-46 clause
    6.4.4.4.3.2: the responder may only lower the proposed values); information lengths are also capped at
    :data:`MAX_INFO_LENGTH` so that every frame fits the 11-bit length. A server answers an SNRM with
    ``negotiate(snrm_params, server_limits)`` in its UA; the client then takes
    ``negotiate(ua_params, client_proposal)`` as its view — the same function both ways.
    """
    return HdlcParameters(
        max_info_tx=min(proposal.max_info_rx, limits.max_info_tx, MAX_INFO_LENGTH),
        max_info_rx=min(proposal.max_info_tx, limits.max_info_rx, MAX_INFO_LENGTH),
        window_tx=min(proposal.window_rx, limits.window_tx),
        window_rx=min(proposal.window_tx, limits.window_rx),
    )
