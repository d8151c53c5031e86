"""A small market in a store for the API tests: two DSOs, two suppliers with a switch, an ESP, four customers
with a move, consents, and one caller per role. P1 (dsoA): supplier s1 then s2 from SWITCH, alice then bob from
MOVE, bob's consent to the ESP; P2 (dsoB): s1, carol, carol's consent request to the ESP; P3 (dsoB): s2, dave.
``T0`` is the start of the history, ``NOW`` the tests' time; ``esp2`` (no login) receives the matrix's consents."""

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
        ("supplier", "s1"), ("supplier", "s2"), ("esp", "esp"), ("esp", "esp2"),
        ("customer", "alice"), ("customer", "bob"), ("customer", "carol"), ("customer", "dave"),
    ]:  # fmt: skip
        w.parties[code] = store.add_party(kind, code, code.upper())  # type: ignore[arg-type]
    p = w.parties
    w.points["P1"] = store.add_metering_point("LU0000000000000000000000000000P01", p["dsoA"], grid_area="dsoA")
    w.points["P2"] = store.add_metering_point("LU0000000000000000000000000000P02", p["dsoB"], grid_area="dsoB")
    w.points["P3"] = store.add_metering_point("LU0000000000000000000000000000P03", p["dsoB"], grid_area="dsoB")
    P1, P2, P3 = w.points["P1"], w.points["P2"], w.points["P3"]
    store.set_supplier(P3, p["s2"], T0)
    store.move_in(P3, p["dave"], T0)
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


class Clock:
    """The tests' time: starts at ``NOW`` and moves only when told (each login needs a fresh TOTP step)."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


LOGINS: dict[str, tuple[Role, str]] = {
    "op": ("operator", "op"), "auditor": ("auditor", "audit"), "installer": ("installer", "inst"),
    "dsoA": ("dso", "dsoA"), "dsoB": ("dso", "dsoB"), "s1": ("supplier", "s1"), "s2": ("supplier", "s2"),
    "esp": ("esp", "esp"), "alice": ("customer", "alice"), "bob": ("customer", "bob"), "carol": ("customer", "carol"),
}  # fmt: skip
"""username → (role, party code): one person per party."""
PASSWORD = "Vq7#mLw2!pZx9-Harbour"


def add_logins(store: Store, w: World) -> dict[str, str | None]:
    """One person per party (password :data:`PASSWORD`); returns each one's TOTP secret (None: customers)."""
    from meterhub.api.users import add_user

    return {
        name: add_user(store, name, PASSWORD, role, w.parties[party], T0).totp_secret
        for name, (role, party) in LOGINS.items()
    }


def add_interval_data(store: Store, w: World, days: int = 200) -> dict[str, int]:
    """A meter at each point from T0 (SIM000000n at Pn) with a quarter-hour A+ channel: 100 Wh
    every slot, measured, for ``days`` local days (the 10th estimated). Returns the channel ids by point."""
    import numpy as np

    from meterhub.store import NewBlock, insert_blocks
    from meterhub.store.intervals import local_day_of_epoch, local_day_slots

    first = local_day_of_epoch(int(T0.timestamp()))
    out: dict[str, int] = {}
    for n, (name, dso) in enumerate([("P1", "dsoA"), ("P2", "dsoB"), ("P3", "dsoB")], start=1):
        meter = store.add_meter(f"SIM000000{n}", w.parties[dso], model="t", firmware="1", installed_at=T0)
        store.install(w.points[name], meter, T0)
        ch = out[name] = store.add_channel(meter, "1.0.1.8.0.255", unit="Wh", interval_s=900)
        blocks = []
        for i in range(days):
            day = first + timedelta(days=i)
            slots = local_day_slots(day, 900)
            quality = np.full(slots, 3 if i == 9 else 1, np.uint8)
            blocks.append(NewBlock(ch, day, 1, np.full(slots, 100, np.int64), quality, "test"))
        with store.write() as conn:
            insert_blocks(conn, blocks, now=T0)
    return out
