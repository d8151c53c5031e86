"""The repository keeps its promises: CI runs exactly the README's test command, the CLI answers."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import ROOT


def _readme_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


def test_ci_runs_the_readme_test_command() -> None:
    test_command = _readme_blocks()[1]
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1].strip() == test_command


def test_readme_first_command_sets_up() -> None:
    assert _readme_blocks()[0].startswith("./scripts/setup")


def test_cli_lists_commands_and_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "meterhub.cli.main", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "bench" in out
    version = subprocess.run(
        [sys.executable, "-m", "meterhub.cli.main", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert version.startswith("meterhub ")


def test_bench_dlms_prints_json() -> None:
    import json

    out = subprocess.run(
        [sys.executable, "-m", "meterhub.cli.main", "bench", "dlms", "--json", "--rounds", "20"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures = json.loads(out)
    assert figures["rows_per_round"] == 96
    assert figures["us_per_round"] > 0 and figures["rounds_per_s"] > 0


def test_the_readme_slow_command_selects_the_soak_tests() -> None:
    """The README's ``pytest -m slow`` runs something real (an empty selection exits 5 and proves nothing)."""
    text = (ROOT / "README.md").read_text()
    assert "pytest -m slow" in text
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-o", "addopts=", "-m", "slow"]
    out = subprocess.run([*command, "-p", "no:cacheprovider"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    selected = [line for line in out.stdout.splitlines() if line.startswith("tests/") and "::" in line]
    assert {"tests/sim/test_soak.py", "tests/cosem/test_soak.py"} <= {s.split("::")[0] for s in selected}, selected
    assert len(selected) >= 8, selected
