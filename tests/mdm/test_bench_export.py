"""``meterhub bench export``: the export benchmark builds its store, checks both exports write the same bytes and
reports CPU seconds per million rows beside the row-by-row baseline (no clock is asserted here)."""

from __future__ import annotations

from benchmarks import export


def test_bench_export_reports_ours_and_the_baseline() -> None:
    out = export.run(meters=3, days=3, rounds=1)
    assert out["benchmark"] == "export" and out["byte_identical"] is True
    assert out["rows"] == 3 * 2 * 3 * 96  # A+ and A− of 3 meters, 30 Oct … 1 Nov
    assert out["ours_cpu_s_per_m_rows"] >= 0 and out["baseline_row_by_row_cpu_s_per_m_rows"] >= 0
    assert isinstance(out["meets_goal"], bool) and out["goal_cpu_s_per_m_rows"] == export.GOAL_CPU_S_PER_M_ROWS
