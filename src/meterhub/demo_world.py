"""A demo country without the network: the demo's fleet plan, inventory, market, history and logins built straight
from the simulator's models through the MDM ingest path — what the browser journeys and the portal benchmark use.

``meterhub demo`` reads its fleet over DLMS and fills years of history in the background; a test or a benchmark
needs the same data shapes at once and without a fleet process. :func:`build` plans a fleet of ``meters`` homes
(:func:`meterhub.sim.fleet.plan_fleet`, the demo's seed), picks the showcase homes as the demo does
(:func:`meterhub.demo_history.pick_showcase`), provisions them (:func:`meterhub.demo.provision`), loads the
showcase homes' history over ``months`` months and every home's from the 1st of last month (the simulator's
readings through :class:`~meterhub.mdm.ingest.IngestService` with VEE, source ``sim-history``), stores the gas
factors and the simulator's weather, creates the market (:func:`meterhub.demo_market.populate`), every home's
profile (:func:`meterhub.demo_households.fill_profiles`), the comparison's peer statistics
(:func:`meterhub.mdm.peers.run_peers`) and the demo's logins (:func:`meterhub.demo_market.demo_logins`).
Deterministic for a seed and a ``now``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from meterhub import demo as d
from meterhub import demo_history as dh
from meterhub.demo_households import fill_profiles
from meterhub.demo_market import DemoLogin, demo_contacts, demo_logins, populate
from meterhub.mdm.peers import run_peers
from meterhub.sim.consumption import HouseholdTraits
from meterhub.sim.fleet import FleetPlan, plan_fleet
from meterhub.store import Store


@dataclass(frozen=True, slots=True)
class World:
    plan: FleetPlan
    homes: list[dh.ShowcaseHome]
    windows: dh.Windows
    logins: list[DemoLogin]
    versions: int


def _describe(plan: FleetPlan, serials: Sequence[str]) -> list[dh.ShowcaseHome]:
    """The homes ``serials`` of ``plan`` as showcase homes (kind "chosen"); KeyError for a serial not in it."""
    by_serial = {m.serial: m for m in plan.meters}
    out = []
    for serial in serials:
        m = by_serial[serial]
        t = HouseholdTraits.draw(m.seed, m.serial)
        out.append(dh.ShowcaseHome(serial, "chosen", t.persons, round(t.annual_kwh), t.pv_kwp, t.ev_kw,
                                   tuple(sub.medium for sub in m.sub_meters)))  # fmt: skip
    return out


def build(
    store: Store,
    data_dir: Path,
    now: dt.datetime,
    *,
    meters: int = 40,
    fleet: int | None = None,
    showcase: int = 4,
    homes: Sequence[str] = (),
    months: int = 13,
    seed: int = 1,
) -> World:
    """Build the world in ``store`` (see the module docstring); the logins file goes to ``data_dir``. With ``fleet``
    the plan is that of a fleet of ``fleet`` homes (the demo's 2 000: rare kinds such as PV + EV + heat pump are in
    it) of which the showcase homes and the first others up to ``meters`` in all are provisioned; ``homes`` (serials)
    replace the demo's choice of showcase homes."""
    data_dir.mkdir(parents=True, exist_ok=True)
    _, hes_start, end = d.demo_windows(now)
    w = dh.windows(hes_start, end, months)
    whole = plan_fleet(max(meters, fleet or 0), max(1, max(meters, fleet or 0) // 50), seed)
    picked = dh.pick_showcase(whole, showcase) if not homes else []
    picked += _describe(whole, homes)
    chosen = {h.serial for h in picked}
    others = [m.serial for m in whole.meters if m.serial not in chosen]
    chosen.update(others[: max(0, meters - len(chosen))])
    plan = FleetPlan(whole.seed, whole.host, {c: dict(v) for c, v in whole.concentrators.items()},
                     [m for m in whole.meters if m.serial in chosen])  # fmt: skip
    d.provision(store, plan, w.all_start, {h.serial: w.showcase_start for h in picked})
    targets = d.load_targets(store)
    serials = {h.serial for h in picked}
    versions = 0
    if w.showcase_start < w.all_start:
        versions += d.load_history(
            store, plan, [t for t in targets if t.serial in serials], w.showcase_start, w.all_start, workers=1
        )
    versions += d.load_history(store, plan, targets, w.all_start, end, workers=1)
    dh.set_demo_gas_factors(store, w)
    dh.set_demo_weather(store, w)
    populate(store, w.showcase_start, seed)
    fill_profiles(store, plan, now)
    run_peers(store, now)
    logins = demo_logins(store, data_dir, now)
    demo_contacts(store, logins, now)
    return World(plan, picked, w, logins, versions)


__all__ = ["World", "build"]
