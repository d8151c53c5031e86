"""Import benchmark: ``meterhub import intervals`` of a file from another system, with VEE in the import.

The file is made from measured households our simulator did not make — the UCI Sceaux house's four springs and
SimBench's four H0 profiles (:mod:`benchmarks.corpora`, six weeks of quarter hours around the spring DST switch
each) — laid onto the 42 local days from 2026-03-09 (the 23-hour day 2026-03-29 among them) and repeated over
as many meters as ``rows`` needs (each with its own register start), as cumulative readings at interval ends in
local time with offset, shuffled per meter block as another system's export might be. Into it: on 1 % of the
meter days a gap of 1 … 16 readings (rows absent), and ``conflicts`` (share of the rows) second, different
readings for an instant (the duplicate rule's faults, appended at the end of the file as a late correction
would be).

``run(rows=100_000, conflicts=0.00066, backend="sqlite"|"postgres", baseline=True)`` times, on a fresh store
each: the import with VEE (:func:`meterhub.mdm.csvio.import_intervals`, ``vee=True``) — parsing, the ingest,
VEE at ingest, the rejected readings, commit — and, with ``baseline``, the path it replaces: the import
without VEE followed by :meth:`~meterhub.mdm.vee_service.VeeService.run` over the file's days (what an
operator had to do with ``meterhub vee run --days N``; that file's conflicts removed, as the old import refused
them). Figures: ``rows_per_s`` (rows of the file per second of wall time), ``cpu_s`` (this process's CPU: on
SQLite nearly all of the work; on PostgreSQL the server's share is outside it), the VEE outcome (flags by rule,
estimated slots) and the conflicts found.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import corpora
from meterhub.mdm.vee import Layout
from meterhub.store import Store
from meterhub.store.intervals import LOCAL_TZ, day_range, day_start_epoch, from_epoch

FIRST = dt.date(2026, 3, 9)  # 20 days before the spring switch, as the extracts start
DAYS = 42
OBIS = "1.0.1.8.0.255"


def households() -> list[np.ndarray]:
    """The eight measured households' energy per slot (Wh) on the benchmark's local days."""
    days = day_range(FIRST, FIRST + dt.timedelta(days=DAYS - 1))
    layout = Layout.of(days, 900)
    out = []
    for name in ("uci_sceaux_spring", "simbench_h0_spring"):
        with np.load(corpora.DATA / f"{name}.npz") as z:
            for wh in z["wh"]:
                out.append(np.asarray(wh[layout.day_index, layout.wall], dtype=np.int64))
    return out


def make_file(rows: int, conflicts: float, seed: int = 7) -> tuple[str, dict[str, int]]:
    """The CSV text and what went into it (rows, meters, gap rows dropped, conflicting rows)."""
    rng = np.random.default_rng(seed)
    homes = households()
    start = day_start_epoch(FIRST)
    per_meter = homes[0].size + 1
    meters = max(1, -(-rows // per_meter))
    lines = ["meter_serial,obis,timestamp,value"]
    late: list[str] = []
    dropped = 0
    stamps: dict[int, str] = {}

    def stamp(epoch: int) -> str:
        text = stamps.get(epoch)
        if text is None:
            text = stamps[epoch] = from_epoch(epoch).astimezone(LOCAL_TZ).isoformat()
        return text

    made = 0
    for m in range(meters):
        values = homes[m % len(homes)]
        cum = int(rng.integers(10_000, 10_000_000)) + np.concatenate(([0], np.cumsum(values)))
        keep = np.ones(cum.size, dtype=bool)
        for d in np.flatnonzero(rng.random(DAYS) < 0.01).tolist():
            a = d * 96 + int(rng.integers(1, 80))
            n = int(rng.integers(1, 17))
            keep[a : a + n] = False
        take = np.flatnonzero(keep)[: rows - made]
        dropped += int((~keep[: take[-1] + 1]).sum()) if take.size else 0
        serial = f"LU{m:06d}"
        block = [f"{serial},{OBIS},{stamp(start + int(k) * 900)},{int(cum[k])}" for k in take.tolist()]
        for k in rng.choice(take.size, size=round(conflicts * take.size), replace=False).tolist():
            i = int(take[k])
            other = int(cum[i]) + int(rng.choice([-1, 1])) * int(rng.integers(50, 2000))
            late.append(f"{serial},{OBIS},{stamp(start + i * 900)},{max(other, 0)}")
        order = rng.permutation(len(block)) if m % 2 else np.arange(len(block))
        lines += [block[i] for i in order.tolist()]
        made += take.size
        if made >= rows:
            break
    return "\n".join([*lines, *late]) + "\n", {"rows": made + len(late), "gap_rows": dropped, "conflicting": len(late)}


@contextmanager
def _store(backend: str, dsn: str | None) -> Iterator[Store]:
    """A fresh store: a temporary SQLite data dir, or a fresh PostgreSQL schema (dropped afterwards)."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as d, Store.open(Path(d)) as s:
            yield s
        return
    if backend != "postgres":
        raise ValueError(f"backend must be sqlite or postgres, not {backend!r}")
    import psycopg

    from benchmarks.ingest import _pg_url

    dsn = dsn or os.environ.get("MH_PG_DSN")
    if not dsn:
        raise RuntimeError("the postgres backend needs MH_PG_DSN (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    name = f"mh_bench_{secrets.token_hex(6)}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {name}")
    try:
        with Store.open(_pg_url(dsn, name)) as s:
            yield s
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def _timed(backend: str, dsn: str | None, text: str, *, vee: bool, then_vee: bool) -> dict[str, Any]:
    from meterhub.mdm.csvio import import_intervals

    with _store(backend, dsn) as store:
        wall0, cpu0 = time.perf_counter(), time.process_time()
        report = import_intervals(store, io.StringIO(text), create_meters=True, vee=vee)
        out: dict[str, Any] = {}
        if then_vee:
            from meterhub.mdm.vee_service import VeeService

            channels = [c.id for c in store.list_channels()]
            last = FIRST + dt.timedelta(days=DAYS - 1)
            vee_report = VeeService(store).run(channels, FIRST, last, until=dt.datetime.now(dt.UTC))
            out["vee_run_estimated"] = vee_report.estimated
            out["vee_run_rules"] = dict(vee_report.rules)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        out.update(seconds=round(wall, 2), cpu_s=round(cpu, 2), rows_per_s=round(report.rows / wall))
        out["report"] = report.as_dict()
        return out


def run(
    rows: int = 100_000,
    conflicts: float = 0.00066,
    backend: str = "sqlite",
    baseline: bool = True,
    dsn: str | None = None,
    seed: int = 7,
    **_options: Any,
) -> dict[str, Any]:
    """Time the import with VEE of a ``rows``-row file and, with ``baseline``, the old path beside it."""
    text, made = make_file(int(rows), float(conflicts), int(seed))
    out: dict[str, Any] = {"benchmark": "import_intervals", "backend": backend, "file": made,
                           "file_bytes": len(text.encode())}  # fmt: skip
    out["import_with_vee"] = _timed(backend, dsn, text, vee=True, then_vee=False)
    if baseline:
        clean = "\n".join(text.splitlines()[: made["rows"] - made["conflicting"] + 1]) + "\n"
        out["baseline_import_then_vee_run"] = _timed(backend, dsn, clean, vee=False, then_vee=True)
        out["baseline_import_only"] = _timed(backend, dsn, clean, vee=False, then_vee=False)
    return out
