"""The downloads page on the small market of :mod:`tests.api.world` (100 Wh every quarter-hour, measured; the 10th
day estimated): hand-checked CSV rows (the spring-forward day 2025-03-30 has 92 quarter-hours, 01:45+01:00 →
03:00+02:00), the Excel variant, the Green Button feed validated against the official schema, the new occupant
(bob, from MOVE) who gets none of the former occupant's (alice's) quarter-hours and alice who gets only hers, the
access log, 404 for a point that is not yours and clear 422 pages for bad choices, the French page."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from meterhub.mdm import espi
from meterhub.portal import nav
from meterhub.portal.downloads import period_of
from tests.api.conftest import Market, make_market
from tests.api.world import MOVE, NOW, T0
from tests.mdm.test_espi import feed_schema
from tests.pg import open_store


@pytest.fixture
def market(tmp_path: Path) -> Iterator[Market]:
    with open_store("sqlite", tmp_path) as s:
        yield make_market(s)


def _client(market: Market, who: str) -> TestClient:
    c = market.fresh_client()
    market.login(who, c)
    return c


def _get(c: TestClient, market: Market, **params: Any) -> Any:
    base = {"point": market.world.points["P1"], "medium": "electricity_import", "resolution": "15min",
            "format": "csv", "period": "custom"}  # fmt: skip
    return c.get("/downloads/file", params={**base, **params})


def _rows(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter))


def test_the_page_lists_my_point_and_media(market: Market) -> None:
    c = _client(market, "bob")
    r = c.get("/downloads")
    assert r.status_code == 200
    assert "LU0000000000000000000000000000P01" in r.text and "LU0000000000000000000000000000P02" not in r.text
    assert "your data since February 20, 2025" in r.text
    assert '<a href="/downloads" aria-current="page">Downloads</a>' in r.text
    assert "/downloads" in nav.BUILT
    fr = c.get("/downloads?lang=fr")
    assert "Télécharger mes données" in fr.text and "Électricité consommée" in fr.text
    de = c.get("/downloads?lang=de")
    assert "Meine Daten herunterladen" in de.text


def test_csv_of_the_spring_forward_day(market: Market) -> None:
    c = _client(market, "bob")
    r = _get(c, market, **{"from": "2025-03-30", "to": "2025-03-30"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == (
        'attachment; filename="meterhub-LU0000000000000000000000000000P01-electricity_import-2025-03-30-2025-03-30'
        '-15min.csv"'
    )
    rows = _rows(r.text)
    assert rows[0] == [
        "# Metering point LU0000000000000000000000000000P01, Electricity used in kWh, 2025-03-30 to 2025-03-30, "
        "by quarter-hours, Europe/Luxembourg time"
    ]
    assert rows[1] == ["start", "end", "value", "unit", "quality"]
    body = rows[2:]
    assert len(body) == 92
    assert body[0] == ["2025-03-30T00:00:00+01:00", "2025-03-30T00:15:00+01:00", "0.100", "kWh", "measured"]
    assert body[7] == ["2025-03-30T01:45:00+01:00", "2025-03-30T03:00:00+02:00", "0.100", "kWh", "measured"]
    assert body[8] == ["2025-03-30T03:00:00+02:00", "2025-03-30T03:15:00+02:00", "0.100", "kWh", "measured"]
    assert body[91] == ["2025-03-30T23:45:00+02:00", "2025-03-31T00:00:00+02:00", "0.100", "kWh", "measured"]
    hours = _rows(_get(c, market, **{"from": "2025-03-30", "to": "2025-03-30", "resolution": "hour"}).text)[2:]
    assert len(hours) == 23 and hours[1][:3] == ["2025-03-30T01:00:00+01:00", "2025-03-30T03:00:00+02:00", "0.400"]
    days = _rows(_get(c, market, **{"from": "2025-03-29", "to": "2025-03-31", "resolution": "day"}).text)[2:]
    expected = [("2025-03-29", "9.600"), ("2025-03-30", "9.200"), ("2025-03-31", "9.600")]  # 96, 92, 96 × 0.1
    assert [(d[0][:10], d[2]) for d in days] == expected


def test_excel_variant_months_and_the_estimated_day(market: Market) -> None:
    c = _client(market, "alice")  # she lived at P1 from T0 until MOVE
    r = _get(c, market, **{"from": "2025-01-01", "to": "2025-03-31", "resolution": "month", "format": "excel"})
    assert r.status_code == 200
    assert r.content.startswith("\ufeff".encode())
    rows = _rows(r.content.decode("utf-8"), ";")[2:]
    # January from T0 (01:00 local: 4 quarter-hours of the local day before T0 are not hers): 31 × 9.6 − 0.4;
    # February until MOVE (2025-02-20 01:00 local): 19 days and 4 quarter-hours; the 10th of January estimated
    assert rows == [
        ["2025-01-01T00:00:00+01:00", "2025-02-01T00:00:00+01:00", "297,200", "kWh", "estimated"],
        ["2025-02-01T00:00:00+01:00", "2025-03-01T00:00:00+01:00", "182,800", "kWh", "measured"],
    ]


def _readings(content: bytes) -> list[int]:
    e = f"{{{espi.ESPI}}}"
    return [int(x.findtext(f"{e}timePeriod/{e}start") or 0) for x in ET.fromstring(content).iter(f"{e}IntervalReading")]


def test_green_button_from_the_page(market: Market) -> None:
    c = _client(market, "bob")
    r = _get(c, market, period="year", format="espi")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/atom+xml")
    feed_schema().validate(io.BytesIO(r.content))
    starts = _readings(r.content)
    assert min(starts) == int(MOVE.timestamp())  # not one of alice's quarter-hours
    assert len(starts) == len(set(starts)) == (NOW - MOVE) // timedelta(minutes=15) - 8  # the last 2 h: no data
    logged = [e for e in market.store.access_entries([market.world.points["P1"]]) if e.route == "portal:downloads"]
    assert logged and all(e.principal == "user:bob" and e.period_from >= MOVE for e in logged)


def test_the_former_occupant_gets_only_her_own(market: Market) -> None:
    c = _client(market, "alice")
    r = _get(c, market, period="year", format="espi")
    assert r.status_code == 200
    starts = _readings(r.content)
    assert min(starts) == int(T0.timestamp()) and max(starts) == int(MOVE.timestamp()) - 900
    # bob's time only: nothing of hers, a 404
    r = _get(c, market, **{"from": "2025-03-01", "to": "2025-03-31"})
    assert r.status_code == 404 and "no data at this metering point in this period" in r.text


def test_someone_elses_point_is_a_404(market: Market) -> None:
    c = _client(market, "bob")
    r = _get(c, market, point=market.world.points["P2"], period="year")
    assert r.status_code == 404
    assert "P02" not in r.text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"point": "x"}, "Choose a metering point."),
        ({"format": "pdf"}, "Choose a file format."),
        ({"period": "forever"}, "Choose a period."),
        ({"from": "2025-03-01", "to": "first of march"}, "Give the first and the last day as dates"),
        ({"from": "2025-03-31", "to": "2025-03-01"}, "The last day is before the first day."),
        ({"from": "2020-01-01", "to": "2025-03-01"}, "At most 3 years at a time"),
        ({"from": "2025-03-01", "to": "2025-03-02", "medium": "water"}, "does not measure that medium"),
        ({"from": "2025-03-01", "to": "2025-03-02", "resolution": "minute"}, "Choose a resolution."),
        ({"from": "2026-03-01", "to": "2026-03-02"}, "This period has not started yet."),
    ],
)
def test_bad_choices_are_422_pages(market: Market, params: dict[str, str], message: str) -> None:
    c = _client(market, "bob")
    r = _get(c, market, **params)
    assert r.status_code == 422, r.text[:300]
    assert message in r.text and 'role="alert"' in r.text
    assert "<form" in r.text  # the form again, to correct the choice


def test_a_422_in_french(market: Market) -> None:
    c = _client(market, "bob")
    r = _get(c, market, **{"from": "2025-03-31", "to": "2025-03-01", "lang": "fr"})
    assert r.status_code == 422 and "Le dernier jour est avant le premier." in r.text


def test_only_households(market: Market) -> None:
    c = _client(market, "s1")
    assert c.get("/downloads").status_code in (303, 404)


def test_period_presets() -> None:
    from datetime import date

    today = date(2026, 3, 15)
    assert period_of("month", today) == (date(2026, 3, 1), today)
    assert period_of("last_month", today) == (date(2026, 2, 1), date(2026, 2, 28))
    assert period_of("30d", today) == (date(2026, 2, 14), today)
    assert period_of("12m", today) == (date(2025, 3, 16), today)
    assert period_of("year", today) == (date(2026, 1, 1), today)
    assert period_of("last_year", today) == (date(2025, 1, 1), date(2025, 12, 31))
    assert period_of("3y", today) == (date(2023, 3, 17), today)
    assert period_of("custom", today, "2026-01-05", "2026-01-05") == (date(2026, 1, 5), date(2026, 1, 5))
