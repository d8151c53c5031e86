"""The meter list's window is the last two COMPLETE local days: today (still being read) never makes every
meter "partial"; a store whose data ends earlier keeps its own last two days; the event listing's names."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from meterhub.country import LOCAL_TZ
from meterhub.mdm import IngestService
from meterhub.portal import create_app, hash_password
from meterhub.portal.views import A_PLUS, complete_days, days_label, event_rows, log_name
from meterhub.store import Store, local_day_slots
from meterhub.store.db import MeterEvent
from tests.portal.test_app import PASSWORD, day_start, login


def test_complete_days() -> None:
    today = date(2026, 12, 1)
    assert complete_days(today, today) == (date(2026, 11, 29), date(2026, 11, 30))
    assert complete_days(date(2026, 10, 26), today) == (date(2026, 10, 25), date(2026, 10, 26))
    assert complete_days(None, today) is None
    assert days_label((date(2026, 11, 29), date(2026, 11, 30))) == "2026-11-29 – 2026-11-30"


def test_event_rows_name_the_codes() -> None:
    at = datetime(2026, 11, 30, 17, 37, tzinfo=UTC)
    [row] = event_rows([MeterEvent(1, at, "power_quality", 78, "low")])
    assert row.info.label == "Voltage sag L3 (78)" and row.log_name == "Power quality"
    assert row.at == "2026-11-30 18:37:00 CET"
    assert log_name("mbus") == "M-Bus" and log_name("standard") == "Standard" and log_name("odd") == "odd"


def test_meter_list_is_not_partial_because_of_today(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    try:
        dso = store.add_dso("creos", "Creos Luxembourg")
        meter = store.add_meter("LU0009", dso, model="E360", firmware="1")
        channel = store.add_channel(meter, A_PLUS, unit="Wh", interval_s=900)
        today = datetime.now(LOCAL_TZ).date()
        days = [today - timedelta(days=2), today - timedelta(days=1)]
        now = datetime.now(UTC)
        start = day_start(days[0])
        slots = int((now - start).total_seconds() // 900)  # both days whole, today up to now: partial
        readings = [(start + timedelta(seconds=900 * i), 1_000_000 + 50 * i) for i in range(slots + 1)]
        IngestService(store).ingest_many([(channel, readings)], "hes")
        client = TestClient(create_app(store, operator_password_hash=hash_password(PASSWORD)))
        login(client)
        page = client.get("/meters").text
        assert f"{days[0]} – {days[1]}" in page
        assert ">partial<" not in page
        kwh = sum(local_day_slots(d, 900) for d in days) * 50 / 1000  # 50 Wh a quarter hour, both days whole
        assert f"{kwh:.3f}" in page
    finally:
        store.close()
