"""Batch draws given instance ids, on every backend.

- ``InstanceRepository.candidate_columns_of``: the candidate columns of the stored
  instances among some ids, in the order given, each once;
- ``run_prize_draw_batch`` and ``run_prize_draw_batch_summary`` with ``instance_ids``
  store and return what they do given the instances themselves, refuse an unknown,
  ineligible or malformed id with nothing changed, and replay a keyed call only for the
  same ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nictbw.domain.entities import CandidateColumns, NFTInstance
from nictbw.domain.errors import ConflictError, NotFoundError, ValidationError
from nictbw.domain.events import EventType
from nictbw.workflows import (
    mark_events_delivered,
    pending_events,
    run_prize_draw_batch,
    run_prize_draw_batch_summary,
)
from tests.contract.helpers import (
    UowFactory,
    World,
    batch_draw_type,
    build_world,
    hold_badges,
    snapshot,
)


@pytest.fixture
def world(uow_factory: UowFactory) -> World:
    return build_world(uow_factory)


def _ids(instances: list[NFTInstance]) -> list[int]:
    return [i.id for i in instances if i.id is not None]


def _plain(columns: CandidateColumns) -> tuple[list[Any], ...]:
    return (
        columns.instance_ids,
        columns.user_ids,
        columns.definition_ids,
        columns.nft_origins,
        columns.statuses,
    )


# ------------------------------------------------------------------------ the port


def test_candidate_columns_of_are_the_stored_instances_in_the_order_given(world: World) -> None:
    instances = hold_badges(world, 4, without_origin=1)
    ids = _ids(instances)
    asked = [ids[2], 777_777, ids[0], ids[2], ids[3]]
    with world.factory() as uow:
        columns = uow.instances.candidate_columns_of(asked)
        assert uow.instances.candidate_columns_of([]) == CandidateColumns([], [], [], [], [])
        with pytest.raises(ValidationError):
            uow.instances.candidate_columns_of([2**40])
    expected = CandidateColumns.of_instances([instances[2], instances[0], instances[3]])
    assert _plain(columns) == _plain(expected)
    assert columns.nft_origins[-1] is None


_STORED: dict[int, tuple[World, list[NFTInstance]]] = {}


def _stored_once(world: World) -> list[NFTInstance]:
    """Five badges (the last without an origin), stored once per test's world: the
    examples of a property test share the function's world."""
    held = _STORED.get(id(world))
    if held is None or held[0] is not world:
        _STORED.clear()  # keep the latest world only
        held = _STORED[id(world)] = (world, hold_badges(world, 5, without_origin=1))
    return held[1]


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(picks=st.lists(st.integers(0, 7), max_size=12))
def test_candidate_columns_of_match_the_instances_read_one_by_one(
    world: World, picks: list[int]
) -> None:
    """Against the model "``get`` each id in order, keep the stored ones, first time only":
    indexes 0-4 name stored instances (4 without an origin), 5-7 ids never stored."""
    instances = _stored_once(world)
    ids = [*_ids(instances), 900_001, 900_002, 900_003]
    asked = [ids[k] for k in picks]
    with world.factory() as uow:
        columns = uow.instances.candidate_columns_of(asked)
        seen: list[NFTInstance] = []
        for instance_id in dict.fromkeys(asked):
            stored = uow.instances.get(instance_id)
            if stored is not None:
                seen.append(stored)
    assert _plain(columns) == _plain(CandidateColumns.of_instances(seen))


# ------------------------------------------------------------------------ the draws


def _rows(evaluations: list[Any]) -> list[tuple[Any, ...]]:
    return [
        (e.result.nft_instance_id, e.result.similarity_score, e.result.outcome, e.draw_number)
        for e in evaluations
    ]


def test_a_batch_draw_of_ids_gives_what_the_draw_of_the_instances_gives(world: World) -> None:
    instances = hold_badges(world, 6)
    draw_type = batch_draw_type(world)
    order = [instances[k] for k in (3, 0, 5, 1, 4, 2)]
    with world.factory() as uow:
        given = run_prize_draw_batch(uow, draw_type, instances=order, clock=world.clock)
        stored_given = sorted(
            (r.nft_instance_id, r.similarity_score, r.outcome) for r in uow.draw_results.list()
        )
        uow.rollback()
    with world.factory() as uow:
        by_id = run_prize_draw_batch(
            uow, draw_type, instance_ids=iter(_ids(order) * 2), clock=world.clock
        )
        stored = sorted(
            (r.nft_instance_id, r.similarity_score, r.outcome) for r in uow.draw_results.list()
        )
        uow.commit()
    assert _rows(by_id) == _rows(given)
    assert [row[0] for row in _rows(by_id)] == _ids(order)
    assert stored == stored_given


def test_a_batch_summary_of_ids_is_the_summary_of_the_instances(world: World) -> None:
    instances = hold_badges(world, 7)
    draw_type = batch_draw_type(world)
    with world.factory() as uow:
        given = run_prize_draw_batch_summary(
            uow, draw_type, instances=instances, clock=world.clock, top=3
        )
        uow.rollback()
    with world.factory() as uow:
        by_id = run_prize_draw_batch_summary(
            uow, draw_type, instance_ids=_ids(instances), clock=world.clock, top=3
        )
        uow.commit()
    assert (by_id.evaluated, by_id.wins, by_id.losses, by_id.pending) == (
        given.evaluated,
        given.wins,
        given.losses,
        given.pending,
    )
    assert by_id.evaluated == 7
    assert [(r.nft_instance_id, r.similarity_score) for r in by_id.top] == [
        (r.nft_instance_id, r.similarity_score) for r in given.top
    ]


def test_ids_are_read_as_they_come(world: World) -> None:
    instances = hold_badges(world, 3)
    draw_type = batch_draw_type(world)
    handed: list[int] = []

    def one_by_one() -> Iterator[int]:
        for instance_id in _ids(instances):
            handed.append(instance_id)
            yield instance_id

    with world.factory() as uow:
        summary = run_prize_draw_batch_summary(
            uow, draw_type, instance_ids=one_by_one(), clock=world.clock
        )
        uow.commit()
    assert handed == _ids(instances)
    assert summary.evaluated == 3


@pytest.mark.parametrize("workflow", [run_prize_draw_batch, run_prize_draw_batch_summary])
def test_an_unknown_id_is_refused_by_name_and_nothing_changes(world: World, workflow: Any) -> None:
    instances = hold_badges(world, 2)
    draw_type = batch_draw_type(world)
    before = snapshot(world.factory)
    with world.factory() as uow:
        with pytest.raises(NotFoundError, match="instance 909090 does not exist"):
            workflow(uow, draw_type, instance_ids=[*_ids(instances), 909_090], clock=world.clock)
        uow.commit()
    assert snapshot(world.factory) == before


@pytest.mark.parametrize("workflow", [run_prize_draw_batch, run_prize_draw_batch_summary])
def test_an_ineligible_instance_is_refused_by_id_and_nothing_changes(
    world: World, workflow: Any
) -> None:
    instances = hold_badges(world, 3, without_origin=1)
    draw_type = batch_draw_type(world)
    before = snapshot(world.factory)
    with world.factory() as uow:
        with pytest.raises(ValidationError, match=f"instance {instances[2].id} has no nft_origin"):
            workflow(uow, draw_type, instance_ids=_ids(instances), clock=world.clock)
        uow.commit()
    assert snapshot(world.factory) == before


@pytest.mark.parametrize("bad", [True, "1", None, 1.0])
@pytest.mark.parametrize("workflow", [run_prize_draw_batch, run_prize_draw_batch_summary])
def test_a_malformed_id_is_refused_by_value_and_nothing_changes(
    world: World, workflow: Any, bad: Any
) -> None:
    instances = hold_badges(world, 2)
    draw_type = batch_draw_type(world)
    before = snapshot(world.factory)
    with world.factory() as uow:
        with pytest.raises(ValidationError, match=f"instance id must be an int, got {bad!r}"):
            workflow(uow, draw_type, instance_ids=[*_ids(instances), bad], clock=world.clock)
        uow.commit()
    assert snapshot(world.factory) == before


@pytest.mark.parametrize("workflow", [run_prize_draw_batch, run_prize_draw_batch_summary])
def test_instances_and_ids_together_are_refused(world: World, workflow: Any) -> None:
    instances = hold_badges(world, 1)
    draw_type = batch_draw_type(world)
    with world.factory() as uow, pytest.raises(ValidationError, match="not both"):
        workflow(
            uow,
            draw_type,
            instances=instances,
            instance_ids=_ids(instances),
            clock=world.clock,
        )


@pytest.mark.parametrize("workflow", [run_prize_draw_batch, run_prize_draw_batch_summary])
def test_a_keyed_draw_of_ids_replays_only_for_the_same_ids(world: World, workflow: Any) -> None:
    instances = hold_badges(world, 3)
    draw_type = batch_draw_type(world)
    ids = _ids(instances)
    with world.factory() as uow:
        first = workflow(
            uow, draw_type, instance_ids=ids, clock=world.clock, idempotency_key="ids-1"
        )
        uow.commit()
    after_first = snapshot(world.factory)
    with world.factory() as uow:
        again = workflow(
            uow, draw_type, instance_ids=iter(ids), clock=world.clock, idempotency_key="ids-1"
        )
        uow.commit()
    assert snapshot(world.factory) == after_first
    if isinstance(first, list):
        assert _rows(again) == _rows(first)
    else:
        assert (again.evaluated, again.wins, again.top) == (first.evaluated, first.wins, first.top)
    with world.factory() as uow:
        with pytest.raises(ConflictError, match="ids-1"):
            workflow(
                uow, draw_type, instance_ids=ids[:2], clock=world.clock, idempotency_key="ids-1"
            )
        with pytest.raises(ConflictError, match="ids-1"):
            workflow(
                uow, draw_type, instances=instances, clock=world.clock, idempotency_key="ids-1"
            )
    assert snapshot(world.factory) == after_first


@pytest.mark.parametrize("given", ["instances", "ids"])
def test_a_batch_summary_records_each_win_unranked_then_the_run(world: World, given: str) -> None:
    instances = hold_badges(world, 12)
    draw_type = batch_draw_type(world)
    with world.factory() as uow:
        mark_events_delivered(uow, [e.id for e in pending_events(uow, limit=1000) if e.id])
        uow.commit()
    source: dict[str, Any] = (
        {"instances": instances} if given == "instances" else {"instance_ids": _ids(instances)}
    )
    with world.factory() as uow:
        summary = run_prize_draw_batch_summary(uow, draw_type, clock=world.clock, **source)
        uow.commit()
    with world.factory() as uow:
        events = pending_events(uow, limit=1000)
        stored = {r.nft_instance_id: r for r in uow.draw_results.list()}
    winners = [stored[i] for i in _ids(instances) if stored[i].outcome == "win"]
    assert summary.wins == len(winners) > 0
    assert [e.type for e in events] == [EventType.PRIZE_WON] * len(winners) + [EventType.DRAW_RUN]
    assert [(e.user_id, e.payload) for e in events[:-1]] == [
        (
            r.user_id,
            {
                "draw_type_id": draw_type.id,
                "winning_number_id": r.winning_number_id,
                "result_id": r.id,
                "instance_id": r.nft_instance_id,
                "rank": None,
            },
        )
        for r in winners
    ]
    assert events[-1].payload["evaluated"] == 12
    assert events[-1].payload["winners"] == len(winners)
