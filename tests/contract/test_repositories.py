"""The repository contract: every adapter behaves alike (ports/repositories.py, domain-rules.md §2).

Runs over ``uow_factory`` (memory, SQLite, PostgreSQL) and talks only to the ports.
Persistence is always checked through a fresh unit of work. No test asserts a concrete id
value: database sequences may skip numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

from nictbw.domain.entities import (
    CARD_ACTIVE,
    CARD_COMPLETED,
    CARD_EXPIRED,
    CELL_LOCKED,
    CELL_UNLOCKED,
    INSTANCE_SUCCEEDED,
    INSTANCE_TRANSFERRED,
    OUTCOME_LOSE,
    OUTCOME_PENDING,
    OUTCOME_WIN,
    Admin,
    BingoCard,
    BingoCell,
    DrawCandidate,
    NFTDefinition,
    NFTInstance,
    PrizeDrawResult,
    PrizeDrawType,
    PrizeDrawWinningNumber,
    User,
)
from nictbw.domain.errors import ConflictError, NotFoundError, ValidationError
from nictbw.ports.repositories import UnitOfWork

UowFactory = Callable[[], UnitOfWork]

T0 = datetime(2026, 5, 1, 9, 0, 0, 123456, tzinfo=UTC)
HOUR = timedelta(hours=1)
MISSING_ID = 987_654


# -- builders ----------------------------------------------------------------------------


def make_user(n: int, **changes: Any) -> User:
    fields: dict[str, Any] = {
        "in_app_id": f"user-{n}",
        "email": f"user{n}@example.org",
        "paymail": f"user{n}@pay.example",
        "on_chain_id": f"chain-user-{n}",
        "created_at": T0,
        "updated_at": T0,
    }
    fields.update(changes)
    return User(**fields)


def make_admin(n: int, **changes: Any) -> Admin:
    fields: dict[str, Any] = {
        "email": f"admin{n}@example.org",
        "password_hash": "hash",
        "created_at": T0,
        "updated_at": T0,
    }
    fields.update(changes)
    return Admin(**fields)


def make_definition(prefix: str, **changes: Any) -> NFTDefinition:
    fields: dict[str, Any] = {
        "prefix": prefix,
        "shared_key": f"key-{prefix}",
        "name": f"Badge {prefix}",
        "created_at": T0,
        "updated_at": T0,
    }
    fields.update(changes)
    return NFTDefinition(**fields)


def make_instance(user_id: int, definition_id: int, serial: int, **changes: Any) -> NFTInstance:
    fields: dict[str, Any] = {
        "user_id": user_id,
        "definition_id": definition_id,
        "serial_number": serial,
        "unique_instance_id": f"D{definition_id}-{serial:012d}",
        "acquired_at": T0,
        "nft_origin": f"origin-{definition_id}-{serial}",
    }
    fields.update(changes)
    return NFTInstance(**fields)


def make_draw_type(name: str, **changes: Any) -> PrizeDrawType:
    fields: dict[str, Any] = {
        "internal_name": name,
        "algorithm_key": "sha256_hex_proximity",
        "default_threshold": 0.5,
        "created_at": T0,
        "updated_at": T0,
    }
    fields.update(changes)
    return PrizeDrawType(**fields)


def make_winning_number(draw_type_id: int, value: str, **changes: Any) -> PrizeDrawWinningNumber:
    fields: dict[str, Any] = {"draw_type_id": draw_type_id, "value": value, "created_at": T0}
    fields.update(changes)
    return PrizeDrawWinningNumber(**fields)


def make_card(
    user_id: int,
    targets: Sequence[int],
    *,
    unlocked: Mapping[int, int | None] | None = None,
    order: Sequence[int] = range(9),
    **changes: Any,
) -> BingoCard:
    """A card whose cell at idx i targets ``targets[i]``; ``unlocked`` maps idx -> matched id."""
    opened = dict(unlocked or {})
    cells = [
        BingoCell(
            idx=i,
            target_definition_id=targets[i],
            definition_id=targets[i] if i in opened else None,
            matched_nft_instance_id=opened.get(i),
            state=CELL_UNLOCKED if i in opened else CELL_LOCKED,
            unlocked_at=T0 if i in opened else None,
        )
        for i in order
    ]
    fields: dict[str, Any] = {
        "user_id": user_id,
        "center_definition_id": targets[4],
        "issued_at": T0,
        "cells": cells,
    }
    fields.update(changes)
    return BingoCard(**fields)


def make_result(
    instance: NFTInstance,
    draw_type_id: int,
    winning_number_id: int | None,
    similarity: float | None,
    **changes: Any,
) -> PrizeDrawResult:
    assert instance.id is not None
    fields: dict[str, Any] = {
        "draw_type_id": draw_type_id,
        "winning_number_id": winning_number_id,
        "user_id": instance.user_id,
        "definition_id": instance.definition_id,
        "nft_instance_id": instance.id,
        "draw_number": (instance.nft_origin or "none").lower(),
        "similarity_score": similarity,
        "draw_top_digits": None if similarity is None else "0123456789",
        "winning_top_digits": None if similarity is None else "9876543210",
        "threshold_used": 0.5,
        "outcome": OUTCOME_PENDING if similarity is None else OUTCOME_WIN,
        "evaluated_at": T0,
    }
    fields.update(changes)
    return PrizeDrawResult(**fields)


@attrs.define
class World:
    """Committed rows most tests start from: an admin, three users, ten definitions."""

    admin: Admin
    users: list[User]
    definitions: list[NFTDefinition]

    @property
    def user_ids(self) -> list[int]:
        return [_id(u) for u in self.users]

    @property
    def definition_ids(self) -> list[int]:
        return [_id(d) for d in self.definitions]


def _id(entity: Any) -> int:
    assert entity.id is not None
    return int(entity.id)


@pytest.fixture
def world(uow_factory: UowFactory) -> World:
    with uow_factory() as uow:
        admin = uow.admins.add(make_admin(1))
        users = [uow.users.add(make_user(n)) for n in range(3)]
        definitions = [
            uow.definitions.add(make_definition(f"DEF{n}", created_by_admin_id=admin.id))
            for n in range(10)
        ]
        uow.commit()
    return World(admin=admin, users=users, definitions=definitions)


def issue(
    factory: UowFactory, user_id: int, definition_id: int, count: int = 1, **changes: Any
) -> list[NFTInstance]:
    """Store ``count`` instances of the definition for the user, committed."""
    with factory() as uow:
        first = uow.definitions.reserve_serials(definition_id, count, enforce_supply=False)
        assert first is not None
        instances = [
            make_instance(user_id, definition_id, first + k, **changes) for k in range(count)
        ]
        uow.instances.add_many(instances)
        uow.commit()
    return instances


# -- unit of work ------------------------------------------------------------------------


def test_ids_are_assigned_on_add_and_usable_before_commit(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        user = uow.users.add(make_user(1))
        assert user.id is not None
        assert uow.users.get(user.id) == user


def test_committed_changes_are_visible_to_a_fresh_unit_of_work(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        user = uow.users.add(make_user(1))
        uow.commit()
    with uow_factory() as uow:
        assert uow.users.get(_id(user)) == user


def test_leaving_without_commit_discards_the_changes(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.users.add(make_user(1))
    with uow_factory() as uow:
        assert uow.users.list() == []


def test_leaving_by_an_exception_discards_the_changes(uow_factory: UowFactory) -> None:
    def add_then_fail() -> None:
        with uow_factory() as uow:
            uow.users.add(make_user(1))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        add_then_fail()
    with uow_factory() as uow:
        assert uow.users.list() == []


def test_rollback_discards_changes_since_the_last_commit(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        kept = uow.users.add(make_user(1))
        uow.commit()
        uow.users.add(make_user(2))
        uow.rollback()
        uow.users.add(make_user(3))
        uow.commit()
    with uow_factory() as uow:
        assert [u.in_app_id for u in uow.users.list()] == [kept.in_app_id, "user-3"]


def test_constraint_failure_leaves_committed_state_intact(
    uow_factory: UowFactory, world: World
) -> None:
    with uow_factory() as uow:
        uow.users.add(make_user(7))
        with pytest.raises(ConflictError):
            uow.users.add(make_user(8, in_app_id="user-0"))
    with uow_factory() as uow:
        assert uow.users.list() == world.users


class AbortError(Exception):
    """Raised inside a savepoint to leave it by an error."""


def abort_savepoint(uow: UnitOfWork, *writes: Callable[[], object]) -> None:
    """Run ``writes`` in a savepoint left by an exception, which must come out of it."""
    try:
        with uow.savepoint():
            for write in writes:
                write()
            raise AbortError
    except AbortError:
        return
    raise AssertionError("the savepoint swallowed the exception")


def test_savepoint_keeps_its_block_when_it_succeeds(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        with uow.savepoint():
            uow.users.add(make_user(1))
        uow.commit()
    with uow_factory() as uow:
        assert [u.in_app_id for u in uow.users.list()] == ["user-1"]


def test_savepoint_undoes_its_block_when_it_raises_and_the_transaction_goes_on(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        uow.users.add(make_user(1))
        abort_savepoint(uow, lambda: uow.users.add(make_user(2)))
        uow.users.add(make_user(3))
        uow.commit()
    with uow_factory() as uow:
        assert [u.in_app_id for u in uow.users.list()] == ["user-1", "user-3"]


def test_savepoint_nested_failure_keeps_the_outer_block(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        with uow.savepoint():
            uow.users.add(make_user(1))
            abort_savepoint(uow, lambda: uow.users.add(make_user(2)))
        uow.commit()
    with uow_factory() as uow:
        assert [u.in_app_id for u in uow.users.list()] == ["user-1"]


def test_savepoint_undoes_updates_and_serial_reservations(
    uow_factory: UowFactory, world: World
) -> None:
    with uow_factory() as uow:
        abort_savepoint(
            uow,
            lambda: uow.users.update(attrs.evolve(world.users[0], nickname="changed")),
            lambda: uow.definitions.reserve_serials(
                world.definition_ids[0], 4, enforce_supply=True
            ),
        )
        assert uow.users.get(world.user_ids[0]) == world.users[0]
        assert uow.definitions.reserve_serials(world.definition_ids[0], 1, enforce_supply=True) == 0


def test_refused_write_changes_nothing_and_the_transaction_goes_on(
    uow_factory: UowFactory, world: World
) -> None:
    with uow_factory() as uow:
        with pytest.raises(ConflictError):
            uow.users.add(make_user(8, in_app_id="user-0"))
        uow.users.add(make_user(9))
        uow.commit()
    with uow_factory() as uow:
        assert [u.in_app_id for u in uow.users.list()] == ["user-0", "user-1", "user-2", "user-9"]


def test_refused_bulk_write_stores_none_of_its_rows(uow_factory: UowFactory, world: World) -> None:
    user_id, definition_id = world.user_ids[0], world.definition_ids[0]
    batch = [make_instance(user_id, definition_id, n) for n in (0, 1, 2)]
    batch[2].unique_instance_id = batch[0].unique_instance_id
    with uow_factory() as uow:
        with pytest.raises(ConflictError):
            uow.instances.add_many(batch)
        assert uow.instances.list() == []
        kept = make_instance(user_id, definition_id, 5)
        uow.instances.add(kept)
        uow.commit()
    with uow_factory() as uow:
        assert uow.instances.list() == [kept]


def test_refused_card_stores_none_of_its_cells(uow_factory: UowFactory, world: World) -> None:
    bad = make_card(world.user_ids[0], world.definition_ids)
    bad.cells[8].target_definition_id = MISSING_ID
    good = make_card(world.user_ids[0], world.definition_ids)
    with uow_factory() as uow:
        with pytest.raises(ConflictError):
            uow.bingo_cards.add(bad)
        uow.bingo_cards.add(good)
        uow.commit()
    with uow_factory() as uow:
        assert uow.bingo_cards.list() == [good]


def test_refused_update_many_restores_the_rows_it_already_wrote(
    uow_factory: UowFactory, world: World
) -> None:
    instances = issue(uow_factory, world.user_ids[0], world.definition_ids[0], count=3)
    changed = [attrs.evolve(i, status=INSTANCE_TRANSFERRED) for i in instances]
    changed[2].definition_id = MISSING_ID
    with uow_factory() as uow:
        with pytest.raises(ConflictError):
            uow.instances.update_many(changed)
        assert uow.instances.list() == instances


# -- copies ------------------------------------------------------------------------------


def test_mutating_an_added_entity_changes_nothing_stored(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        user = uow.users.add(make_user(1))
        user.nickname = "changed"
        assert uow.users.get(_id(user)) == make_user(1, id=user.id)


def test_mutating_a_read_entity_changes_nothing_until_update(
    uow_factory: UowFactory, world: World
) -> None:
    with uow_factory() as uow:
        read = uow.users.get(world.user_ids[0])
        assert read is not None
        read.nickname = "changed"
        assert uow.users.get(world.user_ids[0]) == world.users[0]


def test_mutating_a_read_card_cell_changes_nothing(uow_factory: UowFactory, world: World) -> None:
    with uow_factory() as uow:
        card = uow.bingo_cards.add(make_card(world.user_ids[0], world.definition_ids))
        read = uow.bingo_cards.get(_id(card))
        assert read is not None
        read.cells[0].state = CELL_UNLOCKED
        read.cells.pop()
        again = uow.bingo_cards.get(_id(card))
        assert again is not None
        assert [c.state for c in again.cells] == [CELL_LOCKED] * 9


def test_mutating_read_json_changes_nothing(uow_factory: UowFactory, world: World) -> None:
    meta = {"tags": ["a"], "nested": {"k": 1}}
    (instance,) = issue(uow_factory, world.user_ids[0], world.definition_ids[0], other_meta=meta)
    with uow_factory() as uow:
        read = uow.instances.get(_id(instance))
        assert read is not None
        assert read.other_meta is not None
        read.other_meta["tags"].append("b")
        read.other_meta["nested"]["k"] = 2
        again = uow.instances.get(_id(instance))
        assert again is not None
        assert again.other_meta == {"tags": ["a"], "nested": {"k": 1}}


# -- get / list --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "repository",
    [
        "users",
        "admins",
        "definitions",
        "instances",
        "bingo_cards",
        "draw_types",
        "winning_numbers",
        "draw_results",
    ],
)
def test_get_returns_none_when_absent(uow_factory: UowFactory, repository: str) -> None:
    with uow_factory() as uow:
        assert getattr(uow, repository).get(MISSING_ID) is None


def test_list_returns_every_row_in_ascending_id(uow_factory: UowFactory, world: World) -> None:
    with uow_factory() as uow:
        definitions = uow.definitions.list()
    assert definitions == world.definitions
    ids = [_id(d) for d in definitions]
    assert ids == sorted(ids)


def test_get_many_returns_the_stored_ones_by_id(uow_factory: UowFactory, world: World) -> None:
    wanted = [world.user_ids[2], MISSING_ID, world.user_ids[0]]
    with uow_factory() as uow:
        found = uow.users.get_many(wanted)
    assert found == {world.user_ids[0]: world.users[0], world.user_ids[2]: world.users[2]}


def test_definitions_get_many_returns_the_stored_ones_by_id(
    uow_factory: UowFactory, world: World
) -> None:
    with uow_factory() as uow:
        found = uow.definitions.get_many([world.definition_ids[1], MISSING_ID])
    assert found == {world.definition_ids[1]: world.definitions[1]}


def test_get_many_of_nothing_is_empty(uow_factory: UowFactory, world: World) -> None:
    with uow_factory() as uow:
        assert uow.instances.get_many([]) == {}


# -- users -------------------------------------------------------------------------------


def test_user_reads_back_field_for_field(uow_factory: UowFactory) -> None:
    user = make_user(
        1,
        password_hash="opaque$hash",
        password_provided=True,
        nickname="Hanako 花子",
        fcm_token="token",
        initial_reward_claimed=True,
        is_test_user=True,
    )
    with uow_factory() as uow:
        uow.users.add(user)
        uow.commit()
    with uow_factory() as uow:
        assert uow.users.get(_id(user)) == user


@pytest.mark.parametrize(
    ("lookup", "value"),
    [
        ("get_by_in_app_id", "user-1"),
        ("get_by_paymail", "user1@pay.example"),
        ("get_by_email", "user1@example.org"),
        ("get_by_on_chain_id", "chain-user-1"),
    ],
)
def test_user_lookups_find_the_user(
    uow_factory: UowFactory, world: World, lookup: str, value: str
) -> None:
    with uow_factory() as uow:
        assert getattr(uow.users, lookup)(value) == world.users[1]


@pytest.mark.parametrize(
    "lookup", ["get_by_in_app_id", "get_by_paymail", "get_by_email", "get_by_on_chain_id"]
)
def test_user_lookups_return_none_when_absent(
    uow_factory: UowFactory, world: World, lookup: str
) -> None:
    with uow_factory() as uow:
        assert getattr(uow.users, lookup)("nobody@nowhere") is None


def test_user_lookup_by_email_normalises_its_argument(
    uow_factory: UowFactory, world: World
) -> None:
    with uow_factory() as uow:
        assert uow.users.get_by_email("  USER1@Example.ORG ") == world.users[1]


def test_user_lookup_by_paymail_is_exact(uow_factory: UowFactory, world: World) -> None:
    with uow_factory() as uow:
        assert uow.users.get_by_paymail("USER1@pay.example") is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("in_app_id", "user-0"),
        ("email", "USER0@example.org"),
        ("paymail", "user0@pay.example"),
        ("on_chain_id", "chain-user-0"),
    ],
)
def test_user_unique_keys_refuse_a_taken_value_on_add(
    uow_factory: UowFactory, world: World, field: str, value: str
) -> None:
    with uow_factory() as uow, pytest.raises(ConflictError):
        uow.users.add(make_user(9, **{field: value}))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("in_app_id", "user-0"),
        ("email", "user0@example.org"),
        ("paymail", "user0@pay.example"),
        ("on_chain_id", "chain-user-0"),
    ],
)
def test_user_unique_keys_refuse_a_taken_value_on_update(
    uow_factory: UowFactory, world: World, field: str, value: str
) -> None:
    changed = attrs.evolve(world.users[1])
    setattr(changed, field, value)
    with uow_factory() as uow, pytest.raises(ConflictError):
        uow.users.update(changed)


def test_user_unique_keys_let_null_values_coexist(uow_factory: UowFactory) -> None:
    blank = {"in_app_id": None, "email": None, "paymail": None, "on_chain_id": None}
    with uow_factory() as uow:
        uow.users.add(make_user(1, **blank))
        uow.users.add(make_user(2, **blank))
        uow.commit()
    with uow_factory() as uow:
        assert len(uow.users.list()) == 2


def test_user_update_persists_every_field(uow_factory: UowFactory, world: World) -> None:
    changed = attrs.evolve(
        world.users[0],
        in_app_id="renamed",
        email="renamed@example.org",
        nickname="Renamed",
        is_test_user=True,
        updated_at=T0 + HOUR,
    )
    with uow_factory() as uow:
        uow.users.update(changed)
        uow.commit()
    with uow_factory() as uow:
        assert uow.users.get(world.user_ids[0]) == changed
        assert uow.users.get_by_in_app_id("renamed") == changed
        assert uow.users.get_by_in_app_id("user-0") is None


def test_user_update_keeping_its_own_unique_values_is_allowed(
    uow_factory: UowFactory, world: World
) -> None:
    changed = attrs.evolve(world.users[0], nickname="same keys")
    with uow_factory() as uow:
        uow.users.update(changed)
        uow.commit()
    with uow_factory() as uow:
        assert uow.users.get(world.user_ids[0]) == changed


def test_user_update_of_an_unstored_user_is_not_found(uow_factory: UowFactory) -> None:
    with uow_factory() as uow, pytest.raises(NotFoundError):
        uow.users.update(make_user(1, id=MISSING_ID))


def test_user_not_null_timestamp_is_enforced(uow_factory: UowFactory) -> None:
    with uow_factory() as uow, pytest.raises(ValidationError):
        uow.users.add(make_user(1, created_at=None))


# -- admins ------------------------------------------------------------------------------


def test_admin_reads_back_and_is_found_by_normalised_email(uow_factory: UowFactory) -> None:
    admin = make_admin(1, name="Ops", role="operator")
    with uow_factory() as uow:
        uow.admins.add(admin)
        uow.commit()
    with uow_factory() as uow:
        assert uow.admins.get(_id(admin)) == admin
        assert uow.admins.get_by_email(" ADMIN1@example.org") == admin
        assert uow.admins.get_by_email("other@example.org") is None
        assert uow.admins.list() == [admin]


def test_admin_email_is_unique(uow_factory: UowFactory, world: World) -> None:
    with uow_factory() as uow, pytest.raises(ConflictError):
        uow.admins.add(make_admin(2, email="Admin1@example.org"))


# -- definitions -------------------------------------------------------------------------


def test_definition_reads_back_field_for_field(uow_factory: UowFactory, world: World) -> None:
    definition = make_definition(
        "EXPO-2026",
        nft_type="stamp",
        category="food",
        subcategory="ramen",
        description="説明 — description",
        promotional_text="promo",
        store_url="https://example.org/store",
        image_url="https://example.org/i.png",
        qr_image_url="https://example.org/q.png",
        local_image_path="/tmp/i.png",
        store_name="Store",
        latitude=35.681236,
        longitude=139.767125,
        max_supply=100,
        status="inactive",
        triggers_bingo_card=True,
        bingo_random_candidate=False,
        card_lifetime_seconds=3600,
        is_dummy=True,
        is_public=False,
        created_by_admin_id=world.admin.id,
    )
    with uow_factory() as uow:
        uow.definitions.add(definition)
        uow.commit()
    with uow_factory() as uow:
        assert uow.definitions.get(_id(definition)) == definition


def test_definition_lookup_by_prefix_is_exact_and_case_sensitive(
    uow_factory: UowFactory, world: World
) -> None:
    with uow_factory() as uow:
        assert uow.definitions.get_by_prefix("DEF3") == world.definitions[3]
        assert uow.definitions.get_by_prefix("def3") is None
        assert uow.definitions.get_by_prefix("DEF") is None


def test_definitions_get_many_by_prefix_returns_the_stored_ones(
    uow_factory: UowFactory, world: World
) -> None:
    with uow_factory() as uow:
        found = uow.definitions.get_many_by_prefix(["DEF2", "nope", "DEF5"])
    assert found == {"DEF2": world.definitions[2], "DEF5": world.definitions[5]}


def test_definition_prefix_is_unique(uow_factory: UowFactory, world: World) -> None:
    with uow_factory() as uow, pytest.raises(ConflictError):
        uow.definitions.add(make_definition("DEF0"))


def test_definition_prefixes_differing_in_case_coexist(
    uow_factory: UowFactory, world: World
) -> None:
    with uow_factory() as uow:
        uow.definitions.add(make_definition("def0"))
        uow.commit()
    with uow_factory() as uow:
        assert len(uow.definitions.list()) == 11


def test_definition_admin_must_exist(uow_factory: UowFactory) -> None:
    with uow_factory() as uow, pytest.raises(ConflictError):
        uow.definitions.add(make_definition("X", created_by_admin_id=MISSING_ID))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "archived"),
        ("minted_count", -1),
        ("max_supply", -1),
        ("card_lifetime_seconds", 0),
        ("card_lifetime_seconds", -5),
    ],
)
def test_definition_checks_refuse_bad_values(
    uow_factory: UowFactory, field: str, value: object
) -> None:
    with uow_factory() as uow, pytest.raises(ValidationError):
        uow.definitions.add(make_definition("X", **{field: value}))


def test_definition_max_supply_zero_is_allowed(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        definition = uow.definitions.add(make_definition("X", max_supply=0))
        uow.commit()
    with uow_factory() as uow:
        stored = uow.definitions.get(_id(definition))
    assert stored is not None
    assert stored.max_supply == 0


@pytest.mark.parametrize("field", ["prefix", "shared_key", "name", "nft_type", "created_at"])
def test_definition_not_null_columns_are_enforced(uow_factory: UowFactory, field: str) -> None:
    definition = make_definition("X")
    setattr(definition, field, None)
    with uow_factory() as uow, pytest.raises(ValidationError):
        uow.definitions.add(definition)


def test_definition_update_persists_fields_but_never_minted_count(
    uow_factory: UowFactory, world: World
) -> None:
    with uow_factory() as uow:
        uow.definitions.reserve_serials(world.definition_ids[0], 3, enforce_supply=False)
        uow.commit()
    changed = attrs.evolve(world.definitions[0], name="Renamed", minted_count=99, max_supply=50)
    with uow_factory() as uow:
        uow.definitions.update(changed)
        uow.commit()
    with uow_factory() as uow:
        assert uow.definitions.get(world.definition_ids[0]) == attrs.evolve(changed, minted_count=3)


def test_definition_update_to_a_taken_prefix_conflicts(
    uow_factory: UowFactory, world: World
) -> None:
    with uow_factory() as uow, pytest.raises(ConflictError):
        uow.definitions.update(attrs.evolve(world.definitions[0], prefix="DEF1"))


def test_definition_update_of_an_unstored_definition_is_not_found(uow_factory: UowFactory) -> None:
    with uow_factory() as uow, pytest.raises(NotFoundError):
        uow.definitions.update(make_definition("X", id=MISSING_ID))


def test_reserve_serials_returns_the_old_count_and_adds(
    uow_factory: UowFactory, world: World
) -> None:
    definition_id = world.definition_ids[0]
    with uow_factory() as uow:
        assert uow.definitions.reserve_serials(definition_id, 1, enforce_supply=True) == 0
        assert uow.definitions.reserve_serials(definition_id, 5, enforce_supply=True) == 1
        uow.commit()
    with uow_factory() as uow:
        stored = uow.definitions.get(definition_id)
    assert stored is not None
    assert stored.minted_count == 6


def test_reserve_serials_within_supply_reaches_the_limit(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        definition = uow.definitions.add(make_definition("LIM", max_supply=3))
        assert uow.definitions.reserve_serials(_id(definition), 3, enforce_supply=True) == 0
        uow.commit()
    with uow_factory() as uow:
        stored = uow.definitions.get(_id(definition))
    assert stored is not None
    assert stored.minted_count == 3
    assert stored.remaining_supply == 0


def test_reserve_serials_beyond_supply_returns_none_and_changes_nothing(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        definition = uow.definitions.add(make_definition("LIM", max_supply=3))
        uow.definitions.reserve_serials(_id(definition), 2, enforce_supply=True)
        assert uow.definitions.reserve_serials(_id(definition), 2, enforce_supply=True) is None
        uow.commit()
    with uow_factory() as uow:
        stored = uow.definitions.get(_id(definition))
    assert stored is not None
    assert stored.minted_count == 2


def test_reserve_serials_with_supply_zero_is_refused(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        definition = uow.definitions.add(make_definition("CLOSED", max_supply=0))
        assert uow.definitions.reserve_serials(_id(definition), 1, enforce_supply=True) is None


def test_reserve_serials_without_enforcement_may_exceed_supply(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        definition = uow.definitions.add(make_definition("LIM", max_supply=1))
        assert uow.definitions.reserve_serials(_id(definition), 4, enforce_supply=False) == 0
        uow.commit()
    with uow_factory() as uow:
        stored = uow.definitions.get(_id(definition))
    assert stored is not None
    assert stored.minted_count == 4
    assert stored.remaining_supply == 0


def test_reserve_serials_is_unlimited_without_max_supply(
    uow_factory: UowFactory, world: World
) -> None:
    with uow_factory() as uow:
        got = uow.definitions.reserve_serials(world.definition_ids[0], 10_000, enforce_supply=True)
    assert got == 0


def test_reserve_serials_rolls_back_with_the_unit_of_work(
    uow_factory: UowFactory, world: World
) -> None:
    with uow_factory() as uow:
        uow.definitions.reserve_serials(world.definition_ids[0], 7, enforce_supply=True)
    with uow_factory() as uow:
        assert uow.definitions.reserve_serials(world.definition_ids[0], 1, enforce_supply=True) == 0


def test_reserve_serials_of_an_unknown_definition_is_not_found(uow_factory: UowFactory) -> None:
    with uow_factory() as uow, pytest.raises(NotFoundError):
        uow.definitions.reserve_serials(MISSING_ID, 1, enforce_supply=True)


def test_reserve_serials_refuses_a_negative_count(uow_factory: UowFactory, world: World) -> None:
    with uow_factory() as uow, pytest.raises(ValidationError):
        uow.definitions.reserve_serials(world.definition_ids[0], -1, enforce_supply=False)


# -- instances ---------------------------------------------------------------------------


def test_instance_reads_back_field_for_field(uow_factory: UowFactory, world: World) -> None:
    instance = make_instance(
        world.user_ids[0],
        world.definition_ids[0],
        0,
        status=INSTANCE_TRANSFERRED,
        blockchain_nft_id=2**40,
        current_nft_location="loc_1",
        blockchain_name="名前",
        sub_type="ord",
        blockchain_created_at=T0 - HOUR,
        blockchain_updated_at=T0 + HOUR,
        transaction_id="tx",
        contract_address="contract",
        token_id="token",
        other_meta={"name": "スタンプ", "n": 1, "list": [1, 2.5, None, True], "obj": {"é": "ü"}},
    )
    with uow_factory() as uow:
        uow.instances.add(instance)
        uow.commit()
    with uow_factory() as uow:
        assert uow.instances.get(_id(instance)) == instance


def test_instance_datetimes_read_back_as_aware_utc(uow_factory: UowFactory, world: World) -> None:
    tokyo = timezone(timedelta(hours=9))
    local = datetime(2026, 5, 1, 18, 30, 15, 250000, tzinfo=tokyo)
    (instance,) = issue(
        uow_factory,
        world.user_ids[0],
        world.definition_ids[0],
        acquired_at=local,
        blockchain_created_at=local,
    )
    with uow_factory() as uow:
        stored = uow.instances.get(_id(instance))
    assert stored is not None
    for value in (stored.acquired_at, stored.blockchain_created_at):
        assert value == local
        assert value is not None
        assert value.utcoffset() == timedelta(0)
        assert value.tzname() == "UTC"


def test_instance_json_round_trips_non_ascii(uow_factory: UowFactory, world: World) -> None:
    meta = {"名前": "東京タワー 🗼", "nested": {"ß": ["ä", "ö"]}, "empty": {}}
    (instance,) = issue(uow_factory, world.user_ids[0], world.definition_ids[0], other_meta=meta)
    with uow_factory() as uow:
        stored = uow.instances.get(_id(instance))
    assert stored is not None
    assert stored.other_meta == meta


def test_instance_add_many_assigns_ids_in_order(uow_factory: UowFactory, world: World) -> None:
    instances = [make_instance(world.user_ids[0], world.definition_ids[0], n) for n in range(5)]
    with uow_factory() as uow:
        uow.instances.add_many(instances)
        uow.commit()
    ids = [_id(i) for i in instances]
    assert ids == sorted(ids)
    assert len(set(ids)) == 5
    with uow_factory() as uow:
        assert uow.instances.list() == instances


def test_instance_add_many_of_nothing_stores_nothing(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.instances.add_many([])
        assert uow.instances.list() == []


def test_instance_add_many_refuses_a_key_taken_within_the_batch(
    uow_factory: UowFactory, world: World
) -> None:
    user_id, definition_id = world.user_ids[0], world.definition_ids[0]
    batch = [make_instance(user_id, definition_id, n) for n in (0, 1, 1)]
    with uow_factory() as uow, pytest.raises(ConflictError):
        uow.instances.add_many(batch)
    with uow_factory() as uow:
        assert uow.instances.list() == []


def test_instance_lists_by_user_and_definition(uow_factory: UowFactory, world: World) -> None:
    u0, u1, u2 = world.user_ids
    d0, d1 = world.definition_ids[:2]
    a = issue(uow_factory, u0, d0)[0]
    b = issue(uow_factory, u1, d0)[0]
    c = issue(uow_factory, u0, d1)[0]
    d = issue(uow_factory, u2, d1)[0]
    with uow_factory() as uow:
        assert uow.instances.list_for_user(u0) == [a, c]
        assert uow.instances.list_for_users([u2, u0]) == [a, c, d]
        assert uow.instances.list_for_users([]) == []
        assert uow.instances.list_for_definition(d0) == [a, b]
        assert uow.instances.list_for_user(MISSING_ID) == []
        assert uow.instances.list_for_definition(MISSING_ID) == []


def test_instance_list_by_origins_covers_every_user_and_status(
    uow_factory: UowFactory, world: World
) -> None:
    u0, u1, _ = world.user_ids
    d0 = world.definition_ids[0]
    gone = issue(uow_factory, u0, d0, nft_origin="shared", status=INSTANCE_TRANSFERRED)[0]
    held = issue(uow_factory, u1, d0, nft_origin="shared")[0]
    other = issue(uow_factory, u1, d0, nft_origin="other")[0]
    issue(uow_factory, u1, d0, nft_origin="unrelated")
    with uow_factory() as uow:
        assert uow.instances.list_by_origins(["other", "shared", "absent"]) == [gone, held, other]
        assert uow.instances.list_by_origins([]) == []


def test_instance_existing_unique_ids_reports_the_used_ones(
    uow_factory: UowFactory, world: World
) -> None:
    (instance,) = issue(uow_factory, world.user_ids[0], world.definition_ids[0])
    with uow_factory() as uow:
        found = uow.instances.existing_unique_ids([instance.unique_instance_id, "DEF0-unused"])
    assert found == {instance.unique_instance_id}


def test_instance_existing_unique_ids_sees_uncommitted_adds(
    uow_factory: UowFactory, world: World
) -> None:
    with uow_factory() as uow:
        instance = make_instance(world.user_ids[0], world.definition_ids[0], 0)
        uow.instances.add(instance)
        assert uow.instances.existing_unique_ids([instance.unique_instance_id]) == {
            instance.unique_instance_id
        }


def test_instance_candidates_for_definition(uow_factory: UowFactory, world: World) -> None:
    u0, u1, _ = world.user_ids
    d0, d1 = world.definition_ids[:2]
    a = issue(uow_factory, u0, d0, nft_origin="A")[0]
    b = issue(uow_factory, u1, d0, nft_origin=None, status=INSTANCE_TRANSFERRED)[0]
    issue(uow_factory, u0, d1)
    with uow_factory() as uow:
        candidates = uow.instances.candidates_for_definition(d0)
    assert candidates == [
        DrawCandidate(
            instance_id=_id(a),
            user_id=u0,
            definition_id=d0,
            nft_origin="A",
            status=INSTANCE_SUCCEEDED,
        ),
        DrawCandidate(
            instance_id=_id(b),
            user_id=u1,
            definition_id=d0,
            nft_origin=None,
            status=INSTANCE_TRANSFERRED,
        ),
    ]


def test_instance_serial_is_unique_per_definition(uow_factory: UowFactory, world: World) -> None:
    issue(uow_factory, world.user_ids[0], world.definition_ids[0])
    clash = make_instance(
        world.user_ids[1], world.definition_ids[0], 0, unique_instance_id="X-1", nft_origin=None
    )
    with uow_factory() as uow, pytest.raises(ConflictError):
        uow.instances.add(clash)


def test_instance_same_serial_in_other_definitions_is_allowed(
    uow_factory: UowFactory, world: World
) -> None:
    with uow_factory() as uow:
        for definition_id in world.definition_ids[:3]:
            uow.instances.add(make_instance(world.user_ids[0], definition_id, 0))
        uow.commit()
    with uow_factory() as uow:
        assert len(uow.instances.list()) == 3


def test_instance_unique_instance_id_is_unique(uow_factory: UowFactory, world: World) -> None:
    (first,) = issue(uow_factory, world.user_ids[0], world.definition_ids[0])
    clash = make_instance(
        world.user_ids[0],
        world.definition_ids[1],
        0,
        unique_instance_id=first.unique_instance_id,
    )
    with uow_factory() as uow, pytest.raises(ConflictError):
        uow.instances.add(clash)


def test_instance_origin_is_held_by_one_succeeded_instance(
    uow_factory: UowFactory, world: World
) -> None:
    issue(uow_factory, world.user_ids[0], world.definition_ids[0], nft_origin="tx_0")
    clash = make_instance(world.user_ids[1], world.definition_ids[1], 0, nft_origin="tx_0")
    with uow_factory() as uow, pytest.raises(ConflictError):
        uow.instances.add(clash)


def test_instance_origin_may_repeat_on_transferred_instances(
    uow_factory: UowFactory, world: World
) -> None:
    u0, u1, u2 = world.user_ids
    issue(uow_factory, u0, world.definition_ids[0], nft_origin="tx_0")
    issue(uow_factory, u1, world.definition_ids[0], nft_origin="tx_0", status=INSTANCE_TRANSFERRED)
    issue(uow_factory, u2, world.definition_ids[0], nft_origin="tx_0", status=INSTANCE_TRANSFERRED)
    with uow_factory() as uow:
        assert len(uow.instances.list_by_origins(["tx_0"])) == 3


def test_instance_without_origin_never_collide(uow_factory: UowFactory, world: World) -> None:
    issue(uow_factory, world.user_ids[0], world.definition_ids[0], count=3, nft_origin=None)
    with uow_factory() as uow:
        assert len(uow.instances.list()) == 3


def test_instance_update_back_to_succeeded_on_a_held_origin_conflicts(
    uow_factory: UowFactory, world: World
) -> None:
    u0, u1, _ = world.user_ids
    (gone,) = issue(
        uow_factory, u0, world.definition_ids[0], nft_origin="tx_0", status=INSTANCE_TRANSFERRED
    )
    issue(uow_factory, u1, world.definition_ids[0], nft_origin="tx_0")
    with uow_factory() as uow, pytest.raises(ConflictError):
        uow.instances.update(attrs.evolve(gone, status=INSTANCE_SUCCEEDED))


@pytest.mark.parametrize("field", ["user_id", "definition_id"])
def test_instance_references_must_exist(uow_factory: UowFactory, world: World, field: str) -> None:
    instance = make_instance(world.user_ids[0], world.definition_ids[0], 0)
    setattr(instance, field, MISSING_ID)
    with uow_factory() as uow, pytest.raises(ConflictError):
        uow.instances.add(instance)


def test_instance_status_check_refuses_unknown_status(
    uow_factory: UowFactory, world: World
) -> None:
    instance = make_instance(world.user_ids[0], world.definition_ids[0], 0, status="burned")
    with uow_factory() as uow, pytest.raises(ValidationError):
        uow.instances.add(instance)


def test_instance_acquired_at_is_not_null(uow_factory: UowFactory, world: World) -> None:
    instance = make_instance(world.user_ids[0], world.definition_ids[0], 0, acquired_at=None)
    with uow_factory() as uow, pytest.raises(ValidationError):
        uow.instances.add(instance)


def test_instance_update_persists_every_field(uow_factory: UowFactory, world: World) -> None:
    (instance,) = issue(uow_factory, world.user_ids[0], world.definition_ids[0])
    changed = attrs.evolve(
        instance,
        user_id=world.user_ids[1],
        status=INSTANCE_TRANSFERRED,
        nft_origin="moved",
        current_nft_location="moved_1",
        other_meta={"k": "v"},
    )
    with uow_factory() as uow:
        uow.instances.update(changed)
        uow.commit()
    with uow_factory() as uow:
        assert uow.instances.get(_id(instance)) == changed
        assert uow.instances.list_for_user(world.user_ids[0]) == []
        assert uow.instances.list_by_origins(["moved"]) == [changed]


def test_instance_update_many_persists_each(uow_factory: UowFactory, world: World) -> None:
    instances = issue(uow_factory, world.user_ids[0], world.definition_ids[0], count=3)
    changed = [attrs.evolve(i, status=INSTANCE_TRANSFERRED) for i in instances]
    with uow_factory() as uow:
        uow.instances.update_many(changed)
        uow.commit()
    with uow_factory() as uow:
        assert uow.instances.list() == changed


def test_instance_update_of_an_unstored_instance_is_not_found(
    uow_factory: UowFactory, world: World
) -> None:
    instance = make_instance(world.user_ids[0], world.definition_ids[0], 0, id=MISSING_ID)
    with uow_factory() as uow, pytest.raises(NotFoundError):
        uow.instances.update(instance)


# -- bingo cards -------------------------------------------------------------------------


def test_card_add_assigns_card_and_cell_ids(uow_factory: UowFactory, world: World) -> None:
    card = make_card(world.user_ids[0], world.definition_ids)
    with uow_factory() as uow:
        uow.bingo_cards.add(card)
    assert card.id is not None
    assert all(cell.id is not None for cell in card.cells)
    assert len({cell.id for cell in card.cells}) == 9
    assert {cell.bingo_card_id for cell in card.cells} == {card.id}


def test_card_reads_back_with_cells_in_idx_order(uow_factory: UowFactory, world: World) -> None:
    card = make_card(
        world.user_ids[0],
        world.definition_ids,
        order=[8, 3, 0, 4, 1, 7, 2, 6, 5],
        period_id=7,
        start_time=T0,
        issuance_month="2026-05",
        expiry=T0 + HOUR,
        bingo_reward_claimed=True,
    )
    with uow_factory() as uow:
        uow.bingo_cards.add(card)
        uow.commit()
    expected = attrs.evolve(card, cells=sorted(card.cells, key=lambda c: c.idx))
    with uow_factory() as uow:
        assert uow.bingo_cards.get(_id(card)) == expected


def test_card_cell_state_reads_back(uow_factory: UowFactory, world: World) -> None:
    instances = issue(uow_factory, world.user_ids[0], world.definition_ids[0])
    card = make_card(world.user_ids[0], world.definition_ids, unlocked={0: _id(instances[0])})
    with uow_factory() as uow:
        uow.bingo_cards.add(card)
        uow.commit()
    with uow_factory() as uow:
        stored = uow.bingo_cards.get(_id(card))
    assert stored is not None
    cell = stored.cell_at(0)
    assert cell is not None
    assert cell.state == CELL_UNLOCKED
    assert cell.unlocked_at == T0
    assert cell.matched_nft_instance_id == instances[0].id
    assert cell.definition_id == world.definition_ids[0]


def test_card_add_many_stores_every_card(uow_factory: UowFactory, world: World) -> None:
    cards = [make_card(user_id, world.definition_ids) for user_id in world.user_ids]
    with uow_factory() as uow:
        uow.bingo_cards.add_many(cards)
        uow.commit()
    with uow_factory() as uow:
        assert uow.bingo_cards.list() == cards
    cell_ids = [cell.id for card in cards for cell in card.cells]
    assert len(set(cell_ids)) == 27


def test_card_lists_by_user(uow_factory: UowFactory, world: World) -> None:
    u0, u1, u2 = world.user_ids
    ids = world.definition_ids
    a = make_card(u0, ids)
    b = make_card(u1, ids)
    c = make_card(u0, ids[1:] + ids[:1])
    with uow_factory() as uow:
        uow.bingo_cards.add_many([a, b, c])
        uow.commit()
    with uow_factory() as uow:
        assert uow.bingo_cards.list_for_user(u0) == [a, c]
        assert uow.bingo_cards.list_for_user(u2) == []
        assert uow.bingo_cards.list_for_users([u1, u0]) == [a, b, c]
        assert uow.bingo_cards.list_for_users([]) == []


def test_card_user_and_centre_are_unique(uow_factory: UowFactory, world: World) -> None:
    ids = world.definition_ids
    with uow_factory() as uow:
        uow.bingo_cards.add(make_card(world.user_ids[0], ids))
        second = make_card(world.user_ids[0], [ids[9], *ids[1:9]])
        assert second.center_definition_id == ids[4]
        with pytest.raises(ConflictError):
            uow.bingo_cards.add(second)


def test_card_add_many_refuses_a_key_taken_within_the_batch(
    uow_factory: UowFactory, world: World
) -> None:
    ids = world.definition_ids
    batch = [make_card(world.user_ids[1], ids), make_card(world.user_ids[0], ids)]
    batch.append(make_card(world.user_ids[0], ids))
    with uow_factory() as uow, pytest.raises(ConflictError):
        uow.bingo_cards.add_many(batch)
    with uow_factory() as uow:
        assert uow.bingo_cards.list() == []


def test_card_cell_idx_is_unique_within_a_card(uow_factory: UowFactory, world: World) -> None:
    card = make_card(world.user_ids[0], world.definition_ids)
    card.cells[8].idx = 0
    with uow_factory() as uow, pytest.raises(ConflictError):
        uow.bingo_cards.add(card)


def test_card_cell_target_is_unique_within_a_card(uow_factory: UowFactory, world: World) -> None:
    card = make_card(world.user_ids[0], world.definition_ids)
    card.cells[8].target_definition_id = card.cells[0].target_definition_id
    with uow_factory() as uow, pytest.raises(ConflictError):
        uow.bingo_cards.add(card)


@pytest.mark.parametrize("idx", [-1, 9])
def test_card_cell_idx_check_refuses_out_of_range(
    uow_factory: UowFactory, world: World, idx: int
) -> None:
    card = make_card(world.user_ids[0], world.definition_ids)
    card.cells[8].idx = idx
    with uow_factory() as uow, pytest.raises(ValidationError):
        uow.bingo_cards.add(card)


@pytest.mark.parametrize(
    ("state", "unlocked_at"), [(CELL_UNLOCKED, None), (CELL_LOCKED, T0), ("open", None)]
)
def test_card_cell_state_check_refuses_inconsistent_cells(
    uow_factory: UowFactory, world: World, state: str, unlocked_at: datetime | None
) -> None:
    card = make_card(world.user_ids[0], world.definition_ids)
    card.cells[3].state = state
    card.cells[3].unlocked_at = unlocked_at
    with uow_factory() as uow, pytest.raises(ValidationError):
        uow.bingo_cards.add(card)


@pytest.mark.parametrize(
    ("state", "completed_at"),
    [(CARD_COMPLETED, None), (CARD_ACTIVE, T0), (CARD_EXPIRED, T0), ("done", None)],
)
def test_card_state_check_refuses_inconsistent_cards(
    uow_factory: UowFactory, world: World, state: str, completed_at: datetime | None
) -> None:
    card = make_card(
        world.user_ids[0], world.definition_ids, state=state, completed_at=completed_at
    )
    with uow_factory() as uow, pytest.raises(ValidationError):
        uow.bingo_cards.add(card)


@pytest.mark.parametrize("field", ["user_id", "center_definition_id"])
def test_card_references_must_exist(uow_factory: UowFactory, world: World, field: str) -> None:
    card = make_card(world.user_ids[0], world.definition_ids)
    setattr(card, field, MISSING_ID)
    with uow_factory() as uow, pytest.raises(ConflictError):
        uow.bingo_cards.add(card)


@pytest.mark.parametrize("field", ["target_definition_id", "definition_id", "matched"])
def test_card_cell_references_must_exist(uow_factory: UowFactory, world: World, field: str) -> None:
    card = make_card(world.user_ids[0], world.definition_ids)
    cell = card.cells[2]
    if field == "matched":
        cell.unlock(MISSING_ID, cell.target_definition_id, T0)
    else:
        setattr(cell, field, MISSING_ID)
    with uow_factory() as uow, pytest.raises(ConflictError):
        uow.bingo_cards.add(card)


def test_card_update_persists_card_and_cells(uow_factory: UowFactory, world: World) -> None:
    (instance,) = issue(uow_factory, world.user_ids[0], world.definition_ids[4])
    card = make_card(world.user_ids[0], world.definition_ids)
    with uow_factory() as uow:
        uow.bingo_cards.add(card)
        uow.commit()
    centre = card.cell_at(4)
    assert centre is not None
    centre.unlock(instance.id, world.definition_ids[4], T0 + HOUR)
    card.bingo_reward_claimed = True
    card.expiry = T0 + 2 * HOUR
    with uow_factory() as uow:
        uow.bingo_cards.update(card)
        uow.commit()
    with uow_factory() as uow:
        assert uow.bingo_cards.get(_id(card)) == card


def test_card_update_to_completed_persists(uow_factory: UowFactory, world: World) -> None:
    card = make_card(world.user_ids[0], world.definition_ids)
    with uow_factory() as uow:
        uow.bingo_cards.add(card)
        uow.commit()
    for cell in card.cells:
        cell.unlock(None, cell.target_definition_id, T0)
    card.state, card.completed_at = CARD_COMPLETED, T0
    with uow_factory() as uow:
        uow.bingo_cards.update_many([card])
        uow.commit()
    with uow_factory() as uow:
        stored = uow.bingo_cards.get(_id(card))
    assert stored is not None
    assert stored.state == CARD_COMPLETED
    assert stored.is_full


def test_card_update_keeps_the_checks(uow_factory: UowFactory, world: World) -> None:
    card = make_card(world.user_ids[0], world.definition_ids)
    with uow_factory() as uow:
        uow.bingo_cards.add(card)
        uow.commit()
    card.state = CARD_COMPLETED
    with uow_factory() as uow, pytest.raises(ValidationError):
        uow.bingo_cards.update(card)


def test_card_update_of_an_unstored_card_is_not_found(
    uow_factory: UowFactory, world: World
) -> None:
    card = make_card(world.user_ids[0], world.definition_ids, id=MISSING_ID)
    with uow_factory() as uow, pytest.raises(NotFoundError):
        uow.bingo_cards.update(card)


# -- completed line candidates (§5.6) ----------------------------------------------------


class Board:
    """A user's instances of the ten definitions, for hand-built cards."""

    def __init__(self, factory: UowFactory, world: World, user_index: int) -> None:
        self.user_id = world.user_ids[user_index]
        self.targets = world.definition_ids
        self.instances = [issue(factory, self.user_id, d)[0] for d in self.targets]

    def ids(self, idxs: Sequence[int]) -> dict[int, int | None]:
        """Unlocked cells at ``idxs`` matched to the instance of their target."""
        return {i: _id(self.instances[i]) for i in idxs}

    def candidate(self, idx: int) -> DrawCandidate:
        instance = self.instances[idx]
        return DrawCandidate(
            instance_id=_id(instance),
            user_id=instance.user_id,
            definition_id=instance.definition_id,
            nft_origin=instance.nft_origin,
            status=instance.status,
        )


def add_cards(factory: UowFactory, *cards: BingoCard) -> None:
    with factory() as uow:
        uow.bingo_cards.add_many(list(cards))
        uow.commit()


def test_candidates_are_the_matched_instances_of_a_completed_line(
    uow_factory: UowFactory, world: World
) -> None:
    board = Board(uow_factory, world, 0)
    add_cards(uow_factory, make_card(board.user_id, board.targets, unlocked=board.ids([2, 0, 1])))
    with uow_factory() as uow:
        found = uow.bingo_cards.completed_line_candidates(T0)
    assert found == [board.candidate(0), board.candidate(1), board.candidate(2)]


def test_candidates_ignore_incomplete_lines(uow_factory: UowFactory, world: World) -> None:
    board = Board(uow_factory, world, 0)
    opened = board.ids([0, 1, 3, 5, 7])
    add_cards(uow_factory, make_card(board.user_id, board.targets, unlocked=opened))
    with uow_factory() as uow:
        assert uow.bingo_cards.completed_line_candidates(T0) == []


def test_candidates_are_deduplicated_across_lines(uow_factory: UowFactory, world: World) -> None:
    board = Board(uow_factory, world, 0)
    opened = board.ids([0, 1, 2, 3, 6])
    add_cards(uow_factory, make_card(board.user_id, board.targets, unlocked=opened))
    with uow_factory() as uow:
        found = uow.bingo_cards.completed_line_candidates(T0)
    assert found == [board.candidate(i) for i in (0, 1, 2, 3, 6)]


def test_candidates_are_deduplicated_across_cards(uow_factory: UowFactory, world: World) -> None:
    board = Board(uow_factory, world, 0)
    shared = board.instances[0]
    first = make_card(board.user_id, board.targets, unlocked=board.ids([0, 1, 2]))
    rotated = board.targets[4:] + board.targets[:4]
    second = make_card(
        board.user_id,
        rotated,
        unlocked={6: _id(shared), 7: _id(board.instances[1]), 8: _id(board.instances[2])},
    )
    add_cards(uow_factory, first, second)
    with uow_factory() as uow:
        found = uow.bingo_cards.completed_line_candidates(T0)
    assert found == [board.candidate(0), board.candidate(1), board.candidate(2)]


def test_candidates_skip_unlocked_cells_without_a_match(
    uow_factory: UowFactory, world: World
) -> None:
    board = Board(uow_factory, world, 0)
    opened: dict[int, int | None] = {**board.ids([3, 5]), 4: None}
    add_cards(uow_factory, make_card(board.user_id, board.targets, unlocked=opened))
    with uow_factory() as uow:
        found = uow.bingo_cards.completed_line_candidates(T0)
    assert found == [board.candidate(3), board.candidate(5)]


def test_candidates_include_completed_cards(uow_factory: UowFactory, world: World) -> None:
    board = Board(uow_factory, world, 0)
    card = make_card(
        board.user_id,
        board.targets,
        unlocked=board.ids(range(9)),
        state=CARD_COMPLETED,
        completed_at=T0 - HOUR,
        expiry=T0 - HOUR,
    )
    add_cards(uow_factory, card)
    with uow_factory() as uow:
        found = uow.bingo_cards.completed_line_candidates(T0)
    assert found == [board.candidate(i) for i in range(9)]


def test_candidates_exclude_stored_expired_cards(uow_factory: UowFactory, world: World) -> None:
    board = Board(uow_factory, world, 0)
    card = make_card(
        board.user_id, board.targets, unlocked=board.ids([0, 1, 2]), state=CARD_EXPIRED
    )
    add_cards(uow_factory, card)
    with uow_factory() as uow:
        assert uow.bingo_cards.completed_line_candidates(T0) == []


def test_candidates_exclude_active_cards_past_their_expiry(
    uow_factory: UowFactory, world: World
) -> None:
    board = Board(uow_factory, world, 0)
    card = make_card(board.user_id, board.targets, unlocked=board.ids([0, 1, 2]), expiry=T0)
    add_cards(uow_factory, card)
    with uow_factory() as uow:
        assert uow.bingo_cards.completed_line_candidates(T0) == []
        before = uow.bingo_cards.completed_line_candidates(T0 - timedelta(microseconds=1))
    assert [c.instance_id for c in before] == [_id(board.instances[i]) for i in (0, 1, 2)]


def test_candidates_include_ineligible_instances(uow_factory: UowFactory, world: World) -> None:
    user_id = world.user_ids[0]
    targets = world.definition_ids
    gone = issue(uow_factory, user_id, targets[0], status=INSTANCE_TRANSFERRED)[0]
    bare = issue(uow_factory, user_id, targets[1], nft_origin=None)[0]
    fine = issue(uow_factory, user_id, targets[2])[0]
    opened: dict[int, int | None] = {0: _id(gone), 1: _id(bare), 2: _id(fine)}
    add_cards(uow_factory, make_card(user_id, targets, unlocked=opened))
    with uow_factory() as uow:
        found = uow.bingo_cards.completed_line_candidates(T0)
    assert [(c.instance_id, c.status, c.nft_origin) for c in found] == [
        (_id(gone), INSTANCE_TRANSFERRED, gone.nft_origin),
        (_id(bare), INSTANCE_SUCCEEDED, None),
        (_id(fine), INSTANCE_SUCCEEDED, fine.nft_origin),
    ]
    assert [c.is_draw_eligible for c in found] == [False, False, True]


def test_candidates_cover_every_user_in_ascending_id(uow_factory: UowFactory, world: World) -> None:
    first = Board(uow_factory, world, 0)
    second = Board(uow_factory, world, 1)
    add_cards(
        uow_factory,
        make_card(second.user_id, second.targets, unlocked=second.ids([0, 4, 8])),
        make_card(first.user_id, first.targets, unlocked=first.ids([2, 5, 8])),
    )
    with uow_factory() as uow:
        found = uow.bingo_cards.completed_line_candidates(T0)
    expected = sorted(
        [first.candidate(i) for i in (2, 5, 8)] + [second.candidate(i) for i in (0, 4, 8)],
        key=lambda c: c.instance_id,
    )
    assert found == expected


# -- draw types --------------------------------------------------------------------------


def test_draw_type_reads_back_and_is_found_by_exact_name(uow_factory: UowFactory) -> None:
    draw_type = make_draw_type("Bingo-2026", display_name="ビンゴ", description="d")
    with uow_factory() as uow:
        uow.draw_types.add(draw_type)
        uow.commit()
    with uow_factory() as uow:
        assert uow.draw_types.get(_id(draw_type)) == draw_type
        assert uow.draw_types.get_by_internal_name("Bingo-2026") == draw_type
        assert uow.draw_types.get_by_internal_name("bingo-2026") is None
        assert uow.draw_types.list() == [draw_type]


def test_draw_type_internal_name_is_unique(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.draw_types.add(make_draw_type("bingo"))
        with pytest.raises(ConflictError):
            uow.draw_types.add(make_draw_type("bingo"))


@pytest.mark.parametrize("threshold", [-0.01, 1.01, 2.0])
def test_draw_type_threshold_check_refuses_values_outside_unit_interval(
    uow_factory: UowFactory, threshold: float
) -> None:
    with uow_factory() as uow, pytest.raises(ValidationError):
        uow.draw_types.add(make_draw_type("bingo", default_threshold=threshold))


@pytest.mark.parametrize("threshold", [0.0, 1.0, None])
def test_draw_type_threshold_bounds_and_none_are_allowed(
    uow_factory: UowFactory, threshold: float | None
) -> None:
    draw_type = make_draw_type("bingo", default_threshold=threshold)
    with uow_factory() as uow:
        uow.draw_types.add(draw_type)
        uow.commit()
    with uow_factory() as uow:
        assert uow.draw_types.get(_id(draw_type)) == draw_type


# -- winning numbers ---------------------------------------------------------------------


@pytest.fixture
def draw_type_ids(uow_factory: UowFactory) -> tuple[int, int]:
    with uow_factory() as uow:
        first = uow.draw_types.add(make_draw_type("bingo"))
        second = uow.draw_types.add(make_draw_type("attendance"))
        uow.commit()
    return _id(first), _id(second)


def test_winning_number_reads_back_with_json_metadata(
    uow_factory: UowFactory, draw_type_ids: tuple[int, int]
) -> None:
    number = make_winning_number(
        draw_type_ids[0],
        "  ABD ",
        metadata={"source": "抽選会 — 第1回", "n": [1, 2], "flag": False},
        effective_at=T0 - HOUR,
        expires_at=T0 + HOUR,
    )
    with uow_factory() as uow:
        uow.winning_numbers.add(number)
        uow.commit()
    with uow_factory() as uow:
        assert uow.winning_numbers.get(_id(number)) == number


def test_winning_numbers_list_for_draw_type(
    uow_factory: UowFactory, draw_type_ids: tuple[int, int]
) -> None:
    first, second = draw_type_ids
    with uow_factory() as uow:
        a = uow.winning_numbers.add(make_winning_number(first, "a"))
        b = uow.winning_numbers.add(make_winning_number(second, "b"))
        c = uow.winning_numbers.add(make_winning_number(first, "c"))
        uow.commit()
    with uow_factory() as uow:
        assert uow.winning_numbers.list_for_draw_type(first) == [a, c]
        assert uow.winning_numbers.list_for_draw_type(MISSING_ID) == []
        assert uow.winning_numbers.list() == [a, b, c]


def test_winning_number_draw_type_must_exist(uow_factory: UowFactory) -> None:
    with uow_factory() as uow, pytest.raises(ConflictError):
        uow.winning_numbers.add(make_winning_number(MISSING_ID, "a"))


@pytest.mark.parametrize("expires_at", [T0, T0 - HOUR])
def test_winning_number_window_check_needs_expiry_after_start(
    uow_factory: UowFactory, draw_type_ids: tuple[int, int], expires_at: datetime
) -> None:
    number = make_winning_number(draw_type_ids[0], "a", effective_at=T0, expires_at=expires_at)
    with uow_factory() as uow, pytest.raises(ValidationError):
        uow.winning_numbers.add(number)


def _latest(factory: UowFactory, draw_type_id: int, at: datetime) -> str | None:
    with factory() as uow:
        found = uow.winning_numbers.latest_in_effect(draw_type_id, at)
    return None if found is None else found.value


def test_latest_in_effect_is_none_without_numbers(
    uow_factory: UowFactory, draw_type_ids: tuple[int, int]
) -> None:
    assert _latest(uow_factory, draw_type_ids[0], T0) is None


def test_latest_in_effect_prefers_the_newest_created(
    uow_factory: UowFactory, draw_type_ids: tuple[int, int]
) -> None:
    first, other = draw_type_ids
    with uow_factory() as uow:
        uow.winning_numbers.add(make_winning_number(first, "newest", created_at=T0 + HOUR))
        uow.winning_numbers.add(make_winning_number(first, "older", created_at=T0))
        uow.winning_numbers.add(make_winning_number(other, "other", created_at=T0 + 2 * HOUR))
        uow.commit()
    assert _latest(uow_factory, first, T0 + 3 * HOUR) == "newest"


def test_latest_in_effect_breaks_created_ties_by_highest_id(
    uow_factory: UowFactory, draw_type_ids: tuple[int, int]
) -> None:
    with uow_factory() as uow:
        uow.winning_numbers.add(make_winning_number(draw_type_ids[0], "first"))
        uow.winning_numbers.add(make_winning_number(draw_type_ids[0], "second"))
        uow.commit()
    assert _latest(uow_factory, draw_type_ids[0], T0) == "second"


def test_latest_in_effect_uses_half_open_windows(
    uow_factory: UowFactory, draw_type_ids: tuple[int, int]
) -> None:
    dt = draw_type_ids[0]
    with uow_factory() as uow:
        uow.winning_numbers.add(make_winning_number(dt, "always", created_at=T0 - 9 * HOUR))
        uow.winning_numbers.add(
            make_winning_number(
                dt, "window", effective_at=T0, expires_at=T0 + HOUR, created_at=T0 - HOUR
            )
        )
        uow.commit()
    assert _latest(uow_factory, dt, T0 - timedelta(microseconds=1)) == "always"
    assert _latest(uow_factory, dt, T0) == "window"
    assert _latest(uow_factory, dt, T0 + HOUR - timedelta(microseconds=1)) == "window"
    assert _latest(uow_factory, dt, T0 + HOUR) == "always"


def test_latest_in_effect_ignores_numbers_not_yet_or_no_longer_in_effect(
    uow_factory: UowFactory, draw_type_ids: tuple[int, int]
) -> None:
    dt = draw_type_ids[0]
    with uow_factory() as uow:
        uow.winning_numbers.add(make_winning_number(dt, "future", effective_at=T0 + HOUR))
        uow.winning_numbers.add(make_winning_number(dt, "past", expires_at=T0))
        uow.commit()
    assert _latest(uow_factory, dt, T0) is None


def test_latest_in_effect_accepts_other_offsets(
    uow_factory: UowFactory, draw_type_ids: tuple[int, int]
) -> None:
    dt = draw_type_ids[0]
    with uow_factory() as uow:
        uow.winning_numbers.add(make_winning_number(dt, "window", effective_at=T0))
        uow.commit()
    tokyo = timezone(timedelta(hours=9))
    assert _latest(uow_factory, dt, T0.astimezone(tokyo)) == "window"
    assert _latest(uow_factory, dt, (T0 - HOUR).astimezone(tokyo)) is None


# -- draw results ------------------------------------------------------------------------


@attrs.define
class Draws:
    """Stored instances, a draw type and two of its winning numbers."""

    instances: list[NFTInstance]
    draw_type_id: int
    number_ids: list[int]


@pytest.fixture
def draws(uow_factory: UowFactory, world: World) -> Draws:
    instances = issue(uow_factory, world.user_ids[0], world.definition_ids[0], count=3)
    instances += issue(uow_factory, world.user_ids[1], world.definition_ids[0], count=3)
    with uow_factory() as uow:
        draw_type = uow.draw_types.add(make_draw_type("bingo"))
        numbers = [
            uow.winning_numbers.add(make_winning_number(_id(draw_type), value))
            for value in ("ABD", "XYZ")
        ]
        uow.commit()
    return Draws(instances, _id(draw_type), [_id(n) for n in numbers])


def stored_results(factory: UowFactory) -> list[PrizeDrawResult]:
    with factory() as uow:
        return uow.draw_results.list()


def test_result_reads_back_field_for_field(uow_factory: UowFactory, draws: Draws) -> None:
    result = make_result(
        draws.instances[0], draws.draw_type_id, draws.number_ids[0], 0.7752364105046057
    )
    with uow_factory() as uow:
        uow.draw_results.add(result)
        uow.commit()
    with uow_factory() as uow:
        assert uow.draw_results.get(_id(result)) == result


def test_result_key_is_unique_per_winning_number(uow_factory: UowFactory, draws: Draws) -> None:
    instance, dt, wn = draws.instances[0], draws.draw_type_id, draws.number_ids[0]
    with uow_factory() as uow:
        uow.draw_results.add(make_result(instance, dt, wn, 0.1))
        with pytest.raises(ConflictError):
            uow.draw_results.add(make_result(instance, dt, wn, 0.2))


def test_result_key_without_winning_number_is_unique(uow_factory: UowFactory, draws: Draws) -> None:
    instance, dt = draws.instances[0], draws.draw_type_id
    with uow_factory() as uow:
        uow.draw_results.add(make_result(instance, dt, None, None))
        with pytest.raises(ConflictError):
            uow.draw_results.add(make_result(instance, dt, None, None))


def test_results_of_other_winning_numbers_coexist(uow_factory: UowFactory, draws: Draws) -> None:
    instance, dt = draws.instances[0], draws.draw_type_id
    with uow_factory() as uow:
        uow.draw_results.add(make_result(instance, dt, None, None))
        for wn in draws.number_ids:
            uow.draw_results.add(make_result(instance, dt, wn, 0.3))
        uow.commit()
    assert len(stored_results(uow_factory)) == 3


def test_results_of_one_definition_coexist(uow_factory: UowFactory, draws: Draws) -> None:
    dt, wn = draws.draw_type_id, draws.number_ids[0]
    with uow_factory() as uow:
        for instance in draws.instances:
            uow.draw_results.add(make_result(instance, dt, wn, 0.3))
        uow.commit()
    assert len(stored_results(uow_factory)) == len(draws.instances)


@pytest.mark.parametrize(
    "field", ["draw_type_id", "winning_number_id", "user_id", "definition_id", "nft_instance_id"]
)
def test_result_references_must_exist(uow_factory: UowFactory, draws: Draws, field: str) -> None:
    result = make_result(draws.instances[0], draws.draw_type_id, draws.number_ids[0], 0.4)
    setattr(result, field, MISSING_ID)
    with uow_factory() as uow, pytest.raises(ConflictError):
        uow.draw_results.add(result)


def test_result_outcome_check_refuses_unknown_outcomes(
    uow_factory: UowFactory, draws: Draws
) -> None:
    result = make_result(
        draws.instances[0], draws.draw_type_id, draws.number_ids[0], 0.4, outcome="draw"
    )
    with uow_factory() as uow, pytest.raises(ValidationError):
        uow.draw_results.add(result)


def test_results_list_for_draw_type_and_winning_number(
    uow_factory: UowFactory, draws: Draws
) -> None:
    dt, (wn1, wn2) = draws.draw_type_id, draws.number_ids
    a = make_result(draws.instances[0], dt, wn1, 0.1)
    b = make_result(draws.instances[0], dt, None, None)
    c = make_result(draws.instances[1], dt, wn2, 0.2)
    d = make_result(draws.instances[1], dt, wn1, 0.3)
    with uow_factory() as uow:
        other = uow.draw_types.add(make_draw_type("other"))
        e = make_result(draws.instances[2], _id(other), None, None)
        uow.draw_results.upsert_many([a, b, c, d, e])
        uow.commit()
    with uow_factory() as uow:
        assert uow.draw_results.list_for_draw_type(dt) == sorted([a, b, c, d], key=_id)
        assert uow.draw_results.list_for_draw_type(dt, wn1) == sorted([a, d], key=_id)
        assert uow.draw_results.list_for_draw_type(dt, wn2) == [c]
        assert uow.draw_results.list_for_draw_type(MISSING_ID) == []


def test_upsert_many_inserts_new_results_and_sets_ids(
    uow_factory: UowFactory, draws: Draws
) -> None:
    results = [
        make_result(instance, draws.draw_type_id, draws.number_ids[0], 0.5)
        for instance in draws.instances
    ]
    with uow_factory() as uow:
        uow.draw_results.upsert_many(results)
        uow.commit()
    assert len({_id(r) for r in results}) == len(results)
    assert stored_results(uow_factory) == sorted(results, key=_id)


def test_upsert_many_of_nothing_writes_nothing(uow_factory: UowFactory, draws: Draws) -> None:
    with uow_factory() as uow:
        uow.draw_results.upsert_many([])
        uow.commit()
    assert stored_results(uow_factory) == []


def test_upsert_many_overwrites_an_existing_key_and_keeps_its_id(
    uow_factory: UowFactory, draws: Draws
) -> None:
    instance, dt, wn = draws.instances[0], draws.draw_type_id, draws.number_ids[0]
    first = make_result(instance, dt, wn, 0.5, outcome=OUTCOME_WIN)
    with uow_factory() as uow:
        uow.draw_results.upsert_many([first])
        uow.commit()
    again = make_result(
        instance,
        dt,
        wn,
        0.25,
        outcome=OUTCOME_LOSE,
        threshold_used=0.3,
        draw_number="again",
        evaluated_at=T0 + HOUR,
    )
    with uow_factory() as uow:
        uow.draw_results.upsert_many([again])
        uow.commit()
    assert again.id == first.id
    assert stored_results(uow_factory) == [again]


def test_upsert_many_mixes_inserts_and_overwrites(uow_factory: UowFactory, draws: Draws) -> None:
    dt, wn = draws.draw_type_id, draws.number_ids[0]
    old = make_result(draws.instances[1], dt, wn, 0.5)
    with uow_factory() as uow:
        uow.draw_results.upsert_many([old])
        uow.commit()
    batch = [
        make_result(draws.instances[0], dt, wn, 0.1),
        make_result(draws.instances[1], dt, wn, 0.2),
        make_result(draws.instances[2], dt, wn, 0.3),
    ]
    with uow_factory() as uow:
        uow.draw_results.upsert_many(batch)
        uow.commit()
    assert batch[1].id == old.id
    assert len({r.id for r in batch}) == 3
    assert sorted(stored_results(uow_factory), key=_id) == sorted(batch, key=_id)


def test_upsert_many_overwrites_the_result_without_winning_number(
    uow_factory: UowFactory, draws: Draws
) -> None:
    instance, dt = draws.instances[0], draws.draw_type_id
    pending = make_result(instance, dt, None, None)
    with uow_factory() as uow:
        uow.draw_results.upsert_many([pending])
        uow.commit()
    again = make_result(instance, dt, None, None, evaluated_at=T0 + HOUR, threshold_used=None)
    with uow_factory() as uow:
        uow.draw_results.upsert_many([again])
        uow.commit()
    assert again.id == pending.id
    assert stored_results(uow_factory) == [again]


def test_upsert_many_keeps_the_pending_row_beside_a_scored_one(
    uow_factory: UowFactory, draws: Draws
) -> None:
    instance, dt, wn = draws.instances[0], draws.draw_type_id, draws.number_ids[0]
    pending = make_result(instance, dt, None, None)
    scored = make_result(instance, dt, wn, 0.6)
    with uow_factory() as uow:
        uow.draw_results.upsert_many([pending])
        uow.draw_results.upsert_many([scored])
        uow.commit()
    assert pending.id != scored.id
    assert stored_results(uow_factory) == [pending, scored]


def test_upsert_many_refuses_a_batch_with_a_bad_reference(
    uow_factory: UowFactory, draws: Draws
) -> None:
    dt, wn = draws.draw_type_id, draws.number_ids[0]
    batch = [
        make_result(draws.instances[0], dt, wn, 0.1),
        make_result(draws.instances[1], dt, wn, 0.2, nft_instance_id=MISSING_ID),
    ]
    with uow_factory() as uow, pytest.raises(ConflictError):
        uow.draw_results.upsert_many(batch)
    assert stored_results(uow_factory) == []


def _scores(results: Sequence[PrizeDrawResult]) -> list[tuple[float | None, int]]:
    return [(r.similarity_score, r.nft_instance_id) for r in results]


@pytest.fixture
def ranked(uow_factory: UowFactory, draws: Draws) -> Draws:
    """Results of the first winning number: scores 0.9, 0.8, 0.8 (pending), 0.8, 0.7, lose."""
    dt, (wn, other) = draws.draw_type_id, draws.number_ids
    i = draws.instances
    results = [
        make_result(i[3], dt, wn, 0.8),
        make_result(i[0], dt, wn, 0.7, outcome=OUTCOME_LOSE),
        make_result(i[1], dt, wn, 0.8, outcome=OUTCOME_PENDING),
        make_result(i[2], dt, wn, 0.9),
        make_result(i[4], dt, wn, 0.8, outcome=OUTCOME_LOSE),
        make_result(i[5], dt, None, None),
        make_result(i[5], dt, other, 0.99),
    ]
    with uow_factory() as uow:
        uow.draw_results.upsert_many(results)
        uow.commit()
    return draws


def test_top_orders_by_similarity_then_instance_id(uow_factory: UowFactory, ranked: Draws) -> None:
    i = [_id(x) for x in ranked.instances]
    with uow_factory() as uow:
        top = uow.draw_results.top(ranked.draw_type_id, ranked.number_ids[0], limit=10)
    assert _scores(top) == [(0.9, i[2]), (0.8, i[1]), (0.8, i[3]), (0.8, i[4]), (0.7, i[0])]


def test_top_cuts_at_the_limit(uow_factory: UowFactory, ranked: Draws) -> None:
    i = [_id(x) for x in ranked.instances]
    with uow_factory() as uow:
        top = uow.draw_results.top(ranked.draw_type_id, ranked.number_ids[0], limit=2)
    assert _scores(top) == [(0.9, i[2]), (0.8, i[1])]


def test_top_with_ties_keeps_every_tie_at_the_cutoff(
    uow_factory: UowFactory, ranked: Draws
) -> None:
    i = [_id(x) for x in ranked.instances]
    with uow_factory() as uow:
        top = uow.draw_results.top(
            ranked.draw_type_id, ranked.number_ids[0], limit=2, with_ties=True
        )
    assert _scores(top) == [(0.9, i[2]), (0.8, i[1]), (0.8, i[3]), (0.8, i[4])]


def test_top_with_ties_adds_nothing_without_a_tie(uow_factory: UowFactory, ranked: Draws) -> None:
    with uow_factory() as uow:
        top = uow.draw_results.top(
            ranked.draw_type_id, ranked.number_ids[0], limit=1, with_ties=True
        )
    assert _scores(top) == [(0.9, _id(ranked.instances[2]))]


def test_top_can_leave_out_pending_results(uow_factory: UowFactory, ranked: Draws) -> None:
    i = [_id(x) for x in ranked.instances]
    with uow_factory() as uow:
        top = uow.draw_results.top(
            ranked.draw_type_id, ranked.number_ids[0], limit=2, include_pending=False
        )
        tied = uow.draw_results.top(
            ranked.draw_type_id,
            ranked.number_ids[0],
            limit=2,
            include_pending=False,
            with_ties=True,
        )
    assert _scores(top) == [(0.9, i[2]), (0.8, i[3])]
    assert _scores(tied) == [(0.9, i[2]), (0.8, i[3]), (0.8, i[4])]


def test_top_only_ranks_results_of_that_winning_number(
    uow_factory: UowFactory, ranked: Draws
) -> None:
    with uow_factory() as uow:
        top = uow.draw_results.top(ranked.draw_type_id, ranked.number_ids[1], limit=5)
        none = uow.draw_results.top(MISSING_ID, ranked.number_ids[0], limit=5)
    assert _scores(top) == [(0.99, _id(ranked.instances[5]))]
    assert none == []


@pytest.mark.parametrize("limit", [0, -1, True])
def test_top_refuses_a_limit_below_one(uow_factory: UowFactory, ranked: Draws, limit: int) -> None:
    with uow_factory() as uow, pytest.raises(ValidationError):
        uow.draw_results.top(ranked.draw_type_id, ranked.number_ids[0], limit=limit)


def test_result_evaluated_at_is_not_null(uow_factory: UowFactory, draws: Draws) -> None:
    result = make_result(
        draws.instances[0], draws.draw_type_id, draws.number_ids[0], 0.4, evaluated_at=None
    )
    with uow_factory() as uow, pytest.raises(ValidationError):
        uow.draw_results.add(result)
