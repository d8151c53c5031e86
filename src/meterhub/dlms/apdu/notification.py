"""Unsolicited services (Green Book §9.3, IEC 62056-5-3 §8): event-notification and data-notification (push).

A meter reports a changed attribute with event-notification-request, and pushes data (alarm register,
interval data; Green Book §9.3.13 "push") with data-notification: long-invoke-id-and-priority, an optional
date-time and the notification body as Data. Each decoder sits beside its encoder.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from meterhub.dlms.apdu.descriptors import (
    AttributeRef,
    _decode_descriptor,
)
from meterhub.dlms.apdu.fields import (
    _encode_octets,
    _end,
    _octets,
    _u8,
    _u32,
)
from meterhub.dlms.apdu.tags import (
    Tag,
)
from meterhub.dlms.axdr import (
    decode_data,
    encode_data,
)
from meterhub.dlms.errors import DecodeError


@dataclass(frozen=True, slots=True)
class EventNotificationRequest:
    """event-notification-request (C2): an attribute value the server reports unsolicited."""

    attribute: AttributeRef
    value: Any
    time: bytes | None = None

    def encode(self) -> bytes:
        head = bytes((Tag.EVENT_NOTIFICATION_REQUEST,))
        head += b"\x00" if self.time is None else b"\x01" + _encode_octets(self.time)
        return head + self.attribute.encode() + encode_data(self.value)


@dataclass(frozen=True, slots=True)
class DataNotification:
    """data-notification (0F): push of a structure (alarm register, interval data) by the meter."""

    long_invoke_id: int
    body: Any
    date_time: bytes | None = None

    def encode(self) -> bytes:
        head = bytes((Tag.DATA_NOTIFICATION,)) + struct.pack(">I", self.long_invoke_id)
        head += b"\x00" if self.date_time is None else _encode_octets(self.date_time)
        return head + encode_data(self.body)


def _decode_event_notification(buf: bytes) -> EventNotificationRequest:
    flag, pos = _u8(buf, 1)
    time: bytes | None = None
    if flag == 1:
        time, pos = _octets(buf, pos)
    elif flag != 0:
        raise DecodeError(f"bad optional flag {flag}")
    d, pos = _decode_descriptor(buf, pos)
    value, pos = decode_data(buf, pos)
    _end(buf, pos, "event-notification-request")
    return EventNotificationRequest(AttributeRef(*d), value, time)


def _decode_data_notification(buf: bytes) -> DataNotification:
    liid, pos = _u32(buf, 1)
    date_time, pos = _octets(buf, pos)
    body, pos = decode_data(buf, pos)
    _end(buf, pos, "data-notification")
    return DataNotification(liid, body, date_time or None)
