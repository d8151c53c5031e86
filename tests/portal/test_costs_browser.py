"""The costs and tariffs pages in a real browser (Debian's Chromium driven by Playwright) over uvicorn on
127.0.0.1, on the store of :mod:`tests.portal.costs_world`: a household reads its costs on a 390 px phone (the
figures of the hand-computed case, the chart drawn, its table open, nothing wider than the screen) and a supplier
writes a tariff with the form, by keyboard, sees a field's message and publishes it. Screenshots go to the
test's tmp dir (and to ``$MH_SHOTS`` when it is set)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from meterhub.portal.site import create_site
from meterhub.security import totp
from meterhub.store import Store
from tests.api.world import Clock
from tests.portal.costs_world import NOW, PASSWORD, CostsWorld, build
from tests.portal.serving import served
from tests.portal.test_browser import ARGS, CHROMIUM, _browser_or_skip

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@dataclass
class Server:
    world: CostsWorld
    clock: Clock
    url: str
    shots: Path

    def code(self, username: str) -> str:
        self.clock.advance(31)
        secret = self.world.secrets[username]
        assert secret is not None
        return totp.code_at(secret, self.clock())

    def shot(self, page: Any, name: str) -> None:
        page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)
        if folder := os.environ.get("MH_SHOTS"):
            Path(folder).mkdir(parents=True, exist_ok=True)
            shutil.copy(self.shots / f"{name}.png", Path(folder) / f"{name}.png")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    _browser_or_skip()
    store = Store.open(tmp_path / "store")
    world = build(store)
    clock = Clock(NOW)
    shots = tmp_path / "shots"
    shots.mkdir()
    try:
        with served(create_site(store, clock=clock)) as url:
            yield Server(world, clock, url, shots)
    finally:
        store.close()


def _log_in(page: Any, srv: Server, username: str) -> None:
    page.goto(srv.url + "/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    if page.locator("[data-testid=totp-secret]").count():  # a supplier's first login: enrol the authenticator
        page.fill("input[name=code]", srv.code(username))
        page.click("button[type=submit]")
    page.wait_for_url("**/home")


def test_the_costs_page_on_a_phone(server: Server) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport=PHONE)
            _log_in(page, server, "ann")
            page.click("header nav >> text=Costs")
            page.wait_for_url("**/costs")
            page.wait_for_selector(".chart .plotly-graph-div .main-svg")
            assert page.locator(".total").first.inner_text() == "€11.04"
            assert "would have cost you €12.24 less" in page.locator("[data-verdict]").inner_text()
            assert page.locator("table.months").is_visible()  # the chart's table alternative, open
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= PHONE["width"], f"the page is {wide} px wide on a {PHONE['width']} px phone"
            server.shot(page, "costs-phone")
            page.goto(server.url + "/costs?lang=fr")
            assert "Coûts et tarifs" in page.content()
            server.shot(page, "costs-phone-fr")
        finally:
            browser.close()
    assert (server.shots / "costs-phone.png").stat().st_size > 10_000


@pytest.mark.parametrize(("viewport", "label"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_the_supplier_writes_and_publishes_a_tariff(server: Server, viewport: dict[str, int], label: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport=viewport)
            _log_in(page, server, "duoco")
            page.click("header nav >> text=Tariffs")
            page.wait_for_url("**/tariffs")
            page.fill("input[name=name]", "Duo Week-end")
            page.fill("input[name=fixed]", "4.90")
            page.fill("input[name=rate1_name]", "semaine")
            page.fill("input[name=rate1_price]", "0.1690")
            page.fill("input[name=rate2_name]", "week-end")
            page.fill("input[name=rate2_price]", "0,1190")
            page.fill("textarea[name=day1]", "00:00 1")
            page.fill("textarea[name=day2]", "07:00 2")  # wrong: a day profile starts at 00:00
            page.select_option("select[name=s1_sat]", "2")
            page.select_option("select[name=s1_sun]", "2")
            page.select_option("select[name=holiday]", "2")
            page.locator("text=Save as a draft").press("Enter")  # by keyboard
            page.wait_for_selector("#err-day2")
            assert page.locator("#err-day2").inner_text() == "The first period starts at 00:00."
            assert page.locator("textarea[name=day2]").get_attribute("aria-invalid") == "true"
            assert page.locator("input[name=name]").input_value() == "Duo Week-end"  # kept
            assert page.locator("#err-s1_sat").count() == 0  # profile 2 is written: only its own field is wrong
            server.shot(page, f"tariffs-error-{label}")
            page.fill("textarea[name=day2]", "00:00 2")
            page.click("text=Save as a draft")
            row = page.locator("tr[data-status=draft]")
            row.wait_for()
            assert "Duo Week-end" in row.inner_text()
            row.locator("input[name=valid_from]").fill("2026-04-01")
            row.locator("button", has_text="Publish").click()
            page.wait_for_selector("tr[data-status=published] >> text=Duo Week-end")
            if label == "phone":
                wide = page.evaluate("document.documentElement.scrollWidth")
                assert wide <= PHONE["width"], f"the page is {wide} px wide on a phone"
            server.shot(page, f"tariffs-{label}")
        finally:
            browser.close()
    published = [
        t for t in server.world.store.tariff_versions(server.world.parties["duoco"]) if t.name == "Duo Week-end"
    ]
    assert [str(t.valid_from) for t in published] == ["2026-04-01"]
