"""The draw-result upsert (domain-rules.md §2.9, §7.5): ``INSERT ... ON CONFLICT ... DO
UPDATE ... RETURNING``, the same text on PostgreSQL and SQLite.

Results have two partial unique keys: (draw type, instance, winning number) for scored
results and (draw type, instance) where the winning number is NULL. One ``ON CONFLICT``
clause can name one of them, so each chunk is sent as (at most) two statements, one per
key. On conflict the stored row keeps its ``id`` and ``draw_type_id`` and every column of
:data:`OVERWRITTEN_RESULT_COLUMNS` takes the new value.

On SQLite, once the first chunk shows that nothing else of its draw is stored (a draw's
first run), the other chunks are appended: a plain ``INSERT`` that names each row's id,
the ids SQLite itself would give.
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


_SQLITE_PAIR_STATE: Final = (
    f"SELECT (SELECT max(id) FROM {prize_draw_results.name}), "
    f"(SELECT count(*) FROM (SELECT 1 FROM {prize_draw_results.name} "
    "WHERE draw_type_id = ? AND winning_number_id IS ? LIMIT ?))"
)
"""SQLite: the largest result id, and how many results of a draw type and winning number
(or none: ``IS NULL``) are stored, counted up to a limit (read in the index of the pair,
so a draw run again does not count all its earlier results)."""

_LARGEST_ROWID: Final = 2**63 - 1


def _may_append(repository: SqlRepository, keys: Sequence[ResultKey]) -> bool:
    """True when chunks after the first may be appended: on SQLite, more than one chunk,
    every row of one (draw type, winning number), no key twice."""
    return (
        len(keys) > repository.chunk_size
        and repository._connection().dialect.name == "sqlite"
        and len({(key[1], key[2]) for key in keys}) == 1
        and len(set(keys)) == len(keys)
    )


def _append_rest(
    repository: SqlRepository, rows: Sequence[tuple[Any, ...]], keys: Sequence[ResultKey]
) -> list[int] | None:
    """After the first chunk's upsert, append the other ``rows`` when nothing else of
    their pair is stored: the ids one above the largest stored id, in row order (those
    SQLite would give), named in a plain ``INSERT``; return those ids, else None.

    The first chunk's upsert took SQLite's write lock, so the largest id and the count
    cannot change until this transaction ends. When the pair's stored results are just
    the first chunk's rows, no key of the others (all distinct) is stored; a stored id or
    key would still be refused by the primary key or a unique key, never overwritten.
    """
    size = repository.chunk_size
    _, draw_type_id, number_id = keys[0]
    state, _ = repository._on_cursor(_SQLITE_PAIR_STATE, (draw_type_id, number_id, size + 1))
    largest, stored = state[0]
    first = (largest or 0) + 1
    rest = rows[size:]
    if stored != size or first + len(rest) > _LARGEST_ROWID:
        return None
    ids = list(range(first, first + len(rest)))
    repository._bulk_insert(
        prize_draw_results,
        ("id", *RESULT_COLUMNS),
        [(row_id, *row) for row_id, row in zip(ids, rest, strict=True)],
    )
    return ids


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

    On SQLite, when the first chunk's upsert leaves it the only stored rows of their
    (draw type, winning number), as on a draw's first run, the other chunks are appended
    (:func:`_append_rest`): SQLite spends about a quarter of an upsert returning its rows.
    """
    keys = list(map(_row_key, rows))
    ids: dict[ResultKey, int] = {}
    size = repository.chunk_size
    with repository._atomic():
        _upsert_chunk(repository, rows[:size], keys[:size], ids)
        if _may_append(repository, keys):
            appended = _append_rest(repository, rows, keys)
            if appended is not None:
                return [ids[key] for key in keys[:size]] + appended
        for start in range(size, len(rows), size):
            _upsert_chunk(repository, rows[start : start + size], keys[start : start + size], ids)
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
