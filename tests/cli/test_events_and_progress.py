"""``meterhub events list`` names the stored events from the event-code catalogue; ``export csv`` and ``vee
run`` show a rich progress bar on a terminal's stderr and none under ``--json`` (stdout stays clean JSON) —
the export file is the same either way."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from rich.console import Console

from meterhub.store.db import MeterEvent
from tests.cli.conftest import Country


def test_events_list_names_the_codes(country: Country) -> None:
    store = country.store()
    try:
        e0 = store.meter_by_serial("E0")
        e6 = store.meter_by_serial("E6")
        assert e0 is not None and e6 is not None
        store.add_events(
            [
                MeterEvent(e0.id, datetime(2026, 6, 10, 8, tzinfo=UTC), "power_quality", 78, "low"),
                MeterEvent(e0.id, datetime(2026, 6, 11, 8, tzinfo=UTC), "fraud", 40, "high"),
                MeterEvent(e6.id, datetime(2026, 6, 12, 8, tzinfo=UTC), "standard", 199, "info"),
            ]
        )
    finally:
        store.close()
    res = country.invoke("events", "list", "--meter", "E0")
    assert res.exit_code == 0, res.stdout
    assert "Voltage sag L3 (78)" in res.stdout and "Terminal cover removed (40)" in res.stdout
    assert res.stdout.index("Terminal cover") < res.stdout.index("Voltage sag")  # newest first
    assert "Power quality" in res.stdout and "Fraud detection" in res.stdout and "2026-06-10 10:00" in res.stdout
    res = country.invoke("events", "list", "--json")
    lines = [json.loads(line) for line in res.stdout.splitlines()]
    assert [(r["meter"], r["code"], r["name"]) for r in lines] == [
        ("E6", 199, "Unknown event of the standard log"),
        ("E0", 40, "Terminal cover removed"),
        ("E0", 78, "Voltage sag L3"),
    ]
    res = country.invoke("events", "list", "--meter", "NOPE")
    assert res.exit_code == 1 and "unknown meter NOPE" in res.stderr


def test_export_and_vee_progress_on_a_terminal_only(country: Country, monkeypatch: pytest.MonkeyPatch) -> None:
    import meterhub.cli.common as common
    import meterhub.cli.mdm as mdm

    terminal = io.StringIO()
    fake = Console(file=terminal, force_terminal=True, width=120)
    monkeypatch.setattr(mdm, "err_console", fake)
    monkeypatch.setattr(common, "err_console", fake)
    with_bar, quiet = country.data_dir / "a.csv", country.data_dir / "b.csv"
    res = country.invoke("export", "csv", "--out", str(with_bar))
    assert res.exit_code == 0, res.stdout
    assert "export csv" in terminal.getvalue() and "channels" in terminal.getvalue() and "rows" in terminal.getvalue()
    shown = len(terminal.getvalue())
    res = country.invoke("export", "csv", "--out", str(quiet), "--json")
    assert res.exit_code == 0 and json.loads(res.stdout)["ok"] is True
    assert len(terminal.getvalue()) == shown  # nothing drawn under --json
    assert with_bar.read_bytes() == quiet.read_bytes()

    res = country.invoke("vee", "run", "--days", "1", "--chunk", "2")
    assert res.exit_code == 0, res.stdout
    assert "VEE (channels)" in terminal.getvalue()
    shown = len(terminal.getvalue())
    res = country.invoke("vee", "run", "--days", "1", "--json")
    assert res.exit_code == 0 and "channels" in json.loads(res.stdout)
    assert len(terminal.getvalue()) == shown
