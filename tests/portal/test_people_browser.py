"""The portal's people in a real browser (Debian's Chromium driven by Playwright) over uvicorn on 127.0.0.1, on the
small market of :mod:`tests.api.world` at the tests' clock: a DSO's first login enrols MFA (the code computed with
pyotp from the secret the page shows), a lockout after repeated failures says so, and a customer accepts an ESP's
consent request then revokes it — the ESP's access through the policy layer starting and ending at once.
Screenshots (phone 390×844 and desktop) go to ``$MH_SHOTS`` when it is set."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest

from meterhub.api.service import Access, NotVisible
from meterhub.portal.site import create_site
from meterhub.store import Store
from tests.api.world import PASSWORD, Clock, World, add_interval_data, add_logins, build_world
from tests.portal.serving import served
from tests.portal.test_browser import ARGS, CHROMIUM, _browser_or_skip

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}


class Server:
    def __init__(self, store: Store, world: World, secrets: dict[str, str | None], clock: Clock, url: str) -> None:
        self.store, self.world, self.secrets, self.clock, self.url = store, world, secrets, clock, url

    def code(self, username: str) -> str:
        self.clock.advance(31)
        secret = self.secrets[username]
        assert secret is not None
        return pyotp.TOTP(secret).at(self.clock())


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    store = Store.open(tmp_path)
    world = build_world(store)
    secrets = add_logins(store, world)
    add_interval_data(store, world, days=20)
    clock = Clock()
    app = create_site(store, clock=clock)
    try:
        with served(app) as url:
            yield Server(store, world, secrets, clock, url)
    finally:
        store.close()


def _shot(page: Any, name: str) -> None:
    folder = os.environ.get("MH_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _browser() -> Any:
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    return sync_playwright()


def _log_in(page: Any, srv: Server, username: str, code: str = "") -> None:
    page.goto(srv.url + "/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    if code:
        page.fill("input[name=code]", code)
    page.click("button[type=submit]")


@pytest.mark.parametrize(("viewport", "label"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_dso_first_login_enrols_mfa(server: Server, viewport: dict[str, int], label: str) -> None:
    with _browser() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport=viewport)
            page.goto(server.url + "/")
            _shot(page, f"login-{label}")
            _log_in(page, server, "dsoA")
            page.wait_for_selector("svg.totp-qr")
            secret = page.locator("[data-testid=totp-secret]").inner_text().strip()
            assert secret == server.secrets["dsoA"]
            _shot(page, f"enrol-{label}")
            page.fill("input[name=code]", "000000")
            page.click("button[type=submit]")
            assert "That code is not right" in page.content()
            server.clock.advance(31)
            page.fill("input[name=code]", pyotp.TOTP(secret).at(server.clock()))
            page.click("button[type=submit]")
            page.wait_for_url("**/home")
            text = page.content()
            assert "LU0000000000000000000000000000P01" in text and "LU0000000000000000000000000000P02" not in text
            _shot(page, f"home-dso-{label}")
            # a second login asks for the code, and the app's code opens the session
            page.context.clear_cookies()
            _log_in(page, server, "dsoA")
            assert "Enter the 6-digit code" in page.content()
            _log_in(page, server, "dsoA", server.code("dsoA"))
            page.wait_for_url("**/home")
        finally:
            browser.close()


def test_lockout_after_repeated_failures(server: Server) -> None:
    with _browser() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport=PHONE)
            for _ in range(10):
                server.clock.advance(61)
                page.goto(server.url + "/")
                page.fill("input[name=username]", "carol")
                page.fill("input[name=password]", "not my password at all")
                page.click("button[type=submit]")
                assert "Wrong user name, password" in page.content()
            server.clock.advance(61)
            _log_in(page, server, "carol")
            text = page.content()
            assert "This account is locked after repeated failed logins" in text
            assert "/home" not in page.url
            _shot(page, "lockout-phone")
        finally:
            browser.close()


def _esp_sees(server: Server, point: int) -> bool:
    esp = server.world.caller("esp", "esp")
    try:
        Access(server.store, esp, server.clock()).point(point)
    except NotVisible:
        return False
    return True


@pytest.mark.parametrize(("viewport", "label"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_consent_request_accepted_then_revoked(server: Server, viewport: dict[str, int], label: str) -> None:
    p2 = server.world.points["P2"]
    asked = server.world.consents["carol_esp_asked"]
    assert not _esp_sees(server, p2)
    with _browser() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport=viewport)
            _log_in(page, server, "carol")
            page.wait_for_url("**/home")
            page.click("text=Consents")
            page.wait_for_url("**/consents")
            _shot(page, f"consents-request-{label}")
            page.click(f"[data-consent='{asked}'] button:has-text('Accept')")
            page.wait_for_selector(f"[data-consent='{asked}'][data-status='active']")
            assert _esp_sees(server, p2)
            _shot(page, f"consents-active-{label}")
            page.click(f"[data-consent='{asked}'] button:has-text('Revoke now')")
            page.wait_for_selector(f"[data-consent='{asked}'][data-status='revoked']")
            assert not _esp_sees(server, p2)  # at once: the next request is a 404
            _shot(page, f"consents-revoked-{label}")
            page.click("text=Who read my data")
            page.wait_for_url("**/consents/reads")
            _shot(page, f"reads-{label}")
        finally:
            browser.close()


def test_admin_page_lists_people(server: Server) -> None:
    with _browser() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for viewport, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
                page = browser.new_page(viewport=viewport)
                if label == "desktop":
                    _log_in(page, server, "op")
                    server.clock.advance(31)
                    page.fill("input[name=code]", pyotp.TOTP(str(server.secrets["op"])).at(server.clock()))
                    page.click("button[type=submit]")
                else:
                    _log_in(page, server, "op", server.code("op"))
                page.wait_for_url("**/meters")  # the operator's start page: the fleet
                page.click("text=People")
                page.wait_for_url("**/admin/users")
                assert page.locator("tr[data-user=carol]").count() == 1
                _shot(page, f"admin-{label}")
                page.close()
        finally:
            browser.close()
