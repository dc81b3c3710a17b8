"""NFT definitions in the in-memory store."""

from __future__ import annotations

from collections.abc import Collection

from nictbw.adapters.memory.repositories.base import MemoryRepository
from nictbw.adapters.memory.store import InMemoryStore
from nictbw.adapters.memory.table import Table
from nictbw.domain.entities import NFTDefinition
from nictbw.domain.errors import NotFoundError, ValidationError
from nictbw.domain.values import check_ids, check_lookup_keys
from nictbw.ports.repositories import DefinitionRepository


class InMemoryDefinitionRepository(MemoryRepository[NFTDefinition], DefinitionRepository):
    """NFT definitions in the in-memory store."""

    what = "definition"

    def _table(self, store: InMemoryStore) -> Table[NFTDefinition]:
        return store.definitions

    def catalogue(self) -> tuple[NFTDefinition, ...]:
        """Every definition, ascending id (copies; the store needs no cache)."""
        return tuple(self.list())

    def catalogue_among(self, ids: Collection[int]) -> dict[int, NFTDefinition]:
        """The stored definitions among ``ids`` by id (copies, like ``catalogue``)."""
        check_ids(ids, "definition id")
        return self.get_many(ids)

    def get_by_prefix(self, prefix: str) -> NFTDefinition | None:
        """The definition with this exact prefix."""
        table = self._read()
        owner = table.owner("prefix", prefix)
        return None if owner is None else table.read(owner)

    def get_many_by_prefix(self, prefixes: Collection[str]) -> dict[str, NFTDefinition]:
        """The stored definitions among ``prefixes``, by prefix."""
        check_lookup_keys(prefixes, "prefix")
        table = self._read()
        found: dict[str, NFTDefinition] = {}
        for prefix in prefixes:
            owner = table.owner("prefix", prefix)
            if owner is not None and prefix not in found:
                found[prefix] = table.copy(table.rows[owner])
        return found

    def update(self, definition: NFTDefinition) -> None:
        """Write every field of a stored definition but ``minted_count``."""
        with self._tx.statement() as journal:
            table = self._tx.store.definitions
            row = table.prepare(definition)
            stored = table.rows.get(row.id) if row.id is not None else None
            if stored is not None:
                row.minted_count = stored.minted_count
            table.replace(row, journal)

    def reserve_serials(
        self, definition_id: int, count: int, *, enforce_supply: bool
    ) -> int | None:
        """Add ``count`` to ``minted_count`` (capped by ``max_supply`` if enforced); old value."""
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ValidationError(f"serial count {count!r} must be an int >= 0")
        check_lookup_keys((definition_id, count), "reserve_serials argument")
        with self._tx.statement() as journal:
            table = self._tx.store.definitions
            stored = table.rows.get(definition_id)
            if stored is None:
                raise NotFoundError(f"definition {definition_id!r} is not stored")
            minted = stored.minted_count
            if (
                enforce_supply
                and stored.max_supply is not None
                and minted + count > stored.max_supply
            ):
                return None
            row = table.copy(stored)
            row.minted_count = minted + count
            table.replace(row, journal)
        return minted


__all__ = ["InMemoryDefinitionRepository"]
