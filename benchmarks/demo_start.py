"""Demo start-up benchmark: how long ``meterhub demo`` takes until its web app answers, and how long the
background history then takes to fill (``meterhub bench demo-start --json``).

One run in a fresh data dir (a temporary directory): ``python -m meterhub.cli.main --data-dir DIR demo
--meters N --port P`` in its own process; ``seconds_to_first_page`` is the wall time from the start of that
process to the first HTTP 200 of ``GET /`` (the login page) — goal: under :data:`GOAL_S` (60 s) on an
installed checkout. Beside it, the obvious baseline: ``seconds_to_head_end_read`` is when the head-end's read
of the last two days over DLMS is done (reported in the data dir's progress file), which is when the demo
used to serve its page. With ``fill`` (default on) it also waits for the background fill (showcase homes'
months, every meter from the 1st of last month, last month's billing run) to finish — ``minutes_to_full_fill``
— and reports what is stored: block versions, register reads, billing reads, the data dir's size. The
machine's load average (1 min) is reported at the start and the end: the figures are wall times on a shared
machine, and the load says how shared it was.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Final

GOAL_S: Final = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except (urllib.error.URLError, OSError):
        return None


def _progress(data_dir: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((data_dir / "demo-history.json").read_text()))
    except (OSError, ValueError):
        return {}


def _stored(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return {
            name: int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
            for name, table in (
                ("block_versions", "interval_block"),
                ("register_reads", "register_read"),
                ("billing_reads", "billing_read"),
            )
        }
    finally:
        conn.close()


def _size_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6, 1)


def run(meters: int = 2000, fill: bool = True, timeout_s: float = 1800.0, keep: bool = False) -> dict[str, Any]:
    """``meters``: the demo's size (its default, 2000); ``fill``: also wait for the background fill;
    ``keep``: keep the data dir (its path is reported)."""
    data_dir = Path(tempfile.mkdtemp(prefix="meterhub-demo-bench-")) / "data"
    port = _free_port()
    load_start = os.getloadavg()[0]
    log = (data_dir.parent / "demo.log").open("w")
    t0 = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "meterhub.cli.main", "--data-dir", str(data_dir), "demo", "--meters", str(meters),
         "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "COLUMNS": "100"},
    )  # fmt: skip
    out: dict[str, Any] = {"meters": meters, "goal_s": GOAL_S, "load_1min_start": round(load_start, 2)}
    try:
        first = hes = done = None
        while time.perf_counter() - t0 < timeout_s and process.poll() is None:
            now = time.perf_counter() - t0
            if first is None and _status(f"http://127.0.0.1:{port}/") == 200:
                first = now
            state = _progress(data_dir)
            if hes is None and isinstance(state.get("hes"), dict) and "report" in state["hes"]:
                hes = now
            if state.get("error"):
                out["error"] = state["error"]
                break
            if state.get("finished"):
                done = now
                break
            if first is not None and not fill:
                break
            time.sleep(0.5)
        out["seconds_to_first_page"] = None if first is None else round(first, 1)
        out["seconds_to_head_end_read"] = None if hes is None else round(hes, 1)
        out["goal_met"] = first is not None and first < GOAL_S
        if fill:
            out["minutes_to_full_fill"] = None if done is None else round(done / 60, 1)
            state = _progress(data_dir)
            out["billing"] = state.get("billing")
            out["showcase_homes"] = len(state.get("showcase", []))
            out |= _stored(data_dir / "meterhub.sqlite")
            out["data_dir_mb"] = _size_mb(data_dir)
        out["load_1min_end"] = round(os.getloadavg()[0], 2)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # the demo stops its fleet and its fill
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()
        if keep:
            out["data_dir"] = str(data_dir)
        else:
            shutil.rmtree(data_dir.parent, ignore_errors=True)
    return out
