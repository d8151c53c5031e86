"""``meterhub edit intervals|history`` and ``meterhub aggregate`` on a real data dir: audited versions from
options or a CSV file (all or nothing), the version history, and small groups suppressed outside the operator."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from meterhub.mdm.quality import Quality, codes
from tests.cli.conftest import Country

A_PLUS = "1.0.1.8.0.255"
DAY = "2026-06-10"


def versions(country: Country, serial: str, obis: str = A_PLUS, day: date = date(2026, 6, 10)) -> list:
    with country.store() as store:
        meter = store.meter_by_serial(serial)
        assert meter is not None
        [ch] = [c for c in store.list_channels([meter.id]) if c.obis == obis]
        return store.block_versions(ch.id, day)


def test_edit_by_options_makes_an_audited_version_and_history_shows_it(country: Country) -> None:
    r = country.invoke("edit", "intervals", "--meter", "E1", "--obis", "1-0:1.8.0", "--day", DAY,
                       "--slot", "40", "--value", "999", "--slot", "10:15", "--value", "0",
                       "--reason", "meter swap", "--user", "anna", "--json")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["versions"] == [
        {"meter": "E1", "obis": A_PLUS, "day": DAY, "version": 2, "slots": [40, 41]}
    ]
    v1, v2 = versions(country, "E1")
    assert (int(v2.values[40]), int(v2.values[41])) == (999, 0) and v2.source == "edit"
    assert (codes(v2.quality)[[40, 41]] == Quality.EDITED).all() and (v2.values[:40] == v1.values[:40]).all()
    # the same edit again changes nothing
    r = country.invoke("edit", "intervals", "--meter", "E1", "--obis", A_PLUS, "--day", DAY, "--slot", "40",
                       "--value", "999", "--reason", "again", "--user", "anna")  # fmt: skip
    assert r.exit_code == 0 and "nothing changed" in r.stdout and len(versions(country, "E1")) == 2
    r = country.invoke("edit", "history", "--meter", "E1", "--obis", A_PLUS, "--day", DAY, "--json")
    hist = json.loads(r.stdout)["versions"]
    assert [(v["version"], v["source"], v["who"], v["why"]) for v in hist] == [
        (1, "hes", None, None),
        (2, "edit", "anna", "meter swap"),
    ]
    assert hist[1]["edited_slots"] == [40, 41] and hist[1]["changed_slots"] == [40, 41]
    r = country.invoke("edit", "history", "--meter", "E1", "--obis", A_PLUS, "--day", DAY)
    assert r.exit_code == 0 and "meter swap" in r.stdout and "anna" in r.stdout and "2: 40-41" in r.stdout


def test_bad_edits_are_refused_and_change_nothing(country: Country, tmp_path: Path) -> None:
    base = ("edit", "intervals", "--reason", "r", "--user", "u")
    one = ("--meter", "E1", "--obis", A_PLUS, "--day", DAY)
    for args, code, message in (
        ((*base, "--meter", "NOPE", "--obis", A_PLUS, "--day", DAY, "--slot", "1", "--value", "1"), 1, "unknown meter"),
        ((*base, "--meter", "E1", "--obis", "1.0.3.8.0.255", "--day", DAY, "--slot", "1", "--value", "1"), 1,
         "has no channel"),
        ((*base, *one, "--slot", "1"), 2, "one --value for each --slot"),
        ((*base, *one, "--slot", "96", "--value", "1"), 2, "slots 0..95"),
        ((*base, *one, "--slot", "10:05", "--value", "1"), 2, "grid"),
        ((*base, *one, "--slot", "noon", "--value", "1"), 2, "slot number or a local time"),
        ((*base, *one, "--slot", "1", "--value", "-5"), 2, "cannot be negative"),
        ((*base, *one, "--slot", "1", "--value", "x"), 2, "integer"),
        ((*base, "--meter", "E1", "--obis", A_PLUS, "--day", "2026-10-25", "--slot", "02:30", "--value", "1"), 2,
         "occurs twice"),
        ((*base, "--meter", "E1", "--obis", A_PLUS, "--day", "2026-03-29", "--slot", "02:30", "--value", "1"), 2,
         "does not exist"),
        (("edit", "intervals", "--reason", " ", "--user", "u", *one, "--slot", "1", "--value", "1"), 2, "--reason"),
        ((*base, "--meter", "E1"), 2, "--day"),
        ((*base, "--file", str(tmp_path / "missing.csv")), 2, "no such file"),
        ((*base, "--file", str(tmp_path / "missing.csv"), "--meter", "E1"), 2, "not both"),
        (("edit", "history", "--meter", "E1", "--obis", A_PLUS, "--day", "10.6.2026"), 2, "YYYY-MM-DD"),
    ):  # fmt: skip
        r = country.invoke(*args)
        assert r.exit_code == code, (args, r.stdout, r.stderr)
        assert message in " ".join((r.stdout + r.stderr).split()), (args, r.stdout, r.stderr)
    # a file with bad rows: every problem listed with its line, nothing written
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "meter_serial,obis,interval_start,value\n"
        "E1,1.0.1.8.0.255,2026-06-10T10:00:00+02:00,5\n"
        "NOPE,1.0.1.8.0.255,2026-06-10T10:00:00+02:00,5\n"
        "E2,1.0.1.8.0.255,2026-06-10T10:07:00+02:00,5\n"
        "E2,1.0.1.8.0.255,2026-06-10T10:00:00,5\n"
        "E2,1.0.1.8.0.255,2026-06-10T10:00:00+02:00,1.5\n"
        "E1,1.0.1.8.0.255,2026-06-10T10:00:00+02:00,6\n"
    )
    r = country.invoke(*base, "--file", str(bad))
    assert r.exit_code == 1
    for line, what in ((3, "unknown meter"), (4, "slot grid"), (5, "no UTC offset"), (6, "not an integer"),
                       (7, "a second, different value")):  # fmt: skip
        [said] = [x for x in r.stderr.splitlines() if f"line {line}:" in x]
        assert what in said, r.stderr
    r = country.invoke(*base, "--file", str(bad), "--json")
    assert r.exit_code == 1 and len(json.loads(r.stdout)["problems"]) == 5
    header = tmp_path / "header.csv"
    header.write_text("serial,value\nE1,5\n")
    assert "header lacks" in country.invoke(*base, "--file", str(header)).stderr
    assert [len(versions(country, s)) for s in ("E1", "E2")] == [1, 1]


def test_edit_file_from_an_export(country: Country, tmp_path: Path) -> None:
    out = tmp_path / "export.csv"
    r = country.invoke("export", "csv", "--out", str(out), "--meter", "E2", "--from", DAY, "--to", DAY)
    assert r.exit_code == 0, r.stderr
    lines = out.read_text().splitlines()
    header, rows = lines[0], lines[1:]
    assert header.startswith("meter_serial,obis,interval_start")
    keep = [row for row in rows if row.split(",")[1] == A_PLUS][:3]
    cols = header.split(",")
    edited = []
    for row in keep:
        fields = row.split(",")
        fields[cols.index("value")] = "123"
        edited.append(",".join(fields))
    other = dict.fromkeys(cols, "")
    other.update(meter_serial="E3", obis=A_PLUS, interval_start="2026-06-11T00:00:00+02:00", value="7")
    edited.append(",".join(other[c] for c in cols))  # another meter and day in the same file
    f = tmp_path / "edits.csv"
    f.write_text("\n".join([header, *edited]) + "\n")
    r = country.invoke("edit", "intervals", "--file", str(f), "--reason", "customer complaint", "--user", "ben",
                       "--json")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    written = json.loads(r.stdout)["versions"]
    assert [(v["meter"], v["day"], v["version"], v["slots"]) for v in written] == [
        ("E2", DAY, 2, [0, 1, 2]), ("E3", "2026-06-11", 2, [0]),
    ]  # fmt: skip
    assert [int(x) for x in versions(country, "E2")[-1].values[:3]] == [123, 123, 123]


def test_aggregates_suppress_small_groups_outside_the_operator(country: Country) -> None:
    def run(*args: str) -> dict:
        r = country.invoke("aggregate", "--day", DAY, "--json", *args)
        assert r.exit_code == 0, r.stderr
        return {(a["medium"], a["group"]): a for a in json.loads(r.stdout)["aggregates"]}

    operator = run("--by", "grid_area")
    n1, s1, gas = operator[("electricity", "N1")], operator[("electricity", "S1")], operator[("gas", "N1")]
    assert (n1["meters"], s1["meters"], gas["meters"]) == (6, 2, 1)
    assert n1["energy"] == sum(n1["load_duration"]) and len(n1["load_duration"]) == 96
    assert n1["peak"] == n1["load_duration"][0] and n1["base"] == n1["load_duration"][-1]
    for role in ("supplier",):
        view = run("--by", "grid_area", "--role", role)
        assert view[("electricity", "N1")] == n1
        for key in (("electricity", "S1"), ("gas", "N1")):
            assert view[key] == {"by": "grid_area", "group": key[1], "medium": key[0], "day": DAY, "suppressed": True,
                                 "reason": "fewer than 5 meters"}  # fmt: skip
    dso = run("--by", "dso", "--role", "dso", "--dso", "sudgaz")
    assert list(dso) == [("electricity", "sudgaz")] and dso[("electricity", "sudgaz")]["suppressed"] is True
    assert run("--by", "dso", "--role", "dso", "--dso", "creos")[("electricity", "creos")]["meters"] == 6
    assert run("--by", "concentrator", "--medium", "electricity")[("electricity", "C1")]["meters"] == 6
    # two days: one aggregate per group and day
    both = country.invoke("aggregate", "--by", "medium", "--day", DAY, "--to", "2026-06-11", "--json")
    assert [(a["day"], a["group"]) for a in json.loads(both.stdout)["aggregates"]] == [
        (DAY, "electricity"), (DAY, "gas"), ("2026-06-11", "electricity"), ("2026-06-11", "gas"),
    ]  # fmt: skip
    # the table: a suppressed group shows no figure at all
    r = country.invoke("aggregate", "--by", "grid_area", "--day", DAY, "--role", "supplier")
    assert r.exit_code == 0
    s1_line = next(line for line in r.stdout.splitlines() if " S1 " in line)
    assert "suppressed" in s1_line and not any(ch.isdigit() for ch in s1_line.split("S1")[1])
    assert "suppressed: a group of fewer than 5 meters" in r.stdout
    assert f"{s1['energy']:,}".replace(",", " ") not in r.stdout
    r = country.invoke("aggregate", "--by", "grid_area", "--day", DAY)
    assert f"{s1['energy']:,}".replace(",", " ") in r.stdout and "suppressed" not in r.stdout


def test_aggregate_bad_input(country: Country) -> None:
    for args, code, message in (
        (("--by", "street", "--day", DAY), 2, "street"),
        (("--by", "dso", "--day", "2026-06-31"), 2, "YYYY-MM-DD"),
        (("--by", "dso", "--day", DAY, "--to", "2026-06-01"), 2, "before"),
        (("--by", "dso", "--day", DAY, "--role", "dso"), 2, "--dso"),
        (("--by", "dso", "--day", DAY, "--role", "customer"), 2, "customer"),
        (("--by", "dso", "--day", DAY, "--dso", "nope"), 1, "unknown DSO nope"),
    ):
        r = country.invoke("aggregate", *args)
        assert r.exit_code == code, (args, r.stdout, r.stderr)
        assert message in " ".join((r.stdout + r.stderr).split()), (args, r.stdout, r.stderr)
