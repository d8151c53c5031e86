"""WCAG 2.1 AA in a real browser over every page a person finds in the header: axe-core finds no serious or
critical violation, the page reflows at 200 % zoom (no sideways scroll) and on a 390 px phone, and the keyboard
reaches the content (the skip link is the first stop). Pages are discovered from the header's own links, so a new
page is checked as soon as it is in the navigation. Screenshots go to ``$MH_SHOTS`` (or the test's own folder)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.portal import axe
from tests.portal.test_browser import ARGS, CHROMIUM
from tests.portal.test_people_browser import PHONE, Server, _browser, _log_in
from tests.portal.test_people_browser import server as server  # the fixture: the small market served over uvicorn

ZOOM_200 = {"width": 640, "height": 430}  # a 1280×860 window at 200 %: CSS pixels halve


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("MH_SHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _nav(page: Any) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all(
        "header nav:not(.langs) a", "els => els.map(e => e.getAttribute('href'))"
    )
    return [h for h in hrefs if h and h.startswith("/")]


def _audit(page: Any, url: str, name: str, shots: Path) -> list[str]:
    problems = []
    page.goto(url)
    found = axe.violations(page)
    if found:
        problems.append(f"{name}: {axe.describe(found)}")
    if axe.scrolls_sideways(page):
        problems.append(f"{name}: scrolls sideways at {page.viewport_size['width']} px")
    page.screenshot(path=str(shots / f"a11y-{name}.png"), full_page=True)
    return problems


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_customer_pages_meet_wcag_aa(server: Server, tmp_path: Path, lang: str) -> None:
    shots = _shots(tmp_path)
    with _browser() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            problems: list[str] = []
            for viewport, label in ((PHONE, "phone"), (ZOOM_200, "zoom200")):
                page = browser.new_page(viewport=viewport)
                page.goto(f"{server.url}/?lang={lang}")
                problems += _audit(page, f"{server.url}/", f"login-{lang}-{label}", shots)
                _log_in(page, server, "carol")
                page.wait_for_url("**/home")
                paths = _nav(page)
                assert "/home" in paths
                for path in paths:
                    problems += _audit(
                        page, server.url + path, f"customer{path.replace('/', '-')}-{lang}-{label}", shots
                    )
                page.close()
            assert not problems, "\n".join(problems)
        finally:
            browser.close()


def test_staff_pages_meet_wcag_aa(server: Server, tmp_path: Path) -> None:
    shots = _shots(tmp_path)
    with _browser() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            problems: list[str] = []
            for user in ("op", "s1", "esp", "dsoA"):
                page = browser.new_page(viewport=PHONE)
                _log_in(page, server, user)  # the first login enrols the authenticator app
                page.fill("input[name=code]", server.code(user))
                page.click("button[type=submit]")
                page.wait_for_selector("header nav a")
                for path in _nav(page):
                    problems += _audit(page, server.url + path, f"{user}{path.replace('/', '-')}-phone", shots)
                page.close()
            assert not problems, "\n".join(problems)
        finally:
            browser.close()


def test_the_keyboard_reaches_the_content_first(server: Server) -> None:
    with _browser() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport=PHONE)
            _log_in(page, server, "carol")
            page.wait_for_url("**/home")
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.className") == "skip"
            page.keyboard.press("Enter")
            assert page.url.endswith("#main")
        finally:
            browser.close()


def test_axe_finds_what_it_should() -> None:
    """The check itself: a page with an unlabelled input and grey-on-white text fails it."""
    with _browser() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.set_content('<html lang="en"><title>t</title><main><input name="x">'
                             '<p style="color:#ccc;background:#fff">faint</p></main></html>')  # fmt: skip
            ids = {v["id"] for v in axe.violations(page)}
            assert {"label", "color-contrast"} <= ids
        finally:
            browser.close()
