"""The network-tariff and advice pages in a real browser (Debian's Chromium driven by Playwright) over uvicorn on
127.0.0.1, for carol's EV home of :mod:`tests.portal.ev_home`: the charts draw, each chart's table opens from the
keyboard, the level chooser reloads the page, nothing overflows a 390 px phone, the advice's "how we computed
this" notes open, and axe-core finds no serious or critical violation (every <details> open).
Screenshots (phone 390×844 and desktop) go to the test's tmp dir, and to ``$MH_SHOTS`` too when it is set."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from meterhub.portal.site import create_site
from meterhub.store import Store
from tests.api.world import PASSWORD, Clock, add_logins, build_world
from tests.portal import axe
from tests.portal.ev_home import add_ev_home
from tests.portal.serving import served
from tests.portal.test_browser import ARGS, CHROMIUM, _browser_or_skip

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    store = Store.open(tmp_path / "store")
    world = build_world(store)
    add_logins(store, world)
    add_ev_home(store, world)
    try:
        with served(create_site(store, clock=Clock())) as url:
            yield url
    finally:
        store.close()


def _shot(page: Any, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    extra = os.environ.get("MH_SHOTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(extra) / path.name)


def _axe(page: Any) -> None:
    """No serious or critical axe-core WCAG A/AA violation, with every <details> (the tables, the notes) open."""
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    found = axe.violations(page)
    assert not found, axe.describe(found)


def _fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page is {width} px wide"


@pytest.mark.parametrize(("viewport", "label"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_network_tariff_and_advice_pages(url: str, tmp_path: Path, viewport: dict[str, int], label: str) -> None:
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport=viewport)
            page.goto(url + "/")
            page.fill("input[name=username]", "carol")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/home")
            page.goto(url + "/network-tariff")
            page.wait_for_selector(".plotly-graph-div .main-svg")
            assert page.locator(".plotly-graph-div").count() == 2  # the peaks and the heatmap
            assert "Electric car charging" in page.locator("table.causes").inner_text()
            _fits(page)
            _shot(page, tmp_path, f"network-tariff-{label}")
            # each chart's table opens from the keyboard
            summary = page.locator("details.table-alt summary").nth(1)
            summary.focus()
            page.keyboard.press("Enter")
            heat = page.locator("table.heat")
            assert heat.is_visible() and "36" in heat.locator("tr", has_text="19:00").inner_text()
            _fits(page)
            # the level chooser: 7 kW, and the cheapest level's saving appears
            page.select_option("#level", "7")
            page.click("form.chooser button[type=submit]")
            page.wait_for_url("**level=7**")
            assert "34.35 € less" in page.content()
            _shot(page, tmp_path, f"network-tariff-7kw-{label}")
            page.goto(url + "/advice?lang=fr")
            items = page.locator("li.advice-item")
            assert items.first.locator("h2").inner_text() == "Consommation de base la nuit et veille"
            items.first.locator("details.how summary").click()
            assert "8 760 h" in items.first.locator("details.how").inner_text().replace("\u202f", " ")
            _fits(page)
            _shot(page, tmp_path, f"advice-fr-{label}")
            _axe(page)
            page.goto(url + "/advice?lang=en")
            _shot(page, tmp_path, f"advice-{label}")
            _axe(page)
            page.goto(url + "/network-tariff?lang=de")
            _axe(page)
        finally:
            browser.close()
    assert len(list(tmp_path.glob("*.png"))) == 4
