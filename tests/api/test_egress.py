"""The SSRF guard on webhook URLs: https only (http to 127.0.0.1 only in a test or demo deployment), every resolved
address global unicast (private, loopback, link-local, multicast, reserved, mapped forms refused), checked when a
subscription is made (a 422 problem) and at delivery (a real server on 127.0.0.1 never receives what the guard
refuses; a name that resolves inside at delivery time is refused then; a redirect is not followed)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from typing import Any

import httpx
import pytest

from meterhub.api import webhooks as wh
from meterhub.api.auth import Settings
from meterhub.api.egress import Egress, UnsafeURL, guarded_client, refusal
from tests.api.conftest import Market
from tests.api.receiver import Receiver, receiver_fixture  # noqa: F401 (the fixture)
from tests.api.world import NOW

PUBLIC = "93.184.215.14"


def fixed(table: dict[str, list[str]]) -> Egress:
    return Egress(resolve=lambda host, port: table.get(host, []))


@pytest.mark.parametrize(
    "address",
    ["10.1.2.3", "172.16.0.1", "192.168.1.1", "127.0.0.1", "127.8.8.8", "169.254.169.254", "224.0.0.1", "0.0.0.0",
     "100.64.0.1", "240.0.0.1", "::1", "fe80::1", "fc00::1", "ff02::1", "::", "::ffff:10.0.0.1", "::ffff:127.0.0.1",
     "2002:a00:1::", "192.0.2.1", "not-an-address"],
)  # fmt: skip
def test_inside_addresses_are_refused(address: str) -> None:
    assert refusal(address) is not None


@pytest.mark.parametrize("address", [PUBLIC, "2606:4700:4700::1111", "::ffff:93.184.215.14"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal(address) is None


def test_the_url_rules() -> None:
    prod = fixed({"hooks.example.lu": [PUBLIC], "sneaky.example.lu": [PUBLIC, "10.0.0.7"],
                  "meta.example.lu": ["169.254.169.254"]})  # fmt: skip
    assert prod.check_url("https://hooks.example.lu/x") == [PUBLIC]
    for url, why in [
        ("http://hooks.example.lu/x", "https only"),
        ("http://127.0.0.1:8080/x", "https only"),
        ("https://sneaky.example.lu/x", "10.0.0.7 is a private address"),  # every address, not just the first
        ("https://meta.example.lu/", "link-local"),
        ("https://nowhere.example.lu/", "does not resolve"),
        ("https://10.0.0.1/x", "private"),
        ("https://[::1]/x", "loopback"),
        ("https://user:pw@hooks.example.lu/", "user name or password"),
        ("ftp://hooks.example.lu/", "https only"),
        ("https://hooks.example.lu:99999/", "not valid"),
    ]:
        with pytest.raises(UnsafeURL, match=why):
            prod.check_url(url)
    test = Egress("test", resolve=prod.resolve)
    assert test.check_url("http://127.0.0.1:8080/x") == ["127.0.0.1"]
    for url in ("http://localhost:8080/x", "http://10.0.0.1/x", "http://hooks.example.lu/x"):
        with pytest.raises(UnsafeURL, match=r"http only to 127\.0\.0\.1"):
            test.check_url(url)
    with pytest.raises(UnsafeURL, match="loopback"):
        test.check_url("https://127.0.0.2/x")  # only the http loopback exception, nothing else inside


def _subscribe(m: Market, egress: Egress, url: str) -> httpx.Response:
    api = next(r.app for r in m.client.app.routes if getattr(r, "path", "") == "/api/v1")  # type: ignore[attr-defined]
    api.state.settings = Settings(m.store, m.clock, egress=egress)
    esp = m.fresh_client()
    return esp.post("/api/v1/webhooks", json={"url": url, "events": ["data.new"]}, headers=m.login("esp", esp))


@pytest.mark.parametrize(
    ("url", "why"),
    [("http://127.0.0.1:8080/hook", "https only"), ("https://intranet.example.lu/hook", "private address"),
     ("https://[fe80::1]/hook", "link-local"), ("https://224.0.0.9/hook", "multicast")],
)  # fmt: skip
def test_a_subscription_to_an_inside_url_is_a_422_problem(market: Market, url: str, why: str) -> None:
    r = _subscribe(market, fixed({"intranet.example.lu": ["192.168.10.2"]}), url)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), r.text
    body = r.json()
    assert body["type"].endswith("/webhook-url") and why in body["detail"]
    assert market.store.webhooks_of_party(market.world.parties["esp"]) == []


def test_a_public_https_subscription_is_taken(market: Market) -> None:
    r = _subscribe(market, fixed({"hooks.example.lu": [PUBLIC]}), "https://hooks.example.lu/meterhub")
    assert r.status_code == 201, r.text


def test_delivery_refuses_loopback_http_in_production(market: Market, receiver: Receiver) -> None:
    esp = market.world.parties["esp"]
    market.store.add_webhook(esp, receiver.url, ("consent.revoked",), "whsec_t", NOW)  # as stored before a change
    market.store.enqueue_webhook(esp, "consent.revoked", {"event": "consent.revoked"}, NOW)
    with guarded_client(Egress()) as client:
        assert wh.deliver_due(market.store, client, NOW) == wh.Outcome(retrying=1)
    assert receiver.got == []
    (d,) = market.store.webhook_deliveries(esp)
    assert (
        d.last_error is not None and d.last_error.startswith("ConnectError: refused") and "https only" in d.last_error
    )
    with guarded_client(Egress("test")) as client:  # the same endpoint in a test deployment
        assert wh.deliver_due(market.store, client, NOW + timedelta(minutes=1)) == wh.Outcome(delivered=1)
    assert len(receiver.got) == 1


def test_a_name_that_resolves_inside_at_delivery_time_is_refused(market: Market, receiver: Receiver) -> None:
    """DNS rebinding: the name passed at subscription, and resolves to 127.0.0.1 when the delivery connects."""
    esp = market.world.parties["esp"]
    port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
    url = f"https://rebind.example.lu:{port}/hook"
    table = {"rebind.example.lu": [PUBLIC]}
    egress = fixed(table)
    assert egress.check_url(url) == [PUBLIC]  # what the subscription saw
    market.store.add_webhook(esp, url, ("data.new",), "whsec_t", NOW)
    market.store.enqueue_webhook(esp, "data.new", {"event": "data.new"}, NOW)
    table["rebind.example.lu"] = ["127.0.0.1"]  # the name's owner changes its answer
    with guarded_client(egress) as client:
        assert wh.deliver_due(market.store, client, NOW) == wh.Outcome(retrying=1)
    (d,) = market.store.webhook_deliveries(esp)
    assert d.last_error is not None and "refused" in d.last_error and "127.0.0.1 is a loopback address" in d.last_error
    assert receiver.got == []


@pytest.fixture
def redirector() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(307)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_redirect_is_a_failed_delivery_not_followed(market: Market, redirector: str) -> None:
    esp = market.world.parties["esp"]
    market.store.add_webhook(esp, redirector, ("data.new",), "whsec_t", NOW)
    market.store.enqueue_webhook(esp, "data.new", {"event": "data.new"}, NOW)
    with guarded_client(Egress("test")) as client:
        assert wh.deliver_due(market.store, client, NOW) == wh.Outcome(retrying=1)
    (d,) = market.store.webhook_deliveries(esp)
    assert d.last_error == "HTTP 307"
