"""Meter keys from a key file: the deployment's key provider until the HSM-backed key store arrives.

A key file maps each meter serial to its suite 0 keys (AES-128, 16 octets, 32 hex digits each): the global
unicast encryption key EK (GUEK) and the authentication key AK, both required, and optionally the master
key MK (the KEK, used to transport new keys) and the P1 customer-port key. Two formats, by file suffix:

* JSON (any suffix but ``.csv``)::

    {"format": "meterhub-meter-keys", "version": 1, "suite": 0,
     "meters": {"0100000001": {"ek": "000102…0F", "ak": "D0D1…DF", "mk": "…", "p1": "…"}}}

* CSV with the header ``serial,ek,ak`` and optionally ``mk``, ``p1`` columns, one meter per line (other
  columns of a manufacturer's key sheet are ignored).

The file holds secrets, so it is refused when group or others may read or write it (``chmod 600``), and
:func:`write_key_file` writes it atomically with mode 0600. Every key is checked when the file is loaded: a
problem is reported with the file's line and the meter's serial, never with the key's value.
:class:`KeyFileProvider` is the head-end's :class:`~meterhub.hes.headend.KeyProvider` over a key file; it
looks at the file again when asked for a meter it does not know, so keys added to the file reach a running
head-end without a restart.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from meterhub.dlms.security import CipherKeys
from meterhub.hes.session import HesError

#: The key file's name in a data dir when no other is configured (``--key-file``, ``$MH_KEY_FILE``).
DEFAULT_FILE: Final = "meter-keys.json"
FORMAT: Final = "meterhub-meter-keys"
VERSION: Final = 1
KEY_OCTETS: Final = 16
#: The keys of a meter, by field name: what each is, and whether a key file must give it.
FIELDS: Final = {
    "ek": ("encryption key EK (GUEK)", True),
    "ak": ("authentication key AK", True),
    "mk": ("master key MK (KEK)", False),
    "p1": ("P1 key", False),
}
_HEX: Final = re.compile(r"[0-9A-Fa-f]*")
_PERMISSIVE: Final = stat.S_IRWXG | stat.S_IRWXO


class KeyFileError(ValueError):
    """A key file (or a key) that cannot be used; ``str()`` is the message for the operator, without secrets."""


class MissingMeterKeys(HesError):
    """The key provider has no keys for a meter (a read of that meter fails; the others go on)."""

    def __init__(self, serial: str, where: str) -> None:
        self.detail = f"no keys for meter {serial} in {where}"
        super().__init__("keys", self.detail)
        self.serial = serial


@dataclass(frozen=True, repr=False)
class MeterKeys:
    """One meter's suite 0 keys, 16 octets each (``repr`` never shows them)."""

    ek: bytes
    ak: bytes
    mk: bytes | None = None
    p1: bytes | None = None

    def __post_init__(self) -> None:
        for name, (what, required) in FIELDS.items():
            value = getattr(self, name)
            if (value is not None or required) and len(value or b"") != KEY_OCTETS:
                raise KeyFileError(f"{what}: suite 0 keys are {KEY_OCTETS} octets")

    def __repr__(self) -> str:
        return "MeterKeys(<secret>)"

    def cipher_keys(self) -> CipherKeys:
        return CipherKeys(self.ek, self.ak)

    def as_hex(self) -> dict[str, str]:
        """The keys as upper-case hex by field name (those the meter has)."""
        return {name: value.hex().upper() for name in FIELDS if (value := getattr(self, name)) is not None}


def parse_key(text: str, what: str) -> bytes:
    """A 16-octet key from 32 hex digits (spaces allowed between them); :class:`KeyFileError` says what is
    wrong — empty, not hex, how many digits — without repeating the value."""
    digits = "".join(text.split())
    if not digits:
        raise KeyFileError(f"{what} is empty: a suite 0 key is {KEY_OCTETS} octets, {2 * KEY_OCTETS} hex digits")
    if not _HEX.fullmatch(digits):
        raise KeyFileError(f"{what} is not hexadecimal: a suite 0 key is {2 * KEY_OCTETS} hex digits (0-9, A-F)")
    if len(digits) != 2 * KEY_OCTETS:
        got = f"{len(digits) // 2} octets" if len(digits) % 2 == 0 else "an odd number of digits"
        raise KeyFileError(
            f"{what} has {len(digits)} hex digits ({got}): a suite 0 key is {KEY_OCTETS} octets, "
            f"{2 * KEY_OCTETS} hex digits"
        )
    return bytes.fromhex(digits)


def check_permissions(path: Path) -> None:
    """Refuse a key file that group or others may read or write (POSIX)."""
    if os.name != "posix":
        return
    mode = path.stat().st_mode
    if mode & _PERMISSIVE:
        raise KeyFileError(
            f"the key file {path} is open to group or others (mode {stat.S_IMODE(mode):04o}): it holds secret "
            f"keys, restrict it with 'chmod 600 {path}'"
        )


def load_key_file(path: Path) -> dict[str, MeterKeys]:
    """Every meter's keys in the key file at ``path``, checked; :class:`KeyFileError` for the first problem."""
    if not path.is_file():
        raise KeyFileError(f"no key file {path}" + (" (a directory)" if path.is_dir() else ""))
    check_permissions(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"cannot read the key file {path}: {exc}") from None
    problems: list[str] = []
    keys = _from_csv(text, problems) if path.suffix.lower() == ".csv" else _from_json(text, problems)
    if problems:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise KeyFileError(f"key file {path}: {problems[0]}{more}")
    return keys


def _meter(serial: str, fields: Mapping[str, Any], where: str, problems: list[str]) -> MeterKeys | None:
    if not serial.strip():
        problems.append(f"{where}: a meter without a serial")
        return None
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        problems.append(f"{where}, meter {serial}: unknown field(s) {', '.join(unknown)} (fields: {', '.join(FIELDS)})")
        return None
    parsed: dict[str, bytes | None] = {}
    for name, (what, required) in FIELDS.items():
        value = fields.get(name)
        if value is None or value == "":
            if required:
                problems.append(f"{where}, meter {serial}: no {what} ({name})")
                return None
            parsed[name] = None
            continue
        if not isinstance(value, str):
            problems.append(f"{where}, meter {serial}: {name} must be a string of hex digits")
            return None
        try:
            parsed[name] = parse_key(value, f"{what} ({name})")
        except KeyFileError as exc:
            problems.append(f"{where}, meter {serial}: {exc}")
            return None
    ek, ak = parsed["ek"], parsed["ak"]
    assert ek is not None and ak is not None
    return MeterKeys(ek, ak, parsed["mk"], parsed["p1"])


def _from_json(text: str, problems: list[str]) -> dict[str, MeterKeys]:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                problems.append(f"line {_line_of(text, key)}: {key!r} given twice")
            out[key] = value
        return out

    try:
        doc = json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        problems.insert(0, f"not JSON (line {exc.lineno} column {exc.colno}: {exc.msg})")
        return {}
    if not isinstance(doc, dict) or not isinstance(doc.get("meters"), dict):
        problems.append(f'not a meter key file: expected {{"format": "{FORMAT}", "version": 1, "meters": {{…}}}}')
        return {}
    if doc.get("format", FORMAT) != FORMAT or doc.get("version", VERSION) != VERSION:
        problems.append(f"format {doc.get('format')!r} version {doc.get('version')!r}: expected {FORMAT!r} version 1")
    if doc.get("suite", 0) != 0:
        problems.append(f"security suite {doc.get('suite')!r}: only suite 0 (AES-128) is supported")
    keys: dict[str, MeterKeys] = {}
    for serial, fields in doc["meters"].items():
        where = f"line {_line_of(text, serial)}"
        if not isinstance(fields, dict):
            problems.append(f'{where}, meter {serial}: expected {{"ek": …, "ak": …}}')
            continue
        meter = _meter(serial, fields, where, problems)
        if meter is not None:
            keys[serial] = meter
    return keys


def _from_csv(text: str, problems: list[str]) -> dict[str, MeterKeys]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "serial" not in header or not {"ek", "ak"} <= set(header):
        problems.append("line 1: the header must name the columns serial,ek,ak (and optionally mk,p1)")
        return {}
    reader.fieldnames = header
    keys: dict[str, MeterKeys] = {}
    for row in reader:
        where = f"line {reader.line_num}"
        serial = (row.pop("serial") or "").strip()
        if serial in keys:
            problems.append(f"{where}: meter {serial} given twice")
            continue
        fields = {k: (v or "").strip() for k, v in row.items() if k in FIELDS}  # other columns: ignored
        meter = _meter(serial, fields, where, problems)
        if meter is not None:
            keys[serial] = meter
    return keys


def _line_of(text: str, key: str) -> int:
    at = text.find(json.dumps(key))
    return text.count("\n", 0, at) + 1 if at >= 0 else 1


def write_key_file(path: Path, keys: Mapping[str, MeterKeys]) -> None:
    """Write ``keys`` to ``path`` as a JSON key file, atomically, with mode 0600 from the start."""
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "suite": 0,
        "meters": {serial: keys[serial].as_hex() for serial in sorted(keys)},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.unlink(missing_ok=True)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def add_meter_keys(path: Path, keys: Mapping[str, MeterKeys]) -> int:
    """Add (or replace) meters' keys in the key file at ``path``, creating it; returns the meters in it."""
    merged = load_key_file(path) if path.exists() else {}
    merged.update(keys)
    write_key_file(path, merged)
    return len(merged)


class KeyFileProvider:
    """The head-end's key provider over a key file (thread-safe: the push listener may run on its own thread).

    A meter the loaded keys do not have makes it look at the file again (when it changed since), so keys
    added to the file need no restart; a file made unreadable meanwhile keeps the keys loaded before.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._keys: dict[str, MeterKeys] = {}
        self._cipher: dict[str, CipherKeys] = {}
        self._stamp: tuple[int, int, int] | None = None
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: Path) -> KeyFileProvider:
        """A provider with the file loaded now: :class:`KeyFileError` if it is missing or malformed."""
        provider = cls(path)
        provider.reload()
        return provider

    def reload(self) -> bool:
        """Load the file again if it changed since the last load; whether it did."""
        try:
            st = self.path.stat()
        except OSError:
            raise KeyFileError(f"no key file {self.path}") from None
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        with self._lock:
            if stamp == self._stamp:
                return False
            keys = load_key_file(self.path)
            self._keys, self._cipher, self._stamp = keys, {}, stamp
            return True

    def meter_keys(self, serial: str) -> MeterKeys:
        keys = self._keys.get(serial)
        if keys is None:
            try:
                self.reload()
            except KeyFileError as exc:
                raise MissingMeterKeys(serial, f"the key file ({exc})") from None
            keys = self._keys.get(serial)
            if keys is None:
                raise MissingMeterKeys(serial, f"the key file {self.path}")
        return keys

    def keys_for(self, serial: str) -> CipherKeys:
        cipher = self._cipher.get(serial)
        if cipher is None:
            cipher = self._cipher[serial] = self.meter_keys(serial).cipher_keys()
        return cipher

    def serials(self) -> set[str]:
        return set(self._keys)

    def missing(self, serials: Iterable[str]) -> list[str]:
        """The serials among ``serials`` the key file has no keys for."""
        return [s for s in serials if s not in self._keys]

    def __len__(self) -> int:
        return len(self._keys)


__all__ = [
    "DEFAULT_FILE",
    "FIELDS",
    "KeyFileError",
    "KeyFileProvider",
    "MeterKeys",
    "MissingMeterKeys",
    "add_meter_keys",
    "check_permissions",
    "load_key_file",
    "parse_key",
    "write_key_file",
]
