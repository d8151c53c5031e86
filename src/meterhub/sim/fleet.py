"""A whole simulated country in one asyncio process: meters behind data concentrators, and direct meters.

:func:`plan_fleet` decides, deterministically from a seed, every meter's serial, DSO, concentrator, TCP
address and wPort and its M-Bus sub-meters; the plan is written as a JSON manifest that the head-end (and
the demo) use to provision the meters. :class:`Fleet` then serves the plan: one listening port per
concentrator (its meters by wPort, behind a modelled PLC channel) and one per directly connected meter.
Meters are cheap (history is computed on demand), so 20 000 fit in one process.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from meterhub.dlms.security import CipherKeys
from meterhub.sim.consumption.scenarios import FaultScenario
from meterhub.sim.consumption.submeters import sub_meter_models
from meterhub.sim.consumption.traits import HouseholdTraits
from meterhub.sim.meter import SimulatedMeter, derive_keys, system_title_of
from meterhub.sim.server import MeterEndpoint, PlcChannel, plc_profile

#: The seven distribution system operators of the demo country, with their share of meters.
DSOS: Final = (
    ("CREOS", "Creos Luxembourg", 0.78),
    ("SUDEN", "Sudenergie", 0.08),
    ("ELECT", "Electris", 0.06),
    ("ETTEL", "Ville d'Ettelbruck", 0.03),
    ("DIEKI", "Ville de Diekirch", 0.02),
    ("SUDGZ", "Sudgaz", 0.02),
    ("DUDEL", "Ville de Dudelange", 0.01),
)
#: wPort of the first meter behind a concentrator (wPorts below are the concentrator's own devices).
FIRST_NODE_WPORT: Final = 0x100


@dataclass(frozen=True)
class PlannedSubMeter:
    """An M-Bus sub-meter of a planned electricity meter."""

    channel: int
    medium: str
    serial: str


@dataclass(frozen=True)
class PlannedMeter:
    """Where and what one simulated meter is."""

    serial: str
    seed: int
    dso: str
    concentrator: str | None
    host: str
    port: int
    wport: int
    system_title: str
    ean: str
    postcode: str
    sub_meters: tuple[PlannedSubMeter, ...] = ()


@dataclass
class FleetPlan:
    """The whole fleet: concentrators (code → port) and meters."""

    seed: int
    host: str
    concentrators: dict[str, dict[str, Any]] = field(default_factory=dict)
    meters: list[PlannedMeter] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(
            {
                "seed": self.seed,
                "host": self.host,
                "concentrators": self.concentrators,
                "meters": [asdict(m) for m in self.meters],
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> FleetPlan:
        data = json.loads(text)
        meters = [
            PlannedMeter(**{**m, "sub_meters": tuple(PlannedSubMeter(**s) for s in m["sub_meters"])})
            for m in data["meters"]
        ]
        return cls(data["seed"], data["host"], data["concentrators"], meters)


def plan_fleet(
    meters: int,
    concentrators: int,
    seed: int = 1,
    host: str = "127.0.0.1",
    port_base: int = 40000,
    direct_fraction: float = 0.05,
    max_direct: int = 2000,
) -> FleetPlan:
    """Deterministic plan: ``direct_fraction`` of meters on their own port, the rest spread over concentrators."""
    if meters < 1 or concentrators < 0:
        raise ValueError("a fleet needs at least one meter and a non-negative number of concentrators")
    rng = random.Random(seed)
    plan = FleetPlan(seed, host)
    weights = [w for _, _, w in DSOS]
    for k in range(concentrators):
        dso = rng.choices(DSOS, weights)[0][0]
        plan.concentrators[f"DC{k + 1:05d}"] = {"dso": dso, "port": port_base + k, "meters": 0}
    n_direct = meters if concentrators == 0 else min(max_direct, round(meters * direct_fraction))
    next_port = port_base + concentrators
    dc_codes = list(plan.concentrators)
    for i in range(meters):
        serial = f"{seed % 100:02d}{i + 1:08d}"
        meter_seed = seed * 1_000_003 + i
        traits = HouseholdTraits.draw(meter_seed, serial)
        subs = tuple(
            PlannedSubMeter(ch, medium, f"{serial}-M{ch}")
            for ch, (medium, _) in enumerate(sub_meter_models(traits), start=1)
        )
        if i < n_direct:
            dso = rng.choices(DSOS, weights)[0][0]
            concentrator, port, wport = None, next_port, 1
            next_port += 1
        else:
            concentrator = dc_codes[(i - n_direct) % len(dc_codes)]
            dc = plan.concentrators[concentrator]
            dso, port, wport = dc["dso"], dc["port"], FIRST_NODE_WPORT + dc["meters"]
            dc["meters"] += 1
        plan.meters.append(
            PlannedMeter(
                serial,
                meter_seed,
                dso,
                concentrator,
                host,
                port,
                wport,
                system_title_of(serial).hex().upper(),
                _ean(serial),
                f"L-{1000 + rng.randrange(8999)}",
                subs,
            )
        )
    return plan


def _ean(serial: str) -> str:
    """A Luxembourg-style metering point id (33 characters) derived from the meter serial."""
    return f"LU{0:011d}{int(''.join(ch for ch in serial if ch.isdigit())):020d}"


class Fleet:
    """Serve a :class:`FleetPlan` over TCP."""

    def __init__(
        self,
        plan: FleetPlan,
        master_secret: bytes,
        now: Callable[[], dt.datetime],
        plc: str = "realistic",
        scenario: FaultScenario | None = None,
        ephemeral: bool = False,
    ) -> None:
        self.plan = plan
        self.ephemeral = ephemeral
        self.background: list[asyncio.Task[None]] = []  # e.g. the alarm pusher
        self.endpoints: dict[int, MeterEndpoint] = {}
        self.meters: dict[str, SimulatedMeter] = {}
        by_port: dict[int, dict[int, SimulatedMeter]] = {}
        for m in plan.meters:
            ek, ak = derive_keys(master_secret, m.serial)
            meter = SimulatedMeter(m.serial, m.seed, CipherKeys(ek, ak), now, bytes.fromhex(m.system_title), scenario)
            self.meters[m.serial] = meter
            by_port.setdefault(m.port, {})[m.wport] = meter
        dc_ports = {dc["port"] for dc in plan.concentrators.values()}
        for port, meters in by_port.items():
            channel: PlcChannel | None = plc_profile(plc, seed=port) if port in dc_ports else None
            self.endpoints[port] = MeterEndpoint(meters, channel)

    async def start(self) -> None:
        """Listen on every endpoint. With ``ephemeral`` the plan's ports are placeholders: each endpoint
        binds a free port chosen by the OS and the plan is rewritten with the real ports (so a demo never
        collides with whatever else listens on the machine)."""
        real: dict[int, int] = {}
        for port, endpoint in self.endpoints.items():
            server = await endpoint.start(self.plan.host, 0 if self.ephemeral else port)
            real[port] = server.sockets[0].getsockname()[1]
        if self.ephemeral:
            self.endpoints = {real[p]: e for p, e in self.endpoints.items()}
            for dc in self.plan.concentrators.values():
                dc["port"] = real[dc["port"]]
            self.plan.meters = [replace(m, port=real[m.port]) for m in self.plan.meters]

    async def stop(self) -> None:
        for endpoint in self.endpoints.values():
            if endpoint.server is not None:
                endpoint.server.close()

    def stats(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for endpoint in self.endpoints.values():
            for key, value in asdict(endpoint.stats).items():
                total[key] = total.get(key, 0) + value
        return total


def write_manifest(plan: FleetPlan, path: Path) -> None:
    """Write the plan atomically (readers poll for the file)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(plan.to_json())
    tmp.replace(path)


async def serve_forever(fleet: Fleet) -> None:
    await fleet.start()
    await asyncio.Event().wait()
