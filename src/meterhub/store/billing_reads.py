"""Billing reads as stored (tables of migration 0003): ``billing_read`` — one row per version of the read of
one channel, kind (monthly or on demand) and period, with both register values and their sources, the
consumption (their difference, a CHECK constraint), unit, TOU calendar, grid area, gas energy, the ``as of``
time it was established at, who computed it and when, and whether it was sent to a supplier — with its child
rows ``billing_read_rate`` (the TOU determinant of each rate) and ``billing_read_gas`` (each local month of a
gas read: volume, factors, energy).

How a read is established, versioned and sent is :mod:`meterhub.mdm.billing_reads`; its records
(:class:`Established`, :class:`StoredBillingRead`, …) are defined here, as the rows they are. Versions are
append-only; the one change ever made to a stored version is recording once that it was sent
(:func:`mark_billing_read_sent`). The functions take a :class:`~meterhub.store.sql.Connection`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from meterhub.store import schema as t
from meterhub.store.schema import BillingKind
from meterhub.store.sql import chunks, insert_id


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
    for chunk in chunks(ids):
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


def billing_read_versions(conn: sa.Connection, read: Established) -> list[StoredBillingRead]:
    """Every stored version of the read of ``read``'s channel, kind and period, oldest first."""
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


def billing_read_by_id(conn: sa.Connection, read_id: int) -> StoredBillingRead | None:
    found = _load(conn, (t.billing_read.c.id == read_id,), order=False)
    return found[0] if found else None


def list_billing_reads(
    conn: sa.Connection, channel_ids: Sequence[int], *, kind: BillingKind | None = None, since: datetime | None = None
) -> list[StoredBillingRead]:
    """Stored versions of the channels' billing reads (of one kind; periods ending after ``since``), by
    channel, period, kind and version."""
    b = t.billing_read
    out: list[StoredBillingRead] = []
    for chunk in chunks(sorted(set(channel_ids))):
        where: list[Any] = [b.c.channel_id.in_(chunk)]
        if kind is not None:
            where.append(b.c.kind == kind)
        if since is not None:
            where.append(b.c.period_end > since)
        out += _load(conn, where)
    return out


def insert_billing_read(
    conn: sa.Connection, read: Established, version: int, by: str, at: datetime
) -> StoredBillingRead:
    """Store ``read`` as ``version`` (with its rate and gas month rows), computed by ``by`` at ``at``. A
    version stored already raises :class:`~meterhub.store.sql.IntegrityError`."""
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
    new_id = insert_id(conn, stmt)
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


def mark_billing_read_sent(conn: sa.Connection, read_id: int, at: datetime, to: str) -> bool:
    """Record that version ``read_id`` was sent to ``to`` at ``at``; False when it was marked already."""
    b = t.billing_read
    done = conn.execute(
        b.update().where(b.c.id == read_id, b.c.sent_at.is_(None)).values(sent_at=at, sent_to=to)
    ).rowcount
    return int(done) == 1


__all__ = [
    "BillingKind",
    "Established",
    "GasMonthFigures",
    "RateFigures",
    "StoredBillingRead",
    "billing_read_by_id",
    "billing_read_versions",
    "insert_billing_read",
    "list_billing_reads",
    "mark_billing_read_sent",
]
