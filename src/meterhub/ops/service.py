"""The remote-operations service: requests, approvals, the queue and the mass-disconnect guard over the store.

:class:`CommandService` composes the pure state machine (:mod:`meterhub.ops.commands`) and guard
(:mod:`meterhub.ops.guard`) with the store (:mod:`meterhub.store.commands`): each call loads what it needs, decides
with the pure functions, and writes the moved command with its transition in one write transaction, with a
compare-and-set on the command's version, so that two services over the same store (two workers, or one started
again after a crash) never move a command twice. Nothing lives in the object but its policies: a service built
again over the same store carries on where the last one stopped. :meth:`CommandService.dispatch` is the
head-end's side: it expires what is overdue, times out sent commands whose answer did not come, queues approved
ones, and hands out the due ones — unless the guard holds them — each marked ``sent`` (an attempt); the executor
then reports :meth:`~CommandService.confirm` or :meth:`~CommandService.fail`. Time is passed in (``at``).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from meterhub.ops import commands as cm
from meterhub.ops import guard as gd
from meterhub.store import Connection, Store
from meterhub.store import commands as sc
from meterhub.store import inventory as inv

SECURITY_LOG = logging.getLogger("meterhub.security")
"""Where a halt is logged at CRITICAL as well as stored (the security alarm until the alarm workflow exists)."""


class NotFound(LookupError):
    """No command or halt with that id."""


class Conflict(RuntimeError):
    """Another worker moved the command first; load it again."""


@dataclass(frozen=True, slots=True)
class Target:
    """One meter to act on in a request: the meter, its metering point (None for a meter-level command)."""

    meter_id: int
    metering_point_id: int | None = None


def _command(row: sc.StoredCommand) -> cm.Command:
    return cm.Command(**{f: getattr(row, f) for f in row.__slots__})


def _event(tr: cm.Transition) -> dict[str, object]:
    return {"at": tr.at, "from_state": tr.from_state, "to_state": tr.to_state, "actor": tr.actor, "note": tr.note}


def _halt(h: sc.GuardHalt) -> gd.Halt:
    return gd.Halt(h.id, h.scope, h.since, h.reason, h.released_by, h.released_at)


class CommandService:
    """Remote operations behind the mass-disconnect guard, over ``store``."""

    def __init__(
        self,
        store: Store,
        policies: gd.Policies | None = None,
        *,
        answer_timeout: timedelta = cm.ANSWER_TIMEOUT,
        on_alarm: Callable[[gd.Halt], None] | None = None,
    ) -> None:
        self.store = store
        self.policies = policies or gd.Policies()
        self.answer_timeout = answer_timeout
        self.on_alarm = on_alarm

    # ------------------------------------------------------------------------------------------ requests

    def request(
        self,
        actor: gd.Actor,
        kind: str,
        targets: Sequence[Target],
        at: datetime,
        *,
        priority: int = 5,
        not_before: datetime | None = None,
        expires_at: datetime | None = None,
        params: str = "{}",
        max_attempts: int = cm.DEFAULT_ATTEMPTS,
    ) -> list[cm.Command]:
        """Request ``kind`` on each target: one command each, a bundle if more than one (all refused if any is).
        Each gets a correlation id at once; four eyes are asked for by the guard's rule."""
        if not targets:
            raise cm.CommandRefused("a request needs at least one meter")
        bundle = f"b-{secrets.token_hex(8)}" if len(targets) > 1 else None
        with self.store.write() as conn:
            drafts: list[tuple[cm.Command, cm.Transition]] = []
            for target in targets:
                meter = inv.get_meter(conn, target.meter_id)
                if meter is None:
                    raise NotFound(f"no meter {target.meter_id}")
                point = None
                if target.metering_point_id is not None:
                    point = inv.get_metering_point(conn, target.metering_point_id)
                    if point is None:
                        raise NotFound(f"no metering point {target.metering_point_id}")
                dso_id = point.dso_id if point is not None else meter.dso_id
                gd.check_request(actor, kind, dso_id, point is not None and point.life_support)
                if kind in cm.DISCONNECTING and point is None:
                    raise cm.CommandRefused(f"{kind} needs the metering point (its life-support flag is checked)")
                drafts.append(
                    cm.request(
                        kind=kind,
                        meter_id=meter.id,
                        metering_point_id=target.metering_point_id,
                        dso_id=dso_id,
                        requested_by=actor.name,
                        at=at,
                        correlation_id=secrets.token_hex(16),
                        priority=priority,
                        not_before=not_before,
                        expires_at=expires_at,
                        bundle_id=bundle,
                        params=params,
                        max_attempts=max_attempts,
                    )
                )
            window = self.policies.longest_window()
            recent = sc.count_requested(conn, actor.name, cm.DISCONNECTING, at - window)
            out: list[cm.Command] = []
            for cmd, tr in drafts:
                four = gd.needs_second_approver(kind, len(drafts), recent, cmd.dso_id, self.policies)
                values = asdict(cm.Command(**{**asdict(cmd), "needs_second": four}))
                command_id = sc.insert_command(conn, values, _event(tr))
                out.append(_command(self._get(conn, command_id)))
            return out

    # ------------------------------------------------------------------------------------------ people's moves

    def approve(self, actor: gd.Actor, command_id: int, at: datetime) -> cm.Command:
        """An approval by ``actor`` (the first of two when the command needs four eyes)."""
        with self.store.write() as conn:
            cmd = _command(self._get(conn, command_id))
            gd.check_approver(actor, cmd)
            return self._save(conn, cm.approve(cmd, actor.name, at))

    def approve_bundle(self, actor: gd.Actor, bundle_id: str, at: datetime) -> list[cm.Command]:
        """``actor`` approves every command of a bundle still waiting for an approval."""
        with self.store.write() as conn:
            rows = sc.commands_in(conn, ("requested",), bundle_id=bundle_id)
            if not rows:
                raise NotFound(f"no command of bundle {bundle_id} waits for an approval")
            out = []
            for row in rows:
                cmd = _command(row)
                gd.check_approver(actor, cmd)
                out.append(self._save(conn, cm.approve(cmd, actor.name, at)))
            return out

    def cancel(self, actor: gd.Actor, command_id: int, at: datetime, reason: str | None = None) -> cm.Command:
        with self.store.write() as conn:
            cmd = _command(self._get(conn, command_id))
            gd.check_request(actor, cmd.kind, cmd.dso_id, False)
            return self._save(conn, cm.cancel(cmd, actor.name, at, reason))

    def release(self, actor: gd.Actor, halt_id: int, at: datetime) -> gd.Halt:
        """An operator admin releases a halt: its scope's guarded queue runs again, counted afresh from now."""
        with self.store.write() as conn:
            row = sc.get_halt(conn, halt_id)
            if row is None:
                raise NotFound(f"no guard halt {halt_id}")
            gd.check_release(actor, _halt(row))
            sc.release_halt(conn, halt_id, actor.name, at)
            SECURITY_LOG.warning("mass-disconnect guard %s released by %s", row.scope, actor.name)
            return gd.Halt(row.id, row.scope, row.since, row.reason, actor.name, at)

    # ------------------------------------------------------------------------------------------ the head-end's side

    def dispatch(self, at: datetime, limit: int = 100) -> list[cm.Command]:
        """One turn of the queue at ``at``: expire, time out, queue the approved, and send what is due and allowed
        (each returned command is ``sent``: an attempt to make now)."""
        with self.store.write() as conn:
            sc.lock_dispatch(conn)  # one dispatcher at a time: the guard's counts hold until the commit
            for row in sc.overdue_commands(conn, at, at - self.answer_timeout):
                cmd = _command(row)
                if cm.is_overdue(cmd, at):
                    self._try_save(conn, cm.expire(cmd, at))
                elif cm.answer_overdue(cmd, at, self.answer_timeout):
                    self._try_save(conn, cm.time_out(cmd, at, self.answer_timeout))
            for row in sc.commands_in(conn, ("approved",)):
                self._try_save(conn, cm.queue(_command(row), at))
            sent: list[cm.Command] = []
            for row in sc.due_commands(conn, at, limit):
                cmd = _command(row)
                if not cm.is_due(cmd, at):
                    continue
                verdict = self._verdict(conn, cmd, at)
                if not verdict.allowed:
                    continue
                moved = self._try_save(conn, cm.send(cmd, at))
                if moved is not None:
                    sent.append(moved)
            return sent

    def confirm(self, command_id: int, at: datetime, result: str = "ok") -> cm.Command:
        with self.store.write() as conn:
            return self._save(conn, cm.confirm(_command(self._get(conn, command_id)), at, result))

    def fail(self, command_id: int, at: datetime, error: str) -> cm.Command:
        """A failed attempt: retried after the backoff while attempts remain, else failed."""
        with self.store.write() as conn:
            return self._save(conn, cm.fail(_command(self._get(conn, command_id)), at, error))

    # ------------------------------------------------------------------------------------------ reading

    def get(self, command_id: int) -> cm.Command:
        with self.store.read() as conn:
            return _command(self._get(conn, command_id))

    def by_correlation(self, correlation_id: str) -> cm.Command:
        with self.store.read() as conn:
            row = sc.command_by_correlation(conn, correlation_id)
            if row is None:
                raise NotFound(f"no command with correlation id {correlation_id}")
            return _command(row)

    def history(self, command_id: int) -> list[sc.CommandEvent]:
        return self.store.command_events(command_id)

    def halts(self, active_only: bool = True) -> list[gd.Halt]:
        return [_halt(h) for h in self.store.guard_halts(active_only)]

    # ------------------------------------------------------------------------------------------ internals

    def _get(self, conn: Connection, command_id: int) -> sc.StoredCommand:
        row = sc.get_command(conn, command_id)
        if row is None:
            raise NotFound(f"no command {command_id}")
        return row

    def _save(self, conn: Connection, moved: tuple[cm.Command, cm.Transition]) -> cm.Command:
        cmd, tr = moved
        if not sc.save_command(conn, asdict(cmd), _event(tr)):
            raise Conflict(f"command {cmd.id} was moved by another worker")
        return _command(self._get(conn, cmd.id))

    def _try_save(self, conn: Connection, moved: tuple[cm.Command, cm.Transition]) -> cm.Command | None:
        """:meth:`_save`, or None if another writer moved the command first (e.g. its answer came meanwhile)."""
        try:
            return self._save(conn, moved)
        except Conflict:
            return None

    def _verdict(self, conn: Connection, cmd: cm.Command, at: datetime) -> gd.Verdict:
        if cmd.kind not in cm.DISCONNECTING:
            return gd.Verdict(True)
        active = [_halt(h) for h in sc.halts(conn)]
        counts: dict[str, int] = {}
        for scope, policy in self.policies.scopes(cmd.dso_id):
            since = gd.window_start(policy, at, sc.last_release(conn, scope))
            dso = None if scope == gd.NATIONAL else cmd.dso_id
            counts[scope] = sc.count_sent(conn, cm.DISCONNECTING, since, dso)
        verdict = gd.check_dispatch(cmd, at, self.policies, active, counts)
        for scope, reason in verdict.raise_halts:
            halt_id = sc.add_halt(conn, scope, at, reason)
            halt = gd.Halt(halt_id, scope, at, reason)
            SECURITY_LOG.critical("mass-disconnect guard halted %s: %s", scope, reason)
            if self.on_alarm is not None:
                self.on_alarm(halt)
        return verdict


__all__ = ["SECURITY_LOG", "CommandService", "Conflict", "NotFound", "Target"]
