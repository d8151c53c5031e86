"""``meterhub import intervals``: the report (rich tables, ``--json``) with conflicting duplicates and the VEE
outcome, and malformed or non-CSV files refused with ``file:line`` errors, exit code 1 and no traceback."""

from __future__ import annotations

import json
from pathlib import Path

from meterhub.store import Store
from tests.cli.conftest import cli, invoke

HEADER = "meter_serial,obis,timestamp,value\n"


def day_rows(serial: str, step: int = 100, n: int = 3 * 96 + 1) -> list[str]:
    """Quarter-hour readings from local midnight of 2026-06-10 (CEST, three days)."""
    rows = []
    for i in range(n):
        h, m = divmod(i * 15, 60)
        stamp = f"2026-06-{10 + h // 24:02d}T{h % 24:02d}:{m:02d}:00+02:00"
        rows.append(f"{serial},1.0.1.8.0.255,{stamp},{1000 + i * step}")
    return rows


def test_json_report_with_conflicts_and_vee(tmp_path: Path) -> None:
    data = tmp_path / "data"
    rows = day_rows("M1")
    del rows[100:103]  # three readings missing: four quarter hours estimated at import
    rows.append("M1,1.0.1.8.0.255,2026-06-10T12:00:00+02:00,4")  # a second, different reading for 12:00
    rows += rows[:5]  # identical repeats
    file = tmp_path / "readings.csv"
    file.write_text(HEADER + "\n".join(rows) + "\n")
    res = invoke("--data-dir", str(data), "import", "intervals", str(file), "--create-meters", "--json")
    assert res.exit_code == 0, res.stdout + res.stderr
    report = json.loads(res.stdout)
    assert report["ok"] and report["rows"] == len(rows) and report["duplicates_identical"] == 5
    assert report["conflicting_duplicates"] == 1 and report["rejected_recorded"] == 1
    assert report["conflicts"] == [{"meter": "M1", "obis": "1.0.1.8.0.255", "instant": "2026-06-10T12:00:00+02:00",
                                    "kept": 5800, "kept_line": 50, "other": 4, "line": len(rows) - 4}]  # fmt: skip
    assert report["vee"]["enabled"] and report["vee"]["rules"] == {"duplicate": 2, "gap": 4}
    assert report["vee"]["estimated_slots"] == 4
    with Store.open(data) as store:
        [r] = store.rejected_readings()
        assert r.value == 4 and r.kept_value == 5800 and r.source == f"{file}:{len(rows) - 4}"


def test_rich_report(tmp_path: Path) -> None:
    file = tmp_path / "readings.csv"
    file.write_text(HEADER + "\n".join([*day_rows("M1"), "M1,1.0.1.8.0.255,2026-06-10T12:00:00+02:00,4"]) + "\n")
    res = invoke("--data-dir", str(tmp_path / "data"), "import", "intervals", str(file), "--create-meters")
    assert res.exit_code == 0, res.stdout + res.stderr
    for text in ("rows read", "conflicting duplicates", "5 800 (50)", "4 (291)", "VEE at import", "flagged: duplicate"):
        assert text in res.stdout, res.stdout


def test_malformed_rows_refuse_the_file_naming_file_and_line(tmp_path: Path) -> None:
    """In its own process: exit code 1, every problem as ``file:line: message``, no traceback, nothing written."""
    data = tmp_path / "data"
    file = tmp_path / "bad.csv"
    rows = day_rows("M1")
    rows[10] = "M1,1.0.1.8.0.255,2026-06-10T02:30:00,1000"  # no offset
    rows[20] = "M1,1.0.1.8.0.255,2026-06-10T05:07:00+02:00,1000"  # off the grid
    rows.append("M1,1.0.1.8.0.255,2026-06-10T12:00:00+02:00,4")  # a conflict alone would be imported
    file.write_text(HEADER + "\n".join(rows) + "\n")
    done = cli("--data-dir", str(data), "import", "intervals", str(file), "--create-meters")
    assert done.returncode == 1 and "Traceback" not in done.stderr + done.stdout
    err = done.stderr
    assert "2 problem(s), nothing imported" in err and f"{file}:12: timestamp" in err
    assert f"{file}:22: 2026-06-10T03:07:00+00:00 is not on the 900 s interval grid" in err
    done = cli("--data-dir", str(data), "import", "intervals", str(file), "--create-meters", "--json")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    out = json.loads(done.stdout)
    assert out["ok"] is False and out["problems"] == 2 and out["errors"][0].startswith(f"{file}:12: ")
    with Store.open(data) as store:
        assert store.meter_by_serial("M1") is None


def test_file_that_is_not_csv_text(tmp_path: Path) -> None:
    binary = tmp_path / "dump.csv"
    binary.write_bytes(HEADER.encode() + b"M1,1.0.1.8.0.255,2026-06-10T00:15:00+02:00,1\n\xff\xfe\x00garbage\n")
    done = cli("--data-dir", str(tmp_path / "data"), "import", "intervals", str(binary), "--create-meters")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"{binary}:3: not UTF-8 text" in done.stderr
    nul = tmp_path / "nul.csv"
    nul.write_bytes(HEADER.encode() + b"M1,1.0.1.8.0.255,2026-06-10T00:15:00+02:00,1\x00\n")
    res = invoke("--data-dir", str(tmp_path / "data"), "import", "intervals", str(nul), "--create-meters")
    assert res.exit_code == 1 and f"{nul}:2: value '1\\x00' is not an integer" in res.stderr
