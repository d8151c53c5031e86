"""Refusals (Green Book §9.3, IEC 62056-5-3 §8): exception-response and confirmed-service-error, each with its decoder.

exception-response carries a state-error and a service-error (and, for invocation-counter-error, the next
counter the server would accept); confirmed-service-error names the refused service, the error type and its
value (e.g. initiate / initiate-error / dlms-version-too-low in a refused AARE).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from meterhub.dlms.apdu.fields import (
    _end,
    _u8,
    _u32,
)
from meterhub.dlms.apdu.tags import (
    ServiceError,
    StateError,
    Tag,
)
from meterhub.dlms.errors import DecodeError


@dataclass(frozen=True, slots=True)
class ExceptionResponse:
    """exception-response (D8): state-error, service-error, and for invocation-counter-error the next
    counter the server will accept."""

    state_error: StateError
    service_error: ServiceError
    invocation_counter: int | None = None

    def encode(self) -> bytes:
        out = bytes((Tag.EXCEPTION_RESPONSE, self.state_error, self.service_error))
        if self.service_error == ServiceError.INVOCATION_COUNTER_ERROR:
            out += struct.pack(">I", self.invocation_counter or 0)
        return out


@dataclass(frozen=True, slots=True)
class ConfirmedServiceError:
    """confirmed-service-error (0E): which service failed (1 initiate, 5 read …) and the ServiceError
    choice (e.g. 6 initiate) with its enumerated value (e.g. 1 dlms-version-too-low)."""

    service: int
    error_type: int
    error_value: int

    def encode(self) -> bytes:
        return bytes((Tag.CONFIRMED_SERVICE_ERROR, self.service, self.error_type, self.error_value))


def _decode_exception(buf: bytes) -> ExceptionResponse:
    state, pos = _u8(buf, 1)
    service, pos = _u8(buf, pos)
    try:
        state_error, service_error = StateError(state), ServiceError(service)
    except ValueError as exc:
        raise DecodeError(f"unknown exception-response codes {state}/{service}") from exc
    counter = None
    if service_error == ServiceError.INVOCATION_COUNTER_ERROR:
        counter, pos = _u32(buf, pos)
    _end(buf, pos, "exception-response")
    return ExceptionResponse(state_error, service_error, counter)


def _decode_confirmed_service_error(buf: bytes) -> ConfirmedServiceError:
    service, pos = _u8(buf, 1)
    error_type, pos = _u8(buf, pos)
    value, pos = _u8(buf, pos)
    _end(buf, pos, "confirmed-service-error")
    return ConfirmedServiceError(service, error_type, value)
