"""A small store for the costs and tariffs pages, its figures worked out by hand below.

One household (``ann``) at one point from 1 January 2026, 100 Wh every quarter-hour (9.6 kWh a day: 6.4 kWh
from 06:00 to 22:00, 3.2 kWh at night) on two weeks — Monday 2 to Sunday 8 February and Monday 2 to Sunday 8
March 2026 — and nothing else. Supplier of record: **Flatco** (flat 0.15 €/kWh, no standing charge) until the
switch on Thursday 5 March, **Duoco** from then on (day 06:00–22:00 at 0.20 €/kWh, night and weekends 0.10
€/kWh, 6.20 €/month: 0.20 € a day in March). The clock: Thursday 12 March 2026, noon.

This month so far (1–12 March):
* Flatco, 1–4 March: data on 2, 3 and 4 March = 28.8 kWh × 0.15 = **4.32 €**, no standing charge.
* Duoco, 5–12 March: data on Thursday 5 to Sunday 8 — weekdays Thu, Fri: 2 × 6.4 = 12.8 kWh day at 0.20 =
  2.56 €; night 2 × 3.2 + the weekend 2 × 9.6 = 25.6 kWh at 0.10 = 2.56 €; standing charge 8 days × 0.20 =
  1.60 € → **6.72 €**.
* Month: 67.2 kWh, **11.04 €**; no data on 1 and 9–11 March and this morning: 4 × 96 + 48 = 432 quarter-hours
  not counted (this afternoon's 48 are still to come, not missing).

The last 12 full months (March 2025 – February 2026, cut to ann's days: 1 January – 28 February 2026): the
February week, 67.2 kWh — weekdays Mon–Fri: 32 kWh day, 16 kWh night; the weekend 19.2 kWh.
* Flatco: 67.2 × 0.15 = **10.08 €**.
* Duoco (ann's current tariff): 32 × 0.20 + (16 + 19.2) × 0.10 = 6.40 + 3.52 = 9.92 € + 2 months × 6.20 =
  **22.32 €** → Flatco would have cost **12.24 € less**.
February under Flatco (what ann was billed): 10.08 €; January: 0.00 €.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np

from meterhub.api.users import add_user
from meterhub.country import LOCAL_TZ
from meterhub.mdm.tariffs import DayProfile, Rate, Season, Switch, Tariff, WeekProfile, single_rate
from meterhub.store import NewBlock, Store, insert_blocks
from meterhub.store.intervals import local_day_slots

PASSWORD = "Vq7#mLw2!pZx9-Harbour"
NOW = datetime(2026, 3, 12, 11, 0, tzinfo=UTC)
T0 = datetime(2026, 1, 1, tzinfo=LOCAL_TZ)
SWITCH = datetime(2026, 3, 5, tzinfo=LOCAL_TZ)
WEEKS = (date(2026, 2, 2), date(2026, 3, 2))

DUO = Tariff(
    "Duo day/night",
    (Rate(1, "day", 0.20), Rate(2, "night", 0.10)),
    (
        DayProfile(1, (Switch(time(0), 2), Switch(time(6), 1), Switch(time(22), 2))),
        DayProfile(2, (Switch(time(0), 2),)),
    ),
    (WeekProfile("week", (1, 1, 1, 1, 1, 2, 2)),),
    (Season("year", 1, 1, "week"),),
    holiday_day_id=2,
    fixed_eur_month=6.20,
)
FLAT = single_rate("Flat 15", 0.15, 0.0)


@dataclass
class CostsWorld:
    store: Store
    parties: dict[str, int]
    point: int
    tariffs: dict[str, int]
    secrets: dict[str, str | None]


def build(store: Store) -> CostsWorld:
    p = {
        "flatco": store.add_party("supplier", "flatco", "Flatco"),
        "duoco": store.add_party("supplier", "duoco", "Duoco"),
        "dso": store.add_party("dso", "dso", "DSO"),
        "ann": store.add_party("customer", "ann", "Ann"),
        "ben": store.add_party("customer", "ben", "Ben"),
    }
    point = store.add_metering_point("LU0000000000000000000000000000C01", p["dso"], grid_area="dso")
    store.move_in(point, p["ann"], T0)
    store.set_supplier(point, p["flatco"], T0)
    store.set_supplier(point, p["duoco"], SWITCH)
    tariffs = {
        "flat": store.publish_tariff(p["flatco"], FLAT.name, FLAT.to_dict(), date(2025, 1, 1), now=NOW),
        "duo": store.publish_tariff(p["duoco"], DUO.name, DUO.to_dict(), date(2025, 1, 1), now=NOW),
    }
    meter = store.add_meter("SIMC0001", p["dso"], model="t", firmware="1", installed_at=T0)
    store.install(point, meter, T0)
    ch = store.add_channel(meter, "1.0.1.8.0.255", unit="Wh", interval_s=900)
    blocks = []
    for monday in WEEKS:
        for i in range(7):
            day = monday + timedelta(days=i)
            n = local_day_slots(day, 900)
            blocks.append(NewBlock(ch, day, 1, np.full(n, 100, np.int64), np.full(n, 1, np.uint8), "test"))
    with store.write() as conn:
        insert_blocks(conn, blocks, now=NOW)
    secrets = {
        name: add_user(store, name, PASSWORD, role, p[name], NOW - timedelta(days=30)).totp_secret
        for name, role in [("ann", "customer"), ("ben", "customer"), ("flatco", "supplier"), ("duoco", "supplier")]
    }
    return CostsWorld(store, p, point, tariffs, secrets)
