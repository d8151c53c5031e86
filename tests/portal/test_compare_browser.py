"""The comparison page in a real browser (Debian's Chromium driven by Playwright) over uvicorn on 127.0.0.1, on the
small fleet of :mod:`tests.mdm.peers_world` with its peer statistics: a customer on a 390 px phone reads the
sentence and rank, the chart draws, its table opens, the page does not scroll sideways, and the home profile form
saves — screenshots in the test's own tmp dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from meterhub.country.h0 import H0
from meterhub.portal.compare import set_reference_profile
from meterhub.portal.site import create_site
from meterhub.store import Store
from tests.api.world import PASSWORD
from tests.portal import serving
from tests.portal.test_browser import ARGS, CHROMIUM, _browser_or_skip
from tests.portal.test_compare import Fleet, make_fleet

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Fleet, str]]:
    store = Store.open(tmp_path / "store")
    fleet = make_fleet(store)
    app = create_site(store, clock=fleet.clock)
    set_reference_profile(app, H0)
    try:
        with serving.served(app) as url:
            yield fleet, url
    finally:
        store.close()


def test_comparison_on_a_phone(served: tuple[Fleet, str], tmp_path: Path) -> None:
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    fleet, url = served
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport=PHONE)
            page.goto(url + "/")
            page.fill("input[name=username]", "a3")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.goto(url + "/compare")
            headline = page.locator(".compare-medium .headline").inner_text()
            assert "May 2025: you used 27 % more than efficient similar homes." in headline
            assert "You are number 7 of 23 similar homes" in headline
            assert "There are not 20 homes like yours" in page.locator(".group.widened").inner_text()
            page.wait_for_selector(".compare-medium .plotly .main-svg", timeout=15000)
            page.click("details summary")
            assert page.locator(".compare-table").first.is_visible()
            scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert scroll <= inner, (scroll, inner)
            page.screenshot(path=str(tmp_path / "compare-phone.png"), full_page=True)
            # the reference home of 2 persons in a flat (2000 kWh a year) fills the table's column
            assert "—" not in page.locator(".compare-table tbody tr", has_text="April 2025").first.inner_text()
            page.fill("input[name=household_size]", "3")
            page.select_option("select[name=heating]", "heat_pump")
            page.select_option("select[name=dwelling]", "detached")
            page.check("input[name=has_heat_pump]")
            page.click(".profile-form button[type=submit]")
            page.wait_for_selector("p.note[role=status]")
            page.screenshot(path=str(tmp_path / "compare-phone-saved.png"), full_page=True)
        finally:
            browser.close()
    saved = fleet.store.get_home_profile(*fleet.homes["A3"])
    assert saved is not None and (saved.household_size, saved.heating, saved.has_heat_pump) == (3, "heat_pump", True)
    assert (tmp_path / "compare-phone.png").stat().st_size > 10_000
