"""The weather the platform holds, from a CSV file: ``meterhub import weather FILE.csv`` (the simulator's own
weather is written by the demo; an operator imports a station's daily means otherwise).

The file is UTF-8 text, comma-separated, one local day (Europe/Luxembourg calendar) per line::

    date,temperature_c,irradiance_wm2
    2025-01-01,3.4,21
    2025-01-02,-1.25,

``date`` is ``YYYY-MM-DD``, ``temperature_c`` the day's mean air temperature in °C (−60 … 60, a decimal point),
``irradiance_wm2`` (optional column, and optional per line: empty) the day's mean global irradiance in W/m²
(0 … 1400). The header line is optional; blank lines and lines starting with ``#`` are skipped. A day given twice,
a value out of range or not a number, a missing or an extra column refuses the whole file: :class:`WeatherCsvError`
lists the problems with their line numbers and nothing is stored. A day already stored is replaced.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Final

from meterhub.store import Store
from meterhub.store.weather import DEFAULT_AREA, WeatherDay, put_weather_days, weather_days

HEADER: Final = ("date", "temperature_c", "irradiance_wm2")
TEMPERATURE_RANGE: Final = (-60.0, 60.0)
IRRADIANCE_RANGE: Final = (0.0, 1400.0)
MAX_PROBLEMS: Final = 20
"""Problems listed in full (the count says how many more there are)."""


@dataclass(frozen=True, slots=True)
class WeatherProblem:
    """One problem of a weather file: its line (1 = the first line) and what is wrong."""

    line: int
    message: str

    def at(self, file: str) -> str:
        return f"{file}:{self.line}: {self.message}"


class WeatherCsvError(ValueError):
    """A weather file refused: :attr:`problems` (the first :data:`MAX_PROBLEMS`), :attr:`total` of them."""

    def __init__(self, problems: Sequence[WeatherProblem], total: int) -> None:
        self.problems = list(problems)
        self.total = total
        first = self.problems[0] if self.problems else WeatherProblem(0, "no problem")
        super().__init__(f"{total} problem(s), first at line {first.line}: {first.message}")


@dataclass
class _Problems:
    listed: list[WeatherProblem] = field(default_factory=list)
    total: int = 0

    def add(self, line: int, message: str) -> None:
        self.total += 1
        if len(self.listed) < MAX_PROBLEMS:
            self.listed.append(WeatherProblem(line, message))


def _number(text: str, what: str, bounds: tuple[float, float]) -> float | str:
    """The number, or the problem's text."""
    try:
        value = float(text)
    except ValueError:
        return f"{what} {text!r} is not a number (use a decimal point: 3.5)"
    if not math.isfinite(value):
        return f"{what} {text!r} is not a finite number"
    lo, hi = bounds
    if not lo <= value <= hi:
        return f"{what} {value:g} is outside {lo:g} … {hi:g}"
    return value


def _row(fields: list[str], line: int, seen: dict[date, int], problems: _Problems) -> tuple[date, float, float | None]:
    """One data line's day, temperature and irradiance (problems added, placeholders returned)."""
    cells = [f.strip() for f in fields]
    if len(cells) < 2:
        problems.add(line, "expected date,temperature_c[,irradiance_wm2]: a column is missing")
        return date.min, 0.0, None
    if len(cells) > 3:
        problems.add(line, f"expected at most 3 columns (date,temperature_c,irradiance_wm2), got {len(cells)}")
        return date.min, 0.0, None
    day = date.min
    try:
        if len(cells[0]) != 10:
            raise ValueError
        day = date.fromisoformat(cells[0])
    except ValueError:
        problems.add(line, f"date {cells[0]!r} is not a day YYYY-MM-DD")
    else:
        if day in seen:
            problems.add(line, f"{day.isoformat()} is given twice (first at line {seen[day]})")
        else:
            seen[day] = line
    temperature = _number(cells[1], "temperature_c", TEMPERATURE_RANGE)
    if isinstance(temperature, str):
        problems.add(line, temperature)
        temperature = 0.0
    irradiance: float | None = None
    if len(cells) == 3 and cells[2]:
        read = _number(cells[2], "irradiance_wm2", IRRADIANCE_RANGE)
        if isinstance(read, str):
            problems.add(line, read)
        else:
            irradiance = read
    return day, temperature, irradiance


def parse_weather_csv(text: str, *, source: str = "csv", area: str = DEFAULT_AREA) -> list[WeatherDay]:
    """The days of a weather file's text, in day order; :class:`WeatherCsvError` for any problem (see the module
    docstring)."""
    problems = _Problems()
    seen: dict[date, int] = {}
    out: list[WeatherDay] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    first = True
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.add(reader.line_num, f"not readable as CSV: {exc}")
            break
        line = reader.line_num
        if not fields or all(not f.strip() for f in fields) or fields[0].lstrip().startswith("#"):
            continue
        if first:
            first = False
            names = tuple(f.strip().lower() for f in fields)
            if names and names[0] == "date":
                if names not in (HEADER[:2], HEADER):
                    expected = f"{','.join(HEADER[:2])}[,{HEADER[2]}]"
                    problems.add(line, f"the header must be {expected}, got {','.join(names)}")
                continue
        day, temperature, irradiance = _row(fields, line, seen, problems)
        out.append(WeatherDay(day, temperature, irradiance, source, area))
    if problems.total:
        raise WeatherCsvError(problems.listed, problems.total)
    if not out:
        raise WeatherCsvError([WeatherProblem(1, "the file holds no day")], 1)
    return sorted(out, key=lambda d: d.day)


@dataclass(frozen=True, slots=True)
class WeatherImport:
    """What an import stored: the days, the first and last of them, how many replaced a stored day."""

    days: int
    first: date
    last: date
    replaced: int
    area: str

    def as_dict(self) -> dict[str, object]:
        return {"ok": True, "days": self.days, "first": self.first.isoformat(), "last": self.last.isoformat(),
                "replaced": self.replaced, "area": self.area}  # fmt: skip


def read_text(path: Path) -> str:
    """A weather file's text (:class:`WeatherCsvError` if it is not UTF-8)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise WeatherCsvError([WeatherProblem(line, "not UTF-8 text")], 1) from None


def import_weather(store: Store, path: Path, *, area: str = DEFAULT_AREA) -> WeatherImport:
    """Parse ``path`` and store its days in one transaction (all or nothing); source ``csv:<file name>``."""
    days = parse_weather_csv(read_text(path), source=f"csv:{path.name}"[:64], area=area)
    first, last = days[0].day, days[-1].day
    with store.write() as conn:
        before = {d.day for d in weather_days(conn, first, last, area)}
        put_weather_days(conn, days)
    return WeatherImport(len(days), first, last, sum(1 for d in days if d.day in before), area)


__all__ = [
    "HEADER",
    "WeatherCsvError",
    "WeatherImport",
    "WeatherProblem",
    "import_weather",
    "parse_weather_csv",
    "read_text",
]
