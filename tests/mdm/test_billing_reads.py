"""Stored billing reads (SQLite and PostgreSQL): consumption = register delta exactly, idempotent monthly runs,
corrections as new versions, sent versions never changed, gas energy with the stored factors."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from meterhub.mdm.billing import BillingError, GasFactors, month_bounds
from meterhub.mdm.billing_reads import (
    billable_channels,
    establish,
    establish_monthly,
    get_read,
    list_reads,
    mark_sent,
    run_monthly,
    save,
)
from meterhub.mdm.edits import edit_intervals
from meterhub.mdm.gas_factors import GasFactorError, conversion, list_gas_factors, set_gas_factors
from meterhub.store import Store
from meterhub.store import db as sdb
from meterhub.store import schema as t
from tests.mdm.test_billing import H, ingest_span, local, new_channel

T0 = datetime(2026, 7, 2, 8, tzinfo=UTC)


def june(store: Store, ch: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    start, end = month_bounds(2026, 6)
    rng = np.random.default_rng(seed)
    return ingest_span(store, ch, start, end, lambda s: rng.integers(0, 400, s.size))


def count_rows(store: Store, table: sa.Table) -> int:
    with store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_monthly_read_is_stored_once_and_a_correction_is_a_new_version(store: Store) -> None:
    ch = new_channel(store)
    _, readings = june(store, ch)
    est = establish_monthly(store, ch, 2026, 6, tou="national")
    assert est.consumption == int(readings[-1] - readings[0]) == est.end_value - est.start_value
    assert sum(r.billed for r in est.rates) == est.consumption and [r.rate for r in est.rates] == ["T1", "T2"]
    [first] = save(store, [est], computed_by="billing", now=T0)
    assert first.status == "stored" and first.stored.version == 1 and first.stored.read == est
    # the same run again stores nothing
    again = save(store, [establish_monthly(store, ch, 2026, 6, tou="national")], computed_by="billing")
    assert [s.status for s in again] == ["unchanged"] and again[0].stored.id == first.stored.id
    assert count_rows(store, t.billing_read) == 1 and count_rows(store, t.billing_read_rate) == 2
    # a manual edit moves energy between the rates (the midnight register reads keep the delta)
    edit_intervals(store, ch, {local(2026, 6, 10, 12): 5000}, user="anna", reason="meter test", now=T0)
    corrected = establish_monthly(store, ch, 2026, 6, tou="national")
    assert corrected.consumption == est.consumption and corrected.rates != est.rates
    assert sum(r.billed for r in corrected.rates) == corrected.consumption
    [second] = save(store, [corrected], computed_by="billing", now=T0 + timedelta(hours=1))
    assert second.status == "corrected" and second.stored.version == 2 and second.previous == first.stored
    assert not second.supersedes_sent
    versions = list_reads(store, [ch])
    assert [v.version for v in versions] == [1, 2] and versions[0].read == est and versions[1].read == corrected
    assert versions[0].computed_at == T0 and versions[0].computed_by == "billing"
    assert [v.version for v in list_reads(store, [ch], current_only=True)] == [2]
    assert list_reads(store, [ch], kind="on_demand") == []


def test_consumption_is_the_register_delta_even_in_the_database(store: Store) -> None:
    ch = new_channel(store)
    june(store, ch)
    [saved] = save(store, [establish_monthly(store, ch, 2026, 6)], computed_by="billing")
    with store.read() as conn:
        row = conn.execute(sa.select(t.billing_read)).one()
    assert row.consumption == row.end_value - row.start_value == saved.stored.read.consumption
    start, end = month_bounds(2026, 5)
    bad = {
        "channel_id": ch, "kind": "monthly", "period_start": start, "period_end": end, "version": 1,
        "start_value": 10, "start_source": "x", "end_value": 20, "end_source": "x", "consumption": 11, "unit": "Wh",
        "computed_at": T0, "computed_by": "x",
    }  # fmt: skip
    with pytest.raises(sa.exc.IntegrityError), store.write() as conn:
        conn.execute(t.billing_read.insert().values(**bad))
    with pytest.raises(sa.exc.IntegrityError), store.write() as conn:  # one version number per read
        clash = {**bad, "consumption": 10, "period_start": saved.stored.read.start, "period_end": saved.stored.read.end}
        conn.execute(t.billing_read.insert().values(**clash))
    assert count_rows(store, t.billing_read) == 1


def test_a_sent_read_never_changes_and_its_correction_is_flagged(store: Store) -> None:
    ch = new_channel(store)
    june(store, ch)
    [v1] = save(store, [establish_monthly(store, ch, 2026, 6)], computed_by="billing", now=T0)
    sent = mark_sent(store, v1.stored.id, "enovos", at=T0 + timedelta(days=1))
    assert sent.sent_to == "enovos" and get_read(store, v1.stored.id) == sent
    with pytest.raises(BillingError, match="already sent"):
        mark_sent(store, v1.stored.id, "other")
    # the meter's own billing register read at the period end differs from the daily read: it wins
    end = month_bounds(2026, 6)[1]
    with store.write() as conn:
        sdb.add_register_reads(conn, [sdb.RegisterRead(ch, end, "billing", v1.stored.read.end_value + 7, "hes")])
    [v2] = save(store, [establish_monthly(store, ch, 2026, 6)], computed_by="billing")
    assert v2.status == "corrected" and v2.supersedes_sent and v2.stored.version == 2
    assert (
        v2.stored.read.consumption == v1.stored.read.consumption + 7 and v2.stored.read.end_source == "register:billing"
    )
    # the sent version is still there, unchanged
    old = get_read(store, v1.stored.id)
    assert old is not None and old.read == v1.stored.read and old.sent_to == "enovos"
    with pytest.raises(BillingError, match="no stored billing read"):
        mark_sent(store, 999_999, "enovos")
    # a register read of lower priority at the same instant changes nothing
    with store.write() as conn:
        sdb.add_register_reads(conn, [sdb.RegisterRead(ch, end, "interval", 0, "hes")])
    assert save(store, [establish_monthly(store, ch, 2026, 6)], computed_by="billing")[0].status == "unchanged"
    # a later correction (a billing register read at the start): v2 was never sent, v3 still supersedes v1
    start = month_bounds(2026, 6)[0]
    with store.write() as conn:
        sdb.add_register_reads(conn, [sdb.RegisterRead(ch, start, "billing", v1.stored.read.start_value - 1, "hes")])
    [v3] = save(store, [establish_monthly(store, ch, 2026, 6)], computed_by="billing")
    assert (
        v3.stored.version == 3 and v3.supersedes_sent and v3.stored.read.consumption == v2.stored.read.consumption + 1
    )
    with pytest.raises(BillingError, match="superseded by version 3"):
        mark_sent(store, v2.stored.id, "enovos")
    assert mark_sent(store, v3.stored.id, "enovos").sent_at is not None
    assert [(r.version, r.sent_to) for r in list_reads(store, [ch])] == [(1, "enovos"), (2, None), (3, "enovos")]


def test_gas_energy_with_the_stored_factors_per_month(store: Store) -> None:
    ch = new_channel(store, H, "gas", area="north")
    start, end = local(2026, 1, 30), local(2026, 2, 2)
    ingest_span(store, ch, start, end, lambda s: np.full(s.size, 100), interval_s=H)  # 100 l per hour
    with pytest.raises(BillingError, match="no gas conversion factors for 2026-01 in grid area north"):
        establish(store, ch, start, end)
    set_gas_factors(store, None, 2026, 1, GasFactors.of("11.5", "0.95"), by="ops", now=T0)
    set_gas_factors(store, "north", 2026, 2, GasFactors.of("10.5", "0.98"), by="ops", now=T0)
    set_gas_factors(store, "south", 2026, 2, GasFactors.of("9", "1"), by="ops", now=T0)
    est = establish(store, ch, start, end)
    assert est.grid_area == "north" and est.consumption == 7200 and est.unit == "l"
    jan, feb = est.gas_months
    assert (jan.volume, jan.factors_area, feb.volume, feb.factors_area) == (4800, "*", 2400, "north")
    assert jan.energy_wh == round(4800 * 0.95 * 11.5) and feb.energy_wh == round(2400 * 0.98 * 10.5)
    assert est.gas_energy_wh == jan.energy_wh + feb.energy_wh
    [s1] = save(store, [est], computed_by="ops")
    assert list_reads(store, [ch])[0].read == est  # decimals and months read back exactly
    # new factors for February: a new version with the new energy, the old one kept
    set_gas_factors(store, "north", 2026, 2, GasFactors.of("10.6", "0.98"), by="ops2")
    [s2] = save(store, [establish(store, ch, start, end)], computed_by="ops")
    assert s2.status == "corrected" and s2.stored.read.gas_energy_wh == jan.energy_wh + 24931  # 2400 l × 0.98 × 10.6
    assert [r.read.gas_energy_wh for r in list_reads(store, [ch])] == [est.gas_energy_wh, s2.stored.read.gas_energy_wh]
    assert s1.stored.version == 1 and s2.stored.version == 2
    entries = list_gas_factors(store)
    assert [(e.grid_area, e.month, e.set_by) for e in entries] == [
        (None, 1, "ops"),
        ("north", 2, "ops2"),
        ("south", 2, "ops"),
    ]
    assert conversion(store).factors("elsewhere", 2026, 1) == GasFactors.of("11.5", "0.95")
    with pytest.raises(BillingError, match="TOU determinants are made for active energy"):
        establish(store, ch, start, end, tou="national")


def test_gas_factor_validation(store: Store) -> None:
    for area, y, m, f, match in (
        ("north", 2026, 13, GasFactors.of("11", "1"), "not a month"),
        ("north", 2026, 1, GasFactors.of("0", "1"), "calorific value"),
        ("north", 2026, 1, GasFactors.of("11", "3"), "volume-correction"),
        ("*", 2026, 1, GasFactors.of("11", "1"), "not a grid area"),
    ):
        with pytest.raises(GasFactorError, match=match):
            set_gas_factors(store, area, y, m, f, by="ops")
    with pytest.raises(GasFactorError, match="user"):
        set_gas_factors(store, "north", 2026, 1, GasFactors.of("11", "1"), by=" ")
    assert list_gas_factors(store) == []


def test_monthly_run_refuses_what_cannot_be_billed_exactly(store: Store) -> None:
    good, empty = new_channel(store), new_channel(store)
    june(store, good)
    # the second channel has data only until 20 June: no register value at the end of the month
    ingest_span(store, empty, month_bounds(2026, 6)[0], local(2026, 6, 20), lambda s: np.full(s.size, 3))
    channels = [c for c in billable_channels(store, before=month_bounds(2026, 6)[1]) if c.id in (good, empty)]
    ticks: list[int] = []
    out = run_monthly(store, channels, 2026, 6, computed_by="billing", chunk=1, progress=ticks.append)
    assert [s.stored.read.channel_id for s in out.saved] == [good] and out.count("stored") == 1
    assert [c for c, _ in out.refused] == [empty] and "period end" in out.refused[0][1]
    assert list_reads(store, [empty]) == [] and ticks == [1, 1]
    again = run_monthly(store, channels, 2026, 6, computed_by="billing")
    assert again.count("unchanged") == 1 and again.count("stored") == 0 and len(again.refused) == 1
    assert count_rows(store, t.billing_read) == 1


def test_on_demand_read_as_of_before_an_edit(store: Store) -> None:
    ch = new_channel(store)
    june(store, ch)
    a, b = local(2026, 6, 10, 10, 15), local(2026, 6, 10, 18)
    ingested = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    before = establish(store, ch, a, b, tou="national")
    edit_intervals(store, ch, {local(2026, 6, 10, 12): 9999}, user="anna", reason="x", now=ingested + timedelta(days=1))
    after = establish(store, ch, a, b, tou="national")
    then = establish(store, ch, a, b, tou="national", as_of=ingested + timedelta(hours=1, microseconds=5))
    assert after.consumption != before.consumption and then.figures()[:-1] == before.figures()[:-1]
    saved = save(store, [before, after, then], computed_by="ops")
    assert [s.status for s in saved] == ["stored", "corrected", "corrected"]
    assert [r.read.as_of for r in list_reads(store, [ch])] == [None, None, ingested + timedelta(hours=1)]


def test_concurrent_runs_store_one_version(store: Store) -> None:
    """Two writers storing the same new read at once: one stores it, the other finds it (PostgreSQL: the
    unique key makes the second retry; SQLite: BEGIN IMMEDIATE makes it wait)."""
    ch = new_channel(store)
    june(store, ch)
    est = establish_monthly(store, ch, 2026, 6, tou="national")
    barrier = threading.Barrier(4)
    statuses: list[str] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            statuses.extend(s.status for s in save(store, [est], computed_by="billing"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == [] and sorted(statuses) == ["stored", "unchanged", "unchanged", "unchanged"]
    assert [v.version for v in list_reads(store, [ch])] == [1]
