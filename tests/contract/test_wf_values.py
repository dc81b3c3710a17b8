"""Hostile values answered alike on every backend: integers beyond the storage widths,
datetimes beyond ``datetime``'s range, control characters, and origins that differ only
in case or surrounding spaces (nictbw.domain.values, domain-rules.md §1.3, §1.4, §7.1).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nictbw.domain.entities import Admin, PrizeDrawWinningNumber, User
from nictbw.domain.errors import ChainError, ConflictError, ValidationError
from nictbw.domain.values import STORABLE_MAX, refused_character
from nictbw.workflows import (
    Grant,
    bingo_cards_json,
    create_nft_definition,
    get_prize_draw_type,
    issue_instances,
    register_admin,
    register_user,
    run_final_attendance_prize_draw,
    select_top_prize_draw_results,
    submit_winning_number,
    sync_nft_instances_from_chain,
    update_user,
)
from tests.contract.helpers import (
    CANDIDATES,
    TIMED_TRIGGER,
    StubChain,
    UowFactory,
    World,
    add_draw_type,
    add_users,
    build_world,
    chain_item,
    definition_spec,
    issue,
    snapshot,
)

HUGE = 2**70
CLI_HUGE = 99999999999999999999999
YEAR_9999_WEST = datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5)))
YEAR_1_EAST = datetime(1, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=5)))
LAST_UTC_DAY = datetime(9999, 12, 31, 12, 0, tzinfo=UTC)


@pytest.fixture
def world(uow_factory: UowFactory) -> World:
    return build_world(uow_factory)


def _define(world: World, **overrides: Any) -> None:
    fields: dict[str, Any] = {"prefix": "NEW", "created_by_admin_id": world.admin.id}
    fields.update(overrides)
    spec = definition_spec(**fields)
    with world.factory() as uow:
        create_nft_definition(uow, spec, clock=world.clock)
        uow.commit()


# -- integers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_supply", HUGE),
        ("max_supply", 2**40),
        ("card_lifetime_seconds", HUGE),
        ("card_lifetime_seconds", 2**31),
        ("created_by_admin_id", HUGE),
    ],
)
def test_an_integer_beyond_its_column_is_refused_naming_it(
    world: World, field: str, value: int
) -> None:
    before = snapshot(world.factory)
    with pytest.raises(ValidationError, match=f"{field} {value}"):
        _define(world, **{field: value})
    assert snapshot(world.factory) == before


def test_the_largest_integer_of_a_column_is_stored(world: World) -> None:
    _define(world, max_supply=2**31 - 1)
    with world.factory() as uow:
        stored = uow.definitions.get_by_prefix("NEW")
    assert stored is not None
    assert stored.max_supply == 2**31 - 1


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
        "draw_snapshots",
    ],
)
def test_get_of_an_id_beyond_the_key_width_is_refused(world: World, repository: str) -> None:
    for huge in (HUGE, 2**40, 2**31):
        with world.factory() as uow, pytest.raises(ValidationError, match=str(huge)):
            getattr(uow, repository).get(huge)


@pytest.mark.parametrize("repository", ["users", "definitions", "draw_types", "draw_snapshots"])
def test_the_largest_id_is_merely_absent(world: World, repository: str) -> None:
    with world.factory() as uow:
        assert getattr(uow, repository).get(2**31 - 1) is None
        assert getattr(uow, repository).get(-(2**31)) is None


@pytest.mark.parametrize("repository", ["users", "definitions", "instances"])
def test_get_many_of_ids_beyond_the_key_width_is_refused(world: World, repository: str) -> None:
    for huge in (HUGE, 2**40):
        with world.factory() as uow, pytest.raises(ValidationError, match=str(huge)):
            getattr(uow, repository).get_many([1, huge])
    with world.factory() as uow:
        assert getattr(uow, repository).get_many([2**31 - 1]) == {}


def test_a_workflow_refuses_an_entity_whose_id_is_beyond_the_key_width(world: World) -> None:
    with world.factory() as uow, pytest.raises(ValidationError, match=str(HUGE)):
        bingo_cards_json(uow, User(id=HUGE), clock=world.clock)
    with world.factory() as uow, pytest.raises(ValidationError, match=str(HUGE)):
        update_user(uow, User(id=HUGE), nickname="x", clock=world.clock)


def test_issuance_refuses_a_grant_whose_user_id_is_beyond_the_key_width(world: World) -> None:
    with world.factory() as uow, pytest.raises(ValidationError, match=str(HUGE)):
        issue_instances(uow, [Grant(User(id=HUGE), world.d("C01"))], clock=world.clock)


def test_a_winning_number_id_from_the_command_line_is_refused_naming_it(world: World) -> None:
    with world.factory() as uow:
        draw_type = add_draw_type(uow, world)
        uow.commit()
    huge_number = PrizeDrawWinningNumber(id=CLI_HUGE, draw_type_id=1, value="1")
    with world.factory() as uow, pytest.raises(ValidationError, match=str(CLI_HUGE)):
        select_top_prize_draw_results(uow, draw_type, huge_number, limit=3)


def test_an_attendance_definition_id_beyond_the_key_width_is_refused(world: World) -> None:
    with world.factory() as uow:
        draw_type = add_draw_type(uow, world)
        submit_winning_number(uow, draw_type, "1234", clock=world.clock)
        uow.commit()
    with world.factory() as uow, pytest.raises(ValidationError, match=str(HUGE)):
        run_final_attendance_prize_draw(
            uow, draw_type, attendance_definition_id=HUGE, clock=world.clock
        )


def test_a_limit_beyond_64_bits_is_refused(world: World) -> None:
    with world.factory() as uow:
        draw_type = add_draw_type(uow, world)
        submit_winning_number(uow, draw_type, "1234", clock=world.clock)
        uow.commit()
    with world.factory() as uow, pytest.raises(ValidationError, match=str(HUGE)):
        select_top_prize_draw_results(uow, draw_type, limit=HUGE)


# -- datetimes ---------------------------------------------------------------------------


@pytest.mark.parametrize("moment", [YEAR_9999_WEST, YEAR_1_EAST, LAST_UTC_DAY])
def test_a_window_beyond_the_storable_range_is_refused(world: World, moment: datetime) -> None:
    with world.factory() as uow:
        draw_type = add_draw_type(uow, world)
        uow.commit()
    before = snapshot(world.factory)
    with world.factory() as uow, pytest.raises(ValidationError, match="out of range"):
        submit_winning_number(uow, draw_type, "1234", expires_at=moment, clock=world.clock)
    assert snapshot(world.factory) == before


def test_an_entity_timestamp_beyond_the_storable_range_is_refused(world: World) -> None:
    admin = Admin(email="late@city.example", password_hash="h", created_at=YEAR_9999_WEST)
    with world.factory() as uow, pytest.raises(ValidationError, match="created_at"):
        register_admin(uow, admin, clock=world.clock)


def test_a_far_but_storable_window_round_trips(world: World) -> None:
    end = datetime(9999, 12, 30, 12, 0, tzinfo=UTC)
    with world.factory() as uow:
        draw_type = add_draw_type(uow, world)
        submit_winning_number(uow, draw_type, "1234", expires_at=end, clock=world.clock)
        uow.commit()
    with world.factory() as uow:
        (stored,) = uow.winning_numbers.list()
    assert stored.expires_at == end


def test_a_clock_beyond_the_storable_range_is_refused(world: World) -> None:
    (alice,) = add_users(world, "alice")
    world.clock.set(datetime(9999, 12, 31, 6, 0, tzinfo=UTC))
    with world.factory() as uow, pytest.raises(ValidationError, match="clock time"):
        issue(uow, world, alice, "C01")


def test_a_card_expiring_beyond_the_storable_range_is_refused(world: World) -> None:
    (alice,) = add_users(world, "alice")
    world.clock.set(STORABLE_MAX - timedelta(minutes=30))
    before = snapshot(world.factory)
    with world.factory() as uow, pytest.raises(ValidationError, match="expire beyond"):
        issue(uow, world, alice, TIMED_TRIGGER)
    assert snapshot(world.factory) == before


def test_a_paymail_with_a_control_character_is_a_chain_error(world: World) -> None:
    class OddChain(StubChain):
        def signup_user(self, username: str, email: str, password: str, **_: Any) -> Any:
            return {"status": "success", "paymail": "eve\x00@chain.example"}

    with world.factory() as uow, pytest.raises(ChainError, match="unusable paymail"):
        register_user(
            uow,
            User(in_app_id="eve"),
            password="pw",
            email="eve@city.example",
            chain=OddChain([]),
            clock=world.clock,
        )


def test_a_chain_timestamp_beyond_the_storable_range_is_a_warning(world: World) -> None:
    (alice,) = add_users(world, "alice")
    chain = StubChain([chain_item("tx-late_0", "C01", created_at="9999-12-31T23:30:00Z")])
    with world.factory() as uow:
        report = sync_nft_instances_from_chain(uow, alice, chain=chain, clock=world.clock)
        uow.commit()
    assert report.created == 1
    assert any("created_at" in note.reason for note in report.warnings)
    with world.factory() as uow:
        (instance,) = uow.instances.list_by_origins(["tx-late_0"])
    assert instance.blockchain_created_at is None
    assert instance.acquired_at == world.clock.now()


def test_a_chain_nft_id_beyond_64_bits_is_a_warning(world: World) -> None:
    (alice,) = add_users(world, "alice")
    chain = StubChain([chain_item("tx-big_0", "C01", nft_id=HUGE)])
    with world.factory() as uow:
        report = sync_nft_instances_from_chain(uow, alice, chain=chain, clock=world.clock)
        uow.commit()
    assert report.created == 1
    assert any("nft_id" in note.reason for note in report.warnings)


# -- characters --------------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x7f", "\x85", "\ud800"])
def test_an_email_with_a_control_character_is_refused(world: World, char: str) -> None:
    admin = Admin(email=f"ops{char}@city.example", password_hash="h")
    with world.factory() as uow, pytest.raises(ValidationError, match="email"):
        register_admin(uow, admin, clock=world.clock)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("prefix", "NU\x00L"),
        ("prefix", "ES\x1bC"),
        ("name", "Badge\nTwo"),
        ("shared_key", "key\x00"),
        ("category", "cat\x9b"),
        ("description", "bell\x07"),
        ("promotional_text", "nul\x00"),
    ],
)
def test_a_definition_with_a_control_character_is_refused(
    world: World, field: str, value: str
) -> None:
    before = snapshot(world.factory)
    with pytest.raises(ValidationError, match=field):
        _define(world, **{field: value})
    assert snapshot(world.factory) == before


def test_free_text_keeps_tabs_and_line_breaks(world: World) -> None:
    text = "Line one\r\n\tLine two\n"
    _define(world, description=text, promotional_text=text)
    with world.factory() as uow:
        stored = uow.definitions.get_by_prefix("NEW")
    assert stored is not None
    assert (stored.description, stored.promotional_text) == (text, text)


def test_a_user_with_a_control_character_is_refused(world: World) -> None:
    (alice,) = add_users(world, "alice")
    with world.factory() as uow, pytest.raises(ValidationError, match="in_app_id"):
        update_user(uow, alice, in_app_id="ali\x00ce", clock=world.clock)
    with world.factory() as uow, pytest.raises(ValidationError, match="nickname"):
        update_user(uow, alice, nickname="Ali\x1b[31mce", clock=world.clock)


@pytest.mark.parametrize("value", ["12\x1b34", "1234\x00", "\x0712"])
def test_a_winning_number_with_a_control_character_is_refused(world: World, value: str) -> None:
    with world.factory() as uow:
        draw_type = add_draw_type(uow, world)
        uow.commit()
    with world.factory() as uow, pytest.raises(ValidationError, match="winning value"):
        submit_winning_number(uow, draw_type, value, clock=world.clock)


def test_an_origin_with_a_control_character_is_refused(world: World) -> None:
    (alice,) = add_users(world, "alice")
    with world.factory() as uow, pytest.raises(ValidationError, match="nft_origin"):
        issue(uow, world, alice, "C01", origin="tx\x1b_0")


@pytest.mark.parametrize(
    ("repository", "method", "argument"),
    [
        ("users", "get_by_in_app_id", "alice\x00"),
        ("users", "get_by_in_app_id", "alice\x1b"),
        ("users", "get_by_email", "alice\x00@city.example"),
        ("users", "get_by_paymail", "a\x00b"),
        ("users", "get_by_on_chain_id", "a\x00b"),
        ("admins", "get_by_email", "ops\x00@city.example"),
        ("definitions", "get_by_prefix", "C0\x001"),
        ("definitions", "get_many_by_prefix", ["C01", "C\x0002"]),
        ("instances", "list_by_origins", ["tx\x00"]),
        ("instances", "existing_unique_ids", ["C01-\x00"]),
        ("draw_types", "get_by_internal_name", "final\x00"),
    ],
)
def test_a_lookup_with_a_control_character_is_refused(
    world: World, repository: str, method: str, argument: Any
) -> None:
    add_users(world, "alice")
    with world.factory() as uow, pytest.raises(ValidationError, match=r"control|NUL"):
        getattr(getattr(uow, repository), method)(argument)


def test_get_prize_draw_type_refuses_a_nul_name(world: World) -> None:
    with world.factory() as uow, pytest.raises(ValidationError, match="NUL"):
        get_prize_draw_type(uow, "final\x00")


# -- origins that give the same draw number ---------------------------------------------


def test_an_origin_differing_only_in_case_and_spaces_is_refused(world: World) -> None:
    alice, bob = add_users(world, "alice", "bob")
    with world.factory() as uow:
        issue(uow, world, alice, "C01", origin=" ABC ")
        uow.commit()
    before = snapshot(world.factory)
    with world.factory() as uow, pytest.raises(ConflictError) as caught:
        issue(uow, world, bob, "C02", origin="abc")
    assert "' ABC '" in str(caught.value)
    assert "'abc'" in str(caught.value)
    assert snapshot(world.factory) == before


def test_a_colliding_origin_is_refused_even_against_a_transferred_instance(
    world: World,
) -> None:
    (alice,) = add_users(world, "alice")
    with world.factory() as uow:
        issue(uow, world, alice, "C01", origin="TX-1")
        sync_nft_instances_from_chain(uow, alice, chain=StubChain([]), clock=world.clock)
        uow.commit()
    with world.factory() as uow:
        (held,) = uow.instances.list_for_user(alice.id or 0)
    assert held.status == "transferred"
    with world.factory() as uow, pytest.raises(ConflictError, match="'TX-1'"):
        issue(uow, world, alice, "C02", origin="tx-1")


def test_the_same_origin_again_keeps_its_own_rule(world: World) -> None:
    (alice,) = add_users(world, "alice")
    with world.factory() as uow:
        issue(uow, world, alice, "C01", origin="TX-1")
        uow.commit()
    with world.factory() as uow, pytest.raises(ConflictError, match="already held"):
        issue(uow, world, alice, "C02", origin="TX-1")


def test_a_bulk_batch_refuses_origins_colliding_with_each_other(world: World) -> None:
    (alice,) = add_users(world, "alice")
    grants = [
        Grant(alice, world.d("C01"), "Tx-9"),
        Grant(alice, world.d("C02"), "tx-9 "),
    ]
    before = snapshot(world.factory)
    with world.factory() as uow, pytest.raises(ConflictError) as caught:
        issue_instances(uow, grants, rng=random.Random(1), clock=world.clock)
    assert "'Tx-9'" in str(caught.value)
    assert "'tx-9 '" in str(caught.value)
    assert snapshot(world.factory) == before


def test_a_bulk_batch_refuses_an_origin_colliding_with_a_stored_one(world: World) -> None:
    alice, bob = add_users(world, "alice", "bob")
    with world.factory() as uow:
        issue(uow, world, alice, "C01", origin="Tx-7")
        uow.commit()
    grants = [Grant(bob, world.d(prefix), f"other-{prefix}") for prefix in CANDIDATES[:3]]
    grants.append(Grant(bob, world.d("C05"), "TX-7"))
    with world.factory() as uow, pytest.raises(ConflictError, match="'Tx-7'"):
        issue_instances(uow, grants, rng=random.Random(1), clock=world.clock)


def test_sync_refuses_to_create_an_instance_whose_origin_collides(world: World) -> None:
    alice, bob = add_users(world, "alice", "bob")
    with world.factory() as uow:
        issue(uow, world, alice, "C01", origin="TX-5_0")
        uow.commit()
    before = snapshot(world.factory)
    chain = StubChain([chain_item("tx-5_0", "C02")])
    with world.factory() as uow, pytest.raises(ConflictError) as caught:
        sync_nft_instances_from_chain(uow, bob, chain=chain, clock=world.clock)
    assert "'TX-5_0'" in str(caught.value)
    assert "'tx-5_0'" in str(caught.value)
    assert snapshot(world.factory) == before


def test_sync_refuses_two_items_whose_origins_collide(world: World) -> None:
    (alice,) = add_users(world, "alice")
    chain = StubChain([chain_item("tx-6_0", "C01"), chain_item("TX-6_0", "C02")])
    with world.factory() as uow, pytest.raises(ConflictError, match="'TX-6_0'"):
        sync_nft_instances_from_chain(uow, alice, chain=chain, clock=world.clock)


def test_sync_still_transfers_an_origin_spelled_alike(world: World) -> None:
    alice, bob = add_users(world, "alice", "bob")
    with world.factory() as uow:
        issue(uow, world, alice, "C01", origin="tx-8_0")
        uow.commit()
    chain = StubChain([chain_item("tx-8_0", "C01")])
    with world.factory() as uow:
        report = sync_nft_instances_from_chain(uow, bob, chain=chain, clock=world.clock)
        uow.commit()
    assert (report.created, report.transferred) == (1, 1)


def test_list_by_origin_keys_finds_every_spelling(world: World) -> None:
    alice, bob = add_users(world, "alice", "bob")
    with world.factory() as uow:
        issue(uow, world, alice, "C01", origin=" MiXed ")
        issue(uow, world, bob, "C02", origin="other")
        uow.commit()
    with world.factory() as uow:
        found = uow.instances.list_by_origin_keys(["mixed", "absent"])
    assert [instance.nft_origin for instance in found] == [" MiXed "]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(key=st.text(max_size=12) | st.integers(min_value=-(2**80), max_value=2**80))
def test_every_backend_answers_a_lookup_as_the_rule_says(world: World, key: object) -> None:
    if isinstance(key, int):
        refused = not -(2**31) <= key <= 2**31 - 1
        lookup = "get"
    else:
        assert isinstance(key, str)
        refused = refused_character(key) is not None
        lookup = "get_by_in_app_id"
    with world.factory() as uow:
        if refused:
            with pytest.raises(ValidationError):
                getattr(uow.users, lookup)(key)
        else:
            assert getattr(uow.users, lookup)(key) is None
