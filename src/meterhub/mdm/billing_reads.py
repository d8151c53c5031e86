"""Billing reads established and stored as rows, in versions (issue 5, §6; tables of migration 0003).

:func:`establish` makes the billing read of one channel and period with :mod:`meterhub.mdm.billing` — the
register values at both ends with their source and the consumption, which is their difference exactly — and
adds, when asked, the TOU determinants per rate (active energy channels; reconciled to that consumption)
and, for a gas channel, the energy in Wh per local month with the factors of the grid area and month from
the ``gas_factor`` table (:mod:`meterhub.mdm.gas_factors`). A read that cannot be established exactly
raises :class:`~meterhub.mdm.billing.BillingError` with the reason; nothing is guessed.

:func:`save` stores reads append-only. A read is identified by (channel, kind, period start, period end);
saving one whose figures equal the latest stored version's stores nothing (a monthly run can be repeated);
saving one that differs — a correction of the interval data or of a register read, new gas factors —
stores it as the next version and keeps every earlier one. A version is never changed afterwards, except to
record once that it was sent to a supplier (:func:`mark_sent`); a correction of a version that was sent is
reported as such (:attr:`Saved.supersedes_sent`) so that it is sent again rather than silently differ.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Literal

import sqlalchemy as sa

from meterhub.mdm.billing import (
    SIMULATOR_CALENDAR,
    BillingError,
    GasFactors,
    TariffCalendar,
    billing_read,
    grid_area_of_channel,
    month_bounds,
    register_at,
    tou_determinants,
)
from meterhub.mdm.gas_factors import factors_for
from meterhub.store import db
from meterhub.store import schema as t
from meterhub.store.intervals import LOCAL_TZ

BillingKind = Literal["monthly", "on_demand"]
SaveStatus = Literal["stored", "unchanged", "corrected"]

CALENDARS: dict[str, TariffCalendar] = {"national": TariffCalendar(), "simulator": SIMULATOR_CALENDAR}
"""Tariff calendars by the name stored with a read's determinants: the national meters' calendar (working
days 06:00–22:00 peak, Luxembourg public holidays off-peak) and the simulator's (also 24 and 31 December)."""
TOU_OBIS: tuple[str, ...] = ("1.0.1.8.0.255", "1.0.2.8.0.255")
"""The channels TOU determinants are made for: active energy import A+ and export A−."""
_VOLUME_UNITS = {"l": Decimal(1), "dm3": Decimal(1), "m3": Decimal(1000)}
_RETRIES = 3


@dataclass(frozen=True, slots=True)
class RateFigures:
    """The TOU determinant of one rate: billed energy (the rates sum to the consumption), the interval sum
    it was split by, and the slots without a value."""

    rate: str
    billed: int
    intervals: int
    missing_slots: int


@dataclass(frozen=True, slots=True)
class GasMonthFigures:
    """One local month of a gas read: volume (register delta, channel units), factors and energy in Wh."""

    year: int
    month: int
    volume: int
    calorific: Decimal
    correction: Decimal
    factors_area: str  # the gas_factor entry used: the grid area or "*" (national)
    energy_wh: int


@dataclass(frozen=True, slots=True)
class Established:
    """A billing read as established from the store (not yet stored)."""

    channel_id: int
    kind: BillingKind
    start: datetime
    end: datetime
    start_value: int
    start_source: str
    end_value: int
    end_source: str
    unit: str
    tou_calendar: str | None = None
    rates: tuple[RateFigures, ...] = ()
    grid_area: str | None = None
    gas_energy_wh: int | None = None
    gas_months: tuple[GasMonthFigures, ...] = ()
    as_of: datetime | None = None

    @property
    def consumption(self) -> int:
        """The register delta over the period (exact, in the channel's unit)."""
        return self.end_value - self.start_value

    @property
    def key(self) -> tuple[int, str, datetime, datetime]:
        return (self.channel_id, self.kind, self.start, self.end)

    def figures(self) -> tuple[object, ...]:
        """Everything a stored version holds of the read: equal figures mean nothing changed."""
        return (
            self.start_value,
            self.start_source,
            self.end_value,
            self.end_source,
            self.unit,
            self.tou_calendar,
            self.rates,
            self.grid_area,
            self.gas_energy_wh,
            self.gas_months,
            self.as_of,
        )


@dataclass(frozen=True, slots=True)
class StoredBillingRead:
    """One stored version of a billing read."""

    id: int
    version: int
    read: Established
    computed_at: datetime
    computed_by: str
    sent_at: datetime | None = None
    sent_to: str | None = None


@dataclass(frozen=True, slots=True)
class Saved:
    """What :func:`save` did with one read: ``stored`` (its first version), ``unchanged`` (equal to the
    latest version, nothing written) or ``corrected`` (a new version beside the earlier ones)."""

    status: SaveStatus
    stored: StoredBillingRead
    previous: StoredBillingRead | None = None
    supersedes_sent: bool = False  # an earlier version went to a supplier: send the correction


@dataclass(slots=True)
class RunOutcome:
    """A monthly run: the reads saved and the channels whose read could not be established, with why."""

    saved: list[Saved] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)

    def count(self, status: SaveStatus) -> int:
        return sum(1 for s in self.saved if s.status == status)


# --------------------------------------------------------------------------------------------- establishing


def _volume_scale(channel: db.Channel) -> Decimal:
    if channel.unit not in _VOLUME_UNITS:
        raise BillingError(f"gas channel {channel.id} counts in {channel.unit!r}: no volume unit (l, dm3, m3)")
    return _VOLUME_UNITS[channel.unit] * Decimal(10) ** channel.scaler


def _month_cuts(start: datetime, end: datetime) -> list[datetime]:
    """``start``, every local first-of-month midnight inside the period, ``end``."""
    cuts = [start]
    local = start.astimezone(LOCAL_TZ)
    y, m = local.year, local.month
    while True:
        cut = month_bounds(y, m)[1]
        if cut >= end:
            break
        cuts.append(cut)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    cuts.append(end)
    return cuts


def _gas_months(
    store: db.Store, channel: db.Channel, start: tuple[datetime, int], end: tuple[datetime, int], as_of: datetime | None
) -> tuple[str | None, tuple[GasMonthFigures, ...]]:
    area = grid_area_of_channel(store, channel.id)
    scale = _volume_scale(channel)
    cuts = _month_cuts(start[0], end[0])
    values = [start[1]]
    for cut in cuts[1:-1]:
        inner = register_at(store, channel.id, cut, as_of=as_of)
        if inner is None:
            raise BillingError(
                f"no register value at {cut.isoformat()} for gas channel {channel.id}: the months of the period "
                "cannot be converted one by one"
            )
        values.append(inner.value)
    values.append(end[1])
    months: list[GasMonthFigures] = []
    with store.read() as conn:
        for i in range(len(cuts) - 1):
            local = cuts[i].astimezone(LOCAL_TZ)
            found = factors_for(conn, area, local.year, local.month)
            if found is None:
                raise BillingError(
                    f"no gas conversion factors for {local.year}-{local.month:02d} in grid area "
                    f"{area or '(none)'} nor a national entry for that month"
                )
            f, key = found
            volume = values[i + 1] - values[i]
            wh = Decimal(volume) * scale * f.correction * f.calorific_kwh_per_m3
            months.append(
                GasMonthFigures(
                    local.year, local.month, volume, f.calorific_kwh_per_m3, f.correction, key,
                    int(wh.to_integral_value(rounding=ROUND_HALF_EVEN)),
                )
            )  # fmt: skip
    return area, tuple(months)


def tou_capable(channel: db.Channel) -> bool:
    """True for the channels TOU determinants are made for (:data:`TOU_OBIS`)."""
    return channel.medium == "electricity" and channel.obis in TOU_OBIS


def establish(
    store: db.Store,
    channel_id: int,
    start: datetime,
    end: datetime,
    *,
    kind: BillingKind = "on_demand",
    tou: str | None = None,
    as_of: datetime | None = None,
) -> Established:
    """The billing read of ``[start, end)`` with TOU determinants by the calendar named ``tou`` (one of
    :data:`CALENDARS`; active energy channels only) and, for gas, the energy per month. Raises
    :class:`BillingError` when any part cannot be established exactly."""
    channel = store.get_channel(channel_id)
    if channel is None:
        raise BillingError(f"unknown channel {channel_id}")
    if as_of is not None:
        if as_of.tzinfo is None:
            raise BillingError("'as of' needs a timezone-aware time")
        as_of = as_of.astimezone(UTC).replace(microsecond=0)  # stored as whole epoch seconds
    if tou is not None:
        if tou not in CALENDARS:
            raise BillingError(f"unknown tariff calendar {tou!r} (one of {', '.join(CALENDARS)})")
        if not tou_capable(channel):
            raise BillingError(f"TOU determinants are made for active energy (A+, A−), not {channel.obis}")
    read = billing_read(store, channel_id, start, end, as_of=as_of)
    rates: tuple[RateFigures, ...] = ()
    if tou is not None:
        det = tou_determinants(
            store, channel_id, start, end, CALENDARS[tou], as_of=as_of, register_delta=read.consumption
        )
        rates = tuple(
            RateFigures(rate, det.billed[rate], det.intervals[rate], det.missing_slots[rate])
            for rate in sorted(det.billed)
        )
        if sum(r.billed for r in rates) != read.consumption:  # apportion guarantees it; a billing invariant
            raise BillingError(f"TOU determinants of channel {channel_id} do not sum to the register delta")
    area: str | None = None
    gas: tuple[GasMonthFigures, ...] = ()
    if channel.medium == "gas":
        area, gas = _gas_months(store, channel, (start, read.start_value), (end, read.end_value), as_of)
    return Established(
        channel_id=channel_id,
        kind=kind,
        start=start,
        end=end,
        start_value=read.start_value,
        start_source=read.start_source,
        end_value=read.end_value,
        end_source=read.end_source,
        unit=channel.unit,
        tou_calendar=tou,
        rates=rates,
        grid_area=area,
        gas_energy_wh=sum(m.energy_wh for m in gas) if channel.medium == "gas" else None,
        gas_months=gas,
        as_of=as_of,
    )


def establish_monthly(
    store: db.Store, channel_id: int, year: int, month: int, *, tou: str | None = None, as_of: datetime | None = None
) -> Established:
    """The monthly billing read of one local calendar month (see :func:`establish`)."""
    start, end = month_bounds(year, month)
    return establish(store, channel_id, start, end, kind="monthly", tou=tou, as_of=as_of)


# --------------------------------------------------------------------------------------------- storing


def _load(conn: sa.Connection, where: Iterable[Any], *, order: bool = True) -> list[StoredBillingRead]:
    b, r, g = t.billing_read, t.billing_read_rate, t.billing_read_gas
    q = sa.select(b).where(*where)
    if order:
        q = q.order_by(b.c.channel_id, b.c.period_start, b.c.period_end, b.c.kind, b.c.version)
    rows = conn.execute(q).all()
    if not rows:
        return []
    ids = [int(row.id) for row in rows]
    rates: dict[int, list[RateFigures]] = {}
    months: dict[int, list[GasMonthFigures]] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        for x in conn.execute(sa.select(r).where(r.c.billing_read_id.in_(chunk)).order_by(r.c.rate)):
            rates.setdefault(int(x.billing_read_id), []).append(
                RateFigures(x.rate, int(x.billed), int(x.intervals), int(x.missing_slots))
            )
        for x in conn.execute(sa.select(g).where(g.c.billing_read_id.in_(chunk)).order_by(g.c.year, g.c.month)):
            months.setdefault(int(x.billing_read_id), []).append(
                GasMonthFigures(
                    int(x.year), int(x.month), int(x.volume), Decimal(x.calorific), Decimal(x.correction),
                    str(x.factors_area), int(x.energy_wh),
                )
            )  # fmt: skip
    out = []
    for row in rows:
        read = Established(
            channel_id=int(row.channel_id),
            kind=row.kind,
            start=row.period_start,
            end=row.period_end,
            start_value=int(row.start_value),
            start_source=row.start_source,
            end_value=int(row.end_value),
            end_source=row.end_source,
            unit=row.unit,
            tou_calendar=row.tou_calendar,
            rates=tuple(rates.get(int(row.id), ())),
            grid_area=row.grid_area,
            gas_energy_wh=None if row.gas_energy_wh is None else int(row.gas_energy_wh),
            gas_months=tuple(months.get(int(row.id), ())),
            as_of=row.as_of,
        )
        out.append(
            StoredBillingRead(
                int(row.id), int(row.version), read, row.computed_at, row.computed_by, row.sent_at, row.sent_to
            )
        )
    return out


def _versions(conn: sa.Connection, read: Established) -> list[StoredBillingRead]:
    b = t.billing_read
    return _load(
        conn,
        (
            b.c.channel_id == read.channel_id,
            b.c.kind == read.kind,
            b.c.period_start == read.start,
            b.c.period_end == read.end,
        ),
    )


def _insert(conn: sa.Connection, read: Established, version: int, by: str, at: datetime) -> StoredBillingRead:
    stmt = t.billing_read.insert().values(
        channel_id=read.channel_id,
        kind=read.kind,
        period_start=read.start,
        period_end=read.end,
        version=version,
        start_value=read.start_value,
        start_source=read.start_source,
        end_value=read.end_value,
        end_source=read.end_source,
        consumption=read.consumption,
        unit=read.unit,
        tou_calendar=read.tou_calendar,
        grid_area=read.grid_area,
        gas_energy_wh=read.gas_energy_wh,
        as_of=read.as_of,
        computed_at=at,
        computed_by=by,
    )
    new_id = db.insert_id(conn, stmt)
    if read.rates:
        conn.execute(
            t.billing_read_rate.insert(),
            [
                {"billing_read_id": new_id, "rate": x.rate, "billed": x.billed, "intervals": x.intervals,
                 "missing_slots": x.missing_slots}
                for x in read.rates
            ],
        )  # fmt: skip
    if read.gas_months:
        conn.execute(
            t.billing_read_gas.insert(),
            [
                {"billing_read_id": new_id, "year": m.year, "month": m.month, "volume": m.volume,
                 "calorific": str(m.calorific), "correction": str(m.correction), "factors_area": m.factors_area,
                 "energy_wh": m.energy_wh}
                for m in read.gas_months
            ],
        )  # fmt: skip
    return StoredBillingRead(new_id, version, read, at, by)


def save_in(conn: sa.Connection, reads: Sequence[Established], *, computed_by: str, now: datetime) -> list[Saved]:
    """:func:`save` inside the caller's write transaction."""
    out: list[Saved] = []
    for read in reads:
        versions = _versions(conn, read)
        latest = versions[-1] if versions else None
        if latest is not None and latest.read.figures() == read.figures():
            out.append(Saved("unchanged", latest))
            continue
        stored = _insert(conn, read, 1 if latest is None else latest.version + 1, computed_by, now)
        if latest is None:
            out.append(Saved("stored", stored))
        else:
            out.append(Saved("corrected", stored, latest, any(v.sent_at is not None for v in versions)))
    return out


def save(
    store: db.Store, reads: Sequence[Established], *, computed_by: str, now: datetime | None = None
) -> list[Saved]:
    """Store the reads in one write transaction (see the module docstring); one :class:`Saved` per read.

    Two writers storing the same next version at once (PostgreSQL: READ COMMITTED) clash on the unique key;
    the loser's transaction is rolled back and run again, when it finds the other's version."""
    if not computed_by.strip():
        raise BillingError("a stored billing read needs who computed it")
    at = now or datetime.now(UTC)
    for attempt in range(_RETRIES):
        try:
            with store.write() as conn:
                return save_in(conn, reads, computed_by=computed_by.strip(), now=at)
        except sa.exc.IntegrityError:
            if attempt == _RETRIES - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def list_reads(
    store: db.Store,
    channel_ids: Sequence[int],
    *,
    kind: BillingKind | None = None,
    since: datetime | None = None,
    current_only: bool = False,
) -> list[StoredBillingRead]:
    """Stored versions of the channels' billing reads (of one kind; periods ending after ``since``), by
    channel, period and version; ``current_only`` keeps the latest version of each read."""
    b = t.billing_read
    out: list[StoredBillingRead] = []
    ids = sorted(set(channel_ids))
    with store.read() as conn:
        for i in range(0, len(ids), 500):
            where: list[Any] = [b.c.channel_id.in_(ids[i : i + 500])]
            if kind is not None:
                where.append(b.c.kind == kind)
            if since is not None:
                where.append(b.c.period_end > since)
            out += _load(conn, where)
    if current_only:
        out = [s for j, s in enumerate(out) if j + 1 == len(out) or out[j + 1].read.key != s.read.key]
    return out


def get_read(store: db.Store, read_id: int) -> StoredBillingRead | None:
    with store.read() as conn:
        found = _load(conn, (t.billing_read.c.id == read_id,), order=False)
    return found[0] if found else None


def mark_sent(store: db.Store, read_id: int, to: str, *, at: datetime | None = None) -> StoredBillingRead:
    """Record that version ``read_id`` was sent to the supplier ``to`` — once, and only for the current
    version of its read (a superseded version is never sent)."""
    if not to.strip():
        raise BillingError("name the supplier the read was sent to")
    b = t.billing_read
    with store.write() as conn:
        found = _load(conn, (b.c.id == read_id,), order=False)
        if not found:
            raise BillingError(f"no stored billing read {read_id}")
        this = found[0]
        if this.sent_at is not None:
            raise BillingError(
                f"billing read {read_id} was already sent to {this.sent_to} at {this.sent_at.isoformat()}"
            )
        latest = _versions(conn, this.read)[-1]
        if latest.id != this.id:
            raise BillingError(
                f"billing read {read_id} is version {this.version}, superseded by version {latest.version} "
                f"(id {latest.id}): send the current version"
            )
        when = at or datetime.now(UTC)
        done = conn.execute(
            b.update().where(b.c.id == read_id, b.c.sent_at.is_(None)).values(sent_at=when, sent_to=to.strip())
        ).rowcount
        if done != 1:  # pragma: no cover - a concurrent mark between the check and the update
            raise BillingError(f"billing read {read_id} was marked sent meanwhile")
    return StoredBillingRead(this.id, this.version, this.read, this.computed_at, this.computed_by, when, to.strip())


# --------------------------------------------------------------------------------------------- monthly run


def billable_channels(
    store: db.Store, *, meter_ids: Sequence[int] | None = None, dso_id: int | None = None, before: datetime
) -> list[db.Channel]:
    """The channels of the given meters (else of the DSO's, else of every meter) installed before ``before``."""
    m, c = t.meter, t.channel
    q = (
        sa.select(c)
        .join(m, m.c.id == c.c.meter_id)
        .where(sa.or_(m.c.installed_at.is_(None), m.c.installed_at < before))
        .order_by(c.c.id)
    )
    if dso_id is not None:
        q = q.where(m.c.dso_id == dso_id)
    out: list[db.Channel] = []
    with store.read() as conn:
        if meter_ids is None:
            return [db.Channel(**row._mapping) for row in conn.execute(q)]
        wanted = sorted(set(meter_ids))
        for i in range(0, len(wanted), 500):
            out += [db.Channel(**row._mapping) for row in conn.execute(q.where(m.c.id.in_(wanted[i : i + 500])))]
    return sorted(out, key=lambda ch: ch.id)


def run_monthly(
    store: db.Store,
    channels: Sequence[db.Channel],
    year: int,
    month: int,
    *,
    computed_by: str,
    tou: str | None = "national",
    chunk: int = 200,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
) -> RunOutcome:
    """Establish and store the monthly billing read of every channel (TOU determinants by the calendar
    ``tou`` for the active energy channels); chunks of ``chunk`` channels per write transaction. Channels
    whose read cannot be established are reported in :attr:`RunOutcome.refused` and store nothing."""
    outcome = RunOutcome()
    for i in range(0, len(channels), chunk):
        batch: list[Established] = []
        for ch in channels[i : i + chunk]:
            try:
                batch.append(establish_monthly(store, ch.id, year, month, tou=tou if tou_capable(ch) else None))
            except BillingError as exc:
                outcome.refused.append((ch.id, str(exc)))
        outcome.saved += save(store, batch, computed_by=computed_by, now=now)
        if progress is not None:
            progress(len(channels[i : i + chunk]))
    return outcome


def gas_factors_of(read: Established) -> GasFactors | None:
    """The factors of a one-month gas read (None when not gas, or spanning months with different ones)."""
    found = {(m.calorific, m.correction) for m in read.gas_months}
    if len(found) != 1:
        return None
    cv, corr = found.pop()
    return GasFactors(cv, corr)


__all__ = [
    "CALENDARS",
    "TOU_OBIS",
    "BillingKind",
    "Established",
    "GasMonthFigures",
    "RateFigures",
    "RunOutcome",
    "SaveStatus",
    "Saved",
    "StoredBillingRead",
    "billable_channels",
    "establish",
    "establish_monthly",
    "gas_factors_of",
    "get_read",
    "list_reads",
    "mark_sent",
    "run_monthly",
    "save",
    "save_in",
]
