"""Remote operations over a real store (SQLite and PostgreSQL): the command service and the mass-disconnect guard
together — the lifecycle with its history, a restart in the middle, expiry, a burst from several accounts halted
and released, four eyes on a batch, self-approval and life support refused."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from meterhub.ops import commands as cm
from meterhub.ops import guard as gd
from meterhub.ops.service import CommandService, Target
from meterhub.store import Store
from meterhub.store import commands as sc
from meterhub.store import inventory as inv
from tests.pg import BACKENDS, open_store

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ADMIN = gd.Actor("adam", "operator_admin", 1)
STAFF = [gd.Actor(name, "operator", 1) for name in ("alice", "bob", "carol", "dave", "erin", "frank", "gina")]
ALICE, BOB, CAROL = STAFF[:3]


@dataclass
class Fleet:
    store: Store
    dso_a: int
    dso_b: int
    targets_a: list[Target]
    targets_b: list[Target]


@pytest.fixture(params=BACKENDS)
def fleet(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Fleet]:
    with open_store(request.param, tmp_path) as store:
        operator = store.add_party("operator", "OP", "Operator")
        assert operator == 1
        dso_a, dso_b = store.add_dso("CREOS", "Creos"), store.add_dso("SUDEN", "Sudenergie")
        targets: dict[int, list[Target]] = {dso_a: [], dso_b: []}
        with store.write() as conn:
            for dso, n in ((dso_a, 70), (dso_b, 10)):
                for i in range(n):
                    point = inv.add_metering_point(conn, f"LU{dso:02d}{i:06d}", dso)
                    meter = inv.add_meter(conn, f"M{dso:02d}{i:06d}", dso, model="sim", firmware="1")
                    inv.install(conn, point, meter, T0 - timedelta(days=30))
                    targets[dso].append(Target(meter, point))
        yield Fleet(store, dso_a, dso_b, targets[dso_a], targets[dso_b])


def reopen(store: Store) -> Store:
    """The same database opened afresh, as after a restart of the process."""
    url = store.engine.url.render_as_string(hide_password=False)
    store.close()
    return Store.open(url)


def approved(svc: CommandService, by: gd.Actor, kind: str, targets: list[Target], at: datetime = T0) -> list[int]:
    cmds = svc.request(by, kind, targets, at)
    approver = BOB if by.name != "bob" else CAROL
    for cmd in cmds:
        svc.approve(approver, cmd.id, at)
    return [c.id for c in cmds]


def test_a_disconnect_through_every_state_with_its_history(fleet: Fleet) -> None:
    svc = CommandService(fleet.store)
    (cmd,) = svc.request(ALICE, "breaker_disconnect", fleet.targets_a[:1], T0, priority=8)
    assert (cmd.state, cmd.bundle_id, cmd.needs_second, len(cmd.correlation_id)) == ("requested", None, False, 32)
    assert svc.by_correlation(cmd.correlation_id).id == cmd.id
    assert svc.dispatch(T0) == []  # not approved: nothing goes out
    svc.approve(BOB, cmd.id, T0 + timedelta(seconds=1))
    (out,) = svc.dispatch(T0 + timedelta(seconds=2))
    assert (out.id, out.state, out.attempts) == (cmd.id, "sent", 1)
    done = svc.confirm(cmd.id, T0 + timedelta(seconds=3), "disconnected")
    assert (done.state, done.result, done.approved_by) == ("confirmed", "disconnected", "bob")
    history = [(e.from_state, e.to_state, e.actor, e.at - T0) for e in svc.history(cmd.id)]
    assert history == [
        (None, "requested", "alice", timedelta(0)),
        ("requested", "approved", "bob", timedelta(seconds=1)),
        ("approved", "queued", "system", timedelta(seconds=2)),
        ("queued", "sent", "system", timedelta(seconds=2)),
        ("sent", "confirmed", "head-end", timedelta(seconds=3)),
    ]
    with pytest.raises(cm.IllegalTransition, match="cannot go from confirmed to queued"):
        svc.fail(cmd.id, T0 + timedelta(seconds=4), "late")  # confirmed is final
    assert svc.get(cmd.id).version == 5  # one per recorded transition


def test_a_restart_in_the_middle_carries_on_from_the_store(fleet: Fleet) -> None:
    svc = CommandService(fleet.store)
    sent_id, waiting_id = approved(svc, ALICE, "breaker_reconnect", fleet.targets_a[:2])
    (later,) = svc.request(ALICE, "clock_sync", [Target(fleet.targets_a[2].meter_id)], T0)
    assert [c.id for c in svc.dispatch(T0, limit=1)] == [sent_id]  # by priority, due time, then id
    # the process dies here: one command sent with no answer yet, one queued, one waiting for its approval
    store = reopen(fleet.store)
    try:
        svc2 = CommandService(store)
        assert [svc2.get(i).state for i in (sent_id, waiting_id, later.id)] == ["sent", "queued", "requested"]
        svc2.approve(BOB, later.id, T0 + timedelta(minutes=1))
        at = T0 + cm.ANSWER_TIMEOUT
        assert sorted(c.id for c in svc2.dispatch(at)) == [waiting_id, later.id]
        timed_out = svc2.get(sent_id)  # no answer: queued again after the backoff, not at once
        assert (timed_out.state, timed_out.next_attempt_at) == ("queued", at + timedelta(minutes=1))
        retry = svc2.dispatch(at + timedelta(minutes=1))
        assert [(c.id, c.attempts) for c in retry] == [(sent_id, 2)]
        assert svc2.confirm(sent_id, at + timedelta(minutes=2)).state == "confirmed"
        notes = [e.note for e in svc2.history(sent_id) if e.note]
        assert any("no answer within 300 s" in n for n in notes)
    finally:
        fleet.store = store


def test_commands_expire_at_their_deadline(fleet: Fleet) -> None:
    svc = CommandService(fleet.store)
    (unapproved,) = svc.request(ALICE, "read_on_demand", fleet.targets_a[:1], T0, expires_at=T0 + timedelta(hours=1))
    two, three = T0 + timedelta(hours=2), T0 + timedelta(hours=3)
    (held,) = svc.request(ALICE, "relay_open", fleet.targets_a[1:2], T0, not_before=two, expires_at=three)
    svc.approve(BOB, held.id, T0)
    assert svc.dispatch(T0 + timedelta(minutes=59)) == []
    assert svc.get(held.id).state == "queued"
    svc.dispatch(T0 + timedelta(hours=1))
    assert svc.get(unapproved.id).state == "expired"
    assert [c.id for c in svc.dispatch(T0 + timedelta(hours=2))] == [held.id]
    svc.dispatch(T0 + timedelta(hours=3))
    assert svc.get(held.id).state == "expired"  # sent, never answered, deadline passed


def test_the_guard_halts_a_burst_from_several_accounts_until_an_operator_admin_releases_it(fleet: Fleet) -> None:
    alarms: list[gd.Halt] = []
    svc = CommandService(fleet.store, on_alarm=alarms.append)
    ids: list[int] = []
    for n, actor in enumerate(STAFF[:6]):  # six accounts, ten disconnects each: no single one is a large batch
        ids += approved(svc, actor, "breaker_disconnect", fleet.targets_a[10 * n : 10 * n + 10])
    (sync,) = svc.request(ALICE, "clock_sync", [Target(fleet.targets_a[0].meter_id)], T0)
    svc.approve(BOB, sync.id, T0)
    out = svc.dispatch(T0 + timedelta(seconds=1))
    disconnects = [c for c in out if c.kind == "breaker_disconnect"]
    assert len(disconnects) == 50 and sync.id in {c.id for c in out}  # the clock sync is not held
    for c in out:
        svc.confirm(c.id, T0 + timedelta(seconds=2))
    (halt,) = svc.halts()
    assert (halt.scope, halt.since, len(alarms)) == ("national", T0 + timedelta(seconds=1), 1)
    assert "more than 50 disconnects or valve closures within 10 min" in halt.reason
    held = [i for i in ids if fleet.store.command(i).state == "queued"]  # type: ignore[union-attr]
    assert len(held) == 10
    assert svc.dispatch(T0 + timedelta(minutes=30)) == []  # still halted, long after the window
    assert len(svc.halts()) == 1 and len(alarms) == 1  # one alarm, not one per held command
    for actor in (ALICE, gd.Actor("dora", "dso", fleet.dso_a), gd.Actor("audrey", "auditor", 1)):
        with pytest.raises(cm.CommandRefused, match="only an operator admin may release"):
            svc.release(actor, halt.id, T0 + timedelta(minutes=31))
    # the halt survives a restart
    store = reopen(fleet.store)
    fleet.store = store
    svc = CommandService(store, on_alarm=alarms.append)
    assert [h.id for h in svc.halts()] == [halt.id]
    released = svc.release(ADMIN, halt.id, T0 + timedelta(minutes=31))
    assert (released.released_by, released.active) == ("adam", False)
    with pytest.raises(cm.CommandRefused, match="already released"):
        svc.release(ADMIN, halt.id, T0 + timedelta(minutes=32))
    rest = svc.dispatch(T0 + timedelta(minutes=32))
    assert sorted(c.id for c in rest) == sorted(held) and svc.halts() == []


def test_the_window_slides_and_a_dsos_own_policy_halts_only_that_dso(fleet: Fleet) -> None:
    policies = gd.Policies(gd.GuardPolicy(limit=50), {fleet.dso_b: gd.GuardPolicy(limit=5)})
    svc = CommandService(fleet.store, policies)
    first = approved(svc, ALICE, "breaker_disconnect", fleet.targets_a[:10])
    first += approved(svc, BOB, "breaker_disconnect", fleet.targets_a[10:20])
    first += approved(svc, CAROL, "breaker_disconnect", fleet.targets_a[20:30])
    assert len(svc.dispatch(T0)) == 30
    later = T0 + timedelta(minutes=11)
    for n, actor in enumerate(STAFF[3:6]):
        approved(svc, actor, "breaker_disconnect", fleet.targets_a[30 + 10 * n : 40 + 10 * n], later)
    assert len(svc.dispatch(later)) == 30 and svc.halts() == []  # the first 30 left the window
    approved(svc, ALICE, "valve_close", fleet.targets_b[:8], later)
    out = svc.dispatch(later + timedelta(seconds=1))
    assert len(out) == 5
    assert [h.scope for h in svc.halts()] == [f"dso:{fleet.dso_b}"]
    approved(svc, STAFF[6], "breaker_disconnect", fleet.targets_a[60:62], later)
    assert len(svc.dispatch(later + timedelta(seconds=2))) == 2  # the other DSO still runs


def test_a_large_batch_needs_a_second_different_approver(fleet: Fleet) -> None:
    svc = CommandService(fleet.store)
    batch = svc.request(ALICE, "breaker_disconnect", fleet.targets_a[:11], T0)
    bundle = batch[0].bundle_id
    assert bundle is not None and all(c.bundle_id == bundle and c.needs_second for c in batch)
    with pytest.raises(cm.CommandRefused, match="alice requested command"):
        svc.approve_bundle(ALICE, bundle, T0)
    first = svc.approve_bundle(BOB, bundle, T0)
    assert {c.state for c in first} == {"requested"} and {c.approved_by for c in first} == {"bob"}
    assert svc.dispatch(T0) == []
    with pytest.raises(cm.CommandRefused, match="bob already approved"):
        svc.approve_bundle(BOB, bundle, T0)
    second = svc.approve_bundle(CAROL, bundle, T0 + timedelta(minutes=1))
    assert {(c.state, c.second_approver) for c in second} == {("approved", "carol")}
    assert len(svc.dispatch(T0 + timedelta(minutes=1))) == 11
    small = svc.request(BOB, "breaker_disconnect", fleet.targets_a[20:30], T0)
    assert not any(c.needs_second for c in small)
    (eleventh,) = svc.request(BOB, "breaker_disconnect", fleet.targets_a[30:31], T0 + timedelta(minutes=2))
    assert eleventh.needs_second  # one account's eleventh disconnect within the window: four eyes too


def test_self_approval_another_dso_and_roles_are_refused(fleet: Fleet) -> None:
    svc = CommandService(fleet.store)
    (cmd,) = svc.request(ALICE, "breaker_disconnect", fleet.targets_a[:1], T0)
    with pytest.raises(cm.CommandRefused, match=r"alice requested command \d+ and cannot approve it"):
        svc.approve(ALICE, cmd.id, T0)
    with pytest.raises(cm.CommandRefused, match="own DSO"):
        svc.approve(gd.Actor("dora", "dso", fleet.dso_b), cmd.id, T0)
    with pytest.raises(cm.CommandRefused, match="the supplier role may not request"):
        svc.request(gd.Actor("sam", "supplier", fleet.dso_a), "breaker_disconnect", fleet.targets_a[1:2], T0)
    dora = gd.Actor("dora", "dso", fleet.dso_a)
    assert svc.approve(dora, cmd.id, T0).state == "approved"
    assert [e.to_state for e in svc.history(cmd.id)] == ["requested", "approved"]


def test_disconnecting_a_life_support_point_is_refused(fleet: Fleet) -> None:
    svc = CommandService(fleet.store)
    target = fleet.targets_a[5]
    assert target.metering_point_id is not None
    assert fleet.store.set_life_support(target.metering_point_id, True)
    assert fleet.store.get_metering_point(target.metering_point_id).life_support  # type: ignore[union-attr]
    for kind in ("breaker_disconnect", "valve_close"):
        with pytest.raises(cm.CommandRefused, match="life-support"):
            svc.request(ALICE, kind, fleet.targets_a[:10], T0)  # one such point refuses the whole bundle
    assert fleet.store.commands() == []
    assert svc.request(ALICE, "breaker_reconnect", [target], T0)[0].state == "requested"
    with pytest.raises(cm.CommandRefused, match="needs the metering point"):
        svc.request(ALICE, "breaker_disconnect", [Target(target.meter_id)], T0)


def test_a_stale_write_is_refused_by_the_version(fleet: Fleet) -> None:
    svc = CommandService(fleet.store)
    (cmd,) = svc.request(ALICE, "alarm_clear", fleet.targets_a[:1], T0)
    moved, _ = cm.approve(cmd, "bob", T0)
    event = {"at": T0, "from_state": "requested", "to_state": "approved", "actor": "bob", "note": None}
    with fleet.store.write() as conn:
        assert sc.save_command(conn, asdict(moved), event)
        assert not sc.save_command(conn, asdict(moved), event)  # the same version again: another worker's
    assert svc.get(cmd.id).version == 2 and len(svc.history(cmd.id)) == 2


def test_two_dispatchers_at_once_never_send_more_than_the_limit(fleet: Fleet) -> None:
    import threading

    svc = CommandService(fleet.store)
    for n, actor in enumerate(STAFF[:6]):
        approved(svc, actor, "breaker_disconnect", fleet.targets_a[10 * n : 10 * n + 10])
    url = fleet.store.engine.url.render_as_string(hide_password=False)
    other = Store.open(url)
    results: list[int] = []
    barrier = threading.Barrier(2)

    def worker(store: Store) -> None:
        barrier.wait()
        results.append(len(CommandService(store).dispatch(T0, limit=40)))

    try:
        threads = [threading.Thread(target=worker, args=(s,)) for s in (fleet.store, other)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
    finally:
        other.close()
    assert sorted(results) == [10, 40]  # 50 in all, whoever came first; the rest halted
    assert len(fleet.store.commands(("sent",))) == 50 and len(svc.halts()) == 1
