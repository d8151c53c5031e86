"""CLI start-up benchmark: how long ``meterhub --help`` and every ``meterhub COMMAND --help`` take to start, and
which heavy libraries they import (none should: a command imports what it uses when it runs).

Each round starts a fresh interpreter (``python -m meterhub.cli.main ARGS``) and takes its wall time to exit
and the CPU time it used (user + system: ``*_cpu_s``, what a loaded machine inflates least); figures are
medians over ``rounds`` (3). ``help_s`` is ``meterhub --help``; ``command_help_s`` the median over every
command's ``--help`` (sub-commands included); ``slowest_command_help`` names the slowest (by wall time). One more
interpreter walks every command's help in-process and lists ``heavy_modules``: the :data:`HEAVY` libraries
in ``sys.modules`` afterwards (goal: none) — the test suite asserts the same (tests/cli/test_startup.py).
Goal: ``help_s`` and ``command_help_s`` well under 1 s (they were about 3 s when every command's imports
sat at module level).
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from typing import Any, Final

GOAL_S: Final = 1.0
#: Libraries a ``--help`` must not import (the store, numerics, the web app, Parquet, crypto, drivers).
HEAVY: Final = (
    "numpy", "sqlalchemy", "alembic", "fastapi", "starlette", "uvicorn", "plotly", "pyarrow", "jinja2",
    "cryptography", "holidays", "psycopg", "httpx", "aiomqtt", "serial", "argon2",
)  # fmt: skip

#: Run in a fresh interpreter: every command's ``--help`` in turn, then print what got imported.
_WALK: Final = """
import json, sys
import typer
from meterhub.cli.main import app

root = typer.main.get_command(app)

def paths(command, prefix):
    yield prefix
    for name, sub in sorted(getattr(command, "commands", {}).items()):  # a group (typer's own click)
        yield from paths(sub, [*prefix, name])

heavy = tuple(sys.argv[1].split(","))
commands, loaded = [], {}
for path in paths(root, []):
    commands.append(path)
    try:
        app([*path, "--help"], prog_name="meterhub", standalone_mode=True)
    except SystemExit:
        pass
    for name in list(sys.modules):
        top = name.split(".")[0]
        if top in heavy or (top == "meterhub" and not name.startswith("meterhub.cli") and name != "meterhub"):
            loaded.setdefault(name, " ".join(path) or "--help")
print("\\n" + json.dumps({"commands": commands, "loaded": loaded}))
"""


def walk_helps() -> dict[str, Any]:
    """Every command path of ``meterhub`` and the modules (heavy or outside the CLI) that their ``--help``
    imported, each with the first command whose help did it."""
    done = subprocess.run(
        [sys.executable, "-c", _WALK, ",".join(HEAVY)], capture_output=True, text=True, timeout=120, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _start(args: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system) of one ``meterhub ARGS`` in a fresh interpreter."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "meterhub.cli.main", *args], capture_output=True, timeout=120, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _median(args: list[str], rounds: int) -> tuple[float, float]:
    runs = [_start(args) for _ in range(rounds)]
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def run(rounds: int = 3, commands: int | None = None) -> dict[str, Any]:
    """``commands``: time only the first N commands' help (all by default; the heavy-module walk covers all)."""
    walked = walk_helps()
    paths: list[list[str]] = [c for c in walked["commands"] if c][:commands]
    help_s, help_cpu_s = _median(["--help"], rounds)
    per_command = {" ".join(c): _median([*c, "--help"], rounds) for c in paths}
    slowest = max(per_command, key=lambda c: per_command[c][0])
    loaded = walked["loaded"]
    return {
        "rounds": rounds,
        "help_s": round(help_s, 3),
        "help_cpu_s": round(help_cpu_s, 3),
        "command_help_s": round(statistics.median(w for w, _ in per_command.values()), 3),
        "command_help_cpu_s": round(statistics.median(c for _, c in per_command.values()), 3),
        "slowest_command_help": slowest,
        "slowest_command_help_s": round(per_command[slowest][0], 3),
        "commands": len(walked["commands"]) - 1,
        "commands_timed": len(paths),
        "heavy_modules": sorted(m for m in loaded if m.split(".")[0] in HEAVY),
        "goal_s": GOAL_S,
        "goal_met": help_s < GOAL_S and per_command[slowest][0] < GOAL_S and not loaded,
    }
