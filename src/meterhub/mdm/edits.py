"""Manual edits of interval values, their audit record, and "as of" queries over block versions (issue 5, §5).

An edit never changes a stored row: it appends a NEW version of each affected (channel, local day) block in
which the edited slots carry the new value with quality ``edited``; every other slot is copied from the
current version. The version's ``reason`` column holds the audit record as JSON — who, why and which slots —
and its ``source`` is ``edit``; ``created_at`` is when the edit was made. Ingest keeps edited slots when
the same interval is read again (see :mod:`meterhub.mdm.ingest`), so an edit outlives re-reads; a later
edit of the same slot simply makes another version.

"As of" a time ``at`` a block is the highest version created at or before ``at``
(:func:`blocks_as_of`); :func:`history` lists every version of a day with its who/why and the slots that
changed against the version before.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np

from meterhub.mdm import digest
from meterhub.mdm.quality import Quality, quality_byte
from meterhub.store import Connection, IntervalBlock, NewBlock, Store
from meterhub.store.blocks import current_blocks
from meterhub.store.channels import channel_intervals
from meterhub.store.intervals import local_day_slots, slot_index

EDIT_SOURCE = "edit"
EDITED = quality_byte(Quality.EDITED)


class EditError(ValueError):
    """An edit that is refused: no user or reason, unknown channel, a time not on the channel's slot grid."""


@dataclass(frozen=True, slots=True)
class EditRecord:
    """The audit record of one edit version (``interval_block.reason``)."""

    who: str
    why: str
    slots: tuple[int, ...]

    def to_json(self) -> str:
        return json.dumps({"who": self.who, "why": self.why, "slots": list(self.slots)}, ensure_ascii=False)

    @classmethod
    def from_reason(cls, reason: str | None) -> EditRecord | None:
        """The record of a version's reason, or None when the version is not a manual edit."""
        if not reason:
            return None
        try:
            data = json.loads(reason)
        except ValueError:
            return None
        if not isinstance(data, dict) or "who" not in data or "why" not in data:
            return None
        return cls(str(data["who"]), str(data["why"]), tuple(int(s) for s in data.get("slots", ())))


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One version of a block with its provenance."""

    version: int
    created_at: datetime
    source: str
    reason: str | None  # the version's reason as stored (an edit's JSON record, VEE's rule summary, …)
    edit: EditRecord | None
    changed_slots: tuple[int, ...]  # slots whose value or quality differ from the previous version


def edit_intervals(
    store: Store,
    channel_id: int,
    values: Mapping[datetime, int],
    *,
    user: str,
    reason: str,
    now: datetime | None = None,
) -> list[NewBlock]:
    """Set the consumption of the slots starting at the given UTC-aware times to the given integers (quality
    ``edited``), as new block versions audited with ``user`` and ``reason``; one transaction. Returns the
    versions written (a day whose values and qualities would not change gets none)."""
    with store.write() as conn:
        return edit_intervals_in(conn, channel_id, values, user=user, reason=reason, now=now)


def edit_intervals_in(
    conn: Connection,
    channel_id: int,
    values: Mapping[datetime, int],
    *,
    user: str,
    reason: str,
    now: datetime | None = None,
) -> list[NewBlock]:
    """:func:`edit_intervals` inside the caller's write transaction (several channels' edits at once)."""
    if not user.strip():
        raise EditError("an edit needs the user who makes it")
    if not reason.strip():
        raise EditError("an edit needs a reason")
    if not values:
        return []
    intervals = channel_intervals(conn, [channel_id])
    if channel_id not in intervals:
        raise EditError(f"unknown channel {channel_id}")
    interval_s = intervals[channel_id]
    by_day: dict[date, dict[int, int]] = {}
    for start, value in values.items():
        try:
            day, index = slot_index(start, interval_s)
        except ValueError as exc:
            raise EditError(str(exc)) from None
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise EditError(f"edited value at {start.isoformat()} must be an integer, got {value!r}")
        by_day.setdefault(day, {})[index] = int(value)
    current = {b.local_day: b for b in current_blocks(conn, [channel_id], min(by_day), max(by_day))}
    written: list[NewBlock] = []
    for day, slots in sorted(by_day.items()):
        cur = current.get(day)
        n = local_day_slots(day, interval_s)
        vals = np.zeros(n, np.int64) if cur is None else cur.values.copy()
        qual = np.zeros(n, np.uint8) if cur is None else cur.quality.copy()
        idx = np.fromiter(slots.keys(), dtype=np.int64, count=len(slots))
        vals[idx] = np.fromiter(slots.values(), dtype=np.int64, count=len(slots))
        qual[idx] = EDITED
        if cur is not None and np.array_equal(vals, cur.values) and np.array_equal(qual, cur.quality):
            continue
        record = EditRecord(user, reason, tuple(sorted(slots)))
        version = 1 if cur is None else cur.version + 1
        written.append(NewBlock(channel_id, day, version, vals, qual, EDIT_SOURCE, record.to_json()))
    digest.write_blocks(conn, written, intervals=intervals, now=now)
    return written


def blocks_as_of(
    store: Store, channel_ids: Sequence[int], day_from: date, day_to: date, at: datetime
) -> list[IntervalBlock]:
    """The blocks of ``channel_ids`` and ``day_from..day_to`` (inclusive) as they were at ``at``: for each
    (channel, day) the highest version created at or before ``at`` (days without one then are absent);
    ordered by (channel, day)."""
    if at.tzinfo is None:
        raise EditError("'as of' needs a timezone-aware time")
    return store.current_blocks(channel_ids, day_from, day_to, as_of=at)


def history(store: Store, channel_id: int, day: date) -> list[VersionInfo]:
    """Every version of one block, oldest first, with who/why of edits and the slots each version changed."""
    versions = store.block_versions(channel_id, day)
    out: list[VersionInfo] = []
    prev: IntervalBlock | None = None
    for v in versions:
        if prev is None or prev.slots != v.slots:
            changed = np.flatnonzero(v.quality != 0)
        else:
            changed = np.flatnonzero((v.values != prev.values) | (v.quality != prev.quality))
        out.append(
            VersionInfo(
                v.version, v.created_at, v.source, v.reason, EditRecord.from_reason(v.reason), tuple(changed.tolist())
            )
        )
        prev = v
    return out


__all__ = [
    "EDIT_SOURCE",
    "EditError",
    "EditRecord",
    "VersionInfo",
    "blocks_as_of",
    "edit_intervals",
    "edit_intervals_in",
    "history",
]
