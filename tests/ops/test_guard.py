"""The mass-disconnect guard (meterhub.ops.guard), pure: the rate limit per scope, four eyes, who may request,
approve and release, and life support."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from meterhub.ops import commands as cm
from meterhub.ops import guard as gd

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
DSO_A, DSO_B = 1, 2
POLICIES = gd.Policies(gd.GuardPolicy(limit=50), {DSO_A: gd.GuardPolicy(limit=5, four_eyes_above=3)})
OPERATOR = gd.Actor("olga", "operator", 99)
ADMIN = gd.Actor("adam", "operator_admin", 99)


def command(kind: str = "breaker_disconnect", dso: int = DSO_B, by: str = "alice") -> cm.Command:
    cmd, _ = cm.request(
        kind=kind, meter_id=1, metering_point_id=1, dso_id=dso, requested_by=by, at=T0, correlation_id="c"
    )
    return replace(cmd, id=3)


def test_the_national_limit_halts_the_dispatch_that_would_go_over_it() -> None:
    cmd = command()
    assert gd.check_dispatch(cmd, T0, POLICIES, [], {gd.NATIONAL: 49}).allowed
    verdict = gd.check_dispatch(cmd, T0, POLICIES, [], {gd.NATIONAL: 50})
    assert not verdict.allowed
    assert verdict.raise_halts == (("national", "more than 50 disconnects or valve closures within 10 min (national)"),)
    assert gd.check_dispatch(command("valve_close"), T0, POLICIES, [], {gd.NATIONAL: 50}).raise_halts


def test_a_dsos_own_policy_halts_only_that_dso() -> None:
    counts = {gd.NATIONAL: 5, gd.dso_scope(DSO_A): 5}
    verdict = gd.check_dispatch(command(dso=DSO_A), T0, POLICIES, [], counts)
    assert [s for s, _ in verdict.raise_halts] == ["dso:1"]
    assert gd.check_dispatch(command(dso=DSO_B), T0, POLICIES, [], counts).allowed


def test_an_active_halt_holds_guarded_kinds_only_and_a_released_one_nothing() -> None:
    halt = gd.Halt(1, gd.NATIONAL, T0, "burst")
    held = gd.check_dispatch(command(), T0, POLICIES, [halt], {})
    assert (held.allowed, held.raise_halts) == (False, ())
    assert held.reason == "halted by the mass-disconnect guard (national)"
    for kind in sorted(set(cm.KINDS) - cm.DISCONNECTING):
        assert gd.check_dispatch(command(kind), T0, POLICIES, [halt], {gd.NATIONAL: 1000}).allowed
    released = replace(halt, released_by="adam", released_at=T0)
    assert gd.check_dispatch(command(), T0, POLICIES, [released], {}).allowed
    assert gd.check_dispatch(command(dso=DSO_B), T0, POLICIES, [gd.Halt(2, "dso:1", T0, "x")], {}).allowed


def test_the_count_starts_again_after_a_release() -> None:
    policy = gd.GuardPolicy()
    assert gd.window_start(policy, T0, None) == T0 - timedelta(minutes=10)
    assert gd.window_start(policy, T0, T0 - timedelta(minutes=3)) == T0 - timedelta(minutes=3)
    assert gd.window_start(policy, T0, T0 - timedelta(hours=3)) == T0 - timedelta(minutes=10)


def test_four_eyes_above_the_batch_size_or_for_an_account_splitting_its_batches() -> None:
    assert not gd.needs_second_approver("breaker_disconnect", 10, 0, DSO_B, POLICIES)
    assert gd.needs_second_approver("breaker_disconnect", 11, 0, DSO_B, POLICIES)
    assert gd.needs_second_approver("valve_close", 1, 10, DSO_B, POLICIES)  # the 11th within the window
    assert not gd.needs_second_approver("breaker_reconnect", 500, 500, DSO_B, POLICIES)
    assert gd.needs_second_approver("breaker_disconnect", 4, 0, DSO_A, POLICIES)  # the DSO's stricter size


def test_who_may_request_and_approve() -> None:
    gd.check_request(OPERATOR, "breaker_disconnect", DSO_B, False)
    gd.check_request(gd.Actor("dora", "dso", DSO_B), "breaker_disconnect", DSO_B, False)
    with pytest.raises(cm.CommandRefused, match="only request remote operations on their own DSO"):
        gd.check_request(gd.Actor("dora", "dso", DSO_B), "breaker_disconnect", DSO_A, False)
    for role in ("supplier", "esp", "customer", "auditor", "installer"):
        with pytest.raises(cm.CommandRefused, match=f"the {role} role may not request"):
            gd.check_request(gd.Actor("x", role, DSO_B), "clock_sync", DSO_B, False)
    with pytest.raises(cm.CommandRefused, match="alice requested command 3 and cannot approve it"):
        gd.check_approver(gd.Actor("alice", "operator", 99), command())
    with pytest.raises(cm.CommandRefused, match="may only approve"):
        gd.check_approver(gd.Actor("dora", "dso", DSO_A), command(dso=DSO_B))
    with pytest.raises(cm.CommandRefused, match="olga already approved"):
        gd.check_approver(OPERATOR, replace(command(), approved_by="olga", needs_second=True))


def test_life_support_refuses_disconnection_only() -> None:
    for kind in sorted(cm.DISCONNECTING):
        with pytest.raises(cm.CommandRefused, match="life-support equipment"):
            gd.check_request(OPERATOR, kind, DSO_B, True)
    for kind in ("breaker_reconnect", "valve_open", "read_on_demand", "clock_sync"):
        gd.check_request(OPERATOR, kind, DSO_B, True)


def test_only_an_operator_admin_releases_an_active_halt() -> None:
    halt = gd.Halt(4, gd.NATIONAL, T0, "burst")
    for actor in (OPERATOR, gd.Actor("dora", "dso", DSO_B), gd.Actor("x", "auditor", 99)):
        with pytest.raises(cm.CommandRefused, match="only an operator admin may release"):
            gd.check_release(actor, halt)
    gd.check_release(ADMIN, halt)
    with pytest.raises(cm.CommandRefused, match="already released by adam"):
        gd.check_release(ADMIN, replace(halt, released_by="adam", released_at=T0))


def test_policies_are_checked() -> None:
    with pytest.raises(ValueError, match="positive"):
        gd.GuardPolicy(limit=0)
    assert POLICIES.longest_window() == timedelta(minutes=10)
    assert [s for s, _ in POLICIES.scopes(DSO_A)] == ["national", "dso:1"]
