"""DrawOutcome: the list of winners callers always had, plus the facts of the draw."""

from __future__ import annotations

import copy
import pickle
from datetime import UTC, datetime

import nictbw
from nictbw.domain.entities import PrizeDrawResult, PrizeDrawWinningNumber
from nictbw.domain.outcomes import DrawOutcome

NOW = datetime(2026, 1, 1, tzinfo=UTC)
NUMBER = PrizeDrawWinningNumber(id=7, draw_type_id=1, value="ABD", created_at=NOW)


def _result(instance_id: int, score: float) -> PrizeDrawResult:
    return PrizeDrawResult(
        draw_type_id=1,
        winning_number_id=7,
        user_id=1,
        definition_id=1,
        nft_instance_id=instance_id,
        draw_number=f"n{instance_id}",
        similarity_score=score,
        outcome="win",
        evaluated_at=NOW,
    )


def _outcome(*results: PrizeDrawResult) -> DrawOutcome:
    return DrawOutcome(
        results, winning_number=NUMBER, threshold=0.5, eligible=3, ineligible=1, evaluated=3
    )


def test_an_outcome_behaves_as_the_list_of_its_winners() -> None:
    first, second = _result(1, 0.9), _result(2, 0.8)
    outcome = _outcome(first, second)
    assert outcome == [first, second]
    assert [first, second] == outcome
    assert len(outcome) == 2
    assert outcome[0] is first
    assert outcome[-1:] == [second]
    assert list(outcome) == outcome.winners == [first, second]
    assert outcome != [second, first]


def test_an_outcome_carries_the_facts_of_the_draw() -> None:
    outcome = _outcome(_result(1, 0.9))
    assert outcome.winning_number is NUMBER
    assert (outcome.threshold, outcome.eligible, outcome.ineligible, outcome.evaluated) == (
        0.5,
        3,
        1,
        3,
    )
    assert "eligible=3" in repr(outcome)


def test_an_outcome_survives_copy_and_pickle() -> None:
    outcome = _outcome(_result(1, 0.9))
    for clone in (copy.copy(outcome), copy.deepcopy(outcome), pickle.loads(pickle.dumps(outcome))):
        assert isinstance(clone, DrawOutcome)
        assert clone == outcome
        assert clone.eligible == 3
        assert clone.winning_number == NUMBER


def test_the_outcome_is_exported_by_the_package() -> None:
    assert nictbw.DrawOutcome is DrawOutcome
