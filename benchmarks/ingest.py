"""Ingest + VEE benchmark: decoded load-profile reads, as the head-end hands them over, → validation and
estimation → durable commit.

``run(backend="sqlite"|"postgres", meters=…, days=…, history_days=…, writers=…, vee=True)``. Each electricity
meter has its four quarter-hour channels (A+, A−, R+, R−: 4 × 96 = 384 values a day, DESIGN §1) and stable
household traits (consumption scale, rooftop PV on one meter in five). Per day and per batch of ``batch``
meters, the channels' cumulative readings at interval ends — midnight to midnight, 97 readings, as
:class:`meterhub.mdm.ingest.ReadingArrays` — go through :meth:`IngestService.ingest_many` with VEE at ingest:
deltas, merge with the current block version, the screen of every complete day against the channel's
history digest, the full validation and estimation of the days the screen sends on, new versions packed and
appended (binary COPY on PostgreSQL, executemany on SQLite), daily register reads, digests, commit.

Faults, as the field delivers them (:func:`_inject_faults`): on 1 % of the channel days a gap of 1 … 48
readings, on 0.2 % a 30 kWh register jump, on 0.1 % a negative jump. ``history_days`` (default 28, a full
validation window) are ingested first, off the clock; the clock runs over the ``days`` after them only.
Provisioning meters and generating readings are outside it.

``writers`` > 1 runs that many processes, each ingesting its own share of the meters (several head-end
workers on one database): on SQLite they take turns for the short write transactions only (the ingest plans
from a read snapshot), on PostgreSQL they write concurrently. ``values_per_s`` = measured interval values
stored per second of wall time from the first writer's start to the last one's end of the clocked days.

Figures: ``client_cpu_s`` is the writers' own CPU time over the clocked days (the rest of the wall time is
the database's); ``bytes_per_value`` = the bytes the interval blocks take on disk (values + quality + row and
index overhead, every version: a day the full VEE corrects has two) per slot read — PostgreSQL:
``pg_total_relation_size`` of the partitions of ``interval_block``; SQLite: the pages of ``interval_block``
from ``dbstat`` (or the file size where SQLite lacks ``dbstat``). The daily register reads are reported
separately as ``register_read_bytes_per_value``, the history digests as ``digest_bytes_per_channel`` (one row
per channel, not per value). ``sent_share``: channel days the screen sent to the full validation.

Durability: PostgreSQL commits with ``synchronous_commit=on`` (WAL flushed to disk at each commit); SQLite
runs WAL with ``synchronous=NORMAL`` (a commit survives a process crash such as kill -9; the last commits
before a power cut may be lost until the WAL is checkpointed). ``vee=False`` measures the ingest alone.
PostgreSQL needs ``MH_PG_DSN`` (or ``dsn=``); the benchmark works in a fresh schema that it drops afterwards.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa

from meterhub.mdm.ingest import IngestResult, IngestService, ReadingArrays
from meterhub.mdm.vee_service import VeeService
from meterhub.store import Store, schema
from meterhub.store.intervals import day_start_epoch, from_epoch

Q = 900
OBIS = ("1.0.1.8.0.255", "1.0.2.8.0.255", "1.0.3.8.0.255", "1.0.4.8.0.255")
UNITS = ("Wh", "Wh", "varh", "varh")


@dataclass(frozen=True)
class _Households:
    """Traits drawn once per meter (a household keeps its size and its rooftop PV from day to day)."""

    scale: npt.NDArray[np.float64]  # (meters, 1) consumption scale
    pv: npt.NDArray[np.float64]  # (meters, 1) PV peak Wh per quarter hour, 0 without PV

    @classmethod
    def draw(cls, rng: np.random.Generator, meters: int) -> _Households:
        scale = rng.uniform(0.4, 2.0, (meters, 1))
        pv = np.where(rng.random((meters, 1)) < 0.2, rng.uniform(250.0, 800.0, (meters, 1)), 0.0)
        return cls(scale, pv)


def _profiles(rng: np.random.Generator, homes: _Households, slots: int) -> npt.NDArray[np.int64]:
    """Quarter-hour consumptions ``[meter, channel, slot]`` of one day of plausible households: A+ with morning
    and evening peaks and noise, A− from rooftop PV (one meter in five; clouds vary from day to day), net of
    self-consumption, small reactive energy."""
    meters = homes.scale.shape[0]
    t = (np.arange(slots) % 96) / 4.0  # hour of day
    day_shape = 40 + 120 * np.exp(-((t - 7.5) ** 2) / 2) + 260 * np.exp(-((t - 19) ** 2) / 4)
    scale = homes.scale * rng.uniform(0.85, 1.15, (meters, 1))  # day-to-day variation
    load = np.maximum(0, rng.normal(day_shape * scale, 25 * scale))
    sun = np.clip(np.sin((t - 7) / 12 * np.pi), 0, None) * rng.uniform(0.3, 1.0)  # the day's clouds
    pv = np.maximum(0, rng.normal(sun * homes.pv, 0.05 * homes.pv + 1e-9))
    a_plus = np.maximum(0, load - pv)
    a_minus = np.maximum(0, pv - load)
    r_plus = np.where(a_plus > 0, np.maximum(0, rng.normal(a_plus * 0.15, 3)), 0)
    r_minus = np.where(rng.random((meters, slots)) < 0.05, rng.integers(0, 20, (meters, slots)), 0)
    out: npt.NDArray[np.int64] = np.rint(np.stack([a_plus, a_minus, r_plus, r_minus], axis=1)).astype(np.int64)
    return out


def _provision(store: Store, meters: int) -> list[list[int]]:
    """One DSO, ``meters`` electricity meters with four channels each; returns channel ids per meter."""
    dso = store.add_dso("bench", "Benchmark DSO")
    with store.write() as conn:
        conn.execute(
            schema.meter.insert(),
            [
                {"serial": f"B{i:08d}", "dso_id": dso, "model": "E360", "firmware": "1", "medium": "electricity"}
                for i in range(meters)
            ],
        )
        ids = [int(r[0]) for r in conn.execute(sa.select(schema.meter.c.id).order_by(schema.meter.c.id))]
        conn.execute(
            schema.channel.insert(),
            [
                {"meter_id": m, "obis": o, "medium": "electricity", "unit": u, "scaler": 0, "interval_s": Q}
                for m in ids
                for o, u in zip(OBIS, UNITS, strict=True)
            ],
        )
        rows = conn.execute(sa.select(schema.channel.c.meter_id, schema.channel.c.id).order_by(schema.channel.c.id))
        by_meter: dict[int, list[int]] = {}
        for meter_id, channel_id in rows:
            by_meter.setdefault(int(meter_id), []).append(int(channel_id))
    return [by_meter[m] for m in ids]


def _stored_bytes(store: Store, table: str) -> int:
    with store.read() as conn:
        if store.engine.dialect.name == "postgresql":
            q = (  # a partitioned table: its partitions; a plain table: itself
                f"SELECT COALESCE((SELECT SUM(pg_total_relation_size(relid)) FROM pg_partition_tree('{table}') "
                f"WHERE isleaf), pg_total_relation_size('{table}'))"
            )
            return int(conn.exec_driver_sql(q).scalar() or 0)
        try:
            q = f"SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name = '{table}'"
            return int(conn.exec_driver_sql(q).scalar() or 0)
        except sa.exc.OperationalError:  # SQLite built without dbstat: the whole file
            db_file = store.engine.url.database
            return Path(db_file).stat().st_size if db_file else 0


def _pg_url(dsn: str, schema_name: str) -> str:
    url = sa.make_url(dsn.replace("postgres://", "postgresql://", 1) if dsn.startswith("postgres://") else dsn)
    url = url.set(drivername="postgresql+psycopg").update_query_dict({"options": f"-csearch_path={schema_name}"})
    return url.render_as_string(hide_password=False)


def _inject_faults(rng: np.random.Generator, cum: npt.NDArray[np.int64], keep: npt.NDArray[np.bool_]) -> int:
    """Faults of a day's readings ``cum[meter, channel, reading]`` in place, as the field delivers them: on 1 %
    of the channel days a gap (1 … 48 readings not received), on 0.2 % a spike (a 30 kWh jump of the register),
    on 0.1 % a negative jump of 2 kWh. Returns the number of faulty channel days."""
    meters, channels, readings = cum.shape
    u = rng.random((meters, channels))
    faulty = 0
    for m, ch in zip(*np.nonzero(u < 0.013), strict=True):
        k = int(rng.integers(1, readings - 1))
        if u[m, ch] < 0.01:
            keep[m, ch, k : k + int(rng.integers(1, 49))] = False
        elif u[m, ch] < 0.012:
            cum[m, ch, k:] += 30_000
        else:
            cum[m, ch, k:] -= 2_000
        faulty += 1
    return faulty


@dataclass(frozen=True)
class _Job:
    """One writer's share: its meters' channels, what to read, and where to write."""

    url: str
    channels: list[list[int]]  # channel ids of each meter (A+, A−, R+, R−)
    days: int
    history_days: int
    batch: int
    first_day: date
    seed: int
    vee: bool


@dataclass
class _Share:
    """What one writer did over the clocked days."""

    total: IngestResult
    seconds: float
    cpu: float
    faulty: int


def _ingest_days(job: _Job, store: Store, start: Any = None, stop: Any = None) -> _Share:
    """Read and ingest the writer's meters day after day: the history days off the clock, then ``start``
    (a barrier shared with the other writers, or None) and the clocked days, then ``stop``."""
    meters = len(job.channels)
    start_day = job.first_day - timedelta(days=job.history_days)
    rng = np.random.default_rng(job.seed)
    svc = IngestService(store, vee=VeeService(store) if job.vee else None)
    total = IngestResult()
    elapsed = cpu = 0.0
    faulty = 0
    start_values = rng.integers(0, 10_000_000, (meters, 4))
    homes = _Households.draw(rng, meters)
    for d in range(job.history_days + job.days):
        day = start_day + timedelta(days=d)
        clocked = d >= job.history_days  # the history days before are loaded the same way, off the clock
        if d == job.history_days and start is not None:
            start.wait()
        t0, t1 = day_start_epoch(day), day_start_epoch(day + timedelta(days=1))
        epochs = np.arange(t0, t1 + 1, Q, dtype=np.int64)  # midnight .. midnight: slots + 1 readings
        slots = epochs.size - 1
        cons = _profiles(rng, homes, slots)
        cum = np.concatenate([start_values[:, :, None], start_values[:, :, None] + np.cumsum(cons, axis=2)], axis=2)
        keep = np.ones(cum.shape, dtype=bool)
        if job.vee:
            n_faulty = _inject_faults(rng, cum, keep)
            faulty += n_faulty if clocked else 0
        start_values = cum[:, :, -1].copy()  # a register jump stays in the register
        until = from_epoch(t1 + 900)  # the daily read runs after midnight: the whole day has ended
        batches = [
            [
                (job.channels[m][c], ReadingArrays(epochs[keep[m, c]], cum[m, c][keep[m, c]]))
                for m in range(lo, min(lo + job.batch, meters))
                for c in range(4)
            ]
            for lo in range(0, meters, job.batch)
        ]
        started, cpu_started = time.perf_counter(), time.process_time()
        day_total = IngestResult()
        for b in batches:
            day_total += svc.ingest_many(b, "hes", until=until)
        if clocked:
            elapsed += time.perf_counter() - started
            cpu += time.process_time() - cpu_started
            total += day_total
    if stop is not None:
        stop.wait()
    return _Share(total, elapsed, cpu, faulty)


def _writer(job: _Job, start: Any, stop: Any, out: Any) -> None:  # pragma: no cover - in a child process
    store = Store.open(job.url, migrate=False)
    try:
        out.put(_ingest_days(job, store, start, stop))
    finally:
        store.close()


def _measure(
    store: Store,
    url: str,
    meters: int,
    days: int,
    batch: int,
    first_day: date,
    seed: int,
    writers: int,
    vee: bool,
    history_days: int,
) -> dict[str, Any]:
    channels = _provision(store, meters)
    start_day = first_day - timedelta(days=history_days)
    store.ensure_partitions(start_day, first_day + timedelta(days=days))  # months ahead, as in operation
    jobs = [
        _Job(url, channels[k::writers], days, history_days, batch, first_day, seed + k, vee) for k in range(writers)
    ]
    if writers == 1:
        shares = [_ingest_days(jobs[0], store)]
        wall = shares[0].seconds
    else:  # several head-end workers, each a process of its own with its own meters
        ctx = multiprocessing.get_context("spawn")
        start, stop, out = ctx.Barrier(writers + 1), ctx.Barrier(writers + 1), ctx.Queue()
        procs = [ctx.Process(target=_writer, args=(job, start, stop, out)) for job in jobs]
        for proc in procs:
            proc.start()
        start.wait()
        began = time.perf_counter()
        stop.wait()
        wall = time.perf_counter() - began
        shares = [out.get() for _ in procs]
        for proc in procs:
            proc.join()
    total = IngestResult()
    for share in shares:
        total += share.total
    values = total.measured_slots + total.suspect_slots
    block_bytes = _stored_bytes(store, "interval_block")
    read_bytes = _stored_bytes(store, "register_read")
    stored_values = _stored_values(store)
    out_: dict[str, Any] = {
        "backend": store.engine.dialect.name,
        "meters": meters,
        "channels": meters * 4,
        "days": days,
        "history_days": history_days,
        "batch_meters": batch,
        "writers": writers,
        "values": values,
        "blocks": total.versions_written,
        "seconds": round(wall, 3),
        "client_cpu_s": round(sum(sh.cpu for sh in shares), 3),  # the writers' own CPU; the rest is the database's
        "values_per_s": round(values / wall) if wall > 0 else 0,
        "stored_bytes": block_bytes,
        "bytes_per_value": round(block_bytes / stored_values, 3) if stored_values else 0.0,
        "register_read_bytes_per_value": round(read_bytes / stored_values, 3) if stored_values else 0.0,
        "vee": "validation + estimation at ingest" if vee else "not included",
    }
    if vee:
        channel_days = meters * 4 * days
        out_ |= {
            "faulty_channel_days": sum(sh.faulty for sh in shares),
            "days_validated": total.days_validated,
            "days_sent_to_full_vee": total.days_sent,
            "sent_share": round(total.days_sent / channel_days, 4),
            "replanned": total.replanned,  # write transactions planned again (writers of the same channels)
            "digest_bytes_per_channel": round(_stored_bytes(store, "vee_digest") / (meters * 4)),
        }
    return out_


def _stored_values(store: Store) -> int:
    """Slots held by the current and earlier block versions (the denominator of bytes per value: every
    stored version counts, so a day validated in a second version costs what it costs)."""
    with store.read() as conn:
        b = schema.interval_block
        first_versions = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(b.c.slots), 0)).where(b.c.version == 1))
        return int(first_versions.scalar() or 0)


def run(
    backend: str = "sqlite",
    meters: int = 2000,
    days: int = 7,
    batch: int = 250,
    dsn: str | None = None,
    seed: int = 11,
    writers: int = 1,
    vee: bool = True,
    history_days: int = 28,
    **_options: Any,
) -> dict[str, Any]:
    """Ingest ``days`` days of ``meters`` meters × 4 quarter-hour channels into a fresh store on ``backend``,
    after ``history_days`` days off the clock, with ``writers`` processes each ingesting its own meters (1: in
    this process, as one head-end writer)."""
    first_day = date(2026, 3, 26)  # the week across spring-forward: one day of 92 slots
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="meterhub-bench-ingest-") as tmp:
            store = Store.open(Path(tmp))
            url = store.engine.url.render_as_string(hide_password=False)
            try:
                return _measure(store, url, meters, days, batch, first_day, seed, writers, vee, history_days)
            finally:
                store.close()
    if backend not in ("postgres", "postgresql"):
        raise ValueError(f"backend must be sqlite or postgres, not {backend!r}")
    dsn = dsn or os.environ.get("MH_PG_DSN")
    if not dsn:
        raise RuntimeError("the postgres backend needs MH_PG_DSN (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    import psycopg

    schema_name = f"mh_bench_{secrets.token_hex(6)}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema_name}")
    try:
        url = _pg_url(dsn, schema_name)
        store = Store.open(url)
        try:
            return _measure(store, url, meters, days, batch, first_day, seed, writers, vee, history_days)
        finally:
            store.close()
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA IF EXISTS {schema_name} CASCADE")


if __name__ == "__main__":  # pragma: no cover
    import json
    import sys

    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else "sqlite")))
