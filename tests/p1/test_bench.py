"""``meterhub bench p1 --json`` runs end to end (a few frames) against the real Mosquitto."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.mqtt import mqtt_url


def test_bench_p1_prints_latency_json() -> None:
    mqtt_url()
    out = subprocess.run(
        [sys.executable, "-m", "meterhub.cli.main", "bench", "p1", "--json", "--rounds", "15"],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout  # fmt: skip
    figures = json.loads(out)
    assert figures["received_browser"] == 15 and figures["received_mqtt"] == 15
    assert 0 < figures["p99_ms_to_browser"] < 1000 and 0 < figures["p99_ms_to_mqtt"] < 1000
