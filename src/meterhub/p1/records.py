"""A reading as JSON-ready records: the full telegram in base units, and the flat per-field values of the MQTT
topics (dsmr-reader's names and units: kWh, kW, V, A, m³), plus the topic layout itself. Pure functions.

Topic layout (``PREFIX`` defaults to ``meterhub/p1``, ``SERIAL`` is the meter's equipment identifier)::

    PREFIX/SERIAL/json                          the whole telegram, JSON, base units (Wh, W, V, A, litres)
    PREFIX/SERIAL/reading/<field>               one value per topic, dsmr-reader units (see FIELD_UNITS)
    PREFIX/SERIAL/mbus/<channel>/<field>        device_type, equipment_id, timestamp, delivered (m³ or kWh)
    PREFIX/SERIAL/consumption/gas/{delivered,read_at}   the first gas sub-meter, as dsmr-reader names it
    PREFIX/SERIAL/stats                         the reader's counters (frames ok, rejected by reason, garbage)
"""

from __future__ import annotations

import re
from typing import Any, Final

from meterhub.p1.receiver import Reading
from meterhub.p1.telegram import MBUS_GAS, Telegram

__all__ = ["FIELD_UNITS", "meter_id", "reading_fields", "reading_record", "topics"]

#: Per-field topics: name → unit of the published number.
FIELD_UNITS: Final[dict[str, str]] = {
    "timestamp": "ISO 8601, UTC",
    "frame_counter": "",
    "electricity_delivered": "kWh",
    "electricity_returned": "kWh",
    "reactive_delivered": "kvarh",
    "reactive_returned": "kvarh",
    "electricity_tariff": "",
    "electricity_currently_delivered": "kW",
    "electricity_currently_returned": "kW",
    **{f"phase_currently_delivered_l{n}": "kW" for n in (1, 2, 3)},
    **{f"phase_currently_returned_l{n}": "kW" for n in (1, 2, 3)},
    **{f"phase_voltage_l{n}": "V" for n in (1, 2, 3)},
    **{f"phase_power_current_l{n}": "A" for n in (1, 2, 3)},
    "power_failure_count": "",
    "long_power_failure_count": "",
    **{f"voltage_sag_count_l{n}": "" for n in (1, 2, 3)},
    **{f"voltage_swell_count_l{n}": "" for n in (1, 2, 3)},
    "text_message": "",
}

_SAFE: Final = re.compile(r"[^A-Za-z0-9_.-]")


def meter_id(reading: Reading) -> str:
    """The meter's name in topics and records: its equipment identifier, else its system title in hex."""
    name = reading.telegram.equipment_id or reading.system_title.hex().upper()
    return _SAFE.sub("_", name)[:64] or "unknown"


def _iso(t: Any) -> str | None:
    return None if t is None else str(t.isoformat())


def reading_record(reading: Reading) -> dict[str, Any]:
    """The whole reading, JSON-ready, integers in base units (the ``json`` topic, the live page, the forwarder)."""
    t: Telegram = reading.telegram
    return {
        "meter": meter_id(reading),
        "system_title": reading.system_title.hex().upper(),
        "frame_counter": reading.frame_counter,
        "timestamp": _iso(t.timestamp),
        "header": t.header,
        "version": t.version,
        "energy_import_wh": t.energy_import_wh,
        "energy_export_wh": t.energy_export_wh,
        "reactive_import_varh": t.reactive_import_varh,
        "reactive_export_varh": t.reactive_export_varh,
        "tariff": t.tariff,
        "power_import_w": t.power_import_w,
        "power_export_w": t.power_export_w,
        "power_import_phase_w": list(t.power_import_phase_w),
        "power_export_phase_w": list(t.power_export_phase_w),
        "voltage_v": list(t.voltage_v),
        "current_a": list(t.current_a),
        "power_failures": t.power_failures,
        "long_power_failures": t.long_power_failures,
        "power_failure_log": [{"end": _iso(p.end), "duration_s": p.duration_s} for p in t.power_failure_log],
        "voltage_sags": list(t.voltage_sags),
        "voltage_swells": list(t.voltage_swells),
        "breaker_state": t.breaker_state,
        "text_message": t.text_message,
        "mbus": [
            {
                "channel": m.channel,
                "device_type": m.device_type,
                "equipment_id": m.equipment_id,
                "captured_at": _iso(m.captured_at),
                "value": m.value,
                "unit": m.unit,
            }
            for m in t.mbus
        ],
        "other": [[obis, values] for obis, values in t.other],
    }


def _k(value: int | None) -> float | None:
    return None if value is None else value / 1000


def reading_fields(reading: Reading) -> dict[str, str | int | float | None]:
    """Flat field → value in the units of :data:`FIELD_UNITS` (absent lines give None)."""
    t = reading.telegram
    out: dict[str, str | int | float | None] = {
        "timestamp": _iso(t.timestamp),
        "frame_counter": reading.frame_counter,
        "electricity_delivered": _k(t.energy_import_wh),
        "electricity_returned": _k(t.energy_export_wh),
        "reactive_delivered": _k(t.reactive_import_varh),
        "reactive_returned": _k(t.reactive_export_varh),
        "electricity_tariff": t.tariff,
        "electricity_currently_delivered": _k(t.power_import_w),
        "electricity_currently_returned": _k(t.power_export_w),
        "power_failure_count": t.power_failures,
        "long_power_failure_count": t.long_power_failures,
        "text_message": t.text_message,
    }
    for n in range(3):
        out[f"phase_currently_delivered_l{n + 1}"] = _k(t.power_import_phase_w[n])
        out[f"phase_currently_returned_l{n + 1}"] = _k(t.power_export_phase_w[n])
        out[f"phase_voltage_l{n + 1}"] = t.voltage_v[n]
        out[f"phase_power_current_l{n + 1}"] = t.current_a[n]
        out[f"voltage_sag_count_l{n + 1}"] = t.voltage_sags[n]
        out[f"voltage_swell_count_l{n + 1}"] = t.voltage_swells[n]
    return out


def topics(reading: Reading, prefix: str = "meterhub/p1") -> list[tuple[str, str]]:
    """Every (topic, payload) of one reading, the JSON topic first; absent values are not published."""
    import json

    base = f"{prefix.rstrip('/')}/{meter_id(reading)}"
    out = [(f"{base}/json", json.dumps(reading_record(reading), separators=(",", ":")))]
    out += [
        (f"{base}/reading/{name}", str(value)) for name, value in reading_fields(reading).items() if value is not None
    ]
    for m in reading.telegram.mbus:
        mb = f"{base}/mbus/{m.channel}"
        out += [(f"{mb}/device_type", str(m.device_type)), (f"{mb}/equipment_id", str(m.equipment_id))]
        if m.value is not None:
            out += [(f"{mb}/timestamp", str(_iso(m.captured_at))), (f"{mb}/delivered", str(m.value / 1000))]
    gas = reading.telegram.mbus_channel(MBUS_GAS)
    if gas is not None and gas.value is not None:
        out += [
            (f"{base}/consumption/gas/delivered", str(gas.value / 1000)),
            (f"{base}/consumption/gas/read_at", str(_iso(gas.captured_at))),
        ]
    return out
