"""The downloads page in a real browser (Debian's Chromium driven by Playwright, the portal under uvicorn): carol
opens Downloads from the header, chooses two days at hourly resolution and downloads the CSV — a real file
with 48 hourly rows of 0.4 kWh — then the Green Button file, which validates against the official schema. On a
desktop and on a 390 px phone; the screenshots go to the test's tmp dir (and ``$MH_SHOTS`` when set)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from tests.mdm.test_espi import feed_schema
from tests.portal.test_browser import ARGS, CHROMIUM
from tests.portal.test_people_browser import DESKTOP, PHONE, Server, _browser, _log_in, _shot, server

__all__ = ["server"]  # the fixture, used by name


def _save(page: Any, tmp_path: Path, label: str, what: str) -> Path:
    with page.expect_download() as info:
        page.click("form.download button[type=submit]")
    download = info.value
    path = tmp_path / f"{label}-{download.suggested_filename}"
    download.save_as(str(path))
    page.screenshot(path=str(tmp_path / f"downloads-{what}-{label}.png"), full_page=True)
    return path


@pytest.mark.parametrize(("viewport", "label"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_download_my_data_to_a_file(server: Server, tmp_path: Path, viewport: dict[str, int], label: str) -> None:
    p2 = server.world.points["P2"]
    with _browser() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport=viewport, accept_downloads=True)
            _log_in(page, server, "carol")
            page.wait_for_url("**/home")
            page.click("header nav >> text=Downloads")
            page.wait_for_url("**/downloads")
            assert page.locator("h1").inner_text() == "Download my data"
            page.select_option("#dl-point", str(p2))
            page.select_option("#dl-medium", "electricity_import")
            page.check("input[name=period][value=custom]")
            page.fill("input[name=from]", "2025-01-02")
            page.fill("input[name=to]", "2025-01-03")
            page.select_option("#dl-resolution", "hour")
            page.check("input[name=format][value=csv]")
            page.screenshot(path=str(tmp_path / f"downloads-form-{label}.png"), full_page=True)
            _shot(page, f"downloads-{label}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"the page scrolls sideways at {viewport['width']} px: {width}"
            path = _save(page, tmp_path, label, "csv")
            assert path.name == (
                f"{label}-meterhub-LU0000000000000000000000000000P02-electricity_import-2025-01-02-2025-01-03-hour.csv"
            )
            rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
            assert rows[1] == ["start", "end", "value", "unit", "quality"]
            body = rows[2:]
            assert len(body) == 48
            assert body[0] == ["2025-01-02T00:00:00+01:00", "2025-01-02T01:00:00+01:00", "0.400", "kWh", "measured"]
            assert {r[2] for r in body} == {"0.400"}
            page.check("input[name=format][value=espi]")
            feed = _save(page, tmp_path, label, "espi")
            feed_schema().validate(str(feed))
            assert feed.read_bytes().count(b"<espi:IntervalReading>") == 2 * 96
        finally:
            browser.close()
    assert (tmp_path / f"downloads-form-{label}.png").stat().st_size > 0
