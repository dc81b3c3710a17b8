"""Draw results stored as columns: one segment per stored batch, objects only when read.

A draw stores tens of thousands of results at once, each a row of a
:class:`~nictbw.domain.entities.DrawResultColumns`. :class:`ResultTable` keeps such a
batch as one segment (the columns, copied, and the first id of its consecutive ids) and
builds a :class:`~nictbw.domain.entities.PrizeDrawResult` only when a row is read.
Rows written one by one (adds, updates, overwrites, imports) are kept as objects, as in
every other table, and take precedence over the segment row of the same id.

The table keeps every constraint, index and undo record of :class:`Table`: a batch that
is not entirely fresh and valid takes the object path, which raises the error a row by
row insert raises first.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Collection, Hashable, Iterator, MutableMapping
from functools import partial
from heapq import merge
from itertools import islice
from operator import lt
from typing import Any, cast

from nictbw.adapters.memory.table import Index, Journal, Table
from nictbw.domain.entities import DrawResultColumns, Outcome, PrizeDrawResult, no_none
from nictbw.domain.scoring import LazyColumn
from nictbw.domain.timeutil import as_utc

RESULT_KEY = "(nft_instance_id, draw_type_id, winning_number_id)"
"""The name of the UNIQUE key of results."""


class Segment:
    """Rows ``first`` to ``stop - 1`` of a results table, held as columns; ``span`` is
    (first, last) of its instance ids when they strictly ascend, else None."""

    __slots__ = ("columns", "first", "span", "stop")

    def __init__(
        self, first: int, columns: DrawResultColumns, span: tuple[Any, Any] | None = None
    ) -> None:
        self.first = first
        self.stop = first + len(columns)
        self.columns = columns
        self.span = span

    def shares_no_instance_with(self, span: tuple[Any, Any] | None, ids: Collection[Any]) -> bool:
        """True when none of ``ids`` (spanning ``span`` when they strictly ascend) is an
        instance id of this segment."""
        own = self.span
        if own is not None and span is not None and (span[1] < own[0] or own[1] < span[0]):
            return True
        return set(self.columns.nft_instance_ids).isdisjoint(ids)

    def row(self, row_id: int) -> PrizeDrawResult:
        """The stored row ``row_id`` as an object (a new one on every call)."""
        return self.columns.result(row_id - self.first, row_id)


class SegmentedRows(MutableMapping[int, PrizeDrawResult]):
    """The rows of a results table by id: segments of columns plus objects.

    An id is stored when it has an object, or when a segment covers it and it was not
    deleted since (``_hidden``). Objects take precedence over the segment row of their
    id. Iteration is by ascending id, like the insertion-ordered dict of other tables.
    """

    def __init__(self) -> None:
        self._objects: dict[int, PrizeDrawResult] = {}
        self._segments: list[Segment] = []
        self._starts: list[int] = []
        self._hidden: set[int] = set()
        self._segment_rows = 0
        self._overlap = 0
        """How many ids in ``_objects`` a segment covers too."""

    # -- segments ----------------------------------------------------------------------

    def segment_of(self, row_id: object) -> Segment | None:
        """The segment covering ``row_id`` (deleted rows included), or None."""
        if type(row_id) is not int:
            return None
        position = bisect_right(self._starts, row_id) - 1
        if position < 0:
            return None
        segment = self._segments[position]
        return segment if row_id < segment.stop else None

    def add_segment(self, segment: Segment) -> None:
        """Store the rows of ``segment`` (ids above every stored id)."""
        self._segments.append(segment)
        self._starts.append(segment.first)
        self._segment_rows += segment.stop - segment.first

    def pristine(self, segment: Segment) -> bool:
        """True when no row of ``segment`` was overwritten or deleted since it was stored."""
        ids = range(segment.first, segment.stop)
        objects, hidden = self._objects, self._hidden
        return not any(map(objects.__contains__, ids)) and not any(map(hidden.__contains__, ids))

    def swap_segment(self, old: Segment, new: Segment) -> None:
        """Put ``new`` (the same ids) in the place of ``old``."""
        self._segments[self._segments.index(old)] = new

    def drop_segment(self, segment: Segment) -> None:
        """Forget ``segment`` and every row it covers (undo of :meth:`add_segment`)."""
        position = self._segments.index(segment)
        del self._segments[position]
        del self._starts[position]
        self._segment_rows -= segment.stop - segment.first
        for row_id in range(segment.first, segment.stop):
            if self._objects.pop(row_id, None) is not None:
                self._overlap -= 1
            self._hidden.discard(row_id)

    # -- mapping -----------------------------------------------------------------------

    def __getitem__(self, row_id: int) -> PrizeDrawResult:
        found = self._objects.get(row_id)
        if found is not None:
            return found
        segment = self.segment_of(row_id)
        if segment is None or row_id in self._hidden:
            raise KeyError(row_id)
        return segment.row(row_id)

    def __contains__(self, row_id: object) -> bool:
        if row_id in self._objects:
            return True
        return self.segment_of(row_id) is not None and row_id not in self._hidden

    def __setitem__(self, row_id: int, row: PrizeDrawResult) -> None:
        objects = self._objects
        if row_id not in objects and self.segment_of(row_id) is not None:
            self._overlap += 1
            self._hidden.discard(row_id)
        objects[row_id] = row

    def __delitem__(self, row_id: int) -> None:
        covered = self.segment_of(row_id) is not None
        if row_id in self._objects:
            del self._objects[row_id]
            if covered:
                self._overlap -= 1
                self._hidden.add(row_id)
        elif covered and row_id not in self._hidden:
            self._hidden.add(row_id)
        else:
            raise KeyError(row_id)

    def __len__(self) -> int:
        return len(self._objects) + self._segment_rows - self._overlap - len(self._hidden)

    def __iter__(self) -> Iterator[int]:
        hidden, objects = self._hidden, self._objects
        covered = merge(*(range(s.first, s.stop) for s in self._segments))
        segment_ids = (i for i in covered if i not in hidden and i not in objects)
        return merge(sorted(objects), segment_ids)


class ResultOwners(MutableMapping[Hashable, int]):
    """The UNIQUE key ``(nft_instance_id, draw_type_id, winning_number_id)`` of results:
    key -> id, held per draw (draw type and winning number) as instance id -> id.

    The keys of a stored segment are registered when its draw's keys are next looked up
    (``pending``), not when it is stored: a draw stores its results without building a
    dict of their keys that nothing may ever read.
    """

    def __init__(self) -> None:
        self.by_draw: dict[Hashable, dict[Any, int]] = {}
        self.pending: dict[Hashable, list[Segment]] = {}

    def held(self, draw: Hashable) -> dict[Any, int] | None:
        """The instance id -> id map of ``draw`` (its pending segments registered first)."""
        segments = self.pending.pop(draw, None)
        if segments is not None:
            held = self.by_draw.setdefault(draw, {})
            for segment in segments:
                ids = range(segment.first, segment.stop)
                held.update(zip(segment.columns.nft_instance_ids, ids, strict=True))
        return self.by_draw.get(draw)

    def taken(self, draw: Hashable, span: tuple[Any, Any] | None, ids: Collection[Any]) -> bool:
        """True when a key of ``draw`` holds one of the distinct instance ids ``ids``
        (spanning ``span`` when they strictly ascend), without registering its pending
        segments."""
        held = self.by_draw.get(draw)
        if held is not None and not held.keys().isdisjoint(ids):
            return True
        return not all(
            earlier.shares_no_instance_with(span, ids) for earlier in self.pending.get(draw, ())
        )

    def add_segment(self, draw: Hashable, segment: Segment) -> None:
        """Register the keys of ``segment`` of ``draw`` to be looked up later (none of
        them taken: see :meth:`taken`)."""
        self.pending.setdefault(draw, []).append(segment)

    def forget(self, draw: Hashable, segment: Segment) -> None:
        """Drop the keys of ``segment`` of ``draw`` (undo of its insert)."""
        segments = self.pending.get(draw)
        if segments is not None and segment in segments:
            segments.remove(segment)
            if not segments:
                del self.pending[draw]
            return
        held = self.by_draw[draw]
        for instance_id in segment.columns.nft_instance_ids:
            del held[instance_id]
        if not held:
            del self.by_draw[draw]

    def _flush(self) -> None:
        for draw in list(self.pending):
            self.held(draw)

    def __getitem__(self, key: Hashable) -> int:
        instance_id, draw_type_id, number_id = cast(tuple[Any, Any, Any], key)
        held = self.held((draw_type_id, number_id))
        if held is None:
            raise KeyError(key)
        return held[instance_id]

    def __contains__(self, key: object) -> bool:
        instance_id, draw_type_id, number_id = cast(tuple[Any, Any, Any], key)
        held = self.held((draw_type_id, number_id))
        return held is not None and instance_id in held

    def __setitem__(self, key: Hashable, row_id: int) -> None:
        instance_id, draw_type_id, number_id = cast(tuple[Any, Any, Any], key)
        draw = (draw_type_id, number_id)
        held = self.held(draw)
        if held is None:
            held = self.by_draw[draw] = {}
        held[instance_id] = row_id

    def __delitem__(self, key: Hashable) -> None:
        instance_id, draw_type_id, number_id = cast(tuple[Any, Any, Any], key)
        draw = (draw_type_id, number_id)
        held = self.held(draw)
        if held is None:
            raise KeyError(key)
        del held[instance_id]
        if not held:
            del self.by_draw[draw]

    def __len__(self) -> int:
        self._flush()
        return sum(map(len, self.by_draw.values()))

    def __iter__(self) -> Iterator[Hashable]:
        self._flush()
        for draw, held in list(self.by_draw.items()):
            draw_type_id, number_id = cast(tuple[Any, Any], draw)
            for instance_id in list(held):
                yield (instance_id, draw_type_id, number_id)


class ResultTable(Table[PrizeDrawResult]):
    """The draw results table: a :class:`Table` whose batches may be stored as columns.

    The two indexes (by draw type; by draw type and winning number) take a stored
    segment's ids when they are next read (``indexes``), not when it is stored.
    """

    rows: SegmentedRows

    def __init__(self, name: str, **options: Any) -> None:
        self._unindexed: list[Segment] = []
        super().__init__(name, **options)
        self.rows = SegmentedRows()

    @property
    def indexes(self) -> dict[str, Index]:
        """The indexes, every stored segment in them."""
        if self._unindexed:
            for segment in self._unindexed:
                self._index_segment(segment, _add_run)
            self._unindexed.clear()
        return self._indexes

    @indexes.setter
    def indexes(self, indexes: dict[str, Index]) -> None:
        self._indexes = indexes

    def _index_segment(self, segment: Segment, change: Callable[[Index, Any, range], None]) -> None:
        columns = segment.columns
        ids = range(segment.first, segment.stop)
        change(self._indexes["draw_type_id"], columns.draw_type_id, ids)
        change(
            self._indexes["draw_type_and_number"],
            (columns.draw_type_id, columns.winning_number_id),
            ids,
        )

    def insert_columns(self, columns: DrawResultColumns, journal: Journal) -> list[int] | None:
        """Store the rows of ``columns`` as one segment with consecutive new ids; the ids.

        Only when every row is valid and its key ``(instance, draw type, winning number)``
        is neither stored nor repeated; otherwise nothing is written and None is returned
        (the caller takes the row by row path).
        """
        count = len(columns)
        fields = _checked_fields(columns, count)
        if fields is None:
            return None
        draw_type_id, number_id = columns.draw_type_id, columns.winning_number_id
        users, definitions, instance_ids = fields[0], fields[1], fields[2]
        span = _ascending_span(instance_ids)
        distinct: Collection[Any] = instance_ids if span is not None else set(instance_ids)
        if len(distinct) != count or not self._references_exist(
            draw_type_id,
            number_id,
            {"user_id": users, "definition_id": definitions, "nft_instance_id": distinct},
        ):
            return None
        draw = (draw_type_id, number_id)
        owners = self.result_owners
        at = columns.evaluated_at
        stored = DrawResultColumns(
            draw_type_id=draw_type_id,
            winning_number_id=number_id,
            winning_top_digits=columns.winning_top_digits,
            threshold_used=columns.threshold_used,
            evaluated_at=as_utc(at) if at is not None else None,
            user_ids=users,
            definition_ids=definitions,
            nft_instance_ids=instance_ids,
            draw_numbers=fields[3],
            similarity_scores=fields[4],
            draw_top_digits=fields[5],
            outcomes=fields[6],
        )
        if owners.taken(draw, span, distinct):
            held = owners.held(draw)
            assert held is not None
            return self._overwrite_segment(held, stored, journal)
        first = self.next_id
        segment = Segment(first, stored, span)
        owners.add_segment(draw, segment)
        ids = range(first, segment.stop)
        self.rows.add_segment(segment)
        self._unindexed.append(segment)
        self.next_id = segment.stop
        journal.append(partial(self._undo_segment, segment))
        return list(ids)

    def _overwrite_segment(
        self, held: dict[Any, int], stored: DrawResultColumns, journal: Journal
    ) -> list[int] | None:
        """Overwrite a whole stored segment whose rows are, in order, the keys of
        ``stored`` (the same draw evaluated again): the segment takes the new columns and
        keeps its ids. None when the keys are not exactly such a segment."""
        first = held.get(stored.nft_instance_ids[0])
        segment = self.rows.segment_of(first)
        count = len(stored)
        if segment is None or segment.first != first or segment.stop - first != count:
            return None
        if list(map(held.get, stored.nft_instance_ids)) != list(range(first, first + count)):
            return None
        if not self.rows.pristine(segment):
            return None
        replacement = Segment(first, stored)
        self.rows.swap_segment(segment, replacement)
        journal.append(partial(self.rows.swap_segment, replacement, segment))
        return list(range(first, first + count))

    @property
    def result_owners(self) -> ResultOwners:
        """The owners of the result key."""
        return cast(ResultOwners, self.owners(RESULT_KEY))

    def _references_exist(
        self, draw_type_id: object, number_id: object, values: dict[str, Collection[Any]]
    ) -> bool:
        """True when every foreign key of the rows names a stored row (and none of the
        NOT NULL ones is None): ``values`` holds the values of each row column (a list is
        looked up value by value, without building a set of it)."""
        for fk in self._foreign_keys:
            target = fk.target.rows
            if fk.column == "draw_type_id":
                column: Collection[Any] = {draw_type_id}
            elif fk.column == "winning_number_id":
                column = {number_id} if number_id is not None else set()
            else:
                column = values[fk.column]
            if isinstance(column, set):
                if None in column or not (
                    target.keys() >= column
                    if isinstance(target, dict)
                    else all(map(target.__contains__, column))
                ):
                    return False
            # No row has the id None: a None among the values is missing like any other.
            elif not all(map(target.__contains__, column)):
                return False
        return True

    def _undo_segment(self, segment: Segment) -> None:
        columns = segment.columns
        self.result_owners.forget((columns.draw_type_id, columns.winning_number_id), segment)
        if segment in self._unindexed:
            self._unindexed.remove(segment)
        else:
            self._index_segment(segment, _discard_run)
        self.rows.drop_segment(segment)
        self.next_id = segment.first


_OUTCOMES: frozenset[str] = frozenset(outcome.value for outcome in Outcome)


def _checked_fields(columns: DrawResultColumns, count: int) -> list[Any] | None:
    """Copies of the per-row columns of ``columns`` when every row passes NOT NULL and
    CHECK and every column has ``count`` rows; None otherwise."""
    if columns.draw_type_id is None or columns.evaluated_at is None:
        return None
    required = (
        columns.user_ids,
        columns.definition_ids,
        columns.nft_instance_ids,
        columns.draw_numbers,
        columns.outcomes,
    )
    # Copied: the caller keeps its lists, and a change it makes later must not reach the
    # stored rows (it cannot on the SQL stores either).
    fields: list[Any] = [list(column) for column in required]
    if any(len(column) != count for column in fields) or not no_none(fields[3]):
        return None
    # None among the ids is caught by the foreign key check, among outcomes by CHECK.
    optional: list[Any] = []
    for maybe in (columns.similarity_scores, columns.draw_top_digits):
        # A lazy column is immutable: kept as it is, its values computed when read.
        copied_or_none = maybe if maybe is None or isinstance(maybe, LazyColumn) else list(maybe)
        if copied_or_none is not None and len(copied_or_none) != count:
            return None
        optional.append(copied_or_none)
    try:
        if not _OUTCOMES.issuperset(fields[4]):
            return None
    except TypeError:
        return None
    user_ids, definition_ids, instance_ids, draw_numbers, outcomes = fields
    return [user_ids, definition_ids, instance_ids, draw_numbers, *optional, outcomes]


def _ascending_span(ids: list[Any]) -> tuple[Any, Any] | None:
    """(first, last) of ``ids`` when they are ints in strictly ascending order (so
    distinct), else None."""
    if not ids or not all(type(i) is int for i in (ids[0], ids[-1])):
        return None
    try:
        ascending = all(map(lt, ids, islice(ids, 1, None)))
    except TypeError:
        return None
    return (ids[0], ids[-1]) if ascending else None


def _add_run(index: Index, key: Any, ids: range) -> None:
    """Record the consecutive ``ids`` (new, ascending) under ``key``."""
    members = index.members
    found = members.get(key)
    if found is None:
        if len(ids) == 1:
            members[key] = ids[0]
            return
        members[key] = dict.fromkeys(ids)
    elif isinstance(found, int):
        run = {found: None}
        run.update(dict.fromkeys(ids))
        members[key] = run
    else:
        found.update(dict.fromkeys(ids))


def _discard_run(index: Index, key: Any, ids: range) -> None:
    """Forget the consecutive ``ids`` under ``key``."""
    for row_id in reversed(ids):
        index.discard(key, row_id)


__all__ = [
    "RESULT_KEY",
    "ResultOwners",
    "ResultTable",
    "Segment",
    "SegmentedRows",
]
