"""The Green Button ESPI export: the feed validates against the official schema (espi.xsd 4.0 + the Green Button
Atom schema in ../shared/ref/espi), and its content is right — contiguous interval blocks split at missing slots
and local midnights over a DST day, integer values with uom and powerOfTenMultiplier, ReadingQuality from our
quality codes, the Europe/Luxembourg DST rules, the UsageSummary total."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import xmlschema

from meterhub.mdm.espi import ATOM, DST_END_EU, DST_START_EU, ESPI, Channel, UsagePointData, build_feed, dst_rule
from meterhub.mdm.quality import EstimationMethod, Quality, quality_byte
from meterhub.mdm.series import Series, slot_starts
from tests.conftest import ROOT

REF = ROOT.parent / "shared" / "ref" / "espi"
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
NS = {"a": ATOM, "e": ESPI}


@cache
def feed_schema() -> xmlschema.XMLSchema:
    path = REF / "greenbutton-feed.xsd"
    if not path.exists():
        pytest.fail(f"{path} is missing: ../shared must lie beside the checkout")
    return xmlschema.XMLSchema(str(path))


def _series(day_from: date, day_to: date, interval_s: int, unit: str, value: float, scaler: int = 0) -> Series:
    starts = slot_starts(day_from, day_to, interval_s)
    q = np.full(starts.size, quality_byte(Quality.VALIDATED), dtype=np.uint8)
    return Series(day_from, day_to, interval_s, unit, starts, np.full(starts.size, value), q, scaler)


def _points() -> list[UsagePointData]:
    # electricity: the spring-forward day 2026-03-29 (92 slots) and the next day; slot 10 missing, slot 20
    # interpolated, slot 30 edited, slot 40 suspect; A- (export) all zero
    imp = _series(date(2026, 3, 29), date(2026, 3, 30), 900, "Wh", 250.0)
    imp.values[10] = np.nan
    imp.quality[10] = Quality.MISSING
    imp.quality[20] = quality_byte(Quality.ESTIMATED, EstimationMethod.INTERPOLATION)
    imp.quality[30] = quality_byte(Quality.EDITED)
    imp.quality[40] = quality_byte(Quality.SUSPECT)
    imp.quality[50] = quality_byte(Quality.MEASURED)
    exp = _series(date(2026, 3, 29), date(2026, 3, 30), 900, "Wh", 0.0)
    gas = _series(date(2026, 3, 29), date(2026, 3, 30), 3600, "l", 120.0)
    return [
        UsagePointData(7, "LU0000000000000000000000000000007", "electricity",
                       (Channel("1.0.1.8.0.255", "electricity", imp), Channel("1.0.2.8.0.255", "electricity", exp))),
        UsagePointData(7, "LU0000000000000000000000000000007", "gas", (Channel("0.1.24.2.1.255", "gas", gas),)),
    ]  # fmt: skip


def _xml(points: list[UsagePointData]) -> bytes:
    buf = io.BytesIO()
    build_feed(points, now=NOW).write(buf, encoding="utf-8", xml_declaration=True)
    return buf.getvalue()


def test_feed_validates_against_the_official_schema() -> None:
    data = _xml(_points())
    feed_schema().validate(io.BytesIO(data))  # raises on any violation
    assert feed_schema().is_valid(io.BytesIO(data))


def test_the_schema_check_bites() -> None:
    data = _xml(_points()).replace(b"<espi:value>250</espi:value>", b"<espi:value>2.5e2</espi:value>", 1)
    assert not feed_schema().is_valid(io.BytesIO(data))
    data = _xml(_points()).replace(b"<espi:kind>0</espi:kind>", b"<espi:sort>0</espi:sort>", 1)
    assert not feed_schema().is_valid(io.BytesIO(data))


def test_dst_rules() -> None:
    assert (DST_START_EU, DST_END_EU) == ("3E0E2000", "AE0E3000")
    # the North-American sample's rules: 2nd Sunday of March 02:00, 1st Sunday of November 02:00
    assert (dst_rule(3, 3, 7, 2), dst_rule(11, 2, 7, 2)) == ("360E2000", "B40E2000")


def _blocks(root: ET.Element, reading: str) -> list[ET.Element]:
    out = []
    for entry in root.findall("a:entry", NS):
        self_href = next(x.get("href") for x in entry.findall("a:link", NS) if x.get("rel") == "self")
        if f"/{reading}/IntervalBlock/" in str(self_href):
            out.append(entry.find("a:content/e:IntervalBlock", NS))
    return out


def test_feed_content() -> None:
    root = ET.fromstring(_xml(_points()))
    ltp = root.find("a:entry/a:content/e:LocalTimeParameters", NS)
    assert ltp is not None
    assert [ltp.findtext(f"e:{k}", namespaces=NS) for k in ("dstEndRule", "dstOffset", "dstStartRule", "tzOffset")] == [
        "AE0E3000", "3600", "3E0E2000", "3600",
    ]  # fmt: skip
    kinds = [x.text for x in root.findall("a:entry/a:content/e:UsagePoint/e:ServiceCategory/e:kind", NS)]
    assert kinds == ["0", "1"]
    rtypes = root.findall("a:entry/a:content/e:ReadingType", NS)
    fields = ("commodity", "flowDirection", "intervalLength", "kind", "powerOfTenMultiplier", "uom")
    assert [tuple(rt.findtext(f"e:{f}", namespaces=NS) for f in fields) for rt in rtypes] == [
        ("1", "1", "900", "12", "0", "72"),  # A+ in Wh
        ("1", "19", "900", "12", "0", "72"),  # A- (reverse flow)
        ("7", "1", "3600", "58", "-3", "42"),  # gas litres = m³ × 10^-3
    ]
    # A+: day 1 (92 slots) split around the missing slot 10 → [0,10) [11,92); day 2 one block of 96
    blocks = _blocks(root, "UsagePoint/7/MeterReading/1")
    sizes = [len(b.findall("e:IntervalReading", NS)) for b in blocks]
    assert sizes == [10, 81, 96]
    day1 = int(datetime(2026, 3, 28, 23, tzinfo=UTC).timestamp())  # local midnight, CET
    for b in blocks:
        start = int(b.findtext("e:interval/e:start", namespaces=NS) or 0)
        duration = int(b.findtext("e:interval/e:duration", namespaces=NS) or 0)
        t = start
        for r in b.findall("e:IntervalReading", NS):
            assert int(r.findtext("e:timePeriod/e:start", namespaces=NS) or 0) == t  # contiguous
            t += int(r.findtext("e:timePeriod/e:duration", namespaces=NS) or 0)
        assert t == start + duration
    assert int(blocks[0].findtext("e:interval/e:start", namespaces=NS) or 0) == day1
    assert int(blocks[2].findtext("e:interval/e:start", namespaces=NS) or 0) == day1 + 92 * 900
    readings = [r for b in blocks for r in b.findall("e:IntervalReading", NS)]
    qualities = [r.findtext("e:ReadingQuality/e:quality", namespaces=NS) for r in readings]
    # indices shift by one after the missing slot 10: slot 20 is reading 19, …
    assert (qualities[0], qualities[19], qualities[29], qualities[39], qualities[49]) == ("0", "9", "7", "10", "14")
    assert {r.findtext("e:value", namespaces=NS) for r in readings} == {"250"}
    summaries = root.findall("a:entry/a:content/e:UsageSummary", NS)
    totals = [s.findtext("e:overallConsumptionLastPeriod/e:value", namespaces=NS) for s in summaries]
    assert totals == [str(250 * (92 + 96 - 1)), str(120 * 47)]  # gas: 23 + 24 hours
    assert [s.findtext("e:qualityOfReading", namespaces=NS) for s in summaries] == ["13", "0"]  # mixed / valid


def test_hourly_gas_blocks_are_per_local_day() -> None:
    root = ET.fromstring(_xml(_points()))
    blocks = _blocks(root, "UsagePoint/7-gas/MeterReading/1")
    assert [len(b.findall("e:IntervalReading", NS)) for b in blocks] == [23, 24]


def test_an_empty_feed_is_valid() -> None:
    assert feed_schema().is_valid(io.BytesIO(_xml([])))


def test_write_to_file(tmp_path: Path) -> None:
    from meterhub.mdm.espi import write_feed

    n = write_feed(_points(), tmp_path / "gb.xml", now=NOW)
    assert n == (92 + 96 - 1) + (92 + 96) + 47
    assert feed_schema().is_valid(str(tmp_path / "gb.xml"))


def test_the_streamed_feed_is_the_tree_feed(tmp_path: Path) -> None:
    from meterhub.mdm.espi import write_feed

    buf = io.BytesIO()
    write_feed(iter(_points()), buf, now=NOW)  # a lazy iterable, written one usage point at a time
    streamed = ET.canonicalize(buf.getvalue().decode(), strip_text=True)
    assert streamed == ET.canonicalize(_xml(_points()).decode(), strip_text=True)
    assert buf.getvalue().count(b"xmlns=") == 1  # the namespaces are declared once, on the feed
