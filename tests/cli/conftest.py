"""A small country in a real data dir for the operator commands: built once per session, copied per test.

Beside it, real processes: :func:`cli` runs ``meterhub`` in its own process, :func:`build_demo` a small
``meterhub demo`` (a few meters behind one concentrator on a known port) and :func:`live_fleet` its fleet
again, for the head-end and ad-hoc read tests.

DSO ``creos``: meters E0..E5 in grid area N1 on concentrator C1 (E0 also measures export A− and has a gas
sub-meter G0 on M-Bus channel 1); DSO ``sudgaz``: E6 and E7 in grid area S1. Every electricity meter has all
of June 2026 (quarter hours) except E7, which stops on 20 June; G0 has June hourly. Readings are cumulative,
so the store holds daily register reads at every local midnight.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from meterhub.cli.main import app
from meterhub.mdm.billing import month_bounds
from meterhub.mdm.ingest import IngestService, ReadingArrays
from meterhub.store import Store
from meterhub.store.intervals import LOCAL_TZ

INSTALLED = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass
class Country:
    data_dir: Path
    readings: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]  # (serial, obis) → (epochs, cumulative)

    def invoke(self, *args: str) -> CliResult:
        result = CliRunner().invoke(app, ["--data-dir", str(self.data_dir), *args], env={"COLUMNS": "220"})
        return CliResult(result.exit_code, result.stdout, result.stderr, result.exception)

    def store(self) -> Store:
        return Store.open(self.data_dir)


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None


def _ingest(store: Store, ch: int, start: datetime, end: datetime, interval_s: int, seed: int):
    a, b = int(start.timestamp()), int(end.timestamp())
    starts = np.arange(a, b, interval_s, dtype=np.int64)
    vals = np.random.default_rng(seed).integers(0, 300, starts.size)
    epochs = np.append(starts, b)
    readings = (10_000 * (seed + 1) + np.concatenate(([0], np.cumsum(vals)))).astype(np.int64)
    IngestService(store).ingest_profile(ch, ReadingArrays(epochs, readings))
    return epochs, readings


def _build(data_dir: Path) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    start, end = month_bounds(2026, 6)
    readings = {}
    with Store.open(data_dir) as store:
        creos, sudgaz = store.add_dso("creos", "Creos"), store.add_dso("sudgaz", "Sudgaz")
        c1 = store.add_concentrator(creos, "C1", "127.0.0.1", 4059)
        plan = [(creos, "N1")] * 6 + [(sudgaz, "S1")] * 2
        for k, (dso, area) in enumerate(plan):
            serial = f"E{k}"
            meter = store.add_meter(serial, dso, model="E", firmware="1", concentrator_id=c1 if dso == creos else None,
                                    installed_at=INSTALLED)  # fmt: skip
            mp = store.add_metering_point(f"LU{k:031d}", dso, grid_area=area)
            store.install(mp, meter, INSTALLED)
            ch = store.add_channel(meter, "1.0.1.8.0.255", unit="Wh", interval_s=900)
            stop = datetime(2026, 6, 20, tzinfo=LOCAL_TZ).astimezone(UTC) if serial == "E7" else end
            readings[(serial, "1.0.1.8.0.255")] = _ingest(store, ch, start, stop, 900, k)
            if k == 0:
                export = store.add_channel(meter, "1.0.2.8.0.255", unit="Wh", interval_s=900)
                readings[(serial, "1.0.2.8.0.255")] = _ingest(store, export, start, end, 900, 100)
                gas = store.add_meter("G0", creos, model="G", firmware="1", medium="gas", parent_meter_id=meter,
                                      mbus_channel=1, installed_at=INSTALLED)  # fmt: skip
                gch = store.add_channel(gas, "0.1.24.2.1.255", unit="l", interval_s=3600, medium="gas")
                readings[("G0", "0.1.24.2.1.255")] = _ingest(store, gch, start, end, 3600, 200)
    return readings


@pytest.fixture(scope="session")
def _country_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    d = tmp_path_factory.mktemp("country")
    readings = _build(d)
    return d, readings


@pytest.fixture
def country(_country_template: tuple[Path, dict], tmp_path: Path) -> Iterator[Country]:
    template, readings = _country_template
    data_dir = tmp_path / "data"
    shutil.copytree(template, data_dir)
    yield Country(data_dir, readings)


# ------------------------------------------------------------------------------------- real processes


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 180.0) -> subprocess.CompletedProcess[str]:
    """``meterhub ARGS`` in its own process (80 columns, no inherited store or key settings)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("MH_") or k in ("MH_PG_DSN", "MH_VECTORS")}
    return subprocess.run(
        [sys.executable, "-m", "meterhub.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**base, "COLUMNS": "80", **(env or {})},
    )


def invoke(*args: str, env: dict[str, str] | None = None) -> CliResult:
    """``meterhub ARGS`` in this process (80 columns): for the many error cases that need no subprocess each.
    An uncaught exception (what would print a traceback) fails the test here."""
    result = CliRunner().invoke(
        app,
        list(args),
        env={"COLUMNS": "80", "MH_STORE_URL": None, "MH_KEY_FILE": None, "MH_DATA_DIR": None, **(env or {})},
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"meterhub {' '.join(args)} raised {result.exception!r}") from result.exception
    return CliResult(result.exit_code, result.stdout, result.stderr, result.exception)


@dataclass
class SmallDemo:
    """``meterhub demo --no-serve`` of a few meters behind one concentrator on a known port."""

    data_dir: Path
    meters: int
    port_base: int
    store: str | None = None  # the --store of the demo (None: the data dir's SQLite)

    def args(self) -> list[str]:
        return ["--data-dir", str(self.data_dir), *(["--store", self.store] if self.store else [])]

    def serials(self) -> list[str]:
        return [m["serial"] for m in json.loads((self.data_dir / "fleet.json").read_text())["meters"]]


def build_demo(data_dir: Path, meters: int = 6, store: str | None = None) -> SmallDemo:
    from tests.hes.conftest import free_port_base

    demo = SmallDemo(data_dir, meters, free_port_base(1), store)
    done = cli(*demo.args(), "demo", "--meters", str(meters), "--concentrators", "1", "--no-serve",
               "--fleet-port-base", str(demo.port_base), timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return demo


@contextmanager
def live_fleet(demo: SmallDemo, tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """The demo's fleet running again (same seed, size, ports and master secret) in its own process."""
    from tests.hes.conftest import stop_process, wait_for_line

    process = subprocess.Popen(
        [sys.executable, "-m", "meterhub.cli.main", "sim", "fleet", "--meters", str(demo.meters), "--concentrators",
         "1", "--seed", "1", "--port-base", str(demo.port_base), "--plc", "fast", "--manifest",
         str(tmp_path / "fleet-again.json"), "--master-secret-file", str(demo.data_dir / "fleet.secret")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        wait_for_line(process, "listening", 60)
        yield process
    finally:
        stop_process(process)


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> SmallDemo:
    """One small SQLite demo for the session (tests that change its store or key file work on a copy)."""
    return build_demo(tmp_path_factory.mktemp("demo") / "data")
