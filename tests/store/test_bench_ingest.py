"""``meterhub bench ingest --json [--backend sqlite|postgres]``: the ingest benchmark runs end to end on both
backends and reports its figures (small fleet here; the real figures are in docs/benchmarks.md)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.pg import BACKENDS, pg_dsn


@pytest.mark.parametrize(("vee", "writers"), [(True, 1), (False, 1), (True, 2)])
@pytest.mark.parametrize("backend", BACKENDS)
def test_bench_ingest_prints_json(backend: str, vee: bool, writers: int) -> None:
    if backend == "postgres":
        pg_dsn()  # skip locally / fail in CI without a server
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "meterhub.cli.main",
            "bench",
            "ingest",
            "--json",
            "--meters",
            "12",
            "--backend",
            backend,
            "-o",
            f"vee={str(vee).lower()}",
            "-o",
            "history_days=3",
            "-o",
            f"writers={writers}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures = json.loads(out)
    assert figures["backend"] == {"sqlite": "sqlite", "postgres": "postgresql"}[backend]
    # 12 meters x 4 channels x 7 days across spring-forward (6 x 96 + 92 slots)
    slots, channel_days = 12 * 4 * (6 * 96 + 92), 12 * 4 * 7
    if vee:  # the faults injected (gaps of 1 to 48 readings on 1 % of the channel days) lose a few slots
        assert 0.97 * slots < figures["values"] <= slots
        assert figures["days_validated"] + figures["days_sent_to_full_vee"] == channel_days
        assert figures["blocks"] >= channel_days
        assert figures["vee"] == "validation + estimation at ingest"
    else:
        assert figures["values"] == slots and figures["blocks"] == channel_days
        assert figures["vee"] == "not included"
    assert figures["writers"] == writers and figures["values_per_s"] > 0
    assert 0 < figures["bytes_per_value"] < 50  # tiny fleet: fixed page overheads dominate


def test_bench_ingest_refuses_an_unknown_backend() -> None:
    from benchmarks.ingest import run

    with pytest.raises(ValueError, match="sqlite or postgres"):
        run(backend="oracle", meters=1, days=1)
