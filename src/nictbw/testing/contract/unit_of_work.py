"""The unit-of-work contract: transactions, savepoints, atomic refusals, copies, get/list."""

from __future__ import annotations

import attrs
import pytest

from nictbw.domain.entities import (
    CELL_LOCKED,
    CELL_UNLOCKED,
    INSTANCE_TRANSFERRED,
)
from nictbw.domain.errors import ConflictError
from nictbw.testing.contract._support import (
    MISSING_ID,
    ContractCase,
    Rows,
    UowFactory,
    _id,
    abort_savepoint,
    make_card,
    make_instance,
    make_user,
    store_instances,
)


class UnitOfWorkContract(ContractCase):
    """Commit, rollback, savepoints, refused writes and copy semantics of every repository."""

    def test_ids_are_assigned_on_add_and_usable_before_commit(
        self, uow_factory: UowFactory
    ) -> None:
        with uow_factory() as uow:
            user = uow.users.add(make_user(1))
            assert user.id is not None
            assert uow.users.get(user.id) == user

    def test_committed_changes_are_visible_to_a_fresh_unit_of_work(
        self, uow_factory: UowFactory
    ) -> None:
        with uow_factory() as uow:
            user = uow.users.add(make_user(1))
            uow.commit()
        with uow_factory() as uow:
            assert uow.users.get(_id(user)) == user

    def test_leaving_without_commit_discards_the_changes(self, uow_factory: UowFactory) -> None:
        with uow_factory() as uow:
            uow.users.add(make_user(1))
        with uow_factory() as uow:
            assert uow.users.list() == []

    def test_leaving_by_an_exception_discards_the_changes(self, uow_factory: UowFactory) -> None:
        def add_then_fail() -> None:
            with uow_factory() as uow:
                uow.users.add(make_user(1))
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            add_then_fail()
        with uow_factory() as uow:
            assert uow.users.list() == []

    def test_rollback_discards_changes_since_the_last_commit(self, uow_factory: UowFactory) -> None:
        with uow_factory() as uow:
            kept = uow.users.add(make_user(1))
            uow.commit()
            uow.users.add(make_user(2))
            uow.rollback()
            uow.users.add(make_user(3))
            uow.commit()
        with uow_factory() as uow:
            assert [u.in_app_id for u in uow.users.list()] == [kept.in_app_id, "user-3"]

    def test_constraint_failure_leaves_committed_state_intact(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        with uow_factory() as uow:
            uow.users.add(make_user(7))
            with pytest.raises(ConflictError):
                uow.users.add(make_user(8, in_app_id="user-0"))
        with uow_factory() as uow:
            assert uow.users.list() == world.users

    def test_savepoint_keeps_its_block_when_it_succeeds(self, uow_factory: UowFactory) -> None:
        with uow_factory() as uow:
            with uow.savepoint():
                uow.users.add(make_user(1))
            uow.commit()
        with uow_factory() as uow:
            assert [u.in_app_id for u in uow.users.list()] == ["user-1"]

    def test_savepoint_undoes_its_block_when_it_raises_and_the_transaction_goes_on(
        self,
        uow_factory: UowFactory,
    ) -> None:
        with uow_factory() as uow:
            uow.users.add(make_user(1))
            abort_savepoint(uow, lambda: uow.users.add(make_user(2)))
            uow.users.add(make_user(3))
            uow.commit()
        with uow_factory() as uow:
            assert [u.in_app_id for u in uow.users.list()] == ["user-1", "user-3"]

    def test_savepoint_nested_failure_keeps_the_outer_block(self, uow_factory: UowFactory) -> None:
        with uow_factory() as uow:
            with uow.savepoint():
                uow.users.add(make_user(1))
                abort_savepoint(uow, lambda: uow.users.add(make_user(2)))
            uow.commit()
        with uow_factory() as uow:
            assert [u.in_app_id for u in uow.users.list()] == ["user-1"]

    def test_savepoint_undoes_updates_and_serial_reservations(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        with uow_factory() as uow:
            abort_savepoint(
                uow,
                lambda: uow.users.update(attrs.evolve(world.users[0], nickname="changed")),
                lambda: uow.definitions.reserve_serials(
                    world.definition_ids[0], 4, enforce_supply=True
                ),
            )
            assert uow.users.get(world.user_ids[0]) == world.users[0]
            assert (
                uow.definitions.reserve_serials(world.definition_ids[0], 1, enforce_supply=True)
                == 0
            )

    def test_refused_write_changes_nothing_and_the_transaction_goes_on(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        with uow_factory() as uow:
            with pytest.raises(ConflictError):
                uow.users.add(make_user(8, in_app_id="user-0"))
            uow.users.add(make_user(9))
            uow.commit()
        with uow_factory() as uow:
            assert [u.in_app_id for u in uow.users.list()] == [
                "user-0",
                "user-1",
                "user-2",
                "user-9",
            ]

    def test_refused_bulk_write_stores_none_of_its_rows(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        user_id, definition_id = world.user_ids[0], world.definition_ids[0]
        batch = [make_instance(user_id, definition_id, n) for n in (0, 1, 2)]
        batch[2].unique_instance_id = batch[0].unique_instance_id
        with uow_factory() as uow:
            with pytest.raises(ConflictError):
                uow.instances.add_many(batch)
            assert uow.instances.list() == []
            kept = make_instance(user_id, definition_id, 5)
            uow.instances.add(kept)
            uow.commit()
        with uow_factory() as uow:
            assert uow.instances.list() == [kept]

    def test_refused_card_stores_none_of_its_cells(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        bad = make_card(world.user_ids[0], world.definition_ids)
        bad.cells[8].target_definition_id = MISSING_ID
        good = make_card(world.user_ids[0], world.definition_ids)
        with uow_factory() as uow:
            with pytest.raises(ConflictError):
                uow.bingo_cards.add(bad)
            uow.bingo_cards.add(good)
            uow.commit()
        with uow_factory() as uow:
            assert uow.bingo_cards.list() == [good]

    def test_refused_update_many_restores_the_rows_it_already_wrote(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        instances = store_instances(
            uow_factory, world.user_ids[0], world.definition_ids[0], count=3
        )
        changed = [attrs.evolve(i, status=INSTANCE_TRANSFERRED) for i in instances]
        changed[2].definition_id = MISSING_ID
        with uow_factory() as uow:
            with pytest.raises(ConflictError):
                uow.instances.update_many(changed)
            assert uow.instances.list() == instances

    def test_mutating_an_added_entity_changes_nothing_stored(self, uow_factory: UowFactory) -> None:
        with uow_factory() as uow:
            user = uow.users.add(make_user(1))
            user.nickname = "changed"
            assert uow.users.get(_id(user)) == make_user(1, id=user.id)

    def test_mutating_a_read_entity_changes_nothing_until_update(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        with uow_factory() as uow:
            read = uow.users.get(world.user_ids[0])
            assert read is not None
            read.nickname = "changed"
            assert uow.users.get(world.user_ids[0]) == world.users[0]

    def test_mutating_a_read_card_cell_changes_nothing(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        with uow_factory() as uow:
            card = uow.bingo_cards.add(make_card(world.user_ids[0], world.definition_ids))
            read = uow.bingo_cards.get(_id(card))
            assert read is not None
            read.cells[0].state = CELL_UNLOCKED
            read.cells.pop()
            again = uow.bingo_cards.get(_id(card))
            assert again is not None
            assert [c.state for c in again.cells] == [CELL_LOCKED] * 9

    def test_mutating_read_json_changes_nothing(self, uow_factory: UowFactory, world: Rows) -> None:
        meta = {"tags": ["a"], "nested": {"k": 1}}
        (instance,) = store_instances(
            uow_factory, world.user_ids[0], world.definition_ids[0], other_meta=meta
        )
        with uow_factory() as uow:
            read = uow.instances.get(_id(instance))
            assert read is not None
            assert read.other_meta is not None
            read.other_meta["tags"].append("b")
            read.other_meta["nested"]["k"] = 2
            again = uow.instances.get(_id(instance))
            assert again is not None
            assert again.other_meta == {"tags": ["a"], "nested": {"k": 1}}

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
        ],
    )
    def test_get_returns_none_when_absent(self, uow_factory: UowFactory, repository: str) -> None:
        with uow_factory() as uow:
            assert getattr(uow, repository).get(MISSING_ID) is None

    def test_list_returns_every_row_in_ascending_id(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        with uow_factory() as uow:
            definitions = uow.definitions.list()
        assert definitions == world.definitions
        ids = [_id(d) for d in definitions]
        assert ids == sorted(ids)

    def test_get_many_returns_the_stored_ones_by_id(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        wanted = [world.user_ids[2], MISSING_ID, world.user_ids[0]]
        with uow_factory() as uow:
            found = uow.users.get_many(wanted)
        assert found == {world.user_ids[0]: world.users[0], world.user_ids[2]: world.users[2]}

    def test_definitions_get_many_returns_the_stored_ones_by_id(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        with uow_factory() as uow:
            found = uow.definitions.get_many([world.definition_ids[1], MISSING_ID])
        assert found == {world.definition_ids[1]: world.definitions[1]}

    def test_get_many_of_nothing_is_empty(self, uow_factory: UowFactory, world: Rows) -> None:
        with uow_factory() as uow:
            assert uow.instances.get_many([]) == {}
