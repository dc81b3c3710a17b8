"""Winning numbers in ``prize_draw_winning_numbers``."""

from __future__ import annotations

import builtins
from datetime import datetime

from sqlalchemy import or_, select

from nictbw.adapters.sqlalchemy.mapping import WINNING_NUMBERS
from nictbw.adapters.sqlalchemy.repositories.base import TableRepository
from nictbw.adapters.sqlalchemy.tables import prize_draw_winning_numbers
from nictbw.domain.entities import PrizeDrawWinningNumber
from nictbw.domain.timeutil import ensure_utc
from nictbw.domain.values import check_lookup_key
from nictbw.ports.repositories import WinningNumberRepository


class SqlWinningNumberRepository(TableRepository[PrizeDrawWinningNumber], WinningNumberRepository):
    """Winning numbers in ``prize_draw_winning_numbers``."""

    mapper = WINNING_NUMBERS

    def list_for_draw_type(self, draw_type_id: int) -> builtins.list[PrizeDrawWinningNumber]:
        """The draw type's winning numbers, ascending id."""
        check_lookup_key(draw_type_id, "draw type id")
        table = prize_draw_winning_numbers
        statement = select(table).where(table.c.draw_type_id == draw_type_id).order_by(table.c.id)
        return [self._from_row(row) for row in self._rows(statement)]

    def latest_in_effect(self, draw_type_id: int, at: datetime) -> PrizeDrawWinningNumber | None:
        """In effect at ``at`` (half-open window), newest ``created_at``, then highest id."""
        moment = ensure_utc(at, "at")
        check_lookup_key(draw_type_id, "draw type id")
        table = prize_draw_winning_numbers
        statement = (
            select(table)
            .where(
                table.c.draw_type_id == draw_type_id,
                or_(table.c.effective_at.is_(None), table.c.effective_at <= moment),
                or_(table.c.expires_at.is_(None), table.c.expires_at > moment),
            )
            .order_by(table.c.created_at.desc(), table.c.id.desc())
            .limit(1)
        )
        row = self._one(statement)
        return None if row is None else self._from_row(row)


__all__ = ["SqlWinningNumberRepository"]
