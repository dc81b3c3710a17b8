"""Ranking of draw results (domain-rules.md §7.6).

Order everywhere: similarity descending, instance id ascending, result id ascending. The
order never uses ``evaluated_at`` or the outcome.
"""

from __future__ import annotations

import enum
import heapq
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Final, TypeVar

from nictbw.domain.entities import PrizeDrawResult
from nictbw.domain.errors import ValidationError
from nictbw.domain.scoring import LazyColumn, ProximityScores
from nictbw.domain.values import INT64_MAX, check_int_range

T = TypeVar("T")


def validate_limit(limit: object, *, allow_none: bool) -> int | None:
    """Check a ranking ``limit``: an int >= 1, or None when ``allow_none``.

    Bools, other types, 0 and negatives raise ``ValidationError`` naming the value.
    """
    if limit is None:
        if allow_none:
            return None
        raise ValidationError("limit None is not allowed here; give an int >= 1")
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise ValidationError(f"limit must be an int >= 1, got {type(limit).__name__} {limit!r}")
    if limit < 1:
        raise ValidationError(f"limit must be an int >= 1, got {limit!r}")
    check_int_range(limit, "limit", minimum=1, maximum=INT64_MAX)
    return int(limit)


def _similarity_of(result: PrizeDrawResult) -> float:
    score = result.similarity_score
    if score is None:
        raise ValidationError(
            f"result {result.id!r} of instance {result.nft_instance_id} has no similarity "
            "score and cannot be ranked"
        )
    return float(score)


def ranking_key(result: PrizeDrawResult) -> tuple[float, int, int]:
    """Sort key of §7.6: (-similarity, nft_instance_id, id).

    A result not yet stored (``id`` None) sorts as id 0, before every stored id of the same
    instance. A result without similarity raises ``ValidationError``.
    """
    return (
        -_similarity_of(result),
        result.nft_instance_id,
        result.id if result.id is not None else 0,
    )


def rank_with_ties(
    results: Iterable[PrizeDrawResult], limit: int | None = None
) -> list[PrizeDrawResult]:
    """Order ``results`` per §7.6 and keep the first ``limit`` plus the ties at the cutoff.

    ``limit`` None keeps all. Ties are exact float equality with the ``limit``-th score;
    the first lower score ends the list.
    """
    checked_limit = validate_limit(limit, allow_none=True)
    ordered = sorted(results, key=ranking_key)
    if checked_limit is None or len(ordered) <= checked_limit:
        return ordered
    cutoff = ordered[checked_limit - 1].similarity_score
    end = checked_limit
    while end < len(ordered) and ordered[end].similarity_score == cutoff:
        end += 1
    return ordered[:end]


def cut_ranking(
    ordered: Iterable[T],
    limit: int | None,
    max_wins_per_user: int | None,
    *,
    score: Callable[[T], object],
    user: Callable[[T], object],
) -> Iterator[T]:
    """The kept items of a ranking already in §7.6 order, streamed.

    Skips an item whose user (``user(item)``) already holds ``max_wins_per_user`` kept
    items (None: no cap); stops after the ``limit``-th kept item (None: never), except for
    the following kept items whose ``score`` equals the ``limit``-th one (ties at the
    cutoff). Memory grows with the users seen, not with the items.
    """
    kept = 0
    cutoff: object = None
    wins: dict[object, int] = {}
    for item in ordered:
        if limit is not None and kept >= limit and score(item) != cutoff:
            return
        if max_wins_per_user is not None:
            held = wins.get(user(item), 0)
            if held >= max_wins_per_user:
                continue
            wins[user(item)] = held + 1
        kept += 1
        if kept == limit:
            cutoff = score(item)
        yield item


def rank_with_cap(
    results: Iterable[PrizeDrawResult],
    limit: int | None = None,
    max_wins_per_user: int | None = None,
) -> list[PrizeDrawResult]:
    """:func:`rank_with_ties` where one user keeps at most ``max_wins_per_user`` results.

    Walks the results in §7.6 order and skips a result whose user already holds
    ``max_wins_per_user`` kept results; the first ``limit`` kept results end the list,
    plus the following kept results tying the ``limit``-th score. ``max_wins_per_user``
    None is :func:`rank_with_ties`.
    """
    checked_limit = validate_limit(limit, allow_none=True)
    cap = validate_cap(max_wins_per_user)
    if cap is None:
        return rank_with_ties(results, checked_limit)
    ordered = sorted(results, key=ranking_key)
    return list(
        cut_ranking(
            ordered,
            checked_limit,
            cap,
            score=lambda r: r.similarity_score,
            user=lambda r: r.user_id,
        )
    )


def rankable_rows(
    rows: list[int],
    scores: Sequence[float] | None,
    users: Sequence[object],
    limit: int | None,
    cap: int | None,
) -> list[int]:
    """The rows among ``rows`` (of results given as columns: ``scores``, ``users``) that
    :func:`rank_with_cap` with ``limit`` and ``cap`` can keep, ranking them together with
    any other results; in row order.

    Every row when unscored or without a limit; else the rows scoring at least a cutoff,
    lowered until those rows alone fill the limit under the cap. Sound: a row below the
    cutoff ranks after all of them, and they already hold ``limit`` results the cap keeps
    (per user at most ``cap``) whatever else is ranked with them, so it is never kept.
    """
    if scores is None or limit is None or len(rows) <= limit:
        return rows
    picked: list[float] | None = None
    size = limit
    while True:
        if isinstance(scores, ProximityScores):
            chosen = scores.best_rows(rows, size)
        else:
            if picked is None:
                picked = (
                    scores.take(rows)
                    if isinstance(scores, LazyColumn)
                    else [scores[r] for r in rows]
                )
            cutoff = heapq.nlargest(size, picked)[-1]
            chosen = [row for row, score in zip(rows, picked, strict=True) if score >= cutoff]
        if len(chosen) == len(rows) or cap is None:
            return chosen
        held = Counter(users[row] for row in chosen)
        if sum(min(cap, count) for count in held.values()) >= limit:
            return chosen
        size *= 4


class CapDefault(enum.Enum):
    """The default of a workflow's ``max_wins_per_user``: the draw type's own cap."""

    FROM_DRAW_TYPE = "from the draw type"


FROM_DRAW_TYPE: Final = CapDefault.FROM_DRAW_TYPE


def resolve_cap(override: int | CapDefault | None, draw_type_cap: int | None) -> int | None:
    """The cap in force: ``override`` unless it is ``FROM_DRAW_TYPE`` (then the type's).

    An explicit None lifts the draw type's cap for this call.
    """
    if override is FROM_DRAW_TYPE:
        return validate_cap(draw_type_cap)
    return validate_cap(override)


def validate_cap(max_wins_per_user: object) -> int | None:
    """A winner cap: None, or an int >= 1; ``ValidationError`` naming anything else."""
    if max_wins_per_user is None:
        return None
    if (
        isinstance(max_wins_per_user, bool)
        or not isinstance(max_wins_per_user, int)
        or max_wins_per_user < 1
    ):
        raise ValidationError(
            f"max_wins_per_user must be None or an int >= 1, got {max_wins_per_user!r}"
        )
    return int(max_wins_per_user)


__all__ = [
    "FROM_DRAW_TYPE",
    "CapDefault",
    "cut_ranking",
    "rank_with_cap",
    "rank_with_ties",
    "rankable_rows",
    "ranking_key",
    "resolve_cap",
    "validate_cap",
    "validate_limit",
]
