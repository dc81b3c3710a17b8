"""The draw-result upsert (domain-rules.md §2.9, §7.5): ``INSERT ... ON CONFLICT ... DO
UPDATE ... RETURNING``, the same text on PostgreSQL and SQLite.

Results have two partial unique keys: (draw type, instance, winning number) for scored
results and (draw type, instance) where the winning number is NULL. One ``ON CONFLICT``
clause can name one of them, so each chunk is sent as (at most) two statements, one per
key. On conflict the stored row keeps its ``id`` and ``draw_type_id`` and every column of
:data:`OVERWRITTEN_RESULT_COLUMNS` takes the new value.

On SQLite the chunks after the first are appended while SQLite accepts them (a draw's
first run): a plain ``INSERT`` that names each row's id, the ids SQLite itself would give.
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
from nictbw.domain.errors import ConflictError, ValidationError
from nictbw.domain.values import INT64_MAX

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


_SQLITE_LARGEST_ID: Final = f"SELECT max(id) FROM {prize_draw_results.name}"


def _appends(repository: SqlRepository, rows: Sequence[tuple[Any, ...]]) -> bool:
    """True when chunks after the first are tried as appends: SQLite, more than one."""
    return len(rows) > repository.chunk_size and repository._connection().dialect.name == "sqlite"


def _append_chunk(
    repository: SqlRepository,
    chunk: Sequence[tuple[Any, ...]],
    chunk_keys: Sequence[ResultKey],
    first: int,
    ids: dict[ResultKey, int],
) -> bool:
    """Insert ``chunk`` with the ids ``first``, ``first + 1``, ... in row order, named in
    a plain ``INSERT`` (no ``ON CONFLICT``, no ``RETURNING``); True when stored, False when
    SQLite refused it. SQLite undoes a failed statement and keeps the transaction (rows
    an earlier statement of the same chunk stored, when a chunk takes more than one, are
    overwritten in place by the upsert that follows).

    A refusal is a stored key (a draw run again), a key twice in the chunk, a bad
    reference or value; the caller upserts the chunk instead, which stores it or raises
    the error the upsert always raised.
    """
    if first + len(chunk) > INT64_MAX:  # beyond SQLite's largest rowid
        return False
    try:
        repository._bulk_insert(
            prize_draw_results,
            ("id", *RESULT_COLUMNS),
            [(row_id, *row) for row_id, row in enumerate(chunk, start=first)],
        )
    except (ConflictError, ValidationError):
        return False
    ids.update(zip(chunk_keys, range(first, first + len(chunk)), strict=True))
    return True


def _upsert_chunk(
    repository: SqlRepository,
    chunk: Sequence[tuple[Any, ...]],
    chunk_keys: Sequence[ResultKey],
    ids: dict[ResultKey, int],
) -> None:
    """One upsert for the scored rows of ``chunk`` and one for the unscored ones; the
    stored id of each key goes into ``ids``."""
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


def upsert_result_rows(repository: SqlRepository, rows: Sequence[tuple[Any, ...]]) -> list[int]:
    """Store result ``rows`` (tuples in :data:`RESULT_COLUMNS` order) as
    :func:`upsert_results` does; the stored id of each row, in row order.

    On SQLite the chunks after the first are tried as appends (:func:`_append_chunk`),
    with the ids one above the largest stored id, those SQLite itself would give: the
    first chunk's upsert took SQLite's write lock, so no other transaction can store a
    result until this one ends. From the first chunk SQLite refuses on, the chunks are
    upserted. Returning the rows is about a quarter of SQLite's upsert.
    """
    keys = list(map(_row_key, rows))
    ids: dict[ResultKey, int] = {}
    size = repository.chunk_size
    with repository._atomic():
        _upsert_chunk(repository, rows[:size], keys[:size], ids)
        next_id: int | None = None
        if _appends(repository, rows):
            found, _ = repository._on_cursor(_SQLITE_LARGEST_ID, ())
            next_id = (found[0][0] or 0) + 1
        for start in range(size, len(rows), size):
            chunk, chunk_keys = rows[start : start + size], keys[start : start + size]
            if next_id is not None and _append_chunk(repository, chunk, chunk_keys, next_id, ids):
                next_id += len(chunk)
                continue
            next_id = None
            _upsert_chunk(repository, chunk, chunk_keys, ids)
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
