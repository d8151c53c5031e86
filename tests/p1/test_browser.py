"""The live page in a real browser (Debian's Chromium driven by Playwright, launched exactly as in
tests/portal/test_browser.py): the current power shows, and changes when the next frame arrives on the line."""

from __future__ import annotations

from pathlib import Path

from meterhub.p1.reader import ReaderServices
from tests.p1.conftest import KEY, frame
from tests.p1.harness import ReaderThread
from tests.portal.test_browser import ARGS, CHROMIUM, _browser_or_skip


def test_live_page_updates_when_a_frame_arrives(tmp_path: Path) -> None:
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    reader = ReaderThread(KEY, ReaderServices(http_port=0)).start()
    try:
        reader.send(frame(0))  # before the page opens: drawn from /api/state
        url = f"http://127.0.0.1:{reader.services.bound_http_port}/"
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(url)
                page.wait_for_function("document.getElementById('power-import').textContent === '450'", timeout=15_000)
                page.wait_for_selector("#status.live", timeout=15_000)
                page.wait_for_selector("#curve .main-svg", timeout=15_000)
                assert page.text_content("#gas-value") == "5206.113"
                reader.send(frame(7))  # the next telegram: 457 W
                page.wait_for_function("document.getElementById('power-import').textContent === '457'", timeout=10_000)
                assert page.text_content("#frame") == "1007"
                page.screenshot(path=str(tmp_path / "live.png"), full_page=True)
                import shutil

                shutil.copy(tmp_path / "live.png", "/tmp/live.png")
                assert (tmp_path / "live.png").stat().st_size > 10_000
            finally:
                browser.close()
    finally:
        reader.stop()
