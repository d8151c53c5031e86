"""What a household's pages read, through the one policy layer: :class:`Household` — the person's visible metering
points, each point's media (electricity import A+ and export A−, gas, water, heat) with their channel and unit,
and any series of them cut to the person's windows, every read appended to the access log.

Every household page (home, history, comparison, advice, costs, network tariff, live, downloads) makes one
``Household(portal, person, page)`` per request and asks it — never the store around it. ``page`` names the read
in the access log (``portal:history``). A point outside the person's windows raises
:class:`~meterhub.api.service.NotVisible` (the page answers 404). :meth:`Household.series` answers
:class:`~meterhub.api.series.Series` at ``15min`` … ``year`` like the API, :meth:`Household.slots` the raw
slots as numpy arrays (epoch starts, values in physical units, quality codes) for the pages' analyses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Final

import numpy as np
import numpy.typing as npt

from meterhub.api.series import Resolution, Series, point_series, window_slots
from meterhub.api.service import Access, VisiblePoint
from meterhub.api.spans import Window
from meterhub.portal.deps import Person, Portal
from meterhub.store.channels import Channel
from meterhub.store.inventory import PointMeter

A_PLUS: Final = "1.0.1.8.0.255"
"""Active energy import, the quarter-hour load profile's first channel (OBIS 1-0:1.8.0)."""
A_MINUS: Final = "1.0.2.8.0.255"
"""Active energy export (OBIS 1-0:2.8.0): PV feed-in."""


@dataclass(frozen=True, slots=True)
class Medium:
    """One thing a point measures, as a household sees it."""

    key: str  # electricity_import, electricity_export, gas, water, heat
    obis: str
    unit: str  # the channel's unit: Wh, l (gas and water), Wh (heat)
    interval_s: int


MEDIUM_ORDER: Final = ("electricity_import", "electricity_export", "gas", "water", "heat")


def media_of(meters: list[tuple[PointMeter, Channel]]) -> list[Medium]:
    """The media of a point's channels (reactive energy left out), in :data:`MEDIUM_ORDER`."""
    found: dict[str, Medium] = {}
    for _pm, c in meters:
        if c.medium == "electricity":
            key = {A_PLUS: "electricity_import", A_MINUS: "electricity_export"}.get(c.obis)
        else:
            key = c.medium if c.medium in ("gas", "water", "heat") else None
        if key is not None and key not in found:
            found[key] = Medium(key, c.obis, c.unit, c.interval_s)
    return [found[k] for k in MEDIUM_ORDER if k in found]


@dataclass(frozen=True, slots=True)
class Slots:
    """Raw slots of one channel over the visible windows: starts (epoch s), values (physical units), quality."""

    epochs: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]
    quality: npt.NDArray[np.int8]
    interval_s: int
    unit: str


class Household:
    """One request's reads for one person (see the module docstring)."""

    def __init__(self, portal: Portal, person: Person, page: str) -> None:
        self.portal = portal
        self.person = person
        self.route = f"portal:{page}"
        self.now = portal.settings.clock()
        self.access = Access(portal.store, person.caller, self.now)
        self._meters: dict[int, list[tuple[PointMeter, Channel]]] = {}

    @cached_property
    def points(self) -> list[VisiblePoint]:
        """The person's visible points (a household has a few; at most 100 shown)."""
        return self.access.page(limit=100)

    def point(self, point_id: int) -> VisiblePoint:
        """One visible point or :class:`NotVisible`."""
        return self.access.point(point_id)

    def channels(self, point_id: int, obis: str | None = None) -> list[tuple[PointMeter, Channel]]:
        """The point's meters with their channels (only ``obis`` if given), read once per request."""
        if point_id not in self._meters:
            store = self.portal.store
            meters = store.point_meters(point_id)
            channels = store.list_channels([pm.meter.id for pm in meters]) if meters else []
            self._meters[point_id] = [(pm, c) for pm in meters for c in channels if c.meter_id == pm.meter.id]
        return [(pm, c) for pm, c in self._meters[point_id] if obis in (None, c.obis)]

    def media(self, point_id: int) -> list[Medium]:
        return media_of(self.channels(point_id))

    def windows(self, point_id: int, start: datetime, end: datetime) -> list[Window]:
        """The person's interval-data windows of [start, end) (:class:`NotVisible` if none)."""
        return self.access.windows(point_id, "interval_data", start, end)

    def series(self, point_id: int, obis: str, start: datetime, end: datetime, resolution: Resolution) -> Series:
        """The channel's series over the person's windows at ``resolution``, logged; LookupError: no such channel."""
        windows = self.windows(point_id, start, end)
        out = point_series(self.portal.store, windows, self.channels(point_id, obis), resolution)
        self.access.log(point_id, "interval_data", windows, self.route, None)
        return out

    def slots(self, point_id: int, obis: str, start: datetime, end: datetime) -> Slots:
        """The channel's raw slots over the person's windows, logged; LookupError: no such channel."""
        windows = self.windows(point_id, start, end)
        meters = self.channels(point_id, obis)
        if not meters:
            raise LookupError("no such channel")
        e, v, q = window_slots(self.portal.store, windows, meters, None)
        self.access.log(point_id, "interval_data", windows, self.route, None)
        c = meters[0][1]
        return Slots(e.astype(np.int64), v.astype(np.float64), q.astype(np.int8), c.interval_s, c.unit)


__all__ = ["A_MINUS", "A_PLUS", "MEDIUM_ORDER", "Household", "Medium", "Slots", "media_of"]
