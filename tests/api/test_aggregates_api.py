"""``GET /api/v1/aggregates`` on SQLite and PostgreSQL: a DSO reads its own area's daily aggregates (figures
hand-computed: six meters of 100 Wh a quarter-hour), never another DSO's (403); the operator and the auditor read
any area, a group under the privacy threshold suppressed for them too (no figure, not even the count); other roles
403; bad periods and parameters are clear 422 problems."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from meterhub.mdm.aggregates import MIN_METERS
from meterhub.store import NewBlock, insert_blocks
from meterhub.store.intervals import local_day_of_epoch, local_day_slots
from tests.api.conftest import Market
from tests.api.world import T0

B = "/api/v1"
DAY = local_day_of_epoch(int(T0.timestamp())) + timedelta(days=20)  # 2025-01-21: 96 quarter-hours
EXTRA = 5
"""Meters added in dsoA's area beside P1's: six in all, over the threshold; dsoB keeps two (P2, P3)."""


@pytest.fixture(params=["market", "pg_market"])
def any_market(request: pytest.FixtureRequest) -> Market:
    m: Market = request.getfixturevalue(request.param)
    dso = m.world.parties["dsoA"]
    for n in range(EXTRA):
        point = m.store.add_metering_point(f"LU00000000000000000000000000AGG{n:02d}", dso, grid_area="dsoA")
        meter = m.store.add_meter(f"AGG0000{n}", dso, model="t", firmware="1", installed_at=T0)
        m.store.install(point, meter, T0)
        ch = m.store.add_channel(meter, "1.0.1.8.0.255", unit="Wh", interval_s=900)
        slots = local_day_slots(DAY, 900)
        block = NewBlock(ch, DAY, 1, np.full(slots, 100, np.int64), np.full(slots, 1, np.uint8), "test")
        with m.store.write() as conn:
            insert_blocks(conn, [block], now=T0)
    return m


def _get(m: Market, who: str, **params: Any) -> Any:
    c: TestClient = m.fresh_client()
    m.login(who, c)
    return c.get(f"{B}/aggregates", params={"from": DAY.isoformat(), "to": DAY.isoformat(), **params})


def test_a_dso_reads_its_own_area_with_hand_computed_figures(any_market: Market) -> None:
    r = _get(any_market, "dsoA")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["dso"] == any_market.world.parties["dsoA"] and body["min_meters"] == MIN_METERS
    (item,) = body["items"]
    assert (item["day"], item["group"], item["medium"], item["unit"]) == (DAY.isoformat(), "dsoA", "electricity", "Wh")
    assert item["meters"] == 1 + EXTRA and item["interval_s"] == 900
    assert item["energy"] == 6 * 96 * 100 and item["peak"] == 600 and item["missing_slots"] == 0
    assert item["suppressed"] is False
    assert _get(any_market, "dsoA", dso=any_market.world.parties["dsoA"]).json() == body


def test_another_dsos_area_is_refused(any_market: Market) -> None:
    r = _get(any_market, "dsoA", dso=any_market.world.parties["dsoB"])
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    assert "own area" in r.json()["detail"]
    (only,) = _get(any_market, "dsoB", by="dso").json()["items"]  # its two meters: under the threshold
    assert only == {"day": DAY.isoformat(), "group": "dsoB", "medium": "electricity", "suppressed": True,
                    "reason": f"fewer than {MIN_METERS} meters"}  # fmt: skip


@pytest.mark.parametrize("who", ["op", "auditor"])
def test_the_operator_and_the_auditor_read_every_area_suppressed_under_the_threshold(
    any_market: Market, who: str
) -> None:
    items = {i["group"]: i for i in _get(any_market, who, by="dso").json()["items"]}
    assert set(items) == {"dsoA", "dsoB"}
    assert items["dsoA"]["meters"] == 6 and items["dsoA"]["energy"] == 57_600
    assert items["dsoB"]["suppressed"] is True and "meters" not in items["dsoB"] and "energy" not in items["dsoB"]
    one = _get(any_market, who, dso=any_market.world.parties["dsoB"], by="dso").json()["items"]
    assert [i["group"] for i in one] == ["dsoB"]


@pytest.mark.parametrize("who", ["s1", "esp", "bob", "installer"])
def test_other_roles_are_refused(any_market: Market, who: str) -> None:
    r = _get(any_market, who)
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")


def test_bad_parameters_are_clear_422_problems(any_market: Market) -> None:
    m = any_market
    for params in ({"to": (DAY - timedelta(days=1)).isoformat()}, {"to": (DAY + timedelta(days=31)).isoformat()},
                   {"resolution": "month"}, {"by": "street"}, {"from": "yesterday"}, {"medium": "steam"},
                   {"from": "0001-01-01", "to": "0001-01-01"}):  # fmt: skip
        r = _get(m, "dsoA", **params)
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), params
    assert _get(m, "dsoA", to=(DAY + timedelta(days=30)).isoformat()).status_code == 200  # 31 days: the limit
