"""``meterhub bench history``: the History page benchmark builds its home and reports each view's p99 and median
(no clock is asserted here: the goal is the benchmark's business)."""

from __future__ import annotations

from benchmarks import history


def test_bench_history_reports_every_view() -> None:
    out = history.run(repeats=1, days=45)
    assert out["benchmark"] == "history" and out["days"] == 45 and out["repeats"] == 1
    assert set(out["page_p99_ms"]) == set(history.VIEWS) == set(out["page_median_ms"])
    assert all(v > 0 for v in out["page_p99_ms"].values())
    assert out["goal_ms"] == 300.0 and isinstance(out["meets_goal"], bool)
