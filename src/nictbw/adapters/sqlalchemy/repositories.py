"""SQL repositories: explicit row <-> entity translation over SQLAlchemy Core.

Every repository works on the connection of the active unit of work. Lookups by many
keys go in chunks of ``chunk_size`` (one statement per chunk); bulk writes use one
multi-row statement or one ``executemany`` per chunk, so the number of statements does
not grow with the number of rows inside a chunk. On PostgreSQL each write runs in a
savepoint, so a refused write leaves the transaction usable, as it is on SQLite; a
method that sends several writes runs them in one savepoint, so it changes all or nothing.
"""

from __future__ import annotations

import builtins
import functools
import json
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from itertools import chain
from operator import attrgetter
from typing import Any, ClassVar, Final, NoReturn, TypeVar

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Executable,
    Integer,
    RowMapping,
    Select,
    String,
    Table,
    and_,
    any_,
    bindparam,
    case,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import StatementError
from sqlalchemy.types import ARRAY, TypeDecorator

from nictbw.adapters.sqlalchemy.errors import translate_error
from nictbw.adapters.sqlalchemy.tables import (
    ORIGIN_KEY,
    SCORED_RESULT_KEY,
    UNSCORED_RESULT_KEY,
    admins,
    bingo_cards,
    bingo_cells,
    nft_definitions,
    nft_instances,
    prize_draw_results,
    prize_draw_types,
    prize_draw_winning_numbers,
    users,
)
from nictbw.adapters.sqlalchemy.upsert import OVERWRITTEN_RESULT_COLUMNS
from nictbw.domain.entities import (
    CARD_ACTIVE,
    CARD_COMPLETED,
    CELL_UNLOCKED,
    OUTCOME_PENDING,
    WINNING_LINES,
    Admin,
    BingoCard,
    BingoCell,
    DrawCandidate,
    NFTDefinition,
    NFTInstance,
    PrizeDrawResult,
    PrizeDrawType,
    PrizeDrawWinningNumber,
    User,
    normalize_email,
)
from nictbw.domain.errors import NotFoundError, ValidationError
from nictbw.domain.timeutil import ensure_utc
from nictbw.domain.values import INT64_MAX, check_int_range, check_lookup_key, check_lookup_keys
from nictbw.ports.repositories import (
    AdminRepository,
    BingoCardRepository,
    DefinitionRepository,
    DrawResultRepository,
    DrawTypeRepository,
    InstanceRepository,
    UserRepository,
    WinningNumberRepository,
)

DEFAULT_CHUNK_SIZE: Final = 1000
"""Keys per lookup statement and rows per bulk statement."""

ConnectionSource = Callable[[], Connection]
Params = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None
T = TypeVar("T")

_LINE_MASKS: Final = tuple(sum(1 << idx for idx in line) for line in WINNING_LINES)


def chunked(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of ``items`` of at most ``size`` elements."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _distinct(keys: Collection[Any]) -> builtins.list[Any]:
    """The keys without duplicates and ``None``, sorted (stable statements, stable chunks)."""
    return sorted({key for key in keys if key is not None})


class SqlRepository:
    """Shared plumbing: statement execution with error translation, and chunking."""

    def __init__(self, connection: ConnectionSource, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise ValidationError(f"chunk_size must be a positive int, got {chunk_size!r}")
        self._connection = connection
        self.chunk_size = chunk_size
        self._in_atomic = False

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
        if owner is None:
            params = [(*row, row_id) for row, (row_id, _) in zip(values, rows, strict=True)]
        else:
            params = [
                (*row, row_id, values_of[owner])
                for row, (row_id, values_of) in zip(values, rows, strict=True)
            ]
        _, count = self._driver_write(bulk.update_by_id(owner), params, many=True)
        if 0 <= count < len(rows):
            self._raise_missing(table, [row_id for row_id, _ in rows], what, owner=owner)

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

    def _by_ids(self, table: Table, ids: Collection[int]) -> list[RowMapping]:
        """Rows whose id is among ``ids``, one query per chunk, ascending id."""
        wanted = _distinct(ids)
        found: list[RowMapping] = []
        statement = _select_among(self._connection().dialect.name, table, "id")
        for chunk in chunked(wanted, self.chunk_size):
            found.extend(self._rows(statement, self._keys(chunk)))
        found.sort(key=lambda row: int(row["id"]))
        return found

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
    ) -> builtins.list[Sequence[Any]]:
        """Insert ``rows`` (entity values in ``columns`` order, unprocessed) in one
        statement per chunk; the RETURNING rows of all chunks, in no particular order."""
        bulk = BulkStatements.of(self._connection().dialect, table, columns)
        returned: builtins.list[Sequence[Any]] = []
        for chunk in chunked(rows, bulk.rows_per_statement(self.chunk_size)):
            sql = bulk.insert(len(chunk), returning=returning, conflict=conflict)
            found, _ = self._driver_write(sql, bulk.parameters(chunk))
            returned.extend(found)
        return returned

    def _among(self, column: Column[Any]) -> ColumnElement[bool]:
        """``column`` among the bound parameter ``keys``, one parameter however many keys
        (its value comes from :meth:`_keys`).

        An expanded ``IN (?, ?, ...)`` is rendered anew for every call and planned anew by
        PostgreSQL, which costs more than the lookup; instead SQLite reads the keys from
        a JSON array (``json_each``) and PostgreSQL compares with ``= ANY(array)``.
        """
        return _among_keys(self._connection().dialect.name, column)

    def _keys(self, keys: Sequence[Any]) -> dict[str, Any]:
        """The parameters of :meth:`_among` for ``keys``."""
        check_lookup_keys(keys)
        if self._connection().dialect.name == "postgresql":
            return {"keys": list(keys)}
        return {"keys": json.dumps(list(keys))}

    def _stream(self, statement: Executable) -> Iterator[Sequence[Any]]:
        """Run a read and yield its rows as they are fetched (positional access), so a
        large answer is never held twice (driver rows and the entities made of them)."""
        try:
            yield from self._connection().execute(statement)
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


def _require_new(entity: Any, what: str) -> None:
    if entity.id is not None:
        raise ValidationError(f"{what} {entity.id} is already stored")


# -- statements built once -------------------------------------------------------------
# SQLAlchemy compiles a statement once and caches it, but building the construct and its
# cache key again on every call costs as much as a small lookup; the statements of the
# per-user and per-key reads are therefore built once, with bound parameters.


@functools.cache
def _select_by(table: Table, column: str) -> Select[Any]:
    """``SELECT * FROM table WHERE column = :key ORDER BY id``."""
    return select(table).where(table.c[column] == bindparam("key")).order_by(table.c.id)


@functools.cache
def _select_all(table: Table) -> Select[Any]:
    """``SELECT * FROM table ORDER BY id``."""
    return select(table).order_by(table.c.id)


@functools.cache
def _among_keys(dialect_name: str, column: Column[Any]) -> ColumnElement[bool]:
    """``column`` among the bound parameter ``keys`` (see ``SqlRepository._among``)."""
    if dialect_name == "postgresql":
        return column == any_(bindparam("keys", type_=ARRAY(column.type)))
    values: Select[Any] = select(literal_column("value")).select_from(
        func.json_each(bindparam("keys"))
    )
    return column.in_(values)


@functools.cache
def _select_among(dialect_name: str, table: Table, column: str) -> Select[Any]:
    """``SELECT * FROM table WHERE column`` among ``:keys`` (see ``SqlRepository._among``)."""
    return select(table).where(_among_keys(dialect_name, table.c[column]))


# -- instances by origin key (draw-number collisions) ----------------------------------


@functools.cache
def _select_by_origin_keys(dialect_name: str) -> Select[Any]:
    """``SELECT * FROM nft_instances WHERE lower(trim(nft_origin))`` among ``:keys``.

    ``ORIGIN_KEY`` is :func:`nictbw.domain.scoring.origin_key` in SQL (origins are ASCII,
    so both lower-case alike); the index ``ix_nft_instances_origin_key`` serves it. The
    keys are bound as in ``SqlRepository._among``: one parameter however many keys.
    """
    key = ORIGIN_KEY
    if dialect_name == "postgresql":
        condition = key == any_(bindparam("keys", type_=ARRAY(String())))
    else:
        keys: Select[Any] = select(literal_column("value")).select_from(
            func.json_each(bindparam("keys"))
        )
        condition = key.in_(keys)
    return select(nft_instances).where(condition).order_by(nft_instances.c.id)


# -- statements sent to the driver as text ---------------------------------------------

_PLACEHOLDER: Final = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def _processed(process: Callable[[Any], Any], values: Sequence[Any], cached: bool) -> list[Any]:
    """``process`` applied to each value; with ``cached`` once per distinct value (a batch
    shares a handful of timestamps), unless some value is unhashable (a JSON object)."""
    if cached:
        try:
            distinct = set(values)
        except TypeError:
            pass
        else:
            converted = {value: process(value) for value in distinct}
            return list(map(converted.__getitem__, values))
    return list(map(process, values))


class BulkStatements:
    """Multi-row statements of one table and dialect as SQL text with positional
    parameters, and the parameters themselves.

    Bulk paths send thousands of rows per call; building them as SQLAlchemy constructs
    costs more per row than the database spends storing it. Here the SQL text is made
    once per shape and cached, and each column's values go through that column type's
    own bind processor (the same conversion SQLAlchemy applies), so what is stored is
    identical. SQLite gets ``INSERT ... VALUES (...), (...)``; PostgreSQL gets
    ``INSERT ... SELECT * FROM unnest(...)`` with one array per column, which it parses
    and plans in constant time whatever the number of rows.
    """

    _made: ClassVar[dict[tuple[Any, ...], BulkStatements]] = {}

    def __init__(self, dialect: Dialect, table: Table, columns: tuple[str, ...]) -> None:
        self.table = table
        self.columns = columns
        self.postgres = dialect.name == "postgresql"
        self.placeholder = _PLACEHOLDER[dialect.paramstyle]
        quote = dialect.identifier_preparer.quote
        self._quote = quote
        self._names = ", ".join(quote(table.c[key].name) for key in columns)
        self._max_parameters = int(getattr(dialect, "insertmanyvalues_max_parameters", 32_766))
        self._processors: list[tuple[int, Callable[[Any], Any], bool]] = []
        self._array_types: list[str] = []
        for position, key in enumerate(columns):
            column_type = table.c[key].type
            process = column_type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                cached = isinstance(column_type, TypeDecorator)
                self._processors.append((position, process, cached))
            self._array_types.append(f"{column_type.compile(dialect=dialect)}[]")
        self._sql: dict[tuple[Any, ...], str] = {}

    @classmethod
    def of(cls, dialect: Dialect, table: Table, columns: tuple[str, ...]) -> BulkStatements:
        """The (cached) statements of ``columns`` of ``table`` for ``dialect``."""
        key = (type(dialect), dialect.paramstyle, table.name, columns)
        made = cls._made.get(key)
        if made is None:
            made = cls._made[key] = cls(dialect, table, columns)
        return made

    def rows_per_statement(self, chunk_size: int) -> int:
        """Rows per statement: ``chunk_size``, fewer where the driver limits parameters."""
        if self.postgres:
            return chunk_size
        return max(1, min(chunk_size, self._max_parameters // len(self.columns)))

    def _columns_of(self, rows: Sequence[tuple[Any, ...]]) -> list[Sequence[Any]]:
        columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
        for position, process, cached in self._processors:
            columns[position] = _processed(process, columns[position], cached)
        return columns

    def parameters(self, rows: Sequence[tuple[Any, ...]]) -> list[Any]:
        """The driver parameters of a multi-row statement over ``rows``."""
        columns = self._columns_of(rows)
        if self.postgres:
            return [list(column) for column in columns]
        return list(chain.from_iterable(zip(*columns, strict=True)))

    def executemany_rows(self, rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """The driver parameters of an ``executemany`` over ``rows``, one tuple per row."""
        return list(zip(*self._columns_of(rows), strict=True))

    def insert(self, count: int, *, returning: tuple[str, ...] = (), conflict: str = "") -> str:
        """``INSERT`` of ``count`` rows, then ``conflict`` (an ``ON CONFLICT`` clause) and
        ``RETURNING returning``."""
        key = ("insert", count, returning, conflict)
        sql = self._sql.get(key)
        if sql is None:
            target = f"INSERT INTO {self._quote(self.table.name)} ({self._names}) "
            if self.postgres:
                arrays = ", ".join(f"{self.placeholder}::{t}" for t in self._array_types)
                source = f"SELECT * FROM unnest({arrays})"
            else:
                row = f"({', '.join([self.placeholder] * len(self.columns))})"
                source = "VALUES " + ", ".join([row] * count)
            sql = target + source
            if conflict:
                sql += " " + conflict
            if returning:
                sql += " RETURNING " + ", ".join(self._quote(name) for name in returning)
            self._sql[key] = sql
        return sql

    def insert_row(self) -> str:
        """Single-row ``INSERT`` for ``executemany``."""
        key = ("insert_row",)
        sql = self._sql.get(key)
        if sql is None:
            marks = ", ".join([self.placeholder] * len(self.columns))
            sql = f"INSERT INTO {self._quote(self.table.name)} ({self._names}) VALUES ({marks})"
            self._sql[key] = sql
        return sql

    def update_by_id(self, owner: str | None = None) -> str:
        """``UPDATE`` of every column by ``id`` (and ``owner`` when given), positional
        parameters: the column values, then the id (then the owner)."""
        key = ("update", owner)
        sql = self._sql.get(key)
        if sql is None:
            mark = self.placeholder
            assignments = ", ".join(
                f"{self._quote(self.table.c[k].name)} = {mark}" for k in self.columns
            )
            sql = f"UPDATE {self._quote(self.table.name)} SET {assignments} WHERE id = {mark}"
            if owner is not None:
                sql += f" AND {self._quote(owner)} = {mark}"
            self._sql[key] = sql
        return sql


# -- users ----------------------------------------------------------------------------


def _user_values(user: User) -> dict[str, Any]:
    return {
        "in_app_id": user.in_app_id,
        "email": user.email,
        "password_hash": user.password_hash,
        "password_provided": user.password_provided,
        "nickname": user.nickname,
        "paymail": user.paymail,
        "on_chain_id": user.on_chain_id,
        "fcm_token": user.fcm_token,
        "initial_reward_claimed": user.initial_reward_claimed,
        "is_test_user": user.is_test_user,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }


def _user_from_row(row: RowMapping) -> User:
    return User(
        id=row["id"],
        in_app_id=row["in_app_id"],
        email=row["email"],
        password_hash=row["password_hash"],
        password_provided=row["password_provided"],
        nickname=row["nickname"],
        paymail=row["paymail"],
        on_chain_id=row["on_chain_id"],
        fcm_token=row["fcm_token"],
        initial_reward_claimed=row["initial_reward_claimed"],
        is_test_user=row["is_test_user"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class SqlUserRepository(SqlRepository, UserRepository):
    """Users in the ``users`` table."""

    def add(self, user: User) -> User:
        """Store a new user; assigns ``id``."""
        _require_new(user, "user")
        user.id = self._insert_one(users, _user_values(user))
        return user

    def get(self, user_id: int) -> User | None:
        """The user with this id, or ``None``."""
        row = self._one(_select_by(users, "id"), {"key": user_id})
        return None if row is None else _user_from_row(row)

    def get_many(self, ids: Collection[int]) -> dict[int, User]:
        """The stored users among ``ids``, keyed by id."""
        return {row["id"]: _user_from_row(row) for row in self._by_ids(users, ids)}

    def list(self) -> builtins.list[User]:
        """Every user, ascending id."""
        return [_user_from_row(row) for row in self._rows(select(users).order_by(users.c.id))]

    def _by_column(self, column: str, value: str | None) -> User | None:
        if value is None:
            return None
        row = self._one(_select_by(users, column), {"key": value})
        return None if row is None else _user_from_row(row)

    def get_by_in_app_id(self, in_app_id: str) -> User | None:
        """Lookup by exact ``in_app_id``."""
        return self._by_column("in_app_id", in_app_id)

    def get_by_paymail(self, paymail: str) -> User | None:
        """Lookup by exact paymail."""
        return self._by_column("paymail", paymail)

    def get_by_email(self, email: str) -> User | None:
        """Lookup by email, trimmed and lower-cased like the stored value."""
        return self._by_column("email", normalize_email(email))

    def get_by_on_chain_id(self, on_chain_id: str) -> User | None:
        """Lookup by exact chain username."""
        return self._by_column("on_chain_id", on_chain_id)

    def update(self, user: User) -> None:
        """Write every field of a stored user."""
        self._update_one(users, user.id, _user_values(user), "user")

    def lock(self, user_ids: Collection[int]) -> None:
        """Lock these users' rows until the transaction ends, so that transactions locking
        the same user run one after the other and each reads what the other committed.

        PostgreSQL: one ``SELECT ... FOR NO KEY UPDATE`` per chunk in ascending id (no
        deadlock between lockers; foreign-key checks of other writers are not blocked).
        SQLite sends nothing: its single writer already serialises write transactions,
        and one that read a snapshot gone stale fails to write as a conflict.
        """
        if self._connection().dialect.name != "postgresql":
            return
        for chunk in chunked(_distinct(user_ids), self.chunk_size):
            statement = (
                select(users.c.id)
                .where(users.c.id.in_(chunk))
                .order_by(users.c.id)
                .with_for_update(key_share=True)
            )
            self._rows(statement)


# -- admins ---------------------------------------------------------------------------


def _admin_values(admin: Admin) -> dict[str, Any]:
    return {
        "email": admin.email,
        "password_hash": admin.password_hash,
        "name": admin.name,
        "role": admin.role,
        "created_at": admin.created_at,
        "updated_at": admin.updated_at,
    }


def _admin_from_row(row: RowMapping) -> Admin:
    return Admin(
        id=row["id"],
        email=row["email"],
        password_hash=row["password_hash"],
        name=row["name"],
        role=row["role"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class SqlAdminRepository(SqlRepository, AdminRepository):
    """Admins in the ``admins`` table."""

    def add(self, admin: Admin) -> Admin:
        """Store a new admin; assigns ``id``."""
        _require_new(admin, "admin")
        admin.id = self._insert_one(admins, _admin_values(admin))
        return admin

    def get(self, admin_id: int) -> Admin | None:
        """The admin with this id, or ``None``."""
        row = self._one(_select_by(admins, "id"), {"key": admin_id})
        return None if row is None else _admin_from_row(row)

    def list(self) -> builtins.list[Admin]:
        """Every admin, ascending id."""
        return [_admin_from_row(row) for row in self._rows(select(admins).order_by(admins.c.id))]

    def get_by_email(self, email: str) -> Admin | None:
        """Lookup by email, trimmed and lower-cased like the stored value."""
        normalized = normalize_email(email)
        if normalized is None:
            return None
        check_lookup_key(normalized, "email")
        row = self._one(select(admins).where(admins.c.email == normalized))
        return None if row is None else _admin_from_row(row)


# -- definitions ----------------------------------------------------------------------


def _definition_values(definition: NFTDefinition) -> dict[str, Any]:
    """Every column but ``id`` and ``minted_count``."""
    return {
        "prefix": definition.prefix,
        "shared_key": definition.shared_key,
        "name": definition.name,
        "nft_type": definition.nft_type,
        "category": definition.category,
        "subcategory": definition.subcategory,
        "description": definition.description,
        "promotional_text": definition.promotional_text,
        "store_url": definition.store_url,
        "image_url": definition.image_url,
        "qr_image_url": definition.qr_image_url,
        "local_image_path": definition.local_image_path,
        "store_name": definition.store_name,
        "latitude": definition.latitude,
        "longitude": definition.longitude,
        "max_supply": definition.max_supply,
        "status": definition.status,
        "triggers_bingo_card": definition.triggers_bingo_card,
        "bingo_random_candidate": definition.bingo_random_candidate,
        "card_lifetime_seconds": definition.card_lifetime_seconds,
        "is_dummy": definition.is_dummy,
        "is_public": definition.is_public,
        "created_by_admin_id": definition.created_by_admin_id,
        "created_at": definition.created_at,
        "updated_at": definition.updated_at,
    }


def _definition_from_row(row: RowMapping) -> NFTDefinition:
    return NFTDefinition(
        id=row["id"],
        prefix=row["prefix"],
        shared_key=row["shared_key"],
        name=row["name"],
        nft_type=row["nft_type"],
        category=row["category"],
        subcategory=row["subcategory"],
        description=row["description"],
        promotional_text=row["promotional_text"],
        store_url=row["store_url"],
        image_url=row["image_url"],
        qr_image_url=row["qr_image_url"],
        local_image_path=row["local_image_path"],
        store_name=row["store_name"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        max_supply=row["max_supply"],
        minted_count=row["minted_count"],
        status=row["status"],
        triggers_bingo_card=row["triggers_bingo_card"],
        bingo_random_candidate=row["bingo_random_candidate"],
        card_lifetime_seconds=row["card_lifetime_seconds"],
        is_dummy=row["is_dummy"],
        is_public=row["is_public"],
        created_by_admin_id=row["created_by_admin_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class SqlDefinitionRepository(SqlRepository, DefinitionRepository):
    """NFT definitions in the ``nft_definitions`` table."""

    def add(self, definition: NFTDefinition) -> NFTDefinition:
        """Store a new definition (with its ``minted_count``); assigns ``id``."""
        _require_new(definition, "definition")
        values = _definition_values(definition) | {"minted_count": definition.minted_count}
        definition.id = self._insert_one(nft_definitions, values)
        return definition

    def get(self, definition_id: int) -> NFTDefinition | None:
        """The definition with this id, or ``None``."""
        row = self._one(_select_by(nft_definitions, "id"), {"key": definition_id})
        return None if row is None else _definition_from_row(row)

    def get_many(self, ids: Collection[int]) -> dict[int, NFTDefinition]:
        """The stored definitions among ``ids``, keyed by id."""
        return {row["id"]: _definition_from_row(row) for row in self._by_ids(nft_definitions, ids)}

    def list(self) -> builtins.list[NFTDefinition]:
        """Every definition, ascending id."""
        statement = _select_all(nft_definitions)
        return [_definition_from_row(row) for row in self._rows(statement)]

    def get_by_prefix(self, prefix: str) -> NFTDefinition | None:
        """Lookup by exact, case-sensitive prefix."""
        row = self._one(_select_by(nft_definitions, "prefix"), {"key": prefix})
        return None if row is None else _definition_from_row(row)

    def get_many_by_prefix(self, prefixes: Collection[str]) -> dict[str, NFTDefinition]:
        """The stored definitions among ``prefixes``, one query per chunk, keyed by prefix."""
        found: dict[str, NFTDefinition] = {}
        for chunk in chunked(_distinct(prefixes), self.chunk_size):
            statement = _select_among(self._connection().dialect.name, nft_definitions, "prefix")
            for row in self._rows(statement, self._keys(chunk)):
                found[row["prefix"]] = _definition_from_row(row)
        return found

    def update(self, definition: NFTDefinition) -> None:
        """Write every field of a stored definition except ``minted_count``."""
        self._update_one(
            nft_definitions, definition.id, _definition_values(definition), "definition"
        )

    def reserve_serials(
        self, definition_id: int, count: int, *, enforce_supply: bool
    ) -> int | None:
        """One conditional ``UPDATE ... RETURNING``; the old ``minted_count`` or ``None``."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValidationError(f"serial count must be an int >= 0, got {count!r}")
        check_lookup_keys((definition_id, count), "reserve_serials argument")
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


# -- instances ------------------------------------------------------------------------


def _instance_values(instance: NFTInstance) -> dict[str, Any]:
    return {
        "user_id": instance.user_id,
        "definition_id": instance.definition_id,
        "serial_number": instance.serial_number,
        "unique_instance_id": instance.unique_instance_id,
        "acquired_at": instance.acquired_at,
        "status": instance.status,
        "nft_origin": instance.nft_origin,
        "blockchain_nft_id": instance.blockchain_nft_id,
        "current_nft_location": instance.current_nft_location,
        "blockchain_name": instance.blockchain_name,
        "sub_type": instance.sub_type,
        "blockchain_created_at": instance.blockchain_created_at,
        "blockchain_updated_at": instance.blockchain_updated_at,
        "transaction_id": instance.transaction_id,
        "contract_address": instance.contract_address,
        "token_id": instance.token_id,
        "other_meta": instance.other_meta,
    }


_INSTANCE_COLUMNS: Final = tuple(
    _instance_values(
        NFTInstance(user_id=0, definition_id=0, serial_number=0, unique_instance_id="")
    )
)
_instance_row: Callable[[NFTInstance], tuple[Any, ...]] = attrgetter(*_INSTANCE_COLUMNS)
"""The values of ``_instance_values`` as a tuple, in ``_INSTANCE_COLUMNS`` order."""


def _instance_from_row(row: RowMapping) -> NFTInstance:
    return NFTInstance(
        id=row["id"],
        user_id=row["user_id"],
        definition_id=row["definition_id"],
        serial_number=row["serial_number"],
        unique_instance_id=row["unique_instance_id"],
        acquired_at=row["acquired_at"],
        status=row["status"],
        nft_origin=row["nft_origin"],
        blockchain_nft_id=row["blockchain_nft_id"],
        current_nft_location=row["current_nft_location"],
        blockchain_name=row["blockchain_name"],
        sub_type=row["sub_type"],
        blockchain_created_at=row["blockchain_created_at"],
        blockchain_updated_at=row["blockchain_updated_at"],
        transaction_id=row["transaction_id"],
        contract_address=row["contract_address"],
        token_id=row["token_id"],
        other_meta=row["other_meta"],
    )


def _candidate_from_row(row: RowMapping) -> DrawCandidate:
    return DrawCandidate(
        instance_id=row["id"],
        user_id=row["user_id"],
        definition_id=row["definition_id"],
        nft_origin=row["nft_origin"],
        status=row["status"],
    )


_CANDIDATE_COLUMNS = (
    nft_instances.c.id,
    nft_instances.c.user_id,
    nft_instances.c.definition_id,
    nft_instances.c.nft_origin,
    nft_instances.c.status,
)


class SqlInstanceRepository(SqlRepository, InstanceRepository):
    """NFT instances in the ``nft_instances`` table."""

    def add(self, instance: NFTInstance) -> NFTInstance:
        """Store a new instance; assigns ``id``."""
        _require_new(instance, "instance")
        instance.id = self._insert_one(nft_instances, _instance_values(instance))
        return instance

    def add_many(self, instances: Sequence[NFTInstance]) -> None:
        """One multi-row ``INSERT ... RETURNING id`` per chunk; ids assigned in order."""
        for instance in instances:
            _require_new(instance, "instance")
        rows = list(map(_instance_row, instances))
        with self._atomic():
            ids = self._insert_many(
                nft_instances, _INSTANCE_COLUMNS, rows, key=("unique_instance_id",)
            )
        for instance, new_id in zip(instances, ids, strict=True):
            instance.id = new_id

    def get(self, instance_id: int) -> NFTInstance | None:
        """The instance with this id, or ``None``."""
        row = self._one(_select_by(nft_instances, "id"), {"key": instance_id})
        return None if row is None else _instance_from_row(row)

    def get_many(self, ids: Collection[int]) -> dict[int, NFTInstance]:
        """The stored instances among ``ids``, keyed by id."""
        return {row["id"]: _instance_from_row(row) for row in self._by_ids(nft_instances, ids)}

    def list(self) -> builtins.list[NFTInstance]:
        """Every instance, ascending id."""
        statement = select(nft_instances).order_by(nft_instances.c.id)
        return [_instance_from_row(row) for row in self._rows(statement)]

    def _where(self, column: str, key: Any) -> builtins.list[NFTInstance]:
        statement = _select_by(nft_instances, column)
        return [_instance_from_row(row) for row in self._rows(statement, {"key": key})]

    def _where_in(self, column: str, keys: Collection[Any]) -> builtins.list[NFTInstance]:
        found: builtins.list[NFTInstance] = []
        statement = _select_among(self._connection().dialect.name, nft_instances, column)
        for chunk in chunked(_distinct(keys), self.chunk_size):
            found.extend(
                _instance_from_row(row) for row in self._rows(statement, self._keys(chunk))
            )
        found.sort(key=lambda instance: instance.id or 0)
        return found

    def list_for_user(self, user_id: int) -> builtins.list[NFTInstance]:
        """The user's instances, ascending id."""
        return self._where("user_id", user_id)

    def list_for_users(self, user_ids: Collection[int]) -> builtins.list[NFTInstance]:
        """The instances of all these users, one query per chunk, ascending id."""
        return self._where_in("user_id", user_ids)

    def list_for_definition(self, definition_id: int) -> builtins.list[NFTInstance]:
        """The definition's instances, ascending id."""
        return self._where("definition_id", definition_id)

    def list_by_origins(self, origins: Collection[str]) -> builtins.list[NFTInstance]:
        """Every instance whose origin is among ``origins``, ascending id."""
        return self._where_in("nft_origin", origins)

    def list_by_origin_keys(self, keys: Collection[str]) -> builtins.list[NFTInstance]:
        """Every instance whose ``lower(trim(nft_origin))`` is among ``keys``, one query
        per chunk, ascending id."""
        statement = _select_by_origin_keys(self._connection().dialect.name)
        found: builtins.list[NFTInstance] = []
        for chunk in chunked(_distinct(keys), self.chunk_size):
            found.extend(
                _instance_from_row(row) for row in self._rows(statement, self._keys(chunk))
            )
        found.sort(key=lambda instance: instance.id or 0)
        return found

    def existing_unique_ids(self, candidates: Collection[str]) -> set[str]:
        """The members of ``candidates`` already used, one query per chunk."""
        column = nft_instances.c.unique_instance_id
        taken: set[str] = set()
        for chunk in chunked(_distinct(candidates), self.chunk_size):
            taken.update(
                row["unique_instance_id"]
                for row in self._rows(select(column).where(self._among(column)), self._keys(chunk))
            )
        return taken

    def candidates_for_definition(self, definition_id: int) -> builtins.list[DrawCandidate]:
        """Draw candidates for every instance of the definition (one query), ascending id."""
        check_lookup_key(definition_id, "definition id")
        statement = (
            select(*_CANDIDATE_COLUMNS)
            .where(nft_instances.c.definition_id == definition_id)
            .order_by(nft_instances.c.id)
        )
        return [_candidate_from_row(row) for row in self._rows(statement)]

    def update(self, instance: NFTInstance) -> None:
        """Write every field of a stored instance."""
        self._update_one(nft_instances, instance.id, _instance_values(instance), "instance")

    def update_many(self, instances: Sequence[NFTInstance]) -> None:
        """Write many stored instances with one ``executemany`` per chunk."""
        with self._atomic():
            for chunk in chunked(instances, self.chunk_size):
                rows = [(instance.id, _instance_values(instance)) for instance in chunk]
                self._update_many(nft_instances, rows, "instance")


# -- bingo cards ----------------------------------------------------------------------


def _card_values(card: BingoCard) -> dict[str, Any]:
    return {
        "user_id": card.user_id,
        "center_definition_id": card.center_definition_id,
        "period_id": card.period_id,
        "issued_at": card.issued_at,
        "start_time": card.start_time,
        "issuance_month": card.issuance_month,
        "completed_at": card.completed_at,
        "expiry": card.expiry,
        "state": card.state,
        "bingo_reward_claimed": card.bingo_reward_claimed,
    }


def _cell_values(cell: BingoCell, card_id: int | None) -> dict[str, Any]:
    return {
        "bingo_card_id": card_id,
        "idx": cell.idx,
        "target_definition_id": cell.target_definition_id,
        "definition_id": cell.definition_id,
        "matched_nft_instance_id": cell.matched_nft_instance_id,
        "state": cell.state,
        "unlocked_at": cell.unlocked_at,
    }


def _cell_from_row(row: RowMapping) -> BingoCell:
    return BingoCell(
        id=row["id"],
        bingo_card_id=row["bingo_card_id"],
        idx=row["idx"],
        target_definition_id=row["target_definition_id"],
        definition_id=row["definition_id"],
        matched_nft_instance_id=row["matched_nft_instance_id"],
        state=row["state"],
        unlocked_at=row["unlocked_at"],
    )


def _card_from_row(row: RowMapping, cells: builtins.list[BingoCell]) -> BingoCard:
    return BingoCard(
        id=row["id"],
        user_id=row["user_id"],
        center_definition_id=row["center_definition_id"],
        period_id=row["period_id"],
        issued_at=row["issued_at"],
        start_time=row["start_time"],
        issuance_month=row["issuance_month"],
        completed_at=row["completed_at"],
        expiry=row["expiry"],
        state=row["state"],
        bingo_reward_claimed=row["bingo_reward_claimed"],
        cells=cells,
    )


_CARD_COLUMNS: Final = tuple(_card_values(BingoCard(user_id=0, center_definition_id=0)))
_card_row: Callable[[BingoCard], tuple[Any, ...]] = attrgetter(*_CARD_COLUMNS)
_CELL_COLUMNS: Final = tuple(_cell_values(BingoCell(idx=0, target_definition_id=0), None))
_cell_row: Callable[[BingoCell], tuple[Any, ...]] = attrgetter(*_CELL_COLUMNS[1:])
"""A cell's values but its card id, in ``_CELL_COLUMNS`` order after ``bingo_card_id``."""
_CARD_KEY: Final = ("user_id", "center_definition_id")


@functools.cache
def _card_queries(
    column: str | None, dialect_name: str = "", among: bool = False
) -> tuple[Select[Any], Select[Any]]:
    """The cards (and their cells) whose ``column`` is the bound ``key`` (or among the bound
    ``keys`` with ``among``; every card when ``column`` is None), in id and idx order."""
    cards_query = select(bingo_cards).order_by(bingo_cards.c.id)
    cells_query = select(bingo_cells).order_by(bingo_cells.c.bingo_card_id, bingo_cells.c.idx)
    if column is not None:
        target = bingo_cards.c[column]
        card_filter = _among_keys(dialect_name, target) if among else target == bindparam("key")
        cards_query = cards_query.where(card_filter)
        matching = select(bingo_cards.c.id).where(card_filter)
        cells_query = cells_query.where(bingo_cells.c.bingo_card_id.in_(matching))
    return cards_query, cells_query


class SqlBingoCardRepository(SqlRepository, BingoCardRepository):
    """Bingo cards in ``bingo_cards`` with their cells in ``bingo_cells``."""

    def add(self, card: BingoCard) -> BingoCard:
        """Store a new card and its cells; assigns card and cell ids."""
        self.add_many([card])
        return card

    def add_many(self, cards: Sequence[BingoCard]) -> None:
        """Per chunk: one multi-row card insert, one cell ``executemany``, one id read-back;
        all or nothing."""
        for card in cards:
            _require_new(card, "bingo card")
            for cell in card.cells:
                _require_new(cell, "bingo cell")
        card_ids: builtins.list[int] = []
        cell_ids: dict[tuple[int, int], int] = {}
        cells = BulkStatements.of(self._connection().dialect, bingo_cells, _CELL_COLUMNS)
        with self._atomic():
            for chunk in chunked(cards, self.chunk_size):
                chunk_ids = self._insert_many(
                    bingo_cards, _CARD_COLUMNS, list(map(_card_row, chunk)), key=_CARD_KEY
                )
                card_ids.extend(chunk_ids)
                cell_rows = [
                    (card_id, *_cell_row(cell))
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

    def _load(
        self, queries: tuple[Select[Any], Select[Any]], params: Params = None
    ) -> builtins.list[BingoCard]:
        """The cards of ``queries`` (see ``_card_queries``, bound with ``params``),
        ascending id, with their cells in idx order: two queries."""
        cards_query, cells_query = queries
        card_rows = self._rows(cards_query, params)
        if not card_rows:
            return []
        cells: dict[int, builtins.list[BingoCell]] = {row["id"]: [] for row in card_rows}
        for row in self._rows(cells_query, params):
            # Under READ COMMITTED the cells query may see a card committed after the
            # cards query ran; such a card is not part of this answer.
            bucket = cells.get(row["bingo_card_id"])
            if bucket is not None:
                bucket.append(_cell_from_row(row))
        return [_card_from_row(row, cells[row["id"]]) for row in card_rows]

    def get(self, card_id: int) -> BingoCard | None:
        """The card with this id and its cells, or ``None``."""
        found = self._load(_card_queries("id"), {"key": card_id})
        return found[0] if found else None

    def list(self) -> builtins.list[BingoCard]:
        """Every card with its cells, ascending id."""
        return self._load(_card_queries(None))

    def list_for_user(self, user_id: int) -> builtins.list[BingoCard]:
        """The user's cards with cells, ascending id."""
        return self._load(_card_queries("user_id"), {"key": user_id})

    def list_for_users(self, user_ids: Collection[int]) -> builtins.list[BingoCard]:
        """The cards (with cells) of all these users: two queries per chunk of users."""
        found: builtins.list[BingoCard] = []
        queries = _card_queries("user_id", self._connection().dialect.name, among=True)
        for chunk in chunked(_distinct(user_ids), self.chunk_size):
            found.extend(self._load(queries, self._keys(chunk)))
        found.sort(key=lambda card: card.id or 0)
        return found

    def update(self, card: BingoCard) -> None:
        """Write the card's fields and every one of its cells."""
        self.update_many([card])

    def update_many(self, cards: Sequence[BingoCard]) -> None:
        """One card ``executemany`` and one cell ``executemany`` per chunk; all or nothing.

        Every cell given must be a stored cell of its card (else ``NotFoundError``);
        stored cells missing from ``card.cells`` keep their stored values.
        """
        with self._atomic():
            for chunk in chunked(cards, self.chunk_size):
                card_rows = [(card.id, _card_values(card)) for card in chunk]
                self._update_many(bingo_cards, card_rows, "bingo card")
                cell_rows = [
                    (cell.id, _cell_values(cell, card.id)) for card in chunk for cell in card.cells
                ]
                self._update_many(bingo_cells, cell_rows, "bingo cell", owner="bingo_card_id")

    def completed_line_candidates(self, now: datetime) -> builtins.list[DrawCandidate]:
        """One query: per live card the bitmask of its unlocked idx and of the cells on
        the lines that mask completes; the matched instances of those cells, each once,
        ascending id."""
        at = ensure_utc(now, "now")
        cards, cells = bingo_cards, bingo_cells
        live = or_(
            cards.c.state == CARD_COMPLETED,
            and_(cards.c.state == CARD_ACTIVE, or_(cards.c.expiry.is_(None), cards.c.expiry > at)),
        )
        unlocked = (
            select(
                cells.c.bingo_card_id.label("card_id"),
                func.sum(literal(1, Integer).bitwise_lshift(cells.c.idx)).label("mask"),
            )
            .select_from(cards.join(cells, cells.c.bingo_card_id == cards.c.id))
            .where(live, cells.c.state == CELL_UNLOCKED)
            .group_by(cells.c.bingo_card_id)
            .subquery("unlocked")
        )
        on_lines = [
            case((unlocked.c.mask.bitwise_and(line) == line, line), else_=0) for line in _LINE_MASKS
        ]
        covered_mask: ColumnElement[int] = on_lines[0]
        for line_bits in on_lines[1:]:
            covered_mask = covered_mask.bitwise_or(line_bits)
        covered = select(unlocked.c.card_id, covered_mask.label("covered")).subquery("covered")
        matched = (
            select(cells.c.matched_nft_instance_id)
            .select_from(covered.join(cells, cells.c.bingo_card_id == covered.c.card_id))
            .where(
                covered.c.covered != 0,
                covered.c.covered.bitwise_and(literal(1, Integer).bitwise_lshift(cells.c.idx)) != 0,
            )
        )
        statement = (
            select(*_CANDIDATE_COLUMNS)
            .where(nft_instances.c.id.in_(matched))
            .order_by(nft_instances.c.id)
        )
        return [
            DrawCandidate(
                instance_id=row[0],
                user_id=row[1],
                definition_id=row[2],
                nft_origin=row[3],
                status=row[4],
            )
            for row in self._stream(statement)
        ]


# -- draw types -----------------------------------------------------------------------


def _draw_type_values(draw_type: PrizeDrawType) -> dict[str, Any]:
    return {
        "internal_name": draw_type.internal_name,
        "display_name": draw_type.display_name,
        "description": draw_type.description,
        "algorithm_key": draw_type.algorithm_key,
        "default_threshold": draw_type.default_threshold,
        "created_at": draw_type.created_at,
        "updated_at": draw_type.updated_at,
    }


def _draw_type_from_row(row: RowMapping) -> PrizeDrawType:
    return PrizeDrawType(
        id=row["id"],
        internal_name=row["internal_name"],
        display_name=row["display_name"],
        description=row["description"],
        algorithm_key=row["algorithm_key"],
        default_threshold=row["default_threshold"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class SqlDrawTypeRepository(SqlRepository, DrawTypeRepository):
    """Prize draw types in ``prize_draw_types``."""

    def add(self, draw_type: PrizeDrawType) -> PrizeDrawType:
        """Store a new draw type; assigns ``id``."""
        _require_new(draw_type, "draw type")
        draw_type.id = self._insert_one(prize_draw_types, _draw_type_values(draw_type))
        return draw_type

    def get(self, draw_type_id: int) -> PrizeDrawType | None:
        """The draw type with this id, or ``None``."""
        row = self._one(_select_by(prize_draw_types, "id"), {"key": draw_type_id})
        return None if row is None else _draw_type_from_row(row)

    def list(self) -> builtins.list[PrizeDrawType]:
        """Every draw type, ascending id."""
        statement = select(prize_draw_types).order_by(prize_draw_types.c.id)
        return [_draw_type_from_row(row) for row in self._rows(statement)]

    def get_by_internal_name(self, internal_name: str) -> PrizeDrawType | None:
        """Lookup by exact, case-sensitive internal name."""
        check_lookup_key(internal_name, "internal_name")
        statement = select(prize_draw_types).where(
            prize_draw_types.c.internal_name == internal_name
        )
        row = self._one(statement)
        return None if row is None else _draw_type_from_row(row)


# -- winning numbers ------------------------------------------------------------------


def _winning_number_values(number: PrizeDrawWinningNumber) -> dict[str, Any]:
    return {
        "draw_type_id": number.draw_type_id,
        "value": number.value,
        "metadata_": number.metadata,
        "effective_at": number.effective_at,
        "expires_at": number.expires_at,
        "created_at": number.created_at,
    }


def _winning_number_from_row(row: RowMapping) -> PrizeDrawWinningNumber:
    return PrizeDrawWinningNumber(
        id=row["id"],
        draw_type_id=row["draw_type_id"],
        value=row["value"],
        metadata=row["metadata_"],
        effective_at=row["effective_at"],
        expires_at=row["expires_at"],
        created_at=row["created_at"],
    )


class SqlWinningNumberRepository(SqlRepository, WinningNumberRepository):
    """Winning numbers in ``prize_draw_winning_numbers``."""

    def add(self, winning_number: PrizeDrawWinningNumber) -> PrizeDrawWinningNumber:
        """Store a new winning number; assigns ``id``."""
        _require_new(winning_number, "winning number")
        values = _winning_number_values(winning_number)
        winning_number.id = self._insert_one(prize_draw_winning_numbers, values)
        return winning_number

    def get(self, winning_number_id: int) -> PrizeDrawWinningNumber | None:
        """The winning number with this id, or ``None``."""
        table = prize_draw_winning_numbers
        row = self._one(_select_by(table, "id"), {"key": winning_number_id})
        return None if row is None else _winning_number_from_row(row)

    def list(self) -> builtins.list[PrizeDrawWinningNumber]:
        """Every winning number, ascending id."""
        table = prize_draw_winning_numbers
        return [
            _winning_number_from_row(row) for row in self._rows(select(table).order_by(table.c.id))
        ]

    def list_for_draw_type(self, draw_type_id: int) -> builtins.list[PrizeDrawWinningNumber]:
        """The draw type's winning numbers, ascending id."""
        check_lookup_key(draw_type_id, "draw type id")
        table = prize_draw_winning_numbers
        statement = select(table).where(table.c.draw_type_id == draw_type_id).order_by(table.c.id)
        return [_winning_number_from_row(row) for row in self._rows(statement)]

    def latest_in_effect(self, draw_type_id: int, at: datetime) -> PrizeDrawWinningNumber | None:
        """In effect at ``at`` (half-open window), newest ``created_at``, then highest id."""
        moment = ensure_utc(at, "at")
        check_lookup_key(draw_type_id, "draw type id")
        table = prize_draw_winning_numbers
        statement = (
            select(table)
            .where(
                table.c.draw_type_id == draw_type_id,
                or_(table.c.effective_at.is_(None), table.c.effective_at <= moment),
                or_(table.c.expires_at.is_(None), table.c.expires_at > moment),
            )
            .order_by(table.c.created_at.desc(), table.c.id.desc())
            .limit(1)
        )
        row = self._one(statement)
        return None if row is None else _winning_number_from_row(row)


# -- draw results ---------------------------------------------------------------------


def _result_values(result: PrizeDrawResult) -> dict[str, Any]:
    return {
        "draw_type_id": result.draw_type_id,
        "winning_number_id": result.winning_number_id,
        "user_id": result.user_id,
        "definition_id": result.definition_id,
        "nft_instance_id": result.nft_instance_id,
        "draw_number": result.draw_number,
        "similarity_score": result.similarity_score,
        "draw_top_digits": result.draw_top_digits,
        "winning_top_digits": result.winning_top_digits,
        "threshold_used": result.threshold_used,
        "outcome": result.outcome,
        "evaluated_at": result.evaluated_at,
    }


def _result_from_row(row: RowMapping) -> PrizeDrawResult:
    return PrizeDrawResult(
        id=row["id"],
        draw_type_id=row["draw_type_id"],
        winning_number_id=row["winning_number_id"],
        user_id=row["user_id"],
        definition_id=row["definition_id"],
        nft_instance_id=row["nft_instance_id"],
        draw_number=row["draw_number"],
        similarity_score=row["similarity_score"],
        draw_top_digits=row["draw_top_digits"],
        winning_top_digits=row["winning_top_digits"],
        threshold_used=row["threshold_used"],
        outcome=row["outcome"],
        evaluated_at=row["evaluated_at"],
    )


_RESULT_COLUMNS: Final = tuple(
    _result_values(
        PrizeDrawResult(
            draw_type_id=0, user_id=0, definition_id=0, nft_instance_id=0, draw_number=""
        )
    )
)
_result_row: Callable[[PrizeDrawResult], tuple[Any, ...]] = attrgetter(*_RESULT_COLUMNS)


def _conflict_clause(scored: bool) -> str:
    """``ON CONFLICT`` on the partial unique key of scored or unscored results (§7.5):
    every column but ``id`` and ``draw_type_id`` takes the new value."""
    key = SCORED_RESULT_KEY if scored else UNSCORED_RESULT_KEY
    where = "IS NOT NULL" if scored else "IS NULL"
    assignments = ", ".join(f"{name} = excluded.{name}" for name in OVERWRITTEN_RESULT_COLUMNS)
    return (
        f"ON CONFLICT ({', '.join(key)}) WHERE winning_number_id {where} "
        f"DO UPDATE SET {assignments}"
    )


_RESULT_CONFLICT: Final = {scored: _conflict_clause(scored) for scored in (True, False)}

_RANKING = (
    prize_draw_results.c.similarity_score.desc(),
    prize_draw_results.c.nft_instance_id,
    prize_draw_results.c.id,
)


class SqlDrawResultRepository(SqlRepository, DrawResultRepository):
    """Prize draw results in ``prize_draw_results``."""

    def add(self, result: PrizeDrawResult) -> PrizeDrawResult:
        """Store a new result; assigns ``id``."""
        _require_new(result, "result")
        result.id = self._insert_one(prize_draw_results, _result_values(result))
        return result

    def get(self, result_id: int) -> PrizeDrawResult | None:
        """The result with this id, or ``None``."""
        row = self._one(_select_by(prize_draw_results, "id"), {"key": result_id})
        return None if row is None else _result_from_row(row)

    def list(self) -> builtins.list[PrizeDrawResult]:
        """Every result, ascending id."""
        statement = select(prize_draw_results).order_by(prize_draw_results.c.id)
        return [_result_from_row(row) for row in self._rows(statement)]

    def list_for_draw_type(
        self, draw_type_id: int, winning_number_id: int | None = None
    ) -> builtins.list[PrizeDrawResult]:
        """Results of the draw type, ascending id; of ``winning_number_id`` only when given."""
        check_lookup_keys((draw_type_id, winning_number_id), "id")
        table = prize_draw_results
        statement = select(table).where(table.c.draw_type_id == draw_type_id)
        if winning_number_id is not None:
            statement = statement.where(table.c.winning_number_id == winning_number_id)
        return [_result_from_row(row) for row in self._rows(statement.order_by(table.c.id))]

    def upsert_many(self, results: Sequence[PrizeDrawResult]) -> None:
        """Per chunk, one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` for scored
        results and one for unscored ones; all or nothing. Each result's ``id`` becomes
        the stored row's.

        When a key repeats inside the call, the last result of that key is written and
        every result of the key gets the row's id.
        """
        keys = list(map(_result_key, results))
        ids: dict[tuple[int, int, int | None], int] = {}
        with self._atomic():
            for start in range(0, len(results), self.chunk_size):
                chunk = results[start : start + self.chunk_size]
                chunk_keys = keys[start : start + self.chunk_size]
                for scored in (True, False):
                    latest = {
                        key: result
                        for key, result in zip(chunk_keys, chunk, strict=True)
                        if (key[2] is not None) == scored
                    }
                    if not latest:
                        continue
                    returned = self._bulk_insert(
                        prize_draw_results,
                        _RESULT_COLUMNS,
                        list(map(_result_row, latest.values())),
                        returning=("id", *SCORED_RESULT_KEY),
                        conflict=_RESULT_CONFLICT[scored],
                    )
                    ids.update(((row[1], row[2], row[3]), row[0]) for row in returned)
        for result, key in zip(results, keys, strict=True):
            result.id = ids[key]

    def top(
        self,
        draw_type_id: int,
        winning_number_id: int,
        *,
        limit: int,
        include_pending: bool = True,
        with_ties: bool = False,
    ) -> builtins.list[PrizeDrawResult]:
        """Scored results ranked by similarity desc, instance id, id; ``LIMIT limit``, or
        with ties every result scoring at least the ``limit``-th."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValidationError(f"limit must be an int >= 1, got {limit!r}")
        check_lookup_keys((draw_type_id, winning_number_id), "id")
        check_int_range(limit, "limit", minimum=1, maximum=INT64_MAX)
        table = prize_draw_results
        statement = select(table).where(
            *_scored_results(table, draw_type_id, winning_number_id, include_pending)
        )
        if not with_ties:
            statement = statement.order_by(*_RANKING).limit(limit)
        else:
            ranked = table.alias("ranked")
            cutoff = (
                select(ranked.c.similarity_score)
                .where(*_scored_results(ranked, draw_type_id, winning_number_id, include_pending))
                .order_by(ranked.c.similarity_score.desc(), ranked.c.nft_instance_id, ranked.c.id)
                .offset(limit - 1)
                .limit(1)
                .scalar_subquery()
            )
            statement = statement.where(
                or_(cutoff.is_(None), table.c.similarity_score >= cutoff)
            ).order_by(*_RANKING)
        return [_result_from_row(row) for row in self._rows(statement)]


_result_key: Callable[[PrizeDrawResult], tuple[int, int, int | None]] = attrgetter(
    *SCORED_RESULT_KEY
)


def _scored_results(
    table: Any, draw_type_id: int, winning_number_id: int, include_pending: bool
) -> builtins.list[ColumnElement[bool]]:
    conditions: builtins.list[ColumnElement[bool]] = [
        table.c.draw_type_id == draw_type_id,
        table.c.winning_number_id == winning_number_id,
        table.c.similarity_score.is_not(None),
    ]
    if not include_pending:
        conditions.append(table.c.outcome != OUTCOME_PENDING)
    return conditions


__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "SqlAdminRepository",
    "SqlBingoCardRepository",
    "SqlDefinitionRepository",
    "SqlDrawResultRepository",
    "SqlDrawTypeRepository",
    "SqlInstanceRepository",
    "SqlRepository",
    "SqlUserRepository",
    "SqlWinningNumberRepository",
    "chunked",
]
