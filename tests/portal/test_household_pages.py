"""The household's home and live pages on SQLite and PostgreSQL, over the small market of :mod:`tests.api.world`
with erin's home of :mod:`tests.portal.household_data` (the figures worked out there): each medium this month
against the same days last year in words, gas in m³ and kWh (or why not), the unusual things, the table
alternative, the languages; the live view from forwarded telegrams through the policy layer (never another
home's, never from before the occupant moved in) and its JSON, else the latest quarter-hour with its age; every
read in the access log; staff keep their list of points."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from meterhub.mdm.billing import GasFactors
from meterhub.mdm.gas_factors import set_gas_factors
from meterhub.portal.site import create_site
from meterhub.store import Store
from tests.api.world import MOVE, NOW, PASSWORD, Clock, World, add_logins, build_world
from tests.pg import BACKENDS, open_store
from tests.portal.forms import login_form
from tests.portal.household_data import EAN, Home, add_home, add_p1


class Site:
    def __init__(self, store: Store, world: World, home: Home) -> None:
        self.store, self.world, self.home, self.clock = store, world, home, Clock()
        self.app = create_site(store, clock=self.clock)

    def client(self, username: str = "erin") -> TestClient:
        c = TestClient(self.app, follow_redirects=False)
        r = c.post("/login", data=login_form(c, {"username": username, "password": PASSWORD, "code": ""}))
        assert r.status_code == 303, r.text
        return c


@pytest.fixture(params=BACKENDS)
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    with open_store(request.param, tmp_path) as store:
        world = build_world(store)
        add_logins(store, world)
        yield Site(store, world, add_home(store, world))


def _article(html: str, medium: str) -> str:
    found = re.search(rf'<article class="medium card" data-medium="{medium}">(.*?)</article>', html, re.S)
    assert found is not None, f"no {medium} on the page"
    return found.group(1)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


def test_home_compares_each_medium_with_the_same_days_last_year(site: Site) -> None:
    r = site.client().get("/home")
    assert r.status_code == 200
    html = r.text
    assert "This month so far (July 1 to July 19, 2025)" in html and EAN in html and "12 rue des Prés" in html
    imp = _text(_article(html, "electricity_import"))
    assert "This month so far 170.2 kWh" in imp and "Same days last year 228.0 kWh" in imp
    assert "25% less than the same days last year." in imp
    assert "No data for last year." in _text(_article(html, "electricity_export"))
    assert "This month so far 91.2 kWh" in _text(_article(html, "electricity_export"))
    gas = _text(_article(html, "gas"))
    assert "45.6 m³" in gas and "68.4 m³" in gas and "33% less" in gas
    assert "July 2025: 495.4 kWh (calorific value 11.20 kWh/m³, correction factor 0.970)." in gas
    assert "No gas conversion factors are published for July 2024: shown in m³ only." in gas
    water = _text(_article(html, "water"))
    assert "6,900 litres" in water and "6,840 litres" in water and "1% more than the same days last year." in water
    # the table alternative: one row per day, the estimated day marked, both years side by side
    rows = re.findall(r"<tr><th scope=\"row\">([^<]+)</th><td class=\"num\">([^<]+)</td><td class=\"num\">([^<]+)</td>",
                      _article(html, "electricity_import"))  # fmt: skip
    assert (
        len(rows) == 19
        and rows[0] == ("July 1", "8.72", "12.00")
        and rows[14] == ("July 15", "9.04 (estimated)", "12.00")
    )
    assert html.count('class="plotly-graph-div"') == 4


def test_home_tells_the_unusual_things_most_serious_first(site: Site) -> None:
    html = site.client().get("/home").text
    items = [(s, _text(t)) for s, t in re.findall(r'data-severity="(\w+)">(.*?)</li>', html, re.S)]
    assert [s for s, _ in items] == ["warning", "notice", "info", "info"]
    assert (
        "Water has been flowing without a break for 66 hours since July 17, 06:00 (1,140 litres, at least 5 litres"
        in items[0][1]
    )
    assert (
        "Your night-time base load has risen from 180 W to 260 W" in items[1][1]
        and "701 kWh more a year" in items[1][1]
    )
    assert "Electricity bought from the grid: estimated values on July 15." in items[2][1]
    assert (
        "sent 4.8 kWh a day to the grid" in items[3][1]
        and "bought 1.6 kWh a day between 11:00 and 15:00" in items[3][1]
    )


def test_home_in_french_and_german(site: Site) -> None:
    c = site.client()
    fr = _text(c.get("/home?lang=fr").text).replace("\u202f", " ").replace("\xa0", " ")
    assert "170,2 kWh" in fr and "25 % de moins que les mêmes jours l’an dernier." in fr
    assert "Pas de données pour l’an dernier." in fr and "L’eau coule sans interruption depuis 66 heures" in fr
    assert "du 1 juillet au 19 juillet 2025" in fr
    de = _text(c.get("/home?lang=de").text).replace("\u202f", " ").replace("\xa0", " ")
    assert "6.900 Liter" in de and "Ihre nächtliche Grundlast ist von 180 W auf 260 W gestiegen" in de
    assert "In Energie" not in de and "Für Juli 2024 sind keine Gas-Umrechnungsfaktoren veröffentlicht" in de


def test_home_reads_are_logged_and_cut_to_the_occupancy(site: Site) -> None:
    site.client().get("/home")
    entries = [e for e in site.store.access_entries([site.home.point]) if e.route == "portal:home"]
    assert entries and all(e.right == "own" for e in entries)
    # bob's point has no meter: the page says so; staff still get their list of points
    bob = site.client("bob").get("/home").text
    assert "No meter data for this metering point yet." in bob and "LU0000000000000000000000000000P01" in bob
    assert "Add an authenticator app" in bob


def test_live_without_a_reader_states_the_latest_quarter_hours_age(site: Site) -> None:
    html = _text(site.client().get("/live").text)
    assert "The latest quarter-hour we have is from 23:45 to 00:00 on July 19, 2025, 2 h ago." in html
    assert "Bought from the grid 0.40 kW on average" in html and "Sent to the grid 0.00 kW on average" in html
    assert "Your meter is read once a day" in html
    assert 'href="/live"' in site.client().get("/home").text  # in the header


def test_live_from_forwarded_telegrams_and_its_json(site: Site) -> None:
    home = site.home.point
    add_p1(site.store, home, NOW - timedelta(seconds=20), (1500, 300, 200), n=3)
    p1 = site.world.points["P1"]
    add_p1(site.store, p1, MOVE - timedelta(days=1), (9999, 9999, 9999))  # alice's, before bob moved in
    c = site.client()
    html = _text(c.get("/live").text)
    assert "Buying from the grid now 2,000 W" in html and "Sending to the grid now 0 W" in html
    assert "L1 1,500 0 231.4 3" in html and "L3 200 0 232.1 1" in html and "( 20 s ago )" in html
    body = c.get(f"/live/latest.json?point={home}").json()
    assert body["point"] == home and body["reading"]["import_w"] == "2,000" and body["reading"]["age_s"] == 20
    assert [p["voltage_v"] for p in body["reading"]["phases"]] == ["231.4", "229.8", "232.1"]
    assert c.get(f"/live/latest.json?point={p1}").status_code == 404  # bob's home
    assert c.get("/live/latest.json?point=999999").status_code == 404
    bad = c.get("/live/latest.json?point=one")
    assert bad.status_code == 422 and "number" in bad.json()["detail"]
    entries = [e for e in site.store.access_entries([home]) if e.route == "portal:live"]
    assert entries and {e.scope for e in entries} == {"live_p1"}
    # bob sees his own point without live data: alice's telegram from before he moved in is not his
    bob = _text(site.client("bob").get("/live").text)
    assert "9,999" not in bob and "No live data and no quarter-hour of your meter yet." in bob
    assert site.client("bob").get(f"/live/latest.json?point={p1}").json()["reading"] is None
    # ten minutes on, the reading is said to be old
    site.clock.advance(600)
    late = c.get(f"/live/latest.json?point={home}").json()["reading"]
    assert late["stale"] and "sent nothing new for 10 min" in late["stale_text"]
    assert "il y a 10 min" in c.get(f"/live/latest.json?point={home}&lang=fr").json()["reading"]["age"]


def test_live_is_a_households_page(site: Site) -> None:
    c = TestClient(site.app, follow_redirects=False)
    assert c.get("/live").status_code == 303  # no session: to the login
    assert c.get("/live/latest.json?point=1").status_code in (303, 401)


def test_gas_in_energy_with_both_months_factors(site: Site) -> None:
    set_gas_factors(site.store, "dsoA", 2024, 7, GasFactors(Decimal("11.0"), Decimal("0.96")), by="op")
    gas = _text(_article(site.client().get("/home").text, "gas"))
    # 45.6 m³ · 0.97 · 11.2 = 495.4 kWh against 68.4 m³ · 0.96 · 11.0 = 722.3 kWh: 31 % less (33 % in m³)
    assert "July 2024: 722.3 kWh (calorific value 11.00 kWh/m³, correction factor 0.960)." in gas
    assert "In energy: 31% less than last year." in gas and "33% less than the same days last year." in gas


def test_days_before_moving_in_are_not_missing(site: Site) -> None:
    # bob moved in to P1 at MOVE; his point gets a meter with data from his first day only
    from tests.api.world import add_interval_data

    add_interval_data(site.store, site.world, days=60)  # P1 from T0: alice's days then bob's, the 10th estimated
    site.clock.now = MOVE + timedelta(days=5)
    html = site.client("bob").get("/home").text
    assert "missing or incomplete" not in html and "estimated values" not in html  # day 10 was alice's
    assert "No data for last year." in html


def test_the_change_in_words() -> None:
    from datetime import date

    from meterhub.mdm import insights as ins
    from meterhub.portal.household_home import Words, _change

    w = Words(lambda m, **kw: m % kw if kw else m, "en")
    day = [ins.DayTotal(date(2025, 7, 1), 0.0, 24, 24, 0)]
    assert _change(w, ins.compare(day, day)) == "Nothing on these days, this year or last."
    more = [ins.DayTotal(date(2025, 7, 1), 10.0, 24, 24, 0)]
    assert _change(w, ins.compare(more, day)) == "Last year's same days add up to zero."
    assert _change(w, ins.compare(more, [ins.DayTotal(date(2024, 7, 1), 10.04, 24, 24, 0)])) == (
        "About the same as the same days last year."
    )
