"""The reader's edges: the CLI on a file, the simulator live on TCP and on a pseudo-terminal, the live page's
event stream, the opt-in forwarder against a local receiver, and MQTT on the real Mosquitto (MH_MQTT_URL)."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from meterhub.p1.forward import ConsentRequired, Forwarder
from meterhub.p1.reader import ReaderServices, serve
from meterhub.p1.receiver import Reading
from meterhub.p1.sources import FileSource, SerialSource, TcpSource, parse_source
from meterhub.sim.p1 import LiveP1, P1Simulator
from tests.mqtt import fresh_prefix, mqtt_url
from tests.p1.conftest import KEY, OTHER_KEY, frame
from tests.p1.harness import ReaderThread

KEY_HEX = KEY.hex().upper()
CLI = [sys.executable, "-m", "meterhub.cli.main"]
START = "2026-11-24T10:00:00+01:00"


class Collect:
    def __init__(self, until: int | None = None) -> None:
        self.readings: list[Reading] = []
        self.until = until
        self.done = asyncio.Event()

    def publish(self, reading: Reading) -> None:
        self.readings.append(reading)
        if self.until is not None and len(self.readings) >= self.until:
            self.done.set()


def test_cli_sim_writes_frames_and_the_reader_reads_them(tmp_path: Path) -> None:
    out = tmp_path / "p1.bin"
    made = subprocess.run(
        [*CLI, "sim", "p1", "--serial", "LU0001", "--key", KEY_HEX, "--count", "12", "--out", str(out),
         "--start", START],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert json.loads(made.stdout)["frames"] == 12
    # garbage between frames and a truncated frame at the end: counted, and the reader goes on
    data = out.read_bytes()
    frame_len = len(data) // 12
    out.write_bytes(data[: 5 * frame_len] + b"\x00garbage\x00" + data[5 * frame_len :] + data[:100])
    read = subprocess.run(
        [*CLI, "p1", "read", "--source", str(out), "--json"],
        capture_output=True, text=True, check=True, env={"MH_P1_KEY": KEY_HEX, "PATH": ""},
    )  # fmt: skip
    lines = [json.loads(line) for line in read.stdout.splitlines()]
    readings = [x for x in lines if x["type"] == "reading"]
    assert len(readings) == 12
    assert readings[0]["timestamp"] == "2026-11-24T09:00:00+00:00" and readings[0]["meter"] == "LU0001"
    assert all(b["frame_counter"] == a["frame_counter"] + 1 for a, b in itertools.pairwise(readings))
    assert readings[-1]["energy_import_wh"] >= readings[0]["energy_import_wh"]
    stats = lines[-1]
    assert stats["type"] == "stats"
    assert (stats["frames_ok"], stats["garbage_bytes"], stats["truncated"]) == (12, 9, 1)
    assert KEY_HEX not in read.stdout + read.stderr


def test_cli_refuses_forwarding_without_consent_and_bad_keys(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(frame(0))
    no_consent = subprocess.run(
        [*CLI, "p1", "read", "--source", str(path), "--key", KEY_HEX, "--forward", "http://127.0.0.1:9/x"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert no_consent.returncode == 2 and "consent" in no_consent.stderr
    bad_key = subprocess.run([*CLI, "p1", "read", "--source", str(path), "--key", "00"], capture_output=True, text=True)
    assert bad_key.returncode == 2 and "32 hex digits" in bad_key.stderr
    with pytest.raises(ConsentRequired):
        Forwarder("http://127.0.0.1:9/x", consent=False)
    with pytest.raises(ValueError):
        parse_source("tcp://nohost")
    assert isinstance(parse_source("tcp://127.0.0.1:2000"), TcpSource)
    assert isinstance(parse_source(str(path)), FileSource)


def test_sim_live_on_tcp_like_a_serial_bridge() -> None:
    proc = subprocess.Popen(
        [*CLI, "sim", "p1", "--serial", "LU0002", "--key", KEY_HEX, "--tcp-port", "0", "--interval", "0.05",
         "--count", "400", "--start", START],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        collect = Collect(until=8)

        async def run() -> None:
            reading = asyncio.create_task(serve(KEY, parse_source(info["tcp"]), ReaderServices(extra_sinks=[collect])))
            await asyncio.wait_for(collect.done.wait(), 20)
            reading.cancel()
            with pytest.raises(asyncio.CancelledError):
                await reading

        asyncio.run(run())
    finally:
        proc.terminate()
        proc.wait(10)
    counters = [r.frame_counter for r in collect.readings]
    assert counters == list(range(counters[0], counters[0] + len(counters)))
    assert collect.readings[0].telegram.equipment_id == "LU0002"


def test_sim_live_on_a_pseudo_terminal_read_as_a_serial_port() -> None:
    sim = P1Simulator("LU0003", KEY)

    async def run() -> list[Reading]:
        live = LiveP1(sim, dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC), interval=0.05, count=60)
        device = live.open_pty()
        collect = Collect(until=5)
        reading = asyncio.create_task(serve(KEY, SerialSource(device), ReaderServices(extra_sinks=[collect])))
        await asyncio.sleep(0.2)  # the port is open before the meter talks
        sending = asyncio.create_task(live.run())
        try:
            await asyncio.wait_for(collect.done.wait(), 20)
        finally:
            reading.cancel()
            sending.cancel()
            await asyncio.gather(reading, sending, return_exceptions=True)
            await live.close()
        return collect.readings

    readings = asyncio.run(run())
    assert len(readings) >= 5
    assert readings[0].telegram.equipment_id == "LU0003"


def test_live_page_streams_each_reading_as_a_server_sent_event() -> None:
    reader = ReaderThread(KEY, ReaderServices(http_port=0)).start()
    try:
        base = f"http://127.0.0.1:{reader.services.bound_http_port}"
        page = httpx.get(base + "/", timeout=10)
        assert page.status_code == 200 and "EventSource" in page.text and "power-import" in page.text
        assert (
            httpx.get(base + "/static/plotly.min.js", timeout=10)
            .headers["content-type"]
            .startswith("application/javascript")
        )
        events: list[dict[str, Any]] = []
        with httpx.Client(timeout=10) as client, client.stream("GET", base + "/events") as stream:
            lines = stream.iter_lines()
            assert next(lines).startswith("retry:")
            reader.send(frame(0) + b"garbage" + frame(1, key=OTHER_KEY))
            reader.send(frame(2))
            for line in lines:
                if line.startswith("data: "):
                    events.append(json.loads(line[6:]))
                    if len(events) == 2:
                        break
        assert [e["frame_counter"] for e in events] == [1000, 1002]
        assert events[1]["power_import_w"] == 452 and events[1]["gas"]["value_l"] == 5_206_113
        state = httpx.get(base + "/api/state", timeout=10).json()
        assert state["meter"] == "LU0001" and len(state["curve"]["t"]) == 2
        assert state["stats"]["auth_failed"] == 1 and state["stats"]["garbage_bytes"] == 7
    finally:
        reader.stop()
    assert [r.frame_counter for r in reader.readings] == [1000, 1002]


def test_forwarder_posts_batches_only_with_consent_and_keeps_them_while_the_platform_is_down(tmp_path: Path) -> None:
    received: list[dict[str, Any]] = []
    answers = [503]  # the platform is down once, then takes the batches
    app = FastAPI()

    @app.post("/p1/readings")
    async def take(request: Request) -> Any:
        if answers:
            return JSONResponse({"down": True}, status_code=answers.pop())
        received.append(await request.json())
        return {"ok": True}

    path = tmp_path / "frames.bin"
    path.write_bytes(b"".join(frame(i) for i in range(7)))

    async def run() -> None:
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        url = f"http://127.0.0.1:{port}/p1/readings"
        try:
            forwarder = Forwarder(url, consent=True, every_s=0.05, batch=3)
            sending = asyncio.create_task(forwarder.run())
            collect = Collect()
            await serve(KEY, FileSource(path), ReaderServices(extra_sinks=[forwarder, collect]))
            deadline = time.monotonic() + 10
            while forwarder.sent < 7 and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            sending.cancel()
            assert forwarder.failures == 1 and forwarder.sent == 7
            # the same through the reader's own service wiring (flushed when the source ends)
            await serve(KEY, FileSource(path), ReaderServices(forward_url=url, consent=True, forward_every_s=60))
        finally:
            server.should_exit = True
            await task

    asyncio.run(run())
    assert [len(b["readings"]) for b in received] == [3, 3, 1, 7]
    assert received[0]["meter"] == "LU0001"
    assert [r["frame_counter"] for b in received[:3] for r in b["readings"]] == list(range(1000, 1007))


def test_mqtt_publishes_every_reading_to_the_real_broker(tmp_path: Path) -> None:
    url = mqtt_url()
    import aiomqtt

    from meterhub.p1.mqtt import MqttSettings

    prefix = fresh_prefix()
    path = tmp_path / "frames.bin"
    path.write_bytes(frame(0) + b"\x00junk" + frame(1, key=OTHER_KEY) + frame(2) + frame(3)[:200])
    settings = MqttSettings.from_url(url)
    got: dict[str, list[str]] = {}

    async def run() -> None:
        async with aiomqtt.Client(settings.host, settings.port) as sub:
            await sub.subscribe(f"{prefix}/#")
            stats = await serve(KEY, FileSource(path), ReaderServices(mqtt_url=url, mqtt_prefix=prefix))
            assert (stats.frames_ok, stats.auth_failed, stats.truncated, stats.garbage_bytes) == (2, 1, 1, 5)

            async def listen() -> None:
                async for message in sub.messages:
                    payload = message.payload
                    assert isinstance(payload, bytes)
                    got.setdefault(str(message.topic), []).append(payload.decode())
                    if str(message.topic).endswith("/stats") and json.loads(payload)["truncated"] == 1:
                        return  # the last message: the counters after the truncated frame at the end

            await asyncio.wait_for(listen(), 10)

    asyncio.run(run())
    base = f"{prefix}/LU0001"
    telegrams = [json.loads(p) for p in got[f"{base}/json"]]
    assert [t["frame_counter"] for t in telegrams] == [1000, 1002]
    assert telegrams[1]["energy_import_wh"] == 12_345_680 and telegrams[1]["mbus"][0]["value"] == 5_206_113
    assert got[f"{base}/reading/electricity_currently_delivered"] == ["0.45", "0.452"]
    assert got[f"{base}/reading/electricity_delivered"][-1] == "12345.68"
    assert got[f"{base}/reading/phase_voltage_l1"][-1] == "231.2"
    assert got[f"{base}/consumption/gas/delivered"][-1] == "5206.113"
    assert got[f"{base}/mbus/2/delivered"][-1] == "812.004"
    stats = json.loads(got[f"{base}/stats"][-1])
    assert stats["auth_failed"] == 1 and stats["truncated"] == 1


def test_mqtt_broker_away_never_stops_the_reader(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    path = tmp_path / "frames.bin"
    path.write_bytes(frame(0) + frame(1))
    services = ReaderServices(mqtt_url=f"mqtt://127.0.0.1:{closed_port}", mqtt_drain_s=0.3)
    stats = asyncio.run(serve(KEY, FileSource(path), services))
    assert stats.frames_ok == 2


def test_state_file_keeps_refusing_replays_after_a_restart(tmp_path: Path) -> None:
    """With --state the last frame counter outlives the reader: replaying the same recording to a restarted
    reader is refused frame by frame; a corrupt state file is refused with a clear error."""
    out, state = tmp_path / "p1.bin", tmp_path / "counters.json"
    subprocess.run(
        [*CLI, "sim", "p1", "--serial", "LU0002", "--key", KEY_HEX, "--count", "5", "--out", str(out),
         "--start", START],
        capture_output=True, text=True, check=True,
    )  # fmt: skip

    def read_stats() -> dict[str, Any]:
        done = subprocess.run(
            [*CLI, "p1", "read", "--source", str(out), "--key", KEY_HEX, "--state", str(state), "--json", "--quiet"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return json.loads(done.stdout.strip().splitlines()[-1])

    first = read_stats()
    assert first["frames_ok"] == 5 and first["replayed"] == 0
    assert len(json.loads(state.read_text())) == 1  # one meter, its last counter
    again = read_stats()
    assert again["frames_ok"] == 0 and again["replayed"] == 5
    state.write_text("not json")
    bad = subprocess.run(
        [*CLI, "p1", "read", "--source", str(out), "--key", KEY_HEX, "--state", str(state)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert bad.returncode == 2 and "--state" in bad.stderr and "not a frame counter file" in bad.stderr
