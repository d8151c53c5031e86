"""Alarm pushes over real TCP: simulated meters push ciphered data-notifications, the listener stores them.

Replays, wrong keys, unknown meters and garbage are refused and counted; nothing stops the listener.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from meterhub.dlms import apdu as A
from meterhub.dlms.axdr import DoubleLongUnsigned
from meterhub.dlms.security import CipherKeys, encrypt
from meterhub.dlms.wrapper import encode_wrapper
from meterhub.hes.push import PushListener, PushSource
from meterhub.sim.consumption import ALARM_BITS
from meterhub.sim.meter import SimulatedMeter, derive_keys
from meterhub.sim.push import PUSH_CLIENT_WPORT, AlarmPusher, notification_apdu
from meterhub.store.db import Store

SECRET = b"push-test-secret"


def _meters(n: int, now: dt.datetime) -> list[SimulatedMeter]:
    out = []
    for i in range(n):
        serial = f"09{i:08d}"
        out.append(SimulatedMeter(serial, 9000 + i, CipherKeys(*derive_keys(SECRET, serial)), lambda: now))
    return out


def _store_with(tmp_path: Path, meters: list[SimulatedMeter]) -> tuple[Store, dict[bytes, PushSource]]:
    store = Store.open(tmp_path)
    dso = store.add_dso("CREOS", "Creos Luxembourg")
    sources = {}
    for m in meters:
        meter_id = store.add_meter(
            m.serial, dso, model="LUX-SIM E3", firmware="1.0", medium="electricity", system_title=m.system_title
        )
        sources[m.system_title] = PushSource(meter_id, m.serial, m.keys)
    return store, sources


async def _send(port: int, *apdus: bytes) -> None:
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    for apdu in apdus:
        writer.write(encode_wrapper(1, PUSH_CLIENT_WPORT, apdu))
    await writer.drain()
    writer.close()


def test_alarms_pushed_by_the_fleet_are_stored(tmp_path: Path) -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    clock = [start]
    meters = _meters(40, start)
    for m in meters:
        m.now = lambda: clock[0]
    store, sources = _store_with(tmp_path, meters)
    # the alarms the event model raises over the next 30 days, meter by meter
    expected = 0
    for m in meters:
        events = m.events.events(start, start + dt.timedelta(days=30))
        expected += len({(e.time_utc, ALARM_BITS[e.code]) for e in events if e.code in ALARM_BITS})
    assert expected > 0

    async def run() -> PushListener:
        listener = PushListener(store, sources.get)
        port = await listener.start()
        pusher = AlarmPusher(meters, "127.0.0.1", port, lambda: clock[0])
        task = asyncio.create_task(pusher.run())
        for _ in range(30):  # one simulated day per tick
            clock[0] += dt.timedelta(days=1)
            await asyncio.sleep(0.05)
        for _ in range(100):
            if listener.stats.notifications >= pusher.sent and pusher.sent > 0:
                break
            await asyncio.sleep(0.05)
        task.cancel()
        await listener.close()
        assert pusher.failed == 0
        return listener

    listener = asyncio.run(run())
    assert listener.stats.notifications > 0
    assert not listener.stats.refused
    alarms = [e for e in store.list_events(limit=100_000) if e.log == "alarm"]
    assert len(alarms) == listener.stats.events > 0
    assert {e.code for e in alarms} <= set(ALARM_BITS.values())


def test_replay_wrong_key_unknown_meter_and_garbage_are_refused(tmp_path: Path) -> None:
    now = dt.datetime(2026, 11, 24, 10, tzinfo=dt.UTC)
    meters = _meters(2, now)
    store, sources = _store_with(tmp_path, meters[:1])  # meters[1] is not in the inventory
    good = notification_apdu(meters[0], 1 << 13, now)
    stranger = notification_apdu(meters[1], 1 << 2, now)
    impostor = SimulatedMeter(meters[0].serial, 1, CipherKeys(bytes(16), bytes(16)), lambda: now)
    impostor.counter.value = 1000
    forged = notification_apdu(impostor, 1 << 13, now)

    async def run() -> PushListener:
        listener = PushListener(store, sources.get)
        port = await listener.start()
        await _send(port, good)
        for _ in range(100):  # the first push is stored before its replay arrives
            if listener.stats.notifications:
                break
            await asyncio.sleep(0.02)
        await _send(port, good)  # replay
        await _send(port, stranger)
        await _send(port, forged)
        await _send(port, b"\xdb\x08garbage")
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"\x00\x02\x00\x01\x00\x66\x00\x03abc")  # wrong wrapper version
        await writer.drain()
        writer.close()
        for _ in range(200):
            if sum(listener.stats.refused.values()) >= 5:
                break
            await asyncio.sleep(0.02)
        await listener.close()
        return listener

    listener = asyncio.run(run())
    assert listener.stats.notifications == 1
    assert listener.stats.refused == {
        "replay": 1,
        "unknown meter": 1,
        "authentication": 1,
        "malformed": 1,
        "bad frame": 1,
    }
    (event,) = store.list_events()
    assert (event.log, event.code, event.severity) == ("alarm", 13, "high")
    # the counter survives a restart of the listener: the old APDU is still a replay
    assert PushListener(store, sources.get).handle(good) == 0


def _notification(meter: SimulatedMeter, alarm: int, date_time: bytes | None) -> bytes:
    """A pushed data-notification like the simulator's, with any (or no) date-time."""
    counter = meter.counter.take()
    body = (("LUX" + meter.serial).encode()[:16], DoubleLongUnsigned(alarm))
    plain = A.DataNotification(counter, body, date_time).encode()
    return A.GeneralGloCiphering(meter.system_title, encrypt(meter.keys, meter.system_title, counter, plain)).encode()


def test_an_alarm_without_a_readable_meter_clock_is_stored_at_the_injected_arrival_time(tmp_path: Path) -> None:
    meter_time = dt.datetime(2026, 11, 24, 10, tzinfo=dt.UTC)
    arrival = dt.datetime(2026, 11, 24, 10, 0, 7, tzinfo=dt.UTC)
    (meter,) = _meters(1, meter_time)
    store, sources = _store_with(tmp_path, [meter])
    listener = PushListener(store, sources.get, now=lambda: arrival)
    assert listener.handle(_notification(meter, 1 << 2, None)) == 1  # no date-time: the arrival time
    assert listener.handle(_notification(meter, 1 << 13, b"\xff" * 12)) == 1  # an unreadable one: likewise
    assert listener.handle(notification_apdu(meter, 1 << 16, meter_time)) == 1  # the meter's clock when it has one
    assert sorted((e.code, e.occurred_at) for e in store.list_events()) == [
        (2, arrival),
        (13, arrival),
        (16, meter_time),
    ]
    # the counters go through the shared anti-replay guard
    assert listener.guard.last(meter.system_title) == meter.counter.value - 1
