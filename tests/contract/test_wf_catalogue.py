"""Definitions, draw types and winning numbers (domain-rules.md §4.4, §4.8, §4.9)."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from nictbw.domain.entities import NFTDefinition, PrizeDrawType
from nictbw.domain.errors import ConflictError, NotFoundError, ValidationError
from nictbw.workflows import (
    create_nft_definition,
    create_prize_draw_type,
    get_prize_draw_type,
    submit_winning_number,
)
from tests.contract.helpers import (
    ALGORITHM,
    T0,
    TRIGGER,
    UowFactory,
    World,
    add_draw_type,
    build_world,
    definition_spec,
)


@pytest.fixture
def world(uow_factory: UowFactory) -> World:
    return build_world(uow_factory)


def _create(world: World, definition: NFTDefinition) -> NFTDefinition:
    with world.factory() as uow:
        created = create_nft_definition(uow, definition, clock=world.clock)
        uow.commit()
    return created


def _spec(world: World, prefix: str = "NEW", **overrides: Any) -> NFTDefinition:
    overrides.setdefault("created_by_admin_id", world.admin.id)
    return definition_spec(prefix, **overrides)


# ---------------------------------------------------------------- create_nft_definition


def test_create_nft_definition_stores_defaults_and_timestamps(world: World) -> None:
    created = _create(world, _spec(world, "NEW"))
    with world.factory() as uow:
        stored = uow.definitions.get_by_prefix("NEW")
    assert stored == created
    assert stored.minted_count == 0
    assert stored.nft_type == "default"
    assert stored.status == "active"
    assert stored.created_at == T0
    assert stored.updated_at == T0
    assert stored.remaining_supply is None


def test_create_nft_definition_prefix_taken_is_a_conflict(world: World) -> None:
    with pytest.raises(ConflictError, match=f"prefix '{TRIGGER}'"):
        _create(world, _spec(world, TRIGGER))


def test_create_nft_definition_prefix_is_case_sensitive(world: World) -> None:
    created = _create(world, _spec(world, TRIGGER.lower()))
    with world.factory() as uow:
        assert uow.definitions.get_by_prefix(TRIGGER.lower()) == created
        upper = uow.definitions.get_by_prefix(TRIGGER)
    assert upper is not None
    assert upper.id != created.id


def test_create_nft_definition_of_a_stored_definition_is_a_validation_error(world: World) -> None:
    expo = world.d(TRIGGER)
    with pytest.raises(ValidationError, match=f"id {expo.id}"):
        _create(world, expo)


def test_create_nft_definition_with_minted_count_is_refused(world: World) -> None:
    with pytest.raises(ValidationError, match="minted_count 0, got 3"):
        _create(world, _spec(world, minted_count=3))


def test_create_nft_definition_without_admin_is_refused(world: World) -> None:
    with pytest.raises(ValidationError, match="'NOADMIN' needs created_by_admin_id"):
        _create(world, _spec(world, "NOADMIN", created_by_admin_id=None))


def test_create_nft_definition_with_unknown_admin_is_not_found(world: World) -> None:
    with pytest.raises(NotFoundError, match="admin 9999"):
        _create(world, _spec(world, created_by_admin_id=9999))


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"prefix": "BAD PREFIX"}, "'BAD PREFIX'"),
        ({"prefix": ""}, "prefix must not be empty"),
        ({"prefix": "P" * 101}, "101 characters"),
        ({"shared_key": "  "}, "shared_key must not be blank"),
        ({"name": "n" * 101}, "name .*101 characters"),
        ({"nft_type": ""}, "nft_type must not be blank"),
        ({"category": "c" * 51}, "category .*51 characters"),
        ({"store_url": "u" * 513}, "store_url .*513 characters"),
        ({"max_supply": -1}, "max_supply must be at least 0, got -1"),
        ({"max_supply": True}, "max_supply must be an integer, got True"),
        ({"card_lifetime_seconds": 0}, "card_lifetime_seconds must be at least 1, got 0"),
        ({"status": "paused"}, "'paused'"),
        ({"latitude": math.nan}, "latitude must be finite, got nan"),
        ({"triggers_bingo_card": 1}, "triggers_bingo_card must be a bool, got 1"),
    ],
)
def test_create_nft_definition_field_rules(
    world: World, overrides: dict[str, Any], named: str
) -> None:
    fields = dict(overrides)
    prefix = fields.pop("prefix", "NEW")
    with pytest.raises(ValidationError, match=named):
        _create(world, _spec(world, prefix, **fields))


def test_create_nft_definition_naive_created_at_is_refused(world: World) -> None:
    naive = datetime(2026, 5, 1, 9, 0)
    with pytest.raises(ValidationError, match=re.escape(naive.isoformat())):
        _create(world, _spec(world, created_at=naive))


def test_create_nft_definition_max_supply_zero_is_allowed(world: World) -> None:
    created = _create(world, _spec(world, max_supply=0))
    assert created.remaining_supply == 0


# -------------------------------------------------- create_prize_draw_type / get_prize_draw_type


def test_create_prize_draw_type_stores_and_get_finds_it_exactly(world: World) -> None:
    with world.factory() as uow:
        created = add_draw_type(uow, world, "Final", threshold=0.5)
        uow.commit()
    with world.factory() as uow:
        assert get_prize_draw_type(uow, "Final") == created
        assert get_prize_draw_type(uow, "final") is None
        assert get_prize_draw_type(uow, " Final") is None
        assert get_prize_draw_type(uow, "missing") is None
    assert created.created_at == T0
    assert created.default_threshold == 0.5


def test_create_prize_draw_type_internal_name_taken_is_a_conflict(world: World) -> None:
    with world.factory() as uow:
        add_draw_type(uow, world, "final")
        uow.commit()
    with world.factory() as uow, pytest.raises(ConflictError, match="'final'"):
        add_draw_type(uow, world, "final")


def test_create_prize_draw_type_of_a_stored_draw_type_is_a_validation_error(world: World) -> None:
    with world.factory() as uow:
        draw_type = add_draw_type(uow, world, "final")
        uow.commit()
    with world.factory() as uow, pytest.raises(ValidationError, match=f"id {draw_type.id}"):
        create_prize_draw_type(uow, draw_type, clock=world.clock)


def test_create_prize_draw_type_unknown_algorithm_is_refused(world: World) -> None:
    draw_type = PrizeDrawType(internal_name="final", algorithm_key="coin_flip")
    with world.factory() as uow, pytest.raises(ValidationError, match="'coin_flip'"):
        create_prize_draw_type(uow, draw_type, clock=world.clock)


@pytest.mark.parametrize(
    ("threshold", "named"),
    [
        (0.9, "0.9"),
        (1.0, "1.0"),
        (-0.1, "-0.1"),
        (math.inf, "inf"),
        (math.nan, "nan"),
        (True, "True"),
    ],
)
def test_create_prize_draw_type_unreachable_threshold_is_refused(
    world: World, threshold: float, named: str
) -> None:
    draw_type = PrizeDrawType(
        internal_name="final", algorithm_key=ALGORITHM, default_threshold=threshold
    )
    with world.factory() as uow, pytest.raises(ValidationError, match=named):
        create_prize_draw_type(uow, draw_type, clock=world.clock)


def test_create_prize_draw_type_highest_reachable_threshold_is_allowed(world: World) -> None:
    with world.factory() as uow:
        created = add_draw_type(uow, world, "final", threshold=0.8999999999999999)
    assert created.default_threshold == 0.8999999999999999


@pytest.mark.parametrize(
    ("name", "named"),
    [(" final", "' final'"), ("final ", "'final '"), ("  ", "internal_name"), ("n" * 101, "101")],
)
def test_create_prize_draw_type_bad_internal_name_is_refused(
    world: World, name: str, named: str
) -> None:
    with world.factory() as uow, pytest.raises(ValidationError, match=named):
        add_draw_type(uow, world, name)


# ------------------------------------------------------------------- submit_winning_number


@pytest.fixture
def draw_type(world: World) -> PrizeDrawType:
    with world.factory() as uow:
        created = add_draw_type(uow, world, "final", threshold=0.5)
        uow.commit()
    return created


def _submit(world: World, draw_type: PrizeDrawType, value: Any, **kw: Any) -> Any:
    with world.factory() as uow:
        number = submit_winning_number(uow, draw_type, value, clock=world.clock, **kw)
        uow.commit()
    return number


def test_submit_winning_number_stores_the_raw_value_and_created_at(
    world: World, draw_type: PrizeDrawType
) -> None:
    number = _submit(world, draw_type, "  ABD ", metadata={"round": 1, "tags": ["x"]})
    with world.factory() as uow:
        assert draw_type.id is not None
        stored = uow.winning_numbers.list_for_draw_type(draw_type.id)
    assert stored == [number]
    assert number.value == "  ABD "
    assert number.metadata == {"round": 1, "tags": ["x"]}
    assert number.created_at == T0
    assert number.effective_at is None
    assert number.expires_at is None


def test_submit_winning_number_converts_other_offsets_to_utc(
    world: World, draw_type: PrizeDrawType
) -> None:
    tokyo = timezone(timedelta(hours=9))
    start = datetime(2026, 5, 1, 18, 0, tzinfo=tokyo)
    number = _submit(world, draw_type, "abc", effective_at=start)
    with world.factory() as uow:
        stored = uow.winning_numbers.get(number.id)
    assert stored is not None
    assert stored.effective_at == datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    assert stored.effective_at.utcoffset() == timedelta(0)


def test_submit_winning_number_allows_a_past_window(world: World, draw_type: PrizeDrawType) -> None:
    number = _submit(
        world,
        draw_type,
        "abc",
        effective_at=T0 - timedelta(days=2),
        expires_at=T0 - timedelta(days=1),
    )
    assert number.id is not None


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("   ", "must not be blank"),
        ("", "must not be blank"),
        ("ÄBC", "'ÄBC'"),
        ("x" * 256, "256 characters"),
        (42, "42"),
        (None, "None"),
    ],
)
def test_submit_winning_number_bad_value_is_refused(
    world: World, draw_type: PrizeDrawType, value: Any, named: str
) -> None:
    with pytest.raises(ValidationError, match=named):
        _submit(world, draw_type, value)


@pytest.mark.parametrize(
    ("metadata", "named"),
    [
        (["a"], "\\['a'\\]"),
        ({1: "a"}, "1"),
        ({"a": {2: "b"}}, "2"),
        ({"a": math.nan}, "nan"),
        ({"a": object}, "metadata"),
    ],
)
def test_submit_winning_number_bad_metadata_is_refused(
    world: World, draw_type: PrizeDrawType, metadata: Any, named: str
) -> None:
    with pytest.raises(ValidationError, match=named):
        _submit(world, draw_type, "abc", metadata=metadata)


@pytest.mark.parametrize("field", ["effective_at", "expires_at"])
def test_submit_winning_number_naive_window_is_refused(
    world: World, draw_type: PrizeDrawType, field: str
) -> None:
    naive = datetime(2026, 5, 2, 0, 0)
    with pytest.raises(ValidationError, match=f"{field} {re.escape(naive.isoformat())}"):
        _submit(world, draw_type, "abc", **{field: naive})


@pytest.mark.parametrize("length", [timedelta(0), timedelta(seconds=-1)])
def test_submit_winning_number_empty_window_is_refused(
    world: World, draw_type: PrizeDrawType, length: timedelta
) -> None:
    start = T0 + timedelta(hours=1)
    end = start + length
    with pytest.raises(ValidationError, match=re.escape(end.isoformat())):
        _submit(world, draw_type, "abc", effective_at=start, expires_at=end)


def test_submit_winning_number_of_an_unstored_draw_type_is_not_found(world: World) -> None:
    with pytest.raises(NotFoundError, match="not stored"):
        _submit(world, PrizeDrawType(internal_name="x", algorithm_key=ALGORITHM), "abc")


def test_submit_winning_number_of_a_gone_draw_type_is_not_found(world: World) -> None:
    ghost = PrizeDrawType(id=777, internal_name="x", algorithm_key=ALGORITHM)
    with pytest.raises(NotFoundError, match="777"):
        _submit(world, ghost, "abc")
