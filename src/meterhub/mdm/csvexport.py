"""CSV export of interval data for other systems (issue 5, deliverable 2): ``meterhub export csv``.

One row per interval slot of the current block versions::

    meter_serial,obis,interval_start,interval_end,value,quality,rule,method,version

with ``value`` the consumption in the interval (empty when missing), times in Europe/Luxembourg with offset,
``rule`` the failed validation rule of a suspect value and ``method`` the estimation method of an estimated one
(lower-case names of :class:`~meterhub.mdm.quality.SuspectRule` / ``EstimationMethod``). With ``as_of`` the
export shows the versions that were current at that time (see :mod:`meterhub.mdm.edits`). The import of such
data is :mod:`meterhub.mdm.csvio`.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import IO

from meterhub.mdm.edits import blocks_as_of
from meterhub.mdm.quality import EstimationMethod, Quality, SuspectRule
from meterhub.store import Store
from meterhub.store.channels import meter_channels
from meterhub.store.intervals import LOCAL_TZ, day_start_epoch, from_epoch, local_day_slots

EXPORT_COLUMNS = (
    "meter_serial",
    "obis",
    "interval_start",
    "interval_end",
    "value",
    "quality",
    "rule",
    "method",
    "version",
)


def _rule(detail: int) -> str:
    try:
        return SuspectRule(detail).name.lower()
    except ValueError:
        return str(detail)


def _method(detail: int) -> str:
    try:
        return EstimationMethod(detail).name.lower()
    except ValueError:
        return str(detail)


def export_rows(
    store: Store,
    *,
    meter_serial: str | None = None,
    day_from: date | None = None,
    day_to: date | None = None,
    as_of: datetime | None = None,
) -> Iterator[tuple[str, ...]]:
    """The export rows (without header) of the current block versions — or of the versions current at
    ``as_of`` — by meter serial, OBIS and time."""
    with store.read() as conn:
        chans = meter_channels(conn, meter_serial)
    lo = day_from or date(1970, 1, 1)
    hi = day_to or date(9999, 12, 31)
    for serial, ch in chans:
        cid, obis = ch.id, ch.obis
        blocks = store.current_blocks([cid], lo, hi) if as_of is None else blocks_as_of(store, [cid], lo, hi, as_of)
        for block in blocks:
            times = _slot_times(block.local_day, ch.interval_s)
            version = str(block.version)
            for (a, b), v, q8 in zip(times, block.values.tolist(), block.quality.tolist(), strict=True):
                code, rule, method = _quality_columns(q8)
                yield (serial, obis, a, b, "" if code == "missing" else str(v), code, rule, method, version)


@lru_cache(maxsize=4096)
def _slot_times(day: date, interval_s: int) -> tuple[tuple[str, str], ...]:
    """Local ISO start/end texts of every slot of a day (shared by all channels of the interval)."""
    start0 = day_start_epoch(day)
    n = local_day_slots(day, interval_s)
    edges = [from_epoch(start0 + i * interval_s).astimezone(LOCAL_TZ).isoformat() for i in range(n + 1)]
    return tuple(itertools.pairwise(edges))


@lru_cache(maxsize=256)
def _quality_columns(q8: int) -> tuple[str, str, str]:
    """``(quality, rule, method)`` texts of a quality byte."""
    code = Quality(q8 & 0x07)
    detail = q8 >> 3
    return (
        code.name.lower(),
        _rule(detail) if code == Quality.SUSPECT else "",
        _method(detail) if code == Quality.ESTIMATED else "",
    )


def export_csv(
    store: Store,
    out: Path | str | IO[str],
    *,
    meter_serial: str | None = None,
    day_from: date | None = None,
    day_to: date | None = None,
    as_of: datetime | None = None,
) -> int:
    """Write the export CSV (header + one row per interval); returns the number of data rows."""
    if isinstance(out, Path | str):
        with open(out, "w", newline="", encoding="utf-8") as fh:
            return export_csv(store, fh, meter_serial=meter_serial, day_from=day_from, day_to=day_to, as_of=as_of)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    n = 0
    for row in export_rows(store, meter_serial=meter_serial, day_from=day_from, day_to=day_to, as_of=as_of):
        writer.writerow(row)
        n += 1
    return n


__all__ = ["EXPORT_COLUMNS", "export_csv", "export_rows"]
