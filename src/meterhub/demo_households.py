"""The demo's households: the showcase homes chosen for variety, every home's profile drawn from the simulator's
traits, and the three showcase customer logins.

:func:`pick_showcase` takes the first meter of the fleet of each of :data:`SHOWCASE_KINDS` in turn — first a
home with PV, an EV and a heat pump and a flat with water and district heat (the default fleet of 2000 meters,
seed 1, has one of the first, 0100001820, and 44 of the second; a fleet of 200 has none of the first) — then
ordinary homes.

:func:`fill_profiles` gives every metering point's current customer a home profile (what a household would
answer on the comparison page; one already there is kept): household size and PV / EV / heat pump as the
simulator drew them, heating from the traits (gas, heat pump, electric, district heat, else "other": the
simulator's other homes heat with fuels it does not meter), and the dwelling derived — not drawn, so the
simulator's random streams stay as they are (tests/sim fingerprints them) — by :func:`dwelling_of`: a
district-heat home and a plain home of 1–2 persons (no gas, heat pump, electric heating, PV or EV) is an
apartment; a home with PV or a heat pump, or of 5+ persons, a detached house; the others semi-detached or
terraced by the parity of the serial's last digit. Floor area: 35 + 20 m² per person in a flat, 80 + 20 m² per
person in a house.

:func:`household_logins` adds three customer logins beside ``demo-customer`` — one per :data:`HOUSEHOLDS`
kind (electricity + gas; PV + EV + heat pump; a flat with water and district heat), each the current customer
of a showcase home with the long history. A fleet without a PV + EV + heat-pump home takes the nearest
(:data:`NEAREST`: PV + heat pump, PV + EV, heat pump).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from meterhub.sim.consumption import HouseholdTraits
from meterhub.sim.fleet import FleetPlan
from meterhub.store import Store
from meterhub.store.home_profiles import HomeProfile, latest_home_profiles, set_home_profile
from meterhub.store.parties import point_histories

PV_EV_HEAT_PUMP: Final = "PV + EV + heat pump"
FLAT_DISTRICT_HEAT: Final = "flat with water and district heat"
GAS: Final = "gas heating"


Kind = Callable[[HouseholdTraits], bool]


def _plain(t: HouseholdTraits) -> bool:
    return not (t.gas or t.heat_pump or t.electric_heating or t.district_heat or t.pv_kwp or t.ev_kw)


SHOWCASE_KINDS: Final[tuple[tuple[str, Kind], ...]] = (
    (PV_EV_HEAT_PUMP, lambda t: t.pv_kwp > 0 and t.ev_kw > 0 and t.heat_pump),
    (FLAT_DISTRICT_HEAT, lambda t: t.district_heat and t.water),
    ("PV", lambda t: t.pv_kwp > 0 and not t.ev_kw and not t.heat_pump),
    ("gas heating", lambda t: t.gas),
    ("flat (1 person)", lambda t: t.persons == 1 and _plain(t)),
    ("heat pump", lambda t: t.heat_pump),
    ("EV 11 kW", lambda t: t.ev_kw >= 11),
    ("large house (5+)", lambda t: t.persons >= 5),
    ("PV + EV", lambda t: t.pv_kwp > 0 and t.ev_kw > 0),
    ("electric heating", lambda t: t.electric_heating),
    ("district heat", lambda t: t.district_heat),
    ("PV + heat pump", lambda t: t.pv_kwp > 0 and t.heat_pump),
    ("EV 3.7 kW", lambda t: 0 < t.ev_kw < 11),
    ("gas + water", lambda t: t.gas and t.water),
    ("couple", lambda t: t.persons == 2 and _plain(t)),
    ("family of four", lambda t: t.persons == 4),
    ("large house with gas", lambda t: t.persons >= 5 and t.gas),
    ("high use (7 MWh+)", lambda t: t.annual_kwh >= 7000),
)
"""The showcase kinds in the order they are picked (the first meter of the fleet of each kind)."""


@dataclass(frozen=True, slots=True)
class ShowcaseHome:
    serial: str
    kind: str
    persons: int
    annual_kwh: float
    pv_kwp: float
    ev_kw: float
    sub_meters: tuple[str, ...]  # gas, water, heat


def pick_showcase(plan: FleetPlan, n: int) -> list[ShowcaseHome]:
    """``n`` homes of the fleet chosen for variety: the first meter of each of :data:`SHOWCASE_KINDS` in
    turn (a kind the fleet lacks is skipped), then ordinary homes; deterministic for a fleet."""
    traits = [(m, HouseholdTraits.draw(m.seed, m.serial)) for m in plan.meters]
    chosen: dict[str, str] = {}
    for kind, matches in SHOWCASE_KINDS:
        if len(chosen) >= n:
            break
        found = next((m.serial for m, t in traits if m.serial not in chosen and matches(t)), None)
        if found is not None:
            chosen[found] = kind
    for m, _ in traits:
        if len(chosen) >= n:
            break
        chosen.setdefault(m.serial, "ordinary home")
    homes = {m.serial: (m, t) for m, t in traits}
    return [
        ShowcaseHome(
            serial,
            kind,
            homes[serial][1].persons,
            round(homes[serial][1].annual_kwh),
            homes[serial][1].pv_kwp,
            homes[serial][1].ev_kw,
            tuple(sub.medium for sub in homes[serial][0].sub_meters),
        )
        for serial, kind in chosen.items()
    ]


def iter_showcase_rows(homes: list[ShowcaseHome], ids: dict[str, int]) -> Iterator[tuple[str, ...]]:
    """Table rows for the terminal: serial, meter id, kind, persons, kWh/year, equipment and sub-meters."""
    for h in homes:
        kit = [f"PV {h.pv_kwp:g} kWp"] if h.pv_kwp else []
        kit += [f"EV {h.ev_kw:g} kW"] if h.ev_kw else []
        yield (
            h.serial,
            str(ids.get(h.serial, "")),
            h.kind,
            str(h.persons),
            f"{h.annual_kwh:,.0f}",
            ", ".join(kit + list(h.sub_meters)) or "—",
        )


NEAREST: Final = {PV_EV_HEAT_PUMP: ("PV + heat pump", "PV + EV", "heat pump"), FLAT_DISTRICT_HEAT: ("district heat",),
                  GAS: ("gas + water", "large house with gas")}  # fmt: skip
"""A household login's kind → the showcase kinds taken in its place when the fleet has none of it."""
HOUSEHOLDS: Final = (("demo-gas", "electricity + gas", GAS), ("demo-pv-ev-hp", PV_EV_HEAT_PUMP, PV_EV_HEAT_PUMP),
                     ("demo-flat", FLAT_DISTRICT_HEAT, FLAT_DISTRICT_HEAT))  # fmt: skip
"""The showcase customer logins: username, the household it names, the showcase kind it is."""
PROFILE_BY: Final = "demo"


def dwelling_of(t: HouseholdTraits) -> str:
    """The dwelling type derived from the traits (see the module docstring)."""
    plain = not (t.gas or t.heat_pump or t.electric_heating or t.pv_kwp or t.ev_kw)
    if t.district_heat or (plain and t.persons <= 2):
        return "apartment"
    if t.pv_kwp > 0 or t.heat_pump or t.persons >= 5:
        return "detached"
    return "semi_detached" if int(t.serial[-1]) % 2 else "terraced"


def heating_of(t: HouseholdTraits) -> str:
    if t.gas:
        return "gas"
    if t.heat_pump:
        return "heat_pump"
    if t.electric_heating:
        return "electric"
    return "district_heat" if t.district_heat else "other"


def profile_facts(t: HouseholdTraits) -> tuple[int, str, str, int, bool, bool, bool]:
    """(household size, heating, dwelling, floor area m², PV, EV, heat pump) of a simulated home."""
    dwelling = dwelling_of(t)
    area = (35 if dwelling == "apartment" else 80) + 20 * t.persons
    return t.persons, heating_of(t), dwelling, area, t.pv_kwp > 0, t.ev_kw > 0, t.heat_pump


def fill_profiles(store: Store, plan: FleetPlan, now: datetime) -> int:
    """A profile for the current customer of every point of the plan that has none; returns those added."""
    points = {p.ean: p.id for p in store.list_metering_points()}
    with store.read() as conn:
        histories = point_histories(conn, [points[m.ean] for m in plan.meters if m.ean in points])
    added = 0
    with store.write() as conn:
        have = {(p.point_id, p.party_id) for p in latest_home_profiles(conn).values()}
        for m in plan.meters:
            h = histories.get(points.get(m.ean, -1))
            customer = h.current(h.occupants, now) if h is not None else None
            if h is None or customer is None or (h.point_id, customer) in have:
                continue
            size, heating, dwelling, area, pv, ev, hp = profile_facts(HouseholdTraits.draw(m.seed, m.serial))
            set_home_profile(conn, HomeProfile(h.point_id, customer, size, heating, dwelling, area, pv, ev, hp, now,
                                               PROFILE_BY))  # fmt: skip
            added += 1
    return added


def household_homes(
    store: Store, plan: FleetPlan, homes: Sequence[ShowcaseHome], now: datetime
) -> list[tuple[str, str, int, str]]:
    """(username, household, customer party, serial) of each of :data:`HOUSEHOLDS` found among the showcase
    ``homes`` (the kind itself, else its :data:`NEAREST`); a kind with no home at all is left out."""
    by_kind = {h.kind: h for h in homes}
    eans = {m.serial: m.ean for m in plan.meters}
    points = {p.ean: p.id for p in store.list_metering_points()}
    out = []
    for username, household, kind in HOUSEHOLDS:
        home = next((by_kind[k] for k in (kind, *NEAREST.get(kind, ())) if k in by_kind), None)
        point = points.get(eans.get(home.serial, "")) if home is not None else None
        if home is None or point is None:
            continue
        h = store.point_histories([point])[point]
        customer = h.current(h.occupants, now)
        if customer is not None:
            label = household if home.kind == kind else f"{household} (nearest in this fleet: {home.kind})"
            out.append((username, label, customer, home.serial))
    return out


__all__ = [
    "FLAT_DISTRICT_HEAT",
    "HOUSEHOLDS",
    "NEAREST",
    "PV_EV_HEAT_PUMP",
    "SHOWCASE_KINDS",
    "ShowcaseHome",
    "dwelling_of",
    "fill_profiles",
    "heating_of",
    "household_homes",
    "iter_showcase_rows",
    "pick_showcase",
    "profile_facts",
]
