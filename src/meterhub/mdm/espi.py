"""Green Button (NAESB REQ.21 ESPI) export: a metering point's interval series as an Atom feed.

The feed (``shared/ref/espi``: ``espi.xsd`` 4.0 with the Green Button Atom schema) holds one ``LocalTimeParameters``
entry (Europe/Luxembourg: tzOffset 3600 s, dstOffset 3600 s, DST from the last Sunday of March 02:00 to the last
Sunday of October 03:00 local, as ESPI's 32-bit rule bit maps — :func:`dst_rule`) and per metering point and
medium a ``UsagePoint`` (ServiceCategory kind 0 electricity, 1 gas, 2 water, 4 heat) with, per channel, a
``MeterReading``, its ``ReadingType`` (accumulationBehaviour 4 delta data, commodity, flowDirection 1 import / 19
export, intervalLength 900 or 3600 s, kind 12 energy or 58 volume, powerOfTenMultiplier, uom 72 Wh or 42 m³) and
``IntervalBlock`` entries: one per local day, split where a slot is missing, so that every block's readings are
contiguous (each reading's timePeriod starts where the last ended) and the block's ``interval`` spans exactly
them. ``value`` is the stored integer count; value × 10^powerOfTenMultiplier is the quantity in uom (litres are
m³ × 10^-3). Each reading carries its ``ReadingQuality`` (:data:`QUALITY_OF_READING`: our quality codes → ESPI
QualityOfReading). A ``UsageSummary`` per usage point gives the period's total (overallConsumptionLastPeriod).
Times are UTC epoch seconds. :func:`feed_chunks` gives the feed in pieces of :data:`BLOCKS_PER_FLUSH` blocks (what
a streamed HTTP answer sends; :func:`write_feed` writes them to a file). The URL tree is the REST API's
(``…/UsagePoint/{id}/MeterReading/{id}/IntervalBlock/{id}``; ``ReadingType/{id}`` and ``LocalTimeParameters/{id}``
top level) under ``base_url``.
"""

from __future__ import annotations

import itertools
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO

import numpy as np

from meterhub.mdm.quality import EstimationMethod, Quality
from meterhub.mdm.series import Series, point_channels, point_series
from meterhub.store import Store
from meterhub.store.intervals import day_start_epoch

ATOM = "http://www.w3.org/2005/Atom"
ESPI = "http://naesb.org/espi"
ET.register_namespace("", ATOM)
ET.register_namespace("espi", ESPI)

SERVICE_KIND = {"electricity": 0, "gas": 1, "water": 2, "heat": 4}
COMMODITY = {"electricity": 1, "gas": 7, "water": 9, "heat": 12}
UOM_WH, UOM_M3 = 72, 42
KIND_ENERGY, KIND_VOLUME = 12, 58
FLOW_FORWARD, FLOW_REVERSE = 1, 19
DELTA_DATA = 4

QUALITY_OF_READING = {
    Quality.MEASURED: 14,  # not validated (yet)
    Quality.VALIDATED: 0,  # valid
    Quality.EDITED: 7,  # replaced or approved by a human
    Quality.SUSPECT: 10,  # failed one or more checks
}
"""ESPI QualityOfReading of our quality codes; ESTIMATED is 9 (linear interpolation) or 8 (other estimates)."""


def quality_of_reading(q: int) -> int:
    """The ESPI QualityOfReading of a quality byte (:mod:`meterhub.mdm.quality`)."""
    code = q & 0x07
    if code == Quality.ESTIMATED:
        return 9 if (q >> 3) == EstimationMethod.INTERPOLATION else 8
    return QUALITY_OF_READING[Quality(code)]


def dst_rule(month: int, operator: int, weekday: int, hour: int, day_of_month: int = 0, seconds: int = 0) -> str:
    """An ESPI DstRuleType bit map as 8 hex digits (espi.xsd: bits 0–11 seconds, 12–16 hour, 17–19 weekday with
    Monday 1, 20–24 day of month, 25–27 operator, 28–31 month)."""
    v = (month << 28) | (operator << 25) | (day_of_month << 20) | (weekday << 17) | (hour << 12) | seconds
    return f"{v:08X}"


LAST_OCCURRENCE, SUNDAY = 7, 7
DST_START_EU = dst_rule(3, LAST_OCCURRENCE, SUNDAY, 2)  # 3E0E2000: last Sunday of March, 02:00 local
DST_END_EU = dst_rule(10, LAST_OCCURRENCE, SUNDAY, 3)  # AE0E3000: last Sunday of October, 03:00 local


@dataclass(frozen=True, slots=True)
class Channel:
    """One channel of a usage point in the feed: its OBIS code, medium and series."""

    obis: str
    medium: str
    series: Series

    @property
    def export(self) -> bool:
        return self.obis.startswith("1.0.2.8")  # A− (1.0.2.8.x): energy exported to the grid


@dataclass(frozen=True, slots=True)
class UsagePointData:
    """A metering point's channels of one medium."""

    point_id: int
    ean: str
    medium: str
    channels: tuple[Channel, ...]


def _el(parent: ET.Element, tag: str, text: object | None = None, ns: str = ESPI) -> ET.Element:
    e = ET.SubElement(parent, f"{{{ns}}}{tag}")
    if text is not None:
        e.text = str(text)
    return e


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Feed:
    def __init__(self, base_url: str, now: datetime, title: str, *, as_text: bool = False) -> None:
        self.texts: dict[str, str] | None = {} if as_text else None
        self.base = base_url.rstrip("/")
        self.now = _iso(now)
        self.root = ET.Element(f"{{{ATOM}}}feed")
        self.ns = uuid.uuid5(uuid.NAMESPACE_URL, self.base)
        _el(self.root, "id", f"urn:uuid:{uuid.uuid5(self.ns, 'feed')}", ATOM)
        _el(self.root, "title", title, ATOM)
        _el(self.root, "updated", self.now, ATOM)
        link = _el(self.root, "link", ns=ATOM)
        link.set("rel", "self")
        link.set("href", f"{self.base}/Batch")

    def entry(self, path: str, title: str, related: Sequence[str] = ()) -> ET.Element:
        """An entry for the resource at ``path`` (relative to base); returns its ``content`` element."""
        e = _el(self.root, "entry", ns=ATOM)
        _el(e, "id", f"urn:uuid:{uuid.uuid5(self.ns, path)}", ATOM)
        for rel, href in [("self", path), ("up", path.rsplit("/", 1)[0])] + [("related", r) for r in related]:
            link = _el(e, "link", ns=ATOM)
            link.set("rel", rel)
            link.set("href", f"{self.base}/{href}")
        _el(e, "title", title, ATOM)
        _el(e, "published", self.now, ATOM)
        _el(e, "updated", self.now, ATOM)
        return _el(e, "content", ns=ATOM)


def _runs(s: Series) -> Iterator[tuple[int, int]]:
    """``[a, b)`` index runs of present slots, cut at local midnights and at missing slots."""
    present = ~np.isnan(s.values)
    cuts = {0, s.slots}
    for d in s.days()[1:]:
        cuts.add(int((day_start_epoch(d) - int(s.starts[0])) // s.interval_s))
    change = np.flatnonzero(np.diff(present.astype(np.int8))) + 1
    cuts.update(int(c) for c in change)
    edges = sorted(cuts)
    for a, b in itertools.pairwise(edges):
        if b > a and present[a]:
            yield a, b


def _reading_type(content: ET.Element, ch: Channel) -> None:
    rt = _el(content, "ReadingType")
    volume = ch.series.unit == "l"
    _el(rt, "accumulationBehaviour", DELTA_DATA)
    _el(rt, "commodity", COMMODITY[ch.medium])
    _el(rt, "flowDirection", FLOW_REVERSE if ch.export else FLOW_FORWARD)
    _el(rt, "intervalLength", ch.series.interval_s)
    _el(rt, "kind", KIND_VOLUME if volume else KIND_ENERGY)
    _el(rt, "powerOfTenMultiplier", ch.series.scaler - 3 if volume else ch.series.scaler)
    _el(rt, "uom", UOM_M3 if volume else UOM_WH)


def _counts(s: Series) -> np.ndarray:
    """The stored integer counts (value ÷ 10^scaler) of the series, 0 where missing."""
    return np.rint(np.nan_to_num(s.values, nan=0.0) / 10.0**s.scaler).astype(np.int64)


def _quality_table() -> list[int]:
    """QualityOfReading of every quality byte (0 for bytes no slot with a value carries)."""
    out = []
    for q in range(256):
        try:
            out.append(quality_of_reading(q))
        except (KeyError, ValueError):
            out.append(0)
    return out


_QOR = _quality_table()
_READING = (
    "<espi:IntervalReading><espi:ReadingQuality><espi:quality>{}</espi:quality></espi:ReadingQuality>"
    "<espi:timePeriod><espi:duration>{}</espi:duration><espi:start>{}</espi:start></espi:timePeriod>"
    "<espi:value>{}</espi:value></espi:IntervalReading>"
)


def _interval_block_text(s: Series, counts: np.ndarray, a: int, b: int) -> str:
    """The IntervalBlock of slots [a, b) as XML text (what :func:`_interval_block` builds, without the tree:
    the streamed feed's fast path; the tests check both give the same canonical XML)."""
    d = s.interval_s
    head = (
        f"<espi:IntervalBlock><espi:interval><espi:duration>{(b - a) * d}</espi:duration>"
        f"<espi:start>{int(s.starts[a])}</espi:start></espi:interval>"
    )
    rows = "".join(
        _READING.format(_QOR[q], d, t, v)
        for t, v, q in zip(s.starts[a:b].tolist(), counts[a:b].tolist(), s.quality[a:b].tolist(), strict=True)
    )
    return head + rows + "</espi:IntervalBlock>"


def _interval_block(content: ET.Element, s: Series, counts: np.ndarray, a: int, b: int) -> None:
    ib = _el(content, "IntervalBlock")
    interval = _el(ib, "interval")
    _el(interval, "duration", (b - a) * s.interval_s)
    _el(interval, "start", int(s.starts[a]))
    starts, qualities = s.starts[a:b].tolist(), s.quality[a:b].tolist()
    for t, v, q in zip(starts, counts[a:b].tolist(), qualities, strict=True):
        ir = _el(ib, "IntervalReading")
        _el(_el(ir, "ReadingQuality"), "quality", quality_of_reading(q))
        tp = _el(ir, "timePeriod")
        _el(tp, "duration", s.interval_s)
        _el(tp, "start", t)
        _el(ir, "value", v)


def _usage_summary(content: ET.Element, up: UsagePointData, now: datetime) -> None:
    main = next((c for c in up.channels if not c.export), up.channels[0])
    s = main.series
    us = _el(content, "UsageSummary")
    period = _el(us, "billingPeriod")
    _el(period, "duration", int(s.starts[-1]) + s.interval_s - int(s.starts[0]) if s.slots else 0)
    _el(period, "start", int(s.starts[0]) if s.slots else 0)
    _el(us, "currency", 978)  # EUR (ISO 4217)
    total = _el(us, "overallConsumptionLastPeriod")
    volume = s.unit == "l"
    _el(total, "powerOfTenMultiplier", s.scaler - 3 if volume else s.scaler)
    _el(total, "timeStamp", int(now.timestamp()))
    _el(total, "uom", UOM_M3 if volume else UOM_WH)
    _el(total, "value", int(_counts(s).sum()))
    q = s.quality[~np.isnan(s.values)]
    codes = {quality_of_reading(int(x)) for x in np.unique(q)}
    _el(us, "qualityOfReading", codes.pop() if len(codes) == 1 else 13)  # 13: mixed
    _el(us, "statusTimeStamp", int(now.timestamp()))
    _el(us, "commodity", COMMODITY[up.medium])


_LTP = "LocalTimeParameters/1"


def _local_time_entry(feed: _Feed) -> None:
    c = _el(feed.entry(_LTP, "Europe/Luxembourg"), "LocalTimeParameters")
    _el(c, "dstEndRule", DST_END_EU)
    _el(c, "dstOffset", 3600)
    _el(c, "dstStartRule", DST_START_EU)
    _el(c, "tzOffset", 3600)


BLOCKS_PER_FLUSH = 31
"""Interval blocks (local days) a streamed feed holds before writing them out."""


def _point_entries(feed: _Feed, up: UsagePointData, now: datetime) -> Iterator[int]:
    """Append the entries of one usage point, yielding the interval readings appended every
    :data:`BLOCKS_PER_FLUSH` blocks and at the end (the streamed feed writes out what it holds at each yield)."""
    if not up.channels:
        return
    upath = f"UsagePoint/{up.point_id}{'' if up.medium == 'electricity' else '-' + up.medium}"
    content = feed.entry(upath, f"{up.ean} {up.medium}", [f"{upath}/MeterReading", _LTP, f"{upath}/UsageSummary"])
    usage_point = _el(content, "UsagePoint")
    _el(_el(usage_point, "ServiceCategory"), "kind", SERVICE_KIND[up.medium])
    n = 0
    for i, ch in enumerate(up.channels, start=1):
        mpath = f"{upath}/MeterReading/{i}"
        rtype = f"ReadingType/{up.point_id}-{up.medium}-{i}"
        _el(feed.entry(mpath, ch.obis, [f"{mpath}/IntervalBlock", rtype]), "MeterReading")
        _reading_type(feed.entry(rtype, f"{ch.obis} {ch.series.interval_s} s"), ch)
        counts = _counts(ch.series)
        for j, (a, b) in enumerate(_runs(ch.series), start=1):
            day = datetime.fromtimestamp(int(ch.series.starts[a]), UTC).date().isoformat()
            content = feed.entry(f"{mpath}/IntervalBlock/{j}", day)
            if feed.texts is None:
                _interval_block(content, ch.series, counts, a, b)
            else:  # streamed: the block as text, put in at _flush
                content.text = f"@@block{len(feed.texts)}@@"
                feed.texts[content.text] = _interval_block_text(ch.series, counts, a, b)
            n += b - a
            if j % BLOCKS_PER_FLUSH == 0:
                yield n
                n = 0
    _usage_summary(feed.entry(f"{upath}/UsageSummary/1", f"{up.ean} total"), up, now)
    yield n


BASE_URL = "https://meterhub.lu/espi/1_1/resource"
TITLE = "meterhub Green Button Download My Data"


def build_feed(
    points: Sequence[UsagePointData], *, now: datetime, base_url: str = BASE_URL
) -> ET.ElementTree[ET.Element]:
    """The Green Button feed of ``points`` as one tree (see the module docstring; :func:`write_feed` streams)."""
    feed = _Feed(base_url, now, TITLE)
    _local_time_entry(feed)
    for up in points:
        for _ in _point_entries(feed, up, now):
            pass
    ET.indent(feed.root, space=" ")
    return ET.ElementTree(feed.root)


_DECLARATIONS = re.compile(r' xmlns(:espi)?="[^"]*"')
_PLACEHOLDER = re.compile(r"@@block\d+@@")


def _flush(feed: _Feed) -> bytes:
    """The feed's children so far as text (without the namespace declarations the feed element holds), dropped
    from the tree, so that memory holds at most :data:`BLOCKS_PER_FLUSH` blocks at a time."""
    parts: list[str] = []
    for child in list(feed.root):
        ET.indent(child, space=" ", level=1)
        text = ET.tostring(child, encoding="unicode")
        head, _, rest = text.partition(">")
        if feed.texts:
            rest = _PLACEHOLDER.sub(lambda m: feed.texts.pop(m.group(0)) if feed.texts else "", rest)
        parts.append(" " + _DECLARATIONS.sub("", head) + ">" + rest + "\n")
        feed.root.remove(child)
    return "".join(parts).encode("utf-8")


def exported_obis(obis: str) -> bool:
    """Channels the feed carries: active energy import and export (1.0.1.8.x, 1.0.2.8.x) and M-Bus values
    (0.b.24.2.1); reactive energy is left out."""
    return obis.startswith(("1.0.1.8.", "1.0.2.8.")) or (obis.startswith("0.") and ".24.2.1." in obis + ".")


def points_from_store(store: Store, point_ids: Sequence[int], day_from: date, day_to: date) -> list[UsagePointData]:
    """The usage points (one per point and medium) of ``point_ids`` over the local days, read from the store
    (current block versions, as ``meterhub export csv``). Unknown point ids raise ``KeyError``."""
    return list(iter_points_from_store(store, point_ids, day_from, day_to))


def iter_points_from_store(
    store: Store, point_ids: Sequence[int], day_from: date, day_to: date
) -> Iterator[UsagePointData]:
    """:func:`points_from_store`, one metering point read at a time."""
    for pid in point_ids:
        mp = store.get_metering_point(pid)
        if mp is None:
            raise KeyError(pid)
        by_medium: dict[str, list[Channel]] = {}
        for obis, medium in point_channels(store, pid):
            if not exported_obis(obis):
                continue
            s = point_series(store, pid, day_from, day_to, obis)
            if s is not None:
                by_medium.setdefault(medium, []).append(Channel(obis, medium, s))
        yield from (UsagePointData(pid, mp.ean, m, tuple(chs)) for m, chs in sorted(by_medium.items()))


def newest_day(store: Store, point_ids: Sequence[int]) -> date | None:
    """The newest local day with a stored block on any channel of the points (None: no data)."""
    from meterhub.store.blocks import newest_block_days

    channel_ids = sorted(
        {ch.id for pid in point_ids for pm in store.point_meters(pid) for ch in store.list_channels([pm.meter.id])}
    )
    if not channel_ids:
        return None
    with store.read() as conn:
        days = newest_block_days(conn, channel_ids)
    return max(days.values()) if days else None


def feed_chunks(
    points: Iterable[UsagePointData], *, now: datetime, base_url: str = BASE_URL, counter: list[int] | None = None
) -> Iterator[bytes]:
    """The feed (UTF-8 XML) in pieces of at most :data:`BLOCKS_PER_FLUSH` interval blocks (``points`` may be a
    lazy iterable): what a streamed HTTP answer sends. ``counter`` (a one-item list) counts the interval
    readings written."""
    feed = _Feed(base_url, now, TITLE, as_text=True)
    yield f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="{ATOM}" xmlns:espi="{ESPI}">\n'.encode()
    _local_time_entry(feed)
    yield _flush(feed)
    for up in points:
        for n in _point_entries(feed, up, now):
            if counter is not None:
                counter[0] += n
            yield _flush(feed)
    yield b"</feed>\n"


def write_feed(
    points: Iterable[UsagePointData], out: Path | str | IO[bytes], *, now: datetime, base_url: str = BASE_URL
) -> int:
    """Write the feed (UTF-8 XML) a few blocks at a time (``points`` may be a lazy iterable, e.g.
    :func:`iter_points_from_store`); returns the number of interval readings written."""
    if isinstance(out, Path | str):
        with open(out, "wb") as fh:
            return write_feed(points, fh, now=now, base_url=base_url)
    counter = [0]
    for chunk in feed_chunks(points, now=now, base_url=base_url, counter=counter):
        out.write(chunk)
    return counter[0]


__all__ = [
    "BLOCKS_PER_FLUSH",
    "DST_END_EU",
    "DST_START_EU",
    "QUALITY_OF_READING",
    "Channel",
    "UsagePointData",
    "build_feed",
    "dst_rule",
    "exported_obis",
    "feed_chunks",
    "iter_points_from_store",
    "newest_day",
    "points_from_store",
    "quality_of_reading",
    "write_feed",
]
