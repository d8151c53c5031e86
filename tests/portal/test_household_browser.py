"""The household's home and live pages in a real browser (Debian's Chromium driven by Playwright) on a 390 px phone,
over uvicorn on 127.0.0.1 with erin's home of :mod:`tests.portal.household_data`: the charts draw, the table
alternative opens, nothing scrolls sideways; the live page first states the latest quarter-hour, then — once the
reader forwards — shows the telegram, and its script picks up a newer one by itself. Screenshots go to the test's
output folder (``tmp_path``) and to ``$MH_SHOTS`` when it is set."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from meterhub.portal.site import create_site
from meterhub.store import Store
from tests.api.world import NOW, PASSWORD, Clock, add_logins, build_world
from tests.portal.household_data import Home, add_home, add_p1
from tests.portal.serving import served
from tests.portal.test_browser import ARGS, CHROMIUM, _browser_or_skip

PHONE = {"width": 390, "height": 844}


class Server:
    def __init__(self, store: Store, home: Home, url: str, shots: Path) -> None:
        self.store, self.home, self.url, self.shots = store, home, url, shots

    def shot(self, page: Any, name: str) -> Path:
        path = self.shots / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        extra = os.environ.get("MH_SHOTS")
        if extra:
            Path(extra).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(extra) / path.name)
        return path


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    store = Store.open(tmp_path / "data")
    world = build_world(store)
    add_logins(store, world)
    home = add_home(store, world)
    try:
        shots = tmp_path / "screenshots"
        shots.mkdir()
        with served(create_site(store, clock=Clock())) as url:
            yield Server(store, home, url, shots)
    finally:
        store.close()


def _no_sideways_scroll(page: Any) -> None:
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, f"{page.url}: the page is {scroll} px wide on a {inner} px screen"


def test_a_household_on_a_phone_sees_home_and_live(server: Server) -> None:
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport=PHONE)
            page.goto(server.url + "/")
            page.fill("input[name=username]", "erin")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/home")
            page.wait_for_selector("article[data-medium=water] .plotly-graph-div .main-svg")
            assert page.locator("article.medium").count() == 4
            assert page.locator(".plotly-graph-div .main-svg").count() >= 4
            assert "Water has been flowing without a break" in page.locator(".insights").inner_text()
            _no_sideways_scroll(page)
            server.shot(page, "home-phone")
            page.locator("article[data-medium=electricity_import] summary").click()
            table = page.locator("article[data-medium=electricity_import] table")
            assert table.is_visible() and table.locator("tbody tr").count() == 19
            _no_sideways_scroll(page)
            server.shot(page, "home-phone-table")
            page.goto(server.url + "/home?lang=fr")
            page.wait_for_selector("article[data-medium=gas] .plotly-graph-div .main-svg")
            _no_sideways_scroll(page)
            server.shot(page, "home-phone-fr")

            page.goto(server.url + "/live?lang=en")
            assert "The latest quarter-hour we have is from 23:45 to 00:00" in page.locator("main").inner_text()
            _no_sideways_scroll(page)
            server.shot(page, "live-quarter-phone")

            add_p1(server.store, server.home.point, NOW - timedelta(seconds=20), (1500, 300, 200), n=3)
            page.goto(server.url + "/live")
            now = page.locator(".now [data-field=import_w]")
            assert now.inner_text() == "2,000"
            _no_sideways_scroll(page)
            server.shot(page, "live-phone")
            # a newer telegram arrives: the page's script shows it without a reload
            add_p1(server.store, server.home.point, NOW - timedelta(seconds=5), (2500, 300, 200))
            page.wait_for_function(
                "document.querySelector('.now [data-field=import_w]').textContent === '3,000'", timeout=25_000
            )
            assert page.locator("tr[data-phase='0'] [data-field=import_w]").inner_text() == "2,500"
            assert "5 s ago" in page.locator("[data-field=age]").inner_text()
        finally:
            browser.close()
    assert sorted(p.name for p in server.shots.iterdir()) == [
        "home-phone-fr.png", "home-phone-table.png", "home-phone.png", "live-phone.png", "live-quarter-phone.png"
    ]  # fmt: skip
