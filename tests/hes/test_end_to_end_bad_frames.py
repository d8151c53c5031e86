"""End-to-end against meters that answer badly: raw TCP endpoints (:class:`FakeMeter`) answering garbage, a truncated
frame then end of stream or silence, a wrong wrapper version, an undecodable APDU, or, as a proxy in front of a real
simulated meter, ciphered APDUs with a flipped GMAC tag, read in one run with good simulated meters: the good ones
completely, each bad one failed with its kind counted in the report and the communication log, bad frames counted, no
hang, no crash and no socket left open.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import struct
from collections.abc import Awaitable, Callable

from meterhub import demo as d
from meterhub.dlms.security import CipherKeys
from meterhub.dlms.wrapper import WrapperStream, encode_wrapper
from meterhub.hes.headend import HeadEnd, MeterTarget, RunReport, load_targets
from meterhub.hes.reader import ENERGY_KEYS
from meterhub.sim.fleet import FleetPlan
from meterhub.sim.meter import SimulatedMeter, derive_keys, system_title_of
from meterhub.sim.server import MeterEndpoint
from meterhub.store.db import Store
from tests.sansio import feed

from .conftest import DAY, NOW, SECRET, assert_day_complete, comm_log_of, day_window, inproc_fleet, key_provider, run

AARE_LIKE = bytes.fromhex("6129a109060760857405080103a203020100a305a10302010e")  # any AARE-shaped bytes


class FakeMeter:
    """A raw TCP endpoint that answers every wrapper frame it receives with ``answer``; counts connections and
    how many of them the head-end closed."""

    def __init__(self, name: str, answer: Callable[[FakeMeter, bytes, asyncio.StreamWriter], Awaitable[None]]):
        self.name = name
        self.answer = answer
        self.port = 0
        self.opened = 0
        self.closed_by_peer = 0
        self.frames = 0
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []
        self.stopping = False
        self.upstream_port = 0  # the tampering proxy's real meter, and its connection to it
        self.upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter, WrapperStream] | None = None

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.opened += 1
        self.writers.append(writer)
        decoder = WrapperStream()
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    self.closed_by_peer += not self.stopping
                    break
                for frame in feed(decoder, data):
                    self.frames += 1
                    await self.answer(self, encode_wrapper(frame.source, frame.destination, frame.apdu), writer)
                    if writer.is_closing():
                        return
        except (ConnectionError, OSError):
            self.closed_by_peer += not self.stopping
        finally:
            writer.close()

    async def stop(self) -> None:
        self.stopping = True  # from here on an end of stream is our own doing
        if self.server is not None:
            self.server.close()
        for writer in self.writers:
            writer.close()
        if self.upstream is not None:
            self.upstream[1].close()
        await asyncio.sleep(0)


async def _garbage(_m: FakeMeter, _frame: bytes, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    await writer.drain()


async def _wrong_version(_m: FakeMeter, _frame: bytes, writer: asyncio.StreamWriter) -> None:
    writer.write(struct.pack(">HHHH", 2, 1, 1, len(AARE_LIKE)) + AARE_LIKE)
    await writer.drain()


async def _truncated_then_eof(m: FakeMeter, _frame: bytes, writer: asyncio.StreamWriter) -> None:
    writer.write(encode_wrapper(1, 1, AARE_LIKE)[:14])  # header says 25 bytes, 6 come
    await writer.drain()
    writer.close()
    m.closed_by_peer += 1  # we closed it ourselves: nothing for the head-end to close


async def _truncated_then_silence(_m: FakeMeter, _frame: bytes, writer: asyncio.StreamWriter) -> None:
    writer.write(encode_wrapper(1, 1, AARE_LIKE)[:14])
    await writer.drain()


async def _undecodable_apdu(_m: FakeMeter, frame: bytes, writer: asyncio.StreamWriter) -> None:
    source, destination = struct.unpack(">HH", frame[2:6])
    writer.write(encode_wrapper(destination, source, b"\x61\x30\xa1\x09\x06\x07"))  # AARE cut inside its BER
    await writer.drain()


async def _tampering_proxy(m: FakeMeter, frame: bytes, writer: asyncio.StreamWriter) -> None:
    """Forward to a real simulated meter; flip one bit of the last octet (the GMAC tag) of every ciphered answer."""
    if m.upstream is None:
        reader, up = await asyncio.open_connection("127.0.0.1", m.upstream_port)
        m.upstream = (reader, up, WrapperStream())
    reader, up, decoder = m.upstream
    up.write(frame)
    await up.drain()
    while True:
        try:
            data = await asyncio.wait_for(reader.read(65536), 5)
        except TimeoutError:
            return
        if not data:
            writer.close()
            return
        frames = feed(decoder, data)
        for f in frames:
            apdu = f.apdu
            if apdu[:1] != b"\x61":  # everything after the AARE is ciphered (glo/general-glo)
                apdu = apdu[:-1] + bytes([apdu[-1] ^ 0x01])
            writer.write(encode_wrapper(f.source, f.destination, apdu))
        await writer.drain()
        if frames:
            return


BAD = {
    "garbage": (_garbage, "protocol"),
    "wrong_version": (_wrong_version, "protocol"),
    "truncated_eof": (_truncated_then_eof, "closed"),
    "truncated_silence": (_truncated_then_silence, "timeout"),
    "undecodable_apdu": (_undecodable_apdu, "protocol"),
    "tampered_cipher": (_tampering_proxy, "security"),
}


def test_bad_frames_fail_cleanly_and_good_meters_are_read(store: Store) -> None:
    """Good meters and meters that answer garbage, truncated frames, a wrong wrapper version, an undecodable
    APDU or a tampered ciphered APDU, read in one run: the good ones completely, each bad one failed with its
    kind counted (report, comm log), bad frames counted, no hang, no crash, no socket left open."""
    lo = d.local_midnight(DAY)
    bad_serials = {name: f"99{k + 1:08d}" for k, name in enumerate(BAD)}

    async def scenario() -> tuple[FleetPlan, list[MeterTarget], RunReport, dict[str, FakeMeter]]:
        async with inproc_fleet(6, 1, seed=15, now=lambda: NOW, direct_fraction=0.34) as fleet:
            d.provision(store, fleet.plan, lo - dt.timedelta(days=30))
            dso = store.list_parties("dso")[0].id
            fakes: dict[str, FakeMeter] = {}
            upstream: MeterEndpoint | None = None
            for name, (answer, _) in BAD.items():
                fake = fakes[name] = FakeMeter(name, answer)
                serial = bad_serials[name]
                if name == "tampered_cipher":
                    meter = SimulatedMeter(serial, 99, CipherKeys(*derive_keys(SECRET, serial)), lambda: NOW)
                    upstream = MeterEndpoint({1: meter})
                    server = await upstream.start("127.0.0.1", 0)
                    fake.upstream_port = server.sockets[0].getsockname()[1]
                await fake.start()
                meter_id = store.add_meter(
                    serial,
                    dso,
                    model="FAKE",
                    firmware="0",
                    host="127.0.0.1",
                    port=fake.port,
                    wport=1,
                    system_title=system_title_of(serial),
                    installed_at=lo - dt.timedelta(days=30),
                )
                store.add_channels(
                    [
                        {
                            "meter_id": meter_id,
                            "obis": obis,
                            "medium": "electricity",
                            "unit": "Wh",
                            "scaler": 0,
                            "interval_s": 900,
                        }
                        for obis in ENERGY_KEYS
                    ]
                )
            targets = load_targets(store)
            headend = HeadEnd(store, key_provider(), attempts=2, timeout=0.5, backoff_s=0.05)
            try:
                report = await asyncio.wait_for(headend.read_window(targets, *day_window(DAY)), 20)
            finally:
                await headend.close()
            await asyncio.sleep(0.2)  # let the fakes see the head-end's FINs
            for fake in fakes.values():
                await fake.stop()
            if upstream is not None and upstream.server is not None:
                upstream.server.close()
            return fleet.plan, targets, report, fakes

    plan, targets, report, fakes = run(scenario(), timeout=40)
    good = [tg for tg in targets if tg.serial not in bad_serials.values()]
    assert len(good) == 6 and len(targets) == 6 + len(BAD)
    # No wall-clock bound here (it fails on a loaded 2-core machine): asyncio.wait_for(…, 20) above is the hang guard,
    # and the head-end's own time per failure is measured by `meterhub bench hes`.
    assert report.ok == 6 and report.failed == len(BAD), report
    assert_day_complete(store, plan, good, DAY)

    # Every expectation is checked and all mismatches reported together (each one is a separate defect).
    problems: list[str] = []
    expected: dict[str, int] = {}
    for _, kind in BAD.values():
        expected[kind] = expected.get(kind, 0) + 1
    if report.failures != expected:
        problems.append(f"failure kinds {report.failures}, expected {expected}")
    if report.retries != len(BAD):  # attempts=2: one retry per bad meter
        problems.append(f"{report.retries} retries, expected {len(BAD)}")
    bad_frame_meters = sum(1 for _, kind in BAD.values() if kind in ("protocol", "security"))
    if report.bad_frames != 2 * bad_frame_meters:  # every attempt of those meters got a bad frame
        problems.append(f"{report.bad_frames} bad frames counted, expected {2 * bad_frame_meters}")

    targets_by_serial = {tg.serial: tg for tg in targets}
    for name, (_, kind) in BAD.items():
        tg = targets_by_serial[bad_serials[name]]
        log = comm_log_of(store, tg.meter_id)
        if len(log) != 1 or log[0][0] != "failed" or not (log[0][1] or "").startswith(kind):
            problems.append(f"{name}: comm log {log}, expected one 'failed' entry of kind {kind!r}")
        if store.current_blocks(list(tg.channels.values()), DAY, DAY):
            problems.append(f"{name}: blocks stored for a meter that failed")
        fake = fakes[name]
        if fake.frames < 1:
            problems.append(f"{name}: the head-end never sent a frame")
        if fake.closed_by_peer != fake.opened:
            problems.append(
                f"{name}: {fake.opened - fake.closed_by_peer} of {fake.opened} connection(s) left open by the head-end"
            )
    for tg in good:
        if [o for o, _ in comm_log_of(store, tg.meter_id)] != ["ok"]:
            problems.append(f"good meter {tg.serial}: comm log {comm_log_of(store, tg.meter_id)}")
    assert not problems, "\n".join(problems)
