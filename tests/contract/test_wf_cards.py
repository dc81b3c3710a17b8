"""Bringing cards up to date and rendering them (domain-rules.md §4.6, §4.7, §5, §6)."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from typing import Any

import pytest

from nictbw.domain.entities import (
    CARD_ACTIVE,
    CARD_EXPIRED,
    CELL_LOCKED,
    CELL_UNLOCKED,
    CENTER_IDX,
    User,
)
from nictbw.domain.errors import NotFoundError, ValidationError
from nictbw.workflows import (
    bingo_cards_json,
    bingo_cards_json_str,
    create_and_issue_instance,
    sync_nft_instances_from_chain,
    update_user_bingo_info,
)
from tests.contract.helpers import (
    CANDIDATES,
    PARK_LIFETIME,
    T0,
    TIMED_TRIGGER,
    TRIGGER,
    UowFactory,
    World,
    add_definition,
    add_users,
    build_world,
    card_centred_on,
    issue,
    snapshot,
    target_prefixes,
)

CARD_KEYS = [
    "id",
    "user_id",
    "period_id",
    "issued_at",
    "start_time",
    "expiry",
    "issuance_month",
    "completed_at",
    "state",
    "bingo_reward_claimed",
    "cells",
]
COMPACT_CARD_KEYS = [
    "id",
    "period_id",
    "start_time",
    "expiry",
    "issuance_month",
    "completed_at",
    "state",
    "bingo_reward_claimed",
    "cells",
]
CELL_KEYS = [
    "id",
    "bingo_card_id",
    "idx",
    "state",
    "unlocked_at",
    "definition_id",
    "matched_nft_instance_id",
    "target_definition",
]
COMPACT_CELL_KEYS = ["id", "idx", "state", "unlocked_at", "target_definition"]
DEFINITION_KEYS = [
    "id",
    "prefix",
    "shared_key",
    "name",
    "nft_type",
    "category",
    "subcategory",
    "description",
    "promotional_text",
    "store_url",
    "image_url",
    "qr_image_url",
    "max_supply",
    "minted_count",
    "status",
    "triggers_bingo_card",
    "is_dummy",
    "latitude",
    "longitude",
    "created_at",
    "updated_at",
]
COMPACT_DEFINITION_KEYS = [
    "id",
    "prefix",
    "name",
    "promotional_text",
    "image_url",
    "triggers_bingo_card",
    "is_dummy",
    "latitude",
    "longitude",
]


@pytest.fixture
def world(uow_factory: UowFactory) -> World:
    return build_world(uow_factory)


@pytest.fixture
def alice(world: World) -> User:
    return add_users(world, "alice")[0]


def _with_card(world: World, user: User, prefix: str = TRIGGER, seed: int = 3) -> None:
    with world.factory() as uow:
        issue(uow, world, user, prefix, seed=seed)
        uow.commit()


def _update(world: World, user: User, seed: int = 0) -> tuple[int, int]:
    with world.factory() as uow:
        result = update_user_bingo_info(uow, user, rng=random.Random(seed), clock=world.clock)
        uow.commit()
    return result


# ------------------------------------------------------------------ update_user_bingo_info


def test_update_user_bingo_info_is_zero_zero_when_up_to_date(world: World, alice: User) -> None:
    _with_card(world, alice)
    with world.factory() as uow:
        issue(uow, world, alice, "C01", seed=1)
        uow.commit()
    before = snapshot(world.factory)
    assert _update(world, alice) == (0, 0)
    assert snapshot(world.factory) == before


def test_update_user_bingo_info_without_badges_is_zero_zero(world: World, alice: User) -> None:
    assert _update(world, alice) == (0, 0)


def test_update_user_bingo_info_creates_a_missing_card_with_pre_unlocked_cells(
    uow_factory: UowFactory,
) -> None:
    world = build_world(uow_factory, candidates=7)
    alice = add_users(world, "alice")[0]
    for prefix in (TRIGGER, "C01", "C02"):
        world.chain.mint(
            app="nictbw",
            name=f"Badge {prefix}",
            additional_info={"prefix": prefix},
            recipient_paymail=alice.paymail,
        )
    with world.factory() as uow:
        report = sync_nft_instances_from_chain(
            uow, alice, chain=world.chain, rng=random.Random(1), clock=world.clock
        )
        uow.commit()
    assert report.created == 3
    assert report.cards_created == 0
    assert any(TRIGGER in note.reason for note in report.warnings)
    with world.factory() as uow:
        more = [add_definition(uow, world.admin, world.clock, p) for p in ("C08", "C09")]
        uow.commit()
    world.clock.advance(timedelta(minutes=1))
    cards_created, cells_unlocked = _update(world, alice, seed=8)
    with world.factory() as uow:
        card = card_centred_on(uow, alice, world.d(TRIGGER))
    held = {world.d(p).id for p in (TRIGGER, "C01", "C02")}
    unlocked = [c for c in card.cells if c.state == CELL_UNLOCKED]
    assert cards_created == 1
    assert cells_unlocked == len(unlocked)
    assert {c.target_definition_id for c in unlocked} == held & {
        c.target_definition_id for c in card.cells
    }
    assert card.issued_at == T0 + timedelta(minutes=1)
    assert {c.target_definition_id for c in card.cells} <= held | {d.id for d in more} | {
        world.d(p).id for p in CANDIDATES[:7]
    }
    assert _update(world, alice) == (0, 0)


def test_update_user_bingo_info_unlocks_cells_left_locked(world: World, alice: User) -> None:
    _with_card(world, alice)
    with world.factory() as uow:
        card = card_centred_on(uow, alice, world.d(TRIGGER))
        target = target_prefixes(world, card, [0])[0]
        instance = issue(uow, world, alice, target, seed=1)
        card = card_centred_on(uow, alice, world.d(TRIGGER))
        cell = card.cell_at(0)
        assert cell is not None
        cell.state = CELL_LOCKED
        cell.unlocked_at = None
        cell.definition_id = None
        cell.matched_nft_instance_id = None
        uow.bingo_cards.update(card)
        uow.commit()
    world.clock.advance(timedelta(minutes=2))
    assert _update(world, alice) == (0, 1)
    with world.factory() as uow:
        cell = card_centred_on(uow, alice, world.d(TRIGGER)).cell_at(0)
    assert cell is not None
    assert cell.state == CELL_UNLOCKED
    assert cell.matched_nft_instance_id == instance.id
    assert cell.unlocked_at == T0 + timedelta(minutes=2)


def test_update_user_bingo_info_stores_expired_cards(world: World, alice: User) -> None:
    _with_card(world, alice, TIMED_TRIGGER)
    world.clock.advance(timedelta(seconds=PARK_LIFETIME))
    assert _update(world, alice) == (0, 0)
    with world.factory() as uow:
        card = card_centred_on(uow, alice, world.d(TIMED_TRIGGER))
    assert card.state == CARD_EXPIRED


def test_update_user_bingo_info_too_few_candidates_writes_nothing(
    uow_factory: UowFactory,
) -> None:
    world = build_world(uow_factory, candidates=7)
    alice = add_users(world, "alice")[0]
    world.chain.mint(
        app="nictbw",
        name=f"Badge {TRIGGER}",
        additional_info={"prefix": TRIGGER},
        recipient_paymail=alice.paymail,
    )
    with world.factory() as uow:
        sync_nft_instances_from_chain(uow, alice, chain=world.chain, clock=world.clock)
        uow.commit()
    before = snapshot(world.factory)
    with pytest.raises(ValidationError, match=f"'{TRIGGER}': 7 candidate"):
        _update(world, alice)
    assert snapshot(world.factory) == before


def test_update_user_bingo_info_of_an_unstored_user_is_not_found(world: World) -> None:
    with world.factory() as uow, pytest.raises(NotFoundError, match="not stored"):
        update_user_bingo_info(uow, User(in_app_id="x"), clock=world.clock)


def test_update_user_bingo_info_of_a_gone_user_is_not_found(world: World) -> None:
    with world.factory() as uow, pytest.raises(NotFoundError, match="user 31337"):
        update_user_bingo_info(uow, User(id=31337), clock=world.clock)


# ------------------------------------------------------------------------ bingo_cards_json


def _json(world: World, user: User, compact: bool = False) -> list[dict[str, Any]]:
    with world.factory() as uow:
        return bingo_cards_json(uow, user, compact=compact, clock=world.clock)


def test_bingo_cards_json_full_shape_and_key_order(world: World, alice: User) -> None:
    _with_card(world, alice)
    [card] = _json(world, alice)
    assert list(card) == CARD_KEYS
    assert card["user_id"] == alice.id
    assert card["issued_at"] == "2026-05-01T09:00:00+00:00"
    assert card["expiry"] is None
    assert card["completed_at"] is None
    assert card["state"] == CARD_ACTIVE
    assert card["bingo_reward_claimed"] is False
    assert [cell["idx"] for cell in card["cells"]] == list(range(9))
    for cell in card["cells"]:
        assert list(cell) == CELL_KEYS
        assert cell["bingo_card_id"] == card["id"]
        assert list(cell["target_definition"]) == DEFINITION_KEYS
    centre = card["cells"][CENTER_IDX]
    assert centre["state"] == CELL_UNLOCKED
    assert centre["unlocked_at"] == "2026-05-01T09:00:00+00:00"
    assert centre["target_definition"]["prefix"] == TRIGGER
    assert centre["target_definition"]["created_at"] == "2026-05-01T09:00:00+00:00"
    locked = card["cells"][0]
    assert locked["state"] == CELL_LOCKED
    assert locked["unlocked_at"] is None
    assert locked["matched_nft_instance_id"] is None


def test_bingo_cards_json_compact_shape_and_key_order(world: World, alice: User) -> None:
    _with_card(world, alice)
    [card] = _json(world, alice, compact=True)
    assert list(card) == COMPACT_CARD_KEYS
    for cell in card["cells"]:
        assert list(cell) == COMPACT_CELL_KEYS
        assert list(cell["target_definition"]) == COMPACT_DEFINITION_KEYS


def test_bingo_cards_json_renders_microseconds_only_when_present(world: World, alice: User) -> None:
    world.clock.set(T0 + timedelta(microseconds=624467))
    _with_card(world, alice, TIMED_TRIGGER)
    [card] = _json(world, alice)
    assert card["issued_at"] == "2026-05-01T09:00:00.624467+00:00"
    assert card["expiry"] == "2026-05-01T10:00:00.624467+00:00"


def test_bingo_cards_json_orders_cards_by_issue_time_then_id(world: World, alice: User) -> None:
    with world.factory() as uow:
        fest = add_definition(
            uow,
            world.admin,
            world.clock,
            "FEST",
            triggers_bingo_card=True,
            bingo_random_candidate=False,
        )
        uow.commit()
    world.clock.set(T0 + timedelta(hours=1))
    with world.factory() as uow:
        create_and_issue_instance(uow, alice, fest, rng=random.Random(1), clock=world.clock)
        uow.commit()
    world.clock.set(T0)
    _with_card(world, alice, TRIGGER, seed=2)
    _with_card(world, alice, TIMED_TRIGGER, seed=3)
    cards = _json(world, alice)
    centres = [card["cells"][CENTER_IDX]["target_definition"]["prefix"] for card in cards]
    assert centres == [TRIGGER, TIMED_TRIGGER, "FEST"]
    assert cards[0]["id"] < cards[1]["id"]
    assert cards[2]["id"] < cards[0]["id"]


def test_bingo_cards_json_shows_the_effective_state_without_storing_it(
    world: World, alice: User
) -> None:
    _with_card(world, alice, TIMED_TRIGGER)
    world.clock.advance(timedelta(seconds=PARK_LIFETIME))
    [card] = _json(world, alice)
    assert card["state"] == CARD_EXPIRED
    with world.factory() as uow:
        assert card_centred_on(uow, alice, world.d(TIMED_TRIGGER)).state == CARD_ACTIVE


@pytest.mark.parametrize("idx", [CENTER_IDX, 7])
def test_wildcard_cell_shows_the_definition_that_unlocked_it(
    world: World, alice: User, idx: int
) -> None:
    _with_card(world, alice)
    wildcard = world.d("C09")
    with world.factory() as uow:
        card = card_centred_on(uow, alice, world.d(TRIGGER))
        cell = card.cell_at(idx)
        assert cell is not None
        cell.state = CELL_UNLOCKED
        cell.unlocked_at = T0
        cell.definition_id = wildcard.id
        uow.bingo_cards.update(card)
        uow.commit()
    for compact in (False, True):
        [rendered] = _json(world, alice, compact=compact)
        assert rendered["cells"][idx]["target_definition"]["prefix"] == "C09"


def test_non_wildcard_cell_shows_its_target(world: World, alice: User) -> None:
    _with_card(world, alice)
    with world.factory() as uow:
        card = card_centred_on(uow, alice, world.d(TRIGGER))
        cell = card.cell_at(0)
        assert cell is not None
        target = world.prefix_of(cell.target_definition_id)
        other = next(p for p in CANDIDATES if p != target)
        cell.state = CELL_UNLOCKED
        cell.unlocked_at = T0
        cell.definition_id = world.d(other).id
        uow.bingo_cards.update(card)
        uow.commit()
    [rendered] = _json(world, alice)
    assert rendered["cells"][0]["target_definition"]["prefix"] == target
    assert rendered["cells"][0]["definition_id"] == world.d(other).id


def test_bingo_cards_json_of_a_user_without_cards_is_empty(world: World, alice: User) -> None:
    assert _json(world, alice) == []
    with world.factory() as uow:
        assert bingo_cards_json_str(uow, alice, clock=world.clock) == "[]"


def test_bingo_cards_json_is_read_only(world: World, alice: User) -> None:
    _with_card(world, alice, TIMED_TRIGGER)
    world.clock.advance(timedelta(days=1))
    before = snapshot(world.factory)
    with world.factory() as uow:
        bingo_cards_json(uow, alice, clock=world.clock)
        bingo_cards_json_str(uow, alice, compact=True, clock=world.clock)
        uow.commit()
    assert snapshot(world.factory) == before


def test_bingo_cards_json_of_an_unstored_user_is_not_found(world: World) -> None:
    with world.factory() as uow, pytest.raises(NotFoundError, match="not stored"):
        bingo_cards_json(uow, User(), clock=world.clock)


def test_bingo_cards_json_str_separators_and_non_ascii(world: World, alice: User) -> None:
    with world.factory() as uow:
        fete = add_definition(
            uow,
            world.admin,
            world.clock,
            "FETE",
            name="Fête de la Ville – 祭",
            triggers_bingo_card=True,
            bingo_random_candidate=False,
        )
        create_and_issue_instance(uow, alice, fete, rng=random.Random(1), clock=world.clock)
        uow.commit()
    with world.factory() as uow:
        text = bingo_cards_json_str(uow, alice, clock=world.clock)
        data = bingo_cards_json(uow, alice, clock=world.clock)
    assert '"name": "Fête de la Ville – 祭"' in text
    assert "\\u" not in text
    assert '"id": ' in text
    assert '", "' in text
    assert ",\n" not in text
    assert '":"' not in text
    assert json.loads(text) == data
    assert text.startswith('[{"id": ')
