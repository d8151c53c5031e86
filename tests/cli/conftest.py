"""A small country in a real data dir for the operator commands: built once per session, copied per test.

DSO ``creos``: meters E0..E5 in grid area N1 on concentrator C1 (E0 also measures export A− and has a gas
sub-meter G0 on M-Bus channel 1); DSO ``sudgaz``: E6 and E7 in grid area S1. Every electricity meter has all
of June 2026 (quarter hours) except E7, which stops on 20 June; G0 has June hourly. Readings are cumulative,
so the store holds daily register reads at every local midnight.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
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
