"""The VEE service: validate and estimate stored channel days, and write the result as a NEW block version.

:meth:`VeeService.run` loads, for each channel, the current blocks of the target days plus ``history_days``
before them (the history the rules compare against) and a week after them (later proxy days), and the
channel's register reads — for an import register (A+) also its meter's export register (A−) over the
same days, whose energy explains the import's zeros (:func:`meterhub.mdm.vee.explained_zeros`); it applies
:func:`meterhub.mdm.vee.validate` and :func:`meterhub.mdm.estimation.estimate` and, in one write transaction,
appends a version for every target day whose values or qualities changed:

* values that pass become ``validated``; their numbers are never touched;
* values failing a rule become ``suspect`` with the rule; with ``substitute_suspect`` (the default) value
  rules (negative, limits, spike, stuck register, zero run) are replaced by an estimate instead — the suspect
  reading stays in the previous version and the rules are named in the new version's ``reason``; a clock shift
  or a failed sum check stays ``suspect`` (the numbers are the meter's, only their placement is doubtful);
* gaps and earlier estimates get a fresh estimate (``estimated`` with its method); slots that have not ended by
  ``until`` are left alone;
* ``edited`` values are left alone (a manual edit outlives VEE, as it outlives re-reads).

Measured data arriving later replaces estimates through the ingest merge (:mod:`meterhub.mdm.ingest`), as a new
version. Running VEE twice on the same data writes nothing the second time.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

import numpy as np

from meterhub.mdm import digest
from meterhub.mdm.estimation import estimate
from meterhub.mdm.quality import Quality, SuspectRule, codes
from meterhub.mdm.vee import Layout, RuleBook, VeeRules, check_slot_count, validate
from meterhub.store import Channel, Connection, IntervalBlock, NewBlock, RegisterRead, Store
from meterhub.store.blocks import current_blocks
from meterhub.store.channels import channels_with_dso, list_channels
from meterhub.store.intervals import day_range, day_start_epoch, to_epoch
from meterhub.store.reads import register_reads_many

DETAIL_SHIFT = 3
RULES_TTL_S = 900.0
"""How long a :class:`VeeService` remembers a channel's rules (its meter's DSO can change)."""
_FUTURE_DAYS = 7
#: Import register OBIS prefix → the export register of the same meter (A+ 1.0.1.8.x → A− 1.0.2.8.x).
EXPORT_OF = {"1.0.1.8.": "1.0.2.8."}


@dataclass(frozen=True)
class ChannelSeries:
    """One channel's days as a flat series (see :class:`~meterhub.mdm.vee.Layout`)."""

    layout: Layout
    values: np.ndarray
    quality: np.ndarray
    versions: dict[int, int]  # day index → current version (absent: no block)
    reads: list[tuple[int, int]]
    export: np.ndarray | None = None  # an import channel's export sibling on the same slots (NaN = unknown)


@dataclass
class VeeReport:
    """What one run did."""

    channels: int = 0
    days: int = 0
    versions_written: int = 0
    validated: int = 0
    estimated: int = 0
    suspect: int = 0
    missing: int = 0
    rules: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class DayResult:
    """The new values and qualities of one channel's target days, and the rule per slot (for reports)."""

    values: np.ndarray
    quality: np.ndarray
    rule: np.ndarray


def process(series: ChannelSeries, rules: VeeRules, target: np.ndarray, until_slot: int | None = None) -> DayResult:
    """Validate + estimate the ``target`` slots of a series; returns the whole series' new values/quality."""
    values, quality, layout = series.values, series.quality, series.layout
    code = codes(quality)
    val = validate(values, quality, layout, rules, target, series.reads, series.export)
    open_ = np.zeros(values.size, dtype=bool)
    if until_slot is not None:
        open_[max(0, until_slot) :] = True
    fill = target & ~open_ & ((code == Quality.MISSING) | (code == Quality.ESTIMATED) | val.substitute)
    est = estimate(np.where(fill, 0, values), fill, layout, rules, series.reads)
    # a register segment whose kept values already exceed its delta cannot take the substitutes (the suspect
    # values' error was compensated by a slot no rule flagged): keep those suspect values as they were
    revert = est.inconsistent & val.substitute & (code != Quality.MISSING)
    if revert.any():
        fill &= ~revert
        est = estimate(np.where(fill, 0, values), fill, layout, rules, series.reads)
    out_v = np.where(est.filled, est.values, values)
    out_q = quality.copy()
    filled = est.filled
    out_q[filled] = Quality.ESTIMATED | (est.method[filled].astype(np.uint8) << DETAIL_SHIFT)
    suspect = target & (val.rule != 0) & ~fill & (val.rule != SuspectRule.GAP)
    out_q[suspect] = Quality.SUSPECT | (val.rule[suspect] << DETAIL_SHIFT)
    unfilled = fill & ~filled
    out_q[unfilled & (code != Quality.MISSING)] = Quality.MISSING  # an old estimate we can no longer stand by
    out_v[unfilled] = np.where(code[unfilled] == Quality.MISSING, values[unfilled], 0)
    passed = (
        target
        & (val.rule == 0)
        & ((code == Quality.MEASURED) | (code == Quality.VALIDATED) | (code == Quality.SUSPECT))
    )
    out_q[passed] = Quality.VALIDATED
    keep = ~fill
    if not np.array_equal(out_v[keep], values[keep]):  # pragma: no cover - a guard, not a branch
        raise AssertionError("VEE must never change a kept value")
    return DayResult(out_v, out_q.astype(np.uint8), val.rule)


class VeeService:
    """Validation and estimation over stored blocks (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        rulebook: RuleBook | None = None,
        temperature: Callable[[date], float] | None = None,
    ) -> None:
        self.store = store
        self.rulebook = rulebook or RuleBook()
        self.temperature = temperature
        self._rules: dict[tuple[str | None, str, str], VeeRules] = {}
        self._channel_rules: dict[int, tuple[int, VeeRules, float]] = {}
        self._channels: dict[int, Channel] = {}
        self._exports: dict[int, tuple[int | None, float]] = {}

    def rules_for(self, channel: Channel) -> VeeRules:
        with self.store.read() as conn:
            return self.channel_rules(conn, [channel.id])[channel.id][1]

    def channel_rules(self, conn: Connection, channel_ids: Sequence[int]) -> dict[int, tuple[int, VeeRules]]:
        """``{channel_id: (interval_s, rules)}`` of the channels that exist: the rules of the meter's DSO and the
        channel's medium and OBIS code, looked up in one query per id chunk and remembered for
        :data:`RULES_TTL_S` seconds (a meter moved to another DSO gets its new rules within that time)."""
        now = time.monotonic()
        out: dict[int, tuple[int, VeeRules]] = {}
        unknown: list[int] = []
        for cid in channel_ids:
            hit = self._channel_rules.get(cid)
            if hit is not None and now - hit[2] < RULES_TTL_S:
                out[cid] = (hit[0], hit[1])
            else:
                unknown.append(cid)
        if not unknown:
            return out
        for cid, (channel, dso) in channels_with_dso(conn, unknown).items():
            key = (dso, channel.medium, channel.obis)
            rules = self._rules.get(key)
            if rules is None:  # one object per distinct rule set: callers group channels by it
                rules = self._rules[key] = self.rulebook.rules_for(dso, channel.medium, channel.obis)
            out[cid] = (channel.interval_s, rules)
            self._channel_rules[cid] = (channel.interval_s, rules, now)
            self._channels[cid] = channel
        return out

    def export_channels(self, conn: Connection, channel_ids: Sequence[int]) -> dict[int, int]:
        """``{import channel id: export channel id}``: for the import registers among ``channel_ids`` (A+,
        :data:`EXPORT_OF`) the same meter's export register of the same interval, where it has one; remembered
        for :data:`RULES_TTL_S` seconds like the rules."""
        now = time.monotonic()
        out: dict[int, int] = {}
        unknown: list[Channel] = []
        self.channel_rules(conn, channel_ids)  # the channels, fresh
        for cid in channel_ids:
            hit = self._exports.get(cid)
            if hit is not None and now - hit[1] < RULES_TTL_S:
                if hit[0] is not None:
                    out[cid] = hit[0]
            elif (channel := self._channels.get(cid)) is not None:
                unknown.append(channel)
        wanted = {ch.id: _export_obis(ch.obis) for ch in unknown}
        meters = sorted({ch.meter_id for ch in unknown if wanted[ch.id]})
        siblings = list_channels(conn, meters) if meters else []
        for ch in unknown:
            obis = wanted[ch.id]
            export = next(
                (s.id for s in siblings
                 if obis and s.meter_id == ch.meter_id and s.obis == obis and s.interval_s == ch.interval_s),
                None,
            )  # fmt: skip
            self._exports[ch.id] = (export, now)
            if export is not None:
                out[ch.id] = export
        return out

    def run(
        self,
        channel_ids: Sequence[int],
        day_from: date,
        day_to: date,
        *,
        until: datetime | None = None,
        source: str = "vee",
    ) -> VeeReport:
        """Validate and estimate ``day_from..day_to`` (local days, inclusive) of the channels; one transaction."""
        with self.store.write() as conn:
            blocks, report = self.plan(conn, channel_ids, day_from, day_to, until=until, source=source)
            intervals = {cid: s for cid, (s, _) in self.channel_rules(conn, channel_ids).items()}
            digest.write_blocks(conn, blocks, intervals=intervals)
            return report

    def plan(
        self,
        conn: Connection,
        channel_ids: Sequence[int],
        day_from: date,
        day_to: date,
        *,
        until: datetime | None = None,
        source: str = "vee",
        pending: Mapping[tuple[int, date], NewBlock] | None = None,
        pending_reads: Sequence[RegisterRead] = (),
    ) -> tuple[list[NewBlock], VeeReport]:
        """The block versions :meth:`run` would write, without writing them: the data are read through
        ``conn`` with ``pending`` — block versions not written yet, by (channel, day) — taking the place of the
        stored current versions, and ``pending_reads`` added after the stored register reads (a stored read
        for the same instant wins, as the insert-or-ignore of the reads will have it)."""
        until = until or datetime.now(UTC)
        report = VeeReport()
        info = self.channel_rules(conn, channel_ids)
        rules = {cid: r for cid, (_, r) in info.items()}
        exports = self.export_channels(conn, list(info))
        history = max((r.history_days for r in rules.values()), default=28)
        lo, hi = day_from - timedelta(days=history), day_to + timedelta(days=_FUTURE_DAYS)
        days = day_range(lo, hi)
        temps = None if self.temperature is None else [self.temperature(d) for d in days]
        target_days = set(day_range(day_from, day_to))
        target_index = [i for i, d in enumerate(days) if d in target_days]
        reads = register_reads_many(
            conn,
            list(info),
            datetime.fromtimestamp(day_start_epoch(lo), UTC),
            datetime.fromtimestamp(day_start_epoch(hi + timedelta(days=1)) + 1, UTC),
        )
        for r in pending_reads:
            if r.channel_id in info:
                reads.setdefault(r.channel_id, []).append(r)
        blocks: dict[int, dict[date, IntervalBlock]] = {}
        wanted = set(info) | set(exports.values())
        for b in current_blocks(conn, sorted(wanted), lo, hi):
            blocks.setdefault(b.channel_id, {})[b.local_day] = b
        for (cid, day), nb in (pending or {}).items():
            if cid in wanted and lo <= day <= hi:
                blocks.setdefault(cid, {})[day] = _as_stored(nb)
        layouts: dict[int, Layout] = {}
        new_blocks: list[NewBlock] = []
        start0 = day_start_epoch(days[0])
        for cid, (interval_s, _) in info.items():
            layout = layouts.get(interval_s)
            if layout is None:
                layout = layouts[interval_s] = Layout.of(days, interval_s, temps)
            series = series_of(layout, blocks.get(cid, {}), reads.get(cid, []))
            if cid in exports:
                series = replace(series, export=export_values(series_of(layout, blocks.get(exports[cid], {}), [])))
            target = np.isin(layout.day_index, target_index)
            until_slot = (to_epoch(until) - start0) // interval_s
            result = process(series, rules[cid], target, until_slot)
            report.channels += 1
            for i in target_index:
                day = days[i]
                sl = layout.day_slice(i)
                q = result.quality[sl]
                v = result.values[sl]
                report.days += 1
                rule_counts = Counter(SuspectRule(r).name.lower() for r in result.rule[sl].tolist() if r)
                report.rules.update(rule_counts)
                qc = codes(q)
                report.validated += int((qc == Quality.VALIDATED).sum())
                report.estimated += int((qc == Quality.ESTIMATED).sum())
                report.suspect += int((qc == Quality.SUSPECT).sum())
                report.missing += int((qc == Quality.MISSING).sum())
                version = series.versions.get(i)
                if version is None and (qc == Quality.MISSING).all():
                    continue
                if np.array_equal(v, series.values[sl]) and np.array_equal(q, series.quality[sl]):
                    continue
                reason = "vee" + (
                    ": " + ", ".join(f"{k}×{n}" for k, n in sorted(rule_counts.items())) if rule_counts else ""
                )
                new_blocks.append(NewBlock(cid, day, (version or 0) + 1, v.copy(), q.copy(), source, reason))
        report.versions_written = len(new_blocks)
        return new_blocks, report


def _export_obis(obis: str) -> str | None:
    """The OBIS code of the export register that goes with import register ``obis`` (None: not an import)."""
    for imp, exp in EXPORT_OF.items():
        if obis.startswith(imp):
            return exp + obis[len(imp) :]
    return None


def export_values(series: ChannelSeries) -> np.ndarray:
    """An export channel's energy per slot as evidence for its import sibling: NaN where it is missing or only
    estimated (an estimate is no measurement of production)."""
    code = codes(series.quality)
    known = (code != Quality.MISSING) & (code != Quality.ESTIMATED)
    return np.where(known, series.values.astype(np.float64), np.nan)


def _as_stored(nb: NewBlock) -> IntervalBlock:
    """A pending block version as the store would return it."""
    return IntervalBlock(
        nb.channel_id, nb.local_day, nb.version, int(nb.values.size), nb.values, nb.quality, _PENDING, nb.source,
        nb.reason,
    )  # fmt: skip


_PENDING = datetime(1970, 1, 1, tzinfo=UTC)


def series_of(layout: Layout, blocks: dict[date, IntervalBlock], reads: Sequence[RegisterRead]) -> ChannelSeries:
    """A channel's blocks and register reads laid out as one series (days without a block are missing; reads
    off the slot grid or outside the layout are dropped, the first of two for one instant kept)."""
    n = layout.size
    values = np.zeros(n, dtype=np.int64)
    quality = np.zeros(n, dtype=np.uint8)
    versions: dict[int, int] = {}
    for i, day in enumerate(layout.days):
        block = blocks.get(day)
        if block is None:
            continue
        versions[i] = block.version
        if not check_slot_count(day, block.slots, layout.interval_s):
            continue  # a block of the wrong DST length: treated as missing (rule DST_SLOTS in the report)
        sl = layout.day_slice(i)
        values[sl] = block.values
        quality[sl] = block.quality
    start0 = day_start_epoch(layout.days[0])
    pairs: dict[int, int] = {}
    for r in reads:
        offset = to_epoch(r.read_at) - start0
        if offset % layout.interval_s == 0 and 0 <= offset // layout.interval_s <= n:
            pairs.setdefault(offset // layout.interval_s, r.value)
    return ChannelSeries(layout, values, quality, versions, sorted(pairs.items()))


__all__ = [
    "EXPORT_OF",
    "ChannelSeries",
    "DayResult",
    "VeeReport",
    "VeeService",
    "export_values",
    "process",
    "series_of",
]
