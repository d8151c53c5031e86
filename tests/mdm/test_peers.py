"""Peer statistics (:mod:`meterhub.mdm.peers`) over the small fleet of :mod:`tests.mdm.peers_world`, every figure
worked out by hand from the homes' constant quarter-hour use."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from meterhub.mdm import peers
from meterhub.store import Store
from meterhub.store.home_profiles import count_peer_stats, peer_stats
from tests.mdm.peers_world import NOW, build, slots_of
from tests.pg import BACKENDS, open_store

APR, MAY, SPRING = date(2025, 4, 1), date(2025, 5, 1), date(2025, 3, 1)
A_KEY, B_KEY = "size=2;heating=gas;dwelling=apartment", "size=2;heating=gas;dwelling=detached"


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with open_store(request.param, tmp_path) as s:
        build(s)
        yield s


def _stats(store: Store, kind: str, start: date) -> dict[str, object]:
    with store.read() as conn:
        keys = ["*", "size=2", "size=2;heating=gas", A_KEY, B_KEY]
        return {s.group_key: s for s in peer_stats(conn, "electricity", kind, [start], keys)}


def test_groups_of_twenty_or_more_only_widening_when_a_month_is_not_whole(store: Store) -> None:
    report = peers.run_peers(store, NOW, months=3)
    assert (report.months, report.seasons) == (3, 1)  # March, April, May; spring
    assert report.homes == {"electricity": 24}  # A19's May has a missing slot
    april = _stats(store, "month", APR)
    # April: the 20 flats are a group; the 4 detached houses never (4 < 20): they count from "size=2;heating=gas"
    assert {k: s.homes for k, s in april.items()} == {A_KEY: 20, "size=2;heating=gas": 24, "size=2": 24, "*": 25}
    may = _stats(store, "month", MAY)
    # May: A19 is out, 19 flats are not a group any more: the flat A3 is compared one level up (23 homes)
    assert {k: s.homes for k, s in may.items()} == {"size=2;heating=gas": 23, "size=2": 23, "*": 24}
    assert {k: s.homes for k, s in _stats(store, "season", SPRING).items()} == {
        "size=2;heating=gas": 23, "size=2": 23, "*": 24}  # fmt: skip
    with store.read() as conn:
        assert count_peer_stats(conn) == 4 + 4 + 3 + 3  # March (as April), April, May, spring
    assert report.stored == 14


def test_figures_of_a_group_worked_out_by_hand(store: Store) -> None:
    peers.run_peers(store, NOW, months=3)
    kwh = slots_of(APR, date(2025, 4, 30)) / 1000  # April: 2880 quarter-hours; a home of w Wh each uses w × 2.88 kWh
    assert kwh == 2.88
    flats = _stats(store, "month", APR)[A_KEY]
    # w = 50, 55 … 145: mean 97.5; the best 20 % = the 4 lowest, 50 55 60 65: 57.5; p50 = 97.5, p5 = 50 + 0.05·19·5
    assert flats.mean == pytest.approx(97.5 * kwh)
    assert flats.efficient == pytest.approx(57.5 * kwh)
    assert flats.percentiles[peers.PERCENTILES.index(50)] == pytest.approx(97.5 * kwh)
    assert flats.percentiles[0] == pytest.approx((50 + 0.05 * 19 * 5) * kwh)
    a3 = peers.standing(flats, 65 * kwh)  # the 4th lowest of 20; 65 / 57.5 − 1 = 13.0 %
    assert (a3.rank, a3.of, round(a3.versus_efficient_pct, 2)) == (4, 20, 13.04)
    may = _stats(store, "month", MAY)["size=2;heating=gas"]
    m = slots_of(MAY, date(2025, 5, 31)) / 1000  # 2976 quarter-hours
    # w sorted: 40 50 50 55 60 60 65 70 70 75 80 85 90 … 140 (23): the best 5 average 51, the median (12th) is 85
    assert may.efficient == pytest.approx(51 * m)
    assert may.percentiles[peers.PERCENTILES.index(50)] == pytest.approx(85 * m)
    s = peers.standing(may, 65 * m)
    assert (s.rank, s.of, round(s.versus_efficient_pct)) == (7, 23, 27)  # 65 / 51 − 1 = 27.5 %
    assert peers.standing(may, 10 * m).rank == 1 and peers.standing(may, 999 * m).rank == 23


def test_a_second_run_replaces_and_a_shrunk_group_disappears(store: Store) -> None:
    peers.run_peers(store, NOW, months=3)
    assert peers.run_peers(store, NOW, months=3, min_group=25).stored == 2  # only "*" in March and April
    assert set(_stats(store, "month", APR)) == {"*"}
    assert _stats(store, "month", MAY) == {}


def test_rank_and_season_helpers() -> None:
    assert peers.season_start(date(2026, 1, 1)) == date(2025, 12, 1)
    assert peers.season_start(date(2026, 5, 1)) == date(2026, 3, 1)
    assert peers.size_bucket(7) == 5
    assert [k for _, k in peers.group_keys(None)] == ["*"]


def test_the_cli_runs_the_job(tmp_path: Path) -> None:
    import json

    from tests.cli.conftest import cli

    with Store.open(tmp_path / "data") as s:
        build(s)
    done = cli("--data-dir", str(tmp_path / "data"), "mdm", "peers", "--before", "2025-06", "--months", "3", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"months": 3, "seasons": 1, "groups_stored": 14,
                                       "homes_last_month": {"electricity": 24}}  # fmt: skip
    wrong = cli("--data-dir", str(tmp_path / "data"), "mdm", "peers", "--before", "June")
    assert wrong.returncode != 0 and "--before must be a month" in wrong.stdout + wrong.stderr


def test_the_reference_home_per_month_is_the_h0_home_summed() -> None:
    from meterhub.country.h0 import H0
    from meterhub.mdm.comparison import reference_annual_kwh, reference_home, reference_months

    assert reference_annual_kwh(2, True) == 2000 and reference_annual_kwh(7, False) == 4700
    months = [date(2025, 3, 1), date(2025, 10, 1), date(2026, 1, 1)]  # both DST changes, a new year
    lasts = [date(2025, 3, 31), date(2025, 10, 31), date(2026, 1, 31)]
    got = reference_months(2000, months, H0)
    assert got == pytest.approx(
        [float(reference_home(2000, a, b, H0).sum()) for a, b in zip(months, lasts, strict=True)]
    )
    assert sum(reference_months(2000, [date(2025, m, 1) for m in range(1, 13)], H0)) == pytest.approx(2000)
    assert got[2] > got[1]  # January above October (the H0 dynamisation, ≈ 1.24 in January)
