"""NFT instances in the ``nft_instances`` table."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Select, func, select

from nictbw.adapters.sqlalchemy.bulk import chunked, distinct_keys
from nictbw.adapters.sqlalchemy.mapping import (
    CANDIDATE_COLUMNS,
    INSTANCE_COLUMNS,
    INSTANCES,
    instance_row,
    instance_values,
    instances_from_rows,
)
from nictbw.adapters.sqlalchemy.repositories.base import TableRepository, require_new
from nictbw.adapters.sqlalchemy.statements import (
    select_among,
    select_by,
    select_by_origin_keys,
    select_by_origins,
)
from nictbw.adapters.sqlalchemy.tables import nft_instances
from nictbw.domain.entities import CandidateColumns, DrawCandidate, NFTInstance
from nictbw.domain.values import check_lookup_key
from nictbw.ports.repositories import InstanceRepository


class SqlInstanceRepository(TableRepository[NFTInstance], InstanceRepository):
    """NFT instances in the ``nft_instances`` table."""

    mapper = INSTANCES

    def add_many(self, instances: Sequence[NFTInstance]) -> None:
        """One multi-row ``INSERT ... RETURNING id`` per chunk; ids assigned in order."""
        for instance in instances:
            require_new(instance, "instance")
        rows = list(map(instance_row, instances))
        with self._atomic():
            ids = self._insert_many(
                nft_instances, INSTANCE_COLUMNS, rows, key=("unique_instance_id",)
            )
        for instance, new_id in zip(instances, ids, strict=True):
            instance.id = new_id

    def _from_rows(
        self, keys: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> builtins.list[NFTInstance]:
        """Each instance built from one dict of its row passed as keywords."""
        return instances_from_rows(keys, rows)

    def _where(self, column: str, key: Any) -> builtins.list[NFTInstance]:
        return self._read(select_by(nft_instances, column), {"key": key})

    def _where_in(self, column: str, keys: Collection[Any]) -> builtins.list[NFTInstance]:
        dialect_name = self._connection().dialect.name
        return self._read_among(select_among(dialect_name, nft_instances, column), keys)

    def _read_among(
        self, statement: Select[Any], keys: Collection[Any]
    ) -> builtins.list[NFTInstance]:
        """The instances ``statement`` reads for ``keys`` (bound as ``:keys``), one query
        per chunk, ascending id."""
        found: builtins.list[NFTInstance] = []
        for chunk in chunked(distinct_keys(keys), self.chunk_size):
            found.extend(self._read(statement, self._keys(chunk)))
        found.sort(key=lambda instance: instance.id or 0)
        return found

    def list_for_user(self, user_id: int) -> builtins.list[NFTInstance]:
        """The user's instances, ascending id."""
        return self._where("user_id", user_id)

    def list_for_users(self, user_ids: Collection[int]) -> builtins.list[NFTInstance]:
        """The instances of all these users, one query per chunk, ascending id."""
        return self._where_in("user_id", user_ids)

    def list_for_definition(self, definition_id: int) -> builtins.list[NFTInstance]:
        """The definition's instances, ascending id."""
        return self._where("definition_id", definition_id)

    def list_by_origins(self, origins: Collection[str]) -> builtins.list[NFTInstance]:
        """Every instance whose origin is among ``origins``, one query per chunk (through
        the origin-key index), ascending id."""
        return self._read_among(select_by_origins(self._connection().dialect.name), origins)

    def existing_unique_ids(self, candidates: Collection[str]) -> set[str]:
        """The members of ``candidates`` already used, one query per chunk."""
        column = nft_instances.c.unique_instance_id
        taken: set[str] = set()
        for chunk in chunked(distinct_keys(candidates), self.chunk_size):
            taken.update(
                row["unique_instance_id"]
                for row in self._rows(select(column).where(self._among(column)), self._keys(chunk))
            )
        return taken

    def existing_ids(self, ids: Collection[int]) -> set[int]:
        """The members of ``ids`` that are stored, one id-only query per chunk (read on
        the driver cursor: plain ints, no result rows)."""
        column = nft_instances.c.id
        found: set[int] = set()
        statement = select(column).where(self._among(column))
        for chunk in chunked(distinct_keys(ids), self.chunk_size):
            _, rows = self._fetch_raw(statement, self._keys(chunk))
            found.update(row[0] for row in rows)
        return found

    def count_by_status(self) -> dict[str, int]:
        """How many instances have each status: one ``GROUP BY`` query."""
        status = nft_instances.c.status
        statement = select(status, func.count().label("count")).group_by(status)
        return dict(sorted((row["status"], row["count"]) for row in self._rows(statement)))

    def list_by_origin_keys(self, keys: Collection[str]) -> builtins.list[NFTInstance]:
        """Every instance whose ``lower(trim(nft_origin))`` is among ``keys``, one query
        per chunk, ascending id."""
        return self._read_among(select_by_origin_keys(self._connection().dialect.name), keys)

    def candidate_columns_of(self, ids: Sequence[int]) -> CandidateColumns:
        """The candidate columns of the stored instances among ``ids``, in their order:
        one query per chunk, read on the driver cursor (no entity, no result row)."""
        statement = select(*CANDIDATE_COLUMNS).where(self._among(nft_instances.c.id))
        found: dict[int, Sequence[Any]] = {}
        for chunk in chunked(distinct_keys(ids), self.chunk_size):
            _, rows = self._fetch_raw(statement, self._keys(chunk))
            found.update((row[0], row) for row in rows)
        return CandidateColumns.of_rows([found[i] for i in dict.fromkeys(ids) if i in found])

    def candidates_for_definition(self, definition_id: int) -> builtins.list[DrawCandidate]:
        """Draw candidates for every instance of the definition (one query), ascending id."""
        check_lookup_key(definition_id, "definition id")
        statement = (
            select(*CANDIDATE_COLUMNS)
            .where(nft_instances.c.definition_id == definition_id)
            .order_by(nft_instances.c.id)
        )
        return [DrawCandidate.of(row) for row in self._stream(statement)]

    def update_many(self, instances: Sequence[NFTInstance]) -> None:
        """Write many stored instances with one ``executemany`` per chunk."""
        with self._atomic():
            for chunk in chunked(instances, self.chunk_size):
                rows = [(instance.id, instance_values(instance)) for instance in chunk]
                self._update_many(nft_instances, rows, "instance")


__all__ = ["SqlInstanceRepository"]
