"""A remote operation on a meter as a pure state machine (issue 15 §5): what it does, where it is, and every
legal move from there, with who moved it and when.

A command is *requested* by a DSO's or the operator's staff, *approved* by someone else (a second, different
approver too when the mass-disconnect guard asks for four eyes: :mod:`meterhub.ops.guard`), *queued* for the
head-end, *sent* to the meter (an attempt), and ends *confirmed* (the meter answered success), *failed* (an
attempt failed and no retry is left), *expired* (its deadline passed first) or *cancelled* (by a person, before it
was sent). A failed attempt or an answer that never came (:func:`time_out`) puts a command back in the queue with
an exponential backoff (:func:`backoff`) while attempts remain. Every function here takes the command and the time
and answers the new command plus the :class:`Transition` to record; an illegal move raises
:class:`IllegalTransition` naming the command, both states and the moves allowed. Nothing here does I/O: the store
(:mod:`meterhub.store.commands`) keeps commands and their transitions, :mod:`meterhub.ops.service` composes them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final, Literal, get_args

State = Literal["requested", "approved", "queued", "sent", "confirmed", "failed", "expired", "cancelled"]
Kind = Literal[
    "breaker_disconnect",
    "breaker_reconnect",
    "valve_close",
    "valve_open",
    "relay_open",
    "relay_close",
    "clock_sync",
    "read_on_demand",
    "mbus_couple",
    "mbus_decouple",
    "alarm_clear",
    "push_setup",
]
KINDS: Final[tuple[str, ...]] = get_args(Kind)
STATES: Final[tuple[str, ...]] = get_args(State)
TERMINAL: Final = frozenset({"confirmed", "failed", "expired", "cancelled"})

TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    "requested": frozenset({"approved", "cancelled", "expired"}),
    "approved": frozenset({"queued", "cancelled", "expired"}),
    "queued": frozenset({"sent", "cancelled", "expired"}),
    "sent": frozenset({"confirmed", "failed", "queued", "expired"}),  # queued again: a retry
    "confirmed": frozenset(),
    "failed": frozenset(),
    "expired": frozenset(),
    "cancelled": frozenset(),
}
"""The legal moves: from each state, the states it may go to."""

DISCONNECTING: Final = frozenset({"breaker_disconnect", "valve_close"})
"""The kinds that cut a supply: counted and halted by the mass-disconnect guard, refused at life-support points."""


@dataclass(frozen=True, slots=True)
class Target:
    """The COSEM object a kind acts on (national profile; ``n`` in an OBIS code is the M-Bus channel or relay)."""

    class_id: int
    obis: str
    action: str


TARGETS: Final[dict[str, Target]] = {
    "breaker_disconnect": Target(70, "0.0.96.3.10.255", "method 1 remote_disconnect"),
    "breaker_reconnect": Target(70, "0.0.96.3.10.255", "method 2 remote_reconnect"),
    "valve_close": Target(70, "0.n.24.4.0.255", "method 1 remote_disconnect"),
    "valve_open": Target(70, "0.n.24.4.0.255", "method 2 remote_reconnect"),
    "relay_open": Target(70, "0.0.96.3.n.255", "method 1 remote_disconnect"),
    "relay_close": Target(70, "0.0.96.3.n.255", "method 2 remote_reconnect"),
    "clock_sync": Target(8, "0.0.1.0.0.255", "set attribute 2 time"),
    "read_on_demand": Target(7, "1.0.99.1.0.255", "get attribute 2 buffer"),
    "mbus_couple": Target(72, "0.n.24.1.0.255", "method 1 slave_install"),
    "mbus_decouple": Target(72, "0.n.24.1.0.255", "method 2 slave_deinstall"),
    "alarm_clear": Target(1, "0.0.97.98.0.255", "set attribute 2 to 0"),
    "push_setup": Target(40, "0.0.25.9.0.255", "set attributes 2-3 push object list and destination"),
}

BACKOFF_BASE: Final = timedelta(minutes=1)
BACKOFF_CAP: Final = timedelta(hours=1)
DEFAULT_LIFETIME: Final = timedelta(hours=24)
DEFAULT_ATTEMPTS: Final = 3
ANSWER_TIMEOUT: Final = timedelta(minutes=5)


class IllegalTransition(ValueError):
    """A move the state machine does not allow (the message names the command, both states and what is allowed)."""


class CommandRefused(ValueError):
    """A request or an approval the rules refuse (self-approval, life support, a halted queue …), with why."""


@dataclass(frozen=True, slots=True)
class Command:
    """One remote operation and where it stands. ``id`` is 0 until the store has it; times are aware UTC."""

    id: int
    kind: str
    state: str
    meter_id: int
    metering_point_id: int | None
    dso_id: int
    requested_by: str
    requested_at: datetime
    correlation_id: str
    priority: int = 5
    not_before: datetime | None = None
    expires_at: datetime | None = None
    bundle_id: str | None = None
    params: str = "{}"
    needs_second: bool = False
    approved_by: str | None = None
    approved_at: datetime | None = None
    second_approver: str | None = None
    second_approved_at: datetime | None = None
    attempts: int = 0
    max_attempts: int = DEFAULT_ATTEMPTS
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    result: str | None = None
    updated_at: datetime | None = None
    version: int = 0


@dataclass(frozen=True, slots=True)
class Transition:
    """One recorded move: ``from_state`` None for the request itself; ``note`` says why (an error, a result)."""

    command_id: int
    at: datetime
    from_state: str | None
    to_state: str
    actor: str
    note: str | None = None


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at!r}: commands keep timezone-aware UTC times")
    return at


def request(
    *,
    kind: str,
    meter_id: int,
    metering_point_id: int | None,
    dso_id: int,
    requested_by: str,
    at: datetime,
    correlation_id: str,
    priority: int = 5,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
    bundle_id: str | None = None,
    params: str = "{}",
    needs_second: bool = False,
    max_attempts: int = DEFAULT_ATTEMPTS,
) -> tuple[Command, Transition]:
    """A new command in state ``requested`` (valid for :data:`DEFAULT_LIFETIME` unless ``expires_at``)."""
    _aware(at)
    if kind not in KINDS:
        raise CommandRefused(f"unknown command kind {kind!r}; known: {', '.join(KINDS)}")
    if not 0 <= priority <= 9:
        raise CommandRefused(f"priority must be 0 (lowest) to 9 (highest), not {priority}")
    if max_attempts < 1:
        raise CommandRefused(f"max_attempts must be at least 1, not {max_attempts}")
    if not requested_by:
        raise CommandRefused("a command needs the name of who requested it")
    start = max(at, _aware(not_before)) if not_before is not None else at
    deadline = _aware(expires_at) if expires_at is not None else start + DEFAULT_LIFETIME
    if deadline <= start:
        raise CommandRefused(
            f"the command would expire ({deadline.isoformat()}) before it may run ({start.isoformat()})"
        )
    cmd = Command(
        id=0, kind=kind, state="requested", meter_id=meter_id, metering_point_id=metering_point_id, dso_id=dso_id,
        requested_by=requested_by, requested_at=at, correlation_id=correlation_id, priority=priority,
        not_before=not_before, expires_at=deadline, bundle_id=bundle_id, params=params, needs_second=needs_second,
        max_attempts=max_attempts, updated_at=at,
    )  # fmt: skip
    return cmd, Transition(0, at, None, "requested", requested_by)


def move(
    cmd: Command, to: str, *, actor: str, at: datetime, note: str | None = None, **changes: Any
) -> tuple[Command, Transition]:
    """``cmd`` moved to ``to`` at ``at`` by ``actor`` (``changes``: to its fields); else :class:`IllegalTransition`."""
    _aware(at)
    if to not in STATES:
        raise IllegalTransition(f"unknown command state {to!r}; states: {', '.join(STATES)}")
    allowed = TRANSITIONS[cmd.state]
    if to not in allowed:
        others = ", ".join(sorted(allowed)) or "none, it is final"
        raise IllegalTransition(f"command {cmd.id} ({cmd.kind}) cannot go from {cmd.state} to {to} (allowed: {others})")
    new = replace(cmd, state=to, updated_at=at, **changes)
    return new, Transition(cmd.id, at, cmd.state, to, actor, note)


def approve(cmd: Command, approver: str, at: datetime) -> tuple[Command, Transition]:
    """An approval. Nobody approves their own request; a command needing four eyes takes a first approval (it
    stays ``requested``, the transition recorded from and to ``requested``) then a second by someone different."""
    _aware(at)
    if cmd.state != "requested":
        raise IllegalTransition(f"command {cmd.id} ({cmd.kind}) is {cmd.state}: only a requested command is approved")
    if approver == cmd.requested_by:
        raise CommandRefused(f"{approver} requested command {cmd.id} and cannot approve it: someone else must")
    if cmd.approved_by is None:
        if cmd.needs_second:
            new = replace(cmd, approved_by=approver, approved_at=at, updated_at=at)
            return new, Transition(cmd.id, at, "requested", "requested", approver, "first approval; needs a second")
        return move(cmd, "approved", actor=approver, at=at, approved_by=approver, approved_at=at)
    if approver == cmd.approved_by:
        raise CommandRefused(f"{approver} already approved command {cmd.id}: the second approver must be someone else")
    return move(
        cmd, "approved", actor=approver, at=at, note="second approval", second_approver=approver, second_approved_at=at
    )


def queue(cmd: Command, at: datetime, actor: str = "system") -> tuple[Command, Transition]:
    """An approved command into the head-end's queue, due at its ``not_before`` (or at once)."""
    due = max(at, cmd.not_before) if cmd.not_before is not None else at
    return move(cmd, "queued", actor=actor, at=at, next_attempt_at=due)


def is_due(cmd: Command, at: datetime) -> bool:
    """Queued and its next attempt's time reached (and not expired)."""
    return (
        cmd.state == "queued"
        and (cmd.next_attempt_at is None or cmd.next_attempt_at <= at)
        and (cmd.not_before is None or cmd.not_before <= at)
        and not is_overdue(cmd, at)
    )


def send(cmd: Command, at: datetime, actor: str = "system") -> tuple[Command, Transition]:
    """An attempt: a due queued command handed to the head-end (``attempts`` + 1)."""
    if cmd.state == "queued" and not is_due(cmd, at):
        raise IllegalTransition(f"command {cmd.id} is not due before {cmd.next_attempt_at or cmd.not_before}")
    return move(cmd, "sent", actor=actor, at=at, attempts=cmd.attempts + 1, sent_at=at, next_attempt_at=None)


def confirm(cmd: Command, at: datetime, result: str = "ok", actor: str = "head-end") -> tuple[Command, Transition]:
    """The meter answered success."""
    return move(cmd, "confirmed", actor=actor, at=at, note=result, result=result)


def backoff(attempts: int, base: timedelta = BACKOFF_BASE, cap: timedelta = BACKOFF_CAP) -> timedelta:
    """The wait before the next attempt after ``attempts`` made: base × 2^(attempts − 1), at most ``cap``."""
    if attempts < 1:
        return timedelta(0)
    wait: timedelta = base * (2 ** min(attempts - 1, 30))
    return min(cap, wait)


def fail(cmd: Command, at: datetime, error: str, actor: str = "head-end") -> tuple[Command, Transition]:
    """A failed attempt: queued again after :func:`backoff` while attempts remain (and the retry is due before the
    command expires), else ``failed``."""
    retry_at = at + backoff(cmd.attempts)
    if cmd.attempts < cmd.max_attempts and (cmd.expires_at is None or retry_at < cmd.expires_at):
        note = f"attempt {cmd.attempts} failed: {error}; retry at {retry_at.isoformat()}"
        return move(cmd, "queued", actor=actor, at=at, note=note, next_attempt_at=retry_at, result=error)
    return move(cmd, "failed", actor=actor, at=at, note=f"attempt {cmd.attempts} failed: {error}", result=error)


def is_overdue(cmd: Command, at: datetime) -> bool:
    return cmd.state not in TERMINAL and cmd.expires_at is not None and cmd.expires_at <= at


def expire(cmd: Command, at: datetime, actor: str = "system") -> tuple[Command, Transition]:
    """The deadline passed before the command was confirmed."""
    if not is_overdue(cmd, at):
        raise IllegalTransition(f"command {cmd.id} does not expire before {cmd.expires_at}")
    return move(cmd, "expired", actor=actor, at=at, note=f"deadline {cmd.expires_at}")


def answer_overdue(cmd: Command, at: datetime, timeout: timedelta = ANSWER_TIMEOUT) -> bool:
    return cmd.state == "sent" and cmd.sent_at is not None and cmd.sent_at + timeout <= at


def time_out(cmd: Command, at: datetime, timeout: timedelta = ANSWER_TIMEOUT) -> tuple[Command, Transition]:
    """A sent command whose answer did not come within ``timeout``: a failed attempt (:func:`fail`)."""
    if not answer_overdue(cmd, at, timeout):
        raise IllegalTransition(f"command {cmd.id} is not waiting for an overdue answer")
    return fail(cmd, at, f"no answer within {int(timeout.total_seconds())} s", actor="system")


def cancel(cmd: Command, actor: str, at: datetime, reason: str | None = None) -> tuple[Command, Transition]:
    """A person withdraws a command not yet sent."""
    return move(cmd, "cancelled", actor=actor, at=at, note=reason)


__all__ = [
    "DISCONNECTING",
    "KINDS",
    "STATES",
    "TARGETS",
    "TERMINAL",
    "TRANSITIONS",
    "Command",
    "CommandRefused",
    "IllegalTransition",
    "Kind",
    "State",
    "Target",
    "Transition",
    "answer_overdue",
    "approve",
    "backoff",
    "cancel",
    "confirm",
    "expire",
    "fail",
    "is_due",
    "is_overdue",
    "move",
    "queue",
    "request",
    "send",
    "time_out",
]
