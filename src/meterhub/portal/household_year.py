"""The last 12 months of a household's electricity as the network-tariff and advice pages read them, and the
numbers those pages print.

:func:`period` is the 12 local months ending today: from the first day of the month eleven months back to
yesterday (whole local days; the current month so far). :func:`choose_point` answers the ``?point=`` a page was
given (a visible point of the person, else :class:`~meterhub.api.service.NotVisible` — a 404) or the person's
first point with an import channel. :func:`load` reads the quarter-hours ONLY through
:meth:`meterhub.portal.household.Household.slots` (import A+ 1.0.1.8.0.255; export A− when asked, for the PV
advice: it never counts towards overruns) and lays them on the full slot grid of the period (kWh, NaN where
nothing was read or the person's windows do not reach). :class:`Numbers` formats figures in the request's
language (Babel).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import numpy.typing as npt
from babel.dates import format_date, get_day_names
from babel.numbers import format_decimal, format_percent

from meterhub.api.service import VisiblePoint
from meterhub.country import LOCAL_TZ
from meterhub.mdm.advice import slot_grid
from meterhub.mdm.network_tariff import LEVELS_KW
from meterhub.mdm.quality import Quality
from meterhub.mdm.series import local_seconds
from meterhub.portal.household import A_MINUS, A_PLUS, Household, Slots
from meterhub.portal.i18n import Gettext
from meterhub.store.intervals import day_bounds_epoch, day_start_epoch


class NoImport(LookupError):
    """The point is the person's but measures no electricity import (the page says so)."""


class BadInput(ValueError):
    """A query parameter the page cannot use (the message says which; the page answers 422)."""


def period(today: date) -> tuple[date, date]:
    """The first and last local day of the 12 months ending with ``today``'s month (today itself excluded)."""
    month = today.month - 11
    year = today.year + (month - 1) // 12
    first = date(year, (month - 1) % 12 + 1, 1)
    return first, max(first, today - timedelta(days=1))


def parse_int(raw: str, name: str, allowed: tuple[int, ...] | None = None) -> int | None:
    """``raw`` as an int (None when empty); :class:`BadInput` otherwise or outside ``allowed``."""
    text = raw.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 12:
        raise BadInput(name)
    value = int(text)
    if allowed is not None and value not in allowed:
        raise BadInput(name)
    return value


@dataclass(frozen=True, slots=True)
class ElectricPoint:
    """One of the person's points that measures electricity import, and whether it measures export too."""

    vp: VisiblePoint
    export: bool

    @property
    def id(self) -> int:
        return self.vp.point.id


def electric_points(hh: Household) -> list[ElectricPoint]:
    """The person's points with an import channel (the pages' point chooser), each point's media read once."""
    out = []
    for vp in hh.points:
        obis = {m.obis for m in hh.media(vp.point.id)}
        if A_PLUS in obis:
            out.append(ElectricPoint(vp, A_MINUS in obis))
    return out


def choose_point(hh: Household, point_id: int | None, points: list[ElectricPoint]) -> ElectricPoint | None:
    """The asked point (:class:`NotVisible` if not the person's, :class:`NoImport` without an import channel),
    else the first of ``points``."""
    if point_id is None:
        return points[0] if points else None
    hh.point(point_id)
    found = next((p for p in points if p.id == point_id), None)
    if found is None:
        raise NoImport(point_id)
    return found


@dataclass(frozen=True, slots=True)
class YearData:
    """A point's import (and export) over :func:`period`, on the full slot grid."""

    point: VisiblePoint
    first_day: date
    last_day: date
    start: int  # UTC epoch of the first slot
    interval_s: int
    kwh: npt.NDArray[np.float64]  # import per slot, NaN = nothing read
    export_kwh: npt.NDArray[np.float64] | None  # A− per slot, None without an export channel
    starts: npt.NDArray[np.int64]  # every slot's UTC start
    present: npt.NDArray[np.bool_]  # the import slots read
    days: int  # local days with at least one import quarter-hour read (what yearly figures are scaled by)


def _kwh(s: Slots, start: int, end: int) -> npt.NDArray[np.float64]:
    per_kwh = {"Wh": 1e-3, "kWh": 1.0}.get(s.unit)
    if per_kwh is None:
        raise LookupError(f"an electricity channel in {s.unit}")
    return slot_grid(s.epochs, s.values * per_kwh, s.quality != Quality.MISSING, start, end, s.interval_s)


def load(hh: Household, ep: ElectricPoint, *, export: bool = False) -> YearData:
    """The point's last 12 months (see the module docstring); NotVisible when none of it is the person's,
    :class:`NoImport` when it has no import channel."""
    today = hh.now.astimezone(LOCAL_TZ).date()
    first, last = period(today)
    start, end = day_start_epoch(first), day_bounds_epoch(last)[1]
    t0, t1 = datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)
    imp = hh.slots(ep.id, A_PLUS, t0, t1)
    exp_kwh = _kwh(hh.slots(ep.id, A_MINUS, t0, t1), start, end) if export and ep.export else None
    kwh = _kwh(imp, start, end)
    starts = start + imp.interval_s * np.arange(kwh.size, dtype=np.int64)
    present = ~np.isnan(kwh)
    days = int(np.unique(local_seconds(starts[present]) // 86_400).size) if present.any() else 0
    return YearData(ep.vp, first, last, start, imp.interval_s, kwh, exp_kwh, starts, present, days)


class Numbers:
    """Figures in one language: kWh, €, kW and dates as a Luxembourg household reads them."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def num(self, x: float, digits: int = 0) -> str:
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return str(format_decimal(x, format=pattern, locale=self.lang))

    def eur(self, x: float, digits: int = 2) -> str:
        return f"{self.num(x, digits)} €"

    def pct(self, x: float) -> str:
        return str(format_percent(x, locale=self.lang))

    def price(self, x: float) -> str:
        return f"{self.num(x, 4)} €/kWh"

    def day(self, d: date) -> str:
        return str(format_date(d, "long", locale=self.lang))

    def month(self, d: date) -> str:
        return str(format_date(d, "LLL yyyy", locale=self.lang))

    def weekdays(self) -> list[str]:
        """Monday … Sunday, abbreviated."""
        names = get_day_names("abbreviated", locale=self.lang)
        return [str(names[i]) for i in range(7)]


def parse_point_and_level(point: str, level: str) -> tuple[int | None, int | None]:
    """The pages' ``?point=`` and ``?level=`` (one of :data:`LEVELS_KW`); :class:`BadInput` naming the field."""
    return parse_int(point, "point"), parse_int(level, "level", LEVELS_KW)


def bad_input_message(_: Gettext, e: BadInput) -> str:
    """What the 422 page says of a bad ``point`` or ``level``."""
    if str(e) == "point":
        return _("The metering point must be one of yours, given by its number.")
    return _(
        "The level must be one of the reference power levels: %(levels)s kW.", levels=", ".join(map(str, LEVELS_KW))
    )


__all__ = [
    "BadInput",
    "ElectricPoint",
    "NoImport",
    "Numbers",
    "YearData",
    "choose_point",
    "electric_points",
    "load",
    "parse_int",
    "period",
]
