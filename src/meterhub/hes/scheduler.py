"""The head-end's schedules: daily profile and events, hourly M-Bus, monthly billing registers, gap re-reads.

What is due is derived from the data itself, not from a job list: a meter needs its daily read when the MDM
reports missing slots in yesterday's (or an older, still-in-the-meter's-buffer) local day, its hourly M-Bus
read when a sub-meter channel misses hours up to the last full hour, and its billing read when the store has
no billing register read since the month began. A head-end killed at any point and started again therefore
does exactly the reads that are still missing — nothing twice, nothing forgotten.

* daily (from 00:15 local): load profile + M-Bus + events + registers for the days with gaps, up to
  ``lookback_days`` back (the meter keeps 10 days of quarter hours);
* hourly (every hour): the M-Bus profiles of meters whose sub-meters miss hours today;
* monthly (from the 1st, 00:15 local): the billing registers (A+/A−/R+/R− and TOU) of every meter;
* with a :class:`~meterhub.mdm.vee_service.VeeService`, every local day a read completes (the daily read, the
  last hours of the M-Bus profiles, a gap re-read) is validated and its gaps estimated in the ingest's own
  transaction (VEE at ingest, :class:`~meterhub.mdm.ingest.IngestService`); estimated slots stay re-read
  candidates while the meter keeps its data. Rules that need several days (a clock shift) are for the
  multi-day ``meterhub vee run``;
* every run ends with the gap re-read of :meth:`HeadEnd.reread_gaps` for what is still missing up to the end
  of yesterday.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from meterhub.country import LOCAL_TZ
from meterhub.hes.headend import HeadEnd, MeterTarget, ReadParts, RunReport, load_targets
from meterhub.mdm.vee_service import VeeService
from meterhub.store.intervals import day_bounds_epoch, from_epoch

log = logging.getLogger(__name__)

LUX: Final = LOCAL_TZ
QUARTER: Final = dt.timedelta(minutes=15)
HOUR: Final = dt.timedelta(hours=1)


@dataclass
class ScheduleReport:
    """What one pass of the scheduler read."""

    at: dt.datetime
    runs: dict[str, RunReport] = field(default_factory=dict)

    @property
    def meters_read(self) -> int:
        return sum(r.ok for r in self.runs.values())


def _day_window(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start, end = day_bounds_epoch(day)
    return from_epoch(start), from_epoch(end)


class Scheduler:
    """Runs the schedules of a :class:`HeadEnd` against the store's meters."""

    def __init__(
        self,
        headend: HeadEnd,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        lookback_days: int = 7,
        vee: VeeService | None = None,
    ) -> None:
        self.headend = headend
        self.store = headend.store
        self.now = now
        self.lookback_days = lookback_days
        headend.now = now  # "has this day ended" is the schedule's clock
        if vee is not None:
            headend.ingest.vee = vee  # validation and estimation at ingest of every day read

    def _targets(self) -> list[MeterTarget]:
        return load_targets(self.store)

    def daily_due(self, targets: Sequence[MeterTarget], now: dt.datetime) -> dict[dt.date, list[MeterTarget]]:
        """Per local day (yesterday and back to ``lookback_days``): the meters with missing quarter hours."""
        today = now.astimezone(LUX).date()
        first = today - dt.timedelta(days=self.lookback_days)
        channels = [c for t in targets for c in t.channels.values()]
        missing = self.headend.ingest.incomplete(channels, first, today - dt.timedelta(days=1))
        due: dict[dt.date, list[MeterTarget]] = {}
        for back in range(self.lookback_days, 0, -1):
            day = today - dt.timedelta(days=back)
            meters = [t for t in targets if any((c, day) in missing for c in t.channels.values())]
            if meters:
                due[day] = meters
        return due

    def mbus_due(self, targets: Sequence[MeterTarget], now: dt.datetime) -> list[MeterTarget]:
        """Meters whose M-Bus channels miss hours of today up to the last full hour."""
        today = now.astimezone(LUX).date()
        channels = [c for t in targets for _, c in t.mbus_channels.values()]
        missing = self.headend.ingest.incomplete(channels, today, today, until=now)
        return [t for t in targets if any((c, today) in missing for _, c in t.mbus_channels.values())]

    def billing_due(self, targets: Sequence[MeterTarget], now: dt.datetime) -> list[MeterTarget]:
        """Meters without a billing register read since the current month began (local time)."""
        local = now.astimezone(LUX)
        month_start = dt.datetime(local.year, local.month, 1, tzinfo=LUX).astimezone(dt.UTC)
        read = self.store.channels_with_reads([c for t in targets for c in t.channels.values()], "billing", month_start)
        return [t for t in targets if not any(c in read for c in t.channels.values())]

    async def run_once(self) -> ScheduleReport:
        """One pass: whatever is due now is read; returns what was read."""
        now = self.now()
        report = ScheduleReport(now)
        targets = self._targets()
        for day, meters in sorted(self.daily_due(targets, now).items()):
            start, end = _day_window(day)
            report.runs[f"daily {day}"] = await self.headend.read_window(meters, start + QUARTER, end)
        mbus = self.mbus_due(targets, now)
        if mbus:
            today_start, _ = _day_window(now.astimezone(LUX).date())
            last_hour = now.replace(minute=0, second=0, microsecond=0)
            if last_hour > today_start:
                report.runs["hourly mbus"] = await self.headend.read_window(
                    mbus, today_start + HOUR, last_hour, parts=ReadParts(profile=False, registers=False, events=False)
                )
        billing = self.billing_due(targets, now)
        if billing:
            report.runs["monthly billing"] = await self.headend.read_window(
                billing, now, now, parts=ReadParts(profile=False, mbus=False, events=False), register_kind="billing"
            )
        # what the passes above could not fill, up to the end of yesterday (today is the hourly job's)
        today = now.astimezone(LUX).date()
        today_start, _ = _day_window(today)
        reread = await self.headend.reread_gaps(
            targets,
            today - dt.timedelta(days=self.lookback_days),
            today - dt.timedelta(days=1),
            until=today_start,
            include_estimated=True,  # measured data replaces an estimate while the meter still has it
        )
        if reread.meters:
            report.runs["gap re-read"] = reread
        return report

    async def run_forever(self, period_s: float = 900.0) -> None:
        """Run a pass every ``period_s`` seconds (every quarter hour by default)."""
        while True:
            try:
                report = await self.run_once()
                log.info("schedule pass at %s: %d meters read", report.at.isoformat(), report.meters_read)
            except Exception:  # a pass that fails is logged; the next one derives what is still due
                log.exception("schedule pass failed")
            await asyncio.sleep(period_s)
