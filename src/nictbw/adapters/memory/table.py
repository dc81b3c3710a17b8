"""One in-memory table: stored entity copies by id, unique keys, indexes and an undo journal.

A table enforces what a database table would, at the moment of the write: NOT NULL,
CHECK, foreign keys, UNIQUE (a key that is ``None`` never collides, like SQL NULLs).
Every write appends to a journal the operation that reverts it, so a unit of work can
roll back by replaying the journal in reverse.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any, Generic, Protocol, TypeVar, cast

import attrs

from nictbw.domain.errors import ConflictError, NotFoundError, ValidationError
from nictbw.domain.timeutil import as_utc

Journal = list[Callable[[], None]]


class Entity(Protocol):
    """What every stored entity has: an ``id`` the table assigns."""

    id: int | None


E = TypeVar("E", bound=Entity)

KeyFunc = Callable[[Any], Hashable | None]


def copy_json(value: Any) -> Any:
    """A deep copy of a JSON-shaped value (dicts, lists, scalars)."""
    if isinstance(value, dict):
        return {key: copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_json(item) for item in value]
    return value


def make_copier(
    cls: type[E], *, json_fields: Iterable[str] = (), skip: Iterable[str] = ()
) -> Callable[[E], E]:
    """A fast field-by-field copier of the attrs class ``cls``.

    ``json_fields`` are deep-copied with :func:`copy_json`; ``skip`` fields keep their
    defaults. The function is generated once per class because copying is the hot path
    of every read and write (a generated constructor call is about three times faster
    than ``attrs.evolve``).
    """
    json_set = set(json_fields)
    skipped = set(skip)
    arguments = []
    for field in attrs.fields(cast(Any, cls)):
        if field.name in skipped:
            continue
        if field.name in json_set:
            arguments.append(f"{field.name}=copy_json(source.{field.name})")
        else:
            arguments.append(f"{field.name}=source.{field.name}")
    code = f"def copy(source):\n    return cls({', '.join(arguments)})\n"
    namespace: dict[str, Any] = {"cls": cls, "copy_json": copy_json}
    exec(code, namespace)
    copier: Callable[[E], E] = namespace["copy"]
    copier.__doc__ = f"A copy of a {cls.__name__}."
    return copier


def normalise_json(row: object, names: Sequence[str], table: str) -> None:
    """Replace the JSON fields ``names`` of ``row`` by what JSON text would give back.

    Tuples become lists and keys become strings, as when a SQL database stores the value
    as JSON text; a value JSON cannot represent is a ``ValidationError``.
    """
    for name in names:
        value = getattr(row, name)
        if value is None:
            continue
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError) as error:
            raise ValidationError(f"{table}.{name} {value!r} is not JSON: {error}") from None
        setattr(row, name, json.loads(text))


def normalise_datetimes(row: object, names: Sequence[str]) -> None:
    """Convert the datetime fields ``names`` of ``row`` to UTC in place (naive read as UTC)."""
    for name in names:
        value: datetime | None = getattr(row, name)
        if value is not None and value.tzinfo is not UTC:
            setattr(row, name, as_utc(value))


@attrs.define
class UniqueKey:
    """A UNIQUE constraint: ``key(row)`` is the key, ``None`` when the row does not take part."""

    name: str
    key: KeyFunc
    owners: dict[Hashable, int] = attrs.field(factory=dict)


@attrs.define
class Index:
    """A non-unique index: key -> ids.

    A key held by one row maps to its id; a key held by several maps to an
    insertion-ordered set of ids. Most keys of a nearly unique column (origins) stay
    a plain int, which keeps the index small with a million rows.
    """

    key: KeyFunc
    members: dict[Hashable, int | dict[int, None]] = attrs.field(factory=dict)

    def add(self, key: Hashable | None, row_id: int) -> None:
        """Record ``row_id`` under ``key`` (``None`` keys are not indexed)."""
        if key is None:
            return
        members = self.members
        found = members.get(key)
        if found is None:
            members[key] = row_id
        elif isinstance(found, int):
            members[key] = {found: None, row_id: None}
        else:
            found[row_id] = None

    def discard(self, key: Hashable | None, row_id: int) -> None:
        """Forget ``row_id`` under ``key``."""
        if key is None:
            return
        members = self.members
        found = members.get(key)
        if isinstance(found, int):
            if found == row_id:
                del members[key]
        elif found is not None:
            found.pop(row_id, None)
            if not found:
                del members[key]

    def ids(self, key: Hashable | None) -> list[int]:
        """The ids under ``key``, ascending."""
        found = self.members.get(key) if key is not None else None
        if found is None:
            return []
        if isinstance(found, int):
            return [found]
        return sorted(found)

    def ids_of_many(self, keys: Iterable[Hashable | None]) -> list[int]:
        """The ids under any of ``keys``, ascending, each once."""
        members = self.members
        ids: set[int] = set()
        for key in keys:
            found = members.get(key) if key is not None else None
            if found is None:
                continue
            if isinstance(found, int):
                ids.add(found)
            else:
                ids.update(found)
        return sorted(ids)


@attrs.define
class ForeignKey:
    """A reference from ``column`` to the ids of ``target`` (``None`` references nothing)."""

    column: str
    target: Table[Any]


class Table(Generic[E]):
    """Stored copies of one entity type with their constraints and indexes."""

    def __init__(
        self,
        name: str,
        *,
        copy: Callable[[E], E],
        not_null: Sequence[str] = (),
        datetimes: Sequence[str] = (),
        json_fields: Sequence[str] = (),
        checks: Sequence[Callable[[E], None]] = (),
        foreign_keys: Sequence[ForeignKey] = (),
        uniques: Sequence[UniqueKey] = (),
        indexes: dict[str, Index] | None = None,
        on_id: Callable[[E], None] | None = None,
    ) -> None:
        self.name = name
        self.copy = copy
        self.rows: dict[int, E] = {}
        self.next_id = 1
        self._not_null = tuple(not_null)
        self._datetimes = tuple(datetimes)
        self._json_fields = tuple(json_fields)
        self._checks = tuple(checks)
        self._foreign_keys = tuple(foreign_keys)
        self._uniques = tuple(uniques)
        self._unique_by_name = {unique.name: unique for unique in self._uniques}
        self.indexes = dict(indexes or {})
        self._on_id = on_id

    # -- reading -------------------------------------------------------------------------

    def read(self, row_id: int) -> E | None:
        """A copy of the row with ``row_id``, or ``None``."""
        row = self.rows.get(row_id)
        return None if row is None else self.copy(row)

    def read_many(self, ids: Iterable[int]) -> list[E]:
        """Copies of the stored rows among ``ids``, in the order given."""
        rows = self.rows
        copy = self.copy
        return [copy(rows[i]) for i in ids if i in rows]

    def read_all(self) -> list[E]:
        """Copies of every row, ascending id."""
        copy = self.copy
        return [copy(row) for row in self.rows.values()]

    def owners(self, unique: str) -> dict[Hashable, int]:
        """The key -> id map of the unique key named ``unique`` (read it, never write it)."""
        return self._unique_by_name[unique].owners

    def owner(self, unique: str, key: Hashable) -> int | None:
        """The id holding ``key`` in the unique key named ``unique``."""
        return self._unique_by_name[unique].owners.get(key)

    # -- writing -------------------------------------------------------------------------

    def prepare(self, entity: E) -> E:
        """A storable copy of ``entity``: datetimes in UTC, JSON fields as JSON gives them."""
        row = self.copy(entity)
        normalise_datetimes(row, self._datetimes)
        normalise_json(row, self._json_fields, self.name)
        return row

    def validate(self, row: E) -> None:
        """Raise unless ``row`` satisfies NOT NULL, CHECK and FOREIGN KEY constraints."""
        for column in self._not_null:
            if getattr(row, column) is None:
                raise ValidationError(f"{self.name}.{column} must not be null (row {row.id})")
        for check in self._checks:
            check(row)
        for fk in self._foreign_keys:
            value = getattr(row, fk.column)
            if value is not None and value not in fk.target.rows:
                raise ConflictError(
                    f"{self.name}.{fk.column} {value!r} references no {fk.target.name} row"
                )

    def insert_many(self, rows: Sequence[E], journal: Journal) -> None:
        """Assign ids to the prepared ``rows`` and store them; all or nothing."""
        if not rows:
            return
        first = self.next_id
        ids = range(first, first + len(rows))
        uniques = self._uniques
        batch: list[dict[Hashable, int]] = [{} for _ in uniques]
        keys: list[list[Hashable | None]] = []
        for row_id, row in zip(ids, rows, strict=True):
            row.id = row_id
            if self._on_id is not None:
                self._on_id(row)
            self.validate(row)
            row_keys = [unique.key(row) for unique in uniques]
            for unique, taken, key in zip(uniques, batch, row_keys, strict=True):
                if key is not None:
                    if key in unique.owners or key in taken:
                        raise self._taken(unique, key)
                    taken[key] = row_id
            keys.append(row_keys)
        stored = self.rows
        indexes = list(self.indexes.values())
        for row_id, row, row_keys in zip(ids, rows, keys, strict=True):
            stored[row_id] = row
            for unique, key in zip(uniques, row_keys, strict=True):
                if key is not None:
                    unique.owners[key] = row_id
            for index in indexes:
                index.add(index.key(row), row_id)
        self.next_id = first + len(rows)
        journal.append(partial(self._undo_insert, list(ids), first))

    def replace(self, row: E, journal: Journal) -> E:
        """Overwrite the stored row with the id of the prepared ``row``; returns the old row."""
        row_id = row.id
        old = self.rows.get(row_id) if row_id is not None else None
        if old is None or row_id is None:
            raise NotFoundError(f"{self.name} row {row_id!r} is not stored")
        self.validate(row)
        for unique in self._uniques:
            key = unique.key(row)
            if key is None or key == unique.key(old):
                continue
            holder = unique.owners.get(key)
            if holder is not None and holder != row_id:
                raise self._taken(unique, key)
        self._swap(old, row)
        journal.append(partial(self._swap, row, old))
        return old

    # -- internals -----------------------------------------------------------------------

    def _taken(self, unique: UniqueKey, key: Hashable) -> ConflictError:
        return ConflictError(f"{self.name} {unique.name} {key!r} is already taken")

    def _swap(self, old: E, new: E) -> None:
        row_id = old.id
        assert row_id is not None
        for unique in self._uniques:
            old_key, new_key = unique.key(old), unique.key(new)
            if old_key != new_key:
                if old_key is not None:
                    del unique.owners[old_key]
                if new_key is not None:
                    unique.owners[new_key] = row_id
        for index in self.indexes.values():
            old_key, new_key = index.key(old), index.key(new)
            if old_key != new_key:
                index.discard(old_key, row_id)
                index.add(new_key, row_id)
        self.rows[row_id] = new

    def _undo_insert(self, ids: list[int], first: int) -> None:
        for row_id in reversed(ids):
            row = self.rows.pop(row_id)
            for unique in self._uniques:
                key = unique.key(row)
                if key is not None:
                    del unique.owners[key]
            for index in self.indexes.values():
                index.discard(index.key(row), row_id)
        self.next_id = first
