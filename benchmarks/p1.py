"""P1 latency benchmark: from a frame's arrival at the home reader to the live page's event and to MQTT.

Set-up, all on loopback: the benchmark plays the serial-to-network bridge (a TCP server) and sends the frames of
a simulated meter (:class:`meterhub.sim.p1.P1Simulator`); the reader runs as it would at home, in its own
process — ``meterhub p1 read --source tcp://… --http-port 0 --mqtt …`` — connected to that bridge; two clients
in the benchmark's process take the other ends: an httpx streaming client on the live page's server-sent event
stream (``/events``; the Playwright test covers a real browser, this measures the server side of the path) and an
aiomqtt subscriber on the real Mosquitto (``MH_MQTT_URL``, default ``mqtt://127.0.0.1:1883``), on the reading's
JSON topic. A frame's latency is from the moment its last byte was written to the reader's socket to the moment
each client has parsed the message carrying its frame counter (one monotonic clock, one process).

Frames go every ``interval_s`` (0.05 s, 200× the meter's rate, so that a run is short) after one warm-up frame.
Goal: p99 < 1 000 ms on both paths (the national promise is 2–12 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import secrets
import statistics
import sys
import time
from typing import Any

GOAL_MS = 1000.0
KEY = bytes.fromhex("000102030405060708090A0B0C0D0E0F")


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))], 2)


async def _bench(frames: int, interval_s: float, mqtt_url: str) -> dict[str, Any]:
    import aiomqtt
    import httpx

    from meterhub.p1.mqtt import MqttSettings
    from meterhub.sim.p1 import P1Simulator

    sim = P1Simulator("LU0001", KEY, seed=1)
    start = dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC)
    wire = [(n, f) for n, (_, f) in enumerate(sim.frames(start, frames + 1))]
    first_counter = int.from_bytes(wire[0][1][14:18], "big")

    writers: list[asyncio.StreamWriter] = []
    connected = asyncio.Event()

    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        connected.set()
        with contextlib.suppress(ConnectionError, OSError):
            await reader.read()

    bridge = await asyncio.start_server(on_client, "127.0.0.1", 0)
    port = bridge.sockets[0].getsockname()[1]
    prefix = f"meterhub-bench/{secrets.token_hex(4)}"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "meterhub.cli.main", "p1", "read", "--source", f"tcp://127.0.0.1:{port}",
        "--http-port", "0", "--mqtt", mqtt_url, "--topic-prefix", prefix, "--json", "--quiet",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "MH_P1_KEY": KEY.hex()},
    )  # fmt: skip
    sent_at: dict[int, float] = {}
    to_browser: dict[int, float] = {}
    to_mqtt: dict[int, float] = {}
    tasks: list[asyncio.Task[None]] = []
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        http = json.loads(line)["http"]
        await asyncio.wait_for(connected.wait(), 30)
        sse_ready, mqtt_ready = asyncio.Event(), asyncio.Event()

        async def sse() -> None:
            async with httpx.AsyncClient(timeout=None) as client, client.stream("GET", http + "events") as stream:
                async for text in stream.aiter_lines():
                    if text.startswith("retry:"):
                        sse_ready.set()
                    elif text.startswith("data: "):
                        now = time.perf_counter()
                        to_browser.setdefault(json.loads(text[6:])["frame_counter"], now)

        async def mqtt() -> None:
            s = MqttSettings.from_url(mqtt_url)
            async with aiomqtt.Client(s.host, s.port, username=s.username, password=s.password) as client:
                await client.subscribe(f"{prefix}/+/json")
                mqtt_ready.set()
                async for message in client.messages:
                    now = time.perf_counter()
                    payload = message.payload
                    if isinstance(payload, bytes):
                        to_mqtt.setdefault(json.loads(payload)["frame_counter"], now)

        tasks = [asyncio.create_task(sse()), asyncio.create_task(mqtt())]
        await asyncio.wait_for(asyncio.gather(sse_ready.wait(), mqtt_ready.wait()), 30)

        async def send(frame: bytes, counter: int) -> None:
            for w in writers:
                w.write(frame)
                await w.drain()
            sent_at[counter] = time.perf_counter()

        await send(wire[0][1], first_counter)  # warm-up: connections, first page state, MQTT session
        deadline = time.perf_counter() + 10
        while (first_counter not in to_browser or first_counter not in to_mqtt) and time.perf_counter() < deadline:
            await asyncio.sleep(0.01)
        t0 = time.perf_counter()
        for n, frame in wire[1:]:
            await send(frame, first_counter + n)
            await asyncio.sleep(max(0.0, t0 + n * interval_s - time.perf_counter()))
        deadline = time.perf_counter() + 5
        last = first_counter + frames
        while (last not in to_browser or last not in to_mqtt) and time.perf_counter() < deadline:
            await asyncio.sleep(0.01)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for w in writers:
            w.close()
        bridge.close()
        if proc.returncode is None:
            proc.terminate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 10)

    measured = [first_counter + n for n in range(1, frames + 1)]
    browser = [(to_browser[c] - sent_at[c]) * 1000 for c in measured if c in to_browser and c in sent_at]
    broker = [(to_mqtt[c] - sent_at[c]) * 1000 for c in measured if c in to_mqtt and c in sent_at]
    return {
        "frames": frames,
        "interval_s": interval_s,
        "received_browser": len(browser),
        "received_mqtt": len(broker),
        "p50_ms_to_browser": _pct(browser, 0.50),
        "p99_ms_to_browser": _pct(browser, 0.99),
        "max_ms_to_browser": round(max(browser), 2) if browser else None,
        "mean_ms_to_browser": round(statistics.fmean(browser), 2) if browser else None,
        "p50_ms_to_mqtt": _pct(broker, 0.50),
        "p99_ms_to_mqtt": _pct(broker, 0.99),
        "max_ms_to_mqtt": round(max(broker), 2) if broker else None,
        "mean_ms_to_mqtt": round(statistics.fmean(broker), 2) if broker else None,
        "goal_ms": GOAL_MS,
        "browser_client": "httpx streaming client on /events (SSE)",
        "mqtt_topic": "PREFIX/METER/json on MH_MQTT_URL",
    }


def run(
    rounds: int | None = None, frames: int = 300, interval_s: float = 0.05, mqtt_url: str | None = None
) -> dict[str, Any]:
    """Latency figures; ``rounds`` (from ``meterhub bench p1 --rounds N``) is the number of frames."""
    url = mqtt_url or os.environ.get("MH_MQTT_URL", "mqtt://127.0.0.1:1883")
    return asyncio.run(_bench(rounds or frames, interval_s, url))


if __name__ == "__main__":  # pragma: no cover
    print(json.dumps(run()))
