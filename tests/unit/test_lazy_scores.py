"""Lazy proximity columns: the values they compute and the outcomes they decide without
computing scores are exactly those of the single-item scorer (domain-rules.md §7.3)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from nictbw.domain.engine import PrizeDrawEngine
from nictbw.domain.entities import OUTCOME_LOSE, OUTCOME_WIN
from nictbw.domain.errors import ValidationError
from nictbw.domain.scoring import (
    HASH_MAX,
    SHA256_HEX_PROXIMITY_MAX_SCORE,
    ProximityScores,
    TopDigits,
    derive_draw_number,
    known_draw_number,
    score_for_difference,
    sha256_hex_proximity,
    sha256_hex_proximity_many,
    top_digits,
    widest_difference,
)

hash_values = st.integers(0, HASH_MAX)
thresholds = st.one_of(
    st.floats(0.0, 1.0),
    st.sampled_from([0.0, 0.5, 0.7, SHA256_HEX_PROXIMITY_MAX_SCORE, 1.0]),
)


@given(thresholds)
def test_widest_difference_is_the_last_difference_that_passes(threshold: float) -> None:
    bound = widest_difference(threshold)
    if bound >= 0:
        assert score_for_difference(bound) >= threshold
    else:
        assert score_for_difference(0) < threshold
    if bound < HASH_MAX:
        assert score_for_difference(bound + 1) < threshold


@given(thresholds, hash_values, st.lists(hash_values, max_size=20), st.integers(-3, 3))
def test_outcomes_without_scores_equal_comparing_the_scores(
    threshold: float, w: int, values: list[int], shift: int
) -> None:
    bound = widest_difference(threshold)
    edges = [w + bound + shift, w - bound + shift, w - bound - 1, w + bound + 1]
    values = [*values, *(v for v in edges if 0 <= v <= HASH_MAX)]
    column = ProximityScores(values, w)
    expected = [OUTCOME_WIN if s >= threshold else OUTCOME_LOSE for s in column.tolist()]
    assert column.at_least(threshold, OUTCOME_WIN, OUTCOME_LOSE) == expected
    assert column.tolist() == [score_for_difference(abs(v - w)) for v in values]


@given(st.lists(hash_values, min_size=1, max_size=20), hash_values, st.data())
def test_a_lazy_column_reads_alike_by_position_slice_take_and_iteration(
    values: list[int], w: int, data: st.DataObject
) -> None:
    rows = data.draw(st.lists(st.integers(0, len(values) - 1), max_size=10))
    for column, single in (
        (ProximityScores(values, w), lambda v: score_for_difference(abs(v - w))),
        (TopDigits(values), top_digits),
    ):
        expected = [single(v) for v in values]
        assert [column[i] for i in range(len(values))] == expected
        assert column.take(rows) == [expected[r] for r in rows]
        assert column[1:] == expected[1:]
        assert list(column) == expected
        assert column == expected
        assert expected == column
        assert column.take(rows) == [expected[r] for r in rows]  # after computing all
        assert len(column) == len(values)


def test_a_draw_of_the_engine_equals_the_single_item_scorer() -> None:
    draws = [f"{n:x}_0" for n in range(300)]
    engine = PrizeDrawEngine()
    batch = engine.evaluate_columns(
        list(range(300)),
        draws,
        algorithm_key="sha256_hex_proximity",
        winning_value="ABC",
        threshold=0.7,
    )
    singles = [sha256_hex_proximity(d, "abc") for d in draws]
    assert batch.outcomes == [OUTCOME_WIN if s.score >= 0.7 else OUTCOME_LOSE for s in singles]
    assert OUTCOME_WIN in batch.outcomes
    assert OUTCOME_LOSE in batch.outcomes
    assert sha256_hex_proximity_many(draws, "abc").scores == [s.score for s in singles]


@given(
    hash_values,
    st.lists(st.integers(0, 40), max_size=30),
    st.lists(hash_values, max_size=30),
    st.integers(1, 12),
    st.data(),
)
def test_best_rows_are_those_scoring_at_least_the_size_th_best_score(
    w: int, offsets: list[int], spread: list[int], size: int, data: st.DataObject
) -> None:
    """Rows near the window's edge, tied scores and values anywhere included:
    ``best_rows`` keeps exactly the rows scoring at least the ``size``-th best score of
    the rows given."""
    bound = widest_difference(0.7)
    near = [w + bound - 20 + offset for offset in offsets]
    values = [v for v in [*near, *spread] if 0 <= v <= HASH_MAX] or [w]
    rows = data.draw(st.lists(st.integers(0, len(values) - 1), unique=True))
    column = ProximityScores(values, w)
    scores = column.tolist()
    picked = [scores[row] for row in rows]
    if len(rows) <= size:
        expected = rows
    else:
        cutoff = sorted(picked, reverse=True)[size - 1]
        expected = [row for row, score in zip(rows, picked, strict=True) if score >= cutoff]
    assert column.best_rows(rows, size) == expected


@given(st.one_of(st.none(), st.integers(), st.text(max_size=10), st.sampled_from([" Ab_0", "ab"])))
def test_known_draw_number_is_the_draw_number_or_none(origin: object) -> None:
    try:
        expected: str | None = derive_draw_number(origin)
    except ValidationError:
        expected = None
    got = known_draw_number(origin)
    assert got == expected
    if got is not None and got == origin and type(origin) is str:
        assert got is origin
