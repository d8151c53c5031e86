"""Portal benchmark: how long the operator waits for the meter list (``/meters``) of a large fleet.

Set-up, off the clock: a fresh SQLite store in a temporary folder with ``meters`` electricity meters of one DSO
(half of them with a gas sub-meter on M-Bus channel 1) and two days of A+ quarter hours each (the autumn DST day
and the day after, through :class:`meterhub.mdm.IngestService`); the portal app in-process behind FastAPI's test
client (no network), logged in as the operator, one warm-up request (templates compiled, horizon cached). On the
clock: the first and the last page of the list, ``repeats`` times each; the best and the median are reported.
Goal: each page < 1 000 ms for 2 000 meters — a page is one page of meters, whatever the fleet's size (it was a
wall-clock assertion of tests/portal/test_app.py until the unit tests lost their clocks).
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from benchmarks import portal_pages
from meterhub.mdm import IngestService
from meterhub.portal import create_app, hash_password
from meterhub.portal.app import A_PLUS, PAGE_SIZE
from meterhub.store import Store, local_day_slots
from meterhub.store.intervals import day_start_epoch

GOAL_MS = 1000.0
PASSWORD = "benchmark password of the portal"
DAYS = (dt.date(2026, 10, 25), dt.date(2026, 10, 26))  # the autumn change (100 quarter hours) and the day after


def _readings(day: dt.date, first: int) -> list[tuple[dt.datetime, int]]:
    """Cumulative A+ at every quarter-hour boundary of ``day`` (both midnights), 50–56 Wh per quarter."""
    start = dt.datetime.fromtimestamp(day_start_epoch(day), dt.UTC)
    out, value = [], first
    for i in range(local_day_slots(day, 900) + 1):
        out.append((start + dt.timedelta(seconds=900 * i), value))
        value += 50 + i % 7
    return out


def _fleet(store: Store, meters: int) -> None:
    dso = store.add_dso("BENCH", "Benchmark DSO")
    ids = [store.add_meter(f"B{i:06d}", dso, model="E360", firmware="1") for i in range(meters)]
    for i, mid in enumerate(ids[::2]):
        store.add_meter(f"B{2 * i:06d}-M1", dso, model="G4", firmware="1", medium="gas", parent_meter_id=mid,
                        mbus_channel=1)  # fmt: skip
    store.add_channels(
        [
            {"meter_id": mid, "obis": A_PLUS, "medium": "electricity", "unit": "Wh", "scaler": 0, "interval_s": 900}
            for mid in ids
        ]
    )
    channels = store.list_channels(ids)
    IngestService(store).ingest_many([(ch.id, _readings(d, 1000 * ch.id)) for ch in channels for d in DAYS], "hes")


def _page_ms(client: TestClient, page: int, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        r = client.get("/meters", params={"page": page})
        times.append((time.perf_counter() - start) * 1000)
        if r.status_code != 200 or r.text.count('href="/meters/B') != PAGE_SIZE:
            raise RuntimeError(f"/meters page {page}: HTTP {r.status_code}, not a full page of meters")
    return times


def run(meters: int = 2000, repeats: int = 5, pages: bool = True, **options: Any) -> dict[str, Any]:
    """Build a fleet of ``meters`` meters in a temporary store and time the first and the last /meters page; with
    ``pages``, also each household page for a home with 3 years of data (:mod:`benchmarks.portal_pages`: key
    ``page_p99_ms``, per page)."""
    if meters < PAGE_SIZE:
        raise ValueError(f"meters must be at least one page ({PAGE_SIZE})")
    with tempfile.TemporaryDirectory(prefix="meterhub-bench-portal-") as tmp:
        store = Store.open(Path(tmp))
        try:
            _fleet(store, meters)
            client = TestClient(create_app(store, operator_password_hash=hash_password(PASSWORD)))
            r = client.post("/login", data={"username": "operator", "password": PASSWORD}, follow_redirects=False)
            if r.status_code != 303:
                raise RuntimeError(f"login refused: HTTP {r.status_code}")
            client.get("/meters")  # warm-up
            last = meters // PAGE_SIZE
            first_ms, last_ms = _page_ms(client, 1, repeats), _page_ms(client, last, repeats)
        finally:
            store.close()
    households = portal_pages.run(meters=meters, **options) if pages else None
    return {
        "benchmark": "portal",
        "meters": meters,
        "page_size": PAGE_SIZE,
        "repeats": repeats,
        "first_page_ms": round(min(first_ms), 1),
        "first_page_ms_median": round(statistics.median(first_ms), 1),
        "last_page_ms": round(min(last_ms), 1),
        "last_page_ms_median": round(statistics.median(last_ms), 1),
        "goal_ms": GOAL_MS,
        "meets_goal": max(min(first_ms), min(last_ms)) < GOAL_MS,
        **(
            {
                "page_p99_ms": households["page_p99_ms"],
                "page_p50_ms": households["page_p50_ms"],
                "page_goal_ms": households["goal_ms"],
                "pages_meet_goal": households["meets_goal"],
                "household": households,
            }
            if households
            else {}
        ),
    }
