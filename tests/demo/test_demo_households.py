"""The demo's households (:mod:`meterhub.demo_households`): the showcase kinds the comparison's journeys need come
first, every home gets a profile derived from the simulator's traits (the traits' draws untouched), and the three
showcase customer logins land in ``demo-logins.json`` with the household they are."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from meterhub import demo
from meterhub import demo_households as dhh
from meterhub.demo_market import LOGINS_FILE, ROLES, demo_logins, populate
from meterhub.sim.consumption import HouseholdTraits
from meterhub.sim.fleet import plan_fleet
from meterhub.store import Store
from meterhub.store.home_profiles import latest_home_profiles

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def test_the_default_fleet_has_the_three_households_first() -> None:
    plan = plan_fleet(2000, 40, seed=1)
    homes = dhh.pick_showcase(plan, 16)
    kinds = {h.kind: h for h in homes}
    assert [h.kind for h in homes[:2]] == [dhh.PV_EV_HEAT_PUMP, dhh.FLAT_DISTRICT_HEAT]
    assert kinds[dhh.PV_EV_HEAT_PUMP].serial == "0100001820"  # the only one of 2000 meters
    pv_ev_hp = HouseholdTraits.draw(next(m.seed for m in plan.meters if m.serial == "0100001820"), "0100001820")
    assert pv_ev_hp.pv_kwp > 0 and pv_ev_hp.ev_kw > 0 and pv_ev_hp.heat_pump
    assert set(kinds[dhh.FLAT_DISTRICT_HEAT].sub_meters) == {"water", "heat"}
    assert "gas" in kinds[dhh.GAS].sub_meters


def test_dwelling_is_derived_not_drawn() -> None:
    plan = plan_fleet(300, 0, seed=1)
    for m in plan.meters[:300]:
        t = HouseholdTraits.draw(m.seed, m.serial)
        size, heating, dwelling, area, pv, ev, hp = dhh.profile_facts(t)
        assert (size, pv, ev, hp) == (t.persons, t.pv_kwp > 0, t.ev_kw > 0, t.heat_pump)
        if t.district_heat:
            assert (heating, dwelling) == ("district_heat", "apartment")
        if t.pv_kwp or t.heat_pump or t.persons >= 5:
            assert dwelling == "detached" or t.district_heat
        assert area == (35 if dwelling == "apartment" else 80) + 20 * t.persons
    assert HouseholdTraits.draw(1, "x") == HouseholdTraits.draw(1, "x")


def test_profiles_and_household_logins_in_a_small_market(tmp_path: Path) -> None:
    plan = plan_fleet(200, 4, seed=1)
    homes = dhh.pick_showcase(plan, 16)
    kinds = [h.kind for h in homes]
    assert dhh.PV_EV_HEAT_PUMP not in kinds and kinds[0] == dhh.FLAT_DISTRICT_HEAT  # 200 meters: no PV + EV + HP
    with Store.open(tmp_path) as store:
        start = NOW - timedelta(days=60)
        demo.provision(store, plan, start)
        populate(store, start)
        assert dhh.fill_profiles(store, plan, NOW) == 200
        assert dhh.fill_profiles(store, plan, NOW) == 0  # kept, never overwritten
        with store.read() as conn:
            profiles = latest_home_profiles(conn)
        assert len(profiles) == 200
        households = dhh.household_homes(store, plan, homes, NOW)
        names = [h[0] for h in households]
        assert names == ["demo-gas", "demo-pv-ev-hp", "demo-flat"]
        pv = next(h for h in households if h[0] == "demo-pv-ev-hp")
        assert pv[1] == "PV + EV + heat pump (nearest in this fleet: PV + heat pump)"
        logins = demo_logins(store, tmp_path, NOW, households)
        assert sorted(x.role for x in logins if x.household is None) == sorted(ROLES)
        extra = [x for x in logins if x.household is not None]
        assert [(x.username, x.role) for x in extra] == [(n, "customer") for n in names]
        saved = json.loads((tmp_path / LOGINS_FILE).read_text())
        assert {x["username"]: x["household"] for x in saved if x["household"]}["demo-gas"] == "electricity + gas"
        assert demo_logins(store, tmp_path, NOW, households) == logins  # a re-run keeps them
        flat = next(h for h in households if h[0] == "demo-flat")
        point = next(p for p, prof in profiles.items() if prof.party_id == flat[2])
        assert (profiles[point].heating, profiles[point].dwelling) == ("district_heat", "apartment")
