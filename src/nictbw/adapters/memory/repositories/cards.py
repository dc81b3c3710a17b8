"""Bingo cards in the in-memory store, each stored with its cells."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from functools import partial
from operator import attrgetter
from typing import cast

from nictbw.adapters.memory.mirror import ColumnMirror
from nictbw.adapters.memory.repositories.base import MemoryRepository, require_new
from nictbw.adapters.memory.store import CANDIDATES, LINES, InMemoryStore
from nictbw.adapters.memory.table import Table, normalise_datetimes
from nictbw.domain.bingo import LineEntry, completed_line_instance_ids, live_line_instance_ids
from nictbw.domain.entities import BingoCard, CandidateColumns, DrawCandidate
from nictbw.domain.errors import NotFoundError
from nictbw.ports.repositories import BingoCardRepository

_by_idx = attrgetter("idx")


class InMemoryBingoCardRepository(MemoryRepository[BingoCard], BingoCardRepository):
    """Bingo cards, each stored with its nine cells."""

    what = "bingo card"

    def _table(self, store: InMemoryStore) -> Table[BingoCard]:
        return store.bingo_cards

    def _prepare(self, card: BingoCard) -> BingoCard:
        row = self._tx.store.bingo_cards.prepare(card)
        for cell in row.cells:
            normalise_datetimes(cell, ("unlocked_at",))
        return row

    def add(self, card: BingoCard) -> BingoCard:
        """Store a copy of a new card with its cells; sets card and cell ids."""
        self.add_many([card])
        return card

    def add_many(self, cards: Sequence[BingoCard]) -> None:
        """Store copies of new cards with their cells, all or none; sets every id."""
        for card in cards:
            require_new(card, "bingo card")
            for cell in card.cells:
                require_new(cell, "bingo cell")
        with self._tx.statement() as journal:
            store = self._tx.store
            rows = [self._prepare(card) for card in cards]
            next_cell_id = store.next_cell_id
            for row in rows:
                for cell in row.cells:
                    cell.id = next_cell_id
                    next_cell_id += 1
            store.bingo_cards.insert_many(rows, journal)
            journal.append(partial(setattr, store, "next_cell_id", store.next_cell_id))
            store.next_cell_id = next_cell_id
        for card, row in zip(cards, rows, strict=True):
            card.id = row.id
            for cell, stored_cell in zip(card.cells, row.cells, strict=True):
                cell.id = stored_cell.id
                cell.bingo_card_id = row.id
            row.cells.sort(key=_by_idx)

    def list_for_user(self, user_id: int) -> builtins.list[BingoCard]:
        """The user's cards with cells, ascending id."""
        table = self._tx.tables().bingo_cards
        return table.read_many(table.indexes["user_id"].ids(user_id))

    def list_for_users(self, user_ids: Collection[int]) -> builtins.list[BingoCard]:
        """The cards with cells of all these users, ascending id."""
        table = self._tx.tables().bingo_cards
        return table.read_many(table.indexes["user_id"].ids_of_many(user_ids))

    def update(self, card: BingoCard) -> None:
        """Write the card's fields and each of its cells."""
        self.update_many([card])

    def update_many(self, cards: Sequence[BingoCard]) -> None:
        """Write many cards and their cells, in order, all or none.

        Every cell given must be a stored cell of that card (``NotFoundError``); stored
        cells missing from ``card.cells`` keep their stored values.
        """
        with self._tx.statement() as journal:
            table = self._tx.store.bingo_cards
            rows: builtins.list[BingoCard] = []
            missing: NotFoundError | None = None
            for card in cards:
                try:
                    rows.append(self._merged_row(card))
                except NotFoundError as error:
                    missing = error
                    break
            # Written in order up to the first card that cannot be: the error raised is
            # the one writing the cards one by one would raise first.
            table.replace_many(rows, journal)
            if missing is not None:
                raise missing
            for row in rows:
                row.cells.sort(key=_by_idx)

    def _merged_row(self, card: BingoCard) -> BingoCard:
        """The stored row ``card`` becomes: its fields, its cells merged into the stored ones."""
        stored = self._tx.store.bingo_cards.rows.get(card.id) if card.id is not None else None
        if stored is None:
            raise NotFoundError(f"bingo card {card.id!r} is not stored")
        row = self._prepare(card)
        cells = {cell.id: cell for cell in stored.cells}
        for cell in row.cells:
            if cell.id not in cells:
                raise NotFoundError(f"bingo cell {cell.id!r} is not a cell of card {card.id}")
            cell.bingo_card_id = card.id
            cells[cell.id] = cell
        row.cells = builtins.list(cells.values())
        return row

    def _line_instance_ids(self, now: datetime) -> builtins.list[int]:
        """The instances on completed lines of cards live at ``now``, read from the index
        of cards by completed lines (``live_line_instance_ids`` of the domain)."""
        entries = self._tx.tables().bingo_cards.indexes[LINES].members
        return live_line_instance_ids(cast(Iterable[LineEntry], entries), now)

    def completed_line_candidates(self, now: datetime) -> builtins.list[DrawCandidate]:
        """Matched instances on completed lines of cards active or completed at ``now``,
        each once, ascending id, found by walking every card (the domain's
        ``completed_line_instance_ids``); the columns below read the index instead."""
        store = self._tx.tables()
        matched = completed_line_instance_ids(store.bingo_cards.rows.values(), now)
        rows = store.instances.rows
        return [DrawCandidate.of(rows[i]) for i in matched]

    def completed_line_candidate_columns(self, now: datetime) -> CandidateColumns:
        """``completed_line_candidates`` as columns, read from the index of cards by
        completed lines and the instances' column mirror."""
        matched = self._line_instance_ids(now)
        mirror = self._tx.store.instances.indexes[CANDIDATES]
        return cast(ColumnMirror, mirror).candidate_columns(matched)


__all__ = ["InMemoryBingoCardRepository"]
