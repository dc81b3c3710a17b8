"""The state one in-memory unit of work shares with its repositories."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from nictbw.adapters.memory.store import InMemoryStore
from nictbw.adapters.memory.table import Journal


class Transaction:
    """The state a unit of work shares with its repositories: the store and the journal."""

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store
        self.journal: Journal = []
        self.active = False
        self.generation = 0

    def tables(self) -> InMemoryStore:
        """The store, or an error when the unit of work is not inside its ``with`` block."""
        if not self.active:
            raise RuntimeError(
                "the in-memory unit of work is not active: use its repositories, commit(), "
                "rollback() and savepoint() inside 'with uow:'"
            )
        return self.store

    @contextmanager
    def statement(self) -> Iterator[Journal]:
        """Run writes as one statement: on an exception, undo them and re-raise."""
        with self.savepoint():
            yield self.journal

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Undo what the block wrote when it raises; nothing happens when it succeeds.

        A commit or rollback inside the block ends the savepoint: an exception after it
        undoes only what was written since.
        """
        self.tables()
        mark, generation = len(self.journal), self.generation
        try:
            yield
        except BaseException:
            self.undo_to(mark if generation == self.generation else 0)
            raise

    def forget(self) -> None:
        """Make every change so far permanent (commit)."""
        self.journal.clear()
        self.generation += 1

    def undo_to(self, mark: int) -> None:
        """Replay the journal in reverse down to ``mark``."""
        journal = self.journal
        while len(journal) > mark:
            journal.pop()()

    def undo_all(self) -> None:
        """Undo every change since the last commit (rollback)."""
        self.undo_to(0)
        self.generation += 1
