"""The MQTT broker for the tests: the real Mosquitto named by ``MH_MQTT_URL`` (e.g. ``mqtt://127.0.0.1:1883``).

Without ``MH_MQTT_URL`` the MQTT tests are skipped locally but FAIL under CI (``CI`` set), like the PostgreSQL
tests (tests/pg.py): CI must test the real broker. Each test uses its own topic prefix, so runs never meet.
"""

from __future__ import annotations

import os
import secrets

import pytest


def mqtt_url() -> str:
    """``MH_MQTT_URL``, or skip (locally) / fail (CI) the calling test."""
    url = os.environ.get("MH_MQTT_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("MH_MQTT_URL is not set: CI must run the MQTT tests against a real broker")
        pytest.skip("MH_MQTT_URL not set (MQTT tests run where it is, and always in CI)")
    return url


def fresh_prefix() -> str:
    return f"meterhub-test/{secrets.token_hex(6)}"
