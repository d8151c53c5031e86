"""Read jobs (DESIGN §6): the head-end's durable work queue — a daily, billing, M-Bus, events or re-read job
per meter and window, ``pending`` until claimed, ``running`` while a worker reads, then ``done``, or back to
``pending`` for a retry at a later time, or ``failed`` for good.

Claiming is atomic (one write transaction moves the due jobs to ``running`` and counts the attempt), so two
workers never take the same job. The functions take a :class:`~meterhub.store.sql.Connection`;
:class:`JobOps` is the part of :class:`~meterhub.store.db.Store` that runs them in a transaction of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from meterhub.store import schema as t
from meterhub.store.engine import StoreEngine
from meterhub.store.sql import insert_id, rows_as, utc_now


@dataclass(frozen=True, slots=True)
class ReadJob:
    id: int
    meter_id: int
    kind: str
    window_from: datetime | None
    window_to: datetime | None
    state: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    updated_at: datetime


def add_read_job(
    conn: sa.Connection,
    meter_id: int,
    kind: t.JobKind,
    window_from: datetime | None = None,
    window_to: datetime | None = None,
    *,
    next_attempt_at: datetime | None = None,
) -> int:
    now = utc_now()
    stmt = t.read_job.insert().values(
        meter_id=meter_id,
        kind=kind,
        window_from=window_from,
        window_to=window_to,
        state="pending",
        attempts=0,
        next_attempt_at=next_attempt_at or now,
        updated_at=now,
    )
    return insert_id(conn, stmt)


def claim_read_jobs(conn: sa.Connection, now: datetime | None = None, limit: int = 100) -> list[ReadJob]:
    """Move up to ``limit`` due pending jobs to ``running`` (attempts + 1) and return them (atomic in a write
    transaction)."""
    j = t.read_job
    now = now or utc_now()
    ids = list(
        conn.execute(
            sa.select(j.c.id)
            .where(j.c.state == "pending", j.c.next_attempt_at <= now)
            .order_by(j.c.next_attempt_at, j.c.id)
            .limit(limit)
        ).scalars()
    )
    if not ids:
        return []
    conn.execute(j.update().where(j.c.id.in_(ids)).values(state="running", attempts=j.c.attempts + 1, updated_at=now))
    return rows_as(ReadJob, conn.execute(sa.select(j).where(j.c.id.in_(ids)).order_by(j.c.next_attempt_at, j.c.id)))


def finish_read_job(conn: sa.Connection, job_id: int, now: datetime | None = None) -> None:
    j = t.read_job
    conn.execute(j.update().where(j.c.id == job_id).values(state="done", last_error=None, updated_at=now or utc_now()))


def fail_read_job(
    conn: sa.Connection, job_id: int, error: str, retry_at: datetime | None = None, now: datetime | None = None
) -> None:
    """Record a failure: back to ``pending`` until ``retry_at`` if given, else ``failed`` for good."""
    j = t.read_job
    values: dict[str, Any] = {"last_error": error, "updated_at": now or utc_now()}
    values.update({"state": "pending", "next_attempt_at": retry_at} if retry_at is not None else {"state": "failed"})
    conn.execute(j.update().where(j.c.id == job_id).values(**values))


def list_read_jobs(
    conn: sa.Connection, *, meter_id: int | None = None, state: t.JobState | None = None
) -> list[ReadJob]:
    j = t.read_job
    q = sa.select(j).order_by(j.c.id)
    if meter_id is not None:
        q = q.where(j.c.meter_id == meter_id)
    if state is not None:
        q = q.where(j.c.state == state)
    return rows_as(ReadJob, conn.execute(q))


class JobOps(StoreEngine):
    """The read job operations of :class:`~meterhub.store.db.Store`, each in a transaction of its own."""

    def add_read_job(
        self,
        meter_id: int,
        kind: t.JobKind,
        window_from: datetime | None = None,
        window_to: datetime | None = None,
        *,
        next_attempt_at: datetime | None = None,
    ) -> int:
        with self.write() as conn:
            return add_read_job(conn, meter_id, kind, window_from, window_to, next_attempt_at=next_attempt_at)

    def claim_read_jobs(self, now: datetime | None = None, limit: int = 100) -> list[ReadJob]:
        """Atomically move up to ``limit`` due pending jobs to ``running`` (attempts + 1) and return them."""
        with self.write() as conn:
            return claim_read_jobs(conn, now, limit)

    def finish_read_job(self, job_id: int, now: datetime | None = None) -> None:
        with self.write() as conn:
            finish_read_job(conn, job_id, now)

    def fail_read_job(
        self, job_id: int, error: str, retry_at: datetime | None = None, now: datetime | None = None
    ) -> None:
        """Record a failure: back to ``pending`` until ``retry_at`` if given, else ``failed`` for good."""
        with self.write() as conn:
            fail_read_job(conn, job_id, error, retry_at, now)

    def list_read_jobs(self, *, meter_id: int | None = None, state: t.JobState | None = None) -> list[ReadJob]:
        with self.read() as conn:
            return list_read_jobs(conn, meter_id=meter_id, state=state)


__all__ = [
    "JobOps",
    "ReadJob",
    "add_read_job",
    "claim_read_jobs",
    "fail_read_job",
    "finish_read_job",
    "list_read_jobs",
]
