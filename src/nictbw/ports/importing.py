"""The port a bulk import writes through: rows stored with the ids they already have.

Repositories assign ids on ``add``; an import that keeps the ids of another system needs
to store entities whose ``id`` is set. A ``RowImporter`` works inside one unit of work
(its transaction, its rollback), stores each batch with one bulk statement per chunk,
checks nothing the storage does not check itself (the importer validates first), and
leaves the id sequences past the highest id stored once :meth:`finish` runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Protocol

from nictbw.domain.entities import (
    Admin,
    BingoCard,
    NFTDefinition,
    NFTInstance,
    PrizeDrawResult,
    PrizeDrawType,
    PrizeDrawWinningNumber,
    User,
)

COLUMN_KINDS: Final = ("users", "instances", "results")
"""The kinds :meth:`RowImporter.import_columns` takes."""


class RowImporter(Protocol):
    """Stores entities with preset ids (card cells included) in the unit of work it serves.

    Batches of one kind come in ascending id order, kinds in dependency order (users,
    admins, definitions, instances, cards, draw types, winning numbers, results).
    """

    def is_empty(self) -> bool:
        """True when no table of the target holds a row."""
        ...

    def import_users(self, users: Sequence[User]) -> None:
        """Store users with their ids."""
        ...

    def import_admins(self, admins: Sequence[Admin]) -> None:
        """Store admins with their ids."""
        ...

    def import_definitions(self, definitions: Sequence[NFTDefinition]) -> None:
        """Store definitions with their ids and ``minted_count`` as given."""
        ...

    def import_instances(self, instances: Sequence[NFTInstance]) -> None:
        """Store instances with their ids."""
        ...

    def import_cards(self, cards: Sequence[BingoCard]) -> None:
        """Store cards and their cells, card and cell ids as given."""
        ...

    def import_draw_types(self, draw_types: Sequence[PrizeDrawType]) -> None:
        """Store draw types with their ids."""
        ...

    def import_winning_numbers(self, winning_numbers: Sequence[PrizeDrawWinningNumber]) -> None:
        """Store winning numbers with their ids."""
        ...

    def import_results(self, results: Sequence[PrizeDrawResult]) -> None:
        """Store results with their ids."""
        ...

    def import_columns(self, kind: str, columns: Mapping[str, Sequence[Any]]) -> None:
        """Store rows of ``kind`` (one of :data:`COLUMN_KINDS`) given column by column.

        ``columns`` maps every field name of the kind's entity to its values, one per row,
        all of the same length, rows in ascending id order; values are what the entity
        would hold (aware datetimes, dicts for JSON fields). The bulk path of an import
        that checked its rows column by column instead of building entities.
        """
        ...

    def finish(self) -> None:
        """Move every id sequence past the highest id now stored."""
        ...


__all__ = ["COLUMN_KINDS", "RowImporter"]
