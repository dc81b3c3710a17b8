"""Secrets of users and admins never show in reprs or error messages, on every backend."""

from __future__ import annotations

import pytest

from nictbw.domain.entities import Admin, User
from nictbw.domain.errors import ChainError, NictbwError, ValidationError
from nictbw.workflows import issue_instances, register_admin, register_user, update_user
from tests.contract.helpers import T0, UowFactory, World, build_world, register

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
PUSH = "fcm-Zq81-push-token"


@pytest.fixture
def world(uow_factory: UowFactory) -> World:
    return build_world(uow_factory)


def test_user_and_admin_reprs_hide_hashes_and_push_tokens() -> None:
    user = User(in_app_id="alice", password_hash=HASH, fcm_token=PUSH)
    admin = Admin(email="ops@city.example", password_hash=HASH)
    for shown in (repr(user), repr(admin), str(user), repr([user, admin])):
        assert HASH not in shown
        assert PUSH not in shown
        assert "'***'" in shown
    assert "password_hash=None" in repr(User(in_app_id="bob"))
    assert "in_app_id='alice'" in repr(user)


def test_a_grant_error_quoting_a_stored_user_hides_its_secrets(world: World) -> None:
    with world.factory() as uow:
        user = register(uow, world, "alice")
        user = update_user(uow, user, password_hash=HASH, fcm_token=PUSH, clock=world.clock)
        uow.commit()
    with world.factory() as uow, pytest.raises(ValidationError, match="grant 0") as info:
        issue_instances(uow, [(user,)], clock=world.clock)  # type: ignore[list-item]
    assert HASH not in str(info.value)
    assert PUSH not in str(info.value)


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"password_hash": HASH * 10}, "at most 255"),
        ({"fcm_token": PUSH * 20}, "at most 255"),
        ({"password_hash": 12345}, "must be a string"),
    ],
)
def test_refused_secret_values_are_not_quoted(
    world: World, changes: dict[str, object], rule: str
) -> None:
    with world.factory() as uow:
        user = register(uow, world, "alice")
        uow.commit()
    with world.factory() as uow, pytest.raises(NictbwError, match=rule) as info:
        update_user(uow, user, clock=world.clock, **changes)
    [(field, value)] = changes.items()
    assert field in str(info.value)
    assert str(value)[:20] not in str(info.value)


def test_a_refused_admin_hash_is_not_quoted(world: World) -> None:
    admin = Admin(email="x@city.example", password_hash="h" + HASH * 5, created_at=T0)
    with world.factory() as uow, pytest.raises(ValidationError, match="password_hash") as info:
        register_admin(uow, admin, clock=world.clock)
    assert HASH not in str(info.value)


@pytest.mark.parametrize(
    "answer",
    [
        {"status": "error", "message": "weak password 'hunter2-x'"},
        {"status": "success", "paymail": None, "echo": {"password": "hunter2-x"}},
    ],
)
def test_a_sign_up_answer_echoing_the_password_does_not_show_it(
    world: World, answer: dict[str, object]
) -> None:
    class EchoChain:
        def signup_user(self, *args: object, **kwargs: object) -> dict[str, object]:
            return answer

    with world.factory() as uow, pytest.raises(ChainError) as info:
        register_user(
            uow,
            User(in_app_id="carol"),
            password="hunter2-x",
            email="c@city.example",
            chain=EchoChain(),  # type: ignore[arg-type]
            clock=world.clock,
        )
    assert "hunter2-x" not in f"{info.value} {info.value.body}"
