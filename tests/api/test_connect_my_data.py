"""Connect My Data over the API, on the small market of :mod:`tests.api.world`: the Green Button feed of
``GET /metering-points/{id}/espi`` validates against the official schema and holds exactly the caller's windows
(bob, who moved into P1 at MOVE, gets none of alice's quarter-hours); an ESP without a consent gets the 404 of an
unknown point, with the customer's consent the feed (logged in the access log under that consent), and after the
revocation a 404 again; ``series.csv`` gives the same slots as CSV; bad parameters are clear 422s."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from meterhub.api.users import add_client
from meterhub.mdm import espi
from meterhub.store.intervals import LOCAL_TZ
from tests.api.conftest import Market
from tests.api.world import MOVE, NOW, T0
from tests.mdm.test_espi import feed_schema

NS = {"a": espi.ATOM, "e": espi.ESPI}
DATA_END = datetime(2025, 7, 20, tzinfo=LOCAL_TZ)  # the world's 200 local days of data end here, 2 h before NOW


def _readings(content: bytes) -> list[tuple[int, int, int]]:
    root = ET.fromstring(content)
    return [
        (
            int(r.findtext("e:timePeriod/e:start", namespaces=NS) or 0),
            int(r.findtext("e:timePeriod/e:duration", namespaces=NS) or 0),
            int(r.findtext("e:value", namespaces=NS) or 0),
        )
        for r in root.iter(f"{{{espi.ESPI}}}IntervalReading")
    ]


def _period(a: datetime = T0, b: datetime = NOW) -> dict[str, str]:
    return {"from": a.isoformat(), "to": b.isoformat()}


def test_the_new_occupant_gets_only_his_own_feed(market: Market) -> None:
    c = market.fresh_client()
    market.login("bob", c)
    p1 = market.world.points["P1"]
    r = c.get(f"/api/v1/metering-points/{p1}/espi", params=_period())
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/atom+xml")
    assert "attachment" in r.headers["content-disposition"]
    feed_schema().validate(io.BytesIO(r.content))
    readings = _readings(r.content)
    assert len(readings) == (DATA_END - MOVE) // timedelta(minutes=15)  # every quarter-hour of his, no alice's
    assert min(t for t, _, _ in readings) == int(MOVE.timestamp())
    assert max(t + d for t, d, _ in readings) == int(DATA_END.timestamp())
    assert {v for _, _, v in readings} == {100}
    # before he moved in: nothing of his, a 404 like an unknown point
    r = c.get(f"/api/v1/metering-points/{p1}/espi", params=_period(T0, MOVE))
    assert r.status_code == 404 and r.json()["detail"] == "No such metering point."
    # alice (moved out) gets hers, and only hers
    a = market.fresh_client()
    market.login("alice", a)
    r = a.get(f"/api/v1/metering-points/{p1}/espi", params=_period())
    assert r.status_code == 200
    assert max(t + d for t, d, _ in _readings(r.content)) == int(MOVE.timestamp())


def test_series_csv_is_cut_to_the_windows(market: Market) -> None:
    c = market.fresh_client()
    market.login("bob", c)
    p1 = market.world.points["P1"]
    r = c.get(f"/api/v1/metering-points/{p1}/series.csv", params=_period())
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][0].startswith("# metering point LU0000000000000000000000000000P01")
    assert rows[1] == ["start", "end", "value", "unit", "quality"]
    assert len(rows) - 2 == (NOW - MOVE) // timedelta(minutes=15)  # the last 2 h without data: missing
    assert rows[-1] == ["2025-07-20T01:45:00+02:00", "2025-07-20T02:00:00+02:00", "", "kWh", "missing"]
    assert rows[2] == ["2025-02-20T01:00:00+01:00", "2025-02-20T01:15:00+01:00", "0.100", "kWh", "measured"]
    r = c.get(f"/api/v1/metering-points/{p1}/series.csv", params={**_period(), "resolution": "day", "style": "excel"})
    days = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))[2:]
    assert days[1] == ["2025-02-21T00:00:00+01:00", "2025-02-22T00:00:00+01:00", "9,600", "kWh", "measured"]


def _esp_client(market: Market) -> TestClient:
    cid, secret = add_client(market.store, market.world.parties["esp"], "cmd", {"interval_data"}, T0)
    c = market.fresh_client()
    tok = c.post(
        "/api/v1/oauth/token", data={"grant_type": "client_credentials", "client_id": cid, "client_secret": secret}
    )
    assert tok.status_code == 200, tok.text
    c.headers["Authorization"] = f"Bearer {tok.json()['access_token']}"
    return c


def test_an_esp_needs_the_customers_consent(market: Market) -> None:
    p2 = market.world.points["P2"]
    asked = market.world.consents["carol_esp_asked"]
    c = _esp_client(market)
    url = f"/api/v1/metering-points/{p2}/espi"
    r = c.get(url, params=_period())
    assert r.status_code == 404 and r.json()["detail"] == "No such metering point."  # asked, not answered
    market.store.set_consent_status(asked, "active", market.clock())
    r = c.get(url, params=_period())
    assert r.status_code == 200, r.text
    feed_schema().validate(io.BytesIO(r.content))
    assert len(_readings(r.content)) == (DATA_END - T0) // timedelta(minutes=15)
    logged = [e for e in market.store.access_entries([p2]) if e.route.endswith("/espi")]
    assert [(e.role, e.right, e.scope) for e in logged] == [("esp", f"consent:{asked}", "interval_data")]
    market.store.set_consent_status(asked, "revoked", market.clock())
    r = c.get(url, params=_period())
    assert r.status_code == 404 and r.json()["detail"] == "No such metering point."
    assert c.get(f"/api/v1/metering-points/{p2}/series.csv", params=_period()).status_code == 404


def test_bad_parameters_are_clear_422s(market: Market) -> None:
    c = market.fresh_client()
    market.login("bob", c)
    p1 = market.world.points["P1"]
    url = f"/api/v1/metering-points/{p1}/espi"
    r = c.get(url, params={"from": "2025-03-01T00:00:00", "to": NOW.isoformat()})
    assert r.status_code == 422 and "offset" in r.json()["detail"]
    r = c.get(url, params=_period(NOW, MOVE))
    assert r.status_code == 422 and r.json()["detail"] == "'from' must be before 'to'."
    r = c.get(url, params=_period(NOW - timedelta(days=4 * 366), NOW))
    assert r.status_code == 422 and "At most" in r.json()["detail"]
    assert r.headers["content-type"].startswith("application/problem+json")
    r = c.get(f"/api/v1/metering-points/{p1}/series.csv", params={**_period(), "style": "semicolons"})
    assert r.status_code == 422
    r = c.get(f"/api/v1/metering-points/{p1}/series.csv", params={**_period(), "channel": "not-obis"})
    assert r.status_code == 422
    r = c.get(f"/api/v1/metering-points/{p1}/series.csv", params={**_period(), "channel": "1-0:2.8.0"})
    assert r.status_code == 404 and "channel" in r.json()["detail"]


def test_the_feed_is_streamed_a_month_at_a_time() -> None:
    from meterhub.mdm.downloads import grid_series
    from meterhub.mdm.quality import Quality
    from meterhub.mdm.series import slot_starts

    day_from, day_to = datetime(2025, 1, 1, tzinfo=UTC).date(), datetime(2025, 12, 31, tzinfo=UTC).date()
    e = slot_starts(day_from, day_to, 900)
    s = grid_series(day_from, day_to, e, e * 0 + 100.0, e * 0 + int(Quality.VALIDATED), 900, "Wh")
    up = espi.UsagePointData(1, "LU1", "electricity", (espi.Channel("1.0.1.8.0.255", "electricity", s),))
    counter = [0]
    chunks = list(espi.feed_chunks([up], now=NOW, base_url="https://x.lu", counter=counter))
    assert counter[0] == e.size
    assert len(chunks) >= 365 // espi.BLOCKS_PER_FLUSH
    assert max(len(c) for c in chunks) < sum(len(c) for c in chunks) / 8
    feed_schema().validate(io.BytesIO(b"".join(chunks)))


def test_the_feed_on_postgresql(pg_market: Market) -> None:
    c = pg_market.fresh_client()
    pg_market.login("bob", c)
    r = c.get(f"/api/v1/metering-points/{pg_market.world.points['P1']}/espi", params=_period())
    assert r.status_code == 200, r.text
    feed_schema().validate(io.BytesIO(r.content))
    assert min(t for t, _, _ in _readings(r.content)) == int(MOVE.timestamp())
