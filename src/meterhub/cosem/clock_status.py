"""Clock status and profile status bits (Blue Book 4.1.6.1 date-time ``clock_status``; the profile status
byte 0-0:96.10.1.255 as defined by the DSMR P3 companion standard "AMR profile status code", also used by
IDIS load profiles).

The last octet of a COSEM ``date-time`` is the clock status: bit 0 invalid value, bit 1 doubtful value,
bit 2 different clock base, bit 3 invalid clock status, bits 4..6 reserved, bit 7 daylight saving active;
0xFF means "not specified" and is kept apart as ``None``. The profile status byte captured in every load
profile entry follows the DSMR P3 / IDIS bit layout: bit 0 critical error, bit 1 clock invalid, bit 2 data
not valid, bit 3 daylight saving, bit 5 clock adjusted, bit 7 power down (bits 4 and 6 reserved). The VEE
layer maps these bits onto value quality (DESIGN §3).
"""

from __future__ import annotations

from enum import IntFlag
from typing import Final

__all__ = [
    "CLOCK_STATUS_NOT_SPECIFIED",
    "ClockStatus",
    "ProfileStatus",
    "decode_clock_status",
    "encode_clock_status",
]

CLOCK_STATUS_NOT_SPECIFIED: Final = 0xFF
"""The clock status octet value meaning "not specified" (Blue Book 4.1.6.1)."""


class ClockStatus(IntFlag):
    """Clock status bits of a COSEM date-time (Blue Book 4.1.6.1); 0x10..0x40 are reserved."""

    INVALID_VALUE = 0x01
    DOUBTFUL_VALUE = 0x02
    DIFFERENT_CLOCK_BASE = 0x04
    INVALID_CLOCK_STATUS = 0x08
    DAYLIGHT_SAVING_ACTIVE = 0x80

    @property
    def is_valid(self) -> bool:
        """True when neither invalid value, doubtful value nor invalid clock status is set."""
        bad = ClockStatus.INVALID_VALUE | ClockStatus.DOUBTFUL_VALUE | ClockStatus.INVALID_CLOCK_STATUS
        return not self & bad


_RESERVED_CLOCK_BITS: Final = 0x70


def decode_clock_status(octet: int, *, strict: bool = False) -> ClockStatus | None:
    """The clock status of a date-time octet; ``None`` for 0xFF (not specified).

    Reserved bits 0x10..0x40 are dropped, or raise ``ValueError`` when ``strict`` is set.
    """
    if isinstance(octet, bool) or not isinstance(octet, int) or not 0 <= octet <= 0xFF:
        raise ValueError(f"a clock status is one octet, got {octet!r}")
    if octet == CLOCK_STATUS_NOT_SPECIFIED:
        return None
    if strict and octet & _RESERVED_CLOCK_BITS:
        raise ValueError(f"clock status 0x{octet:02x} sets reserved bits")
    return ClockStatus(octet & ~_RESERVED_CLOCK_BITS & 0xFF)


def encode_clock_status(status: ClockStatus | None) -> int:
    """The date-time octet for a clock status; ``None`` encodes as 0xFF (not specified)."""
    if status is None:
        return CLOCK_STATUS_NOT_SPECIFIED
    return int(status) & ~_RESERVED_CLOCK_BITS & 0xFF


class ProfileStatus(IntFlag):
    """Profile status byte captured with load profile entries (0-0:96.10.1.255; DSMR P3 / IDIS layout)."""

    CRITICAL_ERROR = 0x01
    """CER: a critical (non-recoverable) error was present while the period was recorded."""
    CLOCK_INVALID = 0x02
    """CIV: the clock was invalid (e.g. after a power-down without a running clock backup)."""
    DATA_NOT_VALID = 0x04
    """DNV: the values of the entry are not valid (e.g. a measurement fault)."""
    DAYLIGHT_SAVING = 0x08
    """DST: daylight saving time was active at the end of the period."""
    CLOCK_ADJUSTED = 0x20
    """CAD: the clock was set during the period (the period is shorter or longer than nominal)."""
    POWER_DOWN = 0x80
    """PDN: a power failure happened during the period."""

    @property
    def is_reliable(self) -> bool:
        """True when the entry counts as measured: no critical error, invalid clock or invalid data."""
        bad = ProfileStatus.CRITICAL_ERROR | ProfileStatus.CLOCK_INVALID | ProfileStatus.DATA_NOT_VALID
        return not self & bad
