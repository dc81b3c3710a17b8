"""Opening the database a command works on: the container, the URL, a unit of work.

Only the commands that exist to write change a schema, each as far as it needs to:

``READ``
    (``card show``, ``draw top``, ``draw export``): a nictbw database at the newest
    revision, nothing else; the database is inspected read-only first.
``WRITE``
    (``draw run``, ``draw snapshot``): also upgrades a nictbw database that is behind.
``CREATE``
    (``simulate``): also creates the schema in an empty database.
``UPGRADE``
    (``db upgrade``): creates or upgrades any SQL database, someone else's included.

No command touches a database written by a newer nictbw, or a file that is not a
SQLite database. A driver that is missing or asynchronous is refused before connecting.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from dependency_injector import providers

from nictbw.adapters.clock import FixedClock
from nictbw.app.cli.errors import EXIT_DATABASE, CommandLineError
from nictbw.app.container import BACKEND_SQL, Container, storage_backend
from nictbw.domain.errors import ValidationError
from nictbw.ports import UnitOfWork

if TYPE_CHECKING:
    from sqlalchemy import Engine

UPGRADE_HINT = "run 'nictbw db upgrade'"
SUPPORTED_URLS = "sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"


class Access(Enum):
    """How far a command may change the schema of its database (see the module doc)."""

    READ = "read"
    WRITE = "write"
    CREATE = "create"
    UPGRADE = "upgrade"


class DatabaseUnusableError(CommandLineError):
    """The database cannot be used as it is; the message says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_DATABASE)


def build_container(database: str | None) -> Container:
    """The container of a command: ``NICTBW_*`` settings, ``--database`` first."""
    container = Container.from_env()
    if database is not None:
        container.config.database_url.from_value(database.strip())
    url = container.config.database_url()
    storage_backend(url)
    container.config.gc_pause.from_value(True)  # a command owns its process
    container.gc_pause()
    return container


def database_url(container: Container) -> str:
    """The database URL the container is configured with."""
    return str(container.config.database_url())


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, or None (memory databases, other backends)."""
    if storage_backend(url) != BACKEND_SQL:
        return None
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ValidationError(f"database URL {url!r} is malformed: {exc}") from None
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or parsed.query.get("mode") == "memory":
        return None
    return Path(database)


def shown_url(url: str) -> str:
    """``url`` as it may be shown: its password masked."""
    if storage_backend(url) != BACKEND_SQL:
        return url
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


@contextmanager
def session(
    database: str | None, access: Access = Access.READ
) -> Iterator[tuple[UnitOfWork, FixedClock]]:
    """A unit of work on an existing database and one instant of the container's clock.

    An absent SQLite file is an error (a read must not create an empty database); the
    schema is checked (and changed) as ``access`` allows.
    """
    container = build_container(database)
    url = database_url(container)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise DatabaseUnusableError(
            f"database file {str(path)!r} does not exist; run 'nictbw simulate' or "
            "'nictbw db upgrade' first, or pass --database"
        )
    try:
        open_schema(container, access)
        clock = FixedClock(container.clock().now())
        uow: UnitOfWork = container.unit_of_work()
        with uow:
            yield uow, clock
    finally:
        container.shutdown_resources()


def open_schema(container: Container, access: Access) -> None:
    """Check the container's SQL database, migrate it as ``access`` allows, and make the
    container use the engine opened here (memory databases need nothing)."""
    url = database_url(container)
    if storage_backend(url) != BACKEND_SQL:
        return
    from nictbw.adapters.sqlalchemy import make_engine, migrate

    check_driver(url)
    if needs_migration(url, access):
        migrate(url)
    engine = make_engine(url)
    container.engine.override(providers.Resource(_disposed_after, engine))


def _disposed_after(engine: Engine) -> Iterator[Engine]:
    try:
        yield engine
    finally:
        engine.dispose()


def needs_migration(url: str, access: Access) -> bool:
    """Whether the database at ``url`` must be migrated before ``access``; refuses (one
    ``DatabaseUnusableError``) a database that ``access`` may not use or change."""
    from nictbw.adapters.sqlalchemy.migrate import (
        SCHEMA_BEHIND,
        SCHEMA_CURRENT,
        SCHEMA_EMPTY,
        SCHEMA_NEWER,
        SCHEMA_NOT_A_DATABASE,
        inspect_schema,
    )

    status = inspect_schema(url)
    shown = shown_url(url)
    if status.state == SCHEMA_CURRENT:
        return False
    if status.state == SCHEMA_NOT_A_DATABASE:
        raise DatabaseUnusableError(
            f"{shown} is not a SQLite database file; nictbw leaves it untouched"
        )
    if status.state == SCHEMA_NEWER:
        raise DatabaseUnusableError(
            f"{shown} is at schema revision {', '.join(status.revisions)}, written by a "
            f"newer nictbw (this one knows up to {', '.join(status.heads)}); upgrade nictbw"
        )
    if status.state == SCHEMA_BEHIND:
        if access is Access.READ:
            raise DatabaseUnusableError(
                f"{shown} is at schema revision {', '.join(status.revisions)}, behind "
                f"{', '.join(status.heads)}; {UPGRADE_HINT} first"
            )
        return True
    if access is Access.UPGRADE or (access is Access.CREATE and status.state == SCHEMA_EMPTY):
        return True
    what = "is empty" if status.state == SCHEMA_EMPTY else "holds tables but not nictbw's"
    if access is Access.CREATE:
        raise DatabaseUnusableError(
            f"{shown} {what}; use an empty database, or {UPGRADE_HINT} to add nictbw's "
            "tables to it first"
        )
    raise DatabaseUnusableError(f"{shown} {what}: it is not a nictbw database; {UPGRADE_HINT}")


def check_driver(url: str) -> None:
    """Refuse, in one line, a SQL URL whose driver is unknown, missing or asynchronous."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    shown = shown_url(url)
    try:
        parsed = make_url(url)
        if parsed.drivername in ("postgres", "postgresql"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        dialect = parsed.get_dialect()
    except ArgumentError as exc:
        raise DatabaseUnusableError(
            f"database URL {shown} names no known driver ({exc}); use {SUPPORTED_URLS}"
        ) from None
    driver = parsed.get_driver_name()
    if getattr(dialect, "is_async", False):
        raise DatabaseUnusableError(
            f"database URL {shown} names the asyncio driver {driver!r}, which nictbw cannot "
            f"use; use {SUPPORTED_URLS}"
        )
    try:
        dialect.import_dbapi()
    except ImportError:
        raise DatabaseUnusableError(
            f"the database driver {driver!r} of {shown} is not installed; install it, "
            f"or use {SUPPORTED_URLS}"
        ) from None


def delete_sqlite(url: str) -> None:
    """Delete the SQLite file of ``url`` and its journals (``simulate --fresh``).

    Only a nictbw database is deleted: a file that is not a SQLite database, or holds
    someone else's tables, is refused and left untouched; an empty one is left as it is.
    """
    path = sqlite_path(url)
    if path is None:
        if storage_backend(url) == BACKEND_SQL:
            raise CommandLineError(
                f"--fresh only deletes SQLite files; empty {shown_url(url)} yourself "
                "or use another --database"
            )
        return
    if not path.exists():
        return
    from nictbw.adapters.sqlalchemy.migrate import (
        SCHEMA_EMPTY,
        SCHEMA_FOREIGN,
        SCHEMA_NOT_A_DATABASE,
        inspect_schema,
    )

    status = inspect_schema(url)
    if status.state == SCHEMA_EMPTY:
        return
    if status.state == SCHEMA_NOT_A_DATABASE:
        raise DatabaseUnusableError(
            f"--fresh deletes only a nictbw database; {str(path)!r} is not a SQLite "
            "database file, it is left untouched"
        )
    if status.state == SCHEMA_FOREIGN:
        raise DatabaseUnusableError(
            f"--fresh deletes only a nictbw database; {str(path)!r} holds tables but not "
            "nictbw's, it is left untouched"
        )
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = path.with_name(path.name + suffix)
        if candidate.exists():
            candidate.unlink()


__all__ = [
    "Access",
    "DatabaseUnusableError",
    "build_container",
    "check_driver",
    "database_url",
    "delete_sqlite",
    "needs_migration",
    "open_schema",
    "session",
    "shown_url",
    "sqlite_path",
]
