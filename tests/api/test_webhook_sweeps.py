"""The webhook sweeps on SQLite and PostgreSQL: ``data.new`` per point for the windows each party may see (a supplier
of record before and after a switch, an ESP's consent window, a DSO's own area only, nothing for a mere request),
once per write; ``consent.expired`` once per consent; a consent's change and its event in one transaction; the
CLI runs the sweep before delivering."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import numpy as np
import pytest

from meterhub.api import sweeps
from meterhub.api import webhooks as wh
from meterhub.store import NewBlock, insert_blocks
from meterhub.store.consents import ConsentRow
from meterhub.store.intervals import LOCAL_TZ, local_day_of_epoch, local_day_slots
from tests.api.conftest import Market
from tests.api.receiver import Receiver, receiver_fixture  # noqa: F401 (the fixture)
from tests.api.world import DAY, MOVE, NOW, SWITCH, T0

WRITTEN = NOW + timedelta(hours=1)
"""When the sweeps' new blocks are written (after every subscription was made at NOW)."""


@pytest.fixture(params=["market", "pg_market"])
def any_market(request: pytest.FixtureRequest) -> Market:
    m: Market = request.getfixturevalue(request.param)
    return m


def _write(m: Market, point: str, days: list[int], version: int = 2) -> None:
    """A new version of the point's channel's blocks of the local days T0 + ``days``, written at WRITTEN."""
    (ch,) = [c.id for c in m.store.list_channels() if c.meter_id == _meter(m, point)]
    blocks = []
    for i in days:
        day = local_day_of_epoch(int(T0.timestamp())) + timedelta(days=i)
        slots = local_day_slots(day, 900)
        blocks.append(NewBlock(ch, day, version, np.full(slots, 7, np.int64), np.full(slots, 1, np.uint8), "test"))
    with m.store.write() as conn:
        insert_blocks(conn, blocks, now=WRITTEN)


def _meter(m: Market, point: str) -> int:
    (pm,) = m.store.point_meters(m.world.points[point])
    return pm.meter.id


def _subscribe(m: Market, *codes: str) -> dict[str, int]:
    return {c: m.store.add_webhook(m.world.parties[c], f"http://127.0.0.1:9/{c}", ("data.new",), "whsec_t", NOW)
            for c in codes}  # fmt: skip


def _events(m: Market, code: str) -> list[dict[str, Any]]:
    return [d.payload for d in reversed(m.store.webhook_deliveries(m.world.parties[code]))]


def _local(i: int) -> str:
    """The start of local day T0 + i as an instant (UTC ISO, as the payload's windows carry it)."""
    day = local_day_of_epoch(int(T0.timestamp())) + timedelta(days=i)
    from datetime import datetime, time

    return datetime.combine(day, time(), LOCAL_TZ).astimezone(T0.tzinfo).isoformat()


def test_new_data_reaches_each_party_for_the_windows_it_may_see(any_market: Market) -> None:
    m = any_market
    _subscribe(m, "s1", "s2", "esp", "dsoA", "dsoB")
    _write(m, "P1", [20, 150])  # alice's time with s1, then bob's with s2 (after MOVE and SWITCH)
    later = WRITTEN + timedelta(minutes=5)
    assert sweeps.sweep_new_data(m.store, later) == 4  # s1, s2, esp, dsoA: one event each; dsoB none
    start, end = _local(20), _local(151)
    p1 = m.world.points["P1"]

    def windows(code: str) -> list[tuple[str, str, str]]:
        (e,) = _events(m, code)
        assert e["event"] == "data.new" and e["metering_point"] == p1 and e["scope"] == "interval_data"
        assert (e["from"], e["to"]) == (e["windows"][0]["from"], e["windows"][-1]["to"])
        return [(w["from"], w["to"], w["right"]) for w in e["windows"]]

    assert windows("dsoA") == [(start, end, "dso")]
    assert windows("s1") == [(start, SWITCH.isoformat(), "supplier_of_record")]
    assert windows("s2") == [(SWITCH.isoformat(), end, "supplier_of_record")]
    assert windows("esp") == [(MOVE.isoformat(), end, f"consent:{m.world.consents['bob_esp']}")]
    assert _events(m, "dsoB") == []
    assert sweeps.sweep_new_data(m.store, later + timedelta(hours=1)) == 0  # swept once


def test_a_consent_request_is_no_right_and_a_party_sees_only_its_points(any_market: Market) -> None:
    m = any_market
    _subscribe(m, "esp", "s1", "s2", "dsoB", "dsoA")
    _write(m, "P2", [30])  # carol's point: dsoB, s1; carol only *asked* the ESP
    assert sweeps.sweep_new_data(m.store, WRITTEN + timedelta(minutes=5)) == 2
    assert [e["metering_point"] for e in _events(m, "dsoB")] == [m.world.points["P2"]]
    assert [e["metering_point"] for e in _events(m, "s1")] == [m.world.points["P2"]]
    assert _events(m, "esp") == [] and _events(m, "s2") == [] and _events(m, "dsoA") == []


def test_the_sweep_stops_short_of_now_and_takes_the_rest_next_time(any_market: Market) -> None:
    m = any_market
    _subscribe(m, "dsoA")
    _write(m, "P1", [5])
    assert sweeps.sweep_new_data(m.store, WRITTEN + sweeps.SWEEP_LAG - timedelta(seconds=1)) == 0  # too fresh
    assert sweeps.sweep_new_data(m.store, WRITTEN + sweeps.SWEEP_LAG) == 1
    _write(m, "P1", [6], version=2)
    assert sweeps.sweep_new_data(m.store, WRITTEN + sweeps.SWEEP_LAG + DAY) == 0  # written before the watermark


def test_a_subscription_is_told_only_of_data_written_after_it_was_made(any_market: Market) -> None:
    m = any_market
    m.store.add_webhook(m.world.parties["dsoA"], "http://127.0.0.1:9/x", ("data.new",), "whsec_t", WRITTEN + DAY)
    _write(m, "P1", [5])
    assert sweeps.sweep_new_data(m.store, WRITTEN + 2 * DAY) == 0
    m.store.add_webhook(m.world.parties["dsoA"], "http://127.0.0.1:9/y", ("consent.revoked",), "whsec_t", NOW)
    assert sweeps.sweep_new_data(m.store, WRITTEN + 2 * DAY) == 0  # wants no data.new


def test_an_expired_consent_is_marked_and_announced_once(any_market: Market, receiver: Receiver) -> None:
    m, p = any_market, any_market.world.parties
    m.store.add_webhook(p["esp"], receiver.url, ("consent.expired",), "whsec_exp", NOW)
    ends = NOW + 3 * DAY
    cid = m.store.add_consent(p["bob"], p["esp"], [m.world.points["P1"]], ["billing_reads"], MOVE, ends, "active", NOW)
    assert sweeps.sweep_expired(m.store, ends - timedelta(seconds=1)) == []
    (row,) = sweeps.sweep_expired(m.store, ends)
    assert row.id == cid and row.expired_at == ends
    assert sweeps.sweep_expired(m.store, ends + DAY) == []  # once
    assert sweeps.sweep(m.store, ends + 2 * DAY) == sweeps.Swept()
    with httpx.Client(timeout=5) as client:
        assert wh.deliver_due(m.store, client, ends + 2 * DAY) == wh.Outcome(delivered=1)
    ((headers, body),) = receiver.got
    assert wh.verify("whsec_exp", body, headers[wh.HEADER], int((ends + 2 * DAY).timestamp()))
    event = json.loads(body)
    assert event["event"] == "consent.expired" and event["consent"]["id"] == cid
    assert event["consent"]["status"] == "expired" and event["consent"]["valid_to"] == ends.isoformat()
    bob = m.fresh_client()
    m.login("bob", bob)
    (listed,) = [c for c in bob.get("/api/v1/consents").json()["items"] if c["id"] == cid]
    assert listed["expired_at"] is not None


def test_a_consent_change_and_its_event_are_one_transaction(any_market: Market) -> None:
    m, p = any_market, any_market.world.parties
    m.store.add_webhook(p["esp"], "http://127.0.0.1:9/x", ("consent.revoked",), "whsec_t", NOW)
    cid = m.world.consents["bob_esp"]

    def broken(row: ConsentRow) -> dict[str, Any]:
        raise RuntimeError("the event could not be built")

    with pytest.raises(RuntimeError):
        m.store.change_consent_with_event(cid, "revoked", NOW, "consent.revoked", broken)
    consent = m.store.get_consent(cid)
    assert consent is not None and consent.status == "active"  # rolled back with the event
    assert m.store.webhook_deliveries(p["esp"]) == []
    with pytest.raises(RuntimeError):
        m.store.grant_consent_with_event(p["bob"], p["esp"], [m.world.points["P1"]], ["interval_data"], MOVE,
                                         None, "active", NOW, "consent.granted", broken)  # fmt: skip
    assert len(m.store.consents_of_party(p["bob"])) == 1
    revoked = wh.payload_of("consent.revoked", NOW)
    row = m.store.change_consent_with_event(cid, "revoked", NOW, "consent.revoked", revoked)
    assert row.status == "revoked"
    (d,) = m.store.webhook_deliveries(p["esp"])
    assert d.event == "consent.revoked" and d.payload["consent"]["status"] == "revoked"
