"""Prize draw types in ``prize_draw_types``."""

from __future__ import annotations

from sqlalchemy import select

from nictbw.adapters.sqlalchemy.mapping import DRAW_TYPES
from nictbw.adapters.sqlalchemy.repositories.base import TableRepository
from nictbw.adapters.sqlalchemy.tables import prize_draw_types
from nictbw.domain.entities import PrizeDrawType
from nictbw.domain.values import check_lookup_key
from nictbw.ports.repositories import DrawTypeRepository


class SqlDrawTypeRepository(TableRepository[PrizeDrawType], DrawTypeRepository):
    """Prize draw types in ``prize_draw_types``."""

    mapper = DRAW_TYPES

    def get_by_internal_name(self, internal_name: str) -> PrizeDrawType | None:
        """Lookup by exact, case-sensitive internal name."""
        check_lookup_key(internal_name, "internal_name")
        statement = select(prize_draw_types).where(
            prize_draw_types.c.internal_name == internal_name
        )
        row = self._one(statement)
        return None if row is None else self._from_row(row)


__all__ = ["SqlDrawTypeRepository"]
