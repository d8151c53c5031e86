"""VEE benchmark: validation recall / false flags and estimation accuracy per data source, on injected faults.

The outside check's layout: 28 local days across the spring DST switch (Mon 2026-03-16 … Sun 2026-04-12, the
23-hour day on 2026-03-29), ≈ 4–5 % of the intervals faulty (:mod:`benchmarks._vee_faults`: gaps of 30 min …
4 days, spikes, negative jumps, stuck registers, one-hour clock shifts, conflicting duplicates), the *reported*
readings imported day by day through :class:`~meterhub.mdm.ingest.IngestService` into a fresh SQLite store,
then one :meth:`~meterhub.mdm.vee_service.VeeService.run` over the 28 days ("imported, then ``vee run``"). The
truth is never shown to the platform. Sources (``sources`` in the JSON; each with ``electricity`` and, where it
has them, ``gas``):

* ``ours`` — our simulator (:mod:`meterhub.sim`: BDEW H0 × persistent noise with appliance events, block loads;
  hourly gas on degree days), ``meters`` fleet homes, their weather as temperature; the PV homes' export (A−,
  clean, not scored) on the same meter with ``export`` (the default; ``export=false``: their A+ alone, as
  before the export explained the import's zeros);
* ``uci`` — the UCI Sceaux household (measured, CC BY 4.0), its four springs 2007–2010, each with ``replicas``
  independent fault draws; no temperature;
* ``simbench`` — SimBench's household profiles H0-B/C/G/L (ODbL), spring 2016, ``replicas`` fault draws each;
* ``independent`` — the independent appliance-event / heating-model generator
  (:mod:`benchmarks.corpora.households`), ``meters`` electricity and ``meters`` hourly gas homes, its weather.

Figures per source and medium (``flagged`` = any quality but measured/validated after VEE):

* ``wmape`` — Σ|estimate − truth| / Σ truth over the gap intervals (kind ``gap``); ``wmape_plain_profile`` the
  same for :func:`~meterhub.mdm.estimation.plain_profile_estimate` (the channel's own mean profile per day
  type, scaled to the register delta) on the same slots with the same register reads; ``wmape_reduction`` =
  1 − wmape / wmape_plain_profile (goal ≥ 0.20); ``wmape_by_gap`` the pair by gap length (≤ 2 h, ≤ 1 day,
  longer);
* ``recall_by_kind`` — per fault kind the share of its intervals flagged (goal ≥ 0.98 each); ``duplicate`` on
  the channels whose import marks a conflicting pair (the two slots around the instant stored ``suspect`` with
  the duplicate rule: the interface the import gets), ``duplicate_unmarked`` on the others (today's path: one
  of the two readings kept, nothing said); ``clock_shift`` / ``clock_shift_unmarked`` likewise (a clock an
  hour off leaves an hour read twice at one end);
* ``false_flag_rate`` — clean intervals flagged (goal ≤ 0.01); ``false_flags_by_rule`` their count per rule
  (``estimated``: substituted);
* ``totals_equal_register_delta`` — share of channels whose 28-day total equals the reported register delta.

Deterministic (fixed seeds; ``seconds`` excepted). ``replicas`` and ``meters`` set the size; ``sources`` (comma
separated, default all) picks sources.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import corpora
from benchmarks._vee_faults import KINDS, Injected, inject
from meterhub.mdm import digest
from meterhub.mdm.estimation import plain_profile_estimate
from meterhub.mdm.ingest import IngestService, ReadingArrays
from meterhub.mdm.quality import Quality, SuspectRule, codes, quality_byte
from meterhub.mdm.vee import Layout
from meterhub.mdm.vee_service import ChannelSeries, VeeService, series_of
from meterhub.sim import consumption as c
from meterhub.sim.fleet import plan_fleet
from meterhub.store import db
from meterhub.store.db import Store
from meterhub.store.intervals import day_range, day_start_epoch

DAYS = day_range(corpora.FIRST, corpora.FIRST + dt.timedelta(days=corpora.DAYS - 1))
T0 = day_start_epoch(DAYS[0])
GAP_CLASSES = (("le_2h", 2 * 3600), ("le_1d", 86_400), ("days", 10**9))
OBIS = {"electricity": ("1.0.1.8.0.255", "Wh"), "gas": ("0.1.24.2.1.255", "l")}
A_MINUS = "1.0.2.8.0.255"
DUPLICATE = quality_byte(Quality.SUSPECT, SuspectRule.DUPLICATE)


def ours(meters: int, exports: dict[str, np.ndarray] | None = None) -> list[corpora.Truth]:
    """A+ of ``meters`` fleet homes and the hourly gas of those with gas, from our simulator's models (the PV
    homes' A− into ``exports``, by the A+ truth's name, if given)."""
    first = dt.datetime.fromtimestamp(T0, dt.UTC)
    out: list[corpora.Truth] = []
    for m in plan_fleet(meters, 0, seed=11).meters:
        traits = c.HouseholdTraits.draw(m.seed, m.serial)
        both = c.ElectricityModel(traits).intervals(first, _layout(900).size)
        a_plus = both[:, 0].astype(np.int64)
        if exports is not None and traits.pv_kwp:
            exports[f"ours-{m.serial}"] = both[:, 1].astype(np.int64)
        out.append(corpora.Truth(f"ours-{m.serial}", "electricity", 900, a_plus, np.zeros(a_plus.size, bool),
                                 c.temperature_c))  # fmt: skip
        if traits.gas:
            g = c.GasModel(traits).intervals(first, _layout(3600).size).astype(np.int64)
            out.append(corpora.Truth(f"ours-{m.serial}-gas", "gas", 3600, g, np.zeros(g.size, bool), c.temperature_c))
    return out


_LAYOUTS: dict[int, Layout] = {}


def _layout(interval_s: int) -> Layout:
    if interval_s not in _LAYOUTS:
        _LAYOUTS[interval_s] = Layout.of(DAYS, interval_s)
    return _LAYOUTS[interval_s]


def _day_batches(inj: Injected, interval_s: int) -> list[ReadingArrays]:
    """The channel's received readings per local day (midnight to midnight, both ends), as an import hands
    them to the ingest."""
    layout = _layout(interval_s)
    epochs = T0 + interval_s * np.arange(layout.size + 1, dtype=np.int64)
    out = []
    for d in range(len(DAYS)):
        sl = layout.day_slice(d)
        keep = np.zeros(layout.size + 1, dtype=bool)
        keep[sl.start : sl.stop + 1] = True
        keep &= inj.present
        out.append(ReadingArrays(epochs[keep], inj.reported[keep]))
    return out


def _mark_duplicates(store: Store, cid: int, inj: Injected, interval_s: int) -> None:
    """What the import will do with a conflicting pair: both slots around the instant stored ``suspect`` with
    the duplicate rule (as a new block version; the value kept is the one ``inj.reported`` holds)."""
    layout = _layout(interval_s)
    slots = sorted({s for b, _, _ in inj.conflicts for s in (b - 1, b) if 0 <= s < layout.size})
    if not slots:
        return
    days = sorted({int(layout.day_index[s]) for s in slots})
    blocks = {b.local_day: b for b in store.current_blocks([cid], DAYS[days[0]], DAYS[days[-1]])}
    new = []
    for d in days:
        block = blocks.get(DAYS[d])
        if block is None:
            continue
        quality = block.quality.copy()
        start = layout.day_slice(d).start
        for s in slots:
            if layout.day_index[s] == d and codes(quality[s - start : s - start + 1])[0] != Quality.MISSING:
                quality[s - start] = DUPLICATE
        new.append(db.NewBlock(cid, DAYS[d], block.version + 1, block.values.copy(), quality, "import", "duplicate"))
    with store.write() as conn:
        digest.write_blocks(conn, new, intervals={cid: interval_s})


def _series(store: Store, cid: int, interval_s: int, reads: bool) -> ChannelSeries:
    blocks = {b.local_day: b for b in store.current_blocks([cid], DAYS[0], DAYS[-1])}
    return series_of(_layout(interval_s), blocks, store.register_reads(cid) if reads else [])


def _gap_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


class _Score:
    """Running sums of one source and medium."""

    def __init__(self) -> None:
        self.err = self.err_plain = self.truth = 0.0
        self.by_gap = {name: np.zeros(3) for name, _ in GAP_CLASSES}
        kinds = (*KINDS, "clock_shift_unmarked", "duplicate_unmarked")
        self.hit = dict.fromkeys(kinds, 0)
        self.count = dict.fromkeys(kinds, 0)
        self.false = self.clean = self.equal = self.channels = self.intervals = self.faulty = 0
        self.false_by: dict[str, int] = {}

    def add(self, t: corpora.Truth, inj: Injected, pre: ChannelSeries, post: ChannelSeries, marked: bool) -> None:
        layout = pre.layout
        known = ~t.unknown
        flagged = ~np.isin(codes(post.quality), [Quality.VALIDATED, Quality.MEASURED])
        for kind in KINDS:
            mask = inj.kind(kind) & known
            name = kind if marked or kind not in ("duplicate", "clock_shift") else f"{kind}_unmarked"
            self.hit[name] += int((flagged & mask).sum())
            self.count[name] += int(mask.sum())
        clean = (inj.label == 0) & known
        self.false += int((flagged & clean).sum())
        for q in post.quality[flagged & clean].tolist():
            why = SuspectRule(q >> 3).name.lower() if q & 0x07 == Quality.SUSPECT else Quality(q & 0x07).name.lower()
            self.false_by[why] = self.false_by.get(why, 0) + 1
        self.clean += int(clean.sum())
        self.channels += 1
        self.intervals += int(known.sum())
        self.faulty += int(((inj.label != 0) & known).sum())
        self.equal += int(int(post.values.sum()) == int(inj.reported[-1] - inj.reported[0]))
        gap = inj.kind("gap") & (codes(pre.quality) == Quality.MISSING) & known
        fill = codes(pre.quality) == Quality.MISSING
        plain = plain_profile_estimate(np.where(fill, 0, pre.values), fill, layout, reads=pre.reads)
        e, p, v = np.abs(post.values - t.values), np.abs(plain - t.values), np.abs(t.values).astype(np.float64)
        self.err += float(e[gap].sum())
        self.err_plain += float(p[gap].sum())
        self.truth += float(v[gap].sum())
        for a, b in _gap_runs(gap):
            seconds = (b - a) * layout.interval_s
            name = next(n for n, limit in GAP_CLASSES if seconds <= limit)
            self.by_gap[name] += [e[a:b].sum(), p[a:b].sum(), v[a:b].sum()]

    def figures(self) -> dict[str, Any]:
        def ratio(a: float, b: float) -> float:
            return round(a / b, 4) if b else 0.0

        return {
            "channels": self.channels,
            "faulty_share": ratio(self.faulty, self.intervals),
            "wmape": ratio(self.err, self.truth),
            "wmape_plain_profile": ratio(self.err_plain, self.truth),
            "wmape_reduction": round(1 - self.err / self.err_plain, 4) if self.err_plain else 0.0,
            "wmape_by_gap": {
                name: {
                    "wmape": ratio(v[0], v[2]),
                    "wmape_plain_profile": ratio(v[1], v[2]),
                    "gap_energy_share": ratio(v[2], self.truth),
                }
                for name, v in self.by_gap.items()
                if v[2]
            },
            "recall_by_kind": {k: ratio(self.hit[k], self.count[k]) for k in self.hit if self.count[k]},
            "intervals_by_kind": {k: n for k, n in self.count.items() if n},
            "false_flag_rate": round(self.false / self.clean, 5) if self.clean else 0.0,
            "false_flags_by_rule": dict(sorted(self.false_by.items())),
            "totals_equal_register_delta": ratio(self.equal, self.channels),
        }


def _run_source(
    store: Store,
    dso: int,
    name: str,
    truths: Sequence[corpora.Truth],
    seed: int,
    index: int,
    exports: Mapping[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    ingest = IngestService(store)
    channels: list[tuple[corpora.Truth, Injected, int, bool]] = []
    extra: list[tuple[int, list[ReadingArrays]]] = []
    for i, t in enumerate(truths):
        layout = _layout(t.interval_s)
        dst_slot = int(layout.offsets[DAYS.index(corpora.DST_SUNDAY)]) + 2 * 3600 // t.interval_s  # 02:00 CET
        inj = inject(t.values, t.interval_s, np.random.default_rng([seed, index, i]), dst_slot=dst_slot)
        meter = store.add_meter(f"{name}-{i:04d}", dso, model="bench", firmware="1", medium=t.medium)  # type: ignore[arg-type]
        obis, unit = OBIS[t.medium]
        cid = store.add_channel(meter, obis, unit=unit, interval_s=t.interval_s, medium=t.medium)  # type: ignore[arg-type]
        channels.append((t, inj, cid, i % 2 == 0))
        if exports and t.name in exports:  # the meter's clean export register: evidence, not scored
            export = exports[t.name]
            xid = store.add_channel(meter, A_MINUS, unit="Wh", interval_s=t.interval_s)
            clean = Injected(np.concatenate(([0], np.cumsum(export))).astype(np.int64),
                             np.ones(export.size + 1, bool), np.zeros(export.size, np.int8))  # fmt: skip
            extra.append((xid, _day_batches(clean, t.interval_s)))
    batches = [(cid, _day_batches(inj, t.interval_s)) for t, inj, cid, _ in channels] + extra
    for d in range(len(DAYS)):
        ingest.ingest_many([(cid, days[d]) for cid, days in batches], "import")
    for t, inj, cid, marked in channels:
        if marked:
            _mark_duplicates(store, cid, inj, t.interval_s)
    pre = {cid: _series(store, cid, t.interval_s, reads=True) for t, _, cid, _ in channels}
    temperature: Callable[[dt.date], float] | None = truths[0].temperature if truths else None
    started = time.perf_counter()
    VeeService(store, temperature=temperature).run(
        [cid for _, _, cid, _ in channels], DAYS[0], DAYS[-1],
        until=dt.datetime.fromtimestamp(day_start_epoch(DAYS[-1] + dt.timedelta(days=2)), dt.UTC),
    )  # fmt: skip
    vee_s = time.perf_counter() - started
    scores: dict[str, _Score] = {}
    for t, inj, cid, marked in channels:
        scores.setdefault(t.medium, _Score()).add(t, inj, pre[cid], _series(store, cid, t.interval_s, False), marked)
    return {medium: s.figures() for medium, s in sorted(scores.items())} | {"vee_s": round(vee_s, 2)}


def run(
    meters: int = 60, replicas: int = 12, seed: int = 7, export: bool = True, sources: str = "", **_options: Any
) -> dict[str, Any]:
    """All sources (or those named in ``sources``) with ``meters`` homes (ours, independent) and ``replicas``
    fault draws per measured record; ``export``: the PV homes of ``ours`` with their A− channel."""
    started = time.perf_counter()
    lay = _layout(900)
    measured = corpora.measured(lay.day_index, lay.wall)
    exports: dict[str, np.ndarray] = {}
    make: dict[str, Callable[[], list[corpora.Truth]]] = {
        "ours": lambda: ours(meters, exports if export else None),
        "uci": lambda: measured["uci"] * replicas,
        "simbench": lambda: measured["simbench"] * replicas,
        "independent": lambda: corpora.independent(meters),
    }
    chosen = [n.strip() for n in str(sources).split(",") if n.strip()] or list(make)
    unknown = sorted(set(chosen) - set(make))
    if unknown:
        raise ValueError(f"unknown sources {unknown} (known: {', '.join(make)})")
    truths_of = {n: make[n]() for n in make if n in chosen}
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="meterhub-bench-vee-") as tmp:
        store = Store.open(Path(tmp))
        dso = store.add_dso("CREOS", "Creos Luxembourg")
        for index, name in enumerate(make):  # the index seeds the faults: the same per source whatever is chosen
            if name in truths_of:
                out[name] = _run_source(store, dso, name, truths_of[name], seed, index, exports)
        store.close()
    return {
        "goal": {"wmape_reduction": 0.2, "recall_by_kind": 0.98, "false_flag_rate": 0.01,
                 "totals_equal_register_delta": 1.0},
        "days": [str(DAYS[0]), str(DAYS[-1])],
        "sources": out,
        "seconds": round(time.perf_counter() - started, 2),
    }  # fmt: skip
