"""The household's pages, timed: p99 server time of each page of the header for a home with 3 years of data in a
store of the demo's size (issue 14's goal: < 300 ms each).

Set-up, off the clock: :func:`meterhub.demo_world.build` — the demo's fleet plan of ``meters`` homes, their
history from the 1st of last month, and the first showcase home's over ``months`` months (36: three years of
quarter-hours, its sub-meters' hours), the market; a customer login for the household living there; the site
(portal + API) in-process behind FastAPI's test client; one warm-up request per page. On the clock: each page of
the household's header (discovered from the header itself, so a new page is timed as soon as it is listed),
``repeats`` times in turn; p50 and p99 per page. The server time is the request's whole round trip in process
(routing, policy layer, store reads, analysis, template) — no network.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient

from meterhub import demo_world
from meterhub.api.users import add_user
from meterhub.portal.site import create_site
from meterhub.store import Store

GOAL_MS = 300.0
PASSWORD = "Bench-household-pages-2026!"
_NAV = re.compile(r'<nav aria-label="[^"]*">(.*?)</nav>', re.S)
_HREF = re.compile(r'href="(/[^"?#]*)"')


def _customer_of(store: Store, ean: str, now: dt.datetime) -> int:
    for h in store.point_histories().values():
        if h.ean == ean:
            party = h.current(h.occupants, now)
            if party is not None:
                return party
    raise RuntimeError(f"nobody lives at {ean}")


def login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    """Log a household in through the login form, as a browser does (the form's pre-session CSRF token)."""
    page = client.get("/").text
    data = {"username": username, "password": password, "code": ""}
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    if token:
        data["csrf"] = token.group(1)
    r = client.post("/login", data=data, follow_redirects=False)
    if r.status_code != 303:
        raise RuntimeError(f"the household's login was refused: HTTP {r.status_code}")


def run(meters: int = 2000, months: int = 36, repeats: int = 50, **_options: Any) -> dict[str, Any]:
    """Build the store (see the module docstring) and time every household page."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="meterhub-bench-pages-") as tmp:
        store = Store.open(Path(tmp))
        try:
            t0 = time.perf_counter()
            world = demo_world.build(store, Path(tmp), now, meters=meters, showcase=1, months=months)
            build_s = time.perf_counter() - t0
            home = world.homes[0]
            ean = next(m.ean for m in world.plan.meters if m.serial == home.serial)
            add_user(store, "bench-home", PASSWORD, "customer", _customer_of(store, ean, now), now)
            client = TestClient(create_site(store), follow_redirects=False)
            login(client, "bench-home")
            nav = _NAV.search(client.get("/home").text)
            paths = list(dict.fromkeys(_HREF.findall(nav.group(1)))) if nav else ["/home"]
            times: dict[str, list[float]] = {}
            status: dict[str, int] = {}
            for path in paths:
                status[path] = client.get(path).status_code  # warm-up: templates compiled, caches filled
                times[path] = []
            for _ in range(repeats):
                for path in paths:
                    t = time.perf_counter()
                    client.get(path)
                    times[path].append((time.perf_counter() - t) * 1000)
        finally:
            store.close()
    p99 = {p: round(float(np.percentile(v, 99)), 1) for p, v in times.items()}
    return {
        "benchmark": "portal-pages",
        "meters": meters,
        "months": months,
        "home": {"serial": home.serial, "kind": home.kind, "sub_meters": list(home.sub_meters)},
        "repeats": repeats,
        "build_s": round(build_s, 1),
        "status": status,
        "page_p50_ms": {p: round(float(np.percentile(v, 50)), 1) for p, v in times.items()},
        "page_p99_ms": p99,
        "goal_ms": GOAL_MS,
        "meets_goal": all(v < GOAL_MS for v in p99.values()) and all(s == 200 for s in status.values()),
    }
