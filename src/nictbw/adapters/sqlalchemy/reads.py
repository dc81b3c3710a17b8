"""Reads of statements built once, sent as SQL text on the driver's cursor.

A per-user read returns a handful of rows, and SQLAlchemy's per-execution and per-row
machinery costs more than the database spends finding them; :class:`DriverRead` works
out once what that machinery works out on every call. The repositories run it through
``SqlRepository._fetch`` (``repositories/base.py``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from sqlalchemy import Select
from sqlalchemy.engine import Dialect


class DriverRead:
    """A read statement built once (see ``statements``), compiled once per dialect and
    sent as SQL text, its rows decoded without a result object per row.

    A per-user read returns a handful of rows, and SQLAlchemy's per-execution and per-row
    machinery (cache key and compiled-cache lookup, parameter processing, a result with
    its metadata and row processors) costs more than the database spends finding them.
    Here the SQL text, the order of the parameters, and each column's result processor
    (the same conversion SQLAlchemy applies, so values are identical) are worked out once;
    a read runs on a cursor of the connection's own driver connection, in its transaction,
    through the connection's cursor-execution step (see ``SqlRepository._fetch``), and
    fetches every row at once.
    """

    _made: ClassVar[dict[tuple[Any, ...], DriverRead]] = {}

    def __init__(self, statement: Select[Any], dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        if compiled.escaped_bind_names or compiled.literal_execute_params:
            raise ValueError("a driver read takes plain bound parameters only")
        self.sql = compiled.string
        self.names: tuple[str, ...] = tuple(compiled.binds)
        self.positional = compiled.positional
        if self.positional:
            self.names = tuple(compiled.positiontup or ())
        self._bind: dict[str, Callable[[Any], Any]] = {}
        for name in self.names:
            process = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                self._bind[name] = process
        # Interned, as the names in code are: a dict made of a row and read by a name
        # in code, or passed as keywords, then matches keys by identity, not characters.
        self.keys = tuple(sys.intern(str(column.key)) for column in statement.selected_columns)
        self._types = tuple(column.type for column in statement.selected_columns)
        self.decoders: tuple[tuple[int, Callable[[Any], Any]], ...] | None = None
        """The columns' result processors by position, once the first read described its
        columns (some processors depend on the driver's type codes, as in SQLAlchemy; the
        tables' column types are fixed by the schema, so they do not change)."""
        self._spans: dict[tuple[int, int], tuple[tuple[int, Callable[[Any], Any]], ...]] = {}

    def describe(self, dialect: Dialect, description: Sequence[Sequence[Any]]) -> None:
        """Set :attr:`decoders` from a cursor ``description`` of this read."""
        codes = [entry[1] for entry in description]
        self._spans = {}
        self.decoders = tuple(
            (position, process)
            for position, (kind, code) in enumerate(zip(self._types, codes, strict=True))
            if (process := kind.dialect_impl(dialect).result_processor(dialect, code)) is not None
        )

    @classmethod
    def of(cls, statement: Select[Any], dialect: Dialect) -> DriverRead:
        """The (cached) read of ``statement``, a statement built once, for ``dialect``."""
        key = (type(dialect), dialect.paramstyle, statement)
        made = cls._made.get(key)
        if made is None:
            made = cls._made[key] = cls(statement, dialect)
        return made

    def parameters(self, params: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        """The driver parameters of ``params`` (bound values by name)."""
        bind = self._bind
        if self.positional:
            return tuple(
                bind[name](params[name]) if name in bind else params[name] for name in self.names
            )
        return {
            name: bind[name](params[name]) if name in bind else params[name] for name in self.names
        }

    def decode(
        self, rows: Sequence[Sequence[Any]], start: int = 0, stop: int | None = None
    ) -> list[list[Any]]:
        """The columns ``start:stop`` of the driver's ``rows`` as lists of values, each
        column converted as SQLAlchemy converts it (:meth:`describe` first)."""
        end = len(self.keys) if stop is None else stop
        decoders = self._span(start, end)
        decoded: list[list[Any]] = []
        for row in rows:
            values = list(row[start:end])
            for position, process in decoders:
                value = values[position]
                if value is not None:  # every result processor keeps NULL as None
                    values[position] = process(value)
            decoded.append(values)
        return decoded

    def _span(self, start: int, end: int) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
        """The processors of the columns ``start:end``, by position within the span
        (worked out once per span: a read of cards decodes each card's columns apart)."""
        span = self._spans.get((start, end))
        if span is None:
            span = tuple(
                (position - start, process)
                for position, process in self.decoders or ()
                if start <= position < end
            )
            if self.decoders is not None:
                self._spans[(start, end)] = span
        return span


__all__ = ["DriverRead"]
