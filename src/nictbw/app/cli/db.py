"""``nictbw db``: database maintenance."""

from __future__ import annotations

import typer

from nictbw.app.cli.errors import CommandLineError
from nictbw.app.cli.root import DatabaseOption, db_app
from nictbw.app.cli.session import (
    Access,
    build_container,
    check_driver,
    database_url,
    needs_migration,
    shown_url,
)
from nictbw.app.container import BACKEND_SQL, MEMORY_DATABASE_URL, storage_backend


@db_app.command("upgrade")
def db_upgrade(database: DatabaseOption = None) -> None:
    """Migrate the database to the newest revision and print it."""
    container = build_container(database)
    url = database_url(container)
    if storage_backend(url) != BACKEND_SQL:
        raise CommandLineError(f"{MEMORY_DATABASE_URL} has no schema to migrate")
    from nictbw.adapters.sqlalchemy import migrate
    from nictbw.adapters.sqlalchemy.migrate import current_revisions

    check_driver(url)
    if needs_migration(url, Access.UPGRADE):
        migrate(url)
    revisions = ", ".join(current_revisions(url)) or "none"
    typer.echo(f"{shown_url(url)} is at revision {revisions}")


__all__ = ["db_upgrade"]
