"""Downloads benchmark: how long a household waits for three years of its quarter-hours from the downloads page, as
CSV (~105 000 rows) and as the Green Button feed (A+ and A−: ~210 000 interval readings), and how much memory the
streamed answer takes.

Set-up, off the clock: a fresh SQLite store with one household (a DSO, a customer who moved in 3 years ago, a meter
with quarter-hour A+ and A− channels, ``days`` local days of blocks), the site (portal + API) in-process behind
FastAPI's test client, the customer logged in, one small warm-up download. On the clock: each download streamed
to the end (``repeats`` times; the best is reported). Then once more under :mod:`tracemalloc` for the peak of
Python memory allocated while answering (``*_peak_mb``): a streamed answer holds a month of blocks or 4096 rows,
not the file. Goal: each download < 10 s, peak < 64 MB.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient

from meterhub.api.users import add_user
from meterhub.portal.site import create_site
from meterhub.store import NewBlock, Store, insert_blocks
from meterhub.store.intervals import LOCAL_TZ, local_day_slots

GOAL_MS = 10_000.0
GOAL_PEAK_MB = 64.0
PASSWORD = "Vq7#mLw2!pZx9-Harbour-bench"
LAST_DAY = dt.date(2026, 11, 30)


def _household(store: Store, days: int) -> int:
    dso = store.add_party("dso", "creos", "Creos")
    me = store.add_party("customer", "home", "A home")
    first = LAST_DAY - dt.timedelta(days=days - 1)
    since = dt.datetime(first.year, first.month, first.day, tzinfo=LOCAL_TZ)
    point = store.add_metering_point("LU0000000000000000000000000BENCH1", dso, grid_area="creos")
    store.move_in(point, me, since)
    meter = store.add_meter("BENCH0000001", dso, model="t", firmware="1", installed_at=since)
    store.install(point, meter, since)
    a_plus = store.add_channel(meter, "1.0.1.8.0.255", unit="Wh", interval_s=900)
    a_minus = store.add_channel(meter, "1.0.2.8.0.255", unit="Wh", interval_s=900)
    rng = np.random.default_rng(7)
    for k in range(0, days, 100):
        blocks = []
        for i in range(k, min(k + 100, days)):
            day = first + dt.timedelta(days=i)
            n = local_day_slots(day, 900)
            q = np.ones(n, np.uint8)
            blocks.append(NewBlock(a_plus, day, 1, rng.integers(20, 400, n), q, "bench"))
            blocks.append(NewBlock(a_minus, day, 1, rng.integers(0, 50, n), q, "bench"))
        with store.write() as conn:
            insert_blocks(conn, blocks, now=since)
    add_user(store, "home", PASSWORD, "customer", me, since)
    return point


def _download(client: TestClient, params: dict[str, Any]) -> tuple[float, int]:
    start = time.perf_counter()
    size = 0
    with client.stream("GET", "/downloads/file", params=params) as r:
        if r.status_code != 200:
            raise RuntimeError(f"download {params}: HTTP {r.status_code}")
        for chunk in r.iter_bytes():
            size += len(chunk)
    return (time.perf_counter() - start) * 1000, size


def run(days: int = 3 * 365, repeats: int = 2, **_options: Any) -> dict[str, Any]:
    """Three years (``days``) of one household's quarter-hours downloaded as CSV and as the Green Button feed."""
    now = dt.datetime(LAST_DAY.year, LAST_DAY.month, LAST_DAY.day, 23, tzinfo=LOCAL_TZ)
    out: dict[str, Any] = {"benchmark": "downloads", "days": days, "repeats": repeats}
    with tempfile.TemporaryDirectory(prefix="meterhub-bench-downloads-") as tmp:
        store = Store.open(Path(tmp))
        try:
            point = _household(store, days)
            client = TestClient(create_site(store, clock=lambda: now))
            r = client.post("/api/v1/auth/login", json={"username": "home", "password": PASSWORD, "totp": None})
            if r.status_code != 200:
                raise RuntimeError(f"login refused: HTTP {r.status_code}")
            first = (LAST_DAY - dt.timedelta(days=days - 1)).isoformat()
            base = {"point": point, "medium": "electricity_import", "period": "custom", "resolution": "15min",
                    "from": first, "to": LAST_DAY.isoformat()}  # fmt: skip
            _download(client, {**base, "from": LAST_DAY.isoformat(), "format": "csv"})  # warm-up
            for name, fmt in (("csv", "csv"), ("espi", "espi")):
                times, size = [], 0
                for _ in range(repeats):
                    ms, size = _download(client, {**base, "format": fmt})
                    times.append(ms)
                tracemalloc.start()
                _download(client, {**base, "format": fmt})
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                out[f"{name}_ms"] = round(min(times), 1)
                out[f"{name}_mb"] = round(size / 2**20, 1)
                out[f"{name}_peak_mb"] = round(peak / 2**20, 1)
        finally:
            store.close()
    out["csv_rows"] = sum(local_day_slots(LAST_DAY - dt.timedelta(days=i), 900) for i in range(days))
    out["goal_ms"], out["goal_peak_mb"] = GOAL_MS, GOAL_PEAK_MB
    out["meets_goal"] = all(out[f"{n}_ms"] < GOAL_MS and out[f"{n}_peak_mb"] < GOAL_PEAK_MB for n in ("csv", "espi"))
    return out
