"""Engine construction for SQLite and PostgreSQL.

SQLite gets foreign keys, a busy timeout, WAL for files, and the pysqlite transaction
recipe from the SQLAlchemy documentation: the driver's own transaction handling is
switched off and an explicit ``BEGIN`` is emitted when a transaction begins, so a
unit of work is one real transaction (reads included). PostgreSQL URLs are routed to
psycopg 3.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any, Final

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

SQLITE_BUSY_TIMEOUT_MS: Final = 10_000
"""How long a SQLite writer waits for the lock before the write fails as a conflict."""

SQLITE_BEGIN_OPTION: Final = "nictbw_sqlite_begin"
"""Connection execution option: ``"IMMEDIATE"`` takes the SQLite write lock at BEGIN."""

SQLITE_CACHED_STATEMENTS: Final = 16
"""Prepared statements Python's ``sqlite3`` keeps per connection (its default is 128).

Bulk paths send multi-row statements whose text depends on the row count, each
prepared once and rarely again; with 128 of them cached, SQLite's own heap reached
about 50 MB in the event simulation. The statements a workflow repeats (lookups, the
per-user reads) are few, so 16 keeps them prepared (``bench/simulate.py``, docs/performance.md)."""

INSERT_PAGE_SIZE: Final = 5_000
"""Rows per "insertmanyvalues" batch; above any chunk the repositories send at once."""


def make_engine(
    url: str | URL, *, sqlite_busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS, **engine_options: Any
) -> Engine:
    """An engine for ``url`` (``sqlite://...`` or ``postgresql[+psycopg]://...``).

    ``sqlite_busy_timeout_ms`` is how long a SQLite writer waits for the lock;
    ``engine_options`` are passed to :func:`sqlalchemy.create_engine`.
    """
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine_options.setdefault("insertmanyvalues_page_size", INSERT_PAGE_SIZE)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, **engine_options)
    in_memory = _is_sqlite_memory(parsed)
    connect_args = dict(engine_options.pop("connect_args", {}))
    connect_args.setdefault("cached_statements", SQLITE_CACHED_STATEMENTS)
    if in_memory:
        engine_options.setdefault("poolclass", StaticPool)
        connect_args.setdefault("check_same_thread", False)
    engine_options["connect_args"] = connect_args
    engine = create_engine(parsed, **engine_options)
    _install_sqlite_hooks(engine, wal=not in_memory, busy_timeout_ms=sqlite_busy_timeout_ms)
    return engine


def _is_sqlite_memory(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or url.query.get("mode") == "memory"


_WAL_RETRY_PAUSE_S: Final = 0.01
"""Pause between attempts to switch a SQLite file to WAL while another connection holds it."""


def _switch_to_wal(cursor: Any, timeout_ms: int) -> None:
    """``PRAGMA journal_mode = WAL``, retried until ``timeout_ms`` has passed.

    Switching a new file's journal needs it to itself, and SQLite answers "database is
    locked" at once, without its busy handler, while another connection opening the same
    new file holds it (processes starting together on one new database). Once a file is
    in WAL the switch is a no-op, so later connections pass at the first attempt.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
        time.sleep(_WAL_RETRY_PAUSE_S)


def _install_sqlite_hooks(engine: Engine, *, wal: bool, busy_timeout_ms: int) -> None:
    timeout = int(busy_timeout_ms)

    def on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # The driver must not open or close transactions by itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {timeout}")
            if wal:
                _switch_to_wal(cursor, timeout)
        finally:
            cursor.close()

    def on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION)
        sql = "BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN"
        # Sent through the step every execution ends in (events, echo, errors wrapped as
        # for any statement) without building a result: every unit of work that touches
        # the database pays this, about 10 µs less than ``exec_driver_sql``.
        cursor = connection.connection.cursor()
        try:
            connection._cursor_execute(cursor, sql, ())
        finally:
            cursor.close()

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", on_begin)


__all__ = ["SQLITE_BEGIN_OPTION", "make_engine"]
