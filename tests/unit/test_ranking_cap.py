"""The per-user winner cap on top of the §7.6 ranking."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nictbw.domain.entities import PrizeDrawResult
from nictbw.domain.errors import ValidationError
from nictbw.domain.ranking import (
    FROM_DRAW_TYPE,
    rank_with_cap,
    rank_with_ties,
    rankable_rows,
    ranking_key,
    resolve_cap,
)

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
SCORES = [0.0, 0.3, 0.5, 0.7, 0.9]


def result(score: float, instance_id: int, user_id: int) -> PrizeDrawResult:
    return PrizeDrawResult(
        id=instance_id,
        draw_type_id=1,
        winning_number_id=1,
        user_id=user_id,
        definition_id=1,
        nft_instance_id=instance_id,
        draw_number=f"origin-{instance_id}",
        similarity_score=score,
        outcome="pending",
        evaluated_at=T0,
    )


results_strategy = st.lists(st.tuples(st.sampled_from(SCORES), st.integers(1, 4)), max_size=30).map(
    lambda rows: [result(score, i + 1, user) for i, (score, user) in enumerate(rows)]
)
limits = st.none() | st.integers(1, 8)
caps = st.integers(1, 4)


def test_one_user_holding_the_top_three_takes_one_prize() -> None:
    results = [result(0.9, 1, 7), result(0.8, 2, 7), result(0.7, 3, 7), result(0.6, 4, 8)]
    ranked = rank_with_cap(results, 2, 1)
    assert [(r.user_id, r.nft_instance_id) for r in ranked] == [(7, 1), (8, 4)]


def test_ties_at_the_cutoff_are_kept_but_capped_users_skipped() -> None:
    results = [
        result(0.9, 1, 1),
        result(0.5, 2, 2),
        result(0.5, 3, 1),
        result(0.5, 4, 3),
        result(0.4, 5, 4),
    ]
    ranked = rank_with_cap(results, 2, 1)
    assert [r.nft_instance_id for r in ranked] == [1, 2, 4]


@pytest.mark.parametrize("bad", [0, -3, True, 1.5, "2"])
def test_a_bad_cap_is_refused_naming_it(bad: object) -> None:
    with pytest.raises(ValidationError, match="max_wins_per_user"):
        rank_with_cap([], None, bad)  # type: ignore[arg-type]


def test_resolve_cap_prefers_the_override_and_none_lifts_the_cap() -> None:
    assert resolve_cap(FROM_DRAW_TYPE, 2) == 2
    assert resolve_cap(FROM_DRAW_TYPE, None) is None
    assert resolve_cap(None, 2) is None
    assert resolve_cap(3, 2) == 3


@given(results_strategy, limits)
def test_no_cap_is_the_plain_ranking(results: list[PrizeDrawResult], limit: int | None) -> None:
    assert rank_with_cap(results, limit, None) == rank_with_ties(results, limit)


@given(results_strategy, limits, caps)
def test_no_user_exceeds_the_cap(
    results: list[PrizeDrawResult], limit: int | None, cap: int
) -> None:
    ranked = rank_with_cap(results, limit, cap)
    assert all(n <= cap for n in Counter(r.user_id for r in ranked).values())
    assert ranked == sorted(ranked, key=ranking_key)


@given(results_strategy, limits, caps)
def test_every_left_out_result_is_capped_or_below_the_cutoff(
    results: list[PrizeDrawResult], limit: int | None, cap: int
) -> None:
    ranked = rank_with_cap(results, limit, cap)
    kept = {r.nft_instance_id for r in ranked}
    if limit is not None and len(ranked) >= limit:
        cutoff = ranked[limit - 1].similarity_score
        assert all(r.similarity_score == cutoff for r in ranked[limit:])
    for left_out in (r for r in results if r.nft_instance_id not in kept):
        before = [r for r in ranked if ranking_key(r) < ranking_key(left_out)]
        capped = sum(r.user_id == left_out.user_id for r in before) >= cap
        below = (
            limit is not None
            and len(ranked) >= limit
            and left_out.similarity_score != ranked[limit - 1].similarity_score
            and ranking_key(left_out) > ranking_key(ranked[limit - 1])
        )
        assert capped or below


@given(results_strategy, st.integers(1, 8), caps, st.integers(1, 7))
def test_pruning_batch_by_batch_gives_the_one_shot_ranking(
    results: list[PrizeDrawResult], limit: int, cap: int, batch: int
) -> None:
    """What the draws rely on: cutting after every batch loses no future winner."""
    kept: list[PrizeDrawResult] = []
    for start in range(0, len(results), batch):
        kept = rank_with_cap(kept + results[start : start + batch], limit, cap)
    assert kept == rank_with_cap(results, limit, cap)


# --- rankable_rows ------------------------------------------------------------------------


@given(
    st.lists(st.tuples(st.integers(1, 4), st.sampled_from([0.1, 0.2, 0.3, 0.5])), max_size=30),
    st.lists(st.tuples(st.integers(1, 4), st.sampled_from([0.2, 0.3, 0.4])), max_size=8),
    st.one_of(st.none(), st.integers(1, 6)),
    st.one_of(st.none(), st.integers(1, 3)),
)
def test_rankable_rows_keep_every_row_the_ranking_can_keep(
    batch: list[tuple[int, float]],
    earlier: list[tuple[int, float]],
    limit: int | None,
    cap: int | None,
) -> None:
    def results(rows: list[tuple[int, float]], first: int) -> list[PrizeDrawResult]:
        return [
            PrizeDrawResult(
                id=first + n,
                draw_type_id=1,
                user_id=user,
                definition_id=1,
                nft_instance_id=first + n,
                draw_number="d",
                similarity_score=score,
            )
            for n, (user, score) in enumerate(rows)
        ]

    before = results(earlier, 1_000)
    every = results(batch, 1)
    rows = rankable_rows(
        list(range(len(batch))), [s for _, s in batch], [u for u, _ in batch], limit, cap
    )
    assert rows == sorted(rows)
    kept = [every[row] for row in rows]
    assert rank_with_cap(before + kept, limit, cap) == rank_with_cap(before + every, limit, cap)
