"""The in-memory :class:`~nictbw.ports.importing.RowImporter`: inserts that keep ids.

A table's ``insert_many`` numbers rows from the table's ``next_id``; each run of
consecutive ids is therefore stored by pointing ``next_id`` at the run's first id, so
every constraint check, index and undo record of a normal insert applies. The old
``next_id`` is journalled first, so a rollback restores it exactly.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from typing import Any

from nictbw.adapters.memory.table import Journal, Table, normalise_datetimes
from nictbw.adapters.memory.unit_of_work import InMemoryUnitOfWork
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
from nictbw.domain.errors import ValidationError
from nictbw.ports.importing import RowImporter


def _runs(rows: Sequence[Any]) -> Iterator[Sequence[Any]]:
    """Split rows (ascending ids) into runs of consecutive ids."""
    start = 0
    for position in range(1, len(rows) + 1):
        if position == len(rows) or rows[position].id != rows[position - 1].id + 1:
            yield rows[start:position]
            start = position


class InMemoryRowImporter(RowImporter):
    """Imports rows with their ids into the store of an active in-memory unit of work."""

    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._tx = uow._tx  # the adapter's own transaction: writes go to its journal

    def _insert(self, table: Table[Any], entities: Sequence[Any]) -> None:
        if not entities:
            return
        rows = table.prepare_many(entities)
        ids = [row.id for row in rows]
        if any(row_id is None for row_id in ids) or ids != sorted(set(ids)):
            raise ValidationError(f"{table.name}: imported ids must be set and ascending")
        if ids[0] < table.next_id and table.rows:
            raise ValidationError(f"{table.name}: imported id {ids[0]} is not above stored ids")
        with self._tx.statement() as journal:
            self._insert_runs(table, rows, journal)

    @staticmethod
    def _insert_runs(table: Table[Any], rows: Sequence[Any], journal: Journal) -> None:
        journal.append(partial(setattr, table, "next_id", table.next_id))
        for run in _runs(rows):
            table.next_id = run[0].id
            table.insert_many(run, journal)

    def import_columns(self, kind: str, columns: Mapping[str, Sequence[Any]]) -> None:
        """Store rows given column by column, as entities built from them."""
        store = self._tx.tables()
        targets: dict[str, tuple[Table[Any], type[Any]]] = {
            "users": (store.users, User),
            "instances": (store.instances, NFTInstance),
            "results": (store.draw_results, PrizeDrawResult),
        }
        if kind not in targets:
            raise ValidationError(f"cannot import {kind!r} column by column")
        table, cls = targets[kind]
        names = list(columns)
        entities = [
            cls(**dict(zip(names, values, strict=True)))
            for values in zip(*columns.values(), strict=True)
        ]
        self._insert(table, entities)

    def is_empty(self) -> bool:
        """True when no table of the store holds a row."""
        store = self._tx.tables()
        tables = (
            store.users,
            store.admins,
            store.definitions,
            store.instances,
            store.bingo_cards,
            store.draw_types,
            store.winning_numbers,
            store.draw_results,
            store.draw_snapshots,
        )
        return not any(table.rows for table in tables)

    def import_users(self, users: Sequence[User]) -> None:
        """Store users with their ids."""
        self._insert(self._tx.tables().users, users)

    def import_admins(self, admins: Sequence[Admin]) -> None:
        """Store admins with their ids."""
        self._insert(self._tx.tables().admins, admins)

    def import_definitions(self, definitions: Sequence[NFTDefinition]) -> None:
        """Store definitions with their ids and counters."""
        self._insert(self._tx.tables().definitions, definitions)

    def import_instances(self, instances: Sequence[NFTInstance]) -> None:
        """Store instances with their ids."""
        self._insert(self._tx.tables().instances, instances)

    def import_cards(self, cards: Sequence[BingoCard]) -> None:
        """Store cards with their cells, card and cell ids as given."""
        store = self._tx.tables()
        if not cards:
            return
        highest = store.next_cell_id - 1
        for card in cards:
            for cell in card.cells:
                if cell.id is None:
                    raise ValidationError(f"bingo card {card.id}: an imported cell has no id")
                highest = max(highest, cell.id)
        rows = store.bingo_cards.prepare_many(cards)
        for row in rows:
            for cell in row.cells:
                normalise_datetimes(cell, ("unlocked_at",))
            row.cells.sort(key=lambda cell: cell.idx)
        with self._tx.statement() as journal:
            self._insert_runs(store.bingo_cards, rows, journal)
            journal.append(partial(setattr, store, "next_cell_id", store.next_cell_id))
            store.next_cell_id = highest + 1

    def import_draw_types(self, draw_types: Sequence[PrizeDrawType]) -> None:
        """Store draw types with their ids."""
        self._insert(self._tx.tables().draw_types, draw_types)

    def import_winning_numbers(self, winning_numbers: Sequence[PrizeDrawWinningNumber]) -> None:
        """Store winning numbers with their ids."""
        self._insert(self._tx.tables().winning_numbers, winning_numbers)

    def import_results(self, results: Sequence[PrizeDrawResult]) -> None:
        """Store results with their ids."""
        self._insert(self._tx.tables().draw_results, results)

    def finish(self) -> None:
        """Nothing to do: each table's ``next_id`` already follows its highest id."""
        self._tx.tables()


__all__ = ["InMemoryRowImporter"]
