"""Webhooks to market parties, on SQLite and PostgreSQL: the signature (property test), the backoff schedule, a
consent revoked through the API delivered to a real HTTP server on 127.0.0.1 that checks the signature, a
failing endpoint retried on schedule then given up, new data queued for a consent's grantee, deleting."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from meterhub.api import webhooks as wh
from tests.api.conftest import Market
from tests.api.receiver import Receiver, receiver_fixture  # noqa: F401 (the fixture)
from tests.api.world import MOVE, NOW


@given(st.binary(max_size=2000), st.text(min_size=1, max_size=60), st.integers(0, 2**33), st.integers(-600, 600))
def test_signature_verifies_only_the_signed_body_within_the_tolerance(
    body: bytes, secret: str, t: int, skew: int
) -> None:
    header = wh.sign(secret, body, t)
    assert header.startswith(f"t={t},v1=")
    assert wh.verify(secret, body, header, t + skew) is (abs(skew) <= wh.TOLERANCE)
    assert not wh.verify(secret, body + b"x", header, t)
    assert not wh.verify(secret + "x", body, header, t)
    assert not wh.verify(secret, body, header.replace(f"t={t}", f"t={t + 1}"), t)


@given(st.text(max_size=100))
def test_a_malformed_signature_header_is_refused_not_raised(header: str) -> None:
    assert not wh.verify("s", b"{}", header, 0)  # no exception, and no forged text passes


def test_backoff_doubles_from_a_minute_up_to_the_cap_then_gives_up() -> None:
    waits = [wh.backoff(n) for n in range(1, wh.MAX_ATTEMPTS + 1)]
    assert waits[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert max(w for w in waits if w is not None) == wh.MAX_BACKOFF
    assert waits[-1] is None and all(w is not None for w in waits[:-1])


@pytest.fixture(params=["market", "pg_market"])
def any_market(request: pytest.FixtureRequest) -> Market:
    m: Market = request.getfixturevalue(request.param)
    return m


def test_a_revoked_consent_reaches_the_esp_signed(any_market: Market, receiver: Receiver) -> None:
    m, w = any_market, any_market.world
    esp = m.fresh_client()
    h = m.login("esp", esp)
    r = esp.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["consent.revoked"]}, headers=h)
    assert r.status_code == 201, r.text
    secret = r.json()["secret"]
    assert secret.startswith("whsec_")
    listed = esp.get("/api/v1/webhooks").json()["items"]
    assert [s["url"] for s in listed] == [receiver.url] and "secret" not in listed[0]  # shown once

    bob = m.fresh_client()
    r = bob.post(f"/api/v1/consents/{w.consents['bob_esp']}/revoke", headers=m.login("bob", bob))
    assert r.status_code == 200, r.text
    with httpx.Client(timeout=5) as client:
        done = wh.deliver_due(m.store, client, m.clock())
        assert done == wh.Outcome(delivered=1)
        assert wh.deliver_due(m.store, client, m.clock() + timedelta(days=1)) == wh.Outcome()  # sent once

    ((headers, body),) = receiver.got
    assert wh.verify(secret, body, headers[wh.HEADER], int(m.clock().timestamp()))
    event = json.loads(body)
    assert event["event"] == "consent.revoked"
    assert event["consent"]["id"] == w.consents["bob_esp"] and event["consent"]["status"] == "revoked"
    assert event["consent"]["metering_points"] == [w.points["P1"]]
    (d,) = esp.get("/api/v1/webhooks").json()["items"][0]["deliveries"]
    assert d["attempts"] == 1 and d["delivered_at"] is not None and d["last_error"] is None


def test_a_failing_endpoint_is_retried_on_schedule_then_given_up(any_market: Market, receiver: Receiver) -> None:
    m, esp = any_market, any_market.world.parties["esp"]
    receiver.status = 500
    m.store.add_webhook(esp, receiver.url, ("data.new",), "whsec_test", NOW)
    assert wh.new_data(m.store, m.world.points["P1"], NOW - timedelta(days=1), NOW, NOW) == 1  # bob's consent
    assert wh.new_data(m.store, m.world.points["P1"], MOVE - timedelta(days=2), MOVE - timedelta(days=1), NOW) == 0
    now = NOW
    with httpx.Client(timeout=5) as client:
        for attempt in range(1, wh.MAX_ATTEMPTS + 1):
            done = wh.deliver_due(m.store, client, now)
            assert len(receiver.got) == attempt
            wait = wh.backoff(attempt)
            if wait is None:
                assert done == wh.Outcome(given_up=1)
                break
            assert done == wh.Outcome(retrying=1)
            assert wh.deliver_due(m.store, client, now + wait - timedelta(seconds=1)) == wh.Outcome()  # not yet
            now += wait
        assert wh.deliver_due(m.store, client, now + timedelta(days=30)) == wh.Outcome()
    (d,) = m.store.webhook_deliveries(esp)
    assert d.attempts == wh.MAX_ATTEMPTS and d.gave_up_at == now and d.last_error == "HTTP 500"
    assert d.next_attempt_at is None and d.delivered_at is None


def test_an_unreachable_endpoint_is_an_attempt_with_its_error(any_market: Market) -> None:
    m, esp = any_market, any_market.world.parties["esp"]
    m.store.add_webhook(esp, "http://127.0.0.1:9/nothing-listens", ("consent.granted",), "whsec_test", NOW)
    carol = m.fresh_client()
    r = carol.post(f"/api/v1/consents/{m.world.consents['carol_esp_asked']}/accept", headers=m.login("carol", carol))
    assert r.status_code == 200, r.text
    with httpx.Client(timeout=5) as client:
        assert wh.deliver_due(m.store, client, m.clock()) == wh.Outcome(retrying=1)
    (d,) = m.store.webhook_deliveries(esp)
    assert d.event == "consent.granted" and d.payload["consent"]["grantor"] == m.world.parties["carol"]
    assert d.last_error is not None and d.last_error.startswith("ConnectError")
    assert d.next_attempt_at == m.clock() + timedelta(minutes=1)


def test_deleting_a_webhook_drops_its_pending_deliveries_and_is_the_partys_own(any_market: Market) -> None:
    m, p = any_market, any_market.world.parties
    wid = m.store.add_webhook(p["esp"], "http://127.0.0.1:9/x", ("consent.revoked",), "whsec_test", NOW)
    m.store.enqueue_webhook(p["esp"], "consent.revoked", {"event": "consent.revoked"}, NOW)
    s1 = m.fresh_client()
    r = s1.delete(f"/api/v1/webhooks/{wid}", headers=m.login("s1", s1))
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    esp = m.fresh_client()
    assert esp.delete(f"/api/v1/webhooks/{wid}", headers=m.login("esp", esp)).status_code == 204
    assert m.store.webhooks_of_party(p["esp"]) == []
    (d,) = m.store.webhook_deliveries(p["esp"])
    assert d.next_attempt_at is None and d.last_error == "unsubscribed"
    with httpx.Client(timeout=5) as client:
        assert wh.deliver_due(m.store, client, NOW + timedelta(days=1)) == wh.Outcome()


def test_a_subscription_needs_a_url_and_known_events(any_market: Market) -> None:
    m = any_market
    esp = m.fresh_client()
    h = m.login("esp", esp)
    for body in ({"url": "not a url", "events": ["data.new"]}, {"url": "http://x.lu/h", "events": ["everything"]},
                 {"url": "http://x.lu/h", "events": []}):  # fmt: skip
        r = esp.post("/api/v1/webhooks", json=body, headers=h)
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), body
    assert m.store.webhooks_of_party(m.world.parties["esp"]) == []
