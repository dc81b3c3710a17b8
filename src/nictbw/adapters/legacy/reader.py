"""Read a legacy database without ever writing to it, streaming its rows in chunks.

SQLite files are opened through a ``file:...?mode=ro`` URI (the library refuses every
write) with ``PRAGMA query_only``; PostgreSQL runs one ``READ ONLY`` transaction
(``postgresql_readonly`` plus ``SET TRANSACTION READ ONLY``). Every query runs in that
one transaction, so the importer sees one consistent snapshot. Rows come back labelled
with the v1.x column names whatever the generation, in chunks of ``chunk_size``
(server-side cursors on PostgreSQL via ``yield_per``), so memory stays bounded by the
chunk, not the database.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self
from urllib.request import pathname2url, url2pathname

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    Table,
    create_engine,
    func,
    inspect,
    select,
)
from sqlalchemy.engine import URL, Row, RowMapping, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement

from nictbw.adapters.legacy.tables import LegacyTables, legacy_tables
from nictbw.domain.errors import ValidationError

GENERATION_V0: Final = "v0"
GENERATION_V1: Final = "v1"

DEFAULT_CHUNK_SIZE: Final = 5_000

_V0_TABLES: Final = frozenset({"nfts", "user_nft_ownership"})
_V1_TABLES: Final = frozenset({"nft_definitions", "nft_instances"})
_COMMON_TABLES: Final = frozenset(
    {
        "users",
        "admins",
        "bingo_cards",
        "bingo_cells",
        "prize_draw_types",
        "prize_draw_winning_numbers",
        "prize_draw_results",
    }
)

CardRows = tuple[RowMapping, list[RowMapping]]
"""A card row and its cell rows (idx ascending; empty when the card has none)."""


def shown_url(url: str | URL) -> str:
    """``url`` with its password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except SQLAlchemyError:
        return "<unparsable database URL>"


def read_only_url(url: str | URL) -> URL:
    """The read-only form of a SQLite URL: ``sqlite:///file:PATH?mode=ro&uri=true``.

    Other URLs are returned parsed and unchanged (PostgreSQL is made read-only per
    transaction). An in-memory SQLite URL has nothing to read → ``ValidationError``.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return parsed
    database = parsed.database or ""
    if database in ("", ":memory:") or parsed.query.get("mode") == "memory":
        raise ValidationError(f"legacy database {shown_url(url)!r} is an in-memory database")
    if database.startswith("file:"):
        database = database[len("file:") :].split("?", 1)[0]
    path = Path(database).resolve()
    return make_url(f"sqlite:///file:{pathname2url(str(path))}?mode=ro&uri=true")


def _sqlite_path(url: URL) -> Path:
    database = (url.database or "")[len("file:") :]
    return Path(url2pathname(database))


class LegacySource:
    """A read-only view of a legacy database; use it in a ``with`` block.

    ``generation`` is ``"v0"`` (tables ``nfts``/``user_nft_ownership``) or ``"v1"``
    (``nft_definitions``/``nft_instances``), detected from the tables present.
    """

    def __init__(self, url: str | URL, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        if chunk_size < 1:
            raise ValidationError(f"chunk_size must be at least 1, got {chunk_size!r}")
        self.url = shown_url(url)
        self._url = read_only_url(url)
        self.chunk_size = chunk_size
        self._engine: Engine | None = None
        self._connection: Connection | None = None
        self._tables: LegacyTables | None = None

    # -- opening -------------------------------------------------------------------------

    def __enter__(self) -> Self:
        """Open the database read-only, begin the one transaction, detect the generation."""
        try:
            self._open()
            self._tables = self._detect()
        except SQLAlchemyError as exc:
            self.__exit__(None, None, None)
            raise ValidationError(
                f"legacy database {self.url!r} cannot be read: {exc.__class__.__name__}"
                f" ({str(exc.orig if hasattr(exc, 'orig') else exc).splitlines()[0]})"
            ) from exc
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _open(self) -> None:
        if self._url.get_backend_name() == "sqlite":
            path = _sqlite_path(self._url)
            if not path.is_file():
                raise ValidationError(f"legacy database file {str(path)!r} does not exist")
            uri = f"file:{pathname2url(str(path))}?mode=ro"

            def connect() -> sqlite3.Connection:
                connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
                connection.isolation_level = None
                connection.execute("PRAGMA query_only = ON")
                return connection

            self._engine = create_engine("sqlite://", creator=connect)
            connection = self._engine.connect()
            connection.begin()
            connection.exec_driver_sql("BEGIN")
        else:
            url = self._url
            if url.drivername in ("postgres", "postgresql"):
                url = url.set(drivername="postgresql+psycopg")
            self._engine = create_engine(url)
            connection = self._engine.connect().execution_options(postgresql_readonly=True)
            connection.begin()
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        self._connection = connection

    def _detect(self) -> LegacyTables:
        names = set(inspect(self._conn).get_table_names())
        if names >= _V1_TABLES:
            generation, instances = GENERATION_V1, "nft_instances"
        elif names >= _V0_TABLES:
            generation, instances = GENERATION_V0, "user_nft_ownership"
        else:
            raise ValidationError(
                f"legacy database {self.url!r} holds neither the v0.x tables "
                f"{sorted(_V0_TABLES)} nor the v1.x tables {sorted(_V1_TABLES)}"
            )
        missing = sorted(_COMMON_TABLES - names)
        if missing:
            raise ValidationError(
                f"legacy database {self.url!r} ({generation}) lacks the tables {missing}"
            )
        columns = {column["name"] for column in inspect(self._conn).get_columns(instances)}
        return legacy_tables(generation, raw_tx_data="raw_tx_data" in columns)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """End the read-only transaction and close the connection."""
        connection, self._connection = self._connection, None
        try:
            if connection is not None:
                try:
                    if connection.in_transaction():
                        connection.rollback()
                finally:
                    connection.close()
        finally:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    @property
    def _conn(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("the legacy source is not open; use it in a 'with' block")
        return self._connection

    @property
    def tables(self) -> LegacyTables:
        """The declared tables of the detected generation."""
        if self._tables is None:
            raise RuntimeError("the legacy source is not open; use it in a 'with' block")
        return self._tables

    @property
    def generation(self) -> str:
        """``"v0"`` or ``"v1"``."""
        return self.tables.generation

    # -- reading -------------------------------------------------------------------------

    def _chunks(self, statement: Select[Any]) -> Iterator[Sequence[RowMapping]]:
        result = self._conn.execution_options(yield_per=self.chunk_size).execute(statement)
        try:
            yield from result.mappings().partitions()
        finally:
            result.close()

    def _row_chunks(self, statement: Select[Any]) -> Iterator[Sequence[Row[Any]]]:
        """Chunks of plain rows: tuples (``row._fields`` names the columns, ``row._mapping``
        reads them by name), which the column-wise path of the importer transposes."""
        result = self._conn.execution_options(yield_per=self.chunk_size).execute(statement)
        try:
            yield from result.partitions()
        finally:
            result.close()

    def _scalar(self, statement: Select[Any]) -> Any:
        return self._conn.execute(statement).scalar()

    def _canonical(self, table: Table, prefix: str = "") -> list[ColumnElement[Any]]:
        own_to_v1 = {own: v1 for v1, own in self.tables.names.get(table.name, {}).items()}
        return [
            column.label(prefix + own_to_v1.get(column.name, column.name)) for column in table.c
        ]

    def count(self, what: str) -> int:
        """Rows of a legacy table named by its attribute (``"users"``, ``"instances"``...)."""
        table: Table = getattr(self.tables, what)
        return int(self._scalar(select(func.count()).select_from(table)) or 0)

    def duplicates(
        self,
        what: str,
        *keys: ColumnElement[Any],
        where: ColumnElement[bool] | None = None,
    ) -> dict[Any, int]:
        """Keys held by more than one row of a table (rows with a NULL key part ignored),
        each mapped to the lowest id holding it: the row that keeps the key. A key of
        several columns comes back as a tuple."""
        table: Table = getattr(self.tables, what)
        statement = select(*keys, func.min(table.c.id)).where(*(key.is_not(None) for key in keys))
        if where is not None:
            statement = statement.where(where)
        statement = statement.group_by(*keys).having(func.count() > 1)
        width = len(keys)
        return {
            (row[0] if width == 1 else tuple(row[:width])): int(row[width])
            for row in self._conn.execute(statement)
        }

    def users(self) -> Iterator[Sequence[Row[Any]]]:
        """Every user, ascending id (plain rows)."""
        users = self.tables.users
        return self._row_chunks(select(*self._canonical(users)).order_by(users.c.id))

    def admins(self) -> Iterator[Sequence[RowMapping]]:
        """Every admin, ascending id."""
        admins = self.tables.admins
        return self._chunks(select(*self._canonical(admins)).order_by(admins.c.id))

    def definitions(self) -> Iterator[Sequence[RowMapping]]:
        """Every definition with ``admin_found`` (its admin's id when that row exists)."""
        t = self.tables
        d, a = t.definitions, t.admins
        statement = (
            select(*self._canonical(d), a.c.id.label("admin_found"))
            .select_from(d.outerjoin(a, a.c.id == d.c.created_by_admin_id))
            .order_by(d.c.id)
        )
        return self._chunks(statement)

    def serial_stats(self) -> dict[int, tuple[int, int]]:
        """Per definition id: (number of instances, highest serial number)."""
        t = self.tables
        definition = t.col(t.instances, "definition_id")
        statement = select(
            definition, func.count(), func.max(t.instances.c.serial_number)
        ).group_by(definition)
        return {
            int(row[0]): (int(row[1]), int(row[2]) if row[2] is not None else -1)
            for row in self._conn.execute(statement)
            if row[0] is not None
        }

    def instances(self) -> Iterator[Sequence[Row[Any]]]:
        """Every instance, ascending id, with ``user_found`` and ``definition_found``
        (plain rows)."""
        t = self.tables
        i, u, d = t.instances, t.users, t.definitions
        statement = (
            select(
                *self._canonical(i),
                u.c.id.label("user_found"),
                d.c.id.label("definition_found"),
            )
            .select_from(
                i.outerjoin(u, u.c.id == i.c.user_id).outerjoin(
                    d, d.c.id == t.col(i, "definition_id")
                )
            )
            .order_by(i.c.id)
        )
        return self._row_chunks(statement)

    def cards(self) -> Iterator[list[CardRows]]:
        """Every card with its cells, ascending card id, in chunks of cards.

        Card rows carry ``user_found``; cell columns are prefixed ``cell_`` and carry
        ``cell_target_found``, ``cell_definition_found`` and the matched instance's
        ``matched_found``, ``matched_user_id``, ``matched_definition_id``.
        """
        t = self.tables
        card, cell, u, i = t.bingo_cards, t.bingo_cells, t.users, t.instances
        target = t.definitions.alias("target_definition")
        unlocked_by = t.definitions.alias("unlocked_by")
        statement = (
            select(
                *self._canonical(card),
                u.c.id.label("user_found"),
                *self._canonical(cell, "cell_"),
                target.c.id.label("cell_target_found"),
                unlocked_by.c.id.label("cell_definition_found"),
                i.c.id.label("matched_found"),
                i.c.user_id.label("matched_user_id"),
                t.col(i, "definition_id").label("matched_definition_id"),
            )
            .select_from(
                card.outerjoin(u, u.c.id == card.c.user_id)
                .outerjoin(cell, cell.c.bingo_card_id == card.c.id)
                .outerjoin(target, target.c.id == t.col(cell, "target_definition_id"))
                .outerjoin(unlocked_by, unlocked_by.c.id == t.col(cell, "definition_id"))
                .outerjoin(i, i.c.id == t.col(cell, "matched_nft_instance_id"))
            )
            .order_by(card.c.id, cell.c.idx, cell.c.id)
        )
        pending: CardRows | None = None
        out: list[CardRows] = []
        for chunk in self._chunks(statement):
            for row in chunk:
                if pending is None or pending[0]["id"] != row["id"]:
                    if pending is not None:
                        out.append(pending)
                        if len(out) >= self.chunk_size:
                            yield out
                            out = []
                    pending = (row, [])
                if row["cell_id"] is not None:
                    pending[1].append(row)
        if pending is not None:
            out.append(pending)
        if out:
            yield out

    def duplicate_card_centres(self) -> dict[tuple[int, int], int]:
        """(user id, centre definition id) held by several cards -> the lowest card id.

        The centre is the target of the cell at idx 4.
        """
        t = self.tables
        card, cell = t.bingo_cards, t.bingo_cells
        target = t.col(cell, "target_definition_id")
        statement = (
            select(card.c.user_id, target, func.min(card.c.id))
            .select_from(card.join(cell, cell.c.bingo_card_id == card.c.id))
            .where(cell.c.idx == 4)
            .group_by(card.c.user_id, target)
            .having(func.count() > 1)
        )
        return {(int(row[0]), int(row[1])): int(row[2]) for row in self._conn.execute(statement)}

    def orphan_cells(self) -> list[tuple[int, int]]:
        """(cell id, card id) of cells whose card does not exist."""
        t = self.tables
        card, cell = t.bingo_cards, t.bingo_cells
        statement = (
            select(cell.c.id, cell.c.bingo_card_id)
            .select_from(cell.outerjoin(card, card.c.id == cell.c.bingo_card_id))
            .where(card.c.id.is_(None))
            .order_by(cell.c.id)
        )
        return [(int(row[0]), int(row[1])) for row in self._conn.execute(statement)]

    def draw_types(self) -> Iterator[Sequence[RowMapping]]:
        """Every draw type, ascending id."""
        dt = self.tables.draw_types
        return self._chunks(select(*self._canonical(dt)).order_by(dt.c.id))

    def winning_numbers(self) -> Iterator[Sequence[RowMapping]]:
        """Every winning number, ascending id, with ``draw_type_found``."""
        t = self.tables
        w, dt = t.winning_numbers, t.draw_types
        statement = (
            select(*self._canonical(w), dt.c.id.label("draw_type_found"))
            .select_from(w.outerjoin(dt, dt.c.id == w.c.draw_type_id))
            .order_by(w.c.id)
        )
        return self._chunks(statement)

    def max_id(self, what: str) -> int:
        """The highest id of a legacy table (0 when empty)."""
        table: Table = getattr(self.tables, what)
        return int(self._scalar(select(func.max(table.c.id))) or 0)

    def draw_types_with_lost_numbers(self) -> list[int]:
        """Draw type ids of scored results whose winning number is gone (NULL or dangling)."""
        t = self.tables
        r, w = t.results, t.winning_numbers
        statement = (
            select(r.c.draw_type_id)
            .select_from(r.outerjoin(w, w.c.id == r.c.winning_number_id))
            .where(r.c.similarity_score.is_not(None), w.c.id.is_(None))
            .distinct()
            .order_by(r.c.draw_type_id)
        )
        return [int(row[0]) for row in self._conn.execute(statement) if row[0] is not None]

    def results(self) -> Iterator[Sequence[Row[Any]]]:
        """Every result, ascending id, with what it references: ``draw_type_found`` and
        ``algorithm_key``, ``user_found``, ``definition_found``, the instance's
        ``instance_found``/``instance_origin``/``instance_user_id``/``instance_definition_id``
        and the winning number's ``winning_found``/``winning_value``/``winning_draw_type_id``
        (plain rows).
        """
        t = self.tables
        r, dt, u, d, i, w = (
            t.results,
            t.draw_types,
            t.users,
            t.definitions,
            t.instances,
            t.winning_numbers,
        )
        statement = (
            select(
                *self._canonical(r),
                dt.c.id.label("draw_type_found"),
                dt.c.algorithm_key.label("algorithm_key"),
                u.c.id.label("user_found"),
                d.c.id.label("definition_found"),
                i.c.id.label("instance_found"),
                i.c.nft_origin.label("instance_origin"),
                i.c.user_id.label("instance_user_id"),
                t.col(i, "definition_id").label("instance_definition_id"),
                w.c.id.label("winning_found"),
                w.c.value.label("winning_value"),
                w.c.draw_type_id.label("winning_draw_type_id"),
            )
            .select_from(
                r.outerjoin(dt, dt.c.id == r.c.draw_type_id)
                .outerjoin(u, u.c.id == r.c.user_id)
                .outerjoin(d, d.c.id == t.col(r, "definition_id"))
                .outerjoin(i, i.c.id == t.col(r, "nft_instance_id"))
                .outerjoin(w, w.c.id == r.c.winning_number_id)
            )
            .order_by(r.c.id)
        )
        return self._row_chunks(statement)


__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "GENERATION_V0",
    "GENERATION_V1",
    "CardRows",
    "LegacySource",
    "read_only_url",
    "shown_url",
]
