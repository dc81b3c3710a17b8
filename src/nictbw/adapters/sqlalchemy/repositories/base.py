"""The shared plumbing of the SQL repositories and their generic base.

Every repository works on the connection of the active unit of work. Lookups by many
keys go in chunks of ``chunk_size`` (one statement per chunk); bulk writes use one
multi-row statement or one ``executemany`` per chunk, so the number of statements does
not grow with the number of rows inside a chunk. On PostgreSQL each write runs in a
savepoint, so a refused write leaves the transaction usable, as it is on SQLite; a
method that sends several writes runs them in one savepoint, so it changes all or nothing.
Reads of statements built once (per id, per key, per user, per chunk of keys) go through
:class:`~nictbw.adapters.sqlalchemy.reads.DriverRead`: SQL compiled once, rows decoded by
the columns' own processors.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from operator import attrgetter
from typing import Any, ClassVar, Final, Generic, NoReturn, Protocol, TypeVar

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Executable,
    Row,
    RowMapping,
    Select,
    Table,
    insert,
    select,
    update,
)
from sqlalchemy.exc import StatementError

from nictbw.adapters.sqlalchemy.bulk import BulkStatements, chunked, distinct_keys
from nictbw.adapters.sqlalchemy.errors import name_overlong, translate_error
from nictbw.adapters.sqlalchemy.mapping import RowMapper
from nictbw.adapters.sqlalchemy.reads import DriverRead
from nictbw.adapters.sqlalchemy.statements import among_keys, select_all, select_among, select_by
from nictbw.adapters.sqlalchemy.unchanged import (
    changed_positions,
    maintained_columns,
    stored_values_query,
)
from nictbw.domain.errors import NotFoundError, ValidationError
from nictbw.domain.values import check_lookup_keys

DEFAULT_CHUNK_SIZE: Final = 1000
"""Keys per lookup statement and rows per bulk statement."""

ConnectionSource = Callable[[], Connection]
Params = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None


class Stored(Protocol):
    """An entity with the ``id`` a repository assigns."""

    id: int | None


E = TypeVar("E", bound=Stored)


class SqlRepository:
    """Shared plumbing: statement execution with error translation, and chunking."""

    def __init__(self, connection: ConnectionSource, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise ValidationError(f"chunk_size must be a positive int, got {chunk_size!r}")
        self._connection = connection
        self.chunk_size = chunk_size
        self._in_atomic = False
        self._kept_cursor: tuple[Any, Any] | None = None

    def _rows(self, statement: Executable, params: Params = None) -> Sequence[RowMapping]:
        """Run a read and return its rows as mappings.

        Keys no backend could hold (see :func:`~nictbw.domain.values.check_lookup_key`)
        are refused before the statement is sent.
        """
        if isinstance(params, Mapping):
            check_lookup_keys(params.values())
        try:
            return self._connection().execute(statement, params).mappings().all()
        except StatementError as exc:
            _reraise(exc)

    @contextmanager
    def _atomic(self, *, always: bool = True) -> Iterator[Connection]:
        """Make the enclosed writes one all-or-nothing step, like a single statement.

        Opens a savepoint, released on success and rolled back on error. SQLite undoes a
        failed statement by itself, so a single write there (``always=False``) needs
        none; PostgreSQL aborts the whole transaction on an error, so it always gets one.
        """
        connection = self._connection()
        if self._in_atomic or not (always or connection.dialect.name == "postgresql"):
            yield connection
            return
        savepoint = connection.begin_nested()
        self._in_atomic = True
        try:
            yield connection
        except BaseException:
            if savepoint.is_active:
                savepoint.rollback()
            raise
        else:
            savepoint.commit()
        finally:
            self._in_atomic = False

    def _write(
        self,
        statement: Executable,
        params: Params = None,
        *,
        values: Mapping[str, Any] | None = None,
    ) -> tuple[Sequence[RowMapping], int]:
        """Run one write; returns its RETURNING rows (if any) and its row count.

        ``values`` are the column values of a single-row write, for error messages.
        """
        try:
            with self._atomic(always=False) as connection:
                result = connection.execute(statement, params)
                rows = result.mappings().all() if result.returns_rows else []
                count = result.rowcount
        except StatementError as exc:
            _reraise(exc, values)
        return rows, count

    def _insert_one(self, table: Table, values: Mapping[str, Any]) -> int:
        statement = insert(table).values(dict(values)).returning(table.c.id)
        rows, _ = self._write(statement, values=values)
        return int(rows[0]["id"])

    def _insert_many(
        self,
        table: Table,
        columns: tuple[str, ...],
        rows: Sequence[tuple[Any, ...]],
        key: tuple[str, ...],
    ) -> list[int]:
        """Insert ``rows`` (values in ``columns`` order) with one multi-row statement per
        chunk; their ids in input order.

        The rows come back matched by ``key``, a unique key of ``table``, so no ordering
        of RETURNING is needed (SQLite does not promise one).
        """
        returned = self._bulk_insert(table, columns, rows, returning=("id", *key))
        if len(key) == 1:
            single = {found[1]: int(found[0]) for found in returned}
            position = columns.index(key[0])
            return [single[row[position]] for row in rows]
        by_key = {tuple(found[1:]): int(found[0]) for found in returned}
        positions = [columns.index(name) for name in key]
        return [by_key[tuple(row[p] for p in positions)] for row in rows]

    def _update_one(
        self, table: Table, row_id: int | None, values: Mapping[str, Any], what: str
    ) -> None:
        if row_id is None:
            raise NotFoundError(f"{what} is not stored (id is None)")
        statement = update(table).where(table.c.id == row_id).values(dict(values))
        _, count = self._write(statement, values=values)
        if count == 0:
            raise NotFoundError(f"{what} {row_id} does not exist")

    def _update_many(
        self,
        table: Table,
        rows: Sequence[tuple[int | None, Mapping[str, Any]]],
        what: str,
        *,
        owner: str | None = None,
    ) -> None:
        """Write rows by id with one ``executemany`` (callers chunk).

        With ``owner``, a row is only written where that column already holds the value
        given for it (a cell is only updated on its own card).
        """
        if any(row_id is None for row_id, _ in rows):
            raise NotFoundError(f"{what} is not stored (id is None)")
        if not rows:
            return
        columns = tuple(rows[0][1])
        bulk = BulkStatements.of(self._connection().dialect, table, columns)
        values = bulk.executemany_rows([tuple(row.values()) for _, row in rows])
        ids = [row_id for row_id, _ in rows if row_id is not None]
        subset = self._columns_to_write(table, columns, values, ids)
        positions = [columns.index(key) for key in subset or columns]
        params = [
            (*(row[p] for p in positions), row_id, *(() if owner is None else (of[owner],)))
            for row, (row_id, of) in zip(values, rows, strict=True)
        ]
        _, count = self._driver_write(bulk.update_by_id(owner, subset), params, many=True)
        if 0 <= count < len(rows):
            self._raise_missing(table, ids, what, owner=owner)

    def _columns_to_write(
        self,
        table: Table,
        columns: tuple[str, ...],
        values: Sequence[Sequence[Any]],
        ids: Sequence[int],
    ) -> tuple[str, ...] | None:
        """The columns an update by id of ``values`` writes (None: every one). On SQLite
        the maintained columns no row changes are left out (``unchanged.py``), after one
        read of their stored values for the rows of the call."""
        maintained = maintained_columns(table)
        heavy = [position for position, key in enumerate(columns) if key in maintained]
        if self._connection().dialect.name != "sqlite" or not heavy or len(heavy) == len(columns):
            return None
        query = stored_values_query(table, tuple(columns[p] for p in heavy))
        # SQLite takes the ids of the whole call as one JSON array.
        _, found = self._fetch_raw(query, self._keys(ids))
        stored: dict[int, Sequence[Any]] = {row[0]: row[1:] for row in found}
        keep = set(changed_positions(values, ids, heavy, stored))
        return tuple(
            key for position, key in enumerate(columns) if key not in maintained or position in keep
        )

    def _raise_missing(
        self,
        table: Table,
        ids: Sequence[int | None],
        what: str,
        *,
        owner: str | None = None,
    ) -> NoReturn:
        wanted = sorted({i for i in ids if i is not None})
        found: set[int] = set()
        for chunk in chunked(wanted, self.chunk_size):
            query = select(table.c.id).where(self._among(table.c.id))
            found.update(row["id"] for row in self._rows(query, self._keys(chunk)))
        absent = [i for i in wanted if i not in found]
        if absent or owner is None:
            raise NotFoundError(f"{what} {', '.join(map(str, absent)) or '?'} does not exist")
        raise NotFoundError(f"a {what} among {wanted} does not belong to its {owner}")

    def _driver_write(
        self, sql: str, params: Sequence[Any], *, many: bool = False
    ) -> tuple[Sequence[Sequence[Any]], int]:
        """Run one write given as SQL text with driver-ready positional ``params`` (a list
        of rows when ``many``, for ``executemany``); its RETURNING rows and row count.

        It still goes through the connection (events, statement logs, transaction) and
        its errors are translated like those of :meth:`_write`.
        """
        try:
            with self._atomic(always=False) as connection:
                result = connection.exec_driver_sql(sql, params if many else tuple(params))
                rows: Sequence[Sequence[Any]] = result.fetchall() if result.returns_rows else []
                count = result.rowcount
        except StatementError as exc:
            _reraise(exc)
        return rows, count

    def _bulk_insert(
        self,
        table: Table,
        columns: tuple[str, ...],
        rows: Sequence[tuple[Any, ...]],
        *,
        returning: tuple[str, ...] = (),
        conflict: str = "",
        binary: bool = False,
    ) -> builtins.list[Sequence[Any]]:
        """Insert ``rows`` (entity values in ``columns`` order, unprocessed) in one
        statement per chunk; the RETURNING rows of all chunks, in no particular order.
        ``binary``: PostgreSQL gets the arrays in binary format (``BulkStatements.of``)."""
        bulk = BulkStatements.of(self._connection().dialect, table, columns, binary=binary)
        returned: builtins.list[Sequence[Any]] = []
        for chunk in chunked(rows, bulk.rows_per_statement(self.chunk_size)):
            sql = bulk.insert(len(chunk), returning=returning, conflict=conflict)
            try:
                found, _ = self._driver_write(sql, bulk.parameters(chunk))
            except ValidationError as error:
                name_overlong(table, columns, chunk, error)
                raise
            returned.extend(found)
        return returned

    def _among(self, column: Column[Any]) -> ColumnElement[bool]:
        """``column`` among the bound parameter ``keys``, one parameter however many keys
        (its value comes from :meth:`_keys`; see ``statements.among_keys``)."""
        return among_keys(self._connection().dialect.name, column)

    def _keys(self, keys: Sequence[Any]) -> dict[str, Any]:
        """The parameters of :meth:`_among` for ``keys``."""
        check_lookup_keys(keys)
        if self._connection().dialect.name == "postgresql":
            return {"keys": list(keys)}
        return {"keys": json.dumps(list(keys))}

    def _stream(self, statement: Executable, params: Params = None) -> Iterator[Row[Any]]:
        """Run a read and yield its rows as they are fetched (positional or attribute
        access), so a large answer is never held twice (driver rows and the entities made
        of them)."""
        try:
            yield from self._connection().execute(statement, params)
        except StatementError as exc:
            _reraise(exc)

    def _fetch(
        self, statement: Select[Any], params: Mapping[str, Any]
    ) -> tuple[DriverRead, builtins.list[builtins.list[Any]]]:
        """Run a read of a statement built once through its :class:`DriverRead`; the read
        (its column ``keys``) and every row as a list of values in column order.

        Keys no backend could hold are refused before the statement is sent, as by
        :meth:`_rows`.
        """
        read, rows = self._fetch_raw(statement, params)
        return read, read.decode(rows)

    def _fetch_raw(
        self, statement: Select[Any], params: Mapping[str, Any]
    ) -> tuple[DriverRead, builtins.list[Sequence[Any]]]:
        """:meth:`_fetch` with the driver's rows not decoded yet (see
        :meth:`DriverRead.decode`)."""
        check_lookup_keys(params.values())
        connection = self._connection()
        dialect = connection.dialect
        read = DriverRead.of(statement, dialect)
        describe = read.decoders is None
        rows, description = self._on_cursor(read.sql, read.parameters(params), describe=describe)
        if describe and description is not None:
            read.describe(dialect, description)
        return read, rows

    def _on_cursor(
        self,
        sql: str,
        parameters: Sequence[Any] | Mapping[str, Any],
        values: Mapping[str, Any] | None = None,
        *,
        describe: bool = False,
    ) -> tuple[builtins.list[Sequence[Any]], Sequence[Sequence[Any]] | None]:
        """Run one statement that returns rows (a read, a write with RETURNING), given as
        SQL text with driver-ready ``parameters``, on a cursor of the connection's driver
        connection, in its transaction; its rows and, with ``describe``, the cursor's
        ``description`` (which some drivers build anew on every access).

        It goes through the step every SQLAlchemy execution ends in
        (``Connection._cursor_execute``): connection events (statement logs and counts),
        echo, and errors wrapped, then translated as for :meth:`_write` (``values`` are
        those of a single-row write, for error messages). Unlike
        :meth:`~sqlalchemy.engine.Connection.exec_driver_sql` it builds no result object,
        whose metadata is worked out anew from the cursor for every SQL text statement.
        """
        connection = self._connection()
        cursor = self._driver_cursor(connection)
        try:
            connection._cursor_execute(cursor, sql, parameters)
            rows = list(cursor.fetchall())
            return rows, cursor.description if describe else None
        except BaseException as exc:
            # A failed execution closes the cursor (SQLAlchemy's error handling): the
            # next call opens a new one.
            self._kept_cursor = None
            if isinstance(exc, StatementError):
                _reraise(exc, values)
            raise

    def _driver_cursor(self, connection: Connection) -> Any:
        """A cursor of ``connection``'s driver connection, kept for the next call while
        that driver connection stays the same (a per-user path makes one call per
        statement, and opening a cursor costs about as much as converting the row)."""
        driver = connection.connection.dbapi_connection
        kept = self._kept_cursor
        if kept is not None and kept[0] is driver:
            return kept[1]
        cursor = connection.connection.cursor()
        self._kept_cursor = (driver, cursor)
        return cursor

    def _fetch_mappings(
        self, statement: Select[Any], params: Mapping[str, Any]
    ) -> builtins.list[dict[str, Any]]:
        """:meth:`_fetch`, each row as a dict by column key (what a ``from_row`` reads)."""
        read, rows = self._fetch(statement, params)
        keys = read.keys
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def _all(self, statement: Executable, params: Params = None) -> Sequence[Row[Any]]:
        """Run a read and fetch every row at once (positional access): for bulk reads
        turned into columns, where fetching row by row costs more than the rows."""
        try:
            return self._connection().execute(statement, params).fetchall()
        except StatementError as exc:
            _reraise(exc)

    def _one(self, statement: Executable, params: Params = None) -> RowMapping | None:
        rows = self._rows(statement, params)
        return rows[0] if rows else None


def _reraise(exc: StatementError, values: Mapping[str, Any] | None = None) -> NoReturn:
    error = translate_error(exc, values)
    if error is None:
        raise exc
    if error is exc.orig:
        raise error from None
    raise error from exc


def require_new(entity: Any, what: str) -> None:
    if entity.id is not None:
        raise ValidationError(f"{what} {entity.id} is already stored")


_id_of: Callable[[Any], int] = attrgetter("id")


class TableRepository(SqlRepository, Generic[E]):
    """A repository of one table of entities: ``add``, ``get``, ``get_many``, ``list`` and
    ``update`` through the table's :class:`RowMapper`.

    Subclasses set ``mapper`` and add their own lookups; an aggregate stored in more than
    one table (a card and its cells) overrides what differs.
    """

    mapper: ClassVar[RowMapper[Any]]

    def _from_row(self, row: Mapping[Any, Any]) -> E:
        from_row: Callable[[Mapping[Any, Any]], E] = self.mapper.from_row
        return from_row(row)

    def _from_rows(self, keys: Sequence[str], rows: Sequence[Sequence[Any]]) -> builtins.list[E]:
        """The entities of rows read whole (columns ``keys``), each as a dict through the
        mapper; instances override this with a cheaper build."""
        from_row: Callable[[Mapping[Any, Any]], E] = self.mapper.from_row
        return [from_row(dict(zip(keys, row, strict=True))) for row in rows]

    def _read(self, statement: Select[Any], params: Mapping[str, Any]) -> builtins.list[E]:
        """The entities a read of whole rows of the table finds, in row order."""
        read, rows = self._fetch(statement, params)
        return self._from_rows(read.keys, rows)

    def _new_values(self, entity: E) -> dict[str, Any]:
        """The values an ``add`` inserts (by default those an ``update`` writes)."""
        return self.mapper.values(entity)

    def add(self, entity: E) -> E:
        """Store a new entity; assigns ``id``."""
        require_new(entity, self.mapper.what)
        entity.id = self._insert_one(self.mapper.table, self._new_values(entity))
        return entity

    def get(self, entity_id: int) -> E | None:
        """The entity with this id, or ``None``."""
        found = self._read(select_by(self.mapper.table, "id"), {"key": entity_id})
        return found[0] if found else None

    def get_many(self, ids: Collection[int]) -> dict[int, E]:
        """The stored entities among ``ids``, keyed by id (ascending): one query per chunk."""
        statement = select_among(self._connection().dialect.name, self.mapper.table, "id")
        found: dict[int, E] = {}
        for chunk in chunked(distinct_keys(ids), self.chunk_size):
            found.update((_id_of(e), e) for e in self._read(statement, self._keys(chunk)))
        return dict(sorted(found.items()))

    def list(self) -> builtins.list[E]:
        """Every entity, ascending id."""
        return self._read(select_all(self.mapper.table), {})

    def update(self, entity: E) -> None:
        """Write every field of a stored entity."""
        mapper = self.mapper
        self._update_one(mapper.table, entity.id, mapper.values(entity), mapper.what)


__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "ConnectionSource",
    "Params",
    "SqlRepository",
    "TableRepository",
    "chunked",
    "require_new",
]
