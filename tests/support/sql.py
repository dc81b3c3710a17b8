"""SQL backends for tests: clean SQLite and PostgreSQL stores, and statement counting.

``sqlite_uow_factory(tmp_path)`` copies a database file migrated once per process into
``tmp_path``. ``postgres_uow_factory(url)`` migrates a schema of its own once per process
(removed at exit) and empties it before each use, restarting the id sequences, so ids
start at 1 as in a new database. Both yield a :class:`SqlUowFactory`: call it for
a fresh unit of work; ``factory.engine`` is the engine, e.g. for :func:`count_statements`.
When the test using one ends without an error, every stored card's ``unlocked_mask`` is
checked against its cells (:func:`mismatched_card_masks`).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.engine import make_url

from nictbw.adapters.sqlalchemy import SqlAlchemyUnitOfWork, make_engine, metadata, migrate
from nictbw.adapters.sqlalchemy.repositories import DEFAULT_CHUNK_SIZE
from nictbw.adapters.sqlalchemy.statements import stored_unlocked_mask
from nictbw.adapters.sqlalchemy.tables import bingo_cards

SCHEMA_PREFIX = "nictbw_sqltest_"

_sqlite_template: Path | None = None
_postgres_engines: dict[str, Engine] = {}


class SqlUowFactory:
    """A zero-argument factory of fresh units of work on one engine."""

    def __init__(self, engine: Engine, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        self.engine = engine
        self.chunk_size = chunk_size

    def __call__(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.engine, chunk_size=self.chunk_size)


def _migrated_sqlite_template() -> Path:
    """A SQLite file at the newest revision, made once per process."""
    global _sqlite_template
    if _sqlite_template is None:
        folder = Path(tempfile.mkdtemp(prefix="nictbw-sqlite-template-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "template.db"
        engine = make_engine(f"sqlite:///{path}")
        try:
            migrate(engine)
        finally:
            engine.dispose()  # the last connection checkpoints and removes the WAL
        _sqlite_template = path
    return _sqlite_template


def mismatched_card_masks(engine: Engine) -> list[tuple[int, int, int]]:
    """``(card id, unlocked_mask, mask of its unlocked cells)`` of every stored card whose
    ``unlocked_mask`` differs from the mask its cells give (none when every write of cards
    and cells kept them together)."""
    derived = stored_unlocked_mask()
    query = select(bingo_cards.c.id, bingo_cards.c.unlocked_mask, derived).where(
        bingo_cards.c.unlocked_mask != derived
    )
    with engine.connect() as connection:
        return [(row[0], row[1], row[2]) for row in connection.execute(query)]


def _check_card_masks(engine: Engine) -> None:
    mismatched = mismatched_card_masks(engine)
    assert mismatched == [], f"bingo_cards.unlocked_mask differs from the cells: {mismatched}"


@contextmanager
def sqlite_uow_factory(
    tmp_path: Path, *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> Iterator[SqlUowFactory]:
    """A factory of units of work on a new, migrated SQLite file in ``tmp_path``."""
    path = tmp_path / f"nictbw-{uuid.uuid4().hex[:8]}.db"
    shutil.copyfile(_migrated_sqlite_template(), path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        yield SqlUowFactory(engine, chunk_size=chunk_size)
        _check_card_masks(engine)
    finally:
        engine.dispose()


def _postgres_engine(url: str) -> Engine:
    """An engine on a schema of this process, migrated once, dropped at exit."""
    engine = _postgres_engines.get(url)
    if engine is not None:
        return engine
    schema = f"{SCHEMA_PREFIX}{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    migrate(engine)

    def drop_schema() -> None:
        engine.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()

    atexit.register(drop_schema)
    _postgres_engines[url] = engine
    return engine


def empty_all_tables(engine: Engine) -> None:
    """Delete every nictbw row and restart the id sequences, in one round trip.

    (Faster than ``TRUNCATE ... RESTART IDENTITY`` on tables this small.)
    """
    tables = metadata.sorted_tables
    deletes = "; ".join(f'DELETE FROM "{table.name}"' for table in reversed(tables))
    restarts = ", ".join(
        f"setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), 1, false)"
        for table in tables
        if "id" in table.c
    )
    with engine.begin() as connection:
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = '10s'; {deletes}; SELECT {restarts}")


@contextmanager
def postgres_uow_factory(
    url: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> Iterator[SqlUowFactory]:
    """A factory of units of work on an empty, migrated PostgreSQL schema."""
    if make_url(url).get_backend_name() != "postgresql":
        raise ValueError(f"not a PostgreSQL URL: {url!r}")
    engine = _postgres_engine(url)
    empty_all_tables(engine)
    yield SqlUowFactory(engine, chunk_size=chunk_size)
    _check_card_masks(engine)


class StatementLog(list[str]):
    """The SQL statements sent to the driver; an ``executemany`` is one entry."""

    def data(self) -> list[str]:
        """The statements that are not transaction control (BEGIN, SAVEPOINT, ...)."""
        control = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
        return [s for s in self if not s.lstrip().upper().startswith(control)]


@contextmanager
def count_statements(engine: Engine) -> Iterator[StatementLog]:
    """Record every statement ``engine`` sends while the block runs."""
    log = StatementLog()

    def record(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        log.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield log
    finally:
        event.remove(engine, "before_cursor_execute", record)
