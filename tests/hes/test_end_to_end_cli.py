"""End-to-end through the CLI: ``meterhub read`` against ``meterhub sim meter`` run in its own process on a free port
gives the A+ register as the simulator's model has it and the meter's clock close to now, as JSON; with a wrong
authentication key it exits with code 2 and says the association was refused, without a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from typing import Any

import pytest

from meterhub.sim import consumption as c
from meterhub.sim.meter import derive_keys

from .conftest import QUARTER, SECRET, UTC, floor_to, free_port_base, stop_process, wait_for_line


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "meterhub.cli.main", *args]


@pytest.fixture
def sim_meter() -> Any:
    """``meterhub sim meter`` on a free port, in its own process: (port, serial, seed, ek, ak)."""
    serial, seed = "LU0012345678", 7
    ek, ak = derive_keys(SECRET, serial)
    for _ in range(3):
        port = free_port_base(1)
        process = subprocess.Popen(
            _cli("sim", "meter", "--port", str(port), "--serial", serial, "--seed", str(seed), "--ek", ek.hex(),
                 "--ak", ak.hex()),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        try:
            wait_for_line(process, "listening", 30)
        except AssertionError:
            stop_process(process)
            continue
        try:
            yield port, serial, seed, ek, ak
        finally:
            stop_process(process)
        return
    pytest.fail("meterhub sim meter did not start")


def test_cli_adhoc_read(sim_meter: Any) -> None:
    """``meterhub read … --json``: the A+ register as the model has it, the meter's clock close to now."""
    port, serial, seed, ek, ak = sim_meter
    before = dt.datetime.now(UTC)
    done = subprocess.run(
        _cli("read", "--port", str(port), "--ek", ek.hex(), "--ak", ak.hex(), "--timeout", "5", "1.0.1.8.0.255",
             "0.0.1.0.0.255", "--json"),
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    after = dt.datetime.now(UTC)
    assert done.returncode == 0, done.stdout + done.stderr
    values = json.loads(done.stdout)
    match = re.fullmatch(r"(\d+(?:\.0+)?) Wh", values["1.0.1.8.0.255"])
    assert match, values
    a_plus = int(float(match.group(1)))
    model = c.ElectricityModel(c.HouseholdTraits.draw(seed, serial))
    candidates = {int(model.register(floor_to(t, QUARTER))[0]) for t in (before, after)}
    assert a_plus in candidates, (a_plus, candidates)
    clock = dt.datetime.fromisoformat(values["0.0.1.0.0.255"])
    assert clock.tzinfo is not None
    assert before - dt.timedelta(seconds=5) <= clock <= after + dt.timedelta(seconds=5), (clock, before, after)


def test_cli_adhoc_read_with_a_wrong_key(sim_meter: Any) -> None:
    """A wrong authentication key: exit code 2 and a message that says the association was refused."""
    port, _serial, _seed, ek, ak = sim_meter
    wrong = bytes(b ^ 0x5A for b in ak)
    done = subprocess.run(
        _cli("read", "--port", str(port), "--ek", ek.hex(), "--ak", wrong.hex(), "--timeout", "5", "1.0.1.8.0.255"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 2, out
    assert "read failed" in out, out
    assert re.search(r"rejected|refused|authentication", out, re.IGNORECASE), out
    assert "Traceback" not in out
