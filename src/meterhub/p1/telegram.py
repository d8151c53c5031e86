"""The DSMR-5-style P1 telegram inside the encrypted frame: typed readings, encoder and parser (sans-io).

Layout (DSMR P1 5.0.2 §6.2 and §7; the national P1 specification v1.1.3): a header line ``/XXXZ ident``, an
empty line, one COSEM line per value ``A-B:C.D.E(value)(value)…``, and ``!`` followed by the CRC-16/ARC of
everything from ``/`` to ``!`` inclusive as four upper-case hex digits, each line ended by CRLF.

Values are converted to integers in base units where the project keeps them (DESIGN §7): kWh → Wh, kvarh →
varh, kW → W, m³ → litres; voltages (V) and currents (A) are floats for display. Time stamps ``YYMMDDhhmmssX``
are Europe/Luxembourg wall-clock time with X = ``S`` (summer, UTC+2) or ``W`` (winter, UTC+1), which makes the
repeated hour of the autumn change unambiguous; they become timezone-aware UTC datetimes. Lines with an OBIS
code this module does not know are kept, unparsed, in :attr:`Telegram.other` (meters add their own).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any, Final, TypeVar

from meterhub.country import LOCAL_TZ
from meterhub.p1.crc import crc16_arc
from meterhub.p1.errors import ChecksumError, EncodeError, TelegramError

__all__ = [
    "LUX",
    "MBusReading",
    "PowerFailure",
    "Telegram",
    "encode_telegram",
    "format_timestamp",
    "parse_telegram",
    "parse_timestamp",
]

LUX: Final = LOCAL_TZ
UTC: Final = dt.UTC
_SUMMER: Final = dt.timezone(dt.timedelta(hours=2))
_WINTER: Final = dt.timezone(dt.timedelta(hours=1))

T = TypeVar("T")
Phases = tuple[T | None, T | None, T | None]
_NO_PHASES: Final = (None, None, None)

#: M-Bus device types (EN 13757-3 medium codes) the telegram's 0-n:24.1.0 line carries.
MBUS_GAS: Final = 3
MBUS_HEAT: Final = 4
MBUS_WATER: Final = 7


@dataclass(frozen=True, slots=True)
class PowerFailure:
    """One entry of the long power failure log 1-0:99.97.0: when the failure ended, how long it lasted."""

    end: dt.datetime
    duration_s: int


@dataclass(frozen=True, slots=True)
class MBusReading:
    """An M-Bus sub-meter on channel n (0-n:24.1.0 type, 0-n:96.1.0 id, 0-n:24.2.1 value with capture time).

    ``value`` is in the base unit ``unit``: litres for m³ (gas, water), Wh for kWh or GJ (heat).
    """

    channel: int
    device_type: int | None = None
    equipment_id: str | None = None
    captured_at: dt.datetime | None = None
    value: int | None = None
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class Telegram:
    """One P1 telegram as typed readings (``None``: the line was absent)."""

    header: str  # identification line without the leading "/"
    timestamp: dt.datetime | None = None  # 0-0:1.0.0, UTC
    version: str | None = None  # 1-3:0.2.8
    equipment_id: str | None = None  # 0-0:42.0.0 (national: COSEM logical device name) or 0-0:96.1.1
    energy_import_wh: int | None = None  # 1-0:1.8.0 A+
    energy_export_wh: int | None = None  # 1-0:2.8.0 A−
    reactive_import_varh: int | None = None  # 1-0:3.8.0 R+
    reactive_export_varh: int | None = None  # 1-0:4.8.0 R−
    tariff: int | None = None  # 0-0:96.14.0
    power_import_w: int | None = None  # 1-0:1.7.0
    power_export_w: int | None = None  # 1-0:2.7.0
    power_import_phase_w: Phases[int] = _NO_PHASES  # 1-0:21/41/61.7.0
    power_export_phase_w: Phases[int] = _NO_PHASES  # 1-0:22/42/62.7.0
    voltage_v: Phases[float] = _NO_PHASES  # 1-0:32/52/72.7.0
    current_a: Phases[float] = _NO_PHASES  # 1-0:31/51/71.7.0
    power_failures: int | None = None  # 0-0:96.7.21, any phase
    long_power_failures: int | None = None  # 0-0:96.7.9
    power_failure_log: tuple[PowerFailure, ...] = ()  # 1-0:99.97.0
    voltage_sags: Phases[int] = _NO_PHASES  # 1-0:32/52/72.32.0
    voltage_swells: Phases[int] = _NO_PHASES  # 1-0:32/52/72.36.0
    breaker_state: int | None = None  # 0-0:96.3.10
    text_message: str | None = None  # 0-0:96.13.0 (hex-coded on the wire)
    mbus: tuple[MBusReading, ...] = ()
    other: tuple[tuple[str, str], ...] = field(default=())  # unknown lines: (OBIS, "(v1)(v2)…")

    def mbus_channel(self, medium: int) -> MBusReading | None:
        """The first sub-meter of a device type (:data:`MBUS_GAS` …), if any."""
        return next((m for m in self.mbus if m.device_type == medium), None)


# --------------------------------------------------------------------------------------------- time stamps


def parse_timestamp(text: str) -> dt.datetime:
    """``YYMMDDhhmmssX`` (X = S summer / W winter, Luxembourg wall clock) → aware UTC datetime."""
    if len(text) != 13 or not text[:12].isdigit() or not text[:12].isascii() or text[12] not in "SW":
        raise TelegramError(f"time stamp {text!r} is not YYMMDDhhmmssX")
    n = [int(text[i : i + 2]) for i in range(0, 12, 2)]
    try:
        local = dt.datetime(2000 + n[0], n[1], n[2], n[3], n[4], n[5], tzinfo=_SUMMER if text[12] == "S" else _WINTER)
    except ValueError as exc:
        raise TelegramError(f"time stamp {text!r}: {exc}") from None
    return local.astimezone(UTC)


def format_timestamp(t: dt.datetime) -> str:
    """An aware datetime as ``YYMMDDhhmmssX`` in Luxembourg wall-clock time."""
    if t.tzinfo is None:
        raise EncodeError("time stamps must be timezone-aware")
    local = t.astimezone(LUX)
    if not 2000 <= local.year <= 2099:
        raise EncodeError(f"{t.isoformat()}: DSMR time stamps cover 2000–2099")
    return local.strftime("%y%m%d%H%M%S") + ("S" if local.dst() else "W")


# --------------------------------------------------------------------------------------------- numbers

_NUMBER: Final = re.compile(r"\d{1,12}(?:\.\d{1,9})?")
#: unit on the wire → (base unit, factor)
_UNITS: Final[dict[str, tuple[str, Decimal]]] = {
    "kWh": ("Wh", Decimal(1000)),
    "Wh": ("Wh", Decimal(1)),
    "kvarh": ("varh", Decimal(1000)),
    "kVArh": ("varh", Decimal(1000)),
    "varh": ("varh", Decimal(1)),
    "kW": ("W", Decimal(1000)),
    "W": ("W", Decimal(1)),
    "kvar": ("var", Decimal(1000)),
    "m3": ("l", Decimal(1000)),
    "GJ": ("Wh", Decimal(1_000_000_000) / Decimal(3600)),
    "V": ("V", Decimal(1)),
    "A": ("A", Decimal(1)),
    "s": ("s", Decimal(1)),
}


def _quantity(text: str, expected: tuple[str, ...]) -> tuple[Decimal, str]:
    """``"000123.456*kWh"`` → (value in the base unit, base unit); the wire unit must be one of ``expected``."""
    number, star, unit = text.partition("*")
    if not star or unit not in expected or unit not in _UNITS or not _NUMBER.fullmatch(number):
        raise TelegramError(f"value {text!r} is not a number in {'/'.join(expected)}")
    base, factor = _UNITS[unit]
    try:
        return Decimal(number) * factor, base
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
        raise TelegramError(f"value {text!r} is not a number") from None


def _to_int(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _int_in(text: str, *units: str) -> int:
    return _to_int(_quantity(text, units)[0])


def _float_in(text: str, *units: str) -> float:
    return float(_quantity(text, units)[0])


def _count(text: str) -> int:
    if not text.isdigit() or not text.isascii() or len(text) > 12:
        raise TelegramError(f"value {text!r} is not a count")
    return int(text)


def _hex_text(text: str) -> str:
    """A hex-coded octet string as text (UTF-8, replacement characters for anything else)."""
    if len(text) % 2 or any(c not in "0123456789abcdefABCDEF" for c in text):
        raise TelegramError(f"value {text[:40]!r} is not a hex octet string")
    return bytes.fromhex(text).decode("utf-8", errors="replace")


def _hex(text: str) -> str:
    return text.encode("utf-8").hex().upper()


# --------------------------------------------------------------------------------------------- encoder


def _wh(value: int, unit: str, int_digits: int) -> str:
    if value < 0:
        raise EncodeError(f"negative {unit} value {value}")
    return f"{value // 1000:0{int_digits}d}.{value % 1000:03d}*{unit}"


def _phase_lines(codes: tuple[str, str, str], values: Phases[T], fmt: str) -> list[str]:
    return [f"{code}({fmt.format(v)})" for code, v in zip(codes, values, strict=True) if v is not None]


def encode_telegram(t: Telegram) -> bytes:
    """The telegram's bytes, CRC included (DSMR 5 number formats: F9(3,3) energy, F5(3,3) power …)."""
    if not t.header or any(c in t.header for c in "\r\n!") or not t.header.isascii():
        raise EncodeError("the header must be one line of ASCII without '!'")
    lines = [f"/{t.header}", ""]
    if t.version is not None:
        lines.append(f"1-3:0.2.8({t.version})")
    if t.timestamp is not None:
        lines.append(f"0-0:1.0.0({format_timestamp(t.timestamp)})")
    if t.equipment_id is not None:
        lines.append(f"0-0:42.0.0({_hex(t.equipment_id)})")
    for code, reg, unit in (
        ("1-0:1.8.0", t.energy_import_wh, "kWh"),
        ("1-0:2.8.0", t.energy_export_wh, "kWh"),
        ("1-0:3.8.0", t.reactive_import_varh, "kvarh"),
        ("1-0:4.8.0", t.reactive_export_varh, "kvarh"),
    ):
        if reg is not None:
            lines.append(f"{code}({_wh(reg, unit, 6)})")
    if t.tariff is not None:
        lines.append(f"0-0:96.14.0({t.tariff:04d})")
    if t.power_import_w is not None:
        lines.append(f"1-0:1.7.0({_wh(t.power_import_w, 'kW', 2)})")
    if t.power_export_w is not None:
        lines.append(f"1-0:2.7.0({_wh(t.power_export_w, 'kW', 2)})")
    if t.power_failures is not None:
        lines.append(f"0-0:96.7.21({t.power_failures:05d})")
    if t.long_power_failures is not None:
        lines.append(f"0-0:96.7.9({t.long_power_failures:05d})")
    if t.long_power_failures is not None or t.power_failure_log:
        log = "".join(f"({format_timestamp(p.end)})({p.duration_s:010d}*s)" for p in t.power_failure_log)
        lines.append(f"1-0:99.97.0({len(t.power_failure_log)})(0-0:96.7.19){log}")
    lines += _phase_lines(("1-0:32.32.0", "1-0:52.32.0", "1-0:72.32.0"), t.voltage_sags, "{:05d}")
    lines += _phase_lines(("1-0:32.36.0", "1-0:52.36.0", "1-0:72.36.0"), t.voltage_swells, "{:05d}")
    if t.text_message is not None:
        lines.append(f"0-0:96.13.0({_hex(t.text_message)})")
    lines += _phase_lines(("1-0:32.7.0", "1-0:52.7.0", "1-0:72.7.0"), t.voltage_v, "{:05.1f}*V")
    lines += _phase_lines(("1-0:31.7.0", "1-0:51.7.0", "1-0:71.7.0"), t.current_a, "{:03.0f}*A")
    for codes, values in (
        (("1-0:21.7.0", "1-0:41.7.0", "1-0:61.7.0"), t.power_import_phase_w),
        (("1-0:22.7.0", "1-0:42.7.0", "1-0:62.7.0"), t.power_export_phase_w),
    ):
        lines += [f"{c}({_wh(v, 'kW', 2)})" for c, v in zip(codes, values, strict=True) if v is not None]
    if t.breaker_state is not None:
        lines.append(f"0-0:96.3.10({t.breaker_state})")
    for m in t.mbus:
        n = m.channel
        if not 1 <= n <= 4:
            raise EncodeError(f"M-Bus channel {n} is not 1–4")
        if m.device_type is not None:
            lines.append(f"0-{n}:24.1.0({m.device_type:03d})")
        if m.equipment_id is not None:
            lines.append(f"0-{n}:96.1.0({_hex(m.equipment_id)})")
        if m.value is not None and m.captured_at is not None:
            wire_unit = {"l": "m3", "Wh": "kWh"}.get(m.unit or "")
            if wire_unit is None:
                raise EncodeError(f"M-Bus unit {m.unit!r} is not l or Wh")
            lines.append(f"0-{n}:24.2.1({format_timestamp(m.captured_at)})({_wh(m.value, wire_unit, 5)})")
    lines += [f"{code}{values}" for code, values in t.other]
    body = "\r\n".join(lines) + "\r\n!"
    try:
        raw = body.encode("ascii")
    except UnicodeEncodeError:
        raise EncodeError("telegram lines must be ASCII") from None
    return raw + f"{crc16_arc(raw):04X}\r\n".encode()


# --------------------------------------------------------------------------------------------- parser

_LINE: Final = re.compile(r"(\d{1,3})-(\d{1,3}):(\d{1,3})\.(\d{1,3})\.(\d{1,3})((?:\([^()\r\n]*\))+)")
_VALUES: Final = re.compile(r"\(([^()]*)\)")
_PHASE_INDEX: Final = {"32": 0, "52": 1, "72": 2, "31": 0, "51": 1, "71": 2, "21": 0, "41": 1, "61": 2}
_PHASE_EXPORT_INDEX: Final = {"22": 0, "42": 1, "62": 2}


def _set_phase(values: Phases[T], index: int, value: T) -> Phases[T]:
    out = list(values)
    out[index] = value
    return (out[0], out[1], out[2])


def _one(values: list[str], code: str) -> str:
    if len(values) != 1:
        raise TelegramError(f"{code}: expected one value, got {len(values)}")
    return values[0]


def _power_failure_log(values: list[str]) -> tuple[PowerFailure, ...]:
    if len(values) < 2:
        raise TelegramError("1-0:99.97.0: expected a count and the buffer OBIS code")
    n = _count(values[0])
    if len(values) != 2 + 2 * n:
        raise TelegramError(f"1-0:99.97.0 announces {n} entries but carries {(len(values) - 2) / 2}")
    return tuple(
        PowerFailure(parse_timestamp(values[i]), _int_in(values[i + 1], "s")) for i in range(2, len(values), 2)
    )


def _mbus_value(values: list[str], code: str) -> tuple[dt.datetime, int, str]:
    if len(values) != 2:
        raise TelegramError(f"{code}: expected a capture time and a value")
    amount, unit = _quantity(values[1], ("m3", "kWh", "GJ"))
    return parse_timestamp(values[0]), _to_int(amount), unit


def _apply(t: Telegram, mbus: dict[int, MBusReading], code: str, values: list[str]) -> Telegram:
    """The telegram with one line's value set (pure; unknown lines go to ``other``)."""
    a, b, c, d, e = code.replace("-", " ").replace(":", " ").replace(".", " ").split()
    if a == "0" and b != "0" and c in ("24", "96") and b.isdigit() and 1 <= int(b) <= 4:
        n = int(b)
        m = mbus.get(n, MBusReading(n))
        if (c, d, e) == ("24", "1", "0"):
            mbus[n] = replace(m, device_type=_count(_one(values, code)))
            return t
        if (c, d, e) == ("96", "1", "0"):
            mbus[n] = replace(m, equipment_id=_hex_text(_one(values, code)))
            return t
        if (c, d, e) == ("24", "2", "1"):
            at, value, unit = _mbus_value(values, code)
            mbus[n] = replace(m, captured_at=at, value=value, unit=unit)
            return t
    key = f"{a}-{b}:{c}.{d}.{e}"
    if key == "1-3:0.2.8":
        return replace(t, version=_one(values, key))
    if key == "0-0:1.0.0":
        return replace(t, timestamp=parse_timestamp(_one(values, key)))
    if key in ("0-0:42.0.0", "0-0:96.1.1"):
        if key == "0-0:96.1.1" and t.equipment_id is not None:
            return replace(t, other=(*t.other, (key, "".join(f"({v})" for v in values))))
        return replace(t, equipment_id=_hex_text(_one(values, key)))
    registers = {
        "1-0:1.8.0": ("energy_import_wh", ("kWh",)),
        "1-0:2.8.0": ("energy_export_wh", ("kWh",)),
        "1-0:3.8.0": ("reactive_import_varh", ("kvarh", "kVArh")),
        "1-0:4.8.0": ("reactive_export_varh", ("kvarh", "kVArh")),
        "1-0:1.7.0": ("power_import_w", ("kW",)),
        "1-0:2.7.0": ("power_export_w", ("kW",)),
    }
    if key in registers:
        name, units = registers[key]
        changes: dict[str, Any] = {name: _int_in(_one(values, key), *units)}
        return replace(t, **changes)
    if key == "0-0:96.14.0":
        return replace(t, tariff=_count(_one(values, key)))
    if key == "0-0:96.7.21":
        return replace(t, power_failures=_count(_one(values, key)))
    if key == "0-0:96.7.9":
        return replace(t, long_power_failures=_count(_one(values, key)))
    if key == "1-0:99.97.0":
        return replace(t, power_failure_log=_power_failure_log(values))
    if key == "0-0:96.13.0":
        return replace(t, text_message=_hex_text(_one(values, key)))
    if key == "0-0:96.3.10":
        return replace(t, breaker_state=_count(_one(values, key)))
    if a == "1" and b == "0" and e == "0":
        if d == "32" and c in ("32", "52", "72"):
            return replace(t, voltage_sags=_set_phase(t.voltage_sags, _PHASE_INDEX[c], _count(_one(values, key))))
        if d == "36" and c in ("32", "52", "72"):
            return replace(t, voltage_swells=_set_phase(t.voltage_swells, _PHASE_INDEX[c], _count(_one(values, key))))
        if d == "7" and c in ("32", "52", "72"):
            v = _float_in(_one(values, key), "V")
            return replace(t, voltage_v=_set_phase(t.voltage_v, _PHASE_INDEX[c], v))
        if d == "7" and c in ("31", "51", "71"):
            i = _float_in(_one(values, key), "A")
            return replace(t, current_a=_set_phase(t.current_a, _PHASE_INDEX[c], i))
        if d == "7" and c in ("21", "41", "61"):
            p = _int_in(_one(values, key), "kW")
            return replace(t, power_import_phase_w=_set_phase(t.power_import_phase_w, _PHASE_INDEX[c], p))
        if d == "7" and c in _PHASE_EXPORT_INDEX:
            p = _int_in(_one(values, key), "kW")
            return replace(t, power_export_phase_w=_set_phase(t.power_export_phase_w, _PHASE_EXPORT_INDEX[c], p))
    return replace(t, other=(*t.other, (key, "".join(f"({v})" for v in values))))


def check_crc(data: bytes) -> bytes:
    """The telegram's bytes from ``/`` to ``!`` inclusive, once its CRC-16/ARC verified.

    :class:`TelegramError` if there is no ``/`` … ``!XXXX`` frame, :class:`ChecksumError` if the CRC differs.
    """
    if not data.startswith(b"/"):
        raise TelegramError("a telegram starts with '/'")
    end = data.rfind(b"!")
    if end < 0:
        raise TelegramError("no '!' closing the telegram")
    crc_text = data[end + 1 : end + 5]
    if len(crc_text) != 4 or any(c not in b"0123456789ABCDEFabcdef" for c in crc_text):
        raise TelegramError("the closing '!' is not followed by four hex digits")
    if data[end + 5 :] not in (b"\r\n", b"\n", b""):
        raise TelegramError("bytes after the CRC line")
    body = data[: end + 1]
    computed = crc16_arc(body)
    if computed != int(crc_text, 16):
        raise ChecksumError(f"CRC {crc_text.decode()} announced, {computed:04X} computed")
    return body


def parse_telegram(data: bytes) -> Telegram:
    """Verify the CRC of a telegram and parse its lines into a :class:`Telegram` (only :class:`P1Error` escapes)."""
    body = check_crc(data)
    try:
        text = body[:-1].decode("ascii")
    except UnicodeDecodeError:
        raise TelegramError("a telegram is ASCII") from None
    lines = text.replace("\r\n", "\n").split("\n")
    header = lines[0][1:]
    if not header:
        raise TelegramError("empty identification line")
    t = Telegram(header=header)
    mbus: dict[int, MBusReading] = {}
    for number, line in enumerate(lines[1:], start=2):
        if not line:
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            raise TelegramError(f"line {number}: {line[:60]!r} is not an OBIS line")
        code = f"{match[1]}-{match[2]}:{match[3]}.{match[4]}.{match[5]}"
        try:
            t = _apply(t, mbus, code, _VALUES.findall(match[6]))
        except TelegramError as exc:
            raise TelegramError(f"line {number}: {exc}") from None
    return replace(t, mbus=tuple(mbus[n] for n in sorted(mbus))) if mbus else t
