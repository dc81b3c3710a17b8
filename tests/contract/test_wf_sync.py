"""Reconciling a user's instances with the chain (domain-rules.md §8) on every backend."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nictbw.adapters.chain import FakeChain
from nictbw.domain.entities import (
    CELL_UNLOCKED,
    INSTANCE_SUCCEEDED,
    INSTANCE_TRANSFERRED,
    NFTInstance,
    SyncNote,
    SyncReport,
    User,
)
from nictbw.domain.errors import ChainError, NotFoundError, ValidationError
from nictbw.workflows import sync_nft_instances_from_chain
from tests.contract.helpers import (
    T0,
    TRIGGER,
    UNIQUE_ID_PATTERN,
    StubChain,
    UowFactory,
    World,
    add_users,
    build_world,
    card_centred_on,
    chain_item,
    issue,
    snapshot,
    target_prefixes,
)

CREATED = datetime(2026, 4, 30, 10, 0, tzinfo=UTC)
TRUSTED: dict[str, Any] = {"metadata": {"MAP": {"app": "nictbw"}}}
"""Merged into a bare payload: minted by the trusted default app."""


@pytest.fixture
def world(uow_factory: UowFactory) -> World:
    return build_world(uow_factory)


@pytest.fixture
def alice(world: World) -> User:
    return add_users(world, "alice")[0]


@pytest.fixture
def bob(world: World) -> User:
    return add_users(world, "bob")[0]


def _sync(world: World, user: User, chain: Any = None, seed: int = 0) -> SyncReport:
    with world.factory() as uow:
        report = sync_nft_instances_from_chain(
            uow,
            user,
            chain=chain if chain is not None else world.chain,
            rng=random.Random(seed),
            clock=world.clock,
        )
        uow.commit()
    return report


def _mint(world: World, user: User, prefix: str, **info: Any) -> str:
    answer = world.chain.mint(
        app="nictbw",
        name=f"Badge {prefix}",
        additional_info={"prefix": prefix, **info},
        recipient_paymail=user.paymail,
    )
    origin: str = answer["nft_information"]["nft_origin"]
    return origin


def _instances(world: World, user: User) -> list[NFTInstance]:
    assert user.id is not None
    with world.factory() as uow:
        return uow.instances.list_for_user(user.id)


def _by_origin(world: World, user: User) -> dict[str | None, NFTInstance]:
    return {i.nft_origin: i for i in _instances(world, user)}


def _balanced(report: SyncReport, items: int) -> bool:
    return report.created + report.updated + report.unchanged + len(report.skipped) == items


# ---------------------------------------------------------------------------- creation


def test_first_sync_creates_instances_and_missing_definitions(world: World, alice: User) -> None:
    first = _mint(world, alice, "C01")
    second = _mint(world, alice, "C01")
    quest = _mint(world, alice, "QUEST", description="A new quest")
    report = _sync(world, alice)
    assert report == SyncReport(
        created=3,
        updated=0,
        unchanged=0,
        transferred=0,
        definitions_created=("QUEST",),
        skipped=(),
        warnings=(),
        cards_created=0,
        cells_unlocked=0,
    )
    held = _by_origin(world, alice)
    assert set(held) == {first, second, quest}
    assert [held[first].serial_number, held[second].serial_number] == [0, 1]
    assert held[quest].serial_number == 0
    for instance in held.values():
        assert instance.status == INSTANCE_SUCCEEDED
        assert re.fullmatch(rf"(C01|QUEST)-{UNIQUE_ID_PATTERN}", instance.unique_instance_id)
    with world.factory() as uow:
        c01 = uow.definitions.get_by_prefix("C01")
        new = uow.definitions.get_by_prefix("QUEST")
    assert c01 is not None
    assert c01.minted_count == 2
    assert new is not None
    assert new.minted_count == 1
    assert new.name == "Badge QUEST"
    assert new.shared_key == quest
    assert new.nft_type == "default"
    assert new.description == "A new quest"
    assert new.status == "active"
    assert new.triggers_bingo_card is False
    assert new.bingo_random_candidate is False
    assert new.created_by_admin_id is None
    assert new.created_at == T0
    assert new.updated_at == T0


def test_created_instance_takes_the_chain_fields(world: World, alice: User) -> None:
    origin = _mint(world, alice, "C01")
    _sync(world, alice)
    [nft] = world.chain.nfts
    instance = _by_origin(world, alice)[origin]
    assert instance.blockchain_nft_id == nft.nft_id
    assert instance.current_nft_location == origin
    assert instance.transaction_id == nft.transaction_id
    assert instance.blockchain_name == "Badge C01"
    assert instance.blockchain_created_at == T0
    assert instance.blockchain_updated_at == T0
    assert instance.acquired_at == T0
    assert instance.other_meta == {
        "prefix": "C01",
        "name": "Badge C01",
        "unique_nft_id": nft.unique_nft_id,
    }
    assert instance.unique_instance_id != nft.unique_nft_id


def test_acquired_at_comes_from_the_chain_created_at(world: World, alice: User) -> None:
    chain = StubChain([chain_item("tx1_0", "C01")])
    _sync(world, alice, chain)
    assert _by_origin(world, alice)["tx1_0"].acquired_at == CREATED


def test_unusable_created_at_is_a_warning_and_acquired_at_is_now(world: World, alice: User) -> None:
    chain = StubChain([chain_item("tx1_0", "C01", created_at="yesterday")])
    report = _sync(world, alice, chain)
    assert report.created == 1
    assert {n.index for n in report.warnings} == {0}
    assert any("'yesterday'" in n.reason for n in report.warnings)
    assert any("acquired_at is now" in n.reason for n in report.warnings)
    instance = _by_origin(world, alice)["tx1_0"]
    assert instance.acquired_at == T0
    assert instance.blockchain_created_at is None


def test_over_long_values_are_left_out_with_a_warning_never_truncated(
    world: World, alice: User
) -> None:
    long_location = "L" * 256
    chain = StubChain([chain_item("tx1_0", "C01", current_nft_location=long_location)])
    report = _sync(world, alice, chain)
    assert any("256 characters" in n.reason for n in report.warnings)
    assert _by_origin(world, alice)["tx1_0"].current_nft_location == "tx1_0"


def test_sync_never_takes_a_definition_past_max_supply(world: World, alice: User) -> None:
    chain = StubChain([chain_item(f"tx{n}_0", "LIMITED", nft_id=n) for n in range(3)])
    report = _sync(world, alice, chain)
    assert report.created == 2
    assert report.skipped == (SyncNote(2, "tx2_0", "supply exhausted"),)
    with world.factory() as uow:
        limited = uow.definitions.get_by_prefix("LIMITED")
    assert limited is not None
    assert limited.minted_count == 2
    assert limited.remaining_supply == 0


def test_item_without_a_prefix_gets_an_onchain_definition(world: World, alice: User) -> None:
    chain = StubChain([chain_item("tx9_0", None, name="Mystery")])
    report = _sync(world, alice, chain)
    assert report.definitions_created == ("onchain-tx9_0",)
    with world.factory() as uow:
        created = uow.definitions.get_by_prefix("onchain-tx9_0")
    assert created is not None
    assert created.name == "Mystery"


# ------------------------------------------------------------------------- idempotency


def test_second_run_reports_everything_unchanged_and_writes_nothing(
    world: World, alice: User
) -> None:
    for prefix in ("C01", "QUEST", TRIGGER):
        _mint(world, alice, prefix)
    _sync(world, alice)
    before = snapshot(world.factory)
    world.clock.advance(timedelta(hours=1))
    report = _sync(world, alice, seed=99)
    assert report == SyncReport(unchanged=3)
    assert snapshot(world.factory) == before


# ----------------------------------------------------------------------------- updates


def test_changed_chain_fields_update_the_instance(world: World, alice: User) -> None:
    chain = StubChain([chain_item("tx1_0", "C01")])
    _sync(world, alice, chain)
    world.clock.advance(timedelta(minutes=5))
    chain.payloads = [chain_item("tx1_0", "C01", current_nft_location="tx2_1", sub_type="gold")]
    report = _sync(world, alice, chain)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    instance = _by_origin(world, alice)["tx1_0"]
    assert instance.current_nft_location == "tx2_1"
    assert instance.sub_type == "gold"
    assert instance.acquired_at == CREATED
    assert instance.serial_number == 0


def test_missing_or_none_values_never_overwrite_stored_ones(world: World, alice: User) -> None:
    chain = StubChain([chain_item("tx1_0", "C01", token_id="T-1", contract_address="0xabc")])
    _sync(world, alice, chain)
    stored = _by_origin(world, alice)["tx1_0"]
    bare = chain_item("tx1_0", "C01", token_id=None)
    for key in ("nft_id", "current_nft_location", "transaction_id", "created_at", "updated_at"):
        del bare[key]
    chain.payloads = [bare]
    report = _sync(world, alice, chain)
    assert report.unchanged == 1
    after = _by_origin(world, alice)["tx1_0"]
    assert after == stored
    assert after.token_id == "T-1"
    assert after.contract_address == "0xabc"
    assert after.blockchain_created_at == CREATED


def test_definition_fields_present_and_different_are_overwritten(world: World, alice: User) -> None:
    chain = StubChain([chain_item("tx1_0", "SHOP")])
    _sync(world, alice, chain)
    world.clock.advance(timedelta(minutes=5))
    item = chain_item("tx1_0", "SHOP")
    item["metadata"]["MAP"]["subTypeData"]["category"] = "food"
    chain.payloads = [item]
    report = _sync(world, alice, chain)
    assert report.updated == 1
    with world.factory() as uow:
        shop = uow.definitions.get_by_prefix("SHOP")
    assert shop is not None
    assert shop.category == "food"
    assert shop.updated_at == T0 + timedelta(minutes=5)
    assert shop.created_at == T0
    assert shop.created_by_admin_id is None
    assert shop.minted_count == 1


def test_definition_owned_by_an_admin_is_never_changed(world: World, alice: User) -> None:
    item = chain_item("tx1_0", "C01", name="Renamed")
    item["metadata"]["MAP"]["subTypeData"].update(category="food", image_url="http://x/y.png")
    report = _sync(world, alice, StubChain([item]))
    assert report.created == 1
    with world.factory() as uow:
        c01 = uow.definitions.get_by_prefix("C01")
    assert c01 is not None
    before = world.d("C01")
    assert (c01.name, c01.category, c01.image_url) == (
        before.name,
        before.category,
        before.image_url,
    )
    assert c01.updated_at == before.updated_at


def test_fallbacks_never_overwrite_a_definition(world: World, alice: User) -> None:
    chain = StubChain([{"nft_origin": "tx1_0", "prefix": "C02", **TRUSTED}])
    report = _sync(world, alice, chain)
    assert report.created == 1
    with world.factory() as uow:
        c02 = uow.definitions.get_by_prefix("C02")
    assert c02 is not None
    assert c02.name == "Badge C02"
    assert c02.shared_key == "key-c02"
    assert c02.updated_at == T0


# --------------------------------------------------------------------------- transfers


def test_instance_gone_from_the_chain_becomes_transferred(
    world: World, alice: User, bob: User
) -> None:
    origin = _mint(world, alice, "C01")
    kept = _mint(world, alice, "C02")
    _sync(world, alice)
    world.chain.transfer(origin, "bob")
    report = _sync(world, alice)
    assert report.transferred == 1
    assert report.unchanged == 1
    held = _by_origin(world, alice)
    assert held[origin].status == INSTANCE_TRANSFERRED
    assert held[kept].status == INSTANCE_SUCCEEDED


def test_receiver_sync_transfers_the_previous_holders_instance(
    world: World, alice: User, bob: User
) -> None:
    origin = _mint(world, alice, "C01")
    _sync(world, alice)
    world.chain.transfer(origin, "bob")
    report = _sync(world, bob)
    assert report.created == 1
    assert report.transferred == 1
    assert _by_origin(world, alice)[origin].status == INSTANCE_TRANSFERRED
    gained = _by_origin(world, bob)[origin]
    assert gained.status == INSTANCE_SUCCEEDED
    assert gained.serial_number == 1
    assert gained.current_nft_location != origin


def test_reacquired_instance_becomes_succeeded_again(world: World, alice: User, bob: User) -> None:
    origin = _mint(world, alice, "C01")
    _sync(world, alice)
    original = _by_origin(world, alice)[origin]
    world.chain.transfer(origin, "bob")
    _sync(world, bob)
    world.chain.transfer(origin, "alice")
    report = _sync(world, alice)
    assert report.updated == 1
    assert report.created == 0
    assert report.transferred == 1
    back = _by_origin(world, alice)[origin]
    assert back.status == INSTANCE_SUCCEEDED
    assert back.id == original.id
    assert back.serial_number == original.serial_number
    assert back.unique_instance_id == original.unique_instance_id
    assert back.acquired_at == original.acquired_at
    assert _by_origin(world, bob)[origin].status == INSTANCE_TRANSFERRED


def test_reacquired_instance_listed_under_another_prefix_is_reacquired(
    world: World, alice: User
) -> None:
    chain = StubChain([chain_item("tx1_0", "C01")])
    _sync(world, alice, chain)
    chain.payloads = []
    _sync(world, alice, chain)
    chain.payloads = [{"nft_origin": "tx1_0", **TRUSTED}]
    report = _sync(world, alice, chain)
    assert (report.created, report.updated) == (0, 1)
    assert report.definitions_created == ("onchain-tx1_0",)
    back = _by_origin(world, alice)["tx1_0"]
    assert back.status == INSTANCE_SUCCEEDED
    assert back.definition_id == world.d("C01").id


def test_reacquired_instances_unlock_cells_on_active_cards(
    world: World, alice: User, bob: User
) -> None:
    away = [_mint(world, alice, prefix) for prefix in ("C01", "C02")]
    _sync(world, alice)
    for origin in away:
        world.chain.transfer(origin, "bob")
    _sync(world, alice)
    with world.factory() as uow:
        issue(uow, world, alice, TRIGGER, seed=7)
        card = card_centred_on(uow, alice, world.d(TRIGGER))
        uow.commit()
    on_card = [
        o
        for o, p in zip(away, ("C01", "C02"), strict=True)
        if world.d(p).id in {c.target_definition_id for c in card.cells}
    ]
    assert on_card
    for origin in away:
        world.chain.transfer(origin, "alice")
    world.clock.advance(timedelta(minutes=1))
    report = _sync(world, alice)
    assert (report.created, report.updated) == (0, 2)
    assert report.cells_unlocked == len(on_card)
    held = _by_origin(world, alice)
    with world.factory() as uow:
        after = card_centred_on(uow, alice, world.d(TRIGGER))
    matched = {c.matched_nft_instance_id for c in after.cells if c.state == CELL_UNLOCKED}
    assert {held[o].id for o in on_card} <= matched


def test_origin_of_a_transferred_instance_can_be_issued_again(
    world: World, alice: User, bob: User
) -> None:
    origin = _mint(world, alice, "C01")
    _sync(world, alice)
    world.chain.transfer(origin, "bob")
    _sync(world, alice)
    with world.factory() as uow:
        again = issue(uow, world, bob, "C01", origin=origin, seed=3)
        uow.commit()
    assert again.status == INSTANCE_SUCCEEDED
    assert _by_origin(world, alice)[origin].status == INSTANCE_TRANSFERRED


def test_instances_without_origin_are_never_transferred(world: World, alice: User) -> None:
    with world.factory() as uow:
        local = issue(uow, world, alice, "C05")
        uow.commit()
    report = _sync(world, alice, StubChain([]))
    assert report == SyncReport()
    assert _instances(world, alice) == [local]


def test_skipped_item_with_a_valid_origin_still_counts_as_found(world: World, alice: User) -> None:
    chain = StubChain([chain_item("tx1_0", "C01")])
    _sync(world, alice, chain)
    chain.payloads = [chain_item("tx1_0", "bad prefix")]
    report = _sync(world, alice, chain)
    assert report.skipped == (SyncNote(index=0, origin="tx1_0", reason="invalid prefix"),)
    assert report.transferred == 0
    assert _by_origin(world, alice)["tx1_0"].status == INSTANCE_SUCCEEDED


# ---------------------------------------------------------------------------- adoption


def test_origin_less_local_instance_adopts_the_chain_origin(world: World, alice: User) -> None:
    with world.factory() as uow:
        first = issue(uow, world, alice, "C01", seed=1)
        issue(uow, world, alice, "C01", seed=2)
        uow.commit()
    origin = _mint(world, alice, "C01")
    report = _sync(world, alice)
    assert (report.created, report.updated) == (0, 1)
    held = _by_origin(world, alice)
    adopted = held[origin]
    assert adopted.id == first.id
    assert adopted.serial_number == 0
    assert adopted.unique_instance_id == first.unique_instance_id
    assert adopted.acquired_at == first.acquired_at
    assert adopted.blockchain_nft_id == world.chain.nfts[0].nft_id
    assert held[None].serial_number == 1
    with world.factory() as uow:
        c01 = uow.definitions.get_by_prefix("C01")
    assert c01 is not None
    assert c01.minted_count == 2


# ------------------------------------------------------------------------------- bingo


def test_synced_instances_unlock_cells_on_active_cards(world: World, alice: User) -> None:
    with world.factory() as uow:
        issue(uow, world, alice, TRIGGER, seed=5)
        card = card_centred_on(uow, alice, world.d(TRIGGER))
        uow.commit()
    targets = target_prefixes(world, card, [0, 1])
    for prefix in targets:
        _mint(world, alice, prefix)
    world.clock.advance(timedelta(minutes=1))
    report = _sync(world, alice)
    assert report.created == 2
    assert report.cells_unlocked == 2
    assert report.cards_created == 0
    held = _by_origin(world, alice)
    with world.factory() as uow:
        after = card_centred_on(uow, alice, world.d(TRIGGER))
    for idx in (0, 1):
        cell = after.cell_at(idx)
        assert cell is not None
        assert cell.state == CELL_UNLOCKED
        assert cell.unlocked_at == T0 + timedelta(minutes=1)
        matched = [i for i in held.values() if i.id == cell.matched_nft_instance_id]
        assert matched
        assert matched[0].definition_id == cell.target_definition_id


def test_synced_trigger_gives_a_card(world: World, alice: User) -> None:
    origin = _mint(world, alice, TRIGGER)
    report = _sync(world, alice, seed=3)
    assert report.cards_created == 1
    assert report.cells_unlocked == 1
    with world.factory() as uow:
        card = card_centred_on(uow, alice, world.d(TRIGGER))
    centre = card.cell_at(4)
    assert centre is not None
    assert centre.matched_nft_instance_id == _by_origin(world, alice)[origin].id


# ------------------------------------------------------------------------ skipped items


def test_malformed_items_are_skipped_with_reasons(world: World, alice: User) -> None:
    items: list[Any] = [
        "not a dict",
        {"name": "no origin here"},
        chain_item("tx-é_0", "C01"),
        chain_item("tx1_0", "C01"),
        chain_item("tx1_0", "C02"),
        chain_item("tx2_0", "has space"),
        {"nft_origin": "o" * 256},
        chain_item("tx3_0", "C03"),
    ]
    report = _sync(world, alice, StubChain(items))
    assert report.skipped == (
        SyncNote(0, None, "not an object"),
        SyncNote(1, None, "no origin"),
        SyncNote(2, "tx-é_0", "invalid origin"),
        SyncNote(4, "tx1_0", "duplicate origin"),
        SyncNote(5, "tx2_0", "invalid prefix"),
        SyncNote(6, "o" * 256, "invalid origin"),
    )
    assert report.created == 2
    assert _balanced(report, len(items))
    assert set(_by_origin(world, alice)) == {"tx1_0", "tx3_0"}


@pytest.mark.parametrize("key", ["origin", "txid", "transaction_id"])
def test_origin_falls_back_to_other_keys(world: World, alice: User, key: str) -> None:
    report = _sync(world, alice, StubChain([{key: "txf_0", "prefix": "C04", **TRUSTED}]))
    assert report.created == 1
    assert "txf_0" in _by_origin(world, alice)


# ------------------------------------------------------------------ preconditions, faults


def test_user_without_on_chain_id_is_refused_before_the_chain(world: World) -> None:
    with world.factory() as uow:
        uow.users.add(User(in_app_id="offline", created_at=T0, updated_at=T0))
        uow.commit()
        offline = uow.users.get_by_in_app_id("offline")
    assert offline is not None
    chain = StubChain([])
    with pytest.raises(ValidationError, match=f"user {offline.id} has no on_chain_id"):
        _sync(world, offline, chain)
    assert chain.calls == 0


def test_sync_of_an_unstored_user_is_not_found(world: World) -> None:
    chain = StubChain([])
    with pytest.raises(NotFoundError, match="not stored"):
        _sync(world, User(on_chain_id="ghost"), chain)
    assert chain.calls == 0


def test_sync_of_a_gone_user_is_not_found(world: World) -> None:
    with pytest.raises(NotFoundError, match="user 8080"):
        _sync(world, User(id=8080, on_chain_id="ghost"), StubChain([]))


@pytest.mark.parametrize("answer", [{"items": []}, None, "[]", 3])
def test_chain_answer_that_is_not_a_list_is_a_chain_error(
    world: World, alice: User, answer: Any
) -> None:
    _mint(world, alice, "C01")
    _sync(world, alice)
    before = snapshot(world.factory)
    with pytest.raises(ChainError):
        _sync(world, alice, StubChain(answer))
    assert snapshot(world.factory) == before


def test_unknown_chain_user_is_a_chain_error(world: World) -> None:
    with world.factory() as uow:
        uow.users.add(User(in_app_id="x", on_chain_id="nobody", created_at=T0, updated_at=T0))
        uow.commit()
        user = uow.users.get_by_in_app_id("x")
    assert user is not None
    with pytest.raises(ChainError) as caught:
        _sync(world, user)
    assert caught.value.status == 404


@pytest.mark.parametrize("kind", ["status", "timeout", "malformed"])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_failing_kth_chain_call_of_a_sync_sequence_persists_nothing(
    world: World, alice: User, bob: User, kind: Any, k: int
) -> None:
    chain = FakeChain(seed=5, clock=world.clock)
    for user in (alice, bob):
        assert user.on_chain_id is not None
        chain.create_account(user.on_chain_id, f"{user.on_chain_id}@x.example", "pw")
    chain.fail_on(k, kind)
    steps = [
        (alice, ["C01", TRIGGER]),
        (bob, ["C02", "QUEST"]),
        (alice, ["C03"]),
    ]
    for n, (user, prefixes) in enumerate(steps, start=1):
        for prefix in prefixes:
            chain.mint(
                app="nictbw",
                name=f"Badge {prefix}",
                additional_info={"prefix": prefix},
                recipient_paymail=f"{user.on_chain_id}@fake.chain",
            )
        before = snapshot(world.factory)
        if n == k:
            with pytest.raises(ChainError):
                _sync(world, user, chain)
            assert snapshot(world.factory) == before
        else:
            report = _sync(world, user, chain)
            assert report.created >= 1
    assert chain.calls == len(steps)


def test_nul_characters_are_refused_on_every_backend(world: World, alice: User) -> None:
    chain = StubChain(
        [
            chain_item("tx\x001_0", "C01"),
            chain_item("tx2_0", "C01", current_nft_location="loc\x00ation"),
        ]
    )
    report = _sync(world, alice, chain)
    assert [(n.index, n.reason) for n in report.skipped] == [(0, "invalid origin")]
    assert any("NUL" in n.reason and n.index == 1 for n in report.warnings)
    (instance,) = _instances(world, alice)
    assert instance.nft_origin == "tx2_0"
    assert instance.current_nft_location == "tx2_0"
