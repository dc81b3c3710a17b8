"""The deterministic prize-draw engine (domain-rules.md §7): pure, no I/O.

The draw workflows choose the candidates and store what the engine returns; the engine
derives draw numbers, scores them in batches and decides each outcome.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice, repeat
from numbers import Real
from typing import cast

from attrs import frozen

from nictbw.domain.entities import OUTCOME_LOSE, OUTCOME_PENDING, OUTCOME_WIN, no_none
from nictbw.domain.errors import NotFoundError, ValidationError
from nictbw.domain.ranking import rank_with_ties
from nictbw.domain.scoring import (
    DEFAULT_SCORING_REGISTRY,
    AlgorithmRegistry,
    ProximityScores,
    ScoringAlgorithm,
    derive_draw_number,
    normalize_winning_value,
)

DEFAULT_BATCH_SIZE = 10_000


def _checked_threshold(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValidationError(f"{what} must be a number in [0, 1], got {value!r}")
    number = float(value)
    if not math.isfinite(number) or not 0.0 <= number <= 1.0:
        raise ValidationError(f"{what} must be a finite number in [0, 1], got {value!r}")
    return number


def resolve_threshold(
    explicit: object, default: float | None, algorithm: ScoringAlgorithm
) -> float | None:
    """The threshold a draw uses (§7.4): ``explicit`` when not None, else ``default``.

    Either must be a finite number (not a bool) in [0, 1]; a resolved threshold above
    ``algorithm.max_score`` could never be reached and is refused too. Returns a float or
    None (no threshold: scored results stay pending).
    """
    if explicit is not None:
        what, used = "threshold", _checked_threshold(explicit, "threshold")
    elif default is not None:
        what, used = "default_threshold", _checked_threshold(default, "default_threshold")
    else:
        return None
    if used > algorithm.max_score:
        raise ValidationError(
            f"{what} {used!r} is above the maximum score {algorithm.max_score!r} of "
            f"algorithm {algorithm.key!r}; no result could win"
        )
    return used


def outcome_for(score: float | None, threshold: float | None) -> str:
    """``pending`` without a score or threshold, else ``win`` (score >= threshold) or ``lose``."""
    if score is None or threshold is None:
        return OUTCOME_PENDING
    return OUTCOME_WIN if score >= threshold else OUTCOME_LOSE


@frozen(slots=True)
class EngineResult:
    """One candidate's evaluation: draw number, score, top digits and outcome."""

    instance_id: int
    draw_number: str
    score: float | None
    draw_top_digits: str | None
    winning_top_digits: str | None
    outcome: str


@frozen(slots=True)
class BatchEvaluation:
    """A batch of candidates evaluated at once, column by column, in input order.

    ``scores`` and ``draw_top_digits`` are None when there was no winning value (every
    outcome is then pending). The columnar form spares building one object per
    candidate; :meth:`results` gives the per-candidate view.
    """

    instance_ids: Sequence[int]
    draw_numbers: list[str]
    scores: Sequence[float] | None
    draw_top_digits: Sequence[str | None] | None
    winning_top_digits: str | None
    outcomes: list[str]

    def __len__(self) -> int:
        return len(self.draw_numbers)

    def results(self) -> list[EngineResult]:
        """One :class:`EngineResult` per candidate, in input order."""
        count = len(self.draw_numbers)
        scores: Iterable[float | None] = self.scores if self.scores is not None else repeat(None)
        digits: Iterable[str | None] = (
            self.draw_top_digits if self.draw_top_digits is not None else repeat(None)
        )
        return [
            EngineResult(instance_id, draw_number, score, draw_digits, winning_digits, outcome)
            for instance_id, draw_number, score, draw_digits, winning_digits, outcome in zip(
                self.instance_ids,
                self.draw_numbers,
                islice(scores, count),
                islice(digits, count),
                repeat(self.winning_top_digits, count),
                self.outcomes,
                strict=True,
            )
        ]


def _draw_numbers_of(instance_ids: Sequence[int], origins: Sequence[str]) -> list[str]:
    """The draw numbers (§7.1) of ``origins``, naming the instance of a bad one.

    Well-formed origins (non-blank ASCII strings, the usual case) are normalised column
    by column with C-level ``map`` calls; anything else takes the per-candidate path,
    which raises the error of the first bad origin.
    """
    try:
        stripped = list(map(str.strip, origins))
    except TypeError:
        stripped = []
    if len(stripped) == len(origins) and all(stripped) and all(map(str.isascii, stripped)):
        # Usually already lower case: lower() maps character by character, so the joined
        # text is unchanged exactly when every origin is; that spares a string per origin.
        joined = "\n".join(stripped)
        if joined.lower() == joined:
            return stripped
        return list(map(str.lower, stripped))
    return _draw_numbers(list(zip(instance_ids, origins, strict=True)))[1]


def _outcomes(scores: Sequence[float], threshold: float | None) -> list[str]:
    """``win``/``lose`` per score against ``threshold``; all ``pending`` without one.

    Proximity scores not computed yet are compared through their hash values
    (:meth:`ProximityScores.at_least`), which decides exactly as the scores would.
    """
    if threshold is None:
        return [OUTCOME_PENDING] * len(scores)
    if isinstance(scores, ProximityScores):
        return scores.at_least(threshold, OUTCOME_WIN, OUTCOME_LOSE)
    return [OUTCOME_WIN if score >= threshold else OUTCOME_LOSE for score in scores]


def _draw_numbers(chunk: list[tuple[int, str]]) -> tuple[list[int], list[str]]:
    """Split a chunk into instance ids and draw numbers (§7.1), naming a bad candidate."""
    instance_ids: list[int] = []
    draw_numbers: list[str] = []
    for instance_id, origin in chunk:
        # Fast path of derive_draw_number for the usual well-formed origin.
        if type(origin) is str and (stripped := origin.strip()) and stripped.isascii():
            draw_number = stripped.lower()
        else:
            try:
                draw_number = derive_draw_number(origin)
            except ValidationError as exc:
                raise ValidationError(f"instance {instance_id}: {exc}") from None
        instance_ids.append(instance_id)
        draw_numbers.append(draw_number)
    return instance_ids, draw_numbers


class PrizeDrawEngine:
    """Evaluates candidates ``(instance_id, origin)`` against a winning value."""

    rank_with_ties = staticmethod(rank_with_ties)

    def __init__(self, registry: AlgorithmRegistry = DEFAULT_SCORING_REGISTRY) -> None:
        self._registry = registry

    @property
    def registry(self) -> AlgorithmRegistry:
        """The registry algorithms are looked up in."""
        return self._registry

    def algorithm(self, key: str) -> ScoringAlgorithm:
        """The algorithm under ``key``; unknown raises ``ValidationError`` naming it (§4.10)."""
        try:
            return self._registry.get(key)
        except NotFoundError as exc:
            raise ValidationError(f"unknown scoring algorithm {key!r}: {exc}") from None

    def evaluate(
        self,
        candidates: Iterable[tuple[int, str]],
        *,
        algorithm_key: str,
        winning_value: str | None,
        threshold: float | None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> Iterator[list[EngineResult]]:
        """Evaluate ``candidates`` lazily, yielding one list of results per batch, in order.

        The algorithm, winning value, threshold and batch size are checked at call time;
        candidates are read ``batch_size`` at a time, never all at once. ``threshold`` is
        the threshold in use (see :func:`resolve_threshold`), checked again here. Without a
        winning value every result is pending with no score or digits; without a threshold
        scored results are pending.
        """
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValidationError(f"batch_size must be an int >= 1, got {batch_size!r}")
        algorithm = self.algorithm(algorithm_key)
        threshold_used = resolve_threshold(threshold, None, algorithm)
        winning = None if winning_value is None else normalize_winning_value(winning_value)
        return self._batches(iter(candidates), algorithm, winning, threshold_used, batch_size)

    def evaluate_columns(
        self,
        instance_ids: Sequence[int],
        origins: Sequence[str],
        *,
        algorithm_key: str,
        winning_value: str | None,
        threshold: float | None,
        draw_numbers: Sequence[str | None] | None = None,
    ) -> BatchEvaluation:
        """Evaluate one batch given as columns (instance ids and their origins).

        The columnar counterpart of :meth:`evaluate` for callers that handle a batch at
        a time: the same checks, the same draw numbers, scores, top digits and outcomes,
        without one object per candidate. ``draw_numbers``, when given, must be the
        origins' draw numbers already derived (``known_draw_number`` row by row); when
        none of them is None they are used as they are, else the origins are derived here.
        """
        if len(instance_ids) != len(origins):
            raise ValidationError(
                f"{len(instance_ids)} instance ids but {len(origins)} origins given"
            )
        algorithm = self.algorithm(algorithm_key)
        threshold_used = resolve_threshold(threshold, None, algorithm)
        winning = None if winning_value is None else normalize_winning_value(winning_value)
        known: list[str] | None = None
        if draw_numbers is not None and len(draw_numbers) == len(origins) and no_none(draw_numbers):
            # Read only, never changed: a list is used as it is.
            known = cast(
                list[str], draw_numbers if isinstance(draw_numbers, list) else list(draw_numbers)
            )
        return self._evaluate_batch(
            instance_ids, origins, algorithm, winning, threshold_used, known
        )

    @staticmethod
    def _evaluate_batch(
        instance_ids: Sequence[int],
        origins: Sequence[str],
        algorithm: ScoringAlgorithm,
        winning: str | None,
        threshold: float | None,
        known: list[str] | None = None,
    ) -> BatchEvaluation:
        draw_numbers = known if known is not None else _draw_numbers_of(instance_ids, origins)
        if winning is None:
            return BatchEvaluation(
                instance_ids=instance_ids,
                draw_numbers=draw_numbers,
                scores=None,
                draw_top_digits=None,
                winning_top_digits=None,
                outcomes=[OUTCOME_PENDING] * len(draw_numbers),
            )
        batch = algorithm.score_many(draw_numbers, winning)
        return BatchEvaluation(
            instance_ids=instance_ids,
            draw_numbers=draw_numbers,
            scores=batch.scores,
            draw_top_digits=batch.draw_top_digits,
            winning_top_digits=batch.winning_top_digits,
            outcomes=_outcomes(batch.scores, threshold),
        )

    @classmethod
    def _batches(
        cls,
        candidates: Iterator[tuple[int, str]],
        algorithm: ScoringAlgorithm,
        winning: str | None,
        threshold: float | None,
        batch_size: int,
    ) -> Iterator[list[EngineResult]]:
        while chunk := list(islice(candidates, batch_size)):
            instance_ids = [instance_id for instance_id, _ in chunk]
            origins = [origin for _, origin in chunk]
            yield cls._evaluate_batch(
                instance_ids, origins, algorithm, winning, threshold
            ).results()

    def evaluate_one(
        self,
        instance_id: int,
        origin: str,
        *,
        algorithm_key: str,
        winning_value: str | None,
        threshold: float | None,
    ) -> EngineResult:
        """Evaluate a single candidate with the algorithm's single-item scorer."""
        algorithm = self.algorithm(algorithm_key)
        threshold_used = resolve_threshold(threshold, None, algorithm)
        draw_number = _draw_numbers([(instance_id, origin)])[1][0]
        if winning_value is None:
            return EngineResult(
                instance_id=instance_id,
                draw_number=draw_number,
                score=None,
                draw_top_digits=None,
                winning_top_digits=None,
                outcome=OUTCOME_PENDING,
            )
        evaluation = algorithm.evaluate(
            draw_number, normalize_winning_value(winning_value), threshold_used
        )
        return EngineResult(
            instance_id=instance_id,
            draw_number=draw_number,
            score=evaluation.score,
            draw_top_digits=evaluation.draw_top_digits,
            winning_top_digits=evaluation.winning_top_digits,
            outcome=outcome_for(evaluation.score, threshold_used),
        )


__all__ = [
    "DEFAULT_BATCH_SIZE",
    "BatchEvaluation",
    "EngineResult",
    "PrizeDrawEngine",
    "outcome_for",
    "resolve_threshold",
]
