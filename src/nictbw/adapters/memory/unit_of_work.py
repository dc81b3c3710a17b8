"""The in-memory unit of work: single writer, changes applied at once, rollback by undo log."""

from __future__ import annotations

from collections.abc import Collection
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Self

from nictbw.adapters.memory.audit import InMemoryAuditLogRepository
from nictbw.adapters.memory.repositories import (
    InMemoryAdminRepository,
    InMemoryBingoCardRepository,
    InMemoryDefinitionRepository,
    InMemoryDrawResultRepository,
    InMemoryDrawTypeRepository,
    InMemoryInstanceRepository,
    InMemoryUserRepository,
    InMemoryWinningNumberRepository,
)
from nictbw.adapters.memory.repositories.events import (
    InMemoryEventRepository,
    InMemoryIdempotencyKeyRepository,
)
from nictbw.adapters.memory.snapshots import InMemoryDrawSnapshotRepository
from nictbw.adapters.memory.store import InMemoryStore
from nictbw.adapters.memory.transaction import Transaction
from nictbw.ports.repositories import UnitOfWork


class InMemoryUnitOfWork(UnitOfWork):
    """A transaction over an :class:`InMemoryStore`.

    Entering the block takes the store's lock until the block is left, so units of work
    on one store run one at a time. Writes reach the store immediately and record how to
    undo them; ``commit()`` forgets those records, ``rollback()`` replays them in reverse
    (ids included), and leaving the block rolls back whatever was not committed.
    ``savepoint()`` undoes just its own block when that raises. An instance may be
    entered again after it has been left.
    """

    def __init__(self, store: InMemoryStore) -> None:
        self._tx = Transaction(store)
        self.users = InMemoryUserRepository(self._tx)
        self.admins = InMemoryAdminRepository(self._tx)
        self.definitions = InMemoryDefinitionRepository(self._tx)
        self.instances = InMemoryInstanceRepository(self._tx)
        self.bingo_cards = InMemoryBingoCardRepository(self._tx)
        self.draw_types = InMemoryDrawTypeRepository(self._tx)
        self.winning_numbers = InMemoryWinningNumberRepository(self._tx)
        self.draw_results = InMemoryDrawResultRepository(self._tx)
        self.draw_snapshots = InMemoryDrawSnapshotRepository(self._tx)
        self.events = InMemoryEventRepository(self._tx)
        self.idempotency_keys = InMemoryIdempotencyKeyRepository(self._tx)
        self.audit = InMemoryAuditLogRepository(self._tx)

    @property
    def store(self) -> InMemoryStore:
        """The store this unit of work writes to."""
        return self._tx.store

    def __enter__(self) -> Self:
        """Take the store lock and begin."""
        if self._tx.active:
            raise RuntimeError("this in-memory unit of work is already inside a 'with' block")
        self._tx.store.lock.acquire()
        self._tx.active = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed and release the store lock."""
        try:
            self._tx.undo_all()
        finally:
            self._tx.active = False
            self._tx.store.lock.release()

    def commit(self) -> None:
        """Keep every change made so far."""
        self._tx.tables()
        self._tx.forget()

    def rollback(self) -> None:
        """Undo every change since the last commit."""
        self._tx.tables()
        self._tx.undo_all()

    def lock_users(self, user_ids: Collection[int]) -> None:
        """Nothing to do: the store lock already makes units of work take turns."""
        self._tx.tables()

    def savepoint(self) -> AbstractContextManager[None]:
        """A nested block whose writes are undone when it raises; the unit of work goes on."""
        return self._tx.savepoint()
