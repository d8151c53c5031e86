"""The portal's view models: what a page shows of the store's rows — display units, labels of where data came
from, the meter list's rows and a channel's daily values.

Days are Europe/Luxembourg local days; a channel's integer base values are shown as kWh, kvarh or m³
(:func:`display_unit`), missing slots count for nothing (:func:`block_total`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from meterhub.cosem import obis as o
from meterhub.cosem.events import EventInfo, event_info, log_title
from meterhub.cosem.names import channel_label
from meterhub.mdm.quality import Quality, codes
from meterhub.portal.i18n import N_
from meterhub.store import Channel, IntervalBlock, Meter, MeterEvent, Store
from meterhub.store.intervals import LOCAL_TZ

PAGE_SIZE = 100
"""Meters per page of the meter list."""
RECENT_DAYS = 2
"""The meter list's and the 1/4 h chart's window: the fleet's newest days."""
EVENTS_SHOWN = 50
A_PLUS = str(o.ACTIVE_ENERGY_IMPORT)
A_MINUS = str(o.ACTIVE_ENERGY_EXPORT)
ENERGY_LABELS = {A_PLUS: "A+", A_MINUS: "A−"}
ENERGY_NAMES = {A_PLUS: channel_label(A_PLUS), A_MINUS: channel_label(A_MINUS)}
"""What charts and tables call the energy registers: ``Import A+ (1.0.1.8.0)``, ``Export A− (1.0.2.8.0)``."""
JSON_LABELS = {A_PLUS: "A+", A_MINUS: "A-"}

SOURCE_LABELS = {
    "hes": N_("head-end (DLMS)"),
    "hes-reread": N_("head-end re-read (DLMS)"),
    "sim-history": N_("simulator history"),
    "vee": N_("validation and estimation (VEE)"),
    "import": N_("CSV import"),
    "edit": N_("manual edit"),
}
"""Where a day's data came from (English; the templates translate)."""
MEDIUM_LABELS = {"electricity": N_("electricity"), "gas": N_("gas"), "water": N_("water"), "heat": N_("heat")}
METER_TITLES = {
    "electricity": N_("Electricity meter %(serial)s"),
    "gas": N_("Gas meter %(serial)s"),
    "water": N_("Water meter %(serial)s"),
    "heat": N_("Heat meter %(serial)s"),
}
ROLE_LABELS = {
    "operator": N_("operator"), "operator_admin": N_("operator admin"), "dso": N_("DSO"), "supplier": N_("supplier"),
    "esp": N_("energy service provider"), "customer": N_("customer"), "auditor": N_("auditor"),
    "installer": N_("installer"),
}  # fmt: skip
SOURCE_COLOURS = {"hes": "#1f6fb2", "hes-reread": "#49a3d9", "sim-history": "#b0b0b0"}
EXPORT_COLOURS = {"hes": "#2e9e5b", "hes-reread": "#6cc58f", "sim-history": "#d2d2d2"}
MEDIUM_COLOURS = {"gas": "#e08a1e", "water": "#2a8fbd", "heat": "#c8453a", "electricity": "#1f6fb2"}
OTHER_COLOUR = "#8a63b8"

_FIRST_DAY = date(1900, 1, 1)
_LAST_DAY = date(9999, 12, 31)


def source_label(source: str | None) -> str:
    if source is None:
        return "—"
    return SOURCE_LABELS.get(source, source)


@dataclass(frozen=True, slots=True)
class DisplayUnit:
    """How a channel's integer base values are shown: value × ``factor`` in ``unit``."""

    factor: float
    unit: str


def display_unit(channel: Channel) -> DisplayUnit:
    """kWh for Wh (electricity and heat), kvarh for varh, m³ for litres; anything else as stored."""
    scale = 10.0**channel.scaler
    unit = channel.unit.strip().lower()
    if unit == "wh":
        return DisplayUnit(scale / 1000, "kWh")
    if unit == "varh":
        return DisplayUnit(scale / 1000, "kvarh")
    if unit in ("l", "litre", "liter", "dm3", "dm³"):
        return DisplayUnit(scale / 1000, "m³")
    if unit in ("m3", "m³"):
        return DisplayUnit(scale, "m³")
    return DisplayUnit(scale, channel.unit)


def block_total(block: IntervalBlock) -> tuple[int, int]:
    """``(sum of the values present, number of slots present)`` — missing slots count for nothing."""
    present = codes(block.quality) != Quality.MISSING
    return int(block.values[present].sum()), int(present.sum())


def local_time(ts: datetime | None) -> str:
    """An instant as Europe/Luxembourg wall time with the zone abbreviation (empty for None)."""
    return "" if ts is None else ts.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S %Z")


def complete_days(newest: date | None, today: date) -> tuple[date, date] | None:
    """The meter list's window: the last :data:`RECENT_DAYS` complete local days — up to yesterday (today is
    still being read), or up to the fleet's ``newest`` day of data when that is older (a store of past data)."""
    if newest is None:
        return None
    last = min(newest, today - timedelta(days=1))
    return last - timedelta(days=RECENT_DAYS - 1), last


def days_label(days: tuple[date, date]) -> str:
    """``2026-11-29 – 2026-11-30``: the window's first and last day (ISO dates, as the rest of the portal)."""
    return f"{days[0].isoformat()} – {days[1].isoformat()}"


@dataclass(frozen=True, slots=True)
class EventRow:
    """One line of a meter's event listing: local time, the log's name and the catalogue's meaning."""

    at: str
    event: MeterEvent
    info: EventInfo
    log_name: str


def event_rows(events: Sequence[MeterEvent]) -> list[EventRow]:
    """The events with their catalogue names (``Voltage sag L3 (78)``; see :mod:`meterhub.cosem.events`)."""
    return [EventRow(local_time(e.occurred_at), e, event_info(e.log, e.code), log_name(e.log)) for e in events]


log_name = log_title


@dataclass(frozen=True, slots=True)
class MeterRow:
    serial: str
    dso: str
    concentrator: str
    sub_meters: str
    kwh: float | None
    complete: bool
    source: str | None


def meter_rows(
    store: Store,
    meters: Sequence[Meter],
    subs_by_parent: dict[int, list[Meter]],
    dso_names: dict[int, str],
    concentrators: dict[int, str],
    days: tuple[date, date] | None,
) -> list[MeterRow]:
    channels = [ch for ch in store.list_channels([m.id for m in meters]) if ch.obis == A_PLUS]
    aplus = {ch.meter_id: ch for ch in channels}
    blocks: dict[int, list[IntervalBlock]] = defaultdict(list)
    if days is not None and channels:
        for block in store.current_blocks([ch.id for ch in channels], *days):
            blocks[block.channel_id].append(block)
    rows = []
    for m in meters:
        ch = aplus.get(m.id)
        kwh: float | None = None
        complete = False
        source: str | None = None
        if ch is not None and days is not None and blocks.get(ch.id):
            own = blocks[ch.id]
            total = sum(block_total(b)[0] for b in own)
            present = sum(block_total(b)[1] for b in own)
            slots = sum(b.slots for b in own)
            kwh = total * display_unit(ch).factor
            complete = len(own) == RECENT_DAYS and present == slots
            source = own[-1].source
        subs = ", ".join(f"{s.medium} (M{s.mbus_channel})" for s in sorted(subs_by_parent.get(m.id, []), key=mbus_key))
        rows.append(
            MeterRow(
                serial=m.serial,
                dso=dso_names.get(m.dso_id, str(m.dso_id)),
                concentrator="direct TCP" if m.concentrator_id is None else concentrators.get(m.concentrator_id, "?"),
                sub_meters=subs,
                kwh=kwh,
                complete=complete,
                source=source,
            )
        )
    return rows


def mbus_key(m: Meter) -> int:
    """Sub-meters in M-Bus channel order."""
    return m.mbus_channel or 0


@dataclass(frozen=True, slots=True)
class DailyValue:
    day: date
    channel: Channel
    value: float
    present: int
    slots: int
    source: str


def daily_values(store: Store, channels: Sequence[Channel]) -> list[DailyValue]:
    """Every stored day of ``channels`` (current versions) in display units, ordered by channel then day."""
    by_id = {ch.id: ch for ch in channels}
    out = []
    for block in store.current_blocks(list(by_id), _FIRST_DAY, _LAST_DAY):
        ch = by_id[block.channel_id]
        total, present = block_total(block)
        out.append(DailyValue(block.local_day, ch, total * display_unit(ch).factor, present, block.slots, block.source))
    return out


__all__ = [
    "A_MINUS",
    "A_PLUS",
    "ENERGY_LABELS",
    "ENERGY_NAMES",
    "EVENTS_SHOWN",
    "JSON_LABELS",
    "PAGE_SIZE",
    "RECENT_DAYS",
    "DailyValue",
    "DisplayUnit",
    "EventRow",
    "MeterRow",
    "block_total",
    "complete_days",
    "daily_values",
    "days_label",
    "display_unit",
    "event_rows",
    "local_time",
    "log_name",
    "mbus_key",
    "meter_rows",
    "source_label",
]
