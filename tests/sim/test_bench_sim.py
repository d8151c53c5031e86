"""``meterhub bench sim``: the simulator benchmark runs and reports its figures (how fast is its business, not the
test's: no clock is asserted here)."""

from __future__ import annotations

from benchmarks import sim


def test_bench_sim_reports_register_and_interval_costs() -> None:
    out = sim.run(calls=10, repeats=1)
    assert out["benchmark"] == "sim" and out["register_calls"] == 10 and out["goal_us_per_register"] == 1000.0
    for kind in ("plain", "full"):
        assert 0 < out[f"{kind}_us_per_register"] <= out[f"{kind}_us_per_register_median"]
        assert out[f"{kind}_us_per_day_of_intervals"] > 0
    assert isinstance(out["meets_goal"], bool)
