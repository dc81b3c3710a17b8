"""Which columns an update by id on SQLite may leave out (``adapters/sqlalchemy/unchanged.py``).

A maintained column may be left out of an update only when every row would write the
value it holds: ``changed_positions`` is checked against that rule written out plainly,
on values of mixed types (``1``, ``True`` and ``1.0`` compare equal in Python but are not
the same stored value).
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from nictbw.adapters.sqlalchemy.tables import bingo_cards, bingo_cells, nft_instances
from nictbw.adapters.sqlalchemy.unchanged import changed_positions, maintained_columns

WIDTH = 5
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-2, max_value=2),
    st.sampled_from([0.0, 1.0, 2.5]),
    st.sampled_from(["", "a", "b"]),
)
ROWS = st.lists(st.tuples(*[VALUES] * WIDTH), max_size=6)


def differs(was: Any, new: Any) -> bool:
    return type(was) is not type(new) or was != new


@given(
    new_rows=ROWS,
    stored_rows=ROWS,
    positions=st.lists(st.integers(min_value=0, max_value=WIDTH - 1), unique=True).map(sorted),
    missing=st.sets(st.integers(min_value=0, max_value=5)),
)
def test_a_position_is_changed_when_some_stored_row_would_get_another_value(
    new_rows: list[tuple[Any, ...]],
    stored_rows: list[tuple[Any, ...]],
    positions: list[int],
    missing: set[int],
) -> None:
    ids = list(range(len(new_rows)))
    stored = {
        row_id: tuple(old[p] for p in positions)
        for row_id, old in zip(ids, stored_rows, strict=False)
        if row_id not in missing
    }
    expected = [
        p
        for k, p in enumerate(positions)
        if any(
            row_id in stored and differs(stored[row_id][k], row[p])
            for row_id, row in zip(ids, new_rows, strict=True)
        )
    ]
    assert changed_positions(new_rows, ids, positions, stored) == expected


def test_values_equal_in_python_but_of_another_type_are_changes() -> None:
    assert changed_positions([(1, True, 1.0)], [7], [0, 1, 2], {7: (True, 1, 1)}) == [0, 1, 2]
    assert changed_positions([(1, True, 1.0)], [7], [0, 1, 2], {7: (1, True, 1.0)}) == []


def test_maintained_columns_are_those_of_keys_indexes_and_index_predicates() -> None:
    assert maintained_columns(nft_instances) == {
        "id",
        "user_id",
        "definition_id",
        "serial_number",
        "unique_instance_id",
        "nft_origin",
        "status",  # the predicate of the partial unique index on succeeded origins
    }
    assert {"bingo_card_id", "idx", "target_definition_id"} <= maintained_columns(bingo_cells)
    assert {"user_id", "center_definition_id"} <= maintained_columns(bingo_cards)
    assert "state" not in maintained_columns(bingo_cells)
    assert "unlocked_mask" not in maintained_columns(bingo_cards)
