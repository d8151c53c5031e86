"""The demo country's market: who supplies and who lives at each metering point, consents, and one login per role.

:func:`populate` runs after the demo has provisioned its metering points: the platform operator, an auditor and an
installer firm; :data:`SUPPLIERS` (four, customers spread across them by a seeded draw) and :data:`ESPS` (two);
one customer per metering point moving in at the start of the history. Then some history: every 7th point
switches supplier half way through (the new supplier sees from that day on, the old one up to it), every 11th
point's customer moves out on day 20 and a new one moves in; every 5th customer has granted the first ESP
interval data and billing reads, and the second ESP has a consent request waiting at every 13th customer. Last,
one login per role (:func:`demo_logins`) written to ``<data-dir>/demo-logins.json`` — role, username, password,
totp_secret (staff) and party_id — so anybody can try each role, and the three showcase households' customer
logins (field ``household``: electricity + gas; PV + EV + heat pump; a flat with water and district heat). Re-running
on the same store adds nothing twice.
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from meterhub.api.users import add_user
from meterhub.store import Store
from meterhub.store.consents import add_consent
from meterhub.store.inventory import add_party, list_metering_points
from meterhub.store.parties import move_in, move_out, set_supplier

LOGINS_FILE: Final = "demo-logins.json"
SUPPLIERS: Final = (("enovos", "Enovos Luxembourg"), ("sudenergie", "Sudenergie"), ("leo", "Leo"),
                    ("electris", "Electris"))  # fmt: skip
ESPS: Final = (("nergie", "Nergie Insights"), ("solarwatt", "SolarWatt Services"))
ROLES: Final = ("operator", "operator_admin", "dso", "supplier", "esp", "customer", "auditor", "installer")


@dataclass(frozen=True, slots=True)
class DemoLogin:
    role: str
    username: str
    password: str
    totp_secret: str | None
    party_id: int
    household: str | None = None  # the showcase household a customer login is (see demo_households.HOUSEHOLDS)


@dataclass(frozen=True, slots=True)
class Market:
    suppliers: int
    esps: int
    customers: int
    switches: int
    moves: int
    consents: int
    requests: int


def _party(store: Store, kind: str, code: str, name: str) -> int:
    found = store.party_by_code(kind, code)  # type: ignore[arg-type]
    return found.id if found is not None else store.add_party(kind, code, name)  # type: ignore[arg-type]


def populate(store: Store, history_start: datetime, seed: int = 1) -> Market:
    """Create the market (see the module docstring); nothing if the suppliers are there already."""
    if store.party_by_code("supplier", SUPPLIERS[0][0]) is not None:
        return Market(len(SUPPLIERS), len(ESPS), len(store.list_parties("customer")), 0, 0, 0, 0)
    rng = random.Random(seed)
    switch_at, move_at = history_start + timedelta(days=15), history_start + timedelta(days=20)
    switches = moves = consents = requests = customers = 0
    with store.write() as conn:
        suppliers = [add_party(conn, "supplier", code, name) for code, name in SUPPLIERS]
        esps = [add_party(conn, "esp", code, name) for code, name in ESPS]
        for n, point in enumerate(list_metering_points(conn)):
            customer = add_party(conn, "customer", f"C{point.id:07d}", f"Household {point.ean[-6:]}")
            customers += 1
            move_in(conn, point.id, customer, history_start)
            supplier = rng.choice(suppliers)
            set_supplier(conn, point.id, supplier, history_start)
            if n % 7 == 3:
                set_supplier(conn, point.id, rng.choice([s for s in suppliers if s != supplier]), switch_at)
                switches += 1
            holder = customer
            if n % 11 == 5:
                move_out(conn, point.id, move_at)
                holder = add_party(conn, "customer", f"C{point.id:07d}b", f"New household {point.ean[-6:]}")
                move_in(conn, point.id, holder, move_at)
                customers += 1
                moves += 1
            if n % 5 == 0:
                add_consent(conn, customer, esps[0], [point.id], ["interval_data", "billing_reads"], history_start,
                            None, "active", history_start)  # fmt: skip
                consents += 1
            if n % 13 == 0:
                add_consent(conn, holder, esps[1], [point.id], ["interval_data"], history_start + timedelta(days=1)
                            if holder == customer else move_at, None, "requested", move_at)  # fmt: skip
                requests += 1
    return Market(len(suppliers), len(esps), customers, switches, moves, consents, requests)


def _login_party(store: Store, role: str) -> int:
    if role in ("operator", "operator_admin"):
        return _party(store, "operator", "platform", "meterhub platform operator")
    if role == "auditor":
        return _party(store, "auditor", "ilr", "Institut Luxembourgeois de Régulation (auditor)")
    if role == "installer":
        return _party(store, "installer", "elec-install", "Elec Install SARL")
    kind = {"dso": "dso", "supplier": "supplier", "esp": "esp", "customer": "customer"}[role]
    parties = store.list_parties(kind)  # type: ignore[arg-type]
    if role == "customer":  # a household with an ESP consent and a supplier switch to show, if there is one
        granted = {c.grantor_id for p in parties[:50] for c in store.consents_of_party(p.id) if c.status == "active"}
        return next((p.id for p in parties if p.id in granted), parties[0].id)
    return parties[0].id


def demo_logins(
    store: Store, data_dir: Path, now: datetime, households: Sequence[tuple[str, str, int, str]] = ()
) -> list[DemoLogin]:
    """One login per role, then one customer login per showcase household ``households`` (username, household,
    customer party, serial: :func:`meterhub.demo_households.household_homes`) — created once; their passwords
    live only in the logins file."""
    path = data_dir / LOGINS_FILE
    known: list[DemoLogin] = []
    if path.exists():
        known = [DemoLogin(**x) for x in json.loads(path.read_text())]
        names = {x.username for x in known}
        if all(store.user_by_name(x.username) is not None for x in known) and all(h[0] in names for h in households):
            return known
    logins: list[DemoLogin] = [x for x in known if store.user_by_name(x.username) is not None]
    wanted: list[tuple[str, str, str | None, int | None]] = [
        (role, f"demo-{role.replace('_', '-')}", None, None) for role in ROLES
    ]
    wanted += [("customer", username, household, party) for username, household, party, _ in households]
    for role, username, household, party in wanted:
        if store.user_by_name(username) is not None:
            continue
        password = "mh-" + secrets.token_urlsafe(12)
        made = add_user(store, username, password, role, party or _login_party(store, role), now)
        logins.append(DemoLogin(role, username, password, made.totp_secret, made.user.party_id, household))
    path.write_text(json.dumps([asdict(x) for x in logins], indent=2) + "\n")
    path.chmod(0o600)
    return logins


__all__ = ["ESPS", "LOGINS_FILE", "ROLES", "SUPPLIERS", "DemoLogin", "Market", "demo_logins", "populate"]
