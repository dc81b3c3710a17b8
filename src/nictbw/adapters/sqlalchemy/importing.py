"""The SQL :class:`~nictbw.ports.importing.RowImporter`: bulk inserts that keep ids.

Each batch is one ``executemany`` of a plain ``INSERT`` (no ``RETURNING``: the ids are
known) on the unit of work's connection, so it shares its transaction and rollback.
Entity fields map to the columns of the same name (the winning number's ``metadata``
column has the key ``metadata_``). SQLite picks ``max(id) + 1`` by itself afterwards;
on PostgreSQL :meth:`SqlRowImporter.finish` moves each id sequence past the highest id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any

from sqlalchemy import Table, insert, select, text
from sqlalchemy.exc import StatementError

from nictbw.adapters.sqlalchemy.errors import translate_error
from nictbw.adapters.sqlalchemy.tables import (
    admins,
    bingo_cards,
    bingo_cells,
    nft_definitions,
    nft_instances,
    prize_draw_results,
    prize_draw_snapshots,
    prize_draw_types,
    prize_draw_winning_numbers,
    users,
)
from nictbw.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
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
from nictbw.ports.importing import RowImporter

_TABLES = (
    users,
    admins,
    nft_definitions,
    nft_instances,
    bingo_cards,
    bingo_cells,
    prize_draw_types,
    prize_draw_winning_numbers,
    prize_draw_results,
    prize_draw_snapshots,
)


def _row_maker(table: Table) -> Callable[[Any], dict[str, Any]]:
    """A function turning an entity into the parameter dict of ``table`` (by column key)."""
    keys = [column.key for column in table.c]
    names = [column.name for column in table.c]
    getter = attrgetter(*names)

    def make(entity: Any) -> dict[str, Any]:
        return dict(zip(keys, getter(entity), strict=True))

    return make


class SqlRowImporter(RowImporter):
    """Imports rows with their ids through the connection of an active SQL unit of work."""

    def __init__(self, uow: SqlAlchemyUnitOfWork, *, chunk_size: int = 5_000) -> None:
        self._uow = uow
        self._chunk_size = chunk_size
        self._makers = {table.name: _row_maker(table) for table in _TABLES}

    def _insert(self, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        connection = self._uow.connection
        statement = insert(table)
        try:
            for start in range(0, len(rows), self._chunk_size):
                connection.execute(statement, list(rows[start : start + self._chunk_size]))
        except StatementError as exc:
            error = translate_error(exc)
            if error is None:
                raise
            raise error from exc

    def _insert_entities(self, table: Table, entities: Sequence[Any]) -> None:
        if entities:
            self._insert(table, list(map(self._makers[table.name], entities)))

    def is_empty(self) -> bool:
        """True when no nictbw table holds a row (one ``LIMIT 1`` query per table)."""
        connection = self._uow.connection
        return all(
            connection.execute(select(table.c.id).limit(1)).first() is None for table in _TABLES
        )

    def import_users(self, users_: Sequence[User]) -> None:
        """Insert users with their ids."""
        self._insert_entities(users, users_)

    def import_admins(self, admins_: Sequence[Admin]) -> None:
        """Insert admins with their ids."""
        self._insert_entities(admins, admins_)

    def import_definitions(self, definitions: Sequence[NFTDefinition]) -> None:
        """Insert definitions with their ids and counters."""
        self._insert_entities(nft_definitions, definitions)

    def import_instances(self, instances: Sequence[NFTInstance]) -> None:
        """Insert instances with their ids."""
        self._insert_entities(nft_instances, instances)

    def import_cards(self, cards: Sequence[BingoCard]) -> None:
        """Insert cards, then their cells, ids as given."""
        if not cards:
            return
        self._insert_entities(bingo_cards, cards)
        cell_maker = self._makers["bingo_cells"]
        cells = []
        for card in cards:
            for cell in card.cells:
                cell.bingo_card_id = card.id
                cells.append(cell_maker(cell))
        if cells:
            self._insert(bingo_cells, cells)

    def import_draw_types(self, draw_types: Sequence[PrizeDrawType]) -> None:
        """Insert draw types with their ids."""
        self._insert_entities(prize_draw_types, draw_types)

    def import_winning_numbers(self, winning_numbers: Sequence[PrizeDrawWinningNumber]) -> None:
        """Insert winning numbers with their ids."""
        self._insert_entities(prize_draw_winning_numbers, winning_numbers)

    def import_results(self, results: Sequence[PrizeDrawResult]) -> None:
        """Insert results with their ids."""
        self._insert_entities(prize_draw_results, results)

    def finish(self) -> None:
        """On PostgreSQL, set each id sequence so the next id follows the highest stored."""
        connection = self._uow.connection
        if connection.dialect.name != "postgresql":
            return
        for table in _TABLES:
            connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence(:table, 'id'), "
                    f"COALESCE((SELECT max(id) FROM {table.name}), 0) + 1, false)"
                ),
                {"table": table.name},
            )


__all__ = ["SqlRowImporter"]
