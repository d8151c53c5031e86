"""The network-tariff and saving-advice pages on SQLite and PostgreSQL, for carol's home of :mod:`tests.portal.
ev_home` (an EV overrunning on winter evenings, a 300 W night base load, solar export in June, her supplier's
two-rate tariff): every figure against the hand-computed ones there and the reference file's rule (a 3 kW level
allows 0.75 kWh per quarter-hour, the overrun at 0.1139 instead of 0.0759 €/kWh), the chosen level, export not
counting towards overruns, the advice ordered by € saved, French and German, 422 on bad input and 404 for a
point not hers."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from fastapi.testclient import TestClient

from tests.api.world import NOW
from tests.portal.conftest import Site
from tests.portal.ev_home import EXPECTED, add_ev_home


def _client(site: Site, who: str = "carol") -> TestClient:
    add_ev_home(site.store, site.world)
    c = site.client()
    site.login(c, who)
    return c


def _row(page: str, header: str) -> list[str]:
    found = re.search(rf'<tr><th scope="row">{re.escape(header)}</th>(.*?)</tr>', page, re.S)
    assert found is not None, header
    return [
        html.unescape(re.sub(r"<[^>]+>", "", x)).strip() for x in re.findall(r"<td[^>]*>(.*?)</td>", found[1], re.S)
    ]


def _eur(x: float) -> str:
    return f"{x:,.2f} €"


def test_network_tariff_figures_for_an_ev_home(site: Site) -> None:
    c = _client(site)
    r = c.get("/network-tariff")
    assert r.status_code == 200, r.text
    page = r.text
    assert "we assume 3 kW" in page and "from August 1, 2024 to July 19, 2025" in page
    assert "up to 0.75 kWh per quarter-hour is charged at 0.0759 €/kWh and the rest at 0.1139 €/kWh" in page
    # January: 23 workday evenings × 12 quarter-hours of 2.825 kWh, each 2.075 kWh above 0.75 kWh
    jan = _row(page, "Jan 2025")
    assert jan == [
        "11.30",
        "01/01 19:00",
        "572.7",
        "276",
        _eur(EXPECTED["jan_extra_eur"]),
        _eur(EXPECTED["jan_total_eur"]),
    ]
    assert _row(page, "Feb 2025")[2:4] == [f"{20 * 12 * 2.075:.1f}", "240"]
    # June's 4 kW of solar export (A−) does not count: no overrun, the peak is the 300 W base
    assert _row(page, "Jun 2025")[0] == "0.30" and _row(page, "Jun 2025")[2:4] == ["0.0", "0"]
    assert "1,070.7 kWh" in page and "in 516 quarter-hours" in page
    assert _eur(EXPECTED["year_overrun_kwh_3"] * 0.038) in page  # 40.69 € on top
    # every level over the same months: 3 kW is cheapest, the winter-only charger does not pay for 7 kW
    assert f"3 kW was the cheapest level for you: {_eur(EXPECTED['total_3'])}" in page
    assert (
        f'<td class="num">{EXPECTED["year_overrun_kwh_7"]:.1f}</td><td class="num">{_eur(EXPECTED["total_7"])}' in page
    )
    assert _eur(EXPECTED["total_12"]) in page
    # when: Monday … Friday 19:00–22:00 only (Jan + Feb: 4+4 Mondays and Tuesdays, 5+4 Wednesdays … Fridays)
    for hour in ("19:00", "20:00", "21:00"):
        assert _row(page, hour) == ["32", "32", "36", "36", "36", "0", "0"]
    assert _row(page, "18:00") == ["0"] * 7 and _row(page, "22:00") == ["0"] * 7
    cause = _row(page, "Electric car charging")
    assert cause[1:] == ["43", "516", "1,070.7", _eur(1070.7 * 0.038), "19:00"]
    assert "Heat pump" not in page and "Cooking" not in page
    assert page.count('class="table-alt"') == 2  # each chart has its table
    assert 'aria-current="page">Network tariff' in page
    # the reads went through the policy layer: import A+ only, logged under the page's name
    logged = [e for e in site.store.access_entries([site.world.points["P2"]]) if e.route == "portal:network-tariff"]
    assert len(logged) == 1 and logged[0].scope == "interval_data" and logged[0].right == "own"


def test_a_chosen_level_and_what_the_cheapest_saves(site: Site) -> None:
    c = _client(site)
    page = c.get("/network-tariff", params={"level": "7"}).text
    assert "You chose the 7 kW level" in page and '<option value="7" selected>' in page
    saving = EXPECTED["total_7"] - EXPECTED["total_3"]  # 34.35 €
    assert (f"The 3 kW level would have cost {_eur(EXPECTED['total_3'])} instead of {_eur(EXPECTED['total_7'])} "
            f"at 7 kW: {_eur(saving)} less.") in page  # fmt: skip
    assert _row(page, "Jan 2025")[2:4] == [f"{23 * 12 * 1.075:.1f}", "276"]
    # at 12 kW nothing overruns
    page = c.get("/network-tariff", params={"level": "12"}).text
    assert "No quarter-hour went above 12 kW." in page and "in 0 quarter-hours" in page
    for bad in ({"level": "5"}, {"level": "seven"}, {"point": "x"}, {"point": "-1"}):
        for path in ("/network-tariff", "/advice"):
            r = c.get(path, params=bad)
            assert r.status_code == 422 and ("reference power levels: 3, 7, 12" in r.text or "one of yours" in r.text)


def test_advice_for_a_home_with_high_night_base_load(site: Site) -> None:
    c = _client(site)
    r = c.get("/advice")
    assert r.status_code == 200, r.text
    page = html.unescape(r.text)
    kinds = re.findall(r'<li class="advice-item card" data-kind="(\w+)"', page)
    # ordered by € a year: base load 672 €, shifting 63 €, solar 20 €, the level 0 €; heating cannot be given
    assert kinds == ["base_load", "load_shifting", "pv_self_consumption", "network_level", "heating"]
    assert f"2,190 kWh and {EXPECTED['base_saving_eur']:.0f} € a year" in page  # (300 − 50) W × 8,760 h
    assert "never draws less than 300 W: 2,628 kWh and" in page
    assert f"A kWh less saves {EXPECTED['price']:.4f} €/kWh" in page and "S1's tariff “Day & Night”" in page
    assert f"{EXPECTED['shift_eur']:.0f} € a year" in page and "(0.1500 €/kWh)" in page
    assert f"{EXPECTED['day_kwh'] * 0.15 * 365 / 200:,.0f} kWh a year move" in page  # 635 kWh
    assert f"{EXPECTED['pv_kwh']:.0f} kWh and {EXPECTED['pv_eur']:.0f} € a year" in page
    assert "You sent 438 kWh a year to the grid" in page and "we assume 0.0800 €/kWh" in page
    assert "The 3 kW level was the cheapest for you" in page
    assert '<a href="/network-tariff?point=' in page and "No weather data held" in page
    assert page.count('<details class="how">') == 4


def test_advice_without_a_published_tariff_says_so(site: Site) -> None:
    c = _client(site)
    site.store.set_supplier(site.world.points["P2"], site.world.parties["s2"], NOW - timedelta(days=10))
    page = html.unescape(c.get("/advice").text)
    assert "Your supplier S2 publishes no tariff on the platform." in page
    assert "a kWh less is counted at the network's normal rate of 0.0759 €/kWh only" in page
    assert f"2,190 kWh and {2190 * 0.0759:.0f} € a year" in page
    assert re.findall(r'data-kind="(\w+)"', page) == [
        "base_load", "network_level", "heating", "pv_self_consumption", "load_shifting"
    ]  # fmt: skip
    assert "so we cannot price using 88 kWh of it at home instead" in page


def test_french_and_german(site: Site) -> None:
    c = _client(site)
    fr = c.get("/network-tariff", params={"lang": "fr"}).text
    assert "Votre tarif réseau" in fr and "1 070,7 kWh" in fr.replace("\u202f", " ").replace("\xa0", " ")
    assert "Recharge de la voiture électrique" in fr and "janv. 2025" in fr
    de = c.get("/advice", params={"lang": "de"}).text
    assert "Grundlast in der Nacht und Standby" in de and "2.190 kWh" in de and "So haben wir gerechnet" in de


def test_a_point_not_hers_is_a_404(site: Site) -> None:
    c = _client(site)
    for point in ("P1", "P3"):
        for path in ("/network-tariff", "/advice"):
            r = c.get(path, params={"point": str(site.world.points[point])})
            assert r.status_code == 404 and "no such metering point among yours" in r.text
    assert c.get("/advice", params={"point": "999999"}).status_code == 404
    # bob's own point P1 has no meter: the page says so rather than failing
    bob = site.client()
    site.login(bob, "bob")
    r = bob.get("/network-tariff")
    assert r.status_code == 200 and "None of your metering points measures electricity" in r.text
    for path in ("/network-tariff", "/advice"):
        r = bob.get(path, params={"point": str(site.world.points["P1"])})
        assert r.status_code == 200 and "This metering point does not measure electricity" in r.text


def test_the_language_switch_keeps_the_level(site: Site) -> None:
    c = _client(site)
    page = c.get("/network-tariff", params={"level": "7"}).text
    for code in ("en", "fr", "de"):
        assert f'href="?level=7&amp;lang={code}" lang="{code}"' in page
    fr = c.get("/network-tariff?level=7&lang=fr")  # what the FR link asks for
    assert fr.status_code == 200 and '<option value="7" selected>' in fr.text and '<html lang="fr">' in fr.text
    page = c.get("/advice", params={"point": str(site.world.points["P2"]), "lang": "de", "level": "12"}).text
    assert f'href="?point={site.world.points["P2"]}&amp;level=12&amp;lang=fr" lang="fr"' in page
