"""Translation of database errors into the nictbw error hierarchy.

Unique and foreign-key violations become ``ConflictError``; CHECK, NOT NULL and
out-of-range values become ``ValidationError``; SQLite "database is locked" and the
PostgreSQL serialization failure, deadlock and lock timeout become ``ConflictError``
(a concurrent change won). Anything else is left to propagate unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import String, Table
from sqlalchemy.exc import DataError, DBAPIError, StatementError

from nictbw.adapters.sqlalchemy.tables import metadata
from nictbw.domain.errors import ConflictError, NictbwError, ValidationError
from nictbw.domain.messages import shown

_PG_UNIQUE = "23505"
_PG_FOREIGN_KEY = "23503"
_PG_TOO_LONG = "22001"
_PG_VALIDATION = frozenset({"23502", "23514", "22003", "22P02"})
"""not-null, check, numeric out of range, invalid text representation."""
_PG_CONCURRENCY = {
    "40001": "serialization failure",
    "40P01": "deadlock",
    "55P03": "lock timeout",
}

_REFERENCING = frozenset(
    column.key
    for table in metadata.tables.values()
    for column in table.columns
    if column.foreign_keys
)
"""Columns that refer to another table's rows."""

_SQLITE_COLUMNS = re.compile(r"constraint failed: (?P<columns>[\w., ]+)")


def translate_error(
    exc: StatementError, values: Mapping[str, Any] | None = None
) -> NictbwError | None:
    """The nictbw error that ``exc`` stands for, or ``None`` when it is not one of ours.

    ``values`` (column name -> value of the failed row, when known) lets a SQLite unique
    violation name the taken value, as PostgreSQL does by itself.
    """
    orig = exc.orig
    if isinstance(orig, NictbwError):
        return orig
    if isinstance(orig, (TypeError, ValueError, OverflowError)) and not isinstance(exc, DBAPIError):
        return ValidationError(f"value not storable: {orig}")
    if not isinstance(exc, DBAPIError) or orig is None:
        return None
    sqlstate = getattr(orig, "sqlstate", None)
    if isinstance(sqlstate, str):
        translated = _translate_postgres(sqlstate, orig, values)
    else:
        translated = _translate_sqlite(
            orig, exc.params if isinstance(exc.params, Mapping) else values
        )
    if translated is None and isinstance(exc, DataError):
        return ValidationError(f"value not storable: {str(orig).strip()}")
    return translated


def _translate_postgres(
    sqlstate: str, orig: BaseException, values: Mapping[str, Any] | None
) -> NictbwError | None:
    diag = getattr(orig, "diag", None)
    constraint = getattr(diag, "constraint_name", None)
    detail = getattr(diag, "message_detail", None)
    primary = getattr(diag, "message_primary", None) or str(orig).strip()
    where = f" (constraint {constraint})" if constraint else ""
    if sqlstate == _PG_UNIQUE:
        return ConflictError(f"{detail or primary}{where}")
    if sqlstate == _PG_FOREIGN_KEY:
        return ConflictError(f"{detail or primary}{where}")
    if sqlstate == _PG_TOO_LONG:
        return ValidationError(f"{primary}{_too_long(primary, values)}")
    if sqlstate in _PG_VALIDATION:
        # The message names the column or constraint; the detail ("Failing row
        # contains ...") would echo every column, secrets included, so it is left out.
        return ValidationError(primary)
    if sqlstate in _PG_CONCURRENCY:
        return ConflictError(
            f"concurrent change: {_PG_CONCURRENCY[sqlstate]} ({primary}); retry the operation"
        )
    return None


def _too_long(message: str, values: Mapping[str, Any] | None) -> str:
    """``": in_app_id has 101 characters"`` for the values longer than the limit named."""
    limit = re.search(r"\((\d+)\)", message)
    if limit is None or not values:
        return ""
    longest = int(limit.group(1))
    over = [
        f"{name} has {len(value)} characters"
        for name, value in values.items()
        if isinstance(value, str) and len(value) > longest
    ]
    return f": {', '.join(over)}" if over else ""


def _translate_sqlite(orig: BaseException, params: Any) -> NictbwError | None:
    name = str(getattr(orig, "sqlite_errorname", ""))
    message = str(orig)
    if name in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY") or message.startswith(
        "UNIQUE constraint failed"
    ):
        return ConflictError(_sqlite_unique_message(message, params))
    if name == "SQLITE_CONSTRAINT_FOREIGNKEY" or message.startswith("FOREIGN KEY"):
        references = ""
        if isinstance(params, Mapping):
            shown = [f"{k}={v!r}" for k, v in params.items() if k in _REFERENCING and v is not None]
            references = f"; the row refers to {', '.join(shown)}" if shown else ""
        return ConflictError(f"a referenced row does not exist ({message}{references})")
    if name in ("SQLITE_CONSTRAINT_CHECK", "SQLITE_CONSTRAINT_NOTNULL") or message.startswith(
        ("CHECK constraint failed", "NOT NULL constraint failed")
    ):
        return ValidationError(message)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in message:
        return ConflictError(f"concurrent change: {message}; retry the operation")
    return None


def _sqlite_unique_message(message: str, params: Any) -> str:
    """``users.email 'a@b.c' is already taken`` when the value is known from the statement."""
    found = _SQLITE_COLUMNS.search(message)
    if found is None:
        return message
    columns = [part.strip() for part in found.group("columns").split(",")]
    if isinstance(params, Mapping):
        names = [column.rsplit(".", 1)[-1] for column in columns]
        if all(n in params for n in names):
            values = ", ".join(repr(params[n]) for n in names)
            return f"{', '.join(columns)} {values} is already taken"
    return f"{', '.join(columns)} is already taken ({message})"


def name_overlong(
    table: Table, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]], error: Exception
) -> None:
    """Raise a ``ValidationError`` naming the first value of ``rows`` longer than its
    column allows, from ``error`` (the server's refusal, which names only the type); return
    when no value is too long."""
    limits = [
        (position, key, column_type.length)
        for position, key in enumerate(columns)
        if isinstance(column_type := table.c[key].type, String) and column_type.length
    ]
    for row in rows:
        for position, key, length in limits:
            value = row[position]
            if isinstance(value, str) and len(value) > length:
                raise ValidationError(
                    f"{table.name}.{key} has {len(value)} characters, at most {length} "
                    f"allowed: {shown(value)}"
                ) from error


__all__ = ["name_overlong", "translate_error"]
