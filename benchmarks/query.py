"""Query benchmark: "3 years of one meter at 1/4 h" on a store holding ``years`` × ``meters``.

``run(meters=10000, years=3, backend="sqlite"|"postgres", queries=1000)``. Each meter has one quarter-hour
channel, A+ (1.0.1.8.0.255): the query is the meter's active-import energy, every current block version
(:func:`meterhub.store.current_blocks` through :meth:`Store.current_blocks`) of the 3 years ≈ 1096 local
days, **unpacked** to int64 values and quality codes — what a customer portal or an export asks for. The
clock runs from the call to the unpacked arrays (connection from the pool, SQL, transfer, decoding), one
query at a time, over ``queries`` meters drawn at random (after 10 warm-up queries). ``p50_ms``/``p99_ms``
are with Python's default garbage collection; ``…_gc_frozen`` time as many other random meters after ``gc.freeze()``
(the start-up objects no longer traversed by full GC passes, which make most of the default tail).

Building the store does not go through ingest (3 years × 10 000 meters = 10.96 M blocks): a pool of
plausible household days is packed once with :func:`pack_values_many` / :func:`pack_quality`, and each
(channel, day) gets one of them, inserted in bulk with :func:`meterhub.store.blocks.insert_block_rows` (SQLite:
``executemany`` channel after channel; PostgreSQL: binary COPY day after day, as ingest fills the month
partitions in operation, so a channel's rows are spread over the heap as they would be). The block sizes are
those of real packed days (~100–150 bytes).

The generated store is cached, keyed by (meters, years, format version): SQLite under
``$TMPDIR/meterhub-bench-query-m{meters}-y{years}-v1/``, PostgreSQL in the schema
``mh_bench_query_m{meters}_y{years}_v1`` of ``MH_PG_DSN``; a second run reuses it (``rebuild=True`` starts
over, ``keep=False`` drops it afterwards). The JSON says ``cached`` and ``build_s``.
"""

from __future__ import annotations

import gc
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from meterhub.store import Store, schema
from meterhub.store.blocks import BlockRow, insert_block_rows
from meterhub.store.intervals import local_day_slots, pack_quality, pack_values_many

Q = 900
FORMAT = "v1"
POOL = 2048  # distinct packed days per day length
LAST_DAY = date(2026, 10, 31)


def _days(years: int) -> list[date]:
    first = LAST_DAY.replace(year=LAST_DAY.year - years) + timedelta(days=1)
    return [first + timedelta(days=i) for i in range((LAST_DAY - first).days + 1)]


def _pool(rng: np.random.Generator) -> dict[int, tuple[list[bytes], bytes]]:
    """Packed household days (A+ Wh per quarter-hour) and the packed all-measured quality, per day length."""
    out: dict[int, tuple[list[bytes], bytes]] = {}
    for slots in (92, 96, 100):
        t = (np.arange(slots) % 96) / 4.0
        shape = 40 + 120 * np.exp(-((t - 7.5) ** 2) / 2) + 260 * np.exp(-((t - 19) ** 2) / 4)
        scale = rng.uniform(0.4, 2.0, (POOL, 1))
        values = np.rint(np.maximum(0, rng.normal(shape * scale, 25 * scale))).astype(np.int64)
        out[slots] = (pack_values_many(list(values)), pack_quality(np.ones(slots, np.uint8)))
    return out


def _provision(store: Store, meters: int) -> list[int]:
    dso = store.add_dso("bench", "Benchmark DSO")
    with store.write() as conn:
        conn.execute(
            schema.meter.insert(),
            [
                {"serial": f"Q{i:08d}", "dso_id": dso, "model": "E360", "firmware": "1", "medium": "electricity"}
                for i in range(meters)
            ],
        )
        ids = [int(r[0]) for r in conn.execute(sa.select(schema.meter.c.id).order_by(schema.meter.c.id))]
        conn.execute(
            schema.channel.insert(),
            [
                {"meter_id": m, "obis": "1.0.1.8.0.255", "medium": "electricity", "unit": "Wh", "interval_s": Q}
                for m in ids
            ],
        )
        return [int(r[0]) for r in conn.execute(sa.select(schema.channel.c.id).order_by(schema.channel.c.id))]


def _build(store: Store, meters: int, years: int, seed: int) -> int:
    """Fill the store; returns the number of blocks written."""
    rng = np.random.default_rng(seed)
    pool = _pool(rng)
    channels = _provision(store, meters)
    days = _days(years)
    slots = [local_day_slots(d, Q) for d in days]
    created = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
    pick = np.random.default_rng(seed + 1)
    if store.engine.dialect.name == "postgresql":
        store.ensure_partitions(days[0], days[-1])
        for lo in range(0, len(days), 31):  # one transaction per ~month of days, one COPY per day
            with store.write() as conn:
                for d, n in zip(days[lo : lo + 31], slots[lo : lo + 31], strict=True):
                    blobs, quality = pool[n]
                    idx = pick.integers(0, POOL, len(channels)).tolist()
                    insert_block_rows(
                        conn,
                        [(ch, d, 1, n, blobs[i], quality, created, "bench", None)
                         for ch, i in zip(channels, idx, strict=True)],
                    )  # fmt: skip
    else:
        step = max(1, 200_000 // len(days))
        for lo in range(0, len(channels), step):  # channel after channel: one executemany per ~200 000 blocks
            rows: list[BlockRow] = []
            for ch in channels[lo : lo + step]:
                idx = pick.integers(0, POOL, len(days)).tolist()
                rows += [
                    (ch, day, 1, n, pool[n][0][i], pool[n][1], created, "bench", None)
                    for day, n, i in zip(days, slots, idx, strict=True)
                ]
            with store.write() as conn:
                insert_block_rows(conn, rows)
    with store.write() as conn:
        if store.engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE interval_block")
        else:
            conn.exec_driver_sql("ANALYZE")
    return len(channels) * len(days)


def _pg_url(dsn: str, schema_name: str) -> str:
    url = sa.make_url(dsn.replace("postgres://", "postgresql://", 1) if dsn.startswith("postgres://") else dsn)
    url = url.set(drivername="postgresql+psycopg").update_query_dict({"options": f"-csearch_path={schema_name}"})
    return url.render_as_string(hide_password=False)


def _open(backend: str, meters: int, years: int, dsn: str | None, rebuild: bool) -> tuple[Store, Any]:
    """The cached store (built if absent) and a callable dropping it."""
    key = f"m{meters}_y{years}_{FORMAT}"
    if backend == "sqlite":
        directory = Path(tempfile.gettempdir()) / f"meterhub-bench-query-{key.replace('_', '-')}"
        if rebuild or not (directory / "complete").exists():
            import shutil

            shutil.rmtree(directory, ignore_errors=True)
        store = Store.open(directory)

        def drop() -> None:
            import shutil

            shutil.rmtree(directory, ignore_errors=True)

        return store, (directory, drop)
    if backend not in ("postgres", "postgresql"):
        raise ValueError(f"backend must be sqlite or postgres, not {backend!r}")
    dsn = dsn or os.environ.get("MH_PG_DSN")
    if not dsn:
        raise RuntimeError("the postgres backend needs MH_PG_DSN (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    import psycopg

    name = f"mh_bench_query_{key}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        done = admin.execute("SELECT to_regclass(%s)", (f"{name}.mh_bench_complete",)).fetchone()
        if rebuild or done is None or done[0] is None:
            admin.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
            admin.execute(f"CREATE SCHEMA {name}")

    def drop_pg() -> None:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")

    return Store.open(_pg_url(dsn, name)), (None, drop_pg)


def _complete(store: Store, directory: Path | None) -> bool:
    if directory is not None:
        return (directory / "complete").exists()
    with store.read() as conn:
        return conn.exec_driver_sql("SELECT to_regclass('mh_bench_complete')").scalar() is not None


def _mark_complete(store: Store, directory: Path | None) -> None:
    if directory is not None:
        (directory / "complete").write_text("ok\n")
        return
    with store.write() as conn:
        conn.exec_driver_sql("CREATE TABLE mh_bench_complete (ok integer)")


def _time_queries(store: Store, channels: list[int], first: date, last: date) -> tuple[int, list[float]]:
    """Blocks returned by the last query and each query's milliseconds, sorted."""
    timings: list[float] = []
    got = 0
    for ch in channels:
        t0 = time.perf_counter()
        got = len(store.current_blocks([ch], first, last))
        timings.append((time.perf_counter() - t0) * 1000)
    return got, sorted(timings)


def _percentile(sorted_ms: list[float], p: float) -> float:
    k = min(len(sorted_ms) - 1, max(0, round(p / 100 * len(sorted_ms) + 0.5) - 1))
    return sorted_ms[k]


def run(
    meters: int = 10_000,
    years: int = 3,
    backend: str = "sqlite",
    queries: int = 1000,
    dsn: str | None = None,
    seed: int = 5,
    rebuild: bool = False,
    keep: bool = True,
    **_options: Any,
) -> dict[str, Any]:
    """Build (or reuse) the store and time ``queries`` random "3 years of one meter" queries."""
    store, (directory, drop) = _open(backend, meters, years, dsn, rebuild)
    try:
        cached = _complete(store, directory)
        build_s = 0.0
        if not cached:
            started = time.perf_counter()
            _build(store, meters, years, seed)
            build_s = time.perf_counter() - started
            _mark_complete(store, directory)
        with store.read() as conn:
            blocks = int(conn.execute(sa.select(sa.func.count()).select_from(schema.interval_block)).scalar_one())
            channels = [int(c) for c in conn.execute(sa.select(schema.channel.c.id)).scalars()]
        days = _days(years)
        rng = random.Random(seed)
        for ch in rng.sample(channels, min(10, len(channels))):  # warm-up: pool, statement caches
            store.current_blocks([ch], days[0], days[-1])
        sample = [rng.choice(channels) for _ in range(queries)]
        got, timings = _time_queries(store, sample, days[0], days[-1])
        # as many queries again with the objects of start-up frozen out of the cyclic GC (gc.freeze(), as a
        # long-running server can do once loaded): the default run's tail is mostly full GC passes over them
        gc.collect()
        gc.freeze()
        try:
            _, frozen = _time_queries(store, [rng.choice(channels) for _ in range(queries)], days[0], days[-1])
        finally:
            gc.unfreeze()
        figures: dict[str, Any] = {
            "backend": store.engine.dialect.name,
            "meters": meters,
            "years": years,
            "channel": "A+ (1.0.1.8.0.255), one per meter",
            "blocks": blocks,
            "blocks_per_query": got,
            "values_per_query": sum(local_day_slots(d, Q) for d in days),
            "queries": queries,
            "p50_ms": round(statistics.median(timings), 2),
            "p99_ms": round(_percentile(timings, 99), 2),
            "max_ms": round(timings[-1], 2),
            "p50_ms_gc_frozen": round(statistics.median(frozen), 2),
            "p99_ms_gc_frozen": round(_percentile(frozen, 99), 2),
            "cached": cached,
            "build_s": round(build_s, 1),
            "extrapolation_400k": (
                "The query reads one channel's ~1096 rows by primary key (channel_id, local_day, version). SQLite: "
                "one B-tree range scan of a WITHOUT ROWID table clustered on that key, so the rows are adjacent "
                "(~40 pages of ~4 KiB); 40x the meters adds about one B-tree level (log_fanout of 10.9 M vs 438 M "
                "rows, fanout ~100+), i.e. ~1 more page per query: the time stays flat while the store's pages "
                "fit the page cache, and a cold query costs ~40 page reads (a few ms on SSD). PostgreSQL: the "
                "partition key local_day prunes to the 36-37 month partitions of the window; each is one index "
                "range scan on its primary key (depth 3 at 10 k meters, 3-4 at 400 k: each month then holds 12 M "
                "rows) plus ~30 heap rows scattered over the month (ingest writes day after day), so cost grows "
                "with the index depth (+1 level) and with cache misses on the heap, not with the meter count. "
                "Decoding (~1096 blocks unpacked in Python/numpy) is the same at any fleet size and dominates "
                "the warm figure."
            ),
        }
        return figures
    finally:
        store.close()
        if not keep:
            drop()


if __name__ == "__main__":  # pragma: no cover
    import json
    import sys

    print(json.dumps(run(backend=sys.argv[1] if len(sys.argv) > 1 else "sqlite")))
