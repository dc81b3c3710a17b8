"""``sync_many``: the nightly reconciliation of many users, on every backend.

Its outcome must be that of one ``sync_nft_instances_from_chain`` per user, in the order
given, with the same rng: checked by example and, on random chain histories (mints by
trusted and untrusted apps, a limited supply, a new definition, transfers between users,
earlier syncs, users listed twice), by property.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nictbw.adapters.chain import FakeChain
from nictbw.domain.entities import INSTANCE_TRANSFERRED, SyncReport, User
from nictbw.domain.errors import ChainError, NictbwError, NotFoundError, ValidationError
from nictbw.ports import UnitOfWork
from nictbw.workflows import register_user, sync_many, sync_nft_instances_from_chain
from tests.contract.helpers import (
    ATTENDANCE,
    CANDIDATES,
    LIMITED,
    TRIGGER,
    UowFactory,
    World,
    build_world,
    state_of,
)

PARTNER = "partner-app"
NEW_PREFIX = "HARBOUR"
PREFIXES = (TRIGGER, LIMITED, ATTENDANCE, NEW_PREFIX, *CANDIDATES[:4])


@pytest.fixture
def world(uow_factory: UowFactory) -> World:
    return build_world(uow_factory)


class RollbackError(Exception):
    """Leaves a savepoint, undoing it."""


def outcome_of(uow: UnitOfWork, run: Callable[[], Any]) -> tuple[Any, dict[str, Any]]:
    """What ``run`` answers and the state it leaves (ids replaced by stable keys), undone."""
    answer: Any = None
    state: dict[str, Any] = {}
    try:
        with uow.savepoint():
            answer = run()
            state = normalised(uow)
            raise RollbackError
    except RollbackError:
        pass
    except NictbwError as exc:
        answer = type(exc).__name__
    return answer, state


def normalised(uow: UnitOfWork) -> dict[str, Any]:
    """Every row without its storage id: references by prefix and unique instance id
    (PostgreSQL sequences are not rolled back, so ids differ between runs)."""
    raw = state_of(uow)
    prefix = {d.id: d.prefix for d in raw["definitions"]}
    unique = {i.id: i.unique_instance_id for i in raw["instances"]}
    definitions = sorted(
        (attrs.asdict(attrs.evolve(d, id=None)) for d in raw["definitions"]),
        key=lambda d: d["prefix"],
    )
    instances = sorted(
        (
            {**attrs.asdict(attrs.evolve(i, id=None)), "definition_id": prefix[i.definition_id]}
            for i in raw["instances"]
        ),
        key=lambda i: i["unique_instance_id"],
    )
    cards = sorted(
        (
            {
                **attrs.asdict(attrs.evolve(c, id=None, cells=[])),
                "center_definition_id": prefix[c.center_definition_id],
                "cells": [
                    (
                        cell.idx,
                        prefix[cell.target_definition_id],
                        prefix.get(cell.definition_id),
                        unique.get(cell.matched_nft_instance_id),
                        cell.state,
                        cell.unlocked_at,
                    )
                    for cell in sorted(c.cells, key=lambda cell: cell.idx)
                ],
            }
            for c in raw["bingo_cards"]
        ),
        key=lambda c: (c["user_id"], c["center_definition_id"]),
    )
    return {"definitions": definitions, "instances": instances, "cards": cards}


def register(uow: UnitOfWork, world: World, chain: FakeChain, name: str) -> User:
    return register_user(
        uow,
        User(in_app_id=name, nickname=name.title()),
        password="secret",
        email=f"{name}@city.example",
        chain=chain,
        clock=world.clock,
    )


def mint(chain: FakeChain, user: User, prefix: str, app: str = "nictbw") -> str:
    answer = chain.mint(
        app=app,
        name=f"Badge {prefix}",
        additional_info={"prefix": prefix},
        recipient_paymail=user.paymail,
    )
    return str(answer["nft_information"]["nft_origin"])


def one_by_one(
    uow: UnitOfWork, world: World, chain: FakeChain, users: list[User], seed: int
) -> list[SyncReport]:
    rng = random.Random(seed)
    return [
        sync_nft_instances_from_chain(
            uow, user, chain=chain, rng=rng, clock=world.clock, trusted_apps=("nictbw", PARTNER)
        )
        for user in users
    ]


def together(
    uow: UnitOfWork,
    world: World,
    chain: FakeChain,
    users: list[User],
    seed: int,
    chunk_size: int = 500,
) -> list[SyncReport]:
    return sync_many(
        uow,
        users,
        chain=chain,
        rng=random.Random(seed),
        clock=world.clock,
        trusted_apps=("nictbw", PARTNER),
        chunk_size=chunk_size,
    )


def test_sync_many_creates_instances_cards_and_reports_per_user(world: World) -> None:
    chain = FakeChain(seed=4, clock=world.clock)
    with world.factory() as uow:
        users = [register(uow, world, chain, name) for name in ("ann", "bob", "cyd")]
        mint(chain, users[0], TRIGGER)
        mint(chain, users[0], CANDIDATES[0])
        mint(chain, users[1], CANDIDATES[1])
        mint(chain, users[1], "UNTRUSTED", app="elsewhere")
        reports = together(uow, world, chain, users, seed=1)
        uow.commit()
    assert [r.created for r in reports] == [2, 1, 0]
    assert reports[0].cards_created == 1
    assert [len(r.skipped) for r in reports] == [0, 1, 0]
    assert "untrusted app elsewhere" in reports[1].skipped[0].reason
    with world.factory() as uow:
        assert len(uow.instances.list()) == 3
        assert len(uow.bingo_cards.list()) == 1
        assert uow.definitions.get_by_prefix("UNTRUSTED") is None


def test_sync_many_equals_one_sync_per_user(world: World) -> None:
    chain = FakeChain(seed=4, clock=world.clock)
    with world.factory() as uow:
        users = [register(uow, world, chain, f"user{n}") for n in range(6)]
        for n, user in enumerate(users):
            for prefix in PREFIXES[: 2 + n % 4]:
                mint(chain, user, prefix)
        mint(chain, users[1], NEW_PREFIX, app=PARTNER)
        expected = outcome_of(uow, lambda: one_by_one(uow, world, chain, users, 3))
        found = outcome_of(uow, lambda: together(uow, world, chain, users, 3, chunk_size=4))
    assert found == expected
    assert any(r.definitions_created for r in expected[0])


def test_sync_many_moves_an_nft_transferred_between_users_synced_together(world: World) -> None:
    chain = FakeChain(seed=4, clock=world.clock)
    with world.factory() as uow:
        ann, bob = (register(uow, world, chain, name) for name in ("ann", "bob"))
        origin = mint(chain, ann, CANDIDATES[2])
        together(uow, world, chain, [ann], seed=1)
        chain.transfer(origin, "bob")
        reports = together(uow, world, chain, [ann, bob], seed=2)
        uow.commit()
    assert [r.transferred for r in reports] == [1, 0]
    assert [r.created for r in reports] == [0, 1]
    with world.factory() as uow:
        held = {(i.user_id, i.status) for i in uow.instances.list_by_origins([origin])}
    assert held == {(ann.id, INSTANCE_TRANSFERRED), (bob.id, "succeeded")}


def test_sync_many_never_goes_past_a_supply(world: World) -> None:
    chain = FakeChain(seed=4, clock=world.clock)
    with world.factory() as uow:
        users = [register(uow, world, chain, f"u{n}") for n in range(3)]
        for user in users:
            mint(chain, user, LIMITED)
        reports = together(uow, world, chain, users, seed=1)
        uow.commit()
    assert [r.created for r in reports] == [1, 1, 0]
    assert reports[2].skipped[0].reason == "supply exhausted"
    with world.factory() as uow:
        limited = uow.definitions.get_by_prefix(LIMITED)
        assert limited is not None
        assert limited.minted_count == limited.max_supply == 2


def test_sync_many_changes_nothing_when_one_user_fails(world: World) -> None:
    chain = FakeChain(seed=4, clock=world.clock)
    with world.factory() as uow:
        users = [register(uow, world, chain, f"u{n}") for n in range(3)]
        uow.commit()
    for user in users:
        mint(chain, user, CANDIDATES[0])
    chain.fail_on(chain.calls + 3)
    with world.factory() as uow:
        with pytest.raises(ChainError, match="injected"):
            together(uow, world, chain, users, seed=1, chunk_size=2)
        assert uow.instances.list() == []
        uow.commit()
    with world.factory() as uow:
        assert uow.instances.list() == []


def test_sync_many_refuses_unstored_users_and_bad_arguments(world: World) -> None:
    chain = FakeChain(seed=4, clock=world.clock)
    with world.factory() as uow:
        with pytest.raises(NotFoundError, match="not stored"):
            together(uow, world, chain, [User(in_app_id="ghost")], seed=1)
        with pytest.raises(NotFoundError, match="987654"):
            together(uow, world, chain, [User(id=987_654, in_app_id="gone")], seed=1)
        local = uow.users.add(
            User(in_app_id="local", created_at=world.clock.now(), updated_at=world.clock.now())
        )
        with pytest.raises(ValidationError, match="on_chain_id"):
            together(uow, world, chain, [local], seed=1)
        with pytest.raises(ValidationError, match="chunk_size"):
            together(uow, world, chain, [local], seed=1, chunk_size=0)
        with pytest.raises(ValidationError, match="trusted"):
            sync_many(uow, [local], chain=chain, trusted_apps="nictbw")
    assert chain.calls == 0


_HISTORY = st.lists(
    st.one_of(
        st.tuples(
            st.just("mint"),
            st.integers(0, 3),
            st.sampled_from(PREFIXES),
            st.sampled_from(("nictbw", "nictbw", PARTNER, "elsewhere")),
        ),
        st.tuples(st.just("transfer"), st.integers(0, 30), st.integers(0, 3)),
        st.tuples(st.just("sync"), st.integers(0, 3)),
        st.tuples(st.just("sync"), st.integers(0, 3)),
    ),
    max_size=16,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    history=_HISTORY,
    order=st.lists(st.integers(0, 3), min_size=2, max_size=6),
    chunk_size=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_sync_many_is_one_sync_per_user_in_order(
    world: World,
    history: list[tuple[Any, ...]],
    order: list[int],
    chunk_size: int,
    seed: int,
) -> None:
    chain = FakeChain(seed=seed, clock=world.clock)
    with world.factory() as uow:
        users = [register(uow, world, chain, f"p{n}") for n in range(4)]
        for step in history:
            if step[0] == "mint":
                mint(chain, users[step[1]], step[2], app=step[3])
            elif step[0] == "transfer":
                minted = chain.nfts
                if minted:
                    chain.transfer(minted[step[1] % len(minted)].origin, f"p{step[2]}")
            else:
                one_by_one(uow, world, chain, [users[step[1]]], seed)
        listed = [users[k] for k in order]
        expected = outcome_of(uow, lambda: one_by_one(uow, world, chain, listed, seed))
        found = outcome_of(
            uow, lambda: together(uow, world, chain, listed, seed, chunk_size=chunk_size)
        )
    assert found == expected
