"""CSV import/export of interval data: round trip, all-or-nothing validation with line numbers, the CLI."""

from __future__ import annotations

import csv
import io
import itertools
import json
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from meterhub.cli.main import app
from meterhub.mdm.csvio import EXPORT_COLUMNS, CsvImportError, ImportReport, export_csv, export_rows, import_intervals
from meterhub.mdm.edits import edit_intervals
from meterhub.mdm.quality import EstimationMethod, Quality, SuspectRule, quality_byte
from meterhub.store import Store, db, local_day_slots
from meterhub.store import schema as t

DAY = date(2026, 6, 10)
HEADER = "meter_serial,obis,timestamp,value\n"
_prop_serial = itertools.count()


def day_rows(serial: str, day: int = 10, start: int = 1000, step: int = 100, n: int = 97) -> list[str]:
    """n quarter-hour cumulative readings from local midnight of 2026-06-<day> (CEST)."""
    rows = []
    for i in range(n):
        h, m = divmod(i * 15, 60)
        d = day + h // 24
        rows.append(f"{serial},1.0.1.8.0.255,2026-06-{d:02d}T{h % 24:02d}:{m:02d}:00+02:00,{start + i * step}")
    return rows


def run_import(store: Store, text: str, **kw: Any) -> ImportReport:
    return import_intervals(store, io.StringIO(text), **kw)


def snapshot(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the tables an import may write."""
    out = {}
    with store.read() as conn:
        for table in (t.party, t.meter, t.channel, t.interval_block, t.register_read):
            out[table.name] = sorted(tuple(r) for r in conn.execute(sa.select(table)))
    return out


def test_round_trip_create_meters(store: Store) -> None:
    text = HEADER + "\n".join([*day_rows("M1", step=10), "G1,0.2.24.2.1.255,2026-06-10T01:00:00+02:00,5000"])
    text += "\nG1,0-2:24.2.1,2026-06-10T02:00:00+02:00,5300\n"
    rep = run_import(store, text, create_meters=True)
    assert sorted(rep.meters_created) == ["G1", "M1"] and rep.channels_created == 2 and rep.rows == 99
    assert rep.ingest.measured_slots == 97
    m1 = store.meter_by_serial("M1")
    g1 = store.meter_by_serial("G1")
    assert m1 is not None and g1 is not None and g1.medium == "gas" and g1.mbus_channel == 2
    [ch] = store.list_channels([m1.id])
    assert (ch.obis, ch.interval_s, ch.unit) == ("1.0.1.8.0.255", 900, "Wh")
    [gch] = store.list_channels([g1.id])
    assert (gch.obis, gch.interval_s, gch.unit) == ("0.2.24.2.1.255", 3600, "l")
    rows = list(export_rows(store, meter_serial="M1"))
    assert len(rows) == 96
    # validated at import (the screen of VEE at ingest clears the day: one version, validated)
    assert all(r[4] == "10" and r[5] == "validated" and r[8] == "1" for r in rows)
    assert rows[0][2] == "2026-06-10T00:00:00+02:00" and rows[0][3] == "2026-06-10T00:15:00+02:00"
    g = [r for r in export_rows(store, meter_serial="G1") if r[5] not in ("missing", "estimated")]
    assert g == [("G1", "0.2.24.2.1.255", "2026-06-10T01:00:00+02:00", "2026-06-10T02:00:00+02:00", "300",
                  "validated", "", "", "2")]  # fmt: skip
    # re-importing the same file writes nothing new (the ingest is idempotent)
    before = snapshot(store)
    again = run_import(store, text)
    assert again.ingest.versions_written == 0 and not again.meters_created
    assert snapshot(store) == before


def test_out_of_order_rows_are_fine(store: Store) -> None:
    rows = day_rows("M1")
    shuffled = rows[::-1]
    rep = run_import(store, HEADER + "\n".join(shuffled), create_meters=True)
    assert rep.ingest.measured_slots == 96
    [block] = store.current_blocks([store.list_channels()[0].id], DAY, DAY)
    assert (block.values == 100).all()


def test_unknown_meter_without_flag_is_refused(store: Store) -> None:
    before = snapshot(store)
    with pytest.raises(CsvImportError) as info:
        run_import(store, HEADER + "\n".join(day_rows("NOPE")))
    assert [p.line for p in info.value.problems] == [2]
    assert "unknown meter NOPE" in str(info.value.problems[0])
    assert snapshot(store) == before


@pytest.mark.parametrize(
    ("bad_row", "needle"),
    [
        ("M1,1.0.1.8.0.255,2026-06-10T24:99:00+02:00,5", "bad timestamp"),
        ("M1,1.0.1.8.0.255,2026-06-10T23:00:00,5", "no UTC offset"),
        ("M1,1.0.1.8.0.255,2026-06-10T23:00:00+02:00,5.5", "not an integer"),
        ("M1,1.0.1.8.0.255,2026-06-10T23:00:00+02:00,abc", "not an integer"),
        ("M1,1.0.1.8.0.255,2026-06-10T23:00:00+02:00,-4", "negative"),
        ("M1,1.0.99.1.0.255,2026-06-10T23:00:00+02:00,5", "unknown OBIS"),
        ("M1,not-obis,2026-06-10T23:00:00+02:00,5", "not an OBIS code"),
        ("M1,1.0.1.8.0.255,2026-06-10T23:07:00+02:00,5", "interval grid"),
        ("M1,1.0.1.8.0.255,2026-06-10T23:00:00+02:00", "expected 4 columns"),
    ],
)
def test_malformed_row_rejects_the_whole_file(store: Store, bad_row: str, needle: str) -> None:
    run_import(store, HEADER + "\n".join(day_rows("M1")), create_meters=True)
    before = snapshot(store)
    # tomorrow's good data, with one bad row at line 50: nothing of it may be written
    rows = day_rows("M1", day=11, start=1000 + 96 * 100)
    rows.insert(48, bad_row)
    with pytest.raises(CsvImportError) as info:
        run_import(store, HEADER + "\n".join(rows), create_meters=True)
    assert info.value.total == 1, info.value.problems
    [problem] = info.value.problems
    assert needle in problem.message
    assert problem.line == 50
    assert snapshot(store) == before


def test_every_problem_is_reported(store: Store) -> None:
    text = (
        HEADER
        + "M1,1.0.1.8.0.255,x,1\nM1,1.0.1.8.0.255,2026-06-10T00:00:00Z,1\nM1,1.0.1.8.0.255,2026-06-10T00:00:00Z,2\n"
    )
    text += "M2,9.9.9.9.9.9,2026-06-10T00:00:00Z,1\n"
    with pytest.raises(CsvImportError) as info:
        run_import(store, text, create_meters=True)
    assert [p.line for p in info.value.problems] == [2, 5]  # line 4 is a conflicting duplicate, not a problem
    assert "nothing imported" in str(info.value)


def test_bad_header_and_empty_file(store: Store) -> None:
    with pytest.raises(CsvImportError, match="header"):
        run_import(store, "serial,obis,ts,value\nM1,1.0.1.8.0.255,2026-06-10T00:00:00Z,1\n")
    with pytest.raises(CsvImportError, match="empty file"):
        run_import(store, "")


def test_duplicate_with_same_value_is_accepted(store: Store) -> None:
    rows = day_rows("M1")
    rep = run_import(store, HEADER + "\n".join(rows + rows[:10]), create_meters=True)
    assert rep.ingest.measured_slots == 96


def test_conflicting_reimport_makes_new_version_and_keeps_old(store: Store) -> None:
    run_import(store, HEADER + "\n".join(day_rows("M1")), create_meters=True)
    rep = run_import(store, HEADER + "\n".join(day_rows("M1", start=1000, step=90)))
    # the import's version, then VEE's: the new readings contradict the daily register read stored at midnight
    # by the first import (register reads are never changed), so the sum check leaves the day suspect
    assert rep.ingest.versions_written == 2 and dict(rep.ingest.vee_rules) == {"sum_check": 96}
    ch = store.list_channels()[0].id
    versions = store.block_versions(ch, DAY)
    assert [v.version for v in versions] == [1, 2, 3]
    assert (versions[0].values == 100).all() and (versions[1].values == 90).all() and (versions[2].values == 90).all()
    assert (versions[2].quality == quality_byte(Quality.SUSPECT, SuspectRule.SUM_CHECK)).all()
    assert [r[8] for r in export_rows(store)] == ["3"] * 96


def test_export_quality_rule_method(store: Store) -> None:
    dso = store.add_dso("creos", "Creos")
    meter = store.add_meter("E1", dso, model="x", firmware="1")
    ch = store.add_channel(meter, "1.0.1.8.0.255", unit="Wh", interval_s=900)
    n = local_day_slots(DAY, 900)
    quality = np.full(n, quality_byte(Quality.MEASURED), np.uint8)
    quality[1] = quality_byte(Quality.ESTIMATED, EstimationMethod.INTERPOLATION)
    quality[2] = quality_byte(Quality.SUSPECT, SuspectRule.NEGATIVE_DELTA)
    quality[3] = quality_byte(Quality.MISSING)
    quality[4] = quality_byte(Quality.EDITED)
    quality[5] = quality_byte(Quality.VALIDATED)
    with store.write() as conn:
        db.insert_blocks(conn, [db.NewBlock(ch, DAY, 1, np.arange(n, dtype=np.int64) - 2, quality, "test")])
    rows = list(export_rows(store))
    assert [r[4:8] for r in rows[:6]] == [
        ("-2", "measured", "", ""),
        ("-1", "estimated", "", "interpolation"),
        ("0", "suspect", "negative_delta", ""),
        ("", "missing", "", ""),
        ("2", "edited", "", ""),
        ("3", "validated", "", ""),
    ]
    assert not list(export_rows(store, day_from=date(2026, 6, 11)))
    assert len(list(export_rows(store, day_from=DAY, day_to=DAY))) == 96
    out = io.StringIO()
    assert export_csv(store, out, meter_serial="E1") == 96
    parsed = list(csv.reader(io.StringIO(out.getvalue())))
    assert tuple(parsed[0]) == EXPORT_COLUMNS and len(parsed) == 97


def test_dst_day_export_has_100_rows(store: Store) -> None:
    # 2026-10-25: 25 local hours; readings in UTC ("Z") are fine
    rows = []
    for i in range(101):
        h = 22 + i // 4
        rows.append(f"M1,1.0.1.8.0.255,2026-10-{24 + h // 24}T{h % 24:02d}:{15 * (i % 4):02d}:00Z,{i * 7}")
    run_import(store, HEADER + "\n".join(rows), create_meters=True)
    out = list(export_rows(store, day_from=date(2026, 10, 25), day_to=date(2026, 10, 25)))
    assert len(out) == 100 and all(r[4] == "7" for r in out)
    assert out[8][2] == "2026-10-25T02:00:00+02:00" and out[12][2] == "2026-10-25T02:00:00+01:00"


# --------------------------------------------------------------------------------------------- CLI


def test_cli_import_and_export(tmp_path: Path) -> None:
    runner = CliRunner()
    data = tmp_path / "data"
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "\n".join(day_rows("M1") + day_rows("M2", step=5)) + "\n")
    res = runner.invoke(app, ["--data-dir", str(data), "import", "intervals", str(good)])
    assert res.exit_code == 1
    assert f"{good}:2: unknown meter M1" in res.output and "nothing imported" in res.output
    res = runner.invoke(app, ["--data-dir", str(data), "import", "intervals", str(good), "--create-meters", "--json"])
    assert res.exit_code == 0, res.output
    assert '"meters_created": 2' in res.output
    out = tmp_path / "out.csv"
    res = runner.invoke(
        app, ["--data-dir", str(data), "export", "csv", "--meter", "M2", "--from", "2026-06-10", "--to", "2026-06-10",
              "--out", str(out)]
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 96 and {r["meter_serial"] for r in rows} == {"M2"} and {r["value"] for r in rows} == {"5"}
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "M1,1.0.1.8.0.255,2026-06-11T00:15:00+02:00,1.5\n")
    res = runner.invoke(app, ["--data-dir", str(data), "import", "intervals", str(bad)])
    assert res.exit_code == 1 and f"{bad}:2: value '1.5' is not an integer" in res.output
    res = runner.invoke(app, ["--data-dir", str(data), "export", "csv", "--meter", "ZZ", "--out", str(out)])
    assert res.exit_code == 1


def test_export_as_of(store: Store, tmp_path: Path) -> None:
    run_import(store, HEADER + "\n".join(day_rows("M1")), create_meters=True)
    ch = store.list_channels()[0].id
    [v1] = store.block_versions(ch, DAY)
    later = v1.created_at + timedelta(hours=1)
    edit_intervals(store, ch, {datetime(2026, 6, 9, 22, tzinfo=UTC): 1}, user="ops", reason="test", now=later)
    now_rows = list(export_rows(store))
    before = list(export_rows(store, as_of=later - timedelta(seconds=1)))
    assert now_rows[0][4:] == ("1", "edited", "", "", "2") and before[0][4:] == ("100", "validated", "", "", "1")
    assert now_rows[1:] == [(*r[:8], "2") for r in before[1:]]
    assert list(export_rows(store, as_of=v1.created_at - timedelta(seconds=1))) == []


def test_cli_export_as_of(tmp_path: Path) -> None:
    runner = CliRunner()
    data = tmp_path / "data"
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "\n".join(day_rows("M1")) + "\n")
    assert (
        runner.invoke(app, ["--data-dir", str(data), "import", "intervals", str(good), "--create-meters"]).exit_code
        == 0
    )
    out = tmp_path / "out.csv"
    args = ["--data-dir", str(data), "export", "csv", "--out", str(out), "--as-of"]
    res = runner.invoke(app, [*args, "2000-01-01T00:00:00+00:00"])
    assert res.exit_code == 0 and out.read_text().count("\n") == 1  # header only: nothing existed then
    res = runner.invoke(app, [*args, "2999-01-01T00:00:00+00:00", "--json"])
    assert res.exit_code == 0 and out.read_text().count("\n") == 97
    assert json.loads(res.output) == {"ok": True, "rows": 96, "out": str(out)}
    assert runner.invoke(app, [*args, "2026-01-01T00:00:00"]).exit_code != 0  # no offset


def test_medium_mismatch_fraction_and_bom(store: Store, tmp_path: Path) -> None:
    text = HEADER + "M1,1.0.1.8.0.255,2026-06-10T00:00:00Z,1\nM1,0.1.24.2.1.255,2026-06-10T01:00:00Z,1\n"
    with pytest.raises(CsvImportError) as info:
        run_import(store, text, create_meters=True)
    assert [p.line for p in info.value.problems] == [3] and "gas channel but meter M1" in info.value.problems[0].message
    with pytest.raises(CsvImportError, match="fraction of a second"):
        run_import(store, HEADER + "M1,1.0.1.8.0.255,2026-06-10T00:00:00.5Z,1\n", create_meters=True)
    path = tmp_path / "bom.csv"
    path.write_bytes(("\ufeff" + HEADER + "\n".join(day_rows("M1"))).encode())
    assert import_intervals(store, path, create_meters=True).ingest.measured_slots == 96
    # a stored electricity meter refuses an M-Bus channel too
    with pytest.raises(CsvImportError, match="gas channel but meter M1 measures electricity"):
        run_import(store, HEADER + "M1,0.1.24.2.1.255,2026-06-10T01:00:00Z,1\n", create_meters=True)


_CORRUPTIONS = ("timestamp", "offset", "fraction", "non_integer", "negative", "obis", "columns", "grid")


def _corrupt(row: str, kind: str, rng_value: int) -> str:
    serial, obis, ts, value = row.split(",")
    if kind == "timestamp":
        return f"{serial},{obis},{ts[:10]}X{ts[11:]},{value}"
    if kind == "offset":
        return f"{serial},{obis},{ts[:19]},{value}"
    if kind == "fraction":
        return f"{serial},{obis},{ts[:19]}.25{ts[19:]},{value}"
    if kind == "non_integer":
        return f"{serial},{obis},{ts},{value}.0"
    if kind == "negative":
        return f"{serial},{obis},{ts},-{rng_value + 1}"
    if kind == "obis":
        return f"{serial},1.0.99.1.0.255,{ts},{value}"
    if kind == "columns":
        return f"{serial},{obis},{ts}"
    return f"{serial},{obis},{ts[:14]}07{ts[16:]},{value}"  # grid: minute 07


def _conflicting(row: str, rng_value: int) -> str:
    """A second, different reading for the row's instant (a data fault, not a malformed row)."""
    serial, obis, ts, value = row.split(",")
    return f"{serial},{obis},{ts},{int(value) + rng_value + 1}"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kinds=st.lists(st.sampled_from(_CORRUPTIONS), min_size=1, max_size=3),
    positions=st.lists(st.integers(0, 2 * 97 - 1), min_size=3, max_size=3),
    conflicts=st.lists(st.integers(0, 2 * 97 - 1), max_size=3),
    value=st.integers(0, 10_000),
    shuffle_seed=st.integers(0, 2**32 - 1),
)
def test_corrupt_input_is_rejected_and_loses_nothing(
    shared_store: Store, kinds: list[str], positions: list[int], conflicts: list[int], value: int, shuffle_seed: int
) -> None:
    """Any mix of corrupt rows in an otherwise good (and shuffled) file, with or without conflicting
    duplicates: refused, with one problem per corrupt row at its line (a conflicting duplicate is none), and the
    store exactly as before; the same file without the corrupt rows imports, every conflict kept aside."""
    store = shared_store
    serial = f"P{next(_prop_serial)}"
    good = day_rows(serial) + day_rows(serial, day=11, start=1000 + 96 * 100)
    random.Random(shuffle_seed).shuffle(good)
    second = [_conflicting(good[pos % len(good)], value) for pos in conflicts]
    rows = good + second
    bad_lines = set()
    for kind, pos in zip(kinds, positions, strict=False):
        rows.append(_corrupt(good[pos % len(good)], kind, value))
        bad_lines.add(len(rows) + 1)
    before = snapshot(store)
    with pytest.raises(CsvImportError) as info:
        run_import(store, HEADER + "\n".join(rows), create_meters=True)
    assert {p.line for p in info.value.problems} == bad_lines, info.value.problems
    assert snapshot(store) == before
    rep = run_import(store, HEADER + "\n".join(good + second), create_meters=True)
    assert rep.ingest.measured_slots + rep.ingest.suspect_slots == 2 * 96
    assert rep.conflicts == len(second) and rep.rejected_recorded == len(set(second))
    ch = store.list_channels([rep_meter(store, serial)])[0].id
    assert {(r.read_at, r.value) for r in store.rejected_readings([ch])} == {
        (datetime.fromisoformat(r.split(",")[2]).astimezone(UTC), int(r.split(",")[3])) for r in second
    }


def rep_meter(store: Store, serial: str) -> int:
    meter = store.meter_by_serial(serial)
    assert meter is not None
    return meter.id
