"""A point's billing reads and the batch series endpoint over HTTP (SQLite; one PostgreSQL run): the reads are the
current versions of those wholly inside the caller's billing windows, with their TOU determinants; a batch answers
each point on its own (series, 404 not visible, 422 invalid) and refuses more than ten points as a whole; both are
appended to the access log."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from fastapi.testclient import TestClient

from meterhub.api.routes_reads import MAX_BATCH
from meterhub.mdm.billing_reads import save
from meterhub.store.billing_reads import Established, RateFigures
from tests.api.conftest import Market
from tests.api.test_http import is_problem
from tests.api.world import MOVE, NOW, SWITCH, T0

MONTHS = [datetime(2025, m, 1, tzinfo=T0.tzinfo) for m in range(1, 8)]  # Jan … Jul 2025 (UTC month starts)


def _read(channel: int, start: datetime, end: datetime, base: int, used: int) -> Established:
    peak = used * 6 // 10
    return Established(
        channel, "monthly", start, end, base, "register", base + used, "register", "Wh", "national",
        (RateFigures("offpeak", used - peak, used - peak, 0), RateFigures("peak", peak, peak, 0)),
    )  # fmt: skip


def add_billing_reads(market: Market, *, used: int = 1000) -> int:
    """Monthly reads of P1's A+ channel, January to June; returns the channel id."""
    store = market.store
    meters = store.point_meters(market.world.points["P1"])
    channel = next(c.id for c in store.list_channels([meters[0].meter.id]) if c.obis == "1.0.1.8.0.255")
    reads = [_read(channel, a, b, 10_000 + i * used, used) for i, (a, b) in enumerate(pairwise(MONTHS))]
    save(store, reads, computed_by="test", now=T0)
    return channel


def billing(c: TestClient, point: int, start: datetime = T0, end: datetime = NOW) -> Any:
    q = {"from": start.isoformat(), "to": end.isoformat()}
    return c.get(f"/api/v1/metering-points/{point}/billing-reads", params=q)


def _months(body: dict[str, Any]) -> list[int]:
    return [datetime.fromisoformat(i["from"]).month for i in body["items"]]


def test_billing_reads_are_cut_to_the_callers_windows(market: Market) -> None:
    add_billing_reads(market)
    P1 = market.world.points["P1"]
    seen: dict[str, list[int]] = {}
    for name in ("op", "dsoA", "s1", "s2", "alice", "bob"):
        c = market.fresh_client()
        market.login(name, c)
        r = billing(c, P1)
        assert r.status_code == 200, f"{name}: {r.text}"
        seen[name] = _months(r.json())
    # s1 until SWITCH (11 April), s2 after; alice until MOVE (20 February), bob after: a month across an edge is
    # nobody's but the staff's
    assert seen == {
        "op": [1, 2, 3, 4, 5, 6], "dsoA": [1, 2, 3, 4, 5, 6], "s1": [1, 2, 3], "s2": [5, 6], "alice": [1],
        "bob": [3, 4, 5, 6],
    }  # fmt: skip
    c = market.fresh_client()
    market.login("op", c)
    first = billing(c, P1).json()["items"][0]
    assert first["consumption"] == 1000 and first["end_value"] - first["start_value"] == 1000
    assert first["rates"] == [
        {"rate": "offpeak", "billed": 400, "intervals": 400, "missing_slots": 0},
        {"rate": "peak", "billed": 600, "intervals": 600, "missing_slots": 0},
    ]
    assert first["version"] == 1 and first["tou_calendar"] == "national" and first["channel"] == "1.0.1.8.0.255"
    assert _months(billing(c, P1, MONTHS[1], MONTHS[3]).json()) == [2, 3]  # only the reads inside [from, to)
    # the route and scope are logged with the right of each window
    entries = [e for e in market.store.access_entries([P1]) if e.scope == "billing_reads"]
    assert {(e.principal, e.right) for e in entries} >= {("user:s1", "supplier_of_record"), ("user:bob", "own")}
    assert all(e.route == "/api/v1/metering-points/{point_id}/billing-reads" for e in entries)


def test_billing_reads_need_the_billing_scope_and_show_the_current_version(market: Market) -> None:
    add_billing_reads(market)
    P1, p = market.world.points["P1"], market.world.parties
    c = market.fresh_client()
    market.login("esp", c)
    assert is_problem(billing(c, P1), 404)["detail"] == "No such metering point."  # bob's consent: interval data
    market.store.add_consent(p["bob"], p["esp"], [P1], ["billing_reads"], MOVE, None, "active", MOVE)
    assert _months(billing(c, P1).json()) == [3, 4, 5, 6]
    assert billing(c, P1).json()["windows"][0]["right"].startswith("consent:")
    add_billing_reads(market, used=1200)  # a correction: version 2 of each read, the only one answered
    items = billing(c, P1).json()["items"]
    assert {(i["version"], i["consumption"]) for i in items} == {(2, 1200)}
    is_problem(billing(c, P1, NOW, T0), 422)
    is_problem(billing(c, P1, T0, T0 + timedelta(days=2000)), 422)
    r = c.get(f"/api/v1/metering-points/{P1}/billing-reads", params={"from": "2025-01-01T00:00", "to": "x"})
    is_problem(r, 422)


HEADERS: dict[str, str] = {}


def batch(c: TestClient, points: list[Any], start: datetime = T0, end: datetime = NOW, **more: Any) -> Any:
    body = {"metering_points": points, "from": start.isoformat(), "to": end.isoformat(), "resolution": "day", **more}
    return c.post("/api/v1/metering-points/series", json=body, headers=HEADERS)


def check_batch(market: Market) -> None:
    w, c = market.world, market.fresh_client()
    P1, P2, P3 = w.points["P1"], w.points["P2"], w.points["P3"]
    HEADERS.update(market.login("s1", c))  # a POST with the session cookie carries the CSRF token
    r = batch(c, [P1, P3, 99_999, 0, P2])
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [(i["metering_point"], i["status"]) for i in items] == [(P1, 200), (P3, 404), (99_999, 404), (None, 422),
                                                                   (P2, 200)]  # fmt: skip
    assert items[0]["series"]["windows"] == [{"from": T0.isoformat(), "to": SWITCH.isoformat(),
                                              "right": "supplier_of_record"}]  # fmt: skip
    assert items[0]["series"]["points"][1]["value"] == 9600
    assert items[1]["problem"]["detail"] == items[2]["problem"]["detail"] == "No such metering point."
    assert [i["index"] for i in items] == [0, 1, 2, 3, 4]
    assert "series" not in items[1] and items[3]["problem"]["status"] == 422
    single = c.get(f"/api/v1/metering-points/{P2}/series", params={"from": T0.isoformat(), "to": NOW.isoformat(),
                                                                    "resolution": "day"}).json()  # fmt: skip
    assert items[4]["series"] == single
    bad = batch(c, [P1, P2], channel="not-obis").json()["items"]
    assert [i["status"] for i in bad] == [422, 422]
    assert [i["status"] for i in batch(c, [P1], T0, T0 + timedelta(days=21 * 366)).json()["items"]] == [422]
    huge = batch(c, [2**70, P2]).json()["items"]  # beyond 64 bits: named by its index, the others answered
    assert [(i["index"], i["metering_point"], i["status"]) for i in huge] == [(0, None, 422), (1, P2, 200)]
    # the limit is the whole request's
    too_many = is_problem(batch(c, [P1] * (MAX_BATCH + 1)), 422)
    assert "metering_points" in str(too_many)
    is_problem(batch(c, []), 422)
    is_problem(c.post("/api/v1/metering-points/series", json={"metering_points": [P1]}, headers=HEADERS), 422)
    is_problem(market.fresh_client().post("/api/v1/metering-points/series", json={}), 401)
    entries = [e for e in market.store.access_entries([P1, P2, P3]) if e.route.endswith("/metering-points/series")]
    assert {(e.metering_point_id, e.right) for e in entries} == {(P1, "supplier_of_record"), (P2, "supplier_of_record")}


def test_batch_answers_each_point_on_its_own(market: Market) -> None:
    check_batch(market)


def test_batch_and_billing_reads_on_postgres(pg_market: Market) -> None:
    check_batch(pg_market)
    add_billing_reads(pg_market)
    c = pg_market.fresh_client()
    pg_market.login("s2", c)
    assert _months(billing(c, pg_market.world.points["P1"]).json()) == [5, 6]
