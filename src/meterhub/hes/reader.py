"""What the head-end reads from one meter in one association, as plain data for the ingest path.

:func:`read_meter` opens the management association (HLS-GMAC, suite 0), reads the 1/4 h load profile by
range (one row before the window so the window's first delta is known), each M-Bus channel's hourly profile,
the billing registers with one get-with-list (A+, A−, R+, R−, TOU sub-registers, clock), the event logs by
range, and releases. Values come back as UTC-aware instants and integers in base units; a profile row whose
clock cannot be decoded is skipped and counted, never guessed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from meterhub.cosem import CaptureObject, attribute
from meterhub.cosem import obis as o
from meterhub.cosem.classes import ClockAttribute, ProfileGenericAttribute, RegisterAttribute
from meterhub.dlms import apdu as A
from meterhub.dlms import axdr
from meterhub.dlms.acse import Conformance
from meterhub.dlms.axdr import DateTime, datetime_from_octets, epoch_from_octets
from meterhub.dlms.errors import DecodeError, DlmsError
from meterhub.hes.session import HesError, MeterSession, attribute_ref
from meterhub.mdm.ingest import ReadingArrays

QUARTER: Final = dt.timedelta(minutes=15)
HOUR: Final = dt.timedelta(hours=1)

#: Load profile columns 3..6 and the channel (register) each one belongs to.
ENERGY_REGISTERS: Final = (
    o.ACTIVE_ENERGY_IMPORT,  # 1.0.1.8.0.255 A+
    o.ACTIVE_ENERGY_EXPORT,  # 1.0.2.8.0.255 A−
    o.REACTIVE_ENERGY_IMPORT,  # 1.0.3.8.0.255 R+
    o.REACTIVE_ENERGY_EXPORT,  # 1.0.4.8.0.255 R−
)
#: The channel keys (OBIS text) of the load profile's energy columns, computed once.
ENERGY_KEYS: Final = tuple(str(ln) for ln in ENERGY_REGISTERS)
BILLING_REGISTERS: Final = (
    *ENERGY_REGISTERS,
    o.ACTIVE_ENERGY_IMPORT_T1,
    o.ACTIVE_ENERGY_IMPORT_T2,
    o.ACTIVE_ENERGY_EXPORT_T1,
    o.ACTIVE_ENERGY_EXPORT_T2,
)
EVENT_LOGS: Final = {
    "standard": o.STANDARD_EVENT_LOG,
    "fraud": o.FRAUD_DETECTION_LOG,
    "power_quality": o.POWER_QUALITY_EVENT_LOG,
    "mbus": o.MBUS_EVENT_LOG,
    "power_failure": o.POWER_FAILURE_LOG,
}

# What read_meter asks for, from cosem's descriptors (interface class fixed by the attribute enum).
#: 1.0.99.1.0.255 buffer (class 7 Profile generic, attribute 2).
LOAD_PROFILE_BUFFER: Final = attribute_ref(attribute(o.LOAD_PROFILE_15MIN, ProfileGenericAttribute.BUFFER))
#: 0.b.24.3.0.255 buffer, the hourly profile of M-Bus channel b.
MBUS_PROFILE_BUFFERS: Final = {
    channel: attribute_ref(attribute(o.mbus_profile(channel), ProfileGenericAttribute.BUFFER))
    for channel in range(1, 5)
}
#: value (class 3 Register, attribute 2) of each billing register.
REGISTER_VALUES: Final = {ln: attribute_ref(attribute(ln, RegisterAttribute.VALUE)) for ln in BILLING_REGISTERS}
#: 0.0.1.0.0.255 time (class 8 Clock, attribute 2).
CLOCK_TIME: Final = attribute_ref(attribute(o.CLOCK, ClockAttribute.TIME))
#: buffer of each event log.
EVENT_LOG_BUFFERS: Final = {
    name: attribute_ref(attribute(ln, ProfileGenericAttribute.BUFFER)) for name, ln in EVENT_LOGS.items()
}
#: The column a range is selected on: the clock's time, as a capture object (8, 0.0.1.0.0.255, 2, 0).
CLOCK_COLUMN: Final = CaptureObject.of(o.CLOCK, ClockAttribute.TIME).to_structure()


@dataclass
class ReadEvent:
    """One entry of a meter's event log."""

    occurred_at: dt.datetime
    log: str
    code: int


@dataclass
class MeterRead:
    """Everything one association brought back."""

    serial: str
    profile: dict[str, ReadingArrays] = field(default_factory=dict)  # obis → cumulative readings
    mbus: dict[int, ReadingArrays] = field(default_factory=dict)  # M-Bus channel → cumulative readings
    registers: dict[str, int] = field(default_factory=dict)  # obis → cumulative value now
    meter_clock: dt.datetime | None = None
    events: list[ReadEvent] = field(default_factory=list)
    skipped_rows: int = 0


def _utc_octets(t: dt.datetime) -> bytes:
    """A range bound as widely used clients send it: UTC, deviation 0, day of week not specified."""
    u = t.astimezone(dt.UTC)
    return DateTime(u.year, u.month, u.day, 0xFF, u.hour, u.minute, u.second, 0, 0, 0).to_bytes()


def mbus_profile_buffer(channel: int) -> A.AttributeRef:
    """0.b.24.3.0.255 buffer (class 7 Profile generic, attribute 2): the hourly profile of M-Bus channel b."""
    return attribute_ref(attribute(o.mbus_profile(channel), ProfileGenericAttribute.BUFFER))


def range_access(frm: dt.datetime, to: dt.datetime) -> A.AccessSelection:
    """Selective access by range on the clock column, all columns, both ends inclusive."""
    return A.RangeDescriptor(CLOCK_COLUMN, _utc_octets(frm), _utc_octets(to)).to_access_selection()


def _rows(value: Any, read: MeterRead) -> list[tuple[dt.datetime, tuple[Any, ...]]]:
    """Rows of an event log with their UTC instant; rows with an undecodable clock are counted and skipped."""
    out = []
    if not isinstance(value, list):
        raise HesError("protocol", "profile buffer is not an array")
    for row in value:
        try:
            if not isinstance(row, tuple) or not row or not isinstance(row[0], bytes):
                raise DlmsError("row without a clock")
            out.append((datetime_from_octets(row[0]).astimezone(dt.UTC), row))
        except DlmsError:
            read.skipped_rows += 1
    return out


_DT_DTYPE: Final = np.dtype(
    [
        ("year", ">u2"),
        ("month", "u1"),
        ("day", "u1"),
        ("weekday", "u1"),
        ("hour", "u1"),
        ("minute", "u1"),
        ("second", "u1"),
        ("hundredths", "u1"),
        ("deviation", ">i2"),
        ("status", "u1"),
    ]
)
_MONTH_DAYS: Final = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def epochs_from_octets(column: Sequence[bytes]) -> npt.NDArray[np.int64]:
    """:func:`~meterhub.dlms.axdr.epoch_from_octets` of a whole profile clock column at once (numpy): the
    same values and checks, ~10× faster for a day of quarter hours.

    Raises :class:`DecodeError` naming the first row that is not a valid, fully specified date-time.
    """
    if not column:
        return np.zeros(0, dtype=np.int64)
    if any(len(octets) != 12 for octets in column):
        raise DecodeError("date-time must be 12 octets")
    f = np.frombuffer(b"".join(column), dtype=_DT_DTYPE)
    year = f["year"].astype(np.int64)
    month = f["month"].astype(np.int64)
    day = f["day"].astype(np.int64)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _MONTH_DAYS[np.clip(month, 0, 12)] + ((month == 2) & leap)
    deviation = f["deviation"].astype(np.int64)
    unspecified = deviation == axdr.DEVIATION_NOT_SPECIFIED
    valid = (
        (year >= 1)
        & (year <= 9999)
        & (month >= 1)
        & (month <= 12)
        & (day >= 1)
        & (day <= month_days)
        & (f["hour"] < 24)
        & (f["minute"] < 60)
        & (f["second"] < 60)
        & ((f["hundredths"] < 100) | (f["hundredths"] == axdr.NOT_SPECIFIED))
        & (unspecified | ((deviation >= -840) & (deviation <= 720)))
    )
    if not valid.all():
        bad = int(np.flatnonzero(~valid)[0])
        raise DecodeError(f"row {bad}: date-time {column[bad].hex()} has unspecified or invalid fields")
    # days from civil (H. Hinnant), vectorised
    y = year - (month <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 719468
    local = days * 86400 + f["hour"].astype(np.int64) * 3600 + f["minute"].astype(np.int64) * 60 + f["second"]
    return np.asarray(local + np.where(unspecified, 0, deviation) * 60, dtype=np.int64)


def profile_columns(
    value: Any, columns: int, read: MeterRead, value_columns: int | None = None
) -> tuple[npt.NDArray[np.int64], list[npt.NDArray[np.int64]]]:
    """A profile buffer as (UTC epoch of each row, the integer columns 2 … 2 + value_columns − 1).

    Rows that are not structures of ``columns`` fields with a decodable clock are counted and skipped.
    """
    if not isinstance(value, list):
        raise HesError("protocol", "profile buffer is not an array")
    good = [r for r in value if isinstance(r, tuple) and len(r) == columns and isinstance(r[0], bytes)]
    read.skipped_rows += len(value) - len(good)
    try:
        epochs = epochs_from_octets([r[0] for r in good])
    except DlmsError:  # at least one bad clock: find and skip those rows one by one
        kept, times = [], []
        for r in good:
            try:
                times.append(epoch_from_octets(r[0]))
                kept.append(r)
            except DlmsError:
                read.skipped_rows += 1
        good, epochs = kept, np.array(times, dtype=np.int64)
    last = columns if value_columns is None else 2 + value_columns
    try:
        data = [np.array([r[i] for r in good], dtype=np.int64) for i in range(2, last)]
    except (TypeError, ValueError, OverflowError) as exc:
        raise HesError("protocol", f"profile value is not an integer: {exc}") from exc
    return epochs, data


async def _get_many(
    session: MeterSession, items: list[tuple[A.AttributeRef, A.AccessSelection | None]]
) -> tuple[Any, ...]:
    """Results of several gets: one get-with-list if negotiated, else one get each (errors stay in place)."""
    if not items:
        return ()
    if session.client.conformance & Conformance.MULTIPLE_REFERENCES:
        return await session.get_list(items)
    out: list[Any] = []
    for ref, access in items:
        try:
            out.append(await session.get(ref, access))
        except HesError as exc:
            if exc.kind != "access":
                raise
            out.append(A.DataAccessResult.OTHER_REASON)
    return tuple(out)


def _store_result(read: MeterRead, what: str, value: Any) -> None:
    """Put one result of the combined read where it belongs in ``read`` (errors are skipped)."""
    if isinstance(value, A.DataAccessResult):
        return
    kind, _, name = what.partition(":")
    if kind == "mbus":
        epochs, data = profile_columns(value, 4, read, value_columns=1)
        read.mbus[int(name)] = ReadingArrays(epochs, data[0])
    elif kind == "register":
        if isinstance(value, int) and not isinstance(value, bool):
            read.registers[name] = int(value)
    elif kind == "clock":
        if isinstance(value, bytes):
            try:
                read.meter_clock = datetime_from_octets(value)
            except DlmsError:
                read.skipped_rows += 1
    elif kind == "events":
        for t, row in _rows(value, read):
            read.events.append(ReadEvent(t, name, int(row[1]) if len(row) > 1 else 0))


async def read_meter(
    session: MeterSession,
    serial: str,
    window_from: dt.datetime,
    window_to: dt.datetime,
    mbus_channels: tuple[int, ...] = (),
    with_registers: bool = True,
    with_events: bool = True,
    with_profile: bool = True,
) -> MeterRead:
    """Read [window_from, window_to] (interval ends) of a meter in one association.

    ``with_profile=False`` skips the 1/4 h load profile (the hourly M-Bus and monthly billing schedules).
    """
    read = MeterRead(serial)
    await session.associate()
    try:
        if with_profile:
            profile = await session.get(LOAD_PROFILE_BUFFER, range_access(window_from - QUARTER, window_to))
            epochs, data = profile_columns(profile, 6, read)
            read.profile = {key: ReadingArrays(epochs, column) for key, column in zip(ENERGY_KEYS, data, strict=True)}
        # Everything else in one get-with-list when the meter negotiated multiple references (one round trip
        # instead of up to six), else attribute by attribute.
        items: list[tuple[str, A.AttributeRef, A.AccessSelection | None]] = []
        for channel in mbus_channels:
            items.append((f"mbus:{channel}", mbus_profile_buffer(channel), range_access(window_from - HOUR, window_to)))
        if with_registers:
            items += [(f"register:{ln}", ref, None) for ln, ref in REGISTER_VALUES.items()]
            items.append(("clock", CLOCK_TIME, None))
        if with_events:
            # events of the whole window: from the first interval's start (window_from is its end)
            access = range_access(window_from - QUARTER, window_to)
            items += [(f"events:{name}", ref, access) for name, ref in EVENT_LOG_BUFFERS.items()]
        results = await _get_many(session, [(ref, access) for _, ref, access in items])
        for (what, _, _), value in zip(items, results, strict=True):
            _store_result(read, what, value)
    finally:
        await session.release()
    return read
