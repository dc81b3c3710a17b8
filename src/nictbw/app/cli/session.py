"""Opening the database a command works on: the container, the URL, a unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from nictbw.adapters.clock import FixedClock
from nictbw.app.cli.errors import CommandLineError
from nictbw.app.container import BACKEND_SQL, Container, storage_backend
from nictbw.domain.errors import ValidationError
from nictbw.ports import UnitOfWork


def build_container(database: str | None) -> Container:
    """The container of a command: ``NICTBW_*`` settings, ``--database`` first."""
    container = Container.from_env()
    if database is not None:
        container.config.database_url.from_value(database.strip())
    url = container.config.database_url()
    storage_backend(url)
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
def session(database: str | None) -> Iterator[tuple[UnitOfWork, FixedClock]]:
    """A unit of work on an existing database and one instant of the container's clock.

    An absent SQLite file is an error (a read must not create an empty database).
    """
    container = build_container(database)
    url = database_url(container)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise CommandLineError(
            f"database file {str(path)!r} does not exist; run 'nictbw simulate' or "
            "'nictbw db upgrade' first, or pass --database"
        )
    try:
        clock = FixedClock(container.clock().now())
        uow: UnitOfWork = container.unit_of_work()
        with uow:
            yield uow, clock
    finally:
        container.shutdown_resources()


def delete_sqlite(url: str) -> None:
    """Delete the SQLite file of ``url`` and its journals (``simulate --fresh``)."""
    path = sqlite_path(url)
    if path is None:
        if storage_backend(url) == BACKEND_SQL:
            raise CommandLineError(
                f"--fresh only deletes SQLite files; empty {shown_url(url)} yourself "
                "or use another --database"
            )
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = path.with_name(path.name + suffix)
        if candidate.exists():
            candidate.unlink()


__all__ = [
    "build_container",
    "database_url",
    "delete_sqlite",
    "session",
    "shown_url",
    "sqlite_path",
]
