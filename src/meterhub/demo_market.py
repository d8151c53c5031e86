"""The demo country's market: who supplies and who lives at each metering point, consents, and one login per role.

:func:`populate` runs after the demo has provisioned its metering points: the platform operator, an auditor and an
installer firm; :data:`SUPPLIERS` (four, customers spread across them by a seeded draw) and :data:`ESPS` (two);
one customer per metering point moving in at the start of the history. Then some history: every 7th point
switches supplier half way through (the new supplier sees from that day on, the old one up to it), every 11th
point's customer moves out on day 20 and a new one moves in; every 5th customer has granted the first ESP
interval data and billing reads, and the second ESP has a consent request waiting at every 13th customer. Last,
one login per role (:func:`demo_logins`) written to ``<data-dir>/demo-logins.json`` — role, username, password,
totp_secret (staff) and party_id — so anybody can try each role, and the three showcase households' customer
logins (field ``household``: electricity + gas; PV + EV + heat pump; a flat with water and district heat) — and
notification contacts for the suppliers, the ESPs and the demo customer (:func:`demo_contacts`). Re-running on the
same store adds nothing twice.

Each supplier publishes one energy tariff from the start of the history (:func:`demo_tariffs`, 2026 Luxembourg
energy prices, VAT included, without the network charges): Enovos a flat tariff (its 2026 price from 1 January),
Leo a day/night (HP/HC) tariff, Electris three periods with weekend and holiday rates, Sudenergie a seasonal one —
so every household's supplier of record has a tariff and the costs page has four to compare.
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Final

from meterhub.api.users import add_user
from meterhub.country import LOCAL_TZ
from meterhub.mdm.tariffs import DayProfile, Rate, Season, Switch, Tariff, WeekProfile, single_rate
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
    tariffs: int = 0


def _party(store: Store, kind: str, code: str, name: str) -> int:
    found = store.party_by_code(kind, code)  # type: ignore[arg-type]
    return found.id if found is not None else store.add_party(kind, code, name)  # type: ignore[arg-type]


def populate(store: Store, history_start: datetime, seed: int = 1) -> Market:
    """Create the market (see the module docstring); nothing if the suppliers are there already."""
    if store.party_by_code("supplier", SUPPLIERS[0][0]) is not None:
        tariffs = publish_demo_tariffs(store, history_start)
        return Market(len(SUPPLIERS), len(ESPS), len(store.list_parties("customer")), 0, 0, 0, 0, tariffs)
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
    tariffs = publish_demo_tariffs(store, history_start)
    return Market(len(suppliers), len(esps), customers, switches, moves, consents, requests, tariffs)


def _day(start: time, rate: int, *more: tuple[time, int]) -> tuple[Switch, ...]:
    return (Switch(start, rate), *(Switch(t, r) for t, r in more))


def demo_tariffs() -> dict[str, list[tuple[date | None, Tariff]]]:
    """Each supplier code's tariff versions: (first day, None = the history's start; the tariff)."""
    flat_2025 = single_rate("Naturstroum Fix", 0.1690, 5.50)
    flat_2026 = single_rate("Naturstroum Fix", 0.1590, 5.50)
    hp_hc = Tariff(
        "Leo Duo jour/nuit",
        (Rate(1, "heures pleines (06:00–22:00)", 0.1790), Rate(2, "heures creuses", 0.1290)),
        (DayProfile(1, _day(time(0), 2, (time(6), 1), (time(22), 2))), DayProfile(2, _day(time(0), 2))),
        (WeekProfile("week", (1, 1, 1, 1, 1, 2, 2)),),
        (Season("year", 1, 1, "week"),),
        holiday_day_id=2,
        fixed_eur_month=6.00,
    )
    three = Tariff(
        "Electris Flex 3",
        (Rate(1, "off-peak", 0.1190), Rate(2, "normal", 0.1540), Rate(3, "peak (17:00–21:00)", 0.1990)),
        (
            DayProfile(1, _day(time(0), 1, (time(7), 2), (time(17), 3), (time(21), 2))),
            DayProfile(2, _day(time(0), 1, (time(8), 2))),
        ),
        (WeekProfile("week", (1, 1, 1, 1, 1, 2, 2)),),
        (Season("year", 1, 1, "week"),),
        holiday_day_id=2,
        fixed_eur_month=4.90,
    )
    seasonal = Tariff(
        "Sudstroum Saison",
        (Rate(1, "winter (October–March)", 0.1690), Rate(2, "summer (April–September)", 0.1390)),
        (DayProfile(1, _day(time(0), 1)), DayProfile(2, _day(time(0), 2))),
        (WeekProfile("winter", (1,) * 7), WeekProfile("summer", (2,) * 7)),
        (Season("winter", 10, 1, "winter"), Season("summer", 4, 1, "summer")),
        fixed_eur_month=5.00,
    )
    return {
        "enovos": [(None, flat_2025), (date(2026, 1, 1), flat_2026)],
        "leo": [(None, hp_hc)],
        "electris": [(None, three)],
        "sudenergie": [(None, seasonal)],
    }


def publish_demo_tariffs(store: Store, history_start: datetime) -> int:
    """Publish :func:`demo_tariffs` (a supplier that has published a tariff already is left alone); the count."""
    first = history_start.astimezone(LOCAL_TZ).date()
    published = 0
    for code, versions in demo_tariffs().items():
        party = store.party_by_code("supplier", code)
        if party is None or store.tariff_versions(party.id):
            continue
        dated = [(day or first, tariff) for day, tariff in versions]
        current = [tariff for day, tariff in dated if day <= first][-1]  # the price in force when history starts
        for start, tariff in [(first, current), *((d, x) for d, x in dated if d > first)]:
            store.publish_tariff(party.id, tariff.name, tariff.to_dict(), start, now=history_start)
            published += 1
    return published


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


CONTACT_LANGS: Final = {"enovos": "fr", "sudenergie": "fr", "leo": "de", "electris": "en", "nergie": "fr",
                         "solarwatt": "de"}  # fmt: skip
"""The language of each demo supplier's and ESP's notification e-mails."""


def demo_contacts(store: Store, logins: list[DemoLogin], now: datetime) -> int:
    """Notification contacts for the demo's suppliers and ESPs (``consents@CODE.example.lu``) and for the demo
    customer's household (``demo-customer@household.example.lu``, in French), where none is set yet — a contact the
    household changed on its privacy page is kept. The e-mails land in the demo's outbox folder. The number set."""
    parties = [p for kind in ("supplier", "esp") for p in store.list_parties(kind)]
    known = store.contacts_of([p.id for p in parties] + [x.party_id for x in logins])
    n = 0
    for p in parties:
        if p.id not in known and p.code in CONTACT_LANGS:
            store.set_contact(p.id, f"consents@{p.code}.example.lu", CONTACT_LANGS[p.code], True, now)
            n += 1
    for x in logins:
        if x.role == "customer" and x.party_id not in known:
            store.set_contact(x.party_id, f"{x.username}@household.example.lu", "fr", True, now)
            n += 1
    return n


__all__ = [
    "CONTACT_LANGS",
    "ESPS",
    "LOGINS_FILE",
    "ROLES",
    "SUPPLIERS",
    "DemoLogin",
    "Market",
    "demo_contacts",
    "demo_logins",
    "demo_tariffs",
    "populate",
    "publish_demo_tariffs",
]
