"""``meterhub billing …`` on a real data dir: monthly runs stored once, corrections as versions, refused reads
listed, on-demand reads all or nothing, gas factors, bad input refused with nothing stored."""

from __future__ import annotations

import json
import re

import sqlalchemy as sa

from meterhub.mdm.billing import month_bounds
from meterhub.store import schema as t
from tests.cli.conftest import Country


def billing_rows(country: Country) -> int:
    with country.store() as store, store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(t.billing_read)).scalar_one())


def delta(country: Country, serial: str, obis: str, start_i: int = 0, end_i: int = -1) -> int:
    _, readings = country.readings[(serial, obis)]
    return int(readings[end_i] - readings[start_i])


def test_monthly_run_stores_once_and_lists_what_cannot_be_billed(country: Country) -> None:
    r = country.invoke("billing", "run", "--month", "2026-06", "--user", "anna", "--json")
    assert r.exit_code == 3, r.stderr  # some reads could not be established
    out = json.loads(r.stdout)
    assert out["channels"] == 10 and out["stored"] == 8 and out["unchanged"] == 0
    refused = {(x["meter"], x["obis"]): x["reason"] for x in out["refused"]}
    assert set(refused) == {("E7", "1.0.1.8.0.255"), ("G0", "0.1.24.2.1.255")}
    assert "period end" in refused[("E7", "1.0.1.8.0.255")]
    assert "no gas conversion factors for 2026-06 in grid area N1" in refused[("G0", "0.1.24.2.1.255")]
    reads = {(x["meter"], x["obis"]): x for x in out["reads"]}
    start, end = month_bounds(2026, 6)
    for (serial, obis), x in reads.items():
        # consumption = the register delta exactly (the midnight register reads of the ingest)
        assert x["consumption"] == delta(country, serial, obis) == x["end_value"] - x["start_value"]
        assert (x["period_start"], x["period_end"]) == (start.isoformat(), end.isoformat())
        assert x["kind"] == "monthly" and x["version"] == 1 and x["computed_by"] == "anna" and x["status"] == "stored"
        assert x["start_source"] == "register:daily"
        assert sum(v["billed"] for v in x["tou"].values()) == x["consumption"]
    assert billing_rows(country) == 8
    # gas factors for the month, then the same run again: only the gas read is new
    r = country.invoke("billing", "gas-factors", "set", "--grid-area", "N1", "--month", "2026-06",
                       "--calorific", "11.2", "--correction", "0.9764", "--user", "ops")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    r = country.invoke("billing", "run", "--month", "2026-06", "--json")
    out = json.loads(r.stdout)
    assert r.exit_code == 3 and (out["stored"], out["unchanged"], out["corrected"]) == (1, 8, 0)
    [gas] = [x for x in out["reads"] if x["meter"] == "G0"]
    litres = delta(country, "G0", "0.1.24.2.1.255")
    assert gas["consumption"] == litres and gas["tou"] is None and gas["grid_area"] == "N1"
    assert gas["gas_energy_wh"] == round(litres * 0.9764 * 11.2)
    assert gas["gas_months"] == [
        {"month": "2026-06", "volume": litres, "calorific_kwh_per_m3": "11.2", "correction": "0.9764",
         "factors_area": "N1", "energy_wh": gas["gas_energy_wh"]}
    ]  # fmt: skip
    assert billing_rows(country) == 9
    # a selection that bills completely exits 0; the table names what happened
    r = country.invoke("billing", "run", "--month", "2026-06", "--meter", "E0", "--meter", "G0")
    assert r.exit_code == 0, r.stderr
    assert re.search(r"unchanged \(already stored\)\s*│\s*3\s*│", r.stdout), r.stdout
    r = country.invoke("billing", "run", "--month", "2026-06", "--dso", "sudgaz")
    assert r.exit_code == 3 and "not established (nothing stored)" in r.stdout and "E7" in r.stdout
    assert billing_rows(country) == 9


def test_bad_input_is_refused_and_stores_nothing(country: Country) -> None:
    for args, code, message in (
        (("billing", "run", "--month", "2026-13"), 2, "YYYY-MM"),
        (("billing", "run", "--month", "June"), 2, "YYYY-MM"),
        (("billing", "run", "--month", "2099-01"), 2, "not over yet"),
        (("billing", "run", "--month", "2026-06", "--meter", "NOPE"), 1, "unknown meter(s): NOPE"),
        (("billing", "run", "--month", "2026-06", "--dso", "nope"), 1, "unknown DSO nope"),
        (("billing", "run", "--month", "2026-06", "--calendar", "lunar"), 2, "lunar"),
        (("billing", "read", "--meter", "NOPE", "--from", "2026-06-01", "--to", "2026-06-02"), 1, "unknown meter"),
        (("billing", "read", "--meter", "E0", "--from", "2026-06-31", "--to", "2026-06-02"), 2, "--from"),
        (("billing", "read", "--meter", "E0", "--from", "2026-06-05", "--to", "2026-06-02"), 2, "end after"),
        (("billing", "read", "--meter", "E0", "--from", "2026-06-05T10:00", "--to", "2026-06-06"), 2, "UTC offset"),
        (("billing", "read", "--meter", "E0", "--from", "2026-06-05T10:05:00+02:00", "--to", "2026-06-06"), 1,
         "slot grid"),
        (("billing", "read", "--meter", "E0", "--from", "2026-06-01", "--to", "2026-06-02", "--obis", "1.0.3.8.0.255"),
         1, "has no channel 1.0.3.8.0.255"),
        (("billing", "read", "--meter", "E0", "--from", "2026-06-01", "--to", "2026-06-02", "--obis", "x"), 2, "OBIS"),
        (("billing", "read", "--meter", "E7", "--from", "2026-06-10", "--to", "2026-06-25"), 1, "nothing stored"),
        (("billing", "read", "--meter", "G0", "--from", "2026-06-10", "--to", "2026-06-12", "--tou"), 2, "TOU"),
        (("billing", "list", "--meter", "NOPE"), 1, "unknown meter"),
        (("billing", "mark-sent", "42", "--to", "enovos"), 1, "no stored billing read 42"),
        (("billing", "gas-factors", "set", "--month", "2026-06", "--calorific", "abc", "--correction", "1"), 2,
         "decimal"),
        (("billing", "gas-factors", "set", "--month", "2026-06", "--calorific", "40", "--correction", "1"), 2,
         "outside"),
        (("billing", "gas-factors", "set", "--month", "2026-00", "--calorific", "11", "--correction", "1"), 2,
         "YYYY-MM"),
    ):  # fmt: skip
        r = country.invoke(*args)
        assert r.exit_code == code, (args, r.exit_code, r.stdout, r.stderr)
        assert message in " ".join((r.stdout + r.stderr).split()), (args, r.stdout, r.stderr)
    assert billing_rows(country) == 0
    r = country.invoke("billing", "read", "--meter", "E7", "--from", "2026-06-10", "--to", "2026-06-25", "--json")
    assert r.exit_code == 1 and json.loads(r.stdout)["ok"] is False
    r = country.invoke("--data-dir", "/nonexistent/x", "billing", "list", "--meter", "E0")
    assert r.exit_code != 0
    with country.store() as store:
        assert store.list_channels() and billing_rows(country) == 0


def test_no_store_in_the_data_dir(tmp_path) -> None:
    from tests.cli.conftest import Country

    empty = Country(tmp_path / "empty", {})
    r = empty.invoke("billing", "list", "--meter", "E0")
    assert r.exit_code == 1 and "no store in" in r.stderr
    assert not (tmp_path / "empty").exists()


def test_on_demand_read_versions_and_sent_marker(country: Country) -> None:
    args = ("billing", "read", "--meter", "E0", "--from", "2026-06-10", "--to", "2026-06-11", "--tou", "--json")
    r = country.invoke(*args, "--user", "anna")
    assert r.exit_code == 0, r.stderr
    reads = {x["obis"]: x for x in json.loads(r.stdout)["reads"]}
    assert set(reads) == {"1.0.1.8.0.255", "1.0.2.8.0.255"}
    i0 = 9 * 96  # local midnight starting 10 June
    for obis, x in reads.items():
        assert x["kind"] == "on_demand" and x["status"] == "stored" and x["tou_calendar"] == "national"
        assert x["consumption"] == delta(country, "E0", obis, i0, i0 + 2 * 96)
        assert sum(v["billed"] for v in x["tou"].values()) == x["consumption"]
    # the same read again: nothing new; after an edit in the day rate: a second version, consumption the same
    assert [x["status"] for x in json.loads(country.invoke(*args).stdout)["reads"]] == ["unchanged", "unchanged"]
    r = country.invoke("edit", "intervals", "--meter", "E0", "--obis", "1.0.1.8.0.255", "--day", "2026-06-10",
                       "--slot", "03:00", "--value", "4000", "--reason", "swap", "--user", "anna")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    r = country.invoke(*args, "--obis", "1-0:1.8.0")
    [x] = json.loads(r.stdout)["reads"]
    assert x["status"] == "corrected" and x["version"] == 2
    assert x["consumption"] == reads["1.0.1.8.0.255"]["consumption"] and x["tou"] != reads["1.0.1.8.0.255"]["tou"]
    # list: every version, the old one marked
    r = country.invoke("billing", "list", "--meter", "E0", "--json")
    listed = json.loads(r.stdout)["reads"]
    assert [(x["obis"], x["version"], x["current"]) for x in listed] == [
        ("1.0.1.8.0.255", 1, False), ("1.0.1.8.0.255", 2, True), ("1.0.2.8.0.255", 1, True),
    ]  # fmt: skip
    r = country.invoke("billing", "list", "--meter", "E0", "--obis", "1.0.1.8.0.255")
    assert (
        r.exit_code == 0 and "(old)" in r.stdout and "on-demand" in r.stdout and "2026-06-10 … 2026-06-11" in r.stdout
    )
    assert (
        json.loads(country.invoke("billing", "list", "--meter", "E0", "--current", "--json").stdout)["reads"][0][
            "version"
        ]
        == 2
    )
    # sent: once, and only the current version
    old, current = listed[0]["id"], listed[1]["id"]
    r = country.invoke("billing", "mark-sent", str(old), "--to", "enovos")
    assert r.exit_code == 1 and "superseded by version 2" in r.stderr
    r = country.invoke("billing", "mark-sent", str(current), "--to", "enovos")
    assert r.exit_code == 0 and "marked sent to enovos" in r.stdout
    assert country.invoke("billing", "mark-sent", str(current), "--to", "x").exit_code == 1
    r = country.invoke("billing", "list", "--meter", "E0", "--json")
    assert [x["sent_to"] for x in json.loads(r.stdout)["reads"]] == [None, "enovos", None]
    # human output of a read: the values with their sources
    r = country.invoke("billing", "read", "--meter", "E0", "--obis", "1.0.2.8.0.255", "--from",
                       "2026-06-10T10:15:00+02:00", "--to", "2026-06-10T18:00:00+02:00")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert "intervals:daily" in r.stdout and "stored" in r.stdout


def test_a_correction_of_a_sent_monthly_read_is_flagged_for_resending(country: Country) -> None:
    r = country.invoke("billing", "run", "--month", "2026-06", "--meter", "E1", "--json")
    [x] = json.loads(r.stdout)["reads"]
    assert country.invoke("billing", "mark-sent", str(x["id"]), "--to", "enovos").exit_code == 0
    # the meter's own billing register read at the end of the month differs from the daily read
    from meterhub.store.db import RegisterRead, add_register_reads

    end = month_bounds(2026, 6)[1]
    with country.store() as store, store.write() as conn:
        ch = store.meter_by_serial("E1")
        assert ch is not None
        [chan] = store.list_channels([ch.id])
        add_register_reads(conn, [RegisterRead(chan.id, end, "billing", x["end_value"] + 12, "hes")])
    r = country.invoke("billing", "run", "--month", "2026-06", "--meter", "E1")
    assert r.exit_code == 0, r.stderr
    assert "corrected after sending: send again" in r.stdout
    r = country.invoke("billing", "list", "--meter", "E1", "--json")
    versions = json.loads(r.stdout)["reads"]
    assert [(v["version"], v["consumption"], v["sent_to"]) for v in versions] == [
        (1, x["consumption"], "enovos"), (2, x["consumption"] + 12, None),
    ]  # fmt: skip


def test_gas_factors_set_and_list(country: Country) -> None:
    assert "no gas conversion factors stored" in country.invoke("billing", "gas-factors", "list").stdout
    for area in ("N1", None):
        args = ["billing", "gas-factors", "set", "--month", "2026-06", "--calorific", "11.25", "--correction", "0.97"]
        r = country.invoke(*args, *(["--grid-area", area] if area else []), "--user", "ops")
        assert r.exit_code == 0, r.stderr
    r = country.invoke("billing", "gas-factors", "set", "--grid-area", "N1", "--month", "2026-06", "--calorific",
                       "11.3", "--correction", "0.98", "--json")  # fmt: skip
    assert json.loads(r.stdout)["calorific_kwh_per_m3"] == "11.3"
    r = country.invoke("billing", "gas-factors", "list", "--json")
    factors = [(f["grid_area"], f["month"], f["calorific_kwh_per_m3"], f["correction"])
               for f in json.loads(r.stdout)["factors"]]  # fmt: skip
    assert factors == [(None, "2026-06", "11.25", "0.97"), ("N1", "2026-06", "11.3", "0.98")]
    r = country.invoke("billing", "gas-factors", "list")
    assert "national" in r.stdout and "11.3" in r.stdout
