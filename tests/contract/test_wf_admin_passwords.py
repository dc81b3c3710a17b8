"""Admin passwords: hashing at registration and verify_admin_password, on every backend."""

from __future__ import annotations

from datetime import timedelta

import pytest

from nictbw.adapters.passwords import Argon2PasswordHasher
from nictbw.domain.entities import Admin
from nictbw.domain.errors import ConflictError, NotFoundError, ValidationError
from nictbw.workflows import register_admin, verify_admin_password
from tests.contract.helpers import T0, UowFactory, new_clock

PASSWORD = "Corr3ct-h0rse-b4ttery"
FAST = Argon2PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
STRONGER = Argon2PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)


def _register(factory: UowFactory, email: str = "ops@city.example", **kw: object) -> Admin:
    kw.setdefault("hasher", FAST)
    with factory() as uow:
        admin = register_admin(uow, Admin(email=email), clock=new_clock(), **kw)  # type: ignore[arg-type]
        uow.commit()
    return admin


def _stored_hash(factory: UowFactory, admin: Admin) -> str:
    assert admin.id is not None
    with factory() as uow:
        stored = uow.admins.get(admin.id)
    assert stored is not None
    return stored.password_hash


def _verify(factory: UowFactory, admin: Admin, password: str, **kw: object) -> bool:
    kw.setdefault("hasher", FAST)
    with factory() as uow:
        result = verify_admin_password(uow, admin, password, **kw)  # type: ignore[arg-type]
        uow.commit()
    return result


def test_register_admin_with_a_password_stores_an_argon2id_hash(uow_factory: UowFactory) -> None:
    admin = _register(uow_factory, password=PASSWORD)
    stored = _stored_hash(uow_factory, admin)
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert admin.password_hash == stored
    assert FAST.verify(stored, PASSWORD)


def test_the_right_password_verifies_and_a_wrong_one_does_not(uow_factory: UowFactory) -> None:
    admin = _register(uow_factory, password=PASSWORD)
    assert _verify(uow_factory, admin, PASSWORD) is True
    assert _verify(uow_factory, admin, PASSWORD + "x") is False
    assert _verify(uow_factory, admin, "") is False


def test_a_ready_hash_is_stored_as_given_for_imports(uow_factory: UowFactory) -> None:
    ready = FAST.hash("imported-pw")
    with uow_factory() as uow:
        admin = register_admin(uow, Admin(email="i@city.example", password_hash=ready))
        uow.commit()
    assert _stored_hash(uow_factory, admin) == ready
    assert _verify(uow_factory, admin, "imported-pw") is True


def test_an_opaque_imported_hash_never_verifies(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        admin = register_admin(uow, Admin(email="o@city.example", password_hash="opaque:legacy"))
        uow.commit()
    assert _verify(uow_factory, admin, "opaque:legacy") is False
    assert _stored_hash(uow_factory, admin) == "opaque:legacy"


def test_a_password_and_a_ready_hash_together_are_refused(uow_factory: UowFactory) -> None:
    ready = FAST.hash("other")
    with uow_factory() as uow, pytest.raises(ValidationError, match="not both") as info:
        register_admin(
            uow, Admin(email="b@city.example", password_hash=ready), password=PASSWORD, hasher=FAST
        )
    assert PASSWORD not in str(info.value)
    assert ready not in str(info.value)
    with uow_factory() as uow:
        assert uow.admins.list() == []


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("   ", "blank"),
        (12345, "must be a string"),
        ("x" * 1025, "at most 1024"),
        ("pw\x00tail-secret", "NUL"),
    ],
)
def test_unusable_passwords_are_refused_without_being_quoted(
    uow_factory: UowFactory, password: object, rule: str
) -> None:
    with uow_factory() as uow, pytest.raises(ValidationError, match=rule) as info:
        register_admin(uow, Admin(email="p@city.example"), password=password, hasher=FAST)  # type: ignore[arg-type]
    assert str(password)[:10] not in str(info.value) or rule == "blank"
    with uow_factory() as uow:
        assert uow.admins.list() == []


def test_a_taken_email_with_a_password_stores_nothing(uow_factory: UowFactory) -> None:
    _register(uow_factory, password=PASSWORD)
    with uow_factory() as uow, pytest.raises(ConflictError):
        register_admin(uow, Admin(email="ops@city.example"), password="other-pw", hasher=FAST)
    with uow_factory() as uow:
        assert len(uow.admins.list()) == 1


def test_an_outdated_hash_is_replaced_after_a_successful_check(uow_factory: UowFactory) -> None:
    admin = _register(uow_factory, password=PASSWORD)
    old = _stored_hash(uow_factory, admin)
    later = new_clock()
    later.advance(timedelta(hours=1))
    assert _verify(uow_factory, admin, PASSWORD, hasher=STRONGER, clock=later) is True
    new = _stored_hash(uow_factory, admin)
    assert new != old
    assert not STRONGER.needs_rehash(new)
    assert STRONGER.verify(new, PASSWORD)
    assert admin.id is not None
    with uow_factory() as uow:
        stored = uow.admins.get(admin.id)
    assert stored is not None
    assert stored.updated_at == T0 + timedelta(hours=1)


def test_a_wrong_password_never_rehashes(uow_factory: UowFactory) -> None:
    admin = _register(uow_factory, password=PASSWORD)
    old = _stored_hash(uow_factory, admin)
    assert _verify(uow_factory, admin, "wrong", hasher=STRONGER) is False
    assert _stored_hash(uow_factory, admin) == old


def test_a_current_hash_is_left_alone(uow_factory: UowFactory) -> None:
    admin = _register(uow_factory, password=PASSWORD)
    old = _stored_hash(uow_factory, admin)
    assert _verify(uow_factory, admin, PASSWORD) is True
    assert _stored_hash(uow_factory, admin) == old


def test_the_hash_is_replaced_only_if_unchanged_meanwhile(uow_factory: UowFactory) -> None:
    admin = _register(uow_factory, password=PASSWORD)
    old = _stored_hash(uow_factory, admin)
    assert admin.id is not None
    with uow_factory() as uow:
        assert not uow.admins.replace_password_hash(admin.id, "stale", "new-hash", T0)
        assert uow.admins.replace_password_hash(admin.id, old, "new-hash", T0)
        uow.commit()
    assert _stored_hash(uow_factory, admin) == "new-hash"


def test_verifying_an_admin_that_is_not_stored_is_not_found(uow_factory: UowFactory) -> None:
    with uow_factory() as uow, pytest.raises(NotFoundError):
        verify_admin_password(uow, Admin(id=999, email="x@y.z"), PASSWORD, hasher=FAST)
    with uow_factory() as uow, pytest.raises(NotFoundError):
        verify_admin_password(uow, Admin(email="x@y.z"), PASSWORD, hasher=FAST)


def test_the_default_hasher_is_argon2id_with_its_default_parameters(
    memory_uow_factory: UowFactory,
) -> None:
    with memory_uow_factory() as uow:
        admin = register_admin(uow, Admin(email="d@city.example"), password=PASSWORD)
        uow.commit()
    assert admin.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    with memory_uow_factory() as uow:
        assert verify_admin_password(uow, admin, PASSWORD) is True
