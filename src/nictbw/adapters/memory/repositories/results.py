"""Prize draw results in the in-memory store."""

from __future__ import annotations

import builtins
import heapq
from collections.abc import Hashable, Sequence

from nictbw.adapters.memory.columnar import RESULT_KEY, ResultTable
from nictbw.adapters.memory.repositories.base import MemoryRepository
from nictbw.adapters.memory.store import InMemoryStore, result_key
from nictbw.domain.entities import OUTCOME_PENDING, DrawResultColumns, PrizeDrawResult
from nictbw.domain.ranking import rank_with_ties, ranking_key, validate_limit
from nictbw.ports.repositories import DrawResultRepository


class InMemoryDrawResultRepository(MemoryRepository[PrizeDrawResult], DrawResultRepository):
    """Prize draw results in the in-memory store."""

    what = "draw result"

    def _table(self, store: InMemoryStore) -> ResultTable:
        return store.draw_results

    def list_for_draw_type(
        self, draw_type_id: int, winning_number_id: int | None = None
    ) -> builtins.list[PrizeDrawResult]:
        """The draw type's results (of ``winning_number_id`` only, when given), ascending id."""
        table = self._tx.tables().draw_results
        if winning_number_id is None:
            ids = table.indexes["draw_type_id"].ids(draw_type_id)
        else:
            ids = table.indexes["draw_type_and_number"].ids((draw_type_id, winning_number_id))
        return table.read_many(ids)

    def page_for_draw(
        self,
        draw_type_id: int,
        winning_number_id: int,
        *,
        after: tuple[int, int] | None,
        size: int,
    ) -> builtins.list[PrizeDrawResult]:
        """Up to ``size`` results of the draw after key ``after``, by (instance id, id)."""
        table = self._tx.tables().draw_results
        rows = table.rows
        keys = (
            (rows[i].nft_instance_id, i)
            for i in table.indexes["draw_type_and_number"].ids((draw_type_id, winning_number_id))
        )
        if after is not None:
            keys = (key for key in keys if key > after)
        return table.read_many(i for _, i in heapq.nsmallest(size, keys))

    def upsert_many(self, results: Sequence[PrizeDrawResult]) -> None:
        """Insert or overwrite by (instance, draw type, winning number); sets each ``id``.

        Keys not stored yet are inserted in one bulk step (ids in input order); the other
        results then overwrite their rows in input order, so a key given twice ends with
        its last result.
        """
        with self._tx.statement() as journal:
            table = self._tx.store.draw_results
            owners = table.owners(RESULT_KEY)
            rows = table.prepare_many(results)
            keys = builtins.list(map(result_key, rows))
            fresh: dict[Hashable, PrizeDrawResult] = {}
            overwrites: builtins.list[tuple[Hashable, PrizeDrawResult]] = []
            for key, row in zip(keys, rows, strict=True):
                if key in owners or key in fresh:
                    overwrites.append((key, row))
                else:
                    row.id = None
                    fresh[key] = row
            table.insert_many(builtins.list(fresh.values()), journal)
            stored = table.rows
            for key, row in overwrites:
                holder = owners[key]
                row.id = holder
                row.draw_type_id = stored[holder].draw_type_id
            table.replace_many([row for _, row in overwrites], journal)
        for result, row in zip(results, rows, strict=True):
            result.id = row.id

    def upsert_columns(self, columns: DrawResultColumns) -> builtins.list[int]:
        """``upsert_many`` of the rows of ``columns``; each row's stored id, in row order.

        A batch of fresh keys (a draw's first evaluation) is stored as one segment of
        columns, without an object per row; any other batch row by row.
        """
        with self._tx.statement() as journal:
            table = self._tx.store.draw_results
            ids = table.insert_columns(columns, journal)
        if ids is not None:
            return ids
        results = columns.results()
        self.upsert_many(results)
        return [result.id for result in results if result.id is not None]

    def top(
        self,
        draw_type_id: int,
        winning_number_id: int,
        *,
        limit: int,
        include_pending: bool = True,
        with_ties: bool = False,
    ) -> builtins.list[PrizeDrawResult]:
        """Scored results by similarity desc, instance id, id; the first ``limit`` (+ ties)."""
        validate_limit(limit, allow_none=False)
        table = self._tx.tables().draw_results
        scored = [
            row
            for row in map(
                table.rows.__getitem__,
                table.indexes["draw_type_and_number"].ids((draw_type_id, winning_number_id)),
            )
            if row.similarity_score is not None
            and (include_pending or row.outcome != OUTCOME_PENDING)
        ]
        if with_ties:
            chosen = rank_with_ties(scored, limit)
        else:
            chosen = sorted(scored, key=ranking_key)[:limit]
        return [table.copy(row) for row in chosen]


__all__ = ["InMemoryDrawResultRepository"]
