"""Prize draws through the workflows (domain-rules.md §4.10-4.14, §5.6, §7)."""

from __future__ import annotations

import logging
import math
from datetime import timedelta
from typing import Any

import pytest

from nictbw.domain.entities import (
    OUTCOME_LOSE,
    OUTCOME_PENDING,
    OUTCOME_WIN,
    NFTInstance,
    PrizeDrawType,
    PrizeDrawWinningNumber,
    User,
)
from nictbw.domain.errors import NotFoundError, ValidationError
from nictbw.domain.outcomes import DrawOutcome
from nictbw.domain.scoring import AlgorithmRegistry
from nictbw.workflows import (
    run_bingo_prize_draw,
    run_final_attendance_prize_draw,
    run_prize_draw,
    run_prize_draw_batch,
    select_top_prize_draw_results,
    submit_winning_number,
    sync_nft_instances_from_chain,
)
from tests.contract.helpers import (
    ATTENDANCE,
    PARK_LIFETIME,
    T0,
    TIMED_TRIGGER,
    TRIGGER,
    UowFactory,
    World,
    add_draw_type,
    add_users,
    build_world,
    card_centred_on,
    issue,
    register,
    snapshot,
    target_prefixes,
)

GOLDEN_ABC = 0.7752364105046057
MAX_SCORE = 0.8999999999999999
SCORES_VS_ABD = {
    "abc": GOLDEN_ABC,
    "abd": MAX_SCORE,
    "abe": 0.6015995858057395,
    "abz": 0.7980906567851689,
}
MIDDLE_ROW = (3, 4, 5)
LOGGER = "nictbw.workflows"


@pytest.fixture
def world(uow_factory: UowFactory) -> World:
    return build_world(uow_factory)


@pytest.fixture
def alice(world: World) -> User:
    return add_users(world, "alice")[0]


def _draw_type(world: World, name: str = "final", threshold: float | None = None) -> PrizeDrawType:
    with world.factory() as uow:
        draw_type = add_draw_type(uow, world, name, threshold=threshold)
        uow.commit()
    return draw_type


def _number(
    world: World, draw_type: PrizeDrawType, value: str, **kw: Any
) -> PrizeDrawWinningNumber:
    with world.factory() as uow:
        number = submit_winning_number(uow, draw_type, value, clock=world.clock, **kw)
        uow.commit()
    return number


def _badge(world: World, user: User, prefix: str, origin: str | None, seed: int = 0) -> NFTInstance:
    with world.factory() as uow:
        instance = issue(uow, world, user, prefix, origin=origin, seed=seed)
        uow.commit()
    return instance


def _line_holder(
    world: World,
    name: str,
    origins: tuple[str | None, str | None, str | None],
    *,
    trigger: str = TRIGGER,
    seed: int = 0,
) -> tuple[User, list[NFTInstance]]:
    """A user whose card centred on ``trigger`` has its middle row completed.

    ``origins`` are those of the instances at idx 3, 4 (the trigger) and 5.
    """
    with world.factory() as uow:
        user = register(uow, world, name)
        centre = issue(uow, world, user, trigger, origin=origins[1], seed=seed)
        card = card_centred_on(uow, user, world.d(trigger))
        left, right = target_prefixes(world, card, MIDDLE_ROW)
        first = issue(uow, world, user, left, origin=origins[0], seed=seed + 1)
        last = issue(uow, world, user, right, origin=origins[2], seed=seed + 2)
        uow.commit()
    return user, [first, centre, last]


def _results(world: World) -> list[Any]:
    with world.factory() as uow:
        return uow.draw_results.list()


# -------------------------------------------------------------------------- run_prize_draw


def test_golden_example_lose_at_threshold_point_eight(world: World, alice: User) -> None:
    instance = _badge(world, alice, "C01", "ABC")
    draw_type = _draw_type(world, threshold=0.8)
    number = _number(world, draw_type, "ABD")
    with world.factory() as uow:
        evaluation = run_prize_draw(uow, instance, draw_type, clock=world.clock)
        uow.commit()
    assert evaluation.draw_number == "abc"
    assert evaluation.similarity == GOLDEN_ABC
    assert evaluation.threshold == 0.8
    result = evaluation.result
    assert result.outcome == OUTCOME_LOSE
    assert result.winning_number_id == number.id
    assert result.draw_top_digits == "8434236848"
    assert result.winning_top_digits == "7471127736"
    assert result.threshold_used == 0.8
    assert result.user_id == alice.id
    assert result.definition_id == instance.definition_id
    assert result.nft_instance_id == instance.id
    assert result.evaluated_at == T0
    assert _results(world) == [result]


def test_golden_example_win_at_threshold_point_seven(world: World, alice: User) -> None:
    instance = _badge(world, alice, "C01", "ABC")
    draw_type = _draw_type(world, threshold=0.8)
    _number(world, draw_type, "ABD")
    with world.factory() as uow:
        evaluation = run_prize_draw(uow, instance, draw_type, threshold=0.7, clock=world.clock)
    assert evaluation.similarity == GOLDEN_ABC
    assert evaluation.threshold == 0.7
    assert evaluation.result.outcome == OUTCOME_WIN


@pytest.mark.parametrize("value", ["ABD", " abd ", "abd"])
def test_winning_value_case_and_spaces_never_change_the_score(
    world: World, alice: User, value: str
) -> None:
    instance = _badge(world, alice, "C01", "  ABC ")
    draw_type = _draw_type(world)
    number = _number(world, draw_type, value)
    with world.factory() as uow:
        evaluation = run_prize_draw(uow, instance, draw_type, number, clock=world.clock)
    assert evaluation.draw_number == "abc"
    assert evaluation.similarity == GOLDEN_ABC
    assert number.value == value


def test_without_a_threshold_a_scored_result_is_pending(world: World, alice: User) -> None:
    instance = _badge(world, alice, "C01", "ABC")
    draw_type = _draw_type(world)
    _number(world, draw_type, "ABD")
    with world.factory() as uow:
        evaluation = run_prize_draw(uow, instance, draw_type, clock=world.clock)
    assert evaluation.result.outcome == OUTCOME_PENDING
    assert evaluation.similarity == GOLDEN_ABC
    assert evaluation.threshold is None


def test_without_a_winning_number_in_effect_the_result_is_pending(
    world: World, alice: User
) -> None:
    instance = _badge(world, alice, "C01", "ABC")
    draw_type = _draw_type(world, threshold=0.5)
    _number(world, draw_type, "ABD", effective_at=T0 + timedelta(hours=1))
    with world.factory() as uow:
        evaluation = run_prize_draw(uow, instance, draw_type, clock=world.clock)
        uow.commit()
    result = evaluation.result
    assert result.outcome == OUTCOME_PENDING
    assert result.winning_number_id is None
    assert result.similarity_score is None
    assert result.draw_top_digits is None
    assert result.winning_top_digits is None
    assert result.draw_number == "abc"
    assert _results(world) == [result]


def test_instance_without_origin_is_ineligible(world: World, alice: User) -> None:
    instance = _badge(world, alice, "C01", None)
    draw_type = _draw_type(world)
    _number(world, draw_type, "ABD")
    with (
        world.factory() as uow,
        pytest.raises(ValidationError, match=f"instance {instance.id} .*no nft_origin"),
    ):
        run_prize_draw(uow, instance, draw_type, clock=world.clock)
    assert _results(world) == []


def test_transferred_instance_is_ineligible(world: World, alice: User) -> None:
    bob = add_users(world, "bob")[0]
    minted = world.chain.mint(
        app="nictbw",
        name="Badge C01",
        additional_info={"prefix": "C01"},
        recipient_paymail=alice.paymail,
    )
    origin = minted["nft_information"]["nft_origin"]
    with world.factory() as uow:
        sync_nft_instances_from_chain(uow, alice, chain=world.chain, clock=world.clock)
        uow.commit()
    world.chain.transfer(origin, "bob")
    with world.factory() as uow:
        sync_nft_instances_from_chain(uow, bob, chain=world.chain, clock=world.clock)
        uow.commit()
    with world.factory() as uow:
        assert alice.id is not None
        [transferred] = uow.instances.list_for_user(alice.id)
    draw_type = _draw_type(world)
    _number(world, draw_type, "ABD")
    with (
        world.factory() as uow,
        pytest.raises(ValidationError, match=f"instance {transferred.id} .*transferred"),
    ):
        run_prize_draw(uow, transferred, draw_type, clock=world.clock)


def test_run_prize_draw_of_an_unstored_instance_is_not_found(world: World, alice: User) -> None:
    draw_type = _draw_type(world)
    ghost = NFTInstance(user_id=1, definition_id=1, serial_number=0, unique_instance_id="X-1")
    with world.factory() as uow, pytest.raises(NotFoundError, match="not stored"):
        run_prize_draw(uow, ghost, draw_type, clock=world.clock)


def test_run_prize_draw_of_a_gone_instance_is_not_found(world: World) -> None:
    draw_type = _draw_type(world)
    ghost = NFTInstance(
        id=5150, user_id=1, definition_id=1, serial_number=0, unique_instance_id="X"
    )
    with world.factory() as uow, pytest.raises(NotFoundError, match="instance 5150"):
        run_prize_draw(uow, ghost, draw_type, clock=world.clock)


def test_run_prize_draw_of_an_unstored_draw_type_is_not_found(world: World, alice: User) -> None:
    instance = _badge(world, alice, "C01", "ABC")
    loose = PrizeDrawType(internal_name="loose", algorithm_key="sha256_hex_proximity")
    with world.factory() as uow, pytest.raises(NotFoundError, match="not stored"):
        run_prize_draw(uow, instance, loose, clock=world.clock)


def test_winning_number_of_another_draw_type_is_refused(world: World, alice: User) -> None:
    instance = _badge(world, alice, "C01", "ABC")
    draw_type = _draw_type(world, "final")
    other = _draw_type(world, "other")
    foreign = _number(world, other, "ABD")
    with world.factory() as uow, pytest.raises(ValidationError, match=f"{foreign.id}"):
        run_prize_draw(uow, instance, draw_type, foreign, clock=world.clock)


def test_unstored_winning_number_is_refused(world: World, alice: User) -> None:
    instance = _badge(world, alice, "C01", "ABC")
    draw_type = _draw_type(world)
    assert draw_type.id is not None
    loose = PrizeDrawWinningNumber(draw_type_id=draw_type.id, value="ABD")
    with world.factory() as uow, pytest.raises(ValidationError, match="not stored"):
        run_prize_draw(uow, instance, draw_type, loose, clock=world.clock)


def test_explicit_winning_number_is_used_even_out_of_effect(world: World, alice: User) -> None:
    instance = _badge(world, alice, "C01", "ABC")
    draw_type = _draw_type(world)
    future = _number(world, draw_type, "ABD", effective_at=T0 + timedelta(days=1))
    with world.factory() as uow:
        evaluation = run_prize_draw(uow, instance, draw_type, future, clock=world.clock)
    assert evaluation.result.winning_number_id == future.id
    assert evaluation.similarity == GOLDEN_ABC


@pytest.mark.parametrize(
    ("threshold", "named"),
    [(1.5, "1.5"), (-0.5, "-0.5"), (math.nan, "nan"), (True, "True"), (0.9, "0.9"), ("0.5", "0.5")],
)
def test_unusable_explicit_threshold_is_refused(
    world: World, alice: User, threshold: Any, named: str
) -> None:
    instance = _badge(world, alice, "C01", "ABC")
    draw_type = _draw_type(world)
    _number(world, draw_type, "ABD")
    with world.factory() as uow, pytest.raises(ValidationError, match=named):
        run_prize_draw(uow, instance, draw_type, threshold=threshold, clock=world.clock)
    assert _results(world) == []


@pytest.mark.parametrize("with_number", [True, False])
def test_algorithm_missing_from_the_registry_is_refused(
    world: World, alice: User, with_number: bool
) -> None:
    instance = _badge(world, alice, "C01", "ABC")
    draw_type = _draw_type(world)
    if with_number:
        _number(world, draw_type, "ABD")
    with world.factory() as uow, pytest.raises(ValidationError, match="sha256_hex_proximity"):
        run_prize_draw(uow, instance, draw_type, registry=AlgorithmRegistry(), clock=world.clock)
    assert _results(world) == []


# -------------------------------------------------------------- winning number resolution


def _resolved(world: World, instance: NFTInstance, draw_type: PrizeDrawType) -> int | None:
    with world.factory() as uow:
        evaluation = run_prize_draw(uow, instance, draw_type, clock=world.clock)
    return evaluation.result.winning_number_id


def test_resolution_takes_the_newest_created_at(world: World, alice: User) -> None:
    instance = _badge(world, alice, "C01", "ABC")
    draw_type = _draw_type(world)
    world.clock.advance(timedelta(minutes=5))
    newer = _number(world, draw_type, "new")
    world.clock.set(T0)
    _number(world, draw_type, "old")
    world.clock.advance(timedelta(minutes=10))
    assert _resolved(world, instance, draw_type) == newer.id


def test_resolution_breaks_equal_created_at_by_highest_id(world: World, alice: User) -> None:
    instance = _badge(world, alice, "C01", "ABC")
    draw_type = _draw_type(world)
    first = _number(world, draw_type, "first")
    second = _number(world, draw_type, "second")
    assert first.created_at == second.created_at
    assert _resolved(world, instance, draw_type) == second.id


def test_resolution_window_start_is_inclusive(world: World, alice: User) -> None:
    instance = _badge(world, alice, "C01", "ABC")
    draw_type = _draw_type(world)
    base = _number(world, draw_type, "base")
    start = T0 + timedelta(hours=1)
    later = _number(world, draw_type, "later", effective_at=start)
    world.clock.set(start - timedelta(microseconds=1))
    assert _resolved(world, instance, draw_type) == base.id
    world.clock.set(start)
    assert _resolved(world, instance, draw_type) == later.id


def test_resolution_window_end_is_exclusive(world: World, alice: User) -> None:
    instance = _badge(world, alice, "C01", "ABC")
    draw_type = _draw_type(world)
    base = _number(world, draw_type, "base")
    end = T0 + timedelta(hours=1)
    short = _number(world, draw_type, "short", expires_at=end)
    world.clock.set(end - timedelta(microseconds=1))
    assert _resolved(world, instance, draw_type) == short.id
    world.clock.set(end)
    assert _resolved(world, instance, draw_type) == base.id


def test_resolution_ignores_other_draw_types(world: World, alice: User) -> None:
    instance = _badge(world, alice, "C01", "ABC")
    draw_type = _draw_type(world, "final")
    other = _draw_type(world, "other")
    mine = _number(world, draw_type, "mine")
    world.clock.advance(timedelta(minutes=1))
    _number(world, other, "theirs")
    assert _resolved(world, instance, draw_type) == mine.id


# ------------------------------------------------------------------------ result identity


def test_same_triple_again_overwrites_the_result_and_keeps_its_id(
    world: World, alice: User
) -> None:
    instance = _badge(world, alice, "C01", "ABC")
    draw_type = _draw_type(world, threshold=0.8)
    _number(world, draw_type, "ABD")
    with world.factory() as uow:
        first = run_prize_draw(uow, instance, draw_type, clock=world.clock).result
        uow.commit()
    world.clock.advance(timedelta(minutes=3))
    with world.factory() as uow:
        second = run_prize_draw(uow, instance, draw_type, threshold=0.7, clock=world.clock).result
        uow.commit()
    [stored] = _results(world)
    assert stored.id == first.id == second.id
    assert stored.outcome == OUTCOME_WIN
    assert stored.threshold_used == 0.7
    assert stored.evaluated_at == T0 + timedelta(minutes=3)


def test_a_new_winning_number_keeps_the_old_rows(world: World, alice: User) -> None:
    instance = _badge(world, alice, "C01", "ABC")
    draw_type = _draw_type(world, threshold=0.8)
    old = _number(world, draw_type, "ABD")
    with world.factory() as uow:
        first = run_prize_draw(uow, instance, draw_type, clock=world.clock).result
        uow.commit()
    world.clock.advance(timedelta(minutes=1))
    new = _number(world, draw_type, "ABC")
    with world.factory() as uow:
        second = run_prize_draw(uow, instance, draw_type, clock=world.clock).result
        uow.commit()
    stored = _results(world)
    assert [(r.id, r.winning_number_id) for r in stored] == [
        (first.id, old.id),
        (second.id, new.id),
    ]
    assert stored[0].similarity_score == GOLDEN_ABC
    assert stored[1].similarity_score == MAX_SCORE
    assert stored[1].outcome == OUTCOME_WIN


def test_pending_and_scored_results_are_separate_rows(world: World, alice: User) -> None:
    instance = _badge(world, alice, "C01", "ABC")
    draw_type = _draw_type(world)
    with world.factory() as uow:
        pending = run_prize_draw(uow, instance, draw_type, clock=world.clock).result
        again = run_prize_draw(uow, instance, draw_type, clock=world.clock).result
        uow.commit()
    assert pending.id == again.id
    _number(world, draw_type, "ABD")
    with world.factory() as uow:
        scored = run_prize_draw(uow, instance, draw_type, clock=world.clock).result
        uow.commit()
    stored = _results(world)
    assert [r.id for r in stored] == [pending.id, scored.id]
    assert stored[0].winning_number_id is None


def test_instances_of_one_definition_each_get_their_own_result(world: World, alice: User) -> None:
    bob = add_users(world, "bob")[0]
    first = _badge(world, alice, "C01", "ABC")
    second = _badge(world, bob, "C01", "ABE", seed=1)
    draw_type = _draw_type(world)
    _number(world, draw_type, "ABD")
    with world.factory() as uow:
        run_prize_draw(uow, first, draw_type, clock=world.clock)
        run_prize_draw(uow, second, draw_type, clock=world.clock)
        uow.commit()
    stored = _results(world)
    assert [r.nft_instance_id for r in stored] == [first.id, second.id]
    assert [r.user_id for r in stored] == [alice.id, bob.id]


# ------------------------------------------------------------------- run_prize_draw_batch


def test_batch_deduplicates_explicit_instances_in_first_seen_order(
    world: World, alice: User
) -> None:
    a = _badge(world, alice, "C01", "ABC")
    b = _badge(world, alice, "C02", "ABE", seed=1)
    draw_type = _draw_type(world, threshold=0.7)
    _number(world, draw_type, "ABD")
    with world.factory() as uow:
        evaluations = run_prize_draw_batch(
            uow, draw_type, instances=[b, a, b, a, b], clock=world.clock
        )
        uow.commit()
    assert [e.result.nft_instance_id for e in evaluations] == [b.id, a.id]
    assert [e.similarity for e in evaluations] == [SCORES_VS_ABD["abe"], GOLDEN_ABC]
    assert [e.result.outcome for e in evaluations] == [OUTCOME_LOSE, OUTCOME_WIN]
    assert len(_results(world)) == 2


def test_batch_with_an_ineligible_explicit_instance_writes_nothing(
    world: World, alice: User
) -> None:
    good = _badge(world, alice, "C01", "ABC")
    bad = _badge(world, alice, "C02", None, seed=1)
    draw_type = _draw_type(world)
    _number(world, draw_type, "ABD")
    before = snapshot(world.factory)
    with (
        world.factory() as uow,
        pytest.raises(ValidationError, match=f"instance {bad.id} \\({bad.unique_instance_id}\\)"),
    ):
        run_prize_draw_batch(uow, draw_type, instances=[good, bad], clock=world.clock)
    assert snapshot(world.factory) == before


def test_batch_with_an_unstored_instance_is_not_found(world: World, alice: User) -> None:
    good = _badge(world, alice, "C01", "ABC")
    ghost = NFTInstance(
        id=6060, user_id=1, definition_id=1, serial_number=0, unique_instance_id="X"
    )
    draw_type = _draw_type(world)
    _number(world, draw_type, "ABD")
    with world.factory() as uow, pytest.raises(NotFoundError, match="instance 6060"):
        run_prize_draw_batch(uow, draw_type, instances=[good, ghost], clock=world.clock)
    assert _results(world) == []


def test_batch_of_an_empty_list_returns_nothing(world: World) -> None:
    draw_type = _draw_type(world)
    _number(world, draw_type, "ABD")
    with world.factory() as uow:
        assert run_prize_draw_batch(uow, draw_type, instances=[], clock=world.clock) == []


def test_batch_without_a_winning_number_is_refused_even_for_an_empty_list(world: World) -> None:
    draw_type = _draw_type(world, "final")
    with world.factory() as uow, pytest.raises(ValidationError, match="'final'"):
        run_prize_draw_batch(uow, draw_type, instances=[], clock=world.clock)


def test_batch_without_a_list_takes_only_completed_line_instances(
    world: World, alice: User
) -> None:
    holder, on_line = _line_holder(world, "holder", ("ABC", "ABD", "ABE"))
    with world.factory() as uow:
        card = card_centred_on(uow, holder, world.d(TRIGGER))
        corner = target_prefixes(world, card, [0])[0]
        off_line = issue(uow, world, holder, corner, origin="corner", seed=40)
        stray = issue(uow, world, alice, "C01", origin="stray", seed=41)
        uow.commit()
    draw_type = _draw_type(world)
    _number(world, draw_type, "ABD")
    with world.factory() as uow:
        evaluations = run_prize_draw_batch(uow, draw_type, clock=world.clock)
        uow.commit()
    ids = [e.result.nft_instance_id for e in evaluations]
    assert ids == sorted(i.id for i in on_line if i.id is not None)
    assert off_line.id not in ids
    assert stray.id not in ids


# ------------------------------------------------------------------ run_bingo_prize_draw


def _respell(world: World, row: list[NFTInstance], spellings: dict[str, str]) -> None:
    """Rewrite origins in storage, as data stored before issuance refused other spellings
    of a stored origin's draw number; ties on one draw number occur in such data."""
    with world.factory() as uow:
        for instance in row:
            if instance.nft_origin in spellings:
                instance.nft_origin = spellings[instance.nft_origin]
                uow.instances.update(instance)
        uow.commit()


@pytest.fixture
def bingo_field(world: World) -> dict[str, NFTInstance]:
    """Two completed middle rows; scores against "ABD" by origin (see SCORES_VS_ABD).

    Bob's "ABC" and "Abz" tie with Alice's "abc" and "abz" (same draw numbers).
    """
    _, alice_row = _line_holder(world, "alice", ("abz", "ABD", "abc"), seed=0)
    _, bob_row = _line_holder(world, "bob", ("ABE", "ABC-", "Abz-"), seed=10)
    _respell(world, bob_row, {"ABC-": "ABC", "Abz-": "Abz"})
    carol = add_users(world, "carol")[0]
    _badge(world, carol, "C01", "no-card", seed=20)
    return {i.nft_origin or "": i for i in alice_row + bob_row}


def _bingo(world: World, draw_type: PrizeDrawType, **kw: Any) -> list[Any]:
    with world.factory() as uow:
        ranked = run_bingo_prize_draw(uow, draw_type, clock=world.clock, **kw)
        uow.commit()
    return ranked


def _order(field: dict[str, NFTInstance], *origins: str) -> list[int | None]:
    return [field[o].id for o in origins]


def _tied(field: dict[str, NFTInstance], *origins: str) -> list[int | None]:
    return sorted((field[o].id for o in origins), key=lambda i: i or 0)


def test_bingo_draw_ranks_every_eligible_instance_without_threshold(
    world: World, bingo_field: dict[str, NFTInstance]
) -> None:
    draw_type = _draw_type(world)
    _number(world, draw_type, "ABD")
    ranked = _bingo(world, draw_type)
    assert [r.nft_instance_id for r in ranked] == (
        _order(bingo_field, "ABD")
        + _tied(bingo_field, "abz", "Abz")
        + _tied(bingo_field, "abc", "ABC")
        + _order(bingo_field, "ABE")
    )
    assert all(r.outcome == OUTCOME_PENDING for r in ranked)
    assert len(_results(world)) == 6


@pytest.mark.parametrize(("limit", "kept"), [(1, 1), (2, 3), (3, 3), (4, 5), (5, 5), (6, 6)])
def test_bingo_draw_limit_keeps_ties_at_the_cutoff(
    world: World, bingo_field: dict[str, NFTInstance], limit: int, kept: int
) -> None:
    draw_type = _draw_type(world)
    _number(world, draw_type, "ABD")
    ranked = _bingo(world, draw_type, limit=limit)
    assert len(ranked) == kept
    assert len(_results(world)) == 6


def test_bingo_draw_with_a_threshold_ranks_only_wins(
    world: World, bingo_field: dict[str, NFTInstance]
) -> None:
    draw_type = _draw_type(world)
    _number(world, draw_type, "ABD")
    ranked = _bingo(world, draw_type, threshold=0.78)
    assert [r.nft_instance_id for r in ranked] == (
        _order(bingo_field, "ABD") + _tied(bingo_field, "abz", "Abz")
    )
    assert all(r.outcome == OUTCOME_WIN for r in ranked)
    outcomes = sorted(r.outcome for r in _results(world))
    assert outcomes == [OUTCOME_LOSE] * 3 + [OUTCOME_WIN] * 3


def test_bingo_draw_leaves_out_ineligible_instances_with_a_warning(
    world: World, bingo_field: dict[str, NFTInstance], caplog: pytest.LogCaptureFixture
) -> None:
    _, row = _line_holder(world, "dave", ("dave-left", None, "dave-right"), seed=30)
    no_origin = row[1]
    draw_type = _draw_type(world)
    _number(world, draw_type, "ABD")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        ranked = _bingo(world, draw_type)
    ids = {r.nft_instance_id for r in ranked}
    assert no_origin.id not in ids
    assert {row[0].id, row[2].id} <= ids
    warnings = [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "1 ineligible" in warnings[0].getMessage()
    assert str(no_origin.id) in warnings[0].getMessage()


def test_expired_card_feeds_no_bingo_draw(world: World) -> None:
    _, row = _line_holder(world, "erin", ("e-left", "e-centre", "e-right"), trigger=TIMED_TRIGGER)
    draw_type = _draw_type(world)
    _number(world, draw_type, "ABD")
    world.clock.advance(timedelta(seconds=PARK_LIFETIME - 1))
    assert {r.nft_instance_id for r in _bingo(world, draw_type)} == {i.id for i in row}
    world.clock.advance(timedelta(seconds=1))
    before = len(_results(world))
    assert _bingo(world, draw_type) == []
    assert len(_results(world)) == before


def test_bingo_draw_with_nobody_eligible_returns_nothing_and_writes_nothing(
    world: World, alice: User
) -> None:
    _badge(world, alice, TRIGGER, "lonely")
    draw_type = _draw_type(world)
    _number(world, draw_type, "ABD")
    before = snapshot(world.factory)
    assert _bingo(world, draw_type) == []
    assert snapshot(world.factory) == before


def test_bingo_draw_needs_a_winning_number(world: World, bingo_field: Any) -> None:
    draw_type = _draw_type(world, "final")
    with pytest.raises(ValidationError, match="'final' has no winning number"):
        _bingo(world, draw_type)
    assert _results(world) == []


@pytest.mark.parametrize("limit", [0, -1, True, 1.5, "3"])
def test_bingo_draw_refuses_a_bad_limit(world: World, bingo_field: Any, limit: Any) -> None:
    draw_type = _draw_type(world)
    _number(world, draw_type, "ABD")
    with pytest.raises(ValidationError, match=f"limit must be an int >= 1, got .*{limit!r}"):
        _bingo(world, draw_type, limit=limit)
    assert _results(world) == []


def test_bingo_draw_outcome_states_the_facts_of_the_draw(
    world: World, bingo_field: dict[str, NFTInstance]
) -> None:
    _line_holder(world, "dave", ("dave-left", None, "dave-right"), seed=30)
    draw_type = _draw_type(world, threshold=0.7)
    number = _number(world, draw_type, "ABD")
    outcome = _bingo(world, draw_type, threshold=0.78, limit=1)
    assert isinstance(outcome, DrawOutcome)
    assert outcome.winners == list(outcome) == [outcome[0]]
    assert outcome.winning_number.id == number.id
    assert outcome.winning_number.value == "ABD"
    assert outcome.threshold == 0.78
    assert (outcome.eligible, outcome.ineligible, outcome.evaluated) == (8, 1, 8)
    assert len(_results(world)) == 8


def test_draw_outcome_uses_the_default_threshold_of_the_draw_type(
    world: World, bingo_field: dict[str, NFTInstance]
) -> None:
    draw_type = _draw_type(world, threshold=0.6)
    _number(world, draw_type, "ABD")
    outcome = _bingo(world, draw_type)
    assert outcome.threshold == 0.6
    assert (outcome.eligible, outcome.ineligible, outcome.evaluated) == (6, 0, 6)


def test_draw_outcome_of_an_empty_pool_counts_nothing(world: World, alice: User) -> None:
    _badge(world, alice, TRIGGER, "lonely")
    draw_type = _draw_type(world)
    number = _number(world, draw_type, "ABD")
    outcome = _bingo(world, draw_type)
    assert outcome == []
    assert outcome.winning_number.id == number.id
    assert (outcome.eligible, outcome.ineligible, outcome.evaluated) == (0, 0, 0)
    assert outcome.threshold is None


def test_attendance_draw_outcome_counts_the_ineligible_left_out(world: World, alice: User) -> None:
    bob, carol = add_users(world, "bob", "carol")
    _badge(world, alice, ATTENDANCE, "ABC")
    _badge(world, bob, ATTENDANCE, "ABZ", seed=1)
    _badge(world, carol, ATTENDANCE, None, seed=2)
    draw_type = _draw_type(world, threshold=0.6)
    number = _number(world, draw_type, "ABD")
    with world.factory() as uow:
        outcome = run_final_attendance_prize_draw(
            uow, draw_type, attendance_definition_id=world.d(ATTENDANCE).id, clock=world.clock
        )
        uow.commit()
    assert (outcome.eligible, outcome.ineligible, outcome.evaluated) == (2, 1, 2)
    assert outcome.threshold == 0.6
    assert outcome.winning_number.id == number.id


def test_completed_card_lines_feed_the_draw_once_per_instance(world: World) -> None:
    user, _ = _line_holder(world, "fred", ("f-3", "f-4", "f-5"))
    with world.factory() as uow:
        card = card_centred_on(uow, user, world.d(TRIGGER))
        rest = target_prefixes(world, card, [0, 1, 2, 6, 7, 8])
        for n, prefix in enumerate(rest):
            issue(uow, world, user, prefix, origin=f"f-x{n}", seed=60 + n)
        uow.commit()
        assert card_centred_on(uow, user, world.d(TRIGGER)).state == "completed"
    draw_type = _draw_type(world)
    _number(world, draw_type, "ABD")
    ranked = _bingo(world, draw_type)
    ids = [r.nft_instance_id for r in ranked]
    assert len(ids) == 9
    assert len(set(ids)) == 9
    centre_ids = [r for r in ranked if r.definition_id == world.d(TRIGGER).id]
    assert len(centre_ids) == 1


# --------------------------------------------------------- run_final_attendance_prize_draw


def test_attendance_draw_takes_every_eligible_instance_of_the_definition(
    world: World, alice: User, caplog: pytest.LogCaptureFixture
) -> None:
    bob, carol = add_users(world, "bob", "carol")
    a = _badge(world, alice, ATTENDANCE, "ABC")
    b = _badge(world, bob, ATTENDANCE, "ABZ", seed=1)
    c = _badge(world, carol, ATTENDANCE, None, seed=2)
    _badge(world, carol, "C01", "ABD", seed=3)
    draw_type = _draw_type(world)
    _number(world, draw_type, "ABD")
    with caplog.at_level(logging.WARNING, logger=LOGGER), world.factory() as uow:
        ranked = run_final_attendance_prize_draw(
            uow,
            draw_type,
            attendance_definition_id=world.d(ATTENDANCE).id,
            clock=world.clock,
        )
        uow.commit()
    assert [r.nft_instance_id for r in ranked] == [b.id, a.id]
    warnings = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert len(warnings) == 1
    assert str(c.id) in warnings[0]


def test_attendance_draw_limit_and_threshold(world: World, alice: User) -> None:
    bob, carol = add_users(world, "bob", "carol")
    _badge(world, alice, ATTENDANCE, "ABC")
    b = _badge(world, bob, ATTENDANCE, "ABZ", seed=1)
    _badge(world, carol, ATTENDANCE, "ABE", seed=2)
    draw_type = _draw_type(world, threshold=0.6)
    _number(world, draw_type, "ABD")
    with world.factory() as uow:
        ranked = run_final_attendance_prize_draw(
            uow,
            draw_type,
            attendance_definition_id=world.d(ATTENDANCE).id,
            limit=1,
            clock=world.clock,
        )
        uow.commit()
    assert [r.nft_instance_id for r in ranked] == [b.id]
    assert len(_results(world)) == 3


def test_attendance_draw_without_a_definition_id_is_refused(world: World) -> None:
    draw_type = _draw_type(world)
    _number(world, draw_type, "ABD")
    with world.factory() as uow, pytest.raises(ValidationError, match="attendance_definition_id"):
        run_final_attendance_prize_draw(
            uow, draw_type, attendance_definition_id=None, clock=world.clock
        )


def test_attendance_draw_of_an_unknown_definition_is_not_found(world: World) -> None:
    draw_type = _draw_type(world)
    _number(world, draw_type, "ABD")
    with world.factory() as uow, pytest.raises(NotFoundError, match="definition 9191"):
        run_final_attendance_prize_draw(
            uow, draw_type, attendance_definition_id=9191, clock=world.clock
        )


def test_attendance_draw_with_nobody_eligible_returns_nothing(world: World) -> None:
    draw_type = _draw_type(world)
    _number(world, draw_type, "ABD")
    with world.factory() as uow:
        assert (
            run_final_attendance_prize_draw(
                uow, draw_type, attendance_definition_id=world.d(ATTENDANCE).id, clock=world.clock
            )
            == []
        )


def test_attendance_draw_needs_a_winning_number(world: World, alice: User) -> None:
    _badge(world, alice, ATTENDANCE, "ABC")
    draw_type = _draw_type(world, "final")
    with world.factory() as uow, pytest.raises(ValidationError, match="'final'"):
        run_final_attendance_prize_draw(
            uow, draw_type, attendance_definition_id=world.d(ATTENDANCE).id, clock=world.clock
        )


@pytest.mark.parametrize("limit", [0, -3, False])
def test_attendance_draw_refuses_a_bad_limit(world: World, limit: Any) -> None:
    draw_type = _draw_type(world)
    _number(world, draw_type, "ABD")
    with world.factory() as uow, pytest.raises(ValidationError, match="limit"):
        run_final_attendance_prize_draw(
            uow,
            draw_type,
            attendance_definition_id=world.d(ATTENDANCE).id,
            limit=limit,
            clock=world.clock,
        )


# ---------------------------------------------------------- select_top_prize_draw_results


def _top(
    world: World,
    draw_type: PrizeDrawType,
    winning_number: PrizeDrawWinningNumber | None = None,
    **kw: Any,
) -> list[Any]:
    with world.factory() as uow:
        return select_top_prize_draw_results(
            uow, draw_type, winning_number, clock=world.clock, **kw
        )


def test_select_top_is_a_plain_top_n_without_ties(
    world: World, bingo_field: dict[str, NFTInstance]
) -> None:
    draw_type = _draw_type(world)
    _number(world, draw_type, "ABD")
    _bingo(world, draw_type)
    top = _top(world, draw_type, limit=2)
    assert [r.nft_instance_id for r in top] == (
        _order(bingo_field, "ABD") + _tied(bingo_field, "abz", "Abz")[:1]
    )


def test_select_top_with_ties_adds_the_ties_at_the_cutoff(
    world: World, bingo_field: dict[str, NFTInstance]
) -> None:
    draw_type = _draw_type(world)
    _number(world, draw_type, "ABD")
    _bingo(world, draw_type)
    top = _top(world, draw_type, limit=2, with_ties=True)
    assert [r.nft_instance_id for r in top] == (
        _order(bingo_field, "ABD") + _tied(bingo_field, "abz", "Abz")
    )


def test_select_top_includes_lose_results(
    world: World, bingo_field: dict[str, NFTInstance]
) -> None:
    draw_type = _draw_type(world, threshold=0.78)
    _number(world, draw_type, "ABD")
    _bingo(world, draw_type)
    top = _top(world, draw_type, limit=6, include_pending=False)
    assert len(top) == 6
    assert [r.outcome for r in top] == [OUTCOME_WIN] * 3 + [OUTCOME_LOSE] * 3


def test_select_top_without_pending_leaves_out_pending_results(
    world: World, bingo_field: dict[str, NFTInstance]
) -> None:
    draw_type = _draw_type(world)
    _number(world, draw_type, "ABD")
    _bingo(world, draw_type)
    assert len(_top(world, draw_type, limit=10)) == 6
    assert _top(world, draw_type, limit=10, include_pending=False) == []


def test_select_top_reads_only_the_given_winning_number(
    world: World, bingo_field: dict[str, NFTInstance]
) -> None:
    draw_type = _draw_type(world)
    old = _number(world, draw_type, "ABD")
    _bingo(world, draw_type)
    world.clock.advance(timedelta(minutes=1))
    new = _number(world, draw_type, "zzz")
    assert _top(world, draw_type, limit=10) == []
    top_old = _top(world, draw_type, old, limit=10)
    assert len(top_old) == 6
    assert {r.winning_number_id for r in top_old} == {old.id}
    assert new.id != old.id


def test_select_top_needs_a_winning_number(world: World) -> None:
    draw_type = _draw_type(world, "final")
    with pytest.raises(ValidationError, match="'final' has no winning number"):
        _top(world, draw_type, limit=3)


@pytest.mark.parametrize("limit", [None, 0, -1, True, 2.0])
def test_select_top_refuses_a_bad_limit(world: World, limit: Any) -> None:
    draw_type = _draw_type(world)
    _number(world, draw_type, "ABD")
    with pytest.raises(ValidationError, match="limit"):
        _top(world, draw_type, limit=limit)


def test_select_top_keeps_results_of_instances_transferred_later(world: World) -> None:
    alice, _bob = add_users(world, "alice", "bob")
    world.chain.mint(
        app="nictbw",
        name="Badge C01",
        additional_info={"prefix": "C01"},
        recipient_paymail=alice.paymail,
    )
    with world.factory() as uow:
        sync_nft_instances_from_chain(uow, alice, chain=world.chain, clock=world.clock)
        uow.commit()
    with world.factory() as uow:
        assert alice.id is not None
        [instance] = uow.instances.list_for_user(alice.id)
    draw_type = _draw_type(world)
    _number(world, draw_type, "ABD")
    with world.factory() as uow:
        run_prize_draw(uow, instance, draw_type, clock=world.clock)
        uow.commit()
    world.chain.transfer(instance.nft_origin or "", "bob")
    with world.factory() as uow:
        sync_nft_instances_from_chain(uow, alice, chain=world.chain, clock=world.clock)
        uow.commit()
    [top] = _top(world, draw_type, limit=1)
    assert top.nft_instance_id == instance.id
