"""The SQL :class:`~nictbw.ports.importing.RowImporter`: bulk inserts that keep ids.

Each batch is one driver ``executemany`` of a plain ``INSERT`` (no ``RETURNING``: the
ids are known) on the unit of work's connection, so it shares its transaction and rollback.
Entity fields map to the columns of the same name (the winning number's ``metadata``
column has the key ``metadata_``). SQLite picks ``max(id) + 1`` by itself afterwards;
on PostgreSQL :meth:`SqlRowImporter.finish` moves each id sequence past the highest id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC
from operator import attrgetter
from typing import Any

from sqlalchemy import Dialect, Table, select, text
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
from nictbw.adapters.sqlalchemy.types import UTCDateTime
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
from nictbw.domain.errors import ValidationError
from nictbw.ports.importing import RowImporter

_COLUMN_TABLES = {
    "users": users,
    "instances": nft_instances,
    "results": prize_draw_results,
}

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


def _sqlite_timestamps(column: Sequence[Any], processor: Any) -> list[Any]:
    """A column of aware datetimes as the text SQLite stores for them.

    The bind processor gives naive UTC datetimes, which the ``sqlite3`` driver writes as
    ``value.isoformat(" ")``; for a value already in UTC that is its own ISO text without
    the ``+00:00`` suffix, made here in one call. Other values take the processor.
    """
    return [
        None
        if value is None
        else value.isoformat(" ")[:-6]
        if value.tzinfo is UTC
        else processor(value)
        for value in column
    ]


class _TableWriter:
    """One table's multi-row insert as driver SQL with its bind processors resolved once.

    Entities are read with one ``attrgetter`` per row; only columns whose type converts
    values (timestamps, JSON) run a processor, so large batches avoid the per-statement
    compilation and per-value type dispatch of a Core ``executemany``.
    """

    def __init__(self, table: Table, dialect: Dialect) -> None:
        names = [column.name for column in table.c]
        self.names = names
        self.table_name = table.name
        self.getter = attrgetter(*names)
        self.processors = [
            (position, processor)
            for position, column in enumerate(table.c)
            if (processor := column.type.bind_processor(dialect)) is not None
        ]
        self.sqlite_timestamps = frozenset(
            position
            for position, column in enumerate(table.c)
            if dialect.name == "sqlite" and isinstance(column.type, UTCDateTime)
        )
        quote = dialect.identifier_preparer.quote
        marker = "?" if dialect.paramstyle == "qmark" else "%s"
        self.sql = (
            f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, names))}) "
            f"VALUES ({', '.join([marker] * len(names))})"
        )

    def column_rows(self, columns: Mapping[str, Sequence[Any]]) -> list[tuple[Any, ...]]:
        """Driver-ready parameter tuples of rows given column by column (entity field
        names); the converting columns are processed one column at a time."""
        values: list[Sequence[Any]] = []
        for name in self.names:
            if name not in columns:
                raise ValidationError(f"{self.table_name}: no values for the column {name!r}")
            values.append(columns[name])
        for position, processor in self.processors:
            column = values[position]
            if position in self.sqlite_timestamps:
                values[position] = _sqlite_timestamps(column, processor)
            else:
                values[position] = [None if value is None else processor(value) for value in column]
        return list(zip(*values, strict=True))

    def rows(self, entities: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Driver-ready parameter tuples of ``entities``."""
        getter = self.getter
        processors = self.processors
        if not processors:
            return [getter(entity) for entity in entities]
        out: list[tuple[Any, ...]] = []
        for entity in entities:
            values = list(getter(entity))
            for position, processor in processors:
                value = values[position]
                if value is not None:
                    values[position] = processor(value)
            out.append(tuple(values))
        return out


class SqlRowImporter(RowImporter):
    """Imports rows with their ids through the connection of an active SQL unit of work."""

    def __init__(self, uow: SqlAlchemyUnitOfWork, *, chunk_size: int = 5_000) -> None:
        self._uow = uow
        self._chunk_size = chunk_size
        self._writers: dict[str, _TableWriter] = {}

    def _writer(self, table: Table) -> _TableWriter:
        writer = self._writers.get(table.name)
        if writer is None:
            writer = _TableWriter(table, self._uow.connection.dialect)
            self._writers[table.name] = writer
        return writer

    def _insert_entities(self, table: Table, entities: Sequence[Any]) -> None:
        if not entities:
            return
        writer = self._writer(table)
        connection = self._uow.connection
        try:
            for start in range(0, len(entities), self._chunk_size):
                rows = writer.rows(entities[start : start + self._chunk_size])
                connection.exec_driver_sql(writer.sql, rows)
        except StatementError as exc:
            error = translate_error(exc)
            if error is None:
                raise
            raise error from exc

    def import_columns(self, kind: str, columns: Mapping[str, Sequence[Any]]) -> None:
        """Insert rows given column by column (entity field names = column names)."""
        table = _COLUMN_TABLES.get(kind)
        if table is None:
            raise ValidationError(f"cannot import {kind!r} column by column")
        writer = self._writer(table)
        rows = writer.column_rows(columns)
        connection = self._uow.connection
        try:
            for start in range(0, len(rows), self._chunk_size):
                connection.exec_driver_sql(writer.sql, rows[start : start + self._chunk_size])
        except StatementError as exc:
            error = translate_error(exc)
            if error is None:
                raise
            raise error from exc

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
        self._uow.definitions.forget_catalogue()
        self._insert_entities(nft_definitions, definitions)

    def import_instances(self, instances: Sequence[NFTInstance]) -> None:
        """Insert instances with their ids."""
        self._insert_entities(nft_instances, instances)

    def import_cards(self, cards: Sequence[BingoCard]) -> None:
        """Insert cards, then their cells, ids as given."""
        if not cards:
            return
        self._insert_entities(bingo_cards, cards)
        cells = []
        for card in cards:
            for cell in card.cells:
                cell.bingo_card_id = card.id
                cells.append(cell)
        self._insert_entities(bingo_cells, cells)

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
