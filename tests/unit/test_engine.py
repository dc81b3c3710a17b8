"""The prize-draw engine: thresholds, outcomes, batches (domain-rules.md §7.2-7.4)."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nictbw.domain.engine import EngineResult, PrizeDrawEngine, outcome_for, resolve_threshold
from nictbw.domain.entities import ScoreComputation
from nictbw.domain.errors import ValidationError
from nictbw.domain.ranking import rank_with_ties
from nictbw.domain.scoring import (
    SHA256_HEX_PROXIMITY,
    AlgorithmRegistry,
    ScoringAlgorithm,
    sha256_hex_proximity,
)

KEY = "sha256_hex_proximity"
ABC_VS_ABD = 0.7752364105046057


def engine_results(
    engine: PrizeDrawEngine, candidates: list[tuple[int, str]], **kwargs: object
) -> list[EngineResult]:
    return [r for batch in engine.evaluate(candidates, **kwargs) for r in batch]  # type: ignore[arg-type]


# --- §7.4 threshold resolution ------------------------------------------------------------


@pytest.mark.parametrize(
    "explicit",
    [float("nan"), float("inf"), float("-inf"), True, False, -0.1, 1.1, "0.5", [0.5]],
)
def test_invalid_explicit_threshold_is_refused_and_named(explicit: object) -> None:
    with pytest.raises(ValidationError, match="threshold"):
        resolve_threshold(explicit, None, SHA256_HEX_PROXIMITY)


def test_threshold_09_is_unreachable_for_sha256_hex_proximity() -> None:
    with pytest.raises(ValidationError, match=r"threshold 0\.9 is above the maximum score"):
        resolve_threshold(0.9, None, SHA256_HEX_PROXIMITY)


def test_default_threshold_above_max_score_is_refused_too() -> None:
    with pytest.raises(ValidationError, match="above the maximum score"):
        resolve_threshold(None, 0.95, SHA256_HEX_PROXIMITY)


def test_threshold_equal_to_max_score_is_accepted() -> None:
    assert resolve_threshold(0.8999999999999999, None, SHA256_HEX_PROXIMITY) == 0.8999999999999999


def test_threshold_09_is_accepted_by_an_algorithm_that_can_reach_it() -> None:
    algorithm = ScoringAlgorithm(key="full", scorer=sha256_hex_proximity)
    assert resolve_threshold(0.9, None, algorithm) == 0.9


def test_explicit_threshold_overrides_the_default() -> None:
    assert resolve_threshold(0.2, 0.5, SHA256_HEX_PROXIMITY) == 0.2


def test_default_threshold_is_used_without_an_explicit_one() -> None:
    assert resolve_threshold(None, 0.5, SHA256_HEX_PROXIMITY) == 0.5


def test_no_threshold_at_all_resolves_to_none() -> None:
    assert resolve_threshold(None, None, SHA256_HEX_PROXIMITY) is None


@pytest.mark.parametrize(("explicit", "expected"), [(0, 0.0), (Fraction(1, 4), 0.25)])
def test_resolved_threshold_is_a_float(explicit: object, expected: float) -> None:
    resolved = resolve_threshold(explicit, None, SHA256_HEX_PROXIMITY)
    assert type(resolved) is float
    assert resolved == expected


# --- §7.4 outcomes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "threshold", "outcome"),
    [
        (None, None, "pending"),
        (None, 0.5, "pending"),
        (0.7, None, "pending"),
        (0.7, 0.7, "win"),
        (0.7, 0.6, "win"),
        (0.7, 0.8, "lose"),
        (0.0, 0.0, "win"),
    ],
)
def test_outcome_follows_score_and_threshold(
    score: float | None, threshold: float | None, outcome: str
) -> None:
    assert outcome_for(score, threshold) == outcome


# --- the workflow example -----------------------------------------------------------------


@pytest.mark.parametrize(("threshold", "outcome"), [(0.8, "lose"), (0.7, "win")])
def test_origin_abc_against_winning_abd_example(threshold: float, outcome: str) -> None:
    result = PrizeDrawEngine().evaluate_one(
        7, "ABC", algorithm_key=KEY, winning_value=" ABD ", threshold=threshold
    )
    assert result == EngineResult(
        instance_id=7,
        draw_number="abc",
        score=ABC_VS_ABD,
        draw_top_digits="8434236848",
        winning_top_digits="7471127736",
        outcome=outcome,
    )


@pytest.mark.parametrize("winning", ["ABD", " abd ", "abd"])
def test_case_and_spaces_of_the_winning_value_never_change_a_score(winning: str) -> None:
    [result] = engine_results(
        PrizeDrawEngine(), [(1, "abc")], algorithm_key=KEY, winning_value=winning, threshold=None
    )
    assert result.score == ABC_VS_ABD


def test_evaluation_without_winning_value_is_pending_with_no_score() -> None:
    result = PrizeDrawEngine().evaluate_one(
        3, " X ", algorithm_key=KEY, winning_value=None, threshold=0.5
    )
    assert result == EngineResult(
        instance_id=3,
        draw_number="x",
        score=None,
        draw_top_digits=None,
        winning_top_digits=None,
        outcome="pending",
    )


def test_batch_without_winning_value_is_all_pending() -> None:
    results = engine_results(
        PrizeDrawEngine(),
        [(1, "a"), (2, "B")],
        algorithm_key=KEY,
        winning_value=None,
        threshold=0.1,
    )
    assert [(r.draw_number, r.score, r.draw_top_digits, r.outcome) for r in results] == [
        ("a", None, None, "pending"),
        ("b", None, None, "pending"),
    ]


def test_scored_result_without_threshold_is_pending_with_score() -> None:
    result = PrizeDrawEngine().evaluate_one(
        1, "abc", algorithm_key=KEY, winning_value="abd", threshold=None
    )
    assert (result.score, result.draw_top_digits, result.outcome) == (
        ABC_VS_ABD,
        "8434236848",
        "pending",
    )


# --- batches and streaming ----------------------------------------------------------------


def test_evaluate_yields_one_list_per_batch_in_candidate_order() -> None:
    candidates = [(i, f"origin-{i}") for i in range(5)]
    batches = list(
        PrizeDrawEngine().evaluate(
            candidates, algorithm_key=KEY, winning_value="origin-0", threshold=0.5, batch_size=2
        )
    )
    assert [[r.instance_id for r in batch] for batch in batches] == [[0, 1], [2, 3], [4]]
    assert [r.outcome for r in batches[0]] == ["win", "lose"]


def test_evaluate_reads_candidates_one_batch_at_a_time() -> None:
    consumed: list[int] = []

    def candidates() -> Iterator[tuple[int, str]]:
        for i in range(1_000_000):
            consumed.append(i)
            yield (i, f"origin-{i}")

    batches = PrizeDrawEngine().evaluate(
        candidates(), algorithm_key=KEY, winning_value="w", threshold=None, batch_size=3
    )
    first = next(batches)
    assert len(first) == 3
    assert len(consumed) <= 4


def test_no_candidates_yield_no_batches() -> None:
    batches = PrizeDrawEngine().evaluate([], algorithm_key=KEY, winning_value="w", threshold=None)
    assert list(batches) == []


@given(
    st.lists(
        st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1),
        max_size=20,
    ),
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1),
    st.integers(1, 7),
)
def test_batches_agree_with_evaluating_one_by_one(
    origins: list[str], winning: str, batch_size: int
) -> None:
    engine = PrizeDrawEngine()
    candidates = list(enumerate(origins))
    batched = [
        r
        for batch in engine.evaluate(
            candidates,
            algorithm_key=KEY,
            winning_value=winning,
            threshold=0.4,
            batch_size=batch_size,
        )
        for r in batch
    ]
    one_by_one = [
        engine.evaluate_one(i, origin, algorithm_key=KEY, winning_value=winning, threshold=0.4)
        for i, origin in candidates
    ]
    assert batched == one_by_one


def test_algorithm_without_batch_scorer_runs_through_the_engine() -> None:
    registry = AlgorithmRegistry()
    registry.register(
        ScoringAlgorithm(
            key="length",
            scorer=lambda d, w: ScoreComputation(score=len(d) / 10),
            max_score=1.0,
        )
    )
    results = engine_results(
        PrizeDrawEngine(registry),
        [(1, "abcd"), (2, "ab")],
        algorithm_key="length",
        winning_value="w",
        threshold=0.3,
    )
    assert [(r.score, r.outcome, r.draw_top_digits) for r in results] == [
        (0.4, "win", None),
        (0.2, "lose", None),
    ]


# --- refusals -----------------------------------------------------------------------------


def test_unknown_algorithm_key_is_a_validation_error_naming_it() -> None:
    with pytest.raises(ValidationError, match="unknown scoring algorithm 'nope'"):
        PrizeDrawEngine().algorithm("nope")


def test_evaluate_refuses_an_unknown_key_at_call_time() -> None:
    with pytest.raises(ValidationError, match="'nope'"):
        PrizeDrawEngine().evaluate([], algorithm_key="nope", winning_value="w", threshold=None)


def test_unknown_key_is_refused_even_when_the_result_would_be_pending() -> None:
    with pytest.raises(ValidationError, match="'nope'"):
        PrizeDrawEngine().evaluate_one(
            1, "a", algorithm_key="nope", winning_value=None, threshold=None
        )


def test_evaluate_refuses_an_unreachable_threshold_at_call_time() -> None:
    with pytest.raises(ValidationError, match="above the maximum score"):
        PrizeDrawEngine().evaluate([], algorithm_key=KEY, winning_value="w", threshold=0.9)


def test_evaluate_refuses_a_blank_winning_value_at_call_time() -> None:
    with pytest.raises(ValidationError, match="winning value '  ' is blank"):
        PrizeDrawEngine().evaluate([], algorithm_key=KEY, winning_value="  ", threshold=None)


@pytest.mark.parametrize("batch_size", [0, -1, True, 2.5])
def test_evaluate_refuses_a_bad_batch_size(batch_size: object) -> None:
    with pytest.raises(ValidationError, match="batch_size"):
        PrizeDrawEngine().evaluate(
            [],
            algorithm_key=KEY,
            winning_value="w",
            threshold=None,
            batch_size=batch_size,  # type: ignore[arg-type]
        )


def test_invalid_origin_names_the_instance_and_the_origin() -> None:
    batches = PrizeDrawEngine().evaluate(
        [(1, "ok"), (42, "   ")], algorithm_key=KEY, winning_value="w", threshold=None
    )
    with pytest.raises(ValidationError, match="instance 42: origin '   ' is blank"):
        next(batches)


def test_engine_exposes_rank_with_ties() -> None:
    assert PrizeDrawEngine.rank_with_ties is rank_with_ties
    assert PrizeDrawEngine().rank_with_ties([]) == []


def test_engine_uses_the_registry_it_was_given() -> None:
    registry = AlgorithmRegistry()
    assert PrizeDrawEngine(registry).registry is registry
    with pytest.raises(ValidationError, match="sha256_hex_proximity"):
        PrizeDrawEngine(registry).algorithm(KEY)
