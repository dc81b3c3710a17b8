"""Users in the ``users`` table."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Final, NoReturn

from sqlalchemy import Boolean, String, or_, select

from nictbw.adapters.sqlalchemy.bulk import BulkStatements, chunked, distinct_keys
from nictbw.adapters.sqlalchemy.mapping import USERS, user_values
from nictbw.adapters.sqlalchemy.repositories.base import TableRepository, require_new
from nictbw.adapters.sqlalchemy.statements import among_keys, select_among, select_by
from nictbw.adapters.sqlalchemy.tables import users
from nictbw.domain.entities import User, normalize_email
from nictbw.domain.errors import ConflictError, ValidationError
from nictbw.ports.repositories import UserRepository

UNIQUE_COLUMNS: Final = ("in_app_id", "email", "paymail", "on_chain_id")
"""The unique keys of a user besides its id, in the order a conflict names them."""

_COLUMNS: Final = tuple(user_values(User()))
_NO_CONFLICT: Final = "ON CONFLICT DO NOTHING"
_LOCK: Final = (
    select(users.c.id)
    .where(among_keys("postgresql", users.c.id))
    .order_by(users.c.id)
    .with_for_update(key_share=True)
)
"""``SELECT id FROM users WHERE id = ANY(:keys) ORDER BY id FOR NO KEY UPDATE``, built
once (PostgreSQL only)."""


def _column_rule(name: str) -> tuple[str, bool, int | None, bool]:
    column = users.c[name]
    kind = column.type
    length = kind.length if isinstance(kind, String) else None
    return name, bool(column.nullable), length, isinstance(kind, Boolean)


_RULES: Final = tuple(_column_rule(name) for name in _COLUMNS)
"""Per inserted column: name, nullable, maximum length (strings), whether a flag."""

_NOT_NULL: Final = tuple(p for p, (_, nullable, _, _) in enumerate(_RULES) if not nullable)
_LIMITED: Final = tuple((p, length) for p, (_, _, length, _) in enumerate(_RULES) if length)
_FLAGS: Final = tuple(p for p, (_, _, _, flag) in enumerate(_RULES) if flag)


def _check_storable(values: Sequence[Any]) -> None:
    """``ValidationError`` for what PostgreSQL would refuse in a users row (``values`` in
    ``_COLUMNS`` order) besides a taken key: a NULL where none may be, a string past its
    length, a non-bool flag. Checked before the insert, which then needs no savepoint: the
    only refusal left is a taken key, which ``ON CONFLICT DO NOTHING`` turns into an empty
    answer.

    Every add runs it, so the usual row passes three short sweeps over precomputed
    positions; only a row that fails one is examined column by column for the message.
    """
    fine = all(values[p] is not None for p in _NOT_NULL)
    for p, length in _LIMITED:
        value = values[p]
        if value is not None and (type(value) is not str or len(value) > length):
            fine = False
    for p in _FLAGS:
        value = values[p]
        if value is not None and value is not True and value is not False:
            fine = False
    if not fine:
        _refuse_unstorable(values)


def _refuse_unstorable(values: Sequence[Any]) -> None:
    """The ``ValidationError`` of :func:`_check_storable`, naming the first column at fault
    (returns when none is: a ``str`` subclass within its length)."""
    for (name, nullable, length, flag), value in zip(_RULES, values, strict=True):
        if value is None:
            if not nullable:
                raise ValidationError(f"users.{name} must not be null")
        elif length is not None:
            if not isinstance(value, str):
                raise ValidationError(f"users.{name} must be a string, got {value!r}")
            if len(value) > length:
                raise ValidationError(
                    f"users.{name} is longer than {length} characters: "
                    f"{name} has {len(value)} characters"
                )
        elif flag and not isinstance(value, bool):
            raise ValidationError(f"users.{name} must be a bool, got {value!r}")


class SqlUserRepository(TableRepository[User], UserRepository):
    """Users in the ``users`` table."""

    mapper = USERS

    def add(self, user: User) -> User:
        """Store a new user; a taken unique key -> ``ConflictError`` naming it.

        One cached ``INSERT ... ON CONFLICT DO NOTHING RETURNING id``: an empty answer
        means a key is taken (then one lookup names it). No savepoint is needed, on
        PostgreSQL either: what else the server could refuse is checked first.
        """
        require_new(user, "user")
        values = user_values(user)
        row = tuple(values.values())
        connection = self._connection()
        if connection.dialect.name == "postgresql":
            _check_storable(row)
        bulk = BulkStatements.of(connection.dialect, users, _COLUMNS)
        sql = bulk.insert_row(returning=("id",), conflict=_NO_CONFLICT)
        found, _ = self._on_cursor(sql, bulk.row(row), values)
        if not found:
            self._raise_taken([values])
        user.id = int(found[0][0])
        return user

    def add_many(self, new_users: Sequence[User]) -> None:
        """Store many new users, all or none: one multi-row insert per chunk inside one
        savepoint. A key taken by a stored user or repeated in ``new_users`` ->
        ``ConflictError`` naming the value; ids assigned in order."""
        for user in new_users:
            require_new(user, "user")
        rows = [user_values(user) for user in new_users]
        _refuse_repeats(rows)
        keys = [tuple(row[c] for c in UNIQUE_COLUMNS) for row in rows]
        keyed = [k for k, key in enumerate(keys) if any(v is not None for v in key)]
        keyless = [k for k, key in enumerate(keys) if all(v is None for v in key)]
        with self._atomic():
            returned = self._bulk_insert(
                users,
                _COLUMNS,
                [tuple(rows[k].values()) for k in keyed],
                returning=("id", *UNIQUE_COLUMNS),
                conflict=_NO_CONFLICT,
            )
            ids = {tuple(found[1:]): int(found[0]) for found in returned}
            if len(ids) < len(keyed):
                self._raise_taken([rows[k] for k in keyed if keys[k] not in ids])
            for k in keyed:
                new_users[k].id = ids[keys[k]]
            for k in keyless:
                self.add(new_users[k])

    def list_holding(self, keys: Mapping[str, Collection[str]]) -> list[User]:
        """The stored users holding one of ``keys`` (column name -> values), ascending
        id: one query per column and chunk of values."""
        found: dict[int, User] = {}
        dialect = self._connection().dialect.name
        for column, values in keys.items():
            if column not in UNIQUE_COLUMNS:
                raise ValidationError(
                    f"{column!r} is not a unique key of a user; use one of {UNIQUE_COLUMNS}"
                )
            statement = select_among(dialect, users, column)
            for chunk in chunked(distinct_keys(values), self.chunk_size):
                for row in self._rows(statement, self._keys(chunk)):
                    found.setdefault(int(row["id"]), self._from_row(row))
        return [found[user_id] for user_id in sorted(found)]

    def _raise_taken(self, refused: Sequence[Mapping[str, Any]]) -> NoReturn:
        """``ConflictError`` naming a key of ``refused`` (rows an insert skipped) that a
        stored user holds."""
        first = refused[0]
        keys = [(c, first[c]) for c in UNIQUE_COLUMNS if first[c] is not None]
        statement = select(users.c.id, *(users.c[c] for c in UNIQUE_COLUMNS)).where(
            or_(*(users.c[c] == value for c, value in keys))
        )
        for holder in self._rows(statement):
            for name, value in keys:
                if holder[name] == value:
                    raise ConflictError(
                        f"users.{name} {value!r} is already taken by user {holder['id']}"
                    )
        shown = ", ".join(f"{c} {v!r}" for c, v in keys) or "no unique key"
        raise ConflictError(f"user with {shown} was refused: a unique key is taken")

    def _by_column(self, column: str, value: str | None) -> User | None:
        if value is None:
            return None
        row = self._one(select_by(users, column), {"key": value})
        return None if row is None else self._from_row(row)

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
        for chunk in chunked(distinct_keys(user_ids), self.chunk_size):
            self._fetch(_LOCK, self._keys(chunk))


def _refuse_repeats(rows: Sequence[Mapping[str, Any]]) -> None:
    """``ConflictError`` naming a unique value given to two of the new users."""
    for name in UNIQUE_COLUMNS:
        seen: set[Any] = set()
        for row in rows:
            value = row[name]
            if value is None:
                continue
            if value in seen:
                raise ConflictError(f"users.{name} {value!r} is given to two of the new users")
            seen.add(value)


__all__ = ["UNIQUE_COLUMNS", "SqlUserRepository"]
