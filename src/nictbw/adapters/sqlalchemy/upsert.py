"""The draw-result upsert (domain-rules.md §2.9, §7.5): ``INSERT ... ON CONFLICT ... DO
UPDATE ... RETURNING``, the same text on PostgreSQL and SQLite.

Results have two partial unique keys: (draw type, instance, winning number) for scored
results and (draw type, instance) where the winning number is NULL. One ``ON CONFLICT``
clause can name one of them, so each chunk is sent as (at most) two statements, one per
key. On conflict the stored row keeps its ``id`` and ``draw_type_id`` and every column of
:data:`OVERWRITTEN_RESULT_COLUMNS` takes the new value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import repeat
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Any, Final

from nictbw.adapters.sqlalchemy.mapping import RESULT_COLUMNS, result_row
from nictbw.adapters.sqlalchemy.tables import (
    SCORED_RESULT_KEY,
    UNSCORED_RESULT_KEY,
    prize_draw_results,
)
from nictbw.domain.entities import DrawResultColumns, PrizeDrawResult

if TYPE_CHECKING:
    from nictbw.adapters.sqlalchemy.repositories.base import SqlRepository

OVERWRITTEN_RESULT_COLUMNS: Final = (
    "winning_number_id",
    "user_id",
    "definition_id",
    "nft_instance_id",
    "draw_number",
    "similarity_score",
    "draw_top_digits",
    "winning_top_digits",
    "threshold_used",
    "outcome",
    "evaluated_at",
)
"""Every result column but ``id`` and ``draw_type_id``."""


def conflict_clause(scored: bool) -> str:
    """``ON CONFLICT`` on the partial unique key of scored or unscored results: every
    column of :data:`OVERWRITTEN_RESULT_COLUMNS` takes the new value."""
    key = SCORED_RESULT_KEY if scored else UNSCORED_RESULT_KEY
    where = "IS NOT NULL" if scored else "IS NULL"
    assignments = ", ".join(f"{name} = excluded.{name}" for name in OVERWRITTEN_RESULT_COLUMNS)
    return (
        f"ON CONFLICT ({', '.join(key)}) WHERE winning_number_id {where} "
        f"DO UPDATE SET {assignments}"
    )


RESULT_CONFLICT: Final = {scored: conflict_clause(scored) for scored in (True, False)}
"""The clause of each key, by "scored"."""

ResultKey = tuple[int, int, int | None]
result_key: Callable[[PrizeDrawResult], ResultKey] = attrgetter(*SCORED_RESULT_KEY)
"""(draw type id, instance id, winning number id) of a result."""


def upsert_results(repository: SqlRepository, results: Sequence[PrizeDrawResult]) -> None:
    """Store ``results`` through ``repository``'s connection: per chunk one upsert for the
    scored results and one for the unscored ones; all or nothing. Each result's ``id``
    becomes the stored row's.

    When a key repeats inside the call, the last result of that key is written and every
    result of the key gets the row's id.
    """
    ids = upsert_result_rows(repository, list(map(result_row, results)))
    for result, result_id in zip(results, ids, strict=True):
        result.id = result_id


def column_rows(columns: DrawResultColumns) -> list[tuple[Any, ...]]:
    """The rows of ``columns`` as tuples in :data:`RESULT_COLUMNS` order, built column by
    column (no object per row)."""
    count = len(columns)
    by_name: dict[str, Iterable[Any]] = {
        "draw_type_id": repeat(columns.draw_type_id, count),
        "winning_number_id": repeat(columns.winning_number_id, count),
        "user_id": columns.user_ids,
        "definition_id": columns.definition_ids,
        "nft_instance_id": columns.nft_instance_ids,
        "draw_number": columns.draw_numbers,
        "similarity_score": _or_none(columns.similarity_scores, count),
        "draw_top_digits": _or_none(columns.draw_top_digits, count),
        "winning_top_digits": repeat(columns.winning_top_digits, count),
        "threshold_used": repeat(columns.threshold_used, count),
        "outcome": columns.outcomes,
        "evaluated_at": repeat(columns.evaluated_at, count),
    }
    return list(zip(*(by_name[name] for name in RESULT_COLUMNS), strict=True))


def _or_none(values: Sequence[Any] | None, count: int) -> Iterable[Any]:
    return repeat(None, count) if values is None else values


_KEY_POSITIONS: Final = tuple(RESULT_COLUMNS.index(name) for name in SCORED_RESULT_KEY)
_row_key: Callable[[tuple[Any, ...]], ResultKey] = itemgetter(*_KEY_POSITIONS)


def upsert_result_rows(repository: SqlRepository, rows: Sequence[tuple[Any, ...]]) -> list[int]:
    """Store result ``rows`` (tuples in :data:`RESULT_COLUMNS` order) as
    :func:`upsert_results` does; the stored id of each row, in row order."""
    keys = list(map(_row_key, rows))
    ids: dict[ResultKey, int] = {}
    size = repository.chunk_size
    with repository._atomic():
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            chunk_keys = keys[start : start + size]
            for scored in (True, False):
                latest = {
                    key: row
                    for key, row in zip(chunk_keys, chunk, strict=True)
                    if (key[2] is not None) == scored
                }
                if not latest:
                    continue
                returned = repository._bulk_insert(
                    prize_draw_results,
                    RESULT_COLUMNS,
                    list(latest.values()),
                    returning=("id", *SCORED_RESULT_KEY),
                    conflict=RESULT_CONFLICT[scored],
                    binary=True,
                )
                ids.update(((row[1], row[2], row[3]), row[0]) for row in returned)
    return list(map(ids.__getitem__, keys))


__all__ = [
    "OVERWRITTEN_RESULT_COLUMNS",
    "RESULT_CONFLICT",
    "column_rows",
    "conflict_clause",
    "result_key",
    "upsert_result_rows",
    "upsert_results",
]
