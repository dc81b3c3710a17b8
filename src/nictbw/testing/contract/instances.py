"""The NFT instance repository contract."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import attrs
import pytest

from nictbw.domain.entities import (
    INSTANCE_REVOKED,
    INSTANCE_SUCCEEDED,
    INSTANCE_TRANSFERRED,
    DrawCandidate,
)
from nictbw.domain.errors import ConflictError, NotFoundError, ValidationError
from nictbw.testing.contract._support import (
    HOUR,
    MISSING_ID,
    T0,
    ContractCase,
    Rows,
    UowFactory,
    _id,
    make_instance,
    store_instances,
)


class InstanceRepositoryContract(ContractCase):
    """``uow.instances``: round trips, bulk adds, lookups, unique keys, origins."""

    def test_instance_reads_back_field_for_field(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        instance = make_instance(
            world.user_ids[0],
            world.definition_ids[0],
            0,
            status=INSTANCE_TRANSFERRED,
            blockchain_nft_id=2**40,
            current_nft_location="loc_1",
            blockchain_name="名前",
            sub_type="ord",
            blockchain_created_at=T0 - HOUR,
            blockchain_updated_at=T0 + HOUR,
            transaction_id="tx",
            contract_address="contract",
            token_id="token",
            other_meta={
                "name": "スタンプ",
                "n": 1,
                "list": [1, 2.5, None, True],
                "obj": {"é": "ü"},
            },
        )
        with uow_factory() as uow:
            uow.instances.add(instance)
            uow.commit()
        with uow_factory() as uow:
            assert uow.instances.get(_id(instance)) == instance

    def test_instance_datetimes_read_back_as_aware_utc(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        tokyo = timezone(timedelta(hours=9))
        local = datetime(2026, 5, 1, 18, 30, 15, 250000, tzinfo=tokyo)
        (instance,) = store_instances(
            uow_factory,
            world.user_ids[0],
            world.definition_ids[0],
            acquired_at=local,
            blockchain_created_at=local,
        )
        with uow_factory() as uow:
            stored = uow.instances.get(_id(instance))
        assert stored is not None
        for value in (stored.acquired_at, stored.blockchain_created_at):
            assert value == local
            assert value is not None
            assert value.utcoffset() == timedelta(0)
            assert value.tzname() == "UTC"

    def test_instance_json_round_trips_non_ascii(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        meta = {"名前": "東京タワー 🗼", "nested": {"ß": ["ä", "ö"]}, "empty": {}}
        (instance,) = store_instances(
            uow_factory, world.user_ids[0], world.definition_ids[0], other_meta=meta
        )
        with uow_factory() as uow:
            stored = uow.instances.get(_id(instance))
        assert stored is not None
        assert stored.other_meta == meta

    def test_instance_add_many_assigns_ids_in_order(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        instances = [make_instance(world.user_ids[0], world.definition_ids[0], n) for n in range(5)]
        with uow_factory() as uow:
            uow.instances.add_many(instances)
            uow.commit()
        ids = [_id(i) for i in instances]
        assert ids == sorted(ids)
        assert len(set(ids)) == 5
        with uow_factory() as uow:
            assert uow.instances.list() == instances

    def test_instance_add_many_of_nothing_stores_nothing(self, uow_factory: UowFactory) -> None:
        with uow_factory() as uow:
            uow.instances.add_many([])
            assert uow.instances.list() == []

    def test_instance_add_many_refuses_a_key_taken_within_the_batch(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        user_id, definition_id = world.user_ids[0], world.definition_ids[0]
        batch = [make_instance(user_id, definition_id, n) for n in (0, 1, 1)]
        with uow_factory() as uow, pytest.raises(ConflictError):
            uow.instances.add_many(batch)
        with uow_factory() as uow:
            assert uow.instances.list() == []

    def test_instance_lists_by_user_and_definition(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        u0, u1, u2 = world.user_ids
        d0, d1 = world.definition_ids[:2]
        a = store_instances(uow_factory, u0, d0)[0]
        b = store_instances(uow_factory, u1, d0)[0]
        c = store_instances(uow_factory, u0, d1)[0]
        d = store_instances(uow_factory, u2, d1)[0]
        with uow_factory() as uow:
            assert uow.instances.list_for_user(u0) == [a, c]
            assert uow.instances.list_for_users([u2, u0]) == [a, c, d]
            assert uow.instances.list_for_users([]) == []
            assert uow.instances.list_for_definition(d0) == [a, b]
            assert uow.instances.list_for_user(MISSING_ID) == []
            assert uow.instances.list_for_definition(MISSING_ID) == []

    def test_instance_list_by_origins_covers_every_user_and_status(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        u0, u1, _ = world.user_ids
        d0 = world.definition_ids[0]
        gone = store_instances(
            uow_factory, u0, d0, nft_origin="shared", status=INSTANCE_TRANSFERRED
        )[0]
        held = store_instances(uow_factory, u1, d0, nft_origin="shared")[0]
        other = store_instances(uow_factory, u1, d0, nft_origin="other")[0]
        store_instances(uow_factory, u1, d0, nft_origin="unrelated")
        with uow_factory() as uow:
            assert uow.instances.list_by_origins(["other", "shared", "absent"]) == [
                gone,
                held,
                other,
            ]
            assert uow.instances.list_by_origins([]) == []

    @pytest.mark.parametrize(
        "query",
        [
            ["tx_0"],
            [" TX_0 "],
            ["TX_0", "tx_0 "],
            ["Éa_0"],
            ["éa_0", "ÉA_0"],
            ["tx_0", " tx_0", "TX_0", "tx_0 ", " TX_0 ", "Éa_0", "éa_0", "ÉA_0"],
        ],
    )
    def test_instance_list_by_origins_matches_the_exact_spelling_only(
        self, uow_factory: UowFactory, world: Rows, query: list[str]
    ) -> None:
        # Spellings that share an origin key (and, for SQL, an index entry) still
        # differ: only the stored origins spelt exactly as asked are found.
        u0, _, _ = world.user_ids
        d0 = world.definition_ids[0]
        spellings = ["tx_0", " tx_0", "TX_0", "tx_0 ", " TX_0 ", "Éa_0", "éa_0"]
        stored = [
            store_instances(uow_factory, u0, d0, nft_origin=origin)[0] for origin in spellings
        ]
        with uow_factory() as uow:
            found = uow.instances.list_by_origins(query)
        assert found == [instance for instance in stored if instance.nft_origin in query]

    def test_instance_existing_unique_ids_reports_the_used_ones(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        (instance,) = store_instances(uow_factory, world.user_ids[0], world.definition_ids[0])
        with uow_factory() as uow:
            found = uow.instances.existing_unique_ids([instance.unique_instance_id, "DEF0-unused"])
        assert found == {instance.unique_instance_id}

    def test_instance_existing_unique_ids_sees_uncommitted_adds(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        with uow_factory() as uow:
            instance = make_instance(world.user_ids[0], world.definition_ids[0], 0)
            uow.instances.add(instance)
            assert uow.instances.existing_unique_ids([instance.unique_instance_id]) == {
                instance.unique_instance_id
            }

    def test_instance_count_by_status_counts_what_is_stored(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        u0, u1, _ = world.user_ids
        d0, d1 = world.definition_ids[:2]
        with uow_factory() as uow:
            assert uow.instances.count_by_status() == {}
        store_instances(uow_factory, u0, d0, 3)
        store_instances(uow_factory, u1, d1, 2, nft_origin=None, status=INSTANCE_REVOKED)
        store_instances(uow_factory, u1, d0, 1, status=INSTANCE_TRANSFERRED)
        with uow_factory() as uow:
            counted = uow.instances.count_by_status()
        assert counted == {INSTANCE_REVOKED: 2, INSTANCE_SUCCEEDED: 3, INSTANCE_TRANSFERRED: 1}
        assert list(counted) == sorted(counted)

    def test_instance_count_by_status_sees_the_transaction_s_own_writes(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        (stored,) = store_instances(uow_factory, world.user_ids[0], world.definition_ids[0])
        with uow_factory() as uow:
            uow.instances.update(attrs.evolve(stored, status=INSTANCE_TRANSFERRED))
            uow.instances.add(make_instance(world.user_ids[1], world.definition_ids[1], 0))
            assert uow.instances.count_by_status() == {
                INSTANCE_SUCCEEDED: 1,
                INSTANCE_TRANSFERRED: 1,
            }
            uow.rollback()
        with uow_factory() as uow:
            assert uow.instances.count_by_status() == {INSTANCE_SUCCEEDED: 1}

    def test_instance_candidates_for_definition(self, uow_factory: UowFactory, world: Rows) -> None:
        u0, u1, _ = world.user_ids
        d0, d1 = world.definition_ids[:2]
        a = store_instances(uow_factory, u0, d0, nft_origin="A")[0]
        b = store_instances(uow_factory, u1, d0, nft_origin=None, status=INSTANCE_TRANSFERRED)[0]
        store_instances(uow_factory, u0, d1)
        with uow_factory() as uow:
            candidates = uow.instances.candidates_for_definition(d0)
        assert candidates == [
            DrawCandidate(
                instance_id=_id(a),
                user_id=u0,
                definition_id=d0,
                nft_origin="A",
                status=INSTANCE_SUCCEEDED,
            ),
            DrawCandidate(
                instance_id=_id(b),
                user_id=u1,
                definition_id=d0,
                nft_origin=None,
                status=INSTANCE_TRANSFERRED,
            ),
        ]

    def test_instance_serial_is_unique_per_definition(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        store_instances(uow_factory, world.user_ids[0], world.definition_ids[0])
        clash = make_instance(
            world.user_ids[1], world.definition_ids[0], 0, unique_instance_id="X-1", nft_origin=None
        )
        with uow_factory() as uow, pytest.raises(ConflictError):
            uow.instances.add(clash)

    def test_instance_same_serial_in_other_definitions_is_allowed(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        with uow_factory() as uow:
            for definition_id in world.definition_ids[:3]:
                uow.instances.add(make_instance(world.user_ids[0], definition_id, 0))
            uow.commit()
        with uow_factory() as uow:
            assert len(uow.instances.list()) == 3

    def test_instance_unique_instance_id_is_unique(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        (first,) = store_instances(uow_factory, world.user_ids[0], world.definition_ids[0])
        clash = make_instance(
            world.user_ids[0],
            world.definition_ids[1],
            0,
            unique_instance_id=first.unique_instance_id,
        )
        with uow_factory() as uow, pytest.raises(ConflictError):
            uow.instances.add(clash)

    def test_instance_origin_is_held_by_one_succeeded_instance(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        store_instances(uow_factory, world.user_ids[0], world.definition_ids[0], nft_origin="tx_0")
        clash = make_instance(world.user_ids[1], world.definition_ids[1], 0, nft_origin="tx_0")
        with uow_factory() as uow, pytest.raises(ConflictError):
            uow.instances.add(clash)

    def test_instance_origin_may_repeat_on_transferred_instances(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        u0, u1, u2 = world.user_ids
        store_instances(uow_factory, u0, world.definition_ids[0], nft_origin="tx_0")
        store_instances(
            uow_factory, u1, world.definition_ids[0], nft_origin="tx_0", status=INSTANCE_TRANSFERRED
        )
        store_instances(
            uow_factory, u2, world.definition_ids[0], nft_origin="tx_0", status=INSTANCE_TRANSFERRED
        )
        with uow_factory() as uow:
            assert len(uow.instances.list_by_origins(["tx_0"])) == 3

    def test_instance_without_origin_never_collide(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        store_instances(
            uow_factory, world.user_ids[0], world.definition_ids[0], count=3, nft_origin=None
        )
        with uow_factory() as uow:
            assert len(uow.instances.list()) == 3

    def test_instance_update_back_to_succeeded_on_a_held_origin_conflicts(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        u0, u1, _ = world.user_ids
        (gone,) = store_instances(
            uow_factory, u0, world.definition_ids[0], nft_origin="tx_0", status=INSTANCE_TRANSFERRED
        )
        store_instances(uow_factory, u1, world.definition_ids[0], nft_origin="tx_0")
        with uow_factory() as uow, pytest.raises(ConflictError):
            uow.instances.update(attrs.evolve(gone, status=INSTANCE_SUCCEEDED))

    @pytest.mark.parametrize("field", ["user_id", "definition_id"])
    def test_instance_references_must_exist(
        self, uow_factory: UowFactory, world: Rows, field: str
    ) -> None:
        instance = make_instance(world.user_ids[0], world.definition_ids[0], 0)
        setattr(instance, field, MISSING_ID)
        with uow_factory() as uow, pytest.raises(ConflictError):
            uow.instances.add(instance)

    def test_instance_status_check_refuses_unknown_status(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        instance = make_instance(world.user_ids[0], world.definition_ids[0], 0, status="burned")
        with uow_factory() as uow, pytest.raises(ValidationError):
            uow.instances.add(instance)

    def test_instance_acquired_at_is_not_null(self, uow_factory: UowFactory, world: Rows) -> None:
        instance = make_instance(world.user_ids[0], world.definition_ids[0], 0, acquired_at=None)
        with uow_factory() as uow, pytest.raises(ValidationError):
            uow.instances.add(instance)

    def test_instance_update_persists_every_field(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        (instance,) = store_instances(uow_factory, world.user_ids[0], world.definition_ids[0])
        changed = attrs.evolve(
            instance,
            user_id=world.user_ids[1],
            status=INSTANCE_TRANSFERRED,
            nft_origin="moved",
            current_nft_location="moved_1",
            other_meta={"k": "v"},
        )
        with uow_factory() as uow:
            uow.instances.update(changed)
            uow.commit()
        with uow_factory() as uow:
            assert uow.instances.get(_id(instance)) == changed
            assert uow.instances.list_for_user(world.user_ids[0]) == []
            assert uow.instances.list_by_origins(["moved"]) == [changed]

    def test_instance_update_many_persists_each(self, uow_factory: UowFactory, world: Rows) -> None:
        instances = store_instances(
            uow_factory, world.user_ids[0], world.definition_ids[0], count=3
        )
        changed = [attrs.evolve(i, status=INSTANCE_TRANSFERRED) for i in instances]
        with uow_factory() as uow:
            uow.instances.update_many(changed)
            uow.commit()
        with uow_factory() as uow:
            assert uow.instances.list() == changed

    def test_instance_update_of_an_unstored_instance_is_not_found(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        instance = make_instance(world.user_ids[0], world.definition_ids[0], 0, id=MISSING_ID)
        with uow_factory() as uow, pytest.raises(NotFoundError):
            uow.instances.update(instance)
