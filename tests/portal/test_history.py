"""The History page (``GET /history``) for carol, whose point P2 carries quarter-hour electricity and hourly gas
(:mod:`tests.portal.history_world`): every preset's resolution, estimated and edited values marked and counted,
gaps as gaps, a custom period, the limits as 422 pages with the form, another home's point a 404, the heating
signature against degree days computed from the stored weather, French and German, and the access log."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from meterhub.portal.site import create_site
from meterhub.store import Store
from tests.api.world import PASSWORD, Clock, World, add_logins, build_world
from tests.pg import BACKENDS, open_store
from tests.portal.forms import login_form
from tests.portal.history_world import add_history


@dataclass
class Home:
    store: Store
    world: World
    client: TestClient


@pytest.fixture(params=BACKENDS)
def home(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Home]:
    with open_store(request.param, tmp_path) as store:
        world = build_world(store)
        add_logins(store, world)
        add_history(store, world)
        client = TestClient(create_site(store, clock=Clock()), follow_redirects=False)
        r = client.post("/login", data=login_form(client, {"username": "carol", "password": PASSWORD, "code": ""}))
        assert r.status_code == 303, r.text
        yield Home(store, world, client)


def _plot(html: str, div: str = "history-chart") -> list[dict[str, object]]:
    """The traces of a plotly chart on the page."""
    found = re.search(r'Plotly\.newPlot\(\s*"' + div + r'",\s*(\[.*?\]),\s*\{', html, re.S)
    assert found is not None, f"no chart {div}"
    traces: list[dict[str, object]] = json.loads(found.group(1))
    return traces


def _rows(html: str, table: int = 0) -> list[list[str]]:
    body = re.findall(r"<tbody>(.*?)</tbody>", html, re.S)[table]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_last_month_daily_marks_and_counts_estimated_edited_and_gaps(home: Home) -> None:
    r = home.client.get("/history")
    assert r.status_code == 200, r.text
    html = r.text
    assert "1 Jun 2025 to 30 Jun 2025" in html and 'aria-current="true">Last month, daily' in html
    assert "3 of 30 days contain estimated values." in html
    assert "1 of 30 days contain edited values." in html
    assert "1 of 30 days have no data: gaps in the chart, not zeros." in html
    traces = {t["name"]: t for t in _plot(html)}
    assert set(traces) == {"Measured", "Estimated", "Edited"}
    assert traces["Estimated"]["x"] == ["2025-06-03", "2025-06-10", "2025-06-17"]
    assert traces["Estimated"]["marker"]["pattern"]["shape"] == "/"  # type: ignore[index]
    assert traces["Edited"]["x"] == ["2025-06-24"]
    assert "2025-06-28" not in [x for t in traces.values() for x in t["x"]]  # type: ignore[union-attr]
    assert traces["Measured"]["y"][0] == pytest.approx(9.6)  # type: ignore[index]  # 96 × 100 Wh
    rows = _rows(html)
    assert len(rows) == 30
    assert rows[2] == ["Tue 3 Jun 2025", "9.6", "Estimated"] and rows[27] == ["Sat 28 Jun 2025", "—", "No data"]
    assert rows[23][2] == "Edited"
    assert "Total of the values shown: 278.4 kWh" in html  # 29 days × 9.6
    download = f"/downloads?point={home.world.points['P2']}&amp;medium=electricity_import&amp;period=custom&amp;"
    assert download + "from=2025-06-01&amp;to=2025-06-30&amp;resolution=day&amp;format=csv" in html
    assert "rangeslider" in html


def test_yesterday_at_15_minutes_and_the_week_hourly(home: Home) -> None:
    r = home.client.get("/history?preset=yesterday")
    assert r.status_code == 200
    rows = _rows(r.text)
    assert len(rows) == 96 and rows[0] == ["Sat 19 Jul 2025 00:00 CEST", "0.1", "Measured"]
    assert "Every value of this period is measured." in r.text
    [line] = _plot(r.text)
    assert line["mode"] == "lines" and line["x"][0] == "2025-07-19T00:00"  # type: ignore[index]
    r = home.client.get("/history?preset=week")
    rows = _rows(r.text)
    assert len(rows) == 7 * 24 and rows[1] == ["Sun 13 Jul 2025 01:00 CEST", "0.4", "Measured"]


def test_a_custom_quarter_hour_day_with_estimated_values_and_a_gap(home: Home) -> None:
    r = home.client.get("/history?from=2025-06-27&to=2025-06-28&res=15min")
    assert r.status_code == 200
    rows = _rows(r.text)
    assert len(rows) == 192 and rows[96] == ["Sat 28 Jun 2025 00:00 CEST", "—", "No data"]
    assert "96 of 192 quarter-hours have no data" in r.text
    line = _plot(r.text)[0]
    assert line["y"][95] == pytest.approx(0.1) and line["y"][96] is None  # type: ignore[index]  # a gap, not 0
    r = home.client.get("/history?from=2025-06-03&to=2025-06-03")  # automatic: quarter-hours for a day
    assert "10 of 96 quarter-hours contain estimated values." in r.text
    names = [t["name"] for t in _plot(r.text)]
    assert names == ["Consumption", "Estimated"]


def test_months_and_years(home: Home) -> None:
    r = home.client.get("/history?preset=year")
    rows = _rows(r.text)
    assert [row[0] for row in rows] == [f"{m} 2025" for m in ("January", "February", "March", "April", "May", "June",
                                                               "July")]  # fmt: skip
    assert rows[1] == ["February 2025", "268.8", "Measured"]  # 28 × 9.6
    assert rows[5][2] == "Incomplete (some values missing)"  # 28 June has no data
    r = home.client.get("/history?preset=years")
    rows = _rows(r.text)
    assert rows == [["2025", rows[0][1], "Incomplete (some values missing)"]]
    r = home.client.get("/history?from=2025-01-01&to=2025-06-30&res=month")
    # June's day without data outranks its estimated days: the month is incomplete, not estimated
    assert "1 of 6 months are incomplete" in r.text and "contain estimated values" not in r.text


def test_gas_is_hourly_at_finest_and_heating_follows_the_degree_days(home: Home) -> None:
    r = home.client.get("/history?medium=gas&preset=yesterday")
    assert r.status_code == 200
    assert "This meter is read every hour: its values are shown hourly." in r.text
    assert len(_rows(r.text)) == 24
    # 2025-01-02 … 2025-03-29 (no DST day): 1.2 m³ a day and 0.48 m³ per degree day by construction
    r = home.client.get("/history?medium=gas&from=2025-01-02&to=2025-03-29")
    html = r.text
    assert "Heating against heating degree days, 2 Jan 2025 to 29 Mar 2025" in html
    assert "about 0.48 m³ per degree day" in html and "about 1.2 m³ a day" in html
    assert "How well the line fits (R²): 1 " in html
    assert "Weather is missing for 3 of 87 days with consumption: they are left out." in html
    traces = {t["name"]: t for t in _plot(html, "heating-chart")}
    assert {"Measured", "Estimated", "Fitted line", "Base use (hot water, cooking)"} <= set(traces)
    fitted = traces["Fitted line"]
    assert fitted["y"][0] == pytest.approx(1.2)  # type: ignore[index]
    heating_rows = _rows(html, 1)
    assert len(heating_rows) == 84  # 87 days, 3 without weather
    # day 2025-01-10: 20 − 9 = 11 °C, 7 degree days → 1.2 + 0.48 × 7 = 4.56 m³
    assert ["Fri 10 Jan 2025", "7", "4.56", "4.56", "Measured"] in heating_rows
    # a short period's heating covers the 365 days up to its end
    r = home.client.get("/history?medium=gas&preset=week")
    assert "Heating against heating degree days, 20 Jul 2024 to 19 Jul 2025" in r.text


def test_heating_says_when_the_platform_holds_no_weather(home: Home, tmp_path: Path) -> None:
    with home.store.write() as conn:
        conn.exec_driver_sql("DELETE FROM weather_day")
    r = home.client.get("/history?medium=gas&from=2025-01-02&to=2025-03-29")
    assert "The platform holds no weather for this period, so no degree days can be shown." in r.text
    assert 'id="heating-chart"' not in r.text


def test_another_homes_point_is_not_found_and_bad_input_is_a_422(home: Home) -> None:
    for other in ("P1", "P3"):
        r = home.client.get(f"/history?point={home.world.points[other]}")
        assert r.status_code == 404
    assert home.client.get("/history?point=abc").status_code == 404
    cases = {
        "?from=2025-06-01&to=2025-07-15&res=15min": "Quarter-hours can be shown for at most 31 days",
        "?from=2024-01-01&to=2025-07-01&res=hour": "Hours can be shown for at most 366 days",
        "?from=2025-06-10&to=2025-06-01": "The period ends before it starts",
        "?from=2025-06-10&to=2025-08-01": "The period ends in the future",
        "?from=10.06.2025": "Give the days as YYYY-MM-DD",
        "?from=2020-01-01&to=2020-02-01": "We keep 3 years of data",
        "?res=minute": "Choose a resolution from the list.",
        "?preset=year&res=15min": "Quarter-hours can be shown for at most 31 days",
        "?preset=decade": "Choose a period from the list.",
        "?medium=water": "This metering point does not measure that",
    }
    for query, words in cases.items():
        r = home.client.get("/history" + query)
        assert r.status_code == 422, query
        assert words in r.text and 'role="alert"' in r.text and '<form method="get" action="/history"' in r.text


def test_staff_get_no_history_page(home: Home) -> None:
    c = TestClient(home.client.app, follow_redirects=False)
    assert c.get("/history").status_code == 303  # not logged in: to the login page


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("fr", ["Historique", "3 jours sur 30 contiennent des valeurs estimées.", "9,6", "Mois dernier, par jour"]),
        ("de", ["Verlauf", "3 von 30 Tagen enthalten geschätzte Werte.", "9,6", "Letzter Monat, täglich"]),
    ],
)
def test_french_and_german(home: Home, lang: str, words: list[str]) -> None:
    r = home.client.get(f"/history?lang={lang}")
    assert r.status_code == 200
    for w in words:
        assert w in r.text, w


def test_every_read_is_in_the_access_log(home: Home) -> None:
    home.client.get("/history?medium=gas&preset=month")
    routes = [e.route for e in home.store.access_entries([home.world.points["P2"]])]
    assert routes.count("portal:history") >= 2  # the month's series and the heating's


def test_the_spring_dst_day_has_92_quarter_hours_labelled_in_local_time(home: Home) -> None:
    r = home.client.get("/history?from=2025-03-30&to=2025-03-30")
    rows = _rows(r.text)
    assert len(rows) == 92
    labels = [row[0] for row in rows]
    assert labels[7] == "Sun 30 Mar 2025 01:45 CET" and labels[8] == "Sun 30 Mar 2025 03:00 CEST"
    x = _plot(r.text)[0]["x"]
    assert x[7:9] == ["2025-03-30T01:45", "2025-03-30T03:00"]  # type: ignore[index]
    gas = _rows(home.client.get("/history?medium=gas&from=2025-03-30&to=2025-03-30").text)
    assert len(gas) == 23 and gas[2][0] == "Sun 30 Mar 2025 03:00 CEST"
