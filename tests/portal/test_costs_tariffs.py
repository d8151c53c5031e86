"""The costs page's figures against the hand-computed cases of :mod:`tests.portal.costs_world` (a supplier switch
mid-month, a two-period tariff, a flat one), in three languages; and the supplier's tariffs page: its forms
carry CSRF, bad input gets a message next to the field (422, never a traceback), a tariff is written, uploaded,
published and withdrawn, and another supplier's tariff is a 404."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from meterhub.portal.site import create_site
from meterhub.security import totp
from tests.api.world import Clock
from tests.pg import BACKENDS, open_store
from tests.portal.conftest import csrf_of
from tests.portal.costs_world import NOW, PASSWORD, CostsWorld, build
from tests.portal.forms import login_form


class Env:
    def __init__(self, world: CostsWorld) -> None:
        self.world = world
        self.clock = Clock(NOW)

    def client(self, username: str) -> tuple[TestClient, str]:
        """A logged-in client (staff enrol their authenticator at the first login) and its CSRF token."""
        c = TestClient(create_site(self.world.store, clock=self.clock), follow_redirects=False)
        secret = self.world.secrets[username]
        self.clock.advance(31)
        code = totp.code_at(secret, self.clock()) if secret else ""
        r = c.post("/login", data=login_form(c, {"username": username, "password": PASSWORD, "code": code}))
        if r.status_code == 200 and "Set up your authenticator app" in r.text:
            token = re.search(r'name="token" value="([^"]+)"', r.text)
            assert token is not None and secret is not None
            self.clock.advance(31)
            r = c.post("/login/enrol", data={"token": token.group(1), "code": totp.code_at(secret, self.clock())})
        assert r.status_code == 303, r.text
        return c, csrf_of(c.get("/home").text)


@pytest.fixture(params=BACKENDS)
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    with open_store(request.param, tmp_path) as store:
        yield Env(build(store))


def _attr(html: str, selector: str) -> list[str]:
    return re.findall(selector, html)


def test_costs_this_month_with_a_supplier_switch(env: Env) -> None:
    ann, _ = env.client("ann")
    r = ann.get("/costs")
    assert r.status_code == 200, r.text
    html = r.text
    assert _attr(html, r'class="total" data-total="([\d.]+)"') == ["11.04"]
    # the two parts of March: Flatco 1–4 March, Duoco from the 5th
    parts = re.split(r'<table class="rates" data-part="\d">', html)[1:]
    assert len(parts) == 2
    flat, duo = parts[0].split("</table>")[0], parts[1].split("</table>")[0]
    assert "Flatco, Flat 15" in flat and "Duoco, Duo day/night" in duo
    assert _attr(flat, r'data-kwh="([\d.]+)"') == ["28.800"] and _attr(flat, r'data-eur="([\d.]+)"') == ["4.32"]
    assert _attr(duo, r'data-kwh="([\d.]+)"') == ["12.800", "25.600"]
    assert _attr(duo, r'data-eur="([\d.]+)"') == ["2.56", "2.56"] and _attr(duo, r'data-fixed="([\d.]+)"') == ["1.60"]
    assert "Quarter-hours without a reading, not counted: 432." in html  # today's afternoon is still to come
    months = dict(re.findall(r'data-month="([\d-]+)".*?data-total="([\d.]+)"', html))
    assert months == {"2026-03": "11.04", "2026-02": "10.08", "2026-01": "0.00"}
    assert 'href="/network-tariff"' in html and "energy part of your bill" in html
    assert "The chart as a table" in html and "plotly" in html


def test_the_last_12_months_under_each_published_tariff(env: Env) -> None:
    ann, _ = env.client("ann")
    html = ann.get("/costs").text
    ranking = html.split('<table class="ranking">')[1].split("</table>")[0]
    rows = re.findall(r'data-tariff="(\d+)".*?data-total="([\d.]+)".*?data-difference="(-?[\d.]+)"', ranking, re.S)
    t = env.world.tariffs
    assert rows == [(str(t["flat"]), "10.08", "-12.24"), (str(t["duo"]), "22.32", "0.00")]
    assert f'class="mine" data-tariff="{t["duo"]}"' in ranking
    assert "Flatco&#39;s Flat 15 would have cost you €12.24 less over the last 12 months." in html
    assert "1 Jan 2026 to 28 Feb 2026" in html


def test_costs_in_french_and_german(env: Env) -> None:
    ann, _ = env.client("ann")
    fr = ann.get("/costs?lang=fr").text
    assert "Coûts et tarifs" in fr and "11,04\xa0€" in fr and "12,24\xa0€ de moins" in fr
    de = ann.get("/costs?lang=de").text
    assert "Kosten und Tarife" in de and "11,04\xa0€" in de


def test_a_new_customer_sees_only_their_own_days(env: Env) -> None:
    ben, _ = env.client("ben")  # no point of his own
    r = ben.get("/costs")
    assert r.status_code == 200 and "There is no electricity consumption of yours to cost yet." in r.text
    flatco, _ = env.client("flatco")
    assert flatco.get("/costs").status_code == 404  # a household's page
    ann, _ = env.client("ann")
    assert ann.get("/tariffs").status_code == 404  # a supplier's page


FORM = {
    "name": "Nuit douce", "fixed": "5,50", "rate1_name": "jour", "rate1_price": "0.1790", "rate2_name": "nuit",
    "rate2_price": "0.1290", "day1": "00:00 2\n06:00 1\n22:00 2", "day2": "00:00 2", "s1_name": "", "s1_start": "01-01",
    **{f"s1_{d}": "1" for d in ("mon", "tue", "wed", "thu", "fri")}, "s1_sat": "2", "s1_sun": "2", "holiday": "2",
    "specials": "2026-12-24 2",
}  # fmt: skip


def test_the_supplier_writes_publishes_and_withdraws_a_tariff(env: Env) -> None:
    c, csrf = env.client("flatco")
    page = c.get("/tariffs")
    assert page.status_code == 200 and "Flat 15" in page.text and 'name="csrf"' in page.text
    assert c.post("/tariffs", data={**FORM, "csrf": "forged"}).status_code == 403
    r = c.post("/tariffs", data={**FORM, "csrf": csrf})
    assert r.status_code == 303, r.text
    mine = env.world.store.tariff_versions(env.world.parties["flatco"], statuses=("draft",))
    assert [m.name for m in mine] == ["Nuit douce"]
    d = mine[0].definition
    assert d["fixed_eur_month"] == 5.5 and d["holiday_day_id"] == 2 and d["weeks"][0]["days"] == [1, 1, 1, 1, 1, 2, 2]
    assert d["special_days"] == [{"day": "2026-12-24", "day_id": 2}]
    tid = mine[0].id
    assert c.post(f"/tariffs/{tid}/publish", data={"valid_from": "2026-04-01"}).status_code == 403  # no CSRF
    past = c.post(f"/tariffs/{tid}/publish", data={"valid_from": "2026-01-01", "csrf": csrf})
    assert past.status_code == 422 and "today or a later day" in past.text
    assert c.post(f"/tariffs/{tid}/publish", data={"valid_from": "2026-04-01", "csrf": csrf}).status_code == 303
    got = env.world.store.get_tariff(tid)
    assert got is not None and got.status == "published" and str(got.valid_from) == "2026-04-01"
    assert c.post(f"/tariffs/{tid}/withdraw", data={"valid_from": "2026-06-01", "csrf": csrf}).status_code == 303
    got = env.world.store.get_tariff(tid)
    assert got is not None and got.status == "withdrawn" and str(got.valid_to) == "2026-06-01"
    assert 'data-status="withdrawn"' in c.get("/tariffs").text
    assert c.get(f"/api/v1/tariffs/{tid}").json()["status"] == "withdrawn"  # the page's JSON link, same session
    # another supplier's tariff: the 404 of an unknown one, and nothing changes
    other, other_csrf = env.client("duoco")
    duo = env.world.tariffs["duo"]
    r = other.post(f"/tariffs/{env.world.tariffs['flat']}/withdraw", data={"csrf": other_csrf})
    assert r.status_code == 404
    assert env.world.store.get_tariff(env.world.tariffs["flat"]).status == "published"  # type: ignore[union-attr]
    assert other.post(f"/tariffs/{duo}/withdraw", data={"csrf": other_csrf, "valid_from": "x"}).status_code == 422


def test_bad_input_gets_a_message_next_to_the_field(env: Env) -> None:
    c, csrf = env.client("flatco")
    bad = {**FORM, "csrf": csrf, "name": "", "fixed": "lots", "rate2_price": "-1", "specials": "24/12 2"}
    bad_days = {**FORM, "csrf": csrf, "day1": "06:00 1\n22:00 1", "s1_sat": "3"}  # profile 3 is not written
    expected = {
        "name": "Give the tariff a name.", "fixed": "A number of euros per month", "rate2_price": "A price in €/kWh",
        "specials": "Line 1: write a day and a day profile", "day1": "The first period starts at 00:00.",
        "s1_sat": "Choose a day profile you have written.",
    }  # fmt: skip
    for data, fields in [(bad, ("name", "fixed", "rate2_price", "specials")), (bad_days, ("day1", "s1_sat"))]:
        r = c.post("/tariffs", data=data)
        assert r.status_code == 422 and "Traceback" not in r.text
        for field in fields:
            assert re.search(rf'id="err-{field}">{re.escape(expected[field])}', r.text), field
            assert f'name="{field}"' in r.text
    r = c.post("/tariffs", data=bad)
    assert 'aria-invalid="true" aria-describedby="err-name"' in r.text
    assert 'value="lots"' in r.text  # what was typed stays in the form
    fr = c.post("/tariffs?lang=fr", data=bad)
    assert fr.status_code == 422 and "Donnez un nom au tarif." in fr.text
    assert env.world.store.tariff_versions(env.world.parties["flatco"], statuses=("draft",)) == []


def test_uploading_the_api_json(env: Env, tmp_path: Path) -> None:
    c, csrf = env.client("duoco")
    good = json.dumps({**env.world.store.get_tariff(env.world.tariffs["duo"]).definition, "name": "Duo 2027"})  # type: ignore[union-attr]
    r = c.post("/tariffs/upload", data={"csrf": csrf}, files={"file": ("t.json", good.encode(), "application/json")})
    assert r.status_code == 303, r.text
    assert [m.name for m in env.world.store.tariff_versions(statuses=("draft",))] == ["Duo 2027"]
    r = c.post("/tariffs/upload", data={"csrf": csrf}, files={"file": ("t.json", b"{not json", "application/json")})
    assert r.status_code == 422 and "The file is not JSON" in r.text
    wrong = json.dumps({"name": "x", "rates": [], "days": [], "weeks": [], "seasons": []}).encode()
    r = c.post("/tariffs/upload", data={"csrf": csrf}, files={"file": ("t.json", wrong, "application/json")})
    assert r.status_code == 422 and "no rates" in r.text
    assert c.post("/tariffs/upload", data={"csrf": "x"}, files={"file": ("t.json", good.encode())}).status_code == 403


def test_withdrawn_from_today_leaves_the_past_priced(env: Env) -> None:
    """Duoco withdraws its tariff from today: ann's March days before today are still priced under it (today, no
    tariff: 7 days of standing charge, 1.40 €, instead of 8), and it is no longer offered."""
    c, csrf = env.client("duoco")
    assert c.post(f"/tariffs/{env.world.tariffs['duo']}/withdraw", data={"csrf": csrf}).status_code == 303
    ann, _ = env.client("ann")
    html = ann.get("/costs").text
    assert _attr(html, r'class="total" data-total="([\d.]+)"') == ["10.84"]
    assert "Days without a published tariff, not counted: 1." in html
    ranking = html.split('<table class="ranking">')[1].split("</table>")[0]
    assert f'data-tariff="{env.world.tariffs["duo"]}"' not in ranking  # no longer offered
    assert "Flatco&#39;s Flat 15 would have cost you the least over the last 12 months: €10.08." in html


def test_a_household_that_moved_in_this_month_has_no_comparison_yet(env: Env) -> None:
    """Ben moves into a new point on 2 March: this month is costed, the comparison waits for a full month."""
    from datetime import datetime

    from meterhub.country import LOCAL_TZ

    store, p = env.world.store, env.world.parties
    point = store.add_metering_point("LU0000000000000000000000000000C02", p["dso"], grid_area="dso")
    moved = datetime(2026, 3, 2, tzinfo=LOCAL_TZ)
    store.move_in(point, p["ben"], moved)
    store.set_supplier(point, p["flatco"], moved)
    meter = store.add_meter("SIMC0002", p["dso"], model="t", firmware="1", installed_at=moved)
    store.install(point, meter, moved)
    store.add_channel(meter, "1.0.1.8.0.255", unit="Wh", interval_s=900)
    ben, _ = env.client("ben")
    html = ben.get("/costs").text
    assert "The comparison needs a full month of your consumption: come back next month." in html
    assert _attr(html, r'class="total" data-total="([\d.]+)"') == ["0.00"]
    assert "No supplier has published a tariff yet." not in html
