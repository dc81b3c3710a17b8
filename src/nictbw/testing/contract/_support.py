"""Builders, stored worlds and the base class shared by the contract modules."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from nictbw.domain.entities import (
    CELL_LOCKED,
    CELL_UNLOCKED,
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
from nictbw.ports.repositories import UnitOfWork

UowFactory = Callable[[], UnitOfWork]


T0 = datetime(2026, 5, 1, 9, 0, 0, 123456, tzinfo=UTC)
HOUR = timedelta(hours=1)
MISSING_ID = 987_654


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
class Rows:
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


def store_instances(
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


class Board:
    """A user's instances of the ten definitions, for hand-built cards."""

    def __init__(self, factory: UowFactory, world: Rows, user_index: int) -> None:
        self.user_id = world.user_ids[user_index]
        self.targets = world.definition_ids
        self.instances = [store_instances(factory, self.user_id, d)[0] for d in self.targets]

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


def _latest(factory: UowFactory, draw_type_id: int, at: datetime) -> str | None:
    with factory() as uow:
        found = uow.winning_numbers.latest_in_effect(draw_type_id, at)
    return None if found is None else found.value


@attrs.define
class Draws:
    """Stored instances, a draw type and two of its winning numbers."""

    instances: list[NFTInstance]
    draw_type_id: int
    number_ids: list[int]


def stored_results(factory: UowFactory) -> list[PrizeDrawResult]:
    with factory() as uow:
        return uow.draw_results.list()


def _scores(results: Sequence[PrizeDrawResult]) -> list[tuple[float | None, int]]:
    return [(r.similarity_score, r.nft_instance_id) for r in results]


class ContractCase:
    """Base of every contract class: the host provides the ``uow_factory`` fixture.

    ``uow_factory`` is a zero-argument callable returning a fresh unit of work
    (:class:`nictbw.ports.UnitOfWork`); every unit of work it returns for one test must
    share one store, empty when the test starts. Override the fixture in the subclass
    (it may request other fixtures, e.g. a parametrised backend); this default fails
    the test with that instruction. A ``conftest.py`` fixture of the same name does not
    replace it: a fixture on the class wins.
    """

    @pytest.fixture
    def uow_factory(self) -> UowFactory:
        """Override: a zero-argument factory of fresh units of work on one empty store."""
        pytest.fail(
            f"{type(self).__name__} must provide a `uow_factory` fixture: a zero-argument "
            "callable returning a fresh unit of work on one store, empty at test start"
        )

    @pytest.fixture
    def world(self, uow_factory: UowFactory) -> Rows:
        with uow_factory() as uow:
            admin = uow.admins.add(make_admin(1))
            users = [uow.users.add(make_user(n)) for n in range(3)]
            definitions = [
                uow.definitions.add(make_definition(f"DEF{n}", created_by_admin_id=admin.id))
                for n in range(10)
            ]
            uow.commit()
        return Rows(admin=admin, users=users, definitions=definitions)
