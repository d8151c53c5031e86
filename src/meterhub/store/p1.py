"""Live P1 readings as stored (``p1_reading``, migration 0009): the telegrams a household's reader forwards to the
platform for its metering point, each kept whole as the JSON record of
:func:`meterhub.p1.records.reading_record`, with its time (``read_at``) and frame counter.

What may be forwarded and who may read it back is the API's policy (:mod:`meterhub.api.routes_p1`); here they are
rows. A telegram forwarded twice (a retried batch) is stored once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from meterhub.store import schema as t
from meterhub.store.engine import StoreEngine
from meterhub.store.sql import insert_for


@dataclass(frozen=True, slots=True)
class P1Reading:
    """One forwarded telegram of a metering point."""

    point_id: int
    meter: str
    system_title: str
    read_at: datetime
    frame_counter: int
    record: Mapping[str, Any]
    received_at: datetime


def add_p1_readings(conn: sa.Connection, readings: Sequence[P1Reading]) -> int:
    """Store the readings (a repeat of a stored one is skipped); returns how many were new."""
    if not readings:
        return 0
    table = t.p1_reading
    rows = [
        {
            "point_id": r.point_id,
            "meter": r.meter,
            "system_title": r.system_title,
            "read_at": r.read_at,
            "frame_counter": r.frame_counter,
            "record": json.dumps(r.record, separators=(",", ":"), sort_keys=True),
            "received_at": r.received_at,
        }
        for r in readings
    ]
    result = conn.execute(insert_for(conn, table).values(rows).on_conflict_do_nothing())
    return int(result.rowcount or 0)


def latest_p1_readings(
    conn: sa.Connection, point_id: int, windows: Sequence[tuple[datetime, datetime]], limit: int
) -> list[P1Reading]:
    """The point's latest ``limit`` readings whose time lies in one of ``windows`` ([from, to)), newest first."""
    if not windows:
        return []
    table = t.p1_reading
    inside = sa.or_(*(sa.and_(table.c.read_at >= a, table.c.read_at < b) for a, b in windows))
    stmt = (
        sa.select(table)
        .where(table.c.point_id == point_id, inside)
        .order_by(table.c.read_at.desc(), table.c.id.desc())
        .limit(limit)
    )
    return [
        P1Reading(
            int(m["point_id"]),
            str(m["meter"]),
            str(m["system_title"]),
            m["read_at"],
            int(m["frame_counter"]),
            json.loads(m["record"]),
            m["received_at"],
        )
        for m in (row._mapping for row in conn.execute(stmt))
    ]


class P1Ops(StoreEngine):
    """Live P1 readings (part of :class:`~meterhub.store.db.Store`)."""

    def add_p1_readings(self, readings: Sequence[P1Reading]) -> int:
        with self.write() as conn:
            return add_p1_readings(conn, readings)

    def latest_p1_readings(
        self, point_id: int, windows: Sequence[tuple[datetime, datetime]], limit: int = 100
    ) -> list[P1Reading]:
        with self.read() as conn:
            return latest_p1_readings(conn, point_id, windows, limit)


__all__ = ["P1Ops", "P1Reading", "add_p1_readings", "latest_p1_readings"]
