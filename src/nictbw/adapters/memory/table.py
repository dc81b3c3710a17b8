"""One in-memory table: stored entity copies by id, unique keys, indexes and an undo journal.

A table enforces what a database table would, at the moment of the write: NOT NULL,
CHECK, foreign keys, UNIQUE (a key that is ``None`` never collides, like SQL NULLs).
Every write appends to a journal the operation that reverts it, so a unit of work can
roll back by replaying the journal in reverse.

Over 500 lines on purpose: the constraints, the indexes and the undo journal change the same
rows in one step each; apart, every write would have to be kept in step across modules.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterable, MutableMapping, Sequence
from datetime import UTC, datetime
from functools import partial
from operator import attrgetter
from typing import Any, Generic, NoReturn, Protocol, TypeVar, cast

import attrs

from nictbw.domain.errors import ConflictError, NictbwError, NotFoundError, ValidationError
from nictbw.domain.timeutil import as_utc
from nictbw.domain.values import check_lookup_key, check_lookup_keys

Journal = list[Callable[[], None]]


class Entity(Protocol):
    """What every stored entity has: an ``id`` the table assigns."""

    id: int | None


E = TypeVar("E", bound=Entity)

KeyFunc = Callable[[Any], Hashable | None]

_FACTORY: type = type(attrs.Factory(list))


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
    of every read and write. A copy of a stored value needs no converter or validator
    again, so for a class that runs none on assignment (a plain slotted attrs class) the
    copy is allocated with ``object.__new__`` and its slots are filled directly, about
    four times faster than calling the constructor; otherwise the constructor is called.
    """
    json_set = set(json_fields)
    skipped = set(skip)
    fields = attrs.fields(cast(Any, cls))
    namespace: dict[str, Any] = {"cls": cls, "copy_json": copy_json, "new": object.__new__}

    def value_of(name: str) -> str:
        return f"copy_json(source.{name})" if name in json_set else f"source.{name}"

    plain = cls.__setattr__ is object.__setattr__ and "__attrs_post_init__" not in vars(cls)
    if plain:
        lines = ["def copy(source):", "    copied = new(cls)"]
        for field in fields:
            if field.name not in skipped:
                lines.append(f"    copied.{field.name} = {value_of(field.name)}")
            elif field.default is attrs.NOTHING:
                raise ValueError(f"{cls.__name__}.{field.name} has no default to skip to")
            elif isinstance(field.default, _FACTORY):
                namespace[f"factory_{field.name}"] = cast(Any, field.default).factory
                lines.append(f"    copied.{field.name} = factory_{field.name}()")
            else:
                namespace[f"default_{field.name}"] = field.default
                lines.append(f"    copied.{field.name} = default_{field.name}")
        lines.append("    return copied")
        code = "\n".join(lines) + "\n"
    else:
        arguments = [f"{f.name}={value_of(f.name)}" for f in fields if f.name not in skipped]
        code = f"def copy(source):\n    return cls({', '.join(arguments)})\n"
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
    owners: MutableMapping[Hashable, int] = attrs.field(factory=dict)


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

    def add_many(self, keys: Iterable[Hashable | None], ids: Iterable[int]) -> None:
        """Record each id under its key (``add`` for many rows).

        Rows stored together often share a key (a draw's results share their draw type
        and winning number), so a run of one key is looked up once.
        """
        members = self.members
        run_key: Hashable | None = None
        run: dict[int, None] | None = None
        for key, row_id in zip(keys, ids, strict=True):
            if key is None:
                continue
            if run is not None and key == run_key:
                run[row_id] = None
                continue
            found = members.get(key)
            if found is None:
                members[key] = row_id
                run = None
            elif isinstance(found, int):
                run = members[key] = {found: None, row_id: None}
                run_key = key
            else:
                found[row_id] = None
                run, run_key = found, key

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
        check_lookup_key(key)
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
        keys = list(keys)
        check_lookup_keys(keys)
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
        self.rows: MutableMapping[int, E] = {}
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
        check_lookup_key(row_id, "id")
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

    def owners(self, unique: str) -> MutableMapping[Hashable, int]:
        """The key -> id map of the unique key named ``unique`` (read it, never write it)."""
        return self._unique_by_name[unique].owners

    def owner(self, unique: str, key: Hashable) -> int | None:
        """The id holding ``key`` in the unique key named ``unique``."""
        check_lookup_key(key, unique)
        return self._unique_by_name[unique].owners.get(key)

    # -- writing -------------------------------------------------------------------------

    def prepare(self, entity: E) -> E:
        """A storable copy of ``entity``: datetimes in UTC, JSON fields as JSON gives them."""
        row = self.copy(entity)
        normalise_datetimes(row, self._datetimes)
        normalise_json(row, self._json_fields, self.name)
        return row

    def prepare_many(self, entities: Iterable[E]) -> list[E]:
        """``prepare`` for many entities, the datetime fields checked column by column."""
        rows = list(map(self.copy, entities))
        for name in self._datetimes:
            for row, value in zip(rows, map(attrgetter(name), rows), strict=True):
                if value is not None and value.tzinfo is not UTC:
                    setattr(row, name, as_utc(value))
        if self._json_fields:
            for row in rows:
                normalise_json(row, self._json_fields, self.name)
        return rows

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

    def _all_valid(self, rows: Sequence[E]) -> bool:
        """True when every row passes :meth:`validate`, checked column by column.

        False says some row fails; the caller then validates row by row, so the error
        raised is exactly the one the first failing row gives.
        """
        for column in self._not_null:
            if None in list(map(attrgetter(column), rows)):
                return False
        try:
            for check in self._checks:
                for row in rows:
                    check(row)
        except NictbwError:
            return False
        for fk in self._foreign_keys:
            values = set(map(attrgetter(fk.column), rows))
            values.discard(None)
            if not all(map(fk.target.rows.__contains__, values)):
                return False
        return True

    def _fresh_keys(self, rows: Sequence[E]) -> list[list[Hashable | None]] | None:
        """Per unique key, the keys of ``rows`` when none is taken or repeated; else None."""
        found: list[list[Hashable | None]] = []
        for unique in self._uniques:
            keys = list(map(unique.key, rows))
            present = [key for key in keys if key is not None]
            distinct = set(present)
            if len(distinct) != len(present) or any(map(unique.owners.__contains__, distinct)):
                return None
            found.append(keys)
        return found

    def insert_many(self, rows: Sequence[E], journal: Journal) -> None:
        """Assign ids to the prepared ``rows`` and store them; all or nothing.

        Constraints are checked column by column over the whole batch; only when that
        finds a violation are the rows checked one by one, to raise the first error.
        """
        if not rows:
            return
        first = self.next_id
        ids = range(first, first + len(rows))
        for row_id, row in zip(ids, rows, strict=True):
            row.id = row_id
        if self._on_id is not None:
            for row in rows:
                self._on_id(row)
        keys = self._fresh_keys(rows) if self._all_valid(rows) else None
        if keys is None:
            self._raise_first_violation(rows)
        self.rows.update(zip(ids, rows, strict=True))
        for unique, unique_keys in zip(self._uniques, keys, strict=True):
            unique.owners.update(
                (key, row_id)
                for key, row_id in zip(unique_keys, ids, strict=True)
                if key is not None
            )
        for index in self.indexes.values():
            index.add_many(map(index.key, rows), ids)
        self.next_id = first + len(rows)
        journal.append(partial(self._undo_insert, list(ids), first))

    def _raise_first_violation(self, rows: Sequence[E]) -> NoReturn:
        """Check ``rows`` one by one as if inserted in order; raise the first violation."""
        taken: list[set[Hashable]] = [set() for _ in self._uniques]
        for row in rows:
            self.validate(row)
            for unique, seen in zip(self._uniques, taken, strict=True):
                key = unique.key(row)
                if key is not None:
                    if key in unique.owners or key in seen:
                        raise self._taken(unique, key)
                    seen.add(key)
        raise AssertionError(f"{self.name}: a batch failed its checks but no row violates one")

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

    def replace_many(self, rows: Sequence[E], journal: Journal) -> None:
        """Overwrite stored rows with the prepared ``rows`` (by id), as ``replace`` would
        one after the other; all or nothing.

        Done in bulk when the ids are distinct and stored, every row is valid and no
        unique key changes onto a key that is taken or claimed twice; otherwise row by
        row, with the same outcome and errors as successive ``replace`` calls.
        """
        if not rows:
            return
        stored = self.rows
        olds = [stored.get(row.id) if row.id is not None else None for row in rows]
        ids = [row.id for row in rows]
        if (
            None in olds
            or len(set(ids)) != len(ids)
            or not self._all_valid(rows)
            or not self._keys_free(olds, rows)
        ):
            mark = len(journal)
            try:
                for row in rows:
                    self.replace(row, journal)
            except BaseException:
                while len(journal) > mark:
                    journal.pop()()
                raise
            return
        pairs = [(old, row) for old, row in zip(olds, rows, strict=True) if old is not None]
        self._swap_many(pairs)
        journal.append(partial(self._swap_many, [(new, old) for old, new in reversed(pairs)]))

    def _keys_free(self, olds: Sequence[E | None], rows: Sequence[E]) -> bool:
        """True when no unique key of ``rows`` changes onto a taken or twice-claimed key."""
        for unique in self._uniques:
            claimed: set[Hashable] = set()
            for old, row in zip(olds, rows, strict=True):
                key = unique.key(row)
                if key is None or old is None or key == unique.key(old):
                    continue
                holder = unique.owners.get(key)
                if (holder is not None and holder != row.id) or key in claimed:
                    return False
                claimed.add(key)
        return True

    def _swap_many(self, pairs: Sequence[tuple[E, E]]) -> None:
        """``_swap`` each (stored, replacement) pair, keys compared column by column."""
        olds = [old for old, _ in pairs]
        news = [new for _, new in pairs]
        for unique in self._uniques:
            owners = unique.owners
            for new, old_key, new_key in zip(
                news, map(unique.key, olds), map(unique.key, news), strict=True
            ):
                if old_key != new_key:
                    if old_key is not None:
                        del owners[old_key]
                    if new_key is not None:
                        owners[new_key] = cast(int, new.id)
        for index in self.indexes.values():
            for new, old_key, new_key in zip(
                news, map(index.key, olds), map(index.key, news), strict=True
            ):
                if old_key != new_key:
                    row_id = cast(int, new.id)
                    index.discard(old_key, row_id)
                    index.add(new_key, row_id)
        self.rows.update((cast(int, new.id), new) for new in news)

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
