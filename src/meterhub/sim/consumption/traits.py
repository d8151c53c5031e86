"""What a simulated household is: :class:`HouseholdTraits`, drawn once and deterministically from (fleet seed,
meter serial) — persons, annual electricity use and its parts (base load, electric heating or heat pump, EV
charging), rooftop PV, reactive ratio, the sub-meters present (gas, water, district heat) with their yearly use,
and the meter's age at the model epoch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from meterhub.sim.consumption.rng import stable_key

__all__ = ["HouseholdTraits", "first_households"]


@dataclass(frozen=True)
class HouseholdTraits:
    """What a simulated household is: drawn once, deterministically, from (fleet seed, meter serial)."""

    seed: int
    serial: str
    key: int  # 64-bit stable key of (seed, serial): the root of every noise stream of this meter
    persons: int
    annual_kwh: float  # expected total electricity use (base + heating + heat pump + EV), 2 000–9 000
    base_kwh: float
    electric_heating: bool
    heating_kwh: float
    heat_pump: bool
    heat_pump_kwh: float
    ev_kw: float  # 0 (no EV), 3.7 or 11
    ev_kwh: float
    pv_kwp: float  # 0 when no PV
    reactive_ratio: float  # R+ as a fraction of A+ (0.1–0.3)
    gas: bool
    gas_m3_year: float
    water: bool
    water_l_person_day: float
    district_heat: bool
    heat_kwh_year: float
    install_years: float  # age of the meter at MODEL_EPOCH (sets the installation readings)

    @classmethod
    def draw(cls, seed: int, serial: str) -> HouseholdTraits:
        """Draw the traits of meter ``serial`` in fleet ``seed`` (numpy Philox seeded by a blake2b key)."""
        key = stable_key("household", seed, serial)
        u: list[float] = np.random.Generator(np.random.Philox(key)).random(24).tolist()
        persons = 1 + int(np.searchsorted(np.cumsum([0.33, 0.32, 0.15, 0.14, 0.06]), u[0]))
        base = (1300.0 + 820.0 * persons) * (0.75 + 0.5 * u[1])
        heating_source = u[2]  # one main heating per home: HP 8 %, electric 6 %, district 5 %, gas 30 %, other
        heat_pump = heating_source < 0.08
        electric = 0.08 <= heating_source < 0.14
        district = 0.14 <= heating_source < 0.19
        gas = 0.19 <= heating_source < 0.49
        heating_kwh = (2000.0 + 2500.0 * u[3]) if electric else 0.0
        hp_kwh = (2200.0 + 2600.0 * u[4]) if heat_pump else 0.0
        ev_kw = 0.0 if u[5] >= 0.10 else (11.0 if u[6] < 0.4 else 3.7)
        ev_kwh = (1500.0 + 1700.0 * u[7]) if ev_kw else 0.0
        total = base + heating_kwh + hp_kwh + ev_kwh
        annual = min(max(total, 2000.0), 9000.0)
        scale = annual / total
        size = persons + 2 * u[8]
        return cls(
            seed=seed,
            serial=serial,
            key=key,
            persons=persons,
            annual_kwh=annual,
            base_kwh=base * scale,
            electric_heating=electric,
            heating_kwh=heating_kwh * scale,
            heat_pump=heat_pump,
            heat_pump_kwh=hp_kwh * scale,
            ev_kw=ev_kw,
            ev_kwh=ev_kwh * scale,
            pv_kwp=round(3.0 + 7.0 * u[10], 1) if u[9] < 0.20 else 0.0,
            reactive_ratio=0.10 + 0.20 * u[11],
            gas=gas,
            gas_m3_year=(700.0 + 260.0 * size) * (0.8 + 0.4 * u[12]),
            water=u[13] < 0.40,
            water_l_person_day=105.0 + 40.0 * u[14],
            district_heat=district,
            heat_kwh_year=(6000.0 + 2200.0 * size) * (0.8 + 0.4 * u[15]),
            install_years=0.2 + 7.5 * u[16],
        )


def first_households(
    seed: int, kinds: Mapping[str, Callable[[HouseholdTraits], bool]], serial: str = "LU{:08d}", limit: int = 5000
) -> dict[str, HouseholdTraits]:
    """The first household of each kind among the meters ``serial.format(0)``, ``serial.format(1)`` … of fleet
    ``seed`` — for tests and benchmarks that need, say, a plain home and one with PV, an EV and a heat pump.
    ``LookupError`` names the kinds not found among the first ``limit`` meters."""
    found: dict[str, HouseholdTraits] = {}
    for i in range(limit):
        traits = HouseholdTraits.draw(seed, serial.format(i))
        for kind, predicate in kinds.items():
            if kind not in found and predicate(traits):
                found[kind] = traits
        if len(found) == len(kinds):
            return {kind: found[kind] for kind in kinds}
    raise LookupError(f"no household of kind {sorted(set(kinds) - set(found))} among the first {limit} meters")
