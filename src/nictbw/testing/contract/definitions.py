"""The NFT definition repository contract (serial reservation included)."""

from __future__ import annotations

import attrs
import pytest

from nictbw.domain.errors import ConflictError, NotFoundError, ValidationError
from nictbw.testing.contract._support import (
    MISSING_ID,
    ContractCase,
    Rows,
    UowFactory,
    _id,
    make_definition,
)


class DefinitionRepositoryContract(ContractCase):
    """``uow.definitions``: round trips, prefix lookups, checks, ``reserve_serials``."""

    def test_definition_reads_back_field_for_field(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        definition = make_definition(
            "EXPO-2026",
            nft_type="stamp",
            category="food",
            subcategory="ramen",
            description="説明 — description",
            promotional_text="promo",
            store_url="https://example.org/store",
            image_url="https://example.org/i.png",
            qr_image_url="https://example.org/q.png",
            local_image_path="/tmp/i.png",
            store_name="Store",
            latitude=35.681236,
            longitude=139.767125,
            max_supply=100,
            status="inactive",
            triggers_bingo_card=True,
            bingo_random_candidate=False,
            card_lifetime_seconds=3600,
            is_dummy=True,
            is_public=False,
            created_by_admin_id=world.admin.id,
        )
        with uow_factory() as uow:
            uow.definitions.add(definition)
            uow.commit()
        with uow_factory() as uow:
            assert uow.definitions.get(_id(definition)) == definition

    def test_definition_lookup_by_prefix_is_exact_and_case_sensitive(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        with uow_factory() as uow:
            assert uow.definitions.get_by_prefix("DEF3") == world.definitions[3]
            assert uow.definitions.get_by_prefix("def3") is None
            assert uow.definitions.get_by_prefix("DEF") is None

    def test_definitions_get_many_by_prefix_returns_the_stored_ones(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        with uow_factory() as uow:
            found = uow.definitions.get_many_by_prefix(["DEF2", "nope", "DEF5"])
        assert found == {"DEF2": world.definitions[2], "DEF5": world.definitions[5]}

    def test_definition_prefix_is_unique(self, uow_factory: UowFactory, world: Rows) -> None:
        with uow_factory() as uow, pytest.raises(ConflictError):
            uow.definitions.add(make_definition("DEF0"))

    def test_definition_prefixes_differing_in_case_coexist(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        with uow_factory() as uow:
            uow.definitions.add(make_definition("def0"))
            uow.commit()
        with uow_factory() as uow:
            assert len(uow.definitions.list()) == 11

    def test_definition_admin_must_exist(self, uow_factory: UowFactory) -> None:
        with uow_factory() as uow, pytest.raises(ConflictError):
            uow.definitions.add(make_definition("X", created_by_admin_id=MISSING_ID))

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("status", "archived"),
            ("minted_count", -1),
            ("max_supply", -1),
            ("card_lifetime_seconds", 0),
            ("card_lifetime_seconds", -5),
        ],
    )
    def test_definition_checks_refuse_bad_values(
        self, uow_factory: UowFactory, field: str, value: object
    ) -> None:
        with uow_factory() as uow, pytest.raises(ValidationError):
            uow.definitions.add(make_definition("X", **{field: value}))

    def test_definition_max_supply_zero_is_allowed(self, uow_factory: UowFactory) -> None:
        with uow_factory() as uow:
            definition = uow.definitions.add(make_definition("X", max_supply=0))
            uow.commit()
        with uow_factory() as uow:
            stored = uow.definitions.get(_id(definition))
        assert stored is not None
        assert stored.max_supply == 0

    @pytest.mark.parametrize("field", ["prefix", "shared_key", "name", "nft_type", "created_at"])
    def test_definition_not_null_columns_are_enforced(
        self, uow_factory: UowFactory, field: str
    ) -> None:
        definition = make_definition("X")
        setattr(definition, field, None)
        with uow_factory() as uow, pytest.raises(ValidationError):
            uow.definitions.add(definition)

    def test_definition_update_persists_fields_but_never_minted_count(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        with uow_factory() as uow:
            uow.definitions.reserve_serials(world.definition_ids[0], 3, enforce_supply=False)
            uow.commit()
        changed = attrs.evolve(world.definitions[0], name="Renamed", minted_count=99, max_supply=50)
        with uow_factory() as uow:
            uow.definitions.update(changed)
            uow.commit()
        with uow_factory() as uow:
            assert uow.definitions.get(world.definition_ids[0]) == attrs.evolve(
                changed, minted_count=3
            )

    def test_definition_update_to_a_taken_prefix_conflicts(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        with uow_factory() as uow, pytest.raises(ConflictError):
            uow.definitions.update(attrs.evolve(world.definitions[0], prefix="DEF1"))

    def test_definition_update_of_an_unstored_definition_is_not_found(
        self, uow_factory: UowFactory
    ) -> None:
        with uow_factory() as uow, pytest.raises(NotFoundError):
            uow.definitions.update(make_definition("X", id=MISSING_ID))

    def test_reserve_serials_returns_the_old_count_and_adds(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        definition_id = world.definition_ids[0]
        with uow_factory() as uow:
            assert uow.definitions.reserve_serials(definition_id, 1, enforce_supply=True) == 0
            assert uow.definitions.reserve_serials(definition_id, 5, enforce_supply=True) == 1
            uow.commit()
        with uow_factory() as uow:
            stored = uow.definitions.get(definition_id)
        assert stored is not None
        assert stored.minted_count == 6

    def test_reserve_serials_within_supply_reaches_the_limit(self, uow_factory: UowFactory) -> None:
        with uow_factory() as uow:
            definition = uow.definitions.add(make_definition("LIM", max_supply=3))
            assert uow.definitions.reserve_serials(_id(definition), 3, enforce_supply=True) == 0
            uow.commit()
        with uow_factory() as uow:
            stored = uow.definitions.get(_id(definition))
        assert stored is not None
        assert stored.minted_count == 3
        assert stored.remaining_supply == 0

    def test_reserve_serials_beyond_supply_returns_none_and_changes_nothing(
        self,
        uow_factory: UowFactory,
    ) -> None:
        with uow_factory() as uow:
            definition = uow.definitions.add(make_definition("LIM", max_supply=3))
            uow.definitions.reserve_serials(_id(definition), 2, enforce_supply=True)
            assert uow.definitions.reserve_serials(_id(definition), 2, enforce_supply=True) is None
            uow.commit()
        with uow_factory() as uow:
            stored = uow.definitions.get(_id(definition))
        assert stored is not None
        assert stored.minted_count == 2

    def test_reserve_serials_with_supply_zero_is_refused(self, uow_factory: UowFactory) -> None:
        with uow_factory() as uow:
            definition = uow.definitions.add(make_definition("CLOSED", max_supply=0))
            assert uow.definitions.reserve_serials(_id(definition), 1, enforce_supply=True) is None

    def test_reserve_serials_without_enforcement_may_exceed_supply(
        self, uow_factory: UowFactory
    ) -> None:
        with uow_factory() as uow:
            definition = uow.definitions.add(make_definition("LIM", max_supply=1))
            assert uow.definitions.reserve_serials(_id(definition), 4, enforce_supply=False) == 0
            uow.commit()
        with uow_factory() as uow:
            stored = uow.definitions.get(_id(definition))
        assert stored is not None
        assert stored.minted_count == 4
        assert stored.remaining_supply == 0

    def test_reserve_serials_is_unlimited_without_max_supply(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        with uow_factory() as uow:
            got = uow.definitions.reserve_serials(
                world.definition_ids[0], 10_000, enforce_supply=True
            )
        assert got == 0

    def test_reserve_serials_rolls_back_with_the_unit_of_work(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        with uow_factory() as uow:
            uow.definitions.reserve_serials(world.definition_ids[0], 7, enforce_supply=True)
        with uow_factory() as uow:
            assert (
                uow.definitions.reserve_serials(world.definition_ids[0], 1, enforce_supply=True)
                == 0
            )

    def test_reserve_serials_of_an_unknown_definition_is_not_found(
        self, uow_factory: UowFactory
    ) -> None:
        with uow_factory() as uow, pytest.raises(NotFoundError):
            uow.definitions.reserve_serials(MISSING_ID, 1, enforce_supply=True)

    def test_reserve_serials_refuses_a_negative_count(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        with uow_factory() as uow, pytest.raises(ValidationError):
            uow.definitions.reserve_serials(world.definition_ids[0], -1, enforce_supply=False)

    def test_catalogue_among_gives_the_stored_definitions_among_the_ids(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        ids = world.definition_ids
        asked = [ids[4], MISSING_ID, ids[1], ids[4]]
        with uow_factory() as uow:
            found = uow.definitions.catalogue_among(asked)
            assert found == {ids[4]: world.definitions[4], ids[1]: world.definitions[1]}
            assert uow.definitions.catalogue_among([]) == {}
            # Asked again, and after the whole catalogue: the same answer.
            assert uow.definitions.catalogue_among(asked) == found
            uow.definitions.catalogue()
            assert uow.definitions.catalogue_among(asked) == found

    def test_catalogue_among_sees_the_unit_of_works_own_writes(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        first = world.definition_ids[0]
        with uow_factory() as uow:
            assert uow.definitions.catalogue_among([first])[first].name == world.definitions[0].name
            uow.definitions.update(attrs.evolve(world.definitions[0], name="Renamed"))
            assert uow.definitions.catalogue_among([first])[first].name == "Renamed"
            uow.definitions.reserve_serials(first, 4, enforce_supply=False)
            assert uow.definitions.catalogue_among([first])[first].minted_count == 4
            assert uow.definitions.catalogue_among([MISSING_ID]) == {}
            added = uow.definitions.add(make_definition("LATE", created_by_admin_id=world.admin.id))
            late = _id(added)
            assert uow.definitions.catalogue_among([late]) == {late: added}
            uow.rollback()
            assert uow.definitions.catalogue_among([first, late]) == {first: world.definitions[0]}

    @pytest.mark.parametrize("bad", [True, "1", None, 1.0, 2**31])
    def test_catalogue_among_refuses_a_malformed_id(
        self, uow_factory: UowFactory, world: Rows, bad: object
    ) -> None:
        with uow_factory() as uow, pytest.raises(ValidationError, match=repr(bad)):
            uow.definitions.catalogue_among([world.definition_ids[0], bad])  # type: ignore[list-item]
