"""The bulk reads behind the per-user and every-user card paths, on every backend.

- ``DefinitionRepository.catalogue``: every definition, ascending id, read once per
  transaction and read again after a definition write, a savepoint rolled back, a
  rollback or a commit; ``catalogue_among`` against the model "``get`` each id";
- cards read with their cells (one statement on SQL) by id, user and many users;
- ``InstanceRepository.existing_ids``: which ids are stored instances;
- ``run_prize_draw_batch_summary`` stores what ``run_prize_draw_batch`` stores and
  summarises it; a streamed batch draw reads given instances lazily;
- ``update_bingo_info_many`` and ``bingo_cards_json_many`` give exactly what the per-user
  workflows give user by user, and change nothing when they fail.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nictbw.domain.entities import User
from nictbw.domain.errors import NotFoundError, ValidationError
from nictbw.workflows import (
    bingo_cards_json,
    bingo_cards_json_many,
    run_prize_draw_batch,
    run_prize_draw_batch_summary,
    update_bingo_info_many,
    update_user_bingo_info,
)
from tests.contract.helpers import (
    CANDIDATES,
    TIMED_TRIGGER,
    TRIGGER,
    UowFactory,
    World,
    add_definition,
    add_users,
    batch_draw_type,
    build_world,
    hold_badges,
    issue,
    snapshot,
)


@pytest.fixture
def world(uow_factory: UowFactory) -> World:
    return build_world(uow_factory)


# ----------------------------------------------------------------------------- catalogue


def test_the_catalogue_is_every_definition_in_id_order(world: World) -> None:
    with world.factory() as uow:
        catalogue = uow.definitions.catalogue()
        assert isinstance(catalogue, tuple)
        assert catalogue == tuple(uow.definitions.list())
        assert [d.id for d in catalogue] == sorted(d.id for d in world.defs.values())


def test_the_catalogue_sees_a_definition_added_or_changed_in_the_same_unit_of_work(
    world: World,
) -> None:
    with world.factory() as uow:
        before = uow.definitions.catalogue()
        added = add_definition(uow, world.admin, world.clock, "NEWCOMER")
        after_add = uow.definitions.catalogue()
        assert len(after_add) == len(before) + 1
        assert after_add[-1].prefix == "NEWCOMER"
        added.name = "Renamed badge"
        uow.definitions.update(added)
        assert uow.definitions.catalogue()[-1].name == "Renamed badge"
        assert added.id is not None
        uow.definitions.reserve_serials(added.id, 3, enforce_supply=False)
        assert uow.definitions.catalogue()[-1].minted_count == 3


def test_the_catalogue_forgets_what_a_rollback_or_a_failed_savepoint_undid(world: World) -> None:
    with world.factory() as uow:
        count = len(uow.definitions.catalogue())
        seen: list[int] = []

        def add_then_fail() -> None:
            with uow.savepoint():
                add_definition(uow, world.admin, world.clock, "GHOST")
                seen.append(len(uow.definitions.catalogue()))
                raise RuntimeError("undo")

        with pytest.raises(RuntimeError):
            add_then_fail()
        assert seen == [count + 1]
        assert [d.prefix for d in uow.definitions.catalogue()].count("GHOST") == 0
        add_definition(uow, world.admin, world.clock, "GHOST2")
        assert len(uow.definitions.catalogue()) == count + 1
        uow.rollback()
        assert len(uow.definitions.catalogue()) == count


def test_the_catalogue_sees_what_another_unit_of_work_committed_after_a_commit(
    world: World,
) -> None:
    with world.factory() as reader:
        count = len(reader.definitions.catalogue())
        reader.commit()
        with world.factory() as writer:
            add_definition(writer, world.admin, world.clock, "LATECOMER")
            writer.commit()
        assert len(reader.definitions.catalogue()) == count + 1


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    calls=st.lists(
        st.tuples(st.lists(st.integers(0, 12), max_size=8), st.sampled_from(["", "all", "rename"])),
        min_size=1,
        max_size=5,
    )
)
def test_catalogue_among_answers_as_get_does_whatever_was_read_before(
    world: World, calls: list[tuple[list[int], str]]
) -> None:
    """Several calls in one unit of work, some after the whole catalogue was read or after
    a definition was renamed, each against the model "``get`` each id, keep the stored
    ones": indexes 0-9 name stored definitions, 10-12 ids never stored."""
    stored = sorted(d.id for d in world.defs.values() if d.id is not None)[:10]
    ids = [*stored, 900_001, 900_002, 900_003]
    with world.factory() as uow:
        for n, (picks, before) in enumerate(calls):
            if before == "all":
                uow.definitions.catalogue()
            elif before == "rename":
                renamed = uow.definitions.get(stored[n % len(stored)])
                assert renamed is not None
                renamed.name = f"Renamed {n}"
                uow.definitions.update(renamed)
            asked = [ids[k] for k in picks]
            expected = {}
            for definition_id in asked:
                found = uow.definitions.get(definition_id)
                if found is not None:
                    expected[definition_id] = found
            assert uow.definitions.catalogue_among(asked) == expected


# ------------------------------------------------------------------- cards with cells


def test_cards_come_with_their_nine_cells_whichever_way_they_are_read(world: World) -> None:
    alice, bob, carol = add_users(world, "alice", "bob", "carol")
    with world.factory() as uow:
        issue(uow, world, alice, TRIGGER, seed=1)
        issue(uow, world, alice, TIMED_TRIGGER, seed=2)
        issue(uow, world, bob, TRIGGER, seed=3)
        uow.commit()
    with world.factory() as uow:
        every = uow.bingo_cards.list()
        assert len(every) == 3
        for card in every:
            assert [cell.idx for cell in card.cells] == list(range(9))
            assert all(cell.bingo_card_id == card.id for cell in card.cells)
            assert card.id is not None
            assert uow.bingo_cards.get(card.id) == card
        assert alice.id is not None
        assert bob.id is not None
        assert carol.id is not None
        assert uow.bingo_cards.list_for_user(alice.id) == [
            c for c in every if c.user_id == alice.id
        ]
        assert uow.bingo_cards.list_for_user(carol.id) == []
        assert uow.bingo_cards.list_for_users([bob.id, alice.id, carol.id, bob.id]) == every


# ------------------------------------------------------------------------ bulk workflows


def _population(world: World) -> list[User]:
    """Five users: two with a card and more badges, two holding a badge whose card is
    missing (made a trigger later; the first of them also holds the badges above), one
    with badges only, one with nothing."""
    users = add_users(world, "u1", "u2", "u3", "u4", "u5")
    with world.factory() as uow:
        for n, user in enumerate(users[:2]):
            issue(uow, world, user, TRIGGER, seed=10 + n)
            for k, prefix in enumerate(CANDIDATES[:6]):
                issue(uow, world, user, prefix, seed=20 + 10 * n + k)
        late = add_definition(uow, world.admin, world.clock, "LATE", bingo_random_candidate=False)
        world.defs["LATE"] = late
        issue(uow, world, users[0], "LATE", seed=39)
        issue(uow, world, users[2], "LATE", seed=40)
        issue(uow, world, users[3], CANDIDATES[0], seed=41)
        uow.commit()
    with world.factory() as uow:
        late.triggers_bingo_card = True
        uow.definitions.update(late)
        uow.commit()
    return users


def _one_by_one(world: World, users: list[User], seed: int) -> tuple[int, int]:
    rng = random.Random(seed)
    created = unlocked = 0
    with world.factory() as uow:
        for user in users:
            cards, cells = update_user_bingo_info(uow, user, rng=rng, clock=world.clock)
            created += cards
            unlocked += cells
        uow.commit()
    return created, unlocked


def _layouts(world: World, uow: Any, users: list[User]) -> dict[str, Any]:
    """Per user, its cards as (centre, cells as (idx, target prefix, state)) without ids."""
    return {
        user.in_app_id: [
            (
                world.prefix_of(card.center_definition_id),
                card.state,
                [(c.idx, world.prefix_of(c.target_definition_id), c.state) for c in card.cells],
            )
            for card in uow.bingo_cards.list_for_user(user.id or 0)
        ]
        for user in users
    }


def test_update_bingo_info_many_gives_what_the_per_user_workflow_gives(world: World) -> None:
    users = _population(world)
    with world.factory() as uow:
        rng = random.Random(7)
        expected = [0, 0]
        for user in users:
            cards, cells = update_user_bingo_info(uow, user, rng=rng, clock=world.clock)
            expected[0] += cards
            expected[1] += cells
        wanted = _layouts(world, uow, users)
        uow.rollback()
    assert expected[0] == 2
    with world.factory() as uow:
        ids = [u.id for u in users if u.id is not None]
        found = update_bingo_info_many(uow, ids, chunk=2, rng=random.Random(7), clock=world.clock)
        assert found == tuple(expected)
        assert _layouts(world, uow, users) == wanted


def test_update_bingo_info_many_with_nothing_to_do_changes_nothing(world: World) -> None:
    users = _population(world)
    _one_by_one(world, users, seed=1)
    before = snapshot(world.factory)
    with world.factory() as uow:
        assert update_bingo_info_many(uow, users, rng=random.Random(2), clock=world.clock) == (
            0,
            0,
        )
        uow.commit()
    assert snapshot(world.factory) == before


def test_update_bingo_info_many_refuses_an_unknown_user_and_changes_nothing(
    world: World,
) -> None:
    users = _population(world)
    before = snapshot(world.factory)
    with world.factory() as uow:
        with pytest.raises(NotFoundError, match="user 999999 does not exist"):
            update_bingo_info_many(
                uow, [*users, 999_999], chunk=2, rng=random.Random(3), clock=world.clock
            )
        uow.commit()
    assert snapshot(world.factory) == before


@pytest.mark.parametrize("bad", [0, -1, True, "3"])
def test_the_bulk_card_workflows_refuse_a_bad_chunk(world: World, bad: Any) -> None:
    with world.factory() as uow:
        with pytest.raises(ValidationError, match="chunk"):
            update_bingo_info_many(uow, [], chunk=bad, clock=world.clock)
        with pytest.raises(ValidationError, match="chunk"):
            bingo_cards_json_many(uow, [], chunk=bad, clock=world.clock)


def test_bingo_cards_json_many_gives_what_bingo_cards_json_gives(world: World) -> None:
    users = _population(world)
    _one_by_one(world, users, seed=4)
    with world.factory() as uow:
        wanted = [(u.id, bingo_cards_json(uow, u, clock=world.clock)) for u in users]
        for compact in (False, True):
            found = list(
                bingo_cards_json_many(
                    uow, reversed(users), chunk=2, compact=compact, clock=world.clock
                )
            )
            assert [user_id for user_id, _ in found] == [u.id for u in reversed(users)]
            if not compact:
                assert dict(found) == dict(wanted)
        assert sum(len(cards) for _, cards in wanted) >= 3
        assert dict(wanted)[users[4].id] == []


def test_bingo_cards_json_many_refuses_an_unknown_user(world: World) -> None:
    users = add_users(world, "solo")
    with world.factory() as uow:
        answers = bingo_cards_json_many(uow, [users[0], 424_242], clock=world.clock)
        with pytest.raises(NotFoundError, match="user 424242 does not exist"):
            list(answers)


def test_bingo_cards_json_still_refuses_an_unknown_user(world: World) -> None:
    with world.factory() as uow:
        with pytest.raises(NotFoundError, match="user 31337 does not exist"):
            bingo_cards_json(uow, User(id=31337, in_app_id="nobody"), clock=world.clock)
        with pytest.raises(NotFoundError, match="user 31337 does not exist"):
            update_user_bingo_info(uow, User(id=31337, in_app_id="nobody"), clock=world.clock)


# ------------------------------------------------------------------ existing ids, draws


def test_existing_ids_are_the_stored_instances_among_the_ids(world: World) -> None:
    stored = hold_badges(world, 3)
    ids = [i.id for i in stored]
    with world.factory() as uow:
        assert uow.instances.existing_ids([*ids, 777_777, ids[0]]) == set(ids)
        assert uow.instances.existing_ids([]) == set()
        with pytest.raises(ValidationError):
            uow.instances.existing_ids([2**40])


def test_a_batch_summary_stores_and_counts_what_the_batch_draw_stores(world: World) -> None:
    instances = hold_badges(world, 7)
    draw_type = batch_draw_type(world)
    with world.factory() as uow:
        evaluations = run_prize_draw_batch(uow, draw_type, instances=instances, clock=world.clock)
        full = sorted(
            (r.nft_instance_id, r.similarity_score, r.outcome)
            for r in (e.result for e in evaluations)
        )
        uow.rollback()
    with world.factory() as uow:
        summary = run_prize_draw_batch_summary(
            uow, draw_type, instances=iter(instances + instances), clock=world.clock, top=3
        )
        stored = uow.draw_results.list()
        uow.commit()
    assert sorted((r.nft_instance_id, r.similarity_score, r.outcome) for r in stored) == full
    outcomes = [outcome for _, _, outcome in full]
    assert summary.evaluated == 7
    assert (summary.wins, summary.losses, summary.pending) == (
        outcomes.count("win"),
        outcomes.count("lose"),
        outcomes.count("pending"),
    )
    assert summary.threshold == 0.5
    best = sorted(full, key=lambda row: (-(row[1] or 0.0), row[0]))[:3]
    assert [r.nft_instance_id for r in summary.top][:3] == [row[0] for row in best]


def test_a_batch_summary_of_an_unknown_instance_changes_nothing(world: World) -> None:
    instances = hold_badges(world, 2)
    draw_type = batch_draw_type(world)
    ghost = instances[0].__class__(
        id=909_090,
        user_id=instances[0].user_id,
        definition_id=instances[0].definition_id,
        serial_number=0,
        unique_instance_id="GHOST",
        nft_origin="ab_0",
    )
    before = snapshot(world.factory)
    with world.factory() as uow:
        with pytest.raises(NotFoundError, match="instance 909090 does not exist"):
            run_prize_draw_batch_summary(
                uow, draw_type, instances=[*instances, ghost], clock=world.clock
            )
        uow.commit()
    assert snapshot(world.factory) == before


def test_a_batch_summary_refuses_a_bad_top(world: World) -> None:
    draw_type = batch_draw_type(world)
    with world.factory() as uow, pytest.raises(ValidationError):
        run_prize_draw_batch_summary(uow, draw_type, instances=[], clock=world.clock, top=0)
