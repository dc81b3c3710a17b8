"""The columnar ports of the draw path, on every backend.

- ``BingoCardRepository.completed_line_candidate_columns``: the rows of
  ``completed_line_candidates``, same order, as columns (statuses included: the draw
  filters eligibility itself);
- ``DrawResultRepository.upsert_columns``: stores what ``upsert_many`` stores for the
  same results, returns each row's id in row order, overwrites by key keeping the id,
  and a key given twice ends with its last row.
"""

from __future__ import annotations

from typing import Any

import pytest

from nictbw.domain.entities import (
    CandidateColumns,
    DrawResultColumns,
    PrizeDrawResult,
)
from nictbw.workflows import submit_winning_number
from tests.contract.helpers import (
    CANDIDATES,
    T0,
    TRIGGER,
    UowFactory,
    World,
    add_draw_type,
    add_users,
    build_world,
    issue,
)


@pytest.fixture
def world(uow_factory: UowFactory) -> World:
    return build_world(uow_factory)


def _full_cards(world: World, count: int) -> None:
    """``count`` users, each holding the trigger and every candidate: complete lines."""
    users = add_users(world, *(f"full{n}" for n in range(count)))
    with world.factory() as uow:
        for n, user in enumerate(users):
            issue(uow, world, user, TRIGGER, origin=f"{n:062x}ff_0", seed=n)
            for k, prefix in enumerate(CANDIDATES):
                issue(uow, world, user, prefix, origin=f"{n:060x}{k:04x}_0", seed=100 * n + k)
        uow.commit()


def test_candidate_columns_are_the_candidates_as_columns(world: World) -> None:
    _full_cards(world, 3)
    with world.factory() as uow:
        objects = uow.bingo_cards.completed_line_candidates(T0)
        columns = uow.bingo_cards.completed_line_candidate_columns(T0)
    assert len(objects) > 3
    assert columns == CandidateColumns.of(objects)
    assert columns.instance_ids == sorted(columns.instance_ids)


def test_candidate_columns_of_no_card_are_empty(world: World) -> None:
    with world.factory() as uow:
        columns = uow.bingo_cards.completed_line_candidate_columns(T0)
    assert len(columns) == 0
    assert columns == CandidateColumns([], [], [], [], [])


def _results(world: World) -> tuple[int, int, list[Any]]:
    _full_cards(world, 2)
    with world.factory() as uow:
        draw_type = add_draw_type(uow, world, "columns", threshold=0.5)
        number = submit_winning_number(uow, draw_type, "ABD", clock=world.clock)
        instances = uow.instances.list()
        uow.commit()
    assert draw_type.id is not None
    assert number.id is not None
    return draw_type.id, number.id, instances


def _columns(
    draw_type_id: int, number_id: int | None, instances: list[Any], tag: str
) -> DrawResultColumns:
    count = len(instances)
    scored = number_id is not None
    return DrawResultColumns(
        draw_type_id=draw_type_id,
        winning_number_id=number_id,
        winning_top_digits="123" if scored else None,
        threshold_used=0.5 if scored else None,
        evaluated_at=T0,
        user_ids=[i.user_id for i in instances],
        definition_ids=[i.definition_id for i in instances],
        nft_instance_ids=[i.id for i in instances],
        draw_numbers=[f"{tag}{n:04d}" for n in range(count)],
        similarity_scores=[n / (count + 1) for n in range(count)] if scored else None,
        draw_top_digits=[f"{n:03d}" for n in range(count)] if scored else None,
        outcomes=[("win", "lose")[n % 2] for n in range(count)] if scored else ["pending"] * count,
    )


def _stored(uow: Any) -> list[tuple[Any, ...]]:
    return sorted(
        (
            r.draw_type_id,
            r.winning_number_id,
            r.user_id,
            r.definition_id,
            r.nft_instance_id,
            r.draw_number,
            r.similarity_score,
            r.draw_top_digits,
            r.winning_top_digits,
            r.threshold_used,
            r.outcome,
            r.evaluated_at,
        )
        for r in uow.draw_results.list()
    )


@pytest.mark.parametrize("scored", [True, False])
def test_upsert_columns_stores_what_upsert_many_stores(world: World, scored: bool) -> None:
    draw_type_id, number_id, instances = _results(world)
    columns = _columns(draw_type_id, number_id if scored else None, instances, "d")
    with world.factory() as uow:
        objects = columns.results()
        uow.draw_results.upsert_many(objects)
        expected = _stored(uow)
        uow.rollback()
    with world.factory() as uow:
        ids = uow.draw_results.upsert_columns(columns)
        assert _stored(uow) == expected
        stored = {r.id: r for r in uow.draw_results.list()}
        uow.commit()
    assert len(ids) == len(instances) == len(set(ids))
    assert [stored[i].nft_instance_id for i in ids] == columns.nft_instance_ids
    assert [stored[i] for i in ids] == [columns.result(row, i) for row, i in enumerate(ids)]


def test_upsert_columns_overwrites_by_key_and_keeps_the_id(world: World) -> None:
    draw_type_id, number_id, instances = _results(world)
    with world.factory() as uow:
        first = uow.draw_results.upsert_columns(_columns(draw_type_id, number_id, instances, "a"))
        uow.commit()
    again = _columns(draw_type_id, number_id, instances[::-1], "b")
    with world.factory() as uow:
        second = uow.draw_results.upsert_columns(again)
        results = {r.id: r for r in uow.draw_results.list()}
        uow.commit()
    assert second == first[::-1]
    assert len(results) == len(instances)
    assert [results[i].draw_number for i in second] == again.draw_numbers


def test_upsert_columns_with_a_key_twice_keeps_the_last_row(world: World) -> None:
    draw_type_id, number_id, instances = _results(world)
    twice = [instances[0], instances[1], instances[0]]
    columns = _columns(draw_type_id, number_id, twice, "t")
    with world.factory() as uow:
        ids = uow.draw_results.upsert_columns(columns)
        stored: list[PrizeDrawResult] = uow.draw_results.list()
        uow.commit()
    assert ids[0] == ids[2] != ids[1]
    assert len(stored) == 2
    kept = next(r for r in stored if r.id == ids[0])
    assert kept.draw_number == "t0002"


def test_upsert_columns_keeps_no_link_to_the_callers_lists(world: World) -> None:
    # What is stored is what the columns held when they were given: a caller that
    # reuses its lists afterwards changes nothing stored, on every backend.
    draw_type_id, number_id, instances = _results(world)
    columns = _columns(draw_type_id, number_id, instances, "k")
    with world.factory() as uow:
        uow.draw_results.upsert_columns(columns)
        before = _stored(uow)
        assert columns.similarity_scores is not None
        assert columns.draw_top_digits is not None
        for values in (
            columns.draw_numbers,
            columns.outcomes,
            columns.similarity_scores,
            columns.draw_top_digits,
        ):
            values.reverse()
        columns.draw_numbers[0] = "changed"
        assert _stored(uow) == before
        uow.commit()
    with world.factory() as uow:
        assert _stored(uow) == before
