"""The demo's history status line on the meters page (``create_app(demo_status=…)``): shown under the demo
note, served at ``/demo/status`` to the logged-in operator only, refreshed in the browser until the fill is
complete; absent from an app without it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from meterhub.portal import create_app, hash_password
from meterhub.store import Store
from tests.portal.forms import login_form
from tests.portal.test_app import NOTE, PASSWORD, Fleet
from tests.portal.test_browser import ARGS, CHROMIUM, _browser_or_skip, _free_port

LINES = [
    "history (loading): 0 of 20 meters from 2026-11-01 · 3 of 13 months loaded for 3 showcase homes",
    "history (loading): 20 of 20 meters from 2026-11-01 · 13 of 13 months loaded for 3 showcase homes",
    "history (complete): 20 of 20 meters from 2026-11-01 · 13 of 13 months loaded for 3 showcase homes",
]


class Status:
    """The status lines in turn, one more each time it is asked after the first (the last one stays)."""

    def __init__(self) -> None:
        self.asked = 0
        self.lock = threading.Lock()

    def __call__(self) -> str:
        with self.lock:
            self.asked += 1
            return LINES[min(self.asked - 1, len(LINES) - 1)]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path)
    Fleet(s)
    yield s
    s.close()


def _login(client: TestClient) -> None:
    r = client.post(
        "/login", data=login_form(client, {"username": "operator", "password": PASSWORD}), follow_redirects=False
    )
    assert r.status_code == 303


def test_the_status_line_is_on_the_meters_page_and_at_its_url_for_the_operator(store: Store) -> None:
    status = Status()
    client = TestClient(create_app(store, operator_password_hash=hash_password(PASSWORD), demo_note=NOTE,
                                   demo_status=status))  # fmt: skip
    assert client.get("/demo/status", follow_redirects=False).status_code == 303  # no session: to the login
    _login(client)
    page = client.get("/meters").text
    assert f'id="demo-status" data-src="/demo/status">{LINES[0]}</p>' in page
    assert page.index(NOTE) < page.index('id="demo-status"') < page.index('class="filter"')
    r = client.get("/demo/status")
    assert r.status_code == 200 and r.text == LINES[1] and r.headers["content-type"].startswith("text/plain")


def test_without_a_demo_there_is_no_status_line(store: Store) -> None:
    client = TestClient(create_app(store, operator_password_hash=hash_password(PASSWORD), demo_note=NOTE))
    _login(client)
    assert "demo-status" not in client.get("/meters").text
    assert client.get("/demo/status").status_code == 404


def test_the_browser_refreshes_the_line_until_the_fill_is_complete(store: Store) -> None:
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    status = Status()
    app = create_app(store, operator_password_hash=hash_password(PASSWORD), demo_note=NOTE, demo_status=status)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(f"http://127.0.0.1:{port}/")
                page.fill("input[name=username]", "operator")
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url("**/meters*")
                assert page.inner_text("#demo-status") == LINES[0]
                page.wait_for_function(
                    "t => document.getElementById('demo-status').textContent === t", arg=LINES[2], timeout=60_000
                )
                asked = status.asked
                page.wait_for_timeout(6_000)  # complete: no more refreshes
                assert status.asked == asked
            finally:
                browser.close()
    finally:
        server.should_exit = True
        thread.join(10)
