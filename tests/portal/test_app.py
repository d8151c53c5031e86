"""The first portal: login, the meter list, a meter's page with plotly charts, the daily JSON, and speed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from meterhub.mdm import IngestService, day_totals
from meterhub.portal import create_app, hash_password
from meterhub.portal.auth import SESSION_COOKIE, Authenticator, SessionStore
from meterhub.portal.views import A_MINUS, A_PLUS, PAGE_SIZE
from meterhub.store import Store, local_day_slots, schema
from meterhub.store.db import MeterEvent
from meterhub.store.intervals import day_start_epoch
from tests.portal.forms import login_form

PASSWORD = "correct horse battery staple"
DST_DAY = date(2026, 10, 25)  # autumn change: 100 quarter-hours
NEXT_DAY = date(2026, 10, 26)
NOTE = "2026-10-26 was read by the head-end over DLMS; 2026-10-25 is simulator history."
GAS, WATER = "l", "l"


@pytest.fixture(scope="module")
def password_hash() -> str:
    return hash_password(PASSWORD)


def day_start(day: date) -> datetime:
    return datetime.fromtimestamp(day_start_epoch(day), UTC)


def cumulative(day: date, interval_s: int, first: int, step: int) -> list[tuple[datetime, int]]:
    """Readings at every slot boundary of ``day`` (both midnights included), growing by ``step + i % 7``."""
    n = local_day_slots(day, interval_s)
    out, v = [], first
    for i in range(n + 1):
        out.append((day_start(day) + timedelta(seconds=i * interval_s), v))
        v += step + i % 7
    return out


class Fleet:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.creos = store.add_dso("creos", "Creos Luxembourg")
        self.sudstroum = store.add_dso("sudstroum", "Sudstroum")
        self.dc = store.add_concentrator(self.creos, "DC-0001", "127.0.0.1", 4059)
        self.m1 = store.add_meter(
            "LU0001", self.creos, model="E360", firmware="1.2", concentrator_id=self.dc, host="127.0.0.1", port=4059
        )
        self.m2 = store.add_meter("LU0002", self.sudstroum, model="E360", firmware="1.2", host="127.0.0.1", port=4060)
        self.m3 = store.add_meter("LU0003", self.creos, model="E360", firmware="1.2")  # no data yet
        self.gas = store.add_meter(
            "LU0001-M1", self.creos, model="G4", firmware="1", medium="gas", parent_meter_id=self.m1, mbus_channel=1
        )
        self.water = store.add_meter(
            "LU0001-M2", self.creos, model="W1", firmware="1", medium="water", parent_meter_id=self.m1, mbus_channel=2
        )
        ch = store.add_channel
        self.a1 = ch(self.m1, A_PLUS, unit="Wh", interval_s=900)
        self.e1 = ch(self.m1, A_MINUS, unit="Wh", interval_s=900)
        self.a2 = ch(self.m2, A_PLUS, unit="Wh", interval_s=900)
        self.a3 = ch(self.m3, A_PLUS, unit="Wh", interval_s=900)
        self.g1 = ch(self.gas, "0.1.24.2.1.255", unit=GAS, interval_s=3600, medium="gas")
        self.w1 = ch(self.water, "0.2.24.2.1.255", unit=WATER, interval_s=3600, medium="water")
        ingest = IngestService(store)
        # the DST day comes from the simulator's history, the next day from the head-end
        for day, source, offset in ((DST_DAY, "sim-history", 0), (NEXT_DAY, "hes", 1)):
            ingest.ingest_many(
                [
                    (self.a1, cumulative(day, 900, 1_000_000 + offset * 100_000, 60)),
                    (self.e1, cumulative(day, 900, 50_000 + offset * 10_000, 5)),
                    (self.a2, cumulative(day, 900, 2_000_000 + offset * 100_000, 110)),
                    (self.g1, cumulative(day, 3600, 7_000_000 + offset * 100_000, 90)),
                    (self.w1, cumulative(day, 3600, 300_000 + offset * 10_000, 12)),
                ],
                source,
            )
        store.add_events(
            [
                MeterEvent(self.m1, day_start(NEXT_DAY) + timedelta(hours=3), "power_quality", 76, "warning"),
                MeterEvent(self.m1, day_start(NEXT_DAY) + timedelta(hours=5), "mbus", 100, "info", channel=1),
            ]
        )
        store.log_comm_many([(self.m1, "ok", None, None), (self.m1, "ok", None, None), (self.m1, "timeout", "x", None)])


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path)
    yield s
    s.close()


@pytest.fixture
def fleet(store: Store) -> Fleet:
    return Fleet(store)


@pytest.fixture
def client(store: Store, fleet: Fleet, password_hash: str) -> TestClient:
    return TestClient(create_app(store, operator_password_hash=password_hash, demo_note=NOTE))


def login(client: TestClient, username: str = "operator", password: str = PASSWORD) -> None:
    r = client.post(
        "/login", data=login_form(client, {"username": username, "password": password}), follow_redirects=False
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/meters"


# --------------------------------------------------------------------------------------------- login


def test_login_page_is_public_and_says_meters(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert "meters" in r.text
    assert "<title>meterhub — smart meters of the demo country</title>" in r.text
    assert 'action="/login"' in r.text


def test_wrong_password_is_401_with_a_clear_message(client: TestClient) -> None:
    r = client.post(
        "/login", data=login_form(client, {"username": "operator", "password": "wrong"}), follow_redirects=False
    )
    assert r.status_code == 401
    assert "Wrong user name, password" in r.text
    assert SESSION_COOKIE not in r.headers.get("set-cookie", "")
    assert client.get("/meters", follow_redirects=False).status_code == 303


def test_wrong_username_is_401(client: TestClient) -> None:
    r = client.post(
        "/login", data=login_form(client, {"username": "admin", "password": PASSWORD}), follow_redirects=False
    )
    assert r.status_code == 401


def test_session_cookie_is_httponly_and_samesite_lax(client: TestClient) -> None:
    r = client.post(
        "/login", data=login_form(client, {"username": "operator", "password": PASSWORD}), follow_redirects=False
    )
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert PASSWORD not in cookie


@pytest.mark.parametrize("path", ["/meters", "/meters/LU0001", "/meters/nope", "/meters?dso=creos&page=2"])
def test_pages_redirect_to_login_without_a_session(client: TestClient, path: str) -> None:
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/"


def test_api_without_a_session_is_401(client: TestClient) -> None:
    r = client.get("/api/meters/LU0001/daily")
    assert r.status_code == 401
    assert r.json() == {"detail": "login required"}


def test_forged_cookie_is_refused(client: TestClient) -> None:
    client.cookies.set(SESSION_COOKIE, "forged-token")
    assert client.get("/meters", follow_redirects=False).status_code == 303


def test_logged_in_root_redirects_to_meters_and_logout_ends_the_session(client: TestClient) -> None:
    login(client)
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/meters"
    r = client.post("/logout", follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/meters", follow_redirects=False).status_code == 303
    assert client.get("/").status_code == 200


def test_no_secrets_in_logs(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    client.post("/login", data=login_form(client, {"username": "operator", "password": "wrong-secret-pw"}))
    login(client)
    token = client.cookies[SESSION_COOKIE]
    assert "wrong-secret-pw" not in caplog.text
    assert PASSWORD not in caplog.text
    assert token not in caplog.text


def test_create_app_wants_an_argon2id_hash(store: Store) -> None:
    with pytest.raises(ValueError, match="argon2id"):
        create_app(store, operator_password_hash="plaintext")


def test_authenticator_and_session_expiry(password_hash: str) -> None:
    auth = Authenticator(password_hash)
    assert auth.verify("operator", PASSWORD)
    assert not auth.verify("operator", PASSWORD + "x")
    assert not auth.verify("Operator", PASSWORD)
    sessions = SessionStore(ttl_s=0.0)
    token = sessions.create("operator")
    assert sessions.user(token) is None
    bounded = SessionStore(max_sessions=2)
    first = bounded.create("operator")
    bounded.create("operator")
    third = bounded.create("operator")
    assert len(bounded) == 2
    assert bounded.user(first) is None
    assert bounded.user(third) == "operator"


# --------------------------------------------------------------------------------------------- meters


def test_meters_lists_the_electricity_meters(client: TestClient) -> None:
    login(client)
    r = client.get("/meters")
    assert r.status_code == 200
    for serial in ("LU0001", "LU0002", "LU0003"):
        assert f'href="/meters/{serial}"' in r.text
    assert 'href="/meters/LU0001-M1"' not in r.text  # sub-meters appear on their electricity meter's row
    assert "gas (M1), water (M2)" in r.text
    assert "DC-0001" in r.text and "direct TCP" in r.text
    assert "Creos Luxembourg" in r.text and "Sudstroum" in r.text
    assert "<strong>3</strong> electricity meters" in r.text
    assert "1 gas, 1 water" in r.text
    assert "<strong>2</strong> DSOs" in r.text
    assert NOTE in r.text
    assert "head-end (DLMS)" in r.text  # the source of the latest block


def test_meters_shows_the_last_two_days_a_plus_kwh(client: TestClient, store: Store, fleet: Fleet) -> None:
    login(client)
    r = client.get("/meters")
    totals = day_totals(store, fleet.a1, DST_DAY, NEXT_DAY)
    kwh = sum(total for total, _ in totals.values()) / 1000
    assert f"{kwh:.3f}" in r.text
    assert f"{DST_DAY} – {NEXT_DAY}" in r.text


def test_meters_filter_by_dso(client: TestClient) -> None:
    login(client)
    r = client.get("/meters", params={"dso": "sudstroum"})
    assert r.status_code == 200
    assert 'href="/meters/LU0002"' in r.text
    assert 'href="/meters/LU0001"' not in r.text
    assert "Meters 1–1 of 1" in r.text
    r = client.get("/meters", params={"dso": "nobody"})
    assert r.status_code == 200
    assert "There is no DSO" in r.text
    assert 'href="/meters/LU0002"' not in r.text


def test_meter_page_has_plotly_charts(client: TestClient) -> None:
    login(client)
    r = client.get("/meters/LU0001")
    assert r.status_code == 200
    assert r.text.count('class="plotly-graph-div"') == 4  # daily energy, 1/4 h, gas, water
    assert '<script src="/static/plotly.min.js"></script>' in r.text
    for name in (  # legend names: the channel's name and code (meterhub.cosem.names), then the source
        "Import A+ (1.0.1.8.0) · head-end (DLMS)",
        "Import A+ (1.0.1.8.0) · simulator history",
        "Export A− (1.0.2.8.0) · head-end (DLMS)",
    ):
        # as plotly's JSON writes them: escaped by the json module, as is by orjson (plotly's engine when installed)
        assert json.dumps(name) in r.text or json.dumps(name, ensure_ascii=False) in r.text
    assert "m³" in r.text
    # events by their catalogue names (meterhub.cosem.events) with the code, and their log's name
    assert "Voltage sag L1 (76)" in r.text and "Communication error, M-Bus channel 1 (100)" in r.text
    assert "Power quality" in r.text and "M-Bus" in r.text
    assert "timeout" in r.text  # comm log counts
    assert NOTE in r.text


def test_sub_meter_page(client: TestClient) -> None:
    login(client)
    r = client.get("/meters/LU0001-M1")
    assert r.status_code == 200
    assert r.text.count('class="plotly-graph-div"') == 1
    assert 'href="/meters/LU0001"' in r.text


def test_meter_without_data(client: TestClient) -> None:
    login(client)
    r = client.get("/meters/LU0003")
    assert r.status_code == 200
    assert "No interval data" in r.text


def test_unknown_serial_is_404(client: TestClient) -> None:
    login(client)
    r = client.get("/meters/NOPE")
    assert r.status_code == 404
    assert "NOPE" in r.text
    r = client.get("/api/meters/NOPE/daily")
    assert r.status_code == 404
    assert client.get("/no-such-page").status_code == 404


def test_static_files_are_served_locally(client: TestClient) -> None:
    r = client.get("/static/plotly.min.js")
    assert r.status_code == 200
    assert "javascript" in r.headers["content-type"]
    assert len(r.content) > 1_000_000
    assert client.get("/static/portal.css").status_code == 200


# --------------------------------------------------------------------------------------------- JSON


def test_daily_json_equals_the_ingested_sums(client: TestClient, store: Store, fleet: Fleet) -> None:
    login(client)
    r = client.get("/api/meters/LU0001/daily")
    assert r.status_code == 200
    rows = r.json()
    assert {(row["day"], row["channel"]) for row in rows} == {
        (d.isoformat(), c) for d in (DST_DAY, NEXT_DAY) for c in ("A+", "A-")
    }
    for channel_id, name in ((fleet.a1, "A+"), (fleet.e1, "A-")):
        totals = day_totals(store, channel_id, DST_DAY, NEXT_DAY)
        assert totals[DST_DAY][1] == 100  # the DST day's 100 quarter-hours are all there
        for day, (total, _) in totals.items():
            (row,) = [x for x in rows if x["day"] == day.isoformat() and x["channel"] == name]
            assert row["kwh"] == pytest.approx(total / 1000, abs=1e-9)
            assert row["source"] == ("sim-history" if day == DST_DAY else "hes")
    # and against the readings themselves: the cumulative register's rise over the day
    readings = cumulative(DST_DAY, 900, 1_000_000, 60)
    (dst_a_plus,) = [x for x in rows if x["day"] == DST_DAY.isoformat() and x["channel"] == "A+"]
    assert dst_a_plus["kwh"] == pytest.approx((readings[-1][1] - readings[0][1]) / 1000)


# --------------------------------------------------------------------------------------------- speed


def test_meters_page_with_2000_meters_shows_one_page(store: Store, password_hash: str) -> None:
    dso = store.add_dso("big", "Big DSO")
    n = 2000
    with store.write() as conn:
        conn.execute(
            schema.meter.insert(),
            [
                {"serial": f"B{i:06d}", "dso_id": dso, "model": "E360", "firmware": "1", "medium": "electricity"}
                for i in range(n)
            ],
        )
        ids = list(conn.execute(sa.select(schema.meter.c.id).order_by(schema.meter.c.id)).scalars())
        conn.execute(
            schema.meter.insert(),
            [
                {
                    "serial": f"B{i:06d}-M1",
                    "dso_id": dso,
                    "model": "G4",
                    "firmware": "1",
                    "medium": "gas",
                    "parent_meter_id": mid,
                    "mbus_channel": 1,
                }
                for i, mid in enumerate(ids[::2])
            ],
        )
    store.add_channels(
        [
            {"meter_id": mid, "obis": A_PLUS, "medium": "electricity", "unit": "Wh", "scaler": 0, "interval_s": 900}
            for mid in ids
        ]
    )
    channels = store.list_channels(ids)
    IngestService(store).ingest_many(
        [(ch.id, cumulative(d, 900, 1000 * ch.id, 50)) for ch in channels for d in (DST_DAY, NEXT_DAY)], "hes"
    )
    client = TestClient(create_app(store, operator_password_hash=password_hash))
    login(client)
    client.get("/meters")  # warm-up (templates compiled, horizon cached)
    for page in (1, n // PAGE_SIZE):  # how long a page takes is `meterhub bench portal`'s (benchmarks/portal.py)
        r = client.get("/meters", params={"page": page})
        assert r.status_code == 200
        assert r.text.count('href="/meters/B') == PAGE_SIZE
    r = client.get("/meters", params={"page": n // PAGE_SIZE})
    assert f"B{n - 1:06d}" in r.text
    assert f"page {n // PAGE_SIZE} of {n // PAGE_SIZE}" in r.text
    assert client.get("/meters", params={"page": 999}).status_code == 200  # clamped to the last page
