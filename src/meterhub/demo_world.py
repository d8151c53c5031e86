"""A demo country without the network: the demo's fleet plan, inventory, market, history and logins built straight
from the simulator's models through the MDM ingest path — what the browser journeys and the portal benchmark use.

``meterhub demo`` reads its fleet over DLMS and fills years of history in the background; a test or a benchmark
needs the same data shapes at once and without a fleet process. :func:`build` plans a fleet of ``meters`` homes
(:func:`meterhub.sim.fleet.plan_fleet`, the demo's seed), picks the showcase homes as the demo does
(:func:`meterhub.demo_history.pick_showcase`), provisions them (:func:`meterhub.demo.provision`), loads the
showcase homes' history over ``months`` months and every home's from the 1st of last month (the simulator's
readings through :class:`~meterhub.mdm.ingest.IngestService` with VEE, source ``sim-history``), stores the gas
factors, creates the market (:func:`meterhub.demo_market.populate`) and the demo's logins
(:func:`meterhub.demo_market.demo_logins`). Deterministic for a seed and a ``now``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from meterhub import demo as d
from meterhub import demo_history as dh
from meterhub.demo_market import DemoLogin, demo_logins, populate
from meterhub.sim.fleet import FleetPlan, plan_fleet
from meterhub.store import Store


@dataclass(frozen=True, slots=True)
class World:
    plan: FleetPlan
    homes: list[dh.ShowcaseHome]
    windows: dh.Windows
    logins: list[DemoLogin]
    versions: int


def build(
    store: Store,
    data_dir: Path,
    now: dt.datetime,
    *,
    meters: int = 40,
    showcase: int = 4,
    months: int = 13,
    seed: int = 1,
) -> World:
    """Build the world in ``store`` (see the module docstring); the logins file goes to ``data_dir``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    _, hes_start, end = d.demo_windows(now)
    w = dh.windows(hes_start, end, months)
    plan = plan_fleet(meters, max(1, meters // 20), seed)
    homes = dh.pick_showcase(plan, showcase)
    d.provision(store, plan, w.all_start, {h.serial: w.showcase_start for h in homes})
    targets = d.load_targets(store)
    serials = {h.serial for h in homes}
    versions = 0
    if w.showcase_start < w.all_start:
        versions += d.load_history(
            store, plan, [t for t in targets if t.serial in serials], w.showcase_start, w.all_start, workers=1
        )
    versions += d.load_history(store, plan, targets, w.all_start, end, workers=1)
    dh.set_demo_gas_factors(store, w)
    populate(store, w.showcase_start, seed)
    logins = demo_logins(store, data_dir, now)
    return World(plan, homes, w, logins, versions)


__all__ = ["World", "build"]
