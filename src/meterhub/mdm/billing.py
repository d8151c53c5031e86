"""Billing reads, TOU billing determinants and gas volume → energy conversion (issue 5, §6).

**Billing reads** (:func:`billing_read`, :func:`monthly_billing_read`): the register value at the start and
at the end of a period, and the consumption = end − start — the register delta *exactly*, whatever the
interval data say. A register value at an instant comes from a stored register read at that instant (billing,
daily or interval read), else from the nearest stored read before it plus the interval values in between (or
the nearest read after it minus them) when every slot in between is present; otherwise the read is not
possible (:class:`BillingError`). Monthly periods run from local (Europe/Luxembourg) midnight of the 1st to
local midnight of the next 1st; on-demand periods are any two slot boundaries.

**TOU determinants** (:func:`tou_determinants`): interval values summed per tariff rate of a
:class:`TariffCalendar` — by default the simulator's and the meters' activity calendar: T2 (day) on working
days 06:00–22:00 local time, T1 (night) otherwise and all day on weekends and Luxembourg public holidays
(``holidays`` package, LU). ``billed`` reconciles the split with the register delta so that the rates sum to
the period's consumption exactly: the difference (missing slots, unbalanced corrections) is apportioned by
largest remainder — over the rates of the missing slots when slots are missing, else in proportion to the
interval sums.

**Gas** (:class:`GasConversion`): energy [kWh] = volume [m³] × volume-correction factor (Zustandszahl) ×
calorific value [kWh/m³], with factors per grid area and month (a default for what the table lacks). In base
units: Wh = litres × factor × calorific value, rounded half-even to whole Wh per month.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

import holidays
import numpy as np
import numpy.typing as npt

from meterhub.mdm.edits import blocks_as_of
from meterhub.mdm.quality import Quality, codes
from meterhub.store import Connection, Store
from meterhub.store.channels import channel_intervals, installed_grid_area
from meterhub.store.intervals import (
    LOCAL_TZ,
    Int64Array,
    day_bounds_epoch,
    day_range,
    local_day_of_epoch,
    to_epoch,
)
from meterhub.store.reads import register_reads_near

_KIND_PRIORITY = {"billing": 0, "daily": 1, "interval": 2}
LOOKAROUND = timedelta(days=62)
"""How far from an instant a stored register read is looked for when deriving a value from intervals."""


class BillingError(ValueError):
    """A billing read that cannot be established exactly (no register read and incomplete intervals)."""


@dataclass(frozen=True, slots=True)
class RegisterValue:
    at: datetime
    value: int
    source: str  # "register:<kind>" or "intervals:<kind of the read it was derived from>"


@dataclass(frozen=True, slots=True)
class BillingRead:
    channel_id: int
    start: datetime
    end: datetime
    start_value: int
    end_value: int
    start_source: str
    end_source: str

    @property
    def consumption(self) -> int:
        """The register delta over the period (exact, base units)."""
        return self.end_value - self.start_value


# --------------------------------------------------------------------------------------------- slot series


def _interval_of(conn: Connection, channel_id: int) -> int:
    intervals = channel_intervals(conn, [channel_id])
    if channel_id not in intervals:
        raise BillingError(f"unknown channel {channel_id}")
    return intervals[channel_id]


def slot_series(
    store: Store, channel_id: int, start: datetime, end: datetime, *, as_of: datetime | None = None
) -> tuple[Int64Array, Int64Array, npt.NDArray[np.uint8]]:
    """``(slot start epochs, values, quality codes)`` of every slot of ``[start, end)`` from the current
    block versions (or those current ``as_of``); slots of days without a block are missing (code 0, value 0)."""
    with store.read() as conn:
        interval_s = _interval_of(conn, channel_id)
    a, b = to_epoch(start), to_epoch(end)
    if a % interval_s or b % interval_s:
        raise BillingError(f"period bounds must be on the {interval_s} s slot grid of channel {channel_id}")
    if b <= a:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(0, np.uint8)
    days = day_range(local_day_of_epoch(a), local_day_of_epoch(b - 1))
    if as_of is None:
        blocks = store.current_blocks([channel_id], days[0], days[-1])
    else:
        blocks = blocks_as_of(store, [channel_id], days[0], days[-1], as_of)
    by_day = {blk.local_day: blk for blk in blocks}
    es, vs, qs = [], [], []
    for day in days:
        lo, hi = day_bounds_epoch(day)
        n = (hi - lo) // interval_s
        e = lo + interval_s * np.arange(n, dtype=np.int64)
        blk = by_day.get(day)
        v = blk.values if blk is not None else np.zeros(n, np.int64)
        q = codes(blk.quality) if blk is not None else np.zeros(n, np.uint8)
        keep = (e >= a) & (e < b)
        es.append(e[keep])
        vs.append(v[keep])
        qs.append(q[keep])
    return np.concatenate(es), np.concatenate(vs), np.concatenate(qs)


# --------------------------------------------------------------------------------------------- register values


def register_at(store: Store, channel_id: int, at: datetime, *, as_of: datetime | None = None) -> RegisterValue | None:
    """The register value of ``channel_id`` at the slot boundary ``at`` (see the module docstring), or None."""
    with store.read() as conn:
        interval_s = _interval_of(conn, channel_id)
        exact, before, after = register_reads_near(conn, channel_id, at, LOOKAROUND)
    if to_epoch(at) % interval_s:
        raise BillingError(f"{at.isoformat()} is not on the {interval_s} s slot grid of channel {channel_id}")
    if exact:
        best = min(exact, key=lambda r: _KIND_PRIORITY.get(r.kind, 9))
        return RegisterValue(at, best.value, f"register:{best.kind}")
    for read in before[:1]:
        if to_epoch(read.read_at) % interval_s == 0:
            _, v, q = slot_series(store, channel_id, read.read_at, at, as_of=as_of)
            if not (q == Quality.MISSING).any():
                return RegisterValue(at, read.value + int(v.sum()), f"intervals:{read.kind}")
    for read in after[:1]:
        if to_epoch(read.read_at) % interval_s == 0:
            _, v, q = slot_series(store, channel_id, at, read.read_at, as_of=as_of)
            if not (q == Quality.MISSING).any():
                return RegisterValue(at, read.value - int(v.sum()), f"intervals:{read.kind}")
    return None


def billing_read(
    store: Store, channel_id: int, start: datetime, end: datetime, *, as_of: datetime | None = None
) -> BillingRead:
    """The on-demand billing read of ``[start, end)``: register values at both ends and their exact delta."""
    if end <= start:
        raise BillingError("a billing period must end after it starts")
    a = register_at(store, channel_id, start, as_of=as_of)
    b = register_at(store, channel_id, end, as_of=as_of)
    if a is None or b is None:
        which = "start" if a is None else "end"
        at = start if a is None else end
        raise BillingError(
            f"no register value at the period {which} {at.isoformat()} for channel {channel_id} "
            "(no register read there and the intervals to the nearest read are incomplete)"
        )
    return BillingRead(channel_id, start, end, a.value, b.value, a.source, b.source)


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """UTC instants of local midnight of the 1st of the month and of the next month."""
    nxt = (year + month // 12, month % 12 + 1)
    return (
        datetime(year, month, 1, tzinfo=LOCAL_TZ).astimezone(UTC),
        datetime(nxt[0], nxt[1], 1, tzinfo=LOCAL_TZ).astimezone(UTC),
    )


def monthly_billing_read(
    store: Store, channel_id: int, year: int, month: int, *, as_of: datetime | None = None
) -> BillingRead:
    """The billing read of one local calendar month."""
    start, end = month_bounds(year, month)
    return billing_read(store, channel_id, start, end, as_of=as_of)


# --------------------------------------------------------------------------------------------- TOU


@lru_cache(maxsize=64)
def _holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year).keys())


@dataclass(frozen=True, slots=True)
class TariffCalendar:
    """A two-rate tariff calendar by local wall-clock time (defaults: the national meters' calendar)."""

    peak_from: time = time(6, 0)
    peak_to: time = time(22, 0)
    weekends_off_peak: bool = True
    holidays_off_peak: bool = True
    peak: str = "T2"
    off_peak: str = "T1"
    country: str = "LU"
    extra_off_peak_days: tuple[tuple[int, int], ...] = ()  # (month, day) pairs off-peak all day every year

    def is_peak_day(self, day: date) -> bool:
        if self.weekends_off_peak and day.weekday() >= 5:
            return False
        if (day.month, day.day) in self.extra_off_peak_days:
            return False
        return not (self.holidays_off_peak and day in _holidays(self.country, day.year))

    def peak_mask(self, starts: Int64Array) -> npt.NDArray[np.bool_]:
        """True for the slots (by UTC start epoch) in the peak rate."""
        if starts.size == 0:
            return np.zeros(0, np.bool_)
        days = day_range(local_day_of_epoch(int(starts.min())), local_day_of_epoch(int(starts.max())))
        day_lo = np.array([day_bounds_epoch(d)[0] for d in days], dtype=np.int64)
        lo = np.array([_local_epoch(d, self.peak_from) for d in days], dtype=np.int64)
        hi = np.array([_local_epoch(d, self.peak_to) for d in days], dtype=np.int64)
        on = np.array([self.is_peak_day(d) for d in days], dtype=np.bool_)
        idx = np.searchsorted(day_lo, starts, side="right") - 1
        mask: npt.NDArray[np.bool_] = on[idx] & (starts >= lo[idx]) & (starts < hi[idx])
        return mask

    def rate_of(self, slot_start: datetime) -> str:
        return self.peak if bool(self.peak_mask(np.array([to_epoch(slot_start)]))[0]) else self.off_peak


SIMULATOR_CALENDAR = TariffCalendar(extra_off_peak_days=((12, 24), (12, 31)))
"""The simulator's TOU registers: also 24 and 31 December off-peak (its load-profile day type "Saturday";
bank closing days, not public holidays — :class:`TariffCalendar`'s default keeps them ordinary days)."""


def _local_epoch(day: date, at: time) -> int:
    return int(datetime.combine(day, at, LOCAL_TZ).timestamp())


@dataclass(frozen=True, slots=True)
class TouDeterminants:
    channel_id: int
    start: datetime
    end: datetime
    intervals: dict[str, int]  # interval sums per rate (present slots only)
    missing_slots: dict[str, int]  # missing slots per rate
    register_delta: int | None  # the billing read's consumption, when the period's register values are known
    billed: dict[str, int]  # per rate, summing to register_delta exactly when it is known

    @property
    def total(self) -> int:
        return sum(self.billed.values())


def apportion(amount: int, weights: Mapping[str, int]) -> dict[str, int]:
    """Split the integer ``amount`` over ``weights`` (≥ 0) by largest remainder: the parts sum to ``amount``
    exactly. Equal weights when all are zero."""
    keys = list(weights)
    if not keys:
        raise ValueError("nothing to apportion over")
    w = [max(0, int(weights[k])) for k in keys]
    if sum(w) == 0:
        w = [1] * len(keys)
    total = sum(w)
    sign, n = (1, amount) if amount >= 0 else (-1, -amount)
    parts = [n * x // total for x in w]
    rest = n - sum(parts)
    order = sorted(range(len(keys)), key=lambda i: (-(n * w[i] % total), i))
    for i in order[:rest]:
        parts[i] += 1
    return {k: sign * p for k, p in zip(keys, parts, strict=True)}


def tou_determinants(
    store: Store,
    channel_id: int,
    start: datetime,
    end: datetime,
    calendar: TariffCalendar | None = None,
    *,
    as_of: datetime | None = None,
    register_delta: int | None = None,
) -> TouDeterminants:
    """Energy per tariff rate over ``[start, end)`` from the intervals, reconciled with the register delta
    (``register_delta`` when the caller already holds the period's billing read, else established here)."""
    cal = calendar or TariffCalendar()
    starts, values, q = slot_series(store, channel_id, start, end, as_of=as_of)
    present = q != Quality.MISSING
    peak = cal.peak_mask(starts)
    rates = {cal.off_peak: ~peak, cal.peak: peak}
    sums = {name: int(values[m & present].sum()) for name, m in rates.items()}
    missing = {name: int((m & ~present).sum()) for name, m in rates.items()}
    delta = register_delta
    if delta is None:
        try:
            delta = billing_read(store, channel_id, start, end, as_of=as_of).consumption
        except BillingError:
            delta = None
    if delta is None:
        billed = dict(sums)
    else:
        diff = delta - sum(sums.values())
        weights = missing if sum(missing.values()) else sums
        extra = apportion(diff, weights)
        billed = {name: sums[name] + extra[name] for name in sums}
    return TouDeterminants(channel_id, start, end, sums, missing, delta, billed)


# --------------------------------------------------------------------------------------------- network tariff


def overrun_split(values_wh: npt.ArrayLike, interval_s: int, reference_kw: float) -> tuple[int, int]:
    """``(normal, overrun)`` Wh of interval energies under the LV network-use tariff (ILR E23/49, from 2025).

    Our reading of the rule (the sources state the principle, not the formula — see
    ``ref/luxembourg-network-tariff.md``): in each interval, energy up to ``reference power × interval`` is
    billed at the normal rate and the rest at the overrun rate (a 3 kW level allows 750 Wh per quarter hour).
    This is the one place to correct if the regulator's formula differs.
    """
    v = np.asarray(values_wh, dtype=np.int64)
    allowance = round(reference_kw * 1000 * interval_s / 3600)
    normal = np.minimum(np.maximum(v, 0), allowance)
    return int(normal.sum()), int((np.maximum(v, 0) - normal).sum())


@dataclass(frozen=True, slots=True)
class NetworkDeterminants:
    channel_id: int
    start: datetime
    end: datetime
    reference_kw: float
    normal_wh: int
    overrun_wh: int
    peak_wh: int  # the highest interval energy of the period
    overrun_intervals: int
    missing_slots: int


def network_determinants(
    store: Store,
    channel_id: int,
    start: datetime,
    end: datetime,
    reference_kw: float,
    *,
    as_of: datetime | None = None,
) -> NetworkDeterminants:
    """Normal and overrun energy of ``[start, end)`` against the reference power (present intervals only)."""
    with store.read() as conn:
        interval_s = _interval_of(conn, channel_id)
    _, values, q = slot_series(store, channel_id, start, end, as_of=as_of)
    present = values[q != Quality.MISSING]
    normal, overrun = overrun_split(present, interval_s, reference_kw)
    allowance = round(reference_kw * 1000 * interval_s / 3600)
    return NetworkDeterminants(
        channel_id,
        start,
        end,
        reference_kw,
        normal,
        overrun,
        int(present.max()) if present.size else 0,
        int((present > allowance).sum()),
        int((q == Quality.MISSING).sum()),
    )


# --------------------------------------------------------------------------------------------- gas


@dataclass(frozen=True, slots=True)
class GasFactors:
    """Calorific value (kWh/m³, gross) and volume-correction factor (dimensionless) of one area and month."""

    calorific_kwh_per_m3: Decimal
    correction: Decimal

    @classmethod
    def of(cls, calorific: str | float | Decimal, correction: str | float | Decimal) -> GasFactors:
        return cls(Decimal(str(calorific)), Decimal(str(correction)))


DEFAULT_GAS_FACTORS = GasFactors.of("11.2", "0.97")
"""Typical H-gas figures for the Luxembourg network; real values come per grid area and month."""


@dataclass(slots=True)
class GasConversion:
    """Conversion factors by (grid area, year, month); a missing month falls back to the area's default,
    then the month's national entry (area ``None``), then ``default``."""

    default: GasFactors = DEFAULT_GAS_FACTORS
    monthly: dict[tuple[str | None, int, int], GasFactors] = field(default_factory=dict)
    areas: dict[str, GasFactors] = field(default_factory=dict)

    def set_month(self, grid_area: str | None, year: int, month: int, factors: GasFactors) -> None:
        self.monthly[(grid_area, year, month)] = factors

    def factors(self, grid_area: str | None, year: int, month: int) -> GasFactors:
        if (grid_area, year, month) in self.monthly:
            return self.monthly[(grid_area, year, month)]
        if grid_area is not None and grid_area in self.areas:
            return self.areas[grid_area]
        return self.monthly.get((None, year, month), self.default)

    def to_wh(self, litres: int, grid_area: str | None, year: int, month: int) -> int:
        f = self.factors(grid_area, year, month)
        wh = Decimal(litres) * f.correction * f.calorific_kwh_per_m3
        return int(wh.to_integral_value(rounding=ROUND_HALF_EVEN))


@dataclass(frozen=True, slots=True)
class GasMonth:
    year: int
    month: int
    volume_l: int
    factors: GasFactors
    energy_wh: int


@dataclass(frozen=True, slots=True)
class GasEnergy:
    channel_id: int
    grid_area: str | None
    volume_l: int  # the register delta over the whole period, exactly
    energy_wh: int  # the sum of the months' energies
    months: tuple[GasMonth, ...]


def grid_area_of_channel(store: Store, channel_id: int) -> str | None:
    """The grid area of the metering point the channel's meter (or, for an M-Bus sub-meter without its own
    installation, its parent meter) is installed at — the latest installation."""
    with store.read() as conn:
        try:
            return installed_grid_area(conn, channel_id)
        except LookupError as exc:
            raise BillingError(str(exc)) from None


def gas_energy(
    store: Store,
    channel_id: int,
    start: datetime,
    end: datetime,
    conversion: GasConversion | None = None,
    *,
    grid_area: str | None = None,
    as_of: datetime | None = None,
) -> GasEnergy:
    """Volume (register delta) and energy of a gas channel over ``[start, end)``, converted month by local
    month with that month's factors of the grid area (looked up from the installation if not given)."""
    conv = conversion or GasConversion()
    area = grid_area if grid_area is not None else grid_area_of_channel(store, channel_id)
    cuts = [start]
    local = start.astimezone(LOCAL_TZ)
    y, mo = local.year, local.month
    while True:
        y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
        cut = datetime(y, mo, 1, tzinfo=LOCAL_TZ).astimezone(UTC)
        if cut >= end:
            break
        cuts.append(cut)
    cuts.append(end)
    values: list[int] = []
    for c in cuts:
        v = register_at(store, channel_id, c, as_of=as_of)
        if v is None:
            raise BillingError(f"no register value at {c.isoformat()} for gas channel {channel_id}")
        values.append(v.value)
    months = []
    for i in range(len(cuts) - 1):
        la = cuts[i].astimezone(LOCAL_TZ)
        vol = values[i + 1] - values[i]
        f = conv.factors(area, la.year, la.month)
        months.append(GasMonth(la.year, la.month, vol, f, conv.to_wh(vol, area, la.year, la.month)))
    return GasEnergy(channel_id, area, values[-1] - values[0], sum(m.energy_wh for m in months), tuple(months))


__all__ = [
    "DEFAULT_GAS_FACTORS",
    "SIMULATOR_CALENDAR",
    "BillingError",
    "BillingRead",
    "GasConversion",
    "GasEnergy",
    "GasFactors",
    "GasMonth",
    "NetworkDeterminants",
    "RegisterValue",
    "TariffCalendar",
    "TouDeterminants",
    "apportion",
    "billing_read",
    "gas_energy",
    "grid_area_of_channel",
    "month_bounds",
    "monthly_billing_read",
    "network_determinants",
    "overrun_split",
    "register_at",
    "slot_series",
    "tou_determinants",
]
