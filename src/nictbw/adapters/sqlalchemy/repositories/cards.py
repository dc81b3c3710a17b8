"""Bingo cards in ``bingo_cards`` with their cells in ``bingo_cells``."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Select, select

from nictbw.adapters.sqlalchemy.bulk import BulkStatements, chunked, distinct_keys
from nictbw.adapters.sqlalchemy.mapping import (
    CARD_COLUMNS,
    CARD_KEY,
    CELL_COLUMNS,
    card_from_row,
    card_row,
    card_values,
    cell_row,
    cell_values,
)
from nictbw.adapters.sqlalchemy.repositories.base import Params, SqlRepository, require_new
from nictbw.adapters.sqlalchemy.statements import (
    CARD_READ_COLUMNS,
    card_query,
    completed_line_candidates,
    mask_from_cells,
)
from nictbw.adapters.sqlalchemy.tables import bingo_cards, bingo_cells
from nictbw.domain.bingo import CARD_CELL_COUNT
from nictbw.domain.entities import BingoCard, BingoCell, CandidateColumns, DrawCandidate
from nictbw.domain.timeutil import ensure_utc
from nictbw.ports.repositories import BingoCardRepository

_CARD_WIDTH: Final = len(CARD_READ_COLUMNS)
"""Columns of a card in a row of ``statements.card_query``; the cell's follow."""


class SqlBingoCardRepository(SqlRepository, BingoCardRepository):
    """Bingo cards in ``bingo_cards`` with their cells in ``bingo_cells``.

    A card is read joined with its cells (one statement per read) and written with them,
    so it does not use the one-table base.
    """

    def add(self, card: BingoCard) -> BingoCard:
        """Store a new card and its cells; assigns card and cell ids."""
        self.add_many([card])
        return card

    def add_many(self, cards: Sequence[BingoCard]) -> None:
        """Per chunk: one multi-row card insert, one cell ``executemany``, one id read-back;
        all or nothing."""
        for card in cards:
            require_new(card, "bingo card")
            for cell in card.cells:
                require_new(cell, "bingo cell")
        card_ids: builtins.list[int] = []
        cell_ids: dict[tuple[int, int], int] = {}
        cells = BulkStatements.of(self._connection().dialect, bingo_cells, CELL_COLUMNS)
        with self._atomic():
            for chunk in chunked(cards, self.chunk_size):
                chunk_ids = self._insert_many(
                    bingo_cards, CARD_COLUMNS, list(map(card_row, chunk)), key=CARD_KEY
                )
                card_ids.extend(chunk_ids)
                cell_rows = [
                    (card_id, *cell_row(cell))
                    for card, card_id in zip(chunk, chunk_ids, strict=True)
                    for cell in card.cells
                ]
                if cell_rows:
                    self._driver_write(
                        cells.insert_row(), cells.executemany_rows(cell_rows), many=True
                    )
                    cell_ids.update(self._cell_ids(chunk_ids))
        for card, card_id in zip(cards, card_ids, strict=True):
            card.id = card_id
            for cell in card.cells:
                cell.bingo_card_id = card_id
                cell.id = cell_ids[(card_id, cell.idx)]

    def _cell_ids(self, card_ids: Sequence[int]) -> dict[tuple[int, int], int]:
        """Cell ids of these cards by (card id, idx): one query."""
        cells = bingo_cells.c
        query = select(cells.id, cells.bingo_card_id, cells.idx).where(
            self._among(cells.bingo_card_id)
        )
        return {
            (row["bingo_card_id"], row["idx"]): row["id"]
            for row in self._rows(query, self._keys(card_ids))
        }

    def _load(self, query: Select[Any], params: Params = None) -> builtins.list[BingoCard]:
        """The cards of ``query`` (see ``statements.card_query``, bound with ``params``),
        ascending id, with their cells in idx order: one statement, sent and decoded
        through its ``DriverRead``."""
        read, rows = self._fetch_raw(query, params if isinstance(params, Mapping) else {})
        width = _CARD_WIDTH
        card_keys = read.keys[:width]
        found: builtins.list[BingoCard] = []
        current: int | None = None
        cells: builtins.list[BingoCell] = []
        # A card's columns repeat on each of its cells' rows: decoded once per card.
        for row, cell in zip(rows, read.decode(rows, width), strict=True):
            card_id = row[0]
            if card_id != current:
                current = card_id
                cells = []
                card = read.decode([row], 0, width)[0]
                found.append(card_from_row(dict(zip(card_keys, card, strict=True)), cells))
            if cell[0] is not None:
                cells.append(
                    BingoCell(
                        id=cell[0],
                        bingo_card_id=card_id,
                        idx=cell[1],
                        target_definition_id=cell[2],
                        definition_id=cell[3],
                        matched_nft_instance_id=cell[4],
                        state=cell[5],
                        unlocked_at=cell[6],
                    )
                )
        return found

    def get(self, card_id: int) -> BingoCard | None:
        """The card with this id and its cells, or ``None``: one statement."""
        found = self._load(card_query("id"), {"key": card_id})
        return found[0] if found else None

    def list(self) -> builtins.list[BingoCard]:
        """Every card with its cells, ascending id: one statement."""
        return self._load(card_query(None))

    def list_for_user(self, user_id: int) -> builtins.list[BingoCard]:
        """The user's cards with cells, ascending id: one statement."""
        return self._load(card_query("user_id"), {"key": user_id})

    def list_for_users(self, user_ids: Collection[int]) -> builtins.list[BingoCard]:
        """The cards (with cells) of all these users: one statement per chunk of users."""
        found: builtins.list[BingoCard] = []
        query = card_query("user_id", self._connection().dialect.name, among=True)
        for chunk in chunked(distinct_keys(user_ids), self.chunk_size):
            found.extend(self._load(query, self._keys(chunk)))
        found.sort(key=lambda card: card.id or 0)
        return found

    def update(self, card: BingoCard) -> None:
        """Write the card's fields and every one of its cells."""
        self.update_many([card])

    def update_many(self, cards: Sequence[BingoCard]) -> None:
        """One card ``executemany`` and one cell ``executemany`` per chunk; all or nothing.

        Every cell given must be a stored cell of its card (else ``NotFoundError``);
        stored cells missing from ``card.cells`` keep their stored values.

        A card row's ``unlocked_mask`` is written from ``card.cells`` when they are all
        nine of its cells; a card given with fewer has its mask read again from its stored
        cells after they are written (one more statement per chunk holding such a card).
        """
        with self._atomic():
            for chunk in chunked(cards, self.chunk_size):
                card_rows = [(card.id, card_values(card)) for card in chunk]
                self._update_many(bingo_cards, card_rows, "bingo card")
                cell_rows = [
                    (cell.id, cell_values(cell, card.id)) for card in chunk for cell in card.cells
                ]
                self._update_many(bingo_cells, cell_rows, "bingo cell", owner="bingo_card_id")
                partial = [
                    card.id
                    for card in chunk
                    if card.id is not None
                    and len({cell.id for cell in card.cells}) < CARD_CELL_COUNT
                ]
                if partial:
                    self._write(mask_from_cells(self._among(bingo_cards.c.id)), self._keys(partial))

    def completed_line_candidates(self, now: datetime) -> builtins.list[DrawCandidate]:
        """One query (``statements.completed_line_candidates``, built on the domain's line
        masks): the matched instances of the cells on completed lines of the cards live at
        ``now``, each once, ascending id."""
        at = ensure_utc(now, "now")
        statement = completed_line_candidates(self._connection().dialect.name)
        return [DrawCandidate.of(row) for row in self._stream(statement, {"now": at})]

    def completed_line_candidate_columns(self, now: datetime) -> CandidateColumns:
        """The same query as ``completed_line_candidates``, its rows fetched at once and
        turned into columns (no object per instance)."""
        at = ensure_utc(now, "now")
        statement = completed_line_candidates(self._connection().dialect.name)
        return CandidateColumns.of_rows(self._all(statement, {"now": at}))


__all__ = ["SqlBingoCardRepository"]
