"""The generic base of the in-memory repositories.

Writes go straight to the store's tables and leave an undo record in the unit of work's
journal; each repository method is one "statement": when it fails, what it already did
is undone before the error propagates, so a failed add or update changes nothing.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection
from typing import ClassVar, Generic

from nictbw.adapters.memory.store import InMemoryStore
from nictbw.adapters.memory.table import E, Table
from nictbw.adapters.memory.transaction import Transaction
from nictbw.domain.errors import ValidationError
from nictbw.domain.values import check_lookup_keys


def require_new(entity: object, label: str) -> None:
    """``ValidationError`` unless ``entity`` has no ``id`` yet."""
    entity_id = getattr(entity, "id", None)
    if entity_id is not None:
        raise ValidationError(f"{label} {entity_id} is already stored; add takes new entities only")


def by_id(rows: builtins.list[E]) -> dict[int, E]:
    """``rows`` keyed by id."""
    return {row.id: row for row in rows if row.id is not None}


class MemoryRepository(Generic[E]):
    """A repository of one table of the store: ``add``, ``get``, ``get_many``, ``list``
    and ``update`` of copies. Subclasses name their table and add their own lookups."""

    what: ClassVar[str]
    """The entity's name in error messages."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def _table(self, store: InMemoryStore) -> Table[E]:
        """The repository's table in ``store``."""
        raise NotImplementedError

    def _read(self) -> Table[E]:
        """The table to read (checks the unit of work is active)."""
        return self._table(self._tx.tables())

    def add(self, entity: E) -> E:
        """Store a copy of a new entity and set its ``id``."""
        require_new(entity, self.what)
        with self._tx.statement() as journal:
            table = self._table(self._tx.store)
            row = table.prepare(entity)
            table.insert_many([row], journal)
        entity.id = row.id
        return entity

    def get(self, entity_id: int) -> E | None:
        """A copy of the entity, or ``None``."""
        return self._read().read(entity_id)

    def get_many(self, ids: Collection[int]) -> dict[int, E]:
        """Copies of the stored entities among ``ids``, by id."""
        check_lookup_keys(ids, f"{self.what} id")
        return by_id(self._read().read_many(ids))

    def list(self) -> builtins.list[E]:
        """Every entity, ascending id."""
        return self._read().read_all()

    def update(self, entity: E) -> None:
        """Write every field of a stored entity."""
        with self._tx.statement() as journal:
            table = self._table(self._tx.store)
            table.replace(table.prepare(entity), journal)


__all__ = ["MemoryRepository", "by_id", "require_new"]
