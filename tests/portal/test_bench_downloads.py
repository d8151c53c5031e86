"""``meterhub bench downloads``: the household's three-year download benchmark builds its store and reports the
times, sizes and memory peaks of the CSV and the Green Button downloads (no clock is asserted here: the goal is the
benchmark's business)."""

from __future__ import annotations

from benchmarks import downloads


def test_bench_downloads_reports_times_sizes_and_peaks() -> None:
    out = downloads.run(days=40, repeats=1)
    assert out["benchmark"] == "downloads" and out["days"] == 40
    assert out["csv_rows"] == 40 * 96 + 4  # 22 October … 30 November 2026: the autumn change has 100
    for name in ("csv", "espi"):
        assert out[f"{name}_ms"] > 0 and out[f"{name}_mb"] > 0 and out[f"{name}_peak_mb"] > 0
    assert isinstance(out["meets_goal"], bool)
