"""The portal in a real browser (Debian's Chromium driven by Playwright): log in, list meters, open a meter's
page and see its plotly charts drawn; a wrong password is refused. The app runs under uvicorn on 127.0.0.1.

Needs /usr/bin/chromium (``.ci/run`` installs it); without it the test fails loudly in CI and is skipped
only on a developer machine that lacks it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from meterhub.portal import create_app, hash_password
from meterhub.store import Store
from tests.portal.serving import free_port, served
from tests.portal.test_app import NOTE, PASSWORD, Fleet

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


_free_port = free_port  # (test_demo_status starts its own server around a demo process)


@pytest.fixture
def portal_url(tmp_path: Path) -> Iterator[str]:
    store = Store.open(tmp_path)
    Fleet(store)
    app = create_app(store, operator_password_hash=hash_password(PASSWORD), demo_note=NOTE)
    try:
        with served(app) as url:
            yield url
    finally:
        store.close()


def _browser_or_skip() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run must install Debian's chromium")
        pytest.skip("no chromium on this machine (apt-get install chromium)")


def test_operator_logs_in_and_sees_a_meter_chart(portal_url: str, tmp_path: Path) -> None:
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(portal_url + "/")
            assert "meters" in page.content().lower()
            # a wrong password is refused with a clear message
            page.fill("input[name=username]", "operator")
            page.fill("input[name=password]", "wrong password!")
            page.click("button[type=submit]")
            assert "Wrong user name, password" in page.content()
            # the right one opens the meter list
            page.goto(portal_url + "/")
            page.fill("input[name=username]", "operator")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/meters*")
            for serial in ("LU0001", "LU0002", "LU0003"):
                assert page.get_by_text(serial, exact=True).count() >= 1
            # a meter's page draws its charts with plotly (SVG in the page, not just a div)
            page.goto(portal_url + "/meters/LU0001")
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=15_000)
            assert page.locator(".js-plotly-plot").count() >= 2
            page.screenshot(path=str(tmp_path / "meter.png"), full_page=True)
            assert (tmp_path / "meter.png").stat().st_size > 10_000
        finally:
            browser.close()
