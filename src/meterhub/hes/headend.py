"""The head-end's read runs: many meters read concurrently, written through the MDM's ingest path.

:class:`HeadEnd` reads a time window from a set of meters: one shared TCP connection per endpoint (direct
meter or data concentrator), a concurrency limit per concentrator (the PLC medium is shared) and a global
one, retries with exponential backoff, and batched durable writes — readings through
:class:`~meterhub.mdm.ingest.IngestService` (idempotent, so a run killed with -9 and started again leaves
no duplicate and no hole), events (their severity from :mod:`meterhub.cosem.events`), register reads,
communication log, invocation counters. Transmit counters are reserved in the store *before* they are used
(write-ahead), so a crash can never make the head-end reuse one; the meters' counters are recorded after each
run so a replayed answer is recognised later.
:meth:`HeadEnd.reread_gaps` asks the MDM for missing slots and reads exactly those windows again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol

from meterhub.cosem import obis as o
from meterhub.cosem.events import event_info
from meterhub.dlms.acse import Mechanism
from meterhub.dlms.association import ClientAssociation, ClientSettings
from meterhub.dlms.security import CipherKeys
from meterhub.hes.adhoc import HES_SYSTEM_TITLE
from meterhub.hes.reader import ENERGY_REGISTERS, MeterRead, read_meter
from meterhub.hes.session import HesError, MeterSession, WrapperConnection
from meterhub.mdm.ingest import IngestResult, IngestService, ReadingArrays
from meterhub.mdm.vee_service import VeeService
from meterhub.store.db import MeterEvent, RegisterRead, Store, add_register_reads

log = logging.getLogger(__name__)

#: Transmit counters reserved per association: a daily read uses about 10 (AARQ, f(StoC), HLS action,
#: gets, block requests); 64 leaves room for long profiles. Unused ones are simply skipped.
COUNTERS_PER_SESSION: Final = 64
KEY_KIND: Final = "guek"


class KeyProvider(Protocol):
    """Where the head-end gets a meter's keys (the key store of the security layer; derived in the demo)."""

    def keys_for(self, serial: str) -> CipherKeys: ...


@dataclass(frozen=True)
class ReadParts:
    """What one association reads: the 1/4 h profile, the M-Bus profiles, billing registers, event logs."""

    profile: bool = True
    mbus: bool = True
    registers: bool = True
    events: bool = True


@dataclass(frozen=True)
class MeterTarget:
    """One electricity meter to read, with its channels (OBIS → channel id) and M-Bus channels."""

    meter_id: int
    serial: str
    host: str
    port: int
    wport: int
    system_title: str
    concentrator_id: int | None
    channels: dict[str, int]
    mbus_channels: dict[int, tuple[int, int]]  # M-Bus channel → (sub-meter id, channel id)


@dataclass
class RunReport:
    """What a read run did."""

    meters: int = 0
    ok: int = 0
    failed: int = 0
    retries: int = 0
    bad_frames: int = 0
    values: int = 0
    events: int = 0
    versions_written: int = 0
    wall_s: float = 0.0
    failures: dict[str, int] = field(default_factory=dict)

    @property
    def meters_per_s(self) -> float:
        return self.ok / self.wall_s if self.wall_s else 0.0


def load_targets(store: Store, meter_ids: Sequence[int] | None = None) -> list[MeterTarget]:
    """The electricity meters (with host/port) and their channels, as the head-end reads them."""
    meters = [m for m in store.list_meters(medium="electricity") if m.host and m.port]
    if meter_ids is not None:
        wanted = set(meter_ids)
        meters = [m for m in meters if m.id in wanted]
    subs = [m for m in store.list_meters() if m.parent_meter_id is not None]
    channels = store.list_channels()
    by_meter: dict[int, dict[str, int]] = {}
    for ch in channels:
        by_meter.setdefault(ch.meter_id, {})[ch.obis] = ch.id
    sub_by_parent: dict[int, dict[int, tuple[int, int]]] = {}
    for sub in subs:
        if sub.mbus_channel is None or sub.parent_meter_id is None:
            continue
        sub_channels = by_meter.get(sub.id, {})
        if sub_channels:
            sub_by_parent.setdefault(sub.parent_meter_id, {})[sub.mbus_channel] = (
                sub.id,
                next(iter(sub_channels.values())),
            )
    return [
        MeterTarget(
            m.id,
            m.serial,
            m.host or "",
            m.port or 0,
            m.wport or 1,
            m.system_title or "",
            m.concentrator_id,
            by_meter.get(m.id, {}),
            sub_by_parent.get(m.id, {}),
        )
        for m in meters
    ]


class HeadEnd:
    """Reads windows of data from many meters into the store."""

    def __init__(
        self,
        store: Store,
        keys: KeyProvider,
        *,
        per_concentrator: int = 16,
        per_direct_meter: int = 1,
        concurrency: int = 512,
        timeout: float = 10.0,
        attempts: int = 3,
        backoff_s: float = 0.5,
        batch: int = 200,
        vee: VeeService | None = None,
        now: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.store = store
        self.keys = keys
        self.ingest = IngestService(store, vee)  # with ``vee``: each complete day read is validated at ingest
        self.now = now or (lambda: dt.datetime.now(dt.UTC))
        self.per_concentrator = per_concentrator
        self.per_direct_meter = per_direct_meter
        self.concurrency = concurrency
        self.timeout = timeout
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.batch = batch
        self._connections: dict[tuple[str, int], WrapperConnection] = {}
        self._connecting: dict[tuple[str, int], asyncio.Lock] = {}

    # ------------------------------------------------------------------------------ connections
    async def _connection(self, host: str, port: int) -> WrapperConnection:
        key = (host, port)
        lock = self._connecting.setdefault(key, asyncio.Lock())
        async with lock:
            conn = self._connections.get(key)
            if conn is None or conn.closed:
                conn = await WrapperConnection.open(host, port, self.timeout)
                self._connections[key] = conn
            return conn

    async def close(self) -> None:
        for conn in self._connections.values():
            await conn.close()
        self._connections.clear()

    # ------------------------------------------------------------------------------ one meter
    async def _read_one(
        self,
        target: MeterTarget,
        first_counter: int,
        window_from: dt.datetime,
        window_to: dt.datetime,
        parts: ReadParts,
    ) -> tuple[MeterRead, int]:
        conn = await self._connection(target.host, target.port)
        client = ClientAssociation(
            ClientSettings(
                authentication=Mechanism.HIGH_GMAC,
                keys=self.keys.keys_for(target.serial),
                system_title=HES_SYSTEM_TITLE,
                invocation_counter=first_counter,
                max_receive_pdu_size=0xFFFF,
                plain_integers=True,
            )
        )
        session = MeterSession(conn, client, 1, target.wport, self.timeout)
        try:
            read = await read_meter(
                session,
                target.serial,
                window_from,
                window_to,
                tuple(sorted(target.mbus_channels)) if parts.mbus else (),
                with_registers=parts.registers,
                with_events=parts.events,
                with_profile=parts.profile,
            )
        finally:
            used = client.invocation_counter - first_counter
            if used > COUNTERS_PER_SESSION:
                log.error("meter %s: session used %d counters, more than reserved", target.serial, used)
        server_counter = client.settings.guard.last(bytes.fromhex(target.system_title)) or 0
        return read, server_counter

    # ------------------------------------------------------------------------------ runs
    async def read_window(
        self,
        targets: Sequence[MeterTarget],
        window_from: dt.datetime,
        window_to: dt.datetime,
        *,
        with_registers: bool = True,
        progress: Callable[[int], None] | None = None,
        source: str = "hes",
        parts: ReadParts | None = None,
        register_kind: str = "interval",
    ) -> RunReport:
        """Read interval ends in [window_from, window_to] from every target; durable when it returns.

        ``parts`` chooses what one association reads (default: everything, registers per ``with_registers``);
        register values are stored as register reads of ``register_kind`` ("interval" for the spot reads of a
        daily read, "billing" for the monthly billing read).
        """
        parts = parts or ReadParts(registers=with_registers)
        report = RunReport(meters=len(targets))
        started = time.perf_counter()
        limits: dict[tuple[str, int], asyncio.Semaphore] = {}
        global_limit = asyncio.Semaphore(self.concurrency)
        results: asyncio.Queue[tuple[MeterTarget, MeterRead | None, int, str | None] | None] = asyncio.Queue()

        counters = await asyncio.to_thread(
            self.store.reserve_counters,
            [t.system_title for t in targets],
            KEY_KIND,
            COUNTERS_PER_SESSION * self.attempts,
        )

        async def one(target: MeterTarget) -> None:
            key = (target.host, target.port)
            limit = limits.setdefault(
                key, asyncio.Semaphore(self.per_concentrator if target.concentrator_id else self.per_direct_meter)
            )
            first = counters[target.system_title.lower()]
            error: str | None = None
            for attempt in range(self.attempts):
                if attempt:
                    report.retries += 1
                    await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))
                try:
                    async with global_limit, limit:
                        read, server_counter = await self._read_one(
                            target, first + attempt * COUNTERS_PER_SESSION, window_from, window_to, parts
                        )
                    await results.put((target, read, server_counter, None))
                    return
                except HesError as exc:
                    error = str(exc)  # "kind: message"
                    if exc.kind in ("security", "protocol"):
                        report.bad_frames += 1
                    log.info("meter %s attempt %d failed: %s", target.serial, attempt + 1, exc)
            await results.put((target, None, 0, error))

        writer = asyncio.create_task(self._writer(results, report, progress, (source, register_kind)))
        await asyncio.gather(*(one(t) for t in targets))
        await results.put(None)
        await writer
        report.wall_s = time.perf_counter() - started
        return report

    async def _writer(
        self,
        results: asyncio.Queue[tuple[MeterTarget, MeterRead | None, int, str | None] | None],
        report: RunReport,
        progress: Callable[[int], None] | None,
        source: tuple[str, str],
        linger_s: float = 0.25,
    ) -> None:
        """Collect results into batches of ``self.batch`` meters (or whatever came within ``linger_s``) and
        write each batch in one worker-thread step, so per-transaction costs are paid per batch."""
        done = False
        while not done:
            item = await results.get()
            if item is None:
                break
            pending = [item]
            deadline = asyncio.get_running_loop().time() + linger_s
            while len(pending) < self.batch:
                timeout = deadline - asyncio.get_running_loop().time()
                if timeout <= 0:
                    break
                try:
                    nxt = await asyncio.wait_for(results.get(), timeout)
                except TimeoutError:
                    break
                if nxt is None:
                    done = True
                    break
                pending.append(nxt)
            await asyncio.to_thread(self._write_batch, pending, report, source)
            if progress is not None:
                progress(len(pending))

    def _write_batch(
        self,
        batch: list[tuple[MeterTarget, MeterRead | None, int, str | None]],
        report: RunReport,
        source_and_kind: tuple[str, str],
    ) -> None:
        """One durable step for a batch of meters: readings, register reads, events, comm log, counters."""
        source, register_kind = source_and_kind
        ingest: list[tuple[int, ReadingArrays]] = []
        reads: list[RegisterRead] = []
        events: list[MeterEvent] = []
        comm: list[tuple[int, str, str | None, dt.datetime | None]] = []
        rx: dict[str | bytes, int] = {}
        for target, read, server_counter, error in batch:
            if read is None:
                report.failed += 1
                kind = (error or "error").split(":")[0]
                report.failures[kind] = report.failures.get(kind, 0) + 1
                comm.append((target.meter_id, "failed", error, None))
                continue
            report.ok += 1
            comm.append(
                (target.meter_id, "ok", f"skipped rows {read.skipped_rows}" if read.skipped_rows else None, None)
            )
            for obis_text, readings in read.profile.items():
                channel_id = target.channels.get(obis_text)
                if channel_id is not None and len(readings):
                    ingest.append((channel_id, readings))
                    report.values += max(len(readings) - 1, 0)
            for channel, readings in read.mbus.items():
                sub = target.mbus_channels.get(channel)
                if sub is not None and len(readings):
                    ingest.append((sub[1], readings))
                    report.values += max(len(readings) - 1, 0)
            if read.meter_clock is not None:
                at = read.meter_clock.astimezone(dt.UTC).replace(second=0, microsecond=0)
                for ln in ENERGY_REGISTERS:
                    channel_id = target.channels.get(str(ln))
                    value = read.registers.get(str(ln))
                    if channel_id is not None and value is not None:
                        reads.append(RegisterRead(channel_id, at, register_kind, value, source))
            for ev in read.events:
                events.append(
                    MeterEvent(target.meter_id, ev.occurred_at, ev.log, ev.code, event_info(ev.log, ev.code).severity)
                )
            if server_counter:
                rx[target.system_title] = server_counter
        result = self.ingest.ingest_many(list(ingest), source, until=self.now()) if ingest else IngestResult()
        report.versions_written += result.versions_written
        if reads:
            with self.store.write() as conn:
                add_register_reads(conn, reads)
        report.events += self.store.add_events(events)
        self.store.log_comm_many(comm)
        if rx:
            self.store.raise_counters(rx, KEY_KIND, "rx")

    async def reread_gaps(
        self,
        targets: Sequence[MeterTarget],
        day_from: dt.date,
        day_to: dt.date,
        until: dt.datetime,
        include_estimated: bool = False,
    ) -> RunReport:
        """Find missing slots of the targets' channels and read exactly those windows again (estimated slots
        too with ``include_estimated``: measured data replaces an estimate when the meter still has it)."""
        windows: dict[tuple[dt.datetime, dt.datetime], list[MeterTarget]] = {}
        every = [c for t in targets for c in (*t.channels.values(), *(c for _, c in t.mbus_channels.values()))]
        incomplete = {
            cid
            for cid, _ in self.ingest.incomplete(
                every, day_from, day_to, until=until, include_estimated=include_estimated
            )
        }
        for target in targets:
            channel_ids = list(target.channels.values()) + [c for _, c in target.mbus_channels.values()]
            spans: list[tuple[dt.datetime, dt.datetime]] = []
            for channel_id in channel_ids:
                if channel_id in incomplete:  # one bulk query above; the exact windows only where needed
                    spans += self.ingest.gaps(
                        channel_id, day_from, day_to, until=until, include_estimated=include_estimated
                    )
            if spans:
                # one window per meter: from the first missing slot's end to the last missing slot's end
                start = min(s for s, _ in spans) + dt.timedelta(minutes=15)
                end = max(e for _, e in spans)
                windows.setdefault((start, end), []).append(target)
        report = RunReport()
        for (start, end), group in windows.items():
            part = await self.read_window(group, start, end, with_registers=False, source="hes-reread")
            _merge(report, part)
        return report


def _merge(into: RunReport, part: RunReport) -> None:
    for name in ("meters", "ok", "failed", "retries", "bad_frames", "values", "events", "versions_written"):
        setattr(into, name, getattr(into, name) + getattr(part, name))
    into.wall_s += part.wall_s
    for kind, n in part.failures.items():
        into.failures[kind] = into.failures.get(kind, 0) + n


def energy_channel_obis() -> list[str]:
    """OBIS texts of the four electricity channels (A+, A−, R+, R−)."""
    return [str(ln) for ln in ENERGY_REGISTERS]


MBUS_VALUE_OBIS: Final = {ch: str(o.mbus_value(ch)) for ch in range(1, 5)}
