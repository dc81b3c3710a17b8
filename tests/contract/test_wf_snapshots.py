"""Draw snapshots: the candidate set fixed before the winning number, on every backend."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest

from nictbw.app.audit import export_draw, verify_export
from nictbw.domain.entities import (
    OUTCOME_PENDING,
    PrizeDrawSnapshot,
    PrizeDrawType,
    User,
)
from nictbw.domain.errors import ConflictError, NotFoundError, ValidationError
from nictbw.domain.snapshots import candidate_set_digest
from nictbw.workflows import (
    run_bingo_prize_draw,
    run_final_attendance_prize_draw,
    snapshot_prize_draw,
    submit_winning_number,
)
from tests.contract.helpers import (
    ATTENDANCE,
    UowFactory,
    World,
    add_draw_type,
    build_world,
    complete_line,
    issue,
    register,
    snapshot,
    user_with_card,
)

MIDDLE_COLUMN = (1, 4, 7)


@pytest.fixture
def world(uow_factory: UowFactory) -> World:
    return build_world(uow_factory)


def _user_on_a_line(world: World, name: str, seed: int) -> User:
    user, card = user_with_card(world, name, trigger_origin=f"{name}-trigger", seed=seed)
    with world.factory() as uow:
        complete_line(uow, world, user, card, MIDDLE_COLUMN, origin_tag=name, seed=seed + 10)
        uow.commit()
    return user


@pytest.fixture
def bingo(world: World) -> tuple[World, PrizeDrawType]:
    """Two users with a completed line and a draw type with a threshold of 0."""
    _user_on_a_line(world, "ana", 1)
    _user_on_a_line(world, "ben", 2)
    with world.factory() as uow:
        draw_type = add_draw_type(uow, world, "lines", threshold=0.0)
        uow.commit()
    return world, draw_type


def _snapshot_then_draw(world: World, draw_type: PrizeDrawType) -> int:
    with world.factory() as uow:
        snapshot_prize_draw(uow, draw_type, clock=world.clock)
        uow.commit()
    world.clock.advance(timedelta(minutes=5))
    with world.factory() as uow:
        number = submit_winning_number(uow, draw_type, "final-42", clock=world.clock)
        uow.commit()
    with world.factory() as uow:
        run_bingo_prize_draw(uow, draw_type, winning_number=number, clock=world.clock)
        uow.commit()
    assert number.id is not None
    return number.id


def test_snapshot_stores_the_digest_and_pending_results(
    bingo: tuple[World, PrizeDrawType],
) -> None:
    world, draw_type = bingo
    with world.factory() as uow:
        taken = snapshot_prize_draw(uow, draw_type, clock=world.clock)
        uow.commit()
    with world.factory() as uow:
        (stored,) = uow.draw_snapshots.list_for_draw_type(draw_type.id)
        pending = uow.draw_results.list_for_draw_type(draw_type.id)
    assert stored == taken
    assert stored.scope == "bingo"
    assert stored.created_at == world.clock.now()
    assert stored.candidate_count == len(pending) == 6
    assert {r.outcome for r in pending} == {OUTCOME_PENDING}
    assert all(r.winning_number_id is None and r.similarity_score is None for r in pending)
    expected = candidate_set_digest((r.nft_instance_id, r.user_id, r.draw_number) for r in pending)
    assert stored.candidates_sha256 == expected


def test_export_of_a_draw_after_its_snapshot_verifies(
    bingo: tuple[World, PrizeDrawType],
) -> None:
    world, draw_type = bingo
    number_id = _snapshot_then_draw(world, draw_type)
    with world.factory() as uow:
        export = export_draw(
            uow, draw_type.internal_name, winning_number_id=number_id, clock=world.clock
        )
    assert export["snapshot"]["candidate_count"] == export["candidate_count"] == 6
    assert verify_export(export) == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("candidate_set_sha256", "0" * 64),
        ("candidate_count", 5),
        ("created_at", "2030-01-01T00:00:00+00:00"),
    ],
)
def test_tampering_with_the_snapshot_fails_verification(
    bingo: tuple[World, PrizeDrawType], key: str, value: Any
) -> None:
    world, draw_type = bingo
    number_id = _snapshot_then_draw(world, draw_type)
    with world.factory() as uow:
        export = export_draw(
            uow, draw_type.internal_name, winning_number_id=number_id, clock=world.clock
        )
    tampered = copy.deepcopy(export)
    tampered["snapshot"][key] = value
    problems = verify_export(tampered)
    assert any("snapshot" in p for p in problems)


def test_a_candidate_added_after_the_snapshot_is_caught(
    bingo: tuple[World, PrizeDrawType],
) -> None:
    world, draw_type = bingo
    with world.factory() as uow:
        snapshot_prize_draw(uow, draw_type, clock=world.clock)
        uow.commit()
    _user_on_a_line(world, "cyd", 3)
    world.clock.advance(timedelta(minutes=5))
    with world.factory() as uow:
        number = submit_winning_number(uow, draw_type, "final-42", clock=world.clock)
        run_bingo_prize_draw(uow, draw_type, winning_number=number, clock=world.clock)
        uow.commit()
    with world.factory() as uow:
        export = export_draw(uow, draw_type.internal_name, clock=world.clock)
    problems = verify_export(export)
    assert any("not the set fixed before the winning number" in p for p in problems)


def test_a_snapshot_taken_after_the_winning_number_is_not_exported(
    bingo: tuple[World, PrizeDrawType],
) -> None:
    world, draw_type = bingo
    with world.factory() as uow:
        number = submit_winning_number(uow, draw_type, "final-42", clock=world.clock)
        uow.commit()
    world.clock.advance(timedelta(minutes=1))
    with world.factory() as uow:
        snapshot_prize_draw(uow, draw_type, clock=world.clock)
        run_bingo_prize_draw(uow, draw_type, winning_number=number, clock=world.clock)
        uow.commit()
    with world.factory() as uow:
        export = export_draw(uow, draw_type.internal_name, clock=world.clock)
    assert export["snapshot"] is None
    assert verify_export(export) == []


def test_attendance_snapshot_takes_the_definitions_instances(world: World) -> None:
    attendance = world.d(ATTENDANCE)
    with world.factory() as uow:
        for n, name in enumerate(("ana", "ben", "cyd")):
            user = register(uow, world, name)
            issue(uow, world, user, ATTENDANCE, origin=f"att-{name}", seed=n)
        draw_type = add_draw_type(uow, world, "final-day")
        uow.commit()
    with world.factory() as uow:
        taken = snapshot_prize_draw(
            uow, draw_type, attendance_definition_id=attendance.id, clock=world.clock
        )
        uow.commit()
    assert (taken.scope, taken.attendance_definition_id, taken.candidate_count) == (
        "attendance",
        attendance.id,
        3,
    )
    world.clock.advance(timedelta(minutes=5))
    with world.factory() as uow:
        number = submit_winning_number(uow, draw_type, "att-ben", clock=world.clock)
        run_final_attendance_prize_draw(
            uow,
            draw_type,
            attendance_definition_id=attendance.id,
            winning_number=number,
            clock=world.clock,
        )
        uow.commit()
    with world.factory() as uow:
        export = export_draw(uow, draw_type.internal_name, clock=world.clock)
    assert export["snapshot"]["scope"] == "attendance"
    assert verify_export(export) == []


def test_snapshot_of_an_unknown_attendance_definition_changes_nothing(world: World) -> None:
    with world.factory() as uow:
        draw_type = add_draw_type(uow, world, "final-day")
        uow.commit()
    before = snapshot(world.factory)
    with world.factory() as uow, pytest.raises(NotFoundError, match="definition 9999"):
        snapshot_prize_draw(uow, draw_type, attendance_definition_id=9999, clock=world.clock)
    with world.factory() as uow, pytest.raises(ValidationError, match="'7'"):
        snapshot_prize_draw(uow, draw_type, attendance_definition_id="7", clock=world.clock)  # type: ignore[arg-type]
    with world.factory() as uow, pytest.raises(NotFoundError):
        snapshot_prize_draw(uow, PrizeDrawType(internal_name="x", algorithm_key="y"))
    assert snapshot(world.factory) == before


def test_snapshot_repository_enforces_its_constraints(world: World) -> None:
    with world.factory() as uow:
        draw_type = add_draw_type(uow, world, "lines")
        uow.commit()
    assert draw_type.id is not None

    def new(**overrides: Any) -> PrizeDrawSnapshot:
        fields: dict[str, Any] = {
            "draw_type_id": draw_type.id,
            "scope": "bingo",
            "candidate_count": 0,
            "candidates_sha256": candidate_set_digest([]),
            "created_at": world.clock.now(),
        }
        fields.update(overrides)
        return PrizeDrawSnapshot(**fields)

    with world.factory() as uow:
        with pytest.raises(ValidationError):
            uow.draw_snapshots.add(new(scope="lottery"))
        with pytest.raises(ValidationError):
            uow.draw_snapshots.add(new(scope="attendance"))
        with pytest.raises(ValidationError):
            uow.draw_snapshots.add(new(candidate_count=-1))
        with pytest.raises(ConflictError):
            uow.draw_snapshots.add(new(draw_type_id=draw_type.id + 100))
        stored = uow.draw_snapshots.add(new())
        assert stored.id is not None
        uow.commit()
    with world.factory() as uow:
        assert uow.draw_snapshots.get(stored.id) == stored
        assert uow.draw_snapshots.list() == [stored]
        assert uow.draw_snapshots.get(stored.id + 1) is None
        assert uow.draw_snapshots.list_for_draw_type(draw_type.id + 100) == []


def test_candidate_set_digest_refuses_a_repeated_instance() -> None:
    with pytest.raises(ValidationError, match="instance 3"):
        candidate_set_digest([(3, 1, "a"), (3, 1, "a")])


def test_candidate_set_digest_ignores_order() -> None:
    assert candidate_set_digest([(1, 1, "a"), (2, 2, "b")]) == candidate_set_digest(
        [(2, 2, "b"), (1, 1, "a")]
    )
    assert candidate_set_digest([(1, 1, "a")]) != candidate_set_digest([(1, 1, "b")])
