"""``meterhub demo``: a demo country on one machine — fleet, head-end reads, store, web app.

Steps: start the simulated fleet (7 DSOs, concentrators, direct meters, M-Bus gas/water/heat sub-meters) in
its own process; provision its meters, metering points and channels in the embedded SQLite store; load the
last few days before the head-end's from the simulator's models through the MDM ingest path (source
``sim-history``); read the last two days from every meter through the head-end over real DLMS/TCP (source
``hes``), re-reading gaps; then serve the web app while :mod:`meterhub.demo_history` fills the rest in the
background — every meter from the 1st of last month (and last month's billing run), the showcase homes over
three years. Re-running on the same data dir provisions nothing twice and ingests idempotently.

Keys: the simulated meters hold keys derived from the data dir's fleet master secret; the demo writes them
to the deployment's key file (:func:`write_meter_keys`, mode 0600) and reads with a
:class:`~meterhub.hes.keyfile.KeyFileProvider` over that file, as ``meterhub hes run`` and ``meterhub read``
do later — nothing is derived at run time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import multiprocessing
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Final, cast

import numpy as np

from meterhub.cosem import obis as o
from meterhub.country import LOCAL_TZ
from meterhub.dlms.security import CipherKeys
from meterhub.hes.headend import HeadEnd, KeyProvider, MeterTarget, RunReport, load_targets
from meterhub.hes.keyfile import MeterKeys, MissingMeterKeys, add_meter_keys
from meterhub.hes.push import PushListener, PushSource
from meterhub.hes.reader import ENERGY_REGISTERS
from meterhub.mdm.ingest import IngestService, ReadingArrays
from meterhub.mdm.vee_service import VeeService
from meterhub.sim import consumption as c
from meterhub.sim.fleet import DSOS, FleetPlan, PlannedMeter
from meterhub.sim.meter import derive_keys
from meterhub.store import Medium
from meterhub.store.channels import add_channels
from meterhub.store.db import Store
from meterhub.store.inventory import (
    add_meter,
    add_metering_point,
    install,
    set_concentrator_address,
    set_meter_address,
)

LUX: Final = LOCAL_TZ
QUARTER_S: Final = 900
HOUR_S: Final = 3600
_UNITS: Final = {"gas": "l", "water": "l", "heat": "Wh"}


class DerivedKeyProvider:
    """Keys derived from the fleet master secret: the keys the demo's simulated meters hold (the demo writes
    them to the key file with :func:`write_meter_keys`; the platform reads them from there)."""

    def __init__(self, master_secret: bytes) -> None:
        self._master = master_secret
        self._cache: dict[str, CipherKeys] = {}

    def keys_for(self, serial: str) -> CipherKeys:
        keys = self._cache.get(serial)
        if keys is None:
            keys = self._cache[serial] = CipherKeys(*derive_keys(self._master, serial))
        return keys


def master_secret(data_dir: Path) -> bytes:
    """The fleet master secret of this data dir, created (mode 0600) on first use."""
    path = data_dir / "fleet.secret"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def write_meter_keys(key_file: Path, master: bytes, serials: Iterable[str]) -> int:
    """The demo's key provisioning: add the keys of the meters ``serials`` (derived from ``master``) to the
    deployment's key file (created with mode 0600); returns the meters in the file."""
    return add_meter_keys(key_file, {s: MeterKeys(*derive_keys(master, s)) for s in serials})


@dataclass
class FleetProcess:
    """The simulated fleet running in a child process."""

    process: subprocess.Popen[str]
    plan: FleetPlan

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_fleet(
    data_dir: Path,
    meters: int,
    concentrators: int,
    seed: int,
    port_base: int,
    plc: str,
    timeout_s: float = 120.0,
    push_port: int | None = None,
) -> FleetProcess:
    """Start ``meterhub sim fleet`` and wait for its manifest."""
    manifest = data_dir / "fleet.json"
    manifest.unlink(missing_ok=True)
    master_secret(data_dir)
    cmd = [
        sys.executable,
        "-m",
        "meterhub.cli.main",
        "sim",
        "fleet",
        "--meters",
        str(meters),
        "--concentrators",
        str(concentrators),
        "--seed",
        str(seed),
        "--port-base",
        str(port_base),
        "--plc",
        plc,
        "--manifest",
        str(manifest),
        "--master-secret-file",
        str(data_dir / "fleet.secret"),
    ]
    if push_port:
        cmd += ["--push", f"127.0.0.1:{push_port}"]
    log = (data_dir / "fleet.log").open("w")
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True)
    deadline = time.monotonic() + timeout_s
    assert process.stdout is not None
    line = process.stdout.readline()
    while "listening" not in line:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            log.close()
            tail = (data_dir / "fleet.log").read_text().strip().splitlines()[-3:]
            raise RuntimeError(f"the simulated fleet did not start: {' / '.join(tail) or 'no output'}")
        line = process.stdout.readline()
    return FleetProcess(process, FleetPlan.from_json(manifest.read_text()))


def provision(
    store: Store, plan: FleetPlan, installed_at: dt.datetime, earlier: Mapping[str, dt.datetime] | None = None
) -> int:
    """Create DSOs, concentrators, metering points, meters, sub-meters and channels; returns meters added.

    Meters are installed at ``installed_at``, those in ``earlier`` (serial → instant: the showcase homes, whose
    history goes further back) then. One transaction; meters already present (by serial) only get their network
    address updated.
    """
    earlier = earlier or {}
    existing = {m.serial: m for m in store.list_meters()}
    dsos = {p.code: p.id for p in store.list_parties("dso")}
    for code, name, _ in DSOS:
        if code not in dsos:
            dsos[code] = store.add_dso(code, name)
    concentrators = {cc.code: cc.id for cc in store.list_concentrators()}
    for code, dc in plan.concentrators.items():
        if code not in concentrators:
            concentrators[code] = store.add_concentrator(dsos[dc["dso"]], code, plan.host, int(dc["port"]))
        else:
            with store.write() as conn:
                set_concentrator_address(conn, concentrators[code], plan.host, int(dc["port"]))
    added = 0
    with store.write() as conn:
        for m in plan.meters:
            known = existing.get(m.serial)
            if known is not None:
                if (known.host, known.port, known.wport) != (m.host, m.port, m.wport):
                    # the fleet listens on new (free) ports each run: keep the inventory's address current
                    set_meter_address(conn, known.id, m.host, m.port, m.wport)
                continue
            dso_id = dsos[m.dso]
            at = min(installed_at, earlier.get(m.serial, installed_at))
            mp_id = add_metering_point(conn, m.ean, dso_id, grid_area=m.dso, postcode=m.postcode)
            meter_id = add_meter(
                conn,
                m.serial,
                dso_id,
                model="LUX-SIM E3",
                firmware="1.0.0",
                medium="electricity",
                concentrator_id=concentrators.get(m.concentrator) if m.concentrator else None,
                host=m.host,
                port=m.port,
                wport=m.wport,
                system_title=m.system_title.lower(),
                installed_at=at,
            )
            install(conn, mp_id, meter_id, at)
            channels = [
                {
                    "meter_id": meter_id,
                    "obis": str(ln),
                    "medium": "electricity",
                    "unit": "varh" if i > 1 else "Wh",
                    "scaler": 0,
                    "interval_s": QUARTER_S,
                }
                for i, ln in enumerate(ENERGY_REGISTERS)
            ]
            for sub in m.sub_meters:
                sub_id = add_meter(
                    conn,
                    sub.serial,
                    dso_id,
                    model=f"MBUS-{sub.medium.upper()}",
                    firmware="1.0",
                    medium=cast(Medium, sub.medium),
                    parent_meter_id=meter_id,
                    mbus_channel=sub.channel,
                    installed_at=at,
                )
                channels.append(
                    {
                        "meter_id": sub_id,
                        "obis": str(o.mbus_value(sub.channel)),
                        "medium": sub.medium,
                        "unit": _UNITS[sub.medium],
                        "scaler": 0,
                        "interval_s": HOUR_S,
                    }
                )
            add_channels(conn, channels)
            added += 1
    return added


def _floor(t_: dt.datetime, seconds: int) -> dt.datetime:
    ts = int(t_.timestamp())
    return dt.datetime.fromtimestamp(ts - ts % seconds, dt.UTC)


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=LUX).astimezone(dt.UTC)


def history_batches(
    plan: FleetPlan, targets: list[MeterTarget], start: dt.datetime, end: dt.datetime
) -> Iterator[tuple[int, list[tuple[int, ReadingArrays]]]]:
    """Per meter: the readings the simulator's models give for [start, end] (interval ends), as arrays."""
    by_serial = {m.serial: m for m in plan.meters}
    nq = int((end - start).total_seconds()) // QUARTER_S
    nh = int((end - start).total_seconds()) // HOUR_S
    q_epochs = int(start.timestamp()) + QUARTER_S * np.arange(nq + 1, dtype=np.int64)
    h_epochs = int(start.timestamp()) + HOUR_S * np.arange(nh + 1, dtype=np.int64)
    for target in targets:
        planned = by_serial.get(target.serial)
        if planned is None:
            continue
        traits = c.HouseholdTraits.draw(planned.seed, planned.serial)
        elec = c.ElectricityModel(traits)
        base = np.asarray(elec.register(start), dtype=np.int64)
        cum = np.vstack([base, base + np.cumsum(elec.intervals(start, nq), axis=0)])
        batch: list[tuple[int, ReadingArrays]] = []
        for i, ln in enumerate(ENERGY_REGISTERS):
            channel_id = target.channels.get(str(ln))
            if channel_id is not None:
                batch.append((channel_id, ReadingArrays(q_epochs, cum[:, i].copy())))
        for ch, (_medium, model) in enumerate(c.sub_meter_models(traits), start=1):
            sub = target.mbus_channels.get(ch)
            if sub is None:
                continue
            hbase = int(model.register(start))
            hcum = np.concatenate([[hbase], hbase + np.cumsum(model.intervals(start, nh))]).astype(np.int64)
            batch.append((sub[1], ReadingArrays(h_epochs, hcum)))
        yield target.meter_id, batch


def _history_chunk(
    store_url: str, meters: list[PlannedMeter], targets: list[MeterTarget], start: dt.datetime, end: dt.datetime
) -> int:
    """Worker: ingest the history of a chunk of meters through the MDM ingest path (own store handle)."""
    store = Store.open(store_url, migrate=False)
    try:
        plan = FleetPlan(0, "", meters=meters)
        batches = [b for _, batch in history_batches(plan, targets, start, end) for b in batch]
        vee = VeeService(store, temperature=c.temperature_c)  # each day validated (and estimated) as it is loaded
        return IngestService(store, vee).ingest_many(list(batches), "sim-history").versions_written
    finally:
        store.close()


def load_history(
    store: Store,
    plan: FleetPlan,
    targets: list[MeterTarget],
    start: dt.datetime,
    end: dt.datetime,
    progress: Callable[[int], None] | None = None,
    meters_per_tx: int = 50,
    workers: int | None = None,
) -> int:
    """Ingest the simulator's history for [start, end] through the MDM ingest path (source sim-history).

    The models' arithmetic and block packing run in ``workers`` processes (default: one per CPU); each
    writes its chunks of meters through its own :class:`IngestService` (SQLite serialises the commits).
    """
    workers = workers or os.cpu_count() or 1
    by_serial = {m.serial: m for m in plan.meters}
    chunks = [targets[i : i + meters_per_tx] for i in range(0, len(targets), meters_per_tx)]
    url = store.engine.url.render_as_string(hide_password=False)
    versions = 0
    if workers == 1:
        for chunk in chunks:
            versions += _history_chunk(url, [by_serial[t.serial] for t in chunk], chunk, start, end)
            if progress:
                progress(len(chunk))
        return versions
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {
            pool.submit(_history_chunk, url, [by_serial[t.serial] for t in chunk], chunk, start, end): len(chunk)
            for chunk in chunks
        }
        for future in as_completed(futures):
            versions += future.result()
            if progress:
                progress(futures[future])
    return versions


async def read_recent(
    store: Store,
    keys: KeyProvider,
    targets: list[MeterTarget],
    start: dt.datetime,
    end: dt.datetime,
    progress: Callable[[int], None] | None = None,
) -> tuple[RunReport, RunReport]:
    """Read [start, end] from every meter over DLMS, then re-read what is missing."""
    headend = HeadEnd(store, keys, vee=VeeService(store, temperature=c.temperature_c))
    try:
        report = await headend.read_window(targets, start + dt.timedelta(seconds=QUARTER_S), end, progress=progress)
        day_from = start.astimezone(LUX).date()
        day_to = end.astimezone(LUX).date()
        reread = await headend.reread_gaps(targets, day_from, day_to, until=end)
    finally:
        await headend.close()
    return report, reread


class StorePushSources:
    """Push sources by system title, from the store's meters and the key provider (refreshed on a miss; a
    meter without keys sends no push that could be checked, so it is left out)."""

    def __init__(self, store: Store, keys: KeyProvider, refresh_s: float = 5.0) -> None:
        self.store = store
        self.keys = keys
        self.refresh_s = refresh_s
        self._by_title: dict[bytes, PushSource] = {}
        self._loaded = 0.0

    def __call__(self, system_title: bytes) -> PushSource | None:
        source = self._by_title.get(system_title)
        if source is None and time.monotonic() - self._loaded > self.refresh_s:
            self._loaded = time.monotonic()
            by_title: dict[bytes, PushSource] = {}
            for m in self.store.list_meters(medium="electricity"):
                if not m.system_title:
                    continue
                try:
                    by_title[bytes.fromhex(m.system_title)] = PushSource(m.id, m.serial, self.keys.keys_for(m.serial))
                except MissingMeterKeys:
                    continue
            self._by_title = by_title
            source = self._by_title.get(system_title)
        return source


class PushListenerThread:
    """The head-end's alarm push listener on its own thread and event loop, for the demo's lifetime."""

    def __init__(self, store: Store, keys: KeyProvider) -> None:
        self.listener = PushListener(store, StorePushSources(store, keys))
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="push-listener", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self.port = self._loop.run_until_complete(self.listener.start("127.0.0.1", 0))
        self._ready.set()
        self._loop.run_forever()

    def start(self) -> int:
        self._thread.start()
        self._ready.wait(10)
        return self.port

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


def write_summary(data_dir: Path, summary: dict[str, object]) -> None:
    (data_dir / "demo-summary.json").write_text(json.dumps(summary, indent=1, default=str))


def demo_windows(now: dt.datetime) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    """(history start, head-end window start, head-end window end): every meter's history starts at local
    midnight of the 1st of last month (so last month can be billed); the last 2 local days are read over DLMS."""
    today = now.astimezone(LUX).date()
    hes_start = local_midnight(today - dt.timedelta(days=1))
    first = today.replace(day=1)
    history_start = local_midnight((first - dt.timedelta(days=1)).replace(day=1))
    end = _floor(now, QUARTER_S)
    return history_start, hes_start, end


__all__ = [
    "DerivedKeyProvider",
    "FleetProcess",
    "demo_windows",
    "load_history",
    "load_targets",
    "master_secret",
    "provision",
    "read_recent",
    "start_fleet",
    "write_meter_keys",
]
