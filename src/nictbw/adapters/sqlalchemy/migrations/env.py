"""Alembic environment of nictbw: runs on the connection handed over by ``migrate``.

``nictbw.adapters.sqlalchemy.migrate`` puts an open connection (inside a transaction
that holds the migration lock) into ``config.attributes["connection"]``. Without one,
the ``sqlalchemy.url`` main option is used; offline mode renders SQL for that URL.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from nictbw.adapters.sqlalchemy.engine import make_engine
from nictbw.adapters.sqlalchemy.migrate import VERSION_TABLE
from nictbw.adapters.sqlalchemy.tables import metadata


def _run_online(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_offline(url: str) -> None:
    context.configure(
        url=url,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        if url is None:
            raise RuntimeError("offline migrations need the sqlalchemy.url option")
        _run_offline(url)
        return
    connection = config.attributes.get("connection")
    if isinstance(connection, Connection):
        _run_online(connection)
        return
    if url is None:
        raise RuntimeError("migrations need a connection or the sqlalchemy.url option")
    engine = make_engine(url)
    try:
        with engine.begin() as own_connection:
            _run_online(own_connection)
    finally:
        engine.dispose()


_main()
