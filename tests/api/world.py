"""A small market in a store for the API tests: two DSOs, two suppliers with a switch, an ESP, three customers
with a move, consents, and one caller per role. ``T0`` is the start of the history, ``NOW`` the tests' time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from meterhub.api.rights import Principal, Role
from meterhub.api.service import Caller
from meterhub.store import Store

T0 = datetime(2025, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)
MOVE = T0 + 50 * DAY  # alice moves out of P1, bob moves in
SWITCH = T0 + 100 * DAY  # P1's supplier of record: s1 until here, s2 from here on
NOW = T0 + 200 * DAY


@dataclass
class World:
    parties: dict[str, int] = field(default_factory=dict)
    points: dict[str, int] = field(default_factory=dict)
    consents: dict[str, int] = field(default_factory=dict)

    def caller(self, role: Role, party: str, scopes: frozenset[str] | None = None) -> Caller:
        pid = self.parties[party]
        return Caller(Principal(role, str(pid), scopes), f"user:{party}", pid)


def build_world(store: Store) -> World:
    w = World()
    for kind, code in [
        ("operator", "op"), ("auditor", "audit"), ("installer", "inst"), ("dso", "dsoA"), ("dso", "dsoB"),
        ("supplier", "s1"), ("supplier", "s2"), ("esp", "esp"),
        ("customer", "alice"), ("customer", "bob"), ("customer", "carol"),
    ]:  # fmt: skip
        w.parties[code] = store.add_party(kind, code, code.upper())  # type: ignore[arg-type]
    p = w.parties
    w.points["P1"] = store.add_metering_point("LU0000000000000000000000000000P01", p["dsoA"], grid_area="dsoA")
    w.points["P2"] = store.add_metering_point("LU0000000000000000000000000000P02", p["dsoB"], grid_area="dsoB")
    P1, P2 = w.points["P1"], w.points["P2"]
    store.set_supplier(P1, p["s1"], T0)
    store.set_supplier(P1, p["s2"], SWITCH)
    store.set_supplier(P2, p["s1"], T0)
    store.move_in(P1, p["alice"], T0)
    store.move_in(P1, p["bob"], MOVE)
    store.move_in(P2, p["carol"], T0)
    w.consents["bob_esp"] = store.add_consent(p["bob"], p["esp"], [P1], ["interval_data"], MOVE, None, "active", MOVE)
    w.consents["carol_esp_asked"] = store.add_consent(
        p["carol"], p["esp"], [P2], ["interval_data"], T0, None, "requested", T0 + DAY
    )
    return w
