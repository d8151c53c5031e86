"""``meterhub bench portal``: the meter-list benchmark builds its fleet and reports page times (no clock is
asserted here: the goal is the benchmark's business)."""

from __future__ import annotations

from benchmarks import portal, portal_pages


def test_bench_portal_reports_first_and_last_page_times() -> None:
    out = portal.run(meters=2 * portal.PAGE_SIZE, repeats=1, pages=False)
    assert out["benchmark"] == "portal" and out["meters"] == 200 and out["page_size"] == portal.PAGE_SIZE
    assert 0 < out["first_page_ms"] <= out["first_page_ms_median"] and out["last_page_ms"] > 0
    assert out["goal_ms"] == 1000.0 and isinstance(out["meets_goal"], bool)


def test_bench_portal_times_every_household_page() -> None:
    out = portal_pages.run(meters=12, months=2, repeats=2)
    assert out["benchmark"] == "portal-pages" and "/home" in out["page_p99_ms"]
    assert all(code == 200 for code in out["status"].values()), out["status"]
    assert all(ms > 0 for ms in out["page_p99_ms"].values()) and isinstance(out["meets_goal"], bool)
