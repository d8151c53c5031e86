"""Remote operations as stored (migration 0015): commands, their transitions, the guard's halts, life support.

A command row holds every field of :class:`meterhub.ops.commands.Command` (the store hands them out as
:class:`StoredCommand`, the same fields; this layer imports nothing above it). :func:`insert_command` adds one
with its first transition; :func:`save_command` writes a moved command with a compare-and-set on ``version``
(False: another worker moved it first, nothing written) and appends the transition to ``command_event``. The
queries the service needs: the dispatch's lock (:func:`lock_dispatch`), commands by state and due time
(:func:`due_commands`, highest priority first), the guarded dispatches of a scope since an instant
(:func:`count_sent`), an account's recent guarded requests (:func:`count_requested`), and the halts
(:func:`add_halt`, :func:`halts`, :func:`last_release`, :func:`release_halt`). Functions take a
:data:`~meterhub.store.sql.Connection`; :class:`CommandOps` is the part of :class:`~meterhub.store.db.Store` that
runs the simple ones alone.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from meterhub.store import schema as t
from meterhub.store.engine import StoreEngine
from meterhub.store.sql import insert_id


@dataclass(frozen=True, slots=True)
class StoredCommand:
    """A ``command`` row (the fields of :class:`meterhub.ops.commands.Command`)."""

    id: int
    kind: str
    state: str
    meter_id: int
    metering_point_id: int | None
    dso_id: int
    requested_by: str
    requested_at: datetime
    correlation_id: str
    priority: int
    not_before: datetime | None
    expires_at: datetime | None
    bundle_id: str | None
    params: str
    needs_second: bool
    approved_by: str | None
    approved_at: datetime | None
    second_approver: str | None
    second_approved_at: datetime | None
    attempts: int
    max_attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    result: str | None
    updated_at: datetime
    version: int


@dataclass(frozen=True, slots=True)
class CommandEvent:
    id: int
    command_id: int
    at: datetime
    from_state: str | None
    to_state: str
    actor: str
    note: str | None


@dataclass(frozen=True, slots=True)
class GuardHalt:
    id: int
    scope: str
    since: datetime
    reason: str
    released_by: str | None
    released_at: datetime | None


_FIELDS = tuple(f.name for f in fields(StoredCommand))


def _row(r: sa.Row[Any]) -> StoredCommand:
    m = r._mapping
    return StoredCommand(**{k: m[k] for k in _FIELDS})


def _event(conn: sa.Connection, command_id: int, event: Mapping[str, Any]) -> None:
    conn.execute(t.command_event.insert().values(**{**event, "command_id": command_id}))


def insert_command(conn: sa.Connection, values: Mapping[str, Any], event: Mapping[str, Any]) -> int:
    """A new command (``values``: its fields but ``id``; version 1) and its first transition; its id."""
    row = {k: v for k, v in values.items() if k in _FIELDS and k != "id"}
    row["version"] = 1
    command_id = insert_id(conn, t.command.insert().values(**row))
    _event(conn, command_id, event)
    return command_id


def save_command(conn: sa.Connection, values: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """Write a moved command if its ``version`` is still the stored one (then version + 1) and record ``event``;
    False if another writer moved it first (nothing written)."""
    c = t.command.c
    row = {k: v for k, v in values.items() if k in _FIELDS and k not in ("id", "version")}
    cas = t.command.update().where(c.id == values["id"], c.version == values["version"])
    if conn.execute(cas.values(**row, version=c.version + 1)).rowcount != 1:
        return False
    _event(conn, int(values["id"]), event)
    return True


DISPATCH_LOCK = 0x6D68_6F70  # "mhop": the advisory lock key of the queue's dispatch on PostgreSQL


def lock_dispatch(conn: sa.Connection) -> None:
    """Serialise the queue's dispatch until the transaction ends, so that two workers never both count a scope
    under the guard's limit and both send. SQLite: the write transaction (``BEGIN IMMEDIATE``) already holds the
    database's write lock; PostgreSQL: a transaction-level advisory lock."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": DISPATCH_LOCK})


def get_command(conn: sa.Connection, command_id: int) -> StoredCommand | None:
    r = conn.execute(sa.select(t.command).where(t.command.c.id == command_id)).first()
    return None if r is None else _row(r)


def command_by_correlation(conn: sa.Connection, correlation_id: str) -> StoredCommand | None:
    r = conn.execute(sa.select(t.command).where(t.command.c.correlation_id == correlation_id)).first()
    return None if r is None else _row(r)


def commands_in(
    conn: sa.Connection,
    states: Collection[str] | None = None,
    *,
    bundle_id: str | None = None,
    meter_id: int | None = None,
    limit: int = 1000,
) -> list[StoredCommand]:
    """Commands (in ``states``, of a bundle, of a meter), oldest first."""
    c = t.command.c
    q = sa.select(t.command).order_by(c.id).limit(limit)
    if states is not None:
        q = q.where(c.state.in_(sorted(states)))
    if bundle_id is not None:
        q = q.where(c.bundle_id == bundle_id)
    if meter_id is not None:
        q = q.where(c.meter_id == meter_id)
    return [_row(r) for r in conn.execute(q)]


def due_commands(conn: sa.Connection, at: datetime, limit: int = 100) -> list[StoredCommand]:
    """Queued commands whose next attempt is due at ``at``: highest priority first, then the earliest due."""
    c = t.command.c
    due = sa.and_(c.state == "queued", sa.or_(c.next_attempt_at.is_(None), c.next_attempt_at <= at))
    q = sa.select(t.command).where(due).order_by(c.priority.desc(), c.next_attempt_at, c.id).limit(limit)
    return [_row(r) for r in conn.execute(q)]


def overdue_commands(
    conn: sa.Connection, at: datetime, sent_before: datetime, limit: int = 1000
) -> list[StoredCommand]:
    """Commands not final whose deadline passed, and sent ones waiting since before ``sent_before``."""
    c = t.command.c
    live = c.state.in_(("requested", "approved", "queued", "sent"))
    late = sa.or_(c.expires_at <= at, sa.and_(c.state == "sent", c.sent_at <= sent_before))
    q = sa.select(t.command).where(live, late).order_by(c.id).limit(limit)
    return [_row(r) for r in conn.execute(q)]


def count_sent(conn: sa.Connection, kinds: Collection[str], since: datetime, dso_id: int | None = None) -> int:
    """Guarded dispatches: transitions to ``sent`` of commands of ``kinds`` at or after ``since`` (of one DSO)."""
    e, c = t.command_event.c, t.command.c
    q = (
        sa.select(sa.func.count())
        .select_from(t.command_event.join(t.command, c.id == e.command_id))
        .where(e.to_state == "sent", e.at >= since, c.kind.in_(sorted(kinds)))
    )
    if dso_id is not None:
        q = q.where(c.dso_id == dso_id)
    return int(conn.execute(q).scalar_one())


def count_requested(conn: sa.Connection, requested_by: str, kinds: Collection[str], since: datetime) -> int:
    """Commands of ``kinds`` that ``requested_by`` requested at or after ``since`` (whatever became of them)."""
    c = t.command.c
    q = sa.select(sa.func.count()).where(
        c.requested_by == requested_by, c.kind.in_(sorted(kinds)), c.requested_at >= since
    )
    return int(conn.execute(q).scalar_one())


def command_events(conn: sa.Connection, command_id: int) -> list[CommandEvent]:
    e = t.command_event.c
    q = sa.select(t.command_event).where(e.command_id == command_id).order_by(e.id)
    return [CommandEvent(**r._mapping) for r in conn.execute(q)]


def add_halt(conn: sa.Connection, scope: str, since: datetime, reason: str) -> int:
    return insert_id(conn, t.guard_halt.insert().values(scope=scope, since=since, reason=reason))


def halts(conn: sa.Connection, active_only: bool = True) -> list[GuardHalt]:
    g = t.guard_halt.c
    q = sa.select(t.guard_halt).order_by(g.id)
    if active_only:
        q = q.where(g.released_at.is_(None))
    return [GuardHalt(**r._mapping) for r in conn.execute(q)]


def get_halt(conn: sa.Connection, halt_id: int) -> GuardHalt | None:
    r = conn.execute(sa.select(t.guard_halt).where(t.guard_halt.c.id == halt_id)).first()
    return None if r is None else GuardHalt(**r._mapping)


def last_release(conn: sa.Connection, scope: str) -> datetime | None:
    """When ``scope``'s last halt was released (None: never)."""
    g = t.guard_halt.c
    q = sa.select(sa.func.max(g.released_at)).where(g.scope == scope)
    value: datetime | None = conn.execute(q).scalar_one()  # max() keeps the column's type: an aware datetime
    return value


def release_halt(conn: sa.Connection, halt_id: int, by: str, at: datetime) -> bool:
    """Release an active halt (False: none such, or already released)."""
    g = t.guard_halt.c
    q = t.guard_halt.update().where(g.id == halt_id, g.released_at.is_(None))
    return conn.execute(q.values(released_by=by, released_at=at)).rowcount == 1


def set_life_support(conn: sa.Connection, metering_point_id: int, flag: bool) -> bool:
    """Flag (or unflag) a metering point as depending on life-support equipment (False: no such point)."""
    mp = t.metering_point.c
    q = t.metering_point.update().where(mp.id == metering_point_id).values(life_support=flag)
    return conn.execute(q).rowcount == 1


def life_support(conn: sa.Connection, metering_point_id: int) -> bool:
    mp = t.metering_point.c
    return bool(conn.execute(sa.select(mp.life_support).where(mp.id == metering_point_id)).scalar())


class CommandOps(StoreEngine):
    """Remote operations' commands, transitions, halts and the life-support flag (part of
    :class:`~meterhub.store.db.Store`)."""

    def command(self, command_id: int) -> StoredCommand | None:
        with self.read() as conn:
            return get_command(conn, command_id)

    def commands(self, states: Collection[str] | None = None, *, bundle_id: str | None = None) -> list[StoredCommand]:
        with self.read() as conn:
            return commands_in(conn, states, bundle_id=bundle_id)

    def command_events(self, command_id: int) -> list[CommandEvent]:
        with self.read() as conn:
            return command_events(conn, command_id)

    def guard_halts(self, active_only: bool = True) -> list[GuardHalt]:
        with self.read() as conn:
            return halts(conn, active_only)

    def set_life_support(self, metering_point_id: int, flag: bool) -> bool:
        with self.write() as conn:
            return set_life_support(conn, metering_point_id, flag)

    def life_support(self, metering_point_id: int) -> bool:
        with self.read() as conn:
            return life_support(conn, metering_point_id)


__all__ = [
    "CommandEvent",
    "CommandOps",
    "GuardHalt",
    "StoredCommand",
    "add_halt",
    "command_by_correlation",
    "command_events",
    "commands_in",
    "count_requested",
    "count_sent",
    "due_commands",
    "get_command",
    "get_halt",
    "halts",
    "insert_command",
    "last_release",
    "life_support",
    "lock_dispatch",
    "overdue_commands",
    "release_halt",
    "save_command",
    "set_life_support",
]
