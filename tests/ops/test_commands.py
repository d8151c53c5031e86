"""The command state machine (meterhub.ops.commands), pure: every legal transition, every illegal one refused
with a clear error, approvals (self-approval, four eyes), retries with backoff, answer timeouts and expiry."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from meterhub.ops import commands as cm

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def new(kind: str = "breaker_disconnect", **kw: object) -> cm.Command:
    args: dict[str, object] = {
        "kind": kind, "meter_id": 1, "metering_point_id": 1, "dso_id": 1, "requested_by": "alice", "at": T0,
        "correlation_id": "c-1",
    }  # fmt: skip
    args.update(kw)
    cmd, tr = cm.request(**args)  # type: ignore[arg-type]
    assert (cmd.state, tr.from_state, tr.to_state, tr.actor, tr.at) == ("requested", None, "requested", "alice", T0)
    return replace(cmd, id=7)


def sent(**kw: object) -> cm.Command:
    cmd, _ = cm.approve(new(**kw), "bob", T0)
    cmd, _ = cm.queue(cmd, T0)
    cmd, _ = cm.send(cmd, T0)
    return cmd


def test_the_happy_path_records_who_and_when_at_each_step() -> None:
    cmd = new()
    assert cmd.expires_at == T0 + cm.DEFAULT_LIFETIME
    cmd, tr = cm.approve(cmd, "bob", T0 + timedelta(minutes=1))
    assert (cmd.state, cmd.approved_by, tr.actor, tr.from_state) == ("approved", "bob", "bob", "requested")
    cmd, tr = cm.queue(cmd, T0 + timedelta(minutes=2))
    assert (cmd.state, cmd.next_attempt_at) == ("queued", T0 + timedelta(minutes=2))
    cmd, tr = cm.send(cmd, T0 + timedelta(minutes=3))
    assert (cmd.state, cmd.attempts, cmd.sent_at) == ("sent", 1, T0 + timedelta(minutes=3))
    cmd, tr = cm.confirm(cmd, T0 + timedelta(minutes=4), "disconnected")
    assert (cmd.state, cmd.result, tr.from_state, tr.to_state, tr.note) == (
        "confirmed", "disconnected", "sent", "confirmed", "disconnected",
    )  # fmt: skip
    assert cmd.updated_at == T0 + timedelta(minutes=4)


def test_the_transition_table_is_enforced_for_every_pair_of_states() -> None:
    base = new()
    for source in cm.STATES:
        for target in cm.STATES:
            cmd = replace(base, state=source)
            if target in cm.TRANSITIONS[source]:
                moved, tr = cm.move(cmd, target, actor="x", at=T0)
                assert (moved.state, tr.from_state, tr.to_state) == (target, source, target)
            else:
                with pytest.raises(cm.IllegalTransition, match=f"cannot go from {source} to {target}"):
                    cm.move(cmd, target, actor="x", at=T0)
    for final in cm.TERMINAL:
        with pytest.raises(cm.IllegalTransition, match="none, it is final"):
            cm.move(replace(base, state=final), "queued", actor="x", at=T0)
    with pytest.raises(cm.IllegalTransition, match="unknown command state"):
        cm.move(base, "done", actor="x", at=T0)


def test_illegal_moves_through_the_named_operations() -> None:
    with pytest.raises(cm.IllegalTransition, match="from requested to sent"):
        cm.send(new(), T0)
    with pytest.raises(cm.IllegalTransition, match="from requested to confirmed"):
        cm.confirm(new(), T0)
    done, _ = cm.confirm(sent(), T0)
    with pytest.raises(cm.IllegalTransition, match="from confirmed to cancelled"):
        cm.cancel(done, "alice", T0)
    with pytest.raises(cm.IllegalTransition, match="from sent to cancelled"):
        cm.cancel(sent(), "alice", T0)  # on its way to the meter: too late to cancel
    with pytest.raises(cm.IllegalTransition, match="only a requested command is approved"):
        cm.approve(sent(), "carol", T0)


def test_requests_are_validated() -> None:
    with pytest.raises(cm.CommandRefused, match="unknown command kind 'explode'"):
        new(kind="explode")
    with pytest.raises(cm.CommandRefused, match="priority must be 0"):
        new(priority=10)
    with pytest.raises(cm.CommandRefused, match="expire"):
        new(not_before=T0 + timedelta(hours=2), expires_at=T0 + timedelta(hours=1))
    with pytest.raises(ValueError, match="naive"):
        new(at=datetime(2026, 3, 2, 8, 0))
    assert set(cm.TARGETS) == set(cm.KINDS)
    assert (cm.TARGETS["breaker_disconnect"].class_id, cm.TARGETS["breaker_disconnect"].obis) == (70, "0.0.96.3.10.255")


def test_nobody_approves_their_own_request_and_four_eyes_need_two_different_people() -> None:
    with pytest.raises(cm.CommandRefused, match="alice requested command 7 and cannot approve it"):
        cm.approve(new(), "alice", T0)
    cmd = new(needs_second=True)
    cmd, tr = cm.approve(cmd, "bob", T0)
    assert (cmd.state, cmd.approved_by, tr.from_state, tr.to_state) == ("requested", "bob", "requested", "requested")
    with pytest.raises(cm.CommandRefused, match="bob already approved command 7"):
        cm.approve(cmd, "bob", T0)
    with pytest.raises(cm.CommandRefused, match="cannot approve"):
        cm.approve(cmd, "alice", T0)
    cmd, tr = cm.approve(cmd, "carol", T0 + timedelta(minutes=1))
    assert (cmd.state, cmd.approved_by, cmd.second_approver, tr.note) == ("approved", "bob", "carol", "second approval")


def test_a_schedule_time_holds_the_command_until_it_is_due() -> None:
    cmd, _ = cm.approve(new(not_before=T0 + timedelta(hours=1)), "bob", T0)
    cmd, _ = cm.queue(cmd, T0)
    assert cmd.next_attempt_at == T0 + timedelta(hours=1)
    assert not cm.is_due(cmd, T0 + timedelta(minutes=59))
    with pytest.raises(cm.IllegalTransition, match="not due before"):
        cm.send(cmd, T0 + timedelta(minutes=59))
    assert cm.is_due(cmd, T0 + timedelta(hours=1))
    assert cm.send(cmd, T0 + timedelta(hours=1))[0].state == "sent"


def test_backoff_doubles_up_to_its_cap() -> None:
    assert [cm.backoff(n) for n in (0, 1, 2, 3, 4)] == [timedelta(0)] + [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert cm.backoff(12) == cm.BACKOFF_CAP
    assert cm.backoff(1000) == cm.BACKOFF_CAP


def test_failed_attempts_are_retried_with_backoff_then_fail() -> None:
    cmd = sent(max_attempts=3)
    at = T0
    for attempt, wait in ((1, 1), (2, 2)):
        at += timedelta(seconds=10)
        cmd, tr = cm.fail(cmd, at, "timeout on HDLC link")
        assert (cmd.state, cmd.attempts, cmd.next_attempt_at) == ("queued", attempt, at + timedelta(minutes=wait))
        assert tr.note is not None and f"attempt {attempt} failed: timeout on HDLC link" in tr.note
        assert not cm.is_due(cmd, at)
        at = cmd.next_attempt_at
        assert at is not None
        cmd, _ = cm.send(cmd, at)
    cmd, tr = cm.fail(cmd, at, "refused by the meter")
    assert (cmd.state, cmd.attempts, cmd.result, tr.to_state) == ("failed", 3, "refused by the meter", "failed")


def test_no_retry_is_scheduled_past_the_deadline() -> None:
    cmd = sent(expires_at=T0 + timedelta(seconds=30))
    cmd, _ = cm.fail(cmd, T0 + timedelta(seconds=10), "no answer")
    assert cmd.state == "failed"  # the 1 min retry would come after the deadline


def test_an_answer_that_never_comes_is_a_failed_attempt() -> None:
    cmd = sent()
    assert not cm.answer_overdue(cmd, T0 + cm.ANSWER_TIMEOUT - timedelta(seconds=1))
    with pytest.raises(cm.IllegalTransition, match="not waiting"):
        cm.time_out(cmd, T0 + timedelta(minutes=1))
    cmd, tr = cm.time_out(cmd, T0 + cm.ANSWER_TIMEOUT)
    assert (cmd.state, cmd.attempts, tr.actor) == ("queued", 1, "system")
    assert tr.note is not None and "no answer within 300 s" in tr.note


@pytest.mark.parametrize("state", ["requested", "approved", "queued", "sent"])
def test_every_live_state_expires_at_its_deadline(state: str) -> None:
    cmd = replace(new(expires_at=T0 + timedelta(hours=1)), state=state)
    assert not cm.is_overdue(cmd, T0 + timedelta(minutes=59))
    with pytest.raises(cm.IllegalTransition, match="does not expire before"):
        cm.expire(cmd, T0 + timedelta(minutes=59))
    moved, tr = cm.expire(cmd, T0 + timedelta(hours=1))
    assert (moved.state, tr.from_state) == ("expired", state)
    assert not cm.is_due(replace(cmd, state="queued"), T0 + timedelta(hours=1))


def test_cancel_before_sending() -> None:
    for state in ("requested", "approved", "queued"):
        cmd, tr = cm.cancel(replace(new(), state=state), "alice", T0, "customer paid")
        assert (cmd.state, tr.actor, tr.note) == ("cancelled", "alice", "customer paid")
