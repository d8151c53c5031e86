"""The mass-disconnect guard (issue 15 §6): the rules that stand between a hacked account and a blackout.

* **Rate**: a policy per DSO and a national one (by default more than 50 disconnects or valve closures within
  10 minutes) counted over every account and client: the dispatch that would go over the limit halts that scope's
  queue for the guarded kinds (:data:`~meterhub.ops.commands.DISCONNECTING`) and raises a security alarm; nothing
  of those kinds leaves the scope until an operator admin releases the halt (:func:`check_release`). After a
  release the count starts again from the release.
* **Four eyes**: a command whose bundle, or whose requester's guarded requests within the window, exceed
  ``four_eyes_above`` needs a second, different approver (:func:`needs_second_approver`): no single account cuts a
  neighbourhood by splitting it into small bundles.
* **Who**: requests and approvals come from the operator's staff or the DSO of the metering point; nobody approves
  their own request (also enforced by :func:`meterhub.ops.commands.approve`).
* **Life support**: disconnecting a metering point flagged as depending on life-support equipment is refused.

Everything here is pure: counts, halts and times come in as arguments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from meterhub.ops.commands import DISCONNECTING, Command, CommandRefused

NATIONAL: Final = "national"
REQUESTERS: Final = frozenset({"operator", "operator_admin", "dso"})
"""The roles that may request and approve remote operations (a DSO only on its own metering points)."""
RELEASERS: Final = frozenset({"operator_admin"})


def dso_scope(dso_id: int) -> str:
    return f"dso:{dso_id}"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a person's or client's name, role and party."""

    name: str
    role: str
    party_id: int


@dataclass(frozen=True, slots=True)
class GuardPolicy:
    """One scope's limits: at most ``limit`` guarded dispatches within ``window``; four eyes above
    ``four_eyes_above`` guarded commands in a bundle or from one account within the window."""

    limit: int = 50
    window: timedelta = timedelta(minutes=10)
    four_eyes_above: int = 10

    def __post_init__(self) -> None:
        if self.limit < 1 or self.four_eyes_above < 1 or self.window <= timedelta(0):
            raise ValueError(f"a guard policy needs a positive limit, window and four-eyes size: {self}")


@dataclass(frozen=True, slots=True)
class Policies:
    """The national policy and the DSOs' own (a DSO without one is held by the national policy only)."""

    national: GuardPolicy = GuardPolicy()
    dso: Mapping[int, GuardPolicy] = field(default_factory=dict)

    def scopes(self, dso_id: int) -> list[tuple[str, GuardPolicy]]:
        """The scopes a command of ``dso_id`` is counted in, with their policies (national first)."""
        out = [(NATIONAL, self.national)]
        if dso_id in self.dso:
            out.append((dso_scope(dso_id), self.dso[dso_id]))
        return out

    def four_eyes_above(self, dso_id: int) -> int:
        return min(p.four_eyes_above for _, p in self.scopes(dso_id))

    def longest_window(self) -> timedelta:
        return max([self.national.window, *(p.window for p in self.dso.values())])


@dataclass(frozen=True, slots=True)
class Halt:
    """A halted scope: the security alarm and the stop of its guarded queue, until released."""

    id: int
    scope: str
    since: datetime
    reason: str
    released_by: str | None = None
    released_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.released_at is None


def check_request(actor: Actor, kind: str, dso_id: int, life_support: bool) -> None:
    """Refuse (:class:`CommandRefused`) a request ``actor`` may not make: a role that may not operate meters, another
    DSO's point, or a disconnection of a life-support point."""
    _check_actor(actor, dso_id, "request")
    if kind in DISCONNECTING and life_support:
        raise CommandRefused(f"{kind} refused: the metering point is flagged as depending on life-support equipment")


def check_approver(actor: Actor, cmd: Command) -> None:
    """Refuse an approver who may not approve ``cmd`` (role, DSO, their own request, approving twice)."""
    _check_actor(actor, cmd.dso_id, "approve")
    if actor.name == cmd.requested_by:
        raise CommandRefused(f"{actor.name} requested command {cmd.id} and cannot approve it: someone else must")
    if cmd.approved_by == actor.name:
        raise CommandRefused(
            f"{actor.name} already approved command {cmd.id}: the second approver must be someone else"
        )


def _check_actor(actor: Actor, dso_id: int, what: str) -> None:
    if actor.role not in REQUESTERS:
        raise CommandRefused(f"the {actor.role} role may not {what} remote operations")
    if actor.role == "dso" and actor.party_id != dso_id:
        raise CommandRefused(f"{actor.name} may only {what} remote operations on their own DSO's metering points")


def needs_second_approver(kind: str, bundle_size: int, account_recent: int, dso_id: int, policies: Policies) -> bool:
    """Four eyes: a guarded kind whose bundle, or the requester's guarded requests within the window including this
    bundle (``account_recent`` already made + ``bundle_size``), exceed the scope's ``four_eyes_above``."""
    if kind not in DISCONNECTING:
        return False
    above = policies.four_eyes_above(dso_id)
    return bundle_size > above or account_recent + bundle_size > above


def window_start(policy: GuardPolicy, at: datetime, released_at: datetime | None) -> datetime:
    """Where a scope's count starts: the window's start, or its last release if later."""
    start = at - policy.window
    return max(start, released_at) if released_at is not None else start


@dataclass(frozen=True, slots=True)
class Verdict:
    """May this command be dispatched now? If not, why, and the halts to raise (new security alarms)."""

    allowed: bool
    reason: str | None = None
    raise_halts: tuple[tuple[str, str], ...] = ()  # (scope, reason)


def check_dispatch(
    cmd: Command, at: datetime, policies: Policies, halts: Iterable[Halt], counts: Mapping[str, int]
) -> Verdict:
    """The guard at the moment of sending ``cmd``. ``halts``: the active ones; ``counts``: per scope the guarded
    dispatches since :func:`window_start`. A guarded command is held in a halted scope, and halts a scope whose
    count it would take over the limit."""
    if cmd.kind not in DISCONNECTING:
        return Verdict(True)
    scopes = policies.scopes(cmd.dso_id)
    names = {name for name, _ in scopes}
    active = sorted(h.scope for h in halts if h.active and h.scope in names)
    if active:
        return Verdict(False, f"halted by the mass-disconnect guard ({', '.join(active)})")
    new: list[tuple[str, str]] = []
    for name, policy in scopes:
        count = counts.get(name, 0)
        if count + 1 > policy.limit:
            minutes = int(policy.window.total_seconds() // 60)
            new.append((name, f"more than {policy.limit} disconnects or valve closures within {minutes} min ({name})"))
    if new:
        return Verdict(False, "; ".join(r for _, r in new), tuple(new))
    return Verdict(True)


def check_release(actor: Actor, halt: Halt) -> None:
    """Only an operator admin releases a halt, and only an active one."""
    if actor.role not in RELEASERS:
        raise CommandRefused(f"only an operator admin may release the mass-disconnect guard, not a {actor.role}")
    if not halt.active:
        raise CommandRefused(f"halt {halt.id} was already released by {halt.released_by} at {halt.released_at}")


__all__ = [
    "NATIONAL",
    "RELEASERS",
    "REQUESTERS",
    "Actor",
    "GuardPolicy",
    "Halt",
    "Policies",
    "Verdict",
    "check_approver",
    "check_dispatch",
    "check_release",
    "check_request",
    "dso_scope",
    "needs_second_approver",
    "window_start",
]
