"""A small fleet for the comparison's tests: 25 homes with a quarter-hour A+ channel from 1 March to 31 May 2025,
each using a constant ``w`` Wh every quarter-hour (so a month's kWh is ``w`` × its slots / 1000):

* A0 … A19: 2 persons, gas, apartment, ``w`` = 50 + 5 i — except A19's one missing slot on 15 May (its May and
  spring are not whole, so that group has 19 homes then and is not stored);
* B0 … B3: 2 persons, gas, detached, ``w`` = 40, 50, 60, 70 (never 20 of them);
* C: no profile, ``w`` = 200 (counts only among all homes).

Each home has its customer (code = the home's name) living there from ``T0``; ``NOW`` is 10 June 2025.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np

from meterhub.store import NewBlock, Store, insert_blocks
from meterhub.store.home_profiles import HomeProfile, set_home_profile
from meterhub.store.intervals import local_day_slots

T0 = datetime(2025, 1, 1, tzinfo=UTC)
NOW = datetime(2025, 6, 10, 12, tzinfo=UTC)
FIRST, LAST = date(2025, 3, 1), date(2025, 5, 31)
HOMES: dict[str, tuple[int, tuple[int, str, str] | None]] = {
    **{f"A{i}": (50 + 5 * i, (2, "gas", "apartment")) for i in range(20)},
    **{f"B{j}": (40 + 10 * j, (2, "gas", "detached")) for j in range(4)},
    "C": (200, None),
}


def slots_of(first: date, last: date) -> int:
    return sum(local_day_slots(first + timedelta(days=k), 900) for k in range((last - first).days + 1))


def build(store: Store) -> dict[str, tuple[int, int]]:
    """The fleet (see the module docstring); returns home → (point id, customer party id)."""
    dso = store.add_party("dso", "dso", "DSO")
    out: dict[str, tuple[int, int]] = {}
    blocks: list[NewBlock] = []
    for n, (name, (w, facts)) in enumerate(HOMES.items()):
        point = store.add_metering_point(f"LU{n:031d}", dso, grid_area="g")
        meter = store.add_meter(f"CMP{n:05d}", dso, model="t", firmware="1", installed_at=T0)
        store.install(point, meter, T0)
        channel = store.add_channel(meter, "1.0.1.8.0.255", unit="Wh", interval_s=900)
        customer = store.add_party("customer", name, f"Home {name}")
        store.move_in(point, customer, T0)
        out[name] = (point, customer)
        day = FIRST
        while day <= LAST:
            slots = local_day_slots(day, 900)
            quality = np.full(slots, 1, np.uint8)
            if name == "A19" and day == date(2025, 5, 15):
                quality[40] = 0  # missing
            blocks.append(NewBlock(channel, day, 1, np.full(slots, w, np.int64), quality, "test"))
            day += timedelta(days=1)
        if facts is not None:
            with store.write() as conn:
                set_home_profile(conn, HomeProfile(point, customer, facts[0], facts[1], facts[2], None, False, False,
                                                   False, T0, "test"))  # fmt: skip
    with store.write() as conn:
        insert_blocks(conn, blocks, now=T0)
    return out
