"""Issuing badges one by one and in bulk (domain-rules.md §3, §4.5, §5.2-5.5)."""

from __future__ import annotations

import random
import re
from datetime import timedelta
from typing import Any

import pytest

from nictbw.domain.entities import (
    CARD_ACTIVE,
    CARD_COMPLETED,
    CARD_EXPIRED,
    CELL_LOCKED,
    CELL_UNLOCKED,
    CENTER_IDX,
    NFTDefinition,
    User,
)
from nictbw.domain.errors import ConflictError, NotFoundError, ValidationError
from nictbw.workflows import Grant, create_and_issue_instance, issue_instances
from tests.contract.helpers import (
    CANDIDATES,
    LIMITED,
    LIMITED_SUPPLY,
    PARK_LIFETIME,
    T0,
    TIMED_TRIGGER,
    TRIGGER,
    UNIQUE_ID_PATTERN,
    UowFactory,
    World,
    add_definition,
    add_users,
    build_world,
    card_centred_on,
    issue,
    snapshot,
    state_of,
    target_prefixes,
)

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def world(uow_factory: UowFactory) -> World:
    return build_world(uow_factory)


@pytest.fixture
def alice(world: World) -> User:
    return add_users(world, "alice")[0]


@pytest.fixture
def bob(world: World) -> User:
    return add_users(world, "bob")[0]


# ------------------------------------------------------------------- serials and supply


def test_serials_run_from_zero_per_definition_and_minted_count_follows(
    world: World, alice: User, bob: User
) -> None:
    with world.factory() as uow:
        first = [issue(uow, world, alice, "C01", seed=n) for n in range(3)]
        second = [issue(uow, world, bob, "C01", seed=10 + n) for n in range(2)]
        other = issue(uow, world, bob, "C02", seed=20)
        uow.commit()
    assert [i.serial_number for i in first + second] == [0, 1, 2, 3, 4]
    assert other.serial_number == 0
    with world.factory() as uow:
        c01 = uow.definitions.get_by_prefix("C01")
        c02 = uow.definitions.get_by_prefix("C02")
        assert c01 is not None
        assert c01.id is not None
        stored = uow.instances.list_for_definition(c01.id)
    assert sorted(i.serial_number for i in stored) == [0, 1, 2, 3, 4]
    assert c01.minted_count == 5
    assert c02 is not None
    assert c02.minted_count == 1


def test_issuance_stamps_acquired_at_and_succeeded_status(world: World, alice: User) -> None:
    with world.factory() as uow:
        instance = issue(uow, world, alice, "C01")
        uow.commit()
    with world.factory() as uow:
        stored = uow.instances.get(instance.id) if instance.id is not None else None
    assert stored == instance
    assert stored.acquired_at == T0
    assert stored.status == "succeeded"
    assert stored.user_id == alice.id
    assert stored.nft_origin is None
    assert stored.other_meta is None


def test_supply_exhausted_is_a_conflict_naming_the_prefix(world: World, alice: User) -> None:
    with world.factory() as uow:
        for n in range(LIMITED_SUPPLY):
            issue(uow, world, alice, LIMITED, seed=n)
        uow.commit()
    before = snapshot(world.factory)
    with (
        world.factory() as uow,
        pytest.raises(ConflictError, match=f"supply of '{LIMITED}' exhausted"),
    ):
        issue(uow, world, alice, LIMITED, seed=99)
    assert snapshot(world.factory) == before
    with world.factory() as uow:
        limited = uow.definitions.get_by_prefix(LIMITED)
    assert limited is not None
    assert limited.minted_count == LIMITED_SUPPLY
    assert limited.remaining_supply == 0


def test_max_supply_zero_closes_issuance(world: World, alice: User) -> None:
    with world.factory() as uow:
        closed = add_definition(uow, world.admin, world.clock, "CLOSED", max_supply=0)
        uow.commit()
    with world.factory() as uow, pytest.raises(ConflictError, match="supply of 'CLOSED'"):
        create_and_issue_instance(uow, alice, closed, rng=random.Random(1), clock=world.clock)


def test_inactive_definition_cannot_be_issued(world: World, alice: User) -> None:
    with world.factory() as uow:
        asleep = add_definition(uow, world.admin, world.clock, "ASLEEP", status="inactive")
        uow.commit()
    with world.factory() as uow, pytest.raises(ValidationError, match="'ASLEEP' is inactive"):
        create_and_issue_instance(uow, alice, asleep, rng=random.Random(1), clock=world.clock)


# -------------------------------------------------------------------------- unique ids


def test_unique_id_is_prefix_dash_twelve_base62(world: World, alice: User) -> None:
    with world.factory() as uow:
        ids = [issue(uow, world, alice, "C01", seed=n).unique_instance_id for n in range(5)]
        unseeded = create_and_issue_instance(uow, alice, world.d("C01"), clock=world.clock)
    for unique_id in [*ids, unseeded.unique_instance_id]:
        assert re.fullmatch(rf"C01-{UNIQUE_ID_PATTERN}", unique_id), unique_id
    assert len(set(ids)) == 5


def test_unique_id_suffix_is_the_rngs_twelve_choices(world: World, alice: User) -> None:
    rng = random.Random(2024)
    expected = "C01-" + "".join(rng.choice(BASE62) for _ in range(12))
    with world.factory() as uow:
        instance = issue(uow, world, alice, "C01", seed=2024)
    assert instance.unique_instance_id == expected


def test_unique_id_keeps_a_prefix_with_dashes(world: World, alice: User) -> None:
    with world.factory() as uow:
        dashed = add_definition(uow, world.admin, world.clock, "CITY-PASS-2026")
        instance = create_and_issue_instance(
            uow, alice, dashed, rng=random.Random(3), clock=world.clock
        )
    assert re.fullmatch(rf"CITY-PASS-2026-{UNIQUE_ID_PATTERN}", instance.unique_instance_id)


def test_same_seed_gives_the_same_unique_id_and_card(world: World, alice: User) -> None:
    outcomes = []
    for _ in range(2):
        with world.factory() as uow:
            instance = issue(uow, world, alice, TRIGGER, seed=77)
            card = card_centred_on(uow, alice, world.d(TRIGGER))
            outcomes.append(
                (instance.unique_instance_id, {c.idx: c.target_definition_id for c in card.cells})
            )
            uow.rollback()
    assert outcomes[0] == outcomes[1]


def test_rng_draws_the_id_characters_then_the_card(world: World, alice: User) -> None:
    rng = random.Random(5)
    suffix = "".join(rng.choice(BASE62) for _ in range(12))
    candidate_ids = sorted(world.d(p).id or 0 for p in CANDIDATES)
    chosen = rng.sample(candidate_ids, 8)
    positions = [0, 1, 2, 3, 5, 6, 7, 8]
    rng.shuffle(positions)
    expected = dict(zip(positions, chosen, strict=True))
    expected[CENTER_IDX] = world.d(TRIGGER).id or 0
    with world.factory() as uow:
        instance = issue(uow, world, alice, TRIGGER, seed=5)
        card = card_centred_on(uow, alice, world.d(TRIGGER))
    assert instance.unique_instance_id == f"{TRIGGER}-{suffix}"
    assert {c.idx: c.target_definition_id for c in card.cells} == expected


# ----------------------------------------------------------------------- entity checks


def test_issuing_to_an_unstored_user_is_not_found(world: World) -> None:
    with world.factory() as uow, pytest.raises(NotFoundError, match="not stored"):
        issue(uow, world, User(in_app_id="ghost"), "C01")


def test_issuing_to_a_gone_user_is_not_found(world: World) -> None:
    with world.factory() as uow, pytest.raises(NotFoundError, match="user 9999"):
        issue(uow, world, User(id=9999), "C01")


def test_issuing_an_unstored_definition_is_not_found(world: World, alice: User) -> None:
    spec = NFTDefinition(prefix="LOOSE", shared_key="k", name="n")
    with world.factory() as uow, pytest.raises(NotFoundError, match="not stored"):
        create_and_issue_instance(uow, alice, spec, clock=world.clock)


def test_issuing_a_gone_definition_is_not_found(world: World, alice: User) -> None:
    ghost = NFTDefinition(id=8888, prefix="GONE", shared_key="k", name="n")
    with world.factory() as uow, pytest.raises(NotFoundError, match="definition 8888"):
        create_and_issue_instance(uow, alice, ghost, clock=world.clock)


def test_issuance_reads_the_stored_definition_not_the_argument(world: World, alice: User) -> None:
    stale = world.d(LIMITED)
    doctored = NFTDefinition(id=stale.id, prefix="OTHER", shared_key="k", name="n", max_supply=None)
    with world.factory() as uow:
        instance = create_and_issue_instance(
            uow, alice, doctored, rng=random.Random(1), clock=world.clock
        )
    assert instance.unique_instance_id.startswith(f"{LIMITED}-")


# ----------------------------------------------------------------------------- origins


@pytest.mark.parametrize(
    ("origin", "named"),
    [("   ", "must not be blank"), ("tx-ü_0", "'tx-ü_0'"), ("o" * 256, "256 characters")],
)
def test_bad_origin_is_refused(world: World, alice: User, origin: str, named: str) -> None:
    before = snapshot(world.factory)
    with world.factory() as uow, pytest.raises(ValidationError, match=named):
        issue(uow, world, alice, "C01", origin=origin)
    assert snapshot(world.factory) == before


def test_origin_held_by_a_succeeded_instance_is_a_conflict(
    world: World, alice: User, bob: User
) -> None:
    with world.factory() as uow:
        issue(uow, world, alice, "C01", origin="tx-1_0")
        uow.commit()
    with world.factory() as uow, pytest.raises(ConflictError, match="'tx-1_0'"):
        issue(uow, world, bob, "C02", origin="tx-1_0")


def test_chain_metadata_fields_are_recorded(world: World, alice: User) -> None:
    minted = world.chain.mint_nft(app="nictbw", name="Badge C01", additional_info={"prefix": "C01"})
    with world.factory() as uow:
        instance = create_and_issue_instance(
            uow, alice, world.d("C01"), chain_metadata=minted, clock=world.clock
        )
        uow.commit()
    info = minted["nft_information"]
    with world.factory() as uow:
        stored = uow.instances.get(instance.id) if instance.id is not None else None
    assert stored is not None
    assert stored.nft_origin == info["nft_origin"]
    assert stored.blockchain_nft_id == info["nft_id"]
    assert stored.current_nft_location == info["current_nft_location"]
    assert stored.transaction_id == minted["transaction_id"]


def test_chain_metadata_fields_may_sit_at_the_top_level(world: World, alice: User) -> None:
    metadata = {"nft_origin": "tx-top_0", "nft_id": 12, "transaction_hex": "ff", "extra": 1}
    with world.factory() as uow:
        instance = create_and_issue_instance(
            uow, alice, world.d("C01"), chain_metadata=metadata, clock=world.clock
        )
    assert instance.nft_origin == "tx-top_0"
    assert instance.blockchain_nft_id == 12


@pytest.mark.parametrize(
    ("metadata", "named"),
    [
        ({"nft_information": {"nft_id": "7"}}, "nft_id must be an integer, got '7'"),
        ({"nft_information": {"nft_id": True}}, "nft_id must be an integer, got True"),
        ({"nft_information": "tx_0"}, "nft_information must be an object"),
        ({"transaction_id": 5}, "transaction_id must be a string, got 5"),
        (["tx_0"], "chain_metadata must be an object"),
    ],
)
def test_chain_metadata_of_the_wrong_type_is_refused(
    world: World, alice: User, metadata: Any, named: str
) -> None:
    with world.factory() as uow, pytest.raises(ValidationError, match=re.escape(named)):
        create_and_issue_instance(
            uow, alice, world.d("C01"), chain_metadata=metadata, clock=world.clock
        )


def test_origin_argument_differing_from_the_minted_origin_is_refused(
    world: World, alice: User
) -> None:
    metadata = {"nft_information": {"nft_origin": "tx-minted_0"}}
    with world.factory() as uow, pytest.raises(ValidationError, match="'tx-other_0'"):
        create_and_issue_instance(
            uow,
            alice,
            world.d("C01"),
            nft_origin="tx-other_0",
            chain_metadata=metadata,
            clock=world.clock,
        )


# ------------------------------------------------------------------------------ cards


def test_trigger_definition_gives_one_card_centred_on_it(world: World, alice: User) -> None:
    with world.factory() as uow:
        instance = issue(uow, world, alice, TRIGGER, seed=1)
        uow.commit()
    with world.factory() as uow:
        card = card_centred_on(uow, alice, world.d(TRIGGER))
    assert card.user_id == alice.id
    assert card.issued_at == T0
    assert card.expiry is None
    assert card.state == CARD_ACTIVE
    assert card.completed_at is None
    assert sorted(c.idx for c in card.cells) == list(range(9))
    centre = card.cell_at(CENTER_IDX)
    assert centre is not None
    assert centre.target_definition_id == world.d(TRIGGER).id
    assert centre.state == CELL_UNLOCKED
    assert centre.matched_nft_instance_id == instance.id
    assert centre.definition_id == world.d(TRIGGER).id
    outer = [c.target_definition_id for c in card.cells if c.idx != CENTER_IDX]
    assert len(set(outer)) == 8
    assert set(outer) <= {world.d(p).id for p in CANDIDATES}
    assert all(c.state == CELL_LOCKED for c in card.cells if c.idx != CENTER_IDX)


def test_issuing_the_trigger_again_adds_no_second_card(world: World, alice: User) -> None:
    with world.factory() as uow:
        issue(uow, world, alice, TRIGGER, seed=1)
        issue(uow, world, alice, TRIGGER, seed=2)
        uow.commit()
    with world.factory() as uow:
        assert alice.id is not None
        cards = uow.bingo_cards.list_for_user(alice.id)
    assert len(cards) == 1


def test_each_holder_of_a_trigger_gets_a_card(world: World, alice: User, bob: User) -> None:
    with world.factory() as uow:
        issue(uow, world, alice, TRIGGER, seed=1)
        issue(uow, world, bob, TRIGGER, seed=2)
        issue(uow, world, bob, TIMED_TRIGGER, seed=3)
        uow.commit()
    with world.factory() as uow:
        assert alice.id is not None
        assert bob.id is not None
        assert len(uow.bingo_cards.list_for_user(alice.id)) == 1
        centres = {c.center_definition_id for c in uow.bingo_cards.list_for_user(bob.id)}
    assert centres == {world.d(TRIGGER).id, world.d(TIMED_TRIGGER).id}


def test_non_trigger_definition_gives_no_card(world: World, alice: User) -> None:
    with world.factory() as uow:
        issue(uow, world, alice, "C01")
        uow.commit()
    with world.factory() as uow:
        assert uow.bingo_cards.list() == []


def test_card_lifetime_sets_the_expiry(world: World, alice: User) -> None:
    with world.factory() as uow:
        issue(uow, world, alice, TIMED_TRIGGER, seed=1)
        card = card_centred_on(uow, alice, world.d(TIMED_TRIGGER))
    assert card.expiry == T0 + timedelta(seconds=PARK_LIFETIME)


def test_held_targets_start_unlocked_matched_to_the_earliest_issued(
    world: World, alice: User
) -> None:
    with world.factory() as uow:
        held = {p: issue(uow, world, alice, p, seed=n) for n, p in enumerate(CANDIDATES[:3])}
        later = issue(uow, world, alice, CANDIDATES[0], seed=50)
        issue(uow, world, alice, TRIGGER, seed=9)
        card = card_centred_on(uow, alice, world.d(TRIGGER))
    assert later.serial_number > held[CANDIDATES[0]].serial_number
    by_target = {c.target_definition_id: c for c in card.cells}
    for prefix, instance in held.items():
        cell = by_target.get(world.d(prefix).id or 0)
        if cell is None:
            continue
        assert cell.state == CELL_UNLOCKED
        assert cell.matched_nft_instance_id == instance.id
        assert cell.definition_id == world.d(prefix).id
        assert cell.unlocked_at == T0
    held_ids = {world.d(p).id for p in held} | {world.d(TRIGGER).id}
    for cell in card.cells:
        expected = CELL_UNLOCKED if cell.target_definition_id in held_ids else CELL_LOCKED
        assert cell.state == expected


def test_card_fully_held_at_generation_is_completed_at_once(world: World, alice: User) -> None:
    with world.factory() as uow:
        for n, prefix in enumerate(CANDIDATES):
            issue(uow, world, alice, prefix, seed=n)
        issue(uow, world, alice, TRIGGER, seed=42)
        uow.commit()
    with world.factory() as uow:
        card = card_centred_on(uow, alice, world.d(TRIGGER))
    assert card.state == CARD_COMPLETED
    assert card.completed_at == T0
    assert all(c.state == CELL_UNLOCKED for c in card.cells)


def test_card_completes_when_its_last_cell_is_unlocked(world: World, alice: User) -> None:
    with world.factory() as uow:
        issue(uow, world, alice, TRIGGER, seed=3)
        card = card_centred_on(uow, alice, world.d(TRIGGER))
        uow.commit()
    outer = target_prefixes(world, card, range(9))
    with world.factory() as uow:
        for n, prefix in enumerate(outer[:-1]):
            issue(uow, world, alice, prefix, seed=n)
        uow.commit()
    with world.factory() as uow:
        almost = card_centred_on(uow, alice, world.d(TRIGGER))
    assert almost.state == CARD_ACTIVE
    assert almost.completed_at is None
    assert len(almost.completed_lines()) < 8
    world.clock.advance(timedelta(minutes=30))
    with world.factory() as uow:
        last = issue(uow, world, alice, outer[-1], seed=99)
        uow.commit()
    with world.factory() as uow:
        done = card_centred_on(uow, alice, world.d(TRIGGER))
    assert done.state == CARD_COMPLETED
    assert done.completed_at == T0 + timedelta(minutes=30)
    assert len(done.completed_lines()) == 8
    last_cell = next(c for c in done.cells if c.target_definition_id == last.definition_id)
    assert last_cell.matched_nft_instance_id == last.id
    assert last_cell.unlocked_at == T0 + timedelta(minutes=30)


def test_unlocked_cells_are_never_rematched(world: World, alice: User) -> None:
    with world.factory() as uow:
        issue(uow, world, alice, TRIGGER, seed=3)
        card = card_centred_on(uow, alice, world.d(TRIGGER))
        target = target_prefixes(world, card, [0])[0]
        first = issue(uow, world, alice, target, seed=1)
        issue(uow, world, alice, target, seed=2)
        cell = card_centred_on(uow, alice, world.d(TRIGGER)).cell_at(0)
    assert cell is not None
    assert cell.matched_nft_instance_id == first.id


def test_expired_card_unlocks_nothing_and_is_stored_expired(world: World, alice: User) -> None:
    with world.factory() as uow:
        issue(uow, world, alice, TIMED_TRIGGER, seed=4)
        card = card_centred_on(uow, alice, world.d(TIMED_TRIGGER))
        uow.commit()
    target = target_prefixes(world, card, [0])[0]
    world.clock.advance(timedelta(seconds=PARK_LIFETIME))
    with world.factory() as uow:
        issue(uow, world, alice, target, seed=1)
        uow.commit()
    with world.factory() as uow:
        stored = card_centred_on(uow, alice, world.d(TIMED_TRIGGER))
    assert stored.state == CARD_EXPIRED
    cell = stored.cell_at(0)
    assert cell is not None
    assert cell.state == CELL_LOCKED


def test_card_still_unlocks_just_before_its_expiry(world: World, alice: User) -> None:
    with world.factory() as uow:
        issue(uow, world, alice, TIMED_TRIGGER, seed=4)
        card = card_centred_on(uow, alice, world.d(TIMED_TRIGGER))
        uow.commit()
    target = target_prefixes(world, card, [0])[0]
    world.clock.advance(timedelta(seconds=PARK_LIFETIME - 1))
    with world.factory() as uow:
        issue(uow, world, alice, target, seed=1)
        uow.commit()
    with world.factory() as uow:
        stored = card_centred_on(uow, alice, world.d(TIMED_TRIGGER))
    assert stored.state == CARD_ACTIVE
    cell = stored.cell_at(0)
    assert cell is not None
    assert cell.state == CELL_UNLOCKED


def test_expired_card_still_holds_its_centre(world: World, alice: User) -> None:
    with world.factory() as uow:
        issue(uow, world, alice, TIMED_TRIGGER, seed=4)
        uow.commit()
    world.clock.advance(timedelta(seconds=PARK_LIFETIME + 1))
    with world.factory() as uow:
        issue(uow, world, alice, TIMED_TRIGGER, seed=5)
        uow.commit()
    with world.factory() as uow:
        card = card_centred_on(uow, alice, world.d(TIMED_TRIGGER))
    assert card.state == CARD_EXPIRED


def test_too_few_candidates_refuses_the_trigger_and_writes_nothing(uow_factory: UowFactory) -> None:
    world = build_world(uow_factory, candidates=7)
    alice = add_users(world, "alice")[0]
    before = snapshot(world.factory)
    with (
        world.factory() as uow,
        pytest.raises(ValidationError, match=f"'{TRIGGER}': 7 candidate"),
    ):
        issue(uow, world, alice, TRIGGER)
    assert snapshot(world.factory) == before
    with world.factory() as uow:
        plain = issue(uow, world, alice, "C01")
    assert plain.serial_number == 0


# ------------------------------------------------------------------------ issue_instances


def test_issue_instances_returns_instances_in_grant_order(
    world: World, alice: User, bob: User
) -> None:
    grants: list[Any] = [
        (alice, world.d("C01")),
        Grant(user=bob, definition=world.d("C02"), nft_origin="tx-b_0"),
        (alice, world.d("C01"), "tx-a_0"),
        (bob, world.d(TRIGGER), None),
    ]
    with world.factory() as uow:
        issued = issue_instances(uow, grants, rng=random.Random(1), clock=world.clock)
        uow.commit()
    assert [(i.user_id, i.definition_id, i.nft_origin) for i in issued] == [
        (alice.id, world.d("C01").id, None),
        (bob.id, world.d("C02").id, "tx-b_0"),
        (alice.id, world.d("C01").id, "tx-a_0"),
        (bob.id, world.d(TRIGGER).id, None),
    ]
    assert [i.serial_number for i in issued] == [0, 0, 1, 0]
    with world.factory() as uow:
        assert [i.id for i in uow.instances.list()] == [i.id for i in issued]
        assert bob.id is not None
        assert len(uow.bingo_cards.list_for_user(bob.id)) == 1


def test_issue_instances_card_planned_later_in_the_batch_matches_the_earliest_issued(
    world: World, alice: User
) -> None:
    with world.factory() as uow:
        earliest = {p: issue(uow, world, alice, p, seed=n) for n, p in enumerate(CANDIDATES)}
        uow.commit()
    grants: list[Any] = [(alice, world.d(p)) for p in CANDIDATES] + [(alice, world.d(TRIGGER))]
    with world.factory() as uow:
        issue_instances(uow, grants, rng=random.Random(6), clock=world.clock)
        card = card_centred_on(uow, alice, world.d(TRIGGER))
    expected = {world.d(p).id: i.id for p, i in earliest.items()}
    for cell in card.cells:
        if cell.idx != CENTER_IDX:
            assert cell.matched_nft_instance_id == expected[cell.target_definition_id]
    assert card.state == CARD_COMPLETED


def test_issue_instances_of_nothing_returns_nothing(world: World) -> None:
    with world.factory() as uow:
        assert issue_instances(uow, [], clock=world.clock) == []


def test_issue_instances_malformed_grant_is_refused(world: World, alice: User) -> None:
    malformed: list[Any] = [(alice, world.d("C01")), ("alice",)]
    with world.factory() as uow, pytest.raises(ValidationError, match="grant 1"):
        issue_instances(uow, malformed, clock=world.clock)


def test_issue_instances_origin_granted_twice_is_a_conflict(
    world: World, alice: User, bob: User
) -> None:
    grants = [(alice, world.d("C01"), "tx-dup_0"), (bob, world.d("C02"), "tx-dup_0")]
    with world.factory() as uow, pytest.raises(ConflictError, match="'tx-dup_0'"):
        issue_instances(uow, grants, clock=world.clock)


def test_issue_instances_supply_counts_the_whole_batch(world: World, alice: User) -> None:
    grants = [(alice, world.d(LIMITED))] * (LIMITED_SUPPLY + 1)
    before = snapshot(world.factory)
    with (
        world.factory() as uow,
        pytest.raises(ConflictError, match=f"supply of '{LIMITED}' exhausted"),
    ):
        issue_instances(uow, grants, clock=world.clock)
    assert snapshot(world.factory) == before


def test_issue_instances_failing_last_grant_leaves_the_same_uow_unchanged(
    world: World, alice: User
) -> None:
    ghost = NFTDefinition(id=4040, prefix="GHOST", shared_key="k", name="n")
    with world.factory() as uow:
        kept = issue(uow, world, alice, "C03", seed=1)
        before = state_of(uow)
        grants = [(alice, world.d(TRIGGER)), (alice, world.d("C01")), (alice, ghost)]
        with pytest.raises(NotFoundError, match="definition 4040"):
            issue_instances(uow, grants, rng=random.Random(2), clock=world.clock)
        assert state_of(uow) == before
        uow.commit()
    after = snapshot(world.factory)
    assert [i.id for i in after["instances"]] == [kept.id]
    assert after["bingo_cards"] == []
    c01 = next(d for d in after["definitions"] if d.prefix == "C01")
    assert c01.minted_count == 0


def test_issue_instances_exhausted_second_definition_leaves_the_same_uow_unchanged(
    world: World, alice: User
) -> None:
    with world.factory() as uow:
        before = state_of(uow)
        grants = [(alice, world.d(TRIGGER)), *[(alice, world.d(LIMITED))] * 3]
        with pytest.raises(ConflictError, match=f"supply of '{LIMITED}' exhausted"):
            issue_instances(uow, grants, rng=random.Random(2), clock=world.clock)
        assert state_of(uow) == before
        uow.commit()
    after = snapshot(world.factory)
    assert after["instances"] == []
    assert after["bingo_cards"] == []
    assert all(d.minted_count == 0 for d in after["definitions"])


class _StuckRandom(random.Random):
    """A generator whose every ``choice`` is the first element."""

    def choice(self, seq: Any) -> Any:
        return seq[0]


def test_no_free_unique_id_after_32_attempts_is_a_conflict(world: World, alice: User) -> None:
    with world.factory() as uow:
        first = create_and_issue_instance(
            uow, alice, world.d("C01"), rng=_StuckRandom(), clock=world.clock
        )
        uow.commit()
    assert first.unique_instance_id == "C01-000000000000"
    before = snapshot(world.factory)
    with world.factory() as uow, pytest.raises(ConflictError, match="'C01' after 32 attempts"):
        create_and_issue_instance(uow, alice, world.d("C01"), rng=_StuckRandom(), clock=world.clock)
    assert snapshot(world.factory) == before
