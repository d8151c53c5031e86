"""``meterhub bench query``: the "3 years of one meter" benchmark builds its (cached) store and reports p50/p99
on both backends (a tiny fleet here; the real figures are in the closing note of issue 5)."""

from __future__ import annotations

import pytest
from benchmarks import query

from tests.pg import BACKENDS, pg_dsn


@pytest.mark.parametrize("backend", BACKENDS)
def test_bench_query_small(backend: str) -> None:
    if backend == "postgres":
        pg_dsn()
    first = query.run(meters=6, years=1, backend=backend, queries=5, rebuild=True)
    assert first["cached"] is False and first["blocks"] == 6 * 365
    assert first["blocks_per_query"] == 365 and first["values_per_query"] == 363 * 96 + 92 + 100
    assert 0 < first["p50_ms"] <= first["p99_ms"] and "extrapolation_400k" in first
    again = query.run(meters=6, years=1, backend=backend, queries=5, keep=False)
    assert again["cached"] is True and again["blocks"] == first["blocks"]
