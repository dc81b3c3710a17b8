"""Running the packaged Alembic migrations from code.

No ``alembic.ini`` is needed: the configuration is built here, the scripts live in the
``migrations`` folder next to this module, and the revision is kept in the table
``nictbw_alembic_version``. A migration runs in one transaction that first takes a
lock (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL), so processes
opening the same new database at once migrate it exactly once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from attrs import frozen
from sqlalchemy import Connection, Engine, create_engine, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from nictbw.adapters.sqlalchemy.engine import SQLITE_BEGIN_OPTION, make_engine
from nictbw.domain.errors import ConflictError

VERSION_TABLE: Final = "nictbw_alembic_version"
MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"
_PG_LOCK_KEY: Final = 0x6E69637462770001  # "nictbw" + 1: the advisory lock of migrations
_SQLITE_HEADER: Final = b"SQLite format 3\x00"

SCHEMA_EMPTY: Final = "empty"
"""No table at all: a new database."""
SCHEMA_FOREIGN: Final = "foreign"
"""Tables, but none stamped by nictbw's migrations: someone else's database."""
SCHEMA_CURRENT: Final = "current"
"""A nictbw database at the newest revision of this code."""
SCHEMA_BEHIND: Final = "behind"
"""A nictbw database at an older revision; ``migrate`` brings it up to date."""
SCHEMA_NEWER: Final = "newer"
"""A nictbw database stamped by a revision this code does not know (a later version)."""
SCHEMA_NOT_A_DATABASE: Final = "not a database"
"""A SQLite URL whose file is not a SQLite database at all."""


@frozen
class SchemaStatus:
    """What a database holds, as far as nictbw's migrations are concerned."""

    state: str
    revisions: tuple[str, ...]
    heads: tuple[str, ...]


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for the packaged scripts, bound to ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revisions() -> tuple[str, ...]:
    """The head revision(s) of the packaged migrations."""
    return tuple(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(engine_or_url: Engine | str | URL) -> tuple[str, ...]:
    """The revision(s) the database is at; empty for a database never migrated."""
    with _engine(engine_or_url) as engine, engine.connect() as connection:
        return _current(connection)


def migrate(engine_or_url: Engine | str | URL, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` (default: the newest)."""
    with _migration_connection(engine_or_url) as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(engine_or_url: Engine | str | URL, revision: str) -> None:
    """Downgrade the database to ``revision`` (``"base"`` removes every table)."""
    with _migration_connection(engine_or_url) as connection:
        command.downgrade(alembic_config(connection), revision)


def open_database(url: str | URL, **engine_options: Any) -> Engine:
    """An engine on ``url`` whose database is migrated to the newest revision first.

    A new database (e.g. a SQLite file that does not exist yet) is created and
    migrated; an outdated one is upgraded; an up-to-date one is left alone.
    """
    engine = make_engine(url, **engine_options)
    try:
        revisions = current_revisions(engine)
        if set(revisions) != set(head_revisions()):
            unknown = sorted(set(revisions) - known_revisions())
            if unknown:
                raise ConflictError(_newer_message(unknown))
            migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def known_revisions() -> frozenset[str]:
    """Every revision of the packaged migrations."""
    script = ScriptDirectory.from_config(alembic_config())
    return frozenset(revision.revision for revision in script.walk_revisions())


def schema_status(connection: Connection) -> SchemaStatus:
    """The ``SchemaStatus`` of the database behind ``connection`` (read only)."""
    heads = head_revisions()
    tables = set(inspect(connection).get_table_names())
    revisions = _current(connection) if VERSION_TABLE in tables else ()
    if not revisions:
        state = SCHEMA_FOREIGN if tables - {VERSION_TABLE} else SCHEMA_EMPTY
    elif set(revisions) - known_revisions():
        state = SCHEMA_NEWER
    elif set(revisions) == set(heads):
        state = SCHEMA_CURRENT
    else:
        state = SCHEMA_BEHIND
    return SchemaStatus(state=state, revisions=revisions, heads=heads)


def inspect_schema(url: str | URL) -> SchemaStatus:
    """The ``SchemaStatus`` of the database at ``url``, changing nothing.

    A SQLite file is opened read-only (``make_engine`` would switch it to WAL); a file
    that is not a SQLite database at all is ``SCHEMA_NOT_A_DATABASE``. A SQLite file
    that does not exist is ``SCHEMA_EMPTY`` and is not created.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = make_engine(parsed, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                return schema_status(connection)
        finally:
            engine.dispose()
    database = parsed.database or ""
    if database in ("", ":memory:") or parsed.query.get("mode") == "memory":
        return SchemaStatus(state=SCHEMA_EMPTY, revisions=(), heads=head_revisions())
    path = Path(database)
    if not path.exists():
        return SchemaStatus(state=SCHEMA_EMPTY, revisions=(), heads=head_revisions())
    with path.open("rb") as file:
        header = file.read(len(_SQLITE_HEADER))
    if header and header != _SQLITE_HEADER:
        return SchemaStatus(state=SCHEMA_NOT_A_DATABASE, revisions=(), heads=head_revisions())
    uri = f"{path.resolve().as_uri()}?mode=ro"
    engine = create_engine(
        "sqlite://", creator=lambda: sqlite3.connect(uri, uri=True), poolclass=NullPool
    )
    try:
        with engine.connect() as connection:
            return schema_status(connection)
    except sqlite3.DatabaseError:
        return SchemaStatus(state=SCHEMA_NOT_A_DATABASE, revisions=(), heads=head_revisions())
    finally:
        engine.dispose()


def _newer_message(unknown: list[str]) -> str:
    heads = ", ".join(head_revisions())
    return (
        f"the database is at revision {', '.join(unknown)}, which this nictbw does not know "
        f"(its newest is {heads}): it was written by a newer nictbw; upgrade nictbw"
    )


def _current(connection: Connection) -> tuple[str, ...]:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return tuple(context.get_current_heads())


@contextmanager
def _engine(engine_or_url: Engine | str | URL) -> Iterator[Engine]:
    if isinstance(engine_or_url, Engine):
        yield engine_or_url
        return
    engine = make_engine(engine_or_url)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _migration_connection(engine_or_url: Engine | str | URL) -> Iterator[Connection]:
    """A connection in a transaction holding the migration lock; committed on success."""
    with _engine(engine_or_url) as engine, engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY}
                )
            yield connection


__all__ = [
    "MIGRATIONS_DIR",
    "SCHEMA_BEHIND",
    "SCHEMA_CURRENT",
    "SCHEMA_EMPTY",
    "SCHEMA_FOREIGN",
    "SCHEMA_NEWER",
    "SCHEMA_NOT_A_DATABASE",
    "VERSION_TABLE",
    "SchemaStatus",
    "alembic_config",
    "current_revisions",
    "downgrade",
    "head_revisions",
    "inspect_schema",
    "known_revisions",
    "migrate",
    "open_database",
    "schema_status",
]
