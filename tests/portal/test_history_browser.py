"""The History page in a real browser (Debian's Chromium driven by Playwright) over uvicorn on 127.0.0.1: carol logs
in, sees last month's electricity with the estimated days marked in the chart's legend and counted, opens the
table alternative, switches to quarter-hours of a day by the form, zooms the chart (plotly's own zoom) and follows
the offered link to the finer resolution, then sees her gas against heating degree days — on a desktop and a
390 px phone, without sideways scrolling. Screenshots go to the test's tmp dir (and ``$MH_SHOTS`` when set)."""

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
from tests.portal.history_world import add_history
from tests.portal.serving import served
from tests.portal.test_browser import ARGS, CHROMIUM, _browser_or_skip

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    store = Store.open(tmp_path / "store")
    world = build_world(store)
    add_logins(store, world)
    add_history(store, world)
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


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)"
        ".slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
    )
    assert width <= page.viewport_size["width"] + 1, f"page is {width}px wide: {wide}"


@pytest.mark.parametrize(("viewport", "label"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_history_journey(url: str, tmp_path: Path, viewport: dict[str, int], label: str) -> None:
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    shots = tmp_path / "shots"
    shots.mkdir()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport=viewport)
            page.goto(url + "/")
            page.fill("input[name=username]", "carol")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/home")
            page.click("header nav >> text=History")
            page.wait_for_url("**/history")
            page.wait_for_selector("#history-chart .main-svg")
            assert "3 of 30 days contain estimated values." in page.inner_text("[data-testid=quality-counts]")
            legend = page.eval_on_selector_all("#history-chart .legendtext", "els => els.map(e => e.textContent)")
            assert {"Measured", "Estimated", "Edited"} <= set(legend), legend
            assert page.locator("#history-chart .rangeslider-container").count() == 1
            _no_sideways_scroll(page)
            _shot(page, shots, f"history-month-{label}")
            page.click("details.table-alt summary")
            assert page.locator("details.table-alt table tbody tr").count() == 30
            assert page.locator("details.table-alt tr", has_text="Sat 28 Jun 2025").inner_text().endswith("No data")
            # a day at quarter-hours by the form (keyboard: fill and Enter)
            page.fill("input[name=from]", "2025-06-03")
            page.fill("input[name=to]", "2025-06-04")
            page.select_option("select[name=res]", "15min")
            page.press("input[name=to]", "Enter")
            page.wait_for_url("**res=15min**")
            page.wait_for_selector("#history-chart .main-svg")
            assert "10 of 192 quarter-hours contain estimated values." in page.content()
            _shot(page, shots, f"history-15min-{label}")
            # zoom the last 12 months into June: the page offers June again at a finer resolution
            page.goto(url + "/history?preset=year")
            page.wait_for_selector("#history-chart .main-svg")
            assert page.locator("#zoom-finer").is_hidden()
            page.evaluate(
                "Plotly.relayout('history-chart', {'xaxis.range[0]': '2025-06-01', 'xaxis.range[1]': '2025-06-30'})"
            )
            page.wait_for_selector("#zoom-finer:not([hidden])")
            page.click("#zoom-finer a")
            page.wait_for_url("**from=2025-06-01**")
            assert "res=day" in page.url and "1 Jun 2025 to 30 Jun 2025" in page.content()
            # gas: heating against degree days
            page.goto(url + "/history?medium=gas&from=2025-01-02&to=2025-03-29")
            page.wait_for_selector("#heating-chart .main-svg")
            assert "about 0.48 m³ per degree day" in page.content()
            assert "Weather is missing for 3 of 87 days" in page.inner_text("[data-testid=weather-note]")
            _no_sideways_scroll(page)
            _shot(page, shots, f"history-gas-{label}")
        finally:
            browser.close()
    assert sorted(p.name for p in shots.iterdir()) == sorted(
        f"history-{v}-{label}.png" for v in ("15min", "gas", "month")
    )
