"""``meterhub edit``: manual corrections of interval values as new audited versions, and a block's version
history (who, why, when, which slots) — see :mod:`meterhub.mdm.edits`.

Edits come from options (one channel and day, ``--slot``/``--value`` pairs) or from a CSV file with the
columns ``meter_serial,obis,interval_start,value`` (more columns are ignored, so a ``meterhub export csv``
file with the rows to change kept and their values changed is a valid edit file). Everything is checked
first; one problem anywhere refuses the whole edit, and a good one is written in one transaction.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from meterhub.cli.common import (
    channel_of,
    console,
    err_console,
    fail,
    local_text,
    meter_of,
    open_store,
    parse_day,
    parse_obis,
)

if TYPE_CHECKING:
    from meterhub.store.db import Channel, NewBlock, Store

app = typer.Typer(
    help="Manual edits of interval data (audited new versions) and version history.", no_args_is_help=True
)
FILE_COLUMNS = ("meter_serial", "obis", "interval_start", "value")
_SHOWN = 20


@dataclass(frozen=True, slots=True)
class _Target:
    serial: str
    channel: Channel


def _slot_start(text: str, day: date, interval_s: int) -> datetime:
    """The UTC start of the slot given by its index on the day (``40``) or its local start time (``10:00``)."""
    from meterhub.store.intervals import LOCAL_TZ, local_day_slots, slot_start_utc

    text = text.strip()
    if text.isdigit():
        try:
            return slot_start_utc(day, int(text), interval_s)
        except (ValueError, IndexError):
            n = local_day_slots(day, interval_s)
            raise typer.BadParameter(f"--slot {text}: {day} has slots 0..{n - 1}") from None
    try:
        clock = time.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"--slot must be a slot number or a local time HH:MM, got {text!r}") from None
    local = datetime.combine(day, clock, LOCAL_TZ)
    at = local.astimezone(UTC)
    if at.astimezone(LOCAL_TZ).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise typer.BadParameter(f"--slot {text} does not exist on {day} (clocks go forward)")
    if local.replace(fold=1).utcoffset() != local.utcoffset():
        raise typer.BadParameter(f"--slot {text} occurs twice on {day} (clocks go back): give the slot number")
    if int(at.timestamp()) % interval_s:
        raise typer.BadParameter(f"--slot {text} is not on the channel's {interval_s // 60}-minute grid")
    return at


def _from_options(
    store: Store, meter: str, obis: str, day: date, slots: list[str], values: list[int], as_json: bool
) -> dict[int, dict[datetime, int]]:
    if len(slots) != len(values) or not slots:
        raise typer.BadParameter("give one --value for each --slot (at least one pair)")
    ch = channel_of(store, meter_of(store, meter, as_json=as_json), obis, as_json=as_json)
    out: dict[datetime, int] = {}
    for text, value in zip(slots, values, strict=True):
        if value < 0:
            raise typer.BadParameter(f"--value {value}: a consumption cannot be negative")
        at = _slot_start(text, day, ch.interval_s)
        if out.get(at, value) != value:
            raise typer.BadParameter(f"slot {text} is given twice with different values")
        out[at] = value
    return {ch.id: out}


def _from_file(store: Store, path: Path, as_json: bool) -> tuple[dict[int, dict[datetime, int]], dict[int, _Target]]:
    """The edits of a CSV file by channel; every problem of the file at once, or none."""
    if not path.is_file():
        raise typer.BadParameter(f"no such file: {path}")
    problems: list[str] = []
    edits: dict[int, dict[datetime, int]] = {}
    targets: dict[int, _Target] = {}
    known: dict[tuple[str, str], Channel | None] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        lacking = [c for c in FILE_COLUMNS if c not in header]
        if lacking:
            fail(f"{path}: the header lacks {', '.join(lacking)} (needs {','.join(FILE_COLUMNS)})", as_json=as_json)
        for row in reader:
            line = reader.line_num
            serial, obis_text = (row["meter_serial"] or "").strip(), (row["obis"] or "").strip()
            try:
                obis = parse_obis(obis_text, "obis")
            except typer.BadParameter as exc:
                problems.append(f"line {line}: {exc.message}")
                continue
            if (serial, obis) not in known:
                m = store.meter_by_serial(serial)
                found = [c for c in store.list_channels([m.id]) if c.obis == obis] if m is not None else []
                known[(serial, obis)] = found[0] if found else None
                if m is None:
                    problems.append(f"line {line}: unknown meter {serial!r}")
                elif not found:
                    problems.append(f"line {line}: meter {serial} has no channel {obis}")
            ch = known[(serial, obis)]
            if ch is None:
                continue
            try:
                at = datetime.fromisoformat((row["interval_start"] or "").strip())
            except ValueError:
                problems.append(f"line {line}: interval_start {row['interval_start']!r} is not an ISO 8601 time")
                continue
            if at.tzinfo is None:
                problems.append(f"line {line}: interval_start {row['interval_start']!r} has no UTC offset")
                continue
            if int(at.timestamp()) % ch.interval_s:
                problems.append(f"line {line}: {row['interval_start']} is not on the {ch.interval_s} s slot grid")
                continue
            text = (row["value"] or "").strip()
            if not (text.isdigit() or (text.startswith("-") and text[1:].isdigit())):
                problems.append(f"line {line}: value {text!r} is not an integer")
                continue
            if int(text) < 0:
                problems.append(f"line {line}: value {text}: a consumption cannot be negative")
                continue
            per = edits.setdefault(ch.id, {})
            at = at.astimezone(UTC)
            if per.get(at, int(text)) != int(text):
                problems.append(
                    f"line {line}: a second, different value for {serial} {obis} at {row['interval_start']}"
                )
                continue
            per[at] = int(text)
            targets[ch.id] = _Target(serial, ch)
    if problems:
        if as_json:
            print(
                json.dumps({"ok": False, "error": f"{len(problems)} problem(s), nothing edited", "problems": problems})
            )
        err_console.print(f"[red]{path}: {len(problems)} problem(s), nothing edited[/red]")
        for p in problems[:_SHOWN]:
            err_console.print(f"  {p}", markup=False, highlight=False)
        if len(problems) > _SHOWN:
            err_console.print(f"  … and {len(problems) - _SHOWN} more")
        raise typer.Exit(1)
    if not edits:
        fail(f"{path} holds no edits", as_json=as_json)
    return edits, targets


@app.command("intervals")
def intervals(
    ctx: typer.Context,
    reason: Annotated[str, typer.Option("--reason", help="Why the values are corrected (kept with the version).")],
    user: Annotated[str, typer.Option("--user", help="Who corrects them (kept with the version).")],
    meter: Annotated[str | None, typer.Option("--meter", help="Meter serial.")] = None,
    obis: Annotated[str | None, typer.Option("--obis", help="Channel OBIS, e.g. 1.0.1.8.0.255.")] = None,
    day: Annotated[str | None, typer.Option("--day", help="Local day YYYY-MM-DD.")] = None,
    slot: Annotated[
        list[str] | None, typer.Option("--slot", help="Slot number of the day (0 = 00:00) or local start HH:MM.")
    ] = None,
    value: Annotated[
        list[int] | None, typer.Option("--value", help="New consumption of that slot (base units).")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="CSV of edits: meter_serial,obis,interval_start,value.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the versions written as JSON.")] = False,
) -> None:
    """Correct interval values: each (channel, day) touched gets a new version with the slots marked edited
    and who/why recorded; earlier versions stay (see 'edit history' and 'export csv --as-of')."""
    from meterhub.mdm.edits import EditError, edit_intervals_in

    if not reason.strip() or not user.strip():
        raise typer.BadParameter("an edit needs a --reason and a --user")
    by_options = any(x for x in (meter, obis, day, slot, value))
    if file is not None and by_options:
        raise typer.BadParameter("give either --file or --meter/--obis/--day/--slot/--value, not both")
    store = open_store(ctx, as_json=as_json)
    try:
        if file is not None:
            edits, targets = _from_file(store, file, as_json)
        else:
            if meter is None or obis is None or day is None:
                raise typer.BadParameter("give --meter, --obis, --day and --slot/--value pairs (or --file)")
            edits = _from_options(store, meter, parse_obis(obis), parse_day(day, "--day"), slot or [], value or [],
                                  as_json)  # fmt: skip
            ch = store.get_channel(next(iter(edits)))
            assert ch is not None
            targets = {ch.id: _Target(meter, ch)}
        written: list[tuple[_Target, NewBlock]] = []
        try:
            with store.write() as conn:
                for cid, values in edits.items():
                    blocks = edit_intervals_in(conn, cid, values, user=user.strip(), reason=reason.strip())
                    written += [(targets[cid], b) for b in blocks]
        except EditError as exc:
            fail(f"{exc}; nothing edited", as_json=as_json)
    finally:
        store.close()
    _print_written(written, sum(len(v) for v in edits.values()), as_json)


def _edited_slots(block: NewBlock) -> list[int]:
    from meterhub.mdm.edits import EditRecord

    record = EditRecord.from_reason(block.reason)
    return list(record.slots) if record is not None else []


def _print_written(written: list[tuple[_Target, NewBlock]], asked: int, as_json: bool) -> None:
    rows: list[dict[str, Any]] = [
        {"meter": t.serial, "obis": t.channel.obis, "day": b.local_day.isoformat(), "version": b.version,
         "slots": _edited_slots(b)}
        for t, b in written
    ]  # fmt: skip
    if as_json:
        print(json.dumps({"ok": True, "slots": asked, "versions": rows}))
        return
    if not rows:
        console.print("nothing changed: the slots already hold these values as edits")
        return
    table = Table(title=f"{len(rows)} new version(s)")
    for col in ("meter", "obis", "day", "version", "slots edited"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["meter"], r["obis"], r["day"], str(r["version"]), _ranges(r["slots"]))
    console.print(table)


def _ranges(slots: list[int] | tuple[int, ...]) -> str:
    """``0-3, 7, 9-10`` of slot numbers."""
    runs: list[list[int]] = []
    for s in sorted(set(slots)):
        if runs and runs[-1][1] + 1 == s:
            runs[-1][1] = s
        else:
            runs.append([s, s])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


@app.command("history")
def edit_history(
    ctx: typer.Context,
    meter: Annotated[str, typer.Option("--meter", help="Meter serial.")],
    obis: Annotated[str, typer.Option("--obis", help="Channel OBIS, e.g. 1.0.1.8.0.255.")],
    day: Annotated[str, typer.Option("--day", help="Local day YYYY-MM-DD.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the versions as JSON.")] = False,
) -> None:
    """Every version of one channel's day, oldest first: when, from where, who and why, slots changed."""
    from meterhub.mdm.edits import history

    wanted, the_day = parse_obis(obis), parse_day(day, "--day")
    store = open_store(ctx, as_json=as_json)
    try:
        ch = channel_of(store, meter_of(store, meter, as_json=as_json), wanted, as_json=as_json)
        versions = history(store, ch.id, the_day)
    finally:
        store.close()
    rows: list[dict[str, Any]] = [
        {
            "version": v.version,
            "created_at": v.created_at.isoformat(),
            "source": v.source,
            "who": v.edit.who if v.edit else None,
            "why": v.edit.why if v.edit else None,
            "reason": None if v.edit else v.reason,
            "edited_slots": list(v.edit.slots) if v.edit else [],
            "changed_slots": list(v.changed_slots),
        }
        for v in versions
    ]
    if as_json:
        print(json.dumps({"ok": True, "meter": meter, "obis": wanted, "day": the_day.isoformat(), "versions": rows}))
        return
    if not rows:
        console.print(f"no data for {meter} {wanted} on {the_day}")
        return
    table = Table(title=f"versions of {meter} {wanted} on {the_day}")
    for col in ("version", "created", "source", "who", "why", "slots changed"):
        table.add_column(col)
    for v, r in zip(versions, rows, strict=True):
        why = r["why"] if r["why"] is not None else (r["reason"] or "")
        changed = _ranges(r["changed_slots"])
        table.add_row(str(v.version), local_text(v.created_at), v.source, r["who"] or "", why,
                      f"{len(r['changed_slots'])}: {changed}" if changed else "0")  # fmt: skip
    console.print(table)
