"""Ranking of draw results (domain-rules.md §7.6).

Order everywhere: similarity descending, instance id ascending, result id ascending. The
order never uses ``evaluated_at`` or the outcome.
"""

from __future__ import annotations

from collections.abc import Iterable

from nictbw.domain.entities import PrizeDrawResult
from nictbw.domain.errors import ValidationError
from nictbw.domain.values import INT64_MAX, check_int_range


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


__all__ = ["rank_with_ties", "ranking_key", "validate_limit"]
