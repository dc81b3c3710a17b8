"""Prize draw results in ``prize_draw_results``; the upsert itself is in ``upsert.py``."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, bindparam, or_, select

from nictbw.adapters.sqlalchemy.mapping import RESULTS
from nictbw.adapters.sqlalchemy.repositories.base import TableRepository
from nictbw.adapters.sqlalchemy.statements import select_by
from nictbw.adapters.sqlalchemy.tables import prize_draw_results
from nictbw.adapters.sqlalchemy.upsert import column_rows, upsert_result_rows, upsert_results
from nictbw.domain.entities import DrawResultColumns, Outcome, PrizeDrawResult
from nictbw.domain.ranking import validate_limit
from nictbw.domain.values import check_lookup_keys
from nictbw.ports.repositories import DrawResultRepository

_RANKING = (
    prize_draw_results.c.similarity_score.desc(),
    prize_draw_results.c.nft_instance_id,
    prize_draw_results.c.id,
)
"""The order of domain-rules.md §7.6 (``nictbw.domain.ranking.ranking_key``) in SQL."""

_OF_DRAW_TYPE: Final = select_by(prize_draw_results, "draw_type_id")
"""The results of a draw type (``:key``), ascending id."""
_OF_DRAW: Final = (
    select(prize_draw_results)
    .where(
        prize_draw_results.c.draw_type_id == bindparam("key"),
        prize_draw_results.c.winning_number_id == bindparam("number"),
    )
    .order_by(prize_draw_results.c.id)
)
"""The results of one draw: draw type ``:key``, winning number ``:number``; ascending id."""


class SqlDrawResultRepository(TableRepository[PrizeDrawResult], DrawResultRepository):
    """Prize draw results in ``prize_draw_results``."""

    mapper = RESULTS

    def list_for_draw_type(
        self, draw_type_id: int, winning_number_id: int | None = None
    ) -> builtins.list[PrizeDrawResult]:
        """Results of the draw type, ascending id; of ``winning_number_id`` only when given."""
        check_lookup_keys((draw_type_id, winning_number_id), "id")
        if winning_number_id is None:
            rows = self._fetch_mappings(_OF_DRAW_TYPE, {"key": draw_type_id})
        else:
            keys = {"key": draw_type_id, "number": winning_number_id}
            rows = self._fetch_mappings(_OF_DRAW, keys)
        return list(map(self._from_row, rows))

    def page_for_draw(
        self,
        draw_type_id: int,
        winning_number_id: int,
        *,
        after: tuple[int, int] | None,
        size: int,
    ) -> builtins.list[PrizeDrawResult]:
        """Up to ``size`` results of the draw after key ``after``, by (instance id, id)."""
        table = prize_draw_results
        statement = select(table).where(
            table.c.draw_type_id == draw_type_id, table.c.winning_number_id == winning_number_id
        )
        if after is not None:
            statement = statement.where(
                or_(
                    table.c.nft_instance_id > after[0],
                    and_(table.c.nft_instance_id == after[0], table.c.id > after[1]),
                )
            )
        statement = statement.order_by(table.c.nft_instance_id, table.c.id).limit(size)
        return [self._from_row(row) for row in self._rows(statement)]

    def upsert_many(self, results: Sequence[PrizeDrawResult]) -> None:
        """Per chunk, one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` for scored
        results and one for unscored ones (``upsert.upsert_results``; on SQLite the chunks
        after the first are appended while SQLite accepts them); all or nothing. Each
        result's ``id`` becomes the stored row's."""
        upsert_results(self, results)

    def upsert_columns(self, columns: DrawResultColumns) -> builtins.list[int]:
        """``upsert_many`` of the rows of ``columns``, the rows built column by column;
        the stored id of each row, in row order."""
        return upsert_result_rows(self, column_rows(columns))

    def top(
        self,
        draw_type_id: int,
        winning_number_id: int,
        *,
        limit: int,
        include_pending: bool = True,
        with_ties: bool = False,
    ) -> builtins.list[PrizeDrawResult]:
        """Scored results ranked by similarity desc, instance id, id; ``LIMIT limit``, or
        with ties every result scoring at least the ``limit``-th."""
        validate_limit(limit, allow_none=False)
        check_lookup_keys((draw_type_id, winning_number_id), "id")
        table = prize_draw_results
        statement = select(table).where(
            *_scored_results(table, draw_type_id, winning_number_id, include_pending)
        )
        if not with_ties:
            statement = statement.order_by(*_RANKING).limit(limit)
        else:
            ranked = table.alias("ranked")
            cutoff = (
                select(ranked.c.similarity_score)
                .where(*_scored_results(ranked, draw_type_id, winning_number_id, include_pending))
                .order_by(ranked.c.similarity_score.desc(), ranked.c.nft_instance_id, ranked.c.id)
                .offset(limit - 1)
                .limit(1)
                .scalar_subquery()
            )
            statement = statement.where(
                or_(cutoff.is_(None), table.c.similarity_score >= cutoff)
            ).order_by(*_RANKING)
        return [self._from_row(row) for row in self._rows(statement)]


def _scored_results(
    table: Any, draw_type_id: int, winning_number_id: int, include_pending: bool
) -> builtins.list[ColumnElement[bool]]:
    conditions: builtins.list[ColumnElement[bool]] = [
        table.c.draw_type_id == draw_type_id,
        table.c.winning_number_id == winning_number_id,
        table.c.similarity_score.is_not(None),
    ]
    if not include_pending:
        conditions.append(table.c.outcome != Outcome.PENDING.value)
    return conditions


__all__ = ["SqlDrawResultRepository"]
