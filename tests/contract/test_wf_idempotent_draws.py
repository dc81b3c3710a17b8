"""Idempotency keys on the draw runs that are not ranked draws: a single evaluation, the
batch draw, its summary and the sealed run. On every backend (memory, SQLite, PostgreSQL).

A repeated keyed call returns what the first returned, read back from the store, and
writes nothing (no result, no event); a repeat with other arguments (for the batches:
other instances, id for id) is a ``ConflictError`` naming the key.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from nictbw.adapters.beacon import FakeBeacon
from nictbw.domain.entities import NFTInstance, PrizeDrawType, User
from nictbw.domain.errors import ConflictError, ValidationError
from nictbw.workflows import (
    pending_events,
    run_prize_draw,
    run_prize_draw_batch,
    run_prize_draw_batch_summary,
    run_sealed_prize_draw,
    seal_prize_draw,
    submit_winning_number,
)
from tests.contract.helpers import (
    UowFactory,
    World,
    add_draw_type,
    build_world,
    complete_line,
    snapshot,
    user_with_card,
)

MIDDLE_COLUMN = (1, 4, 7)


@pytest.fixture
def world(uow_factory: UowFactory) -> World:
    return build_world(uow_factory)


def _state(world: World) -> tuple[Any, ...]:
    with world.factory() as uow:
        events = pending_events(uow, limit=10_000)
    return snapshot(world.factory), [e.id for e in events]


def _on_a_line(world: World, name: str, seed: int) -> User:
    user, card = user_with_card(world, name, trigger_origin=f"{name}-trigger", seed=seed)
    with world.factory() as uow:
        complete_line(uow, world, user, card, MIDDLE_COLUMN, origin_tag=name, seed=seed + 10)
        uow.commit()
    return user


@pytest.fixture
def drawn(world: World) -> tuple[World, PrizeDrawType, list[NFTInstance]]:
    """Two users on a completed line, a draw type with a winning number, every instance."""
    _on_a_line(world, "ana", 1)
    _on_a_line(world, "ben", 2)
    with world.factory() as uow:
        draw_type = add_draw_type(uow, world, "lines")
        submit_winning_number(uow, draw_type, "0" * 63 + "7", clock=world.clock)
        uow.commit()
        instances = uow.instances.list()
    return world, draw_type, instances


def test_a_repeated_single_evaluation_returns_the_first_and_writes_nothing(
    drawn: tuple[World, PrizeDrawType, list[NFTInstance]],
) -> None:
    world, draw_type, instances = drawn

    def run(instance: NFTInstance, threshold: float | None = None) -> Any:
        with world.factory() as uow:
            evaluation = run_prize_draw(
                uow,
                instance,
                draw_type,
                threshold=threshold,
                clock=world.clock,
                idempotency_key="one",
            )
            uow.commit()
        return evaluation

    first = run(instances[0])
    before = _state(world)
    world.clock.advance(timedelta(minutes=1))
    again = run(instances[0])
    assert again == first
    assert again.result.id is not None
    assert _state(world) == before
    with pytest.raises(ConflictError, match="'one'"):
        run(instances[1])
    with pytest.raises(ConflictError, match="'one'"):
        run(instances[0], threshold=0.5)
    assert _state(world) == before


def test_a_repeated_batch_returns_the_first_evaluations_in_order(
    drawn: tuple[World, PrizeDrawType, list[NFTInstance]],
) -> None:
    world, draw_type, instances = drawn
    chosen = [instances[3], instances[1], instances[5]]

    def run(given: Any, key: str = "batch") -> Any:
        with world.factory() as uow:
            evaluations = run_prize_draw_batch(
                uow, draw_type, instances=given, clock=world.clock, idempotency_key=key
            )
            uow.commit()
        return evaluations

    first = run(iter(chosen))
    assert [e.result.nft_instance_id for e in first] == [i.id for i in chosen]
    before = _state(world)
    again = run(x for x in chosen)
    assert again == first
    assert _state(world) == before
    with pytest.raises(ConflictError, match=r"'batch'.*other instances"):
        run([instances[3], instances[5], instances[1]])
    with pytest.raises(ConflictError, match=r"'batch'.*other instances"):
        run(chosen[:2])
    with pytest.raises(ConflictError, match="'batch'"):
        run(None)
    assert _state(world) == before


def test_a_repeated_batch_over_completed_lines_replays_every_evaluation(
    drawn: tuple[World, PrizeDrawType, list[NFTInstance]],
) -> None:
    world, draw_type, _ = drawn

    def run() -> Any:
        with world.factory() as uow:
            evaluations = run_prize_draw_batch(
                uow, draw_type, clock=world.clock, idempotency_key="all"
            )
            uow.commit()
        return evaluations

    first = run()
    assert len(first) == 6
    before = _state(world)
    assert run() == first
    assert _state(world) == before


def test_a_repeated_summary_returns_the_first_counts_and_best_results(
    drawn: tuple[World, PrizeDrawType, list[NFTInstance]],
) -> None:
    world, draw_type, instances = drawn

    def run(top: int, given: Any = None) -> Any:
        with world.factory() as uow:
            summary = run_prize_draw_batch_summary(
                uow,
                draw_type,
                instances=given,
                threshold=0.5,
                top=top,
                clock=world.clock,
                idempotency_key="sum",
            )
            uow.commit()
        return summary

    first = run(2)
    assert first.evaluated == 6
    assert first.wins + first.losses + first.pending == 6
    before = _state(world)
    assert run(2) == first
    assert _state(world) == before
    with pytest.raises(ConflictError, match="'sum'"):
        run(3)
    with pytest.raises(ConflictError, match="'sum'"):
        run(2, given=instances)
    assert _state(world) == before


def _generated(instances: list[NFTInstance]) -> Iterator[NFTInstance]:
    yield from instances


def test_a_failed_keyed_batch_keeps_no_key(
    drawn: tuple[World, PrizeDrawType, list[NFTInstance]],
) -> None:
    world, draw_type, instances = drawn
    stranger = NFTInstance(
        id=10_000,
        definition_id=instances[0].definition_id,
        user_id=instances[0].user_id,
        serial_number=1,
        unique_instance_id="X" * 8,
        nft_origin="nowhere",
    )
    before = _state(world)
    with world.factory() as uow, pytest.raises(Exception, match="10000"):
        run_prize_draw_batch(
            uow,
            draw_type,
            instances=_generated([*instances[:2], stranger]),
            clock=world.clock,
            idempotency_key="k",
        )
    assert _state(world) == before
    with world.factory() as uow:
        done = run_prize_draw_batch(
            uow, draw_type, instances=instances[:2], clock=world.clock, idempotency_key="k"
        )
        uow.commit()
    assert len(done) == 2


def test_bad_keys_on_draw_runs_are_refused_before_anything_is_written(
    drawn: tuple[World, PrizeDrawType, list[NFTInstance]],
) -> None:
    world, draw_type, instances = drawn
    before = _state(world)
    for bad in ("", " ", "a\x00b", "k" * 201, 7):
        with world.factory() as uow, pytest.raises(ValidationError, match="idempotency_key"):
            run_prize_draw_batch(uow, draw_type, clock=world.clock, idempotency_key=bad)  # type: ignore[arg-type]
        with world.factory() as uow, pytest.raises(ValidationError, match="idempotency_key"):
            run_prize_draw(uow, instances[0], draw_type, idempotency_key=bad)  # type: ignore[arg-type]
    assert _state(world) == before


def test_a_keyed_sealed_run_replays_without_asking_the_beacon(world: World) -> None:
    _on_a_line(world, "ana", 1)
    _on_a_line(world, "ben", 2)
    genesis = int(world.clock.now().timestamp()) - 300
    beacon = FakeBeacon(world.clock, seed=11, period=30, genesis_time=genesis)
    with world.factory() as uow:
        draw_type = add_draw_type(uow, world, "lines")
        sealed = seal_prize_draw(uow, draw_type, beacon=beacon, clock=world.clock)
        uow.commit()
    assert sealed.beacon_round_at is not None
    world.clock.set(sealed.beacon_round_at + timedelta(seconds=5))

    def run(limit: int | None, source: Any) -> Any:
        with world.factory() as uow:
            outcome = run_sealed_prize_draw(
                uow,
                sealed,
                beacon=source,
                limit=limit,
                clock=world.clock,
                idempotency_key="sealed-1",
            )
            uow.commit()
        return outcome

    first = run(3, beacon)
    before = _state(world)

    class Unreachable:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"the beacon was asked for {name}")

    again = run(3, Unreachable())
    assert list(again) == list(first)
    assert again.winning_number == first.winning_number
    assert (again.eligible, again.evaluated) == (first.eligible, first.evaluated)
    assert _state(world) == before
    with pytest.raises(ConflictError, match="'sealed-1'"):
        run(4, beacon)
    assert _state(world) == before
