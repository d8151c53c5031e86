"""VEE on prosumers: a PV home's import (A+, 1.0.1.8.0) is legitimately zero while its export (A−, 1.0.2.8.0)
counts; the zero-run and stuck-register rules take the same meter's export as evidence.

A simulated PV household (:func:`meterhub.sim.consumption.traits.first_households`) is read clean over four
weeks of history and a June week (and a January fortnight), ingested plainly and validated by
:meth:`VeeService.run` on SQLite and PostgreSQL: no false zero-run or stuck-register flag; a register really
stuck at night (zeros while the export is zero too and the history consumes) is still flagged; the same A+
values on a meter without an export channel are judged exactly as before.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import numpy as np
import pytest

from meterhub.mdm.ingest import IngestService, ReadingArrays
from meterhub.mdm.quality import Quality, SuspectRule, codes
from meterhub.mdm.vee import Layout, RuleBook, explained_zeros, validate
from meterhub.mdm.vee_service import VeeService
from meterhub.sim import consumption as c
from meterhub.sim.consumption.traits import first_households
from meterhub.store import Store
from meterhub.store.intervals import day_bounds_epoch, day_range

Q = 900
A_PLUS, A_MINUS = "1.0.1.8.0.255", "1.0.2.8.0.255"
ZERO_RULES = (SuspectRule.ZERO_RUN, SuspectRule.STUCK_REGISTER)


def _pv_home() -> c.HouseholdTraits:
    return first_households(11, {"pv": lambda t: t.pv_kwp > 2.0})["pv"]


def _cumulative(first: date, last: date) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Epochs of every quarter-hour boundary of ``first..last`` and the PV home's A+ and A− registers there."""
    t0, t1 = day_bounds_epoch(first)[0], day_bounds_epoch(last)[1]
    start = datetime.fromtimestamp(t0, UTC)
    model = c.ElectricityModel(_pv_home())
    iv = model.intervals(start, (t1 - t0) // Q).astype(np.int64)
    reg = model.register(start).astype(np.int64)
    cum = [reg[ch] + np.concatenate(([0], np.cumsum(iv[:, ch]))) for ch in (0, 1)]
    return np.arange(t0, t1 + 1, Q, dtype=np.int64), cum[0], cum[1]


def _zero_flags(store: Store, cid: int, first: date, last: date) -> tuple[int, int]:
    """(zero-run or stuck-register slots, suspect-or-estimated slots) of the channel's current blocks (the rules
    of substituted slots are named in the VEE version's reason, e.g. ``vee: zero_run×52``)."""
    flagged = replaced = 0
    for b in store.current_blocks([cid], first, last):
        found = re.findall(r"(zero_run|stuck_register)×(\d+)", b.reason or "")
        flagged += sum(int(n) for _, n in found)
        replaced += int(np.isin(codes(b.quality), [Quality.SUSPECT, Quality.ESTIMATED]).sum())
    return flagged, replaced


def _provision(store: Store, serial: str, export: bool) -> tuple[int, int | None]:
    dso = store.add_dso(f"D{serial}", "DSO")
    meter = store.add_meter(serial, dso, model="E360", firmware="1")
    a_plus = store.add_channel(meter, A_PLUS, unit="Wh", interval_s=Q)
    a_minus = store.add_channel(meter, A_MINUS, unit="Wh", interval_s=Q) if export else None
    return a_plus, a_minus


def _run(store: Store, cids: list[int], first: date, last: date) -> None:
    VeeService(store).run(cids, first, last, until=datetime.fromtimestamp(day_bounds_epoch(last)[1], UTC))


MONTHS = {  # target days, first day of history
    "june": ((date(2026, 6, 1), date(2026, 6, 30)), date(2026, 5, 4)),
    "january": ((date(2026, 1, 5), date(2026, 1, 31)), date(2025, 12, 8)),
}


@pytest.mark.parametrize("month", list(MONTHS))
def test_clean_pv_home_has_no_zero_flags_with_its_export(store: Store, month: str) -> None:
    (first, last), history_from = MONTHS[month]
    epochs, a_plus, a_minus = _cumulative(history_from, last)
    plus, minus = _provision(store, "PV0001", export=True)
    bare, _ = _provision(store, "NOPV001", export=False)  # the same A+ without its export: as before
    assert minus is not None
    IngestService(store).ingest_many(
        [(plus, ReadingArrays(epochs, a_plus)), (minus, ReadingArrays(epochs, a_minus)),
         (bare, ReadingArrays(epochs, a_plus))], "import",
    )  # fmt: skip
    _run(store, [plus, minus, bare], history_from, last)
    assert _zero_flags(store, plus, first, last) == (0, 0)  # clean data: nothing flagged at all
    with_export, _ = _zero_flags(store, plus, history_from, last)
    without_export, _ = _zero_flags(store, bare, history_from, last)
    assert with_export == 0 and without_export > 0  # the baseline's false flags (zero runs, stuck registers)


def test_stuck_register_at_night_on_a_pv_home_is_still_flagged(store: Store) -> None:
    first, day = date(2026, 5, 11), date(2026, 6, 10)
    epochs, a_plus, a_minus = _cumulative(first, day)
    t_day = day_bounds_epoch(day)[0]
    k = (t_day - int(epochs[0])) // Q + 4  # 01:00 local: the register stops for 3 h, then catches up
    a_plus = a_plus.copy()
    a_plus[k : k + 12] = a_plus[k]
    assert (np.diff(a_minus)[k : k + 12] == 0).all()  # night: the export is zero too
    plus, minus = _provision(store, "PV0002", export=True)
    assert minus is not None
    IngestService(store).ingest_many(
        [(plus, ReadingArrays(epochs, a_plus)), (minus, ReadingArrays(epochs, a_minus))], "import"
    )
    _run(store, [plus, minus], day, day)
    block = store.current_blocks([plus], day, day)[0]
    estimated = np.flatnonzero(codes(block.quality) == Quality.ESTIMATED)
    assert set(range(4, 16)) <= set(estimated.tolist())  # the 11 zeros from 01:00 and the catch-up slot …
    assert "stuck_register×12" in (block.reason or "")  # … replaced, as a stuck register


def _layout_and_series(first: date, last: date) -> tuple[Layout, np.ndarray, np.ndarray]:
    _, a_plus, a_minus = _cumulative(first, last)
    return Layout.of(day_range(first, last), Q), np.diff(a_plus), np.diff(a_minus)


def test_validate_without_export_is_unchanged_and_export_only_removes_zero_flags() -> None:
    first, last = date(2026, 5, 4), date(2026, 6, 30)
    layout, a_plus, a_minus = _layout_and_series(first, last)
    rules = RuleBook().rules_for("CREOS", "electricity", A_PLUS)
    target = layout.day_index >= 28
    quality = np.full(layout.size, Quality.MEASURED, np.uint8)
    before = validate(a_plus, quality, layout, rules, target)
    none = validate(a_plus, quality, layout, rules, target, export=None)
    after = validate(a_plus, quality, layout, rules, target, export=a_minus.astype(np.float64))
    assert np.array_equal(before.rule, none.rule) and np.array_equal(before.substitute, none.substitute)
    assert np.isin(before.rule, ZERO_RULES).sum() > 1000  # a June week of PV zeros, all flagged before
    assert not np.isin(after.rule, ZERO_RULES).any()
    changed = before.rule != after.rule
    assert np.isin(before.rule[changed], ZERO_RULES).all() and (after.rule[changed] == 0).all()
    unknown = validate(a_plus, quality, layout, rules, target, export=np.full(layout.size, np.nan))
    assert np.array_equal(unknown.rule, before.rule)  # an export never read is no evidence


def test_explained_zeros_spans_first_to_last_exporting_slot_of_each_run() -> None:
    zeros = np.array([0, 1, 1, 1, 1, 1, 0, 1, 1, 0], dtype=bool)
    export = np.array([5, 0, 3, 0, 2, 0, 9, 0, 0, np.nan])
    assert explained_zeros(zeros, export).tolist() == [False, False, True, True, True] + [False] * 5
