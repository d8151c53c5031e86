"""VEE benchmark: validation recall / false flags and estimation accuracy on simulator data with injected faults.

Meters come from :func:`meterhub.sim.fleet.plan_fleet` (each with its own household seed); their A+ quarter
hours are the simulator's models over 7 weeks (4 weeks of history, 2 target weeks including the fall-back DST
day and a holiday, 1 week after). A :class:`~meterhub.sim.consumption.FaultScenario` injects missing intervals
(30 min … 12 h at different times of day), spikes (5 kWh and 100 kWh), negative jumps, stuck registers. The
*reported* readings (never the truth) go through the ingest path into a fresh SQLite store, then
:class:`~meterhub.mdm.vee_service.VeeService` validates and estimates the target weeks.

Figures (target weeks only):

* ``recall`` — faulty intervals (the scenario's ground truth from ``model_truth`` with each meter's seed, plus
  the intervals the store lacks) that VEE flagged (any quality but measured/validated); goal ≥ 0.98;
* ``recall_value_faults`` — the same over the spike / negative / stuck-register intervals only (a gap is
  flagged by being a gap);
* ``false_flag_rate`` — clean intervals flagged; goal ≤ 0.01;
* ``mape`` — Σ|estimate − truth| / Σ|truth| over the gap intervals; ``mape_profile_baseline`` the same for
  :func:`~meterhub.mdm.estimation.plain_profile_estimate` on the same slots with the same register reads;
  ``mape_reduction`` = 1 − mape / baseline (goal ≥ 0.20);
* ``channels_total_equal_register_delta`` — share of meters whose target-week interval total equals the
  reported register delta; goal ≥ 0.99.

Added figures (the goals above are unchanged): ``mape_oracle_shape`` — the same MAPE for an oracle that
spreads each gap's *true* energy by the model's noiseless shape (:meth:`ElectricityModel.noiseless_shape`:
the per-quarter noise off, the day's EV session, heating and PV yield known); ``households`` — ours, the
baseline and the oracle per household kind (``base``, ``ev``, ``pv``, ``heating``) with its share of the gap
energy; ``lag1_autocorrelation`` — persistence of the simulated load: lag-1 autocorrelation of the base-load
homes' true quarter hours' ratio to their own mean profile by wall slot and day type (a measured household:
0.76, see docs/architecture.md).

Deterministic (fixed seeds, no clock in the figures except ``seconds``). With 300 meters (≈ 9 s): recall 1.0,
false flags 0.005 %, totals equal for 100 % of meters, mape 0.2143 vs 0.2502 (**−14.4 %**, goal −20 %);
lag-1 autocorrelation 0.71. Per kind (share of gap energy, ours / baseline / shape oracle): base 64 %
0.183 / 0.200 / 0.181, EV 16 % 0.404 / 0.533 / 0.081, heating 13 % 0.109 / 0.111 / 0.102, PV 7 %
0.255 / 0.313 / 0.221. 1 000 meters: see docs/benchmarks.md.

History of the figure: 0.233 vs 0.266 (−12.2 %) with the simulator's earlier *white* per-quarter noise, where
nothing but the shape could be learnt (oracle on base-load homes 0.200 vs baseline 0.218). The simulator's
noise is now persistent like measured household load (lag-1 0.20 → 0.71, per-slot CV unchanged at ≈ 0.25
against the noiseless shape), and the estimator carries the deviation at a gap's edges into the gap
(kriging with the register delta as constraint, see :mod:`meterhub.mdm.estimation`): −14.4 %.

Why still not −20 %: the register delta fixes each gap's energy, so only the split inside it is estimated.
(1) Base-load homes carry two thirds of the gap energy and are at the bound already: 0.183 against 0.181 for
the noiseless-shape oracle, and ≈ 0.174 for that oracle with the edges carried in as well (measured offline);
a quarter hour's deviation from the shape is only predictable within about an hour of an edge (lag-4
correlation ≈ 0.2), and the gaps are 3–12 h long. So base homes cannot beat the baseline (0.200) by more
than ≈ 13 %. (2) EV homes: the oracle's 0.081 knows when the session started; nothing observable does (the
start is uniform over 17:30–19:45, and a gap swallows the whole session), so an 11 kW session of 2–6
quarter hours placed at the most likely start is still off by about its own energy (≈ 0.9 on those gaps).
With every kind at its oracle except EV the total would be ≈ 0.205 (−18 %). On a measured household's data
(UCI record, these gap lengths and times) the same methods give −10 % against the same baseline (see
docs/benchmarks.md), so the bar is above what this information supports, not an artefact of the simulator.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from meterhub.mdm.estimation import plain_profile_estimate
from meterhub.mdm.ingest import IngestService, ReadingArrays
from meterhub.mdm.quality import Quality, codes
from meterhub.mdm.vee import Layout
from meterhub.mdm.vee_service import series_of
from meterhub.sim import consumption as c
from meterhub.sim.fleet import plan_fleet
from meterhub.store.db import Store
from meterhub.store.intervals import day_range, day_start_epoch

HISTORY_FROM = dt.date(2026, 9, 21)
TARGET_FROM = dt.date(2026, 10, 19)
TARGET_TO = dt.date(2026, 11, 1)
AFTER_TO = dt.date(2026, 11, 8)
Q = 900


def _t(day: str, hhmm: str) -> str:
    offset = "+02:00" if day < "2026-10-25" else "+01:00"
    return f"{day}T{hhmm}:00{offset}"


def scenario() -> c.FaultScenario:
    """The injected faults: one kind per day so that windows of one meter never overlap."""
    faults: list[dict[str, Any]] = []
    gaps = [
        ("2026-10-19", "03:00", "03:30"),
        ("2026-10-20", "07:00", "08:00"),
        ("2026-10-21", "10:00", "13:00"),
        ("2026-10-22", "16:00", "22:00"),
        ("2026-10-24", "06:00", "18:00"),
        ("2026-10-25", "00:00", "05:00"),
        ("2026-10-27", "18:00", "21:00"),
        ("2026-10-29", "12:00", "14:00"),
        ("2026-10-31", "09:00", "15:00"),
        ("2026-11-01", "17:00", "23:00"),
    ]
    for k, (day, a, b) in enumerate(gaps):
        faults.append(
            {
                "type": "missing_intervals",
                "meters": {"fraction": 0.2, "seed": 100 + k},
                "start": _t(day, a),
                "end": _t(day, b),
            }
        )
    faults += [
        {"type": "spike", "meters": {"fraction": 0.06, "seed": 201}, "start": _t("2026-10-23", "19:00"),
         "end": _t("2026-10-23", "19:15"), "params": {"value": 100_000}},
        {"type": "spike", "meters": {"fraction": 0.06, "seed": 202}, "start": _t("2026-10-26", "11:00"),
         "end": _t("2026-10-26", "11:45"), "params": {"value": 5_000}},
        {"type": "negative", "meters": {"fraction": 0.06, "seed": 203}, "start": _t("2026-10-28", "08:00"),
         "end": _t("2026-10-28", "09:00"), "params": {"value": 3_000}},
        {"type": "stuck_register", "meters": {"fraction": 0.06, "seed": 204}, "start": _t("2026-10-30", "19:00"),
         "end": _t("2026-10-30", "23:00")},
        {"type": "stuck_register", "meters": {"fraction": 0.06, "seed": 205}, "start": _t("2026-10-20", "01:00"),
         "end": _t("2026-10-20", "05:00")},
    ]  # fmt: skip
    return c.FaultScenario.from_dict({"name": "vee benchmark", "faults": faults})


def household_kind(traits: c.HouseholdTraits) -> str:
    """``ev`` (charges an EV), ``pv`` (PV, no EV), ``heating`` (electric heating or a heat pump) or ``base``."""
    if traits.ev_kw:
        return "ev"
    if traits.pv_kwp:
        return "pv"
    return "heating" if traits.heat_pump or traits.electric_heating else "base"


def _oracle_shape(model: c.ElectricityModel, first: dt.datetime, keep: np.ndarray) -> np.ndarray:
    """The model's noiseless A+ shape on the intervals a missing reading removes (NaN elsewhere)."""
    out = np.full(keep.size - 1, np.nan)
    lost = ~(keep[:-1] & keep[1:])
    edges = np.diff(np.concatenate(([0], lost.astype(np.int8), [0])))
    for a, b in zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True):
        out[a:b] = model.noiseless_shape(first + dt.timedelta(seconds=Q * a), b - a)
    return out


def _spread_by(shape: np.ndarray, truth: np.ndarray, gap: np.ndarray) -> np.ndarray:
    """Each gap run's true energy spread by ``shape``: the oracle that knows the model's noiseless shape."""
    out = np.zeros(truth.size)
    edges = np.diff(np.concatenate(([0], gap.astype(np.int8), [0])))
    for a, b in zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True):
        w = np.nan_to_num(shape[a:b], nan=0.0)
        energy = float(truth[a:b].sum())
        out[a:b] = energy * w / w.sum() if w.sum() > 0 else energy / (b - a)
    return out


def _lag1_around_profile(truths: dict[str, np.ndarray], kinds: dict[str, str], layout: Layout) -> float:
    """Lag-1 autocorrelation (within days, pooled over base-load homes) of the true A+ quarter hours' ratio to
    the home's mean profile for the wall slot and day type over the 7 weeks: persistence of household load
    around its own profile (a measured household: 0.76, see docs/architecture.md)."""
    from meterhub.mdm.estimation import kept_matrix

    num = den_a = den_b = 0.0
    for serial, truth in truths.items():
        if kinds[serial] != "base":
            continue
        matrix = kept_matrix(truth, np.ones(truth.size, dtype=bool), layout)
        prof = np.zeros_like(matrix)
        for t in np.unique(layout.day_types).tolist():
            rows = layout.day_types == t
            prof[rows] = np.nanmean(matrix[rows], axis=0)
        ok = np.isfinite(matrix) & (prof > 0)
        ratio = np.where(ok, matrix / np.where(ok, prof, 1.0), np.nan)
        ratio -= np.nanmean(ratio)
        a, b = ratio[:, :-1], ratio[:, 1:]
        both = np.isfinite(a) & np.isfinite(b)
        num += float((a[both] * b[both]).sum())
        den_a += float((a[both] ** 2).sum())
        den_b += float((b[both] ** 2).sum())
    return num / np.sqrt(den_a * den_b) if den_a and den_b else 0.0


def run(meters: int = 300, **_options: Any) -> dict[str, Any]:
    """Build the scenario for ``meters`` meters, run VEE, and return the figures."""
    from meterhub.mdm.vee_service import VeeService

    started = time.perf_counter()
    plan = plan_fleet(meters, 0, seed=11)
    seeds = {m.serial: m.seed for m in plan.meters}
    scen = scenario()
    days = day_range(HISTORY_FROM, AFTER_TO)
    t0 = day_start_epoch(HISTORY_FROM)
    n = (day_start_epoch(AFTER_TO + dt.timedelta(days=1)) - t0) // Q
    first = dt.datetime.fromtimestamp(t0, dt.UTC)
    times = [first + dt.timedelta(seconds=Q * k) for k in range(n + 1)]
    epochs = t0 + Q * np.arange(n + 1, dtype=np.int64)
    layout = Layout.of(days, Q, [c.temperature_c(d) for d in days])
    target = (layout.day_index >= days.index(TARGET_FROM)) & (layout.day_index <= days.index(TARGET_TO))
    tgt_lo, tgt_hi = int(np.flatnonzero(target)[0]), int(np.flatnonzero(target)[-1]) + 1

    truths: dict[str, np.ndarray] = {}
    reported: dict[str, np.ndarray] = {}
    oracle_shapes: dict[str, np.ndarray] = {}  # the model's noiseless A+ shape on the gap slots (NaN elsewhere)
    kinds: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="meterhub-bench-vee-") as tmp:
        store = Store.open(Path(tmp))
        dso = store.add_dso("CREOS", "Creos Luxembourg")
        ingest = IngestService(store)
        channel_of: dict[str, int] = {}
        batches: list[tuple[int, ReadingArrays]] = []
        for m in plan.meters:
            traits = c.HouseholdTraits.draw(m.seed, m.serial)
            model = c.ElectricityModel(traits)
            truth = model.intervals(first, n)[:, 0]
            kinds[m.serial] = household_kind(traits)
            cum = int(model.register(first)[0]) + np.concatenate(([0], np.cumsum(truth)))
            rep = scen.reported_registers(m.serial, 1, times, cum)
            gone = scen.missing(m.serial, 1, times)
            keep = np.ones(n + 1, dtype=bool)
            keep[sorted(gone)] = False
            oracle_shapes[m.serial] = _oracle_shape(model, first, keep)
            meter_id = store.add_meter(m.serial, dso, model="E360", firmware="1")
            cid = store.add_channel(meter_id, "1.0.1.8.0.255", unit="Wh", interval_s=Q)
            channel_of[m.serial] = cid
            truths[m.serial] = truth
            reported[m.serial] = rep
            batches.append((cid, ReadingArrays(epochs[keep], rep[keep])))
        for i in range(0, len(batches), 50):
            ingest.ingest_many(batches[i : i + 50], source="bench")
        prepared = time.perf_counter()

        # the faulty intervals: ground truth of the scenario (channel A+), plus what the store lacks
        faulty: dict[str, set[int]] = {s: set() for s in seeds}
        value_faults: dict[str, set[int]] = {s: set() for s in seeds}  # spikes, negatives, stuck registers
        for r in scen.ground_truth(list(seeds), c.model_truth(seeds)):
            if r.channel == 1:
                k = (int(r.interval_start.timestamp()) - t0) // Q
                if tgt_lo <= k < tgt_hi:
                    faulty[r.serial].add(k)
                    if r.fault != "missing_intervals":
                        value_faults[r.serial].add(k)
        before: dict[str, Any] = {}
        with store.read() as conn:
            from meterhub.store import db

            blocks = db.current_blocks(conn, list(channel_of.values()), HISTORY_FROM, AFTER_TO)
        by_channel: dict[int, dict[dt.date, Any]] = {}
        for b in blocks:
            by_channel.setdefault(b.channel_id, {})[b.local_day] = b
        for serial, cid in channel_of.items():
            before[serial] = series_of(layout, by_channel.get(cid, {}), store.register_reads(cid))

        vee_started = time.perf_counter()
        service = VeeService(store, temperature=c.temperature_c)
        report = service.run(list(channel_of.values()), TARGET_FROM, TARGET_TO, until=times[-1])
        vee_s = time.perf_counter() - vee_started
        after: dict[str, Any] = {}
        by_channel_after: dict[int, dict[dt.date, Any]] = {}
        for b in store.current_blocks(list(channel_of.values()), HISTORY_FROM, AFTER_TO):
            by_channel_after.setdefault(b.channel_id, {})[b.local_day] = b
        for serial, cid in channel_of.items():
            after[serial] = series_of(layout, by_channel_after.get(cid, {}), [])
        store.close()

    tp = fn = fp = clean = value_tp = value_n = 0
    err = err_base = gap_true = 0.0
    equal = 0
    by_kind: dict[str, np.ndarray] = {}  # per household kind: Σ|ours|, Σ|baseline|, Σ|oracle|, Σ truth, meters
    for serial in seeds:
        pre, post = before[serial], after[serial]
        pre_code = codes(pre.quality)
        gap = target & (pre_code == Quality.MISSING)
        bad = np.zeros(n, dtype=bool)
        bad[sorted(faulty[serial])] = True
        bad |= gap
        post_code = codes(post.quality)
        flagged = target & ~((post_code == Quality.VALIDATED) | (post_code == Quality.MEASURED))
        tp += int((flagged & bad).sum())
        fn += int((~flagged & bad & target).sum())
        fp += int((flagged & ~bad & target).sum())
        clean += int((~bad & target).sum())
        vf = sorted(value_faults[serial])
        value_tp += int(flagged[vf].sum())
        value_n += len(vf)
        truth = truths[serial]
        err += float(np.abs(post.values[gap] - truth[gap]).sum())
        gap_true += float(np.abs(truth[gap]).sum())
        fill = target & (post_code == Quality.ESTIMATED)
        base = plain_profile_estimate(np.where(fill, 0, pre.values), fill, layout, reads=pre.reads)
        err_base += float(np.abs(base[gap] - truth[gap]).sum())
        oracle = _spread_by(oracle_shapes[serial], truth, gap)
        sums = by_kind.setdefault(kinds[serial], np.zeros(5))
        sums += [
            np.abs(post.values[gap] - truth[gap]).sum(),
            np.abs(base[gap] - truth[gap]).sum(),
            np.abs(oracle[gap] - truth[gap]).sum(),
            np.abs(truth[gap]).sum(),
            1,
        ]
        rep = reported[serial]
        equal += int(int(post.values[target].sum()) == int(rep[tgt_hi] - rep[tgt_lo]))
    mape = err / gap_true if gap_true else 0.0
    base_mape = err_base / gap_true if gap_true else 0.0
    total = np.sum(list(by_kind.values()), axis=0) if by_kind else np.zeros(5)
    households = {
        kind: {
            "meters": int(v[4]),
            "gap_energy_share": round(float(v[3] / total[3]), 3),
            "mape": round(float(v[0] / v[3]), 4),
            "mape_profile_baseline": round(float(v[1] / v[3]), 4),
            "mape_reduction": round(float(1 - v[0] / v[1]), 4),
            "mape_oracle_shape": round(float(v[2] / v[3]), 4),
        }
        for kind, v in sorted(by_kind.items())
        if v[3] > 0
    }
    return {
        "meters": meters,
        "target_intervals": int(target.sum()) * meters,
        "faulty_intervals": tp + fn,
        "recall": round(tp / max(tp + fn, 1), 5),
        "recall_value_faults": round(value_tp / max(value_n, 1), 5),
        "value_fault_intervals": value_n,
        "false_flag_rate": round(fp / max(clean, 1), 5),
        "mape": round(mape, 4),
        "mape_profile_baseline": round(base_mape, 4),
        "mape_reduction": round(1.0 - mape / base_mape, 4) if base_mape else 0.0,
        "mape_oracle_shape": round(float(total[2] / total[3]), 4) if total[3] else 0.0,
        "households": households,
        "lag1_autocorrelation": round(_lag1_around_profile(truths, kinds, layout), 3),
        "channels_total_equal_register_delta": round(equal / meters, 4),
        "rules": dict(sorted(report.rules.items())),
        "versions_written": report.versions_written,
        "vee_values_per_s": round(report.days * 96 / vee_s) if vee_s else 0,
        "prepare_s": round(prepared - started, 2),
        "seconds": round(time.perf_counter() - started, 2),
    }
