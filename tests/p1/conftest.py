"""Shared P1 test material: a key, a meter, telegrams and frames built with the encoder."""

from __future__ import annotations

import datetime as dt

import pytest

from meterhub.p1.frame import encrypt_frame
from meterhub.p1.telegram import MBusReading, PowerFailure, Telegram, encode_telegram

KEY = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
OTHER_KEY = bytes.fromhex("F0E0D0C0B0A090807060504030201000")
TITLE = b"LUX" + bytes.fromhex("0000BC614E")
T0 = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


def telegram(i: int = 0) -> Telegram:
    """A full telegram, the i-th of a sequence (values move with i)."""
    return Telegram(
        header="MHS5\\2TEST-P1",
        timestamp=T0 + dt.timedelta(seconds=10 * i),
        version="50",
        equipment_id="LU0001",
        energy_import_wh=12_345_678 + i,
        energy_export_wh=1_000 + i // 2,
        reactive_import_varh=2_000_000,
        reactive_export_varh=300_000,
        tariff=1 + i % 2,
        power_import_w=450 + i,
        power_export_w=0,
        power_import_phase_w=(200, 150, 100 + i),
        power_export_phase_w=(0, 0, 0),
        voltage_v=(231.2, 229.8, 230.5),
        current_a=(1.0, 1.0, 0.0),
        power_failures=4,
        long_power_failures=1,
        power_failure_log=(PowerFailure(dt.datetime(2026, 7, 1, 12, 0, 5, tzinfo=dt.UTC), 240),),
        voltage_sags=(2, 1, 0),
        voltage_swells=(0, 3, 0),
        breaker_state=1,
        text_message="",
        mbus=(
            MBusReading(1, 3, "MB1GLU0001", dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC), 5_206_113, "l"),
            MBusReading(2, 7, "MB2WLU0001", dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC), 812_004, "l"),
        ),
    )


def frame(i: int = 0, key: bytes = KEY, counter: int | None = None) -> bytes:
    return encrypt_frame(key, TITLE, 1000 + i if counter is None else counter, encode_telegram(telegram(i)))


@pytest.fixture
def frames() -> list[bytes]:
    return [frame(i) for i in range(5)]
