"""VEE history digests as stored (``vee_digest``): one row per channel — the day the digest is as of, its
packed bytes and a ``seq`` that every write bumps.

The digest itself (what it holds, how it is packed and kept in step with the blocks) is
:mod:`meterhub.mdm.digest`; the store only loads, locks and saves rows. Saving is optimistic: a row is written
only over the ``seq`` it was loaded with, so a writer that finds fewer rows written than it gave knows another
writer came first and plans again. The functions take a :class:`~meterhub.store.sql.Connection` of the
caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa

from meterhub.store import schema as t
from meterhub.store.sql import copy_rows, id_filters

DigestRow = tuple[int, date, bytes, int]
"""``(channel_id, as_of, packed digest, seq)``: a digest as stored (to save: with its new seq)."""
_STAGING = "mh_vee_digest_staging"


def load_digests(conn: sa.Connection, channel_ids: Sequence[int]) -> list[DigestRow]:
    """The stored digests of the channels that have one (in no particular order)."""
    d = t.vee_digest
    as_of = sa.type_coerce(d.c.as_of, sa.String)  # ISO text on SQLite, parsed once per distinct day
    days: dict[object, date] = {}
    out: list[DigestRow] = []
    for among in id_filters(conn, d.c.channel_id, channel_ids):
        for cid, raw, data, seq in conn.execute(sa.select(d.c.channel_id, as_of, d.c.data, d.c.seq).where(among)):
            day = days.get(raw)
            if day is None:
                day = days[raw] = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
            out.append((cid, day, bytes(data), seq))
    return out


def save_digests(conn: sa.Connection, rows: Sequence[DigestRow]) -> int:
    """Upsert packed digests; returns how many were written. A row is written only if the stored one still
    has the seq it was loaded with (one below the new seq; a channel without a row: 0) — optimistic
    concurrency without locks. SQLite: one executemany; PostgreSQL: binary COPY into a staging table, then one
    insert … on conflict update … where."""
    if not rows:
        return 0
    name = t.vee_digest.name
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            f"CREATE TEMP TABLE IF NOT EXISTS {_STAGING} (LIKE {name} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        copy_rows(conn, _STAGING, ("channel_id", "as_of", "data", "seq"), ("int4", "date", "bytea", "int4"), rows)
        result = conn.exec_driver_sql(
            f"WITH staged AS (DELETE FROM {_STAGING} RETURNING *) INSERT INTO {name} (channel_id, as_of, data, seq) "
            "SELECT channel_id, as_of, data, seq FROM staged ON CONFLICT (channel_id) DO UPDATE "
            f"SET as_of = EXCLUDED.as_of, data = EXCLUDED.data, seq = EXCLUDED.seq WHERE {name}.seq + 1 = EXCLUDED.seq"
        )
        return int(result.rowcount)
    result = conn.exec_driver_sql(
        f"INSERT INTO {name} (channel_id, as_of, data, seq) VALUES (?, ?, ?, ?) ON CONFLICT (channel_id) DO UPDATE "
        f"SET as_of = excluded.as_of, data = excluded.data, seq = excluded.seq WHERE {name}.seq + 1 = excluded.seq",
        [(cid, day.isoformat(), data, seq) for cid, day, data, seq in rows],
    )
    return int(result.rowcount)


def lock_digests(conn: sa.Connection, channel_ids: Sequence[int]) -> None:
    """Lock the digest rows of the channels until the transaction ends.

    PostgreSQL: a placeholder row (empty data, seq 0, read as "rebuild from the blocks") is inserted first for
    a channel without one, then the rows are selected ``FOR UPDATE``, so that two writers of one channel's
    blocks take turns and neither overwrites the other's digest. SQLite's write transaction is exclusive
    already: nothing to do."""
    if conn.dialect.name != "postgresql" or not channel_ids:
        return
    name = t.vee_digest.name
    ids = {"ids": sorted(channel_ids)}
    conn.execute(
        sa.text(
            f"INSERT INTO {name} (channel_id, as_of, data, seq) SELECT x, DATE '0001-01-01', '', 0 "
            "FROM unnest(CAST(:ids AS integer[])) AS x ORDER BY x ON CONFLICT DO NOTHING"
        ),
        ids,
    )
    conn.execute(
        sa.text(f"SELECT 1 FROM {name} WHERE channel_id = ANY(CAST(:ids AS integer[])) ORDER BY channel_id FOR UPDATE"),
        ids,
    )


__all__ = ["DigestRow", "load_digests", "lock_digests", "save_digests"]
