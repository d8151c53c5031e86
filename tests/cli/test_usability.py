"""What a user meets first: DSO codes in any letter case (an unknown one lists the known), billing and
aggregate tables readable at 80 columns, ``aggregate --by medium`` with the medium once and every load
figure with its unit."""

from __future__ import annotations

import json
import re

from tests.cli.conftest import Country, invoke

DAY = "2026-06-10"


def _at_80(country: Country, *args: str):
    r = invoke("--data-dir", str(country.data_dir), *args)
    assert r.exit_code == 0, r.stdout + r.stderr
    too_wide = [line for line in r.stdout.splitlines() if len(line) > 80]
    assert not too_wide, r.stdout
    return r.stdout


def test_dso_codes_in_any_case_and_an_unknown_one_lists_the_known(country: Country) -> None:
    def meters(code: str) -> int:
        r = country.invoke("aggregate", "--by", "dso", "--day", DAY, "--dso", code, "--json")
        assert r.exit_code == 0, r.stderr
        return sum(a["meters"] for a in json.loads(r.stdout)["aggregates"] if a["medium"] == "electricity")

    assert meters("creos") == meters("CREOS") == meters("Creos") == 6
    for args in (("aggregate", "--by", "dso", "--day", DAY, "--dso", "enovos"),
                 ("billing", "run", "--month", "2026-06", "--dso", "enovos")):  # fmt: skip
        r = country.invoke(*args)
        assert r.exit_code == 1, r.stdout + r.stderr
        assert "unknown DSO enovos (known DSOs: creos, sudgaz)" in " ".join(r.stderr.split()), r.stderr
    r = country.invoke("billing", "run", "--month", "2026-06", "--dso", "SUDGAZ", "--json")
    outcome = json.loads(r.stdout)
    assert r.exit_code == 3 and [x["meter"] for x in outcome["reads"]] == ["E6"], r.stdout  # E7 stops on 20 June
    assert [x["meter"] for x in outcome["refused"]] == ["E7"]


def test_billing_read_and_list_are_readable_at_80_columns(country: Country) -> None:
    out = _at_80(country, "billing", "read", "--meter", "E0", "--from", DAY, "--to", "2026-06-11", "--tou")
    reads = json.loads(country.invoke("billing", "list", "--meter", "E0", "--json").stdout)["reads"]
    assert {r["obis"] for r in reads} == {"1.0.1.8.0.255", "1.0.2.8.0.255"}
    for r in reads:  # every figure whole, none cut to "…"
        assert f"· {r['obis']}" in out
        assert re.search(rf"consumption\s+{r['consumption']:,}".replace(",", " "), out), out
        assert f"{r['end_value']:,} ({r['end_source']})".replace(",", " ") in out
        for rate, figures in r["tou"].items():
            assert f"{rate} {figures['billed']:,}".replace(",", " ") in out
    listed = _at_80(country, "billing", "list", "--meter", "E0")
    assert "on-demand" in listed and "2026-06-10 … 2026-06-11" in listed
    # a wide terminal keeps the one table
    wide = country.invoke("billing", "list", "--meter", "E0").stdout
    assert re.search(r"┃ id ┃ obis\s+┃ kind", wide), wide


def test_aggregate_by_medium_shows_the_medium_once_with_units(country: Country) -> None:
    wide = country.invoke("aggregate", "--by", "medium", "--day", DAY)
    assert wide.exit_code == 0, wide.stderr
    header = next(line for line in wide.stdout.splitlines() if "┃ day" in line)
    assert header.count("medium") == 1, header
    row = next(line for line in wide.stdout.splitlines() if "│ 2026-06-10 │ gas" in line)
    assert row.count("l/60 min") == 4, row  # peak, p10, p50 and base: slot totals per hour
    by_dso = country.invoke("aggregate", "--by", "dso", "--day", DAY).stdout
    assert next(line for line in by_dso.splitlines() if "┃ day" in line).count("medium") == 1
    narrow = _at_80(country, "aggregate", "--by", "medium", "--day", DAY)
    assert "2026-06-10 · electricity" in narrow and "medium" not in narrow.split("\n", 1)[1]
    for figure in ("peak", "p10", "p50", "base"):
        assert re.search(rf"^{figure}\s+[\d ]+ Wh/15 min\s*$", narrow, re.MULTILINE), (figure, narrow)
