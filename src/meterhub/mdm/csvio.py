"""CSV import of interval data from other systems (issue 5 deliverable 2, issue 12 items 3 and 4).

**Import** reads cumulative register readings, one per row::

    meter_serial,obis,timestamp,value
    LU0001,1.0.1.8.0.255,2026-06-10T00:15:00+02:00,1000123

``timestamp`` is ISO 8601 *with* a UTC offset and is the END of the interval; ``value`` is the register as
an integer in base units (Wh, varh, litre). Rows may come in any order. The whole file is checked before
anything is written:

* a **malformed** row — a bad timestamp, a missing offset, a non-integer or negative value, an unknown OBIS
  code, a reading off the channel's interval grid, an unknown meter or channel (unless ``create_meters``) — is
  a problem, reported with its line number; a file with any problem writes nothing at all
  (:class:`CsvImportError`);
* a **conflicting duplicate** — a second, different reading for one (meter, OBIS, instant) — is a fault of the
  data, not of the file: the first reading in the file is kept in the series, the two slots around its instant
  are stored ``suspect`` with rule ``DUPLICATE`` (in the ingest's own version), and every other value is kept
  in ``rejected_reading`` (:mod:`meterhub.store.rejected`: value, value kept, ``file:line``, import run) — the
  rest of the file is imported and the conflicts are listed in the report;
* an identical duplicate is simply read once.

A file without problems is ingested in ONE transaction through the head-end's own path,
:meth:`IngestService.ingest_in <meterhub.mdm.ingest.IngestService.ingest_in>` with VEE at ingest (``vee``, the
default): merge rules, versions and idempotency are the ingest's (re-importing a file writes nothing new; data
stored before get a new version, the old one stays), and every complete day the import changed is validated
and estimated right away, exactly as the head-end's reads are — the screen, then the full
:class:`~meterhub.mdm.vee_service.VeeService` for the days it sends on. No ``meterhub vee run`` is needed
afterwards; its multi-day rules (a clock shift over several days) still run there.

Known OBIS codes: electricity energy registers ``1.x.C.8.E`` (quarter-hour channels; unit Wh, varh for the
reactive C = 3…8) and the M-Bus sub-meter value ``0.b.24.2.1`` (b = 1…4, hourly; litre, or Wh for heat).

**Export** (one row per interval slot of the current block versions) is :mod:`meterhub.mdm.csv_export`;
its names are re-exported here.
"""

from __future__ import annotations

import csv
import heapq
import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np

from meterhub.cosem.obis import Obis, ObisError
from meterhub.mdm.csv_export import EXPORT_COLUMNS, export_csv, export_rows
from meterhub.mdm.ingest import IngestError, IngestResult, IngestService, ReadingArrays
from meterhub.mdm.vee_service import VeeService
from meterhub.store import Connection, Medium, Store
from meterhub.store.channels import add_channel, list_channels
from meterhub.store.intervals import LOCAL_TZ, from_epoch, to_epoch
from meterhub.store.inventory import add_meter, add_party, list_parties, meters_by_serial, party_by_code
from meterhub.store.rejected import CONFLICTING_DUPLICATE, RejectedRow, add_rejected_readings

IMPORT_COLUMNS = ("meter_serial", "obis", "timestamp", "value")
IMPORT_SOURCE = "import"
MAX_PROBLEMS = 1000  # problems kept in a report (the count is always exact)
MAX_CONFLICTS = 20  # conflicts listed in a report (the count is always exact)
PROGRESS_ROWS = 20_000  # rows between two progress calls while reading

_INT_RE = re.compile(r"[+-]?\d+")
# ISO 8601 extended date-time (Python's fromisoformat alone would take any separator character)
_TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)?")
_MBUS_UNITS = {"gas": "l", "water": "l", "heat": "Wh"}
MbusMedium = Literal["gas", "water", "heat"]
Progress = Callable[[str, int, int], None]
"""``progress(phase, done, total)``: ``read`` (characters of the file), ``check`` (series), ``vee`` (local
days of the ingest with VEE); ``total`` 0 when unknown."""


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
    """A malformed row (``line`` counts the header as line 1; 0: the file as a whole)."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"

    def at(self, name: str) -> str:
        """The problem as ``file:line: message`` (the form editors and terminals jump to)."""
        return f"{name}:{self.line}: {self.message}" if self.line else f"{name}: {self.message}"


class CsvImportError(ValueError):
    """The file has problems; nothing was written."""

    def __init__(self, problems: Sequence[Problem], total: int | None = None) -> None:
        self.problems = list(problems)
        self.total = len(self.problems) if total is None else total
        head = "; ".join(str(p) for p in self.problems[:5])
        more = f" (+{self.total - 5} more)" if self.total > 5 else ""
        super().__init__(f"{self.total} problem(s), nothing imported: {head}{more}")


@dataclass(frozen=True, slots=True)
class Conflict:
    """A second, different reading for an instant: the value kept (the first in the file) and the other one."""

    meter_serial: str
    obis: str
    at: int  # the instant, UTC epoch seconds
    kept: int
    kept_line: int
    other: int
    line: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "meter": self.meter_serial,
            "obis": self.obis,
            "instant": from_epoch(self.at).astimezone(LOCAL_TZ).isoformat(),
            "kept": self.kept,
            "kept_line": self.kept_line,
            "other": self.other,
            "line": self.line,
        }


@dataclass(slots=True)
class ImportReport:
    """What an import did: the file's figures, the conflicts (the first :data:`MAX_CONFLICTS` listed), the
    ingest's and its VEE's outcome (:class:`~meterhub.mdm.ingest.IngestResult`)."""

    rows: int = 0
    channels: int = 0
    meters_created: list[str] = field(default_factory=list)
    channels_created: int = 0
    ingest: IngestResult = field(default_factory=IngestResult)
    duplicates_identical: int = 0
    conflicts: int = 0  # rows with a second, different value for an instant
    conflicting_instants: int = 0
    conflicts_listed: list[Conflict] = field(default_factory=list)
    rejected_recorded: int = 0  # rejected_reading rows written (0 when the same file was imported before)
    import_run: str = ""
    vee: bool = True

    @property
    def intervals(self) -> int:
        """Interval slots the file gave a value for (measured, or suspect at import)."""
        return self.ingest.measured_slots + self.ingest.suspect_slots

    def as_dict(self) -> dict[str, Any]:
        """The report as plain JSON values (the CLI's ``--json``)."""
        ing = self.ingest
        return {
            "ok": True,
            "import_run": self.import_run,
            "rows": self.rows,
            "channels": self.channels,
            "meters_created": len(self.meters_created),
            "channels_created": self.channels_created,
            "intervals": self.intervals,
            "days_touched": ing.days_touched,
            "versions_written": ing.versions_written,
            "measured_slots": ing.measured_slots,
            "suspect_slots": ing.suspect_slots,
            "daily_reads": ing.daily_reads,
            "duplicates_identical": self.duplicates_identical,
            "conflicting_duplicates": self.conflicts,
            "conflicting_instants": self.conflicting_instants,
            "rejected_recorded": self.rejected_recorded,
            "conflicts": [c.as_dict() for c in self.conflicts_listed],
            "vee": {
                "enabled": self.vee,
                "days_validated": ing.days_validated,
                "days_sent": ing.days_sent,
                "estimated_slots": ing.estimated_slots,
                "suspect_slots": ing.vee_suspect_slots,
                "rules": dict(ing.vee_rules),
            },
        }


@dataclass(slots=True)
class _Series:
    kind: ChannelKind
    readings: dict[int, tuple[int, int]] = field(default_factory=dict)  # epoch -> (value, line), the first seen
    repeats: dict[int, list[int]] = field(default_factory=dict)  # epoch -> lines of exact repeats
    conflicts: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # epoch -> (other value, line)


@dataclass(slots=True)
class Parsed:
    """The rows of a file per (serial, OBIS), its problems (the first :data:`MAX_PROBLEMS`, and their count)."""

    series: dict[tuple[str, str], _Series] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    count: int = 0
    rows: int = 0
    repeats: int = 0
    conflicts: int = 0

    def bad(self, line: int, message: str) -> None:
        self.count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(line, message))


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


def parse_rows(rows: Iterable[Sequence[str]], mbus_medium: MbusMedium = "gas") -> Parsed:
    """Parse the CSV rows (header first) into per-(serial, OBIS) readings, the first value seen per instant
    kept, identical repeats counted, different ones set aside as conflicts. Line numbers count the header as
    line 1."""
    out = Parsed()
    series = out.series
    it = iter(rows)
    header = next(it, None)
    if header is None:
        out.bad(1, "empty file (header meter_serial,obis,timestamp,value expected)")
        return out
    if tuple(h.strip().lower() for h in header) != IMPORT_COLUMNS:
        out.bad(1, f"header must be {','.join(IMPORT_COLUMNS)}, got {','.join(header)}")
        return out
    kinds: dict[str, ChannelKind | str] = {}  # OBIS text → its kind, or the problem with it
    times: dict[str, int | str] = {}  # timestamp text → epoch, or the problem with it (files repeat instants)
    n = 0
    for line, row in enumerate(it, start=2):
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line
        n += 1
        if len(row) != 4:
            out.bad(line, f"expected 4 columns, got {len(row)}")
            continue
        serial, obis_text, ts_text, value_text = (c.strip() for c in row)
        if not serial:
            out.bad(line, "empty meter_serial")
            continue
        kind = kinds.get(obis_text)
        if kind is None:
            try:
                kind = kinds[obis_text] = channel_kind(obis_text, mbus_medium)
            except ValueError as exc:
                kind = kinds[obis_text] = str(exc)
        if isinstance(kind, str):
            out.bad(line, kind)
            continue
        epoch = times.get(ts_text)
        if epoch is None:
            try:
                epoch = _parse_time(ts_text)
            except ValueError as exc:
                epoch = str(exc)
            if len(times) < 1_000_000:
                times[ts_text] = epoch
        if isinstance(epoch, str):
            out.bad(line, epoch)
            continue
        if not _INT_RE.fullmatch(value_text):
            out.bad(line, f"value {value_text!r} is not an integer")
            continue
        value = int(value_text)
        if value < 0:
            out.bad(line, f"negative register value {value}")
            continue
        s = series.get((serial, kind.obis))
        if s is None:
            s = series[(serial, kind.obis)] = _Series(kind)
        prev = s.readings.get(epoch)
        if prev is None:
            s.readings[epoch] = (value, line)
        elif prev[0] == value:  # an exact repeat: read once (reported with the reading if it is off the grid)
            s.repeats.setdefault(epoch, []).append(line)
            out.repeats += 1
        else:  # a second, different value: the data's fault (the duplicate rule), the first one is kept
            s.conflicts.setdefault(epoch, []).append((value, line))
            out.conflicts += 1
    out.rows = n
    return out


def _lines(fh: IO[str], progress: Progress | None, total: int) -> Iterator[str]:
    """The file's lines, calling ``progress("read", characters so far, total)`` every :data:`PROGRESS_ROWS`."""
    done = 0
    for k, line in enumerate(fh, start=1):
        done += len(line)
        if progress is not None and k % PROGRESS_ROWS == 0:
            progress("read", done, total)
        yield line
    if progress is not None:
        progress("read", total or done, total or done)


def _read(source: Path | str | IO[str], mbus_medium: MbusMedium, progress: Progress | None) -> Parsed:
    """Parse the file; a file that is no CSV text at all (not UTF-8, a NUL byte, a field over the csv module's
    limit) is refused as a :class:`CsvImportError` naming the line."""
    reader: Any = None
    try:
        if isinstance(source, Path | str):
            total = Path(source).stat().st_size
            with open(source, newline="", encoding="utf-8-sig") as fh:  # tolerate a spreadsheet's byte-order mark
                reader = csv.reader(_lines(fh, progress, total))
                return parse_rows(reader, mbus_medium)
        reader = csv.reader(_lines(source, progress, 0) if progress else source)
        return parse_rows(reader, mbus_medium)
    except UnicodeDecodeError as exc:
        raise CsvImportError([_not_utf8(source, exc)]) from None
    except csv.Error as exc:
        raise CsvImportError([Problem(reader.line_num if reader is not None else 0, f"not CSV: {exc}")]) from None


def _not_utf8(source: Path | str | IO[str], exc: UnicodeDecodeError) -> Problem:
    """The problem of a file that is not UTF-8: at its line when the file can be read again as bytes (the text
    layer decodes in chunks, so the error's own position is within a chunk)."""
    if isinstance(source, Path | str):
        data = Path(source).read_bytes()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as again:
            line = data.count(b"\n", 0, again.start) + 1
            column = again.start - data.rfind(b"\n", 0, again.start)
            return Problem(line, f"not UTF-8 text ({again.reason} at byte {column} of the line)")
    return Problem(0, f"not UTF-8 text ({exc.reason})")


def source_name(source: Path | str | IO[str]) -> str:
    """How an import's source is named in problems and rejected readings: the path, or the stream's name."""
    if isinstance(source, Path | str):
        return str(source)
    return str(getattr(source, "name", "<stream>"))


def import_intervals(
    store: Store,
    source: Path | str | IO[str],
    *,
    create_meters: bool = False,
    dso_code: str | None = None,
    mbus_medium: MbusMedium = "gas",
    vee: bool = True,
    until: datetime | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Check the whole CSV, then ingest it in one transaction with VEE at ingest (see the module docstring).

    Raises :class:`CsvImportError` listing every problem (nothing written). Meters created on the fly
    (``create_meters``) belong to the DSO ``dso_code`` (default: the only DSO of the store, or a new DSO
    ``imported`` in an empty store). ``vee=False`` stores the readings without validating them (they stay
    ``measured`` until ``meterhub vee run``); ``until`` (default: now) is the time before which a day must have
    ended to be validated.
    """
    parsed = _read(source, mbus_medium, progress)
    series = parsed.series
    name = source_name(source)
    now = datetime.now(UTC)
    report = ImportReport(
        rows=parsed.rows,
        channels=len(series),
        duplicates_identical=parsed.repeats,
        conflicts=parsed.conflicts,
        conflicting_instants=sum(len(s.conflicts) for s in series.values()),
        import_run=f"import-{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}",
        vee=vee,
    )
    service = IngestService(store, VeeService(store) if vee else None)
    with store.write() as conn:
        meters, channels = _check(conn, parsed, create_meters, progress)
        if parsed.count:
            raise CsvImportError(sorted(parsed.problems, key=lambda p: p.line), parsed.count)
        if not series:
            return report
        _create(conn, series, meters, channels, dso_code, report)  # same transaction as the ingest: all or nothing
        batches: list[tuple[int, ReadingArrays]] = []
        duplicates: dict[int, np.ndarray] = {}
        rejected: list[RejectedRow] = []
        found: list[Conflict] = []
        recorded_at = to_epoch(now)
        for (serial, obis), s in series.items():
            cid = channels[(meters[serial], obis)][0]
            epochs = np.fromiter(s.readings.keys(), dtype=np.int64, count=len(s.readings))
            values = np.fromiter((v for v, _ in s.readings.values()), dtype=np.int64, count=len(s.readings))
            order = np.argsort(epochs, kind="stable")
            batches.append((cid, ReadingArrays(epochs[order], values[order])))
            if s.conflicts:
                duplicates[cid] = np.array(sorted(s.conflicts), dtype=np.int64)
                for at, others in sorted(s.conflicts.items()):
                    kept, kept_line = s.readings[at]
                    seen: set[int] = set()
                    for other, line in others:
                        found.append(Conflict(serial, obis, at, kept, kept_line, other, line))
                        if other not in seen:  # one record per value (the line it was first seen on)
                            seen.add(other)
                            source_text = f"{name}:{line}"[-300:]
                            row = (cid, at, other, kept, CONFLICTING_DUPLICATE, source_text, report.import_run,
                                   recorded_at)  # fmt: skip
                            rejected.append(row)
        report.conflicts_listed = heapq.nsmallest(MAX_CONFLICTS, found, key=lambda c: c.line)
        on_day = None if progress is None else (lambda done, total: progress("vee", done, total))
        try:
            report.ingest = service.ingest_in(
                conn, batches, IMPORT_SOURCE, until=until, duplicates=duplicates, progress=on_day
            )
        except IngestError as exc:
            raise CsvImportError([Problem(0, f"ingest refused the file: {exc}")]) from exc
        report.rejected_recorded = add_rejected_readings(conn, rejected)
    return report


def _check(
    conn: Connection, parsed: Parsed, create_meters: bool, progress: Progress | None
) -> tuple[dict[str, int], dict[tuple[int, str], tuple[int, int]]]:
    """Check every series against the store (unknown meters/channels, media, the channel's interval grid),
    adding the problems to ``parsed``; returns the known meters by serial and channels by (meter, OBIS)."""
    series = parsed.series
    known_meters = meters_by_serial(conn, [k[0] for k in series])
    meters: dict[str, int] = {serial: m.id for serial, m in known_meters.items()}
    media: dict[str, str] = {serial: m.medium for serial, m in known_meters.items()}
    channels: dict[tuple[int, str], tuple[int, int]] = {
        (ch.meter_id, ch.obis): (ch.id, ch.interval_s) for ch in list_channels(conn, sorted(meters.values()))
    }
    first_lines = {key: min(line for _, line in s.readings.values()) for key, s in series.items()}
    # one medium per meter: a stored meter's, else that of its first series in the file
    for (serial, _obis), s in sorted(series.items(), key=lambda kv: first_lines[kv[0]]):
        media.setdefault(serial, s.kind.medium)
    for k, ((serial, obis), s) in enumerate(series.items()):
        if progress is not None and k % 1000 == 0:
            progress("check", k, len(series))
        first_line = first_lines[(serial, obis)]
        meter_id = meters.get(serial)
        if meter_id is None and not create_meters:
            parsed.bad(first_line, f"unknown meter {serial} (use --create-meters to create it)")
            continue
        if s.kind.medium != media[serial]:
            parsed.bad(first_line, f"{obis} is a {s.kind.medium} channel but meter {serial} measures {media[serial]}")
            continue
        known = channels.get((meter_id, obis)) if meter_id is not None else None
        if known is None and not create_meters:
            parsed.bad(first_line, f"meter {serial} has no channel {obis} (use --create-meters to create it)")
            continue
        interval_s = s.kind.interval_s if known is None else known[1]
        epochs = np.fromiter(s.readings.keys(), dtype=np.int64, count=len(s.readings))
        for epoch in epochs[epochs % interval_s != 0].tolist():
            line = s.readings[epoch][1]
            lines = (line, *s.repeats.get(epoch, ()), *(ln for _, ln in s.conflicts.get(epoch, ())))
            for at in lines:
                parsed.bad(at, f"{from_epoch(epoch).isoformat()} is not on the {interval_s} s interval grid of {obis}")
    if progress is not None:
        progress("check", len(series), len(series))
    return meters, channels


def _create(
    conn: Connection,
    series: dict[tuple[str, str], _Series],
    meters: dict[str, int],
    channels: dict[tuple[int, str], tuple[int, int]],
    dso_code: str | None,
    report: ImportReport,
) -> None:
    """Create the meters and channels the file names that the store lacks (``meters`` and ``channels`` updated)."""
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
            kind = s.kind
            cid = add_channel(conn, meter_id, obis, unit=kind.unit, interval_s=kind.interval_s, medium=kind.medium)
            channels[(meter_id, obis)] = (cid, s.kind.interval_s)
            report.channels_created += 1


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
    "Conflict",
    "CsvImportError",
    "ImportReport",
    "Parsed",
    "Problem",
    "channel_kind",
    "export_csv",
    "export_rows",
    "import_intervals",
    "parse_rows",
    "source_name",
]
