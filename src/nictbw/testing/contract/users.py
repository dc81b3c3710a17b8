"""The user and admin repository contracts."""

from __future__ import annotations

import attrs
import pytest

from nictbw.domain.errors import ConflictError, NotFoundError, ValidationError
from nictbw.testing.contract._support import (
    HOUR,
    MISSING_ID,
    T0,
    ContractCase,
    Rows,
    UowFactory,
    _id,
    make_admin,
    make_user,
)


class UserRepositoryContract(ContractCase):
    """``uow.users``: round trips, lookups, unique keys, updates."""

    def test_user_reads_back_field_for_field(self, uow_factory: UowFactory) -> None:
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
        self, uow_factory: UowFactory, world: Rows, lookup: str, value: str
    ) -> None:
        with uow_factory() as uow:
            assert getattr(uow.users, lookup)(value) == world.users[1]

    @pytest.mark.parametrize(
        "lookup", ["get_by_in_app_id", "get_by_paymail", "get_by_email", "get_by_on_chain_id"]
    )
    def test_user_lookups_return_none_when_absent(
        self, uow_factory: UowFactory, world: Rows, lookup: str
    ) -> None:
        with uow_factory() as uow:
            assert getattr(uow.users, lookup)("nobody@nowhere") is None

    def test_user_lookup_by_email_normalises_its_argument(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        with uow_factory() as uow:
            assert uow.users.get_by_email("  USER1@Example.ORG ") == world.users[1]

    def test_user_lookup_by_paymail_is_exact(self, uow_factory: UowFactory, world: Rows) -> None:
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
        self, uow_factory: UowFactory, world: Rows, field: str, value: str
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
        self, uow_factory: UowFactory, world: Rows, field: str, value: str
    ) -> None:
        changed = attrs.evolve(world.users[1])
        setattr(changed, field, value)
        with uow_factory() as uow, pytest.raises(ConflictError):
            uow.users.update(changed)

    def test_user_unique_keys_let_null_values_coexist(self, uow_factory: UowFactory) -> None:
        blank = {"in_app_id": None, "email": None, "paymail": None, "on_chain_id": None}
        with uow_factory() as uow:
            uow.users.add(make_user(1, **blank))
            uow.users.add(make_user(2, **blank))
            uow.commit()
        with uow_factory() as uow:
            assert len(uow.users.list()) == 2

    def test_user_update_persists_every_field(self, uow_factory: UowFactory, world: Rows) -> None:
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
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        changed = attrs.evolve(world.users[0], nickname="same keys")
        with uow_factory() as uow:
            uow.users.update(changed)
            uow.commit()
        with uow_factory() as uow:
            assert uow.users.get(world.user_ids[0]) == changed

    def test_user_update_of_an_unstored_user_is_not_found(self, uow_factory: UowFactory) -> None:
        with uow_factory() as uow, pytest.raises(NotFoundError):
            uow.users.update(make_user(1, id=MISSING_ID))

    def test_user_not_null_timestamp_is_enforced(self, uow_factory: UowFactory) -> None:
        with uow_factory() as uow, pytest.raises(ValidationError):
            uow.users.add(make_user(1, created_at=None))


class AdminRepositoryContract(ContractCase):
    """``uow.admins``: round trip, normalised e-mail lookup, unique e-mail."""

    def test_admin_reads_back_and_is_found_by_normalised_email(
        self, uow_factory: UowFactory
    ) -> None:
        admin = make_admin(1, name="Ops", role="operator")
        with uow_factory() as uow:
            uow.admins.add(admin)
            uow.commit()
        with uow_factory() as uow:
            assert uow.admins.get(_id(admin)) == admin
            assert uow.admins.get_by_email(" ADMIN1@example.org") == admin
            assert uow.admins.get_by_email("other@example.org") is None
            assert uow.admins.list() == [admin]

    def test_admin_email_is_unique(self, uow_factory: UowFactory, world: Rows) -> None:
        with uow_factory() as uow, pytest.raises(ConflictError):
            uow.admins.add(make_admin(2, email="Admin1@example.org"))
