"""COSEM date, time and date-time (IEC 62056-6-2 §4.1.6.1; Blue Book §4.1.6.1): 12-, 5- and 4-octet values.

:class:`DateTime` keeps every field as sent (not-specified octets, deviation, clock status) so that it
re-encodes byte for byte; :func:`datetime_from_octets` and :func:`epoch_from_octets` are the fast paths a reader
uses for a profile's clock column, refusing a date-time that is not fully specified or not a real date.
"""

from __future__ import annotations

import datetime as _dt
import struct
from dataclasses import dataclass
from typing import Final

from meterhub.dlms.errors import DecodeError, EncodeError

_DT_STRUCT: Final = struct.Struct(">HBBBBBBBhB")


#: ``deviation`` value meaning "not specified" (Blue Book: 0x8000).
DEVIATION_NOT_SPECIFIED: Final = -0x8000


NOT_SPECIFIED: Final = 0xFF


YEAR_NOT_SPECIFIED: Final = 0xFFFF


@dataclass(frozen=True, slots=True)
class DateTime:
    """COSEM date-time (Blue Book §4.1.6.1): 12 octets, each field may be "not specified" (0xFF / 0xFFFF).

    ``deviation`` is in minutes with the Blue Book convention local time = UTC − deviation, so CET is −60
    and CEST −120 (with clock status bit 0x80, daylight saving active); ``-0x8000`` means not specified.
    It travels either as its own A-XDR type (tag 25) or, far more often, inside a 12-byte octet-string.
    """

    year: int = YEAR_NOT_SPECIFIED
    month: int = NOT_SPECIFIED
    day: int = NOT_SPECIFIED
    weekday: int = NOT_SPECIFIED
    hour: int = NOT_SPECIFIED
    minute: int = NOT_SPECIFIED
    second: int = NOT_SPECIFIED
    hundredths: int = NOT_SPECIFIED
    deviation: int = DEVIATION_NOT_SPECIFIED
    clock_status: int = NOT_SPECIFIED

    @classmethod
    def from_bytes(cls, octets: bytes) -> DateTime:
        """Parse the 12-octet form; raises :class:`DecodeError` on any other length."""
        if len(octets) != 12:
            raise DecodeError(f"date-time must be 12 octets, got {len(octets)}")
        return cls(*_DT_STRUCT.unpack(octets))

    def to_bytes(self) -> bytes:
        """The 12-octet form."""
        try:
            return _DT_STRUCT.pack(
                self.year,
                self.month,
                self.day,
                self.weekday,
                self.hour,
                self.minute,
                self.second,
                self.hundredths,
                self.deviation,
                self.clock_status,
            )
        except struct.error as exc:
            raise EncodeError(f"date-time field out of range: {self}") from exc

    @classmethod
    def from_datetime(cls, value: _dt.datetime, clock_status: int | None = None) -> DateTime:
        """From an aware datetime; deviation from its UTC offset; status 0x80 when its tz says DST is on."""
        if value.tzinfo is None or value.utcoffset() is None:
            raise EncodeError("date-time needs a timezone-aware datetime")
        offset = value.utcoffset()
        assert offset is not None
        if clock_status is None:
            dst = value.dst()
            clock_status = 0x80 if dst else 0x00
        return cls(
            value.year,
            value.month,
            value.day,
            value.isoweekday(),
            value.hour,
            value.minute,
            value.second,
            value.microsecond // 10_000,
            -int(offset.total_seconds() // 60),
            clock_status,
        )

    def to_datetime(self) -> _dt.datetime:
        """As an aware datetime (fixed-offset tz from the deviation; UTC when the deviation is unspecified).

        Raises :class:`DecodeError` when date or time fields are not specified or invalid.
        """
        try:
            tz = _timezone_of_deviation(self.deviation)
            hundredths = 0 if self.hundredths == NOT_SPECIFIED else self.hundredths
            return _dt.datetime(
                self.year,
                self.month,
                self.day,
                self.hour,
                self.minute,
                self.second,
                hundredths * 10_000,
                tzinfo=tz,
            )
        except (ValueError, OverflowError) as exc:
            raise DecodeError(f"date-time not representable as a datetime: {self}") from exc


_TIMEZONES: dict[int, _dt.tzinfo] = {DEVIATION_NOT_SPECIFIED: _dt.UTC}


def _timezone_of_deviation(deviation: int) -> _dt.tzinfo:
    """The fixed-offset tz for a deviation (local = UTC − deviation); UTC when not specified. Cached."""
    tz = _TIMEZONES.get(deviation)
    if tz is None:
        if not -840 <= deviation <= 720:
            raise ValueError(f"deviation {deviation} min out of range")
        tz = _TIMEZONES[deviation] = _dt.timezone(_dt.timedelta(minutes=-deviation))
    return tz


def datetime_from_octets(octets: bytes) -> _dt.datetime:
    """A 12-octet date-time straight to an aware ``datetime`` (the hot path for profile clock columns).

    Same result as ``DateTime.from_bytes(octets).to_datetime()`` without the intermediate object.
    """
    if len(octets) != 12:
        raise DecodeError(f"date-time must be 12 octets, got {len(octets)}")
    year, month, day, _, hour, minute, second, hundredths, deviation, _ = _DT_STRUCT.unpack(octets)
    try:
        return _dt.datetime(
            year,
            month,
            day,
            hour,
            minute,
            second,
            0 if hundredths == NOT_SPECIFIED else hundredths * 10_000,
            _timezone_of_deviation(deviation),
        )
    except (ValueError, OverflowError) as exc:
        raise DecodeError(f"date-time {octets.hex()} not representable as a datetime") from exc


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm, no datetime objects)."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def epoch_from_octets(octets: bytes) -> int:
    """A 12-octet date-time as UTC epoch seconds (hundredths dropped; unspecified deviation = UTC).

    The head-end's bulk path: a profile's clock column straight to the integers the store keeps.
    """
    if len(octets) != 12:
        raise DecodeError(f"date-time must be 12 octets, got {len(octets)}")
    year, month, day, _, hour, minute, second, hundredths, deviation, _ = _DT_STRUCT.unpack(octets)
    if not (
        1 <= year <= 9999  # also refuses 0xFFFF (not specified); the range of datetime_from_octets
        and 1 <= month <= 12
        and 1 <= day <= _days_in_month(year, month)
        and hour < 24
        and minute < 60
        and second < 60
        and (hundredths < 100 or hundredths == NOT_SPECIFIED)
    ):
        raise DecodeError(f"date-time {octets.hex()} has unspecified or invalid fields")
    if deviation == DEVIATION_NOT_SPECIFIED:
        deviation = 0
    elif not -840 <= deviation <= 720:
        raise DecodeError(f"date-time deviation {deviation} out of range")
    local = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    return int(local + deviation * 60)


@dataclass(frozen=True, slots=True)
class Date:
    """COSEM date (5 octets): year, month, day, day-of-week."""

    year: int = YEAR_NOT_SPECIFIED
    month: int = NOT_SPECIFIED
    day: int = NOT_SPECIFIED
    weekday: int = NOT_SPECIFIED

    def to_bytes(self) -> bytes:
        try:
            return struct.pack(">HBBB", self.year, self.month, self.day, self.weekday)
        except struct.error as exc:
            raise EncodeError(f"date field out of range: {self}") from exc

    @classmethod
    def from_bytes(cls, octets: bytes) -> Date:
        if len(octets) != 5:
            raise DecodeError(f"date must be 5 octets, got {len(octets)}")
        return cls(*struct.unpack(">HBBB", octets))


@dataclass(frozen=True, slots=True)
class Time:
    """COSEM time (4 octets): hour, minute, second, hundredths."""

    hour: int = NOT_SPECIFIED
    minute: int = NOT_SPECIFIED
    second: int = NOT_SPECIFIED
    hundredths: int = NOT_SPECIFIED

    def to_bytes(self) -> bytes:
        try:
            return struct.pack(">BBBB", self.hour, self.minute, self.second, self.hundredths)
        except struct.error as exc:
            raise EncodeError(f"time field out of range: {self}") from exc

    @classmethod
    def from_bytes(cls, octets: bytes) -> Time:
        if len(octets) != 4:
            raise DecodeError(f"time must be 4 octets, got {len(octets)}")
        return cls(*struct.unpack(">BBBB", octets))
