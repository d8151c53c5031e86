"""What the operator commands share: opening the data dir's store, parsing days, months, instants and OBIS
codes at the edge (Europe/Luxembourg in, UTC inside), looking meters and channels up by serial and OBIS, and
one way to fail — a red message on stderr (and ``{"ok": false, "error": …}`` on stdout under ``--json``) with
exit code 1 for input that names nothing known or cannot be done; typer's usage errors exit with 2.
"""

from __future__ import annotations

import getpass
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from meterhub.cosem.obis import Obis, ObisError
from meterhub.store.db import DB_FILE, Channel, Meter, Store
from meterhub.store.intervals import LOCAL_TZ, day_start_epoch

console = Console()
err_console = Console(stderr=True)
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def fail(message: str, *, as_json: bool = False, code: int = 1) -> NoReturn:
    """Print ``message`` as an error and exit with ``code``."""
    if as_json:
        print(json.dumps({"ok": False, "error": message}))
    err_console.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def open_store(ctx: typer.Context, *, as_json: bool = False) -> Store:
    """The store of the data dir; an error when there is none (these commands never create one)."""
    data_dir: Path = ctx.obj["data_dir"]
    if not (data_dir / DB_FILE).exists():
        fail(f"no store in {data_dir} (run 'meterhub demo', import data, or pass --data-dir)", as_json=as_json)
    return Store.open(data_dir)


def default_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "operator"


def parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{option} must be a local day YYYY-MM-DD, got {text!r}") from None


def parse_month(text: str) -> tuple[int, int]:
    m = _MONTH.fullmatch(text.strip())
    if m is None or not 1 <= int(m.group(2)) <= 12:
        raise typer.BadParameter(f"--month must be YYYY-MM, got {text!r}")
    return int(m.group(1)), int(m.group(2))


def day_start(day: date) -> datetime:
    """Local midnight starting ``day``, as UTC."""
    return datetime.fromtimestamp(day_start_epoch(day), UTC)


def parse_bound(text: str, option: str, *, end: bool) -> datetime:
    """A period bound: a local day (``--from``: its midnight; ``--to``: the midnight after it, the day
    included) or an ISO 8601 time with its UTC offset (taken as is)."""
    if len(text.strip()) == 10:
        day = parse_day(text.strip(), option)
        return day_start(day + timedelta(days=1) if end else day)
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(
            f"{option} must be a local day YYYY-MM-DD or an ISO time with offset, got {text!r}"
        ) from None
    if at.tzinfo is None:
        raise typer.BadParameter(f"{option} needs a UTC offset (e.g. 2026-06-10T10:15:00+02:00), got {text!r}")
    return at.astimezone(UTC)


def parse_as_of(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"--as-of must be an ISO 8601 time, got {text!r}") from None
    if at.tzinfo is None:
        raise typer.BadParameter("--as-of needs a UTC offset (e.g. 2026-06-10T12:00:00+02:00)")
    return at


def parse_obis(text: str, option: str = "--obis") -> str:
    try:
        return str(Obis.parse(text))
    except ObisError as exc:
        raise typer.BadParameter(f"{option}: {exc}") from None


def meter_of(store: Store, serial: str, *, as_json: bool = False) -> Meter:
    meter = store.meter_by_serial(serial)
    if meter is None:
        fail(f"unknown meter {serial}", as_json=as_json)
    return meter


def channel_of(store: Store, meter: Meter, obis: str, *, as_json: bool = False) -> Channel:
    channels = store.list_channels([meter.id])
    for ch in channels:
        if ch.obis == obis:
            return ch
    have = ", ".join(c.obis for c in channels) or "none"
    fail(f"meter {meter.serial} has no channel {obis} (its channels: {have})", as_json=as_json)


def local_text(at: datetime | None) -> str:
    """``YYYY-MM-DD HH:MM`` in Europe/Luxembourg (with the offset on the repeated autumn hour)."""
    if at is None:
        return ""
    local = at.astimezone(LOCAL_TZ)
    text = local.strftime("%Y-%m-%d %H:%M")
    return f"{text}{local.strftime('%z')[:3]}" if local.fold or _ambiguous(local) else text


def _ambiguous(local: datetime) -> bool:
    return local.replace(fold=1).utcoffset() != local.replace(fold=0).utcoffset()


def period_text(start: datetime, end: datetime) -> str:
    """A period for people: ``2026-06-01 … 2026-06-30`` (local days, both included) when it runs from
    midnight to midnight, else its local start and end times."""
    a, b = start.astimezone(LOCAL_TZ), end.astimezone(LOCAL_TZ)
    if (a.hour, a.minute, b.hour, b.minute) == (0, 0, 0, 0):
        last = b.date() - timedelta(days=1)
        return a.date().isoformat() if last == a.date() else f"{a.date()} … {last}"
    return f"{local_text(start)} → {local_text(end)}"


@contextmanager
def progress_bar(total: int, what: str, *, enabled: bool) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr (none under ``--json``); yields ``advance(n)``."""
    if not enabled or total == 0:
        yield lambda _n: None
        return
    columns = (TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task(what, total=total)
        yield lambda n: bar.advance(task, n)


def number(value: int | None) -> str:
    """An integer with thin grouping for tables (``1 234 567``); empty for None."""
    return "" if value is None else f"{value:,}".replace(",", " ")


__all__ = [
    "channel_of",
    "console",
    "day_start",
    "default_user",
    "err_console",
    "fail",
    "local_text",
    "meter_of",
    "number",
    "open_store",
    "parse_as_of",
    "parse_bound",
    "parse_day",
    "parse_month",
    "parse_obis",
    "period_text",
    "progress_bar",
]
