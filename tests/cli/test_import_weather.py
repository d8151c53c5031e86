"""``meterhub import weather``: a good file stored (report, ``--json``), a bad line refused naming file and line
with exit code 1 and nothing stored (in its own process: no traceback), an unknown file or area a usage error."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from meterhub.store import Store
from tests.cli.conftest import cli, invoke


def test_a_good_file_is_stored(tmp_path: Path) -> None:
    data = tmp_path / "data"
    file = tmp_path / "weather.csv"
    file.write_text("date,temperature_c,irradiance_wm2\n2025-01-01,3.4,21\n2025-01-02,-1.25,\n")
    res = invoke("--data-dir", str(data), "import", "weather", str(file))
    assert res.exit_code == 0, res.stdout + res.stderr
    assert "2 days 2025-01-01 … 2025-01-02 stored" in res.stdout
    file.write_text("2025-01-02,0.5\n2025-01-03,1\n")
    res = invoke("--data-dir", str(data), "import", "weather", str(file), "--json", "--area", "lu-n")
    assert res.exit_code == 0, res.stdout + res.stderr
    assert json.loads(res.stdout) == {"ok": True, "days": 2, "first": "2025-01-02", "last": "2025-01-03",
                                      "replaced": 0, "area": "LU-N"}  # fmt: skip
    with Store.open(data) as store:
        lu = store.weather_days(date(2025, 1, 1), date(2025, 1, 31))
        assert [(d.day, d.temperature_c, d.irradiance_wm2) for d in lu] == [
            (date(2025, 1, 1), 3.4, 21.0), (date(2025, 1, 2), -1.25, None),
        ]  # fmt: skip
        assert len(store.weather_days(date(2025, 1, 1), date(2025, 1, 31), "LU-N")) == 2


def test_a_bad_line_refuses_the_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    file = tmp_path / "bad.csv"
    file.write_text("date,temperature_c\n2025-01-01,3\n2025-01-02,3,5,6\n2025-01-03,hot\n")
    res = cli("--data-dir", str(data), "import", "weather", str(file))
    assert res.returncode == 1, res.stdout + res.stderr
    assert "Traceback" not in res.stderr
    assert "2 problem(s), nothing imported" in res.stderr
    assert f"{file}:3: expected at most 3 columns" in res.stderr
    assert f"{file}:4: temperature_c 'hot' is not a number" in res.stderr
    with Store.open(data) as store:
        assert store.weather_days(date(2025, 1, 1), date(2025, 12, 31)) == []
    res2 = invoke("--data-dir", str(data), "import", "weather", str(file), "--json")
    assert res2.exit_code == 1 and json.loads(res2.stdout)["errors"][0].startswith(f"{file}:3:")


def test_usage_errors(tmp_path: Path) -> None:
    res = invoke("--data-dir", str(tmp_path / "d"), "import", "weather", str(tmp_path / "none.csv"))
    assert res.exit_code == 2 and "no such file" in res.stdout + res.stderr
    file = tmp_path / "w.csv"
    file.write_text("2025-01-01,3\n")
    res = invoke("--data-dir", str(tmp_path / "d"), "import", "weather", str(file), "--area", "a b")
    assert res.exit_code == 2 and "--area" in res.stdout + res.stderr
