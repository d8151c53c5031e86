"""A household with data for the home and live pages' tests, on the small market of :mod:`tests.api.world`: erin
(customer since 2024) at P4 (dsoA) with an electricity meter (A+ and A− at 1/4 h) and gas and water sub-meters
(hourly, litres), last July and May–July this year, the tests' clock at ``NOW`` (20 July 2025, 02:00 local).

The figures the tests work out from it:

- A+: 100 Wh a slot, except 01:00–05:00 at 45 Wh (180 W) until 5 July and 65 Wh (260 W) from 6 July; 15 July
  estimated. Last July 125 Wh every slot. 1–19 July: 5 · 8.72 + 14 · 9.04 = 170.16 kWh against 19 · 12 = 228 kWh:
  25 % less.
- A−: 300 Wh a slot 11:00–15:00 this year (4.8 kWh a day), nothing last year (no data for last year).
- gas: 100 l an hour this year (2.4 m³ a day, 45.6 m³), 150 l last July (68.4 m³): 33 % less; factors published
  for July 2025 only (11.2 kWh/m³, 0.97: 45.6 · 0.97 · 11.2 = 495.4 kWh).
- water: 20 l an hour 06:00–24:00 (360 l a day), and from 18 July 5 l in every night hour too — flowing without
  a break since 17 July 06:00 (66 hours to the end of the 19th); last July 360 l a day. 6 900 l against 6 840 l.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np

from meterhub.api.users import add_user
from meterhub.mdm.billing import GasFactors
from meterhub.mdm.gas_factors import set_gas_factors
from meterhub.store import NewBlock, Store, insert_blocks
from meterhub.store.intervals import LOCAL_TZ, day_bounds_epoch, day_range
from meterhub.store.p1 import P1Reading
from tests.api.world import PASSWORD, World

EAN = "LU0000000000000000000000000000P04"
SINCE = datetime(2024, 1, 1, tzinfo=UTC)
LAST_YEAR = (date(2024, 7, 1), date(2024, 7, 19))
THIS_YEAR = (date(2025, 5, 1), date(2025, 7, 19))


@dataclass
class Home:
    point: int
    user: str = "erin"


def _hours(day: date, interval_s: int) -> list[int]:
    lo, hi = day_bounds_epoch(day)
    return [datetime.fromtimestamp(e, LOCAL_TZ).hour for e in range(lo, hi, interval_s)]


def _blocks(ch: int, interval_s: int, span: tuple[date, date], value: Callable[[date, int], float],
            estimated: date | None = None) -> list[NewBlock]:  # fmt: skip
    out = []
    for day in day_range(*span):
        hours = _hours(day, interval_s)
        v = np.array([value(day, h) for h in hours], np.int64)
        q = np.full(len(hours), 3 if day == estimated else 1, np.uint8)
        out.append(NewBlock(ch, day, 1, v, q, "test"))
    return out


def add_home(store: Store, w: World) -> Home:
    """erin and P4 with the data of the module docstring."""
    dso = w.parties["dsoA"]
    erin = store.add_party("customer", "erin", "Erin Weber")
    point = store.add_metering_point(EAN, dso, grid_area="dsoA", address="12 rue des Prés, Mersch")
    store.move_in(point, erin, SINCE)
    add_user(store, "erin", PASSWORD, "customer", erin, SINCE)
    meter = store.add_meter("SIM0000004", dso, model="t", firmware="1", installed_at=SINCE)
    gas = store.add_meter("GAS0000004", dso, model="g", firmware="1", installed_at=SINCE, medium="gas",
                          parent_meter_id=meter, mbus_channel=1)  # fmt: skip
    water = store.add_meter("WAT0000004", dso, model="w", firmware="1", installed_at=SINCE, medium="water",
                            parent_meter_id=meter, mbus_channel=2)  # fmt: skip
    store.install(point, meter, SINCE)  # the sub-meters come with their parent
    a_plus = store.add_channel(meter, "1.0.1.8.0.255", unit="Wh", interval_s=900)
    a_minus = store.add_channel(meter, "1.0.2.8.0.255", unit="Wh", interval_s=900)
    gas_ch = store.add_channel(gas, "0.1.24.2.1.255", unit="l", interval_s=3600, medium="gas")
    water_ch = store.add_channel(water, "0.2.24.2.1.255", unit="l", interval_s=3600, medium="water")

    def a_plus_now(d: date, h: int) -> float:
        return (65 if d >= date(2025, 7, 6) else 45) if 1 <= h < 5 else 100

    def water_now(d: date, h: int) -> float:
        return 20 if h >= 6 else (5 if d >= date(2025, 7, 18) else 0)

    blocks = [
        *_blocks(a_plus, 900, THIS_YEAR, a_plus_now, estimated=date(2025, 7, 15)),
        *_blocks(a_plus, 900, LAST_YEAR, lambda d, h: 125),
        *_blocks(a_minus, 900, THIS_YEAR, lambda d, h: 300 if 11 <= h < 15 else 0),
        *_blocks(gas_ch, 3600, THIS_YEAR, lambda d, h: 100),
        *_blocks(gas_ch, 3600, LAST_YEAR, lambda d, h: 150),
        *_blocks(water_ch, 3600, THIS_YEAR, water_now),
        *_blocks(water_ch, 3600, LAST_YEAR, lambda d, h: 20 if h >= 6 else 0),
    ]
    with store.write() as conn:
        insert_blocks(conn, blocks, now=SINCE)
    set_gas_factors(store, None, 2025, 7, GasFactors(Decimal("11.2"), Decimal("0.97")), by="op")
    return Home(point)


def p1_record(at: datetime, import_w: tuple[int, int, int], export_w: tuple[int, int, int] = (0, 0, 0)) -> dict:
    """A forwarded telegram's record (the fields the live page reads)."""
    return {"timestamp": at.isoformat(), "frame_counter": 1, "meter": "LU0007", "tariff": 2,
            "energy_import_wh": 12_345_678, "energy_export_wh": 2_345_678,
            "power_import_w": sum(import_w), "power_export_w": sum(export_w),
            "power_import_phase_w": list(import_w), "power_export_phase_w": list(export_w),
            "voltage_v": [231.4, 229.8, 232.1], "current_a": [3, 2, 1]}  # fmt: skip


def add_p1(store: Store, point: int, at: datetime, import_w: tuple[int, int, int], n: int = 1) -> None:
    """``n`` telegrams ten seconds apart ending at ``at``."""
    rows = [P1Reading(point, "LU0007", "", t, i, p1_record(t, import_w), t)
            for i, t in enumerate(at - timedelta(seconds=10 * (n - 1 - k)) for k in range(n))]  # fmt: skip
    store.add_p1_readings(rows)
