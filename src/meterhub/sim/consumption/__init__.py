"""Deterministic, seedable household and sub-meter models for the simulator: from (fleet seed, serial) each meter
gets :class:`HouseholdTraits` and models that give quarter-hour electricity intervals (A+, A−, R+, R−, BDEW H0 shape
with dynamisation and appliance events — kettle, hob, oven, wet appliances, sauna —, Luxembourg day types and DST,
electric heating and heat pumps on heating degree days, EV charging, PV with net metering), hourly gas/water/heat
intervals, exact cumulative and TOU registers, voltages and currents, meter events with IDIS/DSMR codes, and JSON
fault scenarios with ground truth; everything is computed on demand from counter-based hashes (no state grows with
time, no clock is read, no I/O except the scenario file helpers), and the integer interval values of a local day
are a floor-of-cumulative split of exact integer block totals, so that registers are a closed sum of day-level
totals (vectorised over days) plus one partial day.

The package reads bottom-up: :mod:`~.base` (time axis), :mod:`~.rng` (counter-based hashes), :mod:`~.weather`,
:mod:`~.calendar` (day types, H0, per-day tables), :mod:`~.traits`, :mod:`~.engine` (the day engine),
:mod:`~.appliances` (appliance events carved out of the base load), :mod:`~.electricity`, :mod:`~.submeters`,
:mod:`~.events` and :mod:`~.scenarios`. This module re-exports their public names for the callers that import
them from here.
"""

from meterhub.sim.consumption.base import MODEL_EPOCH
from meterhub.sim.consumption.electricity import ElectricityModel
from meterhub.sim.consumption.events import (
    ALARM_BITS,
    EVENT_CODES,
    EventLog,
    EventModel,
    SimEvent,
    alarm_register_bits,
)
from meterhub.sim.consumption.scenarios import (
    FAULT_TYPES,
    MISSING,
    Fault,
    FaultScenario,
    GroundTruthRecord,
    ScenarioError,
    TruthSource,
    model_truth,
)
from meterhub.sim.consumption.submeters import GasModel, HeatModel, HourlyModel, WaterModel, sub_meter_models
from meterhub.sim.consumption.traits import HouseholdTraits
from meterhub.sim.consumption.weather import heating_degree_days, temperature_c

__all__ = [
    "ALARM_BITS",
    "EVENT_CODES",
    "FAULT_TYPES",
    "MISSING",
    "MODEL_EPOCH",
    "ElectricityModel",
    "EventLog",
    "EventModel",
    "Fault",
    "FaultScenario",
    "GasModel",
    "GroundTruthRecord",
    "HeatModel",
    "HourlyModel",
    "HouseholdTraits",
    "ScenarioError",
    "SimEvent",
    "TruthSource",
    "WaterModel",
    "alarm_register_bits",
    "heating_degree_days",
    "model_truth",
    "sub_meter_models",
    "temperature_c",
]
