"""The event-code catalogue: every (log, code) the simulated meters emit is named, names agree with the
simulator's IDIS/DSMR table, the alarm bits the push raises are named, unknown codes still get a label."""

from __future__ import annotations

import datetime as dt

from meterhub.cosem.events import EVENTS, LOG_SEVERITY, LOGS, SEVERITIES, event_info, event_label
from meterhub.sim.consumption.events import ALARM_BITS, EVENT_CODES, EventModel
from meterhub.sim.consumption.traits import first_households


def test_every_simulated_event_is_in_the_catalogue() -> None:
    seen: set[tuple[str, int]] = set()
    for traits in list(first_households(3, {"any": lambda t: True, "mbus": lambda t: t.gas or t.water}).values()):
        start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        for e in EventModel(traits).events(start, start + dt.timedelta(days=3 * 365)):
            seen.add((e.log, e.code))
    assert {log for log, _ in seen} >= {"standard", "fraud", "power_quality", "mbus", "power_failure"}
    for log, code in seen:
        assert (log, code) in EVENTS, (log, code)


def test_names_agree_with_the_simulators_table() -> None:
    by_code = {code: info for (log, code), info in EVENTS.items() if log not in ("alarm", "power_failure")}
    for code, text in EVENT_CODES.items():
        words = text.split(" (")[0].split()[:2]  # e.g. "voltage sag", "terminal cover", "communication error"
        assert " ".join(words).lower() in by_code[code].name.lower(), (code, text, by_code[code].name)
    for bit in ALARM_BITS.values():
        assert ("alarm", bit) in EVENTS


def test_labels_severities_and_unknown_codes() -> None:
    assert event_label("power_quality", 78) == "Voltage sag L3 (78)"
    assert event_label("standard", 5) == "Clock adjusted (new date/time) (5)"
    assert event_info("mbus", 122).name == "Replace battery, M-Bus channel 3"
    assert event_info("fraud", 40).severity == "high"
    assert all(i.severity in SEVERITIES and i.log in LOGS for i in EVENTS.values())
    assert set(LOG_SEVERITY) == set(LOGS)
    odd = event_info("standard", 199)
    assert odd.label == "Unknown event of the standard log (199)" and odd.severity == "info"
    assert event_info("communication", 250).name == "Manufacturer-specific event 250"


def test_channel_names_and_labels() -> None:
    from meterhub.cosem.names import channel_label, channel_name

    assert channel_label("1.0.1.8.0.255") == "Import A+ (1.0.1.8.0)"
    assert channel_label("1-0:2.8.0") == "Export A− (1.0.2.8.0)"
    assert channel_name("0.1.24.2.1.255", "gas") == "Gas, M-Bus channel 1"
    assert channel_label("0.2.24.2.1.255") == "M-Bus value, M-Bus channel 2 (0.2.24.2.1)"
    assert channel_label("1.0.99.1.0.255") == "1.0.99.1.0" and channel_label("junk") == "junk"
