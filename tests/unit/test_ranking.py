"""Ranking of draw results with ties at the cutoff (domain-rules.md §7.6)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nictbw.domain.entities import PrizeDrawResult
from nictbw.domain.errors import ValidationError
from nictbw.domain.ranking import rank_with_ties, ranking_key, validate_limit

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def result(
    score: float | None,
    instance_id: int,
    result_id: int | None = None,
    *,
    outcome: str = "pending",
    evaluated_at: datetime = T0,
) -> PrizeDrawResult:
    return PrizeDrawResult(
        id=result_id,
        draw_type_id=1,
        winning_number_id=1,
        user_id=1,
        definition_id=1,
        nft_instance_id=instance_id,
        draw_number=f"origin-{instance_id}",
        similarity_score=score,
        outcome=outcome,
        evaluated_at=evaluated_at,
    )


def scores_of(results: list[PrizeDrawResult]) -> list[float | None]:
    return [r.similarity_score for r in results]


# A small pool of scores makes ties frequent; ids are unique per result.
results_strategy = st.lists(
    st.tuples(st.sampled_from([0.0, 0.3, 0.5, 0.5000000000000001, 0.7, 0.8999999999999999])),
    max_size=25,
).map(lambda rows: [result(score, 100 - i, i + 1) for i, (score,) in enumerate(rows)])


# --- §7.6 examples ------------------------------------------------------------------------


def test_limit_two_of_09_08_08_07_keeps_both_tied_08s() -> None:
    results = [result(0.8, 3), result(0.7, 4), result(0.9, 2), result(0.8, 1)]
    ranked = rank_with_ties(results, 2)
    assert scores_of(ranked) == [0.9, 0.8, 0.8]
    assert [r.nft_instance_id for r in ranked] == [2, 1, 3]


def test_limit_none_returns_all_sorted() -> None:
    results = [result(0.1, 1), result(0.5, 2), result(0.3, 3)]
    assert scores_of(rank_with_ties(results)) == [0.5, 0.3, 0.1]


def test_limit_above_the_number_of_results_returns_all() -> None:
    assert len(rank_with_ties([result(0.1, 1), result(0.2, 2)], 5)) == 2


def test_empty_input_ranks_to_empty() -> None:
    assert rank_with_ties([], 3) == []


def test_equal_scores_order_by_instance_id_then_result_id() -> None:
    results = [result(0.5, 7, 30), result(0.5, 2, 40), result(0.5, 7, 10)]
    ranked = rank_with_ties(results)
    assert [(r.nft_instance_id, r.id) for r in ranked] == [(2, 40), (7, 10), (7, 30)]


def test_ties_use_exact_float_equality() -> None:
    results = [result(0.9, 1), result(0.5, 2), result(0.5000000000000001, 3)]
    ranked = rank_with_ties(results, 2)
    assert scores_of(ranked) == [0.9, 0.5000000000000001]


def test_ranking_ignores_evaluation_time_and_outcome() -> None:
    early_win = result(0.6, 2, outcome="win", evaluated_at=T0)
    late_lose = result(0.6, 1, outcome="lose", evaluated_at=T0 + timedelta(days=1))
    assert rank_with_ties([early_win, late_lose]) == [late_lose, early_win]


def test_result_without_similarity_cannot_be_ranked() -> None:
    with pytest.raises(ValidationError, match="instance 5 has no similarity"):
        rank_with_ties([result(0.5, 1), result(None, 5, 9)])


def test_rank_with_ties_validates_its_limit() -> None:
    with pytest.raises(ValidationError, match="limit"):
        rank_with_ties([result(0.5, 1)], 0)


def test_unstored_result_sorts_as_id_zero() -> None:
    assert ranking_key(result(0.25, 4, None)) == (-0.25, 4, 0)
    ranked = rank_with_ties([result(0.5, 4, 1), result(0.5, 4, None)])
    assert [r.id for r in ranked] == [None, 1]


# --- properties ---------------------------------------------------------------------------


@given(results_strategy, st.integers(1, 30))
def test_every_returned_result_scores_at_least_every_omitted_one(
    results: list[PrizeDrawResult], limit: int
) -> None:
    ranked = rank_with_ties(results, limit)
    omitted = [r for r in results if r not in ranked]
    for kept in ranked:
        for left_out in omitted:
            assert kept.similarity_score is not None
            assert left_out.similarity_score is not None
            assert kept.similarity_score >= left_out.similarity_score


@given(results_strategy, st.integers(1, 30))
def test_ties_at_the_cutoff_are_all_kept(results: list[PrizeDrawResult], limit: int) -> None:
    ranked = rank_with_ties(results, limit)
    assert len(ranked) >= min(limit, len(results))
    if ranked:
        cutoff = ranked[-1].similarity_score
        omitted = [r for r in results if r not in ranked]
        assert all(r.similarity_score != cutoff for r in omitted)
    if len(ranked) > limit:
        assert ranked[limit].similarity_score == ranked[limit - 1].similarity_score
        assert all(r.similarity_score == ranked[limit - 1].similarity_score for r in ranked[limit:])


@given(results_strategy, st.integers(1, 30))
def test_ranked_results_are_a_prefix_of_the_full_order(
    results: list[PrizeDrawResult], limit: int
) -> None:
    full = rank_with_ties(results)
    ranked = rank_with_ties(results, limit)
    assert ranked == full[: len(ranked)]
    assert [ranking_key(r) for r in full] == sorted(ranking_key(r) for r in results)


@given(results_strategy, st.one_of(st.none(), st.integers(1, 30)), st.randoms())
def test_order_does_not_depend_on_input_order(
    results: list[PrizeDrawResult], limit: int | None, rnd: random.Random
) -> None:
    shuffled = list(results)
    rnd.shuffle(shuffled)
    assert rank_with_ties(shuffled, limit) == rank_with_ties(results, limit)


# --- validate_limit -----------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 2, 10_000])
def test_positive_int_limits_are_accepted(limit: int) -> None:
    assert validate_limit(limit, allow_none=False) == limit


def test_none_limit_is_accepted_where_allowed() -> None:
    assert validate_limit(None, allow_none=True) is None


def test_none_limit_is_refused_where_not_allowed() -> None:
    with pytest.raises(ValidationError, match="limit None"):
        validate_limit(None, allow_none=False)


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        (0, "got 0"),
        (-3, "got -3"),
        (True, "got bool True"),
        (False, "got bool False"),
        (2.0, "got float 2.0"),
        ("3", "got str '3'"),
    ],
)
@pytest.mark.parametrize("allow_none", [True, False])
def test_invalid_limits_are_refused_and_named(
    limit: object, message: str, allow_none: bool
) -> None:
    with pytest.raises(ValidationError, match=message):
        validate_limit(limit, allow_none=allow_none)
