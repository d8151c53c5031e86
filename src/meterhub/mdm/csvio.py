"""CSV import and export of interval data for other systems (issue 5, deliverable 2).

**Import** reads cumulative register readings, one per row::

    meter_serial,obis,timestamp,value
    LU0001,1.0.1.8.0.255,2026-06-10T00:15:00+02:00,1000123

``timestamp`` is ISO 8601 *with* a UTC offset and is the END of the interval; ``value`` is the register as
an integer in base units (Wh, varh, litre). Rows may come in any order. The whole file is validated before
anything is written — a bad timestamp, a missing offset, a non-integer or negative value, an unknown OBIS
code, a reading not on the channel's interval grid, two different values for one (meter, OBIS, instant), an
unknown meter or channel (unless ``create_meters``) — and every problem is reported with its line number. Only
a file without problems is ingested, in ONE transaction through the :class:`~meterhub.mdm.ingest.IngestService`
(merge rules, versions and idempotency are the ingest's: re-importing a file writes nothing new). A file with
a problem writes nothing at all.

Known OBIS codes: electricity energy registers ``1.x.C.8.E`` (quarter-hour channels; unit Wh, varh for the
reactive C = 3…8) and the M-Bus sub-meter value ``0.b.24.2.1`` (b = 1…4, hourly; litre, or Wh for heat).

**Export** (one row per interval slot of the current block versions) is :mod:`meterhub.mdm.csv_export`;
its names are re-exported here.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Literal

import numpy as np

from meterhub.cosem.obis import Obis, ObisError
from meterhub.mdm.csv_export import EXPORT_COLUMNS, export_csv, export_rows
from meterhub.mdm.ingest import IngestError, IngestResult, IngestService, ReadingArrays
from meterhub.store import Connection, Medium, Store
from meterhub.store.channels import add_channel, list_channels
from meterhub.store.intervals import from_epoch
from meterhub.store.inventory import add_meter, add_party, list_parties, meters_by_serial, party_by_code

IMPORT_COLUMNS = ("meter_serial", "obis", "timestamp", "value")
IMPORT_SOURCE = "import"
MAX_PROBLEMS = 1000  # problems kept in a report (the count is always exact)

_INT_RE = re.compile(r"[+-]?\d+")
# ISO 8601 extended date-time (Python's fromisoformat alone would take any separator character)
_TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)?")
_MBUS_UNITS = {"gas": "l", "water": "l", "heat": "Wh"}
MbusMedium = Literal["gas", "water", "heat"]


@dataclass(frozen=True, slots=True)
class ChannelKind:
    """What an OBIS code of the import means: the channel it makes."""

    obis: str
    interval_s: int
    unit: str
    medium: Medium
    mbus_channel: int | None


def channel_kind(obis_text: str, mbus_medium: MbusMedium = "gas") -> ChannelKind:
    """The channel an import OBIS code stands for; :class:`ValueError` for codes the import does not know."""
    try:
        code = Obis.parse(obis_text)
    except ObisError as exc:
        raise ValueError(str(exc)) from None
    if code.a == 1 and code.d == 8 and code.f == 255:
        unit = "varh" if 3 <= code.c <= 8 else "Wh"
        return ChannelKind(str(code), 900, unit, "electricity", None)
    if code.a == 0 and 1 <= code.b <= 4 and (code.c, code.d, code.e, code.f) == (24, 2, 1, 255):
        return ChannelKind(str(code), 3600, _MBUS_UNITS[mbus_medium], mbus_medium, code.b)
    raise ValueError(f"unknown OBIS {obis_text!r}: import knows 1.x.C.8.E (electricity) and 0.b.24.2.1 (M-Bus)")


@dataclass(frozen=True, slots=True)
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class CsvImportError(ValueError):
    """The file has problems; nothing was written."""

    def __init__(self, problems: Sequence[Problem], total: int | None = None) -> None:
        self.problems = list(problems)
        self.total = len(self.problems) if total is None else total
        head = "; ".join(str(p) for p in self.problems[:5])
        more = f" (+{self.total - 5} more)" if self.total > 5 else ""
        super().__init__(f"{self.total} problem(s), nothing imported: {head}{more}")


@dataclass(slots=True)
class ImportReport:
    rows: int = 0
    channels: int = 0
    meters_created: list[str] = field(default_factory=list)
    channels_created: int = 0
    ingest: IngestResult = field(default_factory=IngestResult)


@dataclass(slots=True)
class _Series:
    kind: ChannelKind
    readings: dict[int, tuple[int, int]] = field(default_factory=dict)  # epoch -> (value, line)
    repeats: dict[int, list[int]] = field(default_factory=dict)  # epoch -> lines of exact repeats


def _parse_time(text: str) -> int:
    try:
        if not _TIME_RE.fullmatch(text.strip()):
            raise ValueError(text)
        ts = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"bad timestamp {text!r} (ISO 8601 with offset expected)") from None
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"timestamp {text!r} has no UTC offset")
    if ts.microsecond:
        raise ValueError(f"timestamp {text!r} has a fraction of a second (interval ends are whole seconds)")
    return int(ts.timestamp())


def parse_rows(
    rows: Iterable[Sequence[str]], mbus_medium: MbusMedium = "gas"
) -> tuple[dict[tuple[str, str], _Series], list[Problem], int, int]:
    """Parse the CSV rows (header first) into per-(serial, OBIS) readings; returns ``(series, problems,
    problem count, data rows)``. Line numbers count the header as line 1."""
    problems: list[Problem] = []
    count = 0

    def bad(line: int, message: str) -> None:
        nonlocal count
        count += 1
        if len(problems) < MAX_PROBLEMS:
            problems.append(Problem(line, message))

    series: dict[tuple[str, str], _Series] = {}
    it = iter(rows)
    header = next(it, None)
    if header is None:
        bad(1, "empty file (header meter_serial,obis,timestamp,value expected)")
        return series, problems, count, 0
    if tuple(h.strip().lower() for h in header) != IMPORT_COLUMNS:
        bad(1, f"header must be {','.join(IMPORT_COLUMNS)}, got {','.join(header)}")
        return series, problems, count, 0
    n = 0
    for line, row in enumerate(it, start=2):
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line
        n += 1
        if len(row) != 4:
            bad(line, f"expected 4 columns, got {len(row)}")
            continue
        serial, obis_text, ts_text, value_text = (c.strip() for c in row)
        if not serial:
            bad(line, "empty meter_serial")
            continue
        try:
            kind = channel_kind(obis_text, mbus_medium)
        except ValueError as exc:
            bad(line, str(exc))
            continue
        try:
            epoch = _parse_time(ts_text)
        except ValueError as exc:
            bad(line, str(exc))
            continue
        if not _INT_RE.fullmatch(value_text):
            bad(line, f"value {value_text!r} is not an integer")
            continue
        value = int(value_text)
        if value < 0:
            bad(line, f"negative register value {value}")
            continue
        s = series.setdefault((serial, kind.obis), _Series(kind))
        prev = s.readings.get(epoch)
        if prev is not None:
            if prev[0] != value:
                bad(
                    line,
                    f"duplicate reading of {serial} {kind.obis} at {ts_text} with a different value "
                    f"({value} here, {prev[0]} on line {prev[1]})",
                )
            else:  # an exact repeat is harmless, unless the reading itself is bad (then every copy is reported)
                s.repeats.setdefault(epoch, []).append(line)
            continue
        s.readings[epoch] = (value, line)
    return series, problems, count, n


def import_intervals(
    store: Store,
    source: Path | str | IO[str],
    *,
    create_meters: bool = False,
    dso_code: str | None = None,
    mbus_medium: MbusMedium = "gas",
) -> ImportReport:
    """Validate the whole CSV, then ingest it in one transaction (see the module docstring).

    Raises :class:`CsvImportError` listing every problem (nothing written). Meters created on the fly
    (``create_meters``) belong to the DSO ``dso_code`` (default: the only DSO of the store, or a new DSO
    ``imported`` in an empty store).
    """
    if isinstance(source, Path | str):
        with open(source, newline="", encoding="utf-8-sig") as fh:  # tolerate a spreadsheet's byte-order mark
            parsed = parse_rows(csv.reader(fh), mbus_medium)
    else:
        parsed = parse_rows(csv.reader(source), mbus_medium)
    series, problems, count, nrows = parsed

    def bad(line: int, message: str) -> None:
        nonlocal count
        count += 1
        if len(problems) < MAX_PROBLEMS:
            problems.append(Problem(line, message))

    report = ImportReport(rows=nrows, channels=len(series))
    service = IngestService(store)
    with store.write() as conn:
        known_meters = meters_by_serial(conn, [k[0] for k in series])
        meters: dict[str, int] = {serial: m.id for serial, m in known_meters.items()}
        media: dict[str, str] = {serial: m.medium for serial, m in known_meters.items()}
        channels: dict[tuple[int, str], tuple[int, int]] = {
            (ch.meter_id, ch.obis): (ch.id, ch.interval_s) for ch in list_channels(conn, sorted(meters.values()))
        }
        # one medium per meter: a stored meter's, else that of its first series in the file
        for (serial, _), s in sorted(series.items(), key=lambda kv: min(ln for _, ln in kv[1].readings.values())):
            media.setdefault(serial, s.kind.medium)
        # check every series against the store (unknown meters/channels, the channel's interval grid)
        for (serial, obis), s in series.items():
            first_line = min(line for _, line in s.readings.values())
            meter_id = meters.get(serial)
            if meter_id is None and not create_meters:
                bad(first_line, f"unknown meter {serial} (use --create-meters to create it)")
                continue
            if s.kind.medium != media[serial]:
                bad(first_line, f"{obis} is a {s.kind.medium} channel but meter {serial} measures {media[serial]}")
                continue
            known = channels.get((meter_id, obis)) if meter_id is not None else None
            if known is None and not create_meters:
                bad(first_line, f"meter {serial} has no channel {obis} (use --create-meters to create it)")
                continue
            interval_s = s.kind.interval_s if known is None else known[1]
            for epoch, (_, line) in sorted(s.readings.items(), key=lambda kv: kv[1][1]):
                if epoch % interval_s:
                    for at in (line, *s.repeats.get(epoch, ())):
                        bad(at, f"{from_epoch(epoch).isoformat()} is not on the {interval_s} s interval grid of {obis}")
        if count:
            raise CsvImportError(sorted(problems, key=lambda p: p.line), count)
        if not series:
            return report
        # create what is missing (same transaction as the ingest: all or nothing)
        dso_id: int | None = None
        for (serial, obis), s in series.items():
            meter_id = meters.get(serial)
            if meter_id is None:
                if dso_id is None:
                    dso_id = _import_dso(conn, dso_code)
                meter_id = add_meter(
                    conn,
                    serial,
                    dso_id,
                    model="imported",
                    firmware="unknown",
                    medium=s.kind.medium,
                    mbus_channel=s.kind.mbus_channel,
                )
                meters[serial] = meter_id
                report.meters_created.append(serial)
            if (meter_id, obis) not in channels:
                cid = add_channel(
                    conn, meter_id, obis, unit=s.kind.unit, interval_s=s.kind.interval_s, medium=s.kind.medium
                )
                channels[(meter_id, obis)] = (cid, s.kind.interval_s)
                report.channels_created += 1
        batches: list[tuple[int, ReadingArrays]] = []
        for (serial, obis), s in series.items():
            cid = channels[(meters[serial], obis)][0]
            epochs = np.fromiter(s.readings.keys(), dtype=np.int64, count=len(s.readings))
            values = np.fromiter((v for v, _ in s.readings.values()), dtype=np.int64, count=len(s.readings))
            order = np.argsort(epochs, kind="stable")
            batches.append((cid, ReadingArrays(epochs[order], values[order])))
        try:
            # one transaction with the meter creation above; IngestService has no public "ingest within
            # this connection" entry point yet (reported as a hook request)
            report.ingest = service.ingest_in(conn, batches, IMPORT_SOURCE)
        except IngestError as exc:
            raise CsvImportError([Problem(0, f"ingest refused the file: {exc}")]) from exc
    return report


def _import_dso(conn: Connection, code: str | None) -> int:
    if code is not None:
        found = party_by_code(conn, "dso", code)
        if found is not None:
            return found.id
        return add_party(conn, "dso", code, code)
    dsos = list_parties(conn, "dso")
    if len(dsos) == 1:
        return dsos[0].id
    if not dsos:
        return add_party(conn, "dso", "imported", "Imported meters")
    raise CsvImportError([Problem(0, "the store has several DSOs: say which one new meters belong to (--dso)")])


__all__ = [
    "EXPORT_COLUMNS",
    "IMPORT_COLUMNS",
    "ChannelKind",
    "CsvImportError",
    "ImportReport",
    "Problem",
    "channel_kind",
    "export_csv",
    "export_rows",
    "import_intervals",
]
