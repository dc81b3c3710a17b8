"""Adding many users at once: ``uow.users.add_many``, ``uow.users.list_holding`` and the
``register_users`` workflow, on every backend (memory, SQLite, PostgreSQL).

A refused batch stores none of its users and names the offending value; what is stored
is what one ``add`` per user would have stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nictbw.adapters.chain import FakeChain
from nictbw.adapters.clock import FixedClock
from nictbw.domain.entities import User
from nictbw.domain.errors import ConflictError, ValidationError
from nictbw.ports import UnitOfWork
from nictbw.workflows import SignUp, register_user, register_users

UowFactory = Callable[[], UnitOfWork]
T0 = datetime(2026, 5, 1, 9, 0, 0, 123456, tzinfo=UTC)
UNIQUE = ("in_app_id", "email", "paymail", "on_chain_id")


def make_user(n: int, **changes: Any) -> User:
    fields: dict[str, Any] = {
        "in_app_id": f"user-{n}",
        "email": f"user{n}@example.org",
        "paymail": f"user{n}@pay.example",
        "on_chain_id": f"chain-user-{n}",
        "nickname": f"Visitor {n}",
        "created_at": T0,
        "updated_at": T0,
    }
    fields.update(changes)
    return User(**fields)


@pytest.fixture
def stored(uow_factory: UowFactory) -> list[User]:
    with uow_factory() as uow:
        users = [uow.users.add(make_user(n)) for n in range(2)]
        uow.commit()
    return users


def test_add_many_stores_every_user_with_ids_in_order(uow_factory: UowFactory) -> None:
    new = [make_user(n) for n in range(5)]
    with uow_factory() as uow:
        uow.users.add_many(new)
        uow.commit()
    ids = [u.id for u in new]
    assert all(i is not None for i in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == 5
    with uow_factory() as uow:
        assert uow.users.list() == new
        assert uow.users.get_by_in_app_id("user-3") == new[3]


def test_add_many_of_nothing_stores_nothing(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.users.add_many([])
        uow.commit()
    with uow_factory() as uow:
        assert uow.users.list() == []


def test_add_many_stores_users_without_any_unique_key(uow_factory: UowFactory) -> None:
    blank = dict.fromkeys(UNIQUE)
    new = [make_user(1, **blank), make_user(2), make_user(3, **blank)]
    with uow_factory() as uow:
        uow.users.add_many(new)
        uow.commit()
    with uow_factory() as uow:
        assert sorted(uow.users.list(), key=lambda u: u.nickname or "") == new


def test_add_many_spans_several_chunks(uow_factory: UowFactory) -> None:
    new = [make_user(n) for n in range(2_345)]
    with uow_factory() as uow:
        uow.users.add_many(new)
        uow.commit()
    with uow_factory() as uow:
        listed = uow.users.list()
    assert len(listed) == 2_345
    assert {u.id: u for u in listed} == {u.id: u for u in new}


@pytest.mark.parametrize("field", UNIQUE)
def test_add_many_refuses_a_key_taken_by_a_stored_user_and_stores_nothing(
    uow_factory: UowFactory, stored: list[User], field: str
) -> None:
    taken = getattr(stored[1], field)
    new = [make_user(10), make_user(11, **{field: taken}), make_user(12)]
    with uow_factory() as uow:
        with pytest.raises(ConflictError, match=f"{field}.*{re.escape(taken)}"):
            uow.users.add_many(new)
        uow.users.add(make_user(13))
        uow.commit()
    with uow_factory() as uow:
        assert [u.in_app_id for u in uow.users.list()] == ["user-0", "user-1", "user-13"]


@pytest.mark.parametrize("field", UNIQUE)
def test_add_many_refuses_a_key_given_twice_and_stores_nothing(
    uow_factory: UowFactory, field: str
) -> None:
    first = make_user(20)
    twin = make_user(21, **{field: getattr(first, field)})
    with uow_factory() as uow:
        with pytest.raises(ConflictError, match=f"{field}.*{re.escape(getattr(first, field))}"):
            uow.users.add_many([make_user(19), first, twin])
        uow.commit()
    with uow_factory() as uow:
        assert uow.users.list() == []


def test_add_many_refuses_a_stored_user(uow_factory: UowFactory, stored: list[User]) -> None:
    with uow_factory() as uow, pytest.raises(ValidationError, match="already stored"):
        uow.users.add_many([make_user(5), stored[0]])


def test_add_many_refuses_a_missing_timestamp_and_stores_nothing(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        with pytest.raises(ValidationError, match="created_at"):
            uow.users.add_many([make_user(1), make_user(2, created_at=None)])
        uow.commit()
    with uow_factory() as uow:
        assert uow.users.list() == []


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    numbers=st.lists(st.integers(0, 40), max_size=6),
    blanks=st.lists(st.sampled_from(UNIQUE), max_size=3),
)
def test_add_many_ends_like_one_add_per_user_or_refuses_with_nothing_stored(
    uow_factory: UowFactory, numbers: list[int], blanks: list[str]
) -> None:
    """Against the model "one ``add`` per user in a savepoint": the same users stored,
    or, where one ``add`` fails, a ``ConflictError`` and nothing stored."""
    with uow_factory() as uow:
        before = uow.users.list()
    batch = [make_user(n, **dict.fromkeys(blanks)) for n in numbers]
    with uow_factory() as uow:
        try:
            with uow.savepoint():
                for user in batch:
                    uow.users.add(attrs.evolve(user))
            expected_ok = True
        except ConflictError:
            expected_ok = False
        uow.rollback()
    with uow_factory() as uow:
        if expected_ok:
            uow.users.add_many(batch)
            uow.commit()
        else:
            with pytest.raises(ConflictError):
                uow.users.add_many(batch)
    with uow_factory() as uow:
        after = uow.users.list()
    if expected_ok:
        assert after == before + batch
    else:
        assert after == before


# -- list_holding -------------------------------------------------------------------------


def test_list_holding_finds_the_holders_of_any_key(
    uow_factory: UowFactory, stored: list[User]
) -> None:
    with uow_factory() as uow:
        found = uow.users.list_holding(
            {"email": ["user1@example.org", "nobody@example.org"], "paymail": ["user0@pay.example"]}
        )
        assert found == stored
        assert uow.users.list_holding({"on_chain_id": ["chain-user-9"]}) == []
        assert uow.users.list_holding({}) == []


def test_list_holding_refuses_a_column_that_is_no_unique_key(uow_factory: UowFactory) -> None:
    with uow_factory() as uow, pytest.raises(ValidationError, match="nickname"):
        uow.users.list_holding({"nickname": ["Visitor 1"]})


# -- register_users ------------------------------------------------------------------------


def signups(*names: str) -> list[SignUp]:
    return [
        SignUp(
            user=User(in_app_id=name, nickname=name.title()), password="pw", email=f"{name}@x.org"
        )
        for name in names
    ]


def test_register_users_stores_what_register_user_stores(uow_factory: UowFactory) -> None:
    clock = FixedClock(T0)
    one_chain, bulk_chain = FakeChain(seed=1, clock=clock), FakeChain(seed=1, clock=clock)
    with uow_factory() as uow:
        singles = [
            register_user(
                uow, s.user, password=s.password, email=s.email, chain=one_chain, clock=clock
            )
            for s in signups("ann", "bob", "cyd")
        ]
        uow.rollback()
    with uow_factory() as uow:
        bulk = register_users(uow, signups("ann", "bob", "cyd"), chain=bulk_chain, clock=clock)
        uow.commit()
    assert [u.id is not None for u in bulk] == [True, True, True]
    strip = [(u.in_app_id, u.email, u.paymail, u.on_chain_id, u.created_at) for u in singles]
    assert [(u.in_app_id, u.email, u.paymail, u.on_chain_id, u.created_at) for u in bulk] == strip
    with uow_factory() as uow:
        assert uow.users.list() == bulk
    assert sorted(bulk_chain.accounts) == ["ann", "bob", "cyd"]


def test_register_users_refuses_a_taken_key_before_any_chain_call(
    uow_factory: UowFactory, stored: list[User]
) -> None:
    chain = FakeChain(seed=1)
    batch = signups("dan", "eve")
    batch.append(SignUp(user=User(in_app_id="x"), password="pw", email="user0@example.org"))
    with uow_factory() as uow:
        with pytest.raises(ConflictError, match=re.escape("user0@example.org")):
            register_users(uow, batch, chain=chain)
        uow.commit()
    assert chain.calls == 0
    with uow_factory() as uow:
        assert uow.users.list() == stored


def test_register_users_refuses_a_name_given_twice_before_any_chain_call(
    uow_factory: UowFactory,
) -> None:
    chain = FakeChain(seed=1)
    batch = signups("fay", "gus", "fay")
    with uow_factory() as uow, pytest.raises(ConflictError, match="'fay'"):
        register_users(uow, batch, chain=chain)
    assert chain.calls == 0


def test_register_users_stores_nothing_when_the_chain_refuses_one(
    uow_factory: UowFactory,
) -> None:
    chain = FakeChain(seed=1)
    chain.fail_on(2)
    with uow_factory() as uow:
        with pytest.raises(Exception, match="injected"):
            register_users(uow, signups("hal", "ivy", "jon"), chain=chain)
        uow.commit()
    with uow_factory() as uow:
        assert uow.users.list() == []


def test_register_users_refuses_bad_input_naming_it(uow_factory: UowFactory) -> None:
    chain = FakeChain(seed=1)
    bad = [SignUp(user=User(in_app_id="kim"), password=" ", email="kim@x.org")]
    with uow_factory() as uow:
        with pytest.raises(ValidationError, match="password"):
            register_users(uow, bad, chain=chain)
        with pytest.raises(ValidationError, match="'not-an-email'"):
            register_users(
                uow,
                [SignUp(user=User(in_app_id="l"), password="pw", email="not-an-email")],
                chain=chain,
            )
        with pytest.raises(ValidationError, match="SignUp"):
            register_users(uow, ["kim"], chain=chain)  # type: ignore[list-item]
    assert chain.calls == 0
