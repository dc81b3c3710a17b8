"""Winning numbers in the in-memory store."""

from __future__ import annotations

import builtins
from datetime import datetime

from nictbw.adapters.memory.repositories.base import MemoryRepository
from nictbw.adapters.memory.store import InMemoryStore
from nictbw.adapters.memory.table import Table
from nictbw.domain.entities import PrizeDrawWinningNumber
from nictbw.domain.timeutil import ensure_utc
from nictbw.ports.repositories import WinningNumberRepository


class InMemoryWinningNumberRepository(
    MemoryRepository[PrizeDrawWinningNumber], WinningNumberRepository
):
    """Winning numbers in the in-memory store."""

    what = "winning number"

    def _table(self, store: InMemoryStore) -> Table[PrizeDrawWinningNumber]:
        return store.winning_numbers

    def list_for_draw_type(self, draw_type_id: int) -> builtins.list[PrizeDrawWinningNumber]:
        """The draw type's winning numbers, ascending id."""
        table = self._tx.tables().winning_numbers
        return table.read_many(table.indexes["draw_type_id"].ids(draw_type_id))

    def latest_in_effect(self, draw_type_id: int, at: datetime) -> PrizeDrawWinningNumber | None:
        """The number in effect at ``at`` with the newest ``created_at``, then the highest id."""
        moment = ensure_utc(at, "at")
        assert moment is not None
        table = self._tx.tables().winning_numbers
        rows = table.rows
        best: PrizeDrawWinningNumber | None = None
        for row_id in table.indexes["draw_type_id"].ids(draw_type_id):
            row = rows[row_id]
            if not row.in_effect(moment):
                continue
            if best is None or (row.created_at, row_id) > (best.created_at, best.id):
                best = row
        return None if best is None else table.copy(best)


__all__ = ["InMemoryWinningNumberRepository"]
