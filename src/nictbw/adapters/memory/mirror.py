"""A column mirror of the instances table: what a draw reads of its candidates, one list
per field, kept up to date by the table like an index."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from itertools import repeat
from operator import attrgetter, itemgetter
from typing import Any, cast

import attrs

from nictbw.adapters.memory.table import Index, KeyFunc
from nictbw.domain.entities import CandidateColumns
from nictbw.domain.scoring import known_draw_number

CANDIDATE_FIELDS = ("user_id", "definition_id", "nft_origin", "status")
"""The instance fields a draw candidate takes besides the id, in :class:`CandidateColumns` order."""


@attrs.define
class ColumnMirror(Index):
    """An "index" of the instances table that keeps, per instance id, the fields of
    :data:`CANDIDATE_FIELDS` in one list per field (position = id; None when no row),
    and the draw numbers of the origins that are not their own.

    The table keeps it up to date like any index (insert, overwrite, undo); a draw reads
    its candidates' columns from it with one C-level lookup per value instead of one
    attribute read per field of each stored row.
    """

    key: KeyFunc = attrs.field(default=attrgetter(*CANDIDATE_FIELDS))
    columns: tuple[list[Any], ...] = attrs.field(
        factory=lambda: tuple([] for _ in CANDIDATE_FIELDS)
    )
    odd: dict[int, str | None] = attrs.field(factory=dict)
    """The draw numbers (``known_draw_number``) of the origins that are not their own
    draw number (not normalised, or giving none), by id; every other origin is its own."""

    def add(self, key: Hashable | None, row_id: int) -> None:
        """Record the fields ``key`` of the row ``row_id``."""
        if key is None:
            return
        columns = self.columns
        missing = row_id + 1 - len(columns[0])
        if missing > 0:
            for column in columns:
                column.extend(repeat(None, missing))
        values = cast(tuple[Any, ...], key)
        for column, value in zip(columns, values, strict=True):
            column[row_id] = value
        self.odd.pop(row_id, None)
        origin = values[2]
        if origin is not None:
            draw_number = known_draw_number(origin)
            if draw_number is not origin:
                self.odd[row_id] = draw_number

    def add_many(self, keys: Iterable[Hashable | None], ids: Iterable[int]) -> None:
        """``add`` for each key and id."""
        for key, row_id in zip(keys, ids, strict=True):
            self.add(key, row_id)

    def discard(self, key: Hashable | None, row_id: int) -> None:
        """Forget the fields of row ``row_id`` (they are ``key``)."""
        columns = self.columns
        if key is None or row_id >= len(columns[0]):
            return
        for column in columns:
            column[row_id] = None
        self.odd.pop(row_id, None)

    def candidate_columns(self, ids: list[int]) -> CandidateColumns:
        """The candidate columns of the stored instances ``ids``, in that order, with
        their origins' draw numbers (the origins column itself when every one is its own)."""
        if len(ids) < 2:
            picked = [[column[i] for i in ids] for column in self.columns]
        else:
            pick = itemgetter(*ids)
            picked = [list(pick(column)) for column in self.columns]
        picked_origins = picked[2]
        odd = self.odd
        draw_numbers = (
            picked_origins
            if not odd
            else [odd.get(i, o) for i, o in zip(ids, picked_origins, strict=True)]
        )
        users, definitions, _, statuses = picked
        return CandidateColumns(ids, users, definitions, picked_origins, statuses, draw_numbers)


__all__ = ["CANDIDATE_FIELDS", "ColumnMirror"]
