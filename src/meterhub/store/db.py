"""The store: one SQLAlchemy engine, the schema migrated to head, and small typed data-access operations.

SQLite is the default backend (a data directory holds ``meterhub.sqlite``, WAL journal, ``synchronous=NORMAL``,
foreign keys on, a busy timeout). PostgreSQL (extra ``pg``, psycopg 3) sits behind the same interface:
``Store.open("postgresql+psycopg://user@host/db")`` (a plain ``postgresql://`` URL is taken to mean psycopg 3).
Everything here is SQLAlchemy Core and portable: the few dialect-specific statements (insert-or-ignore,
upsert … RETURNING) are chosen by :func:`insert_for`, which knows SQLite and PostgreSQL. What differs on
PostgreSQL:

* ``interval_block`` and ``register_read`` are partitioned by local month (:mod:`meterhub.store.partitions`:
  months ahead are created when the store opens, missing months on demand in the write path); they declare
  no foreign key to ``channel`` there (checked row by row, it took over 40 % of a bulk ingest): the write
  path checks each batch's channel ids in one statement (:func:`check_channels`) and raises the same
  IntegrityError;
* :func:`insert_blocks` appends new block versions with one binary ``COPY … FROM STDIN`` (psycopg 3) instead
  of an ``executemany`` of INSERTs — a key clash still raises :class:`sqlalchemy.exc.IntegrityError`;
* transactions run at PostgreSQL's default READ COMMITTED: writers do not queue behind one lock as on SQLite,
  so two concurrent writers appending the *same* (channel, day, version) make the second fail on the primary
  key (IntegrityError, its transaction rolled back, nothing lost) rather than wait; ingest batches of
  different channels never meet.

Transactions: :meth:`Store.write` opens a write transaction — on SQLite ``BEGIN IMMEDIATE``, so a
read-then-write transaction (ingest reads the current block version, then appends the next) holds the write
lock from its first statement and can neither interleave with another writer nor fail on a stale snapshot.
:meth:`Store.read` opens a plain (deferred) transaction: a consistent snapshot that does not block writers.
Block-level operations are module functions taking a ``Connection`` so that a caller (the MDM ingest) can
compose several in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.dialects import postgresql, sqlite

from meterhub.store import partitions as part
from meterhub.store import schema as t
from meterhub.store.intervals import (
    LOCAL_TZ,
    Int64Array,
    UInt8Array,
    from_epoch,
    pack_quality_many,
    pack_values_many,
    to_epoch,
    unpack_quality,
    unpack_quality_many,
    unpack_values,
    unpack_values_many,
)

DB_FILE = "meterhub.sqlite"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_WRITE = "meterhub_write"
_IN_CHUNK = 500  # ids per IN (...) list: well under SQLite's bound-parameter limit
# an executemany's rows affected, summed over SQLAlchemy's "insertmanyvalues" batches (PostgreSQL reports -1
# without it; SQLite's cursor sums anyway)
_COUNT_ROWS: dict[str, Any] = {"preserve_rowcount": True}


def _now() -> datetime:
    return datetime.now(UTC)


def insert_for(conn: sa.Connection, table: sa.Table) -> Any:
    """A dialect insert supporting ``on_conflict_do_nothing`` / ``on_conflict_do_update`` (SQLite, PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert support for dialect {conn.dialect.name}")


def insert_id(conn: sa.Connection, stmt: sa.Insert) -> int:
    """Execute an INSERT and return the new row's primary key."""
    key = conn.execute(stmt).inserted_primary_key
    if key is None:
        raise RuntimeError("insert returned no primary key")
    return int(key[0])


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for i in range(0, len(ids), _IN_CHUNK):
        yield ids[i : i + _IN_CHUNK]


def id_filters(conn: sa.Connection, column: sa.ColumnElement[int], ids: Iterable[int]) -> Iterator[Any]:
    """WHERE clauses selecting ``column`` among ``ids``, one statement whatever the count, with the same text
    every time (compiled once, cached) and a single parameter: on PostgreSQL ``= ANY(array)``, on SQLite
    ``IN (SELECT value FROM json_each(json array))`` — SQLite seeks the index once per id, as for an ``IN``
    list, without SQLAlchemy expanding a list of hundreds of parameters at every execution."""
    wanted = sorted(set(ids))
    if not wanted:
        return
    if conn.dialect.name == "postgresql":
        yield column == sa.any_(sa.bindparam("ids", wanted, type_=postgresql.ARRAY(sa.Integer)))
    elif conn.dialect.name == "sqlite":
        array = sa.func.json_each(sa.bindparam("ids", json.dumps(wanted), type_=sa.String))
        yield column.in_(sa.select(sa.literal_column("value")).select_from(array))
    else:
        for chunk in _chunks(wanted):
            yield column.in_(chunk)


# --------------------------------------------------------------------------------------------- row types


@dataclass(frozen=True, slots=True)
class Party:
    id: int
    kind: str
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Concentrator:
    id: int
    dso_id: int
    code: str
    host: str
    port: int


@dataclass(frozen=True, slots=True)
class MeteringPoint:
    id: int
    ean: str
    dso_id: int
    grid_area: str | None
    address: str | None
    postcode: str | None


@dataclass(frozen=True, slots=True)
class Meter:
    id: int
    serial: str
    dso_id: int
    model: str
    firmware: str
    medium: str
    parent_meter_id: int | None
    mbus_channel: int | None
    concentrator_id: int | None
    host: str | None
    port: int | None
    wport: int | None
    system_title: str | None
    installed_at: datetime | None


@dataclass(frozen=True, slots=True)
class Channel:
    id: int
    meter_id: int
    obis: str
    medium: str
    unit: str
    scaler: int
    interval_s: int


@dataclass(frozen=True, slots=True, eq=False)
class IntervalBlock:
    """One version of one channel's local day: unpacked values (int64) and quality bytes (uint8)."""

    channel_id: int
    local_day: date
    version: int
    slots: int
    values: Int64Array
    quality: UInt8Array
    created_at: datetime
    source: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class NewBlock:
    """A block version to append (see :func:`insert_blocks`)."""

    channel_id: int
    local_day: date
    version: int
    values: Int64Array
    quality: UInt8Array
    source: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class RegisterRead:
    channel_id: int
    read_at: datetime
    kind: str
    value: int
    source: str


@dataclass(frozen=True, slots=True)
class MeterEvent:
    meter_id: int
    occurred_at: datetime
    log: str
    code: int
    severity: str = "info"
    channel: int | None = None
    received_at: datetime | None = None
    id: int | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None


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


def _rows(cls: Any, result: Iterable[sa.Row[Any]]) -> list[Any]:
    return [cls(**row._mapping) for row in result]


# --------------------------------------------------------------------------------------------- block functions


def _block(row: sa.Row[Any]) -> IntervalBlock:
    m = row._mapping
    slots = int(m["slots"])
    return IntervalBlock(
        channel_id=m["channel_id"],
        local_day=m["local_day"],
        version=m["version"],
        slots=slots,
        values=unpack_values(m["values"], slots),
        quality=unpack_quality(m["quality"], slots),
        created_at=m["created_at"],
        source=m["source"],
        reason=m["reason"],
    )


def current_blocks(
    conn: sa.Connection, channel_ids: Sequence[int], day_from: date, day_to: date
) -> list[IntervalBlock]:
    """The current (highest) version of every block of ``channel_ids`` from ``day_from`` to ``day_to``
    inclusive, ordered by (channel, day). Days without any block are simply absent."""
    b = t.interval_block
    # the day as stored (ISO text on SQLite) and the creation epoch are converted here, once per distinct
    # value, rather than by the column types row by row (a 3-year query has ~1100 rows of one channel)
    day = sa.type_coerce(b.c.local_day, sa.String) if conn.dialect.name == "sqlite" else b.c.local_day
    created = sa.type_coerce(b.c.created_at, sa.BigInteger)
    cols = (b.c.channel_id, day, b.c.version, b.c.slots, b.c["values"], b.c.quality, created, b.c.source, b.c.reason)
    out: list[IntervalBlock] = []
    days: dict[Any, date] = {}
    instants: dict[int, datetime] = {}
    for among in id_filters(conn, b.c.channel_id, channel_ids):
        # All versions in key order, the last of each (channel, day) kept: on the primary key's order this
        # is one range scan, cheaper than a grouped sub-select joined back (versions are few per day).
        q = (
            sa.select(*cols)
            .where(among, b.c.local_day >= day_from, b.c.local_day <= day_to)
            .order_by(b.c.channel_id, b.c.local_day, b.c.version)
        )
        rows = [tuple(r) for r in conn.execute(q)]
        keep = [r for r, nxt in zip(rows, [*rows[1:], None], strict=False) if nxt is None or nxt[:2] != r[:2]]
        slots = [int(r[3]) for r in keep]
        values = unpack_values_many([r[4] for r in keep], slots)
        quality = unpack_quality_many([r[5] for r in keep], slots)
        for r, n, v, qa in zip(keep, slots, values, quality, strict=True):
            d = days.get(r[1])
            if d is None:
                d = days[r[1]] = r[1] if isinstance(r[1], date) else date.fromisoformat(r[1])
            at = instants.get(r[6])
            if at is None:
                at = instants[r[6]] = from_epoch(r[6])
            out.append(IntervalBlock(r[0], d, r[2], n, v, qa, at, r[7], r[8]))
    return out


def register_reads_many(
    conn: sa.Connection, channel_ids: Sequence[int], since: datetime, until: datetime
) -> dict[int, list[RegisterRead]]:
    """``{channel_id: register reads with since ≤ read_at < until}`` (ordered by time, kind) for many channels
    in one query per id chunk; channels without reads are absent."""
    r = t.register_read
    out: dict[int, list[RegisterRead]] = {}
    at = sa.type_coerce(r.c.read_at, sa.BigInteger)  # epoch seconds, converted below without per-row processing
    for among in id_filters(conn, r.c.channel_id, channel_ids):
        q = (
            sa.select(r.c.channel_id, at, r.c.kind, r.c.value, r.c.source)
            .where(among, r.c.read_at >= since, r.c.read_at < until)
            .order_by(r.c.channel_id, r.c.read_at, r.c.kind)
        )
        for cid, epoch, kind, value, source in conn.execute(q):
            out.setdefault(cid, []).append(RegisterRead(cid, from_epoch(epoch), kind, value, source))
    return out


def count_register_reads(conn: sa.Connection, channel_ids: Sequence[int], since: int, until: int) -> int:
    """How many register reads (any kind) the channels have with ``since ≤ read_at < until`` (epoch seconds)."""
    r = t.register_read
    at = sa.type_coerce(r.c.read_at, sa.BigInteger)
    total = 0
    for among in id_filters(conn, r.c.channel_id, channel_ids):
        total += int(conn.execute(sa.select(sa.func.count()).where(among, at >= since, at < until)).scalar() or 0)
    return total


def newest_block_days(conn: sa.Connection, channel_ids: Sequence[int]) -> dict[int, date]:
    """``{channel_id: local day of its newest block}`` for the channels that have blocks."""
    b = t.interval_block
    out: dict[int, date] = {}
    for among in id_filters(conn, b.c.channel_id, channel_ids):
        q = sa.select(b.c.channel_id, sa.func.max(b.c.local_day).label("day")).where(among).group_by(b.c.channel_id)
        for row in conn.execute(q):
            day = row.day
            out[int(row.channel_id)] = date.fromisoformat(day) if isinstance(day, str) else day
    return out


def block_versions(conn: sa.Connection, channel_id: int, day: date) -> list[IntervalBlock]:
    """Every version of one block, oldest first."""
    b = t.interval_block
    q = sa.select(b).where(b.c.channel_id == channel_id, b.c.local_day == day).order_by(b.c.version)
    return [_block(row) for row in conn.execute(q)]


_BLOCK_COLUMNS = ("channel_id", "local_day", "version", "slots", "values", "quality", "created_at", "source", "reason")
_BLOCK_TYPES = ("int4", "date", "int4", "int2", "bytea", "bytea", "int8", "varchar", "text")


def copy_rows(
    conn: sa.Connection, table: str, columns: Sequence[str], types: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """PostgreSQL: write ``rows`` into ``table`` with one binary ``COPY … FROM STDIN`` on ``conn``'s own
    psycopg 3 connection (inside its transaction). Constraint violations surface as SQLAlchemy's
    :class:`~sqlalchemy.exc.IntegrityError`, as an INSERT's would."""
    import psycopg  # the ``pg`` extra: only needed when the store is PostgreSQL

    driver = conn.connection.driver_connection
    if not isinstance(driver, psycopg.Connection):
        raise NotImplementedError(f"binary COPY needs psycopg 3, not {type(driver).__name__}")
    quoted = ", ".join('"' + c + '"' for c in columns)
    statement = f"COPY {table} ({quoted}) FROM STDIN (FORMAT BINARY)"
    try:
        with driver.cursor() as cur, cur.copy(statement) as copy:
            copy.set_types(list(types))
            for row in rows:
                copy.write_row(row)
    except psycopg.IntegrityError as exc:
        raise sa.exc.IntegrityError(statement, None, exc) from exc


def check_channels(conn: sa.Connection, channel_ids: Iterable[int]) -> None:
    """PostgreSQL: the partitioned tables' foreign key to ``channel``, checked for a whole batch in one
    statement (a declared foreign key would run one trigger query per inserted row — most of a bulk COPY's
    server time). Raises :class:`~sqlalchemy.exc.IntegrityError` naming unknown channels. Channels are never
    deleted, so a check before the insert holds until the commit."""
    wanted = sorted(set(channel_ids))
    unknown = list(
        conn.execute(
            sa.text(
                f"SELECT x FROM unnest(CAST(:ids AS integer[])) AS x "
                f"WHERE NOT EXISTS (SELECT 1 FROM {t.channel.name} c WHERE c.id = x) ORDER BY x LIMIT 10"
            ),
            {"ids": wanted},
        ).scalars()
    )
    if unknown:
        raise sa.exc.IntegrityError(
            "foreign key: channel_id must name a channel", {"channel_id": unknown}, ValueError(f"no channel {unknown}")
        )


def pack_blocks(blocks: Sequence[NewBlock]) -> tuple[list[bytes], list[bytes]]:
    """The packed ``values`` and ``quality`` columns of block versions (a writer may pack them before its write
    transaction and hand them to :func:`insert_blocks`)."""
    return pack_values_many([nb.values for nb in blocks]), pack_quality_many([nb.quality for nb in blocks])


def insert_blocks(
    conn: sa.Connection,
    blocks: Sequence[NewBlock],
    *,
    now: datetime | None = None,
    packed: tuple[list[bytes], list[bytes]] | None = None,
) -> None:
    """Append block versions (never updates: a clash on (channel, day, version) raises IntegrityError);
    ``packed``: their columns packed already (:func:`pack_blocks`).

    SQLite: one ``executemany`` INSERT. PostgreSQL: the months' partitions are made sure of, then one binary
    COPY (see :func:`copy_rows`)."""
    if not blocks:
        return
    created = now or _now()
    values_blobs, qualities = packed or pack_blocks(blocks)
    if conn.dialect.name == "postgresql":
        check_channels(conn, (nb.channel_id for nb in blocks))
        part.ensure(conn, t.interval_block.name, {part.month_of(nb.local_day) for nb in blocks})
        epoch = int(created.timestamp())
        copy_rows(
            conn,
            t.interval_block.name,
            _BLOCK_COLUMNS,
            _BLOCK_TYPES,
            (
                (nb.channel_id, nb.local_day, nb.version, int(nb.values.size), values, quality, epoch, nb.source,
                 nb.reason)
                for nb, values, quality in zip(blocks, values_blobs, qualities, strict=True)
            ),
        )  # fmt: skip
        return
    # SQLite: one executemany of plain tuples (the column types' own conversions done here: DATE as ISO text,
    # instants as epoch seconds), skipping SQLAlchemy's per-row parameter processing
    epoch = int(created.timestamp())
    columns = ", ".join(f'"{c}"' for c in _BLOCK_COLUMNS)
    conn.exec_driver_sql(
        f"INSERT INTO {t.interval_block.name} ({columns}) VALUES ({', '.join('?' * len(_BLOCK_COLUMNS))})",
        [
            (nb.channel_id, nb.local_day.isoformat(), nb.version, int(nb.values.size), values, quality, epoch,
             nb.source, nb.reason)
            for nb, values, quality in zip(blocks, values_blobs, qualities, strict=True)
        ],
    )  # fmt: skip


def channel_intervals(conn: sa.Connection, channel_ids: Sequence[int]) -> dict[int, int]:
    """``{channel_id: interval_s}`` for the channels that exist."""
    c = t.channel
    out: dict[int, int] = {}
    for among in id_filters(conn, c.c.id, channel_ids):
        out.update((row.id, row.interval_s) for row in conn.execute(sa.select(c.c.id, c.c.interval_s).where(among)))
    return out


_READ_COLUMNS = ("channel_id", "read_at", "kind", "value", "source")
_READ_TYPES = ("int4", "int8", "varchar", "int8", "varchar")
_READS_STAGING = "mh_register_read_staging"


def add_register_reads(conn: sa.Connection, reads: Sequence[RegisterRead]) -> int:
    """Insert register reads, ignoring ones already stored for (channel, read_at, kind); returns rows inserted."""
    rows = [(r.channel_id, to_epoch(r.read_at), r.kind, r.value, r.source) for r in reads]  # naive times refused
    return add_register_read_rows(conn, rows)


def add_register_read_rows(conn: sa.Connection, rows: Sequence[tuple[int, int, str, int, str]]) -> int:
    """:func:`add_register_reads` of plain rows ``(channel_id, read_at epoch seconds, kind, value, source)``
    (the ingest's bulk form: no objects per read); returns rows inserted."""
    if not rows:
        return 0
    if conn.dialect.name == "postgresql":
        epochs = [row[1] for row in rows]
        first, last = part.month_of_epoch(min(epochs)), part.month_of_epoch(max(epochs))
        check_channels(conn, (row[0] for row in rows))
        part.ensure(conn, t.register_read.name, part.months(first, last))
        # binary COPY into a session-private staging table, then one insert-or-ignore moving the rows over
        # (COPY itself cannot skip duplicates); the insert's row count is exact
        conn.exec_driver_sql(
            f"CREATE TEMP TABLE IF NOT EXISTS {_READS_STAGING} (LIKE {t.register_read.name}) ON COMMIT DELETE ROWS"
        )
        copy_rows(conn, _READS_STAGING, _READ_COLUMNS, _READ_TYPES, rows)
        result = conn.exec_driver_sql(
            f"WITH staged AS (DELETE FROM {_READS_STAGING} RETURNING *) INSERT INTO {t.register_read.name} "
            f"({', '.join(_READ_COLUMNS)}) SELECT {', '.join(_READ_COLUMNS)} FROM staged ON CONFLICT DO NOTHING"
        )
        return max(int(result.rowcount), 0)
    result = conn.exec_driver_sql(
        f"INSERT INTO {t.register_read.name} (channel_id, read_at, kind, value, source) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        list(rows),
    )
    return max(int(result.rowcount), 0)


def register_read_values(
    conn: sa.Connection, channel_ids: Sequence[int], since: int, until: int
) -> tuple[Int64Array, Int64Array, Int64Array]:
    """Channel ids, read_at epoch seconds and values of every register read (any kind) with
    ``since ≤ read_at < until`` (epoch seconds) of the channels, as three arrays: the raw form, for bulk checks."""
    r = t.register_read
    at = sa.type_coerce(r.c.read_at, sa.BigInteger)
    rows: list[tuple[int, int, int]] = []
    for among in id_filters(conn, r.c.channel_id, channel_ids):
        result = conn.execute(sa.select(r.c.channel_id, at, r.c.value).where(among, at >= since, at < until))
        rows += map(tuple, result)  # plain tuples: numpy probes a Row for array interfaces, key by key
    table = np.array(rows, dtype=np.int64).reshape(-1, 3)
    return table[:, 0].copy(), table[:, 1].copy(), table[:, 2].copy()


# --------------------------------------------------------------------------------------------- the store


class Store:
    """A database holding the meterhub schema. Create with :meth:`open`."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    # ---- lifecycle

    @classmethod
    def open(cls, url: str | Path, *, migrate: bool = True) -> Store:
        """Open ``url`` (an SQLAlchemy URL, or a data directory → ``sqlite:///DIR/meterhub.sqlite``) and
        migrate it to the newest schema (Alembic ``upgrade head``)."""
        if isinstance(url, Path) or "://" not in url:
            directory = Path(url)
            directory.mkdir(parents=True, exist_ok=True)
            url = f"sqlite:///{directory.resolve() / DB_FILE}"
        engine = sa.create_engine(_driver_url(url))
        if engine.dialect.name == "sqlite":
            _configure_sqlite(engine)
        store = cls(engine)
        if migrate:
            store.upgrade()
            if engine.dialect.name == "postgresql":
                this_month = part.month_of(datetime.now(LOCAL_TZ).date())
                store.ensure_partitions(part.add_months(this_month, -1), part.add_months(this_month, part.AHEAD_MONTHS))
        return store

    def ensure_partitions(self, day_from: date, day_to: date) -> list[str]:
        """PostgreSQL: create the monthly partitions of ``interval_block`` and ``register_read`` covering the
        local days ``day_from..day_to`` that do not exist yet, in one short transaction of their own (call it
        before loading history of old months so the load does not create them inside its own transaction).
        Returns the partitions created; SQLite has none and returns ``[]``."""
        if self.engine.dialect.name != "postgresql":
            return []
        created: list[str] = []
        with self.write() as conn:
            for table in part.PARTITIONED:
                created += [
                    part.partition_name(table, m) for m in part.ensure(conn, table, part.months(day_from, day_to))
                ]
        return created

    def alembic_config(self) -> Config:
        """An Alembic configuration built in code (no alembic.ini): script location = the packaged migrations."""
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.set_main_option("sqlalchemy.url", self.engine.url.render_as_string(hide_password=False).replace("%", "%%"))
        return cfg

    def upgrade(self, revision: str = "head") -> None:
        """Run the Alembic migrations up to ``revision`` in one write transaction."""
        cfg = self.alembic_config()
        with self.write() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """A write transaction (SQLite: ``BEGIN IMMEDIATE``); commits on success, rolls back on error."""
        with self.engine.connect() as conn:
            conn.execution_options(**{_WRITE: True})
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A read transaction (a consistent snapshot)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    # ---- parties

    def add_party(self, kind: t.PartyKind, code: str, name: str) -> int:
        with self.write() as conn:
            return insert_id(conn, t.party.insert().values(kind=kind, code=code, name=name))

    def add_dso(self, code: str, name: str) -> int:
        return self.add_party("dso", code, name)

    def list_parties(self, kind: t.PartyKind | None = None) -> list[Party]:
        q = sa.select(t.party).order_by(t.party.c.id)
        if kind is not None:
            q = q.where(t.party.c.kind == kind)
        with self.read() as conn:
            return _rows(Party, conn.execute(q))

    def party_by_code(self, kind: t.PartyKind, code: str) -> Party | None:
        q = sa.select(t.party).where(t.party.c.kind == kind, t.party.c.code == code)
        with self.read() as conn:
            row = conn.execute(q).first()
        return None if row is None else Party(**row._mapping)

    # ---- concentrators, metering points, meters, installations, channels

    def add_concentrator(self, dso_id: int, code: str, host: str, port: int) -> int:
        stmt = t.concentrator.insert().values(dso_id=dso_id, code=code, host=host, port=port)
        with self.write() as conn:
            return insert_id(conn, stmt)

    def list_concentrators(self, dso_id: int | None = None) -> list[Concentrator]:
        q = sa.select(t.concentrator).order_by(t.concentrator.c.id)
        if dso_id is not None:
            q = q.where(t.concentrator.c.dso_id == dso_id)
        with self.read() as conn:
            return _rows(Concentrator, conn.execute(q))

    def add_metering_point(
        self,
        ean: str,
        dso_id: int,
        *,
        grid_area: str | None = None,
        address: str | None = None,
        postcode: str | None = None,
    ) -> int:
        stmt = t.metering_point.insert().values(
            ean=ean, dso_id=dso_id, grid_area=grid_area, address=address, postcode=postcode
        )
        with self.write() as conn:
            return insert_id(conn, stmt)

    def list_metering_points(self, dso_id: int | None = None) -> list[MeteringPoint]:
        q = sa.select(t.metering_point).order_by(t.metering_point.c.id)
        if dso_id is not None:
            q = q.where(t.metering_point.c.dso_id == dso_id)
        with self.read() as conn:
            return _rows(MeteringPoint, conn.execute(q))

    def add_meter(
        self,
        serial: str,
        dso_id: int,
        *,
        model: str,
        firmware: str,
        medium: t.Medium = "electricity",
        parent_meter_id: int | None = None,
        mbus_channel: int | None = None,
        concentrator_id: int | None = None,
        host: str | None = None,
        port: int | None = None,
        wport: int | None = None,
        system_title: str | bytes | None = None,
        installed_at: datetime | None = None,
    ) -> int:
        """Add a meter; ``system_title`` as 8 bytes or 16 hex digits (stored as lower-case hex)."""
        if isinstance(system_title, bytes):
            system_title = system_title.hex()
        if system_title is not None and len(bytes.fromhex(system_title)) != 8:
            raise ValueError(f"system title must be 8 bytes, got {system_title!r}")
        stmt = t.meter.insert().values(
            serial=serial,
            dso_id=dso_id,
            model=model,
            firmware=firmware,
            medium=medium,
            parent_meter_id=parent_meter_id,
            mbus_channel=mbus_channel,
            concentrator_id=concentrator_id,
            host=host,
            port=port,
            wport=wport,
            system_title=None if system_title is None else system_title.lower(),
            installed_at=installed_at,
        )
        with self.write() as conn:
            return insert_id(conn, stmt)

    def get_meter(self, meter_id: int) -> Meter | None:
        with self.read() as conn:
            row = conn.execute(sa.select(t.meter).where(t.meter.c.id == meter_id)).first()
        return None if row is None else Meter(**row._mapping)

    def meter_by_serial(self, serial: str) -> Meter | None:
        with self.read() as conn:
            row = conn.execute(sa.select(t.meter).where(t.meter.c.serial == serial)).first()
        return None if row is None else Meter(**row._mapping)

    def list_meters(
        self,
        *,
        dso_id: int | None = None,
        concentrator_id: int | None = None,
        parent_meter_id: int | None = None,
        medium: t.Medium | None = None,
    ) -> list[Meter]:
        m = t.meter
        q = sa.select(m).order_by(m.c.id)
        for col, value in (
            (m.c.dso_id, dso_id),
            (m.c.concentrator_id, concentrator_id),
            (m.c.parent_meter_id, parent_meter_id),
            (m.c.medium, medium),
        ):
            if value is not None:
                q = q.where(col == value)
        with self.read() as conn:
            return _rows(Meter, conn.execute(q))

    def install(
        self, metering_point_id: int, meter_id: int, valid_from: datetime, valid_to: datetime | None = None
    ) -> int:
        stmt = t.installation.insert().values(
            metering_point_id=metering_point_id, meter_id=meter_id, valid_from=valid_from, valid_to=valid_to
        )
        with self.write() as conn:
            return insert_id(conn, stmt)

    def add_channel(
        self, meter_id: int, obis: str, *, unit: str, interval_s: int, medium: t.Medium = "electricity", scaler: int = 0
    ) -> int:
        if interval_s <= 0 or 3600 % interval_s:
            raise ValueError(f"interval_s must divide one hour, got {interval_s}")
        stmt = t.channel.insert().values(
            meter_id=meter_id, obis=obis, medium=medium, unit=unit, scaler=scaler, interval_s=interval_s
        )
        with self.write() as conn:
            return insert_id(conn, stmt)

    def add_channels(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Bulk-add channels: mappings with meter_id, obis, medium, unit, scaler, interval_s."""
        if rows:
            with self.write() as conn:
                conn.execute(t.channel.insert(), list(rows))

    def get_channel(self, channel_id: int) -> Channel | None:
        with self.read() as conn:
            row = conn.execute(sa.select(t.channel).where(t.channel.c.id == channel_id)).first()
        return None if row is None else Channel(**row._mapping)

    def list_channels(self, meter_ids: Sequence[int] | None = None) -> list[Channel]:
        c = t.channel
        with self.read() as conn:
            if meter_ids is None:
                return _rows(Channel, conn.execute(sa.select(c).order_by(c.c.id)))
            out: list[Channel] = []
            for chunk in _chunks(sorted(set(meter_ids))):
                out += _rows(Channel, conn.execute(sa.select(c).where(c.c.meter_id.in_(chunk)).order_by(c.c.id)))
            return out

    # ---- interval blocks and register reads

    def current_blocks(self, channel_ids: Sequence[int], day_from: date, day_to: date) -> list[IntervalBlock]:
        """See :func:`current_blocks`."""
        with self.read() as conn:
            return current_blocks(conn, channel_ids, day_from, day_to)

    def block_versions(self, channel_id: int, day: date) -> list[IntervalBlock]:
        with self.read() as conn:
            return block_versions(conn, channel_id, day)

    def register_reads(
        self,
        channel_id: int,
        *,
        kind: t.ReadKind | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[RegisterRead]:
        r = t.register_read
        q = sa.select(r).where(r.c.channel_id == channel_id).order_by(r.c.read_at, r.c.kind)
        if kind is not None:
            q = q.where(r.c.kind == kind)
        if since is not None:
            q = q.where(r.c.read_at >= since)
        if until is not None:
            q = q.where(r.c.read_at < until)
        with self.read() as conn:
            return _rows(RegisterRead, conn.execute(q))

    def channels_with_reads(self, channel_ids: Sequence[int], kind: str, since: datetime) -> set[int]:
        """The channels among ``channel_ids`` with a register read of ``kind`` at or after ``since``."""
        r = t.register_read
        out: set[int] = set()
        with self.read() as conn:
            for among in id_filters(conn, r.c.channel_id, channel_ids):
                q = sa.select(r.c.channel_id).where(among, r.c.kind == kind, r.c.read_at >= since).distinct()
                out.update(int(row[0]) for row in conn.execute(q))
        return out

    # ---- events

    def add_events(self, events: Sequence[MeterEvent]) -> int:
        """Insert meter events, ignoring duplicates of (meter, occurred_at, log, code); returns rows inserted."""
        if not events:
            return 0
        now = _now()
        rows = [
            {
                "meter_id": e.meter_id,
                "occurred_at": e.occurred_at,
                "log": e.log,
                "code": e.code,
                "severity": e.severity,
                "channel": e.channel,
                "received_at": e.received_at or now,
            }
            for e in events
        ]
        with self.write() as conn:
            result = conn.execute(
                insert_for(conn, t.meter_event).on_conflict_do_nothing(), rows, execution_options=_COUNT_ROWS
            )
        return max(int(result.rowcount), 0)

    def list_events(
        self,
        *,
        meter_id: int | None = None,
        since: datetime | None = None,
        unacknowledged: bool = False,
        limit: int = 1000,
    ) -> list[MeterEvent]:
        e = t.meter_event
        q = sa.select(e).order_by(e.c.occurred_at, e.c.id).limit(limit)
        if meter_id is not None:
            q = q.where(e.c.meter_id == meter_id)
        if since is not None:
            q = q.where(e.c.occurred_at >= since)
        if unacknowledged:
            q = q.where(e.c.acknowledged_at.is_(None))
        with self.read() as conn:
            return _rows(MeterEvent, conn.execute(q))

    def acknowledge_event(self, event_id: int, by: str, at: datetime | None = None) -> bool:
        e = t.meter_event
        stmt = (
            e.update()
            .where(e.c.id == event_id, e.c.acknowledged_at.is_(None))
            .values(acknowledged_at=at or _now(), acknowledged_by=by)
        )
        with self.write() as conn:
            return int(conn.execute(stmt).rowcount) == 1

    # ---- communication log

    def log_comm(self, meter_id: int, outcome: str, detail: str | None = None, at: datetime | None = None) -> None:
        self.log_comm_many([(meter_id, outcome, detail, at)])

    def log_comm_many(self, entries: Sequence[tuple[int, str, str | None, datetime | None]]) -> None:
        """Append (meter id, outcome, detail, at) rows to the communication log in one transaction."""
        if not entries:
            return
        now = _now()
        rows = [{"meter_id": m, "outcome": o, "detail": d, "at": at or now} for m, o, d, at in entries]
        with self.write() as conn:
            conn.execute(t.comm_log.insert(), rows)

    def comm_counts(self, meter_id: int, since: datetime | None = None) -> dict[str, int]:
        """``{outcome: count}`` of a meter's communication log (since ``since``)."""
        c = t.comm_log
        q = sa.select(c.c.outcome, sa.func.count()).where(c.c.meter_id == meter_id).group_by(c.c.outcome)
        if since is not None:
            q = q.where(c.c.at >= since)
        with self.read() as conn:
            return {row[0]: int(row[1]) for row in conn.execute(q)}

    # ---- read jobs

    def add_read_job(
        self,
        meter_id: int,
        kind: t.JobKind,
        window_from: datetime | None = None,
        window_to: datetime | None = None,
        *,
        next_attempt_at: datetime | None = None,
    ) -> int:
        now = _now()
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
        with self.write() as conn:
            return insert_id(conn, stmt)

    def claim_read_jobs(self, now: datetime | None = None, limit: int = 100) -> list[ReadJob]:
        """Atomically move up to ``limit`` due pending jobs to ``running`` (attempts + 1) and return them."""
        j = t.read_job
        now = now or _now()
        with self.write() as conn:
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
            conn.execute(
                j.update().where(j.c.id.in_(ids)).values(state="running", attempts=j.c.attempts + 1, updated_at=now)
            )
            return _rows(
                ReadJob, conn.execute(sa.select(j).where(j.c.id.in_(ids)).order_by(j.c.next_attempt_at, j.c.id))
            )

    def finish_read_job(self, job_id: int, now: datetime | None = None) -> None:
        j = t.read_job
        with self.write() as conn:
            conn.execute(
                j.update().where(j.c.id == job_id).values(state="done", last_error=None, updated_at=now or _now())
            )

    def fail_read_job(
        self, job_id: int, error: str, retry_at: datetime | None = None, now: datetime | None = None
    ) -> None:
        """Record a failure: back to ``pending`` until ``retry_at`` if given, else ``failed`` for good."""
        j = t.read_job
        now = now or _now()
        values: dict[str, Any] = {"last_error": error, "updated_at": now}
        values.update(
            {"state": "pending", "next_attempt_at": retry_at} if retry_at is not None else {"state": "failed"}
        )
        with self.write() as conn:
            conn.execute(j.update().where(j.c.id == job_id).values(**values))

    def list_read_jobs(self, *, meter_id: int | None = None, state: t.JobState | None = None) -> list[ReadJob]:
        j = t.read_job
        q = sa.select(j).order_by(j.c.id)
        if meter_id is not None:
            q = q.where(j.c.meter_id == meter_id)
        if state is not None:
            q = q.where(j.c.state == state)
        with self.read() as conn:
            return _rows(ReadJob, conn.execute(q))

    # ---- invocation counters (DESIGN §5: write-ahead, never reuse a counter after a crash)

    def reserve_counter(self, system_title: str | bytes, key_kind: str, n: int) -> int:
        """Reserve ``n`` consecutive transmit invocation counters and return the first; the stored value is the
        highest counter ever handed out, advanced atomically before any of them is used (counters start at 1)."""
        return self.reserve_counters([system_title], key_kind, n)[_title(system_title)]

    def reserve_counters(self, system_titles: Sequence[str | bytes], key_kind: str, n: int) -> dict[str, int]:
        """:meth:`reserve_counter` for many key sets in one transaction: ``{title hex: first counter}``.

        One read of the stored values and one batched upsert, atomic under the write transaction's lock.
        """
        if n < 1:
            raise ValueError("reserve at least one counter")
        titles = sorted({_title(st) for st in system_titles})
        with self.write() as conn:
            current = self._counter_values(conn, titles, key_kind, "tx")
            last = {title: current.get(title, 0) + n for title in titles}
            rows: list[dict[str, Any]] = [
                {"system_title": title, "key_kind": key_kind, "direction": "tx", "value": value}
                for title, value in last.items()
            ]
            self._upsert_counters(conn, rows, only_if_greater=False)
        return {title: value - n + 1 for title, value in last.items()}

    @staticmethod
    def _counter_values(conn: sa.Connection, titles: Sequence[str], key_kind: str, direction: str) -> dict[str, int]:
        ic = t.invocation_counter
        out: dict[str, int] = {}
        for i in range(0, len(titles), _IN_CHUNK):
            q = sa.select(ic.c.system_title, ic.c.value).where(
                ic.c.system_title.in_(titles[i : i + _IN_CHUNK]), ic.c.key_kind == key_kind, ic.c.direction == direction
            )
            out.update({row[0]: int(row[1]) for row in conn.execute(q)})
        return out

    @staticmethod
    def _upsert_counters(conn: sa.Connection, rows: list[dict[str, Any]], *, only_if_greater: bool) -> None:
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

    def raise_counter(
        self, system_title: str | bytes, key_kind: str, value: int, direction: t.Direction = "tx"
    ) -> bool:
        """Keep ``max(stored, value)``; True if ``value`` was above the stored one (or none was stored)."""
        title = _title(system_title)
        with self.write() as conn:
            before = self._counter_values(conn, [title], key_kind, direction).get(title)
            self._upsert_counters(
                conn,
                [{"system_title": title, "key_kind": key_kind, "direction": direction, "value": value}],
                only_if_greater=True,
            )
        return before is None or value > before

    def raise_counters(self, values: Mapping[str | bytes, int], key_kind: str, direction: t.Direction = "tx") -> None:
        """:meth:`raise_counter` for many key sets in one batched statement (keeps each maximum)."""
        rows = [
            {"system_title": _title(title), "key_kind": key_kind, "direction": direction, "value": value}
            for title, value in values.items()
        ]
        with self.write() as conn:
            self._upsert_counters(conn, rows, only_if_greater=True)

    def record_rx(self, system_title: str | bytes, key_kind: str, value: int) -> bool:
        """Record a received invocation counter, keeping the maximum; False means ``value`` ≤ the stored one
        (a replay by DESIGN §5's rule)."""
        return self.raise_counter(system_title, key_kind, value, "rx")

    def get_counter(self, system_title: str | bytes, key_kind: str, direction: t.Direction = "tx") -> int | None:
        ic = t.invocation_counter
        q = sa.select(ic.c.value).where(
            ic.c.system_title == _title(system_title), ic.c.key_kind == key_kind, ic.c.direction == direction
        )
        with self.read() as conn:
            value = conn.execute(q).scalar_one_or_none()
        return None if value is None else int(value)


def _driver_url(url: str) -> sa.URL:
    """``postgresql://`` / ``postgres://`` without a driver means psycopg 3 (the ``pg`` extra), not SQLAlchemy's
    default psycopg2."""
    parsed = sa.make_url(url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url)
    return parsed.set(drivername="postgresql+psycopg") if parsed.drivername == "postgresql" else parsed


def _title(system_title: str | bytes) -> str:
    title = system_title.hex() if isinstance(system_title, bytes) else system_title.lower()
    if len(title) != 16:
        raise ValueError(f"system title must be 8 bytes, got {system_title!r}")
    return title


def _configure_sqlite(engine: sa.Engine) -> None:
    """WAL, synchronous=NORMAL, foreign keys, busy timeout; explicit BEGIN (IMMEDIATE for writes)."""

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" event emit BEGIN itself
        cur = dbapi_conn.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=10000"):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


__all__ = [
    "Channel",
    "Concentrator",
    "IntervalBlock",
    "Meter",
    "MeterEvent",
    "MeteringPoint",
    "NewBlock",
    "Party",
    "ReadJob",
    "RegisterRead",
    "Store",
    "add_register_read_rows",
    "add_register_reads",
    "block_versions",
    "channel_intervals",
    "check_channels",
    "copy_rows",
    "count_register_reads",
    "current_blocks",
    "id_filters",
    "insert_blocks",
    "insert_for",
    "newest_block_days",
    "pack_blocks",
    "register_read_values",
    "register_reads_many",
]
