"""The sync trust boundary (domain-rules.md §8.4 step 0) on every backend.

The attack: an app that can mint to a user's paymail mints an NFT carrying an admin's
prefix. Syncing that user must not rename the admin's badge, take its supply past
``max_supply`` or make the attacker a holder (and so a draw candidate) of it.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from typing import Any

import pytest

from nictbw.domain.entities import INSTANCE_SUCCEEDED, SyncNote, SyncReport, User
from nictbw.domain.errors import ValidationError
from nictbw.workflows import sync_nft_instances_from_chain
from tests.contract.helpers import (
    ATTENDANCE,
    LIMITED,
    StubChain,
    UowFactory,
    World,
    add_users,
    build_world,
    chain_item,
    snapshot,
)


@pytest.fixture
def world(uow_factory: UowFactory) -> World:
    return build_world(uow_factory)


@pytest.fixture
def mallory(world: World) -> User:
    return add_users(world, "mallory")[0]


def _sync(
    world: World, user: User, chain: Any = None, trusted_apps: Collection[str] | None = None
) -> SyncReport:
    with world.factory() as uow:
        report = sync_nft_instances_from_chain(
            uow,
            user,
            chain=world.chain if chain is None else chain,
            rng=random.Random(0),
            clock=world.clock,
            trusted_apps=trusted_apps,
        )
        uow.commit()
    return report


def _mint_as(world: World, app: str, user: User, prefix: str, **info: Any) -> str:
    answer = world.chain.mint(
        app=app,
        name=f"Hijacked {prefix}",
        additional_info={"prefix": prefix, **info},
        recipient_paymail=user.paymail,
    )
    origin: str = answer["nft_information"]["nft_origin"]
    return origin


def _holdings(world: World, user: User, prefix: str) -> list[Any]:
    assert user.id is not None
    with world.factory() as uow:
        return [
            i
            for i in uow.instances.list_for_user(user.id)
            if i.definition_id == world.d(prefix).id and i.status == INSTANCE_SUCCEEDED
        ]


def test_item_of_an_untrusted_app_changes_nothing(world: World, mallory: User) -> None:
    origin = _mint_as(
        world, "evil-app", mallory, ATTENDANCE, name="Free Prize", image_url="http://evil/x.png"
    )
    before = snapshot(world.factory)
    report = _sync(world, mallory)
    assert report.skipped == (SyncNote(0, origin, "untrusted app evil-app"),)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
    assert snapshot(world.factory) == before
    assert _holdings(world, mallory, ATTENDANCE) == []


def test_trusted_app_cannot_rename_an_admin_definition(world: World, mallory: User) -> None:
    _mint_as(world, "nictbw", mallory, ATTENDANCE, name="Free Prize", image_url="http://e/x.png")
    report = _sync(world, mallory)
    assert report.created == 1
    with world.factory() as uow:
        stored = uow.definitions.get_by_prefix(ATTENDANCE)
    assert stored is not None
    original = world.d(ATTENDANCE)
    assert (stored.name, stored.image_url, stored.updated_at) == (
        original.name,
        original.image_url,
        original.updated_at,
    )


def test_untrusted_items_never_take_a_definition_past_its_supply(
    world: World, mallory: User
) -> None:
    for _ in range(3):
        _mint_as(world, "evil-app", mallory, LIMITED)
    report = _sync(world, mallory)
    assert report.created == 0
    with world.factory() as uow:
        limited = uow.definitions.get_by_prefix(LIMITED)
    assert limited is not None
    assert limited.minted_count == 0


def test_trusted_items_past_the_supply_are_skipped(world: World, mallory: User) -> None:
    origins = [_mint_as(world, "nictbw", mallory, LIMITED) for _ in range(3)]
    report = _sync(world, mallory)
    assert report.created == 2
    assert report.skipped == (SyncNote(2, origins[2], "supply exhausted"),)
    with world.factory() as uow:
        limited = uow.definitions.get_by_prefix(LIMITED)
    assert limited is not None
    assert (limited.minted_count, limited.remaining_supply) == (2, 0)
    assert _sync(world, mallory).skipped == (SyncNote(2, origins[2], "supply exhausted"),)


def test_untrusted_item_keeps_its_origin_from_being_transferred(
    world: World, mallory: User
) -> None:
    item = chain_item("tx1_0", "C01")
    chain = StubChain([item])
    assert _sync(world, mallory, chain).created == 1
    relabelled = chain_item("tx1_0", "C01")
    relabelled["metadata"]["MAP"]["app"] = "evil-app"
    chain.payloads = [relabelled]
    report = _sync(world, mallory, chain)
    assert report.transferred == 0
    assert report.skipped == (SyncNote(0, "tx1_0", "untrusted app evil-app"),)
    assert len(_holdings(world, mallory, "C01")) == 1


def test_item_without_an_app_is_untrusted(world: World, mallory: User) -> None:
    report = _sync(world, mallory, StubChain([{"nft_origin": "tx1_0", "prefix": "C01"}]))
    assert report.skipped == (SyncNote(0, "tx1_0", "untrusted app (none)"),)
    assert report.created == 0


def test_trusted_apps_names_every_app_whose_items_apply(world: World, mallory: User) -> None:
    _mint_as(world, "partner", mallory, "PARTNER-STAMP")
    _mint_as(world, "nictbw", mallory, "C01")
    only_partner = _sync(world, mallory, trusted_apps=["partner"])
    assert (only_partner.created, only_partner.definitions_created) == (1, ("PARTNER-STAMP",))
    assert [n.reason for n in only_partner.skipped] == ["untrusted app nictbw"]
    both = _sync(world, mallory, trusted_apps=("partner", "nictbw"))
    assert (both.created, both.unchanged, both.skipped) == (1, 1, ())


@pytest.mark.parametrize("trusted", ["nictbw", [""], [None], 3])
def test_malformed_trusted_apps_are_refused_before_anything_is_read(
    world: World, mallory: User, trusted: Any
) -> None:
    chain = StubChain([])
    with pytest.raises(ValidationError, match="trusted"):
        _sync(world, mallory, chain, trusted_apps=trusted)
    assert chain.calls == 0
