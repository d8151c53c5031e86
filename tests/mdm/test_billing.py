"""Billing reads (register deltas exactly), TOU determinants with Luxembourg holidays, gas m³ → kWh."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meterhub.mdm.billing import (
    SIMULATOR_CALENDAR,
    BillingError,
    GasConversion,
    GasFactors,
    TariffCalendar,
    apportion,
    billing_read,
    gas_energy,
    month_bounds,
    monthly_billing_read,
    network_determinants,
    overrun_split,
    register_at,
    tou_determinants,
)
from meterhub.mdm.edits import edit_intervals
from meterhub.mdm.ingest import IngestService, ReadingArrays
from meterhub.store import Store
from meterhub.store import db as sdb
from meterhub.store.intervals import LOCAL_TZ, day_start_epoch

Q = 900
H = 3600


_serial = itertools.count()


def new_channel(store: Store, interval_s: int = Q, medium: str = "electricity", area: str | None = None) -> int:
    parties = store.list_parties("dso")
    dso = parties[0].id if parties else store.add_dso("creos", "Creos")
    meter = store.add_meter(f"B{next(_serial):06d}", dso, model="E", firmware="1", medium=medium)  # type: ignore[arg-type]
    if area is not None:
        mp = store.add_metering_point(f"LU{next(_serial):010d}", dso, grid_area=area)
        store.install(mp, meter, datetime(2020, 1, 1, tzinfo=UTC))
    obis = "1.0.1.8.0.255" if medium == "electricity" else "0.1.24.2.1.255"
    return store.add_channel(meter, obis, unit="Wh" if medium == "electricity" else "l", interval_s=interval_s,
                             medium=medium)  # type: ignore[arg-type]  # fmt: skip


def local(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=LOCAL_TZ).astimezone(UTC)


def ingest_span(store: Store, ch: int, start: datetime, end: datetime, per_slot, interval_s: int = Q, r0: int = 10_000):
    """Cumulative readings from start to end (inclusive) with consumption per_slot(epoch array) per slot."""
    a, b = int(start.timestamp()), int(end.timestamp())
    starts = np.arange(a, b, interval_s, dtype=np.int64)
    vals = np.asarray(per_slot(starts), dtype=np.int64)
    epochs = np.append(starts, b)
    readings = r0 + np.concatenate(([0], np.cumsum(vals)))
    IngestService(store).ingest_profile(ch, ReadingArrays(epochs, readings.astype(np.int64)))
    return epochs, readings


def test_monthly_billing_read_is_the_register_delta(store: Store) -> None:
    ch = new_channel(store)
    start, end = month_bounds(2026, 6)
    assert start == datetime(2026, 5, 31, 22, tzinfo=UTC) and end == datetime(2026, 6, 30, 22, tzinfo=UTC)
    rng = np.random.default_rng(3)
    epochs, readings = ingest_span(store, ch, start, end, lambda s: rng.integers(0, 400, s.size))
    read = monthly_billing_read(store, ch, 2026, 6)
    assert read.consumption == int(readings[-1] - readings[0])
    assert read.start_source == "register:daily" and read.end_source == "register:daily"
    # on demand, mid-day: derived from the nearest daily read plus the intervals
    a, b = local(2026, 6, 10, 10, 15), local(2026, 6, 20, 17, 45)
    od = billing_read(store, ch, a, b)
    ia, ib = np.searchsorted(epochs, [int(a.timestamp()), int(b.timestamp())])
    assert od.consumption == int(readings[ib] - readings[ia])
    assert od.start_source == "intervals:daily"
    # a stored billing read at the instant wins
    with store.write() as conn:
        sdb.add_register_reads(conn, [sdb.RegisterRead(ch, a, "billing", int(readings[ia]), "hes")])
    assert register_at(store, ch, a).source == "register:billing"  # type: ignore[union-attr]


def test_billing_read_refused_without_data(store: Store) -> None:
    ch = new_channel(store)
    start, end = local(2026, 6, 1), local(2026, 6, 3)
    # readings for June 1 only: nothing establishes the register at the end of June 2
    ingest_span(store, ch, start, local(2026, 6, 2), lambda s: np.full(s.size, 10))
    with pytest.raises(BillingError, match="period end"):
        billing_read(store, ch, start, end)
    with pytest.raises(BillingError, match="slot grid"):
        billing_read(store, ch, start + timedelta(minutes=5), local(2026, 6, 2))
    with pytest.raises(BillingError, match="after it starts"):
        billing_read(store, ch, end, start)


def test_tou_calendar_weekdays_weekends_holidays_dst() -> None:
    cal = TariffCalendar()

    def peak_slots(day: date) -> int:
        lo = day_start_epoch(day)
        hi = day_start_epoch(day + timedelta(days=1))
        return int(cal.peak_mask(np.arange(lo, hi, Q, dtype=np.int64)).sum())

    assert peak_slots(date(2026, 6, 10)) == 64  # Wednesday 06:00–22:00
    assert peak_slots(date(2026, 6, 13)) == 0  # Saturday
    assert peak_slots(date(2026, 6, 23)) == 0  # National Day (a Tuesday)
    assert peak_slots(date(2026, 5, 14)) == 0  # Ascension Day
    assert peak_slots(date(2026, 5, 25)) == 0  # Whit Monday
    assert peak_slots(date(2026, 5, 9)) == 0  # Europe Day (a Saturday anyway)
    assert peak_slots(date(2025, 5, 9)) == 0  # Europe Day 2025, a Friday
    assert peak_slots(date(2026, 3, 30)) == 64  # Monday after spring forward
    assert peak_slots(date(2026, 12, 24)) == 64  # Christmas Eve is no public holiday …
    assert SIMULATOR_CALENDAR.is_peak_day(date(2026, 12, 24)) is False  # … but off-peak in the simulator
    assert cal.rate_of(local(2026, 6, 10, 21, 45)) == "T2" and cal.rate_of(local(2026, 6, 10, 22)) == "T1"
    assert cal.rate_of(local(2026, 6, 10, 5, 45)) == "T1" and cal.rate_of(local(2026, 6, 10, 6)) == "T2"
    custom = TariffCalendar(peak_from=datetime(2000, 1, 1, 7).time(), peak_to=datetime(2000, 1, 1, 20).time(),
                            weekends_off_peak=False, peak="HP", off_peak="HC")  # fmt: skip
    assert custom.rate_of(local(2026, 6, 13, 12)) == "HP" and custom.rate_of(local(2026, 6, 13, 6, 45)) == "HC"


def test_tou_determinants_reconcile_to_register_delta(store: Store) -> None:
    ch = new_channel(store)
    start, end = local(2026, 6, 22), local(2026, 6, 25)  # Mon, Tue (National Day), Wed
    ingest_span(store, ch, start, end, lambda s: np.full(s.size, 10))
    tou = tou_determinants(store, ch, start, end)
    assert tou.intervals == {"T1": 10 * (32 + 96 + 32), "T2": 10 * (64 + 64)}
    assert tou.billed == tou.intervals and tou.register_delta == 10 * 288 == tou.total
    # a manual edit that does not balance: the determinants still sum to the register delta
    edit_intervals(store, ch, {local(2026, 6, 22, 12): 500}, user="ops", reason="test")
    tou = tou_determinants(store, ch, start, end)
    assert tou.intervals["T2"] == 10 * 127 + 500
    assert tou.total == tou.register_delta == 2880


def test_tou_matches_the_simulator_registers(store: Store) -> None:
    """The simulator's meter keeps T1/T2 registers by its activity calendar: our determinants from its
    quarter-hour intervals must give exactly the same energies (Christmas to New Year, a DST-free window)."""
    from meterhub.sim import consumption as c

    model = c.ElectricityModel(c.HouseholdTraits.draw(7, "SIM0001"))
    ch = new_channel(store)
    start, end = local(2026, 12, 20), local(2027, 1, 4)
    n = int((end - start).total_seconds()) // Q
    vals = model.intervals(start, n)[:, 0]
    ingest_span(store, ch, start, end, lambda s: vals, r0=int(model.register(start)[0]))
    tou = tou_determinants(store, ch, start, end, SIMULATOR_CALENDAR)
    t_start, t_end = model.tou_registers(start), model.tou_registers(end)
    assert tou.register_delta == int(model.register(end)[0] - model.register(start)[0])
    assert tou.billed == {"T1": int(t_end[0] - t_start[0]), "T2": int(t_end[1] - t_start[1])}


def test_apportion() -> None:
    assert apportion(10, {"a": 1, "b": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}
    assert apportion(-7, {"a": 0, "b": 5}) == {"a": 0, "b": -7}
    assert apportion(5, {"a": 0, "b": 0}) == {"a": 3, "b": 2}
    assert sum(apportion(1001, {"x": 3, "y": 7, "z": 11}).values()) == 1001


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 1000),
    edits=st.lists(st.tuples(st.integers(0, 3 * 96), st.integers(0, 5000)), max_size=5),
    cut=st.integers(1, 3 * 96 - 1),
)
def test_billing_equals_register_delta_through_corrections(
    shared_store: Store, seed: int, edits: list, cut: int
) -> None:
    """Whatever the edits, consumption per period is the register delta, and so are the TOU determinants."""
    store = shared_store  # a new channel per example on one store per backend
    ch = new_channel(store)
    start, end = local(2026, 10, 24), local(2026, 10, 27)  # includes the 25-hour day
    rng = np.random.default_rng(seed)
    epochs, readings = ingest_span(store, ch, start, end, lambda s: rng.integers(0, 300, s.size))
    for i, value in edits:
        edit_intervals(store, ch, {datetime.fromtimestamp(int(epochs[i % (epochs.size - 1)]), UTC): value},
                       user="ops", reason="property")  # fmt: skip
    mid = datetime.fromtimestamp(int(epochs[cut]), UTC)
    for a, b, ia, ib in ((start, end, 0, -1), (start, mid, 0, cut), (mid, end, cut, -1)):
        read = billing_read(store, ch, a, b)
        tou = tou_determinants(store, ch, a, b)
        if a == start and b == end:
            assert read.consumption == int(readings[ib] - readings[ia])
        assert tou.total == read.consumption == tou.register_delta
    whole = billing_read(store, ch, start, end).consumption
    assert whole == billing_read(store, ch, start, mid).consumption + billing_read(store, ch, mid, end).consumption


def test_gas_conversion_per_area_and_month(store: Store) -> None:
    ch = new_channel(store, H, "gas", area="north")
    start, end = local(2026, 1, 30), local(2026, 2, 2)
    ingest_span(store, ch, start, end, lambda s: np.full(s.size, 100), interval_s=H)  # 100 l per hour
    conv = GasConversion(default=GasFactors.of("11.0", "1.0"))
    conv.set_month("north", 2026, 1, GasFactors.of("11.5", "0.95"))
    conv.set_month("north", 2026, 2, GasFactors.of("10.5", "0.98"))
    conv.set_month("south", 2026, 1, GasFactors.of("99", "1"))
    g = gas_energy(store, ch, start, end, conv)
    assert g.grid_area == "north" and g.volume_l == 100 * 72
    jan, feb = g.months
    assert (jan.month, jan.volume_l, feb.month, feb.volume_l) == (1, 4800, 2, 2400)
    assert jan.energy_wh == round(4800 * 0.95 * 11.5) and feb.energy_wh == round(2400 * 0.98 * 10.5)
    assert g.energy_wh == jan.energy_wh + feb.energy_wh
    # area override and fallbacks
    other = gas_energy(store, ch, start, end, conv, grid_area="elsewhere")
    assert other.energy_wh == 7200 * 11
    conv.areas["elsewhere"] = GasFactors.of("10", "0.5")
    assert gas_energy(store, ch, start, end, conv, grid_area="elsewhere").energy_wh == 7200 * 5
    assert conv.to_wh(1, None, 2026, 3) == 11  # 1 l × 11 kWh/m³ = 11 Wh


def test_network_overrun_split(store: Store) -> None:
    assert overrun_split([0, 700, 750, 900, -5], 900, 3.0) == (700 + 750 + 750, 150)
    assert overrun_split([1000], 3600, 0.5) == (500, 500)
    ch = new_channel(store)
    start, end = local(2026, 6, 10), local(2026, 6, 11)
    ingest_span(store, ch, start, end, lambda s: np.where(np.arange(s.size) % 10 == 0, 2000, 400))
    nd = network_determinants(store, ch, start, end, 7.0)  # 1750 Wh per quarter hour
    assert (nd.overrun_intervals, nd.peak_wh, nd.missing_slots) == (10, 2000, 0)
    assert nd.overrun_wh == 10 * 250 and nd.normal_wh + nd.overrun_wh == 10 * 2000 + 86 * 400
