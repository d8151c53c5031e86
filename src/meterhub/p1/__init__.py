"""The P1 customer port: encrypted DSMR-5-style telegrams every 10 s, and the household's reader.

The core is sans-io (no sockets, no clock, no asyncio), like :mod:`meterhub.dlms`: :mod:`~meterhub.p1.crc`
(CRC-16/ARC), :mod:`~meterhub.p1.frame` (the AES-128-GCM frame and the frame finder),
:mod:`~meterhub.p1.telegram` (typed readings, encoder, parser), :mod:`~meterhub.p1.receiver` (all of it
chained, with counters) and :mod:`~meterhub.p1.errors`. The asyncio edges — byte sources (serial device, TCP,
file), the MQTT publisher, the live page, the opt-in forwarder and the reader that wires them — live in
their own modules and are imported explicitly.
"""

from meterhub.p1.errors import (
    AuthenticationError,
    ChecksumError,
    EncodeError,
    FrameError,
    LocalProtocolError,
    P1Error,
    TelegramError,
)
from meterhub.p1.frame import decrypt_frame, encrypt_frame
from meterhub.p1.receiver import FrameRejected, GarbageSkipped, P1Receiver, Reading, ReceiverStats
from meterhub.p1.telegram import MBusReading, PowerFailure, Telegram, encode_telegram, parse_telegram

__all__ = [
    "AuthenticationError",
    "ChecksumError",
    "EncodeError",
    "FrameError",
    "FrameRejected",
    "GarbageSkipped",
    "LocalProtocolError",
    "MBusReading",
    "P1Error",
    "P1Receiver",
    "PowerFailure",
    "Reading",
    "ReceiverStats",
    "Telegram",
    "TelegramError",
    "decrypt_frame",
    "encode_telegram",
    "encrypt_frame",
    "parse_telegram",
]
