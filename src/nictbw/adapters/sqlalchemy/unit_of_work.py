"""The SQL unit of work: one connection and one transaction per ``with`` block."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import StatementError

from nictbw.adapters.sqlalchemy.audit import SqlAuditLogRepository
from nictbw.adapters.sqlalchemy.errors import translate_error
from nictbw.adapters.sqlalchemy.repositories import (
    DEFAULT_CHUNK_SIZE,
    SqlAdminRepository,
    SqlBingoCardRepository,
    SqlDefinitionRepository,
    SqlDrawResultRepository,
    SqlDrawTypeRepository,
    SqlInstanceRepository,
    SqlUserRepository,
    SqlWinningNumberRepository,
)
from nictbw.adapters.sqlalchemy.repositories.events import (
    SqlEventRepository,
    SqlIdempotencyKeyRepository,
)
from nictbw.adapters.sqlalchemy.snapshots import SqlDrawSnapshotRepository
from nictbw.ports.repositories import UnitOfWork


class SqlAlchemyUnitOfWork(UnitOfWork):
    """A transaction on ``engine`` exposing one repository per aggregate.

    Entering opens a connection and begins a transaction; ``commit()`` and
    ``rollback()`` end it and begin the next one; leaving the block rolls back whatever
    was not committed and returns the connection. A unit of work can be entered again
    after it was left, never while it is active.
    """

    users: SqlUserRepository
    admins: SqlAdminRepository
    definitions: SqlDefinitionRepository
    instances: SqlInstanceRepository
    bingo_cards: SqlBingoCardRepository
    draw_types: SqlDrawTypeRepository
    winning_numbers: SqlWinningNumberRepository
    draw_results: SqlDrawResultRepository
    draw_snapshots: SqlDrawSnapshotRepository
    events: SqlEventRepository
    idempotency_keys: SqlIdempotencyKeyRepository
    audit: SqlAuditLogRepository

    def __init__(self, engine: Engine, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        self.engine = engine
        self._connection: Connection | None = None
        source = self._active_connection
        self.users = SqlUserRepository(source, chunk_size)
        self.admins = SqlAdminRepository(source, chunk_size)
        self.definitions = SqlDefinitionRepository(source, chunk_size)
        self.instances = SqlInstanceRepository(source, chunk_size)
        self.bingo_cards = SqlBingoCardRepository(source, chunk_size)
        self.draw_types = SqlDrawTypeRepository(source, chunk_size)
        self.winning_numbers = SqlWinningNumberRepository(source, chunk_size)
        self.draw_results = SqlDrawResultRepository(source, chunk_size)
        self.draw_snapshots = SqlDrawSnapshotRepository(source, chunk_size)
        self.events = SqlEventRepository(source, chunk_size)
        self.idempotency_keys = SqlIdempotencyKeyRepository(source, chunk_size)
        self.audit = SqlAuditLogRepository(source, chunk_size)

    @property
    def connection(self) -> Connection:
        """The connection of the active transaction (for host code that needs raw SQL)."""
        return self._active_connection()

    def _active_connection(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("the unit of work is not active; use it in a 'with' block")
        return self._connection

    def __enter__(self) -> Self:
        """Open a connection and begin the transaction."""
        if self._connection is not None:
            raise RuntimeError("the unit of work is already active")
        connection = self.engine.connect()
        try:
            _translated(connection.begin)
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        self.definitions.forget_catalogue()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed and release the connection."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if connection.in_transaction():
                connection.rollback()
        finally:
            connection.close()

    def commit(self) -> None:
        """Commit the transaction and begin a new one."""
        connection = self._active_connection()
        self.definitions.forget_catalogue()
        try:
            _translated(connection.commit)
        except BaseException:
            if connection.in_transaction():
                connection.rollback()
            raise
        finally:
            _translated(connection.begin)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested block (SQL ``SAVEPOINT``): released when it ends normally, rolled back
        when it raises, so the transaction goes on as it was before the block."""
        connection = self._active_connection()
        nested = connection.begin_nested()
        try:
            yield
        except BaseException:
            self.definitions.forget_catalogue()
            if nested.is_active:
                nested.rollback()
            raise
        else:
            _translated(nested.commit)

    def lock_users(self, user_ids: Collection[int]) -> None:
        """Serialise, until the transaction ends, the work of concurrent units of work on
        these users (row locks on PostgreSQL; SQLite's single writer needs none)."""
        self.users.lock(user_ids)

    def rollback(self) -> None:
        """Discard every change since the last commit and begin a new transaction."""
        connection = self._active_connection()
        self.definitions.forget_catalogue()
        connection.rollback()
        _translated(connection.begin)


def _translated(step: Callable[[], object]) -> None:
    """Run a transaction step, turning database errors into nictbw errors."""
    try:
        step()
    except StatementError as exc:
        error = translate_error(exc)
        if error is None:
            raise
        raise error from exc


__all__ = ["SqlAlchemyUnitOfWork"]
