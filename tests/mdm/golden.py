"""The small fixed store of the export's golden file (tests/mdm/export_golden.csv): only store calls that the
export before the block writer had too, so that its output could be recorded with that code."""

from __future__ import annotations

from datetime import date

import numpy as np

from meterhub.store import Store, db, local_day_slots

DAYS = (date(2026, 3, 29), date(2026, 10, 25))  # both 2026 clock changes: 92 and 100 quarter hours


def golden_store(store: Store) -> None:
    """A small fixed store: quarter-hour A+ over both 2026 clock changes (two versions of the autumn day),
    an hourly M-Bus channel, random quality bytes (every code, any detail bits), a serial that needs quoting."""
    rng = np.random.default_rng(20261201)
    dso = store.add_dso("golden", "Golden DSO")
    blocks = []
    for serial, obis, interval_s in (('E "1", north', "1.0.1.8.0.255", 900), ("G1", "0.1.24.2.1.255", 3600)):
        ch = store.add_channel(store.add_meter(serial, dso, model="x", firmware="1"), obis, unit="Wh",
                               interval_s=interval_s)  # fmt: skip
        for day, versions in ((DAYS[0], 1), (DAYS[1], 2)):
            n = local_day_slots(day, interval_s)
            for version in range(1, versions + 1):
                values = rng.integers(-3, 2000, n).astype(np.int64)
                quality = (rng.integers(0, 6, n) | (rng.integers(0, 32, n) << 3)).astype(np.uint8)
                blocks.append(db.NewBlock(ch, day, version, values, quality, "golden"))
    with store.write() as conn:
        db.insert_blocks(conn, blocks)
