"""Where a store is and whether one is there, checked without creating anything.

An operator names a store by URL — ``sqlite:///path/to/meterhub.sqlite``, ``postgresql://user@host/db`` (psycopg
3; ``postgresql+psycopg://`` and ``postgres://`` mean the same) — or by a data directory (its
``meterhub.sqlite``). :func:`locate` turns that into a :class:`StoreLocation` (or refuses an unsupported URL
with :class:`StoreUrlError`); :func:`probe` looks at the location without creating it: a SQLite file that is
there, a PostgreSQL server that answers, and the meterhub schema in it (Alembic's ``alembic_version`` table in
the connection's current schema). :func:`open_existing` opens a store that exists (else
:class:`StoreNotFound`, or :class:`StoreUnreachable` when the server does not answer) and
:func:`open_or_create` creates one, both migrating it to the newest schema as :meth:`Store.open` does. Every
error carries a one-line message for the operator, with the password of the URL hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError

from meterhub.store.db import DB_FILE, MIGRATIONS, Store

Backend = Literal["sqlite", "postgresql"]
#: URL schemes accepted for a store (all PostgreSQL ones mean psycopg 3).
SCHEMES: Final = ("sqlite", "postgresql", "postgresql+psycopg", "postgres")
_CONNECT_TIMEOUT_S: Final = 10


class StoreError(Exception):
    """A store that cannot be used as asked; ``str()`` is the message for the operator."""


class StoreUrlError(StoreError, ValueError):
    """Not a store URL meterhub supports."""


class StoreNotFound(StoreError):
    """No meterhub store at the location (no SQLite file, or no meterhub schema in the database)."""


class StoreUnreachable(StoreError):
    """The database does not answer (server down, wrong host or port, unknown database, refused login)."""


@dataclass(frozen=True)
class StoreLocation:
    """A store's SQLAlchemy URL (the driver spelled out) and, for a data directory, that directory."""

    url: str
    data_dir: Path | None = None

    @property
    def backend(self) -> Backend:
        return "postgresql" if self.url.startswith("postgresql") else "sqlite"

    @property
    def sqlite_file(self) -> Path | None:
        """The database file of a SQLite store (None for PostgreSQL and for an in-memory SQLite)."""
        if self.backend != "sqlite":
            return None
        database = sa.make_url(self.url).database
        return None if not database or database == ":memory:" else Path(database)

    def display(self) -> str:
        """The location for messages: the data dir or SQLite file, or the URL with its password hidden."""
        if self.data_dir is not None:
            return str(self.data_dir)
        if self.backend == "sqlite":
            return str(self.sqlite_file or self.url)
        return sa.make_url(self.url).render_as_string(hide_password=True)


@dataclass(frozen=True)
class Probe:
    """What is at a location: whether the database answers, whether the meterhub schema is in it and at
    which Alembic revision (None without one); ``problem`` says why it is not usable, for the operator."""

    location: StoreLocation
    reachable: bool
    revision: str | None
    problem: str | None

    @property
    def exists(self) -> bool:
        return self.reachable and self.revision is not None


def locate(target: str | Path) -> StoreLocation:
    """The location named by ``target``: a store URL, or a data directory (its ``meterhub.sqlite``)."""
    if isinstance(target, Path) or "://" not in target:
        directory = Path(target)
        return StoreLocation(f"sqlite:///{directory.resolve() / DB_FILE}", directory)
    scheme = target.split("://", 1)[0].lower()
    if scheme not in SCHEMES:
        raise StoreUrlError(
            f"unsupported store URL scheme {scheme!r}: give sqlite:///FILE, postgresql://USER@HOST/DB or a data "
            "directory"
        )
    try:
        url = sa.make_url(target)
    except sa.exc.ArgumentError:
        raise StoreUrlError(f"not a store URL: {_hidden(target)}") from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.drivername == "postgresql+psycopg" and not url.database:
        raise StoreUrlError(f"the store URL names no database: {_hidden(target)} (postgresql://USER@HOST/DB)")
    if url.drivername == "sqlite" and not url.database:
        raise StoreUrlError("a SQLite store URL names its file: sqlite:///path/to/meterhub.sqlite")
    return StoreLocation(url.render_as_string(hide_password=False))


def probe(location: StoreLocation) -> Probe:
    """Look at ``location`` without creating anything there."""
    if location.backend == "sqlite":
        path = location.sqlite_file
        if path is None:
            return Probe(location, True, None, "an in-memory SQLite store is empty")
        if not path.is_file():
            where = f"no store in {location.data_dir}" if location.data_dir is not None else f"no store at {path}"
            return Probe(location, True, None, f"{where} (no file {path.name})")
        engine = sa.create_engine(f"sqlite:///file:{path.resolve()}?mode=ro&uri=true")
    else:
        try:
            engine = sa.create_engine(location.url, connect_args={"connect_timeout": _CONNECT_TIMEOUT_S})
        except ModuleNotFoundError as exc:
            return Probe(location, False, None, f"the PostgreSQL driver is not installed ({exc.name}): pip install "
                         "'meterhub[pg]'")  # fmt: skip
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return Probe(
                    location, True, None, f"{location.display()} holds no meterhub schema (no alembic_version)"
                )
            revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except sa.exc.DBAPIError as exc:
        if location.backend == "sqlite":
            return Probe(location, True, None, f"{location.display()} is not a meterhub store: {_first_line(exc)}")
        return Probe(location, False, None, f"cannot connect to the store {location.display()}: {_first_line(exc)}")
    finally:
        engine.dispose()
    if revision is None:
        return Probe(location, True, None, f"{location.display()} holds no meterhub schema (empty alembic_version)")
    return Probe(location, True, str(revision), None)


def check_exists(location: StoreLocation) -> Probe:
    """The probe of a store that exists; :class:`StoreUnreachable` or :class:`StoreNotFound` otherwise."""
    found = probe(location)
    if not found.reachable:
        raise StoreUnreachable(found.problem)
    if not found.exists:
        raise StoreNotFound(found.problem)
    return found


def open_existing(location: StoreLocation) -> Store:
    """Open the store at ``location`` (migrated to the newest schema); never creates one."""
    check_exists(location)
    return _open(location)


def open_or_create(location: StoreLocation) -> Store:
    """Open the store at ``location``, creating it (the data directory, the SQLite file, the schema) if it is
    not there yet; the database of a PostgreSQL store must exist (``createdb``)."""
    found = probe(location)
    if not found.reachable:
        raise StoreUnreachable(found.problem)
    path = location.sqlite_file
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    return _open(location)


def head_revision() -> str:
    """The newest schema revision this meterhub knows (Alembic head of the packaged migrations)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return str(ScriptDirectory.from_config(config).get_current_head())


def _open(location: StoreLocation) -> Store:
    try:
        return Store.open(location.url)
    except sa.exc.DBAPIError as exc:
        raise StoreUnreachable(f"cannot open the store {location.display()}: {_first_line(exc)}") from None
    except CommandError as exc:  # a revision this meterhub does not know: a newer meterhub made the store
        raise StoreError(f"cannot migrate the store {location.display()}: {exc} (is this meterhub older?)") from None


def _first_line(exc: sa.exc.DBAPIError) -> str:
    text = " ".join(str(exc.orig).split("\n", 1)[0].split())
    return text.removeprefix("connection failed: ") or type(exc.orig).__name__


def _hidden(target: str) -> str:
    try:
        return sa.make_url(target).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return target.split("://", 1)[0] + "://…"


__all__ = [
    "SCHEMES",
    "Probe",
    "StoreError",
    "StoreLocation",
    "StoreNotFound",
    "StoreUnreachable",
    "StoreUrlError",
    "check_exists",
    "head_revision",
    "locate",
    "open_existing",
    "open_or_create",
    "probe",
]
