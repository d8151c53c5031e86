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

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Literal

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
from meterhub.store import Channel, Connection, IntegrityError, Store
from meterhub.store.billing_reads import (
    BillingKind,
    Established,
    GasMonthFigures,
    RateFigures,
    StoredBillingRead,
    billing_read_by_id,
    billing_read_versions,
    insert_billing_read,
    list_billing_reads,
    mark_billing_read_sent,
)
from meterhub.store.channels import installed_channels
from meterhub.store.intervals import LOCAL_TZ

SaveStatus = Literal["stored", "unchanged", "corrected"]

CALENDARS: dict[str, TariffCalendar] = {"national": TariffCalendar(), "simulator": SIMULATOR_CALENDAR}
"""Tariff calendars by the name stored with a read's determinants: the national meters' calendar (working
days 06:00–22:00 peak, Luxembourg public holidays off-peak) and the simulator's (also 24 and 31 December)."""
TOU_OBIS: tuple[str, ...] = ("1.0.1.8.0.255", "1.0.2.8.0.255")
"""The channels TOU determinants are made for: active energy import A+ and export A−."""
_VOLUME_UNITS = {"l": Decimal(1), "dm3": Decimal(1), "m3": Decimal(1000)}
_RETRIES = 3


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


def _volume_scale(channel: Channel) -> Decimal:
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
    store: Store, channel: Channel, start: tuple[datetime, int], end: tuple[datetime, int], as_of: datetime | None
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


def tou_capable(channel: Channel) -> bool:
    """True for the channels TOU determinants are made for (:data:`TOU_OBIS`)."""
    return channel.medium == "electricity" and channel.obis in TOU_OBIS


def establish(
    store: Store,
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
    store: Store, channel_id: int, year: int, month: int, *, tou: str | None = None, as_of: datetime | None = None
) -> Established:
    """The monthly billing read of one local calendar month (see :func:`establish`)."""
    start, end = month_bounds(year, month)
    return establish(store, channel_id, start, end, kind="monthly", tou=tou, as_of=as_of)


# --------------------------------------------------------------------------------------------- storing


def save_in(conn: Connection, reads: Sequence[Established], *, computed_by: str, now: datetime) -> list[Saved]:
    """:func:`save` inside the caller's write transaction."""
    out: list[Saved] = []
    for read in reads:
        versions = billing_read_versions(conn, read)
        latest = versions[-1] if versions else None
        if latest is not None and latest.read.figures() == read.figures():
            out.append(Saved("unchanged", latest))
            continue
        stored = insert_billing_read(conn, read, 1 if latest is None else latest.version + 1, computed_by, now)
        if latest is None:
            out.append(Saved("stored", stored))
        else:
            out.append(Saved("corrected", stored, latest, any(v.sent_at is not None for v in versions)))
    return out


def save(store: Store, reads: Sequence[Established], *, computed_by: str, now: datetime | None = None) -> list[Saved]:
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
        except IntegrityError:
            if attempt == _RETRIES - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def list_reads(
    store: Store,
    channel_ids: Sequence[int],
    *,
    kind: BillingKind | None = None,
    since: datetime | None = None,
    current_only: bool = False,
) -> list[StoredBillingRead]:
    """Stored versions of the channels' billing reads (of one kind; periods ending after ``since``), by
    channel, period and version; ``current_only`` keeps the latest version of each read."""
    with store.read() as conn:
        out = list_billing_reads(conn, channel_ids, kind=kind, since=since)
    if current_only:
        out = [s for j, s in enumerate(out) if j + 1 == len(out) or out[j + 1].read.key != s.read.key]
    return out


def get_read(store: Store, read_id: int) -> StoredBillingRead | None:
    with store.read() as conn:
        return billing_read_by_id(conn, read_id)


def mark_sent(store: Store, read_id: int, to: str, *, at: datetime | None = None) -> StoredBillingRead:
    """Record that version ``read_id`` was sent to the supplier ``to`` — once, and only for the current
    version of its read (a superseded version is never sent)."""
    if not to.strip():
        raise BillingError("name the supplier the read was sent to")
    with store.write() as conn:
        this = billing_read_by_id(conn, read_id)
        if this is None:
            raise BillingError(f"no stored billing read {read_id}")
        if this.sent_at is not None:
            raise BillingError(
                f"billing read {read_id} was already sent to {this.sent_to} at {this.sent_at.isoformat()}"
            )
        latest = billing_read_versions(conn, this.read)[-1]
        if latest.id != this.id:
            raise BillingError(
                f"billing read {read_id} is version {this.version}, superseded by version {latest.version} "
                f"(id {latest.id}): send the current version"
            )
        when = at or datetime.now(UTC)
        if not mark_billing_read_sent(conn, read_id, when, to.strip()):  # pragma: no cover - a concurrent mark
            raise BillingError(f"billing read {read_id} was marked sent meanwhile")
    return StoredBillingRead(this.id, this.version, this.read, this.computed_at, this.computed_by, when, to.strip())


# --------------------------------------------------------------------------------------------- monthly run


def billable_channels(
    store: Store, *, meter_ids: Sequence[int] | None = None, dso_id: int | None = None, before: datetime
) -> list[Channel]:
    """The channels of the given meters (else of the DSO's, else of every meter) installed before ``before``."""
    with store.read() as conn:
        return installed_channels(conn, meter_ids=meter_ids, dso_id=dso_id, before=before)


def run_monthly(
    store: Store,
    channels: Sequence[Channel],
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
