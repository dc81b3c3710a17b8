"""NFT definitions in the ``nft_definitions`` table."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import or_, select, update

from nictbw.adapters.sqlalchemy.bulk import chunked, distinct_keys
from nictbw.adapters.sqlalchemy.mapping import DEFINITIONS, definitions_from_rows
from nictbw.adapters.sqlalchemy.repositories.base import (
    DEFAULT_CHUNK_SIZE,
    ConnectionSource,
    TableRepository,
)
from nictbw.adapters.sqlalchemy.statements import select_among, select_by
from nictbw.adapters.sqlalchemy.tables import nft_definitions
from nictbw.domain.entities import NFTDefinition
from nictbw.domain.errors import NotFoundError, ValidationError
from nictbw.domain.values import check_ids, check_lookup_keys
from nictbw.ports.repositories import DefinitionRepository


class SqlDefinitionRepository(TableRepository[NFTDefinition], DefinitionRepository):
    """NFT definitions in the ``nft_definitions`` table.

    ``add`` stores ``minted_count``; ``update`` writes every field but ``minted_count``,
    which only :meth:`reserve_serials` changes.
    """

    mapper = DEFINITIONS

    def __init__(self, connection: ConnectionSource, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        super().__init__(connection, chunk_size)
        self._catalogue: tuple[NFTDefinition, ...] | None = None
        self._held: dict[int, NFTDefinition] = {}
        """The definitions read for :meth:`catalogue_among` (all of them once the
        catalogue is read), by id."""
        self._absent: set[int] = set()
        """Ids :meth:`catalogue_among` found no definition for."""

    def _from_rows(
        self, keys: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> builtins.list[NFTDefinition]:
        """Each definition built from one dict of its row passed as keywords."""
        return definitions_from_rows(keys, rows)

    def forget_catalogue(self) -> None:
        """Drop the cached :meth:`catalogue` and what :meth:`catalogue_among` holds (the
        unit of work calls it when a transaction or a savepoint ends, and every write of
        a definition does)."""
        self._catalogue = None
        self._held = {}
        self._absent = set()

    def catalogue(self) -> tuple[NFTDefinition, ...]:
        """Every definition, ascending id: one query, then cached until a definition is
        written through this repository or the transaction ends. Shared: do not mutate."""
        if self._catalogue is None:
            self._catalogue = tuple(self.list())
            self._held = {d.id: d for d in self._catalogue if d.id is not None}
        return self._catalogue

    def catalogue_among(self, ids: Collection[int]) -> dict[int, NFTDefinition]:
        """The stored definitions among ``ids`` by id, shared like :meth:`catalogue`;
        the ids this transaction has not seen yet are read in one query per chunk."""
        check_ids(ids, "definition id")
        held = self._held
        if self._catalogue is None:
            unseen = {i for i in ids if i not in held and i not in self._absent}
            if unseen:
                found = self.get_many(unseen)
                held.update(found)
                self._absent.update(unseen - found.keys())
        return {i: held[i] for i in ids if i in held}

    def add(self, entity: NFTDefinition) -> NFTDefinition:
        """Store a new definition; assigns ``id``."""
        self.forget_catalogue()
        return super().add(entity)

    def update(self, entity: NFTDefinition) -> None:
        """Write every field of a stored definition except ``minted_count``."""
        self.forget_catalogue()
        super().update(entity)

    def _new_values(self, entity: NFTDefinition) -> dict[str, Any]:
        return self.mapper.values(entity) | {"minted_count": entity.minted_count}

    def get_by_prefix(self, prefix: str) -> NFTDefinition | None:
        """Lookup by exact, case-sensitive prefix."""
        row = self._one(select_by(nft_definitions, "prefix"), {"key": prefix})
        return None if row is None else self._from_row(row)

    def get_many_by_prefix(self, prefixes: Collection[str]) -> dict[str, NFTDefinition]:
        """The stored definitions among ``prefixes``, one query per chunk, keyed by prefix."""
        found: dict[str, NFTDefinition] = {}
        for chunk in chunked(distinct_keys(prefixes), self.chunk_size):
            statement = select_among(self._connection().dialect.name, nft_definitions, "prefix")
            for row in self._rows(statement, self._keys(chunk)):
                found[row["prefix"]] = self._from_row(row)
        return found

    def reserve_serials(
        self, definition_id: int, count: int, *, enforce_supply: bool
    ) -> int | None:
        """One conditional ``UPDATE ... RETURNING``; the old ``minted_count`` or ``None``."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValidationError(f"serial count must be an int >= 0, got {count!r}")
        check_lookup_keys((definition_id, count), "reserve_serials argument")
        self.forget_catalogue()
        table = nft_definitions
        statement = update(table).where(table.c.id == definition_id)
        if enforce_supply:
            statement = statement.where(
                or_(
                    table.c.max_supply.is_(None), table.c.minted_count + count <= table.c.max_supply
                )
            )
        statement = statement.values(minted_count=table.c.minted_count + count)
        rows, _ = self._write(statement.returning(table.c.minted_count))
        if rows:
            return int(rows[0]["minted_count"]) - count
        if self._one(select(table.c.id).where(table.c.id == definition_id)) is None:
            raise NotFoundError(f"definition {definition_id} does not exist")
        return None


__all__ = ["SqlDefinitionRepository"]
