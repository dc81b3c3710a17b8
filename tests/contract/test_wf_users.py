"""Workflows of users and admins (domain-rules.md §4.1-4.3) on every backend."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from nictbw.adapters.chain import FakeChain
from nictbw.domain.entities import Admin, User
from nictbw.domain.errors import ChainError, ConflictError, NotFoundError, ValidationError
from nictbw.workflows import register_admin, register_user, update_user
from tests.contract.helpers import T0, UowFactory, World, build_world, register, snapshot


@pytest.fixture
def world(uow_factory: UowFactory) -> World:
    return build_world(uow_factory)


class StubSignupChain:
    """A chain whose sign-up answers a fixed body and counts calls."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.calls = 0

    def signup_user(
        self,
        username: str,
        email: str,
        password: str,
        *,
        group: str | None = None,
        profile_pic_filepath: str | None = None,
    ) -> Any:
        self.calls += 1
        return self.answer

    def get_user_nft_instances(self, on_chain_id: str) -> list[Any]:
        raise AssertionError("not used")

    def mint_nft(self, **kwargs: Any) -> dict[str, Any]:
        raise AssertionError("not used")


def _register(
    world: World, user: User, *, chain: Any = None, email: str = "new@city.example", **kw: Any
) -> User:
    with world.factory() as uow:
        stored = register_user(
            uow,
            user,
            password=kw.pop("password", "secret"),
            email=email,
            chain=chain if chain is not None else world.chain,
            clock=world.clock,
            **kw,
        )
        uow.commit()
    return stored


# ----------------------------------------------------------------------- register_user


def test_register_user_stores_paymail_on_chain_id_and_normalised_email(world: World) -> None:
    user = _register(world, User(in_app_id="alice"), email="  Alice@City.Example ")
    with world.factory() as uow:
        stored = uow.users.get_by_in_app_id("alice")
    assert stored is not None
    assert stored.id == user.id
    assert stored.paymail == "alice@fake.chain"
    assert stored.on_chain_id == "alice"
    assert stored.email == "alice@city.example"
    assert stored.created_at == T0
    assert stored.updated_at == T0


def test_register_user_username_argument_overrides_in_app_id(world: World) -> None:
    _register(world, User(in_app_id="alice"), username="alice-chain")
    with world.factory() as uow:
        stored = uow.users.get_by_in_app_id("alice")
    assert stored is not None
    assert stored.on_chain_id == "alice-chain"
    assert stored.paymail == "alice-chain@fake.chain"
    assert "alice-chain" in world.chain.accounts


def test_register_user_keeps_the_users_own_email(world: World) -> None:
    _register(world, User(in_app_id="alice", email="Own@City.Example"), email="arg@city.example")
    with world.factory() as uow:
        stored = uow.users.get_by_in_app_id("alice")
    assert stored is not None
    assert stored.email == "own@city.example"


def test_register_user_of_a_stored_user_is_a_validation_error(world: World) -> None:
    user = _register(world, User(in_app_id="alice"))
    calls = world.chain.calls
    with pytest.raises(ValidationError, match=f"id {user.id}"):
        _register(world, user)
    assert world.chain.calls == calls


@pytest.mark.parametrize("username", ["   ", ""])
def test_register_user_blank_username_is_refused_before_the_chain(
    world: World, username: str
) -> None:
    with pytest.raises(ValidationError, match="username"):
        _register(world, User(in_app_id="alice"), username=username)
    assert world.chain.calls == 0


def test_register_user_without_username_nor_in_app_id_is_refused(world: World) -> None:
    with pytest.raises(ValidationError, match=r"username .*None"):
        _register(world, User())
    assert world.chain.calls == 0


def test_register_user_over_long_username_is_refused(world: World) -> None:
    with pytest.raises(ValidationError, match=r"username .*256 characters"):
        _register(world, User(in_app_id="alice"), username="u" * 256)
    assert world.chain.calls == 0


@pytest.mark.parametrize("email", ["not-an-email", "@city.example", "alice@", "a b@city.example"])
def test_register_user_malformed_email_is_refused(world: World, email: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(repr(email))):
        _register(world, User(in_app_id="alice"), email=email)
    assert world.chain.calls == 0


def test_register_user_blank_email_is_refused(world: World) -> None:
    with pytest.raises(ValidationError, match="email must not be blank"):
        _register(world, User(in_app_id="alice"), email="  ")


def test_register_user_over_long_email_is_refused(world: World) -> None:
    email = "a" * 90 + "@city.example"
    with pytest.raises(ValidationError, match=f"email .*{len(email)} characters"):
        _register(world, User(in_app_id="alice"), email=email)


def test_register_user_blank_password_is_refused(world: World) -> None:
    with pytest.raises(ValidationError, match="password"):
        _register(world, User(in_app_id="alice"), password="  ")
    assert world.chain.calls == 0


def test_register_user_unreadable_profile_picture_is_refused(world: World, tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.png")
    with pytest.raises(ValidationError, match=re.escape(missing)):
        _register(world, User(in_app_id="alice"), profile_pic_filepath=missing)
    assert world.chain.calls == 0


def test_register_user_sends_a_readable_profile_picture(world: World, tmp_path: Path) -> None:
    picture = tmp_path / "me.png"
    picture.write_bytes(b"\x89PNG fake")
    _register(world, User(in_app_id="alice"), profile_pic_filepath=str(picture))
    assert world.chain.accounts["alice"].profile_pic == b"\x89PNG fake"


def test_register_user_over_long_nickname_is_refused(world: World) -> None:
    with pytest.raises(ValidationError, match=r"nickname .*51 characters"):
        _register(world, User(in_app_id="alice", nickname="n" * 51))
    assert world.chain.calls == 0


def test_register_user_naive_created_at_is_refused(world: World) -> None:
    naive = datetime(2026, 5, 1, 9, 0)
    with pytest.raises(ValidationError, match=re.escape(naive.isoformat())):
        _register(world, User(in_app_id="alice", created_at=naive))
    assert world.chain.calls == 0


def test_register_user_in_app_id_taken_is_a_conflict_without_chain_call(world: World) -> None:
    _register(world, User(in_app_id="alice"), email="first@city.example")
    calls = world.chain.calls
    with pytest.raises(ConflictError, match="'alice'"):
        _register(world, User(in_app_id="alice"), username="other", email="second@city.example")
    assert world.chain.calls == calls


def test_register_user_email_taken_is_a_conflict_without_chain_call(world: World) -> None:
    _register(world, User(in_app_id="alice"), email="same@city.example")
    calls = world.chain.calls
    with pytest.raises(ConflictError, match=r"'same@city.example'"):
        _register(world, User(in_app_id="bob"), email=" SAME@City.example")
    assert world.chain.calls == calls


def test_register_user_own_email_taken_is_a_conflict_without_chain_call(world: World) -> None:
    _register(world, User(in_app_id="alice"), email="same@city.example")
    calls = world.chain.calls
    with pytest.raises(ConflictError, match=r"'same@city\.example'"):
        _register(
            world, User(in_app_id="bob", email="Same@City.Example"), email="free@city.example"
        )
    assert world.chain.calls == calls


def test_register_user_chain_username_taken_locally_is_a_conflict(world: World) -> None:
    _register(world, User(in_app_id="alice"), username="shared", email="a@city.example")
    calls = world.chain.calls
    with pytest.raises(ConflictError, match="'shared'"):
        _register(world, User(in_app_id="bob"), username="shared", email="b@city.example")
    assert world.chain.calls == calls


def test_register_user_preset_paymail_taken_is_a_conflict(world: World) -> None:
    _register(world, User(in_app_id="alice"), email="a@city.example")
    calls = world.chain.calls
    with pytest.raises(ConflictError, match=r"'alice@fake.chain'"):
        _register(world, User(in_app_id="bob", paymail="alice@fake.chain"), email="b@city.example")
    assert world.chain.calls == calls


def test_register_user_refused_by_the_chain_stores_nothing(world: World) -> None:
    world.chain.create_account("carol", "carol@elsewhere.example", "pw")
    before = snapshot(world.factory)
    with pytest.raises(ChainError) as caught:
        _register(world, User(in_app_id="carol"))
    assert caught.value.status == 400
    assert snapshot(world.factory) == before


def test_register_user_answer_without_success_is_a_chain_error(world: World) -> None:
    chain = StubSignupChain({"status": "error", "message": "quota exceeded"})
    before = snapshot(world.factory)
    with pytest.raises(ChainError, match="quota exceeded"):
        _register(world, User(in_app_id="alice"), chain=chain)
    assert chain.calls == 1
    assert snapshot(world.factory) == before


@pytest.mark.parametrize(
    "answer",
    [
        {"status": "success"},
        {"status": "success", "paymail": "   "},
        {"status": "success", "paymail": 42},
        {"status": "success", "paymail": "p" * 256},
        ["success"],
        "success",
    ],
)
def test_register_user_unusable_chain_answer_is_a_chain_error(world: World, answer: Any) -> None:
    before = snapshot(world.factory)
    with pytest.raises(ChainError):
        _register(world, User(in_app_id="alice"), chain=StubSignupChain(answer))
    assert snapshot(world.factory) == before


def test_register_user_paymail_already_held_says_the_chain_account_exists(world: World) -> None:
    chain = StubSignupChain({"status": "success", "paymail": "same@fake.chain"})
    _register(world, User(in_app_id="alice"), chain=chain, email="a@city.example")
    before = snapshot(world.factory)
    with pytest.raises(ConflictError, match=r"'same@fake.chain' already exists"):
        _register(world, User(in_app_id="bob"), chain=chain, email="b@city.example")
    assert snapshot(world.factory) == before


@pytest.mark.parametrize("kind", ["status", "timeout", "malformed", "missing_fields"])
def test_register_user_failing_kth_chain_call_persists_nothing(world: World, kind: Any) -> None:
    names = ("u1", "u2", "u3")
    for k in range(1, len(names) + 1):
        chain = FakeChain(seed=k, clock=world.clock)
        chain.fail_on(k, kind)
        for n, name in enumerate(names, start=1):
            user = User(in_app_id=f"{name}-k{k}")
            before = snapshot(world.factory)
            if n == k:
                with pytest.raises(ChainError):
                    _register(world, user, chain=chain, email=f"{name}-k{k}@city.example")
                assert snapshot(world.factory) == before
            else:
                _register(world, user, chain=chain, email=f"{name}-k{k}@city.example")
        with world.factory() as uow:
            stored = {u.in_app_id for u in uow.users.list()}
        assert stored >= {f"{name}-k{k}" for i, name in enumerate(names, 1) if i != k}
        assert f"{names[k - 1]}-k{k}" not in stored


# ---------------------------------------------------------------------- register_admin


def test_register_admin_stores_normalised_email_and_timestamps(world: World) -> None:
    with world.factory() as uow:
        admin = register_admin(
            uow, Admin(email=" Boss@City.Example", password_hash="h"), clock=world.clock
        )
        uow.commit()
    with world.factory() as uow:
        stored = uow.admins.get_by_email("BOSS@city.example ")
    assert stored is not None
    assert stored.id == admin.id
    assert stored.email == "boss@city.example"
    assert stored.created_at == T0
    assert stored.updated_at == T0


def test_register_admin_of_a_stored_admin_is_a_validation_error(world: World) -> None:
    with world.factory() as uow, pytest.raises(ValidationError, match=f"id {world.admin.id}"):
        register_admin(uow, world.admin, clock=world.clock)


def test_register_admin_email_taken_is_a_conflict(world: World) -> None:
    with world.factory() as uow, pytest.raises(ConflictError, match=r"'ops@city.example'"):
        register_admin(uow, Admin(email="OPS@city.example", password_hash="h"), clock=world.clock)


@pytest.mark.parametrize("password_hash", ["", "   "])
def test_register_admin_blank_password_hash_is_refused(world: World, password_hash: str) -> None:
    with world.factory() as uow, pytest.raises(ValidationError, match="password_hash"):
        register_admin(uow, Admin(password_hash=password_hash), clock=world.clock)


def test_register_admin_over_long_role_is_refused(world: World) -> None:
    with world.factory() as uow, pytest.raises(ValidationError, match=r"role .*51 characters"):
        register_admin(uow, Admin(password_hash="h", role="r" * 51), clock=world.clock)


def test_register_admin_malformed_email_is_refused(world: World) -> None:
    with world.factory() as uow, pytest.raises(ValidationError, match="'boss'"):
        register_admin(uow, Admin(password_hash="h", email="boss"), clock=world.clock)


def test_register_admin_naive_updated_at_is_refused(world: World) -> None:
    naive = datetime(2026, 1, 2, 3, 4, 5)
    with world.factory() as uow, pytest.raises(ValidationError, match=naive.isoformat()):
        register_admin(uow, Admin(password_hash="h", updated_at=naive), clock=world.clock)


# ------------------------------------------------------------------------- update_user


def _alice(world: World) -> User:
    with world.factory() as uow:
        user = register(uow, world, "alice")
        uow.commit()
    return user


def test_update_user_applies_changes_and_moves_updated_at(world: World) -> None:
    user = _alice(world)
    world.clock.advance(timedelta(minutes=5))
    with world.factory() as uow:
        updated = update_user(
            uow, user, clock=world.clock, nickname="Ally", email=" ALLY@City.Example"
        )
        uow.commit()
    with world.factory() as uow:
        stored = uow.users.get(user.id) if user.id is not None else None
    assert stored is not None
    assert stored == updated
    assert stored.nickname == "Ally"
    assert stored.email == "ally@city.example"
    assert stored.updated_at == T0 + timedelta(minutes=5)
    assert stored.created_at == T0


def test_update_user_without_a_difference_leaves_the_row(world: World) -> None:
    user = _alice(world)
    world.clock.advance(timedelta(minutes=5))
    with world.factory() as uow:
        returned = update_user(uow, user, clock=world.clock, nickname="Alice")
        uow.commit()
    assert returned.updated_at == T0
    with world.factory() as uow:
        stored = uow.users.get_by_in_app_id("alice")
    assert stored is not None
    assert stored.updated_at == T0


def test_update_user_uses_the_stored_row_not_the_argument(world: World) -> None:
    user = _alice(world)
    user.nickname = "changed locally"
    with world.factory() as uow:
        returned = update_user(uow, user, clock=world.clock, fcm_token="tok")
        uow.commit()
    assert returned.nickname == "Alice"
    assert returned.fcm_token == "tok"


@pytest.mark.parametrize("key", ["paymail", "on_chain_id", "id", "created_at", "favourite"])
def test_update_user_refuses_fields_it_may_not_change(world: World, key: str) -> None:
    user = _alice(world)
    with world.factory() as uow, pytest.raises(ValidationError, match=f"'{key}'"):
        update_user(uow, user, clock=world.clock, **{key: "x"})


def test_update_user_of_an_unstored_user_is_not_found(world: World) -> None:
    with world.factory() as uow, pytest.raises(NotFoundError, match="not stored"):
        update_user(uow, User(in_app_id="ghost"), clock=world.clock, nickname="x")


def test_update_user_whose_row_is_gone_is_not_found(world: World) -> None:
    with world.factory() as uow, pytest.raises(NotFoundError, match="user 4242"):
        update_user(uow, User(id=4242), clock=world.clock, nickname="x")


def test_update_user_in_app_id_of_another_user_is_a_conflict(world: World) -> None:
    user = _alice(world)
    with world.factory() as uow:
        register(uow, world, "bob")
        uow.commit()
    with world.factory() as uow, pytest.raises(ConflictError, match="'bob'"):
        update_user(uow, user, clock=world.clock, in_app_id="bob")


def test_update_user_email_of_another_user_is_a_conflict(world: World) -> None:
    user = _alice(world)
    with world.factory() as uow:
        register(uow, world, "bob")
        uow.commit()
    with world.factory() as uow, pytest.raises(ConflictError, match=r"'bob@city.example'"):
        update_user(uow, user, clock=world.clock, email="Bob@City.Example")


def test_update_user_over_long_nickname_is_refused(world: World) -> None:
    user = _alice(world)
    with world.factory() as uow, pytest.raises(ValidationError, match=r"nickname .*51 characters"):
        update_user(uow, user, clock=world.clock, nickname="n" * 51)


def test_update_user_blank_in_app_id_is_refused(world: World) -> None:
    user = _alice(world)
    with world.factory() as uow, pytest.raises(ValidationError, match="in_app_id"):
        update_user(uow, user, clock=world.clock, in_app_id="  ")


def test_update_user_non_bool_flag_is_refused(world: World) -> None:
    user = _alice(world)
    with world.factory() as uow, pytest.raises(ValidationError, match="'yes'"):
        update_user(uow, user, clock=world.clock, is_test_user="yes")
