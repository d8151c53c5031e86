"""The policy service over a real store (SQLite and PostgreSQL): which points and windows each role sees, 404 for
the rest, and the access log naming the right used."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from meterhub.api.service import Access, NotVisible
from meterhub.store import Store
from tests.api.world import MOVE, NOW, SWITCH, T0, World, build_world
from tests.pg import BACKENDS, open_store

END = NOW


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, World]]:
    with open_store(request.param, tmp_path) as s:
        yield s, build_world(s)


def spans(access: Access, point: int) -> list[tuple[object, object, str]]:
    return [(w.start, w.end, w.right) for w in access.windows(point, "interval_data", T0, END)]


def test_each_role_sees_its_own_windows(world: tuple[Store, World]) -> None:
    store, w = world
    P1, P2 = w.points["P1"], w.points["P2"]

    def acc(role: str, party: str) -> Access:
        return Access(store, w.caller(role, party), NOW)  # type: ignore[arg-type]

    assert spans(acc("customer", "alice"), P1) == [(T0, MOVE, "own")]
    assert spans(acc("customer", "bob"), P1) == [(MOVE, END, "own")]
    assert spans(acc("supplier", "s1"), P1) == [(T0, SWITCH, "supplier_of_record")]
    assert spans(acc("supplier", "s2"), P1) == [(SWITCH, END, "supplier_of_record")]
    assert spans(acc("dso", "dsoA"), P1) == [(T0, END, "dso")]
    assert spans(acc("esp", "esp"), P1) == [(MOVE, END, f"consent:{w.consents['bob_esp']}")]
    assert spans(acc("auditor", "audit"), P2) == [(T0, END, "auditor")]
    assert spans(acc("operator", "op"), P2) == [(T0, END, "operator")]
    for role, party, point in [
        ("dso", "dsoA", P2), ("customer", "alice", P2), ("supplier", "s2", P2), ("esp", "esp", P2),
        ("installer", "inst", P1),
    ]:  # fmt: skip
        with pytest.raises(NotVisible):
            acc(role, party).windows(point, "interval_data", T0, END)
    with pytest.raises(NotVisible):  # alice's time is over: after the move nothing
        acc("customer", "alice").windows(P1, "interval_data", MOVE, END)
    with pytest.raises(NotVisible):
        acc("operator", "op").point(99999)


def test_listing_names_current_parties_for_staff_only(world: tuple[Store, World]) -> None:
    store, w = world
    p, P1, P2, P3 = w.parties, w.points["P1"], w.points["P2"], w.points["P3"]

    def page(role: str, party: str) -> dict[int, tuple[int, int | None, int | None]]:
        items = Access(store, w.caller(role, party), NOW).page()  # type: ignore[arg-type]
        return {v.point.id: (v.dso, v.supplier, v.customer) for v in items}

    assert page("operator", "op") == {
        P1: (p["dsoA"], p["s2"], p["bob"]), P2: (p["dsoB"], p["s1"], p["carol"]), P3: (p["dsoB"], p["s2"], p["dave"])
    }  # fmt: skip
    assert page("dso", "dsoB") == {P2: (p["dsoB"], p["s1"], p["carol"]), P3: (p["dsoB"], p["s2"], p["dave"])}
    assert page("customer", "alice") == {P1: (p["dsoA"], None, None)}  # her past: nothing of bob
    assert page("customer", "bob") == {P1: (p["dsoA"], p["s2"], p["bob"])}
    assert page("supplier", "s1") == {P1: (p["dsoA"], None, None), P2: (p["dsoB"], p["s1"], p["carol"])}
    assert page("esp", "esp") == {P1: (p["dsoA"], None, None)}  # carol's request gives nothing yet
    assert page("installer", "inst") == {
        P1: (p["dsoA"], None, None),
        P2: (p["dsoB"], None, None),
        P3: (p["dsoB"], None, None),
    }
    all_points = Access(store, w.caller("operator", "op"), NOW)
    assert [v.point.id for v in all_points.page(limit=1)] == [P1]
    assert [v.point.id for v in all_points.page(after=P1)] == [P2, P3]


def test_revocation_ends_access_at_once_and_reads_are_logged(world: tuple[Store, World]) -> None:
    store, w = world
    P1, cid = w.points["P1"], w.consents["bob_esp"]
    esp = Access(store, w.caller("esp", "esp"), NOW)
    windows = esp.windows(P1, "interval_data", T0, END)
    esp.log(P1, "interval_data", windows, "/api/v1/metering-points/{id}/series", "corr-7")
    [entry] = store.access_entries([P1])
    assert (entry.principal, entry.right, entry.period_from, entry.correlation_id) == (
        "user:esp", f"consent:{cid}", MOVE, "corr-7",
    )  # fmt: skip
    store.set_consent_status(cid, "revoked", NOW)
    with pytest.raises(NotVisible):
        Access(store, w.caller("esp", "esp"), NOW).windows(P1, "interval_data", T0, END)
    assert Access(store, w.caller("esp", "esp"), NOW).page() == []
