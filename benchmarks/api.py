"""API benchmark: a year of quarter-hours for one metering point, and requests/s of ``meterhub serve --workers 2``.

Set-up, off the clock: a fresh SQLite store with one DSO, supplier and customer, one metering point whose meter has
a year (2025) of A+ quarter-hours drawn by the independent household generator (:mod:`benchmarks.corpora.households`,
not our simulator), stored as one block per local day; a customer login (the occupant) and a second customer for
the load. Then ``meterhub serve --workers 2`` as a real process on a free port.

On the clock, over real HTTP (httpx, keep-alive):

* ``series_year_p50_ms`` / ``series_year_p99_ms`` — ``GET /api/v1/metering-points/{id}/series`` of the whole year
  at 15 min (35 040 values with their quality, the policy's windows, the access-log append), one request at a time,
  ``requests`` times after 5 warm-ups. Baseline beside it: ``slot_series_year_p50_ms`` — the same year read
  in-process through the MDM's query (:func:`meterhub.mdm.billing.slot_series`) without HTTP, policy or JSON.
* ``requests_per_s`` — ``clients`` concurrent clients (one process, asyncio) asking ``GET /api/v1/metering-points/{id}``
  (session look-up, rate-limit bucket, policy, point) for ``load_s`` seconds; rate limits raised through
  ``MH_API_BUCKETS`` so that the bucket's write is measured, not its refusals. Baseline beside it:
  ``baseline_404_requests_per_s`` — the same load on an unknown path (problem+json, no store).

Goals (issue 13): p99 < 100 ms, ≥ 1 000 requests/s on a 2-core machine.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from benchmarks.corpora.households import Weather, electricity
from meterhub.mdm.billing import slot_series
from meterhub.store import NewBlock, Store, insert_blocks
from meterhub.store.intervals import day_start_epoch, local_day_slots

FIRST = dt.date(2025, 1, 1)
DAYS = 365
PASSWORD = "Bench-Kx7!harbour-lantern"


def _build(data: Path) -> tuple[int, int]:
    from meterhub.api.users import add_user

    with Store.open(data) as store:
        dso = store.add_party("dso", "BENCH", "Bench DSO")
        supplier = store.add_party("supplier", "bench-s", "Bench supplier")
        customer = store.add_party("customer", "bench-c", "Bench household")
        other = store.add_party("customer", "bench-d", "Other household")
        start = dt.datetime.fromtimestamp(day_start_epoch(FIRST), dt.UTC)
        point = store.add_metering_point("LU0000000000000000000000000BENCH1", dso)
        other_point = store.add_metering_point("LU0000000000000000000000000BENCH2", dso)
        meter = store.add_meter("BENCH0001", dso, model="E", firmware="1", installed_at=start)
        store.install(point, meter, start)
        ch = store.add_channel(meter, "1.0.1.8.0.255", unit="Wh", interval_s=900)
        for p, c in ((point, customer), (other_point, other)):
            store.move_in(p, c, start)
            store.set_supplier(p, supplier, start)
        values = electricity(7, FIRST, DAYS, Weather.draw(FIRST, DAYS, 7))
        blocks, at = [], 0
        for k in range(DAYS):
            day = FIRST + dt.timedelta(days=k)
            n = local_day_slots(day, 900)
            blocks.append(NewBlock(ch, day, 1, values[at : at + n], np.ones(n, np.uint8), "bench"))
            at += n
        with store.write() as conn:
            insert_blocks(conn, blocks)
        now = dt.datetime.now(dt.UTC)
        add_user(store, "bench-customer", PASSWORD, "customer", customer, now)
        add_user(store, "bench-other", PASSWORD, "customer", other, now)
        t = []
        end = start + dt.timedelta(days=DAYS)
        for _ in range(20):
            t0 = time.perf_counter()
            slot_series(store, ch, start, end)
            t.append((time.perf_counter() - t0) * 1000)
        _build.baseline_ms = statistics.median(t)  # type: ignore[attr-defined]
    return point, other_point


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(data: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MH_API_BUCKETS": "user=1000000/1000000,anonymous=1000/100"}
    return subprocess.Popen(
        [sys.executable, "-m", "meterhub.cli.main", "--data-dir", str(data), "serve", "--workers", str(workers),
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip


def _wait(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"meterhub serve stopped: {process.stderr.read().decode()[-2000:] if process.stderr else ''}"
            )
        try:
            if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("meterhub serve did not start within 60 s")


def _login(base: str, username: str) -> httpx.Cookies:
    r = httpx.post(f"{base}/auth/login", json={"username": username, "password": PASSWORD})
    r.raise_for_status()
    return r.cookies


async def _load(url: str, cookies: httpx.Cookies, clients: int, seconds: float) -> tuple[int, int]:
    done = errors = 0
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(cookies=cookies, limits=limits, timeout=30) as c:

        async def worker() -> None:
            nonlocal done, errors
            while time.perf_counter() < stop:
                r = await c.get(url)
                done += 1
                errors += r.status_code >= 500 or r.status_code == 429

        await asyncio.gather(*(worker() for _ in range(clients)))
    return done, errors


def run(requests: int = 50, load_s: float = 30.0, clients: int = 32, workers: int = 2) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="meterhub-bench-api-") as tmp:
        data = Path(tmp) / "data"
        point, other_point = _build(data)
        port = _free_port()
        process = _serve(data, port, workers)
        base = f"http://127.0.0.1:{port}/api/v1"
        try:
            _wait(base, process)
            cookies = _login(base, "bench-customer")
            start = dt.datetime.fromtimestamp(day_start_epoch(FIRST), dt.UTC)
            params = {"from": start.isoformat(), "to": (start + dt.timedelta(days=DAYS)).isoformat()}
            times: list[float] = []
            values = 0
            with httpx.Client(base_url=base, cookies=cookies, timeout=30) as c:
                for i in range(requests + 5):
                    t0 = time.perf_counter()
                    r = c.get(f"/metering-points/{point}/series", params=params)
                    ms = (time.perf_counter() - t0) * 1000
                    r.raise_for_status()
                    values = len(r.json()["points"])
                    if i >= 5:
                        times.append(ms)
            times.sort()
            load_cookies = _login(base, "bench-other")
            n, errors = asyncio.run(_load(f"{base}/metering-points/{other_point}", load_cookies, clients, load_s))
            n404, _ = asyncio.run(_load(f"{base}/no-such-route", load_cookies, clients, min(load_s, 10.0)))
        finally:
            process.terminate()
            process.wait(10)
    return {
        "series_year_p50_ms": round(statistics.median(times), 1),
        "series_year_p99_ms": round(times[min(len(times) - 1, int(0.99 * len(times)))], 1),
        "series_values": values,
        "slot_series_year_p50_ms": round(_build.baseline_ms, 1),  # type: ignore[attr-defined]
        "requests_per_s": round(n / load_s),
        "requests_errors": errors,
        "baseline_404_requests_per_s": round(n404 / min(load_s, 10.0)),
        "clients": clients,
        "workers": workers,
        "load_s": load_s,
        "cpus": os.cpu_count(),
    }
