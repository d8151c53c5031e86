"""The portal on a phone (390×844) and a desktop (1280×800) in Debian's Chromium: the page body never scrolls
sideways (wide tables scroll inside their wrapper), no chart's legend covers an axis title, the events are
listed by name, and the meter list's kWh column is labelled with the two complete days it sums."""

from __future__ import annotations

import pytest

from tests.portal.test_app import DST_DAY, NEXT_DAY, PASSWORD
from tests.portal.test_browser import ARGS, CHROMIUM, _browser_or_skip, portal_url  # noqa: F401 (fixture)

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}

_BOXES = """() => [...document.querySelectorAll('.js-plotly-plot')].map(plot => {
    const box = sel => { const b = plot.querySelector(sel)?.getBoundingClientRect();
                         return b ? [b.left, b.top, b.right, b.bottom] : null; };
    return {legend: box('.legend'), xtitle: box('.g-xtitle'), ytitle: box('.g-ytitle')};
})"""


def _overlap(a: list[float] | None, b: list[float] | None) -> bool:
    if a is None or b is None:
        return False
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("size", sorted(VIEWPORTS))
def test_pages_fit_the_screen_and_charts_keep_their_legends_apart(portal_url: str, size: str) -> None:  # noqa: F811
    _browser_or_skip()
    from playwright.sync_api import Page, sync_playwright

    def no_sideways_scroll(page: Page) -> None:
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll <= inner, f"{page.url}: the page is {scroll} px wide on a {inner} px screen"

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            phone = size == "phone"
            context = browser.new_context(viewport=VIEWPORTS[size], is_mobile=phone, has_touch=phone)
            page = context.new_page()
            page.goto(portal_url + "/")
            no_sideways_scroll(page)
            page.fill("input[name=username]", "operator")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/meters*")
            no_sideways_scroll(page)
            head = page.locator("table.meters th.num")
            assert f"{DST_DAY} – {NEXT_DAY}" in head.inner_text()  # the store's data ends before yesterday

            page.goto(portal_url + "/meters/LU0001")
            page.wait_for_selector(".js-plotly-plot .legend", timeout=15_000)
            page.wait_for_timeout(300)  # plotly's responsive relayout after the first draw
            no_sideways_scroll(page)
            boxes = page.evaluate(_BOXES)
            assert len(boxes) == 4  # daily energy, 1/4 h, gas, water
            for chart in boxes:
                assert chart["legend"] and chart["xtitle"] and chart["ytitle"], chart
                assert not _overlap(chart["legend"], chart["xtitle"]), chart
                assert not _overlap(chart["legend"], chart["ytitle"]), chart
                plot_width = page.evaluate("document.querySelector('.chart').getBoundingClientRect().width")
                assert plot_width >= VIEWPORTS[size]["width"] * 0.85  # charts use the screen's width
            for name in ("Voltage sag L1 (76)", "Communication error, M-Bus channel 1 (100)"):
                assert page.get_by_text(name, exact=True).is_visible()
            context.close()
        finally:
            browser.close()
