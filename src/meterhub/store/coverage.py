"""Which local days some channels have interval blocks for — without loading the blocks: what a filler of
history (the demo's background fill) asks before it writes, so that it never writes a day twice.

The functions take a :class:`~meterhub.store.sql.Connection`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa

from meterhub.store import schema as t
from meterhub.store.sql import id_filters


def current_versions(
    conn: sa.Connection, channel_ids: Sequence[int], day_from: date, day_to: date
) -> dict[int, dict[date, int]]:
    """``{channel id: {local day: its current block version}}`` from ``day_from`` to ``day_to`` (inclusive),
    for the channel days that have a block (one grouped query: no values are read)."""
    b = t.interval_block
    out: dict[int, dict[date, int]] = {}
    days: dict[object, date] = {}
    for among in id_filters(conn, b.c.channel_id, channel_ids):
        q = (
            sa.select(b.c.channel_id, b.c.local_day, sa.func.max(b.c.version))
            .where(among, b.c.local_day >= day_from, b.c.local_day <= day_to)
            .group_by(b.c.channel_id, b.c.local_day)
        )
        for cid, day, version in conn.execute(q):
            d = days.get(day)
            if d is None:
                d = days[day] = day if isinstance(day, date) else date.fromisoformat(str(day))
            out.setdefault(int(cid), {})[d] = int(version)
    return out


__all__ = ["current_versions"]
