"""Draw numbers and scoring algorithms (domain-rules.md §2.10, §7.1-7.3).

A scoring algorithm turns a draw number and a normalised winning value into a score and the
top digits of both hashes. ``sha256_hex_proximity`` is the one nictbw ships; hosts may
register more in their own :class:`AlgorithmRegistry`.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from numbers import Real
from typing import Final, TypeVar, overload

from attrs import Attribute, field, frozen

from nictbw.domain.entities import ScoreComputation, ScoreEvaluation
from nictbw.domain.errors import ConflictError, NotFoundError, ValidationError

T = TypeVar("T")
U = TypeVar("U")

HASH_MAX: Final = (1 << 256) - 1
"""The largest SHA-256 value, M = 2**256 - 1; differences are divided by it."""

TOP_DIGITS_LENGTH: Final = 10
_TOP_DIGITS_DIVISOR: Final = 10**67

SHA256_HEX_PROXIMITY_KEY: Final = "sha256_hex_proximity"
SHA256_HEX_PROXIMITY_MAX_SCORE: Final = 0.8999999999999999
"""(0.6 - 0.0) * 1.5 in double arithmetic: the score of identical inputs."""


@frozen
class BatchScores:
    """Scores of many draw numbers against one winning value, in input order.

    ``scores`` and ``draw_top_digits`` are lists, or :class:`LazyColumn` values that
    compute each value when it is first read (equal to the list they stand for).
    """

    scores: Sequence[float]
    draw_top_digits: Sequence[str | None]
    winning_top_digits: str | None


Scorer = Callable[[str, str], ScoreComputation]
BatchScorer = Callable[[Sequence[str], str], BatchScores]


# --- draw numbers -------------------------------------------------------------------------


def _normalise(value: object, what: str) -> str:
    if value is None:
        raise ValidationError(f"{what} is None; a non-blank ASCII string is required")
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be a string, got {type(value).__name__} {value!r}")
    normalised = _normalised_text(value)
    if normalised is None:
        problem = "is not ASCII" if value.strip() else "is blank"
        raise ValidationError(f"{what} {value!r} {problem}")
    return normalised


def _normalised_text(value: str) -> str | None:
    """``value`` stripped and lower-cased, or None when that leaves it blank or it holds
    a non-ASCII character: the rule of draw numbers and winning values (§7.1)."""
    stripped = value.strip()
    if not stripped or not stripped.isascii():
        return None
    return stripped.lower()


def derive_draw_number(origin: object) -> str:
    """The draw number of an instance origin: stripped and lower-cased (§7.1).

    None, a non-string, a blank value or one with non-ASCII characters (after stripping)
    raises ``ValidationError`` naming the value.
    """
    return _normalise(origin, "origin")


def known_draw_number(origin: object) -> str | None:
    """:func:`derive_draw_number` of ``origin``, or None where it raises.

    An origin that is already its own draw number (the usual stored form) is returned
    itself, so a column of these keeps no second string per origin.
    """
    if not isinstance(origin, str):
        return None
    normalised = _normalised_text(origin)
    return origin if type(origin) is str and normalised == origin else normalised


def origin_key(origin: str) -> str:
    """The key under which two stored origins collide: trimmed of spaces, lower-cased.

    For every valid origin (ASCII, no control characters, so no whitespace but spaces)
    this is its draw number; unlike :func:`derive_draw_number` it never raises, so it can
    key stored values, and it is exactly what SQL computes as ``lower(trim(nft_origin))``.
    """
    return origin.strip(" ").lower()


def normalize_winning_value(value: object) -> str:
    """A winning value normalised exactly like a draw number (§7.2)."""
    return _normalise(value, "winning value")


# --- sha256_hex_proximity -----------------------------------------------------------------


def top_digits(value: int) -> str:
    """The first 10 decimal digits of ``value // 10**67``, left-padded with ``0`` (§7.3.6)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"top digits need a non-negative int, got {value!r}")
    return str(value // _TOP_DIGITS_DIVISOR)[:TOP_DIGITS_LENGTH].rjust(TOP_DIGITS_LENGTH, "0")


def score_for_difference(diff: int) -> float:
    """The proximity score of two hash values ``diff = |D - W|`` apart (§7.3.3-4).

    ``ratio = diff / (2**256 - 1)`` by big-integer true division (correctly rounded), then
    ``(0.6 - ratio) * 1.5`` clamped to [0, 1].
    """
    if isinstance(diff, bool) or not isinstance(diff, int) or not 0 <= diff <= HASH_MAX:
        raise ValidationError(f"hash difference must be an int in [0, 2**256 - 1], got {diff!r}")
    score = (0.6 - diff / HASH_MAX) * 1.5
    return min(max(score, 0.0), 1.0)


def _ascii_bytes(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be a string, got {type(value).__name__} {value!r}")
    try:
        return value.encode("ascii")
    except UnicodeEncodeError:
        raise ValidationError(f"{what} {value!r} is not ASCII") from None


def _hash_int(data: bytes) -> int:
    return int(hashlib.sha256(data).hexdigest(), 16)


def sha256_hex_proximity(draw: str, winning: str) -> ScoreComputation:
    """Score a draw number against a normalised winning value by SHA-256 proximity (§7.3).

    The inputs are used as given (no normalisation); a non-ASCII character raises
    ``ValidationError``.
    """
    d = _hash_int(_ascii_bytes(draw, "draw number"))
    w = _hash_int(_ascii_bytes(winning, "winning value"))
    return ScoreComputation(
        score=score_for_difference(abs(d - w)),
        draw_top_digits=top_digits(d),
        winning_top_digits=top_digits(w),
    )


_sha256_digest = type(hashlib.sha256()).digest


class LazyColumn(Sequence[T]):
    """An immutable column of values derived from hash values, each computed when read.

    Equal to the list of its values; iterating it (or reading a slice) computes every
    value once and keeps them. Reading one position computes just that value, so a
    caller that reads a few rows of a large batch pays for those rows only.
    """

    __slots__ = ("_computed", "_values")

    def __init__(self, values: list[int]) -> None:
        self._values = values
        self._computed: list[T] | None = None

    def _one(self, value: int) -> T:
        raise NotImplementedError

    def _all(self, values: list[int]) -> list[T]:
        return [self._one(value) for value in values]

    def tolist(self) -> list[T]:
        """Every value, in order (computed once)."""
        computed = self._computed
        if computed is None:
            computed = self._computed = self._all(self._values)
        return computed

    def take(self, rows: Iterable[int]) -> list[T]:
        """The values at positions ``rows``, in that order."""
        if self._computed is not None:
            return list(map(self._computed.__getitem__, rows))
        return self._all(list(map(self._values.__getitem__, rows)))

    def __len__(self) -> int:
        return len(self._values)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return self.tolist()[index]
        if self._computed is not None:
            return self._computed[index]
        return self._one(self._values[index])

    def __iter__(self) -> Iterator[T]:
        return iter(self.tolist())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyColumn):
            return self.tolist() == other.tolist()
        if isinstance(other, list):
            return self.tolist() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.tolist()!r})"


class ProximityScores(LazyColumn[float]):
    """The ``sha256_hex_proximity`` scores of hash values ``D`` against one hash ``W``."""

    __slots__ = ("_w",)

    def __init__(self, values: list[int], w: int) -> None:
        super().__init__(values)
        self._w = w

    def _one(self, value: int) -> float:
        return score_for_difference(abs(value - self._w))

    def _all(self, values: list[int]) -> list[float]:
        w, m = self._w, HASH_MAX
        return [s if (s := (0.6 - abs(d - w) / m) * 1.5) > 0.0 else 0.0 for d in values]

    def at_least(self, threshold: float, passed: U, failed: U) -> list[U]:
        """Per value, ``passed`` when its score is at least ``threshold``, else ``failed``,
        without computing a score: the score falls as ``|D - W|`` grows, so the values
        scoring at least ``threshold`` are those within :func:`widest_difference` of ``W``.
        """
        bound = widest_difference(threshold)
        low, high = self._w - bound, self._w + bound
        return [passed if low <= d <= high else failed for d in self._values]

    def best_rows(self, rows: list[int], size: int) -> list[int]:
        """The rows among ``rows`` scoring at least the ``size``-th best score of them
        (every row when fewer), in row order, computing one score.

        The score falls as ``|D - W|`` grows, so the ``size``-th best score is that of
        the ``size``-th smallest difference, and the rows scoring at least it are those
        within :func:`widest_difference` of that score.
        """
        if len(rows) <= size:
            return rows
        w, values = self._w, self._values
        # The rows within ``reach`` of W, widened until there are ``size`` of them: the
        # ``size`` nearest rows of all are among them, so is the ``size``-th difference.
        reach = max(HASH_MAX // len(rows), 1) * 2 * size
        while True:
            low, high = w - reach, w + reach
            near = [row for row in rows if low <= values[row] <= high]
            if len(near) >= size:
                break
            reach *= 4
        nearest = heapq.nsmallest(size, [abs(values[row] - w) for row in near])[-1]
        # Not cached: the cutoff of each batch is a new score.
        bound = widest_difference.__wrapped__(score_for_difference(nearest))
        low, high = w - bound, w + bound
        return [row for row in rows if low <= values[row] <= high]


class TopDigits(LazyColumn[str | None]):
    """The top digits (:func:`top_digits`) of hash values."""

    __slots__ = ()

    def _one(self, value: int) -> str | None:
        return top_digits(value)

    def _all(self, values: list[int]) -> list[str | None]:
        divisor, width = _TOP_DIGITS_DIVISOR, TOP_DIGITS_LENGTH
        return [str(d // divisor)[:width].rjust(width, "0") for d in values]


@lru_cache(maxsize=64)
def widest_difference(threshold: float) -> int:
    """The largest ``diff`` in [0, 2**256 - 1] whose :func:`score_for_difference` is at
    least ``threshold``; -1 when none is.

    Every step of the score (correctly rounded division, subtraction, multiplication,
    clamp) is monotonic, so the score never rises as ``diff`` grows and the differences
    scoring at least ``threshold`` are exactly ``0..widest_difference(threshold)``.
    """
    if score_for_difference(0) < threshold:
        return -1
    if score_for_difference(HASH_MAX) >= threshold:
        return HASH_MAX
    low, high = 0, HASH_MAX  # score(low) >= threshold > score(high)
    while high - low > 1:
        middle = (low + high) // 2
        if score_for_difference(middle) >= threshold:
            low = middle
        else:
            high = middle
    return low


def sha256_hex_proximity_many(draws: Sequence[str], winning: str) -> BatchScores:
    """Batch form of :func:`sha256_hex_proximity`; bit-identical results, in input order.

    The winning value is hashed once, each draw number once. Hashing runs as a chain of
    C-level ``map`` calls; ``int.from_bytes(digest)`` equals ``int(hexdigest, 16)``.
    Scores and top digits are :class:`LazyColumn` values, computed when read: a draw that
    keeps a few rows computes those, and :meth:`ProximityScores.at_least` decides outcomes
    without them. The upper clamp at 1.0 is left out: the score never exceeds
    ``(0.6 - 0.0) * 1.5``.
    """
    w = _hash_int(_ascii_bytes(winning, "winning value"))
    try:
        ascii_only = all(map(str.isascii, draws))
    except TypeError:
        ascii_only = False
    if not ascii_only:
        for draw in draws:
            _ascii_bytes(draw, "draw number")
    # ASCII text encodes to the same bytes in UTF-8, str.encode's default (its fast path).
    values = list(
        map(int.from_bytes, map(_sha256_digest, map(hashlib.sha256, map(str.encode, draws))))
    )
    return BatchScores(
        scores=ProximityScores(values, w),
        draw_top_digits=TopDigits(values),
        winning_top_digits=top_digits(w),
    )


# --- algorithms and the registry ----------------------------------------------------------


def _check_key(_instance: object, _attribute: Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"algorithm key must be a non-blank string, got {value!r}")


def _check_max_score(_instance: object, _attribute: Attribute[float], value: float) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, Real)
        or not math.isfinite(value)
        or not 0.0 <= float(value) <= 1.0
    ):
        raise ValidationError(f"max_score must be a finite number in [0, 1], got {value!r}")


@frozen
class ScoringAlgorithm:
    """A named scorer; ``max_score`` is the highest score it can return.

    ``batch_scorer``, when set, must give exactly what looping ``scorer`` would.
    """

    key: str = field(validator=_check_key)
    scorer: Scorer
    description: str | None = None
    max_score: float = field(default=1.0, validator=_check_max_score)
    batch_scorer: BatchScorer | None = None

    def evaluate(self, draw: str, winning: str, threshold: float | None = None) -> ScoreEvaluation:
        """Score one draw number; ``passed`` is ``score >= threshold``, None without one."""
        computation = self.scorer(draw, winning)
        score = float(computation.score)
        return ScoreEvaluation(
            algorithm_key=self.key,
            score=score,
            threshold=threshold,
            passed=None if threshold is None else score >= threshold,
            draw_top_digits=computation.draw_top_digits,
            winning_top_digits=computation.winning_top_digits,
        )

    def score_many(self, draws: Sequence[str], winning: str) -> BatchScores:
        """Score many draw numbers against one winning value, in input order."""
        if self.batch_scorer is not None:
            batch = self.batch_scorer(draws, winning)
            if len(batch.scores) != len(draws) or len(batch.draw_top_digits) != len(draws):
                raise ValidationError(
                    f"batch scorer of {self.key!r} returned {len(batch.scores)} scores "
                    f"for {len(draws)} draw numbers"
                )
            return batch
        scores: list[float] = []
        digits: list[str | None] = []
        winning_digits: str | None = None
        for draw in draws:
            computation = self.scorer(draw, winning)
            scores.append(float(computation.score))
            digits.append(computation.draw_top_digits)
            winning_digits = computation.winning_top_digits
        return BatchScores(scores=scores, draw_top_digits=digits, winning_top_digits=winning_digits)


class AlgorithmRegistry:
    """Scoring algorithms by key."""

    def __init__(self) -> None:
        self._algorithms: dict[str, ScoringAlgorithm] = {}

    def register(self, algorithm: ScoringAlgorithm, replace: bool = False) -> None:
        """Add ``algorithm``; a taken key raises ``ConflictError`` unless ``replace``."""
        if not isinstance(algorithm, ScoringAlgorithm):
            raise ValidationError(f"expected a ScoringAlgorithm, got {algorithm!r}")
        if algorithm.key in self._algorithms and not replace:
            raise ConflictError(f"scoring algorithm {algorithm.key!r} is already registered")
        self._algorithms[algorithm.key] = algorithm

    def get(self, key: str) -> ScoringAlgorithm:
        """The algorithm under ``key``; unknown raises ``NotFoundError`` naming the key."""
        try:
            return self._algorithms[key]
        except (KeyError, TypeError):
            known = ", ".join(repr(k) for k in sorted(self._algorithms)) or "none"
            raise NotFoundError(
                f"no scoring algorithm registered under {key!r} (known: {known})"
            ) from None

    def evaluate(
        self, key: str, draw: str, winning: str, threshold: float | None = None
    ) -> ScoreEvaluation:
        """Evaluate with the algorithm under ``key``."""
        return self.get(key).evaluate(draw, winning, threshold)

    def available_algorithms(self) -> dict[str, ScoringAlgorithm]:
        """A copy of the key -> algorithm mapping."""
        return dict(self._algorithms)

    def __contains__(self, key: object) -> bool:
        return key in self._algorithms

    def __len__(self) -> int:
        return len(self._algorithms)

    def __repr__(self) -> str:
        return f"AlgorithmRegistry({sorted(self._algorithms)!r})"


SHA256_HEX_PROXIMITY: Final = ScoringAlgorithm(
    key=SHA256_HEX_PROXIMITY_KEY,
    scorer=sha256_hex_proximity,
    description="SHA-256 proximity of the draw number and the winning value (0 to 0.9)",
    max_score=SHA256_HEX_PROXIMITY_MAX_SCORE,
    batch_scorer=sha256_hex_proximity_many,
)


def new_default_registry() -> AlgorithmRegistry:
    """A fresh registry holding exactly ``sha256_hex_proximity``."""
    registry = AlgorithmRegistry()
    registry.register(SHA256_HEX_PROXIMITY)
    return registry


DEFAULT_SCORING_REGISTRY: Final = new_default_registry()

__all__ = [
    "DEFAULT_SCORING_REGISTRY",
    "HASH_MAX",
    "SHA256_HEX_PROXIMITY",
    "SHA256_HEX_PROXIMITY_KEY",
    "SHA256_HEX_PROXIMITY_MAX_SCORE",
    "AlgorithmRegistry",
    "BatchScorer",
    "BatchScores",
    "LazyColumn",
    "ProximityScores",
    "Scorer",
    "ScoringAlgorithm",
    "TopDigits",
    "derive_draw_number",
    "known_draw_number",
    "new_default_registry",
    "normalize_winning_value",
    "origin_key",
    "score_for_difference",
    "sha256_hex_proximity",
    "sha256_hex_proximity_many",
    "top_digits",
    "widest_difference",
]
