"""Start-up: ``meterhub --help`` and every ``meterhub COMMAND --help`` import none of the heavy libraries (the
store, numpy, the web app, Parquet, crypto, drivers) nor any meterhub package outside the CLI — checked in a
fresh interpreter's ``sys.modules``, never by the clock (the times are ``meterhub bench cli-startup``'s)."""

from __future__ import annotations

import json

from benchmarks.cli_startup import HEAVY, walk_helps

from tests.cli.conftest import cli


def test_no_help_imports_a_heavy_module() -> None:
    walked = walk_helps()
    names = {" ".join(c) for c in walked["commands"]}
    assert {"", "demo", "read", "hes run", "billing read", "export csv", "store init", "keys show", "sim fleet",
            "p1 read", "bench"} <= names, names  # fmt: skip
    assert walked["loaded"] == {}, f"imported by --help: {walked['loaded']}"


def test_bench_cli_startup_runs_from_the_cli() -> None:
    done = cli("bench", "cli-startup", "--json", "--rounds", "1", "--option", "commands=1")
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["heavy_modules"] == [] and figures["commands_timed"] == 1 and figures["commands"] > 30
    assert figures["help_s"] > 0 and set(HEAVY) >= {"numpy", "sqlalchemy", "fastapi", "plotly", "pyarrow"}
