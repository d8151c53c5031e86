"""Invocation counters (DESIGN §5): per (system title, key kind, direction) the highest frame counter used.

Transmit (``tx``) counters are write-ahead: :meth:`CounterOps.reserve_counters` advances the stored value by
the number of counters a session may use *before* any of them is sent, so a crash never makes the head-end
reuse one. Receive (``rx``) counters keep the highest value seen from a peer; anything at or below it is a
replay (:meth:`CounterOps.record_rx`). Values only ever grow (an upsert that keeps the maximum). System titles
are stored as 16 lower-case hex digits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from meterhub.store import schema as t
from meterhub.store.engine import StoreEngine
from meterhub.store.sql import chunks, insert_for


def title_hex(system_title: str | bytes) -> str:
    """A system title (8 bytes, or 16 hex digits) as stored: 16 lower-case hex digits."""
    title = system_title.hex() if isinstance(system_title, bytes) else system_title.lower()
    if len(title) != 16:
        raise ValueError(f"system title must be 8 bytes, got {system_title!r}")
    return title


def counter_values(conn: sa.Connection, titles: Sequence[str], key_kind: str, direction: str) -> dict[str, int]:
    """``{title hex: stored value}`` of the key sets that have a counter."""
    ic = t.invocation_counter
    out: dict[str, int] = {}
    for chunk in chunks(titles):
        q = sa.select(ic.c.system_title, ic.c.value).where(
            ic.c.system_title.in_(chunk), ic.c.key_kind == key_kind, ic.c.direction == direction
        )
        out.update({row[0]: int(row[1]) for row in conn.execute(q)})
    return out


def upsert_counters(conn: sa.Connection, rows: list[dict[str, Any]], *, only_if_greater: bool) -> None:
    """Store counter rows (system_title, key_kind, direction, value); ``only_if_greater`` keeps a stored value
    that is higher."""
    if not rows:
        return
    ic = t.invocation_counter
    stmt = insert_for(conn, ic)
    stmt = stmt.on_conflict_do_update(
        index_elements=[ic.c.system_title, ic.c.key_kind, ic.c.direction],
        set_={"value": stmt.excluded.value},
        where=(ic.c.value < stmt.excluded.value) if only_if_greater else None,
    )
    conn.execute(stmt, rows)


class CounterOps(StoreEngine):
    """The invocation counter operations of :class:`~meterhub.store.db.Store`, each atomic in a transaction."""

    def reserve_counter(self, system_title: str | bytes, key_kind: str, n: int) -> int:
        """Reserve ``n`` consecutive transmit invocation counters and return the first; the stored value is the
        highest counter ever handed out, advanced atomically before any of them is used (counters start at 1)."""
        return self.reserve_counters([system_title], key_kind, n)[title_hex(system_title)]

    def reserve_counters(self, system_titles: Sequence[str | bytes], key_kind: str, n: int) -> dict[str, int]:
        """:meth:`reserve_counter` for many key sets in one transaction: ``{title hex: first counter}``.

        One read of the stored values and one batched upsert, atomic under the write transaction's lock.
        """
        if n < 1:
            raise ValueError("reserve at least one counter")
        titles = sorted({title_hex(st) for st in system_titles})
        with self.write() as conn:
            current = counter_values(conn, titles, key_kind, "tx")
            last = {title: current.get(title, 0) + n for title in titles}
            rows: list[dict[str, Any]] = [
                {"system_title": title, "key_kind": key_kind, "direction": "tx", "value": value}
                for title, value in last.items()
            ]
            upsert_counters(conn, rows, only_if_greater=False)
        return {title: value - n + 1 for title, value in last.items()}

    def raise_counter(
        self, system_title: str | bytes, key_kind: str, value: int, direction: t.Direction = "tx"
    ) -> bool:
        """Keep ``max(stored, value)``; True if ``value`` was above the stored one (or none was stored)."""
        title = title_hex(system_title)
        with self.write() as conn:
            before = counter_values(conn, [title], key_kind, direction).get(title)
            upsert_counters(
                conn,
                [{"system_title": title, "key_kind": key_kind, "direction": direction, "value": value}],
                only_if_greater=True,
            )
        return before is None or value > before

    def raise_counters(self, values: Mapping[str | bytes, int], key_kind: str, direction: t.Direction = "tx") -> None:
        """:meth:`raise_counter` for many key sets in one batched statement (keeps each maximum)."""
        rows = [
            {"system_title": title_hex(title), "key_kind": key_kind, "direction": direction, "value": value}
            for title, value in values.items()
        ]
        with self.write() as conn:
            upsert_counters(conn, rows, only_if_greater=True)

    def record_rx(self, system_title: str | bytes, key_kind: str, value: int) -> bool:
        """Record a received invocation counter, keeping the maximum; False means ``value`` ≤ the stored one
        (a replay by DESIGN §5's rule)."""
        return self.raise_counter(system_title, key_kind, value, "rx")

    def get_counter(self, system_title: str | bytes, key_kind: str, direction: t.Direction = "tx") -> int | None:
        ic = t.invocation_counter
        q = sa.select(ic.c.value).where(
            ic.c.system_title == title_hex(system_title), ic.c.key_kind == key_kind, ic.c.direction == direction
        )
        with self.read() as conn:
            value = conn.execute(q).scalar_one_or_none()
        return None if value is None else int(value)


__all__ = ["CounterOps", "counter_values", "title_hex", "upsert_counters"]
