"""The column checks of the legacy import accept a column exactly when every value of it
passes the row path's check."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from nictbw.app.legacy_import import columns, mapping
from nictbw.domain import ValidationError
from nictbw.domain.validation import check_text

values = st.none() | st.text(max_size=12) | st.integers() | st.booleans()


def _passes(check: Any, value: Any) -> bool:
    try:
        check(value)
    except ValidationError:
        return False
    return True


@given(st.lists(values, min_size=1, max_size=6), st.booleans(), st.booleans())
def test_texts_ok_agrees_with_check_text(column: list[Any], nullable: bool, blank: bool) -> None:
    expected = all(
        _passes(lambda v: check_text(v, "f", 8, nullable=nullable, not_blank=blank), value)
        for value in column
    )
    assert columns.texts_ok(column, 8, nullable=nullable, not_blank=blank) is expected


@given(st.lists(st.none() | st.integers(min_value=-3, max_value=2**32) | st.booleans(), min_size=1))
def test_ids_ok_agrees_with_row_id(column: list[Any]) -> None:
    expected = all(_passes(lambda v: mapping.row_id({"id": v}), value) for value in column)
    assert columns.ids_ok(column) is expected


@given(st.lists(st.none() | st.floats(allow_nan=True, allow_infinity=True), min_size=1))
def test_reals_ok_accepts_only_finite_floats(column: list[Any]) -> None:
    expected = all(value is None or math.isfinite(value) for value in column)
    assert columns.reals_ok(column, nullable=True) is expected
    assert columns.reals_ok(column, nullable=False) is (expected and None not in column)


def test_unheld_and_parents() -> None:
    assert columns.unheld([1, 2], {})
    assert not columns.unheld([1, 2], {2: 1})
    assert columns.parents_ok([1, 2], [1, 2], set(), nullable=False)
    assert not columns.parents_ok([1, 2], [1, None], set(), nullable=False)
    assert not columns.parents_ok([1, 2], [1, 2], {2}, nullable=False)
    assert columns.parents_ok([None, 2], [None, 2], set(), nullable=True)
