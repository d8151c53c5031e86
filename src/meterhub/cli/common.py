"""What the operator commands share: the deployment's settings (data dir, store, key file), opening the
store, parsing days, months, instants and OBIS codes at the edge (Europe/Luxembourg in, UTC inside), looking
meters, channels and DSOs up, and one way to fail — a red message on stderr (and ``{"ok": false, "error": …}``
on stdout under ``--json``) with exit code 1 for input that names nothing known or cannot be done; typer's
usage errors exit with 2.

Nothing heavy is imported here at module level (the store, numpy, the cosem model): ``meterhub --help`` and
every ``COMMAND --help`` start without them; a command imports what it uses when it runs.
"""

from __future__ import annotations

import getpass
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from meterhub.hes.keyfile import KeyFileProvider
    from meterhub.store.db import Channel, Meter, Party, Store
    from meterhub.store.locate import StoreLocation

console = Console()
err_console = Console(stderr=True)
#: What to do about a store that is not there.
CREATE_HINT = (
    "create it with 'meterhub store init' (or 'meterhub demo', 'meterhub import'), or give --data-dir / --store"
)
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def fail(message: str, *, as_json: bool = False, code: int = 1) -> NoReturn:
    """Print ``message`` as an error and exit with ``code``."""
    if as_json:
        print(json.dumps({"ok": False, "error": message}))
    err_console.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(code)


@dataclass(frozen=True)
class Settings:
    """The deployment as the global options give it: where the demo and the archive keep their files, the
    store (``--store`` URL; the data dir's SQLite file by default) and the meter key file."""

    data_dir: Path
    store: str | None = None
    key_file: Path | None = None

    def key_file_path(self) -> Path:
        """``--key-file`` / ``$MH_KEY_FILE``, else ``DATA_DIR/meter-keys.json``."""
        from meterhub.hes.keyfile import DEFAULT_FILE

        return self.key_file if self.key_file is not None else self.data_dir / DEFAULT_FILE


def settings(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    if not isinstance(obj, Settings):  # a sub-app invoked on its own (tests): the defaults
        obj = Settings(Path("meterhub-data"))
    return obj


def store_location(ctx: typer.Context, *, as_json: bool = False) -> StoreLocation:
    """Where the store is: ``--store`` (or ``$MH_STORE_URL``), else the data dir; exit 2 for a bad URL."""
    from meterhub.store.locate import StoreUrlError, locate

    s = settings(ctx)
    try:
        return locate(s.store if s.store is not None else s.data_dir)
    except StoreUrlError as exc:
        fail(f"--store: {exc}", as_json=as_json, code=2)


def open_store(ctx: typer.Context, *, as_json: bool = False, create: bool = False) -> Store:
    """The deployment's store. A command that reads data never creates one: no store there is an error (exit
    1) naming where it looked; ``create`` (demo, import, store init) makes it when it is not there yet."""
    from meterhub.store.locate import StoreError, StoreNotFound, open_existing, open_or_create

    location = store_location(ctx, as_json=as_json)
    try:
        return open_or_create(location) if create else open_existing(location)
    except StoreNotFound as exc:
        fail(f"{exc}: {CREATE_HINT}", as_json=as_json)
    except StoreError as exc:
        fail(str(exc), as_json=as_json)


def store_if_any(ctx: typer.Context) -> Store | None:
    """The deployment's store when there is one (commands that only look something up in it), else None."""
    from meterhub.store.locate import StoreError, open_existing

    try:
        return open_existing(store_location(ctx))
    except StoreError:
        return None


def key_provider(ctx: typer.Context, *, as_json: bool = False) -> KeyFileProvider:
    """The deployment's meter keys: the key file, loaded and checked now (exit 1 when missing or malformed)."""
    from meterhub.hes.keyfile import KeyFileError, KeyFileProvider

    path = settings(ctx).key_file_path()
    if not path.exists():
        fail(
            f"no key file {path}: give --key-file PATH (or $MH_KEY_FILE) with the meters' keys "
            "('meterhub demo' writes one for its meters)",
            as_json=as_json,
        )
    try:
        return KeyFileProvider.open(path)
    except KeyFileError as exc:
        fail(str(exc), as_json=as_json)


def dso_of(store: Store, code: str, *, as_json: bool = False) -> Party:
    """The DSO of ``code``, in any letter case; an error listing the known codes otherwise."""
    parties = store.list_parties("dso")
    for party in parties:
        if party.code.casefold() == code.strip().casefold():
            return party
    known = ", ".join(sorted(p.code for p in parties)) or "none in this store"
    fail(f"unknown DSO {code} (known DSOs: {known})", as_json=as_json)


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
    from meterhub.store.intervals import day_start_epoch

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


def hex_key(text: str, option: str, what: str = "the key") -> bytes:
    """A 16-octet key given as 32 hex digits on the command line; a usage error (exit 2) saying what is wrong
    with it — never repeating it."""
    from meterhub.hes.keyfile import KeyFileError, parse_key

    try:
        return parse_key(text, what)
    except KeyFileError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None


def parse_obis(text: str, option: str = "--obis") -> str:
    from meterhub.cosem.obis import Obis, ObisError

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
    from meterhub.store.intervals import LOCAL_TZ

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
    from meterhub.store.intervals import LOCAL_TZ

    a, b = start.astimezone(LOCAL_TZ), end.astimezone(LOCAL_TZ)
    if (a.hour, a.minute, b.hour, b.minute) == (0, 0, 0, 0):
        last = b.date() - timedelta(days=1)
        return a.date().isoformat() if last == a.date() else f"{a.date()} … {last}"
    return f"{local_text(start)} → {local_text(end)}"


@contextmanager
def progress_bar(total: int, what: str, *, enabled: bool) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr (none under ``--json``); yields ``advance(n)``."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

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
    "Settings",
    "channel_of",
    "console",
    "day_start",
    "default_user",
    "dso_of",
    "err_console",
    "fail",
    "hex_key",
    "key_provider",
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
    "settings",
    "store_if_any",
    "store_location",
]
