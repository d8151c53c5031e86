"""The policy's rules as a table of hand-made cases over a small world of points, parties, moves, switches, consents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from meterhub.api.policy import (
    ACTIONS,
    WRITE_RIGHTS,
    Action,
    aggregate_area,
    can_write,
    clip,
    consent_problems,
    consent_spans,
    occupancy_spans,
    sees_inventory,
    visible_points,
    visible_windows,
)
from meterhub.api.rights import (
    ROLES,
    STAFF_ROLES,
    Consent,
    Occupancy,
    PointRights,
    Principal,
    Rights,
    Scope,
    SupplierPeriod,
)
from meterhub.api.spans import BEGINNING, FOREVER, Span, Window


def d(y: int, m: int, day: int = 1) -> datetime:
    return datetime(y, m, day, tzinfo=UTC)


NOW = d(2025, 6, 1)
P1, P2, P3, P4 = "LU-P1", "LU-P2", "LU-P3", "LU-P4"

# P1 (Creos area): Enovos supplies until 2024-07-01, then Sudstroum; Anna lives there until 2024-05-01, then Ben.
# P2 (Sudenergie area): Enovos all along; Clara lives there since 2021.
# P3 (Creos): Dan's move-out was never recorded; Eva moved in on 2023-01-01 (the later start wins).
# P4 (Creos): two occupants recorded from the same day (ambiguous: neither sees that time).
WORLD = Rights.of(
    [
        PointRights(
            P1,
            "dso:creos",
            suppliers=(
                SupplierPeriod("sup:enovos", d(2023, 1), d(2024, 7)),
                SupplierPeriod("sup:sudstroum", d(2024, 7)),
            ),
            occupancies=(Occupancy("cust:ben", d(2024, 5)), Occupancy("cust:anna", d(2022, 3), d(2024, 5))),
        ),
        PointRights(
            P2,
            "dso:sudenergie",
            suppliers=(SupplierPeriod("sup:enovos", d(2020, 1)),),
            occupancies=(Occupancy("cust:clara", d(2021, 1)),),
        ),
        PointRights(
            P3, "dso:creos", occupancies=(Occupancy("cust:dan", d(2020, 1)), Occupancy("cust:eva", d(2023, 1)))
        ),
        PointRights(
            P4, "dso:creos", occupancies=(Occupancy("cust:x", d(2023, 1)), Occupancy("cust:y", d(2023, 1), d(2024, 1)))
        ),
    ],
    [
        # Ben lets an ESP see P1's interval data from 2023 on: cut to his move-in on 2024-05-01.
        Consent("c1", "cust:ben", "esp:nergie", frozenset({P1}), frozenset({"interval_data"}), d(2023, 1), d(2026, 1)),
        # Ben's live-P1 consent to the same ESP, revoked on 2025-02-01.
        Consent("c2", "cust:ben", "esp:nergie", frozenset({P1}), frozenset({"live_p1"}), d(2024, 5), None, d(2025, 2)),
        # Anna let Sudstroum see her P1 data (before Sudstroum became supplier); she moved out on 2024-05-01.
        Consent("c3", "cust:anna", "sup:sudstroum", frozenset({P1}), frozenset({"interval_data"}), d(2022, 3)),
        # Clara "grants" another ESP P1, which is not hers: worth nothing.
        Consent("c4", "cust:clara", "esp:greenbutton", frozenset({P1}), frozenset({"interval_data"}), d(2021, 1)),
        # Clara's consent to the ESP for P2 that expired on 2025-01-01.
        Consent(
            "c5", "cust:clara", "esp:nergie", frozenset({P2}), frozenset({"billing_reads"}), d(2021, 1), d(2025, 1)
        ),
        # Ben's consent to the ESP for billing reads starts in the future: in force, from May 2025 on.
        Consent("c6", "cust:ben", "esp:nergie", frozenset({P1}), frozenset({"billing_reads"}), d(2025, 5), d(2027, 1)),
    ],
)

ALL = (d(2019, 1), d(2026, 1))  # a request wider than every history


def W(start: datetime, end: datetime, right: str) -> Window:
    return Window(start, end, right)


def who(role: str, party: str) -> Principal:
    return Principal(role, party)  # type: ignore[arg-type]


# fmt: off
CASES: list[tuple[str, Principal, str, Scope, tuple[datetime, datetime], list[Window]]] = [
    # --- customers: own points during own occupancy only
    ("former occupant keeps her past", who("customer", "cust:anna"), P1, "interval_data", ALL,
     [W(d(2022, 3), d(2024, 5), "own")]),
    ("new occupant sees from move-in only", who("customer", "cust:ben"), P1, "interval_data", ALL,
     [W(d(2024, 5), ALL[1], "own")]),
    ("new occupant asking for the former's time sees nothing", who("customer", "cust:ben"), P1, "interval_data",
     (d(2023, 1), d(2024, 5)), []),
    ("request straddling the move-in is cut to it", who("customer", "cust:ben"), P1, "billing_reads",
     (d(2024, 4), d(2024, 6)), [W(d(2024, 5), d(2024, 6), "own")]),
    ("occupant sees live P1", who("customer", "cust:ben"), P1, "live_p1", ALL, [W(d(2024, 5), ALL[1], "own")]),
    ("customer never sees another household", who("customer", "cust:clara"), P1, "interval_data", ALL, []),
    ("unrecorded move-out: the former is cut at the new move-in", who("customer", "cust:dan"), P3, "interval_data",
     ALL, [W(d(2020, 1), d(2023, 1), "own")]),
    ("unrecorded move-out: the new one sees from move-in", who("customer", "cust:eva"), P3, "interval_data", ALL,
     [W(d(2023, 1), ALL[1], "own")]),
    ("same-day move-ins: the ambiguous time goes to nobody", who("customer", "cust:y"), P4, "interval_data", ALL, []),
    ("same-day move-ins: the other record is refused too", who("customer", "cust:x"), P4, "interval_data", ALL, []),
    # --- DSO: own grid area, all time
    ("DSO sees its area all time", who("dso", "dso:creos"), P1, "interval_data", ALL, [W(*ALL, "dso")]),
    ("DSO sees billing reads", who("dso", "dso:creos"), P1, "billing_reads", ALL, [W(*ALL, "dso")]),
    ("DSO of another area sees nothing", who("dso", "dso:sudenergie"), P1, "interval_data", ALL, []),
    ("DSO does not see live P1", who("dso", "dso:creos"), P1, "live_p1", ALL, []),
    # --- suppliers: supplier-of-record periods, plus consents granted to them
    ("old supplier sees up to the switch", who("supplier", "sup:enovos"), P1, "interval_data", ALL,
     [W(d(2023, 1), d(2024, 7), "supplier_of_record")]),
    ("new supplier sees from the switch, plus Anna's consent for her time", who("supplier", "sup:sudstroum"), P1,
     "interval_data", ALL, [W(d(2022, 3), d(2024, 5), "consent:c3"), W(d(2024, 7), ALL[1], "supplier_of_record")]),
    ("new supplier's billing reads: no consent for them", who("supplier", "sup:sudstroum"), P1, "billing_reads",
     ALL, [W(d(2024, 7), ALL[1], "supplier_of_record")]),
    ("new supplier asking before the switch (billing) sees nothing", who("supplier", "sup:sudstroum"), P1,
     "billing_reads", (d(2024, 1), d(2024, 7)), []),
    ("supplier of record does not see live P1", who("supplier", "sup:sudstroum"), P1, "live_p1", ALL, []),
    ("supplier on another point it supplies", who("supplier", "sup:enovos"), P2, "billing_reads", ALL,
     [W(d(2020, 1), ALL[1], "supplier_of_record")]),
    ("a supplier that never supplied sees nothing", who("supplier", "sup:other"), P1, "interval_data", ALL, []),
    # --- ESPs: consents only
    ("consent reaching back before the grantor's move-in is cut to it", who("esp", "esp:nergie"), P1,
     "interval_data", ALL, [W(d(2024, 5), d(2026, 1), "consent:c1")]),
    ("revoked consent shows nothing, not even the past", who("esp", "esp:nergie"), P1, "live_p1", ALL, []),
    ("expired consent shows nothing", who("esp", "esp:nergie"), P2, "billing_reads", ALL, []),
    ("consent granted by a non-occupant is worth nothing", who("esp", "esp:greenbutton"), P1, "interval_data", ALL,
     []),
    ("a consent covers its own scopes only", who("esp", "esp:nergie"), P2, "interval_data", ALL, []),
    ("a consent starting in the future covers only its own window", who("esp", "esp:nergie"), P1, "billing_reads",
     ALL, [W(d(2025, 5), d(2026, 1), "consent:c6")]),
    ("ESP without consent sees nothing", who("esp", "esp:other"), P1, "interval_data", ALL, []),
    # --- operator, auditor, installer
    ("operator sees everything", who("operator", "op:meterhub"), P2, "live_p1", ALL, [W(*ALL, "operator")]),
    ("operator admin sees everything", who("operator_admin", "op:meterhub"), P4, "interval_data", ALL,
     [W(*ALL, "operator")]),
    ("auditor sees everything", who("auditor", "aud:ilr"), P1, "interval_data", ALL, [W(*ALL, "auditor")]),
    ("installer sees no personal data", who("installer", "inst:elec"), P1, "interval_data", ALL, []),
    ("installer sees no billing reads", who("installer", "inst:elec"), P1, "billing_reads", ALL, []),
    # --- anybody: an unknown point is invisible
    ("unknown point", who("operator", "op:meterhub"), "LU-NOPE", "interval_data", ALL, []),
]
# fmt: on


@pytest.mark.parametrize(("principal", "point", "scope", "period", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_policy_table(
    principal: Principal, point: str, scope: Scope, period: tuple[datetime, datetime], expected: list[Window]
) -> None:
    assert clip(principal, point, scope, *period, WORLD, NOW) == expected


def test_revocation_takes_effect_at_once() -> None:
    esp = who("esp", "esp:nergie")
    before = clip(esp, P1, "live_p1", *ALL, WORLD, d(2025, 2) - timedelta(microseconds=1))
    assert before == [W(d(2024, 5), ALL[1], "consent:c2")]
    assert clip(esp, P1, "live_p1", *ALL, WORLD, d(2025, 2)) == []


def test_expired_consent_was_visible_before_it_expired() -> None:
    esp = who("esp", "esp:nergie")
    assert clip(esp, P2, "billing_reads", *ALL, WORLD, d(2024, 6)) == [W(d(2021, 1), d(2025, 1), "consent:c5")]
    assert clip(esp, P2, "billing_reads", *ALL, WORLD, d(2025, 1)) == []


def test_oauth_scopes_narrow_a_client() -> None:
    client = Principal("supplier", "sup:sudstroum", scopes=frozenset({"billing_reads"}))
    assert clip(client, P1, "interval_data", *ALL, WORLD, NOW) == []
    assert clip(client, P1, "billing_reads", *ALL, WORLD, NOW) == [W(d(2024, 7), ALL[1], "supplier_of_record")]


def test_visible_windows_have_open_ends() -> None:
    assert visible_windows(who("dso", "dso:creos"), P1, "interval_data", WORLD, NOW) == [W(BEGINNING, FOREVER, "dso")]
    assert visible_windows(who("customer", "cust:ben"), P1, "interval_data", WORLD, NOW) == [
        W(d(2024, 5), FOREVER, "own")
    ]


def test_bad_requests_are_clear_errors() -> None:
    op = who("operator", "op:meterhub")
    with pytest.raises(ValueError, match="requested period is empty"):
        clip(op, P1, "interval_data", d(2024, 1), d(2024, 1), WORLD, NOW)
    with pytest.raises(ValueError, match="unknown scope"):
        clip(op, P1, "gas_data", *ALL, WORLD, NOW)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timezone-aware"):
        clip(op, P1, "interval_data", datetime(2024, 1, 1), d(2024, 2), WORLD, NOW)
    with pytest.raises(ValueError, match="unknown role"):
        Principal("root", "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ends before it starts"):
        Occupancy("cust:z", d(2024, 2), d(2024, 1))
    with pytest.raises(ValueError, match="unknown scopes"):
        Consent("c9", "a", "b", frozenset(), frozenset({"everything"}), d(2024, 1))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="given twice"):
        Rights.of([PointRights(P1, "dso:creos"), PointRights(P1, "dso:creos")])


def test_consent_and_occupancy_helpers() -> None:
    point = WORLD.points[P1]
    c1 = WORLD.consents[0]
    assert consent_spans(c1, point) == [Span(d(2024, 5), d(2026, 1))]
    assert consent_spans(c1, WORLD.points[P2]) == []  # not named in the consent
    assert occupancy_spans(point, "cust:anna") == [Span(d(2022, 3), d(2024, 5))]
    assert c1.ends_at() == d(2026, 1) and WORLD.consents[1].ends_at() == d(2025, 2)
    assert WORLD.consents[2].ends_at() is None and WORLD.consents[2].in_force(d(9000, 1))


def test_consent_problems() -> None:
    def consent(points: set[str], start: datetime, end: datetime | None = None, scopes: set[str] | None = None):
        chosen = frozenset({"interval_data"} if scopes is None else scopes)
        return Consent("new", "cust:ben", "esp:nergie", frozenset(points), chosen, start, end)  # type: ignore[arg-type]

    assert consent_problems(consent({P1}, d(2024, 5), d(2026, 1)), WORLD, NOW) == []
    assert consent_problems(consent({P1}, d(2023, 1)), WORLD, NOW) == [
        "For metering point LU-P1 the history can reach back to your move-in on 2024-05-01 at most."
    ]
    assert consent_problems(consent({P2, "LU-NOPE"}, d(2024, 5)), WORLD, NOW) == [
        "Metering point LU-NOPE is not yours.",
        "Metering point LU-P2 is not yours.",
    ]
    assert consent_problems(consent({P1}, d(2024, 5), d(2025, 1)), WORLD, NOW) == [
        "The end date must lie in the future and after the start."
    ]
    assert len(consent_problems(consent(set(), d(2024, 5), scopes=set()), WORLD, NOW)) == 2
    assert consent_problems(consent({P1}, d(2024, 5), scopes=set()), WORLD, NOW) == [
        "Choose what may be seen: interval data, billing reads or live P1 data."
    ]


def test_consent_problems_of_a_former_occupant() -> None:
    def by_anna(start: datetime) -> Consent:
        return Consent("new", "cust:anna", "esp:nergie", frozenset({P1}), frozenset({"interval_data"}), start)

    assert consent_problems(by_anna(d(2023, 1)), WORLD, NOW) == []  # her own past: she may share it
    assert consent_problems(by_anna(d(2024, 6)), WORLD, NOW) == [
        "For metering point LU-P1 you moved out on 2024-05-01: the consent can only cover your own time there."
    ]


def test_visible_points() -> None:
    assert visible_points(who("dso", "dso:creos"), WORLD, NOW) == [P1, P3, P4]
    assert visible_points(who("customer", "cust:ben"), WORLD, NOW) == [P1]
    assert visible_points(who("supplier", "sup:enovos"), WORLD, NOW) == [P1, P2]
    assert visible_points(who("esp", "esp:nergie"), WORLD, NOW) == [P1]
    assert visible_points(who("installer", "inst:elec"), WORLD, NOW) == []
    assert visible_points(who("auditor", "aud:ilr"), WORLD, NOW) == [P1, P2, P3, P4]


def test_sees_inventory() -> None:
    assert sees_inventory(who("installer", "inst:elec"), P1, WORLD, NOW)
    assert sees_inventory(who("dso", "dso:creos"), P1, WORLD, NOW)
    assert not sees_inventory(who("dso", "dso:sudenergie"), P1, WORLD, NOW)
    assert sees_inventory(who("customer", "cust:anna"), P1, WORLD, NOW)
    assert not sees_inventory(who("customer", "cust:clara"), P1, WORLD, NOW)
    assert not sees_inventory(who("operator", "op:meterhub"), "LU-NOPE", WORLD, NOW)


# --- writes ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_auditor_cannot_write(action: Action) -> None:
    assert not can_write(who("auditor", "aud:ilr"), action)


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    [
        ("customer", "consents.grant", True),
        ("customer", "consents.revoke", True),
        ("customer", "consent_requests.answer", True),
        ("customer", "readings.edit", False),
        ("customer", "consent_requests.create", False),
        ("supplier", "consent_requests.create", True),
        ("supplier", "consents.grant", False),
        ("esp", "consent_requests.create", True),
        ("esp", "readings.edit", False),
        ("esp", "commands.request", False),
        ("dso", "readings.edit", True),
        ("dso", "commands.approve", True),
        ("dso", "users.manage", False),
        ("operator", "commands.request", True),
        ("operator", "commands.approve", False),
        ("operator", "users.manage", False),
        ("operator_admin", "users.manage", True),
        ("operator_admin", "parties.manage", True),
        ("installer", "inventory.update", True),
        ("installer", "readings.edit", False),
    ],
)
def test_write_rights(role: str, action: Action, allowed: bool) -> None:
    assert can_write(who(role, "p"), action) is allowed


def test_oauth_client_needs_the_action_as_scope() -> None:
    assert not can_write(Principal("supplier", "sup:x", scopes=frozenset({"interval_data"})), "consent_requests.create")
    assert can_write(Principal("supplier", "sup:x", scopes=frozenset({"consent_requests.create"})),
                     "consent_requests.create")  # fmt: skip
    assert not can_write(who("operator_admin", "op"), "drop.database")  # type: ignore[arg-type]


def test_every_role_has_write_rights_and_staff_roles() -> None:
    assert set(WRITE_RIGHTS) == ROLES
    assert all(actions <= ACTIONS for actions in WRITE_RIGHTS.values())
    assert {"customer"} == ROLES - STAFF_ROLES


# --- aggregates ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "asked", "answer"),
    [
        (Principal("dso", "dso:a"), None, (True, "dso:a")),
        (Principal("dso", "dso:a"), "dso:a", (True, "dso:a")),
        (Principal("dso", "dso:a"), "dso:b", (False, None)),
        (Principal("operator", "op"), None, (True, None)),
        (Principal("operator", "op"), "dso:b", (True, "dso:b")),
        (Principal("auditor", "aud"), "dso:a", (True, "dso:a")),
        (Principal("operator_admin", "op"), None, (True, None)),
        (Principal("dso", "dso:a", frozenset({"interval_data"})), None, (True, "dso:a")),
        (Principal("dso", "dso:a", frozenset({"billing_reads"})), None, (False, None)),
        (Principal("supplier", "sup:x"), None, (False, None)),
        (Principal("esp", "esp:y"), None, (False, None)),
        (Principal("customer", "c"), None, (False, None)),
        (Principal("installer", "i"), None, (False, None)),
    ],
)
def test_aggregate_area(principal: Principal, asked: str | None, answer: tuple[bool, str | None]) -> None:
    assert aggregate_area(principal, asked) == answer
