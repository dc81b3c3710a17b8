"""NFT instances in the in-memory store."""

from __future__ import annotations

import builtins
from collections import Counter
from collections.abc import Collection, Hashable, Sequence
from typing import cast

from nictbw.adapters.memory.mirror import ColumnMirror
from nictbw.adapters.memory.repositories.base import MemoryRepository, require_new
from nictbw.adapters.memory.store import CANDIDATES, InMemoryStore
from nictbw.adapters.memory.table import Table
from nictbw.domain.entities import CandidateColumns, DrawCandidate, NFTInstance
from nictbw.domain.values import check_lookup_keys
from nictbw.ports.repositories import InstanceRepository


class InMemoryInstanceRepository(MemoryRepository[NFTInstance], InstanceRepository):
    """NFT instances in the in-memory store."""

    what = "instance"

    def _table(self, store: InMemoryStore) -> Table[NFTInstance]:
        return store.instances

    def add(self, instance: NFTInstance) -> NFTInstance:
        """Store a copy of a new instance and set its ``id``."""
        self.add_many([instance])
        return instance

    def add_many(self, instances: Sequence[NFTInstance]) -> None:
        """Store copies of new instances, all or none; ids in order."""
        for instance in instances:
            require_new(instance, "instance")
        with self._tx.statement() as journal:
            table = self._tx.store.instances
            rows = table.prepare_many(instances)
            table.insert_many(rows, journal)
        for instance, row in zip(instances, rows, strict=True):
            instance.id = row.id

    def _list_by(self, index: str, keys: Collection[Hashable]) -> builtins.list[NFTInstance]:
        table = self._tx.tables().instances
        return table.read_many(table.indexes[index].ids_of_many(keys))

    def list_for_user(self, user_id: int) -> builtins.list[NFTInstance]:
        """The user's instances, ascending id."""
        table = self._tx.tables().instances
        return table.read_many(table.indexes["user_id"].ids(user_id))

    def list_for_users(self, user_ids: Collection[int]) -> builtins.list[NFTInstance]:
        """The instances of these users, ascending id."""
        return self._list_by("user_id", user_ids)

    def list_for_definition(self, definition_id: int) -> builtins.list[NFTInstance]:
        """The definition's instances, ascending id."""
        table = self._tx.tables().instances
        return table.read_many(table.indexes["definition_id"].ids(definition_id))

    def list_by_origins(self, origins: Collection[str]) -> builtins.list[NFTInstance]:
        """Every instance whose origin is among ``origins``, ascending id."""
        return self._list_by("nft_origin", origins)

    def list_by_origin_keys(self, keys: Collection[str]) -> builtins.list[NFTInstance]:
        """Every instance whose origin key (trimmed, lower-cased) is among ``keys``."""
        return self._list_by("origin_key", keys)

    def existing_unique_ids(self, candidates: Collection[str]) -> set[str]:
        """The candidates already used as ``unique_instance_id``."""
        check_lookup_keys(candidates, "unique_instance_id")
        owners = self._tx.tables().instances.owners("unique_instance_id")
        return {candidate for candidate in candidates if candidate in owners}

    def existing_ids(self, ids: Collection[int]) -> set[int]:
        """The members of ``ids`` that are stored instances."""
        check_lookup_keys(ids, "instance id")
        rows = self._tx.tables().instances.rows
        return {instance_id for instance_id in ids if instance_id in rows}

    def count_by_status(self) -> dict[str, int]:
        """How many instances have each status, by status in ascending order."""
        held = Counter(row.status for row in self._tx.tables().instances.rows.values())
        return dict(sorted(held.items()))

    def candidate_columns_of(self, ids: Sequence[int]) -> CandidateColumns:
        """The candidate columns of the stored instances among ``ids``, in their order,
        picked from the instances' column mirror."""
        ids = list(ids)
        check_lookup_keys(ids, "instance id")
        table = self._tx.tables().instances
        rows = table.rows
        stored = [i for i in dict.fromkeys(ids) if i in rows]
        return cast(ColumnMirror, table.indexes[CANDIDATES]).candidate_columns(stored)

    def candidates_for_definition(self, definition_id: int) -> builtins.list[DrawCandidate]:
        """Draw candidates of every instance of the definition, ascending id."""
        table = self._tx.tables().instances
        rows = table.rows
        ids = table.indexes["definition_id"].ids(definition_id)
        return [DrawCandidate.of(rows[i]) for i in ids]

    def update(self, instance: NFTInstance) -> None:
        """Write every field of a stored instance."""
        self.update_many([instance])

    def update_many(self, instances: Sequence[NFTInstance]) -> None:
        """Write every field of stored instances, in order, all or none."""
        with self._tx.statement() as journal:
            table = self._tx.store.instances
            table.replace_many(table.prepare_many(instances), journal)


__all__ = ["InMemoryInstanceRepository"]
