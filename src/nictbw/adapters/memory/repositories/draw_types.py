"""Prize draw types in the in-memory store."""

from __future__ import annotations

from nictbw.adapters.memory.repositories.base import MemoryRepository
from nictbw.adapters.memory.store import InMemoryStore
from nictbw.adapters.memory.table import Table
from nictbw.domain.entities import PrizeDrawType
from nictbw.ports.repositories import DrawTypeRepository


class InMemoryDrawTypeRepository(MemoryRepository[PrizeDrawType], DrawTypeRepository):
    """Prize draw types in the in-memory store."""

    what = "draw type"

    def _table(self, store: InMemoryStore) -> Table[PrizeDrawType]:
        return store.draw_types

    def get_by_internal_name(self, internal_name: str) -> PrizeDrawType | None:
        """The draw type with this exact internal name."""
        table = self._tx.tables().draw_types
        owner = table.owner("internal_name", internal_name)
        return None if owner is None else table.read(owner)


__all__ = ["InMemoryDrawTypeRepository"]
