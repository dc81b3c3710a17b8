"""nictbw.testing.golden: nictbw's own engine reproduces its published reference data."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from nictbw.app.simulation import run_simulation
from nictbw.domain.bingo import layout_card
from nictbw.domain.entities import NFTDefinition
from nictbw.domain.scoring import DEFAULT_SCORING_REGISTRY, sha256_hex_proximity
from nictbw.testing.golden import (
    BINGO_WORKED_EXAMPLE,
    REFERENCE_EVENT_REPORT,
    REFERENCE_EVENT_SETTINGS,
    SCORING_ALGORITHM,
    SCORING_MAX,
    SCORING_VECTORS,
    ScoringVector,
    reference_report,
)


@pytest.mark.parametrize("vector", SCORING_VECTORS, ids=lambda v: f"{v.draw}-{v.winning}")
def test_scoring_vectors(vector: ScoringVector) -> None:
    result = sha256_hex_proximity(vector.draw, vector.winning)
    assert result.score == vector.score
    assert result.draw_top_digits == vector.draw_top_digits
    assert result.winning_top_digits == vector.winning_top_digits


def test_scoring_maximum_is_the_registered_one() -> None:
    assert DEFAULT_SCORING_REGISTRY.get(SCORING_ALGORITHM).max_score == SCORING_MAX


def test_bingo_worked_example_by_hand() -> None:
    example = BINGO_WORKED_EXAMPLE
    rng = random.Random(example.seed)
    chosen = rng.sample(sorted(example.candidates), 8)
    positions = [0, 1, 2, 3, 5, 6, 7, 8]
    rng.shuffle(positions)
    assert tuple(chosen) == example.chosen
    assert tuple(positions) == example.positions


def test_bingo_worked_example_through_layout_card() -> None:
    example = BINGO_WORKED_EXAMPLE
    definitions = [
        NFTDefinition(id=i, prefix=f"D{i}", shared_key="k", name="n")
        for i in (example.centre, *example.candidates)
    ]
    card = layout_card(
        random.Random(example.seed),
        user_id=1,
        center=definitions[0],
        definitions=definitions,
        held={},
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )
    targets = {cell.idx: cell.target_definition_id for cell in card.cells}
    assert tuple(targets[i] for i in range(9)) == example.targets_by_idx


def test_reference_event_reproduces_its_report(uow_factory: Callable[[], Any]) -> None:
    report = run_simulation(uow_factory, REFERENCE_EVENT_SETTINGS)
    report.pop("timings")
    assert report == REFERENCE_EVENT_REPORT


def test_reference_report_copies_are_independent() -> None:
    copy = reference_report()
    copy["counts"]["users"] = -1
    assert REFERENCE_EVENT_REPORT["counts"]["users"] == REFERENCE_EVENT_SETTINGS.users
