"""SQLite updates by id that leave out the indexed columns a row does not change.

SQLite maintains every index, unique key and foreign key whose column is in an
``UPDATE``'s ``SET`` list, whether or not the value changes: writing a stored instance
back with its origin, owner and definition unchanged re-enters the row in its five
indexes and checks its two foreign keys. Measured on the simulation's database, 7,000
instance rows written with every column took 0.34 s, with those columns left out 0.035 s.

So an update by id on SQLite first reads the stored values of the *maintained* columns
(:func:`maintained_columns`) of the rows of a call (one statement; callers send a chunk
per call), then writes them with one ``executemany`` that sets the columns SQLite does
not maintain and only those maintained columns that some row of the call changes (the
sync filling in origins writes the origin but not the owner, definition, serial or
unique id; cards whose cells alone change write none of their keys). A chunk thus still
costs a fixed number of statements. Values are compared as the driver holds them (the
new values after the columns' bind processors, the stored ones as read), type and value,
so a column is left out only when every row would write what is stored: the stored rows
are the same either way.

PostgreSQL is left as it is: it compares old and new values itself (heap-only updates,
foreign-key checks only for changed keys).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Column, ForeignKeyConstraint, Select, Table, UniqueConstraint, select
from sqlalchemy.sql import visitors

from nictbw.adapters.sqlalchemy.statements import among_keys


def _columns_in(expression: Any) -> set[str]:
    """The names of the table columns an index expression or predicate reads."""
    if expression is None:
        return set()
    return {
        str(element.name) for element in visitors.iterate(expression) if isinstance(element, Column)
    }


@functools.cache
def maintained_columns(table: Table) -> frozenset[str]:
    """The keys of ``table``'s columns SQLite does more than store when an update writes
    them: those of an index (columns, expressions and a partial index's predicate), a
    unique key, a foreign key or the primary key."""
    names: set[str] = {str(column.name) for column in table.primary_key.columns}
    for index in table.indexes:
        for expression in index.expressions:
            names |= _columns_in(expression)
        for dialect in ("sqlite", "postgresql"):
            names |= _columns_in(index.dialect_options[dialect].get("where"))
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint | ForeignKeyConstraint):
            names |= {str(column.name) for column in constraint.columns}
    return frozenset(str(column.key) for column in table.c if str(column.name) in names)


@functools.cache
def stored_values_query(table: Table, columns: tuple[str, ...]) -> Select[Any]:
    """``SELECT id, <columns> FROM table WHERE id`` among the bound ``keys`` (SQLite)."""
    return select(table.c.id, *(table.c[key] for key in columns)).where(
        among_keys("sqlite", table.c.id)
    )


def changed_positions(
    values: Sequence[Sequence[Any]],
    ids: Sequence[int],
    positions: Sequence[int],
    stored: Mapping[int, Sequence[Any]],
) -> list[int]:
    """The members of ``positions`` at which some row of ``values`` differs (type or
    value) from the ``stored`` row of its id, in order; rows not stored count for none
    (their update finds no row, which the caller reports)."""
    changed: set[int] = set()
    for row, row_id in zip(values, ids, strict=True):
        old = stored.get(row_id)
        if old is None:
            continue
        for position, was in zip(positions, old, strict=True):
            new = row[position]
            if position not in changed and not (type(was) is type(new) and was == new):
                changed.add(position)
        if len(changed) == len(positions):
            break
    return [position for position in positions if position in changed]


__all__ = ["changed_positions", "maintained_columns", "stored_values_query"]
