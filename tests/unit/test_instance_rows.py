"""Instances built from whole ``nft_instances`` rows (``instances_from_rows``)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nictbw.adapters.sqlalchemy.mapping import (
    INSTANCE_COLUMNS,
    instance_from_row,
    instance_values,
    instances_from_rows,
)
from nictbw.domain.entities import NFTInstance
from nictbw.testing.strategies import instances

KEYS = ("id", *INSTANCE_COLUMNS)


def _row(instance: NFTInstance, keys: tuple[str, ...]) -> list[object]:
    values = {"id": instance.id, **instance_values(instance)}
    return [values[key] for key in keys]


@given(st.lists(instances(user_id=3, definition_id=7), max_size=5), st.randoms())
def test_rows_in_any_column_order_give_what_instance_from_row_gives(
    found: list[NFTInstance], order: random.Random
) -> None:
    keys = list(KEYS)
    order.shuffle(keys)
    rows = [_row(instance, tuple(keys)) for instance in found]
    built = instances_from_rows(keys, rows)
    assert built == [instance_from_row(dict(zip(keys, row, strict=True))) for row in rows]
    assert built == found


@pytest.mark.parametrize(
    "keys",
    [KEYS[:-1], (*KEYS[:-1], "token"), (*KEYS, "extra"), ("id", "id", *KEYS[2:])],
    ids=["one missing", "one unknown", "one more", "one twice"],
)
def test_columns_that_are_not_an_instance_are_refused(keys: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="not the columns of an instance"):
        instances_from_rows(keys, [])
