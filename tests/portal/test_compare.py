"""The comparison page and the home profile form over the small fleet of :mod:`tests.mdm.peers_world`, its peer
statistics computed first: the flat A3 (65 Wh every quarter-hour) against similar homes — figures worked out by
hand — in English, French and German; another household's profile is not editable; a wrong field is a 422."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from meterhub.api.users import add_user
from meterhub.mdm import peers
from meterhub.portal.site import create_site
from meterhub.store import Store
from tests.api.world import PASSWORD, Clock
from tests.mdm.peers_world import NOW, T0, build
from tests.pg import BACKENDS, open_store
from tests.portal.forms import login_form


@dataclass
class Fleet:
    store: Store
    homes: dict[str, tuple[int, int]]
    clock: Clock

    def client(self, username: str) -> tuple[TestClient, str]:
        c = TestClient(create_site(self.store, clock=self.clock), follow_redirects=False)
        r = c.post("/login", data=login_form(c, {"username": username, "password": PASSWORD, "code": ""}))
        assert r.status_code == 303, r.text
        found = re.search(r'name="csrf" value="([^"]+)"', c.get("/compare").text)
        assert found is not None
        return c, found.group(1)


def make_fleet(store: Store) -> Fleet:
    homes = build(store)
    for name in ("A3", "A4", "C"):
        add_user(store, name.lower(), PASSWORD, "customer", homes[name][1], T0)
    peers.run_peers(store, NOW, months=3)
    return Fleet(store, homes, Clock(NOW))


@pytest.fixture(params=BACKENDS)
def fleet(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Fleet]:
    with open_store(request.param, tmp_path) as store:
        yield make_fleet(store)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_flat_a3_against_similar_homes(fleet: Fleet) -> None:
    c, _ = fleet.client("a3")
    r = c.get("/compare")
    assert r.status_code == 200, r.text
    text = _text(r.text)
    # May: 19 whole flats are too few; 23 homes of 2 persons heated by gas. A3 is the 7th lowest (w 40 50 50 55 60 60
    # 65 …); efficient = the best 5 (40 50 50 55 60 → 51 Wh per quarter-hour): 65 / 51 − 1 = 27 %
    assert "May 2025: you used 27 % more than efficient similar homes." in text
    assert "You are number 7 of 23 similar homes, counting from the lowest use." in text
    assert ("There are not 20 homes like yours: compared with all 23 homes with electricity, 2 persons, "
            "heating: gas.") in text  # fmt: skip
    # April: the 20 flats, A3 the 4th; the best 4 average 57.5: 65 / 57.5 − 1 = 13 %
    assert "April 2025: you used 13 % more than efficient similar homes." in text
    assert re.search(r"April 2025</th><td class=\"num\" data-label=\"You\">187</td>", r.text)  # 65 × 2.88 = 187.2 kWh
    # spring (1 March – 31 May): as May, 23 homes
    assert "Spring 2025: you used 27 % more than efficient similar homes." in text
    # months without data say so; the chart and its table are there
    assert "June 2024: no comparison" in text
    assert "Plotly.newPlot" in r.text and "<details>" in r.text


def test_french_and_german(fleet: Fleet) -> None:
    c, _ = fleet.client("a3")
    fr = _text(c.get("/compare?lang=fr").text)
    assert "Mai 2025 : vous avez consommé 27 % de plus que les foyers similaires économes." in fr
    assert "Vous êtes n° 7 sur 23 foyers similaires" in fr
    de = _text(c.get("/compare?lang=de").text)
    assert "Mai 2025: Sie haben 27 % mehr verbraucht als sparsame ähnliche Haushalte." in de


def test_a_home_without_a_profile_is_compared_with_all_homes(fleet: Fleet) -> None:
    c, _ = fleet.client("c")
    text = _text(c.get("/compare").text)
    # C (200 Wh) among all 24 whole homes in May: the highest → 24th
    assert "You are number 24 of 24 similar homes" in text
    assert "All 24 homes with electricity (tell us about your home below" in text


def test_profile_saved_and_another_households_not_editable(fleet: Fleet) -> None:
    c, csrf = fleet.client("a3")
    own, other = fleet.homes["A3"][0], fleet.homes["A4"][0]
    form = {"csrf": csrf, "household_size": "3", "heating": "heat_pump", "dwelling": "detached", "floor_area": "140",
            "has_pv": "on", "has_heat_pump": "on"}  # fmt: skip
    r = c.post("/compare/profile", data={**form, "point": str(own)})
    assert r.status_code == 303
    saved = fleet.store.get_home_profile(own, fleet.homes["A3"][1])
    assert saved is not None and (saved.household_size, saved.heating, saved.floor_area_m2, saved.has_pv) == (
        3, "heat_pump", 140, True)  # fmt: skip
    before = fleet.store.get_home_profile(other, fleet.homes["A4"][1])
    r = c.post("/compare/profile", data={**form, "point": str(other)})
    assert r.status_code == 404
    assert fleet.store.get_home_profile(other, fleet.homes["A4"][1]) == before
    assert fleet.store.get_home_profile(other, fleet.homes["A3"][1]) is None
    assert c.get(f"/compare?point={other}").status_code == 404
    assert c.post("/compare/profile", data={**form, "point": str(own), "csrf": "x"}).status_code == 403


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("household_size", "0", "household size"), ("household_size", "two", "household size"),
     ("heating", "coal", "heated"), ("dwelling", "castle", "dwelling"), ("floor_area", "5", "floor area")],
)  # fmt: skip
def test_wrong_fields_are_422(fleet: Fleet, field: str, value: str, message: str) -> None:
    c, csrf = fleet.client("a3")
    form = {"csrf": csrf, "point": str(fleet.homes["A3"][0]), "household_size": "2", "heating": "gas",
            "dwelling": "apartment", **{field: value}}  # fmt: skip
    r = c.post("/compare/profile", data=form)
    assert r.status_code == 422 and message in r.text
    assert c.get("/compare?point=abc").status_code == 422
