"""Download My Data's CSV and the feed's series, against hand-checked rows: the spring-forward day (92 quarter-hours,
01:45+01:00 → 03:00+02:00) and the autumn day (100, the two 02:00 hours told apart by their offsets), hours, days
and months of the local calendar, a missing and an estimated slot, the Excel variant, and the grid a Green Button
series is laid on (nothing outside the given slots)."""

from __future__ import annotations

import csv
import io
from datetime import date

import numpy as np
import pytest

from meterhub.api.series import QUALITY_RANK as API_RANK
from meterhub.mdm.downloads import (
    EXCEL,
    QUALITY_RANK,
    STANDARD,
    DownloadError,
    aggregate,
    csv_chunks,
    grid_series,
    iso_local,
    unit_of,
)
from meterhub.mdm.quality import Quality
from meterhub.mdm.series import slot_starts

SPRING = date(2026, 3, 29)
AUTUMN = date(2026, 10, 25)


def _day(day: date, interval_s: int = 900) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One local day of slots: value i in slot i, validated; slot 5 missing, slot 6 estimated."""
    e = slot_starts(day, day, interval_s)
    v = np.arange(e.size, dtype=np.float64)
    q = np.full(e.size, int(Quality.VALIDATED), np.int64)
    q[5], v[5] = int(Quality.MISSING), 0.0
    q[6] = int(Quality.ESTIMATED)
    return e, v, q


def _csv(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter))


def _text(rows: object, unit_name: str = "kWh", style: object = STANDARD) -> str:
    unit = unit_of("electricity", "Wh") if unit_name == "kWh" else unit_of("gas", "l")
    return "".join(csv_chunks("metering point LU1, electricity import", rows, unit, style, rows_per_chunk=7))  # type: ignore[arg-type]


def test_the_quality_order_is_the_apis() -> None:
    assert tuple(QUALITY_RANK) == tuple(API_RANK)


def test_iso_local_times_across_the_spring_switch() -> None:
    e = slot_starts(SPRING, SPRING, 900)
    assert e.size == 92
    assert iso_local(e[[0, 7, 8, 91]]) == [
        "2026-03-29T00:00:00+01:00",
        "2026-03-29T01:45:00+01:00",
        "2026-03-29T03:00:00+02:00",
        "2026-03-29T23:45:00+02:00",
    ]


def test_quarter_hours_of_the_spring_day() -> None:
    e, v, q = _day(SPRING)
    rows = _csv(_text(aggregate(e, v, q, 900, "15min")))
    assert rows[0] == ["# metering point LU1, electricity import"]
    assert rows[1] == ["start", "end", "value", "unit", "quality"]
    body = rows[2:]
    assert len(body) == 92
    assert body[0] == ["2026-03-29T00:00:00+01:00", "2026-03-29T00:15:00+01:00", "0.000", "kWh", "validated"]
    assert body[5] == ["2026-03-29T01:15:00+01:00", "2026-03-29T01:30:00+01:00", "", "kWh", "missing"]
    assert body[6] == ["2026-03-29T01:30:00+01:00", "2026-03-29T01:45:00+01:00", "0.006", "kWh", "estimated"]
    assert body[7] == ["2026-03-29T01:45:00+01:00", "2026-03-29T03:00:00+02:00", "0.007", "kWh", "validated"]
    assert body[8] == ["2026-03-29T03:00:00+02:00", "2026-03-29T03:15:00+02:00", "0.008", "kWh", "validated"]
    assert body[91] == ["2026-03-29T23:45:00+02:00", "2026-03-30T00:00:00+02:00", "0.091", "kWh", "validated"]


def test_quarter_hours_of_the_autumn_day() -> None:
    e, v, q = _day(AUTUMN)
    body = _csv(_text(aggregate(e, v, q, 900, "15min")))[2:]
    assert len(body) == 100
    # the first 02:00 (summer time) is slot 8, the second (winter time) slot 12
    assert body[8][:3] == ["2026-10-25T02:00:00+02:00", "2026-10-25T02:15:00+02:00", "0.008"]
    assert body[11][:2] == ["2026-10-25T02:45:00+02:00", "2026-10-25T02:00:00+01:00"]
    assert body[12][:3] == ["2026-10-25T02:00:00+01:00", "2026-10-25T02:15:00+01:00", "0.012"]
    assert body[99][:2] == ["2026-10-25T23:45:00+01:00", "2026-10-26T00:00:00+01:00"]


def test_hours_days_and_months() -> None:
    e, v, q = _day(SPRING)
    hours = aggregate(e, v, q, 900, "hour")
    assert hours.size == 23
    body = _csv(_text(hours))[2:]
    assert body[0] == ["2026-03-29T00:00:00+01:00", "2026-03-29T01:00:00+01:00", "0.006", "kWh", "validated"]
    # slots 4..7: 4 + (5 missing) + 6 + 7 = 17 Wh; the worst slot is the missing one
    assert body[1] == ["2026-03-29T01:00:00+01:00", "2026-03-29T03:00:00+02:00", "0.017", "kWh", "missing"]
    assert body[2][:3] == ["2026-03-29T03:00:00+02:00", "2026-03-29T04:00:00+02:00", str((8 + 9 + 10 + 11) / 1000)]
    days = aggregate(e, v, q, 900, "day")
    assert _csv(_text(days))[2:] == [
        ["2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00", "4.181", "kWh", "missing"]  # 0+…+91 − 5
    ]
    e2, v2, q2 = _day(date(2026, 4, 1))
    q2[5] = int(Quality.VALIDATED)
    q2[6] = int(Quality.EDITED)
    both = (np.concatenate([e, e2]), np.concatenate([v, v2]), np.concatenate([q, q2]))
    months = _csv(_text(aggregate(*both, 900, "month")))[2:]
    assert months == [
        ["2026-03-01T00:00:00+01:00", "2026-04-01T00:00:00+02:00", "4.181", "kWh", "missing"],
        ["2026-04-01T00:00:00+02:00", "2026-05-01T00:00:00+02:00", "4.555", "kWh", "edited"],  # 0+…+95 − 5 (slot 5: 0)
    ]


def test_excel_variant_and_gas_in_cubic_metres() -> None:
    e, v, q = _day(SPRING, 3600)
    v *= 100.0  # litres
    text = _text(aggregate(e, v, q, 3600, "hour"), "m³", EXCEL)
    assert text.startswith("\ufeff# metering point LU1")
    body = _csv(text, ";")[2:]
    assert len(body) == 23
    assert body[3] == ["2026-03-29T04:00:00+02:00", "2026-03-29T05:00:00+02:00", "0,300", "m³", "validated"]
    assert "\r\n" in text


def test_bad_resolutions() -> None:
    e, v, q = _day(SPRING, 3600)
    with pytest.raises(DownloadError, match="every 60 minutes"):
        aggregate(e, v, q, 3600, "15min")
    with pytest.raises(DownloadError):
        aggregate(e, v, q, 3600, "fortnight")


def test_grid_series_holds_only_the_given_slots() -> None:
    e, v, q = _day(SPRING)
    s = grid_series(SPRING, date(2026, 3, 30), e[10:20], v[10:20], q[10:20], 900, "Wh")
    assert s.slots == 92 + 96
    have = np.flatnonzero(~np.isnan(s.values)).tolist()
    assert have == list(range(10, 20))
    assert s.values[12] == 12.0 and s.quality[12] == int(Quality.VALIDATED)
    assert np.all(s.quality[20:] == 0)
