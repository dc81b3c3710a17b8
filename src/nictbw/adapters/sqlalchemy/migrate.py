"""Running the packaged Alembic migrations from code.

No ``alembic.ini`` is needed: the configuration is built here, the scripts live in the
``migrations`` folder next to this module, and the revision is kept in the table
``nictbw_alembic_version``. A migration runs in one transaction that first takes a
lock (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL), so processes
opening the same new database at once migrate it exactly once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL

from nictbw.adapters.sqlalchemy.engine import SQLITE_BEGIN_OPTION, make_engine

VERSION_TABLE: Final = "nictbw_alembic_version"
MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"
_PG_LOCK_KEY: Final = 0x6E69637462770001  # "nictbw" + 1: the advisory lock of migrations


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
        if set(current_revisions(engine)) != set(head_revisions()):
            migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


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
    "VERSION_TABLE",
    "alembic_config",
    "current_revisions",
    "downgrade",
    "head_revisions",
    "migrate",
    "open_database",
]
