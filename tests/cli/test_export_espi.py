"""``meterhub export espi``: the Green Button feed of one metering point (by id or EAN) or of all, validated
against the official schema, with the same consumption as ``meterhub export csv``; clear errors for bad input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tests.cli.conftest import Country
from tests.mdm.test_espi import feed_schema

E0 = f"LU{0:031d}"  # E0: A+ and A− quarter-hours and the gas sub-meter G0 hourly, all of June 2026


def test_one_point_by_ean_matches_the_csv_export(country: Country, tmp_path: Path) -> None:
    out = tmp_path / "gb.xml"
    r = country.invoke("export", "espi", "--metering-point", E0, "--from", "2026-06-01", "--to", "2026-06-30",
                       "--out", str(out), "--json")  # fmt: skip
    assert r.exit_code == 0, r.stdout + r.stderr
    outcome = json.loads(r.stdout)
    assert outcome["usage_points"] == 2  # electricity and gas
    assert outcome["readings"] == 2 * 30 * 96 + 30 * 24
    assert feed_schema().is_valid(str(out))
    text = out.read_text()
    assert text.count("<espi:IntervalReading>") == outcome["readings"]
    csv_out = tmp_path / "e0.csv"
    assert country.invoke("export", "csv", "--meter", "E0", "--from", "2026-06-01", "--to", "2026-06-30",
                          "--out", str(csv_out)).exit_code == 0  # fmt: skip
    with csv_out.open() as fh:
        a_plus = sum(int(row["value"]) for row in csv.DictReader(fh) if row["obis"] == "1.0.1.8.0.255")
    # the electricity UsageSummary's total is the A+ total (Wh)
    assert f"<espi:value>{a_plus}</espi:value>" in text


def test_all_points_with_the_default_period(country: Country, tmp_path: Path) -> None:
    out = tmp_path / "all.xml"
    r = country.invoke("export", "espi", "--all", "--out", str(out), "--json")
    assert r.exit_code == 0, r.stdout + r.stderr
    outcome = json.loads(r.stdout)
    assert (outcome["from"], outcome["to"]) == ("2025-07-01", "2026-06-30")  # a year back from the newest day
    assert outcome["usage_points"] == 8 + 1
    assert feed_schema().is_valid(str(out))


def test_clear_errors(country: Country, tmp_path: Path) -> None:
    out = str(tmp_path / "x.xml")
    r = country.invoke("export", "espi", "--out", out)
    assert r.exit_code == 2 and "either --all or --metering-point" in r.stderr
    r = country.invoke("export", "espi", "--all", "--metering-point", "1", "--out", out)
    assert r.exit_code == 2
    r = country.invoke("export", "espi", "--metering-point", "LU999", "--out", out)
    assert r.exit_code == 1 and "unknown metering point LU999" in r.stderr
    r = country.invoke("export", "espi", "--metering-point", "1", "--from", "June", "--out", out)
    assert r.exit_code == 2 and "--from must be a date" in r.stderr
    r = country.invoke("export", "espi", "--metering-point", "1", "--out", str(tmp_path / "no" / "x.xml"))
    assert r.exit_code == 2 and "no such folder" in r.stderr
    assert not Path(out).exists()
