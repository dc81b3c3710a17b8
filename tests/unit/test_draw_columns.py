"""The columnar draw path equals the object path (hypothesis, random inputs).

A draw reads candidates as ``CandidateColumns``, filters them column by column, scores
them with ``evaluate_columns`` and stores a ``DrawResultColumns``; the object path built a
``DrawCandidate`` per instance, filtered with ``is_draw_eligible``, scored with
``evaluate`` and built one ``PrizeDrawResult`` per candidate. Both must give the same
results, field for field, in the same order; the rows a draw keeps (wins, the best ``top``)
must be the ones the object path keeps.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nictbw.app.workflows.draws import StoredBatch
from nictbw.domain.engine import BatchEvaluation, PrizeDrawEngine
from nictbw.domain.entities import (
    OUTCOME_WIN,
    CandidateColumns,
    DrawCandidate,
    DrawResultColumns,
    InstanceStatus,
    PrizeDrawResult,
    no_none,
)
from nictbw.domain.errors import ValidationError
from nictbw.domain.ranking import rank_with_cap
from nictbw.domain.scoring import known_draw_number

ALGORITHM = "sha256_hex_proximity"
AT = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)

origins = st.one_of(
    st.none(),
    st.text(alphabet="0123456789abcdef", min_size=1, max_size=64).map(lambda h: f"{h}_0"),
)
candidate_lists = st.lists(
    st.tuples(
        st.integers(1, 50),
        st.integers(1, 12),
        origins,
        st.sampled_from([s.value for s in InstanceStatus]),
    ),
    max_size=40,
).map(
    lambda rows: [
        DrawCandidate(
            instance_id=n + 1,
            user_id=user,
            definition_id=definition,
            nft_origin=origin,
            status=status,
        )
        for n, (user, definition, origin, status) in enumerate(rows)
    ]
)
winning_values = st.one_of(st.none(), st.text(alphabet="0123456789ABCDEF", min_size=1, max_size=64))
thresholds = st.one_of(st.none(), st.floats(0.0, 0.85))


def _object_path(
    candidates: list[DrawCandidate], winning: str | None, threshold: float | None
) -> list[PrizeDrawResult]:
    eligible = [c for c in candidates if c.is_draw_eligible]
    engine = PrizeDrawEngine()
    by_id = {c.instance_id: c for c in eligible}
    results: list[PrizeDrawResult] = []
    for batch in engine.evaluate(
        [(c.instance_id, c.nft_origin or "") for c in eligible],
        algorithm_key=ALGORITHM,
        winning_value=winning,
        threshold=threshold,
    ):
        for r in batch:
            candidate = by_id[r.instance_id]
            results.append(
                PrizeDrawResult(
                    draw_type_id=3,
                    winning_number_id=None if winning is None else 7,
                    user_id=candidate.user_id,
                    definition_id=candidate.definition_id,
                    nft_instance_id=r.instance_id,
                    draw_number=r.draw_number,
                    similarity_score=r.score,
                    draw_top_digits=r.draw_top_digits,
                    winning_top_digits=r.winning_top_digits,
                    threshold_used=threshold,
                    outcome=r.outcome,
                    evaluated_at=AT,
                )
            )
    return results


def _columnar_path(
    candidates: list[DrawCandidate], winning: str | None, threshold: float | None
) -> DrawResultColumns:
    pool = CandidateColumns.of(candidates)
    eligible = pool.take(pool.eligible_rows())
    scored = PrizeDrawEngine().evaluate_columns(
        eligible.instance_ids,
        [origin or "" for origin in eligible.nft_origins],
        algorithm_key=ALGORITHM,
        winning_value=winning,
        threshold=threshold,
    )
    return DrawResultColumns(
        draw_type_id=3,
        winning_number_id=None if winning is None else 7,
        winning_top_digits=scored.winning_top_digits,
        threshold_used=threshold,
        evaluated_at=AT,
        user_ids=eligible.user_ids,
        definition_ids=eligible.definition_ids,
        nft_instance_ids=eligible.instance_ids,
        draw_numbers=scored.draw_numbers,
        similarity_scores=scored.scores,
        draw_top_digits=scored.draw_top_digits,
        outcomes=scored.outcomes,
    )


@settings(max_examples=200, deadline=None)
@given(candidate_lists, winning_values, thresholds, st.integers(1, 10))
def test_the_columnar_path_gives_the_object_path_results(
    candidates: list[DrawCandidate], winning: str | None, threshold: float | None, top: int
) -> None:
    expected = _object_path(candidates, winning, threshold)
    columns = _columnar_path(candidates, winning, threshold)
    assert columns.results() == expected
    assert [columns.result(row) for row in range(len(columns))] == expected
    ids = [1000 + row for row in range(len(columns))]
    batch = StoredBatch(columns, ids)
    for row, result in enumerate(expected):
        result.id = ids[row]
    assert batch.results() == expected
    wins = [r for r in expected if r.outcome == OUTCOME_WIN]
    assert batch.results(batch.rows_with_outcome(OUTCOME_WIN)) == wins
    scored = [r for r in expected if r.similarity_score is not None]
    assert rank_with_cap(batch.results(batch.best_rows(top)), top, None) == rank_with_cap(
        scored, top, None
    )
    if scored:
        scores = [r.similarity_score for r in expected]
        assert batch.best_rows(top) == _rows_at_least_the_top_th(scores, top)


def _rows_at_least_the_top_th(scores: list[float | None], top: int) -> list[int]:
    """The scored rows scoring at least the ``top``-th best score, in row order."""
    present = sorted((s for s in scores if s is not None), reverse=True)
    if not present:
        return []
    cutoff = present[min(top, len(present)) - 1]
    return [row for row, score in enumerate(scores) if score is not None and score >= cutoff]


@given(candidate_lists)
def test_candidate_columns_hold_the_candidates(candidates: list[DrawCandidate]) -> None:
    pool = CandidateColumns.of(candidates)
    assert len(pool) == len(candidates)
    rebuilt = [
        DrawCandidate(*row)
        for row in zip(
            pool.instance_ids,
            pool.user_ids,
            pool.definition_ids,
            pool.nft_origins,
            pool.statuses,
            strict=True,
        )
    ]
    assert rebuilt == candidates
    eligible = pool.eligible_rows()
    assert [candidates[r] for r in eligible] == [c for c in candidates if c.is_draw_eligible]
    taken = pool.take(eligible)
    assert taken.instance_ids == [candidates[r].instance_id for r in eligible]
    assert pool.slice(1, 3).instance_ids == [c.instance_id for c in candidates[1:3]]


any_origins = st.one_of(
    origins,
    st.sampled_from([" AB_0", "ab_0 ", "Ab_1", "", "   ", "caf\u00e9_0", "x\ty_0"]),
    st.text(max_size=8),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(any_origins, max_size=30), winning_values, thresholds, st.booleans(), st.data())
def test_draw_numbers_given_with_the_candidates_change_nothing(
    given_origins: list[str | None],
    winning: str | None,
    threshold: float | None,
    shared: bool,
    data: st.DataObject,
) -> None:
    """Draw numbers read with the candidates (``known_draw_number`` per origin, the origins
    column itself when every origin is its own) give the evaluation the origins give, and
    survive ``take`` and ``slice`` row for row."""
    count = len(given_origins)
    known = [None if o is None else known_draw_number(o) for o in given_origins]
    if shared:
        given_origins = [o if o is None or known_draw_number(o) is o else None for o in known]
        known = given_origins
    pool = CandidateColumns(
        list(range(1, count + 1)),
        [1] * count,
        [2] * count,
        given_origins,
        ["succeeded"] * count,
        draw_numbers=known,
    )
    rows = data.draw(st.lists(st.integers(0, max(count - 1, 0)), max_size=count)) if count else []
    for part, picked in (
        (pool.take(rows), rows),
        (pool.slice(1, count - 1), list(range(1, max(count - 1, 1)))),
    ):
        assert part.nft_origins == [given_origins[r] for r in picked]
        assert part.draw_numbers == [known[r] for r in picked]
    plain_origins = [o or "" for o in given_origins]

    def evaluate(draw_numbers: list[str | None] | None) -> BatchEvaluation:
        return PrizeDrawEngine().evaluate_columns(
            pool.instance_ids,
            plain_origins,
            algorithm_key=ALGORITHM,
            winning_value=winning,
            threshold=threshold,
            draw_numbers=draw_numbers,
        )

    try:
        expected = evaluate(None)
    except ValidationError as error:
        message = str(error)
        with pytest.raises(ValidationError, match=f"^{re.escape(message)}$"):
            evaluate(known)
        return
    got = evaluate(known)
    assert got.draw_numbers == expected.draw_numbers
    assert got.results() == expected.results()


@given(st.lists(st.one_of(st.none(), st.integers(-2, 2), st.text(max_size=2))))
def test_no_none_is_none_not_in(column: list[object]) -> None:
    assert no_none(column) == (None not in column)


@given(
    st.lists(st.one_of(st.none(), st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0])), max_size=12),
    st.integers(1, 5),
)
def test_best_rows_of_plain_scores_skip_the_unscored_and_keep_ties(
    scores: list[float | None], top: int
) -> None:
    """Scores of an algorithm other than the proximity one come as a plain column."""
    n = len(scores)
    columns = DrawResultColumns(
        draw_type_id=1,
        winning_number_id=1,
        winning_top_digits=None,
        threshold_used=None,
        evaluated_at=None,
        user_ids=[1] * n,
        definition_ids=[1] * n,
        nft_instance_ids=list(range(1, n + 1)),
        draw_numbers=["x"] * n,
        similarity_scores=scores,  # type: ignore[arg-type]  # None marks an unscored row
        draw_top_digits=[None] * n,
        outcomes=["lose"] * n,
    )
    expected = _rows_at_least_the_top_th(scores, top)
    assert StoredBatch(columns, list(range(n))).best_rows(top) == expected
