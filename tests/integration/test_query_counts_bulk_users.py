"""Statement counts of the bulk user paths: ``users.add`` sends one statement (no
savepoint, on PostgreSQL either), ``users.add_many`` and ``sync_many`` send as many for
10 users as for 200 (one chunk of rows), so their cost does not grow with the number of users.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from nictbw.adapters.chain import FakeChain
from nictbw.adapters.sqlalchemy.repositories.instances import SqlInstanceRepository
from nictbw.domain.entities import (
    INSTANCE_SUCCEEDED,
    INSTANCE_TRANSFERRED,
    NFTInstance,
    SyncReport,
    User,
)
from nictbw.workflows import SignUp, register_users, sync_many
from tests.conftest import postgres_url_or_skip
from tests.contract.helpers import CANDIDATES, TRIGGER, World, build_world
from tests.sql_backends import (
    SqlUowFactory,
    count_statements,
    postgres_uow_factory,
    sqlite_uow_factory,
)

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlUowFactory]:
    if request.param == "sqlite":
        with sqlite_uow_factory(tmp_path) as factory:
            yield factory
    else:
        with postgres_uow_factory(postgres_url_or_skip()) as factory:
            yield factory


def user(n: int) -> User:
    return User(
        in_app_id=f"u{n}",
        email=f"u{n}@example.org",
        paymail=f"u{n}@fake.chain",
        on_chain_id=f"u{n}",
        created_at=T0,
        updated_at=T0,
    )


def counted(factory: SqlUowFactory, body: Callable[[Any], object]) -> list[str]:
    with factory() as uow, count_statements(factory.engine) as log:
        body(uow)
    return list(log)


def test_add_sends_one_insert_and_no_savepoint(sql_factory: SqlUowFactory) -> None:
    with sql_factory() as uow:
        uow.users.add(user(0))
        with count_statements(sql_factory.engine) as log:
            uow.users.add(user(1))
    assert len(log) == 1, list(log)
    assert log[0].lstrip().upper().startswith("INSERT")


def test_add_many_sends_as_many_statements_for_400_users_as_for_10(
    sql_factory: SqlUowFactory,
) -> None:
    small = counted(sql_factory, lambda uow: uow.users.add_many([user(n) for n in range(10)]))
    large = counted(sql_factory, lambda uow: uow.users.add_many([user(n) for n in range(400)]))
    assert len(small) == len(large) <= 4, (small, large)


def members_holding(
    sql_factory: SqlUowFactory, count: int, badges: int, seed: int
) -> tuple[World, FakeChain, list[User]]:
    """``count`` users signed up on a new fake chain, each minted the trigger and
    ``badges - 1`` candidates there (nothing synced yet)."""
    world = build_world(sql_factory)
    chain = FakeChain(seed=seed, clock=world.clock)
    with sql_factory() as uow:
        members = register_users(
            uow,
            [
                SignUp(user=User(in_app_id=f"p{n}"), password="pw", email=f"p{n}@example.org")
                for n in range(count)
            ],
            chain=chain,
            clock=world.clock,
        )
        uow.commit()
    for member in members:
        for prefix in (TRIGGER, *CANDIDATES[: badges - 1]):
            chain.mint(
                app="nictbw",
                name=prefix,
                additional_info={"prefix": prefix},
                recipient_paymail=member.paymail,
            )
    return world, chain, members


def test_sync_many_sends_as_many_statements_for_200_users_as_for_10(
    sql_factory: SqlUowFactory,
) -> None:
    world, chain, users = members_holding(sql_factory, 200, 4, seed=2)

    def sync(members: list[User]) -> Callable[[Any], object]:
        return lambda uow: sync_many(
            uow, members, chain=chain, rng=random.Random(1), clock=world.clock
        )

    small = counted(sql_factory, sync(users[:10]))
    large = counted(sql_factory, sync(users))
    assert len(small) == len(large), (len(small), len(large))
    assert len(large) <= 40, large


def test_a_nightly_sync_reads_other_holders_only_of_moved_origins(
    sql_factory: SqlUowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once every listed NFT is held (succeeded) by the user listing it, ``sync_many``
    does not look its origin up among other users; a moved NFT is looked up."""
    world, chain, members = members_holding(sql_factory, 6, 3, seed=3)
    looked_up: list[set[str]] = []
    original = SqlInstanceRepository.list_by_origins

    def spy(self: SqlInstanceRepository, origins: Collection[str]) -> list[NFTInstance]:
        looked_up.append(set(origins))
        return original(self, origins)

    monkeypatch.setattr(SqlInstanceRepository, "list_by_origins", spy)

    def run() -> list[SyncReport]:
        with sql_factory() as uow:
            reports = sync_many(uow, members, chain=chain, rng=random.Random(1), clock=world.clock)
            uow.commit()
        return reports

    first = run()
    assert sum(r.created for r in first) == 18
    assert sum(map(len, looked_up)) == 18
    looked_up.clear()
    again = run()
    assert [r.unchanged for r in again] == [3] * 6
    assert looked_up == []
    giver, receiver = members[0], members[1]
    assert giver.on_chain_id is not None
    assert receiver.on_chain_id is not None
    moved = str(chain.get_user_nft_instances(giver.on_chain_id)[0]["nft_origin"])
    chain.transfer(moved, receiver.on_chain_id)
    after = run()
    assert looked_up == [{moved}]
    assert after[1].created == 1
    assert after[0].transferred == 1
    with sql_factory() as uow:
        holders = uow.instances.list_by_origins([moved])
    assert sorted((h.user_id, h.status) for h in holders) == sorted(
        [(giver.id, INSTANCE_TRANSFERRED), (receiver.id, INSTANCE_SUCCEEDED)]
    )
