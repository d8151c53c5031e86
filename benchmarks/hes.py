"""Head-end benchmark: a full daily read per meter over loopback TCP, the simulated fleet in another process.

Per meter, one HLS-GMAC association: 96 + 1 load-profile rows by range, 24 + 1 hourly rows per M-Bus
sub-meter, the billing registers (get-with-list), five event logs by range, release — and everything
written durably through the MDM ingest path into a fresh SQLite store. The fleet runs in its own process
(``meterhub sim fleet``) so head-end and meters each have a core, as on a real head-end server.
Goal: ≥ 450 meters/s on 2 cores (400 000 meters in < 15 min).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from meterhub import demo as d
from meterhub.hes.headend import HeadEnd
from meterhub.store.db import Store


def _process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(meters: int = 1000, concentrators: int | None = None, plc: str = "off", **_options: Any) -> dict[str, Any]:
    """Read yesterday (local) from ``meters`` meters; report wall time and throughput."""
    concentrators = concentrators if concentrators is not None else max(1, meters // 250)
    with tempfile.TemporaryDirectory(prefix="meterhub-bench-hes-") as tmp:
        data_dir = Path(tmp)
        started = time.perf_counter()
        fleet = d.start_fleet(data_dir, meters, concentrators, seed=7, port_base=0, plc=plc)
        fleet_s = time.perf_counter() - started
        try:
            store = Store.open(data_dir)
            now = dt.datetime.now(dt.UTC)
            today = now.astimezone(d.LUX).date()
            day_start = d.local_midnight(today - dt.timedelta(days=1))
            day_end = d.local_midnight(today)
            d.provision(store, fleet.plan, day_start - dt.timedelta(days=30))
            targets = d.load_targets(store)
            keys = d.DerivedKeyProvider(d.master_secret(data_dir))

            async def read() -> Any:
                headend = HeadEnd(store, keys)
                try:
                    return await headend.read_window(targets, day_start + dt.timedelta(minutes=15), day_end)
                finally:
                    await headend.close()

            fleet_cpu0 = _process_cpu_s(fleet.process.pid)
            cpu0 = time.process_time()
            report = asyncio.run(read())
            hes_cpu = time.process_time() - cpu0
            fleet_cpu = _process_cpu_s(fleet.process.pid) - fleet_cpu0
        finally:
            fleet.stop()
    return {
        "benchmark": "hes",
        "meters": meters,
        "concentrators": concentrators,
        "plc": plc,
        "ok": report.ok,
        "failed": report.failed,
        "retries": report.retries,
        "values": report.values,
        "events": report.events,
        "wall_s": round(report.wall_s, 2),
        "meters_per_s": round(report.ok / report.wall_s, 1) if report.wall_s else 0.0,
        "values_per_s": round(report.values / report.wall_s) if report.wall_s else 0,
        "fleet_start_s": round(fleet_s, 2),
        "hes_cpu_ms_per_meter": round(hes_cpu / meters * 1000, 2),
        "sim_cpu_ms_per_meter": round(fleet_cpu / meters * 1000, 2),
        "goal_meters_per_s": 450,
    }
