"""The privacy page in a real browser (Debian's Chromium, Playwright) over uvicorn on 127.0.0.1, on a 390 px phone:
carol accepts the ESP's request from the privacy page (her e-mail in the outbox, in French), the ESP reads her
point, its read shows in "who read my data", she revokes and the ESP's access ends at once; the page does not
scroll sideways, every form field has a label, the archive downloads; the keyboard reaches the download link.
Screenshots go to the test's tmp folder (and to ``$MH_SHOTS`` too when it is set)."""

from __future__ import annotations

import email
import io
import os
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from email.policy import default
from pathlib import Path
from typing import Any

import pytest

from meterhub.api.notify import Outbox
from meterhub.api.service import Access
from meterhub.api.spans import Window
from meterhub.portal.site import create_site
from meterhub.store import Store
from tests.api.world import NOW, Clock, add_interval_data, add_logins, build_world
from tests.portal.serving import served
from tests.portal.test_browser import ARGS, CHROMIUM, _browser_or_skip
from tests.portal.test_people_browser import PHONE, Server, _esp_sees, _log_in


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    store = Store.open(tmp_path / "store")
    world = build_world(store)
    secrets = add_logins(store, world)
    add_interval_data(store, world, days=20)
    store.set_contact(world.parties["carol"], "carol@example.lu", "fr", True, NOW)
    clock = Clock()
    outbox = tmp_path / "outbox"
    app = create_site(store, clock=clock, mailer=Outbox(outbox))
    try:
        with served(app) as url:
            yield Server(store, world, secrets, clock, url), outbox
    finally:
        store.close()


def _shot(page: Any, folder: Path, name: str) -> None:
    for where in (folder, Path(os.environ["MH_SHOTS"]) if os.environ.get("MH_SHOTS") else None):
        if where is not None:
            where.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(where / f"{name}.png"), full_page=True)


def test_privacy_page_on_a_phone(server: tuple[Server, Path], tmp_path: Path) -> None:
    srv, outbox = server
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    shots = tmp_path / "screenshots"
    p2 = srv.world.points["P2"]
    asked = srv.world.consents["carol_esp_asked"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport=PHONE, accept_downloads=True)
            _log_in(page, srv, "carol")
            page.wait_for_url("**/home")
            page.click("header nav >> text=Privacy")
            page.wait_for_url("**/privacy")
            assert page.locator("h1").inner_text() == "Privacy"
            page.click(f"[data-consent='{asked}'] button:has-text('Accept')")
            page.wait_for_selector(f"[data-consent='{asked}'][data-status='active']")
            assert page.url.endswith("/privacy") and _esp_sees(srv, p2)
            (mail,) = [email.message_from_bytes(p.read_bytes(), policy=default) for p in Outbox(outbox).messages()]
            assert mail["To"] == "carol@example.lu"
            assert mail["Subject"] == "Vous avez donné à ESP l'accès à vos données"
            # the ESP reads under the consent: the read is in carol's log
            esp = Access(srv.store, srv.world.caller("esp", "esp"), srv.clock())
            start = NOW - timedelta(days=3)
            esp.log(p2, "interval_data", [Window(start, NOW, f"consent:{asked}")], "GET /api/v1/…", None)
            page.reload()
            log = page.locator("[data-testid=access-log]")
            assert "ESP" in log.inner_text() and f"your consent no. {asked}" in log.inner_text()
            # nothing wider than the phone; every input of a form has a label
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            unlabelled = page.evaluate(
                """[...document.querySelectorAll('main input:not([type=hidden]), main select')]
                   .filter(e => !e.closest('label') && !(e.id && document.querySelector(`label[for="${e.id}"]`)))
                   .length"""
            )
            assert unlabelled == 0
            _shot(page, shots, "privacy-phone")
            # the archive downloads
            with page.expect_download() as got:
                page.click("text=Download my data (ZIP)")
            names = zipfile.ZipFile(io.BytesIO(Path(got.value.path()).read_bytes())).namelist()
            assert (
                "access_log.csv" in names
                and "intervals/LU0000000000000000000000000000P02_electricity_import.csv" in names
            )
            # French, then revoke: the ESP's access ends at once
            page.goto(srv.url + "/privacy?lang=fr")
            assert page.locator("h1").inner_text() == "Vie privée"
            _shot(page, shots, "privacy-phone-fr")
            page.click(f"[data-consent='{asked}'] button:has-text('Retirer maintenant')")
            page.wait_for_selector(f"[data-consent='{asked}'][data-status='revoked']")
            assert not _esp_sees(srv, p2)
            # keyboard only: tabbing reaches the download link
            page.goto(srv.url + "/privacy?lang=en")
            for _ in range(80):
                page.keyboard.press("Tab")
                if page.evaluate("document.activeElement.getAttribute('href')") == "/privacy/archive.zip":
                    break
            else:
                pytest.fail("the keyboard never reached the download link")
        finally:
            browser.close()
    assert (shots / "privacy-phone.png").stat().st_size > 10_000
